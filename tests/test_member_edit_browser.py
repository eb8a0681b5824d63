"""Staff's record work in Chromium, on a desktop and on a phone: coso corrects a member's theory
level from a date and sees the overview of a later date change and that of an earlier date not;
coso takes in a member transferred from outside the tree."""

from __future__ import annotations

import datetime
import re

import pytest
from playwright.sync_api import expect

from dangbo.members.models import AttributeChange, Member, Stint
from tests.conftest import CHROMIUM
from tests.helpers import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM, reason="Chromium không có trên máy: apt-get install -y chromium"),
]

VIEWPORTS = {"desktop": {"width": 1366, "height": 800}, "phone": {"width": 390, "height": 844}}


def theory_count(page, url: str, day: str, level: str) -> int:
    """The overview's count of members at `level` ("Trung cấp") on `day`, as the page shows it."""
    page.goto(f"{url}/?date={day}")
    table = page.locator("table", has=page.locator("caption", has_text="lý luận chính trị"))
    row = table.locator("tr", has=page.locator("th", has_text=re.compile(f"^{level}$")))
    return int(row.locator("td.num").first.inner_text().replace(".", ""))


def fits_the_screen(page, form: str) -> bool:
    """No field of the form reaches past the right edge of the screen (the site's navigation is
    the header's own concern)."""
    script = """(form) => [form, ...form.querySelectorAll('*')].every(
        e => e.getBoundingClientRect().right <= window.innerWidth + 1)"""
    return page.locator(form).evaluate(script)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_coso_corrects_a_theory_level_from_a_date(browser_page, demo_live, viewport):
    demo, url = demo_live
    page = browser_page
    page.set_viewport_size(VIEWPORTS[viewport])
    member = (Stint.unscoped.filter(unit_id=demo["chibo"], kind="official", end__isnull=True,
                                    start__lt=datetime.date(2024, 1, 1), member__theory_level="none")
              .select_related("member").order_by("member_id").first().member)  # fmt: skip
    log_in(page, url, "coso")
    earlier = theory_count(page, url, "2025-01-01", "Trung cấp")
    later = theory_count(page, url, "2025-09-30", "Trung cấp")

    page.goto(f"{url}/dang-vien/{member.pk}/")
    page.locator("#edit-record").click()
    page.wait_for_url(re.compile(r"/sua/$"))
    assert fits_the_screen(page, "#member-edit")
    page.get_by_label("Lý luận chính trị").select_option(label="Trung cấp")
    page.get_by_label("Có hiệu lực từ ngày").fill("2025-06-01")
    page.get_by_role("button", name="Lưu hồ sơ").click()
    page.wait_for_url(f"{url}/dang-vien/{member.pk}/")
    assert "Đã lưu hồ sơ" in page.content()
    history = page.locator("#record-history")
    assert history.is_visible()
    assert "Trung cấp" in history.inner_text() and "01/06/2025" in history.inner_text()
    assert AttributeChange.unscoped.filter(member_id=member.pk, effective_on=datetime.date(2025, 6, 1)).exists()

    assert theory_count(page, url, "2025-09-30", "Trung cấp") == later + 1
    assert theory_count(page, url, "2025-01-01", "Trung cấp") == earlier


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_coso_takes_in_a_member_from_outside(browser_page, demo_live, viewport):
    demo, url = demo_live
    page = browser_page
    page.set_viewport_size(VIEWPORTS[viewport])
    log_in(page, url, "coso", "/dang-vien/")
    page.locator("#arrival").click()
    page.wait_for_url(f"{url}/dang-vien/tiep-nhan/")
    assert fits_the_screen(page, "#arrival-form")
    page.get_by_label("Chuyển sinh hoạt chính thức đến").check()
    page.get_by_label("Chi bộ tiếp nhận").select_option(value=str(demo["chibo"]))
    page.get_by_label("Ngày hiệu lực (ngày đến sinh hoạt)").fill("2026-10-01")
    page.get_by_label("Chuyển đến từ tổ chức đảng").fill("Đảng bộ phường Hồng Bàng")
    page.get_by_label("Số quyết định (giấy giới thiệu)").fill("125-QĐ/ĐU")
    page.get_by_label("Giấy giới thiệu sinh hoạt đảng").check()
    page.get_by_label("Phiếu đảng viên (mẫu 2-HSĐV)").check()
    page.locator("#id_family_name").fill("Đỗ")
    page.locator("#id_middle_name").fill("Văn")
    page.locator("#id_given_name").fill("Khải")
    page.get_by_label("Giới tính").select_option(label="Nam")
    page.get_by_label("Ngày sinh").fill("1985-04-12")
    page.get_by_label("Số CCCD").fill("12345")  # mistyped first
    page.get_by_label("Ngày vào Đảng").fill("2010-05-19")
    page.get_by_label("Ngày chính thức").fill("2011-05-25")
    page.get_by_role("button", name="Tiếp nhận").click()
    invalid = page.locator(".field.invalid")
    expect(invalid).to_have_count(1)  # once the refused form is back
    assert "12 chữ số" in invalid.inner_text()
    assert page.get_by_label("Chuyển đến từ tổ chức đảng").input_value() == "Đảng bộ phường Hồng Bàng"
    assert not Member.unscoped.filter(family_name="Đỗ", given_name="Khải").exists()

    page.get_by_label("Số CCCD").fill("031085004321")
    page.get_by_role("button", name="Tiếp nhận").click()
    page.wait_for_url(re.compile(r"/dang-vien/\d+/$"))
    assert "Đã tiếp nhận đảng viên Đỗ Văn Khải" in page.content()
    events = page.locator("#events").inner_text()
    assert "Chuyển sinh hoạt chính thức đến" in events and "Đảng bộ phường Hồng Bàng" in events
    member = Member.unscoped.get(citizen_id="031085004321")
    assert Stint.unscoped.get(member=member).unit_id == demo["chibo"]
