"""Tests of dangbo.orgs.actions (found_unit, change_unit, dissolve_unit).

Every test builds a small tree of its own under a NEW superior root (founded 2020-01-01), so the
demo committee loaded into the test database does not interfere: all queries are bounded by the
new root's path.
"""

from __future__ import annotations

import datetime
import itertools

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from dangbo.accounts.models import User
from dangbo.audit.models import AuditEntry
from dangbo.members.actions import admit, transfer_out, transfer_within
from dangbo.orgs.actions import change_unit, dissolve_unit, found_unit
from dangbo.orgs.models import ALLOWED_PARENT_KINDS, Unit, UnitKind, UnitVersion, path_segment
from tests.helpers import refused

d = datetime.date
START = d(2020, 1, 1)

SUP = UnitKind.SUPERIOR
GC = UnitKind.GRASSROOTS_COMMITTEE
GCELL = UnitKind.GRASSROOTS_CELL
SUB = UnitKind.SUB_COMMITTEE
CELL = UnitKind.ATTACHED_CELL

# Letters that only Vietnamese text has; every refusal message must contain at least one.


def version(unit: Unit, on: datetime.date) -> UnitVersion:
    return UnitVersion.objects.on(on).get(unit=unit)


@pytest.fixture
def actor(db):
    return User.objects.create(username="kiemthu_tochuc")


@pytest.fixture
def root(actor):
    return found_unit(actor, name="Đảng bộ Thử nghiệm", kind=SUP, parent=None, on=START)


@pytest.fixture
def root_path(root):
    return version(root, START).path


@pytest.fixture
def tree(actor, root):
    """One unit of each kind: root ⊃ committee ⊃ sub ⊃ cell; root ⊃ grassroots cell."""
    committee = found_unit(actor, name="Đảng bộ Công ty A", kind=GC, parent=root, on=START)
    gcell = found_unit(actor, name="Chi bộ cơ sở Trường B", kind=GCELL, parent=root, on=START)
    sub = found_unit(actor, name="Đảng bộ bộ phận Xưởng 1", kind=SUB, parent=committee, on=START)
    cell = found_unit(actor, name="Chi bộ Tổ 1", kind=CELL, parent=sub, on=START)
    return {SUP: root, GC: committee, GCELL: gcell, SUB: sub, CELL: cell}


# --- parent/child rules (DOMAIN §2) --------------------------------------------------------------

KINDS = [SUP, GC, GCELL, SUB, CELL]
COMBINATIONS = list(itertools.product(KINDS, [None, *KINDS]))


@pytest.mark.parametrize("kind, parent_kind", COMBINATIONS, ids=[f"{k}-under-{p}" for k, p in COMBINATIONS])
def test_found_unit_follows_allowed_parent_kinds(actor, tree, kind, parent_kind):
    parent = tree[parent_kind] if parent_kind else None
    on = d(2020, 6, 1)
    call = lambda: found_unit(actor, name="Tổ chức mới", kind=kind, parent=parent, on=on)  # noqa: E731
    if parent_kind in ALLOWED_PARENT_KINDS[kind]:
        unit = call()
        new = version(unit, on)
        assert new.kind == kind
        assert new.parent_id == (parent.pk if parent else None)
        expected_prefix = version(parent, on).path if parent else ""
        assert new.path == expected_prefix + path_segment(unit.pk)
        assert new.depth == (version(parent, on).depth + 1 if parent else 0)
    else:
        message = refused(call)
        assert "không được đặt dưới" in message


@pytest.mark.parametrize(
    "kind, parent_kind",
    [(CELL, GCELL), (SUB, SUP), (GC, GC), (SUP, SUP), (SUP, GC), (SUP, CELL), (CELL, None), (GC, None)],
)
def test_named_forbidden_combinations_are_refused(actor, tree, kind, parent_kind):
    parent = tree[parent_kind] if parent_kind else None
    refused(
        lambda: found_unit(actor, name="Tổ chức sai chỗ", kind=kind, parent=parent, on=d(2020, 6, 1)),
        match="chỉ được đặt dưới",
    )


