"""Property tests of membership events: whatever valid sequence of events is recorded through the
actions, the stints, the tallies (`subtree_figures`) and the overview give, on any date, the counts
of an independent replay of the same sequence written here; and any event that breaks a rule in the
member's current state is refused with a ValidationError and writes nothing.

The sequences are drawn by simulating each member's state and offering only the events allowed in
it, over a small tree of its own under a fresh superior root (the demo committee stays apart):

    root ─┬─ A ─┬─ A1
          │     └─ A2   founded late (LATE)
          └─ B ─┬─ B1
                └─ B2   dissolved on GONE: whoever is in it leaves by then
"""

from __future__ import annotations

import datetime
import re
from collections import Counter
from dataclasses import dataclass
from typing import NamedTuple

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

from dangbo.accounts.models import Role, User
from dangbo.audit.models import AuditEntry
from dangbo.lib import vn
from dangbo.members import actions
from dangbo.members.figures import subtree_figures
from dangbo.members.models import Event, EventKind, Member, Stint, UnitTally
from dangbo.members.tallies import refresh_tallies
from dangbo.orgs import actions as tree_actions
from dangbo.orgs.models import UnitKind, UnitVersion
from dangbo.overview.overview import build_overview
from tests.helpers import is_vietnamese

DAY = datetime.timedelta(days=1)
START = datetime.date(2000, 1, 1)
LATE = datetime.date(2001, 3, 1)  # A2 is founded
GONE = datetime.date(2002, 7, 1)  # B2 is dissolved
COMMITTEES = {"A": ["A1", "A2"], "B": ["B1", "B2"]}
CELLS = {cell: committee for committee, cells in COMMITTEES.items() for cell in cells}
OPENS = {"A2": LATE}
CLOSES = {"B2": GONE}
LEAVING = {"death", "removal", "expulsion", "resignation", "non_recognition"}
READMITTABLE = {"removal", "expulsion", "resignation", "non_recognition"}
RESTORABLE = {"removal", "expulsion"}
OUTSIDE = ["Đảng bộ tỉnh Hà Giang", "Đảng bộ Quận Lê Chân", "Đảng ủy Khối Doanh nghiệp"]
PROBATIONARY, OFFICIAL = "probationary", "official"


def alive(cell: str, day: datetime.date) -> bool:
    return OPENS.get(cell, START) <= day < CLOSES.get(cell, datetime.date.max)


class Step(NamedTuple):
    """One membership event as drawn; `kind` is an EventKind value or "ceremony" (record_ceremony,
    dated on the ceremony). Units are the keys of CELLS (or of COMMITTEES, to break a rule)."""

    kind: str
    on: datetime.date
    unit: str | None = None
    from_unit: str | None = None
    other_side: str = ""
    ends_on: datetime.date | None = None
    ceremony_on: datetime.date | None = None


# --- the generator's state: what is allowed next ------------------------------------------------------


