"""Membership events: the replay rules (dangbo.members.events), the actions recording them
(dangbo.members.actions) and what follows from them — the stints, the member's dates, the tallies —
and the correction of a mistake (cancel_latest_event).

A small tree is founded under a NEW superior root on 2020-01-01, so the demo data does not interfere:

    root ─┬─ a ─┬─ x        a, b: đảng bộ cơ sở; x, y, z: chi bộ trực thuộc
          │     └─ y
          └─ b ─── z

The usual member is admitted into x on ADMITTED, with the ceremony on CEREMONY: their probation
ends, and recognition takes effect, on PROBATION_ENDS.
"""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Max

from dangbo.accounts.models import User
from dangbo.accounts.scope import Scope
from dangbo.audit.models import AuditEntry
from dangbo.lib import vn
from dangbo.lib.http import today
from dangbo.members.actions import (
    RECORDERS,
    accept_resignation,
    admit,
    cancel_latest_event,
    exempt,
    expel,
    host_temporarily,
    ordered,
    readmit,
    recognise,
    record_ceremony,
    record_death,
    refuse_recognition,
    remove,
    restore,
    send_temporarily,
    timeline_of,
    transfer_in,
    transfer_out,
    transfer_within,
)
from dangbo.members.events import SequenceError, replay
from dangbo.members.figures import counted_stints, subtree_figures
from dangbo.members.models import Event, EventKind, Member, MemberStatus, Stint, StintKind, UnitTally
from dangbo.orgs.actions import dissolve_unit, found_unit
from dangbo.orgs.models import UnitKind, UnitVersion
from tests.helpers import refused

d = datetime.date
K = EventKind
PROB, OFFL = MemberStatus.PROBATIONARY, MemberStatus.OFFICIAL  # a stint's status
START = d(2020, 1, 1)
ADMITTED = d(2020, 2, 1)
CEREMONY = d(2020, 3, 1)
PROBATION_ENDS = d(2021, 3, 1)
LATER = d(2021, 9, 1)
ELSEWHERE = "Đảng bộ tỉnh Lào Cai"
PERSON = dict(family_name="Trần", middle_name="Văn", given_name="An", sex="M", birth_date=d(1990, 5, 5))


# --- fixtures and helpers -------------------------------------------------------------------------


@pytest.fixture
def actor(db):
    return User.objects.create(username="kiemthu_sukien")


@pytest.fixture
def tree(actor):
    first_member = (Member.unscoped.aggregate(last=Max("pk"))["last"] or 0) + 1
    found = lambda name, kind, parent: found_unit(actor, name=name, kind=kind, parent=parent, on=START)  # noqa: E731
    root = found("Đảng bộ Thử nghiệm Sự kiện", UnitKind.SUPERIOR, None)
    a = found("Đảng bộ Công ty A", UnitKind.GRASSROOTS_COMMITTEE, root)
    b = found("Đảng bộ Công ty B", UnitKind.GRASSROOTS_COMMITTEE, root)
    x = found("Chi bộ Phân xưởng X", UnitKind.ATTACHED_CELL, a)
    y = found("Chi bộ Phân xưởng Y", UnitKind.ATTACHED_CELL, a)
    z = found("Chi bộ Phòng Z", UnitKind.ATTACHED_CELL, b)
    return SimpleNamespace(root=root, a=a, b=b, x=x, y=y, z=z, units=[root, a, b, x, y, z], first_member=first_member)


def member_in(actor, unit, *, on=ADMITTED, ceremony_on=CEREMONY, **extra) -> Member:
    """A member admitted into `unit` (outside our tree when None), with their ceremony."""
    other_side = "" if unit is not None else ELSEWHERE
    return admit(actor, dict(PERSON), unit=unit, effective_on=on, ceremony_on=ceremony_on, other_side=other_side,
                 **extra)  # fmt: skip


def official(unit, status, start, end=None) -> tuple:
    return (unit.pk, StintKind.OFFICIAL, status, start, end)


def temporary(unit, status, start, end) -> tuple:
    return (unit.pk, StintKind.TEMPORARY, status, start, end)


def _by_start(row):
    return (row[3], row[1], row[0])


def assert_stints(member, *expected):
    rows = Stint.unscoped.filter(member=member).values_list("unit_id", "kind", "status", "start", "end")
    assert sorted(rows, key=_by_start) == sorted(expected, key=_by_start)


def dates_of(member) -> tuple:
    member = Member.unscoped.get(pk=member.pk)
    return member.admitted_on, member.official_on


def counts(unit, day) -> tuple[int, int]:
    """(official, probationary) members counted in the unit's subtree on `day`, read from the tallies
    (subtree_figures) and checked against a count over the stints."""
    version = UnitVersion.objects.on(day).get(unit=unit)
    rows = subtree_figures(version, day).values()
    tallied = (sum(r["official"] for r in rows), sum(r["probationary"] for r in rows))
    assert sum(r["total"] for r in rows) == sum(tallied)
    stints = counted_stints(version, day)
    assert tallied == (stints.filter(status=OFFL).count(), stints.filter(status=PROB).count()), f"{unit} on {day}"
    return tallied


def derived_state(tree) -> tuple:
    """Everything the events of the test's members derive: stints, the members' dates, the tallies."""
    members = Member.unscoped.filter(pk__gte=tree.first_member)
    stints = Stint.unscoped.filter(member__in=members).values_list("member_id", "unit_id", "kind", "status", "start",
                                                                   "end")  # fmt: skip
    tally_fields = [f.attname for f in UnitTally._meta.concrete_fields if f.attname != "id"]
    tallies = UnitTally.objects.filter(unit__in=tree.units).order_by("unit_id", "valid_from").values_list(*tally_fields)
    return (
        sorted(stints, key=repr),
        list(members.order_by("pk").values_list("pk", "admitted_on", "official_on")),
        list(tallies),
    )


@pytest.fixture
def refused_event(tree):
    """tests.helpers.refused, and no event written or changed, nothing derived from events changed."""

    def events():
        return Event.unscoped.count(), list(Event.unscoped.filter(member__pk__gte=tree.first_member).values())

    def check(call, *, match: str) -> str:
        before = events(), derived_state(tree)
        message = refused(call, match=match)
        assert (events(), derived_state(tree)) == before
        return message

    return check


READY_REMOVED = d(2021, 6, 1)  # ready_for's removal before a readmission or a restoration
READY_READMITTED = d(2024, 6, 1)  # 36 months later, the earliest readmission (Quy định 294-QĐ/TW, 3.5.1)


def event_args(kind, tree, on=LATER) -> dict:
    """Plausible arguments of the recorder of `kind` (actions.RECORDERS) for an event on `on` (a
    readmission on READY_READMITTED, 36 months after ready_for's removal)."""
    ends_on = vn.add_months(on, 6)
    return {
        K.RECOGNITION: {},
        K.TRANSFER_IN: dict(unit=tree.y, effective_on=on, other_side=ELSEWHERE),
        K.TRANSFER_OUT: dict(effective_on=on, other_side=ELSEWHERE),
        K.TRANSFER_WITHIN: dict(unit=tree.y, effective_on=on),
        K.TEMPORARY_AWAY: dict(unit=tree.z, effective_on=on, ends_on=ends_on),
        K.TEMPORARY_HOSTED: dict(unit=tree.y, effective_on=on, ends_on=ends_on),
        K.READMISSION: dict(unit=tree.x, effective_on=READY_READMITTED, ceremony_on=READY_READMITTED),
        K.RESTORATION: dict(unit=tree.x, effective_on=on),
    }.get(kind, dict(effective_on=on))


def ready_for(kind, actor, tree) -> Member:
    """A member for whom an event of `kind` on LATER (or recognition) is possible."""
    if kind in (K.TRANSFER_IN, K.TEMPORARY_HOSTED):
        return member_in(actor, None)
    member = member_in(actor, tree.x)
    if kind in (K.READMISSION, K.RESTORATION):
        remove(actor, member, effective_on=READY_REMOVED)
    return member


def fake(kind, on, pk, **fields) -> Event:
    """An unsaved event for the pure replay."""
    event = Event(kind=kind, effective_on=on, **fields)
    event.pk = pk
    return event


def replay_refuses(events, match: str) -> str:
    with pytest.raises(SequenceError) as info:
        replay(ordered(events))
    assert match in info.value.message, info.value.message
    return info.value.message


# --- admission and ceremony -----------------------------------------------------------------------


