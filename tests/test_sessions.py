"""Sessions end on the server: at sign-out, on "Đăng xuất khỏi mọi thiết bị" for every other session
of the account, and after SESSION_IDLE_SECONDS without a request (or SESSION_COOKIE_AGE after they
began, however busy). Time is moved with time_machine, never waited for."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.sessions.models import Session
from django.test import Client

from dangbo.accounts.models import User
from dangbo.audit.models import AuditEntry
from dangbo.lib.middleware import SessionIdleTimeoutMiddleware
from tests.conftest import login
from tests.helpers import FormClient


def signed_in(username: str) -> Client:
    return login(FormClient(), username)


def is_signed_in(client: Client) -> bool:
    response = client.get("/")
    if response.status_code == 302:
        assert response["Location"].startswith(settings.LOGIN_URL)
        return False
    assert response.status_code == 200
    return True


def with_cookie(value: str) -> Client:
    """Another browser that presents a copied session cookie."""
    client = FormClient()
    client.cookies[settings.SESSION_COOKIE_NAME] = value
    return client


def test_the_session_cookie_no_longer_works_after_sign_out(demo):
    client = signed_in("khoi")
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert is_signed_in(with_cookie(key))  # the copied cookie is as good as the original
    assert client.post("/dang-xuat/").status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
    assert not is_signed_in(with_cookie(key))


def test_sign_out_everywhere_ends_the_other_sessions_only(demo):
    here, elsewhere, colleague = signed_in("khoi"), signed_in("khoi"), signed_in("coso")
    page = here.get("/doi-mat-khau/")
    assert "Đăng xuất khỏi mọi thiết bị" in page.content.decode()

    response = here.post("/doi-mat-khau/dang-xuat-moi-thiet-bi/")
    assert response.status_code == 302 and response["Location"] == "/doi-mat-khau/"
    assert "Đã đăng xuất khỏi mọi thiết bị khác" in here.get("/doi-mat-khau/").content.decode()
    assert is_signed_in(here)
    assert not is_signed_in(elsewhere)
    assert is_signed_in(colleague)  # another account's sessions are not touched

    user = User.objects.get(username="khoi")
    assert user.session_generation == 1
    entry = AuditEntry.objects.filter(action="sessions_end", target_id=str(user.pk)).get()
    assert entry.actor_id == user.pk and entry.before["session_generation"] == 0
    assert entry.after["session_generation"] == 1

    # Signing in again afterwards works as before.
    assert is_signed_in(signed_in("khoi"))


def test_sign_out_everywhere_is_a_post(demo):
    client = signed_in("khoi")
    assert client.get("/doi-mat-khau/dang-xuat-moi-thiet-bi/").status_code == 405
    assert User.objects.get(username="khoi").session_generation == 0


def test_sessions_made_before_the_field_stay_valid(demo):
    """Until an account first signs out everywhere, its sessions carry Django's own hash: adding the
    field signed no one out."""
    user = User.objects.get(username="khoi")
    assert user.get_session_auth_hash() == AbstractBaseUser._get_session_auth_hash(user)
    user.session_generation = 1
    assert user.get_session_auth_hash() != AbstractBaseUser._get_session_auth_hash(user)


def stored(client: Client) -> dict:
    return Session.objects.get(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value).get_decoded()


@pytest.fixture
def idle_half_an_hour(settings):
    settings.SESSION_IDLE_SECONDS = 30 * 60
    settings.SESSION_COOKIE_AGE = 8 * 60 * 60


def later(**delta) -> time_machine.travel:
    return time_machine.travel(datetime.datetime.now(datetime.UTC) + datetime.timedelta(**delta), tick=False)


def test_an_idle_session_ends(demo, idle_half_an_hour):
    client = signed_in("khoi")
    assert is_signed_in(client)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    with later(minutes=29):
        assert is_signed_in(client)  # used again within half an hour: goes on
    with later(minutes=29 + 31):
        assert not is_signed_in(client)
        # The login page says why, once.
        assert "lâu không thao tác" in client.get("/dang-nhap/").content.decode()
        assert "lâu không thao tác" not in client.get("/dang-nhap/").content.decode()
    assert not Session.objects.filter(session_key=key).exists()
    assert not is_signed_in(with_cookie(key))


def test_the_last_use_is_written_at_most_once_a_minute(demo, idle_half_an_hour):
    client = signed_in("khoi")
    is_signed_in(client)
    first = stored(client)[SessionIdleTimeoutMiddleware.SEEN]
    with later(seconds=40):
        is_signed_in(client)
        assert stored(client)[SessionIdleTimeoutMiddleware.SEEN] == first
    with later(seconds=70):
        is_signed_in(client)
        # The session's clock ticks on: within a second or two of the time travelled to.
        assert first + 69 <= stored(client)[SessionIdleTimeoutMiddleware.SEEN] <= first + 72
    # Seen last at +70 s: still signed in at +70 s + 30 min, not a minute later.
    with later(seconds=70 + 30 * 60 - 5):
        assert is_signed_in(client)
    with later(seconds=70 + 30 * 60 - 5 + 30 * 60 + 61):
        assert not is_signed_in(client)


def test_a_busy_session_still_ends_after_a_working_day(demo, idle_half_an_hour):
    client = signed_in("khoi")
    is_signed_in(client)
    for minutes in range(20, 8 * 60, 20):
        with later(minutes=minutes):
            assert is_signed_in(client), minutes
    with later(minutes=8 * 60 + 1):
        assert not is_signed_in(client)
        assert "đã dùng quá thời gian một phiên" in client.get("/dang-nhap/").content.decode()


def test_no_idle_limit_when_turned_off(demo, settings):
    settings.SESSION_IDLE_SECONDS = 0
    client = signed_in("khoi")
    with later(hours=5):
        assert is_signed_in(client)
    assert SessionIdleTimeoutMiddleware.SEEN not in stored(client)
