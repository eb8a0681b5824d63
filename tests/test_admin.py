"""The back office (Django admin) as the demo superuser `admin`, and refusal of other personas."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from dangbo.accounts.models import User
from dangbo.audit.models import AuditEntry
from dangbo.members.actions import admit, transfer_in
from dangbo.members.models import Member
from dangbo.orgs.actions import found_unit
from dangbo.orgs.models import Unit, UnitKind, UnitVersion

from .conftest import login
from .helpers import form_data, form_value

d = datetime.date


@pytest.fixture
def admin_client(client, demo):
    return login(client, "admin")




def counts() -> tuple[int, int, int]:
    return Unit.objects.count(), UnitVersion.objects.count(), AuditEntry.objects.count()


# --- pages ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/admin/",
        "/admin/orgs/unit/",
        "/admin/orgs/unitversion/",
        "/admin/orgs/term/",
        "/admin/members/member/",
        "/admin/accounts/user/",
        "/admin/audit/auditentry/",
        "/admin/orgs/unit/add/",
    ],
)
def test_admin_pages_answer(admin_client, url):
    response = admin_client.get(url)
    assert response.status_code == 200, url
    assert response.context["user"].username == "admin"


def test_changelists_show_demo_rows(admin_client):
    response = admin_client.get("/admin/orgs/unit/")
    assert response.context["cl"].result_count == Unit.objects.count() > 0
    response = admin_client.get("/admin/members/member/")
    assert response.context["cl"].result_count == Member.unscoped.count() > 4000


def test_member_and_unit_change_pages_answer(admin_client):
    member = Member.unscoped.filter(stints__isnull=False).first()
    assert admin_client.get(f"/admin/members/member/{member.pk}/change/").status_code == 200
    unit = UnitVersion.objects.filter(depth=0).first().unit
    assert admin_client.get(f"/admin/orgs/unit/{unit.pk}/change/").status_code == 200


# --- member search ----------------------------------------------------------------------------------


@pytest.fixture
def huong(demo):
    fields = dict(
        family_name="Nguyễn", middle_name="Thị", given_name="Hường", sex="F", birth_date=d(1990, 3, 8),
        card_number="99887766",
    )  # fmt: skip
    return admit(None, fields, unit=None, other_side="Đảng bộ Tỉnh Quảng Ninh", effective_on=d(2015, 2, 3))


@pytest.mark.parametrize("term", ["nguyen thi huong", "Nguyễn Thị Hường", "NGUYEN THI HUONG", "thi huong"])
def test_admin_member_search_folds_diacritics(admin_client, huong, term):
    response = admin_client.get("/admin/members/member/", {"q": term})
    assert response.status_code == 200
    found = response.context["cl"].queryset
    assert found.filter(pk=huong.pk).exists()
    # Only matching members: the admin searches word by word, and every hit folds to contain each word.
    names = list(found.values_list("search_name", flat=True))
    assert all("thi" in name and "huong" in name for name in names), names
    assert found.count() < Member.unscoped.count()


def test_admin_member_search_does_not_match_a_different_name(admin_client, huong):
    response = admin_client.get("/admin/members/member/", {"q": "nguyen thi huongx"})
    assert not response.context["cl"].queryset.filter(pk=huong.pk).exists()


# --- adding a unit ------------------------------------------------------------------------------------


def add_unit_data(admin_client, **fields) -> dict:
    response = admin_client.get("/admin/orgs/unit/add/")
    data = form_data(response)
    if "kind" in fields:  # the back office chooses a form; a kind names its default form
        fields["form"] = fields.pop("kind")
    data.update({key: form_value(value) for key, value in fields.items()})
    return data


@pytest.fixture
def fresh_root(demo):
    return found_unit(None, name="Đảng bộ Thử nghiệm", kind=UnitKind.SUPERIOR, parent=None, on=d(2020, 1, 1))


@pytest.fixture
def fresh_grassroots_cell(fresh_root):
    return found_unit(
        None, name="Chi bộ cơ sở Thử nghiệm", kind=UnitKind.GRASSROOTS_CELL, parent=fresh_root, on=d(2020, 1, 1)
    )


def test_admin_add_unit_with_forbidden_parent_kind_shows_the_error_and_writes_nothing(
    admin_client, fresh_grassroots_cell
):
    data = add_unit_data(
        admin_client,
        code="TN-ADMIN-1",
        name="Chi bộ sai chỗ",
        kind=UnitKind.ATTACHED_CELL,
        parent=fresh_grassroots_cell.pk,
        valid_from=d(2021, 1, 1),
        decision="QĐ 1",
    )
    before = counts()
    response = admin_client.post("/admin/orgs/unit/add/", data)
    assert response.status_code == 200
    content = response.content.decode()
    assert "Chi bộ trực thuộc chỉ được đặt dưới" in content
    assert "không được đặt dưới Chi bộ cơ sở" in content
    assert response.context["adminform"].form.errors
    assert counts() == before
    assert not Unit.objects.filter(code="TN-ADMIN-1").exists()


def test_admin_add_unit_dated_before_the_parent_shows_the_error(admin_client, fresh_root):
    data = add_unit_data(
        admin_client,
        name="Đảng bộ quá sớm",
        kind=UnitKind.GRASSROOTS_COMMITTEE,
        parent=fresh_root.pk,
        valid_from=d(2019, 1, 1),
    )
    before = counts()
    response = admin_client.post("/admin/orgs/unit/add/", data)
    assert response.status_code == 200
    assert "không tồn tại vào ngày 01/01/2019" in response.content.decode()
    assert counts() == before


def test_admin_add_valid_unit_goes_through_found_unit(admin_client, fresh_root):
    data = add_unit_data(
        admin_client,
        code="TN-ADMIN-2",
        name="Đảng bộ Công ty Thử nghiệm",
        kind=UnitKind.GRASSROOTS_COMMITTEE,
        parent=fresh_root.pk,
        valid_from=d(2021, 1, 1),
        decision="QĐ 2",
    )
    before_units, before_versions, _ = counts()
    mark = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first()
    response = admin_client.post("/admin/orgs/unit/add/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    unit = Unit.objects.get(code="TN-ADMIN-2")
    assert Unit.objects.count() == before_units + 1
    assert UnitVersion.objects.count() == before_versions + 1
    version = unit.versions.get()
    assert (version.name, version.kind, version.parent_id) == (
        "Đảng bộ Công ty Thử nghiệm",
        UnitKind.GRASSROOTS_COMMITTEE,
        fresh_root.pk,
    )
    assert (version.valid_from, version.valid_to, version.decision) == (d(2021, 1, 1), None, "QĐ 2")
    assert version.path == UnitVersion.objects.get(unit=fresh_root).path + f"{unit.pk:08d}"
    entries = list(AuditEntry.objects.filter(pk__gt=mark))
    assert len(entries) == 1
    entry = entries[0]
    assert entry.action == "found_unit"
    assert entry.actor.username == "admin"
    assert entry.target_id == str(unit.pk)
    assert entry.before is None
    assert entry.after["name"] == "Đảng bộ Công ty Thử nghiệm"


# --- editing a member ---------------------------------------------------------------------------------


def test_admin_edit_member_occupation_is_audited(admin_client):
    member = Member.unscoped.filter(stints__isnull=False).exclude(occupation="Kỹ sư phần mềm").first()
    stints = member.stints.count()
    assert stints > 0
    url = f"/admin/members/member/{member.pk}/change/"
    response = admin_client.get(url)
    data = form_data(response)
    assert data["stints-TOTAL_FORMS"] == str(stints)
    old_occupation = member.occupation
    data["occupation"] = "Kỹ sư phần mềm"
    mark = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first()
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""

    member.refresh_from_db()
    assert member.occupation == "Kỹ sư phần mềm"
    assert member.stints.count() == stints
    entries = list(AuditEntry.objects.filter(pk__gt=mark))
    assert len(entries) == 1
    entry = entries[0]
    assert entry.action == "admin_change"
    assert entry.actor.username == "admin"
    assert (entry.target_type, entry.target_id) == ("members.member", str(member.pk))
    assert entry.before["occupation"] == old_occupation
    assert entry.after["occupation"] == "Kỹ sư phần mềm"
    # Nothing else changed, except the timestamp.
    changed = {k for k in entry.after if entry.after[k] != entry.before[k]}
    assert changed <= {"occupation", "updated_at"}
    assert "occupation" in changed


def test_admin_edit_member_with_a_stint_added_by_the_action(admin_client, huong):
    cell = UnitVersion.objects.on(d(2024, 9, 30)).filter(kind=UnitKind.ATTACHED_CELL).first().unit
    transfer_in(None, huong, unit=cell, effective_on=d(2024, 1, 1), other_side="Đảng bộ Tỉnh Quảng Ninh")
    url = f"/admin/members/member/{huong.pk}/change/"
    data = form_data(admin_client.get(url))
    data["workplace"] = "Công ty Thử nghiệm"
    response = admin_client.post(url, data)
    assert response.status_code == 302
    huong.refresh_from_db()
    assert huong.workplace == "Công ty Thử nghiệm"
    # The derived columns are kept.
    assert huong.search_name == "nguyen thi huong"


def test_admin_edit_user_is_audited(admin_client):
    user = User.objects.get(username="coso")
    url = f"/admin/accounts/user/{user.pk}/change/"
    data = form_data(admin_client.get(url))
    data["first_name"] = "Mạnh"
    mark = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first()
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    user.refresh_from_db()
    assert user.first_name == "Mạnh"
    assert user.check_password("demo")
    entry = AuditEntry.objects.get(pk__gt=mark)
    assert (entry.action, entry.actor.username) == ("admin_change", "admin")
    assert (entry.before["first_name"], entry.after["first_name"]) == ("Minh", "Mạnh")
    assert entry.after["role"] == user.role and entry.after["unit_id"] == user.unit_id


def test_admin_edit_user_does_not_copy_the_password_hash_into_the_audit_log(admin_client):
    user = User.objects.get(username="coso")
    url = f"/admin/accounts/user/{user.pk}/change/"
    data = form_data(admin_client.get(url))
    data["last_name"] = "Lê Văn Mới"
    mark = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first()
    assert admin_client.post(url, data).status_code == 302
    entry = AuditEntry.objects.get(pk__gt=mark)
    assert entry.after["last_name"] == "Lê Văn Mới"
    for snap in (entry.before, entry.after):
        assert user.password not in snap.values()
        assert not any(str(value).startswith("md5$") for value in snap.values())


def test_admin_password_change_is_audited(admin_client):
    user = User.objects.get(username="coso")
    mark = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first()
    response = admin_client.post(
        f"/admin/accounts/user/{user.pk}/password/",
        {"password1": "Ma-khau-moi-2024!", "password2": "Ma-khau-moi-2024!", "usable_password": "true"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Ma-khau-moi-2024!")
    entries = list(AuditEntry.objects.filter(pk__gt=mark))
    assert len(entries) == 1
    assert entries[0].actor.username == "admin"
    assert entries[0].target_id == str(user.pk)


# --- who may enter ------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["khoi", "coso", "chibo", "xem"])
def test_personas_without_staff_status_are_turned_away(client, demo, username):
    user = User.objects.get(username=username)
    assert not user.is_staff
    login(client, username)
    for url in ("/admin/", "/admin/members/member/", "/admin/audit/auditentry/"):
        response = client.get(url)
        assert response.status_code != 200, url
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("admin:login")), response.url


def test_anonymous_is_turned_away(client, demo):
    response = client.get("/admin/members/member/")
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_audit_entries_are_read_only_in_admin(admin_client):
    entry = AuditEntry.objects.first()
    assert admin_client.get("/admin/audit/auditentry/add/").status_code == 403
    assert admin_client.get(f"/admin/audit/auditentry/{entry.pk}/delete/").status_code == 403
    before = AuditEntry.objects.count()
    admin_client.post(f"/admin/audit/auditentry/{entry.pk}/change/", {"action": "falsified"})
    assert AuditEntry.objects.count() == before
    entry.refresh_from_db()
    assert entry.action != "falsified"


def test_admin_edit_of_a_counted_field_updates_the_figures(admin_client, demo):
    """Sex is counted: changing it in the back office moves the member between the overview's
    columns on the same request (the tallies of the member's units are refreshed)."""
    from dangbo.demo.builder import REFERENCE_DAY
    from dangbo.members.figures import subtree_figures
    from dangbo.members.models import Stint

    cell = UnitVersion.objects.on(REFERENCE_DAY).get(unit_id=demo["chibo"])
    stint = Stint.unscoped.official().open_on(REFERENCE_DAY).filter(unit_id=cell.unit_id, member__sex="M").first()
    before = subtree_figures(cell, REFERENCE_DAY)[cell.path]
    url = f"/admin/members/member/{stint.member_id}/change/"
    data = form_data(admin_client.get(url))
    data["sex"] = "F"
    assert admin_client.post(url, data).status_code == 302
    after = subtree_figures(cell, REFERENCE_DAY)[cell.path]
    assert after.get("female", 0) == before.get("female", 0) + 1
    assert after.get("male", 0) == before.get("male", 0) - 1
    assert after["total"] == before["total"]
    # Up the tree too: coso's committee, as a row of the whole committee, against hand-written SQL.
    from tests.test_overview import hand_member_counts

    root = UnitVersion.objects.on(REFERENCE_DAY).get(unit_id=demo["root"])
    coso_path = UnitVersion.objects.on(REFERENCE_DAY).get(unit_id=demo["coso"]).path
    assert (
        subtree_figures(root, REFERENCE_DAY)[coso_path]["female"]
        == (hand_member_counts(coso_path, REFERENCE_DAY)["female"])
    )
