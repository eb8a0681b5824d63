"""Browser test in Debian's Chromium through Playwright (Playwright's own browser download is not used).

Skipped, with a clear reason, where Chromium is not installed (`apt-get install -y chromium`)."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone

from dangbo.admissions.models import Candidate, Stage
from dangbo.audit.models import AuditEntry
from dangbo.lib import vn
from dangbo.members.models import Event, EventKind, Member, MemberStatus, Stint
from dangbo.orgs.models import UnitVersion
from tests.conftest import CHROMIUM
from tests.helpers import from_menu, log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM, reason="Chromium không có trên máy: apt-get install -y chromium"),
]


def test_cell_secretary_overview_search_record_and_404(browser_page, demo_live):
    demo, url = demo_live
    page = browser_page
    page.goto(f"{url}/")
    # Not logged in: the login page, in Vietnamese.
    assert "/dang-nhap/" in page.url
    page.get_by_label("Tên đăng nhập").fill("chibo")
    page.get_by_label("Mật khẩu").fill("demo")
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{url}/")

    # The overview of the cell: its name and its member count.
    cell = UnitVersion.objects.filter(unit_id=demo["chibo"]).latest("valid_from")
    assert page.locator("h1").inner_text() == cell.name
    members_here = Stint.unscoped.official().open_on(page_date(page)).filter(unit_id=demo["chibo"]).count()
    assert page.locator('[data-figure="members"]').inner_text() == str(members_here)

    # Search without diacritics, open the record.
    from_menu(page, "Đảng viên", "Danh sách đảng viên")
    page.get_by_label("Tìm theo tên").fill("nguyen thi huong")
    page.get_by_role("button", name="Lọc").click()
    page.wait_for_url(re.compile(r"q=nguyen\+thi\+huong"))  # loaded: the rows are counted at once below
    link = page.locator("#members").get_by_role("link", name="Nguyễn Thị Hường")
    assert link.count() >= 1
    link.first.click()
    assert page.locator("h1").inner_text() == "Nguyễn Thị Hường"
    assert cell.name in page.locator("#history").inner_text()

    # A member of another cell, by URL: the Vietnamese 404 page.
    elsewhere = Member.unscoped.exclude(stints__unit_id=demo["chibo"]).order_by("pk").first()
    response = page.goto(f"{url}/dang-vien/{elsewhere.pk}/")
    assert response.status == 404
    assert page.locator("h1").inner_text() == "Không tìm thấy trang"
    assert elsewhere.full_name not in page.content()


def page_date(page):
    return datetime.date.fromisoformat(page.locator('input[name="date"]').first.input_value())


def submit(page, form):
    """Click the form's submit button and return the response the browser ends on."""
    with page.expect_navigation() as navigation:
        form.locator('button[type="submit"]').click()
    return navigation.value


