"""Reorganisations (dangbo.reorg): the merge of two of the demo's grassroots committees keeps every
earlier figure and gives the merged unit the sum of both; each bad input is refused in Vietnamese
with nothing written; a second confirmation finds the work done."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Q

from dangbo.accounts.models import Role, User
from dangbo.accounts.scope import Scope
from dangbo.audit.models import AuditEntry
from dangbo.demo.days import REFERENCE_DAY
from dangbo.members.figures import MEASURES, subtree_figures
from dangbo.members.models import Event, Stint, StintKind
from dangbo.orgs.models import CELL_KINDS, UnitKind, UnitVersion
from dangbo.reorg import actions
from dangbo.reorg.plan import Decision, NewUnit, plan_merge, plan_split, plan_transfer
from dangbo.reports.models import ReportType, Schedule
from dangbo.tasks.models import Task
from tests.helpers import is_vietnamese, refused

D = datetime.date(2026, 10, 1)
EARLIER = [REFERENCE_DAY, datetime.date(2025, 6, 30), datetime.date(2026, 9, 30), D - datetime.timedelta(days=1)]
DECISION = Decision("125-QĐ/ĐUK", datetime.date(2026, 9, 20), "Ban Thường vụ Đảng ủy Khối")


def scope_of(username: str) -> Scope:
    user = User.objects.get(username=username)
    return Scope(unit_id=user.unit_id, sees_people=True, records=user.role in (Role.SUPERIOR_STAFF,
                                                                               Role.GRASSROOTS_STAFF))  # fmt: skip


def khoi():
    return User.objects.get(username="khoi")


def quiet_committees(demo, count=2) -> list[UnitVersion]:
    """Grassroots committees of the demo whose subtrees hold no change after `REFERENCE_DAY`, other
    than coso's."""
    found = []
    for version in UnitVersion.objects.on(D).filter(kind=UnitKind.GRASSROOTS_COMMITTEE).order_by("unit_id"):
        if version.unit_id == demo["coso"]:
            continue
        below = UnitVersion.objects.under(version.path)
        if not below.filter(Q(valid_from__gt=REFERENCE_DAY) | Q(valid_to__gt=REFERENCE_DAY)).exists():
            found.append(version)
        if len(found) == count:
            return found
    raise AssertionError("the demo has too few quiet committees")


def root_version(demo, on):
    return UnitVersion.objects.on(on).get(unit_id=demo["root"])


def members_of(figures: dict) -> dict:
    return {m: figures.get(m, 0) for m in MEASURES}


def test_merge_two_committees_keeps_the_past_and_sums_after(demo):
    a, b = quiet_committees(demo)
    root = root_version(demo, D)
    before = {day: subtree_figures(root_version(demo, day), day) for day in EARLIER}
    on_d = subtree_figures(root, D)
    summed = {m: on_d[a.path][m] + on_d[b.path][m] for m in MEASURES}
    sub_units = {k: on_d[a.path][k] + on_d[b.path][k] for k in ("units_sub_committee", "units_attached_cell")}
    preview = plan_merge(scope_of("khoi"), sources=[a.unit_id, b.unit_id],
                         receiver=NewUnit("Đảng bộ Hợp nhất", "grassroots_committee", demo["root"]), on=D,
                         decision=DECISION)  # fmt: skip
    assert {row[0] for row in preview.dissolved} == {a.unit_id, b.unit_id}
    assert len(preview.moved) == len(UnitVersion.objects.on(D).filter(parent_id__in=[a.unit_id, b.unit_id]))
    assert preview.transfers == []  # committees hold no members directly: their cells move with them

    merged = actions.merge_units(khoi(), scope_of("khoi"), sources=[a.unit_id, b.unit_id],
                                 receiver=NewUnit("Đảng bộ Hợp nhất", "grassroots_committee", demo["root"]), on=D,
                                 decision=DECISION, expected=preview.fingerprint())  # fmt: skip

    for day in EARLIER:
        assert subtree_figures(root_version(demo, day), day) == before[day], day
    after = subtree_figures(root_version(demo, D), D)
    merged_path = UnitVersion.objects.on(D).get(unit_id=merged.pk).path
    assert members_of(after[merged_path]) == summed
    assert {k: after[merged_path][k] for k in sub_units} == sub_units
    assert a.path not in after and b.path not in after
    # The grassroots count: two committees became one.
    assert sum(f["units_grassroots_committee"] for f in after.values()) == sum(
        f["units_grassroots_committee"] for f in on_d.values()) - 1  # fmt: skip
    version = UnitVersion.objects.get(unit_id=merged.pk)
    assert version.decision == "Quyết định số 125-QĐ/ĐUK ngày 20/09/2026 của Ban Thường vụ Đảng ủy Khối"
    assert UnitVersion.objects.get(unit_id=a.unit_id, valid_to=D).decision == version.decision
    entry = AuditEntry.objects.get(action="reorg_merge")
    assert entry.after["dissolved"] == [a.unit_id, b.unit_id]


