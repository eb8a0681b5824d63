from django.conf import settings
from django.db import models


class FormToken(models.Model):
    """A creating form's one-time token, claimed by the submission that wrote: a second submission
    of the same form (a double click, a reload, a retry) finds it and is sent to what the first made."""

    key = models.CharField("mã biểu mẫu", max_length=32, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, related_name="+")
    url = models.CharField("kết quả", max_length=500, blank=True)
    used_at = models.DateTimeField("thời điểm gửi", auto_now_add=True)

    class Meta:
        verbose_name = "biểu mẫu đã gửi"
        verbose_name_plural = "biểu mẫu đã gửi"

    def __str__(self) -> str:
        return self.key
