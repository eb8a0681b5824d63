"""Recording membership events from a member's page: /dang-vien/<id>/ (the events and the actions
offered), the event forms /dang-vien/<id>/su-kien/<kind>/, the ceremony /dang-vien/<id>/le-ket-nap/,
cancelling the latest event /dang-vien/<id>/huy-su-kien/ and the scans /su-kien/<id>/ban-chup/.

Who may do what: khoi and coso record for members of coso's committee; chibo (a cell secretary) only
reads, 403 on the forms; the outsider (another committee's cell) and xem (figures only) get 404.
Members are admitted with the actions into chibo's cell of the demo; each test is rolled back.
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dangbo.accounts.models import Role, User
from dangbo.audit.models import AuditEntry
from dangbo.lib.http import today
from dangbo.members.actions import (
    admit,
    cancel_latest_event,
    exempt,
    recognise,
    record_death,
    send_temporarily,
    transfer_within,
)
from dangbo.members.figures import subtree_figures
from dangbo.members.models import Event, Member, MemberStatus, Stint, StintKind, UnitTally
from dangbo.orgs.models import PATH_WIDTH, Unit, UnitKind, UnitVersion
from tests.helpers import is_vietnamese

d = datetime.date
NOT_FOUND = "Không tìm thấy trang"
FORBIDDEN = "Không có quyền thực hiện"
REQUIRED = "Trường này là bắt buộc."
OUT_OF_SCOPE = "Chi bộ không hợp lệ hoặc ngoài phạm vi quản lý."
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
ELSEWHERE = "Đảng bộ tỉnh Lào Cai"
ADMITTED, CEREMONY, OFFICIAL = d(2023, 3, 1), d(2023, 3, 15), d(2024, 3, 15)
# The forms: a reading role (a cell secretary, in or out of scope) is refused before any lookup (403,
# the same for any member, so nothing leaks); out of scope or figures only is 404.
STATUS = {"khoi": 200, "coso": 200, "chibo": 403, "outsider": 403, "xem": 404, "other_staff": 404}
# The record and the scans: everyone who sees the member, the cell secretary of their cell included.
SEES = {"khoi": 200, "coso": 200, "chibo": 200, "outsider": 404, "xem": 404, "other_staff": 404}


def detail(member) -> str:
    return f"/dang-vien/{member.pk}/"


def event_url(member, kind: str) -> str:
    return f"/dang-vien/{member.pk}/su-kien/{kind}/"


def ceremony_url(member) -> str:
    return f"/dang-vien/{member.pk}/le-ket-nap/"


def cancel_url(member) -> str:
    return f"/dang-vien/{member.pk}/huy-su-kien/"


def scan_url(event) -> str:
    return f"/su-kien/{event.pk}/ban-chup/"


# --- fixtures and helpers --------------------------------------------------------------------------


@pytest.fixture
def actor(demo) -> User:
    return User.objects.get(username="coso")


@pytest.fixture
def other_staff(demo, outsider) -> str:
    """The staff of the committee above the outsider's cell (another committee than coso's)."""
    path = UnitVersion.objects.on(today()).get(unit_id=outsider[1]).path
    committee = UnitVersion.objects.on(today()).get(path=path[: 2 * PATH_WIDTH])
    assert committee.kind == UnitKind.GRASSROOTS_COMMITTEE and committee.unit_id != demo["coso"]
    user = User(username="coso_khac", role=Role.GRASSROOTS_STAFF, unit_id=committee.unit_id)
    user.set_password("demo")
    user.save()
    return "coso_khac"


@pytest.fixture
def login(as_user, outsider, other_staff):
    """login("outsider") logs in the outsider's cell secretary, login("other_staff") the staff of that
    other committee; any other name is a demo persona."""

    def make(who: str):
        return as_user({"outsider": outsider[0], "other_staff": other_staff}.get(who, who))

    return make


@pytest.fixture
def neighbour(demo) -> int:
    """Another attached cell directly under coso's committee, there since before 2018 and still today."""
    version = (
        UnitVersion.objects.on(today())
        .filter(parent_id=demo["coso"], kind=UnitKind.ATTACHED_CELL, valid_from__lte=d(2018, 1, 1))
        .exclude(unit_id=demo["chibo"])
        .order_by("path")
        .first()
    )
    assert version is not None
    return version.unit_id


def new_member(actor, cell_id: int, decided: datetime.date, ceremony=None, *, given="Tuấn", middle="Minh",
               family="Hoàng", sex="M") -> Member:  # fmt: skip
    person = dict(family_name=family, middle_name=middle, given_name=given, sex=sex, birth_date=d(1990, 7, 9))
    return admit(actor, person, unit=Unit.objects.get(pk=cell_id), effective_on=decided, ceremony_on=ceremony,
                 decision_number="21-QĐ/ĐU", issuing_body="Đảng ủy")  # fmt: skip


@pytest.fixture
def official(actor, demo) -> Member:
    """An official member of chibo's cell: admitted 1/3/2023, ceremony 15/3/2023, official 15/3/2024 (2 events)."""
    member = new_member(actor, demo["chibo"], ADMITTED, CEREMONY)
    recognise(actor, member, decision_number="30-QĐ/ĐU")
    member.refresh_from_db()
    assert member.official_on == OFFICIAL
    return member


