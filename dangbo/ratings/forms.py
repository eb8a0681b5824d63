"""Forms of the rating pages: a new round (its scheme and quota), and a disciplinary decision. They
parse what was typed and check it; the writes are the actions'."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from dangbo.lib.forms import Meaning, date_field

from .discipline import check
from .models import MEMBER_FORMS, UNIT_FORMS, Discipline, DisciplineForm, PeriodKind, RatingPeriod


class PeriodForm(forms.ModelForm):
    starts_on = date_field("Từ ngày")
    ends_on = date_field("Đến ngày")

    class Meta:
        model = RatingPeriod
        fields = ["kind", "year", "name", "starts_on", "ends_on", "scheme", "excellent_min", "good_min",
                  "done_min", "quota_percent", "quota_rounding"]  # fmt: skip
        help_texts = {
            "name": "Để trống để đặt theo loại và năm, ví dụ “Đánh giá, xếp loại chất lượng năm 2026”.",
            "quota_percent": "Số xuất sắc không vượt quá tỷ lệ này của số hoàn thành tốt nhiệm vụ trở lên, "
            "tính trong từng tổ chức cơ sở đảng.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].required = False

    def clean(self):
        data = super().clean()
        kind, year = data.get("kind"), data.get("year")
        if kind == PeriodKind.YEAR:
            if not year:
                self.add_error("year", "Đợt đánh giá hằng năm phải có năm.")
            elif RatingPeriod.objects.filter(kind=PeriodKind.YEAR, year=year).exists():
                self.add_error("year", f"Đã có đợt đánh giá, xếp loại năm {year}.")
        starts, ends = data.get("starts_on"), data.get("ends_on")
        same = RatingPeriod.objects.filter(kind=kind, starts_on=starts, ends_on=ends).first()
        if kind != PeriodKind.YEAR and same is not None:
            self.add_error("starts_on", f"Đã có đợt “{same.name}” cùng loại và cùng thời gian.")
        if year and starts and ends and not starts.year <= year <= ends.year:
            self.add_error("year", "Năm đánh giá phải nằm trong khoảng từ ngày đến ngày của đợt.")
        thresholds = [data.get(k) for k in ("excellent_min", "good_min", "done_min")]
        if None not in thresholds and not 100 >= thresholds[0] > thresholds[1] > thresholds[2] >= 0:
            self.add_error(
                "excellent_min", "Ngưỡng điểm phải giảm dần: xuất sắc > tốt > hoàn thành, trong thang 0–100."
            )
        percent = data.get("quota_percent")
        if percent is not None and not 1 <= percent <= 100:
            self.add_error("quota_percent", "Tỷ lệ xuất sắc tối đa là một số từ 1 đến 100.")
        if not data.get("name") and kind and starts and ends:
            data["name"] = f"Đánh giá, xếp loại chất lượng {_period_words(kind, year, starts, ends)}"
        return data


def _period_words(kind, year, starts, ends) -> str:
    """How a round is named by default: “năm 2026”, “quý III năm 2026”, “nhiệm kỳ 2025–2030”."""
    year = year or ends.year
    if kind == PeriodKind.YEAR:
        return f"năm {year}"
    if kind == PeriodKind.QUARTER:
        return f"quý {['I', 'II', 'III', 'IV'][(starts.month - 1) // 3]} năm {year}"
    if kind == PeriodKind.TERM:
        return f"nhiệm kỳ {starts.year}–{ends.year}"
    return f"đột xuất từ {starts:%d/%m/%Y} đến {ends:%d/%m/%Y}"


class DisciplineEntryForm(forms.ModelForm):
    decided_on = date_field("Ngày quyết định", meaning=Meaning.FACT, name="Ngày quyết định kỷ luật")
    unit = forms.TypedChoiceField(label="Tổ chức đảng bị kỷ luật", coerce=int, empty_value=None, required=False)
    leader_of = forms.TypedChoiceField(label="Là người đứng đầu (bí thư) của", coerce=int, empty_value=None,
                                       required=False)  # fmt: skip

    class Meta:
        model = Discipline
        fields = ["form", "decided_on", "decision", "body", "reason"]
        widgets = {"reason": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, member=None, units=(), led=(), **kwargs):
        """For a member: `led` are the organisations they may have headed; for an organisation:
        `units` are those of the scope."""
        super().__init__(*args, **kwargs)
        self.member = member
        self.fields["decision"].error_messages["required"] = "Hãy nhập số quyết định kỷ luật."
        self.fields["body"].error_messages["required"] = "Hãy nhập cấp ra quyết định kỷ luật."
        self.fields["form"].error_messages["required"] = "Hãy chọn hình thức kỷ luật."
        allowed = MEMBER_FORMS if member else UNIT_FORMS
        self.fields["form"].choices = [("", "— Chọn hình thức —")] + [(f, DisciplineForm(f).label) for f in allowed]
        self.fields["form"].error_messages["invalid_choice"] = "Hình thức kỷ luật này không áp dụng ở đây."
        if member:
            del self.fields["unit"]
            self.fields["leader_of"].choices = [("", "— Không —"), *led]
            wrong = "Tổ chức này không phải nơi đảng viên sinh hoạt."
            self.fields["leader_of"].error_messages["invalid_choice"] = wrong
        else:
            del self.fields["leader_of"]
            self.fields["unit"].required = True
            self.fields["unit"].choices = [("", "— Chọn tổ chức —"), *units]
            self.fields["unit"].widget.attrs["data-picker"] = ""  # searchable when long (static/picker.js)
            self.fields["unit"].error_messages["invalid_choice"] = "Tổ chức không có trong phạm vi của bạn."
            self.fields["unit"].error_messages["required"] = "Hãy chọn tổ chức đảng bị kỷ luật."

    def clean(self):
        data = super().clean()
        if not self.errors:
            try:
                check(self.discipline())
            except ValidationError as refusal:
                self.add_error(None, refusal)
        return data

    def discipline(self) -> Discipline:
        """The decision as typed (the instance is filled only after `clean`)."""
        data = self.cleaned_data
        d = self.instance
        for name in ("form", "decided_on", "decision", "body", "reason"):
            setattr(d, name, data.get(name))
        if self.member:
            d.member, d.leader_of_id = self.member, data.get("leader_of")
        else:
            d.unit_id = data.get("unit")
        return d
