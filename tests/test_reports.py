"""Periodic reports (dangbo.reports): the periods and their words, the statistics against the pages
and the records they come from, the committee's report drafted from its figures and its units'
words, the flow of a report through the actions (opened, saved, sent, returned, accepted) with its
steps and audit, the numbering per kind of document within the congress term, the board of who
reported on time, the Word and Excel documents, and the export_report command.

Expected figures are counted by hand-written SQL over the tables (members' stints, unit versions,
admission events, reports), or read off the page they come from, never by the code under test.
"""

from __future__ import annotations

import datetime
import io
import json
import re
import shutil
import subprocess
import unicodedata
import zoneinfo
from decimal import Decimal

import lxml.html
import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone
from docx import Document
from docx.shared import Cm

from dangbo.accounts.models import User
from dangbo.audit.models import AuditEntry
from dangbo.lib import vn
from dangbo.members.actions import admit
from dangbo.orgs.models import Term, Unit, UnitVersion
from dangbo.overview.overview import build_overview
from dangbo.reports import actions, board, documents, periods
from dangbo.reports.models import PeriodKind, Report, ReportType, Status, Step
from dangbo.targets.indicators import REGISTRY
from tests.helpers import hand_member_counts, is_vietnamese

D = datetime.date
REF = D(2024, 9, 30)
LOCAL = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
GRASSROOTS = ("grassroots_committee", "grassroots_cell")
ROOT_TERM = (D(2020, 10, 15), "2020–2025")  # written out (DOMAIN §11), checked against the table below
# The sections of the monthly report, in order (migration 0002), written out here.
MONTHLY_TITLES = [
    "Tình hình tư tưởng của cán bộ, đảng viên",
    "Kết quả thực hiện nhiệm vụ",
    "Số liệu tổ chức đảng, đảng viên",
    "Công tác phát triển đảng viên",
    "Sinh hoạt chi bộ",
    "Thực hiện nhiệm vụ được giao",
    "Tình hình báo cáo của các tổ chức đảng trực thuộc",
    "Hạn chế, nguyên nhân",
    "Phương hướng, nhiệm vụ thời gian tới",
    "Kiến nghị, đề xuất",
]
ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"]
PERSON = dict(middle_name="Văn", sex="M", birth_date=D(1990, 5, 17), theory_level="so_cap")


# --- hand-written SQL --------------------------------------------------------------------------------


def fetch(sql: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return cursor.fetchall()


def as_date(value) -> datetime.date:
    return datetime.date.fromisoformat(value) if isinstance(value, str) else value


def hand_path(unit_id: int, on: datetime.date) -> str:
    rows = fetch(
        "SELECT path FROM orgs_unitversion WHERE unit_id = %s AND valid_from <= %s "
        "AND (valid_to IS NULL OR valid_to > %s)",
        [unit_id, on, on],
    )
    assert len(rows) == 1, rows
    return rows[0][0]


def hand_members(unit_id: int, on: datetime.date) -> dict[str, int]:
    """Members with an official stint on `on` in a unit under the unit's path, by sex and status."""
    counts = hand_member_counts(hand_path(unit_id, on), on)
    return {"members": counts["total"], **{k: counts[k] for k in ("official", "probationary", "female")}}


def hand_units(unit_id: int, on: datetime.date) -> dict[str, int]:
    """The units under the unit (itself excepted) on `on`, by kind."""
    path = hand_path(unit_id, on)
    rows = fetch(
        """SELECT kind, COUNT(*) FROM orgs_unitversion
           WHERE valid_from <= %s AND (valid_to IS NULL OR valid_to > %s) AND path LIKE %s AND path <> %s
           GROUP BY kind""",
        [on, on, path + "%", path],
    )
    return dict(rows)


def hand_admissions(unit_id: int, start: datetime.date, end: datetime.date) -> int:
    """Admission events (not cancelled) effective in [start, end] into a cell lying, on the day of the
    event, under the unit's path of that day."""
    return fetch(
        """
        SELECT COUNT(*) FROM members_event e
        JOIN orgs_unitversion c ON c.unit_id = e.unit_id AND c.valid_from <= e.effective_on
             AND (c.valid_to IS NULL OR c.valid_to > e.effective_on)
        JOIN orgs_unitversion r ON r.unit_id = %s AND r.valid_from <= e.effective_on
             AND (r.valid_to IS NULL OR r.valid_to > e.effective_on)
        WHERE e.kind = 'admission' AND e.cancelled_at IS NULL
          AND e.effective_on >= %s AND e.effective_on <= %s
          AND substr(c.path, 1, length(r.path)) = r.path
        """,
        [unit_id, start, end],
    )[0][0]


def hand_term(committee_id: int, on: datetime.date) -> tuple[int, str, datetime.date]:
    """The committee's term running on `on` (a term without an end runs five years)."""
    rows = fetch("SELECT id, name, starts_on, ends_on FROM orgs_term WHERE committee_id = %s", [committee_id])
    running = []
    for pk, name, starts_on, ends_on in rows:
        starts_on = as_date(starts_on)
        ends_on = as_date(ends_on) if ends_on else starts_on.replace(year=starts_on.year + 5)
        if starts_on <= on < ends_on:
            running.append((pk, name, starts_on))
    assert len(running) == 1, rows
    return running[0]


def hand_target(committee_id: int, term_id: int, indicator: str) -> tuple[int, Decimal]:
    rows = fetch(
        """SELECT g.id, g.target_value FROM targets_target g JOIN targets_resolution r ON r.id = g.resolution_id
           WHERE r.term_id = %s AND g.indicator = %s""",
        [term_id, indicator],
    )
    assert len(rows) == 1, (committee_id, rows)
    return rows[0][0], Decimal(str(rows[0][1]))


def hand_children(unit_id: int, on: datetime.date, kinds=GRASSROOTS) -> dict[int, str]:
    rows = fetch(
        f"""SELECT unit_id, name, kind FROM orgs_unitversion
            WHERE parent_id = %s AND valid_from <= %s AND (valid_to IS NULL OR valid_to > %s)
              AND kind IN ({", ".join(["%s"] * len(kinds))})""",
        [unit_id, on, on, *kinds],
    )
    return {pk: name for pk, name, _ in rows}


def hand_type_id(code: str) -> int:
    return fetch("SELECT id FROM reports_reporttype WHERE code = %s", [code])[0][0]


def as_json(value):
    return json.loads(value) if isinstance(value, str) else value


def hand_received(to_unit: int, code: str, period: str) -> list[tuple[int, str, dict]]:
    """(unit, status, texts) of the reports of a type and period sent to a unit."""
    rows = fetch(
        "SELECT unit_id, status, texts FROM reports_report "
        "WHERE to_unit_id = %s AND report_type_id = %s AND period = %s",
        [to_unit, hand_type_id(code), period],
    )
    return [(unit, status, as_json(texts)) for unit, status, texts in rows]


def hand_numbered() -> list[tuple]:
    return fetch("SELECT id, unit_id, symbol, term_id, issued_on, number FROM reports_report WHERE number IS NOT NULL")


# --- helpers -----------------------------------------------------------------------------------------


def at(day: datetime.date, hour: int = 9, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=LOCAL)


def user(name: str) -> User:
    return User.objects.get(username=name)


def monthly() -> ReportType:
    return ReportType.objects.get(code="thang")


def root_report(demo, period: str = "2024-09", code: str = "thang") -> Report:
    return Report.objects.get(unit_id=demo["root"], report_type__code=code, period=period)


def live(report: Report) -> dict:
    """The statistics the records give today for the report's unit and period (a copy never sent)."""
    copy = Report(report_type=report.report_type, unit_id=report.unit_id, to_unit_id=report.to_unit_id,
                  period=report.period, starts_on=report.starts_on, ends_on=report.ends_on)  # fmt: skip
    return actions.statistics_of(copy).as_json()


def audit_of(report: Report) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(target_type="reports.report", target_id=str(report.pk)).order_by("pk"))


