"""The Content-Security-Policy in Chromium: the main pages, the admin's included, run without a single
violation (no inline script, handler or style is refused), and the behaviours moved out of the
templates into static/dangbo/behaviours.js still work: a question before a form is sent, printing."""

from __future__ import annotations

import re

import pytest

from dangbo.accounts.models import User
from dangbo.audit.models import AuditEntry
from dangbo.members.models import Member
from dangbo.reports.models import Report
from tests.conftest import CHROMIUM
from tests.helpers import log_in, log_out

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM, reason="Chromium không có trên máy: apt-get install -y chromium"),
]

VIOLATION = re.compile(r"Content Security Policy|Refused to", re.I)


def watch(page) -> list[str]:
    """The violations the page reports on its console, as they come."""
    violations: list[str] = []
    page.on("console", lambda message: VIOLATION.search(message.text) and violations.append(message.text))
    return violations


def test_main_pages_have_no_policy_violation(browser_page, demo_live):
    demo, url = demo_live
    page = browser_page
    violations = watch(page)
    log_in(page, url, "khoi")
    member = Member.unscoped.order_by("pk").first()
    report = Report.objects.order_by("pk").first()
    paths = [
        "/",
        "/dang-vien/",
        f"/dang-vien/{member.pk}/",
        f"/dang-vien/{member.pk}/phieu/",
        f"/bao-cao/{report.pk}/",
        "/tai-khoan/",
        "/tai-khoan/tao-hang-loat/",
        "/doi-mat-khau/",
    ]
    for path in paths:
        response = page.goto(f"{url}{path}")
        assert response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_load_state("load")
        assert not violations, (path, violations)

    # The watch sees a violation when there is one: an inline handler added to the page is refused.
    page.evaluate(
        "() => { const b = document.createElement('button'); b.id = 'injected';"
        " b.setAttribute('onclick', 'document.title = \"ran\"'); document.body.append(b); }"
    )
    page.locator("#injected").click()
    page.wait_for_timeout(200)
    assert page.title() != "ran"
    assert violations and "inline event handler" in violations[0]


def test_the_admin_runs_under_the_policy(browser_page, demo_live):
    demo, url = demo_live
    page = browser_page
    violations = watch(page)
    page.goto(f"{url}/dang-nhap/?next=/admin/")
    page.get_by_label("Tên đăng nhập").fill("admin")
    page.get_by_label("Mật khẩu").fill("demo")
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{url}/admin/")
    account = User.objects.get(username="chibo")
    for path in ("/admin/", "/admin/accounts/user/", f"/admin/accounts/user/{account.pk}/change/"):
        assert page.goto(f"{url}{path}").status == 200, path
        page.wait_for_load_state("load")
    # The change form's scripts ran (its collapsible fieldsets and widgets are set up by them).
    page.locator("input[name=_save]").click()
    page.wait_for_url(f"{url}/admin/accounts/user/")
    assert not violations, violations


def test_a_confirmed_form_is_sent_only_when_accepted(browser_page, demo_live):
    demo, url = demo_live
    page = browser_page
    log_in(page, url, "coso", "/tai-khoan/")
    form = page.locator("form[data-confirm]").first
    assert form.count() == 1
    resets = AuditEntry.objects.filter(action="account_password_reset").count()

    asked: list[str] = []

    def dismiss(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    form.get_by_role("button", name="Cấp lại mật khẩu").click()
    page.wait_for_timeout(300)
    assert asked and asked[0].startswith("Cấp mật khẩu tạm thời mới cho tài khoản ")
    assert "/tai-khoan/mat-khau/" not in page.url
    assert AuditEntry.objects.filter(action="account_password_reset").count() == resets

    page.once("dialog", lambda dialog: dialog.accept())
    form.get_by_role("button", name="Cấp lại mật khẩu").click()
    page.wait_for_url(re.compile(r"/tai-khoan/mat-khau/"))
    assert AuditEntry.objects.filter(action="account_password_reset").count() == resets + 1

    # The print button prints (window.print is replaced to see it called).
    page.evaluate("() => { window.printed = 0; window.print = () => { window.printed += 1; }; }")
    page.locator("#print").click()
    assert page.evaluate("() => window.printed") == 1
    log_out(page)


def test_sign_out_everywhere_from_the_password_page(browser_page, demo_live):
    demo, url = demo_live
    page = browser_page
    log_in(page, url, "chibo", "/doi-mat-khau/")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Đăng xuất khỏi mọi thiết bị").click()
    page.wait_for_url(f"{url}/doi-mat-khau/")
    assert "Đã đăng xuất khỏi mọi thiết bị khác" in page.content()
    assert User.objects.get(username="chibo").session_generation == 1
    page.goto(f"{url}/")
    assert "/dang-nhap/" not in page.url  # this browser's own session goes on
