"""Writing reports and minutes: the period of a report chosen by its Vietnamese name, producing the
same period codes as were typed before ("2026-10", "2026-Q3", "2026-H1", "2026"); ad-hoc reports
named by their request's title, never by their key ("dx12"); sending (or completing) a report only
with its confirmation box ticked — a POST without it changes nothing and says why —; and the text
areas marked to grow with what is typed.

The names and codes expected are written out here, not read from the code under test.
"""

# The report tests' fixtures (login, ids, drafts, thang) are imported, then named as arguments.
# ruff: noqa: F811

from __future__ import annotations

import re

import lxml.html
import pytest

from dangbo.reports.models import Report, Status
from tests.helpers import is_vietnamese
from tests.test_report_views import (  # noqa: F401
    CONFIRMED,
    LIST,
    OPEN,
    REPORT,
    alerts,
    drafts,
    ids,
    login,
    redirected_to_report,
    sql,
    textareas,
    thang,
    tree,
    valid_request,
    world,
)

ROMAN = {"1": "I", "2": "II", "3": "III", "4": "IV"}


def name_of(key: str) -> str:
    """A period's name as users read it, from its code (written out here, not by the product)."""
    if m := re.fullmatch(r"(\d{4})-(\d{2})", key):
        return f"Tháng {int(m[2])}/{m[1]}"
    if m := re.fullmatch(r"(\d{4})-Q([1-4])", key):
        return f"Quý {ROMAN[m[2]]}/{m[1]}"
    if m := re.fullmatch(r"(\d{4})-H([12])", key):
        return f"6 tháng {'đầu' if m[2] == '1' else 'cuối'} năm {m[1]}"
    assert re.fullmatch(r"\d{4}", key), key
    return f"Năm {key}"


def offered(page) -> dict[str, list[tuple[str, str, bool]]]:
    """{report type code: [(period code, name shown, selected)]} of the forms that open a report."""
    found = {}
    for form in tree(page).xpath('//div[@id="open-report"]/form'):
        code = form.xpath('.//input[@name="loai"]/@value')[0]
        found[code] = [(o.get("value"), o.text_content().strip(), o.get("selected") is not None)
                       for o in form.xpath('.//select[@name="ky"]/option')]  # fmt: skip
    return found


# --- the period, chosen ---------------------------------------------------------------------------------


def test_the_periods_are_offered_by_name_newest_first_the_last_ended_chosen(login, ids):
    """On 27/11/2026: November is running, October the last month ended; Q4 running, Q3 ended…"""
    forms = offered(login("coso").get(LIST))
    assert "thang" in forms and "quy" in forms, forms
    months = forms["thang"]
    assert months[0] == ("2026-11", "Tháng 11/2026 (đang diễn ra)", False)
    assert months[1] == ("2026-10", "Tháng 10/2026", True)
    assert [key for key, _, _ in months][:4] == ["2026-11", "2026-10", "2026-09", "2026-08"]
    assert len(months) == 13 and months[-1][0] == "2025-11"
    assert forms["quy"][:2] == [("2026-Q4", "Quý IV/2026 (đang diễn ra)", False), ("2026-Q3", "Quý III/2026", True)]
    for code, options in forms.items():
        assert sum(selected for _, _, selected in options) == 1, code
        for key, shown, _ in options:
            assert shown.removesuffix(" (đang diễn ra)") == name_of(key), (code, key, shown)
            assert is_vietnamese(shown)
    if "6-thang" in forms:
        assert ("2026-H1", "6 tháng đầu năm 2026", True) in forms["6-thang"]
    if "nam" in forms:
        assert ("2025", "Năm 2025", True) in forms["nam"]


@pytest.mark.parametrize("loai, ky", [("thang", "2026-10"), ("thang", "2026-11"), ("quy", "2026-Q3")])
def test_a_period_chosen_opens_the_report_of_the_same_code_as_typed_before(login, ids, loai, ky):
    coso = login("coso")
    forms = offered(coso.get(LIST))
    assert ky in [key for key, _, _ in forms[loai]]
    pk = redirected_to_report(coso.post(OPEN, {"loai": loai, "ky": ky}))
    assert sql("SELECT r.period, t.code FROM reports_report r JOIN reports_reporttype t ON t.id = r.report_type_id "
               "WHERE r.id = %s", [pk]) == [(ky, loai)]  # fmt: skip
    # the report's page and the list name it, never by its code
    page = coso.get(REPORT.format(pk))
    assert name_of(ky) in tree(page).xpath("//title")[0].text_content()
    row = tree(coso.get(LIST)).xpath(f'//tr[@id="report-{pk}"]/td')
    assert row[2].text_content() == name_of(ky)


