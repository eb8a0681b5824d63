"""Who sees and who acts on a task. A task is seen by the scopes holding its responsible unit, its
assigning unit or one of its coordinating units (as `Scope.units_kept`: today's units and those
dissolved inside the subtree); anything else answers 404. The responsible unit's accounts report
on it (progress, extension requests, completion, sub-tasks); the assigning unit's accounts decide
on it (extensions, evaluation) — for a task a unit gave itself, the unit above it does. The viewer
role sees the statistics by unit only: tasks name their heads."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q
from django.http import Http404

from dangbo.accounts.scope import Scope
from dangbo.lib.http import id_param, today
from dangbo.orgs.models import UnitVersion

from .models import Task


def tasks_of(scope: Scope):
    kept = scope.units_kept().values("unit_id")
    coordinated = Task.coordinating_units.through.objects.filter(task_id=OuterRef("pk"), unit_id__in=kept)
    return Task.objects.filter(Q(responsible_unit_id__in=kept) | Q(assigned_by_unit_id__in=kept) | Exists(coordinated))


def task_or_404(scope: Scope, task_id, day: datetime.date) -> Task:
    """A task the scope sees, with its status on `day`."""
    if not scope.sees_people or id_param(task_id) is None:
        raise Http404
    task = (
        tasks_of(scope)
        .with_status(day)
        .select_related(
            "responsible_unit", "assigned_by_unit", "head", "assigned_by", "parent", "series", "target", "part"
        )  # fmt: skip
        .filter(pk=task_id)
        .first()
    )
    if task is None:
        raise Http404
    return task


def is_responsible(scope: Scope, task: Task) -> bool:
    return scope.sees_people and scope.unit_id == task.responsible_unit_id


def deciding_unit(task: Task) -> int:
    """Who decides on a task (extensions, the evaluation): the assigning unit; for a task a unit
    gave itself, the unit above it (so that no one grades their own work), or the unit itself at
    the top of the tree."""
    if task.assigned_by_unit_id != task.responsible_unit_id:
        return task.assigned_by_unit_id
    above = UnitVersion.objects.on(today()).filter(unit_id=task.responsible_unit_id).values_list("parent_id", flat=True)
    return above.first() or task.assigned_by_unit_id


def is_assigner(scope: Scope, task: Task) -> bool:
    return scope.sees_people and scope.unit_id == deciding_unit(task)


def require(allowed: bool) -> None:
    """A user who sees the task but is on the other side of it: 403 (the task is no secret to them)."""
    if not allowed:
        raise PermissionDenied