def test_the_allowed_table_matches_the_statute():
    assert ALLOWED_PARENT_KINDS == {
        SUP: {None},
        GC: {SUP},
        GCELL: {SUP},
        SUB: {GC},
        CELL: {GC, SUB},
    }


def test_moving_to_a_forbidden_parent_kind_is_refused(actor, tree):
    # An attached cell may not go under a grassroots cell, nor a sub-committee under the superior.
    refused(lambda: change_unit(actor, tree[CELL], on=d(2021, 1, 1), parent=tree[GCELL]), match="không được đặt dưới")
    refused(lambda: change_unit(actor, tree[SUB], on=d(2021, 1, 1), parent=tree[SUP]), match="không được đặt dưới")
    refused(lambda: change_unit(actor, tree[CELL], on=d(2021, 1, 1), parent=None), match="không được đặt dưới")


def test_changing_kind_must_still_fit_parent_and_children(actor, tree):
    # A sub-committee becoming an attached cell would leave the cell below it under a cell.
    refused(lambda: change_unit(actor, tree[SUB], on=d(2021, 1, 1), kind=CELL), match="không được đặt dưới")
    # A sub-committee cannot become a grassroots committee while under a grassroots committee.
    refused(lambda: change_unit(actor, tree[SUB], on=d(2021, 1, 1), kind=GC), match="không được đặt dưới")


# --- the tree as of any date ---------------------------------------------------------------------


def tree_on(root_path: str, on: datetime.date) -> set[tuple[int, str, int | None]]:
    return {(v.unit_id, v.name, v.parent_id) for v in UnitVersion.objects.on(on).under(root_path)}


