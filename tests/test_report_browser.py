"""A monthly report from opening to acceptance, in Debian's Chromium through Playwright (the pattern
of tests/test_task_browser.py; Playwright's own browser download is not used).

coso opens his committee's monthly report of 10/2026 (not yet written in the demo) from the
"Báo cáo" page: its statistics are pre-filled as the overview shows them on 31/10/2026; he types
the situation of opinion with Vietnamese diacritics and sends it, and it is numbered. khoi finds it
waiting, tries to return it without a reason (refused in Vietnamese, nothing changes), then returns
it with a comment; coso sees the comment, edits the text and sends it again (same number); khoi
accepts it. The history, the database, the audit log and khoi's board (late: the due day was
05/11/2026) then say so. Skipped, with a clear reason, where Chromium is not installed."""

from __future__ import annotations

import datetime
import re
import unicodedata

import pytest
from django.utils import timezone

from dangbo.accounts.models import User
from dangbo.audit.models import AuditEntry
from dangbo.orgs.models import UnitVersion
from dangbo.reports.models import Report, Status, Step
from tests.conftest import CHROMIUM
from tests.helpers import from_menu, log_in, log_out

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM, reason="Chromium không có trên máy: apt-get install -y chromium"),
]

PERIOD = "2026-10"
PERIOD_NAME = "Tháng 10/2026"
PERIOD_END = datetime.date(2026, 10, 31)
DUE_ON = datetime.date(2026, 11, 5)  # the demo's schedule: monthly reports due on the 5th of the next month
OPINION = "Tình hình tư tưởng của cán bộ, đảng viên"
NUMBER_SYMBOL = re.compile(r"^Số (\d{2,})-BC/ĐU$")

# The statuses and steps as the user reads them (written out, not read from the product).
DRAFT, SUBMITTED, RETURNED, ACCEPTED = "Đang soạn", "Đã gửi, chờ tiếp nhận", "Bị trả lại", "Đã tiếp nhận"


