"""Two-step sign-in: after the password, a six-digit code from an authenticator application (TOTP,
RFC 6238: Google Authenticator, Microsoft Authenticator, FreeOTP …), or one of ten printed recovery
codes, each good once. The devices are django-otp's (otp_totp, otp_static); this module decides
when a code is asked for and writes them, each change audited.

Where a session stands is kept in the session itself, decided once at login (`on_login`, for every
way in: the login page, the admin's, Client.login): a code to enter, an authenticator to set up
first, or done. So the pages cost no query for it; accounts.middleware leads every page of a
session that is not done to the step it owes.

Required (settings.TWO_FACTOR_REQUIRED, on in production) for the roles in
settings.TWO_FACTOR_REQUIRED_ROLES and for superusers; anyone else may turn it on from "Bảo mật tài
khoản", and off again. Wrong codes are throttled by django-otp's own throttling of each device: after
n failures in a row the device refuses every code for 2^(n-1) seconds (1, 2, 4 … twenty failures
lock it for six days), checked and counted with the device's row locked, so concurrent attempts
cannot try more codes than that."""

from __future__ import annotations

import re
import time
from base64 import b32encode
from binascii import unhexlify

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from dangbo.audit.log import audited, nothing_changed, record

from .models import User

SESSION_KEY = "two_factor"
CODE = "code"  # the password was right; a code is still owed
ENROLL = "enroll"  # the password was right; an authenticator must be set up first
DONE = "done"

ENROLL_KEY_SESSION = "two_factor_new_key"  # the secret being set up, until it is confirmed
CODES_SESSION = "two_factor_codes"  # recovery codes just made, for their one showing

AUTHENTICATOR_NAME = "Ứng dụng xác thực"
RECOVERY_NAME = "Mã dự phòng"
WRONG_CODE = "Mã xác thực không đúng hoặc đã hết hạn. Hãy nhập mã đang hiện trên ứng dụng, hoặc một mã dự phòng."


def required_for(user) -> bool:
    return bool(settings.TWO_FACTOR_REQUIRED) and (
        user.is_superuser or user.role in settings.TWO_FACTOR_REQUIRED_ROLES
    )


def authenticator(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def users_with_authenticator(user_ids) -> set[int]:
    return set(TOTPDevice.objects.filter(user_id__in=user_ids, confirmed=True).values_list("user_id", flat=True))


def state_after_password(user) -> str:
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return CODE
    return ENROLL if required_for(user) else DONE


def on_login(sender, request, user, **kwargs):
    """user_logged_in: what this session still owes (a password alone proves nothing more)."""
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_KEY] = state_after_password(user)


def state(request) -> str:
    """Where the signed-in session stands; a session from before this existed is asked once."""
    value = request.session.get(SESSION_KEY)
    if value not in (CODE, ENROLL, DONE):
        value = request.session[SESSION_KEY] = state_after_password(request.user)
    return value


def passed(request) -> None:
    """The session has given its code (or set its authenticator up): a new session key, as at login."""
    request.session.cycle_key()
    request.session[SESSION_KEY] = DONE


# --- codes -----------------------------------------------------------------------------------------


def normalize(code: str) -> str:
    return re.sub(r"[\s-]+", "", code or "").lower()


def _locked_message(info: dict) -> str:
    until = timezone.localtime(info["locked_until"])
    return (
        f"Đã nhập sai mã {info['failure_count']} lần liên tiếp. Vui lòng chờ đến {until:%H:%M:%S ngày %d/%m/%Y} "
        "rồi thử lại."
    )


def check_code(user: User, code: str) -> str | None:
    """Verifies a six-digit code against the account's authenticator, or a recovery code (used up by
    it). None when accepted; otherwise the Vietnamese reason (wrong, or throttled until when)."""
    code = normalize(code)
    if not code:
        return "Hãy nhập mã xác thực."
    model = TOTPDevice if code.isdigit() else StaticDevice
    with transaction.atomic():
        # Locked: the throttle's check and count, and a code's use, happen one attempt at a time.
        device = model.objects.select_for_update().filter(user=user, confirmed=True).order_by("pk").first()
        if device is None:
            return WRONG_CODE
        allowed, info = device.verify_is_allowed()
        if not allowed:
            return _locked_message(info)
        if not device.verify_token(code):
            return WRONG_CODE
        if model is StaticDevice:
            left = device.token_set.count()
            record(
                user,
                "two_factor_recovery_used",
                user,
                {"recovery_codes": left + 1},
                {"recovery_codes": left},
                note=f"Đăng nhập bằng một mã dự phòng; còn {left} mã",
            )
    return None


