"""Reminders of reports, sent with the daily digest of `manage.py send_task_reminders`: to the
accounts of a unit whose report is due within REPORT_DUE_SOON_DAYS and not sent yet, and again once
it is overdue; to the accounts of the committee expecting them, once per period, how many have not
reported after the due day. Each reminder is claimed by inserting a `Reminder` row (unique per
unit, type, period and kind), so two runs never send it twice."""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse

from dangbo.accounts.models import Role, User
from dangbo.lib import vn

from . import periods
from .board import board
from .models import AdHocRequest, PeriodKind, Reminder, ReportType, Schedule

OVERDUE_FOR_DAYS = 31  # an overdue report is reminded once, within a month of its due day


def _claim(report_type: ReportType, unit_id: int, period: str, kind: str, day: datetime.date) -> bool:
    try:
        with transaction.atomic():
            Reminder.objects.create(report_type=report_type, unit_id=unit_id, period=period, kind=kind, sent_on=day)
    except IntegrityError:
        return False
    return True


def due_rounds(day: datetime.date, superior_id: int | None = None):
    """(superior id, type, period key, period end, due day, request, label) of the reports whose due day
    is near or just past; of one committee's (`superior_id`) or of every one."""
    schedules = Schedule.objects.filter(active=True).select_related("report_type")
    requests = AdHocRequest.objects.all()
    if superior_id is not None:
        schedules, requests = schedules.filter(superior_id=superior_id), requests.filter(superior_id=superior_id)
    for schedule in schedules:
        kind = schedule.report_type.period_kind
        if kind == PeriodKind.AD_HOC:
            continue
        period = periods.recent(kind, day, 1)[0]
        label = f"{schedule.report_type.name.lower()} kỳ {period.label}"
        yield (schedule.superior_id, schedule.report_type, period.key, period.ends_on,
               period.due_on(schedule.due_day), None, label)  # fmt: skip
    ad_hoc = ReportType.objects.filter(period_kind=PeriodKind.AD_HOC).first()
    window = (
        day - datetime.timedelta(days=OVERDUE_FOR_DAYS),
        day + datetime.timedelta(days=settings.REPORT_DUE_SOON_DAYS),
    )
    for request in requests.filter(due_on__range=window):
        yield request.superior_id, ad_hoc, f"dx{request.pk}", request.ends_on, request.due_on, request, request.title


def reminded_on(day: datetime.date, due_on: datetime.date) -> bool:
    """Whether a report due on `due_on` is reminded on `day`: due soon, or overdue for less than a month."""
    soon = datetime.timedelta(days=settings.REPORT_DUE_SOON_DAYS)
    return due_on - soon <= day <= due_on + datetime.timedelta(days=OVERDUE_FOR_DAYS)


def claim_due(day: datetime.date) -> tuple[dict[int, list[str]], int]:
    """({user id: lines}, how many reminders were claimed) for `day`; call inside a transaction."""
    lines_by_unit = defaultdict(list)
    link = reverse("reports")  # a path: linked in the notification, after SITE_URL in the email
    for superior_id, report_type, key, ends_on, due_on, request, label in due_rounds(day):
        if not reminded_on(day, due_on):
            continue
        overdue = day > due_on
        kind = "overdue" if overdue else "due_soon"
        lines = board(superior_id, report_type, key, ends_on, request, today=day)
        unsent = [line for line in lines if line.report is None]  # the board shows only reports sent
        for line in unsent:
            if _claim(report_type, line.unit_id, key, kind, day):
                when = f"quá hạn {(day - due_on).days} ngày" if overdue else f"hạn {vn.format_date(due_on)}"
                lines_by_unit[line.unit_id].append(f"- [Báo cáo] Chưa gửi {label} ({when}).\n  {link}")
        if overdue and unsent and _claim(report_type, superior_id, key, "missing", day):
            lines_by_unit[superior_id].append(
                f"- [Báo cáo] {vn.format_number(len(unsent))}/{vn.format_number(len(lines))} đơn vị chưa gửi {label} "
                f"(hạn {vn.format_date(due_on)}).\n  {reverse('report_board')}"
            )
    people = User.objects.filter(unit_id__in=list(lines_by_unit), is_active=True).exclude(role=Role.VIEWER)
    by_user = {user_id: lines_by_unit[unit_id] for user_id, unit_id in people.values_list("pk", "unit_id")}
    return by_user, sum(map(len, lines_by_unit.values()))
