"""Subtree tallies: the figures of the overview, precomputed per unit over date intervals.

Counting a subtree's members on a date from the stints means reading every stint below it with its
member (250,000 at city scale): too slow for a page. A unit's figures only change on a few days —
a stint starts or ends, a member's birthday moves them to the next age band, a unit below it is
founded, moved or dissolved — so each unit keeps one row per interval between such days, holding the
figures of its whole subtree (members by every measure of `figures.MEASURES`, units by kind). The
overview of a unit on a date is then one row per direct sub-unit.

The rows are derived data. Every action that changes stints, the tree, or the counted attributes of
a member calls `refresh_tallies` for the units concerned (`units_above`), in the same transaction;
tests compare the tallies with counts over the stints and versions on many dates. Superior
committees keep no tally: they are never anyone's sub-unit, and their own totals are the sums of
their rows, so a write in a cell never recomputes a whole city.
"""

from __future__ import annotations

import bisect
import datetime
import functools
from collections import Counter, defaultdict
from collections.abc import Iterable

from django.db import connection

from dangbo.lib import bulk, vn
from dangbo.orgs.models import PATH_WIDTH, UnitKind, UnitVersion

from .models import AttributeChange, DatedAttribute, Sex, Stint, StintKind, UnitTally, value_spans

# Ages at which a member moves to the next band (figures.AGE_BANDS).
_BAND_STARTS = [(18, "18_30"), (31, "31_40"), (41, "41_50"), (51, "51_60"), (61, "61_70"), (71, "71_plus")]
UNIT_MEASURES = [f"units_{kind}" for kind in UnitKind.values if kind != UnitKind.SUPERIOR]


def birthday(birth: datetime.date, years: int) -> datetime.date:
    """The first day on which someone born on `birth` is `years` old (29 February: 1 March)."""
    try:
        return birth.replace(year=birth.year + years)
    except ValueError:
        return datetime.date(birth.year + years, 3, 1)


def _band(birth: datetime.date, day: datetime.date) -> str:
    age = vn.age_on(birth, day)
    key = _BAND_STARTS[0][1]
    for start, band in _BAND_STARTS:
        if age >= start:
            key = band
    return key


# An item is something counted over [start, end): a unit of the subtree, (start, end, kind), or a
# member's official stint, (start, end, status, sex, birth_date, theory_level) — split where the
# theory level changed (`member_spans`), so that each part counts the level in force on its days.
def _measures(item: tuple, day: datetime.date) -> tuple[str, ...]:
    if len(item) == 3:
        return (f"units_{item[2]}",)
    _, _, status, sex, birth, theory = item
    return ("total", status, "female" if sex == Sex.FEMALE else "male", f"age_{_band(birth, day)}", f"theory_{theory}")


def tally_intervals(items: list[tuple]) -> list[tuple[datetime.date, datetime.date | None, Counter]]:
    """[(from, to, measures)]: a sweep over the days on which an item starts or ends or a member
    crosses an age band; adjacent equal intervals are merged, empty ones dropped."""
    events: dict[datetime.date, list[int]] = defaultdict(list)
    for i, item in enumerate(items):
        start, end = item[0], item[1]
        events[start].append(i)
        if end is not None:
            events[end].append(i)
        if len(item) > 3:
            for years, _ in _BAND_STARTS[1:]:
                day = birthday(item[4], years)
                if start < day and (end is None or day < end):
                    events[day].append(i)
    current: list[tuple[str, ...] | None] = [None] * len(items)
    totals: Counter = Counter()
    intervals: list[list] = []
    for day in sorted(events):
        for i in events[day]:
            item = items[i]
            if current[i]:
                totals.subtract(current[i])
            holds = item[0] <= day and (item[1] is None or day < item[1])
            current[i] = _measures(item, day) if holds else None
            if current[i]:
                totals.update(current[i])
        if intervals and intervals[-1][1] is None:
            intervals[-1][1] = day
        snapshot = +totals  # drops zero counts
        if not snapshot:
            continue
        if intervals and intervals[-1][1] == day and intervals[-1][2] == snapshot:
            intervals[-1][1] = None  # the same figures go on: extend the previous interval
        else:
            intervals.append([day, None, snapshot])
    return [tuple(interval) for interval in intervals]