def test_admission_opens_a_probationary_stint_counted_in_the_cell(actor, tree):
    member = member_in(actor, tree.x, decision_number="15-QĐ/ĐU")
    assert_stints(member, official(tree.x, PROB, ADMITTED))
    assert dates_of(member) == (ADMITTED, None)
    event = Event.unscoped.get(member=member)
    assert (event.kind, event.unit_id, event.ceremony_on) == (K.ADMISSION, tree.x.pk, CEREMONY)
    assert event.decided_on == ADMITTED  # by default, the date of the decision is its effective date
    assert event.decision_number == "15-QĐ/ĐU"
    assert counts(tree.x, ADMITTED - datetime.timedelta(days=1)) == (0, 0)
    for unit in (tree.x, tree.a, tree.root):
        assert counts(unit, ADMITTED) == (0, 1)
    assert counts(tree.y, ADMITTED) == counts(tree.b, ADMITTED) == (0, 0)
    timeline = timeline_of(member)
    assert (timeline.status, timeline.home, timeline.probation_ends) == (PROB, tree.x.pk, PROBATION_ENDS)


def test_admission_outside_our_tree_has_no_stint(actor, tree):
    member = member_in(actor, None)
    assert_stints(member)
    assert dates_of(member) == (ADMITTED, None)
    assert Event.unscoped.get(member=member).other_side == ELSEWHERE
    assert counts(tree.root, ADMITTED) == (0, 0)
    assert (timeline_of(member).status, timeline_of(member).home) == (PROB, None)


@pytest.mark.parametrize(
    "unit, ceremony_on, match",
    [
        (None, None, "Hãy chọn chi bộ kết nạp, hoặc ghi tên tổ chức đảng kết nạp bên ngoài."),
        ("x", d(2020, 1, 31), "Lễ kết nạp không thể trước ngày quyết định kết nạp."),
    ],
    ids=["nowhere", "ceremony-before-decision"],
)
def test_admission_refusals(actor, tree, refused_event, unit, ceremony_on, match):
    unit = getattr(tree, unit) if unit else None
    refused_event(lambda: admit(actor, PERSON, unit=unit, effective_on=ADMITTED, ceremony_on=ceremony_on), match=match)


def test_a_second_admission_is_refused_by_the_replay():
    admission = dict(unit_id=1, ceremony_on=CEREMONY)
    events = [fake(K.ADMISSION, ADMITTED, 1, **admission), fake(K.ADMISSION, d(2022, 1, 1), 2, **admission)]
    replay_refuses(events, "Đảng viên đã được kết nạp ngày 01/02/2020")


def test_record_ceremony_sets_the_probation(actor, tree):
    member = member_in(actor, tree.x, ceremony_on=None)
    assert timeline_of(member).probation_ends is None
    mark = AuditEntry.objects.latest("pk").pk
    event = record_ceremony(actor, member, d(2020, 2, 20))
    assert Event.unscoped.get(pk=event.pk).ceremony_on == d(2020, 2, 20)
    assert timeline_of(member).probation_ends == d(2021, 2, 20)
    entry = AuditEntry.objects.get(pk__gt=mark)
    assert (entry.action, entry.actor, entry.target_id) == ("record_ceremony", actor, str(event.pk))
    assert (entry.before["ceremony_on"], entry.after["ceremony_on"]) == (None, "2020-02-20")
    # The stints do not change with the ceremony; recognition then takes effect 12 months after it.
    assert_stints(member, official(tree.x, PROB, ADMITTED))
    assert recognise(actor, member).effective_on == d(2021, 2, 20)


@pytest.mark.parametrize(
    "ceremony_on, recorded, match",
    [
        (None, None, "Hãy nhập ngày tổ chức lễ kết nạp."),
        (d(2020, 1, 31), None, "Lễ kết nạp không thể trước ngày quyết định kết nạp."),
    ],
    ids=["missing", "before-decision"],
)
def test_record_ceremony_refusals(actor, tree, refused_event, ceremony_on, recorded, match):
    member = member_in(actor, tree.x, ceremony_on=recorded)
    refused_event(lambda: record_ceremony(actor, member, ceremony_on), match=match)


def test_a_ceremony_date_is_corrected_until_a_recognition_rests_on_it(actor, tree, refused_event):
    member = member_in(actor, tree.x, ceremony_on=CEREMONY)
    event = record_ceremony(actor, member, d(2020, 4, 1))
    assert Event.unscoped.get(pk=event.pk).ceremony_on == d(2020, 4, 1)
    entry = AuditEntry.objects.filter(action="record_ceremony").latest("pk")
    assert (entry.before["ceremony_on"], entry.after["ceremony_on"]) == ("2020-03-01", "2020-04-01")
    assert recognise(actor, member).effective_on == d(2021, 4, 1)
    refused_event(lambda: record_ceremony(actor, member, d(2020, 3, 1)), match="hủy sự kiện công nhận")


def test_record_ceremony_after_readmission_is_that_of_the_readmission(actor, tree):
    member = member_in(actor, tree.x)
    remove(actor, member, effective_on=d(2020, 9, 1))
    readmit(actor, member, unit=tree.y, effective_on=d(2023, 9, 1))
    event = record_ceremony(actor, member, d(2023, 9, 10))
    assert event.kind == K.READMISSION
    assert Event.unscoped.get(member=member, kind=K.ADMISSION).ceremony_on == CEREMONY
    assert timeline_of(member).probation_ends == d(2024, 9, 10)


def test_a_ceremony_after_death_is_refused(actor, tree, refused_event):
    member = member_in(actor, tree.x, ceremony_on=None)
    record_death(actor, member, effective_on=d(2020, 3, 1))
    refused_event(lambda: record_ceremony(actor, member, d(2020, 5, 1)), match="từ trần")


# --- recognition ----------------------------------------------------------------------------------


def test_recognition_takes_effect_when_probation_ends(actor, tree):
    member = member_in(actor, tree.x)
    event = recognise(actor, member)
    assert event.effective_on == PROBATION_ENDS
    assert_stints(member, official(tree.x, PROB, ADMITTED, PROBATION_ENDS), official(tree.x, OFFL, PROBATION_ENDS))
    assert dates_of(member) == (ADMITTED, PROBATION_ENDS)
    assert counts(tree.x, PROBATION_ENDS - datetime.timedelta(days=1)) == (0, 1)
    assert counts(tree.x, PROBATION_ENDS) == counts(tree.root, PROBATION_ENDS) == (1, 0)
    assert timeline_of(member).status == OFFL


def test_recognition_decided_late_still_takes_effect_12_months_after_the_ceremony(actor, tree):
    member = member_in(actor, tree.x)
    event = recognise(actor, member, decided_on=d(2021, 9, 15), decision_number="27-QĐ/ĐU")
    event = Event.unscoped.get(pk=event.pk)
    assert (event.effective_on, event.decided_on, event.decision_number) == (PROBATION_ENDS, d(2021, 9, 15), "27-QĐ/ĐU")
    assert dates_of(member)[1] == PROBATION_ENDS
    assert counts(tree.x, d(2021, 6, 1)) == (1, 0)


def test_recognition_of_a_member_outside_our_tree_changes_no_stint(actor, tree):
    member = member_in(actor, None)
    recognise(actor, member)
    assert_stints(member)
    assert dates_of(member) == (ADMITTED, PROBATION_ENDS)


def test_recognition_without_a_ceremony_is_refused(actor, tree, refused_event):
    member = member_in(actor, tree.x, ceremony_on=None)
    refused_event(lambda: recognise(actor, member), match="Chưa ghi nhận ngày lễ kết nạp")


def test_recognition_of_an_official_member_is_refused(actor, tree, refused_event):
    member = member_in(actor, tree.x)
    recognise(actor, member)
    refused_event(lambda: recognise(actor, member), match="Chỉ đảng viên dự bị mới được xét công nhận chính thức.")


def test_recognition_of_a_member_whose_only_admission_was_followed_by_death_is_refused(actor, tree, refused_event):
    member = member_in(actor, tree.x)
    record_death(actor, member, effective_on=d(2020, 9, 1))
    refused_event(lambda: recognise(actor, member), match="Đảng viên đã từ trần ngày 01/09/2020")
    assert dates_of(member) == (ADMITTED, None)


