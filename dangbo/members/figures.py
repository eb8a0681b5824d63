"""Figures of a subtree as of a date, per direct sub-unit, in one query (`subtree_figures`).

Every member and unit figure shown in the overview, the unit pages and (later) reports and exports
comes from there; the totals of a subtree are the sums of its rows, so they always add up."""

from __future__ import annotations

import datetime

from django.db import connection
from django.db.models import F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from dangbo.lib import vn
from dangbo.lib.dates import valid_on
from dangbo.orgs.models import CELL_KINDS, PATH_WIDTH, UnitKind, UnitVersion, path_after

from .models import AttributeChange, DatedAttribute, Stint, TheoryLevel, UnitTally
from .tallies import UNIT_MEASURES

# Age bands of the party statistics forms: (key, label, lowest age, highest age or None).
AGE_BANDS = [
    ("18_30", "Từ 18 đến 30 tuổi", 18, 30),
    ("31_40", "Từ 31 đến 40 tuổi", 31, 40),
    ("41_50", "Từ 41 đến 50 tuổi", 41, 50),
    ("51_60", "Từ 51 đến 60 tuổi", 51, 60),
    ("61_70", "Từ 61 đến 70 tuổi", 61, 70),
    ("71_plus", "Trên 70 tuổi", 71, None),
]


def age_band_condition(key: str, on: datetime.date, prefix: str = "member__") -> Q:
    """Members whose age on `on` is in the band `key` (compares birth dates, so it uses indexes)."""
    _, _, low, high = next(band for band in AGE_BANDS if band[0] == key)
    condition = Q(**{f"{prefix}birth_date__lte": vn.add_years(on, -low)})
    if high is not None:
        condition &= Q(**{f"{prefix}birth_date__gt": vn.add_years(on, -(high + 1))})
    return condition


# The measures of a member count, in the order the overview shows them; UnitTally has one column each.
MEASURES = (
    ["total", "official", "probationary", "male", "female"]
    + [f"age_{key}" for key, *_ in AGE_BANDS]
    + [f"theory_{level}" for level in TheoryLevel.values]
)


def counted_stints(root: UnitVersion, on: datetime.date):
    """The stints that make a subtree's member count on `on`: official activity, open on that day,
    in a unit that was inside the subtree on that day. Temporary activity is not counted."""
    in_subtree = valid_on(on, prefix="unit__versions__") & Q(unit__versions__path__startswith=root.path)
    return Stint.unscoped.official().open_on(on).filter(in_subtree)


def theory_level_on(on: datetime.date, member: str = "member_id"):
    """An expression for the theory level in force on `on` of the member `member` (a column of the
    row): the level before their first dated change after that day, else the record's current level
    (models.value_on, in the database)."""
    later = AttributeChange.unscoped.filter(
        member_id=OuterRef(member), attribute=DatedAttribute.THEORY_LEVEL, effective_on__gt=on
    ).order_by("effective_on", "pk")
    current = "theory_level" if member == "pk" else f"{member.removesuffix('_id')}__theory_level"
    return Coalesce(Subquery(later.values("previous")[:1]), F(current))


# Below this many units, a subtree's stints are read unit by unit; above, from the probation index.
_FEW_UNITS = 200

# The probationary members open on a day with the (re)admission that began their probation. The
# stints drive the query (SQLite takes CROSS JOIN as the join order), read through three small
# partial indexes: probations not ended; the short ones (at most Stint.LASTING_DAYS: a recognition
# takes effect a year after the ceremony, so nearly all), which began within that time before the
# day; and the few longer ones. The cell must lie in the subtree that day; the stint
# carries the decision and ceremony of its probation.
_PROBATIONS_SQL = """
SELECT s.member_id, s.unit_id, s.decided_on, s.ceremony_on
FROM members_stint s {units_join}
WHERE s.kind = 'official' AND s.status = 'probationary' AND s.start <= %(d)s AND {end_condition}
  AND (s.ceremony_on IS NULL OR s.ceremony_on <= %(ceremony_by)s) AND {unit_condition}
"""


