"""Accounts in bulk for superior staff: the scope's accounts page, creation one per unit or from a
list, one-time passwords shown once (page and workbook), the forced change at first login,
disabling and re-enabling, a new one-time password."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import Workbook, load_workbook

from dangbo.accounts import actions
from dangbo.accounts.models import Role, User
from dangbo.accounts.scope import Scope
from dangbo.audit.models import AuditEntry
from dangbo.lib.http import today
from dangbo.orgs.models import UnitKind, UnitVersion
from tests.helpers import is_vietnamese

PASSWORD = re.compile(r'class="secret password">([^<]+)<')
SLIP_USER = re.compile(r'<dt>Tên đăng nhập</dt><dd class="secret">([^<]+)<')


def slips(response) -> dict[str, str]:
    html = response.content.decode()
    return dict(zip(SLIP_USER.findall(html), PASSWORD.findall(html)))


def eligible_ids(username: str) -> list[int]:
    actor = User.objects.get(username=username)
    scope = Scope(unit_id=actor.unit_id, sees_people=True, records=True)
    return [version.unit_id for version, _ in actions.eligible_units(actor, scope)]


def subtree(unit_id: int) -> list[UnitVersion]:
    root = UnitVersion.objects.on(today()).get(unit_id=unit_id)
    return list(UnitVersion.objects.on(today()).under(root.path))


def create_for_units(client, unit_ids, **extra):
    return client.post("/tai-khoan/tao-hang-loat/", {"mode": "units", "unit": unit_ids, **extra})


def new_login(username: str, password: str) -> Client:
    browser = Client()
    response = browser.post("/dang-nhap/", {"username": username, "password": password})
    assert response.status_code == 302, response.content.decode()[:2000]
    return browser


# --- who may come in -------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/tai-khoan/", "/tai-khoan/tao-hang-loat/"])
def test_only_staff_manage_accounts(as_user, client, url):
    client.logout()
    assert client.get(url).status_code == 302  # to the login page
    assert as_user("xem").get(url).status_code == 404
    assert as_user("chibo").get(url).status_code == 403
    assert as_user("coso").get(url).status_code == 200
    assert as_user("khoi").get(url).status_code == 200


def test_outsiders_accounts_answer_404(as_user, outsider):
    username, _ = outsider
    ngoai, khoi = User.objects.get(username=username), User.objects.get(username="khoi")
    client = as_user("coso")
    for account in (ngoai, khoi):
        for action in ("khoa", "mo-khoa", "cap-lai-mat-khau"):
            assert client.post(f"/tai-khoan/{account.pk}/{action}/").status_code == 404
    assert client.post("/tai-khoan/99999999/khoa/").status_code == 404
    ngoai.refresh_from_db()
    assert ngoai.is_active and ngoai.check_password("demo")
    assert "ngoai" not in client.get("/tai-khoan/").content.decode()
    assert "ngoai" in as_user("khoi").get("/tai-khoan/").content.decode()


def test_menu_shows_accounts_and_password_change(as_user):
    for username, sees in (("khoi", True), ("coso", True), ("chibo", False), ("xem", False)):
        html = as_user(username).get("/").content.decode()
        assert ('href="/tai-khoan/"' in html) is sees, username
        assert 'href="/doi-mat-khau/"' in html


# --- the list --------------------------------------------------------------------------------------


def test_account_list_columns_filters_and_search(as_user, demo):
    client = as_user("khoi")
    html = client.get("/tai-khoan/").content.decode()
    assert "chibo" in html and "coso" in html and "xem" in html
    chibo_cell = UnitVersion.objects.on(today()).get(unit_id=demo["chibo"])
    parent = UnitVersion.objects.on(today()).get(unit_id=chibo_cell.parent_id)
    assert f"{chibo_cell.name} — {parent.name}" in html
    assert "hoạt động" in html and "Bí thư chi bộ" in html
    # Without diacritics, by name: Phạm Thị Lan is chibo.
    found = client.get("/tai-khoan/", {"q": "pham thi lan"}).content.decode()
    assert "chibo" in found and "khoi" not in found
    only_cells = client.get("/tai-khoan/", {"role": Role.CELL_SECRETARY}).content.decode()
    assert "chibo" in only_cells and ">coso<" not in only_cells
    User.objects.filter(username="chibo").update(is_active=False)
    locked = client.get("/tai-khoan/", {"status": "da-khoa"}).content.decode()
    assert "chibo" in locked and ">coso<" not in locked and "đã khóa" in locked
    by_unit = client.get("/tai-khoan/", {"unit": demo["coso"]}).content.decode()
    assert ">coso<" in by_unit and ">chibo<" not in by_unit
    # coso sees their own subtree only.
    theirs = as_user("coso").get("/tai-khoan/").content.decode()
    assert ">chibo<" in theirs and ">khoi<" not in theirs and ">xem<" not in theirs
    committee, root = (UnitVersion.objects.on(today()).get(unit_id=demo[k]) for k in ("coso", "root"))
    assert f"{committee.name} — {root.name}" in theirs


def test_account_list_queries_do_not_grow_with_accounts(as_user, django_assert_max_num_queries):
    client = as_user("khoi")
    with django_assert_max_num_queries(8):
        assert client.get("/tai-khoan/").status_code == 200
    create_for_units(client, eligible_ids("khoi"))
    assert User.objects.count() > 20
    with django_assert_max_num_queries(8):
        assert client.get("/tai-khoan/").status_code == 200


# --- one account per unit --------------------------------------------------------------------------


def test_coso_creates_one_account_per_cell_with_passwords_shown_once(as_user, demo):
    client = as_user("coso")
    wanted = eligible_ids("coso")
    cells = [v for v in subtree(demo["coso"]) if v.kind == UnitKind.ATTACHED_CELL and v.unit_id != demo["chibo"]]
    assert sorted(wanted) == sorted(v.unit_id for v in cells) and wanted
    audits = AuditEntry.objects.filter(action="account_create").count()
    response = create_for_units(client, wanted)
    assert response.status_code == 302
    page_url = response["Location"]
    created = User.objects.filter(unit_id__in=wanted)
    assert created.count() == len(wanted)
    assert {u.role for u in created} == {Role.CELL_SECRETARY}
    assert all(u.must_change_password and u.is_active for u in created)
    codes = {v.unit_id: v.unit.code.lower() for v in cells}
    assert {u.username for u in created} == set(codes.values())
    assert AuditEntry.objects.filter(action="account_create").count() == audits + len(wanted)
    entry = AuditEntry.objects.filter(action="account_create").latest("pk")
    assert entry.actor.username == "coso" and "password" not in entry.after

    page = client.get(page_url)
    shown = slips(page)
    assert set(shown) == set(codes.values())
    html = page.content.decode()
    assert "http://testserver/dang-nhap/" in html and "đổi ngay mật khẩu" in html
    for username, password in shown.items():
        assert len(password) == actions.PASSWORD_LENGTH
        assert User.objects.get(username=username).check_password(password)
        assert password not in str(list(AuditEntry.objects.values_list("before", "after", "note")))

    workbook = client.get(page_url + "mat-khau.xlsx")
    assert workbook.status_code == 200
    sheet = load_workbook(io.BytesIO(workbook.content)).active
    cells_text = [[str(c) if c is not None else "" for c in row] for row in sheet.iter_rows(values_only=True)]
    for username, password in shown.items():
        assert any(username in row and password in row for row in cells_text), username
    # Once shown and downloaded, they are gone: the workbook and the page say so.
    again = client.get(page_url + "mat-khau.xlsx")
    assert again.status_code == 302 and again["Location"] == page_url
    reloaded = client.get(page_url).content.decode()
    assert not PASSWORD.findall(reloaded) and "không còn xem được" in reloaded
    assert not any(p in reloaded for p in shown.values())
    # No one else's session has them either.
    other = as_user("khoi").get(page_url).content.decode()
    assert not PASSWORD.findall(other)


def test_reloading_the_page_before_downloading_drops_the_passwords(as_user):
    client = as_user("coso")
    page_url = create_for_units(client, eligible_ids("coso")[:1])["Location"]
    assert len(slips(client.get(page_url))) == 1
    assert not slips(client.get(page_url))
    assert client.get(page_url + "mat-khau.xlsx").status_code == 302


def test_khoi_creates_accounts_with_roles_by_kind(as_user, demo):
    client = as_user("khoi")
    wanted = eligible_ids("khoi")
    versions = {v.unit_id: v for v in subtree(demo["root"]) if v.unit_id in set(wanted)}
    kinds = {v.kind for v in versions.values()}
    assert {UnitKind.GRASSROOTS_COMMITTEE, UnitKind.ATTACHED_CELL} <= kinds
    assert UnitKind.SUB_COMMITTEE not in kinds and demo["coso"] not in versions and demo["chibo"] not in versions
    assert create_for_units(client, wanted).status_code == 302
    for user in User.objects.filter(unit_id__in=wanted):
        assert user.role == actions.ROLE_BY_KIND[versions[user.unit_id].kind], user.username
    assert User.objects.filter(unit_id__in=wanted).count() == len(wanted)
    # Now every unit has its account: nothing left to offer.
    assert "Mọi tổ chức cơ sở đảng và chi bộ" in client.get("/tai-khoan/tao-hang-loat/").content.decode()


def test_double_submit_creates_no_duplicates(as_user):
    client = as_user("coso")
    wanted = eligible_ids("coso")
    form = {"mode": "units", "unit": wanted, "form_token": "a" * 32}
    first = client.post("/tai-khoan/tao-hang-loat/", form)
    count = User.objects.count()
    second = client.post("/tai-khoan/tao-hang-loat/", form)
    assert second.status_code == 302 and second["Location"] == first["Location"]
    assert User.objects.count() == count
    # The same units sent again from a fresh form: a clear message, nothing created.
    third = create_for_units(client, wanted)
    assert third.status_code == 200 and "đều đã có tài khoản" in third.content.decode()
    assert User.objects.count() == count
    for unit_id in wanted:
        assert User.objects.filter(unit_id=unit_id, role=Role.CELL_SECRETARY).count() == 1


def test_username_made_unique(as_user):
    client = as_user("coso")
    unit_id = eligible_ids("coso")[0]
    code = UnitVersion.objects.on(today()).get(unit_id=unit_id).unit.code.lower()
    User.objects.create(username=code.upper())  # an account already has the name (in another case)
    create_for_units(client, [unit_id])
    assert User.objects.get(unit_id=unit_id).username == f"{code}-2"


# --- from a list -----------------------------------------------------------------------------------


def csv_upload(rows, name="danh-sach.csv"):
    buffer = io.StringIO()
    csv.writer(buffer).writerows([["Mã đơn vị", "Họ và tên", "Tên đăng nhập", "Vai trò"], *rows])
    return SimpleUploadedFile(name, buffer.getvalue().encode("utf-8-sig"), content_type="text/csv")


def test_list_with_bad_rows_is_refused_whole(as_user, demo, outsider):
    client = as_user("coso")
    cell = UnitVersion.objects.on(today()).get(unit_id=eligible_ids("coso")[0])
    outside = UnitVersion.objects.on(today()).get(unit_id=outsider[1])
    before = User.objects.count(), AuditEntry.objects.count()
    upload = csv_upload([
        [cell.unit.code, "Nguyễn Văn An", "nguyenvanan", ""],  # good
        ["KHONG-CO", "Trần Thị Bình", "", ""],  # no such unit
        [outside.unit.code, "Lê Văn Cường", "", ""],  # outside coso's scope
        [cell.unit.code, "", "", ""],  # no name
        [cell.unit.code, "Phạm Văn Dũng", "nguyenvanan", ""],  # the same username twice
        [cell.unit.code, "Hoàng Thị Em", "chibo", ""],  # username taken
        [cell.unit.code, "Vũ Văn Phúc", "", "Thủ tướng"],  # no such role
        [cell.unit.code, "Đỗ Thị Giang", "", "Cán bộ tổ chức cơ sở đảng"],  # not for an attached cell
        [cell.unit.code, "Ngô Văn Hải", "tên có dấu", ""],  # bad username
        [cell.unit.code, "=HYPERLINK(\"x\")", "", ""],  # a formula
    ])  # fmt: skip
    response = client.post("/tai-khoan/tao-hang-loat/", {"mode": "list", "file": upload})
    assert response.status_code == 200
    html = response.content.decode()
    assert "chưa tạo tài khoản nào" in html
    for expected in ("Dòng 3, cột “Mã đơn vị”", "Dòng 4, cột “Mã đơn vị”", "Dòng 5, cột “Họ và tên”",
                     "Dòng 6, cột “Tên đăng nhập”", "Dòng 7, cột “Tên đăng nhập”", "Dòng 8, cột “Vai trò”",
                     "Dòng 9, cột “Vai trò”", "Dòng 10, cột “Tên đăng nhập”", "Dòng 11, cột “Họ và tên”"):  # fmt: skip
        assert expected in html, expected
    assert "Dòng 2," not in html
    assert (User.objects.count(), AuditEntry.objects.count()) == before
    problems = re.findall(r"<li>(Dòng[^<]+)</li>", html)
    assert len(problems) == 9 and all(is_vietnamese(p) for p in problems)


def test_list_from_xlsx_creates_every_row(as_user, demo):
    client = as_user("khoi")
    committee = UnitVersion.objects.on(today()).get(unit_id=demo["coso"])
    cell = UnitVersion.objects.on(today()).get(unit_id=eligible_ids("coso")[0])
    book = Workbook()
    sheet = book.active
    sheet.append(["Danh sách tài khoản"])  # a title above the header
    sheet.append(["STT", "Mã đơn vị", "Họ và tên", "Tên đăng nhập", "Vai trò"])
    sheet.append([1, committee.unit.code, "Nguyễn Thị Hường", "huong.nt", "Người xem số liệu tổng hợp"])
    sheet.append([2, cell.unit.code, "Bùi Văn Khánh", None, None])
    sheet.append([3, committee.unit.code, "Đặng Văn Long", None, "grassroots_staff"])
    buffer = io.BytesIO()
    book.save(buffer)
    upload = SimpleUploadedFile("ds.xlsx", buffer.getvalue())
    response = client.post("/tai-khoan/tao-hang-loat/", {"mode": "list", "file": upload})
    assert response.status_code == 302, response.content.decode()[-3000:]
    huong = User.objects.get(username="huong.nt")
    assert (huong.role, huong.unit_id, huong.get_full_name()) == (Role.VIEWER, demo["coso"], "Nguyễn Thị Hường")
    khanh = User.objects.get(last_name="Bùi Văn", first_name="Khánh")
    assert khanh.role == Role.CELL_SECRETARY and khanh.username == cell.unit.code.lower()
    long_ = User.objects.get(first_name="Long")
    assert long_.role == Role.GRASSROOTS_STAFF and long_.username == committee.unit.code.lower()
    assert len(slips(client.get(response["Location"]))) == 3


def test_coso_cannot_create_a_peer_from_a_list(as_user, demo):
    client = as_user("coso")
    committee = UnitVersion.objects.on(today()).get(unit_id=demo["coso"])
    upload = csv_upload([[committee.unit.code, "Trịnh Văn Minh", "", ""]])
    response = client.post("/tai-khoan/tao-hang-loat/", {"mode": "list", "file": upload})
    assert response.status_code == 200 and "Dòng 2, cột “Vai trò”" in response.content.decode()
    assert not User.objects.filter(first_name="Minh", last_name="Trịnh Văn").exists()


def test_a_file_that_is_no_list(as_user):
    client = as_user("coso")
    upload = SimpleUploadedFile("x.pdf", b"%PDF-1.4 nothing")
    response = client.post("/tai-khoan/tao-hang-loat/", {"mode": "list", "file": upload})
    assert response.status_code == 200 and "phải là sổ Excel (.xlsx) hoặc tệp CSV" in response.content.decode()
    response = client.post("/tai-khoan/tao-hang-loat/", {"mode": "list"})
    assert response.status_code == 200 and "Hãy chọn tệp danh sách" in response.content.decode()
    response = client.post("/tai-khoan/tao-hang-loat/", {"mode": "units"})
    assert response.status_code == 200 and "Hãy chọn ít nhất một đơn vị" in response.content.decode()


# --- the first login -------------------------------------------------------------------------------


def test_one_time_password_forces_a_change_then_works(as_user):
    client = as_user("coso")
    unit_id = eligible_ids("coso")[0]
    (username, password), = slips(client.get(create_for_units(client, [unit_id])["Location"])).items()  # fmt: skip
    browser = new_login(username, password)
    response = browser.get("/dang-vien/")
    assert response.status_code == 302 and response["Location"].startswith("/doi-mat-khau/")
    assert browser.get("/").status_code == 302
    assert browser.get("/tai-khoan/").status_code == 302
    page = browser.get(response["Location"]).content.decode()
    assert "mật khẩu tạm thời" in page
    # Django's validators, in Vietnamese.
    weak = browser.post("/doi-mat-khau/", {"old_password": password, "new_password1": "abc", "new_password2": "abc"})
    assert weak.status_code == 200 and "quá ngắn" in weak.content.decode()
    common = browser.post(
        "/doi-mat-khau/", {"old_password": password, "new_password1": "password", "new_password2": "password"}
    )
    assert "quá phổ biến" in common.content.decode()
    same = browser.post("/doi-mat-khau/", {"old_password": password, "new_password1": password,
                                            "new_password2": password})  # fmt: skip
    assert "phải khác mật khẩu hiện tại" in same.content.decode()
    wrong = browser.post("/doi-mat-khau/", {"old_password": "sai", "new_password1": "Ca-phe-sua-da-2026",
                                             "new_password2": "Ca-phe-sua-da-2026"})  # fmt: skip
    assert "Mật khẩu hiện tại không đúng" in wrong.content.decode()
    assert User.objects.get(username=username).must_change_password
    done = browser.post("/doi-mat-khau/", {"old_password": password, "new_password1": "Ca-phe-sua-da-2026",
                                            "new_password2": "Ca-phe-sua-da-2026", "next": "/dang-vien/"})  # fmt: skip
    assert done.status_code == 302 and done["Location"] == "/dang-vien/"
    user = User.objects.get(username=username)
    assert not user.must_change_password and user.check_password("Ca-phe-sua-da-2026")
    assert browser.get("/dang-vien/").status_code == 200  # still logged in, no more detour
    assert AuditEntry.objects.filter(action="password_change", target_id=str(user.pk), actor=user).exists()
    # The one-time password is no more.
    assert not Client().login(username=username, password=password)


def test_voluntary_password_change(as_user):
    client = as_user("chibo")
    assert client.get("/doi-mat-khau/").status_code == 200
    done = client.post("/doi-mat-khau/", {"old_password": "demo", "new_password1": "Bun-cha-Ha-Noi-1",
                                           "new_password2": "Bun-cha-Ha-Noi-1"})  # fmt: skip
    assert done.status_code == 302 and done["Location"] == "/"
    assert User.objects.get(username="chibo").check_password("Bun-cha-Ha-Noi-1")


def test_logout_allowed_while_change_is_due(as_user):
    User.objects.filter(username="chibo").update(must_change_password=True)
    client = as_user("chibo")
    assert client.get("/dang-vien/")["Location"].startswith("/doi-mat-khau/")
    assert client.post("/dang-xuat/").status_code == 302
    assert client.get("/dang-vien/")["Location"].startswith("/dang-nhap/")


# --- disable, re-enable, reset ---------------------------------------------------------------------


def test_disable_prevents_login_and_reenable_restores(as_user):
    client = as_user("khoi")
    chibo = User.objects.get(username="chibo")
    logged_in = new_login("chibo", "demo")
    response = client.post(f"/tai-khoan/{chibo.pk}/khoa/", {"next": "/tai-khoan/?status=da-khoa"})
    assert response.status_code == 302 and response["Location"] == "/tai-khoan/?status=da-khoa"
    chibo.refresh_from_db()
    assert not chibo.is_active
    entry = AuditEntry.objects.filter(action="account_disable", target_id=str(chibo.pk)).get()
    assert entry.before["is_active"] is True and entry.after["is_active"] is False and entry.actor.username == "khoi"
    # Refused at the login page, and the open session ends.
    refused = Client().post("/dang-nhap/", {"username": "chibo", "password": "demo"})
    assert refused.status_code == 200
    assert logged_in.get("/dang-vien/")["Location"].startswith("/dang-nhap/")
    # Twice: a message, no second audit.
    client.post(f"/tai-khoan/{chibo.pk}/khoa/")
    assert AuditEntry.objects.filter(action="account_disable", target_id=str(chibo.pk)).count() == 1
    assert client.post(f"/tai-khoan/{chibo.pk}/mo-khoa/").status_code == 302
    chibo.refresh_from_db()
    assert chibo.is_active
    entry = AuditEntry.objects.filter(action="account_enable", target_id=str(chibo.pk)).get()
    assert entry.before["is_active"] is False and entry.after["is_active"] is True
    new_login("chibo", "demo")
    assert client.get("/tai-khoan/khoa/").status_code == 404
    assert client.get(f"/tai-khoan/{chibo.pk}/khoa/").status_code == 405


def test_nobody_disables_themselves_or_their_peers(as_user):
    khoi, coso, xem = (User.objects.get(username=n) for n in ("khoi", "coso", "xem"))
    client = as_user("khoi")
    response = client.post(f"/tai-khoan/{khoi.pk}/khoa/", follow=True)
    assert "không thể tự khóa" in response.content.decode()
    # A committee's staff do not lock each other out; a superior committee's viewer is theirs to manage.
    peer = User.objects.create(username="khoi2", role=Role.SUPERIOR_STAFF, unit_id=khoi.unit_id)
    assert "do cấp trên quản lý" in client.post(f"/tai-khoan/{peer.pk}/khoa/", follow=True).content.decode()
    client.post(f"/tai-khoan/{xem.pk}/khoa/")
    coso_client = as_user("coso")
    coso_client.post(f"/tai-khoan/{coso.pk}/khoa/")
    for user in (khoi, peer, coso):
        user.refresh_from_db()
        assert user.is_active
    xem.refresh_from_db()
    assert not xem.is_active
    assert not AuditEntry.objects.filter(action="account_disable", target_id__in=[str(khoi.pk), str(peer.pk),
                                                                                  str(coso.pk)]).exists()  # fmt: skip


def test_reset_gives_a_new_one_time_password(as_user):
    client = as_user("coso")
    chibo = User.objects.get(username="chibo")
    response = client.post(f"/tai-khoan/{chibo.pk}/cap-lai-mat-khau/")
    assert response.status_code == 302
    (username, password), = slips(client.get(response["Location"])).items()  # fmt: skip
    assert username == "chibo"
    chibo.refresh_from_db()
    assert chibo.must_change_password and chibo.check_password(password) and not chibo.check_password("demo")
    entry = AuditEntry.objects.filter(action="account_password_reset", target_id=str(chibo.pk)).get()
    assert entry.before["must_change_password"] is False and entry.after["must_change_password"] is True
    browser = new_login("chibo", password)
    assert browser.get("/")["Location"].startswith("/doi-mat-khau/")
    # A reset without its form token writes nothing.
    client.post(f"/tai-khoan/{chibo.pk}/cap-lai-mat-khau/", {"form_token": None})
    chibo.refresh_from_db()
    assert chibo.check_password(password)


def test_one_time_passwords_are_readable():
    for _ in range(50):
        password = actions.new_password()
        assert len(password) == 10 and not set(password) & set("0O1lI")
        assert any(c.isdigit() for c in password) and any(c.isalpha() for c in password)


# --- at once ---------------------------------------------------------------------------------------


@pytest.fixture
def committed_demo(transactional_db) -> dict:
    from tests.conftest import committed_demo_back

    return committed_demo_back()


def test_simultaneous_creations_make_each_account_once(committed_demo):
    from tests.test_concurrency import at_once, fresh, identical

    wanted = eligible_ids("coso")
    count = User.objects.count()
    # Twenty forms of the same units: one creates, the others are told; never a 5xx, never a duplicate.
    statuses = at_once("coso", "/tai-khoan/tao-hang-loat/", fresh({"mode": "units", "unit": wanted}))
    assert sorted(statuses) == [200] * (len(statuses) - 1) + [302], statuses
    assert User.objects.count() == count + len(wanted)
    for unit_id in wanted:
        assert User.objects.filter(unit_id=unit_id, role=Role.CELL_SECRETARY).count() == 1
    # One form sent twenty times: all are sent to its result.
    more = eligible_ids("khoi")
    statuses = at_once("khoi", "/tai-khoan/tao-hang-loat/", identical({"mode": "units", "unit": more}))
    assert statuses == [302] * len(statuses), statuses
    assert User.objects.count() == count + len(wanted) + len(more)


def test_one_time_passwords_hash_fast_and_are_rehashed_at_first_login(db, settings):
    from django.contrib.auth import authenticate
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    user = User(username="mot-lan", must_change_password=True)
    actions.set_one_time_password(user, "abcDEF3456")
    user.save()
    algorithm, iterations, *_ = user.password.split("$")
    assert algorithm == "pbkdf2_sha256" and int(iterations) == actions.ONE_TIME_ITERATIONS
    assert authenticate(None, username="mot-lan", password="abcDEF3456") == user
    user.refresh_from_db()
    assert int(user.password.split("$")[1]) == PBKDF2PasswordHasher.iterations
    assert user.check_password("abcDEF3456")