def test_second_confirmation_finds_the_sources_dissolved(demo):
    a, b = quiet_committees(demo)
    receiver = NewUnit("Đảng bộ Mới", "grassroots_committee", demo["root"])
    kwargs = dict(sources=[a.unit_id, b.unit_id], receiver=receiver, on=D, decision=DECISION)
    expected = plan_merge(scope_of("khoi"), **kwargs).fingerprint()
    actions.merge_units(khoi(), scope_of("khoi"), expected=expected, **kwargs)
    message = refused(lambda: actions.merge_units(khoi(), scope_of("khoi"), expected=expected, **kwargs))
    assert "đã giải thể từ ngày 01/10/2026" in message and a.name in message


def test_a_plan_changed_since_the_preview_is_refused(demo):
    a, b = quiet_committees(demo)
    kwargs = dict(sources=[a.unit_id, b.unit_id], receiver=a.unit_id, on=D, decision=DECISION)
    with pytest.raises(ValidationError):
        plan_merge(scope_of("khoi"), **kwargs)  # the receiver is one of the sources
    c = quiet_committees(demo, 3)[2]
    kwargs = dict(sources=[a.unit_id, b.unit_id], receiver=c.unit_id, on=D, decision=DECISION)
    refused(lambda: actions.merge_units(khoi(), scope_of("khoi"), expected="0" * 32, **kwargs),
            match="Tình hình đã thay đổi")  # fmt: skip


def test_merging_into_an_existing_committee_moves_tasks_and_accounts(demo):
    a, b, c = quiet_committees(demo, 3)
    account = User.objects.create(username="cosob", role=Role.GRASSROOTS_STAFF, unit_id=a.unit_id)
    report_type = ReportType.objects.first()
    Schedule.objects.create(superior_id=a.unit_id, report_type=report_type, reporter_kinds=["attached_cell"])
    task, late = Task.objects.work().filter(completed_on__isnull=True).order_by("pk")[:2]
    Task.objects.filter(pk=task.pk).update(responsible_unit_id=b.unit_id, starts_on=datetime.date(2026, 1, 1),
                                           due_on=D + datetime.timedelta(days=30))  # fmt: skip
    Task.objects.filter(pk=late.pk).update(responsible_unit_id=b.unit_id, starts_on=datetime.date(2026, 1, 1),
                                           due_on=D - datetime.timedelta(days=10))  # fmt: skip
    plan = plan_merge(scope_of("khoi"), sources=[a.unit_id, b.unit_id], receiver=c.unit_id, on=D, decision=DECISION)
    assert (account.pk, "cosob", Role.GRASSROOTS_STAFF.label, a.name, c.unit_id, c.name) in plan.accounts
    assert any(row[0] == task.pk and row[2] == "responsible_unit" for row in plan.tasks)
    assert not any(row[0] == late.pk for row in plan.tasks)  # overdue before the day: its lateness stays
    assert any("quá hạn trước ngày 01/10/2026" in what and name == b.name for what, name in plan.kept)
    actions.merge_units(khoi(), scope_of("khoi"), sources=[a.unit_id, b.unit_id], receiver=c.unit_id, on=D,
                        decision=DECISION, expected=plan.fingerprint())  # fmt: skip
    account.refresh_from_db()
    task.refresh_from_db()
    late.refresh_from_db()
    assert account.unit_id == c.unit_id and task.responsible_unit_id == c.unit_id
    assert late.responsible_unit_id == b.unit_id
    # The schedule applies to the receiver from now; the old unit keeps its own for its past boards.
    assert Schedule.objects.filter(superior_id=c.unit_id, report_type=report_type).count() == 1
    assert Schedule.objects.filter(superior_id=a.unit_id, report_type=report_type).count() == 1


def _cells_of(committee: UnitVersion, on) -> list[UnitVersion]:
    return list(UnitVersion.objects.on(on).filter(parent_id=committee.unit_id, kind__in=CELL_KINDS).order_by("unit_id"))


