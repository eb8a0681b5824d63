"""Whether the cells of a subtree kept their meetings over a period, by the rules of
settings.MEETING_RULES: a regular meeting in every period of `regular_months` (a month), a thematic
one in every period of `thematic_months` (a quarter), each at least `min_minutes` long
(`min_minutes_combined` when both are held together).

A cell owes a month (a quarter) when it lay in the subtree on every day of it and the month has
ended; a month in progress or one the cell only partly lived is shown, never counted missing.
Compliance is "the cell held every meeting it owed, each long enough": the share of such cells is
the "100% số chi bộ duy trì nền nếp sinh hoạt" of the reports.

The summary of every cell is counted in the database, a few figures per cell; the month-by-month
grid is read only for the cells shown on a page (`months_of`).
"""

from __future__ import annotations

import datetime
import functools
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Case, Count, ExpressionWrapper, F, IntegerField, Q, Sum, When
from django.db.models.functions import ExtractYear

from dangbo.lib import vn
from dangbo.orgs.models import CELL_KINDS, UnitVersion

from .models import REGULAR_KINDS, THEMATIC_KINDS, Attendance, Meeting, MeetingKind, Presence, month_index

UNEXCUSED_LIMIT = 3  # absences without reason in a year: a ground for removal (DOMAIN §3)


