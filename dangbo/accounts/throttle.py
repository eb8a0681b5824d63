"""Login throttling, for every way in: the application's login page, the admin's, and anything else
that calls django.contrib.auth.authenticate(), since the check lives in the authentication backend.

Failures are counted per account name and per client address separately, each with its own limit:
names that are no account count against the address only, so they cannot lock real accounts out,
and the address limit is higher because many people may share one address (an office behind NAT).
An attempt is counted *before* its password is checked, by one conditional UPDATE that refuses
once the limit is reached; a successful login then takes its count back. So concurrent attempts
can never try more passwords than the limit, on SQLite or PostgreSQL.

The client address is the connection's, unless settings.TRUSTED_PROXY_HEADER names the header a
reverse proxy writes (X-Forwarded-For, X-Real-IP), with TRUSTED_PROXY_COUNT proxies in front.

Why not django-axes: it checks for a lock before the password and records the failure after it (in
the user_login_failed signal), so concurrent attempts all pass the check, the race this module
closes; it has one failure limit for every lockout parameter, where an address needs a higher one
than an account; it reads proxy headers only through a second dependency (django-ipware); and its
unlocking bypasses our audit log. Counting before trying is a few dozen lines here.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, models, transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from dangbo.audit.log import audited, nothing_changed, record, snapshot

from .models import LoginThrottle, ThrottleKind


def client_address(request) -> str | None:
    """The client's IP address: the connection's, or the one the trusted proxies recorded."""
    remote = request.META.get("REMOTE_ADDR") or None
    header = settings.TRUSTED_PROXY_HEADER
    if not header:
        return remote
    # Each proxy appends the address it received the request from: with N trusted proxies in front,
    # the N-th entry from the right is the client's. Anything left of it was written by the client.
    count = settings.TRUSTED_PROXY_COUNT
    value = request.META.get("HTTP_" + header.upper().replace("-", "_"), "")
    entries = [entry.strip() for entry in value.split(",") if entry.strip()]
    if count < 1 or len(entries) < count:
        return remote
    try:
        return str(ipaddress.ip_address(entries[-count]))
    except ValueError:
        return remote


def limit_of(kind: str) -> int:
    if kind == ThrottleKind.ACCOUNT:
        return settings.LOGIN_FAILURE_LIMIT
    return settings.LOGIN_ADDRESS_FAILURE_LIMIT


def is_locked(throttle: LoginThrottle, now: datetime | None = None) -> bool:
    return throttle.failures >= limit_of(throttle.kind) and throttle.expires > (now or timezone.now())


@dataclass(frozen=True)
class Refusal:
    kind: str
    until: datetime

    @property
    def message(self) -> str:
        # Shown to the minute, rounded up: trying again at the minute shown always works.
        until = timezone.localtime(self.until)
        if until.second or until.microsecond:
            until = until.replace(second=0, microsecond=0) + timedelta(minutes=1)
        when = f"{until:%H:%M ngày %d/%m/%Y}"
        if self.kind == ThrottleKind.ACCOUNT:
            return (
                f"Tài khoản này tạm khóa vì đăng nhập sai quá nhiều lần. Vui lòng thử lại sau {when}, "
                "hoặc đề nghị quản trị viên mở khóa."
            )
        return f"Có quá nhiều lần đăng nhập sai từ địa chỉ này. Vui lòng thử lại sau {when}."


def _count(kind: str, value: str) -> Refusal | None:
    """Counts one attempt against (kind, value), or refuses it when the limit is reached."""
    now = timezone.now()
    window = timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)
    limit = limit_of(kind)
    row = LoginThrottle.objects.filter(kind=kind, value=value)
    stale = Q(expires__lte=now)
    for _ in range(3):
        # One statement, so atomic: a stale count starts again at 1; a count below the limit goes up
        # by one, and the one that reaches the limit starts a full window of lock.
        counted = row.filter(stale | Q(failures__lt=limit)).update(
            failures=Case(
                When(stale, then=Value(1)), default=F("failures") + 1, output_field=models.PositiveIntegerField()
            ),
            expires=Case(When(stale | Q(failures__gte=limit - 1), then=Value(now + window)), default=F("expires")),
        )
        if counted:
            return None
        existing = row.first()
        if existing is None:
            LoginThrottle.objects.filter(expires__lt=now - window).delete()
            try:
                with transaction.atomic():
                    LoginThrottle.objects.create(kind=kind, value=value, failures=1, expires=now + window)
                return None
            except IntegrityError:
                continue  # a concurrent attempt created it first: count on that row
        if existing.failures >= limit and existing.expires > now:
            return Refusal(kind, existing.expires)
    # The row kept changing under us: refuse rather than let an attempt through uncounted.
    return Refusal(kind, now + window)


def _take_back(kind: str, value: str) -> None:
    LoginThrottle.objects.filter(kind=kind, value=value, failures__gt=0).update(failures=F("failures") - 1)


@dataclass
class Attempt:
    account: str
    address: str | None
    refusal: Refusal | None = None

    def succeeded(self) -> None:
        # A success clears the account's failures; the address keeps the others' failures.
        LoginThrottle.objects.filter(kind=ThrottleKind.ACCOUNT, value=self.account).delete()
        if self.address:
            _take_back(ThrottleKind.ADDRESS, self.address)


def begin(request, username: str) -> Attempt:
    """Counts a login attempt before its password is checked; attempt.refusal says it may not be tried."""
    attempt = Attempt(account=username.strip().lower()[:150], address=client_address(request) if request else None)
    attempt.refusal = _count(ThrottleKind.ACCOUNT, attempt.account)
    if attempt.refusal is None and attempt.address:
        attempt.refusal = _count(ThrottleKind.ADDRESS, attempt.address)
        if attempt.refusal is not None:
            _take_back(ThrottleKind.ACCOUNT, attempt.account)
    return attempt


class ThrottledModelBackend(ModelBackend):
    """Django's username and password backend, behind the throttle. A refused attempt raises
    PermissionDenied, which stops authenticate() from asking any other backend; the refusal is left
    on the request for the login form to explain."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is None or password is None:
            return None
        attempt = begin(request, username)
        if attempt.refusal is not None:
            if request is not None:
                request.login_refusal = attempt.refusal
            raise PermissionDenied(attempt.refusal.message)
        user = super().authenticate(request, username, password, **kwargs)
        if user is not None:
            attempt.succeeded()
        return user

    def get_user(self, user_id):
        """The session's user, with the count of its unread notifications read in the same query
        (the header shows it on every page: `notices.context`)."""
        from dangbo.notices.models import unread_count

        model = get_user_model()
        try:
            user = model._default_manager.annotate(unread_notifications=unread_count()).get(pk=user_id)
        except model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None


class RefusalMessage:
    """For authentication forms: say why a throttled attempt was refused, not "wrong password"."""

    def get_invalid_login_error(self):
        refusal = getattr(self.request, "login_refusal", None)
        if refusal is not None:
            return forms.ValidationError(refusal.message, code="throttled")
        return super().get_invalid_login_error()


@audited
def unlock(actor, throttles) -> int:
    """Staff clear locks (the rows of `throttles`), each audited."""
    with transaction.atomic():
        rows = list(throttles.select_for_update())
        if not rows:
            nothing_changed()
        for row in rows:
            record(actor, "login_unlock", row, snapshot(row), None, note=f"Mở khóa đăng nhập: {row}")
            row.delete()
    return len(rows)


@audited
def unlock_accounts(actor, users) -> int:
    names = [user.get_username().lower() for user in users]
    unlocked = unlock(actor, LoginThrottle.objects.filter(kind=ThrottleKind.ACCOUNT, value__in=names))
    if not unlocked:  # no lock on these accounts
        nothing_changed()
    return unlocked