@dataclass
class State:
    """A member's state as the generator sees it, to offer only allowed events."""

    last: datetime.date | None = None  # date of the latest event
    admitted: datetime.date | None = None  # date of the latest (re)admission
    first_admitted: datetime.date | None = None
    status: str | None = None
    home: str | None = None  # our cell holding the official activity; None outside our tree
    ceremony: datetime.date | None = None  # of the latest (re)admission
    left_on_probation: bool = False  # left while probationary since the latest (re)admission
    left: str | None = None
    left_on: datetime.date | None = None
    before_leaving: str | None = None
    readmitted: bool = False
    dead: bool = False
    temp_until: datetime.date | None = None
    temp_cell: str | None = None
    exempt_end: datetime.date | None = datetime.date.min  # None: an open-ended exemption

    def temp_active(self, day) -> bool:
        return self.temp_until is not None and self.temp_until > day

    def exempt_active(self, day) -> bool:
        return self.exempt_end is None or self.exempt_end > day

    def probation_end(self) -> datetime.date | None:
        if self.status != PROBATIONARY or self.ceremony is None:
            return None
        return vn.add_years(self.ceremony, 1)

    def can_recognise(self) -> bool:
        end = self.probation_end()
        # Recognition is dated by the probation; dates only increase, and a stint in B2 ends by GONE.
        return end is not None and end >= self.last and (self.home != "B2" or end < GONE)

    def can_recognise_late(self) -> bool:
        """Recognition decided after the probation ended, once other events followed: it takes effect
        back on that day, which is possible when the member stayed in the Party all along."""
        end = self.probation_end()
        return end is not None and end < self.last and not self.left_on_probation

    def readmittable_from(self) -> datetime.date:
        return vn.add_months(self.left_on, 36)

    def apply(self, step: Step) -> None:
        kind, on = step.kind, step.on
        if self.last is None or on >= self.last:  # not a late recognition
            if self.temp_until is not None and self.temp_until <= on:
                self.temp_until = self.temp_cell = None
            self.last = on
        if kind in ("admission", "readmission"):
            self.status, self.home, self.ceremony, self.left = PROBATIONARY, step.unit, step.ceremony_on, None
            self.left_on_probation = False
            self.admitted = on
            self.first_admitted = self.first_admitted or on
            self.readmitted = self.readmitted or kind == "readmission"
        elif kind == "ceremony":
            self.ceremony = on
        elif kind == "recognition":
            self.status = OFFICIAL
        elif kind in LEAVING:
            self.left_on_probation = self.left_on_probation or self.status == PROBATIONARY
            self.before_leaving, self.status, self.left, self.home = self.status, None, kind, None
            self.left_on = on
            self.temp_until = self.temp_cell = None
            if self.exempt_end is None or self.exempt_end > on:
                self.exempt_end = on
            self.dead = kind == "death"
        elif kind == "restoration":
            self.status, self.left, self.home = self.before_leaving, None, step.unit
        elif kind == "transfer_in":
            self.home = step.unit
            if self.temp_cell == step.unit:
                self.temp_until = self.temp_cell = None
        elif kind in ("transfer_out", "transfer_within"):
            self.home = step.unit
            self.temp_until = self.temp_cell = None
        elif kind in ("temporary_away", "temporary_hosted"):
            self.temp_until, self.temp_cell = step.ends_on, step.unit
        elif kind == "exemption":
            self.exempt_end = step.ends_on
        else:  # pragma: no cover
            raise AssertionError(kind)


def allowed_kinds(s: State, day: datetime.date) -> list[str]:
    """The kinds of event allowed on `day` (recognition, dated by the probation, is apart)."""
    if s.dead:
        return []
    if s.status is None:
        kinds = []
        if s.left in READMITTABLE and not s.readmitted:
            kinds.append("readmission")
        if s.left in RESTORABLE:
            kinds.append("restoration")
        return kinds
    kinds = []
    # A probationary member leaves on or after the ceremony recorded for them.
    if s.status == OFFICIAL or s.ceremony is None or s.ceremony <= day:
        kinds += ["death", "removal", "expulsion", "resignation"]
        if s.status == PROBATIONARY:
            kinds.append("non_recognition")
    # The ceremony is recorded, or corrected, while no recognition rests on it and no leaving during
    # this probation precedes it.
    if s.status == PROBATIONARY and not s.left_on_probation:
        kinds.append("ceremony")
    if not s.exempt_active(day):
        kinds.append("exemption")
    if s.home is None:
        kinds.append("transfer_in")
        if not s.temp_active(day):
            kinds.append("temporary_hosted")
    else:
        kinds += ["transfer_out", "transfer_within"]
        if not s.temp_active(day):
            kinds.append("temporary_away")
    return kinds


def temporary_window(day, cell):
    """(earliest, latest) end of a temporary stay from `day` in `cell` (None: outside); None if impossible."""
    low, high = vn.add_months(day, 3), vn.add_years(day, 2)
    if cell is not None:
        if not alive(cell, day):
            return None
        high = min(high, CLOSES.get(cell, high))
    return (low, high) if low <= high else None


def draw_date(draw, low, high):
    return low + datetime.timedelta(days=draw(st.integers(0, (high - low).days)))


def draw_step(draw, s: State, kind: str, day: datetime.date) -> Step:
    entry_cells = [c for c in CELLS if alive(c, day)]
    outside = st.sampled_from(OUTSIDE)
    if kind in ("admission", "readmission", "restoration"):
        unit = draw(st.sampled_from([*entry_cells, None, None]))
        other_side = "" if unit and draw(st.booleans()) else draw(outside)
        ceremony_on = None
        if kind != "restoration" and draw(st.booleans()):
            ceremony_on = day + datetime.timedelta(days=draw(st.integers(0, 90)))
        return Step(kind, day, unit=unit, other_side=other_side, ceremony_on=ceremony_on)
    if kind == "transfer_in":
        return Step(kind, day, unit=draw(st.sampled_from(entry_cells)), other_side=draw(outside))
    if kind == "transfer_out":
        return Step(kind, day, from_unit=draw(st.sampled_from([None, s.home])), other_side=draw(outside))
    if kind == "transfer_within":
        unit = draw(st.sampled_from([c for c in entry_cells if c != s.home]))
        return Step(kind, day, unit=unit, from_unit=draw(st.sampled_from([None, s.home])))
    if kind in ("temporary_away", "temporary_hosted"):
        choices = [c for c in CELLS if c != s.home and temporary_window(day, c)]
        if kind == "temporary_away":
            choices.append(None)
        unit = draw(st.sampled_from(choices))
        low, high = temporary_window(day, unit)
        other_side = draw(outside) if unit is None or draw(st.booleans()) else ""
        return Step(kind, day, unit=unit, other_side=other_side, ends_on=draw_date(draw, low, high))
    if kind == "exemption":
        ends = draw(st.one_of(st.none(), st.integers(1, 800)))
        return Step(kind, day, ends_on=None if ends is None else day + datetime.timedelta(days=ends))
    return Step(kind, day)  # ceremony, non-recognition, death, removal, expulsion, resignation