def rules() -> dict[str, int]:
    return settings.MEETING_RULES


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def months(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    """First days of the months from `start`'s to `end`'s, both included."""
    result, day = [], month_start(start)
    while day <= end:
        result.append(day)
        day = vn.add_months(day, 1)
    return result


def period_key(day: datetime.date, length: int) -> int:
    """The index of the period of `length` months holding `day` (periods aligned on January)."""
    return month_index(day) // length


def period_start(key: int, length: int) -> datetime.date:
    index = key * length
    return datetime.date(index // 12, index % 12 + 1, 1)


def _key_expression(length: int):
    return ExpressionWrapper(F("month_index") / length, output_field=IntegerField())


def too_short() -> Q:
    r = rules()
    return Q(duration_minutes__lt=r["min_minutes_combined"], kind=MeetingKind.COMBINED) | Q(
        duration_minutes__lt=r["min_minutes"], kind__in=[MeetingKind.REGULAR, MeetingKind.THEMATIC]
    )


@dataclass
class CellRow:
    unit_id: int
    name: str
    parent_name: str
    lived: list[tuple[datetime.date, datetime.date | None]]  # [from, to) in the subtree
    owed_regular: list[int] = field(default_factory=list)  # period keys
    owed_thematic: list[int] = field(default_factory=list)
    held_regular: int = 0  # owed periods with a regular meeting (summary: distinct periods held)
    held_thematic: int = 0
    short: int = 0  # meetings shorter than the rule
    meetings: int = 0
    required: int = 0
    required_present: int = 0
    missing_regular: list[int] | None = None  # filled for the cells of the page (months_of)
    missing_thematic: list[int] | None = None

    @property
    def complies(self) -> bool:
        return (
            self.held_regular >= len(self.owed_regular)
            and self.held_thematic >= len(self.owed_thematic)
            and self.short == 0
        )

    @property
    def gaps(self) -> int:
        return len(self.owed_regular) - self.held_regular + len(self.owed_thematic) - self.held_thematic

    @property
    def attendance_rate(self):
        return vn.percent(self.required_present, self.required)


@dataclass
class Compliance:
    start: datetime.date  # first day of the first month
    end: datetime.date  # first day of the last month
    cells: list[CellRow]
    months: list[datetime.date]
    cell_ids: object = None  # a subquery of the cells' ids

    @property
    def complying(self) -> int:
        return sum(1 for c in self.cells if c.complies)

    @property
    def rate(self):
        return vn.percent(self.complying, len(self.cells))

    @property
    def attendance_rate(self):
        return vn.percent(sum(c.required_present for c in self.cells), sum(c.required for c in self.cells))


def _lived(versions: list[tuple[datetime.date, datetime.date | None]]) -> list[list]:
    """Adjacent or overlapping [from, to) intervals merged."""
    merged: list[list] = []
    for start, end in sorted(versions):
        if merged and (merged[-1][1] is None or merged[-1][1] >= start):
            if merged[-1][1] is not None and (end is None or end > merged[-1][1]):
                merged[-1][1] = end
        else:
            merged.append([start, end])
    return merged


def _owed(lived, length: int, first: datetime.date, last: datetime.date, today: datetime.date) -> list[int]:
    """Keys of the periods of `length` months lying within [first month, last month], ended by
    `today`, that the cell lived through entirely. In month numbers: period k covers the months
    [k·length, (k+1)·length)."""
    return list(_owed_keys(tuple(map(tuple, lived)), length, month_index(first), month_index(last), month_index(today)))


@functools.lru_cache(maxsize=1024)
def _owed_keys(lived: tuple, length: int, low: int, last: int, now: int) -> tuple[int, ...]:
    """(Most cells share their life over a period: computed once for each.)"""
    high = min(last + 1, now)  # months from `high` on have not ended or lie outside
    owed: set[int] = set()
    for start, end in lived:
        lived_from = max(low, month_index(start) + (start.day > 1))  # the first whole month
        lived_to = high if end is None else min(high, month_index(end))  # exclusive
        owed.update(range(-(-lived_from // length), lived_to // length))
    return tuple(sorted(owed))


def compliance(root: UnitVersion, first: datetime.date, last: datetime.date, today: datetime.date) -> Compliance:
    """The cells that lay under `root`'s path at some time in the months from `first`'s to
    `last`'s, with what they owed and held. Four queries."""
    first, last = month_start(first), month_start(last)
    period_end = vn.add_months(last, 1)
    versions = (
        UnitVersion.objects.under(root.path)
        .filter(kind__in=CELL_KINDS, valid_from__lt=period_end)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=first))
    )
    cell_ids = versions.values("unit_id")
    versions = versions.values_list("unit_id", "name", "parent_id", "valid_from", "valid_to")
    spans, names = defaultdict(list), {}
    for unit_id, name, parent_id, valid_from, valid_to in versions.order_by("valid_from"):
        spans[unit_id].append((valid_from, valid_to))
        names[unit_id] = (name, parent_id)  # the latest within the period
    parents = dict(
        UnitVersion.objects.filter(unit_id__in={p for _, p in names.values()})
        .order_by("valid_from")
        .values_list("unit_id", "name")
    )
    r = rules()
    cells = []
    for unit_id, lived in spans.items():
        lived = _lived(lived)
        name, parent_id = names[unit_id]
        cells.append(
            CellRow(
                unit_id,
                name,
                parents.get(parent_id, ""),
                lived,
                _owed(lived, r["regular_months"], first, last, today),
                _owed(lived, r["thematic_months"], first, last, today),
            )  # fmt: skip
        )
    _count_held(cells, cell_ids, first, period_end, today)
    sort_key = functools.lru_cache(maxsize=None)(vn.text_sort_key)
    cells.sort(key=lambda c: (c.complies, sort_key(c.parent_name), sort_key(c.name)))
    return Compliance(first, last, cells, months(first, last), cell_ids)


def _owed_range(keys: list[int], length: int) -> tuple[datetime.date, datetime.date]:
    """[first day, day after) of a contiguous run of periods; an empty range when there is none."""
    if not keys:
        return datetime.date.max, datetime.date.max
    return period_start(keys[0], length), vn.add_months(period_start(keys[-1], length), length)


def _distinct_periods(kinds, length: int, run: tuple[datetime.date, datetime.date]) -> Count:
    """Distinct periods of `length` months within `run` holding a meeting of `kinds`."""
    key = ExpressionWrapper(F("month_index") / length, output_field=IntegerField())
    within = Q(kind__in=kinds, held_on__gte=run[0], held_on__lt=run[1])
    return Count(Case(When(within, then=key)), distinct=True)


def _count_held(cells: list[CellRow], cell_ids, first: datetime.date, period_end: datetime.date, today) -> None:
    """Per cell, in one aggregate query over the meetings (an index holds every column it reads):
    meetings, short ones, the attendance sums, and the distinct periods held with a regular and a
    thematic meeting within the run of periods that every cell living through the whole period
    owes — which are such a cell's owed periods held. The few other cells (founded, dissolved or
    moved within the period) are read meeting by meeting and counted against what they owe."""
    if not cells:
        return
    r = rules()
    last = vn.add_months(period_end, -1)
    whole_lived = [(first, None)]
    regular_run = _owed_range(_owed(whole_lived, r["regular_months"], first, last, today), r["regular_months"])
    thematic_run = _owed_range(_owed(whole_lived, r["thematic_months"], first, last, today), r["thematic_months"])
    by_id = {c.unit_id: c for c in cells}
    whole = {c.unit_id for c in cells if any(a <= first and (b is None or b >= period_end) for a, b in c.lived)}
    held = Meeting.unscoped.filter(cell_id__in=cell_ids, held_on__gte=first, held_on__lt=period_end)
    summary = held.values("cell_id").annotate(
        # Counting held_on, not id: the index holds no id, and reading one would visit the table.
        meetings=Count("held_on"),
        short=Count("held_on", filter=too_short()),
        required=Sum("required_count"),
        required_present=Sum("required_present_count"),
        regular=_distinct_periods(REGULAR_KINDS, r["regular_months"], regular_run),
        thematic=_distinct_periods(THEMATIC_KINDS, r["thematic_months"], thematic_run),
    )
    for row in summary.order_by():
        cell = by_id.get(row["cell_id"])
        if cell is None or cell.unit_id not in whole:
            continue
        cell.meetings, cell.short = row["meetings"], row["short"]
        cell.required, cell.required_present = row["required"] or 0, row["required_present"] or 0
        cell.held_regular, cell.held_thematic = row["regular"], row["thematic"]
    partial = [c.unit_id for c in cells if c.unit_id not in whole]
    seen: dict[tuple[int, str], set[int]] = defaultdict(set)
    columns = ("cell_id", "kind", "held_on", "duration_minutes", "required_count", "required_present_count")
    for cell_id, kind, day, minutes, required, required_present in held.filter(cell_id__in=partial).values_list(
        *columns
    ):
        cell = by_id[cell_id]
        if not any(a <= day and (b is None or day < b) for a, b in cell.lived):
            continue  # held while the cell lay elsewhere
        cell.meetings += 1
        cell.short += minutes is not None and minutes < _shortest(kind)
        cell.required += required
        cell.required_present += required_present
        if kind in REGULAR_KINDS:
            seen[cell_id, "regular"].add(period_key(day, r["regular_months"]))
        if kind in THEMATIC_KINDS:
            seen[cell_id, "thematic"].add(period_key(day, r["thematic_months"]))
    for cell_id in partial:
        cell = by_id[cell_id]
        cell.held_regular = len(seen[cell_id, "regular"] & set(cell.owed_regular))
        cell.held_thematic = len(seen[cell_id, "thematic"] & set(cell.owed_thematic))


def months_of(cells: list[CellRow], compliance_: Compliance) -> dict[int, dict[datetime.date, list[str]]]:
    """For the cells shown: {cell: {first day of month: [kinds of the meetings held that month]}},
    and their missing periods filled in. One query."""
    r = rules()
    grid: dict[int, dict[datetime.date, list[str]]] = {c.unit_id: defaultdict(list) for c in cells}
    seen: dict[tuple[int, str], set[int]] = defaultdict(set)
    period_end = vn.add_months(compliance_.end, 1)
    held = Meeting.unscoped.filter(cell_id__in=list(grid), held_on__gte=compliance_.start, held_on__lt=period_end)
    for cell_id, kind, day in held.order_by("held_on").values_list("cell_id", "kind", "held_on"):
        grid[cell_id][month_start(day)].append(kind)
        if kind in REGULAR_KINDS:
            seen[cell_id, "regular"].add(period_key(day, r["regular_months"]))
        if kind in THEMATIC_KINDS:
            seen[cell_id, "thematic"].add(period_key(day, r["thematic_months"]))
    for cell in cells:
        regular, thematic = seen[cell.unit_id, "regular"], seen[cell.unit_id, "thematic"]
        cell.missing_regular = [k for k in cell.owed_regular if k not in regular]
        cell.missing_thematic = [k for k in cell.owed_thematic if k not in thematic]
    return grid


def unexcused_members(cell_ids, first: datetime.date, period_end: datetime.date):
    """(member id, year, absences without reason) with at least UNEXCUSED_LIMIT in one calendar
    year, in meetings of these cells held within [first, period_end). Both sides are read from
    partial indexes: the meetings that counted such an absence, and those absences."""
    rows = (
        Attendance.unscoped.filter(
            presence=Presence.UNEXCUSED,
            meeting__unexcused_count__gt=0,
            meeting__cell_id__in=cell_ids,
            meeting__held_on__gte=first,
            meeting__held_on__lt=period_end,
        )
        .annotate(year=ExpressionWrapper(F("meeting__month_index") / 12, output_field=IntegerField()))
        .values("member_id", "year")
        .annotate(absences=Count("*"))
        .filter(absences__gte=UNEXCUSED_LIMIT)
        .order_by("year")
    )
    return [(row["member_id"], row["year"], row["absences"]) for row in rows]


def _shortest(kind: str) -> int:
    r = rules()
    return r["min_minutes_combined"] if kind == MeetingKind.COMBINED else r["min_minutes"]


def is_short(meeting: Meeting) -> bool:
    return meeting.duration_minutes is not None and meeting.duration_minutes < _shortest(meeting.kind)


def attendance_by_year(member_id: int) -> list[dict]:
    """A member's attendance at cell meetings, year by year (newest first): invited, expected
    (not exempted nor away), present among the expected, absent with and without reason."""
    rows = (
        Attendance.unscoped.filter(member_id=member_id, meeting__held_on__isnull=False)
        .annotate(year=ExtractYear("meeting__held_on"))
        .values("year")
        .annotate(
            invited=Count("id"),
            required=Count("id", filter=Q(exempted=False, away=False)),
            present=Count("id", filter=Q(exempted=False, away=False, presence=Presence.PRESENT)),
            excused=Count("id", filter=Q(presence=Presence.EXCUSED)),
            unexcused=Count("id", filter=Q(presence=Presence.UNEXCUSED)),
        )
        .order_by("-year")
    )
    return [{**row, "rate": vn.percent(row["present"], row["required"]),
             "flagged": row["unexcused"] >= UNEXCUSED_LIMIT} for row in rows]  # fmt: skip