def dmy(day: datetime.date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def nfd(text: str) -> str:
    """The same words with the diacritics as combining marks, as some keyboards type them."""
    return unicodedata.normalize("NFD", text)


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def click_and_wait(page, button):
    """Click a submit button and return the response the browser ends on."""
    with page.expect_navigation() as navigation:
        button.click()
    return navigation.value


def display_name(user: User) -> str:
    return user.get_full_name() or user.username


def test_a_monthly_report_sent_returned_sent_again_and_accepted(browser_page, demo_live):
    from playwright.sync_api import expect

    demo, url = demo_live
    page = browser_page
    today = timezone.localdate()  # the server's day (Asia/Ho_Chi_Minh)
    coso_name = UnitVersion.objects.on(today).get(unit_id=demo["coso"]).name
    khoi, coso = User.objects.get(username="khoi"), User.objects.get(username="coso")
    assert not Report.objects.filter(unit_id=demo["coso"], report_type__code="thang", period=PERIOD).exists()

    # --- coso reads his committee's members on the period's last day, as the overview shows them.
    log_in(page, url, "coso")
    page.goto(f"{url}/to-chuc/{demo['coso']}/?date={PERIOD_END.isoformat()}")
    members = page.locator('[data-figure="members"]').inner_text().strip()
    assert re.fullmatch(r"\d{1,3}(\.\d{3})*", members), members

    # --- he opens the monthly report of 10/2026 from "Báo cáo".
    from_menu(page, "Báo cáo", "Báo cáo định kỳ")
    page.wait_for_url(f"{url}/bao-cao/")
    expect(page.locator("h1")).to_have_text("Báo cáo định kỳ")
    # The period is chosen by its name, not typed as a code.
    form = page.locator("#open-thang")
    form.get_by_label("Báo cáo tháng, kỳ").select_option(label=PERIOD_NAME)
    assert click_and_wait(page, form.get_by_role("button", name="Lập báo cáo")).status == 200
    page.wait_for_url(re.compile(r"/bao-cao/\d+/$"))
    report_id = int(re.search(r"/bao-cao/(\d+)/$", page.url)[1])
    report_path = f"/bao-cao/{report_id}/"
    status = page.locator("#status")
    number_symbol = page.locator("#number-symbol")
    expect(status).to_have_text(DRAFT)
    expect(number_symbol).to_have_text("cấp khi gửi (hoặc hoàn thành)")
    expect(page.locator("#report-facts")).to_contain_text(coso_name)
    expect(page.locator("#report-facts")).to_contain_text(f"{dmy(datetime.date(2026, 10, 1))} – {dmy(PERIOD_END)}")
    expect(page.locator("#report-facts")).to_contain_text(dmy(DUE_ON))
    # The statistics, pre-filled: the members as the overview counts them on 31/10/2026.
    total_row = page.locator("#section-to-chuc tr").filter(has=page.locator('th:text-is("Tổng số đảng viên")'))
    expect(total_row.locator("td")).to_have_text(members)
    # The text areas, the drafted one written from the figures.
    opinion = page.get_by_role("textbox", name=OPINION, exact=True)
    for title in (OPINION, "Kết quả thực hiện nhiệm vụ", "Hạn chế, nguyên nhân",
                  "Phương hướng, nhiệm vụ thời gian tới", "Kiến nghị, đề xuất"):  # fmt: skip
        expect(page.get_by_role("textbox", name=title, exact=True)).to_be_editable()
    drafted = page.get_by_role("textbox", name="Kết quả thực hiện nhiệm vụ", exact=True).input_value()
    assert coso_name in drafted, drafted

    first_text = (
        "Cán bộ, đảng viên trong Đảng bộ tư tưởng ổn định,   tin tưởng vào sự lãnh đạo của Đảng.\n"
        "Một số đồng chí còn băn khoăn về việc sắp xếp, tinh gọn tổ chức bộ máy."
    )
    first_stored = first_text.replace(",   ", ", ")  # one space between words, the lines kept
    # The text areas are as wide as the report, in the page's font, and grow as one types.
    font = page.evaluate("getComputedStyle(document.body).fontFamily")
    assert opinion.evaluate("t => getComputedStyle(t).fontFamily") == font
    section_width = page.locator("#section-tinh-hinh").evaluate("s => s.clientWidth")
    assert opinion.evaluate("t => t.offsetWidth") >= section_width - 2
    height = opinion.evaluate("t => t.offsetHeight")
    opinion.fill("\n".join(["Một dòng ý kiến của đảng viên."] * 30))
    grown = opinion.evaluate("t => t.offsetHeight")
    assert grown > height + 200, (height, grown)
    assert opinion.evaluate("t => t.scrollHeight <= t.clientHeight + 1")  # nothing hidden behind a scroll bar
    opinion.fill(nfd(first_text))
    # Sending asks for confirmation: without the box ticked the browser does not send.
    page.get_by_role("button", name="Gửi báo cáo", exact=True).click()
    expect(status).to_have_text(DRAFT)
    assert Report.objects.get(pk=report_id).status == Status.DRAFT
    page.get_by_label(re.compile("Tôi đã kiểm tra nội dung")).check()
    assert click_and_wait(page, page.get_by_role("button", name="Gửi báo cáo", exact=True)).status == 200
    page.wait_for_url(f"{url}{report_path}")
    expect(status).to_have_text(SUBMITTED)
    expect(number_symbol).to_have_text(NUMBER_SYMBOL)
    first_number = number_symbol.inner_text().strip()
    expect(page.get_by_role("status")).to_have_text(f"Đã gửi báo cáo ({first_number}).")
    expect(page.locator("#report-form textarea")).to_have_count(0)  # no longer editable
    expect(page.locator("#section-tinh-hinh p")).to_have_text(first_stored.splitlines())
    expect(page.locator("#decide")).to_have_count(0)  # coso does not accept his own report
    report = Report.objects.get(pk=report_id)
    assert (report.unit_id, report.to_unit_id, report.status) == (demo["coso"], demo["root"], Status.SUBMITTED)
    assert report.texts["tinh-hinh"] == nfc(first_stored)
    first_sent_at = report.first_sent_at
    assert first_sent_at is not None and report.sent_at == first_sent_at
    assert report.number_symbol == first_number
    log_out(page)

    # --- khoi finds it waiting and opens it.
    log_in(page, url, "khoi", "/bao-cao/")
    row = page.locator("#waiting tbody tr").filter(has=page.locator(f'a[href="{report_path}"]'))
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(0)).to_have_text(re.compile("^" + re.escape(coso_name + " — ")))  # and its parent
    expect(row.locator("td").nth(2)).to_have_text(PERIOD_NAME)
    expect(row.locator("td").nth(3)).to_have_text(dmy(DUE_ON))
    row.get_by_role("link", name="Báo cáo tháng").click()
    page.wait_for_url(f"{url}{report_path}")
    expect(status).to_have_text(SUBMITTED)
    decide = page.locator("#decide")

    # Returning without a reason is refused, in Vietnamese, and nothing changes.
    assert click_and_wait(page, decide.get_by_role("button", name="Trả lại để hoàn thiện")).status == 200
    expect(page.get_by_role("alert")).to_have_text("Hãy ghi rõ lý do trả lại báo cáo.")
    expect(status).to_have_text(SUBMITTED)
    expect(number_symbol).to_have_text(first_number)
    report.refresh_from_db()
    assert (report.status, report.comment, report.decided_at) == (Status.SUBMITTED, "", None)

    comment = "Đề nghị bổ sung đánh giá tư tưởng của đảng viên trẻ và kết quả phát triển đảng viên."
    decide.get_by_label("Lý do trả lại").fill(nfd(comment))
    assert click_and_wait(page, decide.get_by_role("button", name="Trả lại để hoàn thiện")).status == 200
    page.wait_for_url(f"{url}{report_path}")
    expect(page.get_by_role("status")).to_have_text("Đã trả lại báo cáo để đơn vị hoàn thiện.")
    expect(status).to_have_text(RETURNED)
    expect(page.locator("#decide")).to_have_count(0)
    expect(page.locator("#report-form textarea")).to_have_count(0)  # khoi does not edit coso's report
    log_out(page)

    # --- coso sees it returned with the comment, edits the text and sends it again.
    log_in(page, url, "coso", report_path)
    expect(status).to_have_text(RETURNED)
    expect(page.locator("#return-comment")).to_have_text(f"Cấp trên trả lại: {comment}")
    expect(opinion).to_have_value(first_stored)
    second_text = (
        first_stored
        + "\nĐảng viên trẻ nhiệt tình, gương mẫu; trong tháng kết nạp thêm đảng viên ở chi bộ Phòng Kỹ thuật."
    )
    opinion.fill(nfd(second_text))
    limits = "Việc nắm bắt tư tưởng đảng viên ở một số chi bộ chưa thường xuyên."
    page.get_by_role("textbox", name="Hạn chế, nguyên nhân", exact=True).fill(limits)
    expect(page.get_by_role("button", name="Gửi báo cáo", exact=True)).to_have_count(0)
    page.get_by_label(re.compile("Tôi đã kiểm tra nội dung")).check()
    assert click_and_wait(page, page.get_by_role("button", name="Gửi lại báo cáo", exact=True)).status == 200
    page.wait_for_url(f"{url}{report_path}")
    expect(status).to_have_text(SUBMITTED)
    expect(number_symbol).to_have_text(first_number)  # numbered once, the first time
    expect(page.get_by_role("status")).to_have_text(f"Đã gửi báo cáo ({first_number}).")
    expect(page.locator("#return-comment")).to_have_count(0)
    expect(page.locator("#section-tinh-hinh p")).to_have_text(second_text.splitlines())
    log_out(page)

    # --- khoi accepts it.
    log_in(page, url, "khoi", report_path)
    expect(status).to_have_text(SUBMITTED)
    assert click_and_wait(page, page.locator("#decide").get_by_role("button", name="Tiếp nhận")).status == 200
    page.wait_for_url(f"{url}{report_path}")
    expect(page.get_by_role("status")).to_have_text("Đã tiếp nhận báo cáo.")
    expect(status).to_have_text(ACCEPTED)
    expect(number_symbol).to_have_text(first_number)
    expect(page.locator("#decide")).to_have_count(0)
    expect(page.locator("#report-facts")).to_contain_text("Muộn" if today > DUE_ON else "Đúng hạn")
    when = r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}"
    by_coso, by_khoi = re.escape(display_name(coso)), re.escape(display_name(khoi))
    expect(page.locator("#steps li")).to_have_text([
        re.compile(rf"^{when} · Lập báo cáo · {by_coso}$"),
        re.compile(rf"^{when} · Gửi báo cáo · {by_coso}$"),
        re.compile(rf"^{when} · Trả lại · {by_khoi}: {re.escape(comment)}$"),
        re.compile(rf"^{when} · Gửi báo cáo · {by_coso}$"),
        re.compile(rf"^{when} · Tiếp nhận · {by_khoi}$"),
    ])  # fmt: skip

    # --- the database: what coso typed (NFC), the first sending kept, the number unchanged.
    report.refresh_from_db()
    assert report.status == Status.ACCEPTED
    assert report.texts["tinh-hinh"] == nfc(second_text)
    assert report.texts["han-che"] == limits
    assert report.first_sent_at == first_sent_at
    assert report.sent_at > first_sent_at
    assert report.number_symbol == first_number
    assert (report.decided_by_id, report.comment) == (khoi.pk, "")
    assert report.statistics is not None  # frozen when sent
    steps = list(report.steps.order_by("at", "pk").values_list("kind", "by_id", "comment"))
    assert steps == [
        (Step.Kind.CREATED, coso.pk, ""),
        (Step.Kind.SENT, coso.pk, ""),
        (Step.Kind.RETURNED, khoi.pk, comment),
        (Step.Kind.SENT, coso.pk, ""),
        (Step.Kind.ACCEPTED, khoi.pk, ""),
    ]
    assert report.steps.filter(kind=Step.Kind.SENT).order_by("at", "pk").first().at == first_sent_at
    audit = list(
        AuditEntry.objects.filter(target_type="reports.report", target_id=str(report_id))
        .exclude(action="report_save")
        .order_by("at", "pk")
        .values_list("action", "actor_id")
    )
    assert audit == [
        ("report_open", coso.pk),
        ("report_send", coso.pk),
        ("report_return", khoi.pk),
        ("report_send", coso.pk),
        ("report_accept", khoi.pk),
    ]
    sends = AuditEntry.objects.filter(target_type="reports.report", target_id=str(report_id), action="report_send")
    numbers = [(entry.before.get("number"), entry.after.get("number")) for entry in sends.order_by("at", "pk")]
    assert numbers == [(None, report.number), (report.number, report.number)]

    # --- khoi's board of the period: coso's committee sent it first after the due day.
    page.goto(f"{url}/bao-cao/theo-doi/?loai=thang&ky={PERIOD}")
    line = page.locator(f"#board #unit-{demo['coso']}")
    expect(line.locator("td")).to_have_text([
        coso_name,
        dmy(DUE_ON),
        dmy(timezone.localtime(first_sent_at).date()),
        "Muộn" if today > DUE_ON else "Đúng hạn",
        ACCEPTED,
    ])  # fmt: skip
