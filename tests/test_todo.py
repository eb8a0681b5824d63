""" "Việc cần làm" at the top of the home page (dangbo.notices.todo): each persona's own work, nothing
outside their subtree, each item a link that opens for them, on today's home page only, at a
bounded number of queries."""

from __future__ import annotations

import datetime
import re

import lxml.html
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dangbo.admissions.deadlines import pipeline_deadlines
from dangbo.meetings.models import Meeting, MeetingKind
from dangbo.members.models import Member
from dangbo.notices.todo import LIMIT
from dangbo.orgs.models import UnitKind, UnitVersion
from dangbo.ratings.models import MemberRating, RatingPeriod
from dangbo.reports import periods
from dangbo.reports.models import Report
from dangbo.reports.models import Status as ReportStatus
from dangbo.tasks.models import Task


def today() -> datetime.date:
    return timezone.localdate()


def todo(client, path: str = "/") -> dict[str, list[tuple[str, str]]]:
    """{section key: [(text, link)]} of the page's "Việc cần làm"; {} when there is none."""
    response = client.get(path)
    assert response.status_code == 200
    page = lxml.html.fromstring(response.content)
    sections = {}
    for box in page.xpath('//section[@id="todo"]//div[@class="todo-section"]'):
        key = box.get("id").removeprefix("todo-")
        sections[key] = [(a.text_content(), a.get("href")) for a in box.xpath(".//li/a")]
    if not page.xpath('//section[@id="todo"]'):
        return {}
    return sections


def task(title: str, responsible: int, assigned_by: int, due: int) -> Task:
    """An open task due `due` days from today (negative: overdue), headed by a member of the cell."""
    head = Member.unscoped.filter(stints__unit_id=responsible).order_by("pk").first() or Member.unscoped.first()
    due_on = today() + datetime.timedelta(days=due)
    return Task.objects.create(
        title=title, responsible_unit_id=responsible, assigned_by_unit_id=assigned_by, head=head,
        expected_result="Báo cáo kết quả", starts_on=today() - datetime.timedelta(days=60), due_on=due_on,
        first_due_on=due_on,
    )  # fmt: skip


def past_meeting(cell: int, days_ago: int) -> Meeting:
    return Meeting.unscoped.create(
        cell_id=cell, kind=MeetingKind.REGULAR, planned_on=today() - datetime.timedelta(days=days_ago),
        place="Phòng họp", agenda="Sinh hoạt thường kỳ",
    )  # fmt: skip


@pytest.fixture
def work(demo, outsider):
    """Overdue and due-soon tasks and past meetings without minutes, in chibo's cell and outside."""
    _, elsewhere = outsider
    return {
        "cell_overdue": task("Rà soát hồ sơ đảng viên chi bộ", demo["chibo"], demo["coso"], -5),
        "cell_soon": task("Chuẩn bị sinh hoạt chuyên đề", demo["chibo"], demo["chibo"], 2),
        "cell_later": task("Tổng kết năm", demo["chibo"], demo["coso"], 40),
        "outside": task("Việc của chi bộ khác", elsewhere, elsewhere, -3),
        "meeting": past_meeting(demo["chibo"], 3),
        "meeting_outside": past_meeting(elsewhere, 4),
        "elsewhere": elsewhere,
    }


def links(sections) -> set[str]:
    return {href for items in sections.values() for _, href in items}


def test_chibo_sees_the_cells_work_and_nothing_outside(as_user, work):
    sections = todo(as_user("chibo"))
    titles = [text for text, _ in sections["tasks"]]
    assert "Rà soát hồ sơ đảng viên chi bộ" in titles and "Chuẩn bị sinh hoạt chuyên đề" in titles
    assert "Tổng kết năm" not in titles, "not due soon yet"
    assert f"/nhiem-vu/{work['outside'].pk}/" not in links(sections)
    assert f"/sinh-hoat/{work['meeting'].pk}/" in links(sections)
    assert f"/sinh-hoat/{work['meeting_outside'].pk}/" not in links(sections)


