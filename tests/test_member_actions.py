"""Tests of dangbo.members.actions (create_member, add_stint) and of Scope.member_or_404.

Units are founded under a NEW superior root (2020-01-01) so the demo data does not interfere.
"""

from __future__ import annotations

import datetime
import unicodedata

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from dangbo.accounts.models import User
from dangbo.accounts.scope import Scope
from dangbo.audit.models import AuditEntry
from dangbo.lib import vn
from dangbo.members.actions import add_stint, create_member
from dangbo.members.models import Member, MemberStatus, Stint, StintKind
from dangbo.orgs.actions import dissolve_unit, found_unit
from dangbo.orgs.models import UnitKind
from tests.helpers import refused

d = datetime.date
START = d(2020, 1, 1)


@pytest.fixture
def actor(db):
    return User.objects.create(username="kiemthu_dangvien")


@pytest.fixture
def units(actor):
    root = found_unit(actor, name="Đảng bộ Thử nghiệm", kind=UnitKind.SUPERIOR, parent=None, on=START)
    a = found_unit(actor, name="Đảng bộ Công ty A", kind=UnitKind.GRASSROOTS_COMMITTEE, parent=root, on=START)
    b = found_unit(actor, name="Đảng bộ Công ty B", kind=UnitKind.GRASSROOTS_COMMITTEE, parent=root, on=START)
    sub = found_unit(actor, name="Đảng bộ bộ phận Xưởng 1", kind=UnitKind.SUB_COMMITTEE, parent=a, on=START)
    cell = found_unit(actor, name="Chi bộ Tổ 1", kind=UnitKind.ATTACHED_CELL, parent=sub, on=START)
    cell2 = found_unit(actor, name="Chi bộ Tổ 2", kind=UnitKind.ATTACHED_CELL, parent=a, on=START)
    cell_b = found_unit(actor, name="Chi bộ Phòng B", kind=UnitKind.ATTACHED_CELL, parent=b, on=START)
    gcell = found_unit(actor, name="Chi bộ cơ sở Trường C", kind=UnitKind.GRASSROOTS_CELL, parent=root, on=START)
    late = found_unit(actor, name="Chi bộ thành lập muộn", kind=UnitKind.ATTACHED_CELL, parent=a, on=d(2021, 1, 1))
    return dict(root=root, a=a, b=b, sub=sub, cell=cell, cell2=cell2, cell_b=cell_b, gcell=gcell, late=late)


def new_member(actor, **extra) -> Member:
    fields = dict(
        family_name="Nguyễn",
        middle_name="Thị",
        given_name="Hường",
        sex="F",
        birth_date=d(1990, 3, 8),
        admitted_on=d(2020, 2, 1),
        official_on=d(2021, 2, 1),
    )
    fields.update(extra)
    return create_member(actor, **fields)


@pytest.fixture
def member(actor):
    return new_member(actor)


# --- create_member --------------------------------------------------------------------------------


def test_create_member_normalises_the_name_and_derives_search_and_sort(actor):
    nfd = lambda text: unicodedata.normalize("NFD", text)  # noqa: E731
    before = AuditEntry.objects.count()
    member = new_member(actor, family_name=nfd("Nguyễn"), middle_name=nfd(" Thị "), given_name=nfd("Hường"))
    member = Member.unscoped.get(pk=member.pk)
    assert member.family_name == "Nguyễn"
    assert member.middle_name == "Thị"
    assert member.given_name == "Hường"
    for value in (member.family_name, member.middle_name, member.given_name):
        assert unicodedata.is_normalized("NFC", value)
    assert member.full_name == "Nguyễn Thị Hường"
    assert member.search_name == "nguyen thi huong"
    assert member.sort_key == vn.name_sort_key("Nguyễn", "Thị", "Hường")
    assert member.sort_key.isdigit()
    # One audit entry with the new record.
    assert AuditEntry.objects.count() == before + 1
    entry = AuditEntry.objects.latest("pk")
    assert (entry.action, entry.actor, entry.target_id) == ("create_member", actor, str(member.pk))
    assert entry.before is None
    assert entry.after["search_name"] == "nguyen thi huong"


