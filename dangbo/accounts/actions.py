"""Writing accounts: creating them in bulk with one-time passwords, giving one a new one-time
password, disabling and re-enabling, and the owner's own password change. Each is one atomic
function that writes its audit entries in the same transaction.

Who manages whom (`may_manage`): an account is managed from above — by the staff of a unit above
its unit, or of its own unit when its role ranks lower (a superior committee's staff manage its
viewer's account, not each other's). Superusers manage every account but the superusers'. Nobody
manages their own account here.

One-time passwords are random, ten characters from an alphabet without the letters and digits that
are easily confused when read from paper (0/O/o, 1/l/I, 5/S, 2/Z, 8/B), stored hashed like any
password; the clear text is returned once, to be printed and handed over (see `issued`)."""

from __future__ import annotations

import re
import secrets
from dataclasses import asdict, dataclass

from django.contrib.auth import password_validation
from django.contrib.auth.hashers import PBKDF2PasswordHasher, get_hasher
from django.core.exceptions import ValidationError
from django.db import transaction

from dangbo.audit.log import audited, nothing_changed, record, snapshot
from dangbo.lib import vn
from dangbo.lib.http import today
from dangbo.orgs.labels import unit_labels, version_labels
from dangbo.orgs.models import Unit, UnitKind, UnitVersion

from . import throttle
from .models import Role, User

PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY345679"
PASSWORD_LENGTH = 10

# The role an organisation's account gets when none is asked for: the staff of a grassroots
# organisation (đảng bộ cơ sở, chi bộ cơ sở, đảng bộ bộ phận) or the secretary of a chi bộ trực thuộc.
ROLE_BY_KIND = {
    UnitKind.GRASSROOTS_COMMITTEE: Role.GRASSROOTS_STAFF,
    UnitKind.GRASSROOTS_CELL: Role.GRASSROOTS_STAFF,
    UnitKind.SUB_COMMITTEE: Role.GRASSROOTS_STAFF,
    UnitKind.ATTACHED_CELL: Role.CELL_SECRETARY,
}
# "One account per unit" is offered for the grassroots organisations and the cells; a đảng bộ bộ
# phận gets one from a list.
BULK_KINDS = (UnitKind.GRASSROOTS_COMMITTEE, UnitKind.GRASSROOTS_CELL, UnitKind.ATTACHED_CELL)
# The roles an account of a unit of each kind may have.
ROLES_BY_KIND = {
    UnitKind.SUPERIOR: {Role.SUPERIOR_STAFF, Role.VIEWER},
    UnitKind.GRASSROOTS_COMMITTEE: {Role.GRASSROOTS_STAFF, Role.VIEWER},
    UnitKind.GRASSROOTS_CELL: {Role.GRASSROOTS_STAFF, Role.CELL_SECRETARY, Role.VIEWER},
    UnitKind.SUB_COMMITTEE: {Role.GRASSROOTS_STAFF, Role.VIEWER},
    UnitKind.ATTACHED_CELL: {Role.CELL_SECRETARY, Role.VIEWER},
}
RANK = {Role.SUPERIOR_STAFF: 3, Role.GRASSROOTS_STAFF: 2, Role.CELL_SECRETARY: 1, Role.VIEWER: 0}
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{2,149}")


# A one-time password is hashed with fewer PBKDF2 iterations than a chosen one: creating the accounts
# of a whole committee (500 units) at Django's 1,000,000 iterations would take over four minutes in
# one request. It is random (50 symbols to the 10th power, some 56 bits), so it needs no slow hash
# to resist guessing, and it lives until the first login, which rehashes it at the full count
# (Django upgrades a hash whose iterations differ from the hasher's) before it is changed anyway.
ONE_TIME_ITERATIONS = 20_000


def set_one_time_password(user: User, password: str) -> None:
    hasher = get_hasher()
    if isinstance(hasher, PBKDF2PasswordHasher):
        user.password = hasher.encode(password, hasher.salt(), iterations=ONE_TIME_ITERATIONS)
    else:
        user.set_password(password)


def new_password() -> str:
    while True:
        password = "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))
        # Letters and digits both, so that it reads as a password and passes any usual rule.
        if any(c.isdigit() for c in password) and any(c.isalpha() for c in password):
            return password


@dataclass(frozen=True)
class Issued:
    """One account and its one-time password, as printed on its slip."""

    user_id: int
    username: str
    full_name: str
    role: str
    unit: str
    password: str

    def as_dict(self) -> dict:
        return asdict(self)


