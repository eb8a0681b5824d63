"""Two-step sign-in (accounts.two_factor): required of staff roles when TWO_FACTOR_REQUIRED is on,
led to setting up an authenticator, recovery codes shown once and good once, wrong codes refused and
throttled in Vietnamese, turned on and off from "Bảo mật tài khoản", and reset by staff in scope."""

from __future__ import annotations

import re
import time
from binascii import unhexlify
from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from dangbo.accounts import two_factor
from dangbo.accounts.models import User
from dangbo.audit.models import AuditEntry

from .helpers import is_vietnamese

LOGIN = "/dang-nhap/"
VERIFY = "/dang-nhap/ma-xac-thuc/"
ENROLL = "/bao-mat/hai-buoc/"
CODES = "/bao-mat/ma-du-phong/"
SECURITY = "/bao-mat/"
REQUIRED = override_settings(TWO_FACTOR_REQUIRED=True)


def code_of(key: str, steps: int = 0) -> str:
    """The authenticator's code for `key`, now or `steps` time steps from now, as the phone shows it."""
    totp = TOTP(unhexlify(key))
    totp.time = time.time() + 30 * steps
    return f"{totp.token():06d}"


def signed_in(client) -> str | None:
    user_id = client.session.get(SESSION_KEY)
    return User.objects.get(pk=user_id).username if user_id else None


def password_step(client, username: str, **extra):
    response = client.post(LOGIN, {"username": username, "password": "demo", **extra})
    assert response.status_code == 302, response.content.decode()[:500]
    return response


def set_up(username: str) -> tuple[str, list[str]]:
    """Turns two-step sign-in on for `username` as the enrollment page does: (key, recovery codes).
    The enrollment's code is used up, so the next sign-in uses the next time step's."""
    key = two_factor.new_key()
    return key, two_factor.enable(User.objects.get(username=username), key, code_of(key))


def let_time_pass(username: str) -> None:
    """As if the codes' time steps and the throttle's wait had passed: any current code works again."""
    TOTPDevice.objects.filter(user__username=username).update(last_t=-1, throttling_failure_timestamp=None,
                                                             throttling_failure_count=0)  # fmt: skip


def test_setting_defaults_follow_the_environment(settings):
    # tests/settings.py runs in development: off, so the demo logins work without a phone.
    assert settings.DANGBO_ENV == "development" and settings.TWO_FACTOR_REQUIRED is False
    assert set(settings.TWO_FACTOR_REQUIRED_ROLES) == {"superior_staff", "grassroots_staff"}


def test_required_by_default_in_production_only():
    from tests.test_deploy import PRODUCTION, manage

    code = "from django.conf import settings as s; print(s.TWO_FACTOR_REQUIRED, ','.join(s.TWO_FACTOR_REQUIRED_ROLES))"
    result = manage("shell", "-v", "0", "-c", code, **PRODUCTION)
    assert result.stdout.strip() == "True superior_staff,grassroots_staff", result.stderr
    result = manage("shell", "-v", "0", "-c", code, DANGBO_ENV="development")
    assert result.stdout.strip() == "False superior_staff,grassroots_staff", result.stderr
    result = manage("check", **PRODUCTION, TWO_FACTOR_REQUIRED_ROLES="superior_staff,bi_thu")
    assert result.returncode != 0 and "TWO_FACTOR_REQUIRED_ROLES chỉ gồm các vai trò" in result.stderr


def test_a_session_from_before_is_asked_once(client, demo):
    """A signed-in session that never recorded its step (opened before two-step sign-in existed) is
    judged at its next request: an account with an authenticator owes its code."""
    key, _ = set_up("coso")
    client.force_login(User.objects.get(username="coso"))
    session = client.session
    del session[two_factor.SESSION_KEY]
    session.save()
    assert client.get("/").url == VERIFY
    assert client.session[two_factor.SESSION_KEY] == two_factor.CODE