def test_search_name_folds_d_with_stroke(actor):
    member = new_member(actor, family_name="Đặng", middle_name="Đình", given_name="Đức")
    assert member.search_name == "dang dinh duc"


def test_sort_key_orders_by_given_name_first(actor):
    an = new_member(actor, family_name="Trần", middle_name="Văn", given_name="An")
    binh = new_member(actor, family_name="Lê", middle_name="Văn", given_name="Bình")
    assert an.sort_key < binh.sort_key


def test_create_member_refuses_a_citizen_id_longer_than_12(actor):
    before = (Member.unscoped.count(), AuditEntry.objects.count())
    with pytest.raises(ValidationError) as info:
        new_member(actor, citizen_id="0012345678901")
    assert "citizen_id" in info.value.message_dict
    assert (Member.unscoped.count(), AuditEntry.objects.count()) == before


def test_create_member_refuses_a_duplicate_citizen_id(actor):
    new_member(actor, citizen_id="001234567890")
    before = (Member.unscoped.count(), AuditEntry.objects.count())
    with pytest.raises(ValidationError) as info:
        new_member(actor, given_name="Lan", citizen_id="001234567890")
    assert "citizen_id" in info.value.message_dict
    assert (Member.unscoped.count(), AuditEntry.objects.count()) == before


def test_create_member_refuses_missing_required_fields(actor):
    before = Member.unscoped.count()
    with pytest.raises(ValidationError) as info:
        create_member(actor, family_name="Lê", given_name="", sex="M", birth_date=d(1990, 1, 1), admitted_on=START)
    assert "given_name" in info.value.message_dict
    assert Member.unscoped.count() == before


@pytest.mark.parametrize("official_on", [d(2020, 2, 1), d(2019, 1, 1)], ids=["same-day", "before"])
def test_create_member_refuses_official_on_not_after_admission(actor, official_on):
    before = (Member.unscoped.count(), AuditEntry.objects.count())
    with pytest.raises(ValidationError):
        new_member(actor, admitted_on=d(2020, 2, 1), official_on=official_on)
    assert (Member.unscoped.count(), AuditEntry.objects.count()) == before


# --- add_stint: refusals --------------------------------------------------------------------------


@pytest.mark.parametrize("end", [d(2021, 1, 1), d(2020, 12, 31)], ids=["end-equals-start", "end-before-start"])
def test_a_stint_must_end_after_it_starts(actor, units, member, end):
    refused(lambda: add_stint(actor, member, units["cell"], start=d(2021, 1, 1), end=end), match="kết thúc")


def test_a_stint_cannot_start_before_admission(actor, units, member):
    refused(lambda: add_stint(actor, member, units["cell"], start=d(2020, 1, 31)), match="vào Đảng")
    # On the admission day it is fine.
    add_stint(actor, member, units["cell"], start=d(2020, 2, 1), status=MemberStatus.PROBATIONARY)


@pytest.mark.parametrize("key", ["sub", "a", "root"])
def test_a_stint_must_be_in_a_cell(actor, units, member, key):
    message = refused(lambda: add_stint(actor, member, units[key], start=d(2021, 1, 1)), match="chi bộ")
    assert "Đảng viên sinh hoạt tại chi bộ" in message


@pytest.mark.parametrize("key", ["cell", "gcell"])
def test_both_kinds_of_cell_accept_stints(actor, units, member, key):
    stint = add_stint(actor, member, units[key], start=d(2021, 1, 1))
    assert stint.unit_id == units[key].pk


def test_a_stint_in_a_unit_that_did_not_exist_yet_is_refused(actor, units, member):
    refused(lambda: add_stint(actor, member, units["late"], start=d(2020, 6, 1)), match="không tồn tại")
    # A unit founded later does not exist on the start date even if the stint runs into its life.
    refused(
        lambda: add_stint(actor, member, units["late"], start=d(2020, 6, 1), end=d(2021, 6, 1)),
        match="không tồn tại",
    )
    add_stint(actor, member, units["late"], start=d(2021, 1, 1))