def _official(cell_id, on) -> set[int]:
    return set(Stint.unscoped.filter(unit_id=cell_id, kind=StintKind.OFFICIAL).open_on(on)
               .values_list("member_id", flat=True))  # fmt: skip


def _quiet_cells(demo) -> list[UnitVersion]:
    """Cells of a quiet committee whose members have no event after D's eve and no temporary stint."""
    for committee in quiet_committees(demo, 6):
        cells = [c for c in _cells_of(committee, D)
                 if not Stint.unscoped.filter(unit_id=c.unit_id).filter(Q(start__gte=D) | Q(end__gt=D),
                                                                         ~Q(end=None)).exists()
                 and not Stint.unscoped.filter(unit_id=c.unit_id, kind=StintKind.TEMPORARY).filter(
                     Q(end__isnull=True) | Q(end__gt=D)).exists()
                 and not Event.unscoped.filter(member__stints__unit_id=c.unit_id, effective_on__gte=D).exists()]
        if len(cells) >= 2:
            return cells
    pytest.skip("no two quiet cells")


def test_merging_cells_transfers_their_members_with_the_decision(demo):
    x, y = _quiet_cells(demo)[:2]
    members = _official(x.unit_id, D) | _official(y.unit_id, D)
    plan = plan_merge(scope_of("khoi"), sources=[x.unit_id, y.unit_id],
                      receiver=NewUnit("Chi bộ Hợp nhất", x.form_code, x.parent_id), on=D, decision=DECISION)
    assert {row[0] for row in plan.transfers} == members
    cell = actions.merge_units(khoi(), scope_of("khoi"), sources=[x.unit_id, y.unit_id],
                               receiver=NewUnit("Chi bộ Hợp nhất", x.form_code, x.parent_id), on=D, decision=DECISION)
    assert _official(cell.pk, D) == members
    events = Event.unscoped.filter(kind="transfer_within", effective_on=D, unit_id=cell.pk)
    assert events.count() == len(members)
    assert set(events.values_list("decision_number", "issuing_body")) == {(DECISION.number, DECISION.body)}
    assert _official(x.unit_id, D - datetime.timedelta(days=1))  # the past keeps them where they were


def test_bulk_transfer_and_its_refusal_naming_the_member(demo):
    x, y = _quiet_cells(demo)[:2]
    members = sorted(_official(x.unit_id, D))[:3]
    count = actions.transfer_members(khoi(), scope_of("khoi"), cell=x.unit_id, to=y.unit_id, member_ids=members,
                                     on=D, decision=DECISION)  # fmt: skip
    assert count == 3 and set(members) <= _official(y.unit_id, D)
    assert AuditEntry.objects.filter(action="event_transfer_within").count() >= 3
    # One member no longer in the cell: refused as a whole, naming them.
    rest = sorted(_official(x.unit_id, D))[:1]
    message = refused(lambda: actions.transfer_members(khoi(), scope_of("khoi"), cell=x.unit_id, to=y.unit_id,
                                                       member_ids=[*rest, members[0]], on=D, decision=DECISION))
    from dangbo.members.models import Member

    assert Member.unscoped.get(pk=members[0]).full_name in message


def test_split_a_cell_into_two_new_ones(demo):
    x = _quiet_cells(demo)[0]
    members = sorted(_official(x.unit_id, D))
    half = {m: i % 2 for i, m in enumerate(members)}
    dests = [NewUnit("Chi bộ Một", x.form_code, x.parent_id), NewUnit("Chi bộ Hai", x.form_code, x.parent_id)]
    plan = plan_split(scope_of("khoi"), source=x.unit_id, destinations=dests, children={}, members=half, keep=False,
                      on=D, decision=DECISION)  # fmt: skip
    assert len(plan.transfers) == len(members) and plan.dissolved == [(x.unit_id, x.name)]
    one, two = actions.split_unit(khoi(), scope_of("khoi"), source=x.unit_id, destinations=dests, children={},
                                  members=half, keep=False, on=D, decision=DECISION)  # fmt: skip
    assert _official(one.pk, D) | _official(two.pk, D) == set(members)
    assert not UnitVersion.objects.filter(unit_id=x.unit_id, valid_to__isnull=True).exists()
    # Leaving someone unplaced when the source ends is refused, naming them.
    y = _quiet_cells(demo)[0]
    someone = sorted(_official(y.unit_id, D))[0]
    refused(lambda: plan_split(scope_of("khoi"), source=y.unit_id, destinations=dests, children={},
                               members={m: 0 for m in _official(y.unit_id, D) if m != someone}, keep=False, on=D,
                               decision=DECISION), match="Chưa chọn chi bộ nhận")  # fmt: skip