gaps = st.one_of(st.just(0), st.integers(1, 40), st.integers(41, 400))


def draw_member(draw, max_steps: int) -> tuple[list[Step], State]:
    """One member's valid sequence, in date order, and their state after it."""
    s = State()
    day = START + datetime.timedelta(days=draw(st.integers(0, 500)))
    steps = [draw_step(draw, s, "admission", day)]
    s.apply(steps[0])
    for _ in range(draw(st.integers(0, max_steps - 1))):
        day = s.last + datetime.timedelta(days=draw(gaps))
        if s.home == "B2":
            day = min(day, GONE)  # B2 ends on GONE: its members leave it by then
        # Leaving ends most sequences, correcting the ceremony puts off the recognition: the other
        # kinds are drawn three times as often, the recognition more.
        rare = LEAVING | ({"ceremony"} if s.ceremony else set())
        kinds = [k for k in allowed_kinds(s, day) for _ in range(1 if k in rare else 3)]
        kinds += ["recognition"] * 4 if s.can_recognise() else []
        if not kinds:
            break
        kind = "recognition" if s.can_recognise_late() and draw(st.booleans()) else draw(st.sampled_from(kinds))
        if kind == "readmission":  # not before 36 months out of the Party (Quy định 294-QĐ/TW, 3.5.1)
            day = max(day, s.readmittable_from())
        step = Step(kind, s.probation_end()) if kind == "recognition" else draw_step(draw, s, kind, day)
        steps.append(step)
        s.apply(step)
    if s.home == "B2":  # still in B2: they move before it is dissolved
        day = min(s.last + datetime.timedelta(days=draw(gaps)), GONE)
        kind = draw(st.sampled_from(["transfer_within", "transfer_out"]))
        steps.append(draw_step(draw, s, kind, day))
        s.apply(steps[-1])
    return steps, s


@st.composite
def scenarios(draw, max_members=4, max_steps=9):
    return [draw_member(draw, max_steps)[0] for _ in range(draw(st.integers(1, max_members)))]


# --- the independent replay -------------------------------------------------------------------------


def counted_on(steps: list[Step], day: datetime.date) -> tuple[str, str] | None:
    """(cell, status) in which the member counts on `day` — official membership in one of our cells
    — or None. Events take effect on their date; temporary activity and exemption change nothing."""
    cell = status = before = None
    for step in sorted(steps, key=lambda step: step.on):  # a late recognition goes back to its date
        if step.on > day:
            break
        if step.kind in ("admission", "readmission"):
            cell, status = step.unit, PROBATIONARY
        elif step.kind == "restoration":
            cell, status = step.unit, before
        elif step.kind == "recognition":
            status = OFFICIAL
        elif step.kind in LEAVING:
            cell, status, before = None, None, status
        elif step.kind in ("transfer_in", "transfer_within", "transfer_out"):
            cell = step.unit
    return (cell, status) if cell and status else None


# --- recording through the actions ----------------------------------------------------------------------


def build_tree() -> dict:
    found = tree_actions.found_unit
    units = {"root": found(None, name="Đảng bộ Thử sự kiện", kind=UnitKind.SUPERIOR, parent=None, on=START)}
    for committee, cells in COMMITTEES.items():
        units[committee] = found(None, name=f"Đảng bộ Công ty {committee}", kind=UnitKind.GRASSROOTS_COMMITTEE,
                                 parent=units["root"], on=START)  # fmt: skip
        for cell in cells:
            units[cell] = found(None, name=f"Chi bộ {cell}", kind=UnitKind.ATTACHED_CELL, parent=units[committee],
                                on=OPENS.get(cell, START))  # fmt: skip
    return units