# --- who manages whom ------------------------------------------------------------------------------


def may_hold(actor, unit_version: UnitVersion, role: str, scope_unit_id: int) -> bool:
    """Whether `actor`, whose scope is `scope_unit_id`'s subtree, may give an account of `role` to
    the unit of `unit_version` (a version of the subtree)."""
    if role not in ROLES_BY_KIND.get(unit_version.kind, set()):
        return False
    if actor.is_superuser and not actor.unit_id:
        return True
    if unit_version.unit_id != scope_unit_id:
        return True
    return RANK.get(role, 3) < RANK.get(actor.role, -1)


def may_manage(actor, account: User, scope_unit_id: int) -> bool:
    """Whether `actor` may disable, re-enable or reset `account` (an account of its subtree)."""
    if account.pk == actor.pk or account.is_superuser:
        return False
    if actor.is_superuser and not actor.unit_id:
        return True
    if account.unit_id != scope_unit_id:
        return True
    return RANK.get(account.role, 3) < RANK.get(actor.role, -1)


# --- usernames -------------------------------------------------------------------------------------


def username_base(code: str) -> str:
    """An account name from a unit's code: folded to lower-case ASCII, other characters as "-"."""
    base = re.sub(r"[^a-z0-9._-]+", "-", vn.fold(code)).strip("-._")
    return (base or "donvi")[:140]


class Usernames:
    """Account names not taken yet: those in the database (in any case) and those given out here."""

    def __init__(self):
        # Every name (a few thousand at most): one query, whatever the number of accounts made.
        self.taken = {name.lower() for name in User.objects.values_list("username", flat=True)}

    def free(self, name: str) -> bool:
        return name.lower() not in self.taken

    def take(self, name: str) -> str:
        self.taken.add(name.lower())
        return name

    def derive(self, base: str) -> str:
        """`base`, or `base-2`, `base-3` … whichever is free first."""
        candidate, number = base, 1
        while not self.free(candidate):
            number += 1
            candidate = f"{base}-{number}"
        return self.take(candidate)


# --- creating accounts -----------------------------------------------------------------------------


@dataclass
class Wanted:
    """An account to create: for a unit (its version today), with a role, a name and maybe a username."""

    version: UnitVersion
    role: str
    full_name: str = ""
    username: str = ""


def eligible_units(actor, scope) -> list[tuple[UnitVersion, str]]:
    """The grassroots organisations and cells of the scope that have no account of the role their
    kind gets (a disabled account counts: re-enable it rather than make another), with that role.
    Two queries."""
    day = today()
    versions = list(scope.units_on(day).filter(kind__in=BULK_KINDS).select_related("unit").order_by("path"))
    versions = [v for v in versions if may_hold(actor, v, ROLE_BY_KIND[v.kind], scope.unit_id)]
    held = set(User.objects.filter(unit_id__in=[v.unit_id for v in versions]).values_list("unit_id", "role").distinct())
    return [(v, ROLE_BY_KIND[v.kind]) for v in versions if (v.unit_id, ROLE_BY_KIND[v.kind]) not in held]


@audited
def create_unit_accounts(actor, scope, unit_ids: list[int]) -> list[Issued]:
    """One account for each chosen unit that has none of its kind's role yet, named after the unit's
    code. Units already provided for (by a submission running at the same time, say) are left
    alone; if every chosen unit is, a ValidationError says so."""
    with transaction.atomic():
        # The units' rows are locked so that two submissions for the same units run one after the
        # other (PostgreSQL; SQLite's immediate transactions already do), and the second sees the
        # accounts of the first.
        list(Unit.objects.select_for_update().filter(pk__in=unit_ids).order_by("pk").values_list("pk"))
        chosen = set(unit_ids)
        wanted = [Wanted(v, role) for v, role in eligible_units(actor, scope) if v.unit_id in chosen]
        if not wanted:
            raise ValidationError(
                "Các đơn vị đã chọn đều đã có tài khoản (hoặc không thuộc phạm vi của bạn); "
                "không tạo thêm tài khoản nào."
            )
        return _create(actor, wanted, note="Tạo tài khoản hàng loạt, mỗi đơn vị một tài khoản")


@audited
def create_listed_accounts(actor, wanted: list[Wanted]) -> list[Issued]:
    """The accounts of a checked list (accounts.roster), all or none."""
    with transaction.atomic():
        return _create(actor, wanted, note="Tạo tài khoản hàng loạt theo danh sách")


