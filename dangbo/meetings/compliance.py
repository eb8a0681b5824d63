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
import itertools
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.db.models import Case, Count, ExpressionWrapper, F, IntegerField, OuterRef, Q, Sum, When
from django.db.models.functions import ExtractYear

from dangbo.lib import vn
from dangbo.orgs.models import CELL_KINDS, UnitVersion

from .models import REGULAR_KINDS, THEMATIC_KINDS, Attendance, CellYear, Meeting, MeetingKind, Presence, month_index

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


@functools.lru_cache(maxsize=65536)
def _owed_keys(lived: tuple, length: int, low: int, last: int, now: int) -> tuple[int, ...]:
    """(Most cells share their life over a period: computed once for each.)"""
    high = min(last + 1, now)  # months from `high` on have not ended or lie outside
    owed: set[int] = set()
    for start, end in lived:
        lived_from = max(low, month_index(start) + (start.day > 1))  # the first whole month
        lived_to = high if end is None else min(high, month_index(end))  # exclusive
        owed.update(range(-(-lived_from // length), lived_to // length))
    return tuple(sorted(owed))


def _cell_lives(root: UnitVersion, first: datetime.date, period_end: datetime.date):
    """The cells under `root`'s path at some time in [first, period_end): a subquery of their ids,
    and for each its spans there, its latest name and its parent's name within the range."""
    versions = (
        UnitVersion.objects.under(root.path)
        .filter(kind__in=CELL_KINDS, valid_from__lt=period_end)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=first))
    )
    cell_ids = versions.values("unit_id")
    spans, names = defaultdict(list), {}
    rows = versions.values_list("unit_id", "name", "parent_id", "valid_from", "valid_to").order_by("valid_from")
    for unit_id, name, parent_id, valid_from, valid_to in rows:
        spans[unit_id].append((valid_from, valid_to))
        names[unit_id] = (name, parent_id)  # the latest within the period
    parents = dict(
        UnitVersion.objects.filter(unit_id__in={p for _, p in names.values()})
        .order_by("valid_from")
        .values_list("unit_id", "name")
    )
    lives = {unit_id: (tuple(map(tuple, _lived(lived))), names[unit_id][0], parents.get(names[unit_id][1], ""))
             for unit_id, lived in spans.items()}  # fmt: skip
    return cell_ids, lives


def _rows(lives, first: datetime.date, last: datetime.date, today: datetime.date) -> list[CellRow]:
    """A row for each cell that lay in the subtree during the months from `first` to `last`, with
    the periods it owes there."""
    r = rules()
    regular, thematic = r["regular_months"], r["thematic_months"]
    period_end = vn.add_months(last, 1)
    low, high, now = month_index(first), month_index(last), month_index(today)
    cells = []
    for unit_id, (lived, name, parent_name) in lives.items():  # (tens of thousands in a city: kept lean)
        if len(lived) == 1:
            (a, b), = lived
            if not (a < period_end and (b is None or b > first)):
                continue
        elif not any(a < period_end and (b is None or b > first) for a, b in lived):
            continue
        cells.append(CellRow(unit_id, name, parent_name, lived, list(_owed_keys(lived, regular, low, high, now)),
                             list(_owed_keys(lived, thematic, low, high, now))))  # fmt: skip
    return cells


def sorted_cells(cells: list[CellRow]) -> list[CellRow]:
    """Those that did not comply first, then by the unit above and by name."""
    return _sorted(cells)


def _sorted(cells: list[CellRow]) -> list[CellRow]:
    sort_key = functools.lru_cache(maxsize=None)(vn.text_sort_key)
    return sorted(cells, key=lambda c: (c.complies, sort_key(c.parent_name), sort_key(c.name)))


def compliance(root: UnitVersion, first: datetime.date, last: datetime.date, today: datetime.date) -> Compliance:
    """The cells that lay under `root`'s path at some time in the months from `first`'s to
    `last`'s, with what they owed and held. Four queries."""
    first, last = month_start(first), month_start(last)
    period_end = vn.add_months(last, 1)
    cell_ids, lives = _cell_lives(root, first, period_end)
    cells = _rows(lives, first, last, today)
    _count_held(cells, cell_ids, first, period_end, today)
    return Compliance(first, last, _sorted(cells), months(first, last), cell_ids)


def compliance_by_year(root: UnitVersion, first: datetime.date, last: datetime.date,
                       today: datetime.date) -> dict[int, Compliance]:  # fmt: skip
    """`compliance` for each calendar year of the months from `first`'s to `last`'s (the first and
    last years clipped to them), the cells placed under `root`'s path, in four queries for all the
    years: the same figures as calling `compliance` year by year."""
    first, last = month_start(first), month_start(last)
    period_end = vn.add_months(last, 1)
    cell_ids, lives = _cell_lives(root, first, period_end)
    years = {}
    for year in range(first.year, last.year + 1):
        a, b = max(first, datetime.date(year, 1, 1)), min(last, datetime.date(year, 12, 1))
        years[year] = Compliance(a, b, _rows(lives, a, b, today), months(a, b), cell_ids)
    _count_held_by_year(years, cell_ids, first, period_end, today)
    return years  # the cells unsorted: `sorted_cells` orders one year's for a page


# Cells that lay in the subtree in one version over the whole period (nearly all): counted in SQL
# by key, and their yearly summaries judged there too — whether each cell complied is a test of
# its bits against what the year owed (`_complies_sql`) — so a few rows come back, not one per cell.
# The first rows (year NULL) count the steady cells, the others those with a summary that year and
# the complying ones among them: the versions are read once (`steady`, used twice), the summaries
# from the covering index `cellyear_year`, in its order (CROSS JOIN: SQLite walks the summaries and
# looks each cell up, a fifth faster at 250,000 members than the other way round; PostgreSQL
# plans the join freely). Without a key the rows are grouped by year alone, in that order too:
# grouping by the constant key as well cost SQLite a third more. SQLite keeps `steady` once
# (materialized), as it should; PostgreSQL is told to fold it into each use (NOT MATERIALIZED),
# or it hashes the 130,000 summaries of a term instead of the 26,000 cells: 85 ms, not 50.
_STEADY_COUNTS = """
WITH steady AS {materialized}(
  SELECT v.unit_id, {key} AS key FROM orgs_unitversion v
  WHERE v.path LIKE %(prefix)s AND v.kind IN ({kinds}) AND v.valid_from <= %(first)s
    AND (v.valid_to IS NULL OR v.valid_to >= %(period_end)s)
)
SELECT NULL, key, 0, COUNT(*) FROM steady GROUP BY key
UNION ALL
SELECT cy.year, {row_key}, SUM(CASE {complies} ELSE 0 END), COUNT(*)
FROM meetings_cellyear cy CROSS JOIN steady s
WHERE cy.cell_id = s.unit_id AND cy.year IN ({years})
GROUP BY cy.year{group}
"""


def compliance_counts_by_year(root: UnitVersion, first: datetime.date, last: datetime.date, today: datetime.date,
                              width: int | None = None) -> dict[int, dict]:  # fmt: skip
    """For each calendar year of the months from `first`'s to `last`'s (the first and last years
    clipped to them): {key: [cells complying, cells]} — the counts of `compliance` for that year,
    read from the cells' yearly summaries (one row per cell and year) rather than every meeting.
    Without `width`, all under the key None; with it, by the first `width` characters of each
    cell's path in its latest version begun by the end of the period (its sub-unit, say). A few
    queries, whatever the number of cells.

    A month owed is one the cell lived through entirely in the subtree, so a meeting held that
    month counts wherever the summary says it was; only a short meeting of a cell that lived part
    of a year elsewhere is looked up meeting by meeting."""
    first, last = month_start(first), month_start(last)
    period_end = vn.add_months(last, 1)
    r = rules()
    if 12 % r["regular_months"] or 12 % r["thematic_months"]:  # periods across years: from the meetings
        return {year: _tally(result.cells, _path_key(result.cells, period_end, width)) for year, result in
                compliance_by_year(root, first, last, today).items()}  # fmt: skip
    regular_months, thematic_months = r["regular_months"], r["thematic_months"]
    now = month_index(today)
    windows, owed = {}, {}
    for year in range(first.year, last.year + 1):
        a, b = max(first, datetime.date(year, 1, 1)), min(last, datetime.date(year, 12, 1))
        low, high = month_index(a), month_index(b)
        always = ((a, None),)  # what a cell that lay in the subtree the whole time owes
        windows[year] = (a, vn.add_months(b, 1), low, high, sum(1 << m for m in range(a.month - 1, b.month)))
        owed[year] = (
            _owed_keys(always, regular_months, low, high, now),
            _owed_keys(always, thematic_months, low, high, now),
        )
    complies = " ".join(f"WHEN cy.year = {year} AND {_complies_sql(*owed[year], windows[year][4])} THEN 1"
                        for year in windows)  # fmt: skip
    params = {"prefix": root.path + "%", "first": first, "period_end": period_end}
    kinds = ", ".join(f"'{kind}'" for kind in CELL_KINDS)  # constants of the code, not input
    key_sql = f"substr(v.path, 1, {int(width)})" if width else "NULL"
    inlined = "NOT MATERIALIZED " if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        # The version must be a cell's (a cell that became a sub-committee keeps its earlier summaries).
        cursor.execute(_STEADY_COUNTS.format(key=key_sql, kinds=kinds, complies=complies,
                                             row_key="s.key" if width else "NULL", group=", s.key" if width else "",
                                             materialized=inlined,
                                             years=", ".join(map(str, windows))), params)  # fmt: skip
        rows = cursor.fetchall()
    steady = {key: n for year, key, _, n in rows if year is None}
    counts: dict[int, dict] = {}
    for year in windows:
        tally = counts[year] = {key: [0, n] for key, n in steady.items()}
        without = dict(steady)  # the steady cells with no summary this year held nothing
        for row_year, key, complying, n in rows:
            if row_year == year:
                tally[key][0] += complying
                without[key] -= n
        if not owed[year][0] and not owed[year][1]:  # nothing owed yet: those without a summary comply
            for key, n in without.items():
                tally[key][0] += n
    _count_moving(root, first, last, period_end, today, width, counts, windows)
    return counts


def _complies_sql(owed_regular: tuple[int, ...], owed_thematic: tuple[int, ...], window: int) -> str:
    """The SQL test of a summary row (`cy`) of a cell that owed these periods over the months of
    `window` (bits): `_holds` on both kinds and no short meeting in those months."""
    r = rules()
    tests = [f"(cy.short_months & {window}) = 0"]
    for column, owed, length in (("cy.regular_months", owed_regular, r["regular_months"]),
                                 ("cy.thematic_months", owed_thematic, r["thematic_months"])):  # fmt: skip
        masks = [_period_mask(key, length) for key in owed]
        if length == 1 and masks:  # one month a period: all their bits set, tested at once
            tests.append(f"({column} & {sum(masks)}) = {sum(masks)}")
        else:
            tests.extend(f"({column} & {mask}) <> 0" for mask in masks)
    return " AND ".join(tests)


def _count_moving(root, first, last, period_end, today, width, counts, windows) -> None:
    """Add to `counts` the cells that were founded, dissolved, moved or renamed during the period:
    their lives in the subtree read one by one (a handful of cells)."""
    r = rules()
    regular_months, thematic_months = r["regular_months"], r["thematic_months"]
    versions = (
        UnitVersion.objects.under(root.path)
        .filter(kind__in=CELL_KINDS, valid_from__lt=period_end)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=first))
    )
    # A unit's versions follow one another without overlapping: a cell with a steady version (one
    # spanning the whole period) has no other version in it, so leaving out the steady versions
    # themselves leaves out the steady cells, in one pass over the versions.
    moving = versions.filter(Q(valid_from__gt=first) | Q(valid_to__lt=period_end))
    spans = defaultdict(list)
    for unit_id, valid_from, valid_to in moving.values_list("unit_id", "valid_from", "valid_to"):
        spans[unit_id].append((valid_from, valid_to))
    if not spans:
        return
    lives = {unit_id: tuple(map(tuple, _lived(lived))) for unit_id, lived in spans.items()}
    keys = {}
    if width:  # each cell's latest version begun by the end of the period, wherever it was
        latest = UnitVersion.objects.filter(unit_id__in=list(lives), valid_from__lt=period_end).order_by("valid_from")
        for unit_id, path in latest.values_list("unit_id", "path"):
            keys[unit_id] = path[:width]
    summaries = {
        (cell_id, year): (regular, thematic, short)
        for cell_id, year, regular, thematic, short in CellYear.objects.filter(
            cell_id__in=list(lives), year__gte=first.year, year__lte=last.year
        ).values_list("cell_id", "year", "regular_months", "thematic_months", "short_months")
    }
    now = month_index(today)
    partial: list[tuple[int, int, object]] = []  # (cell, year, key) complying but for a short meeting
    for year, (a, end, low, high, window) in windows.items():
        tally = counts[year]
        for cell_id, lived in lives.items():
            if not any(x < end and (y is None or y > a) for x, y in lived):
                continue
            whole = any(x <= a and (y is None or y >= end) for x, y in lived)
            regular, thematic, short = summaries.get((cell_id, year), (0, 0, 0))
            complies = _holds(regular, _owed_keys(lived, regular_months, low, high, now), regular_months) and _holds(
                thematic, _owed_keys(lived, thematic_months, low, high, now), thematic_months
            )
            key = keys.get(cell_id) if width else None
            row = tally.setdefault(key, [0, 0])
            row[1] += 1
            if whole:
                row[0] += complies and not short & window
            elif complies:
                partial.append((cell_id, year, key))
    if partial:  # a short meeting held while the cell lay in the subtree, in the months looked at
        short_days = defaultdict(list)
        meetings = Meeting.unscoped.filter(cell_id__in={c for c, _, _ in partial}, held_on__gte=first,
                                           held_on__lt=period_end).filter(too_short())  # fmt: skip
        for cell_id, day in meetings.values_list("cell_id", "held_on"):
            short_days[cell_id, day.year].append(day)
        for cell_id, year, key in partial:
            lived = lives[cell_id]
            if not any(any(x <= day and (y is None or day < y) for x, y in lived) for day in short_days[cell_id, year]):
                counts[year][key][0] += 1