@REQUIRED
def test_required_staff_enroll_then_sign_in_with_a_code(client, demo):
    password_step(client, "khoi")
    # Every page leads to the setting up, keeping where the user was going.
    response = client.get("/dang-vien/")
    assert response.status_code == 302 and response.url == f"{ENROLL}?next=%2Fdang-vien%2F"
    assert client.get("/").url == ENROLL
    response = client.get(ENROLL + "?next=/dang-vien/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Bật đăng nhập hai bước" in html and "bắt buộc đăng nhập hai bước" in html
    # The QR code is drawn inline by the application; the secret is there in text as well.
    assert re.search(r"<svg [^>]*aria-label=\"Mã QR", html) and "<img" not in html.split("<main>")[1]
    assert 'id="menu"' not in html  # nothing else is reachable yet
    key = client.session[two_factor.ENROLL_KEY_SESSION]
    secret = response.context["secret"]
    assert secret.replace(" ", "") in html.replace(" ", "") and two_factor.setup_url(
        User.objects.get(username="khoi"), key
    ).startswith("otpauth://totp/dangbo%3Akhoi?secret=" + secret.replace(" ", ""))

    # A wrong code is refused in Vietnamese, nothing written.
    audits = AuditEntry.objects.count()
    response = client.post(ENROLL, {"code": "000000" if code_of(key) != "000000" else "111111"})
    assert response.status_code == 200
    assert "Mã không khớp" in response.content.decode()
    assert not TOTPDevice.objects.filter(user__username="khoi").exists()
    assert AuditEntry.objects.count() == audits

    response = client.post(ENROLL, {"code": code_of(key), "next": "/dang-vien/"})
    assert response.status_code == 302 and response.url == f"{CODES}?next=%2Fdang-vien%2F"
    device = TOTPDevice.objects.get(user__username="khoi")
    assert device.confirmed and device.key == key
    entry = AuditEntry.objects.get(action="two_factor_enable")
    assert entry.actor.username == "khoi" and entry.after == {"two_factor": True, "recovery_codes": 10}
    assert key not in str(entry.before) + str(entry.after) + entry.note  # the secret stays out of the log

    # The recovery codes, shown once, printable; then the way on.
    response = client.get(CODES + "?next=/dang-vien/")
    codes = response.context["codes"]
    assert len(codes) == 10 == len(set(codes)) and StaticToken.objects.filter(device__user=device.user).count() == 10
    html = response.content.decode()
    assert "chỉ hiện một lần" in html and 'id="print"' in html and 'href="/dang-vien/"' in html
    assert all(f"{c[:4]} {c[4:]}" in html for c in codes)
    again = client.get(CODES)
    assert again.context["codes"] is None and "không còn xem được" in again.content.decode()
    assert client.get("/dang-vien/").status_code == 200

    # Signed out and in again: the password, then the code.
    client.post("/dang-xuat/")
    password_step(client, "khoi", next="/dang-vien/")
    assert signed_in(client) == "khoi"
    response = client.get("/dang-vien/")
    assert response.status_code == 302 and response.url == f"{VERIFY}?next=%2Fdang-vien%2F"
    assert client.get("/admin/").url.startswith(VERIFY)
    page = client.get(VERIFY + "?next=/dang-vien/")
    assert page.status_code == 200 and "mã 6 chữ số" in page.content.decode()
    assert 'id="menu"' not in page.content.decode()
    response = client.post(VERIFY, {"code": code_of(key, 1), "next": "/dang-vien/"})
    assert response.status_code == 302 and response.url == "/dang-vien/"
    assert client.get("/dang-vien/").status_code == 200
    assert client.get(VERIFY).status_code == 302  # nothing owed any more


@REQUIRED
def test_a_wrong_code_is_refused_in_vietnamese_and_throttled(client, demo):
    key, _ = set_up("khoi")
    password_step(client, "khoi")
    wrong = "123456" if code_of(key, 1) != "123456" else "654321"
    response = client.post(VERIFY, {"code": wrong})
    assert response.status_code == 200
    message = response.context["form"].errors["code"][0]
    assert message == two_factor.WRONG_CODE and is_vietnamese(message)
    # At once again, even the right code waits: django-otp's throttle, one second after one failure.
    response = client.post(VERIFY, {"code": code_of(key, 1)})
    message = response.context["form"].errors["code"][0]
    assert message.startswith("Đã nhập sai mã 1 lần liên tiếp. Vui lòng chờ đến "), message
    assert client.get("/").url.startswith(VERIFY)
    device = TOTPDevice.objects.get(user__username="khoi")
    assert device.throttling_failure_count == 1
    # A second later the right code signs in, and the count starts again.
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=timezone.now() - timedelta(seconds=2))
    assert client.post(VERIFY, {"code": code_of(key, 1)}).status_code == 302
    assert client.get("/").status_code == 200
    assert TOTPDevice.objects.get(pk=device.pk).throttling_failure_count == 0