def test_a_stint_in_a_unit_dissolved_before_its_end_is_refused(actor, units, member):
    cell = units["cell2"]
    dissolve_unit(actor, cell, on=d(2022, 1, 1))
    refused(lambda: add_stint(actor, member, cell, start=d(2021, 1, 1)), match="giải thể")
    refused(lambda: add_stint(actor, member, cell, start=d(2021, 1, 1), end=d(2022, 1, 2)), match="giải thể")
    refused(lambda: add_stint(actor, member, cell, start=d(2022, 3, 1), end=d(2022, 6, 1)), match="không tồn tại")
    # Ending on the dissolution day is fine.
    add_stint(actor, member, cell, start=d(2021, 1, 1), end=d(2022, 1, 1))


OVERLAPS = {
    # existing official stint, new official stint
    "same-start": ((d(2021, 1, 1), d(2022, 1, 1)), (d(2021, 1, 1), d(2021, 6, 1))),
    "same-interval": ((d(2021, 1, 1), d(2022, 1, 1)), (d(2021, 1, 1), d(2022, 1, 1))),
    "containing": ((d(2021, 1, 1), d(2022, 1, 1)), (d(2020, 6, 1), d(2023, 1, 1))),
    "contained": ((d(2021, 1, 1), d(2022, 1, 1)), (d(2021, 3, 1), d(2021, 4, 1))),
    "overlapping-end": ((d(2021, 1, 1), d(2022, 1, 1)), (d(2021, 12, 31), d(2023, 1, 1))),
    "overlapping-start": ((d(2021, 1, 1), d(2022, 1, 1)), (d(2020, 6, 1), d(2021, 1, 2))),
    "open-ended-then-later-start": ((d(2021, 1, 1), None), (d(2023, 1, 1), None)),
    "open-ended-then-later-closed": ((d(2021, 1, 1), None), (d(2023, 1, 1), d(2023, 6, 1))),
    "new-open-ended-before-closed": ((d(2022, 1, 1), d(2023, 1, 1)), (d(2021, 1, 1), None)),
    "both-open-ended-same-start": ((d(2021, 1, 1), None), (d(2021, 1, 1), None)),
}


@pytest.mark.parametrize("same_unit", [True, False], ids=["same-cell", "other-cell"])
@pytest.mark.parametrize("existing, new", OVERLAPS.values(), ids=OVERLAPS.keys())
def test_two_overlapping_official_stints_are_refused(actor, units, member, existing, new, same_unit):
    add_stint(actor, member, units["cell"], start=existing[0], end=existing[1])
    other = units["cell"] if same_unit else units["cell_b"]
    message = refused(lambda: add_stint(actor, member, other, start=new[0], end=new[1]), match="trùng nhau")
    assert "Chi bộ Tổ 1" in message


@pytest.mark.parametrize("reverse", [False, True], ids=["in-order", "reverse-order"])
def test_adjacent_stints_are_accepted(actor, units, member, reverse):
    first = (units["cell"], d(2021, 1, 1), d(2022, 1, 1))
    second = (units["cell_b"], d(2022, 1, 1), None)
    for unit, start, end in reversed([first, second]) if reverse else [first, second]:
        add_stint(actor, member, unit, start=start, end=end)
    assert Stint.unscoped.filter(member=member, kind=StintKind.OFFICIAL).count() == 2
    # On the boundary day the member is counted in the second cell only.
    on_boundary = Stint.unscoped.open_on(d(2022, 1, 1)).filter(member=member)
    assert [s.unit_id for s in on_boundary] == [units["cell_b"].pk]


def test_a_temporary_stint_overlapping_an_official_one_is_accepted(actor, units, member):
    add_stint(actor, member, units["cell"], start=d(2021, 1, 1))
    temporary = add_stint(
        actor, member, units["cell_b"], start=d(2021, 6, 1), end=d(2022, 6, 1), kind=StintKind.TEMPORARY
    )
    assert temporary.kind == StintKind.TEMPORARY
    # The official stint still blocks a second official one over the same days.
    refused(lambda: add_stint(actor, member, units["cell_b"], start=d(2021, 6, 1), end=d(2022, 6, 1)))