def _path_key(cells: list[CellRow], period_end: datetime.date, width: int | None):
    """For the counts read from the meetings: each cell's key by its latest path (see above)."""
    if not width:
        return None
    paths = {}
    latest = UnitVersion.objects.filter(unit_id__in=[c.unit_id for c in cells], valid_from__lt=period_end)
    for unit_id, path in latest.order_by("valid_from").values_list("unit_id", "path"):
        paths[unit_id] = path[:width]
    return paths.get


def _tally(cells: list[CellRow], group) -> dict:
    tally: dict = {}
    for cell in cells:
        row = tally.setdefault(group(cell.unit_id) if group else None, [0, 0])
        row[0] += cell.complies
        row[1] += 1
    return tally


@functools.lru_cache(maxsize=65536)
def _holds(bits: int, owed: tuple[int, ...], length: int) -> bool:
    """Whether every owed period (keys of `length` months) has a month among `bits` (of its year)."""
    return all(bits & _period_mask(key, length) for key in owed)


def _period_mask(key: int, length: int) -> int:
    """The bits (of its year) of the months of period `key` of `length` months."""
    first_month = key * length % 12
    return sum(1 << m for m in range(first_month, first_month + length))


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
    _count({None: (cells, first, period_end)}, cell_ids, first, period_end, today)


