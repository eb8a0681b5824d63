"""Every creating form writes once however often it is sent: the page draws a one-time token into the
form, and the same form sent twice (a double click, a reload) makes one record; the second sending is
sent where the first led. A form sent without its token is refused with a Vietnamese message, the
user's input kept, and writes nothing."""

from __future__ import annotations

import datetime

import lxml.html
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dangbo.accounts.models import User
from dangbo.admissions.models import REQUIRED_BEFORE_DECISION, Candidate
from dangbo.audit.models import AuditEntry
from dangbo.meetings.actions import plan_meeting
from dangbo.meetings.models import Material, Meeting, MeetingKind
from dangbo.members.models import Event, Member
from dangbo.once.models import FormToken
from dangbo.once.tokens import ALREADY_SENT, FIELD, MISSING
from dangbo.orgs.models import Unit
from dangbo.ratings.models import Discipline, RatingPeriod
from dangbo.reports.models import AdHocRequest, Report
from dangbo.targets.models import ManualValue, ModelRegistration
from dangbo.tasks.models import Task, TaskUpdate
from tests.helpers import is_vietnamese
from tests.test_discipline import member_of_cell, record_data
from tests.test_event_views import new_member
from tests.test_pipeline import admit_url, candidate_url, decision, ready
from tests.test_pipeline import form_data as candidate_data
from tests.test_report_views import valid_request
from tests.test_rounds_page import round_form
from tests.test_target_pages import REF, day_of, hand_manual_ids, registration_form, value_form
from tests.test_task_views import new_task_form

d = datetime.date
PDF = b"%PDF-1.4\n% dangbo\n"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def token_in(response, form_xpath: str) -> str:
    """The one-time token the page drew into the form."""
    assert response.status_code == 200
    (form,) = lxml.html.fromstring(response.content.decode()).xpath(form_xpath)
    (token,) = form.xpath(f'.//input[@type="hidden"][@name="{FIELD}"]/@value')
    return token


def by_id(form_id: str) -> str:
    return f'//form[@id="{form_id}"]'


def sent_twice(client, page: str, form_xpath: str, url: str, data, count) -> None:
    """Draw the form, send it twice with its token: one record, both answers lead to the same page."""
    token = token_in(client.get(page), form_xpath)
    assert token_in(client.get(page), form_xpath) != token, "each drawing of the form has its own token"
    before = count()
    first = client.post(url, data() | {FIELD: token})
    assert first.status_code == 302, first.content.decode()[:2000]
    assert count() == before + 1
    audit = AuditEntry.objects.count()
    second = client.post(url, data() | {FIELD: token})
    assert second.status_code == 302 and second.url == first.url
    assert count() == before + 1 and AuditEntry.objects.count() == audit
    shown = client.get(second.url).content.decode()
    assert ALREADY_SENT in shown
    assert FormToken.objects.get(key=token).url == first.url


def test_a_new_candidate_is_saved_once(as_user, demo):
    sent_twice(as_user("coso"), "/ket-nap/moi/", by_id("candidate-form"), "/ket-nap/moi/",
               lambda: candidate_data(demo["chibo"]), Candidate.unscoped.count)  # fmt: skip


def test_a_candidate_is_admitted_once(as_user, demo):
    candidate = ready(demo["chibo"])
    sent_twice(as_user("coso"), candidate_url(candidate), by_id("admit-form"), admit_url(candidate), decision,
               Member.unscoped.count)  # fmt: skip


@pytest.fixture
def official(demo) -> Member:
    from dangbo.members.actions import recognise

    actor = User.objects.get(username="khoi")
    member = new_member(actor, demo["chibo"], d(2023, 3, 1), d(2023, 3, 15))
    recognise(actor, member, decision_number="30-QĐ/ĐU")
    return member


def test_an_event_is_recorded_once(as_user, official):
    url = f"/dang-vien/{official.pk}/su-kien/death/"
    data = {"effective_on": "2025-05-05", "decision_number": "", "decided_on": "", "issuing_body": "", "note": "",
            "confirmed": "1"}  # fmt: skip
    sent_twice(as_user("coso"), url, by_id("event-form"), url, lambda: data, Event.unscoped.count)


def test_cancelling_the_latest_event_cancels_one(as_user, official):
    def cancelled():
        return Event.unscoped.filter(member=official, cancelled_at__isnull=False).count()

    sent_twice(as_user("coso"), f"/dang-vien/{official.pk}/", by_id("cancel"), f"/dang-vien/{official.pk}/huy-su-kien/",
               lambda: {"reason": "Nhập nhầm quyết định"}, cancelled)  # fmt: skip
    assert Event.unscoped.get(member=official, kind="admission").cancelled_at is None


def test_a_meeting_is_planned_once(as_user, demo):
    data = {"cell": demo["chibo"], "kind": "regular", "topic": "", "planned_on": "2026-12-15", "planned_time": "",
            "place": "Phòng họp chi bộ", "agenda": "1. Đánh giá tháng.", "materials_sent_on": ""}  # fmt: skip
    sent_twice(as_user("chibo"), "/sinh-hoat/moi/", by_id("plan-form"), "/sinh-hoat/moi/", lambda: data,
               Meeting.unscoped.count)  # fmt: skip


def test_a_material_is_uploaded_once(as_user, demo, media):
    actor = User.objects.get(username="chibo")
    meeting = plan_meeting(actor, Meeting(cell=Unit.objects.get(pk=demo["chibo"]), kind=MeetingKind.REGULAR,
                                          planned_on=d(2026, 12, 15), place="Phòng họp"))  # fmt: skip
    url = f"/sinh-hoat/{meeting.pk}/tai-lieu/"
    sent_twice(as_user("chibo"), f"/sinh-hoat/{meeting.pk}/", f'//form[@action="{url}"]', url,
               lambda: {"file": SimpleUploadedFile("du-thao.pdf", PDF)}, Material.objects.count)  # fmt: skip


