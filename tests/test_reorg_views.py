"""The reorganisation pages: as khoi, merge two of the demo's grassroots committees from a new
effective date through the pages — form, preview, confirmation —; the reference day's figures stay
62 · 10 · 442 · 4.466 and the day after shows the merged unit with the sum of both. Double
submission, bad input and personas out of scope."""

import datetime
import re

import lxml.html
import pytest

from dangbo.accounts.menu import menu_for
from dangbo.accounts.models import User
from dangbo.audit.models import AuditEntry
from dangbo.members.figures import subtree_figures
from dangbo.once.tokens import new_key
from dangbo.orgs.models import CELL_KINDS, UnitVersion
from tests.conftest import committed_demo_back
from tests.helpers import row_counts
from tests.test_reorg import D, quiet_committees

DECISION = {"decision_number": "125-QĐ/ĐUK", "signed_on": "2026-09-20", "issuing_body": "Ban Thường vụ Đảng ủy Khối",
            "effective_on": D.isoformat()}  # fmt: skip


def figures(response) -> dict[str, int]:
    html = response.content.decode()
    return {key: int(value.replace(".", "")) for key, value in re.findall(r'data-figure="(\w+)">([\d.]+)<', html)}


def posted_back(response, form_id="confirm-form") -> dict:
    """What the browser sends with the form's submit button "confirmed": its hidden fields as drawn."""
    data: dict = {}
    for field in lxml.html.fromstring(response.content).xpath(f'//form[@id="{form_id}"]//input[@type="hidden"]'):
        data.setdefault(field.name, []).append(field.value or "")
    return {name: values if len(values) > 1 else values[0] for name, values in data.items()} | {"confirmed": "1"}


def merge_data(demo, a, b) -> dict:
    return {**DECISION, "sources": [a.unit_id, b.unit_id], "receiver": "new", "new_name": "Đảng bộ Khối Hợp nhất",
            "new_form": "grassroots_committee", "new_parent": demo["root"]}  # fmt: skip


def test_khoi_merges_two_committees_through_the_pages(as_user, demo):
    client = as_user("khoi")
    a, b = quiet_committees(demo)
    on_d = subtree_figures(UnitVersion.objects.on(D).get(unit_id=demo["root"]), D)
    members = on_d[a.path]["total"] + on_d[b.path]["total"]
    assert client.get("/sap-xep/").status_code == 200
    assert client.get("/sap-xep/hop-nhat/").status_code == 200

    preview = client.post("/sap-xep/hop-nhat/", merge_data(demo, a, b))
    assert preview.status_code == 200, preview.content.decode()[:3000]
    html = preview.content.decode()
    assert "Xem trước" in html and a.name in html and b.name in html and "Giải thể (2)" in html
    moved = UnitVersion.objects.on(D).filter(parent_id__in=[a.unit_id, b.unit_id]).count()
    assert f"Tổ chức chuyển ({moved})" in html
    assert f"<b>{members:,}</b> đảng viên".replace(",", ".") in html
    assert "Quyết định số 125-QĐ/ĐUK ngày 20/09/2026 của Ban Thường vụ Đảng ủy Khối" in html
    assert not UnitVersion.objects.filter(name="Đảng bộ Khối Hợp nhất").exists()  # the preview wrote nothing
    fingerprint = preview.context["fingerprint"]

    confirm = posted_back(preview)
    assert confirm["expected"] == fingerprint and sorted(map(int, confirm["sources"])) == sorted([a.unit_id, b.unit_id])
    done = client.post("/sap-xep/hop-nhat/", confirm)
    assert done.status_code == 302
    merged = UnitVersion.objects.get(name="Đảng bộ Khối Hợp nhất")
    assert done["Location"] == f"/to-chuc/{merged.unit_id}/?date={D.isoformat()}"
    assert AuditEntry.objects.filter(action="reorg_merge").count() == 1

    # The same form sent again (a double click): sent to the result, nothing written twice.
    again = client.post("/sap-xep/hop-nhat/", confirm)
    assert again.status_code == 302 and AuditEntry.objects.filter(action="reorg_merge").count() == 1
    # Another confirmation of the same preview (a second person): refused in Vietnamese, no 5xx.
    other = client.post("/sap-xep/hop-nhat/", {**confirm, "form_token": new_key()})
    assert other.status_code == 400
    assert "đã giải thể từ ngày 01/10/2026" in other.content.decode()
    assert AuditEntry.objects.filter(action="reorg_merge").count() == 1

    reference = client.get("/?date=2024-09-30")
    assert {k: figures(reference)[k] for k in ("grassroots", "sub_committees", "attached_cells", "members")} == {
        "grassroots": 62, "sub_committees": 10, "attached_cells": 442, "members": 4466}  # fmt: skip
    day_after = (D + datetime.timedelta(days=1)).isoformat()
    page = client.get(f"/to-chuc/{merged.unit_id}/?date={day_after}")
    assert page.status_code == 200
    assert figures(page)["members"] == members
    overview = client.get(f"/?date={day_after}").content.decode()
    assert "Đảng bộ Khối Hợp nhất" in overview and a.name not in overview