def test_coso_sees_what_it_assigned_when_overdue_and_the_subtrees_meetings(as_user, work):
    sections = todo(as_user("coso"))
    hrefs = links(sections)
    assert f"/nhiem-vu/{work['cell_overdue'].pk}/" in hrefs, "assigned by coso, overdue"
    assert f"/nhiem-vu/{work['cell_soon'].pk}/" not in hrefs, "the cell's own, not overdue"
    assert f"/nhiem-vu/{work['outside'].pk}/" not in hrefs
    assert f"/sinh-hoat/{work['meeting'].pk}/" in hrefs
    assert f"/sinh-hoat/{work['meeting_outside'].pk}/" not in hrefs


def test_khoi_sees_the_whole_tree_and_the_admission_deadlines(as_user, demo, work):
    sections = todo(as_user("khoi"))
    hrefs = links(sections)
    assert {f"/sinh-hoat/{work['meeting'].pk}/", f"/sinh-hoat/{work['meeting_outside'].pk}/"} <= hrefs
    assert f"/nhiem-vu/{work['outside'].pk}/" not in hrefs, "neither khoi's unit's task nor assigned by it"
    root = UnitVersion.objects.on(today()).get(unit_id=demo["root"])
    deadlines = pipeline_deadlines(root, today())
    assert deadlines.ceremonies and deadlines.recognitions, "the demo has both"
    expected = [f"/dang-vien/{d.person_id}/" for d in deadlines.ceremonies[:LIMIT]]
    assert [href for _, href in sections["ceremonies"]] == expected
    assert [text for text, _ in sections["recognitions"]] == [d.name for d in deadlines.recognitions[:LIMIT]]


@pytest.mark.parametrize("persona", ["khoi", "coso", "chibo"])
def test_every_item_opens_for_its_persona(as_user, work, persona):
    client = as_user(persona)
    hrefs = links(todo(client))
    assert hrefs
    for href in sorted(hrefs):
        assert client.get(href).status_code == 200, (persona, href)


def test_the_viewer_and_a_past_day_or_another_unit_have_no_list(as_user, demo, work):
    assert todo(as_user("xem")) == {}
    client = as_user("coso")
    assert todo(client, "/?date=2025-06-30") == {}
    assert todo(client, f"/to-chuc/{demo['chibo']}/") == {}
    assert todo(client) != {}


def test_an_empty_list_says_so(as_user, demo):
    Task.objects.filter(responsible_unit_id=demo["chibo"]).update(completed_on=today())
    Meeting.unscoped.filter(cell_id=demo["chibo"], held_on__isnull=True, planned_on__lt=today()).delete()
    MemberRating.unscoped.filter(cell_id=demo["chibo"]).update(proposed_level="good")
    client = as_user("chibo")
    assert not any(todo(client).values())
    page = lxml.html.fromstring(client.get("/").content)
    assert page.get_element_by_id("todo-none").text_content() == "Không có việc quá hạn hay sắp đến hạn."


def test_the_query_count_does_not_grow_with_the_work(as_user, demo, work):
    client = as_user("khoi")
    cells = list(
        UnitVersion.objects.on(today()).filter(kind__in=[UnitKind.ATTACHED_CELL, UnitKind.GRASSROOTS_CELL])
        .values_list("unit_id", flat=True)[:30]
    )  # fmt: skip
    for cell in cells[:10]:
        past_meeting(cell, 2)
        task("Việc quá hạn của khối", demo["root"], demo["root"], -1)
    with CaptureQueriesContext(connection) as before:
        todo(client)
    for cell in cells[10:30]:
        past_meeting(cell, 2)
        task("Việc quá hạn của khối", demo["root"], demo["root"], -1)
    with CaptureQueriesContext(connection) as after:
        sections = todo(client)
    assert len(sections["minutes"]) == LIMIT and len(sections["tasks"]) == LIMIT
    assert len(after) == len(before) <= 26, [q["sql"][:80] for q in after]


