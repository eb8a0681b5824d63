from django.conf import settings
from django.db import models

from dangbo.lib.uploads import random_name
from dangbo.orgs.models import Unit


def import_path(batch, filename: str) -> str:
    return random_name("imports", filename)


class ImportBatch(models.Model):
    """One import: the file as uploaded (kept, for the record), who and for which unit, and what it
    changed. Created at the preview; `applied_at` is set when it is written, once."""

    file = models.FileField("tệp", upload_to=import_path, max_length=255)
    filename = models.CharField("tên tệp", max_length=255)
    unit = models.ForeignKey(Unit, verbose_name="đơn vị", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")  # fmt: skip
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField("đã nhập lúc", null=True, blank=True)
    summary = models.JSONField("kết quả", default=dict, blank=True)

    class Meta:
        verbose_name = "lần nhập dữ liệu"
        verbose_name_plural = "các lần nhập dữ liệu"

    def __str__(self):
        return self.filename