def test_grassroots_staff_admits_then_recognises_and_is_refused_for_an_official(browser_page, demo_live):
    from playwright.sync_api import expect

    demo, url = demo_live
    page = browser_page
    d = vn.format_date
    # The server's day (Asia/Ho_Chi_Minh), which may differ from the machine's clock.
    today = timezone.localdate()
    # Admitted about 13 months ago: probation (12 months from the ceremony) has ended.
    ceremony = vn.add_months(today, -13)
    decided = ceremony - datetime.timedelta(days=7)
    considered = decided - datetime.timedelta(days=14)
    probation_ends = vn.add_years(ceremony, 1)
    assert probation_ends < today
    # A candidate of chibo's cell (inside coso's committee) whose complete dossier allows admission on those dates.
    candidate = next(
        (
            c
            for c in Candidate.unscoped.filter(cell_id=demo["chibo"], member__isnull=True).order_by("pk")
            if c.stage == Stage.DOSSIER and c.identified_on <= considered and c.course_passed_on <= considered
            and c.certificate_expires_on > decided and 18 <= vn.age_on(c.birth_date, considered) <= 60
        ),
        None,
    )  # fmt: skip
    assert candidate, f"the demo has no candidate in chibo's cell who can be admitted on {d(decided)}"
    name = candidate.full_name
    cell_name = UnitVersion.objects.filter(unit_id=demo["chibo"]).latest("valid_from").name
    # The member's page names the cell with the committee it belongs to.
    cell_label = f"{cell_name} — {UnitVersion.objects.filter(unit_id=demo['coso']).latest('valid_from').name}"

    # The pipeline, filtered on the stage: every row has a complete dossier; open the candidate.
    log_in(page, url, "coso", "/ket-nap/")
    filters = page.locator("form.filters")
    filters.get_by_label("Giai đoạn").select_option(Stage.DOSSIER)
    filters.get_by_role("button", name="Lọc").click()
    page.wait_for_url(re.compile(r"/ket-nap/\?.*stage=dossier"))
    rows = page.locator("#candidates tbody tr")
    assert rows.count() >= 1
    for row in rows.all():
        expect(row).to_contain_text(Stage.DOSSIER.label)
    row = rows.filter(has=page.locator(f'a[href="/ket-nap/{candidate.pk}/"]'))
    expect(row.locator("td").last).to_have_text("Đủ")  # nothing missing from the dossier
    row.get_by_role("link", name=name, exact=True).click()
    page.wait_for_url(f"{url}/ket-nap/{candidate.pk}/")
    expect(page.locator("h1")).to_contain_text(name)
    expect(page.locator("h1")).to_contain_text(Stage.DOSSIER.label)

    # An impossible decision: the cell considered the admission after the decision. Refused in
    # Vietnamese, nothing written, and what was typed is still there.
    form = page.locator("#admit-form")
    typed = {
        "Số quyết định": "123-QĐ/ĐU",
        "Ngày quyết định kết nạp": decided.isoformat(),
        "Ngày chi bộ xét, đề nghị kết nạp": (decided + datetime.timedelta(days=3)).isoformat(),
        "Ngày tổ chức lễ kết nạp": ceremony.isoformat(),
    }
    for label, value in typed.items():
        form.get_by_label(label).fill(value)
    audit_before = AuditEntry.objects.count()
    assert submit(page, form).status == 400
    expect(page.get_by_role("alert")).to_have_text(
        "Ngày chi bộ xét đề nghị kết nạp phải trước hoặc cùng ngày quyết định kết nạp."
    )
    form = page.locator("#admit-form")
    for label, value in typed.items():
        expect(form.get_by_label(label)).to_have_value(value)
    candidate.refresh_from_db()
    assert candidate.member_id is None
    assert AuditEntry.objects.count() == audit_before

    # Corrected: the member's page, with the message and the admission in the events.
    form.get_by_label("Ngày chi bộ xét, đề nghị kết nạp").fill(considered.isoformat())
    assert submit(page, form).status == 200
    page.wait_for_url(re.compile(r"/dang-vien/\d+/$"))
    member_id = int(re.search(r"/dang-vien/(\d+)/$", page.url).group(1))
    candidate.refresh_from_db()
    assert candidate.member_id == member_id
    expect(page.get_by_role("status")).to_have_text(f"Đã ghi nhận kết nạp {name} ngày {d(decided)}.")
    expect(page.locator("h1")).to_have_text(name)
    status_line = page.locator("main p.muted").filter(has_text=" · tại ngày ")  # the status on the day shown
    expect(status_line).to_have_text(f"Đảng viên dự bị · sinh hoạt tại {cell_label} · tại ngày {d(today)}")
    admission_row = page.locator("#events tbody tr").filter(has_text=EventKind.ADMISSION.label)
    expect(admission_row).to_have_count(1)
    expect(admission_row.locator("td").nth(0)).to_have_text(d(decided))
    expect(admission_row).to_contain_text(f"Lễ kết nạp {d(ceremony)}")
    expect(admission_row).to_contain_text(f"Số 123-QĐ/ĐU ngày {d(decided)}")
    expect(page.locator('dt:text-is("Hết thời hạn dự bị") + dd')).to_have_text(d(probation_ends))

    # Counted from the decision: in the member list the day after it, as probationary; not the day before.
    member_link = f'a[href^="/dang-vien/{member_id}/?"]'
    for day, listed in ((decided + datetime.timedelta(days=1), True), (decided - datetime.timedelta(days=1), False)):
        page.goto(f"{url}/dang-vien/?date={day.isoformat()}")
        page.locator('form[role="search"]').get_by_label("Tìm theo tên").fill(vn.fold(name))
        page.locator('form[role="search"]').get_by_role("button", name="Lọc").click()
        page.wait_for_url(re.compile(rf"/dang-vien/\?date={day.isoformat()}&q="))
        if listed:
            row = page.locator("#members tbody tr").filter(has=page.locator(member_link))
            expect(row).to_have_count(1)
            expect(row.locator("td").nth(4)).to_have_text(cell_name)
            expect(row.locator("td").nth(5)).to_have_text(cell_label.partition(" — ")[2])  # Trực thuộc
            expect(row.locator("td").nth(6)).to_have_text(MemberStatus.PROBATIONARY.label)
            expect(row.locator("td").nth(7)).to_have_text(d(decided))
        else:
            expect(page.locator("main")).to_contain_text(f"đảng viên khớp với “{vn.fold(name)}”")
            expect(page.locator(member_link)).to_have_count(0)

    # Later: the recognition, effective exactly 12 months after the ceremony whenever decided.
    page.goto(f"{url}/dang-vien/{member_id}/")
    recognition_link = page.locator("ul.actions").get_by_role("link", name=EventKind.RECOGNITION.label, exact=True)
    recognition_link.click()
    page.wait_for_url(f"{url}/dang-vien/{member_id}/su-kien/recognition/")
    expect(page.locator("h1")).to_have_text(EventKind.RECOGNITION.label)
    expect(page.locator("main")).to_contain_text(
        f"Công nhận đảng viên chính thức có hiệu lực từ ngày hết 12 tháng dự bị: {d(probation_ends)}"
    )
    form = page.locator("#event-form")
    recognised_on = probation_ends + datetime.timedelta(days=5)
    form.get_by_label("Số quyết định", exact=True).fill("456-QĐ/ĐU")
    form.get_by_label("Ngày quyết định", exact=True).fill(recognised_on.isoformat())
    assert submit(page, form).status == 200
    page.wait_for_url(f"{url}/dang-vien/{member_id}/")
    expect(page.get_by_role("status")).to_have_text(
        f"Đã ghi nhận: {EventKind.RECOGNITION.label} ngày {d(probation_ends)}."
    )
    expect(status_line).to_have_text(f"Đảng viên chính thức · sinh hoạt tại {cell_label} · tại ngày {d(today)}")
    recognition_row = page.locator("#events tbody tr").filter(has_text=EventKind.RECOGNITION.label)
    expect(recognition_row).to_have_count(1)
    expect(recognition_row.locator("td").nth(0)).to_have_text(d(probation_ends))
    expect(recognition_row).to_contain_text(f"Số 456-QĐ/ĐU ngày {d(recognised_on)}")
    expect(page.locator('dt:text-is("Ngày chính thức") + dd')).to_have_text(d(probation_ends))
    expect(page.locator('dt:text-is("Ngày vào Đảng") + dd')).to_have_text(d(decided))

    # No second recognition is offered to the member now official.
    expect(recognition_link).to_have_count(0)

    # Refused for a member who is already official, even by the form's URL: nothing recorded.
    official = Member.unscoped.get(
        pk=Stint.unscoped.official().open_on(today)
        .filter(unit_id=demo["chibo"], status=MemberStatus.OFFICIAL).exclude(member_id=member_id)
        .order_by("member_id").values_list("member_id", flat=True).first()
    )  # fmt: skip
    official_on = official.official_on
    page.goto(f"{url}/dang-vien/{official.pk}/")
    expect(status_line).to_have_text(re.compile(rf"^Đảng viên chính thức · sinh hoạt tại {re.escape(cell_label)} · "))
    rows_before = page.locator("#events tbody tr").all_inner_texts()
    events_before = list(Event.unscoped.filter(member=official).values_list("pk", "cancelled_at"))
    audit_before = AuditEntry.objects.count()
    page.goto(f"{url}/dang-vien/{official.pk}/su-kien/recognition/")
    form = page.locator("#event-form")
    form.get_by_label("Số quyết định", exact=True).fill("789-QĐ/ĐU")
    form.get_by_label("Ngày quyết định", exact=True).fill(today.isoformat())
    assert submit(page, form).status == 400
    expect(page.get_by_role("alert")).to_have_text("Chỉ đảng viên dự bị mới được xét công nhận chính thức.")
    expect(page.locator("#event-form").get_by_label("Số quyết định", exact=True)).to_have_value("789-QĐ/ĐU")
    assert list(Event.unscoped.filter(member=official).values_list("pk", "cancelled_at")) == events_before
    assert AuditEntry.objects.count() == audit_before
    official.refresh_from_db()
    assert official.official_on == official_on
    page.goto(f"{url}/dang-vien/{official.pk}/")
    expect(page.locator("#events tbody tr")).to_have_count(len(rows_before))
    assert page.locator("#events tbody tr").all_inner_texts() == rows_before


