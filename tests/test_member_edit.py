"""Editing a member's record from their page (/dang-vien/<id>/sua/): who may, the workbook's rules,
the optimistic check, the audit and the history shown, and the dated changes of theory level that
the figures of each date follow."""

import datetime
from collections import Counter

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from dangbo.accounts.models import Role, User
from dangbo.audit.models import AuditEntry
from dangbo.lib.http import today
from dangbo.members import actions
from dangbo.members.models import AttributeChange, Member, Stint, UnitTally
from dangbo.members.tallies import refresh_tallies
from dangbo.orgs.models import UnitKind, UnitVersion
from tests.helpers import is_vietnamese

EARLIER = datetime.date(2025, 1, 1)
CHANGED_ON = datetime.date(2025, 6, 1)
LATER = datetime.date(2025, 9, 30)
LEVELS = ["none", "so_cap", "trung_cap", "cao_cap", "cu_nhan"]


def url(member) -> str:
    return f"/dang-vien/{member.pk}/sua/"


def chibo_member(demo, *, theory=None, exclude=()) -> Member:
    """A member of chibo's cell, official there since before 2024 and still there."""
    stints = Stint.unscoped.filter(unit_id=demo["chibo"], kind="official", end__isnull=True,
                                   start__lt=datetime.date(2024, 1, 1)).exclude(member_id__in=exclude)  # fmt: skip
    if theory:
        stints = stints.filter(member__theory_level=theory)
    return stints.select_related("member").order_by("member_id").first().member


def form_data(member, **changes) -> dict:
    data = {name: getattr(member, name) for name in actions.EDITABLE_FIELDS}
    data = {k: ("" if v is None else v.isoformat() if isinstance(v, datetime.date) else v) for k, v in data.items()}
    data["updated_at"] = member.updated_at.isoformat()
    data["effective_on"] = ""
    data.update(changes)
    return data


@pytest.fixture
def other_staff(demo):
    """The staff of another grassroots committee: an outsider who may record."""
    coso = UnitVersion.objects.on(today()).get(unit_id=demo["coso"])
    other = (UnitVersion.objects.on(today()).filter(kind=UnitKind.GRASSROOTS_COMMITTEE)
             .exclude(unit_id=coso.unit_id).order_by("path").first())  # fmt: skip
    user = User(username="khac", role=Role.GRASSROOTS_STAFF, unit_id=other.unit_id)
    user.set_password("demo")
    user.save()
    return "khac", other.unit_id


# --- who may ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["khoi", "coso"])
def test_staff_in_scope_open_and_save_the_form(as_user, demo, who):
    member = chibo_member(demo)
    client = as_user(who)
    page = client.get(url(member))
    assert page.status_code == 200
    assert 'name="updated_at"' in page.content.decode()
    response = client.post(url(member), form_data(member, workplace="Sở Tài chính thành phố"))
    assert response.status_code == 302 and response["Location"] == f"/dang-vien/{member.pk}/"
    member.refresh_from_db()
    assert member.workplace == "Sở Tài chính thành phố"
    detail = client.get(f"/dang-vien/{member.pk}/").content.decode()
    assert 'id="edit-record"' in detail


def test_the_cell_secretary_reads_but_does_not_edit(as_user, demo):
    member = chibo_member(demo)
    client = as_user("chibo")
    assert client.get(url(member)).status_code == 403
    assert client.post(url(member), form_data(member, workplace="X")).status_code == 403
    assert 'id="edit-record"' not in client.get(f"/dang-vien/{member.pk}/").content.decode()
    member.refresh_from_db()
    assert member.workplace != "X"


def test_outsiders_get_404(as_user, demo, other_staff):
    member = chibo_member(demo)
    assert as_user("khac").get(url(member)).status_code == 404
    assert as_user("khac").post(url(member), form_data(member, workplace="X")).status_code == 404
    assert as_user("xem").get(url(member)).status_code == 404
    member.refresh_from_db()
    assert member.workplace != "X"


