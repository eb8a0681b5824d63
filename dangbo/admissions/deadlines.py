"""The deadlines of the admission pipeline, for a scope on a day (DOMAIN §3):

- the ceremony within 30 working days of the admission decision;
- probations ending in the next 60 days;
- recognition within 30 working days after probation ends: overdue beyond that;
- Party-awareness certificates (valid 5 years) of candidates not yet admitted, expiring soon.

Working days skip weekends and the public holidays of `dangbo.workdays` (kept as data). Everything
is read in a handful of queries, whatever the size of the scope (one more per 5,000 probationary
members).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from functools import partial

from dangbo.lib import vn
from dangbo.members.figures import probationary_on
from dangbo.members.models import Event, EventKind
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


def pipeline_deadlines(root: UnitVersion, on: datetime.date) -> Deadlines:
    result = Deadlines(on=on)
    horizon = on + datetime.timedelta(days=CERTIFICATE_NOTICE_DAYS)
    cell_of = probationary_on(root, on)
    latest = {}  # the current probation's (re)admission of each probationary member
    members = sorted(cell_of)
    for chunk in range(0, len(members), CHUNK):
        admissions = (
            Event.unscoped.active()
            .filter(kind__in=[EventKind.ADMISSION, EventKind.READMISSION], member_id__in=members[chunk : chunk + CHUNK])
            .order_by("member_id", "effective_on", "pk")
            .values_list("member_id", "effective_on", "ceremony_on", "member__family_name", "member__middle_name",
                         "member__given_name", "member__sort_key")
        )  # fmt: skip
        latest.update((row[0], row) for row in admissions)
    candidates = list(
        Candidate.unscoped.filter(
            member__isnull=True,
            # One day of margin: a certificate of 29/02 expires on 28/02 (checked exactly below).
            course_passed_on__lte=vn.add_years(horizon, -CERTIFICATE_YEARS) + datetime.timedelta(days=1),
            cell_id__in=UnitVersion.objects.on(on).under(root.path).values("unit_id"),
        ).values_list("id", "family_name", "middle_name", "given_name", "sort_key", "cell_id", "course_passed_on")
    )
    names = dict(
        UnitVersion.objects.on(on)
        .filter(unit_id__in={*cell_of.values(), *(c[5] for c in candidates)})
        .values_list("unit_id", "name")
    )
    calendar = WorkCalendar(on - datetime.timedelta(days=800), on + datetime.timedelta(days=120))
    for member_id, decided, ceremony, family, middle, given, sort_key in latest.values():
        unit_id = cell_of[member_id]
        name = " ".join(p for p in (family, middle, given) if p)
        deadline = partial(Deadline, member_id, name, sort_key, unit_id, names.get(unit_id, ""))
        if ceremony is None:
            due = calendar.add(decided, CEREMONY_WORKING_DAYS)
            result.ceremonies.append(deadline(decided, due, _late(calendar, decided, CEREMONY_WORKING_DAYS, on)))
            continue
        ends = vn.add_years(ceremony, 1)
        if on < ends <= on + datetime.timedelta(days=PROBATION_NOTICE_DAYS):
            result.probations.append(deadline(ceremony, ends, False))
        elif ends <= on:
            due = calendar.add(ends, RECOGNITION_WORKING_DAYS)
            result.recognitions.append(deadline(ends, due, _late(calendar, ends, RECOGNITION_WORKING_DAYS, on)))
    for candidate_id, family, middle, given, sort_key, cell_id, passed in candidates:
        expires = vn.add_years(passed, CERTIFICATE_YEARS)
        if expires > horizon:
            continue
        name = " ".join(p for p in (family, middle, given) if p)
        result.certificates.append(
            Deadline(candidate_id, name, sort_key, cell_id, names.get(cell_id, ""), passed, expires, expires <= on)
        )
    for rows in (result.ceremonies, result.probations, result.recognitions, result.certificates):
        rows.sort(key=lambda d: (d.due, d.sort_key))
    return result