def test_cell_secretary_records_minutes_and_downloads_them_as_word(browser_page, demo_live):
    """chibo plans a meeting of his cell for today, opens it from the list of planned meetings, records
    the minutes (one member excused with a reason, one absent without reason), sees the totals, and
    downloads the minutes as Word; the page and the document agree with the attendance rows."""
    import io
    from pathlib import Path

    import docx
    from django.db.models import Q
    from playwright.sync_api import expect

    from dangbo.meetings.models import Attendance, Meeting, Presence, Standing

    demo, url = demo_live
    page = browser_page
    d = vn.format_date
    today = timezone.localdate()  # the server's day
    cell = demo["chibo"]
    cell_name = UnitVersion.objects.filter(unit_id=cell).latest("valid_from").name
    # Who is invited: the cell's members today, counted here from their stints.
    stints = Stint.unscoped.filter(unit_id=cell, start__lte=today).filter(Q(end__isnull=True) | Q(end__gt=today))
    invited = {m.full_name: m.pk for m in Member.unscoped.filter(pk__in=stints.values("member_id"))}
    assert len(invited) >= 4

    # The meetings of the cell, from the menu; plan one for today (no time of day: see
    # tests/test_meeting_views.py::test_a_time_of_day_is_saved_and_audited).
    log_in(page, url, "chibo")
    from_menu(page, "Sinh hoạt", "Sinh hoạt chi bộ")
    page.wait_for_url(f"{url}/sinh-hoat/")
    expect(page.locator("h1")).to_have_text("Sinh hoạt chi bộ")
    page.get_by_role("link", name="Lập kế hoạch buổi sinh hoạt").click()
    page.wait_for_url(re.compile(r"/sinh-hoat/moi/"))
    form = page.locator("#plan-form")
    form.get_by_label("Chi bộ").select_option(str(cell))
    form.get_by_label("Loại").select_option("regular")
    form.get_by_label("Ngày dự kiến họp").fill(today.isoformat())
    form.get_by_label("Địa điểm").fill("Phòng họp chi bộ")
    form.get_by_label("Nội dung, chương trình").fill("Đánh giá công tác tháng, nhiệm vụ tháng tới.")
    assert submit(page, form).status == 200
    page.wait_for_url(re.compile(r"/sinh-hoat/\d+/$"))
    meeting_id = int(re.search(r"/sinh-hoat/(\d+)/$", page.url)[1])
    expect(page.get_by_role("status")).to_have_text(f"Đã lưu kế hoạch buổi sinh hoạt ngày {d(today)}.")

    # Back to the list, planned meetings only: open the one just planned.
    from_menu(page, "Sinh hoạt", "Sinh hoạt chi bộ")
    filters = page.locator("form.filters")
    filters.get_by_label("Tình trạng").select_option("planned")
    filters.get_by_role("button", name="Lọc").click()
    page.wait_for_url(re.compile(r"/sinh-hoat/\?.*status=planned"))
    row = page.locator("#meetings tbody tr").filter(has=page.locator(f'a[href="/sinh-hoat/{meeting_id}/"]'))
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Kế hoạch")
    row.get_by_role("link", name=d(today)).click()
    page.wait_for_url(f"{url}/sinh-hoat/{meeting_id}/")

    # The minutes form lists the members invited.
    page.get_by_role("link", name="Ghi biên bản, điểm danh").click()
    page.wait_for_url(f"{url}/sinh-hoat/{meeting_id}/ghi-bien-ban/")
    names = page.locator("#attendance-form tbody tr td:first-child").all_inner_texts()
    assert sorted(names) == sorted(invited)
    chair, secretary, excused, unexcused = names[:4]
    form = page.locator("#minutes-form")
    form.get_by_label("Thời lượng (phút)").fill("100")
    form.get_by_label("Chủ trì", exact=True).select_option(label=chair)
    form.get_by_label("Thư ký", exact=True).select_option(label=secretary)
    form.get_by_label(f"Vắng có lý do: {excused}", exact=True).check()
    form.get_by_label(f"Lý do vắng: {excused}", exact=True).fill("Đi công tác tỉnh")
    form.get_by_label(f"Vắng không lý do: {unexcused}", exact=True).check()
    form.get_by_label("Ý kiến phát biểu").fill("Các đồng chí thống nhất với báo cáo.")
    assert submit(page, form).status == 200
    page.wait_for_url(f"{url}/sinh-hoat/{meeting_id}/")
    expect(page.get_by_role("status")).to_have_text(f"Đã lưu biên bản buổi sinh hoạt ngày {d(today)}.")

    # The totals on the page equal the attendance rows counted here.
    meeting = Meeting.unscoped.get(pk=meeting_id)
    rows = list(Attendance.unscoped.filter(meeting=meeting).select_related("member"))
    presence = {r.member.full_name: r.presence for r in rows}
    assert presence == {
        name: Presence.EXCUSED if name == excused else Presence.UNEXCUSED if name == unexcused else Presence.PRESENT
        for name in invited
    }
    counted = {
        "official": sum(r.standing == Standing.OFFICIAL for r in rows),
        "probationary": sum(r.standing == Standing.PROBATIONARY for r in rows),
        "hosted": sum(r.standing == Standing.HOSTED for r in rows),
        "exempted": sum(r.exempted for r in rows),
        "away": sum(r.away for r in rows),
        "present": sum(r.presence == Presence.PRESENT for r in rows),
        "excused": sum(r.presence == Presence.EXCUSED for r in rows),
        "unexcused": sum(r.presence == Presence.UNEXCUSED for r in rows),
    }
    assert (counted["present"], counted["excused"], counted["unexcused"]) == (len(invited) - 2, 1, 1)
    totals = [int(t) for t in page.locator("#totals tbody td").all_inner_texts()]
    assert totals == list(counted.values())
    expect(page.locator("#attendance tbody tr")).to_have_count(len(invited))
    expect(page.locator("#attendance tbody tr").filter(has_text=excused)).to_contain_text("Đi công tác tỉnh")

    # The minutes in Word, downloaded by the browser.
    with page.expect_download() as info:
        page.get_by_role("link", name="Tải biên bản (Word)").click()
    download = info.value
    assert download.suggested_filename == f"bien-ban-sinh-hoat-{today.isoformat()}.docx"
    document = docx.Document(io.BytesIO(Path(download.path()).read_bytes()))
    paragraphs = [p.text for p in document.paragraphs]
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    text = "\n".join(paragraphs + cells)
    absent = counted["excused"] + counted["unexcused"]
    assert "BIÊN BẢN" in paragraphs
    assert cell_name.upper() in text
    for name in invited:
        assert name in cells, name
    for line in (
        f"Có mặt: {counted['present']} đồng chí.",
        f"Vắng: {absent} đồng chí: có lý do {counted['excused']}, không lý do {counted['unexcused']}.",
        f"Vắng có lý do: {excused} (Đi công tác tỉnh)",
        f"Vắng không lý do: {unexcused}",
        f"Chủ trì: đồng chí {chair}",
        f"Thư ký: đồng chí {secretary}",
        f"Thời gian: {vn.format_date_long(today)}; thời lượng 100 phút.",
    ):
        assert line in paragraphs, line
    # The attendance table of the document: one row per member, with what was recorded.
    header = ["STT", "Họ và tên", "Tư cách", "Tham dự"]
    table = next(t for t in document.tables if [c.text for c in t.rows[0].cells] == header)
    listed = {row.cells[1].text: row.cells[3].text for row in table.rows[1:]}
    labels = {Presence.PRESENT: "Có mặt", Presence.EXCUSED: "Vắng có lý do (Đi công tác tỉnh)",
              Presence.UNEXCUSED: "Vắng không lý do"}  # fmt: skip
    assert listed == {name: labels[p] for name, p in presence.items()}


