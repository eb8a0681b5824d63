from django.conf import settings
from django.db import models


class Kind(models.TextChoices):
    WRITE = "write", "Thay đổi dữ liệu"
    READ = "read", "Xem, tải về dữ liệu cá nhân"


class AuditEntry(models.Model):
    """One write (or one read of personal data that matters): who, when, what, where, and the
    state before and after (JSON snapshots).

    `unit` and `member` place the entry: the unit whose records changed (or were read) on `day`,
    and the member concerned, if any. The audit page shows an entry to a scope whose subtree held
    `unit` on `day` (accounts.scope.Scope.holds), the dated rule of every other record."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    # The local day of `at`, stored so that the dated scope rule and the date filters read a column.
    day = models.DateField("ngày", null=True, blank=True)
    kind = models.CharField("loại", max_length=8, choices=Kind.choices, default=Kind.WRITE)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=64)
    target_type = models.CharField(max_length=64)
    target_id = models.CharField(max_length=64)
    # SET_NULL, not PROTECT: a unit or member removed in the back office keeps its entries (their
    # target_type/target_id still say what they were about).
    unit = models.ForeignKey(
        "orgs.Unit", verbose_name="đơn vị", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    member = models.ForeignKey(
        "members.Member", verbose_name="đảng viên", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        verbose_name = "bản ghi nhật ký"
        verbose_name_plural = "nhật ký thay đổi"
        indexes = [
            models.Index(fields=["target_type", "target_id"]),
            # The audit page: a scope's units on their days, one person's entries, one member's history.
            models.Index(fields=["unit", "day"], name="audit_unit_day_idx"),
            models.Index(fields=["actor", "at"], name="audit_actor_at_idx"),
            models.Index(fields=["member", "at"], name="audit_member_at_idx"),
        ]

    def __str__(self):
        return f"{self.at:%d/%m/%Y %H:%M} {self.action} {self.target_type}#{self.target_id}"
