"""In-app notifications: what the reminder commands tell an account, shown at `/thong-bao/`
(linked from every page's header), the unread ones marked until the user marks them read."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce


class Notification(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    title = models.CharField("tiêu đề", max_length=255)
    text = models.TextField("nội dung")
    link = models.CharField("đường dẫn", max_length=255, blank=True)  # a path inside the site
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "thông báo"
        verbose_name_plural = "thông báo"
        indexes = [models.Index(fields=["user", "created_at"], name="notification_user")]
        constraints = []

    def __str__(self):
        return self.title


UNREAD = Q(read_at__isnull=True)


def unread_count():
    """A user's unread notifications, as a subquery to annotate users with."""
    mine = Notification.objects.filter(UNREAD, user=OuterRef("pk")).order_by()
    return Coalesce(Subquery(mine.values("user").annotate(n=Count("pk")).values("n")[:1]), 0)
