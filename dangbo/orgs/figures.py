"""Unit counts of a subtree as of a date, grouped by direct sub-unit and kind, in one query."""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict

from django.db.models import Count
from django.db.models.functions import Substr

from .models import PATH_WIDTH, UnitVersion


def unit_counts(root: UnitVersion, on: datetime.date) -> dict[str, Counter]:
    """{bucket path: Counter(kind -> number of units)}, the root itself excluded; a direct
    sub-unit's bucket counts the sub-unit and everything below it."""
    bucket = Substr("path", 1, len(root.path) + PATH_WIDTH)
    rows = (
        UnitVersion.objects.on(on)
        .under(root.path)
        .exclude(unit_id=root.unit_id)
        .values("kind", bucket=bucket)
        .annotate(n=Count("id"))
        .order_by()
    )
    counts: dict[str, Counter] = defaultdict(Counter)
    for row in rows:
        counts[row["bucket"]][row["kind"]] += row["n"]
    return counts
