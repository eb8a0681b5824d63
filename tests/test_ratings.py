"""Quality ratings (đánh giá, xếp loại chất lượng): the quota on excellent results, the demo's
calibration against the reference committee (DOMAIN §5 and §11), the figures by direct sub-unit,
and the results page /xep-loai/ with its Excel file.

Expected figures are recomputed by hand-written SQL over ratings_memberrating, ratings_unitrating
and orgs_unitversion (a subtree is a path prefix on the versions valid on the day), never by the
code under test."""

from __future__ import annotations

import datetime
import io
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from html.parser import HTMLParser

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from dangbo.accounts.models import Role, User
from dangbo.lib import vn
from dangbo.orgs.actions import change_unit
from dangbo.orgs.models import Unit, UnitVersion, path_after
from dangbo.ratings.figures import (
    excellent_allowed,
    member_levels,
    member_levels_by_unit,
    member_quotas,
    organisation_levels,
)
from dangbo.ratings.models import MemberRating, RatingPeriod, Rounding, refresh_level_tallies
from tests.helpers import hand_path, is_vietnamese

RESULTS = "/xep-loai/"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DECIDED_YEARS = list(range(2020, 2025))
LATEST_DECIDED = 2024
# Written out here rather than read from the models (DOMAIN §5).
LEVELS = ["excellent", "good", "done", "failed"]
LABELS = {
    "excellent": "Hoàn thành xuất sắc nhiệm vụ",
    "good": "Hoàn thành tốt nhiệm vụ",
    "done": "Hoàn thành nhiệm vụ",
    "failed": "Không hoàn thành nhiệm vụ",
}
GOOD_OR_BETTER_LABEL = "Hoàn thành tốt nhiệm vụ trở lên"
TCCS_KINDS = ("grassroots_committee", "grassroots_cell")
PATH_WIDTH = 8  # digits of one unit id in a path


# --- hand computations, independent of the code under test ----------------------------------------


@dataclass
class Hand:
    """Counts by decided level, with the exempted and the undecided apart."""

    counts: dict = field(default_factory=lambda: dict.fromkeys(LEVELS, 0))
    exempted: int = 0
    undecided: int = 0

    def add(self, level: str, exempted, n: int) -> None:
        if exempted:
            self.exempted += n
        elif level:
            self.counts[level] += n
        else:
            self.undecided += n

    @property
    def rated(self) -> int:
        return sum(self.counts.values())

    @property
    def good_or_better(self) -> int:
        return self.counts["excellent"] + self.counts["good"]

    def share(self, count: int) -> Decimal:
        return Decimal(count) * 100 / Decimal(self.rated)


def period_of(year: int) -> RatingPeriod:
    return RatingPeriod.objects.get(kind="year", year=year)


def day_of(period: RatingPeriod) -> datetime.date:
    """The day whose tree a period's figures are read on."""
    return min(period.ends_on, timezone.localdate())


def fetch(sql: str, params) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return cursor.fetchall()


VALID = "v.valid_from <= %s AND (v.valid_to IS NULL OR v.valid_to > %s)"


def hand_members(period: RatingPeriod, unit_id: int) -> Hand:
    """Member ratings of the period in cells under `unit_id` as the tree stood on the period's day."""
    on = day_of(period)
    rows = fetch(
        f"""
        SELECT r.decided_level, r.exempted, COUNT(*) FROM ratings_memberrating r
        JOIN orgs_unitversion v ON v.unit_id = r.cell_id AND {VALID}
        WHERE r.period_id = %s AND v.path LIKE %s || '%%'
        GROUP BY r.decided_level, r.exempted
        """,
        [on, on, period.pk, hand_path(unit_id, on)],
    )
    hand = Hand()
    for level, exempted, n in rows:
        hand.add(level, exempted, n)
    return hand


def hand_members_of_cell(period: RatingPeriod, cell_id: int) -> Hand:
    """Member ratings of the period rated in that very cell."""
    rows = fetch(
        """
        SELECT decided_level, exempted, COUNT(*) FROM ratings_memberrating
        WHERE period_id = %s AND cell_id = %s GROUP BY decided_level, exempted
        """,
        [period.pk, cell_id],
    )
    hand = Hand()
    for level, exempted, n in rows:
        hand.add(level, exempted, n)
    return hand