def probations_on(
    root: UnitVersion, on: datetime.date, ends_by: datetime.date | None = None
) -> list[tuple[int, int, datetime.date, datetime.date | None]]:
    """[(member, cell, admission decision, ceremony)] of the probationary members counted in the
    subtree on `on` (the admission pipeline's deadlines follow them); with `ends_by`, only those
    whose probation ends by then or whose ceremony is not recorded (a day or so more, for 29/02:
    callers compare exactly). A small subtree names its cells; a large one is joined to the tree
    of that day."""
    few = list(UnitVersion.objects.on(on).under(root.path).values_list("unit_id", flat=True)[: _FEW_UNITS + 1])
    ceremony_by = vn.add_years(ends_by, -1) + datetime.timedelta(days=1) if ends_by else datetime.date.max
    params = {"d": on, "p": root.path + "%", "ceremony_by": ceremony_by}
    if len(few) <= _FEW_UNITS:
        units_join = ""
        unit_condition = "s.unit_id IN ({})".format(", ".join(str(int(u)) for u in few) or "NULL")
    else:
        units_join = "CROSS JOIN orgs_unitversion v"
        unit_condition = (
            "v.unit_id = s.unit_id AND v.valid_from <= %(d)s AND (v.valid_to IS NULL OR v.valid_to > %(d)s) "
            "AND v.path LIKE %(p)s"
        )
    params["recent"] = on - datetime.timedelta(days=Stint.LASTING_DAYS)
    ends = [
        's."end" IS NULL',
        's."end" > %(d)s AND s.start > %(recent)s AND NOT s.lasting',  # short: begun recently
        's."end" > %(d)s AND s.lasting',
    ]
    parts = [
        _PROBATIONS_SQL.format(units_join=units_join, end_condition=end, unit_condition=unit_condition) for end in ends
    ]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        rows = cursor.fetchall()
    # SQLite returns dates as text.
    return [(m, u, _as_date(decided), _as_date(ceremony)) for m, u, decided, ceremony in rows]


def _as_date(value):
    return datetime.date.fromisoformat(value) if isinstance(value, str) else value


# One row per direct sub-unit on each day asked (and the root itself when it is a cell): the sums of
# the tallies of the units below it that keep tallies — the direct sub-units themselves, or, under a
# committee above the grassroots whose sub-units are committees too (a city, a district, a commune
# since 07/2025), the grassroots organisations at any depth below it. Committees above the
# grassroots keep no tally, so a write in a cell never recomputes a city. Each tally row read is the
# unit's latest interval starting on or before the day (an index seek), kept if it has not ended by
# then; the rows are summed per direct sub-unit (the first `width` characters of the path) by the
# database. The tallied versions are read once for all days (`w`, materialised), then matched to
# each day: a series over ten year ends reads the versions once, not ten times.
# Written by hand because the ORM cannot express that join. PostgreSQL runs it as a LATERAL join;
# SQLite, which has no LATERAL, joins on a correlated subquery (which PostgreSQL would instead answer
# by hashing every tally row). The days are a list of constants.
_SUBTREE_FIGURES_SQL = """
WITH d (i, day) AS (VALUES {days}),
w AS {materialized} (
    SELECT v.unit_id, v.path, v.valid_from, v.valid_to FROM {versions} v
    WHERE ((v.path > %(path)s AND v.path < %(after)s AND v.kind <> 'superior'
            AND (v.parent_id = %(root)s OR v.kind IN ('grassroots_committee', 'grassroots_cell')))
           OR v.unit_id = %(own)s)
      AND v.valid_from <= %(last)s AND (v.valid_to IS NULL OR v.valid_to > %(first)s)
)
SELECT d.i, substr(w.path, 1, {width}), {sums}, 0
FROM d JOIN w ON w.valid_from <= d.day AND (w.valid_to IS NULL OR w.valid_to > d.day)
{tally_join}
WHERE (t.valid_to IS NULL OR t.valid_to > d.day)
GROUP BY d.i, substr(w.path, 1, {width})
"""
_TALLY_JOIN = {
    "postgresql": """CROSS JOIN LATERAL (
    SELECT * FROM {tallies} latest
    WHERE latest.unit_id = w.unit_id AND latest.valid_from <= d.day
    ORDER BY latest.valid_from DESC LIMIT 1
) t""",
    "sqlite": """JOIN {tallies} t ON t.id = (
    SELECT latest.id FROM {tallies} latest
    WHERE latest.unit_id = w.unit_id AND latest.valid_from <= d.day
    ORDER BY latest.valid_from DESC LIMIT 1
)""",
}
# The committees above the grassroots below a root, by day and direct sub-unit (they keep no tally):
# added to the same query, with every measure 0.
_SUPERIORS_SQL = """
UNION ALL
SELECT d.i, substr(v.path, 1, {width}), {zeros}, COUNT(*) FROM d CROSS JOIN {versions} v
WHERE v.path > %(path)s AND v.path < %(after)s AND v.kind = 'superior'
  AND v.valid_from <= d.day AND (v.valid_to IS NULL OR v.valid_to > d.day)
GROUP BY d.i, substr(v.path, 1, {width})
"""


