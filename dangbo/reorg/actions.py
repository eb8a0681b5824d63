"""Reorganisations (sắp xếp tổ chức), one action per operation, each from one decision.

Every action locks the units it names, computes its plan again inside the transaction
(reorg.plan), refuses when the plan differs from the one the user previewed (`expected`, the
plan's fingerprint: someone changed the tree, the members or the work meanwhile), then carries the
plan out through the orgs actions (found, change, dissolve) and the members' transfer event, so
every rule of those stays in force and the tallies follow. Nothing is written unless all of it is.
Earlier dates are untouched: every write takes effect from the operation's day.
"""

from __future__ import annotations

import datetime
from contextlib import contextmanager

from django.core.exceptions import ValidationError
from django.db import transaction

from dangbo.accounts.models import User
from dangbo.audit.log import audited, record, snapshot
from dangbo.lib import vn
from dangbo.members import actions as member_actions
from dangbo.members.models import Member
from dangbo.orgs import actions as org_actions
from dangbo.orgs.models import Succession, Term, Unit
from dangbo.reports.models import Schedule
from dangbo.tasks.models import Task

from . import plan as planning
from .plan import Decision, NewUnit, Plan

CHANGED_MEANWHILE = (
    "Tình hình đã thay đổi kể từ khi xem trước (có người vừa ghi nhận thay đổi liên quan): chưa ghi gì. "
    "Hãy xem lại phần xem trước rồi xác nhận lại."
)
NOTE = "Theo quyết định sắp xếp tổ chức"


def _lock(unit_ids) -> None:
    """Serialise operations on the same units (two people confirming at once): the second waits,
    then plans again and finds what the first did."""
    ids = sorted({i for i in unit_ids if isinstance(i, int)})
    list(Unit.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))


def _check_expected(plan: Plan, expected: str | None) -> None:
    if expected is not None and plan.fingerprint() != expected:
        raise ValidationError(CHANGED_MEANWHILE)


@contextmanager
def _about(what: str):
    """A refusal of the write inside is said with the unit or member it concerns and the day."""
    try:
        yield
    except ValidationError as refusal:
        raise ValidationError(f"{what}: {' '.join(refusal.messages)}") from None


def _carry_out(actor, plan: Plan, new_units: dict[str, NewUnit]) -> dict:
    on, text = plan.on, plan.decision.text()
    day = vn.format_date(on)
    made: dict = {}
    for key, name, _form_name, _parent_name in plan.founded:
        spec = new_units[key]
        with _about(f"“{name}”, ngày {day}"):
            parent = Unit.objects.get(pk=spec.parent_id)
            made[key] = org_actions.found_unit(actor, name=spec.name, form=spec.form, parent=parent, on=on,
                                               decision=text)  # fmt: skip

    def unit(key) -> Unit:
        return made[key] if isinstance(key, str) else Unit.objects.get(pk=key)

    for unit_id, old, new in plan.renamed:
        with _about(f"“{old}”, ngày {day}"):
            org_actions.change_unit(actor, unit(unit_id), on=on, name=new, decision=text)
    for unit_id, name, _from, to_key, _to, _size, _members in plan.moved:
        with _about(f"“{name}”, ngày {day}"):
            org_actions.change_unit(actor, unit(unit_id), on=on, parent=unit(to_key), decision=text)
    for member_id, name, from_id, _from, to_key, _to in plan.transfers:
        with _about(f"Đảng viên {name}, ngày {day}"):
            member_actions.transfer_within(actor, Member.unscoped.get(pk=member_id), unit=unit(to_key),
                                           from_unit=unit(from_id), effective_on=on, note=NOTE,
                                           **plan.decision.event_fields())  # fmt: skip
    for task_id, _title, field, from_id, _from, to_key, _to in plan.tasks:
        task = Task.objects.select_for_update().get(pk=task_id)
        if getattr(task, f"{field}_id") != from_id or task.completed_on is not None:
            raise ValidationError(CHANGED_MEANWHILE)
        setattr(task, field, unit(to_key))
        task.save(update_fields=[field])
        record(actor, "reorg_reassign_task", task, {field: from_id}, {field: getattr(task, f"{field}_id")}, note=text)
    for schedule_id, _label, _from_id, _from, to_key, _to in plan.schedules:
        # A copy: the old unit's schedule stays, so its board of the periods before reads the same.
        schedule = Schedule.objects.get(pk=schedule_id)
        copy = Schedule.objects.create(superior=unit(to_key), report_type=schedule.report_type,
                                       reporter_kinds=schedule.reporter_kinds, due_day=schedule.due_day)  # fmt: skip
        record(actor, "reorg_copy_schedule", copy, None, snapshot(copy), note=text, unit=copy.superior_id)
    for account_id, _username, _role, _from, to_key, _to in plan.accounts:
        if to_key is None:
            continue
        account = User.objects.get(pk=account_id)
        before = account.unit_id
        account.unit = unit(to_key)
        account.save(update_fields=["unit"])
        record(actor, "reorg_move_account", account, {"unit": before}, {"unit": account.unit_id}, note=text,
               unit=account.unit_id)  # fmt: skip
    for unit_id, name in plan.dissolved:
        with _about(f"“{name}”, ngày {day}"):
            org_actions.dissolve_unit(actor, unit(unit_id), on=on, decision=text)
    for unit_id, _name, to_key, _to in plan.successions:
        succession = Succession.objects.create(predecessor_id=unit_id, successor=unit(to_key), on=on, decision=text)
        record(actor, "reorg_succession", succession, None, snapshot(succession), note=text, unit=unit_id)
    for key, name, starts_on in plan.terms:
        term = Term.objects.create(committee=unit(key), name=name, starts_on=starts_on)
        record(actor, "reorg_term", term, None, snapshot(term), note=text, unit=term.committee_id)
    return made


