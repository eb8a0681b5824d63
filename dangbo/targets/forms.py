"""Forms of the target pages: a value judged by hand with its evidence, and a "Dân vận khéo"
registration. They parse and check what was typed; the writes are the actions'."""

from __future__ import annotations

from django import forms

from dangbo.lib.forms import Meaning, date_field
from dangbo.lib.uploads import checked_upload

from .models import ModelRegistration

EVIDENCE_SIGNATURES = {
    "pdf": [b"%PDF-"],
    "docx": [b"PK\x03\x04"],
    "xlsx": [b"PK\x03\x04"],
    "doc": [b"\xd0\xcf\x11\xe0"],
    "xls": [b"\xd0\xcf\x11\xe0"],
    "jpg": [b"\xff\xd8\xff"],
    "jpeg": [b"\xff\xd8\xff"],
    "png": [b"\x89PNG\r\n\x1a\n"],
}
EVIDENCE_MAX_BYTES = 20 * 1024 * 1024


class ManualValueForm(forms.Form):
    as_of = date_field("Số liệu tính đến ngày", meaning=Meaning.FACT, name="Ngày số liệu")
    value = forms.DecimalField(label="Giá trị", max_digits=12, decimal_places=2, min_value=0, localize=True,
                               error_messages={"invalid": "Giá trị phải là một số, ví dụ 98,5."})  # fmt: skip
    note = forms.CharField(label="Căn cứ, ghi chú", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    evidence = forms.FileField(label="Tệp minh chứng (PDF, Word, Excel, JPG, PNG; tối đa 20 MB)",
                               error_messages={"required": "Hãy đính kèm tệp minh chứng."})  # fmt: skip

    def clean_evidence(self):
        return checked_upload(
            self.cleaned_data["evidence"], EVIDENCE_SIGNATURES, EVIDENCE_MAX_BYTES,
            kinds="PDF, Word, Excel, JPG hoặc PNG", what="Tệp minh chứng",
            mismatch="Nội dung tệp minh chứng không đúng loại như phần đuôi tên tệp.",
        )  # fmt: skip


class RegistrationForm(forms.ModelForm):
    unit = forms.TypedChoiceField(label="Tổ chức đảng", coerce=int, empty_value=None)
    registered_on = date_field("Ngày đăng ký", meaning=Meaning.FACT)

    class Meta:
        model = ModelRegistration
        fields = ["year", "registered_on", "name", "field", "result"]

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [("", "— Chọn tổ chức —"), *units]
        self.fields["unit"].widget.attrs["data-picker"] = ""  # searchable when long (static/picker.js)
        self.fields["unit"].error_messages["invalid_choice"] = "Tổ chức không có trong phạm vi của bạn."
        self.fields["unit"].error_messages["required"] = "Hãy chọn tổ chức đảng đăng ký."
        self.order_fields(["unit", "year", "registered_on", "name", "field", "result"])

    def clean(self):
        data = super().clean()
        day, year = data.get("registered_on"), data.get("year")
        if day and year and abs(day.year - year) > 1:
            self.add_error("year", "Năm thực hiện mô hình phải gần với ngày đăng ký.")
        return data

    def registration(self) -> ModelRegistration:
        registration = self.save(commit=False)
        registration.unit_id = self.cleaned_data["unit"]
        return registration
