"""The audit log on screen (/nhat-ky/), its export, the member page's own history, and the reads of
personal data that are logged."""

from __future__ import annotations

import datetime
import io
import re
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from dangbo.accounts.models import Role, User
from dangbo.audit.labels import LABELS
from dangbo.audit.models import AuditEntry, Kind
from dangbo.lib.http import today
from dangbo.members.models import Member, Stint
from dangbo.orgs.models import UnitKind, UnitVersion

URL, EXPORT = "/nhat-ky/", "/nhat-ky/tai-ve/"
MOVED_ON = datetime.date(2022, 4, 1)


def _entry(unit_id, day, action="update_member", member=None, actor=None, kind=Kind.WRITE, note=""):
    entry = AuditEntry.objects.create(actor=actor, action=action, kind=kind, day=day, unit_id=unit_id,
                                      member=member, target_type="orgs.unit", target_id=str(unit_id or 0),
                                      before={"name": "Cũ"}, after={"name": "Mới"}, note=note)  # fmt: skip
    return entry


def _ids(response) -> set[int]:
    return {int(i) for i in re.findall(r'id="entry-(\d+)"', response.content.decode())}


def _cell_outside_coso(demo) -> int:
    coso_path = UnitVersion.objects.on(today()).get(unit_id=demo["coso"]).path
    return (
        UnitVersion.objects.on(today()).filter(kind=UnitKind.ATTACHED_CELL).exclude(path__startswith=coso_path)
        .order_by("path").first().unit_id
    )  # fmt: skip


def _member_of(cell_id) -> Member:
    stint = Stint.unscoped.filter(unit_id=cell_id, end__isnull=True, kind="official").order_by("member_id").first()
    return stint.member


# --- who may open it -------------------------------------------------------------------------------------


def test_staff_open_it(as_user):
    for username in ("khoi", "coso"):
        response = as_user(username).get(URL)
        assert response.status_code == 200
        assert "Nhật ký thao tác" in response.content.decode()


def test_cell_secretary_is_refused_like_on_the_accounts_page(as_user):
    client = as_user("chibo")
    assert client.get("/tai-khoan/").status_code == 403
    assert client.get(URL).status_code == 403
    assert client.get(EXPORT).status_code == 403


def test_viewer_gets_404(as_user):
    assert as_user("xem").get(URL).status_code == 404
    assert as_user("xem").get(EXPORT).status_code == 404


def test_anonymous_is_sent_to_login(client, demo):
    response = client.get(URL)
    assert response.status_code == 302 and "/dang-nhap/" in response["Location"]


def test_menu_links_it_for_staff_only(as_user):
    assert 'href="/nhat-ky/"' in as_user("coso").get("/").content.decode()
    assert 'href="/nhat-ky/"' not in as_user("chibo").get("/").content.decode()


# --- the scope ---------------------------------------------------------------------------------------------


def test_khoi_sees_everything_coso_only_its_subtree(as_user, demo):
    inside = _entry(demo["chibo"], today())
    outside = _entry(_cell_outside_coso(demo), today())
    nowhere = _entry(None, today(), action="open_rating_round")
    shown_khoi = _ids(as_user("khoi").get(URL))
    assert {inside.pk, outside.pk, nowhere.pk} <= shown_khoi
    shown_coso = _ids(as_user("coso").get(URL))
    assert inside.pk in shown_coso
    assert outside.pk not in shown_coso
    assert nowhere.pk not in shown_coso  # unplaced entries: the root of the tree only


def test_a_moved_cell_shows_its_entries_to_each_committee_for_its_own_time(as_user, demo):
    moved = []
    for version in UnitVersion.objects.filter(valid_from=MOVED_ON, kind=UnitKind.ATTACHED_CELL):
        before = UnitVersion.objects.filter(unit_id=version.unit_id, valid_to=MOVED_ON).first()
        if before is not None and before.parent_id != version.parent_id:
            moved.append((version.unit_id, before.parent_id, version.parent_id))
    [(cell, old, new)] = moved
    for name, unit in (("cu", old), ("moi", new)):
        user = User(username=name, role=Role.GRASSROOTS_STAFF, unit_id=unit)
        user.set_password("demo")
        user.save()
    earlier = _entry(cell, MOVED_ON - datetime.timedelta(days=10))
    later = _entry(cell, MOVED_ON + datetime.timedelta(days=10))
    shown_old = _ids(as_user("cu").get(URL, {"unit": "", "to": "2022-12-31"}))
    assert earlier.pk in shown_old and later.pk not in shown_old
    shown_new = _ids(as_user("moi").get(URL, {"to": "2022-12-31"}))
    assert later.pk in shown_new and earlier.pk not in shown_new