def test_a_refused_period_brings_back_the_type_with_the_asked_period_chosen(login, ids):
    """A period offered comes back chosen after a refusal elsewhere (the address carries it)."""
    forms = offered(login("coso").get(LIST + "?loai=quy&ky=2026-Q2"))
    assert [key for key, _, selected in forms["quy"] if selected] == ["2026-Q2"]
    assert [key for key, _, selected in forms["thang"] if selected] == ["2026-10"]


# --- ad-hoc reports, by their title -----------------------------------------------------------------------


def test_ad_hoc_reports_are_named_by_their_title_never_their_key(login, ids):
    coso = login("coso")
    # the demo's typhoon report, already sent and accepted
    typhoon = sql("SELECT r.id, q.title FROM reports_report r JOIN reports_adhocrequest q ON q.id = r.request_id "
                  "WHERE r.unit_id = %s AND q.id = %s", [ids["coso"], ids["typhoon"]])  # fmt: skip
    assert len(typhoon) == 1
    typhoon_pk, typhoon_title = typhoon[0]
    listed = coso.get(LIST)
    assert not re.search(r">\s*dx\d+\s*<", listed.content.decode())
    assert tree(listed).xpath(f'//tr[@id="report-{typhoon_pk}"]/td')[2].text_content() == typhoon_title
    page = coso.get(REPORT.format(typhoon_pk))
    assert typhoon_title in tree(page).xpath("//title")[0].text_content()
    assert "dx" not in tree(page).xpath("//title")[0].text_content()

    # a new request: coso sends its report, and the committee finds it waiting under its title
    khoi = login("khoi")
    assert khoi.post("/bao-cao/dot-xuat/moi/", valid_request()).status_code == 302
    ask_pk, title = sql("SELECT id, title FROM reports_adhocrequest ORDER BY id DESC LIMIT 1")[0]
    pk = redirected_to_report(coso.post(OPEN, {"yeu-cau": str(ask_pk)}))
    assert sql("SELECT period FROM reports_report WHERE id = %s", [pk]) == [(f"dx{ask_pk}",)]
    assert tree(coso.get(LIST)).xpath(f'//tr[@id="report-{pk}"]/td')[2].text_content() == title
    page = coso.get(REPORT.format(pk))
    sent = coso.post(
        REPORT.format(pk), {"action": "send", **CONFIRMED, **{f"text-{k}": "Ổn định" for k in textareas(page)}}
    )
    assert sent.status_code == 302 and Report.objects.get(pk=pk).status == Status.SUBMITTED
    waiting = khoi.get(LIST)
    assert not re.search(r">\s*dx\d+\s*<", waiting.content.decode())
    row = tree(waiting).xpath(f'//table[@id="waiting"]//tr[td/a[@href="{REPORT.format(pk)}"]]/td')
    assert row[2].text_content() == title


# --- sending asks for confirmation ----------------------------------------------------------------------


@pytest.mark.parametrize("confirmation", [{}, {"xac-nhan": ""}])
def test_sending_without_the_confirmation_does_nothing_and_says_why(login, ids, drafts, confirmation):
    coso = login("coso")
    url = REPORT.format(drafts["coso"])
    before, texts = world(), Report.objects.get(pk=drafts["coso"]).texts
    response = coso.post(url, {"action": "send", **confirmation, "text-ket-qua": "Nội dung vừa gõ"})
    assert response.status_code == 200
    message = alerts(response)
    assert "Báo cáo chưa được gửi: hãy đánh dấu ô xác nhận." in message and is_vietnamese(message)
    report = Report.objects.get(pk=drafts["coso"])
    assert (report.status, report.number, report.texts) == (Status.DRAFT, None, texts)
    assert world() == before
    assert textareas(response)["ket-qua"].strip() == "Nội dung vừa gõ"  # what was typed is still there
    # ticked, it is sent
    assert coso.post(url, {"action": "send", **CONFIRMED, "text-ket-qua": "Nội dung vừa gõ"}).status_code == 302
    assert Report.objects.get(pk=drafts["coso"]).status == Status.SUBMITTED