@pytest.mark.parametrize(
    "events, match",
    [
        ([fake(K.RECOGNITION, PROBATION_ENDS, 1)], "Sự kiện đầu tiên của đảng viên phải là kết nạp vào Đảng"),
        (
            [fake(K.ADMISSION, ADMITTED, 1, unit_id=1, ceremony_on=CEREMONY), fake(K.RECOGNITION, d(2020, 1, 1), 2)],
            "Sự kiện đầu tiên của đảng viên phải là kết nạp vào Đảng",
        ),
        (
            [fake(K.ADMISSION, ADMITTED, 1, unit_id=1, ceremony_on=CEREMONY), fake(K.RECOGNITION, d(2021, 4, 1), 2)],
            "đúng ngày hết 12 tháng dự bị (01/03/2021), kể cả khi được xét muộn",
        ),
        (
            [fake(K.ADMISSION, ADMITTED, 1, unit_id=1, ceremony_on=CEREMONY), fake(K.RECOGNITION, ADMITTED, 2)],
            "đúng ngày hết 12 tháng dự bị (01/03/2021)",
        ),
    ],
    ids=["never-admitted", "official-before-admitted", "not-12-months", "official-on-admission-day"],
)
def test_recognition_refused_by_the_replay(events, match):
    replay_refuses(events, match)


# --- non-recognition ------------------------------------------------------------------------------


def test_non_recognition_ends_membership(actor, tree, refused_event):
    member = member_in(actor, tree.x)
    event = refuse_recognition(actor, member, effective_on=PROBATION_ENDS, decided_on=d(2021, 3, 10))
    assert event.kind == K.NON_RECOGNITION
    timeline = timeline_of(member)
    assert (timeline.status, timeline.left, timeline.official_on) == (None, (K.NON_RECOGNITION, PROBATION_ENDS), None)
    assert timeline.party_age_on(d(2022, 1, 1)) is None
    assert dates_of(member) == (ADMITTED, None)
    refused_event(
        lambda: transfer_within(actor, member, unit=tree.y, effective_on=LATER),
        match="Người này không còn là đảng viên (không công nhận đảng viên chính thức ngày 01/03/2021).",
    )


def test_non_recognition_removes_the_member_from_the_count(actor, tree):
    member = member_in(actor, tree.x)
    refuse_recognition(actor, member, effective_on=PROBATION_ENDS)
    assert_stints(member, official(tree.x, PROB, ADMITTED, PROBATION_ENDS))
    assert counts(tree.x, PROBATION_ENDS) == (0, 0)


def test_non_recognition_of_an_official_member_is_refused(actor, tree, refused_event):
    member = member_in(actor, tree.x)
    recognise(actor, member)
    refused_event(
        lambda: refuse_recognition(actor, member, effective_on=LATER),
        match="Chỉ đảng viên dự bị mới có thể không được công nhận chính thức.",
    )


# --- official transfers ---------------------------------------------------------------------------


def test_transfer_in_from_outside(actor, tree):
    member = member_in(actor, None)
    transfer_in(actor, member, unit=tree.x, effective_on=d(2020, 6, 1), other_side=ELSEWHERE)
    assert_stints(member, official(tree.x, PROB, d(2020, 6, 1)))
    assert counts(tree.x, d(2020, 5, 31)) == (0, 0)
    assert counts(tree.x, d(2020, 6, 1)) == counts(tree.a, d(2020, 6, 1)) == (0, 1)
    recognise(actor, member)
    assert_stints(member, official(tree.x, PROB, d(2020, 6, 1), PROBATION_ENDS), official(tree.x, OFFL, PROBATION_ENDS))
    assert dates_of(member) == (ADMITTED, PROBATION_ENDS)


def test_transfer_in_while_in_one_of_our_cells_is_refused(actor, tree, refused_event):
    """Two official cells at once."""
    member = member_in(actor, tree.x)
    refused_event(
        lambda: transfer_in(actor, member, unit=tree.z, effective_on=LATER, other_side=ELSEWHERE),
        match="Đảng viên đang sinh hoạt chính thức tại một chi bộ trong Đảng bộ; hãy ghi nhận chuyển sinh hoạt "
        "trong Đảng bộ.",
    )


def test_transfer_in_without_a_cell_is_refused(actor, tree, refused_event):
    member = member_in(actor, None)
    refused_event(lambda: transfer_in(actor, member, unit=None, effective_on=LATER), match="Hãy chọn chi bộ đến.")


def test_transfer_out_of_the_tree(actor, tree):
    member = member_in(actor, tree.x)
    event = transfer_out(actor, member, effective_on=d(2020, 9, 1), other_side="Đảng bộ huyện Bảo Thắng")
    assert (event.from_unit_id, event.other_side) == (tree.x.pk, "Đảng bộ huyện Bảo Thắng")
    assert_stints(member, official(tree.x, PROB, ADMITTED, d(2020, 9, 1)))
    assert counts(tree.x, d(2020, 8, 31)) == (0, 1)
    assert counts(tree.root, d(2020, 9, 1)) == (0, 0)
    # Still a member, outside our tree: recognition still comes when probation ends.
    timeline = timeline_of(member)
    assert (timeline.status, timeline.home) == (PROB, None)
    assert recognise(actor, member).effective_on == PROBATION_ENDS
    assert_stints(member, official(tree.x, PROB, ADMITTED, d(2020, 9, 1)))


@pytest.mark.parametrize(
    "where, from_unit, other_side, match",
    [
        ("x", None, "", "Hãy ghi tên tổ chức đảng nơi đảng viên chuyển đến."),
        ("x", "y", ELSEWHERE, "Đảng viên không sinh hoạt chính thức tại chi bộ chuyển đi vào ngày này."),
        (None, None, ELSEWHERE, "Đảng viên không sinh hoạt chính thức tại chi bộ nào trong Đảng bộ."),
        (None, "x", ELSEWHERE, "Đảng viên không sinh hoạt chính thức tại chi bộ chuyển đi vào ngày này."),
    ],
    ids=["nowhere-to", "from-another-cell", "not-in-our-tree", "not-in-our-tree-from-a-cell"],
)
def test_transfer_out_refusals(actor, tree, refused_event, where, from_unit, other_side, match):
    member = member_in(actor, getattr(tree, where) if where else None)
    from_unit = getattr(tree, from_unit) if from_unit else None
    refused_event(
        lambda: transfer_out(actor, member, effective_on=LATER, other_side=other_side, from_unit=from_unit),
        match=match,
    )


def test_transfer_out_of_a_cell_already_left_is_refused(actor, tree, refused_event):
    member = member_in(actor, tree.x)
    transfer_within(actor, member, unit=tree.y, effective_on=d(2020, 6, 1))
    refused_event(
        lambda: transfer_out(actor, member, effective_on=LATER, other_side=ELSEWHERE, from_unit=tree.x),
        match="Đảng viên không sinh hoạt chính thức tại chi bộ chuyển đi vào ngày này.",
    )


def test_transfer_within_moves_the_count(actor, tree):
    member = member_in(actor, tree.x)
    event = transfer_within(actor, member, unit=tree.z, effective_on=d(2020, 9, 1))
    assert (event.from_unit_id, event.unit_id) == (tree.x.pk, tree.z.pk)
    assert_stints(member, official(tree.x, PROB, ADMITTED, d(2020, 9, 1)), official(tree.z, PROB, d(2020, 9, 1)))
    assert counts(tree.a, d(2020, 8, 31)) == (0, 1)
    assert counts(tree.b, d(2020, 8, 31)) == (0, 0)
    # On the day of the transfer the member is counted in the new cell only.
    assert counts(tree.a, d(2020, 9, 1)) == counts(tree.x, d(2020, 9, 1)) == (0, 0)
    assert counts(tree.b, d(2020, 9, 1)) == counts(tree.z, d(2020, 9, 1)) == (0, 1)
    assert counts(tree.root, d(2020, 9, 1)) == (0, 1)
    assert timeline_of(member).home == tree.z.pk


@pytest.mark.parametrize(
    "where, unit, from_unit, match",
    [
        ("x", "x", None, "Chi bộ đến trùng với chi bộ đang sinh hoạt."),
        ("x", "z", "y", "Đảng viên không sinh hoạt chính thức tại chi bộ chuyển đi vào ngày này."),
        (None, "z", None, "Đảng viên không sinh hoạt chính thức tại chi bộ nào trong Đảng bộ."),
        ("x", None, None, "Hãy chọn chi bộ đến."),
    ],
    ids=["same-cell", "from-another-cell", "not-in-our-tree", "nowhere-to"],
)
def test_transfer_within_refusals(actor, tree, refused_event, where, unit, from_unit, match):
    member = member_in(actor, getattr(tree, where) if where else None)
    unit, from_unit = (getattr(tree, key) if key else None for key in (unit, from_unit))
    refused_event(
        lambda: transfer_within(actor, member, unit=unit, effective_on=LATER, from_unit=from_unit), match=match
    )


# --- temporary activity ---------------------------------------------------------------------------


