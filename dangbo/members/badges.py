"""Party age and Party badges (Huy hiệu Đảng).

Party age counts from the admission decision, less the time out of the Party (`Timeline`), for
members official on the day; a readmitted member's from their recognition after the readmission,
still from the first admission less the time out (Quy định 294-QĐ/TW, điểm 4.5.2). Badges
honour 30, 40, 45 … 90 years of party age and are presented on fixed occasions each year (3/2, 19/5,
2/9, 7/11; settings.BADGE_YEARS and BADGE_OCCASIONS). The list for an occasion holds the official
members counted in the scope on that day whose party age reaches one of those years after the
previous occasion and by this one: the members the committee proposes for that occasion.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings

from dangbo.lib import vn
from dangbo.orgs.labels import unit_labels
from dangbo.orgs.models import UnitVersion

from .actions import ordered
from .events import replay
from .figures import counted_stints
from .models import Event, MemberStatus


def occasions_between(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    """The award occasions in [start, end], in order."""
    days = []
    for year in range(start.year, end.year + 1):
        for day, month in settings.BADGE_OCCASIONS:
            occasion = datetime.date(year, month, day)
            if start <= occasion <= end:
                days.append(occasion)
    return sorted(days)


def next_occasion(day: datetime.date) -> datetime.date:
    """The first occasion on or after `day`."""
    return occasions_between(day, datetime.date(day.year + 1, 12, 31))[0]


def previous_occasion(occasion: datetime.date) -> datetime.date:
    """The occasion before `occasion`."""
    return occasions_between(datetime.date(occasion.year - 1, 1, 1), occasion - datetime.timedelta(days=1))[-1]


@dataclass
class BadgeRow:
    member_id: int
    name: str
    sort_key: str
    sex: str
    birth_date: datetime.date
    unit_id: int
    unit_name: str
    admitted_on: datetime.date
    official_on: datetime.date | None
    party_start: datetime.date
    years: int
    reached_on: datetime.date  # the day the party age reaches `years`


def badge_list(root: UnitVersion, occasion: datetime.date) -> list[BadgeRow]:
    """The members of `root`'s subtree due a badge at `occasion`, by badge (highest first), then name."""
    since = previous_occasion(occasion)
    fewest = min(settings.BADGE_YEARS)
    # Time out of the Party only moves the anniversary later: a member admitted after this day
    # cannot reach the smallest badge by the occasion.
    stints = counted_stints(root, occasion).filter(
        status=MemberStatus.OFFICIAL, member__admitted_on__lte=vn.add_years(occasion, -fewest)
    )
    people = {
        row[0]: row
        for row in stints.values_list(
            "member_id", "unit_id", "member__family_name", "member__middle_name", "member__given_name",
            "member__sort_key", "member__sex", "member__birth_date", "member__admitted_on", "member__official_on",
        )
    }  # fmt: skip
    events = defaultdict(list)
    for event in Event.unscoped.active().filter(member_id__in=list(people)).order_by("effective_on", "pk"):
        events[event.member_id].append(event)
    names = unit_labels({row[1] for row in people.values()}, occasion)  # "Chi bộ … — Đảng bộ …"
    rows = []
    for member_id, (_, unit_id, family, middle, given, sort_key, sex, birth, admitted, official) in people.items():
        # The party age on the occasion, not after the member's latest event: a member removed or
        # readmitted since was official then and is due what they had reached.
        start = replay(ordered(events[member_id])).party_start_on(occasion)
        if start is None:
            continue
        for years in settings.BADGE_YEARS:
            reached = vn.add_years(start, years)
            if since < reached <= occasion:
                name = vn.full_name(family, middle, given)
                rows.append(BadgeRow(member_id, name, sort_key, sex, birth, unit_id, names.get(unit_id, ""),
                                     admitted, official, start, years, reached))  # fmt: skip
    rows.sort(key=lambda r: (-r.years, r.sort_key, r.member_id))
    return rows
