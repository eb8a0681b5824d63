"""Member counts of a subtree as of a date, grouped by direct sub-unit, in one query.

Every member figure shown in the overview, the unit pages and (later) reports and exports comes from
`member_counts`; the totals of a subtree are the sums of its rows, so they always add up."""

from __future__ import annotations

import datetime
from collections import Counter

from django.db.models import Q, Sum
from django.db.models.functions import Substr

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


def member_counts(root: UnitVersion, on: datetime.date) -> dict[str, Counter]:
    """{bucket path: Counter of MEASURES}; the bucket is the path of the direct sub-unit a member is
    under, or the root's own path for members of the root itself (a cell).

    Reads the units' tallies (one row per unit on that date) rather than the stints; see tallies.py."""
    in_subtree = valid_on(on, prefix="unit__versions__") & Q(unit__versions__path__startswith=root.path)
    bucket = Substr("unit__versions__path", 1, len(root.path) + PATH_WIDTH)
    rows = (
        UnitTally.objects.filter(valid_on(on) & in_subtree)
        .values(bucket=bucket)
        .annotate(**{measure: Sum(measure) for measure in MEASURES})
        .order_by()
    )
    return {row.pop("bucket"): Counter(row) for row in rows}