def test_an_official_stint_overlapping_a_temporary_one_is_accepted(actor, units, member):
    add_stint(actor, member, units["cell_b"], start=d(2021, 6, 1), end=d(2022, 6, 1), kind=StintKind.TEMPORARY)
    official = add_stint(actor, member, units["cell"], start=d(2021, 1, 1))
    assert official.kind == StintKind.OFFICIAL


def test_another_members_stint_does_not_count_as_an_overlap(actor, units, member):
    other = new_member(actor, given_name="Lan")
    add_stint(actor, other, units["cell"], start=d(2021, 1, 1))
    add_stint(actor, member, units["cell"], start=d(2021, 1, 1))
    assert Stint.unscoped.filter(unit=units["cell"]).count() == 2


# --- add_stint: audit -----------------------------------------------------------------------------


def test_each_successful_add_stint_writes_one_audit_entry(actor, units, member):
    for start, end, kind in [
        (d(2021, 1, 1), d(2022, 1, 1), StintKind.OFFICIAL),
        (d(2022, 1, 1), None, StintKind.OFFICIAL),
        (d(2022, 3, 1), d(2022, 9, 1), StintKind.TEMPORARY),
    ]:
        mark = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first()
        stint = add_stint(actor, member, units["cell"], start=start, end=end, kind=kind)
        entries = list(AuditEntry.objects.filter(pk__gt=mark))
        assert len(entries) == 1
        entry = entries[0]
        assert entry.action == "add_stint"
        assert entry.actor == actor
        assert (entry.target_type, entry.target_id) == ("members.stint", str(stint.pk))
        assert entry.before is None
        assert entry.after["member_id"] == member.pk
        assert entry.after["unit_id"] == units["cell"].pk
        assert entry.after["start"] == start.isoformat()
        assert entry.after["end"] == (end.isoformat() if end else None)
        assert entry.after["kind"] == kind


# --- scope ----------------------------------------------------------------------------------------


def test_member_or_404_finds_members_of_the_subtree_only(actor, units, member):
    outsider = new_member(actor, given_name="Lan")
    add_stint(actor, member, units["cell"], start=d(2021, 1, 1))
    add_stint(actor, outsider, units["cell_b"], start=d(2021, 1, 1))

    scope_a = Scope(unit_id=units["a"].pk, sees_people=True)
    assert scope_a.member_or_404(member.pk) == member
    with pytest.raises(Http404):
        scope_a.member_or_404(outsider.pk)

    # The cell's own scope sees its member; the sibling cell does not.
    assert Scope(unit_id=units["cell"].pk, sees_people=True).member_or_404(member.pk) == member
    with pytest.raises(Http404):
        Scope(unit_id=units["cell2"].pk, sees_people=True).member_or_404(member.pk)

    # The root sees both.
    scope_root = Scope(unit_id=units["root"].pk, sees_people=True)
    assert scope_root.member_or_404(outsider.pk) == outsider

    # A member without any stint is seen by nobody; an unknown id is 404.
    loner = new_member(actor, given_name="Minh")
    with pytest.raises(Http404):
        scope_root.member_or_404(loner.pk)
    with pytest.raises(Http404):
        scope_root.member_or_404(10**9)


def test_member_or_404_requires_sees_people(actor, units, member):
    add_stint(actor, member, units["cell"], start=d(2021, 1, 1))
    for unit_id in (units["cell"].pk, units["a"].pk, units["root"].pk):
        with pytest.raises(Http404):
            Scope(unit_id=unit_id, sees_people=False).member_or_404(member.pk)


def test_member_or_404_sees_past_members(actor, units, member):
    """A member who held activity in the subtree at some time, then moved elsewhere, stays visible."""
    add_stint(actor, member, units["cell"], start=d(2021, 1, 1), end=d(2022, 1, 1))
    add_stint(actor, member, units["cell_b"], start=d(2022, 1, 1))
    assert Scope(unit_id=units["a"].pk, sees_people=True).member_or_404(member.pk) == member
    assert Scope(unit_id=units["b"].pk, sees_people=True).member_or_404(member.pk) == member