# --- filters ---------------------------------------------------------------------------------------------


def test_filters(as_user, demo):
    khoi, coso = User.objects.get(username="khoi"), User.objects.get(username="coso")
    member = _member_of(demo["chibo"])
    a = _entry(demo["chibo"], today(), actor=khoi, member=member)
    b = _entry(demo["coso"], today() - datetime.timedelta(days=40), actor=coso, action="change_unit")
    c = _entry(demo["chibo"], today(), actor=coso, kind=Kind.READ, action="member_view", member=member)
    client = as_user("khoi")
    by_actor = _ids(client.get(URL, {"actor": khoi.pk}))
    assert a.pk in by_actor and b.pk not in by_actor and c.pk not in by_actor
    by_action = _ids(client.get(URL, {"action": "change_unit"}))
    assert b.pk in by_action and a.pk not in by_action
    by_unit = _ids(client.get(URL, {"unit": demo["chibo"]}))
    assert {a.pk, c.pk} <= by_unit and b.pk not in by_unit
    by_committee = _ids(client.get(URL, {"unit": demo["coso"]}))  # the unit's subtree
    assert {a.pk, b.pk, c.pk} <= by_committee
    day = today() - datetime.timedelta(days=40)
    by_dates = _ids(client.get(URL, {"from": day.strftime("%d/%m/%Y"), "to": day.strftime("%d/%m/%Y")}))
    assert b.pk in by_dates and a.pk not in by_dates
    by_kind = _ids(client.get(URL, {"kind": "read", "member": member.pk}))
    assert c.pk in by_kind and a.pk not in by_kind
    by_member = _ids(client.get(URL, {"member": member.pk}))
    assert {a.pk, c.pk} <= by_member and b.pk not in by_member


def test_a_bad_date_is_said_and_ignored(as_user):
    response = as_user("khoi").get(URL, {"from": "31/02/2026"})
    assert response.status_code == 200
    assert "không hợp lệ" in response.content.decode()


def test_rows_read_in_vietnamese_with_the_changed_fields(as_user, demo):
    member = _member_of(demo["chibo"])
    entry = AuditEntry.objects.create(
        actor=User.objects.get(username="coso"), action="update_member", day=today(), unit_id=demo["chibo"],
        member=member, target_type="members.member", target_id=str(member.pk),
        before={"occupation": "Nông dân", "birth_date": "1980-01-02"},
        after={"occupation": "Kỹ sư", "birth_date": "1980-01-02"},
    )  # fmt: skip
    page = as_user("coso").get(URL, {"member": member.pk}).content.decode()
    row = page[page.index(f'id="entry-{entry.pk}"') :].split("</tr>")[0]
    assert "Sửa hồ sơ đảng viên" in row
    assert "Nông dân → Kỹ sư" in row
    label = str(Member._meta.get_field("occupation").verbose_name).capitalize()
    assert label in row  # the field's verbose name, not its code
    assert "occupation" not in row and "birth_date" not in row  # unchanged fields are not listed
    assert f'href="/dang-vien/{member.pk}/"' in row
    assert "coso" in row


def test_every_action_code_in_the_code_base_has_a_label():
    root = Path(__file__).resolve().parent.parent / "dangbo"
    codes = set()
    patterns = [
        r'\brecord\(\s*[\w.]+,\s*"([a-z_]+)"',
        r'\brecord_read\(\s*request,\s*"([a-z_]+)"',
        r'\brecord\(\s*[\w.]+,\s*"([a-z_]+)" if [^"]+ else "([a-z_]+)"',
        r'\baction = "([a-z_]+)" if [^"]+ else "([a-z_]+)"',
        r'\("([a-z_]+)", "[^"]*"\) if \w+ else \("([a-z_]+)"',
        r'\b_save\(\w+, \w+, "([a-z_]+)"',
        r'\b(?:_save_self|_write_decisions|_issue)\([^()]*"([a-z_]+)"\)',
    ]
    for path in root.rglob("*.py"):
        text = path.read_text()
        for pattern in patterns:
            for found in re.findall(pattern, text):
                codes |= set(found) if isinstance(found, tuple) else {found}
    assert len(codes) > 40
    missing = {c for c in codes if c not in LABELS and not c.startswith("event_")}
    assert not missing, missing