def test_temporary_activity_away_keeps_the_home_count(actor, tree):
    member = member_in(actor, tree.x)
    send_temporarily(actor, member, unit=tree.z, effective_on=d(2020, 6, 1), ends_on=d(2020, 12, 1))
    assert_stints(member, official(tree.x, PROB, ADMITTED), temporary(tree.z, PROB, d(2020, 6, 1), d(2020, 12, 1)))
    for day in (d(2020, 6, 1), d(2020, 11, 30), d(2020, 12, 1)):
        assert counts(tree.x, day) == counts(tree.a, day) == counts(tree.root, day) == (0, 1)
        assert counts(tree.z, day) == counts(tree.b, day) == (0, 0)
    # The host's scope sees the member while the temporary stint lasts (and after, for the record).
    assert Scope(unit_id=tree.z.pk, sees_people=True).member_or_404(member.pk).member == member


def test_temporary_activity_outside_our_tree_writes_no_stint(actor, tree):
    member = member_in(actor, tree.x)
    event = send_temporarily(actor, member, other_side=ELSEWHERE, effective_on=d(2020, 6, 1), ends_on=d(2021, 6, 1))
    assert (event.unit_id, event.other_side, event.ends_on) == (None, ELSEWHERE, d(2021, 6, 1))
    assert_stints(member, official(tree.x, PROB, ADMITTED))
    assert counts(tree.x, d(2020, 7, 1)) == (0, 1)


def test_a_member_hosted_from_outside_is_not_counted(actor, tree):
    member = member_in(actor, None)
    host_temporarily(actor, member, unit=tree.x, effective_on=d(2020, 6, 1), ends_on=d(2021, 6, 1),
                     other_side=ELSEWHERE)  # fmt: skip
    assert_stints(member, temporary(tree.x, PROB, d(2020, 6, 1), d(2021, 6, 1)))
    assert counts(tree.x, d(2020, 7, 1)) == counts(tree.root, d(2020, 7, 1)) == (0, 0)
    assert Scope(unit_id=tree.x.pk, sees_people=True).member_or_404(member.pk).member == member


def test_transfer_in_to_the_host_ends_the_temporary_stint(actor, tree):
    member = member_in(actor, None)
    host_temporarily(actor, member, unit=tree.x, effective_on=d(2020, 6, 1), ends_on=d(2021, 6, 1))
    transfer_in(actor, member, unit=tree.x, effective_on=d(2020, 10, 1), other_side=ELSEWHERE)
    assert_stints(
        member, temporary(tree.x, PROB, d(2020, 6, 1), d(2020, 10, 1)), official(tree.x, PROB, d(2020, 10, 1))
    )
    assert counts(tree.x, d(2020, 10, 1)) == (0, 1)


@pytest.mark.parametrize(
    "ends_on, accepted",
    [
        (d(2020, 9, 1), True),  # exactly 3 months
        (d(2022, 6, 1), True),  # exactly 2 years
        (d(2020, 8, 31), False),
        (d(2022, 6, 2), False),
        (d(2020, 5, 1), False),
    ],
    ids=["3-months", "2-years", "a-day-short-of-3-months", "a-day-over-2-years", "ends-before-it-starts"],
)
@pytest.mark.parametrize("kind", [K.TEMPORARY_AWAY, K.TEMPORARY_HOSTED])
def test_temporary_activity_lasts_3_months_to_2_years(actor, tree, refused_event, kind, ends_on, accepted):
    member = member_in(actor, tree.x if kind == K.TEMPORARY_AWAY else None)
    record = lambda: RECORDERS[kind](actor, member, unit=tree.y, effective_on=d(2020, 6, 1), ends_on=ends_on)  # noqa: E731
    if accepted:
        record()
        assert temporary(tree.y, PROB, d(2020, 6, 1), ends_on) in Stint.unscoped.filter(member=member).values_list(
            "unit_id", "kind", "status", "start", "end"
        )
    else:
        message = refused_event(record, match="Sinh hoạt tạm thời kéo dài từ 3 tháng đến 2 năm")
        assert "01/09/2020 – 01/06/2022" in message


@pytest.mark.parametrize(
    "kind, where, unit, match",
    [
        (K.TEMPORARY_AWAY, "x", "x", "Chi bộ sinh hoạt tạm thời trùng với chi bộ sinh hoạt chính thức."),
        (K.TEMPORARY_AWAY, "x", None, "Hãy chọn chi bộ đến, hoặc ghi tên tổ chức đảng nơi sinh hoạt tạm thời."),
        (K.TEMPORARY_AWAY, None, "y", "Đảng viên không sinh hoạt chính thức tại chi bộ nào trong Đảng bộ."),
        (K.TEMPORARY_HOSTED, "x", "y", "Đảng viên đang sinh hoạt chính thức trong Đảng bộ; hãy ghi nhận chuyển"),
        (K.TEMPORARY_HOSTED, None, None, "Hãy chọn chi bộ đến."),
    ],
    ids=["away-to-own-cell", "away-to-nowhere", "away-from-outside", "hosting-one-of-ours", "hosted-nowhere"],
)
def test_temporary_activity_refusals(actor, tree, refused_event, kind, where, unit, match):
    member = member_in(actor, getattr(tree, where) if where else None)
    unit = getattr(tree, unit) if unit else None
    refused_event(
        lambda: RECORDERS[kind](actor, member, unit=unit, effective_on=d(2020, 6, 1), ends_on=d(2021, 6, 1)),
        match=match,
    )


@pytest.mark.parametrize("kind", [K.TEMPORARY_AWAY, K.TEMPORARY_HOSTED])
def test_one_temporary_activity_at_a_time(actor, tree, refused_event, kind):
    member = member_in(actor, tree.x if kind == K.TEMPORARY_AWAY else None)
    record = RECORDERS[kind]
    record(actor, member, unit=tree.y, effective_on=d(2020, 6, 1), ends_on=d(2020, 12, 1))
    refused_event(
        lambda: record(actor, member, unit=tree.z, effective_on=d(2020, 11, 30), ends_on=d(2021, 6, 1)),
        match="Đảng viên đang sinh hoạt tạm thời đến ngày 01/12/2020.",
    )
    # From the day the first one ends, another one may start.
    record(actor, member, unit=tree.z, effective_on=d(2020, 12, 1), ends_on=d(2021, 6, 1))
    assert [s[0] for s in Stint.unscoped.filter(member=member, kind=StintKind.TEMPORARY).values_list("unit_id")] == [
        tree.y.pk,
        tree.z.pk,
    ]


def test_a_temporary_stint_follows_the_recognition(actor, tree):
    member = member_in(actor, tree.x)
    send_temporarily(actor, member, unit=tree.z, effective_on=d(2020, 9, 1), ends_on=d(2021, 9, 1))
    recognise(actor, member)
    assert not Stint.unscoped.filter(member=member, status=PROB, end__gt=PROBATION_ENDS).exists()
    assert Stint.unscoped.filter(member=member, unit=tree.z, status=OFFL, start=PROBATION_ENDS).exists()


# --- exemption ------------------------------------------------------------------------------------


def test_exemption_keeps_the_count(actor, tree):
    member = member_in(actor, tree.x)
    before = derived_state(tree)
    event = exempt(actor, member, effective_on=d(2020, 6, 1), note="Ốm dài ngày")
    assert event.kind == K.EXEMPTION
    assert derived_state(tree) == before
    assert_stints(member, official(tree.x, PROB, ADMITTED))
    assert counts(tree.x, d(2020, 7, 1)) == (0, 1)
    assert timeline_of(member).exemptions == [(d(2020, 6, 1), None)]


def test_exemptions_do_not_overlap(actor, tree, refused_event):
    member = member_in(actor, tree.x)
    exempt(actor, member, effective_on=d(2020, 6, 1), ends_on=d(2020, 12, 1))
    refused_event(
        lambda: exempt(actor, member, effective_on=d(2020, 11, 1)),
        match="Đảng viên đang được miễn công tác và sinh hoạt đảng từ ngày 01/06/2020.",
    )
    exempt(actor, member, effective_on=d(2020, 12, 1))
    refused_event(lambda: exempt(actor, member, effective_on=d(2021, 12, 1)), match="từ ngày 01/12/2020")
    assert timeline_of(member).exemptions == [(d(2020, 6, 1), d(2020, 12, 1)), (d(2020, 12, 1), None)]


@pytest.mark.parametrize("ends_on", [d(2020, 6, 1), d(2020, 5, 1)], ids=["same-day", "before"])
def test_exemption_must_end_after_it_starts(actor, tree, refused_event, ends_on):
    member = member_in(actor, tree.x)
    refused_event(
        lambda: exempt(actor, member, effective_on=d(2020, 6, 1), ends_on=ends_on),
        match="Ngày kết thúc miễn sinh hoạt phải sau ngày bắt đầu.",
    )


