"""The wording of the generated documents: the member sheet (2-HSĐV), the minutes as a page and in
Word, the reports in Word, the rating rounds. No doubled words ("Sinh ngày ngày"), the locality on
the place-date line, the minutes' adoption and closing lines, the attendance table's widths, and the
rule each year's ratings were made under."""

from __future__ import annotations

import io
import re

import docx
import lxml.html
import pytest
from docx.shared import Cm

from dangbo.lib import vn
from dangbo.meetings.models import Attendance, Meeting
from dangbo.ratings.models import RatingPeriod
from dangbo.reports.models import Report
from tests.test_meeting_views import minutes_post

DOUBLED = re.compile(r"\b(ngày|tháng|năm|số|giờ|đồng chí) \1\b", re.IGNORECASE)


def held(cell_id: int) -> Meeting:
    return Meeting.unscoped.filter(cell_id=cell_id, held_on__isnull=False).order_by("-held_on", "-pk").first()


def page_text(response) -> str:
    assert response.status_code == 200
    return " ".join(lxml.html.fromstring(response.content.decode()).text_content().split())


def docx_paragraphs(content: bytes) -> tuple[docx.document.Document, list[str]]:
    document = docx.Document(io.BytesIO(content))
    texts = [p.text for p in document.paragraphs]
    for table in document.tables:
        texts += [p.text for row in table.rows for cell in row.cells for p in cell.paragraphs]
    return document, texts


def test_the_member_sheet_says_ngay_once(demo, as_user):
    meeting = held(demo["chibo"])
    member = Attendance.unscoped.filter(meeting=meeting).select_related("member").first().member
    text = page_text(as_user("chibo").get(f"/dang-vien/{member.pk}/phieu/"))
    assert f"Sinh {vn.format_date_long(member.birth_date)}" in text
    assert "In ngày " in text
    assert not DOUBLED.search(text), DOUBLED.search(text)[0]


def test_the_minutes_are_dated_at_the_locality_not_in_the_meeting_room(demo, as_user):
    meeting = held(demo["chibo"])
    assert meeting.place, "the demo's meetings name their room"
    client = as_user("chibo")
    dated = f"Hải Phòng, {vn.format_date_long(meeting.held_on)}"  # the root's letterhead: Hải Phòng
    html = lxml.html.fromstring(client.get(f"/sinh-hoat/{meeting.pk}/bien-ban/").content.decode())
    assert html.get_element_by_id("minutes-dated").text_content() == dated
    text = " ".join(html.text_content().split())
    assert f"{meeting.place}, ngày" not in text and f"Địa điểm: {meeting.place}" in text
    assert not DOUBLED.search(text)
    _, paragraphs = docx_paragraphs(client.get(f"/sinh-hoat/{meeting.pk}/bien-ban.docx").content)
    assert dated in paragraphs
    assert not any(p.startswith(f"{meeting.place},") for p in paragraphs)
    assert not any(DOUBLED.search(p) for p in paragraphs)


def test_the_minutes_close_with_their_adoption_and_the_end_of_the_meeting(demo, as_user):
    meeting = held(demo["chibo"])
    client = as_user("chibo")
    # Not recorded: the lines are there, their figures left to be written.
    _, paragraphs = docx_paragraphs(client.get(f"/sinh-hoat/{meeting.pk}/bien-ban.docx").content)
    assert any(p.startswith("Biên bản đã được thông qua trước chi bộ, ……/") for p in paragraphs), paragraphs[-12:]
    # Recorded through the form: 95 minutes from 14:00, every invitee present, all but one approving.
    form = client.get(f"/sinh-hoat/{meeting.pk}/ghi-bien-ban/").content.decode()
    data = minutes_post(form, started_at="14:00")
    present = sum(1 for key in data if key.startswith("presence-"))
    data["approved_count"] = str(present - 1)
    response = client.post(f"/sinh-hoat/{meeting.pk}/ghi-bien-ban/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    meeting.refresh_from_db()
    assert (meeting.approved_count, meeting.present_count) == (present - 1, present)
    share = vn.format_percent((present - 1) * 100 / present)
    vote = f"Biên bản đã được thông qua trước chi bộ, {present - 1}/{present} đồng chí có mặt tán thành ({share})."
    ended = "Cuộc họp kết thúc vào lúc 15 giờ 35 cùng ngày."
    _, paragraphs = docx_paragraphs(client.get(f"/sinh-hoat/{meeting.pk}/bien-ban.docx").content)
    assert vote in paragraphs and ended in paragraphs
    text = page_text(client.get(f"/sinh-hoat/{meeting.pk}/bien-ban/"))
    assert vote in text and ended in text
    # More approving than present is refused, in Vietnamese, and nothing changes.
    data["approved_count"] = str(present + 1)
    refused = client.post(f"/sinh-hoat/{meeting.pk}/ghi-bien-ban/", data)
    assert refused.status_code == 400  # the form again, with the refusal
    assert "không thể nhiều hơn số đảng viên có mặt" in refused.content.decode()
    meeting.refresh_from_db()
    assert meeting.approved_count == present - 1


def test_the_attendance_table_gives_the_names_room(demo, as_user):
    meeting = held(demo["chibo"])
    document, _ = docx_paragraphs(as_user("chibo").get(f"/sinh-hoat/{meeting.pk}/bien-ban.docx").content)
    [table] = [t for t in document.tables if t.rows[0].cells[0].text == "STT"]
    widths = [column.width for column in table.columns]
    assert widths[1] >= Cm(6) and widths[0] <= Cm(1.5), widths
    assert sum(widths) <= Cm(16.05)
    for row in table.rows:
        assert [cell.width for cell in row.cells] == widths


def test_a_grassroots_reports_word_document_is_dated_at_the_locality(demo, as_user):
    report = Report.objects.filter(unit_id=demo["coso"], number__isnull=False).order_by("issued_on").first()
    _, paragraphs = docx_paragraphs(as_user("khoi").get(f"/bao-cao/{report.pk}/bao-cao.docx").content)
    assert f"Hải Phòng, {vn.format_date_long(report.issued_on)}" in paragraphs
    assert not any(DOUBLED.search(p) for p in paragraphs)


@pytest.mark.parametrize("year, rule", [(2020, "132"), (2021, "132"), (2022, "132"), (2023, "124"), (2024, "124"),
                                        (2025, "366")])  # fmt: skip
def test_each_rating_year_names_the_rule_it_was_rated_under(demo, as_user, year, rule):
    period = RatingPeriod.objects.get(year=year, kind="year")
    html = lxml.html.fromstring(as_user("khoi").get("/xep-loai/dot/").content.decode())
    row = " ".join(html.get_element_by_id(f"period-{period.pk}").text_content().split())
    assert f"Quy định {rule}-QĐ/TW" in row
    assert [r for r in ("132", "124", "366") if f"Quy định {r}-QĐ/TW" in row] == [rule]
    results = page_text(as_user("khoi").get(f"/xep-loai/?nam={year}"))
    assert f"Quy định {rule}-QĐ/TW" in results