def _count_held_by_year(years: dict[int, Compliance], cell_ids, first, period_end, today) -> None:
    """`_count_held` for each year's cells: those that lay in the subtree all year read from the
    yearly summaries (`CellYear`, one row per cell), the others meeting by meeting. When a rule's
    period does not divide the year, from the meetings, grouped by year in one aggregate query."""
    windows = {year: (c.cells, c.start, vn.add_months(c.end, 1)) for year, c in years.items()}
    r = rules()
    if 12 % r["regular_months"] or 12 % r["thematic_months"]:
        _count(windows, cell_ids, first, period_end, today)
        return
    last = vn.add_months(period_end, -1)
    runs = {kind: _owed_range(_owed([(first, None)], r[f"{kind}_months"], first, last, today), r[f"{kind}_months"])
            for kind in ("regular", "thematic")}  # fmt: skip
    masks = {  # per year and kind: the months of each period owed by a cell there all the run
        (year, kind): tuple(_period_masks(year, r[f"{kind}_months"], runs[kind])) for year in windows for kind in runs
    }
    # Whole calendar years only: a clipped first or last year is read from its meetings.
    whole_years = [y for y, (_, start, end) in windows.items() if (start.month, end.month, end.year) == (1, 1, y + 1)]
    summaries = CellYear.objects.filter(cell_id__in=cell_ids, year__in=whole_years)
    rows = (
        {"cell_id": cell_id, "year": year, "meetings": meetings, "short": short, "required": required,
         "required_present": present, "regular": _held(regular, masks[year, "regular"]),
         "thematic": _held(thematic, masks[year, "thematic"])}
        for cell_id, year, regular, thematic, meetings, short, required, present in summaries.values_list(
            "cell_id", "year", "regular_months", "thematic_months", "meetings", "short", "required", "required_present"
        )
    )  # fmt: skip
    _count(windows, cell_ids, first, period_end, today, summary=(whole_years, rows))