def test_rating_rounds_wait_for_the_cells_proposal_then_the_committees_decision(as_user, demo):
    period = RatingPeriod.objects.get(year=2025, kind="year")
    ratings = MemberRating.unscoped.filter(period=period, cell_id=demo["chibo"], exempted=False)
    waiting = ratings.filter(proposed_level="").count()
    assert waiting, "the demo's 2025 round is not yet proposed in chibo's cell"
    sections = todo(as_user("chibo"))
    assert (period.name, f"/xep-loai/dot/{period.pk}/") in sections["ratings"]
    note = lxml.html.fromstring(as_user("chibo").get("/").content).xpath('//*[@id="todo-ratings"]//li/small')
    assert [n.text_content() for n in note] == [f"{waiting}/{ratings.count()} đảng viên chưa được đề xuất mức xếp loại"]
    assert (period.name, f"/xep-loai/dot/{period.pk}/") in todo(as_user("coso"))["ratings"], "not decided either"

    ratings.update(proposed_level="good")
    assert "ratings" not in todo(as_user("chibo")), "proposed: nothing waits for the cell"
    assert (period.name, f"/xep-loai/dot/{period.pk}/") in todo(as_user("coso"))["ratings"]


def test_reports_to_receive_and_a_returned_one_to_send_again(as_user, demo):
    received = [text for text, _ in todo(as_user("khoi"))["reports"]]
    assert received and all(re.fullmatch(r"Tiếp nhận Báo cáo .+ kỳ .+ của .+", t) for t in received), received
    report = (
        Report.objects.filter(unit_id=demo["coso"])
        .exclude(report_type__period_kind="ad_hoc")
        .order_by("-ends_on")
        .first()
    )
    Report.objects.filter(pk=report.pk).update(status=ReportStatus.RETURNED)
    period = periods.parse(report.report_type.period_kind, report.period)
    expected = (f"Sửa và gửi lại {report.report_type.name} kỳ {period.label}", f"/bao-cao/{report.pk}/")
    assert expected in todo(as_user("coso"))["reports"]
    assert expected not in todo(as_user("chibo")).get("reports", [])


def test_a_report_owed_to_the_committee_above_and_not_begun_is_listed(as_user, demo, settings):
    """coso's committee owes the top committee its scheduled reports: one due soon or overdue by less
    than a month and not begun is listed ("chưa lập"); once begun it is the draft's line; chibo's
    cell, which does not owe it, never sees it."""
    from dangbo.reports.models import PeriodKind, Schedule

    day = today()
    coso = UnitVersion.objects.on(day).get(unit_id=demo["coso"])
    soon = datetime.timedelta(days=settings.REPORT_DUE_SOON_DAYS)
    owed = []
    for schedule in Schedule.objects.filter(superior_id=coso.parent_id, active=True).select_related("report_type"):
        kind = schedule.report_type.period_kind
        if kind == PeriodKind.AD_HOC or coso.kind not in schedule.reporter_kinds:
            continue
        period = periods.recent(kind, day, 1)[0]
        due = period.due_on(schedule.due_day)
        if due - soon <= day <= due + datetime.timedelta(days=31):
            owed.append((schedule.report_type, period))
    assert owed, "the demo's top committee expects a report of coso's committee this month"
    report_type, period = owed[0]
    Report.objects.filter(unit_id=demo["coso"], report_type=report_type, period=period.key).delete()
    expected = f"Lập và gửi {report_type.name.lower()} kỳ {period.label}"
    listed = todo(as_user("coso"))["reports"]
    assert (expected, "/bao-cao/") in listed, listed
    assert expected not in [text for text, _ in todo(as_user("chibo")).get("reports", [])]
    Report.objects.create(unit_id=demo["coso"], report_type=report_type, period=period.key,
                          starts_on=period.starts_on, ends_on=period.ends_on)  # fmt: skip
    assert expected not in [text for text, _ in todo(as_user("coso"))["reports"]]