def record(units: dict, member: Member | None, step: Step, number: int = 0):
    """Record `step` through its action; returns the member (a new one for an admission)."""
    unit = units[step.unit] if step.unit else None
    from_unit = units[step.from_unit] if step.from_unit else None
    on, kind = step.on, step.kind
    if kind == "admission":
        fields = dict(family_name="Phạm", middle_name="Văn", given_name=f"Thử {number}", sex="MF"[number % 2],
                      birth_date=datetime.date(1970 + number, 5, 17))  # fmt: skip
        return actions.admit(None, fields, unit=unit, effective_on=on, ceremony_on=step.ceremony_on,
                             other_side=step.other_side)  # fmt: skip
    if kind == "ceremony":
        actions.record_ceremony(None, member, on)
    elif kind == "recognition":
        event = actions.recognise(None, member)
        assert event.effective_on == on
    elif kind in ("readmission", "admission"):
        actions.readmit(None, member, unit=unit, effective_on=on, ceremony_on=step.ceremony_on,
                        other_side=step.other_side)  # fmt: skip
    elif kind == "restoration":
        actions.restore(None, member, unit=unit, effective_on=on, other_side=step.other_side)
    elif kind == "transfer_in":
        actions.transfer_in(None, member, unit=unit, effective_on=on, other_side=step.other_side)
    elif kind == "transfer_out":
        actions.transfer_out(None, member, effective_on=on, other_side=step.other_side, from_unit=from_unit)
    elif kind == "transfer_within":
        actions.transfer_within(None, member, unit=unit, effective_on=on, from_unit=from_unit)
    elif kind == "temporary_away":
        actions.send_temporarily(None, member, effective_on=on, ends_on=step.ends_on, unit=unit,
                                 other_side=step.other_side)  # fmt: skip
    elif kind == "temporary_hosted":
        actions.host_temporarily(None, member, unit=unit, effective_on=on, ends_on=step.ends_on,
                                 other_side=step.other_side)  # fmt: skip
    elif kind == "exemption":
        actions.exempt(None, member, effective_on=on, ends_on=step.ends_on)
    else:
        recorder = {"non_recognition": actions.refuse_recognition, "death": actions.record_death,
                    "removal": actions.remove, "expulsion": actions.expel,
                    "resignation": actions.accept_resignation}[kind]  # fmt: skip
        recorder(None, member, effective_on=on)
    return member


def record_all(units: dict, plans: list[list[Step]]) -> list[Member]:
    """Every member's steps, all in the order of the days they are decided (a late recognition on the
    day of the event before it); B2 is dissolved on GONE once its last events are in."""
    members: list = [None] * len(plans)
    dissolved = False
    order = []
    for i, plan in enumerate(plans):
        for j in range(len(plan)):
            order.append((max(s.on for s in plan[: j + 1]), i, j))
    for on, i, j in sorted(order):
        if not dissolved and on > GONE:
            tree_actions.dissolve_unit(None, units["B2"], on=GONE)
            dissolved = True
        members[i] = record(units, members[i], plans[i][j], i)
    if not dissolved:
        tree_actions.dissolve_unit(None, units["B2"], on=GONE)
    return members


# --- the valid sequences --------------------------------------------------------------------------------