# --- bad input: refused in Vietnamese, nothing written --------------------------------------------


def test_wrong_kind_is_refused(demo):
    a, _b = quiet_committees(demo)
    cell = _cells_of(a, D)[0]
    refused(lambda: actions.move_unit(khoi(), scope_of("khoi"), unit=a.unit_id, parent=cell.unit_id, on=D,
                                      decision=DECISION), match=a.name)  # fmt: skip
    refused(lambda: actions.merge_units(khoi(), scope_of("khoi"), sources=[a.unit_id, cell.unit_id],
                                        receiver=NewUnit("X", "grassroots_committee", demo["root"]), on=D,
                                        decision=DECISION), match="cùng loại")  # fmt: skip


def test_a_cycle_is_refused(demo):
    a, _b = quiet_committees(demo)
    sub = UnitVersion.objects.on(D).filter(parent_id=a.unit_id).first()
    message = refused(lambda: actions.move_unit(khoi(), scope_of("khoi"), unit=a.unit_id, parent=sub.unit_id, on=D,
                                                decision=DECISION))  # fmt: skip
    assert a.name in message


def test_members_left_in_a_dissolved_cell_are_refused(demo):
    x = _quiet_cells(demo)[0]
    message = refused(lambda: actions.dissolve(khoi(), scope_of("khoi"), unit=x.unit_id, receiver=None, on=D,
                                               decision=DECISION))  # fmt: skip
    assert x.name in message and "01/10/2026" in message and "đảng viên" in message


def test_before_an_earlier_operation_on_the_same_unit_is_refused(demo):
    a, b = quiet_committees(demo)
    actions.rename_unit(khoi(), scope_of("khoi"), unit=a.unit_id, name="Đảng bộ Tên Mới", on=D, decision=DECISION)
    earlier = D - datetime.timedelta(days=10)
    message = refused(lambda: actions.merge_units(khoi(), scope_of("khoi"), sources=[a.unit_id, b.unit_id],
                                                  receiver=NewUnit("Đảng bộ X", "grassroots_committee", demo["root"]),
                                                  on=earlier, decision=DECISION))  # fmt: skip
    assert "01/10/2026" in message and "thứ tự thời gian" in message


def test_outside_the_scope_is_refused(demo):
    a, b = quiet_committees(demo)
    message = refused(lambda: actions.merge_units(User.objects.get(username="coso"), scope_of("coso"),
                                                  sources=[a.unit_id, b.unit_id], receiver=NewUnit(
                                                      "Đảng bộ X", "grassroots_committee", demo["root"]),
                                                  on=D, decision=DECISION))  # fmt: skip
    assert "không thuộc phạm vi quản lý" in message and "01/10/2026" in message
    # The staff's own unit is not theirs to reorganise.
    coso = UnitVersion.objects.on(D).get(unit_id=demo["coso"])
    refused(lambda: actions.rename_unit(User.objects.get(username="coso"), scope_of("coso"), unit=coso.unit_id,
                                        name="Đổi", on=D, decision=DECISION), match=coso.name)  # fmt: skip


def test_a_decision_must_be_complete(demo):
    a, b = quiet_committees(demo)
    for decision in (Decision("", DECISION.signed_on, "Ban"), Decision("1", datetime.date(2027, 1, 1), "Ban"),
                     Decision("1" * 60, DECISION.signed_on, "B" * 100)):  # fmt: skip
        message = refused(lambda d=decision: actions.rename_unit(khoi(), scope_of("khoi"), unit=a.unit_id, name="X",
                                                                 on=D, decision=d))  # fmt: skip
        assert is_vietnamese(message)


def test_transfer_plan_names_a_member_outside_the_cell(demo):
    x, y = _quiet_cells(demo)[:2]
    other = sorted(_official(y.unit_id, D))[0]
    refused(lambda: plan_transfer(scope_of("khoi"), cell=x.unit_id, to=y.unit_id, member_ids=[other], on=D,
                                  decision=DECISION), match="không sinh hoạt chính thức")  # fmt: skip