def test_tree_as_of_any_date(actor, root, root_path):
    a = found_unit(actor, name="Đảng bộ Công ty A", kind=GC, parent=root, on=d(2020, 1, 1))
    b = found_unit(actor, name="Đảng bộ Công ty B", kind=GC, parent=root, on=d(2020, 1, 1))
    g = found_unit(actor, name="Chi bộ cơ sở Trường G", kind=GCELL, parent=root, on=d(2020, 1, 15))
    s = found_unit(actor, name="Đảng bộ bộ phận Xưởng S", kind=SUB, parent=a, on=d(2020, 2, 1))
    c1 = found_unit(actor, name="Chi bộ Tổ 1", kind=CELL, parent=s, on=d(2020, 3, 1))
    c2 = found_unit(actor, name="Chi bộ Tổ 2", kind=CELL, parent=s, on=d(2020, 3, 1))
    c3 = found_unit(actor, name="Chi bộ Phòng Kế toán", kind=CELL, parent=a, on=d(2020, 4, 1))
    change_unit(actor, c3, on=d(2021, 1, 1), name="Chi bộ Phòng Tài chính")
    change_unit(actor, c3, on=d(2021, 6, 1), parent=b)
    change_unit(actor, s, on=d(2022, 1, 1), parent=b)
    dissolve_unit(actor, g, on=d(2022, 6, 1))

    r = (root.pk, "Đảng bộ Thử nghiệm", None)
    ra = (a.pk, "Đảng bộ Công ty A", root.pk)
    rb = (b.pk, "Đảng bộ Công ty B", root.pk)
    rg = (g.pk, "Chi bộ cơ sở Trường G", root.pk)
    s_in_a = (s.pk, "Đảng bộ bộ phận Xưởng S", a.pk)
    s_in_b = (s.pk, "Đảng bộ bộ phận Xưởng S", b.pk)
    c1s = (c1.pk, "Chi bộ Tổ 1", s.pk)
    c2s = (c2.pk, "Chi bộ Tổ 2", s.pk)
    c3_old = (c3.pk, "Chi bộ Phòng Kế toán", a.pk)
    c3_renamed = (c3.pk, "Chi bộ Phòng Tài chính", a.pk)
    c3_moved = (c3.pk, "Chi bộ Phòng Tài chính", b.pk)

    expected = {
        d(2019, 12, 31): set(),
        d(2020, 1, 1): {r, ra, rb},
        d(2020, 1, 14): {r, ra, rb},
        d(2020, 1, 15): {r, ra, rb, rg},
        d(2020, 2, 1): {r, ra, rb, rg, s_in_a},
        d(2020, 3, 1): {r, ra, rb, rg, s_in_a, c1s, c2s},
        d(2020, 4, 1): {r, ra, rb, rg, s_in_a, c1s, c2s, c3_old},
        d(2020, 12, 31): {r, ra, rb, rg, s_in_a, c1s, c2s, c3_old},
        d(2021, 1, 1): {r, ra, rb, rg, s_in_a, c1s, c2s, c3_renamed},
        d(2021, 5, 31): {r, ra, rb, rg, s_in_a, c1s, c2s, c3_renamed},
        d(2021, 6, 1): {r, ra, rb, rg, s_in_a, c1s, c2s, c3_moved},
        d(2021, 12, 31): {r, ra, rb, rg, s_in_a, c1s, c2s, c3_moved},
        d(2022, 1, 1): {r, ra, rb, rg, s_in_b, c1s, c2s, c3_moved},
        d(2022, 5, 31): {r, ra, rb, rg, s_in_b, c1s, c2s, c3_moved},
        d(2022, 6, 1): {r, ra, rb, s_in_b, c1s, c2s, c3_moved},
        d(2030, 1, 1): {r, ra, rb, s_in_b, c1s, c2s, c3_moved},
    }
    for on, rows in expected.items():
        assert tree_on(root_path, on) == rows, on

    # Exactly one version of each unit on each date (intervals do not overlap).
    for on in expected:
        unit_ids = [v.unit_id for v in UnitVersion.objects.on(on).under(root_path)]
        assert len(unit_ids) == len(set(unit_ids)), on

    # Paths follow the moves: the sub-committee and its cells carry A's prefix before the move and
    # B's prefix from the move date.
    a_path, b_path = version(a, START).path, version(b, START).path
    for unit in (s, c1, c2):
        before, after = version(unit, d(2021, 12, 31)), version(unit, d(2022, 1, 1))
        assert before.path.startswith(a_path + path_segment(s.pk)), unit
        assert after.path.startswith(b_path + path_segment(s.pk)), unit
        assert before.path[len(a_path) :] == after.path[len(b_path) :]
        assert before.valid_to == d(2022, 1, 1)
        assert after.valid_from == d(2022, 1, 1)
        assert after.valid_to is None
        assert after.depth == before.depth
    assert version(c1, d(2022, 1, 1)).path == b_path + path_segment(s.pk) + path_segment(c1.pk)
    assert version(c3, d(2021, 5, 31)).path == a_path + path_segment(c3.pk)
    assert version(c3, d(2021, 6, 1)).path == b_path + path_segment(c3.pk)

    # The subtree of A and of B on each side of the move.
    assert {v.unit_id for v in UnitVersion.objects.on(d(2021, 12, 31)).under(a_path)} == {a.pk, s.pk, c1.pk, c2.pk}
    assert {v.unit_id for v in UnitVersion.objects.on(d(2022, 1, 1)).under(a_path)} == {a.pk}
    assert {v.unit_id for v in UnitVersion.objects.on(d(2022, 1, 1)).under(b_path)} == {
        b.pk,
        s.pk,
        c1.pk,
        c2.pk,
        c3.pk,
    }
    # History: C3 has three versions (founded, renamed, moved), C1 two (before and after the move).
    assert c3.versions.count() == 3
    assert c1.versions.count() == 2
    assert version(g, d(2022, 5, 31)).valid_to == d(2022, 6, 1)