def _finish(actor, code: str, plan: Plan, target: Unit) -> None:
    record(actor, code, target, None, plan.snapshot(), note=plan.summary)


def _unit_key(value):
    return value.parent_id if isinstance(value, NewUnit) else value


@transaction.atomic
@audited
def merge_units(actor, scope, *, sources: list[int], receiver: int | NewUnit, on: datetime.date, decision: Decision,
                expected: str | None = None) -> Unit:  # fmt: skip
    """Hợp nhất: `sources` into `receiver` (an existing unit's id, or a NewUnit founded on `on`)."""
    _lock([*sources, _unit_key(receiver)])
    plan = planning.plan_merge(scope, sources=sources, receiver=receiver, on=on, decision=decision)
    _check_expected(plan, expected)
    made = _carry_out(actor, plan, {"new0": receiver} if isinstance(receiver, NewUnit) else {})
    target = made.get("new0") or Unit.objects.get(pk=receiver)
    _finish(actor, "reorg_merge", plan, target)
    return target


@transaction.atomic
@audited
def split_unit(actor, scope, *, source: int, destinations: list, children: dict[int, int],
               members: dict[int, int], keep: bool, on: datetime.date, decision: Decision,
               expected: str | None = None) -> list[Unit]:  # fmt: skip
    """Chia tách: `source` into `destinations` (existing ids or NewUnits)."""
    _lock([source, *(_unit_key(d) for d in destinations)])
    plan = planning.plan_split(scope, source=source, destinations=destinations, children=children, members=members,
                               keep=keep, on=on, decision=decision)  # fmt: skip
    _check_expected(plan, expected)
    new_units = {f"new{i}": d for i, d in enumerate(destinations) if isinstance(d, NewUnit)}
    made = _carry_out(actor, plan, new_units)
    targets = [made[f"new{i}"] if isinstance(d, NewUnit) else Unit.objects.get(pk=d)
               for i, d in enumerate(destinations)]  # fmt: skip
    _finish(actor, "reorg_split", plan, Unit.objects.get(pk=source))
    return targets


@transaction.atomic
@audited
def rename_unit(actor, scope, *, unit: int, name: str, on: datetime.date, decision: Decision,
                expected: str | None = None) -> Unit:  # fmt: skip
    _lock([unit])
    plan = planning.plan_rename(scope, unit=unit, name=name, on=on, decision=decision)
    _check_expected(plan, expected)
    _carry_out(actor, plan, {})
    target = Unit.objects.get(pk=unit)
    _finish(actor, "reorg_rename", plan, target)
    return target


@transaction.atomic
@audited
def move_unit(actor, scope, *, unit: int, parent: int, on: datetime.date, decision: Decision,
              expected: str | None = None) -> Unit:  # fmt: skip
    _lock([unit, parent])
    plan = planning.plan_move(scope, unit=unit, parent=parent, on=on, decision=decision)
    _check_expected(plan, expected)
    _carry_out(actor, plan, {})
    target = Unit.objects.get(pk=unit)
    _finish(actor, "reorg_move", plan, target)
    return target


@transaction.atomic
@audited
def dissolve(actor, scope, *, unit: int, receiver: int | None, on: datetime.date, decision: Decision,
             expected: str | None = None) -> Unit:  # fmt: skip
    _lock([unit, receiver])
    plan = planning.plan_dissolve(scope, unit=unit, receiver=receiver, on=on, decision=decision)
    _check_expected(plan, expected)
    _carry_out(actor, plan, {})
    target = Unit.objects.get(pk=unit)
    _finish(actor, "reorg_dissolve", plan, target)
    return target


@transaction.atomic
@audited
def transfer_members(actor, scope, *, cell: int, to: int, member_ids: list[int], on: datetime.date,
                     decision: Decision, expected: str | None = None) -> int:  # fmt: skip
    """Chuyển sinh hoạt hàng loạt: one transfer event per member, all or none."""
    _lock([cell, to])
    plan = planning.plan_transfer(scope, cell=cell, to=to, member_ids=member_ids, on=on, decision=decision)
    _check_expected(plan, expected)
    _carry_out(actor, plan, {})
    _finish(actor, "reorg_transfer", plan, Unit.objects.get(pk=to))
    return len(plan.transfers)
