"""The targets of a congress resolution (chỉ tiêu Nghị quyết Đại hội) and the records only they
need: the resolution of a committee's term with its structure (targets, breakthroughs, key task
groups), values entered by hand with their evidence, and the registrations of units for the
"Dân vận khéo" model.

A target's value is never typed when the records hold it: it names an indicator
(`dangbo.targets.indicators`) computed live for any unit and date. Only targets judged by hand
carry entered values, each with who entered it, when, and an evidence file."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from dangbo.lib.uploads import random_name
from dangbo.orgs.models import Term, Unit


class Resolution(models.Model):
    term = models.ForeignKey(Term, on_delete=models.PROTECT, related_name="resolutions")
    title = models.CharField("tên nghị quyết", max_length=255)
    number = models.CharField("số", max_length=64, blank=True)
    adopted_on = models.DateField("ngày thông qua", null=True, blank=True)

    class Meta:
        verbose_name = "nghị quyết đại hội"
        verbose_name_plural = "nghị quyết đại hội"

    def __str__(self):
        return self.title


class PartKind(models.TextChoices):
    BREAKTHROUGH = "breakthrough", "Khâu đột phá"
    TASK_GROUP = "task_group", "Nhóm nhiệm vụ, giải pháp trọng tâm"


class ResolutionPart(models.Model):
    """A breakthrough (khâu đột phá) or a group of key tasks and solutions of the resolution."""

    resolution = models.ForeignKey(Resolution, on_delete=models.CASCADE, related_name="parts")
    kind = models.CharField("loại", max_length=16, choices=PartKind.choices)
    order = models.PositiveSmallIntegerField("thứ tự")
    title = models.CharField("nội dung", max_length=255)
    text = models.TextField("diễn giải", blank=True)

    class Meta:
        verbose_name = "khâu đột phá, nhóm nhiệm vụ"
        verbose_name_plural = "khâu đột phá, nhóm nhiệm vụ"
        ordering = ["resolution", "kind", "order"]

    def __str__(self):
        return self.title


class Comparator(models.TextChoices):
    AT_LEAST = "at_least", "Từ … trở lên"
    AT_MOST = "at_most", "Không quá …"


class Basis(models.TextChoices):
    CUMULATIVE = "cumulative", "Cộng dồn cả nhiệm kỳ"
    YEARLY = "yearly", "Hằng năm"
    END = "end", "Đến cuối nhiệm kỳ"


class Method(models.TextChoices):
    INDICATOR = "indicator", "Tính từ dữ liệu"
    MANUAL = "manual", "Nhập tay, có minh chứng"


class Target(models.Model):
    resolution = models.ForeignKey(Resolution, on_delete=models.CASCADE, related_name="targets")
    order = models.PositiveSmallIntegerField("thứ tự")
    name = models.CharField("chỉ tiêu", max_length=255)
    measure = models.CharField("đơn vị tính", max_length=32)  # "%", "đảng viên", "tổ chức"
    target_value = models.DecimalField("mức chỉ tiêu", max_digits=12, decimal_places=2)
    comparator = models.CharField("so sánh", max_length=16, choices=Comparator.choices, default=Comparator.AT_LEAST)
    basis = models.CharField("cách tính", max_length=16, choices=Basis.choices)
    method = models.CharField("nguồn số liệu", max_length=16, choices=Method.choices, default=Method.INDICATOR)
    indicator = models.CharField("chỉ số", max_length=48, blank=True)  # a key of the indicator library
    part = models.ForeignKey(
        ResolutionPart, null=True, blank=True, on_delete=models.PROTECT, related_name="targets",
        verbose_name="thuộc khâu đột phá, nhóm nhiệm vụ",
    )  # fmt: skip

    class Meta:
        verbose_name = "chỉ tiêu"
        verbose_name_plural = "chỉ tiêu"
        ordering = ["resolution", "order"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(method="indicator", indicator=""),
                name="target_indicator_named",
                violation_error_message="Chỉ tiêu tính từ dữ liệu phải chọn một chỉ số.",
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        from .indicators import REGISTRY

        if self.method == Method.INDICATOR and self.indicator not in REGISTRY:
            raise ValidationError({"indicator": "Hãy chọn một chỉ số có trong thư viện chỉ số."})
        if self.method == Method.MANUAL and self.indicator:
            raise ValidationError({"indicator": "Chỉ tiêu nhập tay không gắn với chỉ số."})
        if self.part_id and self.part.resolution_id != self.resolution_id:
            raise ValidationError({"part": "Khâu đột phá, nhóm nhiệm vụ phải thuộc chính nghị quyết này."})
        indicator = REGISTRY.get(self.indicator) if self.method == Method.INDICATOR else None
        if indicator is not None and (self.measure == "%") != indicator.is_percentage:
            unit = "%" if indicator.is_percentage else indicator.measure
            raise ValidationError({"measure": f"Chỉ số “{indicator.label}” tính theo đơn vị “{unit}”."})
        if indicator is not None and self.basis == Basis.CUMULATIVE and not indicator.additive:
            raise ValidationError({"basis": "Chỉ số này là một tỷ lệ, không cộng dồn qua các năm được: hãy chọn "
                                            "“Hằng năm” hoặc “Đến cuối nhiệm kỳ”."})  # fmt: skip


def evidence_path(value: ManualValue, filename: str) -> str:
    return random_name(f"evidence/{value.target_id}", filename)


class ManualValue(models.Model):
    """The value of a target judged by hand, for a unit as of a day, with its evidence."""

    # A target with values entered is kept (with its evidence) until they are removed.
    target = models.ForeignKey(Target, on_delete=models.PROTECT, related_name="manual_values")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    as_of = models.DateField("tính đến ngày")
    value = models.DecimalField("giá trị", max_digits=12, decimal_places=2)
    note = models.TextField("căn cứ, ghi chú", blank=True)
    evidence = models.FileField("tệp minh chứng", upload_to=evidence_path, max_length=255)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    entered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "số liệu nhập tay"
        verbose_name_plural = "số liệu nhập tay"
        indexes = [models.Index(fields=["target", "unit", "as_of"], name="manualvalue_lookup")]

    def __str__(self):
        return f"{self.target_id} · {self.as_of}: {self.value}"


class RegistrationResult(models.TextChoices):
    REGISTERED = "registered", "Đã đăng ký, đang thực hiện"
    RECOGNISED = "recognised", "Được công nhận"
    NOT_ACHIEVED = "not_achieved", "Chưa đạt"


class ModelRegistration(models.Model):
    """A unit's registration for building a "Dân vận khéo" model in a year."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="model_registrations")
    year = models.PositiveSmallIntegerField("năm")
    registered_on = models.DateField("ngày đăng ký")
    name = models.CharField("tên mô hình", max_length=255)
    field = models.CharField("lĩnh vực", max_length=128)
    result = models.CharField(
        "kết quả", max_length=16, choices=RegistrationResult.choices, default=RegistrationResult.REGISTERED
    )

    class Meta:
        verbose_name = "đăng ký mô hình “Dân vận khéo”"
        verbose_name_plural = "đăng ký mô hình “Dân vận khéo”"
        indexes = [models.Index(fields=["registered_on", "unit"], name="registration_day")]

    def __str__(self):
        return self.name