def _period_masks(year: int, length: int, run: tuple[datetime.date, datetime.date]):
    """For each period of `length` months of `year` lying in `run`, the bits of its months."""
    for month in range(0, 12, length):
        if run[0] <= datetime.date(year, month + 1, 1) < run[1]:
            yield sum(1 << m for m in range(month, month + length))


@functools.lru_cache(maxsize=4096)
def _held(bits: int, masks: tuple[int, ...]) -> int:
    return sum(1 for mask in masks if bits & mask)


def _count(windows: dict, cell_ids, first: datetime.date, period_end: datetime.date, today, summary=None) -> None:
    """`windows`: {None: (cells, first, period end)} for one run of months, or {year: ...} for the
    calendar years that split it (the aggregate is then grouped by year as well). `summary`: (years,
    rows) — the per-cell figures of those years, read elsewhere, for the cells there all year."""
    if not any(cells for cells, _, _ in windows.values()):
        return
    r = rules()
    last = vn.add_months(period_end, -1)
    whole_lived = [(first, None)]
    regular_run = _owed_range(_owed(whole_lived, r["regular_months"], first, last, today), r["regular_months"])
    thematic_run = _owed_range(_owed(whole_lived, r["thematic_months"], first, last, today), r["thematic_months"])
    by_id = {key: {c.unit_id: c for c in cells} for key, (cells, _, _) in windows.items()}
    whole = {
        key: {c.unit_id for c in cells if any(a <= start and (b is None or b >= end) for a, b in c.lived)}
        for key, (cells, start, end) in windows.items()
    }
    by_year = None not in windows
    held = Meeting.unscoped.filter(cell_id__in=cell_ids, held_on__gte=first, held_on__lt=period_end)
    summarised, rows = summary if summary is not None else ((), ())
    aggregated = held
    for year in summarised:
        aggregated = aggregated.exclude(month_index__gte=year * 12, month_index__lt=(year + 1) * 12)
    grouped = (aggregated.annotate(year=_key_expression(12)).values("cell_id", "year") if by_year else
               aggregated.values("cell_id"))  # fmt: skip
    aggregate = () if len(summarised) == len(windows) else grouped.annotate(
        # Counting held_on, not id: the index holds no id, and reading one would visit the table.
        meetings=Count("held_on"),
        short=Count("held_on", filter=too_short()),
        required=Sum("required_count"),
        required_present=Sum("required_present_count"),
        regular=_distinct_periods(REGULAR_KINDS, r["regular_months"], regular_run),
        thematic=_distinct_periods(THEMATIC_KINDS, r["thematic_months"], thematic_run),
    ).order_by()
    for row in itertools.chain(rows, aggregate):
        key = row["year"] if by_year else None
        cell = by_id.get(key, {}).get(row["cell_id"])
        if cell is None or cell.unit_id not in whole[key]:
            continue
        cell.meetings, cell.short = row["meetings"], row["short"]
        cell.required, cell.required_present = row["required"] or 0, row["required_present"] or 0
        cell.held_regular, cell.held_thematic = row["regular"], row["thematic"]
    partial = {key: {c for c in cells_by_id if c not in whole[key]} for key, cells_by_id in by_id.items()}
    seen: dict[tuple, set[int]] = defaultdict(set)
    columns = ("cell_id", "kind", "held_on", "duration_minutes", "required_count", "required_present_count")
    some = set().union(*partial.values())
    for cell_id, kind, day, minutes, required, required_present in held.filter(cell_id__in=some).values_list(
        *columns
    ):
        key = day.year if by_year else None
        if cell_id not in partial.get(key, ()):
            continue
        cell = by_id[key][cell_id]
        if not any(a <= day and (b is None or day < b) for a, b in cell.lived):
            continue  # held while the cell lay elsewhere
        cell.meetings += 1
        cell.short += minutes is not None and minutes < _shortest(kind)
        cell.required += required
        cell.required_present += required_present
        if kind in REGULAR_KINDS:
            seen[key, cell_id, "regular"].add(period_key(day, r["regular_months"]))
        if kind in THEMATIC_KINDS:
            seen[key, cell_id, "thematic"].add(period_key(day, r["thematic_months"]))
    for key, cell_ids_ in partial.items():
        for cell_id in cell_ids_:
            cell = by_id[key][cell_id]
            cell.held_regular = len(seen[key, cell_id, "regular"] & set(cell.owed_regular))
            cell.held_thematic = len(seen[key, cell_id, "thematic"] & set(cell.owed_thematic))


