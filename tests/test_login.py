"""Logging in and out (/dang-nhap/, /dang-xuat/): Vietnamese pages, throttling of failures, session
settings, and that every page asks for a login."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY

from dangbo.accounts.models import LoginThrottle, User

LOGIN = "/dang-nhap/"
LOGOUT = "/dang-xuat/"
WRONG = "Tên đăng nhập hoặc mật khẩu không đúng."
THROTTLED = "Tài khoản này tạm khóa vì đăng nhập sai quá nhiều lần"


def post_login(client, username: str, password: str, **extra):
    return client.post(LOGIN, {"username": username, "password": password, **extra})


def logged_in_as(client) -> str | None:
    user_id = client.session.get(SESSION_KEY)
    return User.objects.get(pk=user_id).username if user_id else None


def failures(username: str) -> int:
    throttle = LoginThrottle.objects.filter(kind="account", value=username).first()
    return throttle.failures if throttle else 0


def fail(client, username: str, times: int) -> None:
    for _ in range(times):
        response = post_login(client, username, "sai-mat-khau")
        assert response.status_code == 200
        assert WRONG in response.content.decode()


def test_login_page_is_vietnamese(client, db):
    response = client.get(LOGIN)
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("Đăng nhập", "Tên đăng nhập", "Mật khẩu"):
        assert text in html
    assert '<html lang="vi">' in html
    assert 'type="password"' in html


def test_wrong_password(client, demo):
    response = post_login(client, "khoi", "sai-mat-khau")
    assert response.status_code == 200
    html = response.content.decode()
    assert WRONG in html
    assert response.context["form"]["username"].value() == "khoi"
    assert 'value="khoi"' in html
    assert logged_in_as(client) is None
    assert failures("khoi") == 1


def test_unknown_username_same_message(client, demo):
    response = post_login(client, "khong-co-ai", "demo")
    assert response.status_code == 200
    assert WRONG in response.content.decode()
    assert logged_in_as(client) is None


def test_correct_login_redirects_home(client, demo):
    response = post_login(client, "khoi", "demo")
    assert response.status_code == 302
    assert response.url == "/"
    assert logged_in_as(client) == "khoi"
    assert client.get("/").status_code == 200


def test_login_follows_next(client, demo):
    response = post_login(client, "chibo", "demo", next="/dang-vien/")
    assert response.status_code == 302
    assert response.url == "/dang-vien/"


def test_login_refuses_offsite_next(client, demo):
    response = post_login(client, "chibo", "demo", next="https://example.com/")
    assert response.status_code == 302
    assert response.url == "/"


def test_throttled_after_limit(client, demo):
    limit = settings.LOGIN_FAILURE_LIMIT
    fail(client, "coso", limit)
    response = post_login(client, "coso", "demo")
    assert response.status_code == 200
    html = response.content.decode()
    assert THROTTLED in html
    assert WRONG not in html
    assert logged_in_as(client) is None
    assert SESSION_KEY not in client.session
    # A refused attempt is not itself counted again.
    assert failures("coso") == limit


def test_one_below_limit_still_logs_in(client, demo):
    fail(client, "coso", settings.LOGIN_FAILURE_LIMIT - 1)
    response = post_login(client, "coso", "demo")
    assert response.status_code == 302
    assert logged_in_as(client) == "coso"


def test_throttle_ignores_username_case(client, demo):
    fail(client, "COSO", settings.LOGIN_FAILURE_LIMIT)
    response = post_login(client, "coso", "demo")
    assert THROTTLED in response.content.decode()
    assert logged_in_as(client) is None


def test_throttle_is_per_username(client, demo):
    fail(client, "coso", settings.LOGIN_FAILURE_LIMIT)
    response = post_login(client, "chibo", "demo")
    assert response.status_code == 302
    assert logged_in_as(client) == "chibo"


def test_success_clears_failures(client, demo):
    limit = settings.LOGIN_FAILURE_LIMIT
    fail(client, "chibo", limit - 1)
    assert failures("chibo") == limit - 1
    assert post_login(client, "chibo", "demo").status_code == 302
    assert failures("chibo") == 0
    client.post(LOGOUT)
    # Were the earlier failures kept, these would lock the account.
    fail(client, "chibo", limit - 1)
    response = post_login(client, "chibo", "demo")
    assert response.status_code == 302
    assert logged_in_as(client) == "chibo"


def test_logout_is_post(client, demo):
    assert post_login(client, "khoi", "demo").status_code == 302
    assert client.get(LOGOUT).status_code == 405
    assert logged_in_as(client) == "khoi"
    response = client.post(LOGOUT)
    assert response.status_code == 302
    assert response.url == LOGIN
    assert logged_in_as(client) is None
    response = client.get("/")
    assert response.status_code == 302
    assert response.url.startswith(LOGIN)


def test_logged_in_user_skips_login_page(as_user):
    response = as_user("khoi").get(LOGIN)
    assert response.status_code == 302
    assert response.url == "/"


def test_session_settings():
    assert settings.SESSION_COOKIE_AGE <= 8 * 60 * 60
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    assert settings.SESSION_COOKIE_HTTPONLY is True
    assert settings.LOGIN_URL == LOGIN


@pytest.mark.parametrize("url", ["/", "/dang-vien/", "/dang-vien/1/", "/to-chuc/1/"])
def test_pages_require_login(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.url == f"{LOGIN}?next={url}"