def test_bad_input_comes_back_with_a_message_and_writes_nothing(as_user, demo):
    client = as_user("khoi")
    a, _b = quiet_committees(demo)
    cell = UnitVersion.objects.on(D).filter(parent_id=a.unit_id, kind__in=CELL_KINDS).first()
    before = row_counts()
    response = client.post("/sap-xep/hop-nhat/", merge_data(demo, a, cell))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Chỉ hợp nhất các tổ chức cùng loại" in html
    assert 'value="125-QĐ/ĐUK"' in html  # the form keeps the input
    # A cell left with its members.
    response = client.post("/sap-xep/giai-the/", {**DECISION, "unit": cell.unit_id})
    assert response.status_code == 400 and "Không thể giải thể" in response.content.decode()
    # A unit under one of its own sub-units.
    response = client.post("/sap-xep/chuyen-truc-thuoc/", {**DECISION, "unit": a.unit_id, "parent": cell.unit_id})
    assert response.status_code == 400 and a.name in response.content.decode()
    assert row_counts() == before


def test_rename_through_the_pages(as_user, demo):
    client = as_user("khoi")
    a, _b = quiet_committees(demo)
    data = {**DECISION, "unit": a.unit_id, "name": "Đảng bộ Tên Mới"}
    preview = client.post("/sap-xep/doi-ten/", data)
    assert preview.status_code == 200 and "Đảng bộ Tên Mới" in preview.content.decode()
    done = client.post("/sap-xep/doi-ten/", posted_back(preview))
    assert done.status_code == 302
    assert UnitVersion.objects.on(D).get(unit_id=a.unit_id).name == "Đảng bộ Tên Mới"
    assert UnitVersion.objects.on(D - datetime.timedelta(days=1)).get(unit_id=a.unit_id).name == a.name


def test_bulk_transfer_page(as_user, demo):
    from tests.test_reorg import _official, _quiet_cells

    client = as_user("khoi")
    x, y = _quiet_cells(demo)[:2]
    members = sorted(_official(x.unit_id, D))[:2]
    assert client.get("/sap-xep/chuyen-sinh-hoat/").status_code == 200
    page = client.get(f"/sap-xep/chuyen-sinh-hoat/?cell={x.unit_id}")
    assert page.status_code == 200
    data = {**DECISION, "members": members, "to": y.unit_id}
    preview = client.post(f"/sap-xep/chuyen-sinh-hoat/?cell={x.unit_id}", data)
    assert preview.status_code == 200 and "Đảng viên chuyển sinh hoạt (2)" in preview.content.decode()
    done = client.post(f"/sap-xep/chuyen-sinh-hoat/?cell={x.unit_id}", posted_back(preview))
    assert done.status_code == 302
    assert set(members) <= _official(y.unit_id, D)