def theory_histories(members=None) -> dict[int, list[tuple[datetime.date, str]]]:
    """{member: [(effective_on, previous)]} of the dated changes of theory level, in date order, for
    the members of the query `members` (all when None); members without a change are left out."""
    changes = AttributeChange.unscoped.filter(attribute=DatedAttribute.THEORY_LEVEL)
    if members is not None:
        changes = changes.filter(member_id__in=members)
    history: dict[int, list] = defaultdict(list)
    for member_id, effective_on, previous in changes.order_by("member_id", "effective_on", "pk").values_list(
        "member_id", "effective_on", "previous"
    ):
        history[member_id].append((effective_on, previous))
    return history


def member_spans(start, end, status, sex, birth, theory: str, history) -> list[tuple]:
    """The items of a member's official stint [start, end): one, or one per theory level in force
    over it when the level changed (`history`: [(effective_on, previous)] in date order)."""
    if not history:
        return [(start, end, status, sex, birth, theory)]
    items = []
    for low, high, level in value_spans(theory, history):
        span = _clip(start, end, low or datetime.date.min, high)
        if span:
            items.append((*span, status, sex, birth, level))
    return items


def units_above(unit_ids: Iterable[int]) -> set[int]:
    """The units themselves and every unit that ever stood above one of them: whose tallies a change
    in these units touches."""
    paths = UnitVersion.objects.filter(unit_id__in=list(unit_ids)).values_list("path", flat=True).distinct()
    return {int(path[i : i + PATH_WIDTH]) for path in paths for i in range(0, len(path), PATH_WIDTH)}


def _clip(start, end, window_start, window_end):
    """[start, end) ∩ [window_start, window_end), None ends open; None when empty."""
    a = max(start, window_start)
    b = end if window_end is None else (window_end if end is None else min(end, window_end))
    return (a, b) if b is None or a < b else None


_KEY_COLUMNS = ("id", "unit_id", "valid_from", "valid_to")


@functools.cache
def _measure_columns() -> list[str]:
    return [f.attname for f in UnitTally._meta.concrete_fields if f.attname not in _KEY_COLUMNS]


def refresh_tallies(unit_ids: Iterable[int] | None = None) -> int:
    """Recompute the subtree tallies of the given units (all units when None); returns the rows
    written. Pass `units_above(changed units)` after a change."""
    columns = ("unit_id", "kind", "path", "valid_from", "valid_to")
    versions = UnitVersion.objects.all()
    if unit_ids is not None:
        unit_ids = set(unit_ids)
        targets = list(
            UnitVersion.objects.filter(unit_id__in=unit_ids).exclude(kind=UnitKind.SUPERIOR).values(*columns)
        )
        # The subtrees to read: a path below another one's is read with it (an import touches
        # thousands of units, and one OR term each would overflow the database's expression limit).
        prefixes: list[str] = []
        for path in sorted({v["path"] for v in targets}):
            if not prefixes or not path.startswith(prefixes[-1]):
                prefixes.append(path)
        if len(prefixes) <= 100:
            below = UnitVersion.objects.none()
            for prefix in prefixes:
                below |= UnitVersion.objects.filter(path__startswith=prefix)
            versions = below
    else:
        targets = None
    candidates = sorted(versions.values_list(*columns), key=lambda v: v[2])
    if targets is None:
        targets = [dict(zip(columns, v)) for v in candidates if v[1] != UnitKind.SUPERIOR]
    paths = [v[2] for v in candidates]
    # Each target version's subtree over its interval: the versions below its path that overlap it.
    items: dict[int, list[tuple]] = defaultdict(list)
    cell_windows: dict[int, list[tuple[int, datetime.date, datetime.date | None]]] = defaultdict(list)
    for target in targets:
        first = bisect.bisect_left(paths, target["path"])
        last = bisect.bisect_left(paths, target["path"] + ":")  # ':' sorts just after the digits
        for unit_id, kind, _, valid_from, valid_to in candidates[first:last]:
            window = _clip(valid_from, valid_to, target["valid_from"], target["valid_to"])
            if window:
                items[target["unit_id"]].append((*window, kind))
                if kind in (UnitKind.GRASSROOTS_CELL, UnitKind.ATTACHED_CELL):
                    cell_windows[unit_id].append((target["unit_id"], *window))
    stints = Stint.unscoped.filter(kind=StintKind.OFFICIAL)
    if unit_ids is not None:
        stints = stints.filter(unit_id__in=list(cell_windows))
    histories = theory_histories(None if unit_ids is None else stints.values("member_id"))
    fields = ("unit_id", "start", "end", "status", "member__sex", "member__birth_date", "member__theory_level",
              "member_id")  # fmt: skip
    rows = stints.values_list(*fields).iterator(chunk_size=10_000)
    for cell, start, end, status, sex, birth, theory, member_id in rows:
        for target, window_start, window_end in cell_windows.get(cell, ()):
            span = _clip(start, end, window_start, window_end)
            if span:
                items[target] += member_spans(*span, status, sex, birth, theory, histories.get(member_id))
    stale = UnitTally.objects.all() if unit_ids is None else UnitTally.objects.filter(unit_id__in=unit_ids)
    stale.delete()
    # A plain INSERT per row, sent as one batch: a city has millions of tally rows, and building a
    # model instance and preparing every value through the ORM cost more than computing them.
    # Written by `_write` (COPY on PostgreSQL) in batches: a statement a row cost a round trip each on
    # PostgreSQL, where a city's refresh after an import spent most of its time.
    measures = _measure_columns()
    written = 0
    batch: list = []
    for unit_id, unit_items in items.items():
        for start, end, counts in tally_intervals(unit_items):
            batch.append((unit_id, start, end, *(counts[m] for m in measures)))
        if len(batch) >= 10_000:
            _write(batch)
            written, batch = written + len(batch), []
    _write(batch)
    return written + len(batch)