def test_failures_in_a_row_wait_longer_each_time(client, demo):
    key, _ = set_up("coso")
    password_step(client, "coso")
    device = TOTPDevice.objects.get(user__username="coso")
    for failures in range(1, 6):
        TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=timezone.now() - timedelta(days=1))
        client.post(VERIFY, {"code": "000000" if code_of(key, 1) != "000000" else "111111"})
        device.refresh_from_db()
        assert device.throttling_failure_count == failures
        allowed, info = device.verify_is_allowed()
        assert not allowed
        assert info["locked_until"] - device.throttling_failure_timestamp == timedelta(seconds=2 ** (failures - 1))


@REQUIRED
def test_a_recovery_code_works_once(client, demo):
    _, codes = set_up("coso")
    password_step(client, "coso")
    code = codes[3]
    response = client.post(VERIFY, {"code": f"{code[:4].upper()} {code[4:]}"})  # as read from paper
    assert response.status_code == 302 and response.url == "/"
    assert StaticToken.objects.filter(device__user__username="coso").count() == 9
    entry = AuditEntry.objects.get(action="two_factor_recovery_used")
    assert entry.after == {"recovery_codes": 9} and "còn 9 mã" in entry.note
    client.post("/dang-xuat/")
    password_step(client, "coso")
    response = client.post(VERIFY, {"code": code})
    assert response.status_code == 200
    assert response.context["form"].errors["code"] == [two_factor.WRONG_CODE]
    assert client.get("/").url.startswith(VERIFY)


@REQUIRED
@pytest.mark.parametrize("username", ["chibo", "xem"])
def test_a_role_not_required_is_not_asked(client, demo, username):
    password_step(client, username)
    assert client.get("/").status_code == 200
    html = client.get(SECURITY).content.decode()
    assert "Chưa bật." in html and "bắt buộc" not in html


def test_with_the_setting_off_the_demo_login_needs_no_code(client, demo):
    for username in ("khoi", "coso"):
        client.post("/dang-xuat/")
        response = password_step(client, username)
        assert response.url == "/"
        assert client.get("/").status_code == 200
        assert client.session[two_factor.SESSION_KEY] == two_factor.DONE


@REQUIRED
def test_a_one_time_password_is_changed_before_the_authenticator_is_set_up(client, demo):
    User.objects.filter(username="coso").update(must_change_password=True)
    password_step(client, "coso")
    assert client.get("/").url == "/doi-mat-khau/"
    response = client.post(
        "/doi-mat-khau/",
        {"old_password": "demo", "new_password1": "Che-buoi-Hue-2026", "new_password2": "Che-buoi-Hue-2026"},
    )
    assert response.status_code == 302
    assert client.get("/").url == ENROLL


def test_anyone_may_turn_it_on_and_off_where_not_required(as_user, demo):
    client = as_user("chibo")
    html = client.get(SECURITY).content.decode()
    assert "Bảo mật tài khoản" in html and 'href="/doi-mat-khau/"' in html and 'href="/bao-mat/hai-buoc/"' in html
    assert 'id="security-link"' in client.get("/").content.decode()
    response = client.get(ENROLL)
    assert 'id="menu"' in response.content.decode()  # turned on by choice: the site stays reachable
    key = client.session[two_factor.ENROLL_KEY_SESSION]
    response = client.post(ENROLL, {"code": code_of(key)})
    assert response.url == CODES
    assert client.get(CODES).context["codes"]
    html = client.get(SECURITY).content.decode()
    assert "Đang bật." in html and 'id="codes-left">10<' in html and 'id="disable-two-factor"' in html
    assert "Chuyển sang điện thoại mới" in client.get(ENROLL).content.decode()  # already on: a new phone

    # The next sign-in asks for a code.
    client.post("/dang-xuat/")
    password_step(client, "chibo")
    assert client.get("/").url.startswith(VERIFY)
    assert client.post(VERIFY, {"code": code_of(key, 1)}).status_code == 302

    assert client.get("/bao-mat/hai-buoc/tat/").status_code == 405
    response = client.post("/bao-mat/hai-buoc/tat/")
    assert response.url == SECURITY
    assert not TOTPDevice.objects.filter(user__username="chibo").exists()
    assert not StaticDevice.objects.filter(user__username="chibo").exists()
    entry = AuditEntry.objects.get(action="two_factor_disable")
    assert entry.actor.username == "chibo" and entry.target_id == str(User.objects.get(username="chibo").pk)
    client.post("/dang-xuat/")
    password_step(client, "chibo")
    assert client.get("/").status_code == 200


