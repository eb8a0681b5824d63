"""One-time form tokens, so that a creating form writes once however often it is sent.

Every creating form carries a fresh token (`{% form_token %}`, a hidden field). Its view is decorated
with `@submitted_once`, which claims the token at the start of a transaction holding the whole POST,
and calls `require_token(request)` just before it writes. A second submission of the same form — a
double click, a reload, a retry, or twenty at once — finds the token taken (PostgreSQL makes its
insert wait for the first to commit; SQLite's immediate transactions queue it) and is sent to the
page the first one led to. A submission that fails (the form comes back with its errors) is rolled
back with its token, so the user corrects and sends again. A form without a token is refused with a
message, the user's input kept: a page drawn before tokens existed, or a client that posts blindly,
must not write twice."""

from __future__ import annotations

import functools
import re
import secrets

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.shortcuts import redirect

from .models import FormToken

FIELD = "form_token"
ALREADY_SENT = "Biểu mẫu này đã được gửi; đây là kết quả của lần gửi trước."
MISSING = "Biểu mẫu đã cũ hoặc thiếu mã gửi: hãy kiểm tra lại nội dung và bấm gửi một lần nữa."
KEY = re.compile(r"[0-9a-f]{32}")


def new_key() -> str:
    return secrets.token_hex(16)


class AlreadySent(Exception):
    """The form's token was claimed by an earlier submission, which led to `url` ("" if unknown)."""

    def __init__(self, url: str):
        super().__init__(url)
        self.url = url


def _claim(request) -> str | None:
    """Take the posted form's token, in the transaction of the view (None: no token was posted)."""
    key = request.POST.get(FIELD, "")
    if not KEY.fullmatch(key):
        return None
    user = request.user if request.user.is_authenticated else None
    try:
        with transaction.atomic():
            FormToken.objects.create(key=key, user=user)
    except IntegrityError:
        raise AlreadySent(FormToken.objects.filter(key=key).values_list("url", flat=True).first() or "") from None
    return key


def require_token(request) -> None:
    """Called by a creating view just before it writes: a form sent without its token is a
    ValidationError, so the form comes back with the message and what was typed."""
    if not getattr(request, "_form_token", None):
        raise ValidationError(MISSING)


def submitted_once(view):
    """A POST runs in one transaction that first claims the form's token: a token already claimed sends
    the user where its submission led. The transaction is kept only if the view answers with a redirect
    (it wrote), whose address the token remembers; otherwise (the form comes back with its errors) the
    token is given back with everything else."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method != "POST":
            return view(request, *args, **kwargs)
        try:
            with transaction.atomic():
                request._form_token = key = _claim(request)
                response = view(request, *args, **kwargs)
                if key is not None:
                    if 300 <= response.status_code < 400 and response.has_header("Location"):
                        FormToken.objects.filter(key=key).update(url=response["Location"][:500])
                    else:
                        transaction.set_rollback(True)
        except AlreadySent as sent:
            messages.info(request, ALREADY_SENT)
            return redirect(sent.url or request.get_full_path())
        return response

    return wrapped
