"""Middleware of our own."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import SESSION_KEY


class NoStoreMiddleware:
    """Every page and download carries Cache-Control: no-store, so that no browser or proxy keeps a
    copy of a member's record, a register or a report on disk. Static files are answered earlier, by
    WhiteNoise, and stay cacheable: they hold nothing personal."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # Django's never_cache already says no-store (with more); anything else is replaced.
        if "no-store" not in response.get("Cache-Control", ""):
            response["Cache-Control"] = "no-store"
        return response


class ContentSecurityPolicyMiddleware:
    """The Content-Security-Policy header (settings.CONTENT_SECURITY_POLICY) on every response that
    does not set its own: the browser runs only the scripts and styles dangbo serves as files, so
    text a user typed can never become a script on someone else's page. Django 5.2 has no such
    setting of its own."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = settings.CONTENT_SECURITY_POLICY
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        return response


class SessionIdleTimeoutMiddleware:
    """A signed-in session ends after settings.SESSION_IDLE_SECONDS without a request (0: never), and
    SESSION_COOKIE_AGE after it began, however busy: a computer left signed in at a ward office is
    not left open to the next person.

    The session remembers when it began and when it was last used. Writing the second on every
    request would cost a write per page (SESSION_SAVE_EVERY_REQUEST); it is written at most once a
    minute, so a session ends between SESSION_IDLE_SECONDS and a minute more after its last use.
    Each write also moves the stored session's expiry on, which without the first time would let a
    busy session live for ever. An ended session is flushed: deleted on the server, its cookie void."""

    STARTED, SEEN, ENDED = "dangbo_started", "dangbo_seen", "dangbo_session_ended"
    TOUCH_SECONDS = 60

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        idle = settings.SESSION_IDLE_SECONDS
        session = request.session
        if idle and SESSION_KEY in session:
            now = int(time.time())
            started, seen = session.get(self.STARTED, now), session.get(self.SEEN, now)
            if now - seen > idle or now - started > settings.SESSION_COOKIE_AGE:
                session.flush()
                # The login page says why (accounts.views.LoginView), once.
                session[self.ENDED] = "idle" if now - seen > idle else "age"
            else:
                if self.STARTED not in session:
                    session[self.STARTED] = now
                if self.SEEN not in session or now - seen >= self.TOUCH_SECONDS:
                    session[self.SEEN] = now
        return self.get_response(request)