def hand_tccs(period: RatingPeriod, unit_id: int) -> Hand:
    """Ratings of the grassroots organisations (TCCS) under `unit_id` on the period's day."""
    on = day_of(period)
    rows = fetch(
        f"""
        SELECT u.decided_level, COUNT(*) FROM ratings_unitrating u
        JOIN orgs_unitversion v ON v.unit_id = u.unit_id AND {VALID}
        WHERE u.period_id = %s AND v.path LIKE %s || '%%' AND u.kind IN (%s, %s)
        GROUP BY u.decided_level
        """,
        [on, on, period.pk, hand_path(unit_id, on), *TCCS_KINDS],
    )
    hand = Hand()
    for level, n in rows:
        hand.add(level, False, n)
    return hand


def hand_quotas(period: RatingPeriod) -> dict[int, tuple[int, int]]:
    """{grassroots id: (good or better, excellent)} of the members rated (exempted apart)."""
    rows = fetch(
        """
        SELECT grassroots_id,
               SUM(CASE WHEN decided_level IN ('excellent', 'good') THEN 1 ELSE 0 END),
               SUM(CASE WHEN decided_level = 'excellent' THEN 1 ELSE 0 END)
        FROM ratings_memberrating WHERE period_id = %s AND exempted = %s
        GROUP BY grassroots_id
        """,
        [period.pk, False],
    )
    return {unit_id: (int(good_or_better), int(excellent)) for unit_id, good_or_better, excellent in rows}


def hand_tccs_units(unit_id: int, on: datetime.date) -> set[int]:
    """The grassroots organisations under `unit_id` on `on`, from the versions."""
    rows = fetch(
        f"SELECT v.unit_id FROM orgs_unitversion v WHERE {VALID} AND v.path LIKE %s || '%%' AND v.kind IN (%s, %s)",
        [on, on, hand_path(unit_id, on), *TCCS_KINDS],
    )
    return {row[0] for row in rows}


def hand_by_child(period: RatingPeriod, unit_id: int) -> dict[int, Hand]:
    """Member ratings under each direct sub-unit of `unit_id` (its path's next segment)."""
    on = day_of(period)
    path = hand_path(unit_id, on)
    width = len(path) + PATH_WIDTH
    children = dict(
        fetch(
            f"SELECT v.path, v.unit_id FROM orgs_unitversion v WHERE {VALID} AND v.parent_id = %s",
            [on, on, unit_id],
        )
    )
    rows = fetch(
        f"""
        SELECT substr(v.path, 1, {width}), r.decided_level, r.exempted, COUNT(*) FROM ratings_memberrating r
        JOIN orgs_unitversion v ON v.unit_id = r.cell_id AND {VALID}
        WHERE r.period_id = %s AND v.path LIKE %s || '%%' AND length(v.path) >= {width}
        GROUP BY substr(v.path, 1, {width}), r.decided_level, r.exempted
        """,
        [on, on, period.pk, path],
    )
    by_child: dict[int, Hand] = {}
    for child_path, level, exempted, n in rows:
        by_child.setdefault(children[child_path], Hand()).add(level, exempted, n)
    return by_child


def app_counts(levels) -> dict:
    return {level: levels.counts[level] for level in LEVELS}


def root_version(unit_id: int, period: RatingPeriod) -> UnitVersion:
    return UnitVersion.objects.on(day_of(period)).get(unit_id=unit_id)


# --- reading the page and the workbook ------------------------------------------------------------


class TableReader(HTMLParser):
    """The rows (lists of cell texts, whitespace collapsed) of the table with id `table_id`."""

    def __init__(self, html: str, table_id: str):
        super().__init__(convert_charrefs=True)
        self.table_id, self.inside = table_id, False
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        if tag == "table" and dict(attrs).get("id") == self.table_id:
            self.inside = True
        elif self.inside and tag == "tr":
            self.rows.append([])
        elif self.inside and tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if not self.inside:
            return
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table":
            self.inside = False

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def member_table(html: str) -> dict[str, list[str]]:
    """The member levels table of the page: {first cell: the other cells}."""
    rows = TableReader(html, "member-levels").rows
    assert rows, "no member table"
    return {row[0]: row[1:] for row in rows}


def organisation_table(html: str) -> dict[str, list[str]]:
    return {row[0]: row[1:] for row in TableReader(html, "organisation-levels").rows}


def expected_member_table(hand: Hand) -> dict[str, list[str]]:
    """The member table as it should read: counts and shares in Vietnamese format."""
    table = {LABELS[level]: [vn.format_number(hand.counts[level]), vn.format_percent(hand.share(hand.counts[level]))]
             for level in LEVELS}  # fmt: skip
    table[GOOD_OR_BETTER_LABEL] = [
        vn.format_number(hand.good_or_better),
        vn.format_percent(hand.share(hand.good_or_better)),
    ]
    table["Tổng số được xếp loại"] = [vn.format_number(hand.rated), ""]
    table["Miễn đánh giá (miễn sinh hoạt)"] = [vn.format_number(hand.exempted), ""]
    return table


