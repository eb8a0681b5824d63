"""Accounts in bulk, in Chromium: a committee's staff create a cell's account, print its slip, and its
owner logs in with the one-time password and must choose their own first."""

from __future__ import annotations

import re

import pytest

from dangbo.accounts.models import User
from tests.conftest import CHROMIUM
from tests.helpers import from_menu, log_in, log_out

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM, reason="Chromium không có trên máy: apt-get install -y chromium"),
]


def test_bulk_account_slip_and_first_login(browser_page, demo_live):
    demo, url = demo_live
    page = browser_page
    log_in(page, url, "coso")
    from_menu(page, "Quản trị", "Tài khoản")
    page.get_by_role("link", name="Tạo tài khoản hàng loạt").click()
    page.wait_for_url(f"{url}/tai-khoan/tao-hang-loat/")  # loaded: the boxes are counted at once below
    boxes = page.locator("#eligible input[name=unit]")
    assert boxes.count() >= 2
    page.locator("#eligible thead input[type=checkbox]").uncheck()  # none, then the first one
    boxes.first.check()
    page.get_by_role("button", name="Tạo tài khoản cho các đơn vị đã chọn").click()
    page.wait_for_url(re.compile(r"/tai-khoan/mat-khau/"))
    slips = page.locator(".slip")
    assert slips.count() == 1
    username = slips.locator("dd.secret").first.inner_text()
    password = slips.locator("dd.password").inner_text()
    assert User.objects.get(username=username).must_change_password

    # Printed: the slip alone, without the site's header and buttons.
    page.emulate_media(media="print")
    assert page.locator("header.top").is_hidden() and page.locator("#print").is_hidden()
    assert slips.first.is_visible() and "/dang-nhap/" in slips.first.inner_text()
    page.emulate_media(media="screen")

    # Reloaded: the password is gone.
    page.reload()
    assert page.locator(".slip").count() == 0 and "không còn xem được" in page.locator("#gone").inner_text()

    log_out(page)
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(re.compile(r"/doi-mat-khau/"))
    assert page.locator("#must-change").is_visible()
    page.locator("#id_old_password").fill(password)
    page.locator("#id_new_password1").fill("Che-buoi-Hue-2026")
    page.locator("#id_new_password2").fill("Che-buoi-Hue-2026")
    page.get_by_role("button", name="Đổi mật khẩu").click()
    page.wait_for_url(f"{url}/")
    assert "Đã đổi mật khẩu" in page.content()
    assert not User.objects.get(username=username).must_change_password