# --- one member's change, applied as a difference ------------------------------------------------
# Recomputing a committee's tallies reads every stint below it: thousands at city scale, too slow
# for recording one event. A member's change moves the figures by what their own stints contributed
# before and after, so `adjust_tallies` sweeps just those stints for each unit above them and adds
# the difference to the rows it covers, splitting a row where the difference starts or ends. The
# rows are then merged again where the difference stopped, so that the result is row for row what a
# full refresh writes (tests compare them).

StintRow = tuple  # (unit_id, start, end, status) of an official stint


def profile_of(member) -> tuple:
    """What the tallies count of a member besides their stints: sex, birth date, the current theory
    level and its dated changes."""
    history = theory_histories([member.pk]).get(member.pk, [])
    return (member.sex, member.birth_date, member.theory_level, history)


def _member_items(stints: Iterable[StintRow], profile: tuple, windows) -> dict[int, list[tuple]]:
    """For each unit with tallies, the member's stints clipped to the days their cell lay inside it."""
    sex, birth, theory, history = profile
    items: dict[int, list[tuple]] = defaultdict(list)
    for unit_id, start, end, status in stints:
        for target, window_start, window_end in windows.get(unit_id, ()):
            span = _clip(start, end, window_start, window_end)
            if span:
                items[target] += member_spans(*span, status, sex, birth, theory, history)
    return items


def _windows(cell_ids: set[int]) -> dict[int, list[tuple[int, datetime.date, datetime.date | None]]]:
    """{cell: [(unit above it or itself, from, to)]}: where each cell sat, over which days."""
    columns = ("unit_id", "path", "valid_from", "valid_to")
    cells = list(UnitVersion.objects.filter(unit_id__in=cell_ids).values_list(*columns))
    above = {int(path[i : i + PATH_WIDTH]) for _, path, _, _ in cells for i in range(0, len(path), PATH_WIDTH)}
    targets = defaultdict(list)
    for unit_id, path, valid_from, valid_to in (
        UnitVersion.objects.filter(unit_id__in=above)
        .exclude(kind=UnitKind.SUPERIOR)
        .values_list(*columns)
    ):
        targets[path].append((unit_id, valid_from, valid_to))
    windows = defaultdict(list)
    for cell, path, valid_from, valid_to in cells:
        for i in range(PATH_WIDTH, len(path) + 1, PATH_WIDTH):
            for target, target_from, target_to in targets.get(path[:i], ()):
                window = _clip(valid_from, valid_to, target_from, target_to)
                if window:
                    windows[cell].append((target, *window))
    return windows


def _difference(before: list, after: list) -> list[tuple[datetime.date, datetime.date | None, Counter]]:
    """after − before, as [(from, to, counts)] where it is not zero."""
    days = sorted({d for a, b, _ in before + after for d in (a, b) if d is not None})

    def value(intervals, day):
        for a, b, counts in intervals:
            if a <= day and (b is None or day < b):
                return counts
        return Counter()

    result = []
    for i, day in enumerate(days):
        change = Counter(value(after, day))
        change.subtract(value(before, day))
        change = Counter({k: v for k, v in change.items() if v})
        end = days[i + 1] if i + 1 < len(days) else None
        if not change:
            continue
        if result and result[-1][1] == day and result[-1][2] == change:
            result[-1] = (result[-1][0], end, change)
        else:
            result.append((day, end, change))
    return result


