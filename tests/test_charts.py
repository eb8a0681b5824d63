"""Charts (lib/charts.py) on the overview, the rating results, the meeting compliance and the
targets pages: well-formed SVG with a title, figures written in Vietnamese format that equal the
figures counted independently, the scope of the page, and bounded query counts."""

from __future__ import annotations

import datetime
import html as htmllib
import re
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangbo.demo.builder import HORIZON
from dangbo.lib import charts, vn
from dangbo.orgs.models import UnitVersion
from dangbo.overview.overview import build_overview, members_over_years
from tests.helpers import hand_member_counts
from tests.test_overview import hand_members_with_birth, path_of

SVG = "{http://www.w3.org/2000/svg}"
FIGURE = re.compile(r'<figure class="chart"><figcaption>(.*?)</figcaption>(<svg.*?</svg>)(.*?)</figure>', re.S)


def page_charts(response) -> dict[str, ET.Element]:
    """{caption: the parsed <svg>} of every chart of a page; parsing fails on malformed SVG."""
    found = {}
    for caption, svg, _ in FIGURE.findall(response.content.decode()):
        found[htmllib.unescape(caption)] = ET.fromstring(svg)
    return found


def chart_titled(response, start: str) -> ET.Element:
    matches = [svg for caption, svg in page_charts(response).items() if caption.startswith(start)]
    assert len(matches) == 1, (start, list(page_charts(response)))
    return matches[0]


def rows_of(svg: ET.Element) -> list[list[str]]:
    """The texts of each row of a chart: its label, then the figures written on or after its bar."""
    return [[t.text for t in g.iter(f"{SVG}text")] for g in svg.iter(f"{SVG}g") if g.get("class") == "row"]


def check_accessible(svg: ET.Element) -> None:
    assert svg.get("role") == "img"
    assert svg.get("viewBox", "").startswith("0 0 360 ")
    assert svg.get("width") is None  # the width comes from the page: it scales to a phone
    title = svg.find(f"{SVG}title")
    assert title is not None and title.text
    desc = svg.find(f"{SVG}desc")
    assert desc is not None and desc.text
    assert set(svg.get("aria-labelledby").split()) == {title.get("id"), desc.get("id")}


def number(text: str) -> int:
    assert re.fullmatch(r"\d{1,3}(\.\d{3})*", text), text  # 4.466, not 4,466 nor 4466
    return int(text.replace(".", ""))


# --- the module itself ---------------------------------------------------------------------------------


def test_a_chart_escapes_its_text_and_draws_nothing_without_rows():
    chart = charts.bars("A < B & C", [("<b>", 3, "3")], ["x", "y"])
    svg = ET.fromstring(FIGURE.search(str(chart)).group(2))
    assert rows_of(svg) == [["<b>", "3"]]
    assert svg.find(f"{SVG}title").text == "A < B & C"
    assert str(charts.bars("Trống", [], ["x", "y"])) == ""


def test_bars_are_drawn_to_scale_and_patterns_have_their_own_ids():
    chart = charts.bars("T", [("a", 10, "10"), ("b", 5, "5"), ("c", 0, "0")], ["x", "y"], reference=(20, "Chỉ tiêu"))
    first, second = (ET.fromstring(FIGURE.search(str(chart)).group(2)) for _ in range(2))
    widths = [float(r.get("width")) for r in first.iter(f"{SVG}rect") if r.get("height") == str(charts.BAR)]
    assert len(widths) == 2 and widths[0] == pytest.approx(2 * widths[1])  # c (0) has no bar
    line = first.find(f"{SVG}line")
    start = charts.WIDTH - float(line.get("x1"))
    assert float(line.get("x1")) > max(float(r.get("x")) + float(r.get("width")) for r in first.iter(f"{SVG}rect")
                                       if r.get("height") == str(charts.BAR))  # fmt: skip
    assert start > 0
    ids = lambda svg: {p.get("id") for p in svg.iter(f"{SVG}pattern")}  # noqa: E731
    assert ids(first) and not ids(first) & ids(second)


