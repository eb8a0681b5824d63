"""Two-step sign-in in Chromium, required of staff: khoi signs in, is led to set up an authenticator,
scans (the test reads the secret the page shows and computes the phone's code), keeps the recovery
codes, signs out, and signs in again with the password and a code; a wrong code is refused."""

from __future__ import annotations

import re
import time
from base64 import b32decode

import pytest
from django.test import override_settings
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import CHROMIUM
from tests.helpers import log_out

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM, reason="Chromium không có trên máy: apt-get install -y chromium"),
]


def phone_code(secret: str, steps: int = 0) -> str:
    """What an authenticator app shows for the secret typed by hand, now or `steps` steps on."""
    totp = TOTP(b32decode(secret.replace(" ", "")))
    totp.time = time.time() + 30 * steps
    return f"{totp.token():06d}"


def password_step(page, url: str) -> None:
    page.goto(f"{url}/dang-vien/")
    page.get_by_label("Tên đăng nhập").fill("khoi")
    page.get_by_label("Mật khẩu").fill("demo")
    page.get_by_role("button", name="Đăng nhập").click()


@override_settings(TWO_FACTOR_REQUIRED=True)
def test_staff_set_up_two_step_sign_in_and_use_it(browser_page, demo_live):
    demo, url = demo_live
    page = browser_page
    password_step(page, url)
    page.wait_for_url(re.compile(r"/bao-mat/hai-buoc/\?next="))
    assert page.locator("#must-enroll").is_visible()
    assert page.locator("header nav").count() == 0  # nothing else is reachable yet
    qr = page.locator("#qr svg")
    assert qr.is_visible() and qr.bounding_box()["width"] >= 150
    secret = page.locator("#secret").inner_text()
    assert len(secret.replace(" ", "")) == 32

    page.get_by_label("Mã xác thực").fill(phone_code(secret))
    page.get_by_role("button", name="Xác nhận và bật đăng nhập hai bước").click()
    page.wait_for_url(re.compile(r"/bao-mat/ma-du-phong/"))
    codes = page.locator("#recovery-codes li")
    assert codes.count() == 10
    assert TOTPDevice.objects.filter(user__username="khoi", confirmed=True).exists()
    page.emulate_media(media="print")
    assert page.locator("header.top").is_hidden() and page.locator("#print").is_hidden()
    assert page.locator("#recovery-codes").is_visible()
    page.emulate_media(media="screen")
    page.get_by_role("link", name="Tôi đã lưu các mã, tiếp tục").click()
    page.wait_for_url(f"{url}/dang-vien/")

    log_out(page)
    password_step(page, url)
    page.wait_for_url(re.compile(r"/dang-nhap/ma-xac-thuc/"))
    wrong = "000000" if phone_code(secret, 1) != "000000" else "111111"
    page.get_by_label("Mã xác thực").fill(wrong)
    page.get_by_role("button", name="Xác nhận").click()
    assert "Mã xác thực không đúng" in page.locator("#code-form").inner_text()
    time.sleep(1.2)  # django-otp's throttle: one second after one wrong code
    page.get_by_label("Mã xác thực").fill(phone_code(secret, 1))
    page.get_by_role("button", name="Xác nhận").click()
    page.wait_for_url(f"{url}/dang-vien/")
    assert page.locator("header nav").is_visible()