def check_day(units: dict, versions: list[UnitVersion], members: list[Member], plans: list[list[Step]],
              day: datetime.date) -> None:  # fmt: skip
    """The stints, the tallies and the overview on `day` against the independent replay."""
    cell_ids = {units[c].pk: c for c in CELLS}
    places = {m.pk: counted_on(plan, day) for m, plan in zip(members, plans)}
    expected = Counter(place for place in places.values() if place)
    # (a) The official stints open on the day: per member, then grouped by unit and status.
    stints = Stint.unscoped.official().open_on(day).filter(unit_id__in=cell_ids)
    held = list(stints.values_list("member_id", "unit_id", "status"))
    assert len({m for m, _, _ in held}) == len(held), f"two official stints on {day}: {held}"
    assert {m: (cell_ids[u], s) for m, u, s in held} == {m: p for m, p in places.items() if p}, day
    grouped = stints.values("unit_id", "status").annotate(n=Count("id"))
    assert Counter({(cell_ids[r["unit_id"]], r["status"]): r["n"] for r in grouped}) == expected, day
    # (b) The tallies: each committee from the root, each cell from its committee and on its own.
    on_day = {v.unit_id: v for v in versions if v.valid_from <= day and (v.valid_to is None or day < v.valid_to)}
    root = on_day.get(units["root"].pk)
    if root is None:  # before the tree was founded
        assert day < START and not expected
        return
    by_committee = subtree_figures(root, day)
    total = Counter()
    for committee, cells in COMMITTEES.items():
        version = on_day[units[committee].pk]
        want = {status: sum(expected[(c, status)] for c in cells) for status in (OFFICIAL, PROBATIONARY)}
        want["total"] = want[OFFICIAL] + want[PROBATIONARY]
        got = by_committee[version.path]
        assert {k: got[k] for k in want} == want, (committee, day)
        assert got["units_attached_cell"] == sum(alive(c, day) for c in cells), (committee, day)
        total.update(want)
        by_cell = subtree_figures(version, day)
        assert set(by_cell) <= {on_day[units[c].pk].path for c in cells if units[c].pk in on_day}, (committee, day)
        for cell in cells:
            want = {OFFICIAL: expected[(cell, OFFICIAL)], PROBATIONARY: expected[(cell, PROBATIONARY)]}
            cell_version = on_day.get(units[cell].pk)
            if cell_version is None:
                assert not alive(cell, day) and not any(want.values()), (cell, day)
                continue
            for figures in (by_cell, subtree_figures(cell_version, day)):
                got = figures.get(cell_version.path, {})
                assert {k: got.get(k, 0) for k in want} == want, (cell, day)
    # (c) The overview of the root: its totals and its rows.
    overview = build_overview(root, day)
    assert {k: overview.total.members[k] for k in total} == dict(total), day
    assert sorted(row.version.unit_id for row in overview.rows) == sorted(units[c].pk for c in COMMITTEES)


def days_to_check(plans, probes) -> list[datetime.date]:
    days = {START - DAY, START, LATE - DAY, LATE, GONE - DAY, GONE}
    for plan in plans:
        for step in plan:
            days |= {step.on, step.on - DAY}
            if step.ends_on:  # the end of a temporary stay or of an exemption changes no count
                days |= {step.ends_on, step.ends_on - DAY}
    days |= {START + datetime.timedelta(days=p) for p in probes}
    return sorted(days)