def test_a_temporary_stay_elsewhere_that_the_transfer_ends_is_said_in_the_preview(demo):
    from dangbo.members import actions as member_actions
    from dangbo.members.models import Member

    x, y, *_ = _quiet_cells(demo)
    member_id = sorted(_official(x.unit_id, D))[0]
    member = Member.unscoped.get(pk=member_id)
    member_actions.send_temporarily(khoi(), member, effective_on=D - datetime.timedelta(days=30),
                                    ends_on=datetime.date(2027, 3, 1), unit=None,
                                    other_side="Đảng bộ Phường Lê Chân")  # fmt: skip
    plan = plan_transfer(scope_of("khoi"), cell=x.unit_id, to=y.unit_id, member_ids=[member_id], on=D,
                         decision=DECISION)  # fmt: skip
    assert plan.warnings == [
        f"Đảng viên {member.full_name} đang sinh hoạt tạm thời nơi khác đến ngày 01/03/2027: chuyển sinh hoạt chính "
        "thức kết thúc sinh hoạt tạm thời đó từ ngày 01/10/2026."
    ]


def test_grassroots_staff_merge_two_cells_of_their_committee(demo):
    coso = UnitVersion.objects.on(D).get(unit_id=demo["coso"])
    cells = [c for c in UnitVersion.objects.on(D).under(coso.path).filter(kind__in=CELL_KINDS).order_by("unit_id")
             if not Stint.unscoped.filter(unit_id=c.unit_id, kind=StintKind.TEMPORARY).filter(
                 Q(end__isnull=True) | Q(end__gt=D)).exists()
             and not Event.unscoped.filter(member__stints__unit_id=c.unit_id, effective_on__gte=D).exists()
             and not UnitVersion.objects.filter(unit_id=c.unit_id, valid_from__gt=D).exists()]  # fmt: skip
    if len(cells) < 2:
        pytest.skip("coso's committee has no two quiet cells")
    x, y = cells[:2]
    members = _official(x.unit_id, D) | _official(y.unit_id, D)
    coso_user = User.objects.get(username="coso")
    refused(lambda: actions.merge_units(coso_user, scope_of("coso"), sources=[x.unit_id], receiver=y.unit_id, on=D,
                                        decision=DECISION), match="ít nhất hai")  # fmt: skip
    z = UnitVersion.objects.on(D).get(unit_id=x.parent_id)
    cell = actions.merge_units(coso_user, scope_of("coso"), sources=[x.unit_id, y.unit_id],
                               receiver=NewUnit("Chi bộ Chung", x.form_code, z.unit_id), on=D, decision=DECISION)
    assert _official(cell.pk, D) == members
    assert AuditEntry.objects.get(action="reorg_merge").actor_id == coso_user.pk


def test_a_merger_leaves_the_history_to_the_new_committee_and_opens_its_term(demo, client):
    from dangbo.orgs.models import Succession, Term
    from dangbo.reports.actions import term_on

    a, b = quiet_committees(demo)
    receiver = NewUnit("Đảng bộ Kế thừa", "grassroots_committee", demo["root"])
    plan = plan_merge(scope_of("khoi"), sources=[a.unit_id, b.unit_id], receiver=receiver, on=D, decision=DECISION)
    assert [(row[0], row[3]) for row in plan.successions] == [(a.unit_id, "Đảng bộ Kế thừa"),
                                                               (b.unit_id, "Đảng bộ Kế thừa")]  # fmt: skip
    merged = actions.merge_units(khoi(), scope_of("khoi"), sources=[a.unit_id, b.unit_id], receiver=receiver, on=D,
                                 decision=DECISION, expected=plan.fingerprint())  # fmt: skip
    assert set(Succession.objects.filter(successor=merged).values_list("predecessor_id", "on")) == {
        (a.unit_id, D), (b.unit_id, D)}  # fmt: skip
    # Its own term from the day: its documents are numbered from 01 in it.
    term = Term.objects.get(committee=merged)
    assert (term.starts_on, term_on(merged.pk, D)) == (D, term)
    # Its staff read both predecessors' past under their old names, and nothing of theirs after.
    user = User(username="ketthua", role=Role.GRASSROOTS_STAFF, unit=merged)
    user.set_password("demo")
    user.save()
    assert client.login(username="ketthua", password="demo")
    before = (D - datetime.timedelta(days=1)).isoformat()
    page = client.get(f"/?date={before}").content.decode()
    assert a.name in page and b.name in page
    assert client.get(f"/to-chuc/{a.unit_id}/?date={before}").status_code == 200
    cell = UnitVersion.objects.on(D).filter(path__startswith=UnitVersion.objects.on(D).get(unit_id=merged.pk).path,
                                            kind__in=CELL_KINDS).first()  # fmt: skip
    member = Stint.unscoped.official().open_on(D).filter(unit_id=cell.unit_id).first().member_id
    assert client.get(f"/dang-vien/{member}/").status_code == 200