@pytest.fixture
def probationary(actor, demo) -> Member:
    """A probationary member of chibo's cell admitted on 3/3/2025, the ceremony not yet held (1 event)."""
    return new_member(actor, demo["chibo"], d(2025, 3, 3), given="Hà", middle="Thu", family="Đặng", sex="F")


@pytest.fixture
def on_probation(actor, demo) -> Member:
    """A probationary member of chibo's cell: admitted 4/3/2024, ceremony 20/3/2024, probation ends 20/3/2025."""
    return new_member(actor, demo["chibo"], d(2024, 3, 4), d(2024, 3, 20), given="Dự", middle="Văn", family="Lê")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def counts() -> dict[str, int]:
    return {
        "Member": Member.unscoped.count(),
        "Event": Event.unscoped.count(),
        "Stint": Stint.unscoped.count(),
        "UnitTally": UnitTally.objects.count(),
        "AuditEntry": AuditEntry.objects.filter(kind="write").count(),  # opening a record is logged as a read
        "Unit": Unit.objects.count(),
        "UnitVersion": UnitVersion.objects.count(),
        "cancelled": Event.unscoped.exclude(cancelled_at=None).count(),
        "ceremonies": Event.unscoped.exclude(ceremony_on=None).count(),
    }


def files_under(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()]


def stints_of(member) -> list[tuple]:
    rows = Stint.unscoped.filter(member=member).order_by("start", "kind")
    return list(rows.values_list("unit_id", "kind", "status", "start", "end"))


def death_data(**changes) -> dict:
    """A death, confirmed (grave events are first shown back for a confirmation)."""
    data = {"effective_on": "2025-05-05", "decision_number": "", "decided_on": "", "issuing_body": "", "note": "",
            "confirmed": "1"}  # fmt: skip
    return data | changes


def transfer_data(unit_id, **changes) -> dict:
    data = {"effective_on": "2025-06-02", "unit": unit_id, "decision_number": "45-QĐ/ĐU", "decided_on": "2025-05-28",
            "issuing_body": "Đảng ủy Sở Tài chính", "note": "Theo yêu cầu công tác"}  # fmt: skip
    return data | changes


# --- who sees what ------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", SEES)
def test_detail_page_by_persona(login, official, who):
    response = login(who).get(detail(official))
    expected = SEES[who]
    assert response.status_code == expected
    html = response.content.decode()
    if expected == 404:
        assert NOT_FOUND in html and "Hoàng Minh Tuấn" not in html
        return
    assert "<h1>Hoàng Minh Tuấn</h1>" in html
    # The events, for every persona who sees the member.
    assert 'id="events"' in html
    assert [e.kind for e in response.context["events"]] == ["admission", "recognition"]
    assert "Kết nạp" in html and "Công nhận đảng viên chính thức" in html
    assert "Lễ kết nạp 15/03/2023" in html and "Số 30-QĐ/ĐU" in html
    # The actions: offered to those who record, none to chibo.
    recording = [f'href="{event_url(official, "transfer_within")}"', 'id="cancel"', "Ghi nhận sự kiện mới",
                 f"/dang-vien/{official.pk}/su-kien/", "huy-su-kien"]  # fmt: skip
    for snippet in recording:
        assert (snippet in html) == (who in ("khoi", "coso")), (who, snippet)


def test_ceremony_form_offered_to_recorders_only(login, probationary):
    assert 'id="ceremony"' in login("coso").get(detail(probationary)).content.decode()
    html = login("chibo").get(detail(probationary)).content.decode()
    assert "Đặng Thu Hà" in html
    assert 'id="ceremony"' not in html and "le-ket-nap" not in html


@pytest.mark.parametrize("who", STATUS)
@pytest.mark.parametrize("kind", ["transfer_within", "death", "recognition", "temporary_away"])
def test_event_form_get_by_persona(login, official, who, kind):
    response = login(who).get(event_url(official, kind))
    assert response.status_code == STATUS[who]
    html = response.content.decode()
    if STATUS[who] == 200:
        assert 'id="event-form"' in html and "Hoàng Minh Tuấn" in html
    else:
        assert 'id="event-form"' not in html
        assert (FORBIDDEN if STATUS[who] == 403 else NOT_FOUND) in html


@pytest.mark.parametrize("who", STATUS)
def test_event_form_post_by_persona(login, official, who):
    before = counts()
    response = login(who).post(event_url(official, "death"), death_data())
    assert response.status_code == (302 if STATUS[who] == 200 else STATUS[who])
    after = counts()
    if STATUS[who] == 200:
        assert response.url == detail(official)
        assert after["Event"] == before["Event"] + 1
        assert Event.unscoped.filter(member=official, kind="death", effective_on=d(2025, 5, 5)).count() == 1
    else:
        assert after == before


