"""Taking in a member who arrives from outside the tree (/dang-vien/tiep-nhan/): an official transfer
in (chuyển sinh hoạt đảng chính thức đến) or a member hosted temporarily (sinh hoạt tạm thời): the
record and its history in one step, by the events' own rules, once, audited, within the scope."""

import datetime

import pytest

from dangbo.audit.models import AuditEntry
from dangbo.lib.http import today
from dangbo.members import actions
from dangbo.members.figures import subtree_figures
from dangbo.members.models import Event, Member, Stint
from dangbo.orgs.models import UnitKind, UnitVersion
from tests.helpers import hand_member_counts, is_vietnamese

URL = "/dang-vien/tiep-nhan/"
ARRIVED = datetime.date(2026, 10, 1)


def data(demo, **changes) -> dict:
    base = {
        "kind": "transfer_in", "unit": demo["chibo"], "effective_on": ARRIVED.isoformat(),
        "other_side": "Đảng bộ phường Hồng Bàng", "decision_number": "125-QĐ/ĐU", "decided_on": "2026-09-20",
        "issuing_body": "Đảng ủy phường Hồng Bàng", "papers": ["gioi_thieu", "phieu_dang_vien", "ly_lich",
                                                              "quyet_dinh_ket_nap", "quyet_dinh_chinh_thuc"],
        "dues_paid_until": "09/2026",
        "family_name": "Đỗ", "middle_name": "Văn", "given_name": "Khải", "other_name": "", "sex": "M",
        "birth_date": "1985-04-12", "ethnicity": "Kinh", "religion": "Không", "home_town": "Xã An Lão, Hải Phòng",
        "residence": "Phường Lê Chân, Hải Phòng", "citizen_id": "031085004321", "education": "12/12",
        "qualification": "Kỹ sư xây dựng", "theory_level": "trung_cap", "foreign_language": "Tiếng Anh B1",
        "occupation": "Công chức", "workplace": "Sở Xây dựng", "party_position": "", "government_position":
        "Phó Trưởng phòng", "union_position": "", "card_number": "01234567", "old_card_number": "",
        "background_number": "LL-2010-15", "badge": "",
        "admitted_on": "2010-05-19", "official_on": "2011-05-25", "ceremony_on": "", "note": "",
    }  # fmt: skip
    base.update(changes)
    return base


def cell_figures(demo, on):
    version = UnitVersion.objects.on(on).get(unit_id=demo["chibo"])
    return subtree_figures(version, on).get(version.path, {})


@pytest.mark.parametrize("who", ["coso", "khoi"])
def test_staff_take_in_an_official_transfer(as_user, demo, who):
    client = as_user(who)
    page = client.get(URL)
    assert page.status_code == 200 and 'name="form_token"' in page.content.decode()
    assert 'id="arrival"' in client.get("/dang-vien/").content.decode()  # the link from the list
    before = cell_figures(demo, ARRIVED)
    response = client.post(URL, data(demo))
    member = Member.unscoped.get(citizen_id="031085004321")
    assert response.status_code == 302 and response["Location"] == f"/dang-vien/{member.pk}/"
    assert (member.full_name, member.admitted_on, member.official_on) == (
        "Đỗ Văn Khải", datetime.date(2010, 5, 19), datetime.date(2011, 5, 25))
    events = list(member.events.order_by("effective_on", "pk"))
    assert [e.kind for e in events] == ["admission", "recognition", "transfer_in"]
    assert events[0].unit_id is None and events[0].other_side == "Đảng bộ phường Hồng Bàng"
    arrival = events[-1]
    assert (arrival.unit_id, arrival.effective_on, arrival.other_side) == (demo["chibo"], ARRIVED,
                                                                          "Đảng bộ phường Hồng Bàng")  # fmt: skip
    assert (arrival.decision_number, arrival.decided_on, arrival.issuing_body) == (
        "125-QĐ/ĐU", datetime.date(2026, 9, 20), "Đảng ủy phường Hồng Bàng")
    assert "Hồ sơ đã nhận: Giấy giới thiệu sinh hoạt đảng; Phiếu đảng viên (mẫu 2-HSĐV)" in arrival.note
    assert "Còn thiếu: Đơn xin vào Đảng" in arrival.note
    assert "Đã đóng đảng phí hết tháng 09/2026" in arrival.note
    [stint] = Stint.unscoped.filter(member=member)
    assert (stint.unit_id, stint.kind, stint.status, stint.start, stint.end) == (
        demo["chibo"], "official", "official", ARRIVED, None)
    # Counted from the day of arrival, not before.
    after = cell_figures(demo, ARRIVED)
    assert after["total"] == before["total"] + 1 and after["theory_trung_cap"] == before["theory_trung_cap"] + 1
    day_before = ARRIVED - datetime.timedelta(days=1)
    path = UnitVersion.objects.on(day_before).get(unit_id=demo["chibo"]).path
    assert cell_figures(demo, day_before)["total"] == hand_member_counts(path, day_before)["total"]
    # Audited: the record and each event.
    actions_written = set(AuditEntry.objects.filter(actor__username=who).values_list("action", flat=True))
    assert {"create_member", "event_admission", "event_recognition", "event_transfer_in"} <= actions_written
    html = client.get(f"/dang-vien/{member.pk}/").content.decode()
    assert "Chuyển sinh hoạt chính thức đến" in html and "Đảng bộ phường Hồng Bàng" in html


