"""Daily reminders of tasks: due soon (within TASK_DUE_SOON_DAYS of the deadline), overdue (again
every TASK_OVERDUE_REPEAT_DAYS while it stays so) and stalled (no follow-up for TASK_STALLED_DAYS).

Each reminder is claimed before it is sent, by a conditional update of the task's row: the update
only matches while the reminder is still due, so of two runs — the same day, or at the same
moment — exactly one claims it. A task due soon is reminded once per deadline (an extension makes
a new one); a stalled task once per follow-up it stalled after.

The accounts of the responsible unit are reminded of all three; the accounts of the assigning unit
also of the overdue ones. The reports not yet sent are reminded in the same digest
(`reports.reminders`). Each person gets one digest per run: an in-app notification and, when
the account has an address, an email (Django's email backend)."""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from dangbo.accounts.models import Role, User
from dangbo.lib import vn
from dangbo.notices import links
from dangbo.notices.models import Notification
from dangbo.orgs.labels import unit_labels
from dangbo.reports.reminders import claim_due as report_reminders

from .actions import generate_all_occurrences
from .models import Task

log = logging.getLogger(__name__)

KIND_LABELS = {"overdue": "Quá hạn", "due_soon": "Sắp đến hạn", "stalled": "Chưa cập nhật tiến độ"}


@dataclass
class Item:
    kind: str
    task: Task


def _open_tasks(day: datetime.date):
    return Task.objects.work().filter(completed_on__isnull=True, starts_on__lte=day)


def _due_soon(day: datetime.date):
    soon = day + datetime.timedelta(days=settings.TASK_DUE_SOON_DAYS)
    return (
        _open_tasks(day)
        .filter(due_on__gte=day, due_on__lte=soon)
        .filter(Q(due_soon_reminded_for__isnull=True) | ~Q(due_soon_reminded_for=F("due_on")))
    )


def _overdue(day: datetime.date):
    again = day - datetime.timedelta(days=settings.TASK_OVERDUE_REPEAT_DAYS)
    return (
        _open_tasks(day)
        .filter(due_on__lt=day)
        .filter(Q(overdue_reminded_on__isnull=True) | Q(overdue_reminded_on__lte=again))
    )


def _stalled(day: datetime.date, now: datetime.datetime):
    quiet_since = now - datetime.timedelta(days=settings.TASK_STALLED_DAYS)
    active = Coalesce("last_update_at", "created_at")
    return (
        _open_tasks(day)
        .filter(due_on__gte=day)  # an overdue task is reminded as overdue
        .annotate(active=active)
        .filter(active__lt=quiet_since)
        .filter(Q(stalled_reminded_for__isnull=True) | ~Q(stalled_reminded_for=F("active")))
    )


def claim(kind: str, task_id: int, day: datetime.date, now: datetime.datetime) -> bool:
    """Claim one reminder of a task: True for the one run whose conditional update matched."""
    if kind == "due_soon":
        return _due_soon(day).filter(pk=task_id).update(due_soon_reminded_for=F("due_on")) == 1
    if kind == "overdue":
        return _overdue(day).filter(pk=task_id).update(overdue_reminded_on=day) == 1
    rows = _stalled(day, now).filter(pk=task_id)
    active = rows.values_list("active", flat=True).first()
    return active is not None and rows.update(stalled_reminded_for=active) == 1


def due(day: datetime.date, now: datetime.datetime) -> list[Item]:
    """The reminders due on `day`, not yet claimed (a task overdue is not also reminded as stalled)."""
    items = [Item("overdue", t) for t in _overdue(day)]
    items += [Item("due_soon", t) for t in _due_soon(day)]
    items += [Item("stalled", t) for t in _stalled(day, now)]
    return items


def _recipients(items: list[Item]) -> dict[int, list[Item]]:
    """{user id: items} — the responsible unit's accounts for every item, the assigning unit's for
    the overdue ones too."""
    units = {i.task.responsible_unit_id for i in items} | {i.task.assigned_by_unit_id for i in items}
    accounts = defaultdict(list)
    people = User.objects.filter(unit_id__in=units, is_active=True).exclude(role=Role.VIEWER)  # viewers do not act
    for user_id, unit_id in people.values_list("pk", "unit_id"):
        accounts[unit_id].append(user_id)
    by_user = defaultdict(list)
    for item in items:
        people = set(accounts[item.task.responsible_unit_id])
        if item.kind == "overdue":
            people |= set(accounts[item.task.assigned_by_unit_id])
        for user_id in people:
            by_user[user_id].append(item)
    return by_user


def _line(item: Item, names: dict, day: datetime.date) -> str:
    task = item.task
    when = f"hạn {vn.format_date(task.due_on)}"
    if item.kind == "overdue":
        when += f", quá hạn {(day - task.due_on).days} ngày"
    elif item.kind == "stalled":
        quiet = timezone.localtime(task.last_update_at or task.created_at).date()
        when += f", tiến độ {task.progress}%, chưa cập nhật từ {vn.format_date(quiet)}"
    unit = names.get(task.responsible_unit_id, "")
    # The page's path: a link in the notification, after SITE_URL in the email (`notices.links`).
    return f"- [{KIND_LABELS[item.kind]}] {task.title} — {unit}, {when}.\n  {reverse('task', args=[task.pk])}"


def send(day: datetime.date, now: datetime.datetime, connection=None) -> dict[str, int]:
    """Generate the recurring tasks' new occurrences, claim the reminders due and send one digest
    per person. Claims and notifications commit together; the emails go out after the commit
    (through `connection`, default the configured backend)."""
    made = generate_all_occurrences(day)
    with transaction.atomic():
        claimed = [i for i in due(day, now) if claim(i.kind, i.task.pk, day, now)]
        by_user = _recipients(claimed)
        reports, report_count = report_reminders(day)
        names = unit_labels({i.task.responsible_unit_id for i in claimed})
        users = {u.pk: u for u in User.objects.filter(pk__in=list(by_user) + list(reports))}
        digests = []
        for user_id in sorted(set(by_user) | set(reports)):
            items = by_user.get(user_id, [])
            items.sort(key=lambda i: (list(KIND_LABELS).index(i.kind), i.task.due_on, i.task.pk))
            kinds = [i.kind for i in items]
            counts = [f"{kinds.count(k)} {label.lower()}" for k, label in KIND_LABELS.items() if k in kinds]
            if reports.get(user_id):
                counts.append(f"{len(reports[user_id])} báo cáo chưa gửi")
            title = f"Nhắc việc ngày {vn.format_date(day)}: {', '.join(counts)}"
            text = "\n".join([_line(i, names, day) for i in items] + reports.get(user_id, []))
            Notification.objects.create(user_id=user_id, title=title, text=text, link=reverse("tasks"))
            digests.append((users[user_id], title, text))
    sent = 0
    for user, title, text in digests:
        if not user.email:
            continue
        try:
            body = f"Kính gửi {user.get_full_name() or user.username},\n\n{links.absolute(text)}\n"
            send_mail(f"[dangbo] {title}", body, settings.DEFAULT_FROM_EMAIL, [user.email], connection=connection)
            sent += 1
        except OSError:
            log.exception("reminder email to %s failed", user.email)
    return {"occurrences": made, "reminders": len(claimed), "report_reminders": report_count,
            "people": len(digests), "emails": sent}  # fmt: skip