# --- the overview ------------------------------------------------------------------------------------------

DAYS = [datetime.date(2021, 12, 31), datetime.date(2024, 9, 30), HORIZON]


@pytest.mark.parametrize("who", ["root", "coso", "chibo"])
def test_members_over_the_years_equal_the_overview_and_a_hand_count(demo, who):
    on = HORIZON
    root = UnitVersion.objects.on(on).get(unit_id=demo[who])
    series = members_over_years(root, on)
    assert series[-1][0] == on and len(series) >= 3
    assert [day for day, _ in series[:-1]] == [datetime.date(y, 12, 31) for y in range(series[0][0].year, on.year)]
    for day, n in series:
        assert n == build_overview(root, day).total.members["total"]
        assert n == hand_member_counts(path_of(demo[who], day), day)["total"], day


def test_the_years_series_costs_one_query(demo):
    root = UnitVersion.objects.on(HORIZON).get(unit_id=demo["root"])
    with CaptureQueriesContext(connection) as queries:
        series = members_over_years(root, HORIZON, years=10)
    assert len(queries) == 1
    assert len(series) > 3


@pytest.mark.parametrize("on", DAYS)
@pytest.mark.parametrize("who", ["root", "coso"])
def test_overview_charts_write_the_counted_figures(as_user, demo, who, on):
    response = as_user("khoi").get(f"/to-chuc/{demo[who]}/?date={on:%Y-%m-%d}")
    assert response.status_code == 200
    found = page_charts(response)
    assert len(found) == 3
    for svg in found.values():
        check_accessible(svg)
    years = rows_of(chart_titled(response, "Số đảng viên tại ngày 31/12 hằng năm"))
    assert years[-1][0] == (str(on.year) if (on.month, on.day) == (12, 31) else vn.format_date(on))
    for label, text in years:
        day = on if label == years[-1][0] else datetime.date(int(label), 12, 31)
        assert number(text) == hand_member_counts(path_of(demo[who], day), day)["total"], label

    people = hand_members_with_birth(path_of(demo[who], on), on)
    ages = [vn.age_on(birth, on) for birth, _ in people]
    bands = [(18, 30), (31, 40), (41, 50), (51, 60), (61, 70), (71, 200)]
    age_rows = rows_of(chart_titled(response, "Đảng viên theo độ tuổi"))
    assert [label for label, _ in age_rows][0] == "Từ 18 đến 30 tuổi"
    for (label, text), (low, high) in zip(age_rows, bands, strict=True):
        n = sum(1 for a in ages if low <= a <= high)
        assert text == f"{vn.format_number(n)} ({vn.format_percent(vn.percent(n, len(people)))})", label
    theory_rows = rows_of(chart_titled(response, "Đảng viên theo trình độ lý luận chính trị"))
    levels = ["none", "so_cap", "trung_cap", "cao_cap", "cu_nhan"]
    assert [label for label, _ in theory_rows] == ["Chưa qua đào tạo", "Sơ cấp", "Trung cấp", "Cao cấp", "Cử nhân"]
    for (label, text), level in zip(theory_rows, levels, strict=True):
        n = sum(1 for _, t in people if t == level)
        assert number(text.split(" (")[0]) == n, label


def test_reference_day_writes_4466_in_vietnamese(as_user):
    response = as_user("khoi").get("/?date=2024-09-30")
    years = dict(rows_of(chart_titled(response, "Số đảng viên tại ngày 31/12 hằng năm")))
    assert years["30/09/2024"] == "4.466"
    assert "năm 2024: tại ngày 30/09/2024" in chart_titled(response, "Số đảng viên").find(f"{SVG}title").text


def test_a_unit_s_charts_count_only_its_subtree(as_user, demo, outsider):
    """coso's page draws coso's figures, not the committee's; an outsider cannot open it at all."""
    response = as_user("coso").get(f"/?date={HORIZON:%Y-%m-%d}")
    years = rows_of(chart_titled(response, "Số đảng viên tại ngày 31/12 hằng năm"))
    assert number(years[-1][1]) == hand_member_counts(path_of(demo["coso"], HORIZON), HORIZON)["total"]
    assert number(years[-1][1]) < hand_member_counts(path_of(demo["root"], HORIZON), HORIZON)["total"]
    assert as_user(outsider[0]).get(f"/to-chuc/{demo['coso']}/").status_code == 404