def alerts(html: str) -> list[str]:
    return re.findall(r'<p class="alert[^"]*" role="alert">(.*?)</p>', html, re.S)


def heading(html: str) -> str:
    return re.search(r"<h1>(.*?)</h1>", html, re.S).group(1)


def get_page(client, **params):
    response = client.get(RESULTS, params)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# --- the quota on excellent results -----------------------------------------------------------------


@pytest.mark.parametrize(
    "good_or_better, percent, rounding, allowed",
    [
        (37, 20, Rounding.FLOOR, 7),  # 7,4
        (35, 20, Rounding.FLOOR, 7),  # exactly 7
        (4, 20, Rounding.FLOOR, 0),  # 0,8
        (0, 20, Rounding.FLOOR, 0),
        (5, 20, Rounding.FLOOR, 1),
        (38, 20, Rounding.FLOOR, 7),  # 7,6
        (38, 20, Rounding.HALF_UP, 8),  # 7,6
        (37, 20, Rounding.HALF_UP, 7),  # 7,4
        (4, 20, Rounding.HALF_UP, 1),  # 0,8
        (2, 25, Rounding.HALF_UP, 1),  # 0,5 rounds up
        (2, 25, Rounding.FLOOR, 0),
        (40, 15, Rounding.FLOOR, 6),
        (41, 15, Rounding.FLOOR, 6),  # 6,15
        (7, 100, Rounding.FLOOR, 7),
        (4466, 20, Rounding.FLOOR, 893),  # 893,2
    ],
)
def test_excellent_allowed(good_or_better, percent, rounding, allowed):
    assert excellent_allowed(good_or_better, percent, rounding) == allowed


def test_excellent_allowed_defaults_to_20_percent_rounded_down():
    assert excellent_allowed(37) == 7
    assert excellent_allowed(38) == 7
    assert excellent_allowed(4) == 0


_SEGMENT = st.integers(min_value=1, max_value=99_999_999).map(lambda n: f"{n:08d}")
_PATH = st.lists(_SEGMENT, min_size=1, max_size=4)


@given(_PATH, st.lists(_SEGMENT, max_size=3), _PATH)
def test_the_subtree_range_holds_the_paths_below_and_no_other(path, below, other):
    """`member_levels` bounds a subtree's paths as a range [path, path_after(path)) besides LIKE: it
    must hold every path under `path` and no path outside it."""
    path, other = "".join(path), "".join(other)
    assert path <= path + "".join(below) < path_after(path)
    inside = other.startswith(path)
    assert (path <= other < path_after(path)) == inside


@given(st.integers(min_value=0, max_value=1_000_000), st.integers(min_value=0, max_value=100))
def test_excellent_allowed_is_the_largest_count_within_the_percent(good_or_better, percent):
    k = excellent_allowed(good_or_better, percent, Rounding.FLOOR)
    assert 100 * k <= percent * good_or_better
    assert 100 * (k + 1) > percent * good_or_better


@given(st.integers(min_value=0, max_value=1_000_000), st.integers(min_value=0, max_value=100))
def test_excellent_allowed_half_up_is_the_nearest_count(good_or_better, percent):
    k = excellent_allowed(good_or_better, percent, Rounding.HALF_UP)
    # k is the nearest whole number to percent·n/100, halves going up.
    assert -50 < 100 * k - percent * good_or_better <= 50


# --- the demo's calibration (DOMAIN §11) ------------------------------------------------------------


@pytest.mark.parametrize("year", DECIDED_YEARS)
def test_demo_member_counts_match_hand_sql(demo, year):
    period = period_of(year)
    app = member_levels(root_version(demo["root"], period), period)
    hand = hand_members(period, demo["root"])
    assert hand.rated > 3500  # the whole demo committee (4.466 members on 30/09/2024)
    assert app_counts(app) == hand.counts
    assert (app.rated, app.good_or_better) == (hand.rated, hand.good_or_better)
    assert (app.exempted, app.undecided) == (hand.exempted, 0)
    assert hand.undecided == 0  # a decided round


