"""What a user's unit has to do today ("Việc cần làm"), at the top of the home page, each item a link
to the page where it is done. The rules are those of the reminders and of the pages:

- tasks: the unit's own open tasks overdue or due soon, and the overdue ones it assigned (the
  accounts `tasks.reminders` writes to), by the one definition of a task's status (`tasks.models.status`);
- reports: the unit's reports returned to it or still a draft near their due day, those it owes
  the committee above and has not begun while the reminders remind it of them, and those sent to
  it waiting to be received;
- admissions: ceremonies not yet held and recognitions as official member due, in the subtree
  (`admissions.deadlines`, the overview's deadlines with the people's names);
- meetings: those of the subtree whose day has passed without minutes recorded;
- ratings: the rounds whose members of the subtree wait for this user's step — the cell's proposal
  for a cell secretary, the decision for committee staff — counted as the rounds page counts them.

Scoped as the pages are (a viewer, who acts on nothing, has no list). Each section shows at most
LIMIT items and how many there are in all; the whole costs a bounded number of queries whatever the
size of the subtree (tests/test_todo.py holds it)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse

from dangbo.accounts.models import Role
from dangbo.accounts.scope import Scope
from dangbo.admissions.deadlines import Deadlines
from dangbo.lib import vn
from dangbo.meetings.views import unheld_of
from dangbo.orgs.models import latest_names
from dangbo.ratings.models import MemberRating, RatingPeriod
from dangbo.ratings.views import _progress as rating_progress
from dangbo.reports import periods
from dangbo.reports.access import reports_of
from dangbo.reports.models import Report, Schedule
from dangbo.reports.models import Status as ReportStatus
from dangbo.reports.reminders import due_rounds, reminded_on
from dangbo.tasks.access import tasks_of
from dangbo.tasks.models import Status as TaskStatus

LIMIT = 5


@dataclass
class Item:
    text: str
    url: str
    note: str = ""
    late: bool = False


@dataclass
class Section:
    key: str
    title: str
    items: list[Item] = field(default_factory=list)
    total: int = 0
    more_url: str = ""


def todo(scope: Scope, user, day: datetime.date, deadlines: Deadlines | None) -> list[Section]:
    """The sections with something to do on `day` for `user` and their scope's unit; `deadlines` are
    the admission deadlines of the scope's subtree on `day`, with names (None: not shown)."""
    if not scope.sees_people:
        return []
    sections = [_tasks(scope, day), _reports(scope, day), _meetings(scope, day), _ratings(scope, user, day)]
    if deadlines is not None:
        sections[2:2] = _admissions(deadlines)
    return [s for s in sections if s.total]


def _tasks(scope: Scope, day: datetime.date) -> Section:
    mine = Q(responsible_unit_id=scope.unit_id, status__in=(TaskStatus.OVERDUE, TaskStatus.DUE_SOON))
    assigned = Q(assigned_by_unit_id=scope.unit_id, status=TaskStatus.OVERDUE)
    tasks = tasks_of(scope).work().with_status(day).filter(mine | assigned).order_by("due_on", "pk")
    shown = list(tasks[:LIMIT])
    section = Section(
        "tasks",
        "Nhiệm vụ quá hạn, sắp đến hạn",
        total=len(shown),
        more_url=f"{reverse('tasks')}?xem=tat-ca&trang-thai=dang-mo",
    )
    if len(shown) == LIMIT:
        section.total = tasks.count()
    names = latest_names({t.responsible_unit_id for t in shown if t.responsible_unit_id != scope.unit_id})
    for task in shown:
        late = task.status == TaskStatus.OVERDUE
        note = (
            f"quá hạn {vn.format_number((day - task.due_on).days)} ngày"
            if late
            else f"hạn {vn.format_date(task.due_on)}"
        )
        if task.responsible_unit_id != scope.unit_id:
            note += f" · {names.get(task.responsible_unit_id, '')} chủ trì"
        section.items.append(Item(task.title, reverse("task", args=[task.pk]), note, late))
    return section


def _reports(scope: Scope, day: datetime.date) -> Section:
    soon = day + datetime.timedelta(days=settings.REPORT_DUE_SOON_DAYS)
    own = Q(unit_id=scope.unit_id) & (Q(status=ReportStatus.RETURNED) | Q(status=ReportStatus.DRAFT, due_on__lte=soon))
    received = Q(to_unit_id=scope.unit_id, status=ReportStatus.SUBMITTED)
    reports = reports_of(scope).filter(own | received).select_related("report_type").order_by("due_on", "pk")
    shown = list(reports[:LIMIT])
    section = Section("reports", "Báo cáo cần gửi, cần tiếp nhận", total=len(shown), more_url=reverse("reports"))
    if len(shown) == LIMIT:
        section.total = reports.count()
    names = latest_names({r.unit_id for r in shown if r.unit_id != scope.unit_id})
    for report in shown:
        if report.unit_id != scope.unit_id:
            text = f"Tiếp nhận {_name(report)} của {names.get(report.unit_id, '')}"
            note, late = "đã gửi, chờ tiếp nhận", False
        elif report.status == ReportStatus.RETURNED:
            text, note, late = f"Sửa và gửi lại {_name(report)}", "bị trả lại", True
        else:
            late = report.due_on is not None and report.due_on < day
            text = f"Gửi {_name(report)}"
            note = f"hạn {vn.format_date(report.due_on)}" if report.due_on else ""
        section.items.append(Item(text, reverse("report", args=[report.pk]), note, late))
    for item in _not_begun(scope, day):
        section.items.append(item)
        section.total += 1
    return section