@pytest.mark.django_db
@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])  # fmt: skip
@given(plans=scenarios(), probes=st.lists(st.integers(0, 3000), max_size=6))
def test_counts_on_any_date_match_an_independent_replay(client, plans, probes):
    with transaction.atomic():
        units = build_tree()
        members = record_all(units, plans)
        days = verify(units, members, plans, probes)
        # (c) The overview page itself, as a viewer of the root, on two of those days.
        client.force_login(User.objects.create(username="xem_su_kien", role=Role.VIEWER, unit=units["root"]))
        for day in {max(s.on for s in _steps(plans)), days[len(days) // 2]} - {START - DAY}:
            response = client.get(f"/to-chuc/{units['root'].pk}/?date={day:%Y-%m-%d}")
            shown = re.search(r'data-figure="members">([\d.]+)<', response.content.decode())
            assert shown, f"no member figure on the overview page ({response.status_code})"
            assert int(shown.group(1).replace(".", "")) == sum(1 for plan in plans if counted_on(plan, day)), day
        transaction.set_rollback(True)


def verify(units: dict, members: list[Member], plans: list[list[Step]], probes=()) -> list[datetime.date]:
    """Everything recorded for `plans` against the independent replay; returns the days checked."""
    for member, plan in zip(members, plans):
        member.refresh_from_db()
        admissions = [s.on for s in plan if s.kind == "admission"]
        recognitions = [s.on for s in plan if s.kind == "recognition"]
        assert member.admitted_on == admissions[0]
        assert member.official_on == max(recognitions, default=None)
        assert member.events.active().count() == sum(s.kind != "ceremony" for s in plan)
    versions = list(UnitVersion.objects.filter(unit__in=units.values()))
    days = days_to_check(plans, probes)
    for day in days:
        check_day(units, versions, members, plans, day)
    # The tallies kept up event by event are row for row those a full refresh computes.
    ours = UnitTally.objects.filter(unit__in=units.values()).order_by("unit_id", "valid_from")
    kept = [row[1:] for row in ours.values_list()]
    refresh_tallies([unit.pk for unit in units.values()])
    assert kept == [row[1:] for row in ours.values_list()]
    return days


def _steps(plans):
    return [step for plan in plans for step in plan]


def _after_ceremony(plans, kind):
    return any(a.kind == "ceremony" and b.kind == kind for plan in plans for a, b in zip(plan, plan[1:]))


# What the strategy must be able to draw: every kind, and the variants that take another path.
REACHES = {kind.value: (lambda k: lambda plans: any(s.kind == k for s in _steps(plans)))(kind.value)
           for kind in EventKind}  # fmt: skip
REACHES |= {
    "ceremony": lambda plans: any(s.kind == "ceremony" for s in _steps(plans)),
    "ceremony corrected": lambda plans: any(
        s.kind == "ceremony" and any(t.kind == "ceremony" or t.ceremony_on for t in plan[:i])
        for plan in plans for i, s in enumerate(plan)
    ),
    "ceremony given with the admission": lambda plans: any(s.ceremony_on for s in _steps(plans)),
    "recognition after a recorded ceremony": lambda plans: _after_ceremony(plans, "recognition"),
    "admission outside our tree": lambda plans: any(s.kind == "admission" and not s.unit for s in _steps(plans)),
    "readmission into a cell": lambda plans: any(s.kind == "readmission" and s.unit for s in _steps(plans)),
    "restoration outside": lambda plans: any(s.kind == "restoration" and not s.unit for s in _steps(plans)),
    "temporarily away to a cell": lambda plans: any(s.kind == "temporary_away" and s.unit for s in _steps(plans)),
    "temporarily away outside": lambda plans: any(s.kind == "temporary_away" and not s.unit for s in _steps(plans)),
    "transfer with from_unit": lambda plans: any(s.from_unit for s in _steps(plans)),
    "into the late cell A2": lambda plans: any(s.unit == "A2" for s in _steps(plans)),
    "into B2, later dissolved": lambda plans: any(s.unit == "B2" and s.kind != "admission" for s in _steps(plans)),
    "an open-ended exemption": lambda plans: any(s.kind == "exemption" and not s.ends_on for s in _steps(plans)),
    "a late recognition, back before other events": lambda plans: any(
        b.kind == "recognition" and b.on < a.on for plan in plans for a, b in zip(plan, plan[1:])
    ),
    "two events on one day": lambda plans: any(a.on == b.on for plan in plans for a, b in zip(plan, plan[1:])),
    "recognition while temporarily away": lambda plans: any(
        a.kind == "temporary_away" and b.kind == "recognition" and b.on < a.ends_on
        for plan in plans for a, b in zip(plan, plan[1:])
    ),
}


@pytest.mark.parametrize("what", sorted(REACHES))
def test_the_strategy_reaches_every_kind_of_event(what):
    plans = find(scenarios(), REACHES[what],
                 settings=settings(max_examples=3000, database=None, phases=[Phase.generate]))  # fmt: skip
    assert REACHES[what](plans)


@settings(max_examples=100, deadline=None)
@given(plans=scenarios())
def test_the_strategy_only_draws_valid_dated_sequences(plans):
    """No database: each plan starts with an admission, its dates never go back (but for a late
    recognition), and A2 and B2 are entered only while they exist (a sanity check of the generator
    the other tests rely on)."""
    for plan in plans:
        assert plan[0].kind == "admission"
        assert all(a.on <= b.on for a, b in zip(plan, plan[1:]) if b.kind != "recognition")
        for step in plan:
            if step.kind in ("admission", "readmission", "restoration", "transfer_in", "transfer_within"):
                assert step.unit is None or alive(step.unit, step.on)
        assert counted_on(plan, GONE) is None or counted_on(plan, GONE)[0] != "B2"


# --- invalid events -----------------------------------------------------------------------------------


def invalid_steps(s: State, day: datetime.date) -> list[tuple[str, Step]]:
    """(why, step) for events that break a rule in state `s` on `day` (or before the admission)."""
    gone = [c for c in CELLS if not alive(c, day)]  # A2 before LATE, B2 from GONE
    window = (vn.add_months(day, 3), vn.add_years(day, 2))
    ends = window[0]
    bad_lengths = [window[0] - DAY, window[1] + DAY, None]
    cases = [
        ("admission with neither a cell nor an outside committee", Step("admission", day)),
        ("admission into a committee, not a cell", Step("admission", day, unit="A")),
        ("admission with the ceremony before the decision", Step("admission", day, unit="A1", ceremony_on=day - DAY)),
        ("an event dated before the admission", Step("exemption", s.first_admitted - DAY)),
        ("a ceremony before the (re)admission decision", Step("ceremony", s.admitted - DAY)),
        ("an exemption ending on its first day", Step("exemption", day, ends_on=day)),
    ]
    cases += [(f"admission into {c}, which does not exist that day", Step("admission", day, unit=c)) for c in gone]
    in_party_kinds = [
        Step("exemption", day),
        Step("transfer_in", day, unit="A1", other_side=OUTSIDE[0]),
        Step("transfer_out", day, other_side=OUTSIDE[0]),
        Step("transfer_within", day, unit="B1"),
        Step("temporary_hosted", day, unit="A1", ends_on=ends),
        Step("temporary_away", day, other_side=OUTSIDE[0], ends_on=ends),
        Step("death", day),
        Step("removal", day),
        Step("expulsion", day),
        Step("resignation", day),
        Step("recognition", day),
        Step("non_recognition", day),
    ]
    if s.dead:
        cases += [(f"{step.kind} after death", step) for step in in_party_kinds]
        cases.append(("a ceremony dated after death", Step("ceremony", day + DAY)))
        cases += [("readmission after death", Step("readmission", day, unit="A1")),
                  ("restoration after death", Step("restoration", day, unit="A1"))]  # fmt: skip
        return cases
    if s.status is None:
        cases += [(f"{step.kind} after leaving ({s.left})", step) for step in in_party_kinds]
        cases.append(("a ceremony dated after leaving", Step("ceremony", day + DAY)))
        if s.readmitted:
            cases.append(("a second readmission", Step("readmission", day, unit="A1")))
        elif s.left in READMITTABLE and day < s.readmittable_from():
            cases.append(("a readmission sooner than 36 months after leaving", Step("readmission", day, unit="A1")))
        if s.left not in RESTORABLE:
            cases.append((f"restoration after {s.left}", Step("restoration", day, unit="A1")))
        else:
            cases.append(("restoration into a committee", Step("restoration", day, unit="B")))
        return cases
    cases += [
        ("readmission of a member", Step("readmission", day, unit="A1")),
        ("restoration of a member", Step("restoration", day, unit="A1")),
    ]
    if s.status == OFFICIAL:
        cases += [("recognition of an official member", Step("recognition", day)),
                  ("non-recognition of an official member", Step("non_recognition", day))]  # fmt: skip
    elif s.ceremony is None:
        cases.append(("recognition before the ceremony is recorded", Step("recognition", day)))
    if s.status == OFFICIAL:
        cases.append(("a ceremony corrected under a recognition", Step("ceremony", day)))
    if s.status == PROBATIONARY and s.ceremony is not None and s.ceremony > day:
        cases.append(("resignation before the recorded ceremony", Step("resignation", day)))
    if s.status == PROBATIONARY and s.left_on_probation:
        cases.append(("a ceremony after a leaving during the probation", Step("ceremony", day + DAY)))
    if s.exempt_active(day):
        cases.append(("an exemption during an exemption", Step("exemption", day)))
    temporary = "temporary_away" if s.home else "temporary_hosted"
    if s.temp_active(day):
        cases.append(("a temporary stay during another", Step(temporary, day, unit=None if s.home else "A1",
                                                               other_side=OUTSIDE[1], ends_on=ends)))  # fmt: skip
    else:
        for length in bad_lengths:
            cases.append((f"a temporary stay ending {length}", Step(temporary, day, unit=None if s.home else "A1",
                                                                   other_side=OUTSIDE[1], ends_on=length)))  # fmt: skip
    others = [c for c in CELLS if c != s.home]
    if s.home is None:
        cases += [
            ("transfer out of no cell", Step("transfer_out", day, other_side=OUTSIDE[0])),
            ("transfer within from no cell", Step("transfer_within", day, unit="B1")),
            ("transfer out from a cell the member is not in",
             Step("transfer_out", day, from_unit="A1", other_side=OUTSIDE[0])),
        ]  # fmt: skip
        if not s.temp_active(day):
            cases.append(("temporarily away from no cell", Step("temporary_away", day, other_side=OUTSIDE[0],
                                                                ends_on=ends)))  # fmt: skip
        come = OUTSIDE[2]
        cases += [(f"transfer in to {c}, which does not exist that day",
                   Step("transfer_in", day, unit=c, other_side=come)) for c in gone]  # fmt: skip
        cases += [
            ("transfer in to a committee", Step("transfer_in", day, unit="B", other_side=come)),
            ("transfer in with no sending committee", Step("transfer_in", day, unit="A1")),
        ]
        if alive("B2", day):
            cases.append(("transfer in to B2, open past its dissolution",
                          Step("transfer_in", day, unit="B2", other_side=come)))  # fmt: skip
    else:
        cases += [
            ("transfer in while in a cell", Step("transfer_in", day, unit=others[0], other_side=OUTSIDE[2])),
            ("transfer out with no receiving committee", Step("transfer_out", day)),
            ("transfer within to the same cell", Step("transfer_within", day, unit=s.home)),
            ("transfer out from a cell the member is not in",
             Step("transfer_out", day, from_unit=others[0], other_side=OUTSIDE[0])),
            ("transfer within from a cell the member is not in",
             Step("transfer_within", day, unit=others[-1], from_unit=others[0])),
            ("transfer within to a committee", Step("transfer_within", day, unit="A")),
            ("hosted while in a cell", Step("temporary_hosted", day, unit=others[0], ends_on=ends)),
        ]  # fmt: skip
        cases += [(f"transfer within to {c}, which does not exist that day", Step("transfer_within", day, unit=c))
                  for c in gone if c != s.home]  # fmt: skip
        if "B2" in others and alive("B2", day):
            cases.append(("transfer within to B2, open past its dissolution", Step("transfer_within", day, unit="B2")))
        if not s.temp_active(day):
            cases += [
                ("temporarily away to the own cell", Step("temporary_away", day, unit=s.home, ends_on=ends)),
                ("temporarily away to nowhere", Step("temporary_away", day, ends_on=ends)),
            ]
    return cases


@st.composite
def invalid_cases(draw):
    steps, state = draw_member(draw, max_steps=7)
    day = state.last + datetime.timedelta(days=draw(gaps))
    why, step = draw(st.sampled_from(invalid_steps(state, day)))
    return steps, why, step


def snapshot(member: Member) -> tuple:
    counts = tuple(model._default_manager.count() for model in (Event, Stint, UnitTally, AuditEntry, Member))
    stints = sorted(Stint.unscoped.filter(member=member).values_list("unit_id", "kind", "status", "start", "end"))
    events = sorted(Event.unscoped.filter(member=member).values_list("id", "kind", "effective_on", "ceremony_on"))
    return counts, stints, events, Member.unscoped.filter(pk=member.pk).values_list("admitted_on", "official_on")[0]


@pytest.mark.django_db
@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])  # fmt: skip
@given(case=invalid_cases())
def test_an_invalid_event_is_refused_and_writes_nothing(case):
    steps, why, step = case
    with transaction.atomic():
        units = build_tree()
        (member,) = record_all(units, [steps])
        before = snapshot(member)
        with pytest.raises(ValidationError) as refusal:
            record(units, None if step.kind == "admission" else member, step, 7)
        assert is_vietnamese(" ".join(refusal.value.messages)), refusal.value.messages
        assert snapshot(member) == before, why
        transaction.set_rollback(True)