@pytest.mark.parametrize("found_first", [True, False], ids=["found-then-move", "move-then-found"])
def test_unit_founded_on_the_day_its_sub_committee_moves(actor, root, found_first):
    a = found_unit(actor, name="Đảng bộ A", kind=GC, parent=root, on=START)
    b = found_unit(actor, name="Đảng bộ B", kind=GC, parent=root, on=START)
    s = found_unit(actor, name="Đảng bộ bộ phận S", kind=SUB, parent=a, on=START)
    old_cell = found_unit(actor, name="Chi bộ cũ", kind=CELL, parent=s, on=START)
    day = d(2021, 3, 1)
    if found_first:
        new_cell = found_unit(actor, name="Chi bộ mới", kind=CELL, parent=s, on=day)
        change_unit(actor, s, on=day, parent=b)
    else:
        change_unit(actor, s, on=day, parent=b)
        new_cell = found_unit(actor, name="Chi bộ mới", kind=CELL, parent=s, on=day)

    new_s_path = version(b, day).path + path_segment(s.pk)
    assert version(s, day).path == new_s_path
    # The new cell exists from `day` only, with the new prefix, and never had the old one.
    assert list(new_cell.versions.values_list("path", "valid_from", "valid_to")) == [
        (new_s_path + path_segment(new_cell.pk), day, None)
    ]
    assert new_cell.version_on(day - datetime.timedelta(days=1)) is None
    assert version(new_cell, day).depth == 3
    # The cell that already existed was moved along.
    assert version(old_cell, day - datetime.timedelta(days=1)).path.startswith(version(a, day).path)
    assert version(old_cell, day).path == new_s_path + path_segment(old_cell.pk)


def test_move_on_the_day_a_unit_was_founded_changes_that_version_in_place(actor, root):
    a = found_unit(actor, name="Đảng bộ A", kind=GC, parent=root, on=START)
    b = found_unit(actor, name="Đảng bộ B", kind=GC, parent=root, on=START)
    day = d(2021, 3, 1)
    s = found_unit(actor, name="Đảng bộ bộ phận S", kind=SUB, parent=a, on=day)
    cell = found_unit(actor, name="Chi bộ", kind=CELL, parent=s, on=day)
    # The sub-committee's own version started on `day`: a change on `day` amends it (a
    # reorganisation moves a committee and then units below it on one effective date), so the
    # sub-committee and its cell stood under B from the start, in one version each.
    before = UnitVersion.objects.count()
    change_unit(actor, s, on=day, parent=b)
    assert UnitVersion.objects.count() == before
    assert version(cell, day).path.startswith(version(b, day).path)
    assert s.versions.get().valid_from == day


# --- chronological order -------------------------------------------------------------------------


def test_change_dated_before_the_latest_change_is_refused(actor, tree):
    cell = tree[CELL]
    change_unit(actor, cell, on=d(2021, 6, 1), name="Chi bộ Tổ 1 (mới)")
    refused(lambda: change_unit(actor, cell, on=d(2021, 1, 1), name="Chi bộ khác"), match="đã có thay đổi")
    # The same day as the latest change amends it (an interval may not be empty); dissolving on
    # that day is refused, as the unit would have no day at all.
    change_unit(actor, cell, on=d(2021, 6, 1), name="Chi bộ Tổ 1 (sửa)")
    assert version(cell, d(2021, 6, 1)).name == "Chi bộ Tổ 1 (sửa)"
    refused(lambda: dissolve_unit(actor, cell, on=d(2021, 6, 1)), match="ngày giải thể phải sau")
    # Before the founding.
    refused(lambda: change_unit(actor, cell, on=d(2019, 1, 1), name="Chi bộ khác"))
    # A later date works.
    change_unit(actor, cell, on=d(2021, 6, 2), name="Chi bộ khác")
    assert version(cell, d(2021, 6, 2)).name == "Chi bộ khác"


def test_dissolving_before_the_latest_change_is_refused(actor, tree):
    cell = tree[CELL]
    change_unit(actor, cell, on=d(2021, 6, 1), name="Chi bộ Tổ 1 (mới)")
    refused(lambda: dissolve_unit(actor, cell, on=d(2021, 1, 1)), match="đã có thay đổi")


