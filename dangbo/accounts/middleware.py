"""What a signed-in session owes before anything else.

Two-step sign-in first (accounts.two_factor): a session whose password was right but whose code is
still owed reaches only the code page and the logout; one whose role requires two-step sign-in but
has no authenticator yet is led to set one up. Then an account given a one-time password (bulk
creation, a reset) must choose its own before anything else: every page but the password change,
the logout and static files leads to the change."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse

from . import two_factor


def _lead_to(request, target: str):
    if request.method == "GET" and request.path != "/":
        target += "?" + urlencode({"next": request.get_full_path()})
    return redirect(target)


class TwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not request.path.startswith(settings.STATIC_URL):
            owed = two_factor.state(request)
            if owed == two_factor.CODE:
                verify = reverse("two_factor_verify")
                if request.path not in (verify, reverse("logout")):
                    return _lead_to(request, verify)
            # A one-time password is changed first (below), then the authenticator is set up.
            elif owed == two_factor.ENROLL and not getattr(user, "must_change_password", False):
                enroll = reverse("two_factor_enroll")
                if request.path not in (enroll, reverse("logout")):
                    return _lead_to(request, enroll)
        return self.get_response(request)


class PasswordChangeRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and getattr(user, "must_change_password", False):
            change, logout = reverse("password_change"), reverse("logout")
            if request.path not in (change, logout) and not request.path.startswith(settings.STATIC_URL):
                return _lead_to(request, change)
        return self.get_response(request)