@pytest.mark.parametrize("year", DECIDED_YEARS)
def test_demo_members_meet_the_reference(demo, year):
    """> 97% of members good or better, 18–19% excellent (DOMAIN §11)."""
    period = period_of(year)
    app = member_levels(root_version(demo["root"], period), period)
    hand = hand_members(period, demo["root"])
    assert app.good_or_better_share == hand.share(hand.good_or_better)
    assert app.share("excellent") == hand.share(hand.counts["excellent"])
    assert isinstance(app.good_or_better_share, Decimal)
    assert app.good_or_better_share > 97, app.good_or_better_share
    assert 18 <= app.share("excellent") <= 19, app.share("excellent")


@pytest.mark.parametrize("year", DECIDED_YEARS)
def test_demo_grassroots_organisations_meet_the_reference(demo, year):
    """> 95% of TCCS good or better and none failed (DOMAIN §11), by hand SQL and by the app."""
    period = period_of(year)
    app = organisation_levels(root_version(demo["root"], period), period)
    hand = hand_tccs(period, demo["root"])
    tccs = hand_tccs_units(demo["root"], day_of(period))
    assert hand.rated == len(tccs) > 50  # every TCCS of the tree that day is rated, once
    assert app_counts(app) == hand.counts
    assert app.undecided == hand.undecided == 0
    assert hand.counts["failed"] == 0
    assert hand.good_or_better * 100 > 95 * hand.rated
    assert app.good_or_better_share > 95, app.good_or_better_share


@pytest.mark.parametrize("year", DECIDED_YEARS)
def test_demo_holds_the_quota_in_every_grassroots_organisation(demo, year):
    period = period_of(year)
    assert (period.quota_percent, period.quota_rounding) == (20, "floor")
    hand = hand_quotas(period)
    assert len(hand) > 50
    for unit_id, (good_or_better, excellent) in hand.items():
        assert excellent <= good_or_better * 20 // 100, (unit_id, good_or_better, excellent)
    quotas = member_quotas(root_version(demo["root"], period), period)
    assert {q.grassroots.unit_id for q in quotas} == hand_tccs_units(demo["root"], day_of(period))
    for q in quotas:
        good_or_better, excellent = hand.get(q.grassroots.unit_id, (0, 0))
        assert (q.good_or_better, q.excellent) == (good_or_better, excellent), q.grassroots.name
        assert q.allowed == good_or_better * 20 // 100
        assert q.remaining == q.allowed - q.excellent >= 0
        assert not q.broken


def test_demo_2025_round_is_under_way(demo):
    """Scores (Quy định 366), self-assessments written, proposals only in the cells of coso's
    committee other than chibo's, nothing decided."""
    period = period_of(2025)
    assert period.scheme == "score"
    on = day_of(period)
    rows = fetch(
        f"""
        SELECT r.cell_id, v.path, r.exempted, r.self_level, r.self_score, r.proposed_level, r.proposed_score,
               r.decided_level, r.decided_score, r.decided_at
        FROM ratings_memberrating r
        JOIN orgs_unitversion v ON v.unit_id = r.cell_id AND {VALID}
        WHERE r.period_id = %s
        """,
        [on, on, period.pk],
    )
    assert len(rows) > 4000
    coso_path = hand_path(demo["coso"], on)
    proposing_cells, silent_coso_cells = set(), set()
    for cell_id, path, exempted, self_level, self_score, proposed, proposed_score, decided, decided_score, at in rows:
        assert (decided, decided_score, at) == ("", None, None)
        if exempted:
            assert (self_score, proposed) == (None, "")
            continue
        # The self score lies in the band of the self level (thresholds 90 / 70 / 50).
        band = {"excellent": (period.excellent_min, 100), "good": (period.good_min, period.excellent_min - 1),
                "done": (period.done_min, period.good_min - 1), "failed": (0, period.done_min - 1)}  # fmt: skip
        assert self_score is not None and band[self_level][0] <= self_score <= band[self_level][1]
        in_coso = path.startswith(coso_path) and cell_id != demo["chibo"]
        if proposed:
            assert in_coso, cell_id
            assert (proposed, proposed_score) == (self_level, self_score)
            proposing_cells.add(cell_id)
        else:
            assert proposed_score is None
            if in_coso:
                silent_coso_cells.add(cell_id)
    assert proposing_cells and not silent_coso_cells
    assert demo["chibo"] not in proposing_cells
    assert fetch(
        "SELECT COUNT(*) FROM ratings_unitrating WHERE period_id = %s AND decided_level <> ''", [period.pk]
    ) == [(0,)]
    # The figures read the decided level only: everybody rated is still undecided.
    app = member_levels(root_version(demo["root"], period), period)
    hand = hand_members(period, demo["root"])
    assert app.rated == hand.rated == 0
    assert app.undecided == hand.undecided > 4000
    assert app.exempted == hand.exempted


