"""One's own account security ("Bảo mật tài khoản"): the second step of signing in, setting up an
authenticator, the one showing of recovery codes, making new ones, turning two-step sign-in off
(where the role does not require it); and staff resetting an account's two-step sign-in.

Every signed-in user reaches their own pages; the code page is for a session that owes its code
(accounts.middleware leads it there). Resetting another account's two-step sign-in follows the
password reset's rules (accounts.actions.may_manage): staff of a unit above, in scope; a cell
secretary 403, a viewer and anyone outside 404."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from dangbo.once.tokens import require_token, submitted_once

from . import actions, two_factor
from .manage_views import _account_or_404, _back, _manager_scope


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Mã xác thực",
        max_length=32,
        error_messages={"required": "Hãy nhập mã xác thực."},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "autocapitalize": "off", "spellcheck": "false"}
        ),
    )


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return ""


def _outside(context: dict) -> dict:
    """A session still owing its step is not signed in for the site's pages: the header shows no menu."""
    return {**context, "user": AnonymousUser(), "owing": True}


@login_required
def verify(request):
    """The second step: a code from the authenticator, or a recovery code."""
    if two_factor.state(request) != two_factor.CODE:
        return redirect(_next(request) or settings.LOGIN_REDIRECT_URL)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        refusal = two_factor.check_code(request.user, form.cleaned_data["code"])
        if refusal is None:
            two_factor.passed(request)
            return redirect(_next(request) or settings.LOGIN_REDIRECT_URL)
        form.add_error("code", refusal)
    context = {"form": form, "next": _next(request), "account": request.user}
    return render(request, "accounts/two_factor_verify.html", _outside(context))


@login_required
def enroll(request):
    """Setting up an authenticator (or a new phone's, replacing the old): its QR code and secret,
    confirmed by one of its codes."""
    user = request.user
    owing = two_factor.state(request) == two_factor.ENROLL
    replacing = two_factor.authenticator(user) is not None
    if replacing and owing:  # set up meanwhile from another session: this one now owes its code
        request.session[two_factor.SESSION_KEY] = two_factor.CODE
        return redirect("two_factor_verify")
    key = request.session.get(two_factor.ENROLL_KEY_SESSION)
    if not key:
        key = request.session[two_factor.ENROLL_KEY_SESSION] = two_factor.new_key()
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = two_factor.enable(user, key, form.cleaned_data["code"], replacing=replacing)
        except ValidationError as error:
            form.add_error("code", error)
        else:
            request.session.pop(two_factor.ENROLL_KEY_SESSION, None)
            if owing:
                two_factor.passed(request)
            request.session[two_factor.CODES_SESSION] = codes
            messages.success(
                request,
                "Đã chuyển sang ứng dụng xác thực mới." if replacing else "Đã bật đăng nhập hai bước.",
            )
            target = reverse("two_factor_codes")
            return redirect(target + ("?" + urlencode({"next": _next(request)}) if _next(request) else ""))
    context = {
        "form": form,
        "next": _next(request),
        "account": user,
        "required": two_factor.required_for(user),
        "replacing": replacing,
        "qr": two_factor.qr_svg(two_factor.setup_url(user, key)),
        "secret": two_factor.secret_text(key),
        "issuer": settings.OTP_TOTP_ISSUER,
    }
    return render(request, "accounts/two_factor_enroll.html", _outside(context) if owing else context)


@login_required
def recovery_codes(request):
    """The recovery codes just made, shown once (printable); afterwards only how to make new ones."""
    codes = request.session.pop(two_factor.CODES_SESSION, None)
    return render(
        request,
        "accounts/two_factor_codes.html",
        {"codes": codes, "account": request.user, "next": _next(request) or reverse("account_security")},
    )


@login_required
def security(request):
    user = request.user
    context = {
        "enabled": two_factor.authenticator(user) is not None,
        "required": two_factor.required_for(user),
        "codes_left": two_factor.recovery_codes_left(user),
    }
    return render(request, "accounts/security.html", context)


@login_required
@require_POST
@submitted_once
def renew_codes(request):
    try:
        require_token(request)
        codes = two_factor.renew_recovery_codes(request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("account_security")
    request.session[two_factor.CODES_SESSION] = codes
    messages.success(request, "Đã tạo bộ mã dự phòng mới; các mã cũ không dùng được nữa.")
    return redirect("two_factor_codes")


@login_required
@require_POST
def disable(request):
    user = request.user
    if two_factor.required_for(user):
        messages.error(request, "Vai trò của bạn bắt buộc đăng nhập hai bước: không tắt được.")
    elif two_factor.remove(user, user, note="Người dùng tự tắt đăng nhập hai bước"):
        messages.success(request, "Đã tắt đăng nhập hai bước.")
    else:
        messages.info(request, "Tài khoản chưa bật đăng nhập hai bước.")
    return redirect("account_security")


@login_required
@require_POST
def account_reset(request, user_id: int):
    """Staff remove an account's authenticator and recovery codes (a lost phone); its owner sets up a
    new one at the next login where the role requires it."""
    scope = _manager_scope(request)
    account = _account_or_404(request, scope, user_id)
    if not actions.may_manage(request.user, account, scope.unit_id):
        messages.error(
            request,
            f"Bạn không đặt lại đăng nhập hai bước cho tài khoản “{account.username}” được (tài khoản của "
            "chính bạn hoặc do cấp trên quản lý).",
        )
    elif two_factor.remove(request.user, account, note="Cán bộ quản lý đặt lại đăng nhập hai bước (gỡ thiết bị)"):
        messages.success(
            request,
            f"Đã đặt lại đăng nhập hai bước của tài khoản “{account.username}”: ứng dụng xác thực và mã dự "
            "phòng cũ không dùng được nữa.",
        )
    else:
        messages.info(request, f"Tài khoản “{account.username}” chưa bật đăng nhập hai bước.")
    return _back(request)
