"""Completion statistics of tasks, per unit and per responsible head, for a period: the figures
Quy định 366-QĐ/TW rates on (100% of tasks on time for "good", at least 30% beyond requirement for
"excellent", at most 20% late for "done"). One function per figure; the statistics page and the
rating checks read them.

A task counts in a period when its deadline (as extended) falls in it and, by the day the figures
are read for, it was done or its deadline had passed: a task not yet due is nobody's lateness.
On time: reported done by the deadline. Late: done after it, or still open once it passed. Beyond
requirement: evaluated so by the assigning unit."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, F, Q

from dangbo.lib import vn
from dangbo.orgs.models import PATH_WIDTH, UnitVersion

from .models import Grade, Task


@dataclass
class Completion:
    counted: int = 0
    on_time: int = 0
    beyond: int = 0

    @property
    def late(self) -> int:
        return self.counted - self.on_time

    @property
    def on_time_share(self):
        return vn.percent(self.on_time, self.counted)

    @property
    def late_share(self):
        return vn.percent(self.late, self.counted)

    @property
    def beyond_share(self):
        return vn.percent(self.beyond, self.counted)

    def add(self, other: Completion) -> None:
        self.counted += other.counted
        self.on_time += other.on_time
        self.beyond += other.beyond


def counted_tasks(tasks, start: datetime.date, end: datetime.date, on: datetime.date):
    """The tasks of `tasks` that count in [start, end] as of `on` (see the module's docstring)."""
    return tasks.work().filter(due_on__gte=start, due_on__lte=end).filter(Q(completed_on__lte=on) | Q(due_on__lt=on))


def completion_by(field: str, tasks, start: datetime.date, end: datetime.date, on: datetime.date) -> dict:
    """{value of `field` (say "head_id"): Completion} over the counted tasks. One query."""
    rows = (
        counted_tasks(tasks, start, end, on)
        .values(field)
        .annotate(
            counted=Count("pk"),
            on_time=Count("pk", filter=Q(completed_on__lte=F("due_on")) & Q(completed_on__lte=on)),
            beyond=Count("pk", filter=Q(grade=Grade.BEYOND, completed_on__lte=on)),
        )
        .order_by()
    )
    return {row[field]: Completion(row["counted"], row["on_time"], row["beyond"]) for row in rows}


def head_completion(member_ids, start: datetime.date, end: datetime.date, on: datetime.date) -> dict[int, Completion]:
    """Each member's tasks as the responsible head."""
    return completion_by("head_id", Task.objects.filter(head_id__in=list(member_ids)), start, end, on)


def unit_completion(unit_ids, start: datetime.date, end: datetime.date, on: datetime.date) -> dict[int, Completion]:
    """Each unit's own tasks as the responsible unit (not its sub-units')."""
    return completion_by("responsible_unit_id", Task.objects.filter(responsible_unit_id__in=list(unit_ids)),
                         start, end, on)  # fmt: skip


def subtree_completion(root: UnitVersion, start, end, on) -> tuple[Completion, list[tuple[UnitVersion, Completion]]]:
    """The tasks of units in `root`'s subtree (as it stands on `on`): the whole, and each direct
    sub-unit's subtree (by name; those with nothing counted left out). Three queries."""
    versions = UnitVersion.objects.on(on).under(root.path)
    tasks = Task.objects.filter(responsible_unit_id__in=versions.values("unit_id"))
    per_unit = completion_by("responsible_unit_id", tasks, start, end, on)
    paths = dict(versions.filter(unit_id__in=list(per_unit)).values_list("unit_id", "path"))
    children = {c.path: c for c in UnitVersion.objects.on(on).filter(parent_id=root.unit_id)}
    width = len(root.path) + PATH_WIDTH
    total, by_child = Completion(), {path: Completion() for path in children}
    for unit_id, completion in per_unit.items():
        total.add(completion)
        child = by_child.get(paths.get(unit_id, "")[:width])
        if child is not None:
            child.add(completion)
    rows = [(children[path], c) for path, c in by_child.items() if c.counted]
    rows.sort(key=lambda row: vn.text_sort_key(row[0].name))
    return total, rows


def whole_percent(part: int, whole: int) -> int | None:
    """A share as the whole percent stored on a rating, rounded down (99,9% is not 100%)."""
    return None if not whole else part * 100 // whole