# --- the export --------------------------------------------------------------------------------------------


def test_export_holds_the_filtered_rows_and_is_logged(as_user, demo):
    marker = "Dòng riêng của bài kiểm tra xuất nhật ký"
    _entry(demo["chibo"], today(), action="change_unit", note=marker)
    _entry(demo["chibo"], today(), action="update_member", note="không thuộc bộ lọc")
    client = as_user("coso")
    response = client.get(EXPORT, {"action": "change_unit", "unit": demo["chibo"]})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [[cell for cell in row] for row in sheet.iter_rows(values_only=True)]
    texts = [" ".join(str(v) for v in row if v is not None) for row in values]
    assert any(marker in t for t in texts)
    assert not any("không thuộc bộ lọc" in t for t in texts)
    assert all("Thay đổi tổ chức đảng" in t for t in texts if "Cũ → Mới" in t)
    logged = AuditEntry.objects.filter(action="audit_export").latest("pk")
    assert logged.kind == Kind.READ and logged.actor.username == "coso" and logged.unit_id == demo["coso"]
    assert logged.after["filters"]["action"] == "change_unit"


# --- reads ---------------------------------------------------------------------------------------------


def test_opening_a_member_page_is_logged_and_shows_on_the_log(as_user, demo):
    member = _member_of(demo["chibo"])
    client = as_user("coso")
    assert client.get(f"/dang-vien/{member.pk}/").status_code == 200
    read = AuditEntry.objects.filter(action="member_view").latest("pk")
    assert (read.kind, read.actor.username) == (Kind.READ, "coso")
    assert (read.member_id, read.unit_id) == (member.pk, demo["chibo"])
    assert read.pk in _ids(client.get(URL, {"kind": "read"}))


def test_sheet_register_and_data_export_are_logged(as_user, demo):
    member = _member_of(demo["chibo"])
    client = as_user("coso")
    before = AuditEntry.objects.filter(kind=Kind.READ).count()
    assert client.get(f"/dang-vien/{member.pk}/phieu/").status_code == 200
    sheet = AuditEntry.objects.filter(action="member_sheet").latest("pk")
    assert (sheet.member_id, sheet.unit_id) == (member.pk, demo["chibo"])
    client.get("/dang-vien/so-danh-sach/", {"unit": demo["chibo"]})
    client.get("/xuat-du-lieu/tai-ve/")
    assert AuditEntry.objects.filter(kind=Kind.READ).count() >= before + 2


def test_anonymous_reads_are_not_logged(client, demo):
    before = AuditEntry.objects.count()
    client.get(f"/dang-vien/{_member_of(demo['chibo']).pk}/")
    assert AuditEntry.objects.count() == before


# --- the member page's own history ------------------------------------------------------------------------


def test_member_page_shows_its_own_history_to_staff(as_user, demo):
    member = _member_of(demo["chibo"])
    neighbour = Stint.unscoped.filter(unit_id=demo["chibo"]).exclude(member=member).first().member
    mine = _entry(demo["chibo"], today(), member=member, note="Ghi chú về chính đảng viên này")
    _entry(demo["chibo"], today(), member=neighbour, note="Của người khác")
    page = as_user("coso").get(f"/dang-vien/{member.pk}/").content.decode()
    assert 'id="member-audit"' in page and mine.note in page and "Của người khác" not in page
    assert f"/nhat-ky/?member={member.pk}" in page
    # A cell secretary reads the record but not the log.
    page = as_user("chibo").get(f"/dang-vien/{member.pk}/").content.decode()
    assert 'id="member-audit"' not in page


# --- cost --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["khoi", "coso"])
def test_query_count_is_bounded(as_user, demo, username, django_assert_max_num_queries):
    member = _member_of(demo["chibo"])
    for day in range(30):
        _entry(demo["chibo"], today() - datetime.timedelta(days=day), member=member)
    client = as_user(username)
    client.get(URL)  # the session and the user, read once
    with CaptureQueriesContext(connection) as few:
        client.get(URL, {"kind": "write"})
    for day in range(200):
        _entry(demo["coso"], today() - datetime.timedelta(days=day % 50), member=member)
    with django_assert_max_num_queries(16), CaptureQueriesContext(connection) as many:
        response = client.get(URL)
    assert response.status_code == 200
    assert len(many) <= len(few) + 1, [q["sql"] for q in many.captured_queries]