def test_leaving_ends_the_exemption(actor, tree):
    member = member_in(actor, tree.x)
    exempt(actor, member, effective_on=d(2020, 6, 1))
    remove(actor, member, effective_on=d(2020, 9, 1))
    assert timeline_of(member).exemptions == [(d(2020, 6, 1), d(2020, 9, 1))]


# --- leaving the Party ----------------------------------------------------------------------------

LEAVING = {
    K.DEATH: (record_death, "Đảng viên đã từ trần ngày 01/09/2020; không thể ghi nhận thêm sự kiện."),
    K.REMOVAL: (remove, "Người này không còn là đảng viên (xóa tên ngày 01/09/2020)."),
    K.EXPULSION: (expel, "Người này không còn là đảng viên (khai trừ ngày 01/09/2020)."),
    K.RESIGNATION: (accept_resignation, "Người này không còn là đảng viên (xin ra khỏi đảng ngày 01/09/2020)."),
}


@pytest.mark.parametrize("kind", LEAVING)
def test_leaving_ends_the_stint_and_the_count(actor, tree, refused_event, kind):
    leave, then = LEAVING[kind]
    member = member_in(actor, tree.x)
    leave(actor, member, effective_on=d(2020, 9, 1))
    assert_stints(member, official(tree.x, PROB, ADMITTED, d(2020, 9, 1)))
    assert counts(tree.x, d(2020, 8, 31)) == (0, 1)
    assert counts(tree.x, d(2020, 9, 1)) == counts(tree.root, d(2020, 9, 1)) == (0, 0)
    timeline = timeline_of(member)
    assert (timeline.status, timeline.home, timeline.left) == (None, None, (kind, d(2020, 9, 1)))
    assert dates_of(member) == (ADMITTED, None)
    refused_event(lambda: remove(actor, member, effective_on=LATER), match=then)
    refused_event(lambda: transfer_within(actor, member, unit=tree.y, effective_on=LATER), match=then)


@pytest.mark.parametrize("kind", LEAVING)
def test_leaving_keeps_the_official_date(actor, tree, kind):
    member = member_in(actor, tree.x)
    recognise(actor, member)
    LEAVING[kind][0](actor, member, effective_on=LATER)
    assert_stints(
        member, official(tree.x, PROB, ADMITTED, PROBATION_ENDS), official(tree.x, OFFL, PROBATION_ENDS, LATER)
    )
    assert dates_of(member) == (ADMITTED, PROBATION_ENDS)
    assert counts(tree.x, LATER) == (0, 0)


@pytest.mark.parametrize("kind", LEAVING)
def test_leaving_ends_a_temporary_stint(actor, tree, kind):
    hosted = member_in(actor, None)
    host_temporarily(actor, hosted, unit=tree.x, effective_on=d(2020, 6, 1), ends_on=d(2021, 6, 1))
    LEAVING[kind][0](actor, hosted, effective_on=d(2020, 9, 1))
    assert_stints(hosted, temporary(tree.x, PROB, d(2020, 6, 1), d(2020, 9, 1)))


@pytest.mark.parametrize("kind", sorted(RECORDERS))
def test_nothing_follows_death(actor, tree, refused_event, kind):
    """Readmission and restoration included: death is not a way out of the Party one comes back from."""
    member = member_in(actor, None if kind in (K.TRANSFER_IN, K.TEMPORARY_HOSTED) else tree.x)
    record_death(actor, member, effective_on=d(2021, 8, 1))
    refused_event(
        lambda: RECORDERS[kind](actor, member, **event_args(kind, tree)), match="Đảng viên đã từ trần ngày 01/08/2021"
    )


# --- readmission and restoration ------------------------------------------------------------------

LEFT = d(2020, 9, 1)
BACK = d(2023, 9, 1)  # 36 months after LEFT, the earliest a readmission may be decided
LEAVERS = {
    K.REMOVAL: remove,
    K.EXPULSION: expel,
    K.RESIGNATION: accept_resignation,
    K.NON_RECOGNITION: refuse_recognition,
}


@pytest.mark.parametrize(
    "kind",
    [K.REMOVAL, K.EXPULSION, K.RESIGNATION, K.NON_RECOGNITION],
)
def test_readmission_starts_a_new_probation(actor, tree, kind):
    member = member_in(actor, tree.x)
    LEAVERS[kind](actor, member, effective_on=LEFT)
    readmit(actor, member, unit=tree.y, effective_on=BACK, ceremony_on=d(2023, 9, 15))
    assert_stints(member, official(tree.x, PROB, ADMITTED, LEFT), official(tree.y, PROB, BACK))
    # The date of entry into the Party stays the first admission.
    assert dates_of(member) == (ADMITTED, None)
    timeline = timeline_of(member)
    assert (timeline.status, timeline.readmitted, timeline.left) == (PROB, True, None)
    assert counts(tree.a, d(2021, 1, 1)) == (0, 0)
    assert counts(tree.y, BACK) == counts(tree.a, BACK) == (0, 1)
    assert recognise(actor, member).effective_on == d(2024, 9, 15)
    assert dates_of(member) == (ADMITTED, d(2024, 9, 15))


def test_readmission_of_a_non_recognised_member_is_accepted(actor, tree):
    member = member_in(actor, tree.x)
    refuse_recognition(actor, member, effective_on=PROBATION_ENDS)
    event = readmit(actor, member, unit=tree.y, effective_on=d(2024, 3, 1))
    assert event.kind == K.READMISSION
    assert timeline_of(member).status == PROB
    assert counts(tree.y, d(2024, 3, 1)) == (0, 1)


def test_readmission_only_once(actor, tree, refused_event):
    member = member_in(actor, tree.x)
    remove(actor, member, effective_on=LEFT)
    readmit(actor, member, unit=tree.x, effective_on=BACK)
    remove(actor, member, effective_on=d(2024, 1, 1))
    refused_event(
        lambda: readmit(actor, member, unit=tree.x, effective_on=d(2026, 6, 1)),
        match="Mỗi người chỉ được kết nạp lại một lần (Quy định 294-QĐ/TW, điểm 3.5).",
    )


def test_readmission_sooner_than_36_months_after_leaving_is_refused(actor, tree, refused_event):
    """Quy định 294-QĐ/TW, điểm 3.5.1: at least 36 months out of the Party before readmission."""
    member = member_in(actor, tree.x)
    accept_resignation(actor, member, effective_on=LEFT)
    refused_event(
        lambda: readmit(actor, member, unit=tree.x, effective_on=BACK - datetime.timedelta(days=1)),
        match="ít nhất 36 tháng (Quy định 294-QĐ/TW, điểm 3.5.1): xin ra khỏi Đảng ngày 01/09/2020, "
        "nên sớm nhất từ ngày 01/09/2023",
    )
    assert readmit(actor, member, unit=tree.x, effective_on=BACK).kind == K.READMISSION


@pytest.mark.parametrize("kind", [K.REMOVAL, K.EXPULSION, K.NON_RECOGNITION])
def test_the_wait_runs_from_any_way_out(actor, tree, refused_event, kind):
    member = member_in(actor, tree.x)
    out = PROBATION_ENDS if kind == K.NON_RECOGNITION else LEFT
    LEAVERS[kind](actor, member, effective_on=out)
    refused_event(
        lambda: readmit(actor, member, unit=tree.x, effective_on=vn.add_months(out, 36) - datetime.timedelta(days=1)),
        match="ít nhất 36 tháng",
    )
    readmit(actor, member, unit=tree.x, effective_on=vn.add_months(out, 36))
    assert timeline_of(member).status == PROB


def test_readmission_past_60_is_refused(actor, tree, refused_event):
    """The person must meet the conditions of a first admission: 18 to 60, counted in months."""
    old = admit(actor, dict(PERSON, birth_date=d(1963, 8, 20)), unit=tree.x, effective_on=ADMITTED,
                ceremony_on=CEREMONY)  # fmt: skip
    remove(actor, old, effective_on=LEFT)
    # 60 years and one month on 20/09/2023.
    refused_event(
        lambda: readmit(actor, old, unit=tree.x, effective_on=d(2023, 9, 20)),
        match="từ đủ 18 đến đủ 60 tuổi tính theo tháng (Quy định 294-QĐ/TW, điểm 1.1 và 3.5.1); "
        "ngày 20/09/2023 người này đã 60 tuổi 1 tháng",
    )
    assert not Event.unscoped.filter(member=old, kind=K.READMISSION).exists()
    # 60 years and 0 months on 19/09/2023: still within the age.
    readmit(actor, old, unit=tree.x, effective_on=d(2023, 9, 19))
    assert timeline_of(old).status == PROB