def test_split_page_lists_every_member_of_a_cell(as_user, demo):
    from tests.test_reorg import _official, _quiet_cells

    client = as_user("khoi")
    x = _quiet_cells(demo)[0]
    page = client.get(f"/sap-xep/chia-tach/?unit={x.unit_id}")
    assert page.status_code == 200
    members = _official(x.unit_id, D)
    data = {**DECISION, "name_0": "Chi bộ A", "name_1": "Chi bộ B"}
    data |= {f"member_{m}": str(i % 2) for i, m in enumerate(sorted(members))}
    preview = client.post(f"/sap-xep/chia-tach/?unit={x.unit_id}", data)
    assert preview.status_code == 200, preview.content.decode()[-2000:]
    assert f"Đảng viên chuyển sinh hoạt ({len(members)})" in preview.content.decode()
    # A member sent to a destination that was not named.
    bad = client.post(f"/sap-xep/chia-tach/?unit={x.unit_id}", {**data, f"member_{min(members)}": "2"})
    assert bad.status_code == 400
    done = client.post(f"/sap-xep/chia-tach/?unit={x.unit_id}", posted_back(preview))
    assert done.status_code == 302
    assert not UnitVersion.objects.filter(unit_id=x.unit_id, valid_to__isnull=True).exists()
    assert _official(UnitVersion.objects.get(name="Chi bộ A").unit_id, D) | _official(
        UnitVersion.objects.get(name="Chi bộ B").unit_id, D) == members  # fmt: skip
    # The split cell is gone from today's tree: its page answers 404.
    assert client.get(f"/sap-xep/chia-tach/?unit={x.unit_id}").status_code == 404


@pytest.mark.parametrize("persona", ["chibo", "xem"])
def test_roles_other_than_committee_staff_get_404(as_user, demo, persona):
    client = as_user(persona)
    for url in ("/sap-xep/", "/sap-xep/hop-nhat/", "/sap-xep/chia-tach/", "/sap-xep/chuyen-sinh-hoat/"):
        assert client.get(url).status_code == 404
    assert "/sap-xep/" not in {e.url for g in menu_for(User.objects.get(username=persona), "/") for e in g.entries}


def test_outsider_and_out_of_scope_units_get_404(as_user, demo, outsider):
    username, cell = outsider
    assert as_user(username).get("/sap-xep/").status_code == 404
    client = as_user("coso")
    assert "/sap-xep/" in {e.url for g in menu_for(User.objects.get(username="coso"), "/") for e in g.entries}
    assert client.get("/sap-xep/").status_code == 200
    assert client.get(f"/sap-xep/chuyen-sinh-hoat/?cell={cell}").status_code == 404
    assert client.get(f"/sap-xep/chia-tach/?unit={cell}").status_code == 404
    assert client.get(f"/sap-xep/chia-tach/?unit={demo['coso']}").status_code == 404  # their own unit
    a, b = quiet_committees(demo)
    before = row_counts()
    assert client.post("/sap-xep/hop-nhat/", merge_data(demo, a, b)).status_code == 404
    assert client.post("/sap-xep/doi-ten/", {**DECISION, "unit": cell, "name": "X"}).status_code == 404
    assert row_counts() == before


@pytest.fixture
def committed_demo(transactional_db) -> dict:
    return committed_demo_back()


def test_simultaneous_confirmations_merge_once(committed_demo):
    """Four people confirm the same merge at the same moment: one merges, the others are told the
    sources are dissolved; no 5xx, one merged unit."""
    from dangbo.reorg.plan import Decision, NewUnit, plan_merge
    from tests.test_concurrency import at_once
    from tests.test_reorg import scope_of

    demo = committed_demo
    a, b = quiet_committees(demo)
    decision = Decision(DECISION["decision_number"], datetime.date(2026, 9, 20), DECISION["issuing_body"])
    receiver = NewUnit("Đảng bộ Khối Hợp nhất", "grassroots_committee", demo["root"])
    expected = plan_merge(scope_of("khoi"), sources=[a.unit_id, b.unit_id], receiver=receiver, on=D,
                          decision=decision).fingerprint()  # fmt: skip
    form = {**merge_data(demo, a, b), "confirmed": "1", "expected": expected}
    statuses = at_once("khoi", "/sap-xep/hop-nhat/", [{**form, "form_token": new_key()} for _ in range(4)])
    assert sorted(statuses) == [302, 400, 400, 400], statuses
    assert UnitVersion.objects.filter(name="Đảng bộ Khối Hợp nhất").count() == 1
    assert AuditEntry.objects.filter(action="reorg_merge").count() == 1


def test_a_cells_member_list_leads_staff_to_the_bulk_transfer(as_user, demo):
    link = f'href="/sap-xep/chuyen-sinh-hoat/?cell={demo["chibo"]}"'
    assert link in as_user("coso").get(f"/dang-vien/?unit={demo['chibo']}").content.decode()
    assert link not in as_user("chibo").get(f"/dang-vien/?unit={demo['chibo']}").content.decode()
    assert "bulk-transfer" not in as_user("coso").get("/dang-vien/").content.decode()  # the whole committee