def test_completing_without_the_confirmation_does_nothing(login, ids):
    khoi = login("khoi")
    url = REPORT.format(ids["root_draft"])
    before = world()
    response = khoi.post(url, {"action": "complete"})
    assert response.status_code == 200 and "hãy đánh dấu ô xác nhận" in alerts(response)
    assert Report.objects.get(pk=ids["root_draft"]).status == Status.DRAFT and world() == before


def test_the_form_asks_for_the_box_only_to_send_saving_needs_none(login, ids, drafts):
    page = login("coso").get(REPORT.format(drafts["coso"]))
    form = tree(page).xpath('//form[@id="report-form"]')[0]
    box = form.xpath('.//input[@type="checkbox"][@name="xac-nhan"]')
    assert len(box) == 1 and box[0].get("required") is not None
    assert form.xpath('.//button[@value="save"]')[0].get("formnovalidate") is not None
    assert form.xpath('.//button[@value="send"]')[0].get("formnovalidate") is None
    # saving without the box saves
    response = login("coso").post(REPORT.format(drafts["coso"]), {"action": "save", "text-ket-qua": "Tạm ghi"})
    assert response.status_code == 302 and Report.objects.get(pk=drafts["coso"]).texts["ket-qua"] == "Tạm ghi"


# --- text areas that grow -------------------------------------------------------------------------------------


def test_the_report_and_request_text_areas_grow_and_load_the_writing_script(login, ids, drafts):
    for client, url in ((login("coso"), REPORT.format(drafts["coso"])), (login("khoi"), "/bao-cao/dot-xuat/moi/")):
        html = lxml.html.fromstring(client.get(url).content.decode())
        areas = html.xpath("//textarea")
        assert areas and all("grow" in (a.get("class") or "").split() for a in areas), url
        assert html.xpath('//script[contains(@src, "dangbo/writing.js")]'), url
        assert html.xpath('//link[contains(@href, "dangbo/writing.css")]'), url


# --- deleting asks for confirmation -----------------------------------------------------------------------


def test_deleting_a_plan_without_the_confirmation_deletes_nothing_and_says_why(login, ids):
    from dangbo.meetings.models import Meeting
    from tests.test_meeting_views import counts, new_plan

    meeting = new_plan(ids["chibo"])
    chibo = login("chibo")
    page = lxml.html.fromstring(chibo.get(f"/sinh-hoat/{meeting.pk}/").content.decode())
    box = page.xpath('//form[@id="delete-form"]//input[@type="checkbox"][@name="xac-nhan"]')
    assert len(box) == 1 and box[0].get("required") is not None
    before = counts()
    response = chibo.post(f"/sinh-hoat/{meeting.pk}/xoa/", follow=True)
    assert response.redirect_chain == [(f"/sinh-hoat/{meeting.pk}/", 302)]
    shown = " ".join(lxml.html.fromstring(response.content.decode()).xpath('//p[@role="alert"]//text()'))
    assert "Chưa xóa: hãy đánh dấu ô xác nhận" in shown and is_vietnamese(shown)
    assert counts() == before and Meeting.unscoped.filter(pk=meeting.pk).exists()
    # out of scope it is 404 before anything is asked
    assert login("ngoai").post(f"/sinh-hoat/{meeting.pk}/xoa/", {"xac-nhan": "1"}).status_code == 404
    assert Meeting.unscoped.filter(pk=meeting.pk).exists()
    response = chibo.post(f"/sinh-hoat/{meeting.pk}/xoa/", {"xac-nhan": "1"})
    assert response.status_code == 302 and not Meeting.unscoped.filter(pk=meeting.pk).exists()


def test_the_minutes_and_plan_text_areas_grow(login, ids):
    from tests.test_meeting_views import new_plan

    meeting = new_plan(ids["chibo"])
    chibo = login("chibo")
    for url in (f"/sinh-hoat/{meeting.pk}/ghi-bien-ban/", f"/sinh-hoat/{meeting.pk}/ke-hoach/"):
        html = lxml.html.fromstring(chibo.get(url).content.decode())
        areas = html.xpath("//main//textarea")
        assert areas and all("grow" in (a.get("class") or "").split() for a in areas), url
        assert html.xpath('//script[contains(@src, "dangbo/writing.js")]'), url
