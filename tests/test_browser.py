"""Browser test in Debian's Chromium through Playwright (Playwright's own browser download is not used).

Skipped, with a clear reason, where Chromium is not installed (`apt-get install -y chromium`)."""

from __future__ import annotations

import os
import shutil

import pytest

from dangbo.demo.builder import build_demo
from dangbo.members.models import Member, Stint
from dangbo.orgs.models import Unit, UnitVersion

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM, reason="Chromium không có trên máy: apt-get install -y chromium"),
]


@pytest.fixture
def browser_page():
    # Playwright's sync API runs an event loop in this thread; the live server runs Django in another.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"],
        )  # fmt: skip
        page = browser.new_page(locale="vi-VN")
        page.set_default_timeout(15_000)
        yield page
        browser.close()


@pytest.fixture
def demo_live(transactional_db, live_server):
    """The session's demo committee is committed, so the live server sees it; a transactional test
    flushes the database when it ends, so rebuild it if an earlier one already did."""
    from tests.conftest import DEMO

    if not Unit.objects.exists():
        DEMO.update(build_demo())
    return dict(DEMO), live_server.url


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
    page.get_by_role("link", name="Đảng viên", exact=True).click()
    page.get_by_label("Tìm theo tên").fill("nguyen thi huong")
    page.get_by_role("button", name="Lọc").click()
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
    import datetime

    return datetime.date.fromisoformat(page.locator('input[name="date"]').first.input_value())
