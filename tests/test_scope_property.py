"""Property test of the dated scope: whatever units move, committees merge and members transfer,
the members each unit's scope may open (`Scope.members_visible`, and `Scope.member_or_404` one by
one) are those computed here directly from the rule — a member held a stint in a cell while the
cell lay under the scope's unit — over an independent replay that only follows parent links day by
day; and those it holds today (`Seen.current`) are those placed under it today.

The tree is small and of its own, under a fresh superior root (the demo committee stays apart):

    root ─┬─ G0 ─┬─ S (a sub-committee, which may itself move) ─ C0
          │      └─ C1
          ├─ G1 ── C2, C3
          └─ G2 ── C4
"""

from __future__ import annotations

import datetime

import pytest
from django.db import transaction
from django.http import Http404
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dangbo.accounts.scope import Scope
from dangbo.lib.http import today
from dangbo.members import actions
from dangbo.orgs import actions as tree_actions
from dangbo.orgs.models import UnitKind

START = datetime.date(2015, 1, 1)
COMMITTEES = ["G0", "G1", "G2"]
CELLS = ["C0", "C1", "C2", "C3", "C4"]
PARENTS = {"G0": "root", "G1": "root", "G2": "root", "S": "G0", "C0": "S", "C1": "G0", "C2": "G1", "C3": "G1",
           "C4": "G2"}  # fmt: skip
MEMBERS = 5

step = st.tuples(
    st.sampled_from(["move_cell", "move_cell", "move_sub", "merge", "transfer", "transfer"]),
    st.integers(min_value=1, max_value=500),  # days after the previous step
    st.integers(min_value=0, max_value=99),  # picks what moves (a cell, a member, a committee)
    st.integers(min_value=0, max_value=99),  # picks where to
)


class Replay:
    """The independent model: dated parent links and dated placements, no paths."""

    def __init__(self):
        self.parents = {unit: [(START, parent)] for unit, parent in PARENTS.items()}
        self.dissolved: dict[str, datetime.date] = {}
        self.cells: dict[int, list[tuple[datetime.date, str]]] = {}
        self.days = {START}

    def parent_on(self, unit, day):
        return [parent for since, parent in self.parents[unit] if since <= day][-1]

    def alive(self, unit, day):
        return unit == "root" or day < self.dissolved.get(unit, datetime.date.max)

    def chain_on(self, cell, day) -> list[str]:
        chain = [cell]
        while chain[-1] != "root":
            chain.append(self.parent_on(chain[-1], day))
        return chain

    def cell_on(self, member, day):
        return [cell for since, cell in self.cells[member] if since <= day][-1]

    def visible(self, unit) -> set[int]:
        """Members placed under `unit` on some day while `unit` existed (the state only changes on
        the days of the steps, so those days are enough)."""
        return {
            member
            for member in self.cells
            for day in self.days
            if self.alive(unit, day) and unit in self.chain_on(self.cell_on(member, day), day)
        }

    def current(self, unit, day) -> set[int]:
        if not self.alive(unit, day):
            return set()
        return {member for member in self.cells if unit in self.chain_on(self.cell_on(member, day), day)}


def _build():
    found = tree_actions.found_unit
    units = {"root": found(None, name="Đảng bộ Thử phạm vi", kind=UnitKind.SUPERIOR, parent=None, on=START)}
    for name in COMMITTEES:
        units[name] = found(None, name=f"Đảng bộ {name}", kind=UnitKind.GRASSROOTS_COMMITTEE, parent=units["root"],
                            on=START)  # fmt: skip
    units["S"] = found(None, name="Đảng bộ bộ phận S", kind=UnitKind.SUB_COMMITTEE, parent=units["G0"], on=START)
    for name in CELLS:
        units[name] = found(None, name=f"Chi bộ {name}", kind=UnitKind.ATTACHED_CELL,
                            parent=units[PARENTS[name]], on=START)  # fmt: skip
    return units


@pytest.mark.django_db
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(step, min_size=1, max_size=8))
def test_every_scope_sees_the_members_the_rule_gives(steps):
    with transaction.atomic():
        units = _build()
        replay = Replay()
        members = []
        for number in range(MEMBERS):
            cell = CELLS[number % len(CELLS)]
            fields = dict(family_name="Lê", given_name=f"Thử {number}", sex="MF"[number % 2],
                          birth_date=datetime.date(1980 + number, 3, 9))  # fmt: skip
            members.append(actions.admit(None, fields, unit=units[cell], effective_on=START, ceremony_on=START))
            replay.cells[members[-1].pk] = [(START, cell)]
        day = START
        for name, gap, pick, where in steps:
            day += datetime.timedelta(days=gap)
            if day >= today():
                break
            live = [c for c in COMMITTEES if replay.alive(c, day)]
            if name == "move_cell":
                cell = CELLS[pick % len(CELLS)]
                parents = live + (["S"] if replay.alive("S", day) else [])
                parent = parents[where % len(parents)]
                if parent == replay.parent_on(cell, day):
                    continue
                tree_actions.change_unit(None, units[cell], on=day, parent=units[parent])
                replay.parents[cell].append((day, parent))
            elif name == "move_sub":
                parent = live[where % len(live)]
                if not replay.alive("S", day) or parent == replay.parent_on("S", day):
                    continue
                tree_actions.change_unit(None, units["S"], on=day, parent=units[parent])
                replay.parents["S"].append((day, parent))
            elif name == "merge":  # one committee's units move into another; it is dissolved
                if len(live) < 2:
                    continue
                gone = live[pick % len(live)]
                into = [c for c in live if c != gone][where % (len(live) - 1)]
                for unit in ["S", *CELLS]:
                    if replay.alive(unit, day) and replay.parent_on(unit, day) == gone:
                        tree_actions.change_unit(None, units[unit], on=day, parent=units[into])
                        replay.parents[unit].append((day, into))
                tree_actions.dissolve_unit(None, units[gone], on=day)
                replay.dissolved[gone] = day
            else:  # a member moves to another cell
                member = members[pick % len(members)]
                cell = CELLS[where % len(CELLS)]
                if cell == replay.cell_on(member.pk, day):
                    continue
                actions.transfer_within(None, member, unit=units[cell], effective_on=day)
                replay.cells[member.pk].append((day, cell))
            replay.days.add(day)
        ours = {m.pk for m in members}
        for name, unit in units.items():
            scope = Scope(unit_id=unit.pk, sees_people=True)
            expected = replay.visible(name)
            assert set(scope.members_visible().filter(pk__in=ours).values_list("pk", flat=True)) == expected, name
            current = set()
            for member in members:
                try:
                    seen = scope.member_or_404(member.pk)
                except Http404:
                    assert member.pk not in expected, (name, member.pk)
                    continue
                assert member.pk in expected, (name, member.pk)
                if seen.current:
                    current.add(member.pk)
                else:  # read-only, up to the last day they lay under the unit
                    assert seen.until is not None and replay.visible(name) >= {member.pk}
            assert current == replay.current(name, today()), name
        transaction.set_rollback(True)