# --- by direct sub-unit -----------------------------------------------------------------------------


@pytest.mark.parametrize("year", [2020, 2022, 2024, 2025])
def test_by_unit_of_the_root_adds_up_to_the_root(demo, year):
    period = period_of(year)
    root = root_version(demo["root"], period)
    total = member_levels(root, period)
    parts = member_levels_by_unit(root, period)
    assert len(parts) > 50
    for level in LEVELS:
        assert sum(levels.counts[level] for _, levels in parts) == total.counts[level], level
    assert sum(levels.undecided for _, levels in parts) == total.undecided
    assert sum(levels.exempted for _, levels in parts) == total.exempted
    # Direct sub-units only, in Vietnamese alphabetical order.
    assert all(unit.parent_id == demo["root"] for unit, _ in parts)
    names = [unit.name for unit, _ in parts]
    assert names == sorted(names, key=vn.text_sort_key)


@pytest.mark.parametrize("year", DECIDED_YEARS + [2025])
def test_by_unit_of_coso_matches_hand_sql(demo, year):
    period = period_of(year)
    parts = member_levels_by_unit(root_version(demo["coso"], period), period)
    hand = hand_by_child(period, demo["coso"])
    expected = {unit_id: h for unit_id, h in hand.items() if h.rated or h.undecided}
    assert len(expected) > 3
    assert {unit.unit_id for unit, _ in parts} == set(expected)
    for unit, levels in parts:
        h = expected[unit.unit_id]
        assert app_counts(levels) == h.counts, unit.name
        assert (levels.exempted, levels.undecided) == (h.exempted, h.undecided), unit.name
    # Nothing rated at coso's committee itself: the sub-units hold all its members.
    assert hand_members_of_cell(period, demo["coso"]).rated == 0


def test_by_unit_of_a_cell_is_empty(demo):
    period = period_of(2023)
    assert member_levels_by_unit(root_version(demo["chibo"], period), period) == []


# --- the results page -------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["khoi", "coso", "chibo", "xem"])
def test_every_role_reads_the_results(as_user, username):
    html = get_page(as_user(username), nam=2023)
    assert "năm 2023" in heading(html)
    assert not alerts(html)


def test_anonymous_users_are_sent_to_login(client, demo):
    response = client.get(RESULTS, {"nam": 2023})
    assert response.status_code == 302 and response.url.startswith("/dang-nhap/")
    response = client.get(RESULTS, {"nam": 2023, "xlsx": 1})
    assert response.status_code == 302 and response.url.startswith("/dang-nhap/")


@pytest.mark.parametrize("username", ["khoi", "xem"])
def test_page_of_the_whole_committee_matches_hand_sql(as_user, demo, username):
    period = period_of(2023)
    hand = hand_members(period, demo["root"])
    html = get_page(as_user(username), nam=2023)
    table = member_table(html)
    assert table == expected_member_table(hand) | {"Mức xếp loại": ["Số đảng viên", "Tỷ lệ"]}
    count, share = table[GOOD_OR_BETTER_LABEL]
    assert re.fullmatch(r"\d\.\d{3}", count), count  # e.g. 4.399: a dot groups thousands
    assert re.fullmatch(r"9[78](,\d{1,2})?%", share), share  # e.g. 97,85%: a decimal comma
    organisations = organisation_table(html)
    tccs = hand_tccs(period, demo["root"])
    for level in LEVELS:
        assert organisations[LABELS[level]][0] == vn.format_number(tccs.counts[level]), level
    assert organisations[GOOD_OR_BETTER_LABEL] == [
        vn.format_number(tccs.good_or_better), vn.format_percent(tccs.share(tccs.good_or_better))
    ]  # fmt: skip


def test_coso_sees_the_figures_of_his_committee_only(as_user, demo):
    period = period_of(2023)
    hand = hand_members(period, demo["coso"])
    whole = hand_members(period, demo["root"])
    assert 0 < hand.rated < whole.rated
    table = member_table(get_page(as_user("coso"), nam=2023))
    assert table == expected_member_table(hand) | {"Mức xếp loại": ["Số đảng viên", "Tỷ lệ"]}
    assert table[GOOD_OR_BETTER_LABEL][0] != vn.format_number(whole.good_or_better)