def test_a_former_member_is_refused_with_a_message(as_user, demo, other_staff):
    member = chibo_member(demo)
    other = UnitVersion.objects.on(today()).get(unit_id=other_staff[1]).path
    cell = UnitVersion.objects.on(today()).filter(kind=UnitKind.ATTACHED_CELL, path__startswith=other).first()
    actions.transfer_within(None, member, unit=cell.unit, effective_on=datetime.date(2026, 3, 1))
    client = as_user("coso")
    assert client.get(f"/dang-vien/{member.pk}/").status_code == 200  # still readable
    page = client.get(url(member))
    assert page.status_code == 400
    assert "không còn thuộc phạm vi quản lý" in page.content.decode()
    response = client.post(url(member), form_data(member, workplace="Nơi mới"))
    assert response.status_code == 400
    member.refresh_from_db()
    assert member.workplace != "Nơi mới"
    # The committee holding them now may.
    response = as_user("khac").post(url(member), form_data(member, workplace="Nơi mới"))
    assert response.status_code == 302


def test_a_dated_change_on_a_day_outside_the_scope_is_refused(as_user, demo, other_staff):
    # A member who came into chibo's cell from another committee: coso cannot date a change before that.
    other = UnitVersion.objects.on(today()).get(unit_id=other_staff[1]).path
    stints = Stint.unscoped.filter(kind="official", end__isnull=True, start__lt=datetime.date(2024, 1, 1))
    member = stints.filter(unit__versions__path__startswith=other).select_related("member").first().member
    arrived = datetime.date(2026, 3, 1)
    chibo = UnitVersion.objects.get(unit_id=demo["chibo"]).unit
    actions.transfer_within(None, member, unit=chibo, effective_on=arrived)
    member.refresh_from_db()
    level = "so_cap" if member.theory_level != "so_cap" else "trung_cap"
    client = as_user("coso")
    response = client.post(url(member), form_data(member, theory_level=level, effective_on="2025-06-01"))
    assert response.status_code == 400
    assert "không sinh hoạt trong phạm vi quản lý của đơn vị" in response.content.decode()
    assert not AttributeChange.unscoped.filter(member=member).exists()
    response = client.post(url(member), form_data(member, theory_level=level, effective_on=arrived.isoformat()))
    assert response.status_code == 302
    assert AttributeChange.unscoped.get(member=member).effective_on == arrived


# --- the workbook's rules, and what was typed comes back -------------------------------------------------


@pytest.mark.parametrize(
    "field, typed, message",
    [
        ("citizen_id", "12345", "12 chữ số"),
        ("citizen_id", "03120000123a", "12 chữ số"),
        ("card_number", "1234", "8 chữ số"),
        ("birth_date", "2030-01-01", "Ngày sinh"),
        ("birth_date", "31/02/1980", ""),
        ("sex", "X", ""),
        ("theory_level", "tien_si", ""),
        ("given_name", "", "bắt buộc"),
    ],
)
def test_bad_input_keeps_what_was_typed_and_writes_nothing(as_user, demo, field, typed, message):
    member = chibo_member(demo)
    audits = AuditEntry.objects.count()
    response = as_user("coso").post(url(member), form_data(member, **{field: typed, "workplace": "Nơi đã gõ"}))
    assert response.status_code == 400
    form = response.context["form"]
    assert field in form.errors
    assert all(is_vietnamese(e) for e in form.errors[field]), form.errors
    assert message in " ".join(form.errors[field])
    html = response.content.decode()
    assert 'value="Nơi đã gõ"' in html  # the other fields as typed
    if typed and field not in ("sex", "theory_level"):
        assert f'value="{typed}"' in html
    fresh = Member.unscoped.get(pk=member.pk)
    assert fresh.workplace == member.workplace and fresh.updated_at == member.updated_at
    assert AuditEntry.objects.count() == audits


def test_a_citizen_id_of_another_member_is_refused(as_user, demo):
    member, other = chibo_member(demo), Member.unscoped.exclude(citizen_id=None).exclude(citizen_id="").last()
    assert other.pk != member.pk
    response = as_user("coso").post(url(member), form_data(member, citizen_id=other.citizen_id))
    assert response.status_code == 400
    assert "đã có trong hồ sơ một đảng viên khác" in " ".join(response.context["form"].errors["citizen_id"])
    assert Member.unscoped.get(pk=member.pk).citizen_id == member.citizen_id


def test_a_card_number_of_another_member_is_refused(as_user, demo):
    member = chibo_member(demo)
    other = Member.unscoped.exclude(pk=member.pk).filter(card_number__regex=r"^[0-9]{8}$").first()
    response = as_user("coso").post(url(member), form_data(member, card_number=other.card_number))
    assert response.status_code == 400
    assert "đã có trong hồ sơ" in " ".join(response.context["form"].errors["card_number"])