def test_change_to_a_unit_whose_descendant_changed_later_is_refused(actor, tree):
    root, committee, sub, cell = tree[SUP], tree[GC], tree[SUB], tree[CELL]
    other = found_unit(actor, name="Đảng bộ Công ty khác", kind=GC, parent=root, on=START)
    change_unit(actor, cell, on=d(2022, 1, 1), name="Chi bộ Tổ 1 (đổi tên)")
    # Moving the sub-committee on an earlier date would have to rewrite history of the cell.
    message = refused(lambda: change_unit(actor, sub, on=d(2021, 1, 1), parent=other))
    assert "thứ tự thời gian" in message
    # Same for the grandparent (a change of kind is also a move of the subtree).
    refused(lambda: change_unit(actor, committee, on=d(2021, 1, 1), kind=GCELL), match="thứ tự thời gian")
    # After the cell's change it works.
    change_unit(actor, sub, on=d(2022, 1, 2), parent=other)
    assert version(cell, d(2022, 1, 2)).parent_id == sub.pk
    assert version(cell, d(2022, 1, 2)).path.startswith(version(other, START).path)


def test_founding_under_a_parent_dissolved_later_is_refused(actor, tree):
    root = tree[SUP]
    committee = found_unit(actor, name="Đảng bộ sẽ giải thể", kind=GC, parent=root, on=START)
    dissolve_unit(actor, committee, on=d(2022, 1, 1))
    refused(
        lambda: found_unit(actor, name="Chi bộ muộn", kind=CELL, parent=committee, on=d(2021, 1, 1)),
        match="giải thể",
    )
    # After the dissolution the parent does not exist.
    refused(
        lambda: found_unit(actor, name="Chi bộ muộn", kind=CELL, parent=committee, on=d(2022, 1, 1)),
        match="không tồn tại",
    )
    # Before the parent's founding.
    refused(lambda: found_unit(actor, name="Chi bộ sớm", kind=CELL, parent=tree[GC], on=d(2019, 6, 1)))


def test_founding_under_a_parent_moved_later_is_refused(actor, tree):
    root, sub = tree[SUP], tree[SUB]
    other = found_unit(actor, name="Đảng bộ Công ty khác", kind=GC, parent=root, on=START)
    change_unit(actor, sub, on=d(2022, 1, 1), parent=other)
    refused(
        lambda: found_unit(actor, name="Chi bộ muộn", kind=CELL, parent=sub, on=d(2021, 1, 1)),
        match="thứ tự thời gian",
    )
    # Moving a cell under the moved sub-committee on an earlier date is refused likewise.
    cell = found_unit(actor, name="Chi bộ của Công ty A", kind=CELL, parent=tree[GC], on=START)
    refused(lambda: change_unit(actor, cell, on=d(2021, 1, 1), parent=sub), match="thứ tự thời gian")
    # On or after the move it works, with the new prefix.
    late = found_unit(actor, name="Chi bộ muộn", kind=CELL, parent=sub, on=d(2022, 1, 1))
    assert version(late, d(2022, 1, 1)).path.startswith(version(other, START).path)


def test_founding_under_a_grandparent_moved_later_is_refused(actor, tree):
    # Moving the committee to another superior rewrites the sub-committee's path too.
    other_root = found_unit(actor, name="Đảng bộ cấp trên khác", kind=SUP, parent=None, on=START)
    change_unit(actor, tree[GC], on=d(2022, 1, 1), parent=other_root)
    assert version(tree[CELL], d(2022, 1, 1)).path.startswith(version(other_root, START).path)
    refused(
        lambda: found_unit(actor, name="Chi bộ muộn", kind=CELL, parent=tree[SUB], on=d(2021, 1, 1)),
        match="thứ tự thời gian",
    )


def test_founding_under_a_parent_renamed_later_is_accepted(actor, tree):
    sub = tree[SUB]
    change_unit(actor, sub, on=d(2022, 1, 1), name="Đảng bộ bộ phận Xưởng 1 (mới)")
    cell = found_unit(actor, name="Chi bộ Tổ 2", kind=CELL, parent=sub, on=d(2021, 1, 1))
    assert version(cell, d(2021, 1, 1)).parent_id == sub.pk