def test_a_rating_round_is_created_once(as_user, demo):
    sent_twice(as_user("khoi"), "/xep-loai/dot/", by_id("period-form"), "/xep-loai/dot/", round_form,
               RatingPeriod.objects.count)  # fmt: skip


def test_a_discipline_is_recorded_once(as_user, demo):
    member_id = member_of_cell(demo["chibo"])
    page = f"/xep-loai/ky-luat/?dang-vien={member_id}"
    sent_twice(as_user("coso"), page, by_id("discipline-form"), "/xep-loai/ky-luat/",
               lambda: record_data(**{"dang-vien": member_id, "decision": "9-QĐ/ĐU"}), Discipline.unscoped.count)


def test_a_target_value_is_entered_once(as_user, demo, media):
    url = f"/chi-tieu/{hand_manual_ids(demo['root'], '2020–2025')[1]}/" + day_of(REF)
    sent_twice(as_user("khoi"), url, by_id("value-form"), url, value_form, ManualValue.objects.count)


def test_a_registration_is_added_once(as_user, demo):
    url = "/chi-tieu/dan-van-kheo/"
    sent_twice(as_user("coso"), url, by_id("registration-form"), url, lambda: registration_form(demo["chibo"]),
               ModelRegistration.objects.count)  # fmt: skip


def test_a_task_is_assigned_once(as_user, demo):
    coso = demo["coso"]
    page = f"/nhiem-vu/moi/?responsible_unit={coso}"
    html = lxml.html.fromstring(as_user("khoi").get(page).content.decode())
    heads = [int(v) for v in html.xpath('//form[@id="task-form"]//select[@name="head"]/option/@value') if v]
    sent_twice(as_user("khoi"), page, by_id("task-form"), "/nhiem-vu/moi/",
               lambda: new_task_form(coso, heads[0]), Task.objects.count)  # fmt: skip


@pytest.mark.parametrize("action", ["progress", "extension"])
def test_a_task_note_or_extension_request_is_sent_once(as_user, demo, action):
    task = Task.objects.filter(responsible_unit_id=demo["coso"], completed_on__isnull=True, recurrence="",
                               extensions__isnull=True).order_by("pk").first()  # fmt: skip
    data = {"progress": {"action": "progress", "progress": "40", "note": "Đã dự thảo."},
            "extension": {"action": "extension", "new_due_on": (task.due_on + datetime.timedelta(days=20)).isoformat(),
                          "reason": "Chờ số liệu của các chi bộ."}}[action]  # fmt: skip
    url = f"/nhiem-vu/{task.pk}/"
    sent_twice(as_user("coso"), url, by_id(f"{action}-form"), url, lambda: data, TaskUpdate.objects.count)


def test_a_report_is_opened_once(as_user, demo):
    sent_twice(as_user("coso"), "/bao-cao/?loai=thang&ky=2026-10", by_id("open-thang"), "/bao-cao/lap/",
               lambda: {"loai": "thang", "ky": "2026-10"}, Report.objects.count)  # fmt: skip


def test_an_ad_hoc_request_is_sent_once(as_user, demo):
    url = "/bao-cao/dot-xuat/moi/"
    sent_twice(as_user("khoi"), url, by_id("request-form"), url, valid_request, AdHocRequest.objects.count)


# --- a form without its token ---------------------------------------------------------------------------


def test_a_form_without_its_token_is_refused_and_keeps_what_was_typed(as_user, demo):
    member_id = member_of_cell(demo["chibo"])
    client = as_user("coso")
    before, audit = Discipline.unscoped.count(), AuditEntry.objects.count()
    data = record_data(**{"dang-vien": member_id, "decision": "9-QĐ/ĐU"}) | {FIELD: None}
    response = client.post("/xep-loai/ky-luat/", data)
    assert response.status_code == 400
    html = response.content.decode()
    assert MISSING in html and is_vietnamese(MISSING)
    form = lxml.html.fromstring(html).get_element_by_id("discipline-form")
    assert form.xpath('.//input[@name="decision"]/@value') == ["9-QĐ/ĐU"]
    assert form.xpath(f'.//input[@name="{FIELD}"]/@value'), "a fresh token to send again with"
    assert (Discipline.unscoped.count(), AuditEntry.objects.count()) == (before, audit)
    assert not FormToken.objects.exists()
    # A forged token is no token.
    assert client.post("/xep-loai/ky-luat/", data | {FIELD: "x' OR 1=1"}).status_code == 400
    assert Discipline.unscoped.count() == before


def test_a_refused_submission_gives_its_token_back(as_user, demo):
    """The action refuses (the form comes back with the reason): the same form sent again once the
    reason is gone writes."""
    candidate = ready(demo["chibo"], dossier=())
    client = as_user("coso")
    token = token_in(client.get(candidate_url(candidate)), by_id("admit-form"))
    before = Member.unscoped.count()
    refused = client.post(admit_url(candidate), decision() | {FIELD: token})
    assert refused.status_code == 400 and "Hồ sơ kết nạp còn thiếu" in refused.content.decode()
    assert Member.unscoped.count() == before and not FormToken.objects.filter(key=token).exists()
    Candidate.unscoped.filter(pk=candidate.pk).update(dossier=list(REQUIRED_BEFORE_DECISION))
    admitted = client.post(admit_url(candidate), decision() | {FIELD: token})
    assert admitted.status_code == 302 and Member.unscoped.count() == before + 1