def test_a_mistyped_citizen_id_is_corrected(as_user, demo):
    member = chibo_member(demo)
    response = as_user("coso").post(url(member), form_data(member, citizen_id="001099012345"))
    assert response.status_code == 302
    assert Member.unscoped.get(pk=member.pk).citizen_id == "001099012345"


def test_a_record_with_an_old_identity_card_number_can_still_be_edited(demo):
    member = chibo_member(demo)
    Member.unscoped.filter(pk=member.pk).update(citizen_id="031234567")
    member.refresh_from_db()
    assert actions.edit_member(None, member, {"workplace": "Nơi khác"}) == ["workplace"]
    with pytest.raises(ValidationError):
        actions.edit_member(None, member, {"citizen_id": "031234568"})


# --- the optimistic check ----------------------------------------------------------------------------------


def test_an_edit_of_a_record_changed_meanwhile_is_refused(as_user, demo):
    member = chibo_member(demo)
    client = as_user("coso")
    drawn = client.get(url(member)).context["form"].initial["updated_at"]
    # Someone else saves the record in between.
    meanwhile = Member.unscoped.get(pk=member.pk)
    actions.edit_member(None, meanwhile, {"residence": "Phường Lê Chân"}, seen_at=member.updated_at)
    audits = AuditEntry.objects.count()
    data = form_data(member, workplace="Sở Nội vụ", updated_at=drawn)
    response = client.post(url(member), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "vừa được người khác sửa" in html
    assert 'value="Sở Nội vụ"' in html
    fresh = Member.unscoped.get(pk=member.pk)
    assert fresh.workplace == member.workplace and fresh.residence == "Phường Lê Chân"
    assert AuditEntry.objects.count() == audits


def test_sending_the_same_form_twice_writes_once_and_is_not_a_conflict(as_user, demo):
    member = chibo_member(demo)
    client = as_user("coso")
    data = form_data(member, workplace="Sở Xây dựng")
    assert client.post(url(member), data).status_code == 302
    assert client.post(url(member), data).status_code == 302  # nothing left to change
    assert AuditEntry.objects.filter(action="update_member", target_id=str(member.pk)).count() == 1


# --- the audit and the history ------------------------------------------------------------------------------


def test_the_audit_keeps_before_and_after_and_the_page_shows_the_history(as_user, demo):
    member = chibo_member(demo)
    old_workplace = member.workplace
    client = as_user("coso")
    client.post(url(member), form_data(member, workplace="Ban Tuyên giáo Thành ủy",
                                       union_position="Chủ tịch Công đoàn"))  # fmt: skip
    entry = AuditEntry.objects.get(action="update_member", target_id=str(member.pk))
    assert entry.actor.username == "coso"
    assert entry.before["workplace"] == old_workplace and entry.after["workplace"] == "Ban Tuyên giáo Thành ủy"
    assert entry.after["union_position"] == "Chủ tịch Công đoàn"
    html = client.get(f"/dang-vien/{member.pk}/").content.decode()
    section = html[html.index('id="record-history"'):]
    assert "Ban Tuyên giáo Thành ủy" in section and "Nơi làm việc" in section
    assert (old_workplace or "—") in section
    assert "sửa thông tin (mọi ngày)" in section
    # The cell secretary reads the history too.
    assert "Ban Tuyên giáo Thành ủy" in as_user("chibo").get(f"/dang-vien/{member.pk}/").content.decode()


def test_the_member_page_with_a_history_costs_a_few_queries(as_user, demo, django_assert_max_num_queries):
    member = chibo_member(demo)
    client = as_user("coso")
    for place in ("A", "B", "C"):
        client.post(url(member), form_data(Member.unscoped.get(pk=member.pk), workplace=place))
    with django_assert_max_num_queries(24):
        assert client.get(f"/dang-vien/{member.pk}/").status_code == 200


# --- dated changes: the theory level in force on each date --------------------------------------------------


def hand_theory_counts(path: str, on: datetime.date) -> Counter:
    """Members counted under `path` on `on` by the theory level in force that day, by hand: the
    stints and members by SQL, the dated changes applied in Python."""
    sql = """
        SELECT m.id, m.theory_level FROM members_stint s
        JOIN members_member m ON m.id = s.member_id
        JOIN orgs_unitversion v ON v.unit_id = s.unit_id
             AND v.valid_from <= %s AND (v.valid_to IS NULL OR v.valid_to > %s)
        WHERE s.kind = 'official' AND s.start <= %s AND (s."end" IS NULL OR s."end" > %s) AND v.path LIKE %s
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [on, on, on, on, path + "%"])
        people = cursor.fetchall()
        cursor.execute("SELECT member_id, effective_on, previous, id FROM members_attributechange "
                       "WHERE attribute = 'theory_level'")  # fmt: skip
        changes = cursor.fetchall()
    later = {}
    for member_id, effective_on, previous, _ in sorted(changes, key=lambda c: (str(c[1]), c[3])):
        if not isinstance(effective_on, datetime.date):  # SQLite returns text
            effective_on = datetime.date.fromisoformat(effective_on)
        if effective_on > on and member_id not in later:
            later[member_id] = previous
    return Counter(later.get(member_id, level) for member_id, level in people)


def overview_theory(client, on: datetime.date) -> Counter:
    members = client.get(f"/?date={on.isoformat()}").context["overview"].total.members
    return Counter({level: members[f"theory_{level}"] for level in LEVELS})


def test_a_dated_theory_change_moves_the_figures_from_that_day_only(as_user, demo):
    member = chibo_member(demo, theory="none")
    khoi = as_user("khoi")
    root = UnitVersion.objects.on(LATER).get(unit_id=demo["root"]).path
    before = {day: overview_theory(khoi, day) for day in (EARLIER, LATER)}
    for day in (EARLIER, LATER):
        assert before[day] == hand_theory_counts(root, day)
    response = as_user("coso").post(url(member), form_data(member, theory_level="trung_cap",
                                                           effective_on=CHANGED_ON.isoformat()))  # fmt: skip
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.theory_level == "trung_cap"
    change = AttributeChange.unscoped.get(member=member)
    assert (change.attribute, change.previous, change.value, change.effective_on) == (
        "theory_level", "none", "trung_cap", CHANGED_ON)
    khoi = as_user("khoi")
    after = {day: overview_theory(khoi, day) for day in (EARLIER, LATER)}
    assert after[EARLIER] == before[EARLIER]  # the earlier date does not change
    assert after[LATER]["trung_cap"] == before[LATER]["trung_cap"] + 1
    assert after[LATER]["none"] == before[LATER]["none"] - 1
    for day in (EARLIER, CHANGED_ON - datetime.timedelta(days=1), CHANGED_ON, LATER, today()):
        assert overview_theory(khoi, day) == hand_theory_counts(root, day), day
    # The rows written by the difference are those a full refresh writes.
    rows = sorted(UnitTally.objects.values_list("unit_id", "valid_from", "valid_to", "theory_none", "theory_trung_cap",
                                                "total"))  # fmt: skip
    refresh_tallies()
    assert rows == sorted(UnitTally.objects.values_list("unit_id", "valid_from", "valid_to", "theory_none",
                                                        "theory_trung_cap", "total"))  # fmt: skip
    # The member's page says the level of an earlier day.
    html = khoi.get(f"/dang-vien/{member.pk}/?date={EARLIER.isoformat()}").content.decode()
    assert "Trung cấp" in html and f"tại ngày {EARLIER:%d/%m/%Y}: Chưa qua đào tạo" in html


def test_a_correction_without_a_date_changes_every_date(as_user, demo):
    member = chibo_member(demo, theory="none")
    khoi = as_user("khoi")
    before = overview_theory(khoi, EARLIER)
    assert as_user("coso").post(url(member), form_data(member, theory_level="so_cap")).status_code == 302
    after = overview_theory(as_user("khoi"), EARLIER)
    assert after["so_cap"] == before["so_cap"] + 1 and after["none"] == before["none"] - 1
    assert not AttributeChange.unscoped.filter(member=member).exists()


def test_two_dated_changes_and_the_figures_between_them(demo):
    member = chibo_member(demo, theory="none")
    cell = UnitVersion.objects.on(LATER).get(unit_id=demo["chibo"]).path
    actions.edit_member(None, member, {"theory_level": "so_cap"}, effective_on=datetime.date(2024, 3, 1))
    actions.edit_member(None, member, {"theory_level": "trung_cap"}, effective_on=CHANGED_ON)
    for day in (datetime.date(2024, 2, 29), datetime.date(2024, 3, 1), EARLIER, CHANGED_ON, LATER):
        from dangbo.members.figures import subtree_figures

        version = UnitVersion.objects.on(day).get(unit_id=demo["chibo"])
        counts = subtree_figures(version, day)[version.path]
        assert Counter({lv: counts[f"theory_{lv}"] for lv in LEVELS}) == +hand_theory_counts(cell, day), day
    # A change dated before the latest one is refused.
    with pytest.raises(ValidationError) as refused:
        actions.edit_member(None, member, {"theory_level": "cao_cap"}, effective_on=EARLIER)
    assert "từ ngày 01/06/2025" in " ".join(refused.value.messages)


def test_a_date_without_a_dated_change_is_refused(as_user, demo):
    member = chibo_member(demo)
    response = as_user("coso").post(url(member), form_data(member, workplace="Nơi mới",
                                                           effective_on=EARLIER.isoformat()))  # fmt: skip
    assert response.status_code == 400
    assert "chỉ dùng khi thay đổi lý luận chính trị hoặc chức vụ" in " ".join(
        response.context["form"].errors["effective_on"])
    assert Member.unscoped.get(pk=member.pk).workplace != "Nơi mới"


def test_positions_keep_their_dated_history(demo):
    member = chibo_member(demo)
    actions.edit_member(None, member, {"party_position": "Phó Bí thư chi bộ", "government_position": "Trưởng phòng"},
                        effective_on=CHANGED_ON)  # fmt: skip
    changes = {c.attribute: c for c in AttributeChange.unscoped.filter(member=member)}
    assert set(changes) == {"party_position", "government_position"}
    assert changes["party_position"].value == "Phó Bí thư chi bộ"
    entry = AuditEntry.objects.get(action="update_member", target_id=str(member.pk))
    assert entry.note == "Có hiệu lực từ ngày 01/06/2025"


def test_a_birth_date_change_moves_the_age_bands_as_a_full_refresh_would(demo):
    member = chibo_member(demo)
    actions.edit_member(None, member, {"birth_date": member.birth_date - datetime.timedelta(days=3650), "sex":
                                       "F" if member.sex == "M" else "M"})  # fmt: skip
    rows = sorted(r[1:] for r in UnitTally.objects.values_list())
    refresh_tallies()
    assert rows == sorted(r[1:] for r in UnitTally.objects.values_list())


def test_the_theory_indicator_lists_the_level_in_force_at_the_end_of_the_period(demo):
    from dangbo.targets.indicators import _theory_records

    member = chibo_member(demo, theory="none")
    actions.edit_member(None, member, {"theory_level": "cao_cap"}, effective_on=CHANGED_ON)
    earlier = {s.member_id for s in _theory_records(demo["coso"], datetime.date(2024, 1, 1), EARLIER).items}
    later = _theory_records(demo["coso"], datetime.date(2025, 1, 1), LATER)
    assert member.pk not in earlier
    assert member.pk in {s.member_id for s in later.items}


def test_an_import_correcting_a_theory_level_moves_the_figures_as_a_refresh_would(demo):
    from tests.test_import import member as row
    from tests.test_import import plan, three_units, workbook

    plan(workbook(three_units(), [row(0)]), commit=True, refused=False)
    imported = Member.unscoped.get(citizen_id=row(0)["citizen_id"])
    assert imported.theory_level == "none" and not AttributeChange.unscoped.filter(member=imported).exists()
    plan(workbook(three_units(), [row(0, theory_level="Trung cấp")]), commit=True, refused=False)
    imported.refresh_from_db()
    assert imported.theory_level == "trung_cap"
    rows = sorted(r[1:] for r in UnitTally.objects.values_list())
    refresh_tallies()
    assert rows == sorted(r[1:] for r in UnitTally.objects.values_list())


def test_the_register_of_a_date_shows_the_level_and_positions_of_that_date(demo):
    """Mẫu 7-HSĐV of a day before a dated change prints the values held that day; of a later day, the
    new ones."""
    import io

    from openpyxl import load_workbook

    from dangbo.members.registers import register_workbook

    member = chibo_member(demo, theory="none")
    actions.edit_member(None, member, {"theory_level": "cao_cap", "party_position": "Phó Bí thư chi bộ"},
                        effective_on=CHANGED_ON)  # fmt: skip

    def line(day):
        version = UnitVersion.objects.on(day).get(unit_id=demo["chibo"])
        sheet = load_workbook(io.BytesIO(register_workbook(version, day))).active
        [row] = [r for r in sheet.iter_rows(values_only=True) if r[1] and str(r[1]).startswith(member.full_name)]
        return row[4] or ""

    assert "Cao cấp" not in line(EARLIER) and "Cao cấp" in line(LATER)