@pytest.mark.parametrize(
    "unit, other_side, ceremony_on, match",
    [
        (None, "", None, "Hãy chọn chi bộ kết nạp, hoặc ghi tên tổ chức đảng kết nạp bên ngoài."),
        ("x", "", d(2023, 8, 31), "Lễ kết nạp không thể trước ngày quyết định kết nạp."),
    ],
    ids=["nowhere", "ceremony-before-decision"],
)
def test_readmission_refusals(actor, tree, refused_event, unit, other_side, ceremony_on, match):
    member = member_in(actor, tree.x)
    remove(actor, member, effective_on=LEFT)
    unit = getattr(tree, unit) if unit else None
    refused_event(
        lambda: readmit(actor, member, unit=unit, effective_on=BACK, ceremony_on=ceremony_on, other_side=other_side),
        match=match,
    )


def test_readmission_outside_our_tree(actor, tree):
    member = member_in(actor, tree.x)
    remove(actor, member, effective_on=LEFT)
    readmit(actor, member, unit=None, other_side=ELSEWHERE, effective_on=BACK)
    assert_stints(member, official(tree.x, PROB, ADMITTED, LEFT))
    assert timeline_of(member).status == PROB


@pytest.mark.parametrize("action", [readmit, restore])
def test_readmission_and_restoration_of_a_member_are_refused(actor, tree, refused_event, action):
    member = member_in(actor, tree.x)
    what = "kết nạp lại" if action is readmit else "phục hồi đảng tịch"
    refused_event(
        lambda: action(actor, member, unit=tree.x, effective_on=BACK),
        match=f"Người này đang là đảng viên; không thể {what}.",
    )


@pytest.mark.parametrize("recognised", [True, False], ids=["official", "probationary"])
@pytest.mark.parametrize("kind", [K.REMOVAL, K.EXPULSION])
def test_restoration_gives_back_the_previous_status(actor, tree, kind, recognised):
    member = member_in(actor, tree.x)
    if recognised:
        recognise(actor, member)
    left, back = (d(2021, 6, 1), d(2021, 12, 1)) if recognised else (d(2020, 6, 1), d(2020, 9, 1))
    status = OFFL if recognised else PROB
    LEAVERS[kind](actor, member, effective_on=left)
    restore(actor, member, unit=tree.z, effective_on=back)
    restored = Stint.unscoped.get(member=member, start=back)
    assert (restored.unit_id, restored.kind, restored.status, restored.end) == (
        tree.z.pk,
        StintKind.OFFICIAL,
        status,
        None,
    )
    assert counts(tree.z, back) == ((1, 0) if recognised else (0, 1))
    assert counts(tree.root, vn.add_months(left, 1)) == (0, 0)
    timeline = timeline_of(member)
    assert (timeline.status, timeline.left, timeline.readmitted) == (status, None, False)
    if not recognised:
        # Restored during probation: recognition still comes 12 months after the ceremony.
        recognise(actor, member)
        assert_stints(
            member,
            official(tree.x, PROB, ADMITTED, left),
            official(tree.z, PROB, back, PROBATION_ENDS),
            official(tree.z, OFFL, PROBATION_ENDS),
        )


@pytest.mark.parametrize("kind", [K.RESIGNATION, K.NON_RECOGNITION])
def test_restoration_only_after_expulsion_or_removal(actor, tree, refused_event, kind):
    member = member_in(actor, tree.x)
    LEAVERS[kind](actor, member, effective_on=LEFT)
    refused_event(
        lambda: restore(actor, member, unit=tree.x, effective_on=BACK),
        match="Chỉ phục hồi đảng tịch cho người đã ra khỏi Đảng do khai trừ, xóa tên.",
    )


def test_restoration_without_a_cell_is_refused(actor, tree, refused_event):
    member = member_in(actor, tree.x)
    expel(actor, member, effective_on=LEFT)
    refused_event(
        lambda: restore(actor, member, unit=None, effective_on=BACK),
        match="Hãy chọn chi bộ sinh hoạt, hoặc ghi tên tổ chức đảng bên ngoài.",
    )


# --- a whole life, every kind of event ------------------------------------------------------------


def life(actor, tree) -> list[tuple[str, object]]:
    """[(kind, call(member) -> Event)]: after an admission into x on ADMITTED (ceremony CEREMONY),
    every other kind of event but non-recognition, in order."""
    x, y, z = tree.x, tree.y, tree.z
    return [
        (K.TEMPORARY_AWAY, lambda m: send_temporarily(actor, m, unit=z, effective_on=d(2020, 6, 1),
                                                      ends_on=d(2020, 12, 1))),
        (K.EXEMPTION, lambda m: exempt(actor, m, effective_on=d(2020, 7, 1), ends_on=d(2020, 8, 1))),
        (K.RECOGNITION, lambda m: recognise(actor, m)),  # 2021-03-01
        (K.TRANSFER_WITHIN, lambda m: transfer_within(actor, m, unit=y, effective_on=d(2021, 6, 1))),
        (K.TRANSFER_OUT, lambda m: transfer_out(actor, m, effective_on=d(2021, 9, 1), other_side=ELSEWHERE)),
        (K.TEMPORARY_HOSTED, lambda m: host_temporarily(actor, m, unit=x, effective_on=d(2021, 10, 1),
                                                        ends_on=d(2022, 4, 1))),
        (K.TRANSFER_IN, lambda m: transfer_in(actor, m, unit=x, effective_on=d(2022, 1, 1), other_side=ELSEWHERE)),
        (K.REMOVAL, lambda m: remove(actor, m, effective_on=d(2022, 6, 1))),
        (K.RESTORATION, lambda m: restore(actor, m, unit=x, effective_on=d(2022, 9, 1))),
        (K.RESIGNATION, lambda m: accept_resignation(actor, m, effective_on=d(2022, 10, 1))),
        # Readmitted 36 months after leaving, the shortest wait (Quy định 294-QĐ/TW, điểm 3.5.1).
        (K.READMISSION, lambda m: readmit(actor, m, unit=z, effective_on=d(2025, 10, 1), ceremony_on=d(2025, 10, 15))),
        (K.RECOGNITION, lambda m: recognise(actor, m)),  # 2026-10-15
        (K.EXPULSION, lambda m: expel(actor, m, effective_on=d(2026, 10, 20))),
        (K.RESTORATION, lambda m: restore(actor, m, unit=y, effective_on=d(2026, 10, 25))),
        (K.DEATH, lambda m: record_death(actor, m, effective_on=d(2026, 11, 1))),
    ]  # fmt: skip


# (official, probationary) in x, y, z, a, b on days of the life above.
LIFE_COUNTS = {
    d(2020, 7, 1): [(0, 1), (0, 0), (0, 0), (0, 1), (0, 0)],
    d(2021, 3, 1): [(1, 0), (0, 0), (0, 0), (1, 0), (0, 0)],
    d(2021, 6, 1): [(0, 0), (1, 0), (0, 0), (1, 0), (0, 0)],
    d(2021, 11, 1): [(0, 0), (0, 0), (0, 0), (0, 0), (0, 0)],
    d(2022, 1, 1): [(1, 0), (0, 0), (0, 0), (1, 0), (0, 0)],
    d(2022, 7, 1): [(0, 0), (0, 0), (0, 0), (0, 0), (0, 0)],
    d(2022, 9, 15): [(1, 0), (0, 0), (0, 0), (1, 0), (0, 0)],
    d(2024, 1, 1): [(0, 0), (0, 0), (0, 0), (0, 0), (0, 0)],
    d(2025, 10, 1): [(0, 0), (0, 0), (0, 1), (0, 0), (0, 1)],
    d(2026, 10, 15): [(0, 0), (0, 0), (1, 0), (0, 0), (1, 0)],
    d(2026, 10, 22): [(0, 0), (0, 0), (0, 0), (0, 0), (0, 0)],
    d(2026, 10, 25): [(0, 0), (1, 0), (0, 0), (1, 0), (0, 0)],
    d(2026, 11, 1): [(0, 0), (0, 0), (0, 0), (0, 0), (0, 0)],
}