def state(report: Report) -> dict:
    """The report's row as stored, with its steps and audit entries."""
    row = Report.objects.filter(pk=report.pk).values().get()
    row.pop("updated_at")
    return {"row": row, "steps": Step.objects.filter(report=report).count(), "audit": len(audit_of(report))}


def refused(call, match: str | None = None) -> str:
    with pytest.raises(ValidationError) as info:
        call()
    message = " ".join(info.value.messages)
    assert is_vietnamese(message), message
    if match:
        assert match in message, message
    return message


def docx_text(content: bytes) -> str:
    document = Document(io.BytesIO(content))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts += [cell.text for cell in row.cells]
    return "\n".join(parts)


def xlsx_rows(content: bytes) -> list[tuple]:
    book = openpyxl.load_workbook(io.BytesIO(content))
    return [row for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)]


def unnumbered_cells(demo, days, count: int) -> list[int]:
    """Grassroots cells under the root on each of `days` with no term recorded, by id."""
    with_terms = {row[0] for row in fetch("SELECT DISTINCT committee_id FROM orgs_term")}
    cells = set.intersection(*(set(hand_children(demo["root"], day, ("grassroots_cell",))) for day in days))
    cells = sorted(cells - with_terms)
    assert len(cells) >= count
    return cells[:count]