def test_chibo_sees_the_figures_of_his_cell_only(as_user, demo):
    period = period_of(2023)
    hand = hand_members_of_cell(period, demo["chibo"])
    assert 0 < hand.rated < hand_members(period, demo["coso"]).rated
    html = get_page(as_user("chibo"), nam=2023)
    assert member_table(html) == expected_member_table(hand) | {"Mức xếp loại": ["Số đảng viên", "Tỷ lệ"]}
    assert TableReader(html, "by-unit").rows[1:] == []  # a cell has no sub-units
    assert TableReader(html, "quotas").rows[1:] == []


@pytest.mark.parametrize("asked", ["abc", "1999", "-5", "２０２３"])
def test_an_unknown_year_falls_back_to_the_latest_decided_year(as_user, demo, asked):
    latest = fetch(
        """
        SELECT MAX(p.year) FROM ratings_ratingperiod p
        WHERE p.kind = 'year' AND EXISTS (
            SELECT 1 FROM ratings_memberrating r WHERE r.period_id = p.id AND r.decided_level <> '')
        """,
        [],
    )[0][0]
    assert latest == LATEST_DECIDED
    html = get_page(as_user("khoi"), nam=asked)
    [message] = alerts(html)
    assert is_vietnamese(message) and asked in message and str(latest) in message, message
    assert "năm 2024" in heading(html)
    assert member_table(html) == expected_member_table(hand_members(period_of(latest), demo["root"])) | {
        "Mức xếp loại": ["Số đảng viên", "Tỷ lệ"]
    }


def test_without_a_year_the_page_shows_the_latest_decided_year(as_user):
    html = get_page(as_user("coso"))
    assert "năm 2024" in heading(html)
    assert not alerts(html)


def test_the_2025_round_is_shown_as_under_way(as_user, demo):
    period = period_of(2025)
    hand = hand_members(period, demo["root"])
    html = get_page(as_user("khoi"), nam=2025)
    assert f"{vn.format_number(hand.undecided)} đảng viên chưa có kết quả xếp loại" in html
    table = member_table(html)
    assert table[GOOD_OR_BETTER_LABEL] == ["0", "—"]


def read_workbook(content: bytes):
    book = openpyxl.load_workbook(io.BytesIO(content))
    return book.active, list(book.active.iter_rows(values_only=True))


def section_row(rows, title: str) -> tuple:
    """The first row under the section titled `title` in column A."""
    at = next(i for i, row in enumerate(rows) if row[0] == title)
    return rows[at + 1]


@pytest.mark.parametrize("username, unit_key", [("khoi", "root"), ("coso", "coso")])
def test_excel_totals_match_hand_sql(as_user, demo, username, unit_key):
    period = period_of(2023)
    response = as_user(username).get(RESULTS, {"nam": 2023, "xlsx": 1})
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_TYPE
    sheet, rows = read_workbook(response.content)
    assert sheet.title == "Xếp loại 2023"
    name = fetch(f"SELECT v.name FROM orgs_unitversion v WHERE v.unit_id = %s AND {VALID}",
                 [demo[unit_key], period.ends_on, period.ends_on])[0][0]  # fmt: skip
    assert rows[0][0] == name
    assert "2023" in rows[1][0] and "XẾP LOẠI CHẤT LƯỢNG" in rows[1][0]
    header = rows[4]
    assert header[0] == "Đơn vị" and [header[i] for i in (1, 3, 5, 7, 9)] == [*LABELS.values(), GOOD_OR_BETTER_LABEL]
    hand = hand_members(period, demo[unit_key])
    totals = section_row(rows, "Tổng số đảng viên")
    assert totals[0] == name
    assert [totals[i] for i in (1, 3, 5, 7)] == [hand.counts[level] for level in LEVELS]
    assert (totals[9], totals[11]) == (hand.good_or_better, hand.exempted)
    for i, count in zip((2, 4, 6, 8, 10), [*hand.counts.values(), hand.good_or_better]):
        assert totals[i] == pytest.approx(float(round(hand.share(count), 2))), i
    tccs = hand_tccs(period, demo[unit_key])
    organisations = section_row(rows, "Tổ chức cơ sở đảng")
    assert [organisations[i] for i in (1, 3, 5, 7, 9)] == [*tccs.counts.values(), tccs.good_or_better]