def test_the_same_form_sent_twice_takes_in_once(as_user, demo):
    client = as_user("coso")
    sent = data(demo, form_token="a" * 32)
    first = client.post(URL, sent)
    second = client.post(URL, sent)
    assert first.status_code == 302 and second.status_code == 302
    assert second["Location"] == first["Location"]
    assert Member.unscoped.filter(citizen_id="031085004321").count() == 1


def test_a_member_hosted_temporarily_is_listed_not_counted(as_user, demo):
    client = as_user("coso")
    before = cell_figures(demo, ARRIVED)
    response = client.post(URL, data(demo, kind="temporary_hosted", ends_on="2027-04-01", papers=["gioi_thieu"]))
    assert response.status_code == 302
    member = Member.unscoped.get(citizen_id="031085004321")
    [stint] = Stint.unscoped.filter(member=member)
    assert (stint.kind, stint.start, stint.end) == ("temporary", ARRIVED, datetime.date(2027, 4, 1))
    hosted = member.events.get(kind="temporary_hosted")
    assert hosted.note == "Hồ sơ đã nhận: Giấy giới thiệu sinh hoạt đảng. Đã đóng đảng phí hết tháng 09/2026."
    assert cell_figures(demo, ARRIVED) == before
    assert client.get(f"/dang-vien/{member.pk}/").status_code == 200
    assert as_user("chibo").get(f"/dang-vien/{member.pk}/").status_code == 200