def _stored_from(differences: dict[int, list]) -> dict[int, list[tuple]]:
    """{unit: its rows (id, from, to, *measures) from the row holding, or ending on, the first day
    its difference touches}, in one query. The lower bound is the start of the last row beginning
    before that day, so the index on (unit, valid_from) bounds the read (a unit has a row per few
    days of its whole history)."""
    table = UnitTally._meta.db_table
    columns = ", ".join(["id", "valid_from", "valid_to", *_measure_columns()])
    parts, params = [], []
    for unit_id, difference in differences.items():
        parts.append(
            f"SELECT unit_id, {columns} FROM {table} WHERE unit_id = %s AND valid_from >= COALESCE(("
            f"SELECT MAX(valid_from) FROM {table} WHERE unit_id = %s AND valid_from < %s), %s)"
        )
        params += [unit_id, unit_id, difference[0][0], difference[0][0]]
    stored: dict[int, list[tuple]] = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(f"SELECT * FROM ({part}) AS p{i}" for i, part in enumerate(parts)), params)
        for unit_id, *row in cursor.fetchall():
            stored[unit_id].append(tuple(row))
    for rows in stored.values():
        rows.sort(key=lambda row: row[1])
    return stored


def _recomputed(unit_id: int, stored: list[tuple], difference: list) -> list[list]:
    """The unit's rows [from, to, counts] after adding `difference` [(from, to, counts)] to its
    `stored` rows, merged where equal."""
    measures = _measure_columns()
    days = sorted({d for row in stored for d in row[1:3] if d is not None}
                  | {d for a, b, _ in difference for d in (a, b) if d is not None})  # fmt: skip
    starts = [row[1] for row in stored]
    rows: list[list] = []  # [from, to, counts]
    for i, day in enumerate(days):
        end = days[i + 1] if i + 1 < len(days) else None
        counts = Counter()
        at = bisect.bisect_right(starts, day) - 1  # the stored row starting last on or before the day
        if at >= 0 and (stored[at][2] is None or day < stored[at][2]):
            counts.update(dict(zip(measures, stored[at][3:])))
        elif not any(a <= day and (b is None or day < b) for a, b, _ in difference):
            continue  # a gap in the unit's life, untouched
        for a, b, change in difference:
            if a <= day and (b is None or day < b):
                counts.update(change)
        counts = +counts
        if any(v < 0 for v in counts.values()):
            raise AssertionError(f"negative tally for unit {unit_id} on {day}")
        if not counts:
            continue
        if rows and rows[-1][1] == day and rows[-1][2] == counts:
            rows[-1][1] = end
        else:
            rows.append([day, end, counts])
    return rows


def _apply_differences(differences: dict[int, list]) -> None:
    """Add each unit's difference to its rows: read the rows it touches, recompute, write them back
    — one read, one delete and one insert per 500 rows, whatever the number of units."""
    stored = _stored_from(differences)
    measures = _measure_columns()
    values = []
    for unit_id, difference in differences.items():
        rows = _recomputed(unit_id, stored.get(unit_id, []), difference)
        values += [(unit_id, a, b, *(counts.get(m, 0) for m in measures)) for a, b, counts in rows]
    UnitTally.objects.filter(pk__in=[row[0] for rows in stored.values() for row in rows]).delete()
    _write(values)


def _write(values: list[tuple]) -> None:
    """Insert tally rows (unit_id, valid_from, valid_to, *measures). A unit's rows run into the
    future (every member's next age band), so a change from today rewrites a hundred rows or more:
    preparing each value through the ORM, or quoting thousands of parameters into one statement,
    cost more than the rest of recording an event (lib.bulk: COPY on PostgreSQL)."""
    bulk.insert_rows(UnitTally._meta.db_table, [*_KEY_COLUMNS[1:], *_measure_columns()], values)


def adjust_tallies(member, before: Iterable[StintRow], after: Iterable[StintRow], *, was: tuple | None = None) -> int:
    """Move the tallies by the difference between the member's official stints `before` and
    `after` a change — and between their counted attributes `was` (a `profile_of` taken before an
    edit of the record; by default unchanged) and now; returns the number of units whose rows changed."""
    before, after = list(before), list(after)
    windows = _windows({row[0] for row in before + after})
    now = profile_of(member)
    old, new = _member_items(before, was or now, windows), _member_items(after, now, windows)
    differences = {}
    for target in sorted(set(old) | set(new)):
        difference = _difference(tally_intervals(old.get(target, [])), tally_intervals(new.get(target, [])))
        if difference:
            differences[target] = difference
    if differences:
        _apply_differences(differences)
    return len(differences)