def test_query_count_does_not_grow_with_the_subtree(as_user):
    counts = {}
    for username in ("khoi", "coso", "chibo"):
        client = as_user(username)
        get_page(client, nam=2023)  # warm the session
        with CaptureQueriesContext(connection) as queries:
            get_page(client, nam=2023)
        counts[username] = len(queries)
    # Seen: khoi and coso equal; chibo one fewer (his subtree holds no grassroots organisation, so
    # the quota query is skipped). The count is fixed, whatever the subtree's size.
    assert counts["khoi"] == counts["coso"], counts
    assert 0 <= counts["khoi"] - counts["chibo"] <= 1, counts
    assert counts["khoi"] <= 40, counts


def test_a_year_typed_in_the_address_is_escaped(as_user):
    html = get_page(as_user("khoi"), nam="<b>2023</b>")
    [message] = alerts(html)
    assert "&lt;b&gt;2023&lt;/b&gt;" in message and "<b>" not in message


# --- by direct sub-unit, on the page and in the workbook ------------------------------------------


def hand_names(unit_ids, on: datetime.date) -> dict[int, str]:
    ids = list(unit_ids)
    marks = ", ".join(["%s"] * len(ids))
    rows = fetch(f"SELECT v.unit_id, v.name FROM orgs_unitversion v WHERE {VALID} AND v.unit_id IN ({marks})",
                 [on, on, *ids])  # fmt: skip
    return dict(rows)


def hand_unit_rows(period: RatingPeriod, unit_id: int) -> list[tuple[str, Hand]]:
    """(name, levels) of the direct sub-units holding rated members, in Vietnamese name order."""
    by_child = {u: h for u, h in hand_by_child(period, unit_id).items() if h.rated or h.undecided}
    names = hand_names(by_child, day_of(period))
    return sorted(((names[u], h) for u, h in by_child.items()), key=lambda row: vn.text_sort_key(row[0]))


def exact_share(count: int, rated: int) -> Decimal:
    return Decimal(count) * 100 / Decimal(rated)