@pytest.mark.parametrize("who", STATUS)
def test_ceremony_post_by_persona(login, probationary, who):
    before = counts()
    response = login(who).post(ceremony_url(probationary), {"ceremony_on": "2025-03-20"})
    assert response.status_code == (302 if STATUS[who] == 200 else STATUS[who])
    event = Event.unscoped.get(member=probationary)
    if STATUS[who] == 200:
        assert event.ceremony_on == d(2025, 3, 20)
    else:
        assert event.ceremony_on is None
        assert counts() == before


@pytest.mark.parametrize("who", STATUS)
def test_cancel_post_by_persona(login, official, who):
    before = counts()
    response = login(who).post(cancel_url(official), {"reason": "Nhập nhầm quyết định"})
    assert response.status_code == (302 if STATUS[who] == 200 else STATUS[who])
    recognition = Event.unscoped.get(member=official, kind="recognition")
    if STATUS[who] == 200:
        assert recognition.cancel_reason == "Nhập nhầm quyết định" and recognition.cancelled_at is not None
    else:
        assert recognition.cancelled_at is None
        assert counts() == before


def test_a_reading_role_gets_the_same_403_for_any_member(login, official):
    """The outsider's 403 tells nothing: the same for coso's member and for a member that does not exist."""
    missing = (Member.unscoped.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1000
    client = login("outsider")
    for member_id in (official.pk, missing):
        assert client.get(f"/dang-vien/{member_id}/su-kien/death/").status_code == 403
        assert client.post(f"/dang-vien/{member_id}/huy-su-kien/", {"reason": "x"}).status_code == 403
        assert client.get(f"/dang-vien/{member_id}/").status_code == 404


@pytest.mark.parametrize("url", [ceremony_url, cancel_url])
def test_ceremony_and_cancel_only_take_posts(login, official, url):
    assert login("coso").get(url(official)).status_code == 405


@pytest.mark.parametrize("kind", ["bogus", "admission", "TRANSFER_WITHIN", "transfer-within", "%C4%91"])
@pytest.mark.parametrize("who", ["khoi", "coso"])
def test_unknown_kind_is_404(login, official, who, kind):
    client = login(who)
    before = counts()
    assert client.get(event_url(official, kind)).status_code == 404
    assert client.post(event_url(official, kind), death_data()).status_code == 404
    assert counts() == before


def test_member_outside_coso_is_404_for_coso(login, actor, outsider):
    stranger = new_member(actor, outsider[1], ADMITTED, CEREMONY, given="Lạ")
    client = login("coso")
    for url in (detail(stranger), event_url(stranger, "death")):
        assert client.get(url).status_code == 404
    before = counts()
    assert client.post(event_url(stranger, "death"), death_data()).status_code == 404
    assert client.post(cancel_url(stranger), {"reason": "x"}).status_code == 404
    assert client.post(ceremony_url(stranger), {"ceremony_on": "2023-03-20"}).status_code == 404
    assert counts() == before
    assert login("khoi").get(detail(stranger)).status_code == 200
    assert login("outsider").get(detail(stranger)).status_code == 200


def test_missing_member_is_404(login):
    missing = (Member.unscoped.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1000
    client = login("khoi")
    assert client.get(f"/dang-vien/{missing}/su-kien/death/").status_code == 404
    assert client.post(f"/dang-vien/{missing}/le-ket-nap/", {"ceremony_on": "2025-01-01"}).status_code == 404


# --- recording through the form ---------------------------------------------------------------------


def test_transfer_within_through_the_form(login, demo, official, neighbour):
    on = d(2025, 6, 2)
    coso_then = UnitVersion.objects.on(on).get(unit_id=demo["coso"])
    paths = {u: UnitVersion.objects.on(on).get(unit_id=u).path for u in (demo["chibo"], neighbour)}
    figures = subtree_figures(coso_then, on)
    before = {u: figures[paths[u]]["total"] for u in paths}
    client = login("coso")
    form = client.get(event_url(official, "transfer_within"))
    assert form.status_code == 200
    choices = dict(form.context["form"].fields["unit"].choices)
    assert neighbour in choices and demo["chibo"] in choices
    response = client.post(event_url(official, "transfer_within"), transfer_data(neighbour))
    assert response.status_code == 302
    assert response.url == detail(official)
    assert stints_of(official) == [
        (demo["chibo"], StintKind.OFFICIAL, MemberStatus.PROBATIONARY, ADMITTED, OFFICIAL),
        (demo["chibo"], StintKind.OFFICIAL, MemberStatus.OFFICIAL, OFFICIAL, on),
        (neighbour, StintKind.OFFICIAL, MemberStatus.OFFICIAL, on, None),
    ]
    event = Event.unscoped.get(member=official, kind="transfer_within")
    assert (event.unit_id, event.from_unit_id, event.effective_on) == (neighbour, demo["chibo"], on)
    assert (event.decision_number, event.decided_on) == ("45-QĐ/ĐU", d(2025, 5, 28))
    assert event.issuing_body == "Đảng ủy Sở Tài chính"
    assert (event.note, event.created_by.username) == ("Theo yêu cầu công tác", "coso")
    entry = AuditEntry.objects.get(action="event_transfer_within", target_id=str(event.pk))
    assert entry.actor.username == "coso" and entry.after["unit_id"] == neighbour and entry.before is None
    # The member now counts in the neighbouring cell from the effective date.
    figures = subtree_figures(coso_then, on)
    assert figures[paths[neighbour]]["total"] == before[neighbour] + 1
    assert figures[paths[demo["chibo"]]]["total"] == before[demo["chibo"]] - 1
    # The detail page lists the event, with both cells, and says it was recorded.
    html = client.get(response.url).content.decode()
    def label(unit_id):  # with what it belongs to, up to the grassroots organisation (orgs.labels)
        path = UnitVersion.objects.on(today()).get(unit_id=unit_id).path
        ids = [int(path[i : i + 8]) for i in range(0, len(path), 8)]
        chain = [ids[-1], *reversed(ids[1:-1] or ids[:-1])]
        return " — ".join(UnitVersion.objects.on(today()).get(unit_id=u).name for u in chain)

    names = {u: label(u) for u in paths}
    assert "Đã ghi nhận: Chuyển sinh hoạt chính thức trong Đảng bộ ngày 02/06/2025." in html
    assert f"từ {names[demo['chibo']]}<br>đến {names[neighbour]}" in html
    assert "Số 45-QĐ/ĐU ngày 28/05/2025" in html
    # chibo still sees the member's record with the event, read-only.
    html = login("chibo").get(detail(official)).content.decode()
    assert "Chuyển sinh hoạt chính thức trong Đảng bộ" in html


IMPOSSIBLE = {
    # (member, kind, data, message, a typed value kept in the form)
    "recognition of an official member": (
        "official", "recognition", {"decision_number": "99-QĐ/ĐU", "note": "Xét lại"},
        "Chỉ đảng viên dự bị mới được xét công nhận chính thức.", 'value="99-QĐ/ĐU"',
    ),
    "recognition before the ceremony is known": (
        "probationary", "recognition", {"decision_number": "99-QĐ/ĐU"},
        "Chưa ghi nhận ngày lễ kết nạp nên chưa xác định được ngày hết dự bị.", 'value="99-QĐ/ĐU"',
    ),
    "recognition decided before the probation ends": (
        "on_probation", "recognition", {"decision_number": "88-QĐ/ĐU", "decided_on": "2025-03-01"},
        "Quyết định công nhận đảng viên chính thức chỉ ban hành khi đã hết thời gian dự bị (20/03/2025); ngày quyết "
        "định 01/03/2025 là quá sớm.", 'value="88-QĐ/ĐU"',
    ),
    "decision dated in the future": (
        "official", "transfer_within", {"effective_on": "2025-06-02", "unit": "NEIGHBOUR", "decided_on": "2030-01-02"},
        "Ngày quyết định (02/01/2030) chưa đến: chỉ ghi nhận quyết định đã ban hành, sự việc đã diễn ra.",
        'value="2030-01-02"',
    ),
    "death before the admission": (
        "official", "death", {"effective_on": "2022-12-01", "note": "Ghi thử"},
        "Sự kiện đầu tiên của đảng viên phải là kết nạp vào Đảng", 'value="2022-12-01"',
    ),
    "transfer before the admission": (
        "official", "transfer_within", {"effective_on": "2023-02-01", "unit": "NEIGHBOUR"},
        "Sự kiện đầu tiên của đảng viên phải là kết nạp vào Đảng", 'value="2023-02-01"',
    ),
    "transfer into the same cell": (
        "official", "transfer_within", {"effective_on": "2025-06-02", "unit": "CHIBO", "decision_number": "7/QĐ"},
        "Chi bộ đến trùng với chi bộ đang sinh hoạt.", 'value="7/QĐ"',
    ),
    "temporary transfer under 3 months": (
        "official", "temporary_away", {"effective_on": "2025-06-02", "ends_on": "2025-07-01", "other_side": ELSEWHERE},
        "Sinh hoạt tạm thời kéo dài từ 3 tháng đến 2 năm", f'value="{ELSEWHERE}"',
    ),
    "exemption ending before it starts": (
        "official", "exemption", {"effective_on": "2025-06-02", "ends_on": "2025-06-01"},
        "Ngày kết thúc miễn sinh hoạt phải sau ngày bắt đầu.", 'value="2025-06-01"',
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", IMPOSSIBLE)
@pytest.mark.parametrize("who", ["coso", "khoi"])
def test_impossible_event_is_refused_and_nothing_written(request, login, demo, neighbour, who, case):
    which, kind, data, message, kept = IMPOSSIBLE[case]
    member = request.getfixturevalue(which)
    units = {"NEIGHBOUR": neighbour, "CHIBO": demo["chibo"]}
    data = {k: units.get(v, v) for k, v in data.items()}
    stints = stints_of(member)
    before = counts()
    response = login(who).post(event_url(member, kind), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert is_vietnamese(message)
    assert kept in html
    assert 'id="event-form"' in html
    assert counts() == before
    assert stints_of(member) == stints


def test_death_twice_is_refused(login, actor, official):
    record_death(actor, official, effective_on=d(2025, 5, 5))
    client = login("coso")
    response = client.get(event_url(official, "death"))
    assert response.status_code == 200
    assert "Tình trạng hiện tại của đảng viên thường không cho phép sự kiện này" in response.content.decode()
    before = counts()
    response = client.post(event_url(official, "death"), death_data(effective_on="2025-06-01", note="Ghi lần hai"))
    assert response.status_code == 400
    html = response.content.decode()
    alert = html.split('<p class="alert error" role="alert">', 1)[1].split("</p>", 1)[0]
    assert "từ trần ngày 05/05/2025" in alert and is_vietnamese(alert)
    assert 'value="2025-06-01"' in html and "Ghi lần hai</textarea>" in html
    assert counts() == before
    # After death no form is offered on the member's page.
    html = client.get(detail(official)).content.decode()
    assert "Ghi nhận sự kiện mới" not in html


def test_the_possible_kinds_are_offered(login, official, probationary):
    html = login("coso").get(detail(official)).content.decode()
    assert f'href="{event_url(official, "transfer_within")}"' in html
    assert f'href="{event_url(official, "recognition")}"' not in html
    html = login("coso").get(detail(probationary)).content.decode()
    assert f'href="{event_url(probationary, "recognition")}"' in html
    warning = "thường không cho phép sự kiện này"
    assert warning in login("coso").get(event_url(official, "recognition")).content.decode()
    assert warning not in login("coso").get(event_url(official, "transfer_within")).content.decode()


@pytest.mark.parametrize("target", ["outsider", "root", "coso"])
def test_a_unit_outside_the_scope_is_refused(login, demo, official, outsider, target):
    unit_id = outsider[1] if target == "outsider" else demo[target]
    before = counts()
    response = login("coso").post(event_url(official, "transfer_within"), transfer_data(unit_id))
    assert response.status_code == 400
    html = response.content.decode()
    assert OUT_OF_SCOPE in html and "ngoài phạm vi" in html
    assert 'value="45-QĐ/ĐU"' in html
    assert counts() == before


def test_khoi_may_transfer_across_committees(login, official, outsider):
    response = login("khoi").post(event_url(official, "transfer_within"), transfer_data(outsider[1]))
    assert response.status_code == 302
    assert stints_of(official)[-1][:2] == (outsider[1], StintKind.OFFICIAL)
    # The member's past in coso's committee keeps them visible there, and now to the outsider's cell.
    assert login("coso").get(detail(official)).status_code == 200
    assert login("outsider").get(detail(official)).status_code == 200


@pytest.mark.parametrize(
    "kind, data, missing",
    [("transfer_within", {"effective_on": "", "unit": ""}, 2), ("death", {"effective_on": ""}, 1),
     ("transfer_out", {"effective_on": "2025-06-02", "other_side": ""}, 1),
     ("temporary_away", {"effective_on": "2025-06-02", "ends_on": "", "unit": "", "other_side": ELSEWHERE}, 1)],
)  # fmt: skip
def test_required_fields(login, official, kind, data, missing):
    before = counts()
    response = login("coso").post(event_url(official, kind), data | {"decision_number": "", "note": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert html.count(REQUIRED) == missing
    assert "Vui lòng kiểm tra các trường được đánh dấu bên dưới." in html
    assert counts() == before


def test_cell_choices_can_be_told_apart(login, official):
    response = login("coso").get(event_url(official, "transfer_within"))
    labels = [label for value, label in response.context["form"].fields["unit"].choices if value]
    duplicates = sorted({label for label in labels if labels.count(label) > 1})
    assert duplicates == []


# --- the ceremony -------------------------------------------------------------------------------------


def test_record_the_ceremony(login, probationary):
    client = login("coso")
    assert "Ghi nhận lễ kết nạp</button>" in client.get(detail(probationary)).content.decode()
    response = client.post(ceremony_url(probationary), {"ceremony_on": "2025-03-20"})
    assert response.status_code == 302 and response.url == detail(probationary)
    event = Event.unscoped.get(member=probationary)
    assert event.ceremony_on == d(2025, 3, 20)
    entry = AuditEntry.objects.filter(action="record_ceremony", target_id=str(event.pk)).get()
    assert (entry.before["ceremony_on"], entry.after["ceremony_on"]) == (None, "2025-03-20")
    assert entry.actor.username == "coso"
    html = client.get(detail(probationary)).content.decode()
    assert "Đã ghi nhận lễ kết nạp ngày 20/03/2025." in html
    assert "Lễ kết nạp 20/03/2025" in html
    assert "<dt>Hết thời hạn dự bị</dt><dd>20/03/2026</dd>" in html
    # From now on the form corrects the date instead of recording it.
    assert "Ghi nhận lễ kết nạp</button>" not in html and "Sửa ngày lễ kết nạp</button>" in html


@pytest.mark.parametrize(
    "which, data, message",
    [("probationary", {"ceremony_on": "2025-03-01"}, "Lễ kết nạp không thể trước ngày quyết định kết nạp."),
     ("probationary", {"ceremony_on": ""}, REQUIRED),
     ("probationary", {"ceremony_on": "32/03/2025"}, "Ngày không hợp lệ; hãy nhập theo dạng ngày/tháng/năm."),
     ("probationary", {"ceremony_on": "2030-03-20"},
      "Ngày lễ kết nạp (20/03/2030) chưa đến: chỉ ghi nhận quyết định đã ban hành, sự việc đã diễn ra."),
     ("official", {"ceremony_on": "2023-03-20"},
      "Đã công nhận đảng viên chính thức theo ngày lễ kết nạp này; muốn sửa, hãy hủy sự kiện công nhận trước.")],
    ids=["before the decision", "missing", "not a date", "in the future", "recognition rests on it"],
)  # fmt: skip
def test_ceremony_refused(request, login, which, data, message):
    member = request.getfixturevalue(which)
    before = counts()
    response = login("coso").post(ceremony_url(member), data, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain == [(detail(member), 302)]
    html = response.content.decode()
    assert f'<p class="alert error" role="alert">{message}</p>' in html
    assert counts() == before


def test_correct_the_ceremony_date_of_a_probationary_member(login, actor, demo):
    member = new_member(actor, demo["chibo"], d(2025, 3, 3), d(2025, 3, 20), given="Sửa")
    client = login("coso")
    html = client.get(detail(member)).content.decode()
    assert 'id="ceremony"' in html and "Sửa ngày lễ kết nạp" in html
    response = client.post(ceremony_url(member), {"ceremony_on": "2025-03-27"})
    assert response.status_code == 302
    event = Event.unscoped.get(member=member)
    assert event.ceremony_on == d(2025, 3, 27)
    entry = AuditEntry.objects.filter(action="record_ceremony", target_id=str(event.pk)).get()
    assert (entry.before["ceremony_on"], entry.after["ceremony_on"]) == ("2025-03-20", "2025-03-27")
    assert "<dt>Hết thời hạn dự bị</dt><dd>27/03/2026</dd>" in client.get(detail(member)).content.decode()


# --- cancelling the latest event ----------------------------------------------------------------------


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_cancel_needs_a_reason(login, official, reason):
    before = counts()
    data = {} if reason is None else {"reason": reason}
    response = login("coso").post(cancel_url(official), data, follow=True)
    assert response.redirect_chain == [(detail(official), 302)]
    assert '<p class="alert error" role="alert">Hãy nêu lý do hủy sự kiện.</p>' in response.content.decode()
    assert counts() == before


def test_cancel_the_latest_event(login, demo, official):
    client = login("coso")
    response = client.post(cancel_url(official), {"reason": "Nhập nhầm ngày công nhận"}, follow=True)
    assert response.redirect_chain == [(detail(official), 302)]
    html = response.content.decode()
    assert "Đã hủy sự kiện: Công nhận đảng viên chính thức ngày 15/03/2024." in html
    event = Event.unscoped.get(member=official, kind="recognition")
    assert event.cancel_reason == "Nhập nhầm ngày công nhận"
    assert event.cancelled_by.username == "coso"
    official.refresh_from_db()
    assert official.official_on is None
    assert stints_of(official) == [(demo["chibo"], StintKind.OFFICIAL, MemberStatus.PROBATIONARY, ADMITTED, None)]
    # Shown struck (the row's class), with the day and the reason.
    stamp = timezone.localtime(event.cancelled_at).strftime("%d/%m/%Y")
    row = html.split('<tr class="cancelled">', 1)[1].split("</tr>", 1)[0]
    assert "Công nhận đảng viên chính thức" in row
    assert f"Đã hủy ngày {stamp}: Nhập nhầm ngày công nhận" in row
    assert html.count('<tr class="cancelled">') == 1
    css = Path(finders.find("dangbo/site.css")).read_text()
    assert re.search(r"tr\.cancelled td \{[^}]*text-decoration: line-through", css)
    entry = AuditEntry.objects.get(action="cancel_event", target_id=str(event.pk))
    assert entry.note == "Nhập nhầm ngày công nhận" and entry.actor.username == "coso"
    assert (entry.before["cancel_reason"], entry.after["cancel_reason"]) == ("", "Nhập nhầm ngày công nhận")
    assert entry.before["cancelled_at"] is None and entry.after["cancelled_at"]
    # chibo sees the cancelled event too.
    assert '<tr class="cancelled">' in login("chibo").get(detail(official)).content.decode()


def test_the_admission_alone_cannot_be_cancelled(login, probationary):
    before = counts()
    response = login("khoi").post(cancel_url(probationary), {"reason": "Nhầm"}, follow=True)
    assert "Không thể hủy quyết định kết nạp, sự kiện duy nhất của đảng viên" in response.content.decode()
    assert counts() == before


def test_cancel_form_not_offered_when_only_the_admission_is_active(login, official):
    client = login("coso")
    client.post(cancel_url(official), {"reason": "Nhập nhầm"})
    html = client.get(detail(official)).content.decode()
    assert 'id="cancel"' not in html


# --- scans of decisions ------------------------------------------------------------------------------


def upload(name: str, content: bytes = PDF, content_type: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


ORIGINAL = "QĐ 45 chuyển sinh hoạt Hoàng Minh Tuấn.pdf"


@pytest.fixture
def scanned(login, media, official, neighbour) -> Event:
    response = login("coso").post(
        event_url(official, "transfer_within"), transfer_data(neighbour, scan=upload(ORIGINAL))
    )
    assert response.status_code == 302
    return Event.unscoped.get(member=official, kind="transfer_within")


def test_scan_is_stored_under_media_root_without_its_name(media, official, scanned):
    name = scanned.scan.name
    assert name.startswith(f"events/{official.pk}/") and name.endswith(".pdf")
    for word in ("QĐ", "chuyển", "Hoàng", "Tuấn", "sinh", " "):
        assert word not in name
    stored = media / name
    assert stored.is_file() and stored.read_bytes() == PDF
    assert files_under(media) == [stored]


@pytest.mark.parametrize("who", SEES)
def test_scan_download_by_persona(login, official, scanned, who):
    response = login(who).get(scan_url(scanned))
    if SEES[who] == 200:
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF
        assert f"quyet-dinh-{scanned.pk}.pdf" in response["Content-Disposition"]
        assert response["Content-Type"] == "application/pdf"
    else:
        assert response.status_code == 404
        assert not getattr(response, "streaming", False)
        assert PDF not in response.content


def test_scan_is_linked_from_the_detail_page(login, official, scanned):
    for who in ("coso", "chibo"):
        assert f'href="{scan_url(scanned)}">Bản chụp</a>' in login(who).get(detail(official)).content.decode()


def test_scan_missing_or_absent_is_404(login, media, official, scanned):
    client = login("khoi")
    recognition = Event.unscoped.get(member=official, kind="recognition")
    assert client.get(scan_url(recognition)).status_code == 404  # no scan
    missing = (Event.unscoped.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1000
    assert client.get(f"/su-kien/{missing}/ban-chup/").status_code == 404
    (media / scanned.scan.name).unlink()
    assert client.get(scan_url(scanned)).status_code == 404


@pytest.mark.parametrize(
    "scan, message",
    [(upload("quyet-dinh.exe", b"MZ\x90\x00" + b"\x00" * 60, "application/octet-stream"),
      "Bản chụp phải là tệp PDF, JPG hoặc PNG."),
     (upload("quyet-dinh.pdf.exe", PDF), "Bản chụp phải là tệp PDF, JPG hoặc PNG."),
     (upload("quyet-dinh", PDF), "Bản chụp phải là tệp PDF, JPG hoặc PNG."),
     (upload("quyet-dinh.pdf", PDF + b"0" * (10 * 1024 * 1024)), "Bản chụp lớn hơn 10 MB.")],
    ids=["exe", "double extension", "no extension", "over 10 MB"],
)  # fmt: skip
def test_bad_scans_are_refused(login, media, official, neighbour, scan, message):
    before = counts()
    response = login("coso").post(event_url(official, "transfer_within"), transfer_data(neighbour, scan=scan))
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html and is_vietnamese(message)
    assert 'value="45-QĐ/ĐU"' in html
    assert counts() == before
    assert files_under(media) == []


def test_a_refused_event_stores_no_scan(login, media, official):
    before = counts()
    data = death_data(effective_on="2022-12-01", scan=upload("giay-bao-tu.pdf"))
    response = login("coso").post(event_url(official, "death"), data)
    assert response.status_code == 400
    assert counts() == before
    assert files_under(media) == []


def test_scan_accepted_in_capitals_and_as_image(login, media, official):
    data = {"effective_on": "2025-06-02", "ends_on": "", "scan": upload("QD.PNG", b"\x89PNG\r\n\x1a\n")}
    response = login("coso").post(event_url(official, "exemption"), data)
    assert response.status_code == 302
    event = Event.unscoped.get(member=official, kind="exemption")
    assert event.scan.name.endswith(".png")
    assert (media / event.scan.name).read_bytes() == b"\x89PNG\r\n\x1a\n"


# --- query count of the member's page -----------------------------------------------------------------


def test_scan_whose_content_does_not_match_its_name_is_refused(login, media, official):
    before = Event.unscoped.count()
    data = {"effective_on": "2025-06-02", "ends_on": "", "scan": upload("QD.pdf", b"MZ\x90\x00 not a pdf")}
    response = login("coso").post(event_url(official, "exemption"), data)
    assert response.status_code == 400
    assert "Nội dung tệp không phải PDF, JPG hoặc PNG" in response.content.decode()
    assert Event.unscoped.count() == before


def test_detail_query_count_does_not_grow_with_the_events(login, actor, demo, official, neighbour):
    busy = new_member(actor, demo["chibo"], d(2018, 3, 1), d(2018, 3, 15), given="Bận", middle="Văn", family="Trịnh")
    recognise(actor, busy)
    transfer_within(actor, busy, unit=Unit.objects.get(pk=neighbour), effective_on=d(2020, 6, 1))
    send_temporarily(actor, busy, effective_on=d(2021, 1, 4), ends_on=d(2021, 7, 5), other_side=ELSEWHERE)
    exempt(actor, busy, effective_on=d(2022, 1, 3), ends_on=d(2022, 12, 30))
    transfer_within(actor, busy, unit=Unit.objects.get(pk=demo["chibo"]), effective_on=d(2023, 2, 1))
    transfer_within(actor, busy, unit=Unit.objects.get(pk=neighbour), effective_on=d(2024, 2, 1))
    cancel_latest_event(actor, busy, "Nhập nhầm")
    transfer_within(actor, busy, unit=Unit.objects.get(pk=neighbour), effective_on=d(2024, 5, 2))
    assert Event.unscoped.filter(member=busy).count() == 8
    assert Event.unscoped.filter(member=official).count() == 2
    for who in ("khoi", "coso", "chibo"):
        client = login(who)
        seen = {}
        for member in (official, busy):
            with CaptureQueriesContext(connection) as queries:
                response = client.get(detail(member))
            assert response.status_code == 200
            assert len(response.context["events"]) == Event.unscoped.filter(member=member).count()
            seen[member.pk] = len(queries)
        assert seen[official.pk] == seen[busy.pk], (who, seen)
        # (Two more for staff than before the audit trail: the member's own entries, and the INSERT
        # logging the opening; one more, the INSERT, for a cell secretary.)
        assert max(seen.values()) <= 15, (who, seen)


# --- grave events: never dated after today, and confirmed before they are written -------------------

GRAVE_KINDS = ["death", "removal", "expulsion", "resignation"]


@pytest.mark.parametrize("kind", GRAVE_KINDS)
def test_a_grave_event_is_shown_back_for_confirmation_and_written_only_once_confirmed(login, official, kind):
    client = login("coso")
    data = death_data(effective_on="2025-05-05", decision_number="12-QĐ/ĐU", decided_on="2025-05-05",
                      issuing_body="Đảng ủy Sở Tài chính")  # fmt: skip
    before = counts()
    unconfirmed = {k: v for k, v in data.items() if k != "confirmed"}
    response = client.post(event_url(official, kind), unconfirmed)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="confirm-form"' in html and 'id="event-form"' not in html
    table = html[html.index('id="confirmation"'):html.index("</table>")]
    for text in (official.full_name, "09/07/1990", Event(kind=kind).get_kind_display(), "05/05/2025", "12-QĐ/ĐU"):
        assert text in table
    assert 'name="confirmed" value="1"' in html and 'type="hidden" name="effective_on" value="2025-05-05"' in html
    assert counts() == before  # nothing written, not even an audit entry

    response = client.post(event_url(official, kind), unconfirmed | {"edit": "1"})
    assert response.status_code == 200 and 'id="event-form"' in response.content.decode()
    assert 'value="12-QĐ/ĐU"' in response.content.decode() and counts() == before

    response = client.post(event_url(official, kind), data)
    assert response.status_code == 302
    assert Event.unscoped.filter(member=official, kind=kind, effective_on=d(2025, 5, 5)).count() == 1


def test_a_grave_event_that_would_be_refused_says_why_instead_of_asking_to_confirm(login, official):
    before = counts()
    data = {k: v for k, v in death_data(effective_on="2022-12-01").items() if k != "confirmed"}
    response = login("coso").post(event_url(official, "death"), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Sự kiện đầu tiên của đảng viên phải là kết nạp vào Đảng" in html and 'id="confirm-form"' not in html
    assert counts() == before


@pytest.mark.parametrize("kind", [*GRAVE_KINDS, "non_recognition"])
def test_a_completed_fact_dated_after_today_is_refused_by_the_form(login, official, on_probation, kind):
    member = on_probation if kind == "non_recognition" else official
    tomorrow = today() + datetime.timedelta(days=1)
    before = counts()
    response = login("coso").post(event_url(member, kind), death_data(effective_on=tomorrow.isoformat()))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Ngày hiệu lực không được sau hôm nay." in html
    assert f'value="{tomorrow.isoformat()}"' in html
    assert counts() == before


@pytest.mark.parametrize("recorder", [record_death, "remove", "expel", "accept_resignation"])
def test_a_completed_fact_dated_after_today_is_refused_by_the_action(actor, official, recorder):
    from dangbo.members import actions

    recorder = getattr(actions, recorder) if isinstance(recorder, str) else recorder
    day = d(2027, 1, 15)
    with pytest.raises(ValidationError, match="chưa đến") as refusal:
        recorder(actor, official, effective_on=day)
    assert "15/01/2027" in refusal.value.messages[0] and is_vietnamese(refusal.value.messages[0])
    assert not Event.unscoped.filter(member=official, effective_on=day).exists()
    member = Member.unscoped.get(pk=official.pk)
    assert Stint.unscoped.filter(member=member, end=None).exists()  # still a member


def test_a_transfer_may_still_take_effect_on_a_day_ahead(actor, official, neighbour):
    ahead = today() + datetime.timedelta(days=5)
    event = transfer_within(actor, official, effective_on=ahead, unit=Unit.objects.get(pk=neighbour))
    assert event.effective_on == ahead