# --- setting up ------------------------------------------------------------------------------------


def new_key() -> str:
    return random_hex(20)


def secret_text(key: str) -> str:
    """The secret as typed into an authenticator by hand: base32, in groups of four."""
    text = b32encode(unhexlify(key)).decode()
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def setup_url(user: User, key: str) -> str:
    return TOTPDevice(user=user, key=key).config_url


def qr_svg(data: str, size: int = 220) -> str:
    """The QR code of `data` as an inline SVG element, drawn here (no image library, no service)."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    svg = image.to_string(encoding="unicode")
    return re.sub(
        r'^<svg width="[^"]*" height="[^"]*"',
        f'<svg width="{size}" height="{size}" role="img" aria-label="Mã QR để thiết lập ứng dụng xác thực"',
        svg,
        count=1,
    )


def _key_accepts(key: str, code: str) -> int | None:
    """The time step `code` belongs to, if it is the key's code now (or one step either side)."""
    code = normalize(code)
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = TOTP(unhexlify(key))
    totp.time = time.time()
    return totp.t() if totp.verify(int(code), tolerance=1) else None  # t() includes the step matched


def _new_recovery_codes(device: StaticDevice) -> list[str]:
    codes = []
    while len(codes) < settings.TWO_FACTOR_RECOVERY_CODES:
        token = StaticToken.random_token()
        # All digits would be read as an authenticator's code: never made (a chance in a million).
        if not token.isdigit() and token not in codes:
            codes.append(token)
    StaticToken.objects.bulk_create(StaticToken(device=device, token=token) for token in codes)
    return codes


@audited
def enable(user: User, key: str, code: str, *, replacing: bool = False) -> list[str]:
    """Sets up the authenticator of `key`, confirmed by its current `code`, with a new set of recovery
    codes (returned, to be shown once); `replacing` the one the account has (a new phone). A
    ValidationError when the code does not match, or the account already has one (this one, when
    replacing: the same form sent twice)."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        current = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if current is not None and (not replacing or current.key == key):
            raise ValidationError("Tài khoản này đã bật đăng nhập hai bước.")
        step = _key_accepts(key, code)
        if step is None:
            raise ValidationError(
                "Mã không khớp. Hãy kiểm tra giờ trên điện thoại là giờ đúng, rồi nhập mã đang hiện trên ứng dụng."
            )
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        # The code just typed is used up: it cannot sign in again.
        TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, key=key, confirmed=True, last_t=step)
        codes = _new_recovery_codes(StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True))
        if current is None:
            action, note = "two_factor_enable", "Bật đăng nhập hai bước (ứng dụng xác thực và mã dự phòng)"
        else:
            action, note = "two_factor_replace", "Chuyển đăng nhập hai bước sang ứng dụng xác thực mới; mã dự phòng mới"
        record(
            user,
            action,
            user,
            {"two_factor": current is not None},
            {"two_factor": True, "recovery_codes": len(codes)},
            note=note,
        )
    return codes


@audited
def renew_recovery_codes(user: User) -> list[str]:
    """A new set of recovery codes; the old ones no longer work."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            raise ValidationError("Tài khoản chưa bật đăng nhập hai bước.")
        left = recovery_codes_left(user)
        StaticDevice.objects.filter(user=user).delete()
        codes = _new_recovery_codes(StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True))
        record(
            user,
            "two_factor_recovery_renew",
            user,
            {"recovery_codes": left},
            {"recovery_codes": len(codes)},
            note="Tạo lại mã dự phòng; các mã cũ hết hiệu lực",
        )
    return codes


@audited
def remove(actor, account: User, *, note: str) -> bool:
    """Removes the account's authenticator and recovery codes (its owner turning it off, or staff
    resetting it: the caller checked that it may); False when it had none."""
    with transaction.atomic():
        account = User.objects.select_for_update().get(pk=account.pk)
        had = TOTPDevice.objects.filter(user=account).exists() or StaticDevice.objects.filter(user=account).exists()
        if not had:
            nothing_changed()
            return False
        left = recovery_codes_left(account)
        TOTPDevice.objects.filter(user=account).delete()
        StaticDevice.objects.filter(user=account).delete()
        if actor.pk != account.pk:
            # Staff reset it because the phone may be in other hands: the account's open sessions end.
            account.session_generation += 1
            account.save(update_fields=["session_generation"])
        action = "two_factor_disable" if actor.pk == account.pk else "two_factor_reset"
        record(actor, action, account, {"two_factor": True, "recovery_codes": left}, {"two_factor": False}, note=note)
    return True
