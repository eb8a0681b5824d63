"""An account given a one-time password (bulk creation, a reset) must choose its own before anything
else: every page but the password change, the logout and static files leads to the change."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse


class PasswordChangeRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and getattr(user, "must_change_password", False):
            change, logout = reverse("password_change"), reverse("logout")
            if request.path not in (change, logout) and not request.path.startswith(settings.STATIC_URL):
                target = change
                if request.method == "GET" and request.path != "/":
                    target += "?" + urlencode({"next": request.get_full_path()})
                return redirect(target)
        return self.get_response(request)