def two_decimals(share: Decimal) -> float:
    """A share rounded to two decimals, halves going up, as the page shows it (DOMAIN §10:
    81,625 -> 81,63%)."""
    return float(share.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


@pytest.mark.parametrize("username, unit_key", [("khoi", "root"), ("coso", "coso")])
def test_page_by_unit_matches_hand_sql(as_user, demo, username, unit_key):
    period = period_of(2020)
    expected = []
    for name, h in hand_unit_rows(period, demo[unit_key]):
        counts = [h.counts[level] for level in LEVELS]
        cells = [f"{vn.format_number(count)} {vn.format_percent(h.share(count))}" for count in counts]
        expected.append([name, *cells, vn.format_percent(h.share(h.good_or_better)), vn.format_number(h.exempted)])
    rows = TableReader(get_page(as_user(username), nam=2020), "by-unit").rows
    assert rows[1:] == expected


def excel_unit_rows(client, year: int) -> list[tuple]:
    """The rows by unit of the workbook: between the header and the first section title."""
    _, rows = read_workbook(client.get(RESULTS, {"nam": year, "xlsx": 1}).content)
    end = next(i for i, row in enumerate(rows) if row[0] == "Tổng số đảng viên")
    return rows[5:end]


def test_excel_by_unit_counts_match_hand_sql(as_user, demo):
    period = period_of(2020)
    hand = hand_unit_rows(period, demo["root"])
    rows = excel_unit_rows(as_user("khoi"), 2020)
    assert [row[0] for row in rows] == [name for name, _ in hand]
    for row, (name, h) in zip(rows, hand):
        assert [row[i] for i in (1, 3, 5, 7, 9, 11)] == [*h.counts.values(), h.good_or_better, h.exempted], name
    # The demo holds shares that end in a half at the third decimal (50 of 64 = 78,125%): the
    # rounding of the workbook's shares is tested below on them.
    assert any(
        (c * 100_000) % h.rated == 0 and (c * 10_000) % h.rated != 0
        for _, h in hand for c in [*h.counts.values(), h.good_or_better]
    )  # fmt: skip


def test_excel_shares_are_rounded_as_on_the_page(as_user, demo):
    period = period_of(2020)
    hand = hand_unit_rows(period, demo["root"])
    rows = excel_unit_rows(as_user("khoi"), 2020)
    for row, (name, h) in zip(rows, hand):
        counts = [*h.counts.values(), h.good_or_better]
        shares = [row[i] for i in (2, 4, 6, 8, 10)]
        assert shares == [two_decimals(exact_share(c, h.rated)) for c in counts], name


# --- a round under way, and a unit younger than the latest round --------------------------------


@pytest.fixture
def actor(db):
    return User.objects.create(username="kiemthu_xeploai")


def test_a_running_round_is_read_on_todays_tree(as_user, demo, actor):
    """While a round runs, its cells are placed by today's tree, and so is the user's own unit: a
    move recorded today with a later effective date changes nothing yet."""
    today = timezone.localdate()
    period = RatingPeriod.objects.create(
        name="Đợt kiểm thử đang diễn ra", kind="year", year=2099, starts_on=today - datetime.timedelta(days=300),
        ends_on=today + datetime.timedelta(days=30), scheme="score",
    )  # fmt: skip
    members = [row[0] for row in fetch(
        "SELECT member_id FROM ratings_memberrating WHERE period_id = %s AND cell_id = %s AND exempted = %s",
        [period_of(2024).pk, demo["chibo"], False])]  # fmt: skip
    assert members
    MemberRating.unscoped.bulk_create(
        MemberRating(period=period, member_id=m, cell_id=demo["chibo"], grassroots_id=demo["coso"], self_level="good")
        for m in members
    )
    refresh_level_tallies([period])  # written in bulk, as opening a round does
    other = fetch(
        "SELECT unit_id FROM orgs_unitversion WHERE kind = 'grassroots_committee' AND valid_to IS NULL "
        "AND unit_id <> %s ORDER BY unit_id",
        [demo["coso"]],
    )[0][0]
    # Decided today, effective in ten days: chibo's cell moves to another grassroots committee.
    change_unit(actor, Unit.objects.get(pk=demo["chibo"]), on=today + datetime.timedelta(days=10),
                parent=Unit.objects.get(pk=other))  # fmt: skip
    for username in ("chibo", "coso"):
        html = get_page(as_user(username), nam=2099)
        assert f"{vn.format_number(len(members))} đảng viên chưa có kết quả xếp loại" in html, username
    parts = dict(
        (unit.unit_id, levels) for unit, levels in member_levels_by_unit(root_version(demo["coso"], period), period)
    )
    assert parts[demo["chibo"]].undecided == len(members)


def test_a_committee_founded_after_the_latest_decided_round_can_open_the_page(client, demo):
    [(unit_id,)] = fetch(
        "SELECT unit_id FROM orgs_unitversion WHERE name = %s AND valid_to IS NULL",
        ["Đảng bộ Sở Ngoại vụ và Hợp tác quốc tế"],  # founded 01/03/2025 in the demo
    )
    user = User(username="ngoaivu", role=Role.GRASSROOTS_STAFF, unit_id=unit_id)
    user.set_password("demo")
    user.save()
    assert client.login(username="ngoaivu", password="demo")
    response = client.get(RESULTS)
    assert response.status_code == 200


# --- organisations by sub-unit --------------------------------------------------------------------


@pytest.mark.parametrize("who", ["root", "coso"])
@pytest.mark.parametrize("year", [2023, 2025])
def test_organisations_by_sub_unit_match_a_hand_count(demo, who, year):
    from dangbo.ratings.figures import organisation_levels_by_unit

    period = period_of(year)
    on = day_of(period)
    path = hand_path(demo[who], on)
    width = len(path) + PATH_WIDTH
    rows = fetch(
        f"""
        SELECT substr(v.path, 1, {width}), r.decided_level, COUNT(*) FROM ratings_unitrating r
        JOIN orgs_unitversion v ON v.unit_id = r.unit_id AND {VALID}
        WHERE r.period_id = %s AND v.path LIKE %s || '%%' AND length(v.path) >= {width}
        GROUP BY substr(v.path, 1, {width}), r.decided_level
        """,
        [on, on, period.pk, path],
    )
    expected: dict[str, dict[str, int]] = {}
    for child_path, level, n in rows:
        expected.setdefault(child_path, {})[level or "undecided"] = n
    got = {}
    for child, levels in organisation_levels_by_unit(root_version(demo[who], period), period):
        counts = {level: n for level, n in levels.counts.items() if n}
        if levels.undecided:
            counts["undecided"] = levels.undecided
        got[child.path] = counts
    assert got == expected
    assert got  # the demo rates organisations in both subtrees
    if year == 2025:
        assert all(set(counts) <= {"undecided"} for counts in got.values())  # the round under way


def test_the_results_page_lists_organisations_by_sub_unit(as_user, demo):
    html = get_page(as_user("khoi"), nam=2023)
    assert 'id="organisations-by-unit"' in html
    coso = UnitVersion.objects.on(day_of(period_of(2023))).get(unit_id=demo["coso"])
    table = html[html.index('id="organisations-by-unit"') :]
    assert coso.name in table[: table.index("</table>")]
