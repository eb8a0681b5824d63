"""The figures of a rating period: results by level for members and organisations, per unit and
year against year, and the quota on excellent results. One function per figure; the results page,
its Excel file and (later) the targets read these."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from fractions import Fraction

from django.db import connection
from django.db.models import Count

from dangbo.lib import vn
from dangbo.lib.http import today
from dangbo.orgs.models import PATH_WIDTH, UnitKind, UnitVersion, path_after

from .models import (
    GOOD_OR_BETTER,
    LEVEL_ORDER,
    TALLY_BUCKETS,
    Level,
    LevelTally,
    MemberRating,
    RatingPeriod,
    Rounding,
    UnitRating,
)

GRASSROOTS_KINDS = (UnitKind.GRASSROOTS_COMMITTEE, UnitKind.GRASSROOTS_CELL)


def excellent_allowed(good_or_better: int, percent: int = 20, rounding: str = Rounding.FLOOR) -> int:
    """How many may be rated excellent among `good_or_better` (excellent included): `percent` of
    them, rounded down (the default: 20% of 37 is 7,4, so 7) or to the nearest whole number."""
    exact = Fraction(good_or_better * percent, 100)
    if rounding == Rounding.HALF_UP:
        return int(exact + Fraction(1, 2))
    return int(exact)


@dataclass
class Levels:
    """Counts by level of the decided results (exempted members apart), with shares."""

    counts: Counter
    exempted: int = 0
    undecided: int = 0

    @property
    def rated(self) -> int:
        return sum(self.counts[level] for level in LEVEL_ORDER)

    @property
    def good_or_better(self) -> int:
        return sum(self.counts[level] for level in GOOD_OR_BETTER)

    def share(self, level: str):
        return vn.percent(self.counts[level], self.rated)

    @property
    def good_or_better_share(self):
        return vn.percent(self.good_or_better, self.rated)

    def rows(self):
        """(level, label, count, share) in order, for tables."""
        return [(level, Level(level).label, self.counts[level], self.share(level)) for level in LEVEL_ORDER]


def tree_day(period: RatingPeriod):
    """The day whose tree places a round's cells: the end of the period, or today while it runs."""
    return min(period.ends_on, today())


def _in_subtree(root: UnitVersion, period: RatingPeriod):
    """Ids of the units under `root`'s path at the end of the period."""
    return UnitVersion.objects.on(tree_day(period)).under(root.path).values("unit_id")


def _tallied(rows) -> list[tuple]:
    """Rows of `LevelTally` values (cell, bucket counts…) as (cell, decided level, exempted, n)."""
    out = []
    for cell_id, *counts in rows:
        for bucket, n in zip(TALLY_BUCKETS, counts):
            if n:
                out.append((cell_id, "" if bucket in ("undecided", "exempted") else bucket, bucket == "exempted", n))
    return out


# The cells' tallies of a subtree in one round: one join of the tallies with the cells' versions on
# the day, written out because the ORM reads the versions as a list (a subquery) to probe the tallies
# with, or joins the units table between the two. The paths are bounded as a range besides LIKE:
# SQLite uses no index for LIKE, and with the range it walks the subtree's versions in the index
# on `path`. At 250,000 members: 25 ms for the whole tree (the ORM's query: 50), under 0,1 ms for a
# grassroots committee (5).
_SUBTREE_TALLIES = """
    SELECT {sums} FROM {tallies} t JOIN {versions} v ON v.unit_id = t.cell_id
    WHERE t.period_id = %s AND v.path LIKE %s AND v.path >= %s AND v.path < %s
        AND v.valid_from <= %s AND (v.valid_to IS NULL OR v.valid_to > %s)"""


def member_levels(root: UnitVersion, period: RatingPeriod) -> Levels:
    """The members rated in the period in cells of the subtree, by decided level (read from the
    cells' tallies, `LevelTally`)."""
    day = tree_day(period)
    sql = _SUBTREE_TALLIES.format(sums=", ".join(f"SUM(t.{bucket})" for bucket in TALLY_BUCKETS),
                                  tallies=LevelTally._meta.db_table, versions=UnitVersion._meta.db_table)  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(sql, [period.pk, root.path + "%", root.path, path_after(root.path), day, day])
        totals = dict(zip(TALLY_BUCKETS, cursor.fetchone()))
    levels = Levels(Counter({level: int(totals[level] or 0) for level in LEVEL_ORDER}))
    levels.undecided, levels.exempted = int(totals["undecided"] or 0), int(totals["exempted"] or 0)
    return levels