def test_the_cell_proposes_and_the_committee_decides_in_the_2025_rating_round(browser_page, demo_live):
    """chibo opens the 2025 round from "Xếp loại chất lượng" and proposes a member's level (his cell
    has no proposals yet); coso opens the same round, filters those proposed excellent and finds that
    deciding them as proposed breaks the 20% quota of his committee (refused, nothing written, the
    figures and the names listed), then decides the members of chibo's cell only, confirming it: the
    results are in the table, the database and the quota cards."""

    from playwright.sync_api import expect

    from dangbo.ratings.models import MemberRating, PeriodKind, RatingPeriod

    demo, url = demo_live
    page = browser_page
    # Written out here (DOMAIN §5 and the 2025 round's thresholds of Quy định 366-QĐ/TW).
    labels = {"excellent": "Hoàn thành xuất sắc nhiệm vụ", "good": "Hoàn thành tốt nhiệm vụ",
              "done": "Hoàn thành nhiệm vụ", "failed": "Không hoàn thành nhiệm vụ"}  # fmt: skip

    def level_of(score):
        return "excellent" if score >= 90 else "good" if score >= 70 else "done" if score >= 50 else "failed"

    period = RatingPeriod.objects.get(kind=PeriodKind.YEAR, year=2025)
    round_url = f"{url}/xep-loai/dot/{period.pk}/"
    ratings = MemberRating.unscoped.filter(period=period, exempted=False).select_related("member").order_by("pk")
    cell = list(ratings.filter(cell_id=demo["chibo"]))
    assert cell and not any(r.proposed_level or r.decided_level for r in cell)
    chosen = cell[0]
    name, score = chosen.member.full_name, chosen.self_score
    level = level_of(score)

    def open_round():
        from_menu(page, "Đánh giá", "Xếp loại chất lượng")
        page.wait_for_url(f"{url}/xep-loai/")
        # The results open on the latest decided year; choose 2025, then its round.
        filters = page.locator("form.filters")
        filters.get_by_label("Năm").select_option("2025")
        filters.get_by_role("button", name="Xem").click()
        page.wait_for_url(f"{url}/xep-loai/?nam=2025")
        page.get_by_role("link", name="Tiến hành đánh giá, xếp loại năm 2025").click()
        page.wait_for_url(round_url)
        expect(page.locator("h1")).to_have_text(period.name)

    # chibo: only his cell; the level matching the member's self score, the score kept.
    log_in(page, url, "chibo")
    open_round()
    member_rows = page.locator('#round tbody tr[id^="rating-"]')
    expect(member_rows).to_have_count(MemberRating.unscoped.filter(period=period, cell_id=demo["chibo"]).count())
    expect(page.locator("#decide-form")).to_have_count(0)
    row = page.locator(f"#rating-{chosen.pk}")
    row.get_by_label(f"Mức xếp loại: {name}", exact=True).select_option(level)
    expect(row.get_by_label(f"Điểm: {name}", exact=True)).to_have_value(str(score))
    with page.expect_navigation():
        row.get_by_role("button", name="Chi bộ đề xuất").click()
    expect(page.get_by_role("status")).to_have_text(f"Chi bộ đã đề xuất mức xếp loại của {name}.")
    expect(page.locator(f"#rating-{chosen.pk} td").nth(2)).to_have_text(f"{labels[level]} · {score} điểm")
    chosen.refresh_from_db()
    assert (chosen.proposed_level, chosen.proposed_score, chosen.decided_level) == (level, score, "")
    page.get_by_role("button", name="Đăng xuất").click()
    page.wait_for_url(re.compile(r"/dang-nhap/"))

    # coso: the whole committee; nothing decided yet.
    log_in(page, url, "coso")
    open_round()
    cards = page.locator("#quota .card b")
    expect(cards).to_have_text(["0", "0 / 0", "0"])
    committee = ratings.filter(grassroots_id=demo["coso"])
    filters = page.locator("form.filters")

    # Those the cells proposed excellent, every proposal pre-filled in its row: deciding them all
    # at once breaks the 20% quota (counted here), and the page lists them with the figures.
    proposed_excellent = committee.filter(proposed_level="excellent").count()
    assert 0 < proposed_excellent <= 50, proposed_excellent
    filters.locator("select[name=buoc]").select_option("de-xuat-xuat-sac")
    filters.get_by_role("button", name="Xem").click()
    page.wait_for_url(f"{round_url}?tccs={demo['coso']}&chibo=&buoc=de-xuat-xuat-sac")
    expect(page.locator('select[form="decide-form"]')).to_have_count(proposed_excellent)
    allowed = proposed_excellent * 20 // 100
    audit_before = AuditEntry.objects.count()
    form = page.locator("#decide-form")
    # Without the confirmation box ticked the browser does not send the decision.
    form.get_by_role("button", name="Quyết định xếp loại").click()
    expect(page.get_by_role("alert")).to_have_count(0)
    form.get_by_label(re.compile("Tôi xác nhận quyết định xếp loại")).check()
    assert submit(page, form).status == 400
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Vượt tỷ lệ đảng viên hoàn thành xuất sắc nhiệm vụ: không quá 20%")
    expect(alert).to_contain_text(
        f"Với {proposed_excellent} đảng viên hoàn thành tốt nhiệm vụ trở lên, tối đa {allowed}"
    )
    panel = page.locator("#quota-refused")
    expect(panel.locator("b[data-figure]")).to_have_text(
        [str(proposed_excellent), str(allowed), "0", str(allowed), str(proposed_excellent)]
    )
    expect(panel.locator('tbody tr[id^="excellent-"]')).to_have_count(proposed_excellent)
    assert not MemberRating.unscoped.filter(period=period).exclude(decided_level="").exists()
    assert AuditEntry.objects.count() == audit_before
    expect(cards).to_have_text(["0", "0 / 0", "0"])

    # Only chibo's cell: its members' levels from their self scores (the one proposed is pre-filled).
    filters = page.locator("form.filters")
    filters.locator("select[name=chibo]").select_option(str(demo["chibo"]))
    filters.locator("select[name=buoc]").select_option("")
    filters.get_by_role("button", name="Xem").click()
    page.wait_for_url(f"{round_url}?tccs={demo['coso']}&chibo={demo['chibo']}&buoc=")
    expected = {r.pk: (level_of(r.self_score), r.self_score) for r in cell}
    expect(page.locator('select[form="decide-form"]')).to_have_count(len(cell))
    expect(page.locator(f'select[name="level-{chosen.pk}"]')).to_have_value(level)
    for pk, (cell_level, cell_score) in expected.items():
        page.locator(f'select[name="level-{pk}"]').select_option(cell_level)
        page.locator(f'input[name="score-{pk}"]').fill(str(cell_score))
    form = page.locator("#decide-form")
    form.get_by_label(re.compile("Tôi xác nhận quyết định xếp loại")).check()
    assert submit(page, form).status == 200
    page.wait_for_url(f"{round_url}?tccs={demo['coso']}&chibo={demo['chibo']}")
    expect(page.get_by_role("status")).to_have_text(f"Đã quyết định xếp loại {len(cell)} đảng viên.")
    rows_of_cell = MemberRating.unscoped.filter(period=period, cell_id=demo["chibo"]).count()
    expect(page.locator('#round tbody tr[id^="rating-"]')).to_have_count(rows_of_cell)
    expect(page.locator(f"#rating-{chosen.pk} td").nth(3)).to_have_text(f"{labels[level]} · {score} điểm")

    # The database: those members decided, by coso, one audit entry each; nobody else.
    decided = MemberRating.unscoped.filter(period=period).exclude(decided_level="")
    assert {r.pk: (r.decided_level, r.decided_score) for r in decided} == expected
    assert {r.decided_by.username for r in decided} == {"coso"}
    assert AuditEntry.objects.filter(action="rating_decide").count() == len(cell)
    assert AuditEntry.objects.count() == audit_before + len(cell)
    # The quota cards now count them.
    levels = [cell_level for cell_level, _ in expected.values()]
    cell_good_or_better = sum(lv in ("excellent", "good") for lv in levels)
    cell_allowed = cell_good_or_better * 20 // 100
    excellent = levels.count("excellent")
    expect(cards).to_have_text(
        [str(cell_good_or_better), f"{excellent} / {cell_allowed}", str(cell_allowed - excellent)]
    )
    assert cell_good_or_better > 0
