from django.contrib.auth.models import AbstractUser
from django.db import models

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

    class Meta:
        verbose_name = "tài khoản"
        verbose_name_plural = "tài khoản"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role="", unit__isnull=True) | (~models.Q(role="") & models.Q(unit__isnull=False)),
                name="user_role_has_unit",
            ),
        ]

    def get_full_name(self):
        # Vietnamese order: family and middle name (last_name), then given name (first_name).
        return " ".join(part for part in (self.last_name, self.first_name) if part)


class LoginFailure(models.Model):
    """A failed login, kept for throttling (see settings.LOGIN_FAILURE_LIMIT)."""

    username = models.CharField(max_length=150, db_index=True)
    address = models.GenericIPAddressField(null=True, db_index=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self):
        return f"{self.username} {self.at:%d/%m/%Y %H:%M}"