# --- 1. periods --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind, key, starts_on, ends_on, phrase, label",
    [
        ("month", "2024-09", D(2024, 9, 1), D(2024, 9, 30), "tháng 9 năm 2024", "09/2024"),
        ("month", "2024-02", D(2024, 2, 1), D(2024, 2, 29), "tháng 2 năm 2024", "02/2024"),
        ("month", "2023-12", D(2023, 12, 1), D(2023, 12, 31), "tháng 12 năm 2023", "12/2023"),
        ("quarter", "2024-Q1", D(2024, 1, 1), D(2024, 3, 31), "quý I năm 2024", "Quý I/2024"),
        ("quarter", "2024-Q2", D(2024, 4, 1), D(2024, 6, 30), "quý II và 6 tháng năm 2024", "Quý II/2024"),
        ("quarter", "2024-Q3", D(2024, 7, 1), D(2024, 9, 30), "quý III và 9 tháng năm 2024", "Quý III/2024"),
        ("quarter", "2024-Q4", D(2024, 10, 1), D(2024, 12, 31), "quý IV năm 2024", "Quý IV/2024"),
        ("half", "2024-H1", D(2024, 1, 1), D(2024, 6, 30), "6 tháng đầu năm 2024", "6 tháng đầu năm 2024"),
        ("half", "2024-H2", D(2024, 7, 1), D(2024, 12, 31), "6 tháng cuối năm 2024", "6 tháng cuối năm 2024"),
        ("year", "2024", D(2024, 1, 1), D(2024, 12, 31), "năm 2024", "Năm 2024"),
    ],
)
def test_a_period_knows_its_days_and_words(kind, key, starts_on, ends_on, phrase, label):
    period = periods.parse(kind, key)
    assert period is not None
    assert (period.kind, period.key, period.starts_on, period.ends_on) == (kind, key, starts_on, ends_on)
    assert period.phrase == phrase
    assert period.label == label
    assert periods.containing(kind, starts_on) == period
    assert periods.containing(kind, ends_on) == period
    assert periods.containing(kind, starts_on + (ends_on - starts_on) // 2) == period
    assert periods.parse(kind, key.lower()) == period  # 2024-q3 reads as 2024-Q3
    assert periods.parse(kind, f"  {key} ") == period


@pytest.mark.parametrize(
    "kind, key",
    [
        ("month", "2024-13"), ("month", "2024-00"), ("month", "2024-9"), ("month", "2024"), ("month", "abc"),
        ("month", ""), ("month", None), ("month", "2024-Q3"),
        ("quarter", "2024-Q5"), ("quarter", "2024-Q0"), ("quarter", "2024-09"), ("quarter", "abc"),
        ("half", "2024-H3"), ("half", "2024-H0"), ("half", "2024-Q1"), ("half", "abc"),
        ("year", "abc"), ("year", "24"), ("year", "2024-01"), ("year", "0999"),
        ("ad_hoc", "2024"), ("nonsense", "2024-09"),
    ],
)  # fmt: skip
def test_a_key_not_of_its_kind_is_none(kind, key):
    assert periods.parse(kind, key) is None


@pytest.mark.parametrize(
    "kind, key, due_day, due_on",
    [
        ("month", "2024-09", 5, D(2024, 10, 5)),
        ("month", "2024-12", 5, D(2025, 1, 5)),
        ("month", "2024-01", 28, D(2024, 2, 28)),
        ("quarter", "2024-Q3", 10, D(2024, 10, 10)),
        ("quarter", "2024-Q4", 10, D(2025, 1, 10)),
        ("half", "2024-H1", 10, D(2024, 7, 10)),
        ("half", "2024-H2", 10, D(2025, 1, 10)),
        ("year", "2024", 15, D(2025, 1, 15)),
    ],
)
def test_due_on_is_the_day_of_the_month_after_the_period(kind, key, due_day, due_on):
    assert periods.parse(kind, key).due_on(due_day) == due_on


def test_recent_periods_are_those_ended_newest_first():
    keys = lambda found: [p.key for p in found]  # noqa: E731
    assert keys(periods.recent("month", D(2024, 10, 15), 3)) == ["2024-09", "2024-08", "2024-07"]
    assert keys(periods.recent("month", D(2024, 2, 10), 3)) == ["2024-01", "2023-12", "2023-11"]
    assert keys(periods.recent("quarter", D(2024, 2, 10), 2)) == ["2023-Q4", "2023-Q3"]
    assert keys(periods.recent("quarter", D(2024, 11, 30), 1)) == ["2024-Q3"]
    assert keys(periods.recent("half", D(2024, 9, 30), 3)) == ["2024-H1", "2023-H2", "2023-H1"]
    assert keys(periods.recent("year", D(2024, 9, 30), 2)) == ["2023", "2022"]
    assert periods.recent("month", D(2024, 10, 15), 0) == []


def test_the_next_period_follows_on():
    assert periods.parse("month", "2024-12").next().key == "2025-01"
    assert periods.parse("quarter", "2024-Q4").next().key == "2025-Q1"
    assert periods.parse("half", "2024-H1").next().key == "2024-H2"
    assert periods.parse("year", "2024").next().key == "2025"


# --- 2. the figures equal their sources --------------------------------------------------------------


def chi_tieu_row(client, target_id: int) -> list[str]:
    """The cells of a target's row on /chi-tieu/ of 30/09/2024."""
    html = client.get(f"/chi-tieu/?date={REF:%Y-%m-%d}").content.decode()
    rows = lxml.html.fromstring(html).xpath(f'//tr[@id="target-{target_id}"]')
    assert len(rows) == 1
    return [" ".join(" ".join(td.itertext()).split()) for td in rows[0].xpath("./td")]


def test_the_roots_organisation_figures_equal_the_overview_and_the_records(demo):
    report = root_report(demo)
    assert report.statistics is not None  # completed: read as frozen
    for statistics in (actions.statistics_of(report).as_json(), live(report)):
        facts = statistics["facts"]["organisation"]
        total = build_overview(UnitVersion.objects.on(REF).get(unit_id=demo["root"]), REF).total
        assert facts["grassroots"] == total.grassroots == 62
        assert facts["grassroots_committees"] == total.grassroots_committees
        assert facts["grassroots_cells"] == total.grassroots_cells
        assert facts["attached_cells"] == total.attached_cells == 442
        assert facts["sub_committees"] == total.sub_committees == 10
        assert facts["members"] == total.members["total"] == 4466
        units = hand_units(demo["root"], REF)
        assert facts["grassroots_committees"] == units["grassroots_committee"]
        assert facts["grassroots_cells"] == units["grassroots_cell"]
        assert facts["attached_cells"] == units["attached_cell"]
        assert facts["sub_committees"] == units["sub_committee"]
        assert {k: facts[k] for k in ("members", "official", "probationary", "female")} == hand_members(
            demo["root"], REF
        )
        rows = dict(statistics["blocks"]["organisation"]["rows"])
        assert rows["Tổ chức cơ sở đảng trực thuộc"] == "62"
        assert rows["Chi bộ trực thuộc đảng bộ cơ sở"] == "442"
        assert rows["Đảng bộ bộ phận"] == "10"
        assert rows["Tổng số đảng viên"] == "4.466"


def test_the_roots_admissions_equal_the_targets_page_and_the_events(demo, as_user):
    report = root_report(demo)
    term_id, term_name, term_start = hand_term(demo["root"], REF)
    assert (term_start, term_name) == ROOT_TERM
    target_id, target_value = hand_target(demo["root"], term_id, "admissions")
    cells = chi_tieu_row(as_user("khoi"), target_id)
    for statistics in (actions.statistics_of(report).as_json(), live(report)):
        facts = statistics["facts"]["admissions"]
        assert facts["since_term"] == hand_admissions(demo["root"], term_start, REF) == 653
        assert facts["in_period"] == hand_admissions(demo["root"], D(2024, 9, 1), REF)
        assert facts["in_year"] == hand_admissions(demo["root"], D(2024, 1, 1), REF)
        assert facts["term"] == term_name
        assert facts["target"] == vn.format_number(target_value) == "800"
        assert facts["percent"] == vn.format_percent(Decimal(653) * 100 / target_value) == "81,63%"
        # The same values as /chi-tieu/ shows on that day.
        assert cells[3] == vn.format_number(facts["since_term"])
        assert cells[4] == f"đạt {facts['percent']} so với chỉ tiêu"
        rows = dict(statistics["blocks"]["admissions"]["rows"])
        assert rows[f"Kết nạp từ đầu nhiệm kỳ {term_name}"] == "653"
        assert rows["So với chỉ tiêu Nghị quyết"] == "800 đảng viên; đạt 81,63%"


def test_the_meetings_share_equals_the_meetings_indicator(demo):
    for who in ("root", "coso"):
        report = Report(report_type=monthly(), unit_id=demo[who], period="2024-09", starts_on=D(2024, 9, 1),
                        ends_on=REF)  # fmt: skip
        facts = actions.statistics_of(report).facts["meetings"]
        value = REGISTRY["meetings"].compute(demo[who], D(2024, 9, 1), REF)
        assert value.denominator, who
        assert (facts["complying"], facts["cells"]) == (value.numerator, value.denominator)
        assert facts["percent"] == vn.format_percent(value.value)


def test_a_grassroots_committees_figures_equal_their_sources(demo, as_user):
    coso = demo["coso"]
    report = Report.objects.get(unit_id=coso, report_type__code="thang", period="2024-09")
    assert report.status == Status.ACCEPTED and report.statistics is None  # the demo's: read from the records
    statistics = actions.statistics_of(report)
    facts = statistics.facts["organisation"]
    total = build_overview(UnitVersion.objects.on(REF).get(unit_id=coso), REF).total
    units = hand_units(coso, REF)
    assert facts["grassroots"] == total.grassroots == 0
    assert facts["sub_committees"] == total.sub_committees == units.get("sub_committee", 0)
    assert facts["attached_cells"] == total.attached_cells == units.get("attached_cell", 0) > 0
    assert {k: facts[k] for k in ("members", "official", "probationary", "female")} == hand_members(coso, REF)
    assert facts["members"] == total.members["total"]
    labels = [label for label, _ in statistics.blocks["organisation"]["rows"]]
    assert "Tổ chức cơ sở đảng trực thuộc" not in labels  # only the superior counts TCCS
    # Admissions since the start of coso's own term, against its own resolution.
    term_id, term_name, term_start = hand_term(coso, REF)
    target_id, target_value = hand_target(coso, term_id, "admissions")
    admissions = statistics.facts["admissions"]
    admitted = hand_admissions(coso, term_start, REF)
    assert admissions["since_term"] == admitted and admissions["term"] == term_name
    assert admissions["in_period"] == hand_admissions(coso, D(2024, 9, 1), REF)
    assert admissions["percent"] == vn.format_percent(Decimal(admitted) * 100 / target_value)
    cells = chi_tieu_row(as_user("coso"), target_id)
    assert cells[3] == vn.format_number(admitted)
    assert cells[4] == f"đạt {admissions['percent']} so với chỉ tiêu"
    # Nobody reports to coso: no submissions block.
    assert "submissions" not in statistics.blocks


# --- 3. the committee's report: drafted and gathered -------------------------------------------------


def test_the_roots_drafted_text_is_written_from_its_figures(demo):
    text = root_report(demo).texts["ket-qua"]
    for words in ("62 tổ chức cơ sở đảng", "442 chi bộ", "10 đảng bộ bộ phận", "4.466 đảng viên", "653",
                  "81,63%", "Trong tháng 9 năm 2024", "Đảng bộ Khối các cơ quan thành phố"):  # fmt: skip
        assert words in text, words
    # Who had reported by the day it was written (07/10/2024): the late ones sent later are not yet.
    known = list(hand_board(demo, "2024-09", D(2024, 10, 5), D(2024, 10, 7)).values())
    late, unsent = known.count("late"), known.count("missing") + known.count("waiting")
    assert (known.count("on_time"), late + unsent) == (56, 6)
    expected = (
        f"Có 56/62 đơn vị gửi báo cáo đúng hạn{f', {late} đơn vị gửi muộn' if late else ''}, {unsent} đơn vị chưa gửi."
    )
    assert expected in text
    assert len(text.splitlines()) >= 4  # a paragraph per block
    # The same draft today: the figures have not moved.
    report = root_report(demo)
    assert actions.drafted_texts(report, actions.statistics_of(report))["ket-qua"] == text


def expected_gathered(demo, period: str, key: str) -> list[str]:
    """The lines "- <unit name>: <text>" of the reports sent (submitted or accepted) to the root."""
    names = hand_children(demo["root"], periods.parse("month", period).ends_on)
    lines = [(names[unit], texts.get(key, "").strip()) for unit, status, texts in hand_received(demo["root"], "thang",
             period) if status in ("submitted", "accepted")]  # fmt: skip
    return [f"- {name}: {text}" for name, text in sorted(lines, key=lambda x: vn.text_sort_key(x[0])) if text]


@pytest.mark.parametrize("period", ["2024-08", "2024-09"])
def test_the_other_sections_gather_the_units_sent_reports(demo, period):
    report = root_report(demo, period)
    texts = actions.drafted_texts(report, actions.statistics_of(report))
    for key in ("tinh-hinh", "phuong-huong"):
        expected = expected_gathered(demo, period, key)
        assert len(expected) >= 50
        assert texts[key].split("\n") == expected
    assert texts["han-che"] == "" and texts["kien-nghi"] == ""  # the units wrote nothing there
    if period == "2024-08":  # opened in the demo and left as drafted
        assert report.texts["tinh-hinh"] == texts["tinh-hinh"]


def test_a_units_draft_is_not_gathered_until_it_is_sent(demo):
    root, khoi = demo["root"], user("khoi")
    sent = {unit for unit, _, _ in hand_received(root, "thang", "2024-09")}
    missing = sorted(set(hand_children(root, REF)) - sent)
    assert len(missing) == 2
    unit = missing[0]
    draft = actions.open_report(khoi, unit, monthly(), "2024-09", today=D(2024, 10, 8))
    marker = "Nội dung riêng của bản nháp chưa gửi"
    actions.save_texts(khoi, draft, {**draft.texts, "tinh-hinh": marker})
    report = root_report(demo)
    texts = actions.drafted_texts(report, actions.statistics_of(report))
    assert marker not in json.dumps(texts, ensure_ascii=False)
    assert texts["tinh-hinh"].split("\n") == expected_gathered(demo, "2024-09", "tinh-hinh")
    actions.send(khoi, draft, now=at(D(2024, 10, 8)))
    texts = actions.drafted_texts(report, actions.statistics_of(report))
    name = hand_children(root, REF)[unit]
    assert f"- {name}: {marker}" in texts["tinh-hinh"].split("\n")


# --- 4. the flow through the actions -----------------------------------------------------------------


SEPTEMBER_2026 = "2026-09"
END_2026 = D(2026, 9, 30)


@pytest.fixture
def opened(demo) -> Report:
    """coso's monthly report of 09/2026, opened on 01/10/2026."""
    assert not Report.objects.filter(unit_id=demo["coso"], period=SEPTEMBER_2026).exists()
    return actions.open_report(user("coso"), demo["coso"], monthly(), SEPTEMBER_2026, today=D(2026, 10, 1))


def test_open_report_prefills_a_draft_from_the_records(demo, opened):
    report = Report.objects.get(pk=opened.pk)
    assert report.status == Status.DRAFT and report.statistics is None and report.number is None
    assert (report.unit_id, report.to_unit_id) == (demo["coso"], demo["root"])
    assert (report.starts_on, report.ends_on, report.due_on) == (D(2026, 9, 1), END_2026, D(2026, 10, 5))
    assert set(report.texts) == {"tinh-hinh", "ket-qua", "han-che", "phuong-huong", "kien-nghi"}
    members = hand_members(demo["coso"], END_2026)
    name = UnitVersion.objects.on(END_2026).get(unit_id=demo["coso"]).name
    assert report.texts["ket-qua"].startswith(f"{name} có ")
    assert f"với {vn.format_number(members['members'])} đảng viên" in report.texts["ket-qua"]
    in_period = hand_admissions(demo["coso"], D(2026, 9, 1), END_2026)
    assert f"Trong tháng 9 năm 2026, kết nạp {in_period} đảng viên" in report.texts["ket-qua"]
    assert report.texts["tinh-hinh"] == ""  # nobody reports to coso: nothing gathered
    assert list(report.steps.values_list("kind", flat=True)) == [Step.Kind.CREATED]
    [entry] = audit_of(report)
    assert entry.action == "report_open" and entry.before is None and entry.after["status"] == "draft"
    assert entry.actor == user("coso")
    # Opening it again gives the same report.
    again = actions.open_report(user("coso"), demo["coso"], monthly(), SEPTEMBER_2026, today=D(2026, 10, 2))
    assert again.pk == report.pk and Report.objects.filter(unit_id=demo["coso"], period=SEPTEMBER_2026).count() == 1


def test_open_report_refuses_what_nobody_asks_for(demo):
    coso = user("coso")
    before = Report.objects.count(), AuditEntry.objects.count()
    refused(lambda: actions.open_report(coso, demo["coso"], monthly(), "2026-12", today=D(2026, 11, 28)),
            match="chưa bắt đầu")  # fmt: skip
    refused(lambda: actions.open_report(coso, demo["coso"], monthly(), "2026-13", today=D(2026, 11, 28)))
    # chibo's cell reports to coso, who asks for no report.
    refused(lambda: actions.open_report(coso, demo["chibo"], monthly(), "2026-09", today=D(2026, 10, 1)))
    assert (Report.objects.count(), AuditEntry.objects.count()) == before


def test_save_texts_keeps_line_breaks_and_normalises(opened):
    nfd = unicodedata.normalize("NFD", "Tình hình tư tưởng ổn định")
    assert nfd != unicodedata.normalize("NFC", nfd)
    saved = actions.save_texts(user("coso"), opened, {
        "tinh-hinh": f"  {nfd}   trong tháng.\r\nDòng thứ hai.\n\nĐoạn thứ ba.\n\n",
        "ket-qua": "Kết quả.", "to-chuc": "không phải mục văn bản", "khong-co": "x",
    })  # fmt: skip
    stored = Report.objects.get(pk=opened.pk).texts
    assert stored == saved.texts
    assert stored["tinh-hinh"] == "Tình hình tư tưởng ổn định trong tháng.\nDòng thứ hai.\n\nĐoạn thứ ba."
    assert unicodedata.is_normalized("NFC", stored["tinh-hinh"])
    assert stored["ket-qua"] == "Kết quả."
    assert set(stored) == {"tinh-hinh", "ket-qua", "han-che", "phuong-huong", "kien-nghi"}
    assert stored["han-che"] == ""
    entry = audit_of(opened)[-1]
    assert entry.action == "report_save"
    assert entry.before["texts"] == opened.texts and entry.after["texts"] == stored


def test_send_freezes_numbers_and_logs(demo, opened):
    coso = user("coso")
    term_id, _, _ = hand_term(demo["coso"], D(2026, 10, 3))
    numbered = [
        n for _, unit, symbol, term, _, n in hand_numbered() if (unit, symbol, term) == (demo["coso"], "BC", term_id)
    ]
    now = at(D(2026, 10, 3), 10)
    sent = actions.send(coso, opened, now=now)
    report = Report.objects.get(pk=opened.pk)
    assert report.status == Status.SUBMITTED
    assert report.number == max(numbered, default=0) + 1 and report.term_id == term_id
    assert (report.symbol, report.issuer_symbol, report.issued_on) == ("BC", "ĐU", D(2026, 10, 3))
    assert report.number_symbol == f"Số {report.number:02d}-BC/ĐU"
    assert report.first_sent_at == now and report.sent_at == now
    assert report.statistics is not None and report.statistics == sent.statistics
    assert report.statistics == live(report)  # frozen as the records stood when sent
    steps = list(report.steps.order_by("pk"))
    assert [s.kind for s in steps] == [Step.Kind.CREATED, Step.Kind.SENT]
    assert steps[-1].at == now and steps[-1].by == coso
    entry = audit_of(report)[-1]
    assert entry.action == "report_send" and entry.actor == coso
    assert entry.before["status"] == "draft" and entry.before["number"] is None and entry.before["statistics"] is None
    assert entry.after["status"] == "submitted" and entry.after["number"] == report.number
    assert entry.after["statistics"] == report.statistics


def test_a_sent_reports_figures_stay_as_sent(demo, opened):
    report = actions.send(user("coso"), opened, now=at(D(2026, 10, 3)))
    frozen = Report.objects.get(pk=report.pk).statistics
    cell = Unit.objects.get(pk=demo["chibo"])
    assert hand_path(cell.pk, D(2026, 9, 15)).startswith(hand_path(demo["coso"], D(2026, 9, 15)))
    admit(None, {**PERSON, "family_name": "Đỗ", "given_name": "Hạnh"}, unit=cell, effective_on=D(2026, 9, 15),
          decision_number="15-QĐ/ĐU")  # fmt: skip
    # The records moved: the live figures show the new member and the admission…
    moved = live(report)
    assert moved["facts"]["admissions"]["in_period"] == frozen["facts"]["admissions"]["in_period"] + 1
    assert moved["facts"]["organisation"]["members"] == frozen["facts"]["organisation"]["members"] + 1
    # …the report keeps what was sent, and so does its document.
    stored = Report.objects.get(pk=report.pk)
    assert stored.statistics == frozen
    assert actions.statistics_of(stored).as_json() == frozen
    assert documents.draft_of(stored).statistics.as_json() == frozen


def test_return_resend_accept(demo, opened):
    coso, khoi = user("coso"), user("khoi")
    first = at(D(2026, 10, 3))
    report = actions.send(coso, opened, now=first)
    number = report.number
    # Returning without a reason is refused and changes nothing.
    before = state(report)
    refused(lambda: actions.decide(khoi, report, accept=False, comment="   "), match="lý do")
    refused(lambda: actions.decide(khoi, report, accept=False))
    assert state(report) == before
    # Editing, sending again or completing a sent report is refused.
    refused(lambda: actions.save_texts(coso, report, {"ket-qua": "Sửa sau khi gửi"}))
    refused(lambda: actions.send(coso, report, now=at(D(2026, 10, 4))))
    refused(lambda: actions.complete(coso, report))
    assert state(report) == before
    # Returned with a comment.
    comment = unicodedata.normalize("NFD", "  Bổ sung  số liệu kết nạp. ")
    report = actions.decide(khoi, report, accept=False, comment=comment, now=at(D(2026, 10, 4), 14))
    stored = Report.objects.get(pk=report.pk)
    assert stored.status == Status.RETURNED and stored.comment == "Bổ sung số liệu kết nạp."
    assert stored.decided_by == khoi
    step = stored.steps.order_by("pk").last()
    assert (step.kind, step.comment, step.by) == (Step.Kind.RETURNED, stored.comment, khoi)
    # Corrected and sent again: the first number and the first sending stay.
    actions.save_texts(coso, stored, {**stored.texts, "ket-qua": "Đã bổ sung số liệu."})
    second = at(D(2026, 10, 6))
    actions.send(coso, stored, now=second)
    stored = Report.objects.get(pk=report.pk)
    assert stored.status == Status.SUBMITTED and stored.comment == ""
    assert stored.number == number and stored.first_sent_at == first and stored.sent_at == second
    assert stored.issued_on == D(2026, 10, 3)
    # Accepted.
    actions.decide(khoi, stored, accept=True, now=at(D(2026, 10, 7)))
    stored = Report.objects.get(pk=report.pk)
    assert stored.status == Status.ACCEPTED and stored.decided_by == khoi
    refused(lambda: actions.decide(khoi, stored, accept=False, comment="Muộn"))
    refused(lambda: actions.save_texts(coso, stored, {"ket-qua": "x"}))
    refused(lambda: actions.send(coso, stored))
    kinds = list(stored.steps.order_by("pk").values_list("kind", flat=True))
    assert kinds == ["created", "sent", "returned", "sent", "accepted"]
    entries = audit_of(stored)
    assert [e.action for e in entries] == ["report_open", "report_send", "report_return", "report_save", "report_send",
                                           "report_accept"]  # fmt: skip
    returned, accepted = entries[2], entries[5]
    assert returned.before["status"] == "submitted" and returned.after["status"] == "returned"
    assert returned.after["comment"] == stored.steps.get(kind="returned").comment and returned.actor == khoi
    assert accepted.before["status"] == "submitted" and accepted.after["status"] == "accepted"
    assert (
        entries[4].after["number"] == number
        and datetime.datetime.fromisoformat(entries[4].after["first_sent_at"]) == first
    )


def test_the_root_completes_and_a_unit_sends(demo, opened):
    khoi = user("khoi")
    # A unit's report goes up: it is not completed at home.
    refused(lambda: actions.complete(user("coso"), opened))
    # The root's report goes outside the tree: it is completed, not sent.
    own = actions.open_report(khoi, demo["root"], monthly(), SEPTEMBER_2026, today=D(2026, 10, 1))
    assert own.to_unit_id is None and own.due_on is None
    before = state(own)
    refused(lambda: actions.send(khoi, own, now=at(D(2026, 10, 2))))
    assert state(own) == before
    done = actions.complete(khoi, own, now=at(D(2026, 10, 7), 16))
    stored = Report.objects.get(pk=done.pk)
    assert stored.status == Status.FINAL and stored.statistics is not None and stored.number
    assert stored.issued_on == D(2026, 10, 7) and stored.issuer_symbol == "ĐUK"
    assert stored.steps.order_by("pk").last().kind == Step.Kind.FINAL
    assert audit_of(stored)[-1].action == "report_complete"
    refused(lambda: actions.complete(khoi, stored))
    refused(lambda: actions.save_texts(khoi, stored, {"ket-qua": "x"}))


def test_a_report_completed_on_a_day_counts_only_the_reports_sent_by_then(demo):
    """Frozen "as of now": the root's report of 10/2026 completed on 03/11/2026, before the due day
    (05/11), counts the units' reports first sent by then as on time and the others as not yet due —
    never a report sent after it was issued."""
    root, khoi = demo["root"], user("khoi")
    now = at(D(2026, 11, 3), 16)
    expected = hand_children(root, D(2026, 10, 31))
    sent = list(Report.objects.filter(report_type__code="thang", period="2026-10", unit_id__in=expected)
                .exclude(first_sent_at=None).values_list("first_sent_at", flat=True))  # fmt: skip
    by_then = sum(1 for first in sent if first <= now)
    assert 0 < by_then < len(sent)  # the demo's units sent theirs either side of that day
    own = actions.open_report(khoi, root, monthly(), "2026-10", today=now.date())
    done = actions.complete(khoi, own, now=now)
    facts = Report.objects.get(pk=done.pk).statistics["facts"]["submissions"]
    assert facts["expected"] == len(expected)
    assert (facts["on_time"], facts["late"], facts["missing"]) == (by_then, 0, 0)
    assert facts["waiting"] == len(expected) - by_then


def test_the_history_of_the_demos_own_reports_reads_in_order(demo):
    """The committee's own reports were opened (drafted) before they were completed: their visible
    history starts with "Lập báo cáo" (the steps are listed by time)."""
    for report in Report.objects.filter(unit_id=demo["root"]).order_by("pk"):
        steps = list(report.steps.all())
        assert steps[0].kind == Step.Kind.CREATED, (report.period, [(s.kind, s.at) for s in steps])
        assert all(a.at <= b.at for a, b in zip(steps, steps[1:]))


# --- 5. numbering ------------------------------------------------------------------------------------


def test_the_demo_roots_numbers_restart_with_the_new_term(demo):
    july, august = root_report(demo, "2025-07"), root_report(demo, "2025-08")
    old_term, old_name, _ = hand_term(demo["root"], july.issued_on)
    new_term, new_name, new_start = hand_term(demo["root"], august.issued_on)
    assert (old_name, new_name, new_start) == ("2020–2025", "2025–2030", D(2025, 8, 20))
    assert (july.number, july.term_id, july.issued_on) == (10, old_term, D(2025, 8, 7))
    assert (august.number, august.term_id, august.issued_on) == (1, new_term, D(2025, 9, 7))
    assert july.number_symbol == "Số 10-BC/ĐUK" and august.number_symbol == "Số 01-BC/ĐUK"
    # 2024's nine monthly reports are 01–09 of the old term; the nine-month draft has no number yet.
    numbers = [root_report(demo, f"2024-{m:02d}").number for m in range(1, 10)]
    assert numbers == list(range(1, 10))
    assert root_report(demo, "2024-Q3", "quy").number is None


def sequences(rows) -> dict[tuple, list[int]]:
    """Numbers by sequence: unit, symbol and term, or the calendar year without a term."""
    found = {}
    for _, unit, symbol, term, issued_on, number in rows:
        key = (unit, symbol, term, None if term else as_date(issued_on).year)
        found.setdefault(key, []).append(number)
    return found


def assert_no_number_twice():
    for key, numbers in sequences(hand_numbered()).items():
        assert len(numbers) == len(set(numbers)), (key, sorted(numbers))


def test_no_two_reports_share_a_number_in_a_sequence(demo):
    rows = hand_numbered()
    assert len(rows) > 800
    assert_no_number_twice()
    # Each sequence of the demo is 1…n without gaps.
    for key, numbers in sequences(rows).items():
        assert sorted(numbers) == list(range(1, len(numbers) + 1)), key


def test_the_demos_numbers_follow_the_order_of_issue(demo):
    """Hướng dẫn 36: a committee numbers its documents of a kind in the order it issues them, whatever
    the report type: unit 2's ad-hoc report sent on 18/09/2024 was Số 25 and its monthly report sent on
    02/10/2024 Số 17, the history having been numbered type by type."""
    by_sequence = {}
    for _, unit, symbol, term, issued_on, number in hand_numbered():
        key = (unit, symbol, term, None if term else as_date(issued_on).year)
        by_sequence.setdefault(key, []).append((number, as_date(issued_on)))
    for key, rows in by_sequence.items():
        days = [day for _, day in sorted(rows)]
        assert days == sorted(days), (key, sorted(rows))
    ad_hoc = Report.objects.get(unit_id=2, report_type__code="dot-xuat")
    september = Report.objects.get(unit_id=2, report_type__code="thang", period="2024-09")
    assert ad_hoc.issued_on < september.issued_on and ad_hoc.number < september.number


def test_the_root_numbers_across_a_term_it_is_given(demo):
    khoi, root = user("khoi"), demo["root"]
    term_id, _, _ = hand_term(root, D(2030, 8, 7))
    in_term = [n for _, unit, symbol, term, _, n in hand_numbered() if unit == root and term == term_id]
    fresh = Term.objects.create(committee_id=root, name="2030–2035", starts_on=D(2030, 8, 20))

    def complete(key, day):
        report = actions.open_report(khoi, root, monthly(), key, today=day)
        return actions.complete(khoi, report, now=at(day, 16))

    july = complete("2030-07", D(2030, 8, 7))
    august = complete("2030-08", D(2030, 9, 7))
    september = complete("2030-09", D(2030, 10, 7))
    assert (july.term_id, july.number) == (term_id, max(in_term) + 1)
    assert (august.term_id, august.number) == (fresh.pk, 1)
    assert (september.term_id, september.number) == (fresh.pk, 2)
    assert august.number_symbol == "Số 01-BC/ĐUK"
    assert_no_number_twice()


def test_a_unit_without_a_term_numbers_within_the_calendar_year(demo):
    [cell] = unnumbered_cells(demo, [D(2026, 5, 31), D(2026, 12, 31)], 1)
    this_year = [n for _, unit, _, term, issued, n in hand_numbered() if unit == cell and term is None
                 and as_date(issued).year == 2026]  # fmt: skip
    sender = user("khoi")  # any account: the actions do not scope

    def send(key, opened_on, sent_on):
        report = actions.open_report(sender, cell, monthly(), key, today=opened_on)
        return actions.send(sender, report, now=at(sent_on))

    may = send("2026-05", D(2026, 6, 1), D(2026, 6, 3))
    june = send("2026-06", D(2026, 7, 1), D(2026, 7, 2))
    december = send("2026-12", D(2027, 1, 2), D(2027, 1, 4))
    assert (may.term_id, may.number) == (None, max(this_year, default=0) + 1)
    assert (june.term_id, june.number) == (None, may.number + 1)
    assert (december.term_id, december.number, december.issued_on) == (None, 1, D(2027, 1, 4))
    assert december.number_symbol == "Số 01-BC/CB"
    assert_no_number_twice()


def test_a_unit_numbers_within_each_term_it_is_given(demo):
    [cell] = unnumbered_cells(demo, [D(2026, 5, 31), D(2026, 8, 31)], 1)
    first = Term.objects.create(committee_id=cell, name="2021–2026", starts_on=D(2021, 1, 1), ends_on=D(2026, 8, 1))
    second = Term.objects.create(committee_id=cell, name="2026–2031", starts_on=D(2026, 8, 1))
    sender = user("khoi")

    def send(key, opened_on, sent_on):
        report = actions.open_report(sender, cell, monthly(), key, today=opened_on)
        return actions.send(sender, report, now=at(sent_on))

    got = [send("2026-05", D(2026, 6, 1), D(2026, 6, 3)), send("2026-06", D(2026, 7, 1), D(2026, 7, 31)),
           send("2026-07", D(2026, 8, 1), D(2026, 8, 1)), send("2026-08", D(2026, 9, 1), D(2026, 9, 2))]  # fmt: skip
    assert [(r.term_id, r.number) for r in got] == [(first.pk, 1), (first.pk, 2), (second.pk, 1), (second.pk, 2)]
    # A report returned and sent again in the next term keeps its number and term.
    report = got[1]
    actions.decide(user("khoi"), report, accept=False, comment="Bổ sung.")
    again = actions.send(sender, Report.objects.get(pk=report.pk), now=at(D(2026, 9, 10)))
    assert (again.term_id, again.number) == (first.pk, 2)
    assert_no_number_twice()


# --- 6. the board ------------------------------------------------------------------------------------


def hand_board(demo, period: str, due_on: datetime.date, today: datetime.date) -> dict[int, str]:
    """{unit: on_time | late | missing | waiting} of the root's TCCS for the monthly report."""
    ends_on = periods.parse("month", period).ends_on
    expected = hand_children(demo["root"], ends_on)
    sent = {
        unit: first_sent_at
        for unit, first_sent_at in Report.objects.filter(report_type__code="thang", period=period, unit_id__in=expected)
        .exclude(first_sent_at=None).values_list("unit_id", "first_sent_at")
    }  # fmt: skip
    result = {}
    for unit in expected:
        if unit in sent and sent[unit].astimezone(LOCAL).date() <= today:  # sent by that day
            result[unit] = "on_time" if sent[unit].astimezone(LOCAL).date() <= due_on else "late"
        else:
            result[unit] = "missing" if today > due_on else "waiting"
    return result


@pytest.mark.parametrize("today", [D(2024, 10, 20), None])
def test_the_board_of_september_2024(demo, today):
    lines = board.board(demo["root"], monthly(), "2024-09", REF, today=today)
    expected = hand_board(demo, "2024-09", D(2024, 10, 5), today or timezone.localdate())
    assert {line.unit_id: line.timeliness for line in lines} == expected
    counts = board.summary(lines)
    assert (counts["on_time"], counts["late"], counts["missing"], counts["waiting"]) == (56, 4, 2, 0)
    assert counts["expected"] == len(expected) == 62
    assert sum(1 for t in expected.values() if t == "late") == 4
    assert sum(1 for t in expected.values() if t == "missing") == 2
    assert all(line.due_on == D(2024, 10, 5) for line in lines)
    names = hand_children(demo["root"], REF)
    assert [line.name for line in lines] == sorted(names.values(), key=vn.text_sort_key)
    accepted = Report.objects.filter(report_type__code="thang", period="2024-09", unit_id__in=names,
                                     status=Status.ACCEPTED).count()  # fmt: skip
    assert counts["accepted"] == accepted
    for line in lines:
        if line.report is not None:
            assert line.sent_on == line.report.first_sent_at.astimezone(LOCAL).date()
    # The root's report, completed on 07/10/2024, counts who had reported by then.
    frozen = root_report(demo).statistics["facts"]["submissions"]
    known = list(hand_board(demo, "2024-09", D(2024, 10, 5), D(2024, 10, 7)).values())
    assert {k: frozen[k] for k in ("on_time", "late", "missing", "waiting", "expected")} == {
        k: known.count(k) for k in ("on_time", "late", "missing", "waiting")} | {"expected": 62}  # fmt: skip


def test_before_the_due_day_a_report_not_sent_is_waiting(demo):
    lines = board.board(demo["root"], monthly(), "2024-09", REF, today=D(2024, 10, 5))
    counts = board.summary(lines)
    # On the due day, the 2 that never sent and the 4 that sent late are all still to come.
    assert (counts["on_time"], counts["late"], counts["missing"], counts["waiting"]) == (56, 0, 0, 6)
    assert {line.unit_id: line.timeliness for line in lines} == hand_board(demo, "2024-09", D(2024, 10, 5),
                                                                           D(2024, 10, 5))  # fmt: skip


def test_a_draft_counts_as_not_sent(demo):
    root = demo["root"]
    missing = sorted(set(hand_children(root, REF)) - {u for u, _, _ in hand_received(root, "thang", "2024-09")})
    actions.open_report(user("khoi"), missing[0], monthly(), "2024-09", today=D(2024, 10, 8))
    lines = {line.unit_id: line for line in board.board(root, monthly(), "2024-09", REF, today=D(2024, 10, 20))}
    assert lines[missing[0]].timeliness == "missing" and lines[missing[0]].report is None


def test_timeliness_reads_the_local_day_of_the_first_sending():
    due = D(2024, 10, 5)
    report = Report(first_sent_at=at(due, 23, 30))  # 16:30 UTC on the due day
    assert board.timeliness(report, due, D(2024, 11, 1)) == "on_time"
    report = Report(first_sent_at=at(due + datetime.timedelta(days=1), 0, 30))  # 17:30 UTC on the due day
    assert board.timeliness(report, due, D(2024, 11, 1)) == "late"
    assert board.timeliness(None, due, due) == "waiting"
    assert board.timeliness(None, due, due + datetime.timedelta(days=1)) == "missing"
    assert board.timeliness(None, None, D(2030, 1, 1)) == "waiting"


# --- 7. the Word document ----------------------------------------------------------------------------


def cell_paragraphs(cell) -> list[str]:
    return [p.text for p in cell.paragraphs]


def test_the_word_document_of_the_roots_september_report(demo):
    content = documents.report_docx(documents.draft_of(root_report(demo)))
    document = Document(io.BytesIO(content))
    section = document.sections[0]
    assert abs(section.page_width - Cm(21)) < Cm(0.05) and abs(section.page_height - Cm(29.7)) < Cm(0.05)
    header = document.tables[0]
    left, right = header.rows[0].cells
    assert cell_paragraphs(left) == ["ĐẢNG BỘ KHỐI CÁC CƠ QUAN THÀNH PHỐ", "ĐẢNG ỦY KHỐI", "*", "Số 09-BC/ĐUK"]
    assert cell_paragraphs(right)[0] == "ĐẢNG CỘNG SẢN VIỆT NAM"
    assert cell_paragraphs(right)[-1] == "Hải Phòng, ngày 07 tháng 10 năm 2024"
    [run] = [r for r in right.paragraphs[0].runs if r.text]
    assert run.text == "ĐẢNG CỘNG SẢN VIỆT NAM" and run.underline and run.bold
    assert left.paragraphs[1].runs[0].bold  # the issuer in bold
    texts = [p.text for p in document.paragraphs]
    start = texts.index("BÁO CÁO")
    assert texts[start + 1] == "Kết quả thực hiện nhiệm vụ tháng 9 năm 2024"
    headings = [t for t in texts if re.match(r"^[IVX]+\. ", t)]
    assert headings == [f"{n}. {title.upper()}" for n, title in zip(ROMAN, MONTHLY_TITLES)]
    # The drafted text keeps its paragraphs.
    for line in root_report(demo).texts["ket-qua"].splitlines():
        assert line in texts
    statistics = document.tables[1:-1]
    assert statistics
    cells = [cell.text for table in statistics for row in table.rows for cell in row.cells]
    assert "4.466" in cells and "62" in cells and "800 đảng viên; đạt 81,63%" in cells
    bottom = document.tables[-1]
    left, right = bottom.rows[0].cells
    assert cell_paragraphs(left)[0] == "Nơi nhận:"
    assert "- Thành ủy Hải Phòng (để báo cáo)," in cell_paragraphs(left)
    signature = [t for t in cell_paragraphs(right) if t]
    assert signature == ["T/M BAN THƯỜNG VỤ", "BÍ THƯ", "Nguyễn Văn Thành"]


def test_a_drafts_document_leaves_the_number_blank(demo):
    report = root_report(demo, "2024-Q3", "quy")
    assert report.status == Status.DRAFT
    draft = documents.draft_of(report)
    document = Document(io.BytesIO(documents.report_docx(draft)))
    number_line = cell_paragraphs(document.tables[0].rows[0].cells[0])[-1]
    assert re.fullmatch(r"Số\s+-BC/ĐUK", number_line), number_line
    assert not re.search(r"\d", number_line)
    dated = cell_paragraphs(document.tables[0].rows[0].cells[1])[-1]
    assert dated.startswith("Hải Phòng, ngày ") and not re.search(r"ngày \d", dated)  # the day written on issue
    texts = [p.text for p in document.paragraphs]
    assert "Kết quả thực hiện nhiệm vụ quý III và 9 tháng năm 2024" in texts
    # A draft shows today's figures, not frozen ones.
    assert draft.statistics.as_json() == live(report)


# --- 8. Excel ----------------------------------------------------------------------------------------


def test_the_excel_statistics_hold_real_numbers(demo):
    rows = xlsx_rows(documents.report_xlsx(documents.draft_of(root_report(demo))))
    by_label = {row[0]: row[1] for row in rows if row and row[0]}
    assert by_label["Tổng số đảng viên"] == 4466 and isinstance(by_label["Tổng số đảng viên"], int)
    assert by_label["Tổ chức cơ sở đảng trực thuộc"] == 62
    assert by_label["Chi bộ trực thuộc đảng bộ cơ sở"] == 442
    assert by_label["Kết nạp từ đầu nhiệm kỳ 2020–2025"] == 653
    assert by_label["So với chỉ tiêu Nghị quyết"] == "800 đảng viên; đạt 81,63%"
    assert any(row[0] == "ĐẢNG BỘ KHỐI CÁC CƠ QUAN THÀNH PHỐ" for row in rows)


# --- 9. export_report --------------------------------------------------------------------------------


def export(*args) -> str:
    out = io.StringIO()
    call_command("export_report", *args, stdout=out)
    return out.getvalue()


def test_export_writes_the_saved_report(demo, tmp_path):
    path = tmp_path / "r.docx"
    message = export("--type", "thang", "--period", "2024-09", "--out", str(path))
    text = docx_text(path.read_bytes())
    for words in ("ĐẢNG CỘNG SẢN VIỆT NAM", "Số 09-BC/ĐUK", "4.466", "81,63%", "Hải Phòng, ngày 07 tháng 10 năm 2024"):
        assert words in text, words
    assert "Số 09-BC/ĐUK" in message and is_vietnamese(message)


def test_export_of_a_unit_by_its_id(demo, tmp_path):
    path = tmp_path / "coso.docx"
    export("--type", "thang", "--period", "2024-09", "--unit", str(demo["coso"]), "--out", str(path))
    report = Report.objects.get(unit_id=demo["coso"], report_type__code="thang", period="2024-09")
    text = docx_text(path.read_bytes())
    assert report.number_symbol in text
    members = hand_members(demo["coso"], REF)["members"]
    assert vn.format_number(members) in text


@pytest.mark.parametrize(
    "args, words",
    [
        (["--type", "khong-co", "--period", "2024-09"], "Không có loại báo cáo"),
        (["--type", "dot-xuat", "--period", "2024-09"], "Không có loại báo cáo"),
        (["--type", "thang", "--period", "2024-13"], "không hợp lệ"),
        (["--type", "quy", "--period", "2024-Q5"], "không hợp lệ"),
        (["--type", "thang", "--period", "abc"], "không hợp lệ"),
        (["--type", "thang", "--period", "2024-09", "--unit", "khong-co-don-vi"], "Không có đơn vị"),
        (["--type", "thang", "--period", "2024-09", "--unit", "987654"], "Không có đơn vị"),
    ],
)
def test_export_refuses_bad_arguments(demo, tmp_path, args, words):
    path = tmp_path / "r.docx"
    with pytest.raises(CommandError) as info:
        export(*args, "--out", str(path))
    assert words in str(info.value) and is_vietnamese(str(info.value))
    assert not path.exists()


def test_export_of_a_unit_that_did_not_exist_then_is_refused(demo, tmp_path):
    """A unit founded after the period's end has no report of it to write (nothing with blank names)."""
    founded = fetch("SELECT unit_id, valid_from FROM orgs_unitversion v WHERE NOT EXISTS (SELECT 1 FROM "
                    "orgs_unitversion w WHERE w.unit_id = v.unit_id AND w.valid_from < v.valid_from) "
                    "AND valid_from > %s ORDER BY unit_id", [REF])  # fmt: skip
    assert founded
    unit = founded[0][0]
    path = tmp_path / "r.docx"
    with pytest.raises(CommandError) as info:
        export("--type", "thang", "--period", "2024-09", "--unit", str(unit), "--out", str(path))
    assert is_vietnamese(str(info.value))
    assert not path.exists()


def test_export_of_a_period_without_a_report_writes_a_draft_and_saves_nothing(demo, tmp_path):
    assert not Report.objects.filter(unit_id=demo["root"], report_type__code="nam", period="2023").exists()
    before = Report.objects.count(), Step.objects.count(), AuditEntry.objects.count()
    path = tmp_path / "nam.docx"
    message = export("--type", "nam", "--period", "2023", "--out", str(path))
    assert (Report.objects.count(), Step.objects.count(), AuditEntry.objects.count()) == before
    assert "bản nháp, chưa lưu" in message
    text = docx_text(path.read_bytes())
    assert "Tổng kết công tác xây dựng Đảng năm 2023" in text
    assert re.search(r"Số\s+-BC/ĐUK", text)
    end_2023 = D(2023, 12, 31)
    assert vn.format_number(hand_members(demo["root"], end_2023)["members"]) in text
    # The drafted paragraph names the year's admissions.
    assert f"Trong năm 2023, kết nạp {hand_admissions(demo['root'], D(2023, 1, 1), end_2023)} đảng viên" in text


def test_export_to_excel(demo, tmp_path):
    path = tmp_path / "r.xlsx"
    export("--type", "thang", "--period", "2024-09", "--out", str(path))
    rows = xlsx_rows(path.read_bytes())
    assert any(row[0] == "Tổng số đảng viên" and row[1] == 4466 for row in rows if row)


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_export_to_pdf(demo, tmp_path):
    path = tmp_path / "r.pdf"
    export("--type", "thang", "--period", "2024-09", "--out", str(path))
    assert path.read_bytes().startswith(b"%PDF")
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext is not installed")
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True).stdout.decode()
    text = unicodedata.normalize("NFC", text)
    for words in ("ĐẢNG CỘNG SẢN VIỆT NAM", "4.466", "81,63%"):
        assert words in text, words


@pytest.mark.django_db
def test_ad_hoc_type_is_kept_apart():
    assert actions.ad_hoc_type().period_kind == PeriodKind.AD_HOC