def _create(actor, wanted: list[Wanted], *, note: str) -> list[Issued]:
    day = today()
    names = version_labels([w.version for w in wanted], day)
    usernames = Usernames()
    for item in wanted:  # the names asked for first, so that a derived one never takes them
        if item.username:
            if not usernames.free(item.username):
                raise ValidationError(f"Tên đăng nhập “{item.username}” đã có người dùng.")
            usernames.take(item.username)
    issued = []
    for item in wanted:
        username = item.username or usernames.derive(
            username_base(item.version.unit.code or f"dv{item.version.unit_id}")
        )
        family, middle, given = vn.split_full_name(item.full_name or f"{Role(item.role).label} {item.version.name}")
        user = User(
            username=username,
            last_name=" ".join(p for p in (family, middle) if p)[:150],
            first_name=given[:150],
            role=item.role,
            unit_id=item.version.unit_id,
            must_change_password=True,
        )
        password = new_password()
        set_one_time_password(user, password)
        user.save()
        record(actor, "account_create", user, None, snapshot(user), note=note)
        issued.append(
            Issued(
                user.pk,
                username,
                user.get_full_name(),
                Role(item.role).label,
                names[item.version.unit_id],
                password,
            )
        )
    return issued


# --- one account -----------------------------------------------------------------------------------


@audited
def reset_password(actor, account: User) -> Issued:
    """A new one-time password for `account` (the caller checked `may_manage`); its owner must change
    it at the next login, and a login lock on the account is lifted."""
    with transaction.atomic():
        account = User.objects.select_for_update().get(pk=account.pk)
        before = snapshot(account)
        password = new_password()
        set_one_time_password(account, password)
        account.must_change_password = True
        account.save()
        record(actor, "account_password_reset", account, before, snapshot(account), note="Cấp lại mật khẩu tạm thời")
        throttle.unlock_accounts(actor, [account])
        label = unit_labels([account.unit_id], today()).get(account.unit_id, "")
        return Issued(
            account.pk, account.username, account.get_full_name(), account.get_role_display(), label, password
        )


@audited
def set_active(actor, account: User, active: bool) -> bool:
    """Disable or re-enable `account` (the caller checked `may_manage`); False when it already was so.
    A disabled account cannot log in, and its open sessions end at their next request."""
    if account.pk == actor.pk:
        raise ValidationError("Bạn không thể tự khóa tài khoản của chính mình.")
    with transaction.atomic():
        account = User.objects.select_for_update().get(pk=account.pk)
        if account.is_active == active:
            nothing_changed()
            return False
        before = snapshot(account)
        account.is_active = active
        account.save(update_fields=["is_active"])
        action, note = ("account_enable", "Mở lại tài khoản") if active else ("account_disable", "Khóa tài khoản")
        record(actor, action, account, before, snapshot(account), note=note)
    return True


PASSWORD_MESSAGES = {
    "password_too_short": "Mật khẩu quá ngắn: cần ít nhất {min_length} ký tự.",
    "password_too_common": "Mật khẩu này quá phổ biến, dễ bị đoán ra.",
    "password_entirely_numeric": "Mật khẩu không được chỉ gồm chữ số.",
    "password_too_similar": "Mật khẩu quá giống thông tin tài khoản (tên, tên đăng nhập).",
}


def check_new_password(password: str, user: User) -> None:
    """Django's password validators (settings.AUTH_PASSWORD_VALIDATORS), their messages in Vietnamese."""
    try:
        password_validation.validate_password(password, user)
    except ValidationError as error:
        messages = []
        for item in error.error_list:
            template = PASSWORD_MESSAGES.get(item.code)
            messages.append(template.format(**(item.params or {})) if template else " ".join(item.messages))
        raise ValidationError(messages) from None


@audited
def change_own_password(user: User, password: str) -> None:
    """The owner's new password (checked by the form); the one-time password's obligation ends."""
    with transaction.atomic():
        before = snapshot(user)
        user.set_password(password)
        user.must_change_password = False
        user.save(update_fields=["password", "must_change_password"])
        record(user, "password_change", user, before, snapshot(user), note="Người dùng tự đổi mật khẩu")


@audited
def end_other_sessions(user: User) -> User:
    """Sign the account out everywhere: every session made before this call no longer authenticates
    (its next request finds the session's hash changed, and Django flushes it). The caller keeps its
    own session with `update_session_auth_hash`."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        before = snapshot(user)
        user.session_generation += 1
        user.save(update_fields=["session_generation"])
        record(user, "sessions_end", user, before, snapshot(user), note="Đăng xuất khỏi mọi thiết bị khác")
    return user