@dataclass
class PeriodHeld:
    """One period of regular meetings (a month) of a compliance table: the cells that owed a regular
    meeting in it and those of them that held one."""

    start: datetime.date
    owed: int
    held: int

    @property
    def rate(self):
        return vn.percent(self.held, self.owed)


def regular_by_period(compliance_: Compliance) -> list[PeriodHeld]:
    """For each period of regular meetings of the table's months, every cell of the table counted:
    those owing it (`CellRow.owed_regular`, as for the table) and those that held a regular meeting
    in it (what the grid leaves unmarked, `months_of`). A period owed is one the cell lived through
    in the subtree, so any meeting it held then counts: read from the cells' yearly summaries in one
    query (from their meetings when a period runs across two years)."""
    length = rules()["regular_months"]
    first, period_end = compliance_.start, vn.add_months(compliance_.end, 1)
    keys = sorted({period_key(month, length) for month in compliance_.months})
    owing: dict[int, list[int]] = defaultdict(list)
    for cell in compliance_.cells:
        for key in cell.owed_regular:
            owing[key].append(cell.unit_id)
    held: set[tuple[int, int]] = set()  # (cell, period key)
    if owing and 12 % length == 0:
        years = CellYear.objects.filter(cell_id__in=compliance_.cell_ids, year__gte=first.year,
                                        year__lte=compliance_.end.year)  # fmt: skip
        bits = {(c, y): b for c, y, b in years.values_list("cell_id", "year", "regular_months")}
        for key, cells in owing.items():
            year, mask = period_start(key, length).year, _period_mask(key, length)
            held.update((cell, key) for cell in cells if bits.get((cell, year), 0) & mask)
    elif owing:
        meetings = Meeting.unscoped.filter(cell_id__in=compliance_.cell_ids, kind__in=REGULAR_KINDS,
                                           held_on__gte=first, held_on__lt=period_end)  # fmt: skip
        for cell, month in meetings.values_list("cell_id", "month_index").distinct():
            held.add((cell, month // length))
    return [PeriodHeld(period_start(key, length), len(owing[key]), sum(1 for c in owing[key] if (c, key) in held))
            for key in keys]  # fmt: skip


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


def unexcused_members(cell_ids, first: datetime.date, period_end: datetime.date, scope=None):
    """(member id, year, absences without reason) with at least UNEXCUSED_LIMIT in one calendar
    year, in meetings of these cells held within [first, period_end) — with `scope`, only those
    held while their cell lay in its subtree (`Scope.holds`: these rows name people). Both sides
    are read from partial indexes: the meetings that counted such an absence, and those absences."""
    held = Q() if scope is None else Q(scope.holds(OuterRef("meeting__cell_id"), OuterRef("meeting__held_on")))
    rows = (
        Attendance.unscoped.filter(
            held,
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


def attendance_by_year(member_id: int, before: datetime.date | None = None) -> list[dict]:
    """A member's attendance at cell meetings, year by year (newest first): invited, expected
    (not exempted nor away), present among the expected, absent with and without reason; with
    `before`, only the meetings held before that day (a scope the member has left)."""
    held = Q(meeting__held_on__isnull=False) if before is None else Q(meeting__held_on__lt=before)
    rows = (
        Attendance.unscoped.filter(held, member_id=member_id)
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
