"""Half-open date intervals [start, end): `end` is the first day a thing no longer holds
(the effective date of the decision that ended it); None means it still holds."""

import datetime

from django.db.models import Q


def valid_on(on: datetime.date, prefix: str = "", start: str = "valid_from", end: str = "valid_to") -> Q:
    """Q for rows whose interval contains `on`; `prefix` reaches them across a relation."""
    return Q(**{f"{prefix}{start}__lte": on}) & (
        Q(**{f"{prefix}{end}__isnull": True}) | Q(**{f"{prefix}{end}__gt": on})
    )


def overlaps(a_start, a_end, b_start, b_end) -> bool:
    """Do [a_start, a_end) and [b_start, b_end) share a day? None ends are open."""
    return (b_end is None or a_start < b_end) and (a_end is None or b_start < a_end)