def test_dissolving_a_unit_with_a_child_founded_later_is_refused(actor, tree):
    sub = tree[SUB]
    found_unit(actor, name="Chi bộ Tổ 9", kind=CELL, parent=sub, on=d(2023, 1, 1))
    dissolve_unit(actor, tree[CELL], on=d(2021, 6, 1))
    # On 2022-01-01 the sub-committee has no child any more, but it has one from 2023 on.
    refused(lambda: dissolve_unit(actor, sub, on=d(2022, 1, 1)))


def test_moving_a_subtree_whose_cell_is_dissolved_later_does_not_revive_it(actor, tree):
    other = found_unit(actor, name="Đảng bộ Công ty khác", kind=GC, parent=tree[SUP], on=START)
    cell = tree[CELL]
    dissolve_unit(actor, cell, on=d(2023, 1, 1))
    try:
        change_unit(actor, tree[SUB], on=d(2022, 1, 1), parent=other)
    except ValidationError:
        pass  # refusing the move (a later change in the subtree) is acceptable
    # Either way the cell must still be dissolved from 2023 on.
    assert cell.version_on(d(2023, 6, 1)) is None
    assert not cell.versions.filter(valid_to__isnull=True).exists()


# --- moves into oneself, dissolution --------------------------------------------------------------


def test_cannot_move_a_unit_into_its_own_subtree(actor, tree):
    committee, sub = tree[GC], tree[SUB]
    refused(lambda: change_unit(actor, committee, on=d(2021, 1, 1), parent=committee), match="chính nó")
    # An attached cell may sit under a sub-committee, but not under one inside itself.
    refused(
        lambda: change_unit(actor, committee, on=d(2021, 1, 1), kind=CELL, parent=sub),
        match="chính nó",
    )
    refused(lambda: change_unit(actor, sub, on=d(2021, 1, 1), kind=CELL, parent=sub), match="chính nó")


def test_cannot_dissolve_a_unit_with_children(actor, tree):
    refused(lambda: dissolve_unit(actor, tree[SUB], on=d(2021, 1, 1)), match="tổ chức trực thuộc")
    refused(lambda: dissolve_unit(actor, tree[GC], on=d(2021, 1, 1)), match="tổ chức trực thuộc")
    # Once the cell is gone, the sub-committee, then the committee, can go.
    dissolve_unit(actor, tree[CELL], on=d(2021, 1, 1))
    dissolve_unit(actor, tree[SUB], on=d(2021, 1, 1))
    dissolve_unit(actor, tree[GC], on=d(2021, 2, 1))
    assert version(tree[GC], d(2021, 1, 31)).valid_to == d(2021, 2, 1)
    assert tree[GC].version_on(d(2021, 2, 1)) is None


def test_cannot_dissolve_a_unit_whose_child_moved_away_later(actor, tree):
    other = found_unit(actor, name="Đảng bộ Công ty khác", kind=GC, parent=tree[SUP], on=START)
    change_unit(actor, tree[CELL], on=d(2022, 1, 1), parent=other)
    refused(lambda: dissolve_unit(actor, tree[SUB], on=d(2021, 1, 1)), match="tổ chức trực thuộc")
    dissolve_unit(actor, tree[SUB], on=d(2022, 1, 1))


def make_member(actor, cell, start):
    """A member admitted into `cell` on `start`."""
    fields = dict(family_name="Trần", middle_name="Văn", given_name="Bình", sex="M", birth_date=d(1985, 5, 5))
    return admit(actor, fields, unit=cell, effective_on=start, ceremony_on=start)


def leaves(actor, member, on):
    transfer_out(actor, member, effective_on=on, other_side="Đảng bộ Quận Lê Chân")


def test_cannot_dissolve_a_cell_with_open_official_stints(actor, tree):
    """The tree asks the apps above it (orgs.signals.unit_dissolving); members answer with the count."""
    cell = tree[CELL]
    make_member(actor, cell, d(2020, 5, 1))
    make_member(actor, cell, d(2020, 6, 1))
    message = refused(lambda: dissolve_unit(actor, cell, on=d(2021, 1, 1)))
    assert message == (
        "Không thể giải thể: còn 2 đảng viên sinh hoạt tại đây từ ngày 01/01/2021 trở đi; hãy chuyển sinh hoạt trước."
    )


