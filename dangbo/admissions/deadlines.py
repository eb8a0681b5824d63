"""The deadlines of the admission pipeline, for a scope on a day (DOMAIN §3):

- the ceremony within 30 working days of the admission decision;
- probations ending in the next 60 days;
- recognition within 30 working days after probation ends: overdue beyond that;
- Party-awareness certificates (valid 5 years) of candidates not yet admitted, expiring soon.

Working days skip weekends and the public holidays of `dangbo.workdays` (kept as data). Everything
is read in a handful of queries, whatever the size of the scope (the listing's names: one more
per 5,000 probationary members).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from functools import partial

from dangbo.lib import vn
from dangbo.members.figures import probations_on
from dangbo.members.models import Member
from dangbo.orgs.labels import labelled_choices
from dangbo.orgs.models import UnitVersion
from dangbo.workdays.calendar import WorkCalendar

from .models import CERTIFICATE_YEARS, Candidate

CEREMONY_WORKING_DAYS = 30
RECOGNITION_WORKING_DAYS = 30
PROBATION_NOTICE_DAYS = 60
CERTIFICATE_NOTICE_DAYS = 90
CHUNK = 5000  # members per query (SQLite limits the parameters of one statement)


@dataclass
class Deadline:
    person_id: int  # a member, or a candidate for certificates
    name: str
    sort_key: str
    unit_id: int
    unit_name: str
    since: datetime.date  # the decision, the ceremony, the end of probation, the certificate
    due: datetime.date
    overdue: bool


@dataclass
class Deadlines:
    on: datetime.date
    ceremonies: list[Deadline] = field(default_factory=list)
    probations: list[Deadline] = field(default_factory=list)
    recognitions: list[Deadline] = field(default_factory=list)
    certificates: list[Deadline] = field(default_factory=list)

    @property
    def overdue_recognitions(self) -> list[Deadline]:
        return [d for d in self.recognitions if d.overdue]

    def counts(self) -> dict[str, int]:
        return {
            "ceremonies": len(self.ceremonies),
            "probations": len(self.probations),
            "overdue_recognitions": len(self.overdue_recognitions),
            "certificates": len(self.certificates),
        }


def _late(calendar: WorkCalendar, since: datetime.date, working_days: int, on: datetime.date) -> bool:
    """More than `working_days` working days have passed since `since` by `on`: the next working
    day after the last allowed one has come (a weekend after the deadline is not yet late)."""
    return on >= calendar.add(since, working_days + 1)


def pipeline_deadlines(root: UnitVersion, on: datetime.date, *, names: bool = True) -> Deadlines:
    """The deadlines of the subtree on `on`; `names=False` leaves out the people's and cells' names
    (the overview shows the counts only)."""
    result = Deadlines(on=on)
    horizon = on + datetime.timedelta(days=CERTIFICATE_NOTICE_DAYS)
    calendar = WorkCalendar(on - datetime.timedelta(days=800), on + datetime.timedelta(days=120))
    notice = on + datetime.timedelta(days=PROBATION_NOTICE_DAYS)
    for member_id, unit_id, decided, ceremony in probations_on(root, on, ends_by=notice):
        ends = vn.add_years(ceremony, 1) if ceremony is not None else None
        if ends is not None and ends > notice:
            continue  # most probationary members: nothing due yet
        deadline = partial(Deadline, member_id, "", "", unit_id, "")
        if ceremony is None:
            due = calendar.add(decided, CEREMONY_WORKING_DAYS)
            result.ceremonies.append(deadline(decided, due, _late(calendar, decided, CEREMONY_WORKING_DAYS, on)))
            continue
        if on < ends:
            result.probations.append(deadline(ceremony, ends, False))
        else:
            due = calendar.add(ends, RECOGNITION_WORKING_DAYS)
            result.recognitions.append(deadline(ends, due, _late(calendar, ends, RECOGNITION_WORKING_DAYS, on)))
    # Candidates with a certificate expiring by the horizon (one day of margin: a certificate of
    # 29/02 expires on 28/02, checked exactly below), then those followed in the subtree.
    candidates = list(
        Candidate.unscoped.filter(
            member__isnull=True,
            course_passed_on__lte=vn.add_years(horizon, -CERTIFICATE_YEARS) + datetime.timedelta(days=1),
        ).values_list("id", "family_name", "middle_name", "given_name", "sort_key", "cell_id", "course_passed_on")
    )
    inside = set(
        UnitVersion.objects.on(on)
        .under(root.path)
        .filter(unit_id__in={c[5] for c in candidates})
        .values_list("unit_id", flat=True)
    )
    for candidate_id, family, middle, given, sort_key, cell_id, passed in candidates:
        expires = vn.add_years(passed, CERTIFICATE_YEARS)
        if expires > horizon or cell_id not in inside:
            continue
        name = vn.full_name(family, middle, given)
        result.certificates.append(Deadline(candidate_id, name, sort_key, cell_id, "", passed, expires, expires <= on))
    people = [*result.ceremonies, *result.probations, *result.recognitions]
    if names and (people or result.certificates):
        _name(people, result.certificates, on)
    for rows in (result.ceremonies, result.probations, result.recognitions, result.certificates):
        rows.sort(key=lambda d: (d.due, d.sort_key, d.person_id))
    return result


def _name(people: list[Deadline], certificates: list[Deadline], on: datetime.date) -> None:
    """Fill in the members' names and sort keys and the cells' names."""
    members = {}
    ids = sorted({d.person_id for d in people})
    for chunk in range(0, len(ids), CHUNK):
        rows = Member.unscoped.filter(pk__in=ids[chunk : chunk + CHUNK]).values_list(
            "id", "family_name", "middle_name", "given_name", "sort_key"
        )
        members.update((row[0], row[1:]) for row in rows)
    cells = dict(
        labelled_choices(UnitVersion.objects.on(on).filter(unit_id__in={d.unit_id for d in people + certificates}), on)
    )
    for deadline in people:
        family, middle, given, sort_key = members[deadline.person_id]
        deadline.name = vn.full_name(family, middle, given)
        deadline.sort_key = sort_key
    for deadline in people + certificates:
        deadline.unit_name = cells.get(deadline.unit_id, "")