def test_overview_with_charts_keeps_its_query_count(as_user, demo):
    client = as_user("khoi")
    counts = []
    for url in ("/?date=2024-09-30", "/?date=2019-01-01", f"/to-chuc/{demo['coso']}/"):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    assert max(counts) <= 13


def test_decimal_values_are_drawn(as_user):
    chart = charts.bars("T", [("a", Decimal("81.625"), "81,63%")], ["x", "y"])
    assert rows_of(ET.fromstring(FIGURE.search(str(chart)).group(2))) == [["a", "81,63%"]]


# --- the rating results -------------------------------------------------------------------------------------


def table_of(response, start: str) -> list[list[str]]:
    """The rows of the table folded under the chart whose caption begins with `start`."""
    for caption, _, rest in FIGURE.findall(response.content.decode()):
        if htmllib.unescape(caption).startswith(start):
            rows = re.findall(r"<tr><th>(.*?)</th>(.*?)</tr>", rest.split("<tbody>")[1])
            numbers = [re.findall(r'<td class="num">(.*?)</td>', cells) for _, cells in rows]
            return [[htmllib.unescape(re.sub(r"<.*?>", "", label)), *map(htmllib.unescape, figures)]
                    for (label, _), figures in zip(rows, numbers)]  # fmt: skip
    raise AssertionError(start)


@pytest.mark.parametrize("who", ["root", "coso"])
def test_rating_charts_write_each_year_s_shares_by_level(as_user, demo, who):
    from tests.test_ratings import LABELS, LEVELS, hand_members, hand_tccs, period_of

    response = as_user("khoi" if who == "root" else "coso").get("/xep-loai/", {"nam": 2023})
    assert response.status_code == 200
    members = chart_titled(response, "Tỷ lệ đảng viên theo mức xếp loại")
    organisations = chart_titled(response, "Tỷ lệ tổ chức cơ sở đảng theo mức xếp loại")
    for svg in (members, organisations):
        check_accessible(svg)
        legend = [t.text for t in svg.findall(f"{SVG}text")]
        assert legend == [LABELS[level] for level in LEVELS]  # the fills are named, for black and white
    years = [p.year for p in response.context["years"]]
    assert {2020, 2021, 2022, 2023, 2024} <= set(years)

    def shares(hand):
        return [vn.format_percent(Decimal(hand.counts[level]) * 100 / hand.rated if hand.rated else None)
                for level in LEVELS]  # fmt: skip

    member_rows = table_of(response, "Tỷ lệ đảng viên theo mức xếp loại")
    organisation_rows = table_of(response, "Tỷ lệ tổ chức cơ sở đảng theo mức xếp loại")
    for year, member_row, organisation_row in zip(years, member_rows, organisation_rows, strict=True):
        period = period_of(year)
        assert member_row[0].startswith(str(year))
        assert member_row[1:] == shares(hand_members(period, demo[who])), year
        assert organisation_row[1:] == shares(hand_tccs(period, demo[who])), year
    # The figures written inside the bars are those of the table, in its order.
    for svg, rows in ((members, member_rows), (organisations, organisation_rows)):
        for texts, row in zip(rows_of(svg), rows, strict=True):
            assert texts[0] == row[0].split(" ")[0]
            inside = texts[1:]
            if set(row[1:]) == {"—"}:  # nothing rated yet that year
                assert inside == ["chưa có kết quả"] and "chưa có kết quả" in row[0]
                continue
            assert inside and all(text in row[1:] for text in inside)
            assert all(re.fullmatch(r"\d{1,3}(,\d{1,2})?%", text) for text in inside), inside


