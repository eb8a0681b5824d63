from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.crypto import salted_hmac

from dangbo.orgs.models import Unit


class Role(models.TextChoices):
    SUPERIOR_STAFF = "superior_staff", "Cán bộ Đảng ủy cấp trên cơ sở"
    GRASSROOTS_STAFF = "grassroots_staff", "Cán bộ tổ chức cơ sở đảng"
    CELL_SECRETARY = "cell_secretary", "Bí thư chi bộ"
    VIEWER = "viewer", "Người xem số liệu tổng hợp"


# Roles that may open a person's record; a viewer sees aggregated figures only.
ROLES_SEEING_PEOPLE = {Role.SUPERIOR_STAFF, Role.GRASSROOTS_STAFF, Role.CELL_SECRETARY}
# Roles that record membership decisions (admissions, transfers, leavings): the staff of committees,
# who issue or carry out those decisions. A cell secretary reads them and follows candidates.
ROLES_RECORDING = {Role.SUPERIOR_STAFF, Role.GRASSROOTS_STAFF}


class User(AbstractUser):
    """An account acts on behalf of one unit, with one role; it sees that unit's subtree."""

    role = models.CharField("vai trò", max_length=32, choices=Role.choices, blank=True)
    unit = models.ForeignKey(
        Unit, verbose_name="đơn vị", null=True, blank=True, on_delete=models.PROTECT, related_name="accounts"
    )
    # Set when the account is given a one-time password (bulk creation, a reset): every page leads
    # to the password change until its owner chooses their own (accounts.middleware).
    must_change_password = models.BooleanField("phải đổi mật khẩu", default=False)
    # Raised by "Đăng xuất khỏi mọi thiết bị" (accounts.actions.end_other_sessions): every session
    # carries a hash of the password and of this number, so raising it voids every session made before.
    session_generation = models.PositiveIntegerField("lần đăng xuất mọi thiết bị", default=0)

    class Meta:
        verbose_name = "tài khoản"
        verbose_name_plural = "tài khoản"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role="", unit__isnull=True) | (~models.Q(role="") & models.Q(unit__isnull=False)),
                name="user_role_has_unit",
            ),
        ]

    def _get_session_auth_hash(self, secret=None):
        # Django's hash of the password alone (so the sessions of before this field stay valid)
        # until the account's sessions are first ended everywhere; then of the password and the count.
        if not self.session_generation:
            return super()._get_session_auth_hash(secret=secret)
        return salted_hmac(
            "dangbo.accounts.User.session_auth_hash",
            f"{self.password}:{self.session_generation}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    def get_full_name(self):
        # Vietnamese order: family and middle name (last_name), then given name (first_name).
        return " ".join(part for part in (self.last_name, self.first_name) if part)


class ThrottleKind(models.TextChoices):
    ACCOUNT = "account", "Tài khoản"
    ADDRESS = "address", "Địa chỉ IP"


class LoginThrottle(models.Model):
    """The failed logins of one account name or one client address in the current window (see
    dangbo.accounts.throttle). An attempt is counted before its password is checked, by one
    conditional UPDATE of this row, so concurrent attempts can never exceed the limit."""

    kind = models.CharField("loại", max_length=16, choices=ThrottleKind.choices)
    # The account name as typed, in lower case (whether or not such an account exists), or the address.
    value = models.CharField("tài khoản hoặc địa chỉ", max_length=150)
    failures = models.PositiveIntegerField("số lần sai", default=0)
    # The count is void from this moment; once the limit is reached, the lock lasts until then.
    expires = models.DateTimeField("hiệu lực đến")

    class Meta:
        verbose_name = "khóa đăng nhập"
        verbose_name_plural = "khóa đăng nhập"
        constraints = [models.UniqueConstraint(fields=["kind", "value"], name="login_throttle_unique_key")]
        indexes = [models.Index(fields=["expires"])]

    def __str__(self):
        return f"{self.get_kind_display()} {self.value}"