def _materialized() -> str:
    """Asks that a CTE be computed once (PostgreSQL 12+, SQLite 3.35+); older SQLite decides alone."""
    if connection.vendor == "sqlite" and connection.Database.sqlite_version_info < (3, 35):
        return ""
    return "MATERIALIZED"


def subtree_figures(root: UnitVersion, on: datetime.date) -> dict[str, dict[str, int]]:
    """{path: {measure: count} for MEASURES and UNIT_MEASURES} of each direct sub-unit's subtree on `on` (the
    sub-unit counted among its units), and under the root's own path its members when it is a cell.

    Every member and unit figure of the overview comes from here; a subtree's totals are the sums of
    its rows. Reads the tallies (see tallies.py): one row per direct sub-unit, or per grassroots
    organisation below a committee above the grassroots. Committees above the grassroots below the
    root are counted as `units_superior`."""
    return subtree_figures_on_days(root, [on])[on]


def subtree_figures_on_days(root: UnitVersion, days: list[datetime.date]) -> dict[datetime.date, dict]:
    """`subtree_figures` for each of `days` ({day: {path: {measure: count}}}), in one query: a
    series over the years costs what one day does. The direct sub-units are those of each day (the
    tree changes); the root stays the same unit."""
    measures = MEASURES + UNIT_MEASURES
    cast = "::date" if connection.vendor == "postgresql" else ""
    width = len(root.path) + PATH_WIDTH
    tables = {"versions": UnitVersion._meta.db_table, "tallies": UnitTally._meta.db_table, "width": width}
    sql = _SUBTREE_FIGURES_SQL.format(
        sums=", ".join(f"SUM(t.{measure})" for measure in measures),
        days=", ".join(f"({i}, %(day{i})s{cast})" for i in range(len(days))),
        tally_join=_TALLY_JOIN[connection.vendor].format(**tables),
        materialized=_materialized(),
        **tables,
    )
    if root.kind == UnitKind.SUPERIOR:
        sql += _SUPERIORS_SQL.format(zeros=", ".join("0" for _ in measures), **tables)
    own = root.unit_id if root.kind in CELL_KINDS else 0
    params = {"root": root.unit_id, "own": own, "path": root.path, "after": path_after(root.path),
              "first": min(days), "last": max(days)}  # fmt: skip
    params |= {f"day{i}": day for i, day in enumerate(days)}
    measures = [*measures, "units_superior"]
    result: dict[datetime.date, dict] = {day: {} for day in days}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for i, path, *values in cursor.fetchall():
            row = dict(zip(measures, (int(v or 0) for v in values)))
            if path == root.path:  # a cell's own row: its members, not itself as a unit
                result[days[i]][path] = {k: v for k, v in row.items() if k in MEASURES}
                continue
            into = result[days[i]].setdefault(path, dict.fromkeys(measures, 0))
            for measure, value in row.items():
                into[measure] += value
    return result