def test_a_life_through_every_kind_of_event(actor, tree):
    member = member_in(actor, tree.x)
    for _, call in life(actor, tree):
        call(member)
    x, y, z = tree.x, tree.y, tree.z
    assert_stints(
        member,
        official(x, PROB, ADMITTED, d(2021, 3, 1)),
        temporary(z, PROB, d(2020, 6, 1), d(2020, 12, 1)),
        official(x, OFFL, d(2021, 3, 1), d(2021, 6, 1)),
        official(y, OFFL, d(2021, 6, 1), d(2021, 9, 1)),
        temporary(x, OFFL, d(2021, 10, 1), d(2022, 1, 1)),
        official(x, OFFL, d(2022, 1, 1), d(2022, 6, 1)),
        official(x, OFFL, d(2022, 9, 1), d(2022, 10, 1)),
        official(z, PROB, d(2025, 10, 1), d(2026, 10, 15)),
        official(z, OFFL, d(2026, 10, 15), d(2026, 10, 20)),
        official(y, OFFL, d(2026, 10, 25), d(2026, 11, 1)),
    )
    assert dates_of(member) == (ADMITTED, d(2026, 10, 15))
    for day, expected in LIFE_COUNTS.items():
        assert [counts(unit, day) for unit in (x, y, z, tree.a, tree.b)] == expected, day
    # Never two official stints on one day.
    rows = list(Stint.unscoped.filter(member=member, kind=StintKind.OFFICIAL).order_by("start"))
    assert all(a.end is not None and a.end <= b.start for a, b in zip(rows, rows[1:]))
    assert {kind for kind, _ in life(actor, tree)} | {K.ADMISSION, K.NON_RECOGNITION} == set(K)


def _audit_since(mark):
    return list(AuditEntry.objects.filter(pk__gt=mark).order_by("pk"))


def _assert_event_entry(entry, actor, event):
    assert entry.action == f"event_{event.kind}"
    assert (entry.actor, entry.target_type, entry.target_id) == (actor, "members.event", str(event.pk))
    assert entry.before is None
    assert entry.after["kind"] == event.kind
    assert entry.after["member_id"] == event.member_id
    assert entry.after["effective_on"] == event.effective_on.isoformat()
    assert entry.after["created_by_id"] == actor.pk
    assert entry.after["cancelled_at"] is None


def test_each_event_writes_one_audit_entry(actor, tree):
    mark = AuditEntry.objects.latest("pk").pk
    member = member_in(actor, tree.x)
    created, admitted = _audit_since(mark)
    assert created.action == "create_member"
    _assert_event_entry(admitted, actor, Event.unscoped.get(member=member))
    for kind, call in life(actor, tree):
        mark = AuditEntry.objects.latest("pk").pk
        event = call(member)
        assert event.kind == kind
        (entry,) = _audit_since(mark)
        _assert_event_entry(entry, actor, event)
    other = member_in(actor, tree.y)
    mark = AuditEntry.objects.latest("pk").pk
    event = refuse_recognition(actor, other, effective_on=PROBATION_ENDS)
    (entry,) = _audit_since(mark)
    _assert_event_entry(entry, actor, event)
    assert entry.action == "event_non_recognition"


# --- an event dated before the latest -------------------------------------------------------------


def test_an_earlier_event_is_replayed_in_its_place(actor, tree):
    member = member_in(actor, tree.x)
    transfer_within(actor, member, unit=tree.y, effective_on=d(2021, 6, 1))
    # Recognition (2021-03-01) is recorded after the transfer, and dated before it.
    recognise(actor, member)
    assert_stints(
        member,
        official(tree.x, PROB, ADMITTED, PROBATION_ENDS),
        official(tree.x, OFFL, PROBATION_ENDS, d(2021, 6, 1)),
        official(tree.y, OFFL, d(2021, 6, 1)),
    )
    assert counts(tree.x, PROBATION_ENDS) == (1, 0)
    assert counts(tree.y, d(2021, 6, 1)) == (1, 0)


def test_an_earlier_transfer_in_that_would_make_two_official_cells_is_refused(actor, tree, refused_event):
    member = member_in(actor, None)
    transfer_in(actor, member, unit=tree.x, effective_on=d(2021, 1, 1), other_side=ELSEWHERE)
    refused_event(
        lambda: transfer_in(actor, member, unit=tree.y, effective_on=d(2020, 6, 1), other_side=ELSEWHERE),
        match="Đảng viên đang sinh hoạt chính thức tại một chi bộ trong Đảng bộ",
    )


def test_an_earlier_transfer_out_breaks_the_later_transfer_and_is_refused(actor, tree, refused_event):
    member = member_in(actor, tree.x)
    transfer_within(actor, member, unit=tree.y, effective_on=d(2021, 6, 1))  # from x, recorded with it
    refused_event(
        lambda: transfer_out(actor, member, effective_on=d(2021, 1, 1), other_side=ELSEWHERE),
        match="Đảng viên không sinh hoạt chính thức tại chi bộ chuyển đi vào ngày này.",
    )


def test_an_earlier_death_is_refused_when_events_follow(actor, tree, refused_event):
    member = member_in(actor, tree.x)
    transfer_within(actor, member, unit=tree.y, effective_on=d(2021, 6, 1))
    refused_event(
        lambda: record_death(actor, member, effective_on=d(2021, 1, 1)), match="Đảng viên đã từ trần ngày 01/01/2021"
    )


def test_an_earlier_temporary_activity_overlapping_a_later_one_is_refused(actor, tree, refused_event):
    member = member_in(actor, tree.x)
    send_temporarily(actor, member, other_side=ELSEWHERE, effective_on=d(2021, 1, 1), ends_on=d(2021, 7, 1))
    refused_event(
        lambda: send_temporarily(actor, member, unit=tree.y, effective_on=d(2020, 10, 1), ends_on=d(2021, 4, 1)),
        match="Đảng viên đang sinh hoạt tạm thời đến ngày 01/04/2021.",
    )


def test_an_earlier_exemption_is_accepted_and_changes_no_stint(actor, tree):
    member = member_in(actor, tree.x)
    transfer_within(actor, member, unit=tree.y, effective_on=d(2021, 6, 1))
    before = derived_state(tree)
    exempt(actor, member, effective_on=d(2020, 6, 1), ends_on=d(2020, 9, 1))
    assert derived_state(tree) == before
    assert [e.kind for e in ordered(member.events.active())] == [K.ADMISSION, K.EXEMPTION, K.TRANSFER_WITHIN]


# --- cancelling the latest event ------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(RECORDERS))
def test_cancelling_the_latest_event_restores_everything_before_it(actor, tree, kind):
    member = ready_for(kind, actor, tree)
    before = derived_state(tree), timeline_of(member)
    event = RECORDERS[kind](actor, member, **event_args(kind, tree))
    assert (derived_state(tree), timeline_of(member)) != before
    mark = AuditEntry.objects.latest("pk").pk
    cancelled = cancel_latest_event(actor, member, "  Nhập nhầm ngày hiệu lực  ")
    assert cancelled.pk == event.pk
    assert (derived_state(tree), timeline_of(member)) == before
    # The event stays, out of the replay, with who cancelled it, when and why.
    stored = Event.unscoped.get(pk=event.pk)
    assert stored.cancelled_at is not None
    assert (stored.cancelled_by, stored.cancel_reason) == (actor, "Nhập nhầm ngày hiệu lực")
    assert event.pk not in member.events.active().values_list("pk", flat=True)
    (entry,) = _audit_since(mark)
    assert (entry.action, entry.actor, entry.target_type, entry.target_id) == (
        "cancel_event",
        actor,
        "members.event",
        str(event.pk),
    )
    assert entry.note == "Nhập nhầm ngày hiệu lực"
    assert (entry.before["cancelled_at"], entry.before["cancel_reason"]) == (None, "")
    assert entry.after["cancelled_at"] is not None
    assert (entry.after["cancel_reason"], entry.after["cancelled_by_id"]) == ("Nhập nhầm ngày hiệu lực", actor.pk)
    # The same event can then be recorded again.
    assert RECORDERS[kind](actor, member, **event_args(kind, tree)).kind == kind


def test_cancelling_restores_the_tallies_of_both_cells(actor, tree):
    member = member_in(actor, tree.x)
    transfer_within(actor, member, unit=tree.z, effective_on=LATER)
    assert counts(tree.b, LATER) == (0, 1)
    cancel_latest_event(actor, member, "Chưa có quyết định")
    assert counts(tree.b, LATER) == (0, 0)
    assert counts(tree.x, LATER) == counts(tree.a, LATER) == (0, 1)
    assert_stints(member, official(tree.x, PROB, ADMITTED))


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_cancelling_requires_a_reason(actor, tree, refused_event, reason):
    member = member_in(actor, tree.x)
    recognise(actor, member)
    refused_event(lambda: cancel_latest_event(actor, member, reason), match="Hãy nêu lý do hủy sự kiện.")


