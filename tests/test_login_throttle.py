"""Login throttling on every way in (/dang-nhap/, /admin/login/, authenticate() itself): atomic
under concurrent attempts, counted per account and per address separately, the address read from a
trusted proxy header only when one is configured, a Vietnamese lock message, and staff unlocking."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.backends import ModelBackend
from django.db import connection
from django.test import Client
from django.utils import timezone

from dangbo.accounts.models import User
from dangbo.audit.models import AuditEntry

from .conftest import login

LOGIN = "/dang-nhap/"
ADMIN_LOGIN = "/admin/login/"
WRONG = "Tên đăng nhập hoặc mật khẩu không đúng."
ACCOUNT_LOCKED = "Tài khoản này tạm khóa vì đăng nhập sai quá nhiều lần"
ADDRESS_LOCKED = "Có quá nhiều lần đăng nhập sai từ địa chỉ này"


def post_login(client, username: str, password: str, url: str = LOGIN, **extra):
    return client.post(url, {"username": username, "password": password}, **extra)


def logged_in_as(client) -> str | None:
    user_id = client.session.get(SESSION_KEY)
    return User.objects.get(pk=user_id).username if user_id else None


def in_other_connection(work):
    """Runs `work` in a thread of its own, so with a connection of its own that commits at once."""
    errors = []

    def run():
        try:
            work()
        except Exception as error:  # noqa: BLE001 - reported to the test below
            errors.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


def forget_throttles():
    from dangbo.accounts.models import LoginThrottle

    in_other_connection(lambda: LoginThrottle.objects.all().delete())


def shared_memory_sqlite() -> bool:
    return connection.vendor == "sqlite" and connection.is_in_memory_db()


def test_concurrent_wrong_passwords_cannot_exceed_the_limit(transactional_db, monkeypatch):
    """Thirty wrong passwords at once: only LOGIN_FAILURE_LIMIT of them are even tried. The password
    check is slowed down so that every request is inside it at the same time. Committed, each request
    in its own connection (on SQLite a test's own transaction would hold the write lock throughout)."""
    if shared_memory_sqlite():
        pytest.skip("writers in Django's shared in-memory SQLite database do not wait for each other "
                    "(“database table is locked”): this needs the test database in a file")  # fmt: skip
    if not User.objects.filter(username="coso").exists():  # an earlier committed test emptied the database
        User.objects.create_user("coso", password="demo")
    tried = []
    check = ModelBackend.authenticate

    def slow_check(self, request, username=None, password=None, **kwargs):
        tried.append(username)
        time.sleep(0.3)
        return check(self, request, username, password, **kwargs)

    monkeypatch.setattr(ModelBackend, "authenticate", slow_check)
    answers, errors = [], []
    start = threading.Barrier(30)

    def attempt():
        try:
            client = Client()
            start.wait()
            answers.append(post_login(client, "coso", "sai-mat-khau").content.decode())
        except Exception as error:  # noqa: BLE001 - reported by the test below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(30)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        forget_throttles()
    assert errors == []
    assert len(answers) == 30
    assert len(tried) == settings.LOGIN_FAILURE_LIMIT
    assert sum(WRONG in answer for answer in answers) == settings.LOGIN_FAILURE_LIMIT
    assert sum(ACCOUNT_LOCKED in answer for answer in answers) == 30 - settings.LOGIN_FAILURE_LIMIT


def test_the_address_limit_is_higher_than_the_account_limit():
    assert settings.LOGIN_ADDRESS_FAILURE_LIMIT > settings.LOGIN_FAILURE_LIMIT


def test_unknown_usernames_from_one_address_do_not_lock_real_accounts(client, demo):
    """Twenty failures on names that are no account, from one address (the proxy's, say) locked
    khoi and chibo out of that address. They count against the address only, up to its own limit."""
    for i in range(20):
        assert WRONG in post_login(client, f"khong-co-ai-{i}", "sai").content.decode()
    for username in ("khoi", "chibo"):
        assert post_login(client, username, "demo").status_code == 302
        assert logged_in_as(client) == username
        client.post("/dang-xuat/")


def test_an_address_over_its_limit_is_refused_but_accounts_stay_open(client, demo, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 8
    for i in range(8):
        assert WRONG in post_login(client, f"khong-co-ai-{i}", "sai").content.decode()
    response = post_login(client, "khoi", "demo")
    assert response.status_code == 200
    assert ADDRESS_LOCKED in response.content.decode()
    assert logged_in_as(client) is None
    # The same account from another address is not locked: no failure was counted against it.
    other = Client(REMOTE_ADDR="192.0.2.20")
    assert post_login(other, "khoi", "demo").status_code == 302
    assert logged_in_as(other) == "khoi"


def test_thirty_wrong_passwords_from_one_address_lock_it(client, demo):
    """Thirty wrong passwords within a minute, from one address, each on another account name: the
    address is locked, and the next attempt is refused even with the right password, in Vietnamese."""
    assert settings.LOGIN_ADDRESS_FAILURE_LIMIT == 30
    started = timezone.now()
    for i in range(30):
        assert WRONG in post_login(client, f"thu-ten-{i}", "sai-mat-khau").content.decode()
    assert timezone.now() - started < timedelta(minutes=1)
    response = post_login(client, "khoi", "demo")
    assert response.status_code == 200
    html = response.content.decode()
    assert ADDRESS_LOCKED in html and "Vui lòng thử lại sau" in html
    assert logged_in_as(client) is None


def test_thirty_wrong_passwords_on_one_account_lock_it(client, demo):
    """Thirty wrong passwords on one account: locked after the fifth, and the right password is then
    refused with the account's own message, not "wrong password"."""
    answers = [post_login(client, "coso", "sai-mat-khau").content.decode() for _ in range(30)]
    assert sum(WRONG in answer for answer in answers) == settings.LOGIN_FAILURE_LIMIT
    assert all(ACCOUNT_LOCKED in answer for answer in answers[settings.LOGIN_FAILURE_LIMIT :])
    response = post_login(client, "coso", "demo")
    assert ACCOUNT_LOCKED in response.content.decode() and WRONG not in response.content.decode()
    assert logged_in_as(client) is None
    # Another account from the same address still signs in: the locked attempts counted against coso only.
    assert post_login(client, "chibo", "demo").status_code == 302
    assert logged_in_as(client) == "chibo"


def test_admin_login_is_throttled(client, demo):
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        response = post_login(client, "admin", "sai-mat-khau", url=ADMIN_LOGIN)
        assert response.status_code == 200
        assert logged_in_as(client) is None
    response = post_login(client, "admin", "demo", url=ADMIN_LOGIN)
    assert response.status_code == 200
    assert ACCOUNT_LOCKED in response.content.decode()
    assert logged_in_as(client) is None
    # The same account is locked on the application's own login page too.
    assert ACCOUNT_LOCKED in post_login(client, "admin", "demo").content.decode()


def test_authenticate_itself_is_throttled(demo):
    """Any path that authenticates (here Django's test client, which calls authenticate()) counts."""
    client = Client()
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        assert not client.login(username="coso", password="sai")
    assert not client.login(username="coso", password="demo")


def test_the_lock_message_is_vietnamese_with_the_time_to_try_again(client, demo):
    window = timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)
    earliest = timezone.localtime() + window
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        post_login(client, "coso", "sai")
    latest = timezone.localtime() + window
    response = post_login(client, "coso", "demo")
    html = response.content.decode()
    assert ACCOUNT_LOCKED in html
    # The lock ends a window after the last failure, shown to the minute rounded up.
    minute = earliest.replace(second=0, microsecond=0)
    shown = []
    while minute <= latest + timedelta(minutes=1):
        shown.append(f"Vui lòng thử lại sau {minute:%H:%M ngày %d/%m/%Y}")
        minute += timedelta(minutes=1)
    assert any(text in html for text in shown), html
    assert 'value="coso"' in html


# --- the client's address ------------------------------------------------------------------------


def test_proxy_header_is_ignored_when_not_configured(client, demo, settings):
    """Without TRUSTED_PROXY_HEADER, X-Forwarded-For is whatever the client wrote: it must not
    move the failures to another address."""
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 6
    for i in range(6):
        post_login(client, f"khong-co-ai-{i}", "sai", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}")
    response = post_login(client, "khoi", "demo", HTTP_X_FORWARDED_FOR="198.51.100.99")
    assert ADDRESS_LOCKED in response.content.decode()
    assert logged_in_as(client) is None


def test_proxy_header_is_honoured_when_configured(demo, settings):
    """Behind one trusted proxy, every request comes from the proxy's address: one client's failures
    lock that client, not everyone behind the proxy."""
    settings.TRUSTED_PROXY_HEADER = "X-Forwarded-For"
    settings.TRUSTED_PROXY_COUNT = 1
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 6
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    bad = Client(**proxy, HTTP_X_FORWARDED_FOR="203.0.113.5")
    for i in range(6):
        post_login(bad, f"khong-co-ai-{i}", "sai")
    assert ADDRESS_LOCKED in post_login(bad, "khoi", "demo").content.decode()
    good = Client(**proxy, HTTP_X_FORWARDED_FOR="203.0.113.6")
    assert post_login(good, "khoi", "demo").status_code == 302
    # A client cannot pick its address: the proxy appends the one it saw, and that one is read.
    spoofing = Client(**proxy, HTTP_X_FORWARDED_FOR="203.0.113.6, 203.0.113.5")
    assert ADDRESS_LOCKED in post_login(spoofing, "chibo", "demo").content.decode()


@pytest.mark.parametrize(
    ("configured", "count", "meta", "expected"),
    [
        (None, 1, {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.5"}, "10.0.0.1"),
        ("X-Forwarded-For", 1, {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.5"}, "203.0.113.5"),
        ("X-Forwarded-For", 1, {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "1.2.3.4, 203.0.113.5"},
         "203.0.113.5"),
        ("X-Forwarded-For", 2, {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "1.2.3.4, 203.0.113.5, 10.0.0.1"},
         "203.0.113.5"),
        # Fewer entries than trusted proxies, or garbage: the connection's own address.
        ("X-Forwarded-For", 2, {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "203.0.113.5"}, "10.0.0.2"),
        ("X-Forwarded-For", 1, {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "không-phải-IP"}, "10.0.0.1"),
        ("X-Real-IP", 1, {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_REAL_IP": "203.0.113.7"}, "203.0.113.7"),
    ],
)  # fmt: skip
def test_client_address(rf, settings, configured, count, meta, expected):
    from dangbo.accounts.throttle import client_address

    settings.TRUSTED_PROXY_HEADER = configured
    settings.TRUSTED_PROXY_COUNT = count
    assert client_address(rf.get("/", **meta)) == expected


# --- unlocking -----------------------------------------------------------------------------------


def lock_coso():
    client = Client()
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        post_login(client, "coso", "sai")
    assert ACCOUNT_LOCKED in post_login(client, "coso", "demo").content.decode()


def test_staff_unlock_an_account_from_the_accounts_list(client, demo):
    lock_coso()
    admin = login(client, "admin")
    coso = User.objects.get(username="coso")
    response = admin.post(
        "/admin/accounts/user/", {"action": "unlock_login", "_selected_action": [coso.pk]}, follow=True
    )
    assert response.status_code == 200
    assert "Đã mở khóa đăng nhập" in response.content.decode()
    entry = AuditEntry.objects.get(action="login_unlock")
    assert entry.actor.username == "admin"
    assert entry.before["value"] == "coso"
    assert entry.before["failures"] == settings.LOGIN_FAILURE_LIMIT
    assert post_login(Client(), "coso", "demo").status_code == 302


def test_staff_unlock_from_the_throttles_list(client, demo):
    from dangbo.accounts.models import LoginThrottle

    lock_coso()
    admin = login(client, "admin")
    response = admin.get("/admin/accounts/loginthrottle/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "coso" in html
    row = LoginThrottle.objects.get(kind="account", value="coso")
    response = admin.post(
        "/admin/accounts/loginthrottle/", {"action": "unlock", "_selected_action": [row.pk]}, follow=True
    )
    assert response.status_code == 200
    assert not LoginThrottle.objects.filter(pk=row.pk).exists()
    assert AuditEntry.objects.filter(action="login_unlock", target_id=str(row.pk), actor__username="admin").exists()
    assert post_login(Client(), "coso", "demo").status_code == 302


def test_other_personas_cannot_unlock(as_user, demo):
    lock_coso()
    client = as_user("khoi")
    coso = User.objects.get(username="coso")
    response = client.post("/admin/accounts/user/", {"action": "unlock_login", "_selected_action": [coso.pk]})
    assert response.status_code == 302  # to the admin's login page
    assert ACCOUNT_LOCKED in post_login(Client(), "coso", "demo").content.decode()
