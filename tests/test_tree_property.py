"""Property test: whatever valid sequence of tree changes is recorded, the tree read back for any
date (versions valid that day, subtree by path prefix) equals an independent replay of the same
changes that only follows parent links."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dangbo.orgs import actions
from dangbo.orgs.models import ALLOWED_PARENT_KINDS, UnitKind, UnitVersion

START = datetime.date(2000, 1, 1)
KINDS = [UnitKind.GRASSROOTS_COMMITTEE, UnitKind.GRASSROOTS_CELL, UnitKind.SUB_COMMITTEE, UnitKind.ATTACHED_CELL]

operation = st.tuples(
    st.sampled_from(["found"] * 4 + ["move"] * 3 + ["rename", "dissolve"]),
    st.integers(min_value=1, max_value=400),  # days after the previous operation
    st.integers(min_value=0, max_value=10_000),  # picks a unit
    st.integers(min_value=0, max_value=10_000),  # picks a parent
    st.sampled_from(KINDS),
)


class Replay:
    """The independent model: per unit, its founding, dissolution and dated parent changes."""

    def __init__(self, root_id):
        self.root_id = root_id
        self.founded = {root_id: START}
        self.dissolved = {}
        self.parents = {root_id: [(START, None)]}
        self.kinds = {root_id: UnitKind.SUPERIOR}

    def parents_for(self, kind, alive):
        """Units that may hold a unit of `kind` (most picks should be valid to reach deep trees)."""
        return [u for u in alive if self.kinds[u.pk] in ALLOWED_PARENT_KINDS[kind]]

    def exists(self, unit, day):
        return self.founded[unit] <= day and (unit not in self.dissolved or day < self.dissolved[unit])

    def parent_on(self, unit, day):
        return [p for when, p in self.parents[unit] if when <= day][-1]

    def tree_on(self, day):
        """{unit: chain of ids from the root} for every unit under the root on `day`."""
        result = {}
        for unit in self.founded:
            if not self.exists(unit, day):
                continue
            chain, node = [], unit
            while node is not None:
                chain.append(node)
                node = self.parent_on(node, day)
            if chain[-1] == self.root_id:
                result[unit] = list(reversed(chain))
        return result


@pytest.mark.django_db
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(operation, min_size=4, max_size=30), probes=st.lists(st.integers(0, 12_000), max_size=8))
def test_tree_on_any_date_matches_an_independent_replay(ops, probes):
    with transaction.atomic():
        root = actions.found_unit(None, name="Đảng bộ thử", kind=UnitKind.SUPERIOR, parent=None, on=START)
        replay = Replay(root.pk)
        units = [root]
        day = START
        for name, gap, pick, parent_pick, kind in ops:
            day += datetime.timedelta(days=gap)
            alive = [u for u in units if replay.exists(u.pk, day)]
            try:
                if name == "found":
                    candidates = replay.parents_for(kind, alive) or alive
                    parent = candidates[parent_pick % len(candidates)]
                    unit = actions.found_unit(None, name=f"Đơn vị {len(units)}", kind=kind, parent=parent, on=day)
                    units.append(unit)
                    replay.founded[unit.pk] = day
                    replay.parents[unit.pk] = [(day, parent.pk)]
                    replay.kinds[unit.pk] = kind
                elif name == "move" and len(alive) > 1:
                    unit = alive[1:][pick % (len(alive) - 1)]
                    candidates = replay.parents_for(replay.kinds[unit.pk], [u for u in alive if u != unit]) or alive
                    parent = candidates[parent_pick % len(candidates)]
                    actions.change_unit(None, unit, on=day, parent=parent)
                    replay.parents[unit.pk].append((day, parent.pk))
                elif name == "rename":
                    unit = alive[pick % len(alive)]
                    actions.change_unit(None, unit, on=day, name=f"Tên mới {day}")
                elif name == "dissolve" and len(alive) > 1:
                    unit = alive[1:][pick % (len(alive) - 1)]
                    actions.dissolve_unit(None, unit, on=day)
                    replay.dissolved[unit.pk] = day
            except ValidationError:
                pass  # refused changes write nothing, and the replay does not record them
        root_path = UnitVersion.objects.filter(unit=root).first().path  # the root never moves
        for offset in [0, *probes]:
            on = START + datetime.timedelta(days=offset)
            expected = replay.tree_on(on)
            versions = list(UnitVersion.objects.on(on).under(root_path))
            assert {v.unit_id: v.path for v in versions} == {
                unit: "".join(f"{u:08d}" for u in chain) for unit, chain in expected.items()
            }
            for v in versions:
                assert v.depth == len(expected[v.unit_id]) - 1
                assert v.parent_id == (expected[v.unit_id][-2] if v.unit_id != root.pk else None)
        transaction.set_rollback(True)