def test_coso_s_rating_chart_is_not_the_committee_s(as_user, demo):
    whole = table_of(as_user("khoi").get("/xep-loai/", {"nam": 2023}), "Tỷ lệ đảng viên")
    own = table_of(as_user("coso").get("/xep-loai/", {"nam": 2023}), "Tỷ lệ đảng viên")
    assert [r[0] for r in own] == [r[0] for r in whole] and own != whole


# --- meeting compliance -------------------------------------------------------------------------------------


def hand_regular_by_month(root_id: int, first: datetime.date, last: datetime.date, day: datetime.date) -> dict:
    """{month: (cells that held a regular meeting, cells that owed one)}, counted here: a cell owes a
    month that has ended and that it lived through under the root; a regular or combined meeting
    held that month is one held."""
    from django.db.models import Q

    from dangbo.meetings.models import Meeting
    from dangbo.orgs.models import CELL_KINDS

    period_end = vn.add_months(last, 1)
    root_path = UnitVersion.objects.filter(unit_id=root_id).order_by("-valid_from").first().path
    versions = UnitVersion.objects.filter(path__startswith=root_path, kind__in=CELL_KINDS, valid_from__lt=period_end)
    spans: dict[int, list] = {}
    for v in versions.filter(Q(valid_to__isnull=True) | Q(valid_to__gt=first)):
        spans.setdefault(v.unit_id, []).append((v.valid_from, v.valid_to or datetime.date.max))

    def lived_through(unit_id, start, end):
        covered = start
        for a, b in sorted(spans[unit_id]):
            if a <= covered < b:
                covered = b
        return covered >= end

    held = {(m.cell_id, m.held_on.replace(day=1)) for m in Meeting.unscoped.filter(
        cell_id__in=list(spans), held_on__gte=first, held_on__lt=period_end, kind__in=["regular", "combined"])}
    result = {}
    month = first
    while month <= last:
        end = vn.add_months(month, 1)
        owing = [u for u in spans if end <= day and lived_through(u, month, end)]
        result[month] = (sum(1 for u in owing if (u, month) in held), len(owing))
        month = end
    return result


@pytest.mark.parametrize("who", ["root", "coso"])
def test_compliance_chart_counts_the_cells_that_met_each_month(as_user, demo, who):
    from dangbo.lib.http import today

    user = "khoi" if who == "root" else "coso"
    response = as_user(user).get("/sinh-hoat/tuan-thu/?from=2024-10&to=2026-10")
    assert response.status_code == 200
    svg = chart_titled(response, "Tỷ lệ chi bộ sinh hoạt thường kỳ theo tháng")
    check_accessible(svg)
    hand = hand_regular_by_month(demo[who], datetime.date(2024, 10, 1), datetime.date(2026, 10, 1), today())
    rows = rows_of(svg)
    assert [label for label, _ in rows] == [f"{m:%m/%Y}" for m in hand]
    missing = 0
    for (label, text), (held, owed) in zip(rows, hand.values(), strict=True):
        if not owed:
            assert text == "—", label
            continue
        share = vn.format_percent(vn.percent(held, owed), 1)
        assert text == f"{share} ({vn.format_number(held)}/{vn.format_number(owed)})", label
        missing += owed - held
    assert missing > 0  # the period has gaps: the chart shows them
    assert any(r.get("fill", "").endswith("-hatch)") for r in svg.iter(f"{SVG}rect") if r.get("height") == "18")


def test_compliance_chart_of_a_full_period_is_all_100(as_user, demo):
    response = as_user("xem").get("/sinh-hoat/tuan-thu/?from=2023-01&to=2023-12")
    rows = rows_of(chart_titled(response, "Tỷ lệ chi bộ sinh hoạt thường kỳ theo tháng"))
    hand = hand_regular_by_month(demo["root"], datetime.date(2023, 1, 1), datetime.date(2023, 12, 1), HORIZON)
    assert len(rows) == 12
    for (_, text), (held, owed) in zip(rows, hand.values(), strict=True):
        assert held == owed > 0 and text == f"100% ({vn.format_number(owed)}/{vn.format_number(owed)})"