def test_a_probationary_member_arrives_with_their_ceremony(as_user, demo):
    response = as_user("coso").post(URL, data(demo, admitted_on="2026-02-03", official_on="",
                                              ceremony_on="2026-02-20", papers=[]))  # fmt: skip
    assert response.status_code == 302
    member = Member.unscoped.get(citizen_id="031085004321")
    assert member.official_on is None
    assert Stint.unscoped.get(member=member).status == "probationary"
    timeline = actions.timeline_of(member)
    assert timeline.probation_ends == datetime.date(2027, 2, 20)
    note = member.events.get(kind="transfer_in").note
    assert note.startswith("Hồ sơ đã nhận: chưa có. Còn thiếu: Giấy giới thiệu sinh hoạt đảng;")
    assert "công nhận đảng viên chính thức" not in note  # not expected of a probationary member


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"other_side": ""}, "other_side", "bắt buộc"),
        ({"citizen_id": "12345"}, "citizen_id", "12 chữ số"),
        ({"card_number": "12ab"}, "card_number", "8 chữ số"),
        ({"official_on": "2010-09-01"}, "official_on", "ít nhất 12 tháng"),
        ({"admitted_on": "2026-12-05"}, "admitted_on", "sau hôm nay"),
        ({"admitted_on": "2026-10-02", "effective_on": "2026-10-01"}, "admitted_on", ""),
        ({"kind": "temporary_hosted", "ends_on": ""}, "ends_on", "ngày kết thúc"),
        ({"kind": "temporary_hosted", "ends_on": "2026-11-01"}, None, "từ 3 tháng đến 2 năm"),
        ({"birth_date": "2012-01-01"}, "birth_date", ""),
        ({"dues_paid_until": "tháng chín"}, "dues_paid_until", "10/2026"),
        ({"unit": "999999"}, "unit", "ngoài phạm vi"),
    ],
)
def test_bad_input_keeps_what_was_typed_and_writes_nothing(as_user, demo, changes, field, message):
    counts = (Member.unscoped.count(), Event.unscoped.count(), Stint.unscoped.count(), AuditEntry.objects.count())
    response = as_user("coso").post(URL, data(demo, workplace="Sở Đã Gõ", **changes))
    assert response.status_code == 400
    html = response.content.decode()
    assert 'value="Sở Đã Gõ"' in html and 'value="031085004321"' in html or "citizen_id" in changes
    if field is None:
        assert message in response.context["error"] and is_vietnamese(response.context["error"])
    else:
        errors = " ".join(response.context["form"].errors[field])
        assert message in errors and is_vietnamese(errors), errors
    assert (Member.unscoped.count(), Event.unscoped.count(), Stint.unscoped.count(),
            AuditEntry.objects.count()) == counts  # fmt: skip


def test_a_citizen_id_already_recorded_is_refused(as_user, demo):
    taken = Member.unscoped.exclude(citizen_id=None).first().citizen_id
    count = Member.unscoped.count()
    response = as_user("coso").post(URL, data(demo, citizen_id=taken))
    assert response.status_code == 400
    assert "đã có trong hồ sơ" in " ".join(response.context["form"].errors["citizen_id"])
    assert Member.unscoped.count() == count


def test_who_may_take_in(as_user, demo, outsider):
    assert as_user("chibo").get(URL).status_code == 403  # a cell secretary reads, staff record
    assert as_user("chibo").post(URL, data(demo)).status_code == 403
    assert as_user("xem").get(URL).status_code == 404
    assert as_user("ngoai").get(URL).status_code == 403
    assert not Member.unscoped.filter(citizen_id="031085004321").exists()


def test_a_cell_outside_the_scope_cannot_be_chosen(as_user, demo, outsider):
    coso = as_user("coso")
    cells = dict(coso.get(URL).context["form"].fields["unit"].choices)
    assert demo["chibo"] in cells and outsider[1] not in cells
    response = coso.post(URL, data(demo, unit=outsider[1]))
    assert response.status_code == 400
    assert not Member.unscoped.filter(citizen_id="031085004321").exists()


def test_a_cell_not_in_the_scope_on_the_day_of_arrival_is_refused(as_user, demo):
    # A cell of coso's committee founded after the demo's first days: an arrival before it existed.
    cell = (UnitVersion.objects.on(today()).filter(kind=UnitKind.ATTACHED_CELL,
                                                   path__startswith=UnitVersion.objects.on(today()).get(
                                                       unit_id=demo["coso"]).path)
            .order_by("-valid_from").first())  # fmt: skip
    day = cell.valid_from - datetime.timedelta(days=1)
    earliest = UnitVersion.objects.filter(unit_id=cell.unit_id).order_by("valid_from").first().valid_from
    if earliest != cell.valid_from:
        day = earliest - datetime.timedelta(days=1)
    response = as_user("coso").post(URL, data(demo, unit=cell.unit_id, effective_on=day.isoformat()))
    assert response.status_code == 400
    assert not Member.unscoped.filter(citizen_id="031085004321").exists()