def _not_begun(scope: Scope, day: datetime.date) -> list[Item]:
    """The reports the unit owes its committee above that the reminders remind it of (due soon, or
    overdue for less than a month) and that it has not begun: a draft is listed above. A unit
    reports to its direct parent (reports.board.expected), as its version at the period's end says
    (the scope's versions, already read); the rounds' terms (one query: a committee has one schedule
    a type) and the unit's reports of those rounds (one query) are read once, whatever the number
    of rounds."""
    version = scope.root_on(day)
    if version is None or version.parent_id is None:
        return []
    rounds = [r for r in due_rounds(day, version.parent_id) if reminded_on(day, r[4])]
    if not rounds:
        return []
    schedules = Schedule.objects.filter(superior_id=version.parent_id, active=True)
    kinds_of = dict(schedules.values_list("report_type_id", "reporter_kinds"))
    begun = Q(pk__in=[])
    for _, report_type, key, *_ in rounds:
        begun |= Q(report_type=report_type, period=key)
    begun = set(Report.objects.filter(begun, unit_id=scope.unit_id).values_list("report_type_id", "period"))
    items = []
    for superior_id, report_type, key, ends_on, due_on, request, label in rounds:
        kinds = request.reporter_kinds if request is not None else kinds_of.get(report_type.pk)
        then = scope.root_on(ends_on)
        owed = kinds is not None and then is not None and then.parent_id == superior_id and then.kind in kinds
        if not owed or (getattr(report_type, "pk", None), key) in begun:
            continue
        late = due_on < day
        note = f"quá hạn {(day - due_on).days} ngày" if late else f"hạn {vn.format_date(due_on)}"
        items.append(Item(f"Lập và gửi {label}", reverse("reports"), f"chưa lập · {note}", late))
    return items


def _name(report) -> str:
    """A report as the reminders name it ("Báo cáo tháng kỳ 10/2026"); an ad hoc one by its type."""
    period = periods.parse(report.report_type.period_kind, report.period)
    return f"{report.report_type.name} kỳ {period.label}" if period else report.report_type.name


def _admissions(deadlines: Deadlines) -> list[Section]:
    ceremonies = Section("ceremonies", "Lễ kết nạp chưa tổ chức", total=len(deadlines.ceremonies),
                         more_url=f"{reverse('pipeline')}#ceremonies")  # fmt: skip
    for d in deadlines.ceremonies[:LIMIT]:
        note = f"{d.unit_name} · hạn {vn.format_date(d.due)}" + (" · quá hạn" if d.overdue else "")
        ceremonies.items.append(Item(d.name, reverse("member_detail", args=[d.person_id]), note, d.overdue))
    recognitions = Section("recognitions", "Xét công nhận đảng viên chính thức", total=len(deadlines.recognitions),
                           more_url=f"{reverse('pipeline')}#recognitions")  # fmt: skip
    for d in deadlines.recognitions[:LIMIT]:
        note = f"{d.unit_name} · hết dự bị {vn.format_date(d.since)}, hạn {vn.format_date(d.due)}"
        recognitions.items.append(Item(d.name, reverse("member_detail", args=[d.person_id]), note, d.overdue))
    return [ceremonies, recognitions]


def _meetings(scope: Scope, day: datetime.date) -> Section:
    meetings = unheld_of(scope, day).order_by("planned_on", "pk")
    shown = list(meetings[:LIMIT])
    section = Section("minutes", "Buổi sinh hoạt đã qua chưa ghi biên bản", total=len(shown),
                      more_url=f"{reverse('meeting_list')}?status=planned")  # fmt: skip
    if len(shown) == LIMIT:
        section.total = meetings.count()
    names = latest_names({m.cell_id for m in shown})
    for meeting in shown:
        text = f"{meeting.get_kind_display()} ngày {vn.format_date(meeting.planned_on)}"
        section.items.append(Item(text, reverse("meeting", args=[meeting.pk]), names.get(meeting.cell_id, ""), True))
    return section


def _ratings(scope: Scope, user, day: datetime.date) -> Section:
    proposing = user.role == Role.CELL_SECRETARY
    title = "Đánh giá, xếp loại chờ chi bộ đề xuất" if proposing else "Đánh giá, xếp loại chờ quyết định"
    section = Section("ratings", title, more_url=reverse("rating_rounds"))
    # A round waits for the step only where some member, not exempted, lacks it (waiting is the
    # rated less those with the step, so it is at most those): the other rounds, every finished one,
    # are left out before counting, from the indexes of the ratings lacking a step.
    lacking = MemberRating.unscoped.filter(
        period=OuterRef("pk"), exempted=False, **{"proposed_level" if proposing else "decided_level": ""}
    )
    periods = list(RatingPeriod.objects.filter(starts_on__lte=day).filter(Exists(lacking)))
    progress = rating_progress(MemberRating.unscoped, "cell_id", scope, periods)
    for period in periods:
        counts = progress.get(period.pk)
        if not counts:
            continue
        rated = counts["listed"] - counts["exempted"]
        waiting = rated - (counts["proposed"] if proposing else counts["decided"])
        if waiting > 0:
            step = "chưa được đề xuất mức xếp loại" if proposing else "chưa có quyết định xếp loại"
            note = f"{vn.format_number(waiting)}/{vn.format_number(rated)} đảng viên {step}"
            section.items.append(Item(period.name, reverse("rating_round", args=[period.pk]), note))
    section.total = len(section.items)
    return section
