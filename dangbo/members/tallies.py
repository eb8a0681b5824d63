"""Per-unit member tallies over date intervals: the figures of the overview, precomputed.

Counting a subtree's members on a date from the stints means reading every stint of the subtree
(250,000 at city scale) with its member; that cannot answer within the time a page allows. A unit's
figures only change on a few days — a stint starts or ends, or a member's birthday moves them to the
next age band — so for each unit we keep one row per interval between such days, with all the
measures of `figures.MEASURES`. The figures of a subtree on a date are then the sums of one row per
unit. The rows are derived data: every action that changes stints or the counted attributes of a
member calls `refresh_tallies` for the units concerned, in the same transaction, and tests compare
the tallies with counts over the stints themselves.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from collections.abc import Iterable

from dangbo.lib import vn

from .models import Sex, Stint, StintKind, UnitTally

# Ages at which a member moves to the next band (figures.AGE_BANDS).
_BAND_STARTS = [(18, "18_30"), (31, "31_40"), (41, "41_50"), (51, "51_60"), (61, "61_70"), (71, "71_plus")]


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


def _measures(stint: dict, day: datetime.date) -> tuple[str, ...]:
    sex = "female" if stint["member__sex"] == Sex.FEMALE else "male"
    return (
        "total",
        stint["status"],
        sex,
        f"age_{_band(stint['member__birth_date'], day)}",
        f"theory_{stint['member__theory_level']}",
    )


def tally_intervals(stints: list[dict]) -> list[tuple[datetime.date, datetime.date | None, Counter]]:
    """[(from, to, measures)] for one unit's official stints: a sweep over the days on which any
    stint starts, ends or crosses an age band; adjacent equal intervals are merged, empty ones
    dropped."""
    events: dict[datetime.date, list[int]] = defaultdict(list)
    for i, stint in enumerate(stints):
        events[stint["start"]].append(i)
        if stint["end"] is not None:
            events[stint["end"]].append(i)
        for years, _ in _BAND_STARTS[1:]:
            day = birthday(stint["member__birth_date"], years)
            if stint["start"] < day and (stint["end"] is None or day < stint["end"]):
                events[day].append(i)
    current: list[tuple[str, ...] | None] = [None] * len(stints)
    totals: Counter = Counter()
    intervals: list[list] = []
    for day in sorted(events):
        for i in events[day]:
            stint = stints[i]
            if current[i]:
                totals.subtract(current[i])
            holds = stint["start"] <= day and (stint["end"] is None or day < stint["end"])
            current[i] = _measures(stint, day) if holds else None
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


def refresh_tallies(unit_ids: Iterable[int] | None = None, batch_size: int = 5000) -> int:
    """Recompute the tallies of the given units (all units when None); returns the rows written."""
    stints = Stint.unscoped.filter(kind=StintKind.OFFICIAL)
    tallies = UnitTally.objects.all()
    if unit_ids is not None:
        unit_ids = set(unit_ids)
        stints = stints.filter(unit_id__in=unit_ids)
        tallies = tallies.filter(unit_id__in=unit_ids)
    tallies.delete()
    by_unit: dict[int, list[dict]] = defaultdict(list)
    fields = ("unit_id", "start", "end", "status", "member__sex", "member__birth_date", "member__theory_level")
    for stint in stints.values(*fields).iterator(chunk_size=10_000):
        by_unit[stint["unit_id"]].append(stint)
    rows = [
        UnitTally(unit_id=unit_id, valid_from=start, valid_to=end, **counts)
        for unit_id, unit_stints in by_unit.items()
        for start, end, counts in tally_intervals(unit_stints)
    ]
    UnitTally.objects.bulk_create(rows, batch_size=batch_size)
    return len(rows)