@REQUIRED
def test_a_required_role_cannot_turn_it_off(client, demo):
    password_step(client, "khoi")
    assert client.get("/").url == ENROLL
    key, _ = set_up("khoi")  # from another session meanwhile: this one now owes a code
    assert client.get(ENROLL).url == VERIFY
    assert client.post(VERIFY, {"code": code_of(key, 1)}).status_code == 302
    assert 'id="disable-two-factor"' not in client.get(SECURITY).content.decode()
    response = client.post("/bao-mat/hai-buoc/tat/", follow=True)
    assert "không tắt được" in response.content.decode()
    assert TOTPDevice.objects.filter(user__username="khoi").exists()
    assert not AuditEntry.objects.filter(action="two_factor_disable").exists()


def test_new_recovery_codes_replace_the_old(client, demo):
    key, old = set_up("coso")
    password_step(client, "coso")
    client.post(VERIFY, {"code": code_of(key, 1)})
    response = client.post("/bao-mat/ma-du-phong/tao-lai/")
    assert response.url == CODES
    new = client.get(CODES).context["codes"]
    assert len(new) == 10 and not set(new) & set(old)
    entry = AuditEntry.objects.get(action="two_factor_recovery_renew")
    assert entry.before == {"recovery_codes": 10} and entry.after == {"recovery_codes": 10}
    client.post("/dang-xuat/")
    password_step(client, "coso")
    assert client.post(VERIFY, {"code": old[0]}).status_code == 200
    let_time_pass("coso")
    StaticDevice.objects.filter(user__username="coso").update(throttling_failure_timestamp=None)
    assert client.post(VERIFY, {"code": new[0]}).status_code == 302


def test_the_admin_login_asks_for_the_code_too(client, demo):
    key, _ = set_up("admin")
    response = client.post("/admin/login/?next=/admin/", {"username": "admin", "password": "demo", "next": "/admin/"})
    assert response.status_code == 302
    response = client.get("/admin/")
    assert response.status_code == 302 and response.url.startswith(VERIFY)
    assert client.get("/admin/accounts/user/").url.startswith(VERIFY)
    client.post(VERIFY, {"code": code_of(key, 1)})
    assert client.get("/admin/").status_code == 200


# --- staff resetting an account's two-step sign-in -------------------------------------------------


def reset_url(username: str) -> str:
    return f"/tai-khoan/{User.objects.get(username=username).pk}/dat-lai-hai-buoc/"


def test_staff_in_scope_reset_it(as_user, demo):
    set_up("coso")
    client = as_user("khoi")
    html = client.get("/tai-khoan/").content.decode()
    coso = User.objects.get(username="coso")
    row = re.search(rf'<tr id="account-{coso.pk}".*?</tr>', html, re.S).group(0)
    assert "đã bật" in row and "Đặt lại đăng nhập hai bước" in row
    chibo_row = re.search(rf'<tr id="account-{User.objects.get(username="chibo").pk}".*?</tr>', html, re.S).group(0)
    assert "Đặt lại đăng nhập hai bước" not in chibo_row
    assert client.get(reset_url("coso")).status_code == 405
    response = client.post(reset_url("coso"), {"next": "/tai-khoan/"}, follow=True)
    assert "Đã đặt lại đăng nhập hai bước của tài khoản “coso”" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=coso).exists() and not StaticDevice.objects.filter(user=coso).exists()
    entry = AuditEntry.objects.get(action="two_factor_reset")
    assert entry.actor.username == "khoi" and entry.target_id == str(coso.pk)
    assert entry.before == {"two_factor": True, "recovery_codes": 10} and entry.after == {"two_factor": False}
    # Again: nothing left to remove, nothing written.
    response = client.post(reset_url("coso"), follow=True)
    assert "chưa bật đăng nhập hai bước" in response.content.decode()
    assert AuditEntry.objects.filter(action="two_factor_reset").count() == 1


