"""Property: over random sequences of reorganisations on a small tree, every figure of every date
before an operation's effective date is the same after it as before; a refused operation changes
nothing at all; and members are neither lost nor counted twice (the tree's total is the same on
every day whatever the reorganisations)."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dangbo.accounts.scope import Scope
from dangbo.members import actions as member_actions
from dangbo.members.figures import subtree_figures
from dangbo.members.models import Stint, StintKind
from dangbo.orgs import actions as org_actions
from dangbo.orgs.models import CELL_KINDS, UnitKind, UnitVersion
from dangbo.reorg import actions
from dangbo.reorg.plan import Decision, NewUnit
from tests.helpers import row_counts

START = datetime.date(2021, 1, 1)
DECISION = Decision("01-QĐ/ĐU", datetime.date(2020, 12, 1), "Ban Thường vụ Đảng ủy")
CHECK_DAYS = [datetime.date(2020, 6, 30), datetime.date(2021, 6, 30), datetime.date(2023, 1, 1),
              datetime.date(2025, 6, 30)]  # fmt: skip


def build_tree() -> int:
    """A superior committee with three grassroots committees of two cells of three members each."""
    root = org_actions.found_unit(None, name="Đảng bộ Thử", kind=UnitKind.SUPERIOR, parent=None,
                                  on=datetime.date(2019, 1, 1))  # fmt: skip
    for c in range(3):
        committee = org_actions.found_unit(None, name=f"Đảng bộ {c + 1}", kind=UnitKind.GRASSROOTS_COMMITTEE,
                                           parent=root, on=datetime.date(2019, 1, 1))  # fmt: skip
        for k in range(2):
            cell = org_actions.found_unit(None, name=f"Chi bộ {c + 1}.{k + 1}", kind=UnitKind.ATTACHED_CELL,
                                          parent=committee, on=datetime.date(2019, 1, 1))  # fmt: skip
            for m in range(3):
                member_actions.admit(None, {"family_name": "Nguyễn", "given_name": f"Thử {c}{k}{m}", "sex": "M",
                                            "birth_date": datetime.date(1980, 1, 1 + m)},
                                     unit=cell, effective_on=datetime.date(2019, 6, 1))  # fmt: skip
    return root.pk


def figures_of(root_id: int, days) -> dict:
    result = {}
    for day in days:
        version = UnitVersion.objects.on(day).filter(unit_id=root_id).first()
        result[day] = subtree_figures(version, day) if version else None
    return result


def total(root_id: int, day) -> int:
    version = UnitVersion.objects.on(day).get(unit_id=root_id)
    return sum(f.get("total", 0) for f in subtree_figures(version, day).values())


def below(root_id: int, day, kinds) -> list[UnitVersion]:
    root = UnitVersion.objects.on(day).get(unit_id=root_id)
    return list(UnitVersion.objects.on(day).under(root.path).filter(kind__in=kinds).order_by("unit_id"))


def members_in(cell_id: int, day) -> list[int]:
    return sorted(Stint.unscoped.filter(unit_id=cell_id, kind=StintKind.OFFICIAL).open_on(day)
                  .values_list("member_id", flat=True))  # fmt: skip


OPERATIONS = st.sampled_from(["merge_cells", "merge_committees", "move", "rename", "dissolve", "split", "transfer"])
STEP = st.tuples(OPERATIONS, st.integers(0, 2000), st.integers(0, 99), st.integers(0, 99), st.booleans())


def apply(root_id: int, scope: Scope, step, on: datetime.date):
    """Carry out one random operation chosen by `step` on the tree as it stands on `on`."""
    name, _days, i, j, flag = step
    cells = below(root_id, on, CELL_KINDS)
    committees = below(root_id, on, [UnitKind.GRASSROOTS_COMMITTEE])
    common = {"on": on, "decision": DECISION}

    def pick(units, index):
        return units[index % len(units)] if units else None

    if name == "merge_cells" and len(cells) >= 2:
        a, b = pick(cells, i), pick(cells, i + 1 + j % (len(cells) - 1))
        receiver = NewUnit("Chi bộ Hợp nhất", "attached_cell", a.parent_id) if flag else pick(cells, j + 2).unit_id
        return actions.merge_units(None, scope, sources=[a.unit_id, b.unit_id], receiver=receiver, **common)
    if name == "merge_committees" and len(committees) >= 2:
        a, b = pick(committees, i), pick(committees, i + 1)
        receiver = NewUnit("Đảng bộ Hợp nhất", "grassroots_committee", root_id) if flag else pick(
            committees, j).unit_id  # fmt: skip
        return actions.merge_units(None, scope, sources=[a.unit_id, b.unit_id], receiver=receiver, **common)
    if name == "move" and cells and committees:
        return actions.move_unit(None, scope, unit=pick(cells, i).unit_id, parent=pick(committees, j).unit_id, **common)
    if name == "rename" and cells:
        return actions.rename_unit(None, scope, unit=pick(cells, i).unit_id, name=f"Chi bộ Đổi tên {j}", **common)
    if name == "dissolve" and cells:
        receiver = pick(cells, j).unit_id if flag else None
        return actions.dissolve(None, scope, unit=pick(cells, i).unit_id, receiver=receiver, **common)
    if name == "split" and cells:
        source = pick(cells, i)
        members = {m: k % 2 for k, m in enumerate(members_in(source.unit_id, on))}
        dests = [NewUnit("Chi bộ Tách 1", "attached_cell", source.parent_id),
                 NewUnit("Chi bộ Tách 2", "attached_cell", source.parent_id)]  # fmt: skip
        return actions.split_unit(None, scope, source=source.unit_id, destinations=dests, children={},
                                  members=members, keep=flag, **common)  # fmt: skip
    if name == "transfer" and len(cells) >= 2:
        source, to = pick(cells, i), pick(cells, i + 1)
        chosen = members_in(source.unit_id, on)[: 1 + j % 3]
        return actions.transfer_members(None, scope, cell=source.unit_id, to=to.unit_id, member_ids=chosen, **common)
    return None


def test_earlier_figures_never_change(db):
    root_id = build_tree()
    scope = Scope(unit_id=root_id, sees_people=True, records=True)
    members = total(root_id, datetime.date(2020, 1, 1))
    assert members == 18

    @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(steps=st.lists(STEP, min_size=1, max_size=4))
    def run(steps):
        point = transaction.savepoint()
        try:
            applied = []
            for step in steps:
                # Mostly in date order; sometimes before an earlier operation (to be refused or not).
                on = START + datetime.timedelta(days=step[1])
                days = sorted({d for d in [*CHECK_DAYS, *applied] if d < on} | {on - datetime.timedelta(days=1)})
                before, rows = figures_of(root_id, days), row_counts()
                try:
                    with transaction.atomic():
                        done = apply(root_id, scope, step, on)
                except ValidationError:
                    assert row_counts() == rows, step  # refused: nothing written
                    done = None
                if done is not None:
                    applied.append(on)
                assert figures_of(root_id, days) == before, step
                for day in [*days, on]:
                    assert total(root_id, day) == (members if day >= datetime.date(2019, 6, 1) else 0), (step, day)
        finally:
            transaction.savepoint_rollback(point)

    run()
