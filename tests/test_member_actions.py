"""Tests of dangbo.members.actions.admit (the member record), of the unit checks every event bringing a
member into a unit goes through (`_unit_span_errors`), and of Scope.member_or_404.

The events themselves (stints, statuses, tallies, cancellation) are tested in test_events.py.
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
from dangbo.members.actions import (
    admit,
    expel,
    host_temporarily,
    readmit,
    remove,
    restore,
    send_temporarily,
    transfer_in,
    transfer_out,
    transfer_within,
)
from dangbo.members.models import Event, EventKind, Member, MemberStatus, Stint, StintKind
from dangbo.orgs.actions import dissolve_unit, found_unit
from dangbo.orgs.models import UnitKind
from tests.helpers import refused

d = datetime.date
K = EventKind
START = d(2020, 1, 1)
ADMITTED = d(2020, 2, 1)
ELSEWHERE = "Đảng bộ tỉnh Lào Cai"
PERSON = dict(family_name="Nguyễn", middle_name="Thị", given_name="Hường", sex="F", birth_date=d(1990, 3, 8))


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


def new_member(actor, unit=None, *, on=ADMITTED, other_side="", **fields) -> Member:
    """Admit a member into `unit`, or outside our tree when `unit` is None."""
    if unit is None and not other_side:
        other_side = ELSEWHERE
    return admit(actor, {**PERSON, **fields}, unit=unit, effective_on=on, other_side=other_side)


def refused_event(call, *, match: str | None = None) -> str:
    """tests.helpers.refused, and no membership event written either."""
    events = Event.unscoped.count()
    message = refused(call, match=match)
    assert Event.unscoped.count() == events
    return message


def stints_of(member) -> list[tuple]:
    rows = Stint.unscoped.filter(member=member).values_list("unit_id", "kind", "status", "start", "end")
    return sorted(rows, key=lambda row: (row[3], row[1]))


# --- admit: the member record ---------------------------------------------------------------------


def test_admit_normalises_the_name_and_derives_search_and_sort(actor, units):
    nfd = lambda text: unicodedata.normalize("NFD", text)  # noqa: E731
    fields = dict(family_name=nfd("Nguyễn"), middle_name=nfd(" Thị "), given_name=nfd("Hường  "))
    member = new_member(actor, units["cell"], **fields)
    member = Member.unscoped.get(pk=member.pk)
    assert (member.family_name, member.middle_name, member.given_name) == ("Nguyễn", "Thị", "Hường")
    for value in (member.family_name, member.middle_name, member.given_name):
        assert unicodedata.is_normalized("NFC", value)
    assert member.full_name == "Nguyễn Thị Hường"
    assert member.search_name == "nguyen thi huong"
    assert member.sort_key == vn.name_sort_key("Nguyễn", "Thị", "Hường")
    assert member.sort_key.isdigit()


def test_admit_writes_the_member_and_the_admission_with_their_audit_entries(actor, units):
    mark = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first()
    member = new_member(actor, units["cell"], citizen_id="099190000001")
    entries = list(AuditEntry.objects.filter(pk__gt=mark).order_by("pk"))
    assert [e.action for e in entries] == ["create_member", "event_admission"]
    created, admission = entries
    assert (created.actor, created.target_type, created.target_id) == (actor, "members.member", str(member.pk))
    assert created.before is None
    assert created.after["search_name"] == "nguyen thi huong"
    assert created.after["citizen_id"] == "099190000001"
    assert created.after["admitted_on"] == ADMITTED.isoformat()
    event = Event.unscoped.get(member=member)
    assert (admission.actor, admission.target_type, admission.target_id) == (actor, "members.event", str(event.pk))
    assert admission.before is None
    assert admission.after["kind"] == K.ADMISSION
    assert admission.after["unit_id"] == units["cell"].pk
    assert (event.kind, event.effective_on, event.created_by) == (K.ADMISSION, ADMITTED, actor)
    # The member's only stint comes from the admission.
    assert stints_of(member) == [(units["cell"].pk, StintKind.OFFICIAL, MemberStatus.PROBATIONARY, ADMITTED, None)]
    assert (member.admitted_on, member.official_on) == (ADMITTED, None)


def test_search_name_folds_d_with_stroke(actor, units):
    member = new_member(actor, units["cell"], family_name="Đặng", middle_name="Đình", given_name="Đức")
    assert member.search_name == "dang dinh duc"


def test_sort_key_orders_by_given_name_first(actor, units):
    an = new_member(actor, units["cell"], family_name="Trần", middle_name="Văn", given_name="An")
    binh = new_member(actor, units["cell"], family_name="Lê", middle_name="Văn", given_name="Bình")
    assert an.sort_key < binh.sort_key


@pytest.mark.parametrize(
    "citizen_id",
    ["0012345678901", "00123456789", "00123456789a", "001 23456789", "-01234567890"],
    ids=["13-digits", "11-digits", "letter", "space", "sign"],
)
def test_admit_refuses_a_citizen_id_that_is_not_12_digits(actor, units, citizen_id):
    call = lambda: new_member(actor, units["cell"], citizen_id=citizen_id)  # noqa: E731
    with pytest.raises(ValidationError) as info:
        call()
    assert list(info.value.message_dict) == ["citizen_id"]
    refused_event(call, match="Số căn cước công dân gồm đúng 12 chữ số")


def test_admit_refuses_a_citizen_id_in_non_ascii_digits(actor, units):
    refused_event(
        lambda: new_member(actor, units["cell"], citizen_id="００１２３４５６７８９０"),
        match="Số căn cước công dân gồm đúng 12 chữ số",
    )


def test_admit_accepts_12_digits_and_no_citizen_id(actor, units):
    assert new_member(actor, units["cell"], citizen_id="001234567890").citizen_id == "001234567890"
    # Without a number, any number of members (NULL is not a duplicate).
    assert new_member(actor, units["cell"]).citizen_id is None
    assert new_member(actor, units["cell"], given_name="Lan").citizen_id is None


def test_admit_refuses_a_duplicate_citizen_id(actor, units):
    new_member(actor, units["cell"], citizen_id="001234567890")
    again = lambda: new_member(actor, units["cell2"], given_name="Lan", citizen_id="001234567890")  # noqa: E731
    with pytest.raises(ValidationError) as info:
        again()
    assert "citizen_id" in info.value.message_dict
    refused_event(again, match="đã có trong hồ sơ một đảng viên khác")


def test_a_citizen_id_written_by_another_admission_meanwhile_is_refused_in_vietnamese(actor, units, monkeypatch):
    """Two admissions of one citizen ID at once: both checks pass before either writes (the check is
    skipped here to stand for that moment); the second write is refused, not a 500 IntegrityError."""
    new_member(actor, units["cell"], citizen_id="001234567890")
    monkeypatch.setattr(Member, "validate_unique", lambda self, exclude=None: None)
    refused_event(lambda: new_member(actor, units["cell2"], given_name="Lan", citizen_id="001234567890"),
                  match="đã có trong hồ sơ một đảng viên khác")  # fmt: skip


def test_admit_refuses_missing_required_fields(actor, units):
    fields = dict(family_name="Lê", given_name="", sex="M", birth_date=d(1990, 1, 1))
    with pytest.raises(ValidationError) as info:
        admit(actor, fields, unit=units["cell"], effective_on=ADMITTED)
    assert "given_name" in info.value.message_dict
    refused_event(lambda: admit(actor, fields, unit=units["cell"], effective_on=ADMITTED))


def test_admit_refuses_a_missing_decision_date(actor, units):
    refused_event(
        lambda: admit(actor, PERSON, unit=units["cell"], effective_on=None), match="Hãy nhập ngày quyết định kết nạp"
    )


def test_official_date_before_admission_is_refused_in_vietnamese(actor, units):
    refused_event(lambda: new_member(actor, units["cell"], official_on=d(2020, 1, 15)))


# --- the unit a member comes into ----------------------------------------------------------------
# Every event that brings a member into a unit of our tree goes through the same check of the
# stints it produces: a cell, existing on the first day, not dissolved before the stint ends.


def _enter(kind, actor, units, target, on, *, months=6):
    """Prepare a member for an event of `kind`, and return the call bringing them into `target` on `on`."""
    ends_on = vn.add_months(on, months)
    if kind == K.ADMISSION:
        return lambda: new_member(actor, target, on=on)
    if kind in (K.TRANSFER_IN, K.TEMPORARY_HOSTED):
        member = new_member(actor, None)
        if kind == K.TRANSFER_IN:
            return lambda: transfer_in(actor, member, unit=target, effective_on=on, other_side=ELSEWHERE)
        return lambda: host_temporarily(actor, member, unit=target, effective_on=on, ends_on=ends_on)
    if kind == K.READMISSION:
        # Out of the Party at least 36 months before (Quy định 294-QĐ/TW, điểm 3.5.1): admitted and
        # removed outside our tree, years before it was founded.
        member = new_member(actor, None, on=d(2010, 2, 1))
        remove(actor, member, effective_on=d(2016, 3, 1))
        return lambda: readmit(actor, member, unit=target, effective_on=on)
    member = new_member(actor, units["cell"])
    if kind == K.TRANSFER_WITHIN:
        return lambda: transfer_within(actor, member, unit=target, effective_on=on)
    if kind == K.TEMPORARY_AWAY:
        return lambda: send_temporarily(actor, member, unit=target, effective_on=on, ends_on=ends_on)
    assert kind == K.RESTORATION
    expel(actor, member, effective_on=d(2020, 3, 1))
    return lambda: restore(actor, member, unit=target, effective_on=on)


ENTERING = [K.ADMISSION, K.TRANSFER_IN, K.TRANSFER_WITHIN, K.TEMPORARY_AWAY, K.TEMPORARY_HOSTED, K.READMISSION,
            K.RESTORATION]  # fmt: skip
TEMPORARY = (K.TEMPORARY_AWAY, K.TEMPORARY_HOSTED)


def _stint_kind(kind):
    return StintKind.TEMPORARY if kind in TEMPORARY else StintKind.OFFICIAL


@pytest.mark.parametrize("kind", ENTERING)
@pytest.mark.parametrize("key", ["sub", "a", "b", "root"])
def test_a_member_only_sits_in_a_cell(actor, units, kind, key):
    enter = _enter(kind, actor, units, units[key], d(2020, 6, 1))
    message = refused_event(enter, match="Đảng viên sinh hoạt tại chi bộ")
    assert "là Đảng bộ" in message


@pytest.mark.parametrize("kind", ENTERING)
@pytest.mark.parametrize("key", ["cell", "gcell"])
def test_both_kinds_of_cell_take_members(actor, units, kind, key):
    target = units[key] if not (key == "cell" and kind in (K.TRANSFER_WITHIN, K.TEMPORARY_AWAY)) else units["cell2"]
    result = _enter(kind, actor, units, target, d(2020, 6, 1))()
    member = result if isinstance(result, Member) else result.member
    rows = [row for row in stints_of(member) if row[3] == d(2020, 6, 1)]
    assert [(row[0], row[1]) for row in rows] == [(target.pk, _stint_kind(kind))]


@pytest.mark.parametrize("kind", ENTERING)
def test_a_unit_that_does_not_exist_yet_takes_nobody(actor, units, kind):
    # "late" is founded on 2021-01-01: not on 2020-06-01, even for a stint running into its life.
    enter = _enter(kind, actor, units, units["late"], d(2020, 6, 1), months=12)
    refused_event(enter, match="không tồn tại vào ngày 01/06/2020")


@pytest.mark.parametrize("kind", ENTERING)
def test_a_unit_takes_members_from_its_foundation_day(actor, units, kind):
    result = _enter(kind, actor, units, units["late"], d(2021, 1, 1))()
    member = result if isinstance(result, Member) else result.member
    assert units["late"].pk in [row[0] for row in stints_of(member)]


@pytest.mark.parametrize("kind", ENTERING)
def test_a_dissolved_unit_takes_nobody(actor, units, kind):
    dissolve_unit(actor, units["cell2"], on=d(2020, 5, 1))
    enter = _enter(kind, actor, units, units["cell2"], d(2020, 6, 1))
    refused_event(enter, match="không tồn tại vào ngày 01/06/2020")


@pytest.mark.parametrize("kind", ENTERING)
def test_a_stint_running_past_the_dissolution_of_its_unit_is_refused(actor, units, kind):
    """An open official stint, or a temporary one ending after the dissolution day."""
    dissolve_unit(actor, units["cell2"], on=d(2021, 1, 1))
    enter = _enter(kind, actor, units, units["cell2"], d(2020, 6, 1), months=12)
    message = refused_event(enter, match="giải thể từ ngày 01/01/2021")
    assert "Chi bộ Tổ 2" in message


@pytest.mark.parametrize("kind", TEMPORARY)
def test_a_temporary_stint_ending_on_the_dissolution_day_is_accepted(actor, units, kind):
    dissolve_unit(actor, units["cell2"], on=d(2021, 1, 1))
    event = _enter(kind, actor, units, units["cell2"], d(2020, 7, 1))()
    assert (units["cell2"].pk, StintKind.TEMPORARY, MemberStatus.PROBATIONARY, d(2020, 7, 1), d(2021, 1, 1)) in (
        stints_of(event.member)
    )


def test_a_member_moved_out_before_the_dissolution_is_fine(actor, units):
    member = new_member(actor, units["cell2"])
    transfer_within(actor, member, unit=units["cell"], effective_on=d(2020, 12, 1))
    dissolve_unit(actor, units["cell2"], on=d(2021, 1, 1))
    # Later events replay the whole history, the stint in the dissolved cell included.
    remove(actor, member, effective_on=d(2021, 6, 1))
    assert [row[0] for row in stints_of(member)] == [units["cell2"].pk, units["cell"].pk]


# --- scope ----------------------------------------------------------------------------------------


def test_member_or_404_finds_members_of_the_subtree_only(actor, units):
    member = new_member(actor, units["cell"])
    outsider = new_member(actor, units["cell_b"], given_name="Lan")

    scope_a = Scope(unit_id=units["a"].pk, sees_people=True)
    assert scope_a.member_or_404(member.pk).member == member
    with pytest.raises(Http404):
        scope_a.member_or_404(outsider.pk)

    # The cell's own scope sees its member; the sibling cell does not.
    assert Scope(unit_id=units["cell"].pk, sees_people=True).member_or_404(member.pk).member == member
    with pytest.raises(Http404):
        Scope(unit_id=units["cell2"].pk, sees_people=True).member_or_404(member.pk)

    # The root sees both.
    scope_root = Scope(unit_id=units["root"].pk, sees_people=True)
    assert scope_root.member_or_404(member.pk).member == member
    assert scope_root.member_or_404(outsider.pk).member == outsider

    # A member admitted outside our tree has no stint and is seen by nobody; an unknown id is 404.
    loner = new_member(actor, None, given_name="Minh")
    assert not Stint.unscoped.filter(member=loner).exists()
    with pytest.raises(Http404):
        scope_root.member_or_404(loner.pk)
    with pytest.raises(Http404):
        scope_root.member_or_404(10**9)


def test_member_or_404_requires_sees_people(actor, units):
    member = new_member(actor, units["cell"])
    for unit_id in (units["cell"].pk, units["a"].pk, units["root"].pk):
        with pytest.raises(Http404):
            Scope(unit_id=unit_id, sees_people=False).member_or_404(member.pk)


def test_member_or_404_sees_past_members(actor, units):
    """A member who held activity in the subtree at some time, then moved elsewhere, stays visible."""
    member = new_member(actor, units["cell"])
    transfer_within(actor, member, unit=units["cell_b"], effective_on=d(2021, 1, 1))
    before = Scope(unit_id=units["a"].pk, sees_people=True).member_or_404(member.pk)
    assert before.member == member and not before.current  # read-only where they were
    now = Scope(unit_id=units["b"].pk, sees_people=True).member_or_404(member.pk)
    assert now.member == member and now.current
    with pytest.raises(Http404):
        Scope(unit_id=units["gcell"].pk, sees_people=True).member_or_404(member.pk)


def test_member_or_404_sees_members_transferred_out_of_the_tree(actor, units):
    member = new_member(actor, units["cell"])
    transfer_out(actor, member, effective_on=d(2021, 1, 1), other_side=ELSEWHERE)
    assert Scope(unit_id=units["cell"].pk, sees_people=True).member_or_404(member.pk).member == member


def test_member_or_404_sees_temporary_members_in_the_host_only(actor, units):
    hosted = new_member(actor, None)
    host_temporarily(actor, hosted, unit=units["gcell"], effective_on=d(2020, 6, 1), ends_on=d(2021, 6, 1))
    assert Scope(unit_id=units["gcell"].pk, sees_people=True).member_or_404(hosted.pk).member == hosted
    with pytest.raises(Http404):
        Scope(unit_id=units["a"].pk, sees_people=True).member_or_404(hosted.pk)

    away = new_member(actor, units["cell"], given_name="Lan")
    send_temporarily(actor, away, unit=units["cell_b"], effective_on=d(2020, 6, 1), ends_on=d(2021, 6, 1))
    assert Scope(unit_id=units["b"].pk, sees_people=True).member_or_404(away.pk).member == away
    assert Scope(unit_id=units["a"].pk, sees_people=True).member_or_404(away.pk).member == away