def test_the_sole_admission_cannot_be_cancelled(actor, tree, refused_event):
    member = member_in(actor, tree.x)
    refused_event(lambda: cancel_latest_event(actor, member, "Nhập nhầm"), match="Không thể hủy quyết định kết nạp")
    # Nor once the other events are cancelled.
    recognise(actor, member)
    cancel_latest_event(actor, member, "Nhập nhầm")
    refused_event(lambda: cancel_latest_event(actor, member, "Nhập nhầm"), match="Không thể hủy quyết định kết nạp")


def test_the_latest_event_is_the_latest_in_effect(actor, tree):
    """Not the latest recorded: an earlier-dated event recorded last stays."""
    member = member_in(actor, tree.x)
    transfer_within(actor, member, unit=tree.y, effective_on=d(2021, 6, 1))
    exempt(actor, member, effective_on=d(2020, 6, 1), ends_on=d(2020, 9, 1))
    assert cancel_latest_event(actor, member, "Nhập nhầm").kind == K.TRANSFER_WITHIN
    assert [e.kind for e in ordered(member.events.active())] == [K.ADMISSION, K.EXEMPTION]


def test_cancelling_is_refused_when_the_replay_no_longer_fits_the_tree(actor, tree, refused_event):
    """Without the transfer, the member would still sit in x after its dissolution."""
    member = member_in(actor, tree.x)
    transfer_within(actor, member, unit=tree.y, effective_on=d(2021, 6, 1))
    dissolve_unit(actor, tree.x, on=d(2021, 9, 1))
    refused_event(lambda: cancel_latest_event(actor, member, "Nhập nhầm"), match="giải thể từ ngày 01/09/2021")


# --- party age ------------------------------------------------------------------------------------


def test_party_age_counts_from_admission_once_recognised(actor, tree):
    member = member_in(actor, tree.x)
    assert timeline_of(member).party_age_on(d(2020, 12, 31)) is None
    recognise(actor, member)
    timeline = timeline_of(member)
    assert timeline.party_age_on(PROBATION_ENDS - datetime.timedelta(days=1)) is None
    assert timeline.party_age_on(PROBATION_ENDS) == 1
    assert timeline.party_age_on(d(2022, 1, 31)) == 1
    assert timeline.party_age_on(d(2022, 2, 1)) == 2


def test_party_age_leaves_out_the_time_out_of_the_party(actor, tree):
    member = member_in(actor, tree.x)
    recognise(actor, member)
    remove(actor, member, effective_on=d(2022, 2, 1))  # 2 years in
    readmit(actor, member, unit=tree.x, effective_on=d(2025, 2, 1), ceremony_on=d(2025, 2, 1))
    recognise(actor, member)  # 2026-02-01
    timeline = timeline_of(member)
    assert timeline.party_age_on(d(2026, 2, 1)) == 3  # 2 years, then the year of the new probation
    assert timeline.party_age_on(d(2026, 8, 1)) == 3  # not 6: the three years out do not count
    assert dates_of(member) == (ADMITTED, d(2026, 2, 1))


def _life_with_a_gap(first: datetime.date, out: datetime.date, back: datetime.date) -> list[Event]:
    return [
        fake(K.ADMISSION, first, 1, unit_id=1, ceremony_on=first),
        fake(K.RECOGNITION, vn.add_years(first, 1), 2),
        fake(K.REMOVAL, out, 3),
        fake(K.READMISSION, back, 4, unit_id=1, ceremony_on=back),
        fake(K.RECOGNITION, vn.add_years(back, 1), 5),
    ]


@pytest.mark.parametrize(
    "first, out, back, on, expected",
    [
        (d(2010, 1, 1), d(2015, 1, 1), d(2018, 1, 1), d(2021, 1, 1), 8),
        (d(2020, 2, 1), d(2022, 2, 1), d(2025, 2, 1), d(2027, 1, 31), 3),
    ],
    ids=["one-day-short", "one-day-early"],
)
def test_party_age_on_the_anniversary_after_time_out(first, out, back, on, expected):
    assert replay(_life_with_a_gap(first, out, back)).party_age_on(on) == expected


def test_party_age_is_not_counted_during_the_probation_after_readmission(actor, tree):
    member = member_in(actor, tree.x)
    recognise(actor, member)
    remove(actor, member, effective_on=d(2022, 2, 1))
    readmit(actor, member, unit=tree.x, effective_on=d(2025, 2, 1), ceremony_on=d(2025, 2, 1))
    assert timeline_of(member).party_age_on(d(2025, 6, 1)) is None


def test_party_age_on_a_day_before_a_second_recognition(actor, tree):
    member = member_in(actor, tree.x)
    recognise(actor, member)
    remove(actor, member, effective_on=d(2022, 2, 1))
    readmit(actor, member, unit=tree.x, effective_on=d(2025, 2, 1), ceremony_on=d(2025, 2, 1))
    assert timeline_of(member).party_age_on(d(2021, 6, 1)) == 1
    recognise(actor, member)  # 2026-02-01
    assert timeline_of(member).party_age_on(d(2021, 6, 1)) == 1


def test_member_status_on_after_death(actor, tree):
    member = member_in(actor, tree.x)
    recognise(actor, member)
    record_death(actor, member, effective_on=LATER)
    timeline = timeline_of(Member.unscoped.get(pk=member.pk))
    assert timeline.status_on(d(2021, 6, 1)) == OFFL
    assert timeline.status_on(LATER) is None


# --- the scan of the decision ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "filename, suffix",
    [
        ("Quyết định kết nạp Trần Văn An.PDF", ".pdf"),
        ("QĐ 15.p;d f", ".pdf"),
        ("quyet_dinh", ""),
    ],
    ids=["vietnamese-name", "odd-extension", "no-extension"],
)
def test_the_scan_is_stored_under_a_name_of_its_own(actor, tree, settings, tmp_path, filename, suffix):
    settings.MEDIA_ROOT = str(tmp_path)
    member = member_in(actor, tree.x)
    scan = SimpleUploadedFile(filename, b"%PDF-1.4 quyet dinh", content_type="application/pdf")
    mark = AuditEntry.objects.latest("pk").pk
    event = transfer_within(actor, member, unit=tree.y, effective_on=LATER, scan=scan)
    name = Event.unscoped.get(pk=event.pk).scan.name
    assert name.startswith(f"events/{member.pk}/")
    stem = name.removeprefix(f"events/{member.pk}/").removesuffix(suffix)
    assert len(stem) == 32 and all(c in "0123456789abcdef" for c in stem), name
    assert name.endswith(suffix)
    base = filename.rsplit(".", 1)[0]
    assert base not in name and vn.fold(base) not in name
    assert (tmp_path / name).read_bytes() == b"%PDF-1.4 quyet dinh"
    assert _audit_since(mark)[0].after["scan"] == name


def test_a_refused_event_stores_no_scan(actor, tree, settings, tmp_path, refused_event):
    settings.MEDIA_ROOT = str(tmp_path)
    member = member_in(actor, tree.x)
    scan = SimpleUploadedFile("qd.pdf", b"%PDF-1.4", content_type="application/pdf")
    refused_event(
        lambda: transfer_within(actor, member, unit=tree.x, effective_on=LATER, scan=scan),
        match="Chi bộ đến trùng với chi bộ đang sinh hoạt.",
    )
    assert not any(tmp_path.rglob("*.pdf"))


# --- dates that have not come yet, and early decisions -------------------------------------------


def test_a_recognition_decided_before_probation_ends_is_refused(actor, tree, refused_event):
    member = member_in(actor, tree.x)
    refused_event(lambda: recognise(actor, member, decided_on=PROBATION_ENDS - datetime.timedelta(days=1)),
                  match="quá sớm")  # fmt: skip
    assert recognise(actor, member, decided_on=PROBATION_ENDS).effective_on == PROBATION_ENDS


@pytest.mark.parametrize("field", ["decided_on", "ceremony_on"])
def test_decisions_and_ceremonies_in_the_future_are_refused(actor, tree, refused_event, field):
    tomorrow = today() + datetime.timedelta(days=1)
    member = member_in(actor, tree.x, ceremony_on=None)
    if field == "ceremony_on":
        refused_event(lambda: record_ceremony(actor, member, tomorrow), match="chưa đến")
    else:
        refused_event(lambda: exempt(actor, member, effective_on=LATER, decided_on=tomorrow), match="chưa đến")
    # An effective date ahead is fine (a decision of today for next month).
    exempt(actor, member, effective_on=tomorrow, decided_on=today())


def test_an_admission_decided_in_the_future_is_refused(actor, tree):
    before = Member.unscoped.count()
    with pytest.raises(ValidationError, match="chưa đến"):
        admit(actor, dict(PERSON), unit=tree.x, effective_on=today() + datetime.timedelta(days=3))
    assert Member.unscoped.count() == before