def organisation_levels(root: UnitVersion, period: RatingPeriod, kinds=GRASSROOTS_KINDS) -> Levels:
    """The organisations of `kinds` (by default the grassroots ones, TCCS) rated in the subtree."""
    rows = (
        UnitRating.objects.filter(period=period, unit_id__in=_in_subtree(root, period), kind__in=kinds)
        .values_list("decided_level")
        .annotate(n=Count("id"))
        .order_by()
    )
    levels = Levels(Counter())
    for level, n in rows:
        if level:
            levels.counts[level] += n
        else:
            levels.undecided += n
    return levels


def _by_child(root: UnitVersion, period: RatingPeriod, rows) -> list[tuple[UnitVersion, Levels]]:
    """Counts `rows` of (unit id, decided level, exempted, n) into the direct sub-unit of `root`
    holding each unit (as the tree stood at the end of the period), by name; sub-units with nobody
    rated are left out. Two queries."""
    day = tree_day(period)
    children = list(UnitVersion.objects.on(day).filter(parent_id=root.unit_id))
    width = len(root.path) + PATH_WIDTH
    by_child = {child.path: Levels(Counter()) for child in children}
    paths = dict(UnitVersion.objects.on(day).under(root.path).values_list("unit_id", "path"))
    for unit_id, level, exempted, n in rows:
        levels = by_child.get(paths.get(unit_id, "")[:width])
        if levels is None:
            continue
        if exempted:
            levels.exempted += n
        elif level:
            levels.counts[level] += n
        else:
            levels.undecided += n
    children.sort(key=lambda c: vn.text_sort_key(c.name))
    return [(c, by_child[c.path]) for c in children if any((by_child[c.path].rated, by_child[c.path].undecided,
                                                             by_child[c.path].exempted))]  # fmt: skip


def member_levels_by_unit(root: UnitVersion, period: RatingPeriod) -> list[tuple[UnitVersion, Levels]]:
    """The members' levels of each direct sub-unit of `root`. Three queries."""
    rows = LevelTally.objects.filter(period=period, cell_id__in=_in_subtree(root, period))
    return _by_child(root, period, _tallied(rows.values_list("cell_id", *TALLY_BUCKETS)))


def organisation_levels_by_unit(
    root: UnitVersion, period: RatingPeriod, kinds=None
) -> list[tuple[UnitVersion, Levels]]:
    """The levels of the organisations (the sub-unit itself and every unit below it; only those of
    `kinds` if given) of each direct sub-unit of `root`. Three queries."""
    rows = UnitRating.objects.filter(period=period, unit_id__in=_in_subtree(root, period))
    if kinds is not None:
        rows = rows.filter(kind__in=kinds)
    rows = rows.values_list("unit_id", "decided_level").annotate(n=Count("id")).order_by()
    return _by_child(root, period, [(unit_id, level, False, n) for unit_id, level, n in rows])


@dataclass
class Quota:
    grassroots: UnitVersion
    good_or_better: int
    excellent: int
    allowed: int

    @property
    def remaining(self) -> int:
        return self.allowed - self.excellent

    @property
    def broken(self) -> bool:
        return self.excellent > self.allowed


def member_quotas(root: UnitVersion, period: RatingPeriod) -> list[Quota]:
    """For each grassroots organisation of the subtree: members decided good or better, excellent,
    and how many excellent the quota allows. Two queries."""
    day = tree_day(period)
    grassroots = {v.unit_id: v for v in UnitVersion.objects.on(day).under(root.path).filter(kind__in=GRASSROOTS_KINDS)}
    if root.kind in GRASSROOTS_KINDS:
        grassroots[root.unit_id] = root
    counts: dict[int, Counter] = defaultdict(Counter)
    rows = (
        MemberRating.unscoped.filter(
            period=period, grassroots_id__in=list(grassroots), decided_level__in=GOOD_OR_BETTER
        )
        .values_list("grassroots_id", "decided_level")
        .annotate(n=Count("id"))
        .order_by()
    )
    for unit_id, level, n in rows:
        counts[unit_id][level] += n
    quotas = []
    for unit_id, version in grassroots.items():
        good_or_better = counts[unit_id][GOOD_OR_BETTER[0]] + counts[unit_id][GOOD_OR_BETTER[1]]
        allowed = excellent_allowed(good_or_better, period.quota_percent, period.quota_rounding)
        quotas.append(Quota(version, good_or_better, counts[unit_id][GOOD_OR_BETTER[0]], allowed))
    quotas.sort(key=lambda q: vn.text_sort_key(q.grassroots.name))
    return quotas