def test_dissolving_after_the_members_left_works(actor, tree):
    cell, gcell = tree[CELL], tree[GCELL]
    member = make_member(actor, cell, d(2020, 5, 1))
    transfer_within(actor, member, unit=gcell, effective_on=d(2021, 1, 1))
    # While the member is there, refused; on the day they left and after, accepted.
    refused(lambda: dissolve_unit(actor, cell, on=d(2020, 12, 31)), match="đảng viên")
    before = AuditEntry.objects.count()
    dissolve_unit(actor, cell, on=d(2021, 3, 1))
    assert AuditEntry.objects.count() == before + 1
    assert version(cell, d(2021, 2, 28)).valid_to == d(2021, 3, 1)
    # The grassroots cell still has its member: refused.
    refused(lambda: dissolve_unit(actor, gcell, on=d(2022, 1, 1)), match="đảng viên")


def test_dissolving_on_the_day_the_members_left_works(actor, tree):
    cell = tree[CELL]
    member = make_member(actor, cell, d(2020, 5, 1))
    leaves(actor, member, d(2021, 1, 1))
    dissolve_unit(actor, cell, on=d(2021, 1, 1))
    assert cell.version_on(d(2021, 1, 1)) is None


def test_cannot_dissolve_a_cell_with_a_stint_starting_later(actor, tree):
    cell = tree[CELL]
    make_member(actor, cell, d(2023, 1, 1))
    refused(lambda: dissolve_unit(actor, cell, on=d(2022, 1, 1)))


def test_a_dissolved_unit_cannot_be_changed_or_dissolved_again(actor, tree):
    cell = tree[CELL]
    dissolve_unit(actor, cell, on=d(2021, 1, 1))
    refused(lambda: change_unit(actor, cell, on=d(2022, 1, 1), name="Chi bộ hồi sinh"), match="giải thể")
    refused(lambda: dissolve_unit(actor, cell, on=d(2022, 1, 1)), match="giải thể")


# --- names and codes ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["", "   ", "\t\n"])
def test_an_empty_name_is_refused(actor, tree, name):
    refused(lambda: found_unit(actor, name=name, kind=CELL, parent=tree[SUB], on=d(2021, 1, 1)), match="Tên")
    refused(lambda: change_unit(actor, tree[CELL], on=d(2021, 1, 1), name=name), match="Tên")


def test_names_are_normalised(actor, tree):
    import unicodedata

    decomposed = unicodedata.normalize("NFD", "  Chi bộ   Phòng Hành chính ")
    unit = found_unit(actor, name=decomposed, kind=CELL, parent=tree[SUB], on=d(2021, 1, 1))
    assert version(unit, d(2021, 1, 1)).name == "Chi bộ Phòng Hành chính"


def test_a_duplicate_code_is_refused(actor, tree):
    found_unit(actor, name="Chi bộ Mã 1", kind=CELL, parent=tree[SUB], on=d(2021, 1, 1), code="TN-001")
    refused(
        lambda: found_unit(actor, name="Chi bộ Mã 2", kind=CELL, parent=tree[SUB], on=d(2021, 1, 1), code="TN-001"),
        match="TN-001",
    )
    # Several units without a code are fine.
    found_unit(actor, name="Chi bộ không mã 1", kind=CELL, parent=tree[SUB], on=d(2021, 1, 1))
    found_unit(actor, name="Chi bộ không mã 2", kind=CELL, parent=tree[SUB], on=d(2021, 1, 1), code="")
    assert Unit.objects.filter(code="").count() == 0


# --- audit ------------------------------------------------------------------------------------------


def only_new_entry(before_id: int) -> AuditEntry:
    entries = list(AuditEntry.objects.filter(pk__gt=before_id))
    assert len(entries) == 1, entries
    return entries[0]


