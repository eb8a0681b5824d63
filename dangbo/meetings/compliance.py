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
    low = month_index(first)
    high = min(month_index(last) + 1, month_index(today))  # months after `high` have not ended or lie outside
    owed: list[int] = []
    for start, end in lived:
        lived_from = month_index(start) + (start.day > 1)  # its first whole month
        lived_to = high if end is None else min(high, month_index(end))  # exclusive
        begin = max(low, lived_from)
        first_key = -(-begin // length)  # ceiling
        owed.extend(k for k in range(first_key, lived_to // length) if (k + 1) * length <= lived_to)
    return sorted(set(owed))


def compliance(root: UnitVersion, first: datetime.date, last: datetime.date, today: datetime.date) -> Compliance:
    """The cells that lay under `root`'s path at some time in the months from `first`'s to
    `last`'s, with what they owed and held. Four queries."""
    first, last = month_start(first), month_start(last)
    period_end = vn.add_months(last, 1)
    versions = (
        UnitVersion.objects.under(root.path)
        .filter(kind__in=CELL_KINDS, valid_from__lt=period_end)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=first))
        .values_list("unit_id", "name", "parent_id", "valid_from", "valid_to")
    )
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
    _count_held(cells, first, period_end, today)
    cells.sort(key=lambda c: (c.complies, vn.text_sort_key(c.parent_name), vn.text_sort_key(c.name)))
    return Compliance(first, last, cells, months(first, last))


def _owed_range(keys: list[int], length: int) -> tuple[datetime.date, datetime.date] | None:
    if not keys:
        return None
    return period_start(keys[0], length), vn.add_months(period_start(keys[-1], length), length)


def _count_held(cells: list[CellRow], first: datetime.date, period_end: datetime.date, today) -> None:
    """Per cell, in one query: distinct periods with a regular and a thematic meeting, short
    meetings and the attendance sums. A cell that lived through the whole period owes the same
    contiguous run of ended periods as every such cell, so its distinct periods held, less those
    outside that run (read meeting by meeting), are its owed periods held. The few other cells
    (founded, dissolved or moved within the period) are read meeting by meeting."""
    if not cells:
        return
    r = rules()
    whole_lived = [(first, period_end)]
    runs = [
        _owed_range(_owed(whole_lived, r[name], first, vn.add_months(period_end, -1), today), r[name])
        for name in ("regular_months", "thematic_months")
    ]
    if None in runs:
        low = high = first  # nothing owed: read every meeting
    else:
        low, high = max(run[0] for run in runs), min(run[1] for run in runs)
    whole = {c.unit_id for c in cells if any(a <= first and (b is None or b >= period_end) for a, b in c.lived)}
    held = Meeting.unscoped.filter(cell_id__in=[c.unit_id for c in cells], held_on__gte=first, held_on__lt=period_end)
    regular_key, thematic_key = _key_expression(r["regular_months"]), _key_expression(r["thematic_months"])
    summary = held.values("cell_id").annotate(
        meetings=Count("id"),
        short=Count("id", filter=too_short()),
        required=Sum("required_count"),
        required_present=Sum("required_present_count"),
        regular=Count(Case(When(kind__in=REGULAR_KINDS, then=regular_key)), distinct=True),
        thematic=Count(Case(When(kind__in=THEMATIC_KINDS, then=thematic_key)), distinct=True),
    )
    by_id = {c.unit_id: c for c in cells}
    for row in summary.order_by():
        cell = by_id[row["cell_id"]]
        cell.meetings, cell.short = row["meetings"], row["short"]
        cell.required, cell.required_present = row["required"] or 0, row["required_present"] or 0
        if cell.unit_id in whole:
            cell.held_regular, cell.held_thematic = row["regular"], row["thematic"]
    partial = [c.unit_id for c in cells if c.unit_id not in whole]
    for cell_id in partial:  # counted below from their meetings held while they lay in the subtree
        by_id[cell_id].meetings = by_id[cell_id].short = by_id[cell_id].required = 0
        by_id[cell_id].required_present = 0
    outside = Q(held_on__lt=low) | Q(held_on__gte=high) | Q(cell_id__in=partial)
    seen: dict[tuple[int, str], set[int]] = defaultdict(set)
    columns = ("cell_id", "kind", "held_on", "duration_minutes", "required_count", "required_present_count")
    for cell_id, kind, day, minutes, required, required_present in held.filter(outside).values_list(*columns):
        cell = by_id[cell_id]
        if cell_id not in whole:
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
    for cell in cells:
        regular, thematic = seen.get((cell.unit_id, "regular"), set()), seen.get((cell.unit_id, "thematic"), set())
        if cell.unit_id in whole:
            cell.held_regular -= len(regular - set(cell.owed_regular))
            cell.held_thematic -= len(thematic - set(cell.owed_thematic))
        else:
            cell.held_regular = len(regular & set(cell.owed_regular))
            cell.held_thematic = len(thematic & set(cell.owed_thematic))


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
    year, in meetings of these cells held within [first, period_end). Only the meetings that
    counted such an absence are joined to their attendance."""
    meetings = Meeting.unscoped.filter(
        cell_id__in=cell_ids, held_on__gte=first, held_on__lt=period_end, unexcused_count__gt=0
    )
    rows = (
        Attendance.unscoped.filter(presence=Presence.UNEXCUSED, meeting__in=meetings.values("pk"))
        .annotate(year=ExpressionWrapper(F("meeting__month_index") / 12, output_field=IntegerField()))
        .values("member_id", "year")
        .annotate(absences=Count("id"))
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
