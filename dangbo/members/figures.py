"""Member counts of a subtree as of a date, grouped by direct sub-unit, in one query.

Every member figure shown in the overview, the unit pages and (later) reports and exports comes from
`member_counts`; the totals of a subtree are the sums of its rows, so they always add up."""

from __future__ import annotations

import datetime
from collections import Counter

from django.db import connection
from django.db.models import Q

from dangbo.lib import vn
from dangbo.lib.dates import valid_on
from dangbo.orgs.models import PATH_WIDTH, UnitVersion

from .models import Stint, TheoryLevel, UnitTally

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


# One row per unit of the subtree on the day: the unit's latest tally interval starting on or before
# the day (an index seek per unit), kept if it has not ended by then. Written by hand because the ORM
# cannot express that join, and this is the query that must stay fast at national scale. PostgreSQL
# runs it as a LATERAL join; SQLite, which has no LATERAL, joins on a correlated subquery (which
# PostgreSQL would instead answer by hashing every tally row).
_MEMBER_COUNTS_SQL = {
    "postgresql": """
SELECT substr(v.path, 1, %(width)s) AS bucket, {sums}
FROM {versions} v
CROSS JOIN LATERAL (
    SELECT * FROM {tallies} latest
    WHERE latest.unit_id = v.unit_id AND latest.valid_from <= %(day)s
    ORDER BY latest.valid_from DESC LIMIT 1
) t
WHERE v.valid_from <= %(day)s AND (v.valid_to IS NULL OR v.valid_to > %(day)s) AND v.path LIKE %(under)s
  AND (t.valid_to IS NULL OR t.valid_to > %(day)s)
GROUP BY 1
""",
    "sqlite": """
SELECT substr(v.path, 1, %(width)s) AS bucket, {sums}
FROM {versions} v
JOIN {tallies} t ON t.id = (
    SELECT latest.id FROM {tallies} latest
    WHERE latest.unit_id = v.unit_id AND latest.valid_from <= %(day)s
    ORDER BY latest.valid_from DESC LIMIT 1
)
WHERE v.valid_from <= %(day)s AND (v.valid_to IS NULL OR v.valid_to > %(day)s) AND v.path LIKE %(under)s
  AND (t.valid_to IS NULL OR t.valid_to > %(day)s)
GROUP BY 1
""",
}


def member_counts(root: UnitVersion, on: datetime.date) -> dict[str, Counter]:
    """{bucket path: Counter of MEASURES}; the bucket is the path of the direct sub-unit a member is
    under, or the root's own path for members of the root itself (a cell).

    Reads the units' tallies (one row per unit on that date) rather than the stints; see tallies.py."""
    sql = _MEMBER_COUNTS_SQL[connection.vendor].format(
        sums=", ".join(f"SUM(t.{measure})" for measure in MEASURES),
        versions=UnitVersion._meta.db_table,
        tallies=UnitTally._meta.db_table,
    )
    params = {"width": len(root.path) + PATH_WIDTH, "day": on, "under": root.path + "%"}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {bucket: +Counter(dict(zip(MEASURES, sums))) for bucket, *sums in cursor.fetchall()}