@REQUIRED
def test_after_a_reset_a_required_role_sets_up_again(client, demo):
    set_up("coso")
    two_factor.remove(User.objects.get(username="khoi"), User.objects.get(username="coso"), note="Mất điện thoại")
    password_step(client, "coso")
    assert client.get("/").url == ENROLL


def test_a_staff_reset_ends_the_accounts_open_sessions(demo):
    from tests.helpers import FormClient

    phone_holder = FormClient()
    phone_holder.force_login(User.objects.get(username="coso"))  # signed in, then turned it on
    set_up("coso")
    assert phone_holder.get("/thong-bao/").status_code == 200
    staff = FormClient()
    staff.force_login(User.objects.get(username="khoi"))
    staff.post(reset_url("coso"), {"next": "/tai-khoan/"})
    response = phone_holder.get("/thong-bao/")
    assert response.status_code == 302 and response.url.startswith("/dang-nhap/")
    assert staff.get("/thong-bao/").status_code == 200


def test_out_of_scope_gets_404_and_others_are_refused(as_user, demo, outsider):
    username, _ = outsider
    client = as_user("coso")
    for name in (username, "khoi", "coso"):  # coso's after signing in: this session owes no code
        set_up(name)
    assert client.post(reset_url(username)).status_code == 404  # another committee's cell
    assert client.post(reset_url("khoi")).status_code == 404  # the committee above
    response = client.post(reset_url("coso"), follow=True)  # one's own: turned off from "Bảo mật", if at all
    assert "Bạn không đặt lại đăng nhập hai bước cho tài khoản “coso” được" in response.content.decode()
    assert as_user("chibo").post(reset_url("chibo")).status_code == 403  # a cell secretary manages no account
    assert as_user("xem").post(reset_url("coso")).status_code == 404
    assert TOTPDevice.objects.filter(user__username__in=[username, "khoi", "coso"]).count() == 3
    assert not AuditEntry.objects.filter(action="two_factor_reset").exists()


def test_devices_are_not_in_the_back_office(as_user, demo):
    client = as_user("admin")
    assert client.get("/admin/otp_totp/totpdevice/").status_code == 404
    assert client.get("/admin/otp_static/staticdevice/").status_code == 404


@REQUIRED
def test_a_new_phone_replaces_the_old_one(client, demo):
    """A required role cannot turn it off, but moves to a new phone itself: the old one's codes and
    the old recovery codes stop working."""
    old_key, old_codes = set_up("khoi")
    password_step(client, "khoi")
    client.post(VERIFY, {"code": code_of(old_key, 1)})
    assert 'id="replace-phone"' in client.get(SECURITY).content.decode()
    response = client.get(ENROLL)
    assert response.status_code == 200 and 'id="replacing"' in response.content.decode()
    new_key = client.session[two_factor.ENROLL_KEY_SESSION]
    assert new_key != old_key
    assert client.post(ENROLL, {"code": code_of(new_key)}).url == CODES
    new_codes = client.get(CODES).context["codes"]
    assert TOTPDevice.objects.get(user__username="khoi").key == new_key
    entry = AuditEntry.objects.get(action="two_factor_replace")
    assert entry.before == {"two_factor": True} and entry.after == {"two_factor": True, "recovery_codes": 10}
    # The same form sent again changes nothing.
    response = client.post(ENROLL, {"code": code_of(new_key)})
    assert response.status_code == 200 and response.context["form"].errors["code"]
    assert TOTPDevice.objects.get(user__username="khoi").key == new_key
    with pytest.raises(ValidationError, match="đã bật đăng nhập hai bước"):
        two_factor.enable(User.objects.get(username="khoi"), new_key, code_of(new_key, 1), replacing=True)
    assert AuditEntry.objects.filter(action__in=["two_factor_replace", "two_factor_enable"]).count() == 2

    client.post("/dang-xuat/")
    password_step(client, "khoi")
    assert client.post(VERIFY, {"code": old_codes[0]}).status_code == 200
    StaticDevice.objects.filter(user__username="khoi").update(throttling_failure_timestamp=None)
    assert client.post(VERIFY, {"code": code_of(old_key, 1)}).status_code == 200
    let_time_pass("khoi")
    assert client.post(VERIFY, {"code": new_codes[0]}).status_code == 302