def last_id() -> int:
    return AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def test_found_unit_writes_one_audit_entry(actor, tree):
    mark = last_id()
    unit = found_unit(actor, name="Chi bộ Nhật ký", kind=CELL, parent=tree[SUB], on=d(2021, 1, 1), decision="QĐ 12")
    entry = only_new_entry(mark)
    assert entry.action == "found_unit"
    assert entry.actor == actor
    assert (entry.target_type, entry.target_id) == ("orgs.unit", str(unit.pk))
    assert entry.before is None
    new = version(unit, d(2021, 1, 1))
    assert entry.after["name"] == "Chi bộ Nhật ký"
    assert entry.after["valid_from"] == "2021-01-01"
    assert entry.after["valid_to"] is None
    assert entry.after["path"] == new.path
    assert entry.after["parent_id"] == tree[SUB].pk
    assert entry.after["decision"] == "QĐ 12"


def test_change_unit_writes_one_audit_entry_even_when_moving_a_subtree(actor, tree):
    other = found_unit(actor, name="Đảng bộ Công ty khác", kind=GC, parent=tree[SUP], on=START)
    sub = tree[SUB]
    old = version(sub, START)
    mark = last_id()
    change_unit(actor, sub, on=d(2021, 7, 1), parent=other, name="Đảng bộ bộ phận Xưởng 1 mới")
    entry = only_new_entry(mark)
    assert entry.action == "change_unit"
    assert entry.actor == actor
    assert entry.target_id == str(sub.pk)
    assert entry.before["name"] == "Đảng bộ bộ phận Xưởng 1"
    assert entry.before["valid_from"] == "2020-01-01"
    assert entry.before["path"] == old.path
    assert entry.before["parent_id"] == tree[GC].pk
    new = version(sub, d(2021, 7, 1))
    assert entry.after["name"] == "Đảng bộ bộ phận Xưởng 1 mới"
    assert entry.after["valid_from"] == "2021-07-01"
    assert entry.after["path"] == new.path != old.path
    assert entry.after["parent_id"] == other.pk
    assert entry.after["id"] == new.pk != old.pk


def test_rename_writes_one_audit_entry(actor, tree):
    mark = last_id()
    change_unit(actor, tree[CELL], on=d(2021, 7, 1), name="Chi bộ Tổ Một")
    entry = only_new_entry(mark)
    assert (entry.before["name"], entry.after["name"]) == ("Chi bộ Tổ 1", "Chi bộ Tổ Một")
    assert (entry.before["valid_from"], entry.after["valid_from"]) == ("2020-01-01", "2021-07-01")
    assert entry.before["path"] == entry.after["path"]


def test_dissolve_unit_writes_one_audit_entry(actor, tree):
    mark = last_id()
    dissolve_unit(actor, tree[CELL], on=d(2021, 7, 1), decision="QĐ 99")
    entry = only_new_entry(mark)
    assert entry.action == "dissolve_unit"
    assert entry.actor == actor
    assert entry.before["valid_to"] is None
    assert entry.after["valid_to"] == "2021-07-01"
    assert entry.after["decision"] == "QĐ 99"


def test_a_refused_action_writes_no_audit_entry(actor, tree):
    mark = last_id()
    with pytest.raises(ValidationError):
        found_unit(actor, name="Sai", kind=SUB, parent=tree[SUP], on=d(2021, 1, 1))
    with pytest.raises(ValidationError):
        dissolve_unit(actor, tree[SUB], on=d(2021, 1, 1))
    assert not AuditEntry.objects.filter(pk__gt=mark).exists()


# --- database constraint ----------------------------------------------------------------------------


@pytest.mark.parametrize("valid_to", [d(2020, 1, 1), d(2019, 12, 31)], ids=["equal", "before"])
def test_a_version_must_end_after_it_starts(root, valid_to):
    with pytest.raises(IntegrityError), transaction.atomic():
        UnitVersion.objects.create(
            unit=root,
            name="Sai",
            kind=SUP,
            parent=None,
            path=path_segment(root.pk),
            depth=0,
            valid_from=d(2020, 1, 1),
            valid_to=valid_to,
        )
    # One day later is fine.
    UnitVersion.objects.create(
        unit=root,
        name="Đúng",
        kind=SUP,
        path=path_segment(root.pk),
        depth=0,
        valid_from=d(2019, 1, 1),
        valid_to=d(2019, 1, 2),
    )