# --- explicit examples --------------------------------------------------------------------------------


def test_non_recognition_ends_the_official_stint(db):
    """A regression found by the property on an earlier state of events.replay, where non-recognition
    had its own branch that ended the membership but left the official stint open: the member went
    on counting as probationary in the cell (the drawn example, an admission into B2 then a
    non-recognition, could not even dissolve B2). Fixed since; this is its smallest case."""
    units = build_tree()
    admitted, refused = datetime.date(2000, 5, 17), datetime.date(2000, 12, 21)
    member = record(units, None, Step("admission", admitted, unit="A1"))
    record(units, member, Step("non_recognition", refused))
    assert list(Stint.unscoped.filter(member=member).values_list("start", "end")) == [(admitted, refused)]
    cell = UnitVersion.objects.get(unit=units["A1"])
    assert subtree_figures(cell, refused - DAY)[cell.path]["probationary"] == 1
    assert subtree_figures(cell, refused).get(cell.path, {}).get("total", 0) == 0


def test_a_late_recognition_goes_back_to_its_date(db):
    """Recognition decided after other events takes effect back on the day the probation ended,
    splitting the stints that followed, in a cell since dissolved (B2) or left for outside."""
    d = datetime.date
    plans = [
        [
            Step("admission", d(2001, 1, 10), unit="B2", ceremony_on=d(2001, 2, 1)),
            Step("transfer_within", d(2002, 3, 1), unit="A2"),
            Step("transfer_within", d(2002, 8, 1), unit="A1", from_unit="A2"),  # B2 is dissolved before
            Step("recognition", d(2002, 2, 1)),
        ],
        [
            Step("admission", d(2000, 3, 1), unit="A1", ceremony_on=d(2000, 3, 15)),
            Step("exemption", d(2000, 9, 1), ends_on=d(2001, 9, 1)),
            Step("transfer_out", d(2001, 5, 1), other_side=OUTSIDE[0]),
            Step("recognition", d(2001, 3, 15)),
        ],
    ]
    units = build_tree()
    members = record_all(units, plans)
    verify(units, members, plans, probes=[400, 800])
    assert counted_on(plans[0], d(2002, 2, 1)) == ("B2", OFFICIAL)
    assert counted_on(plans[1], d(2001, 4, 30)) == ("A1", OFFICIAL)
