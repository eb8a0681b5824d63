"""Forms for recording membership events. The forms only parse what was typed; the rules are the
actions' (`actions.py`), whose Vietnamese refusals the views show above the form."""

from __future__ import annotations

import datetime

from django import forms
from django.core.exceptions import ValidationError

from dangbo.lib.forms import Meaning, date_field
from dangbo.lib.uploads import checked_upload

from .actions import ARRIVAL_KINDS, COMPLETED_FACTS, EDITABLE_FIELDS, PAPERS
from .models import EventKind, Member

K = EventKind
# The first bytes of each accepted kind of file: the extension alone proves nothing.
SCAN_SIGNATURES = {
    "pdf": [b"%PDF-"],
    "jpg": [b"\xff\xd8\xff"],
    "jpeg": [b"\xff\xd8\xff"],
    "png": [b"\x89PNG\r\n\x1a\n"],
}
SCAN_MAX_BYTES = 10 * 1024 * 1024


# The fields each kind of event asks for, besides the decision (number, date, body), note and scan.
KIND_FIELDS = {
    K.RECOGNITION: [],
    K.NON_RECOGNITION: ["effective_on"],
    K.TRANSFER_IN: ["effective_on", "unit", "other_side"],
    K.TRANSFER_OUT: ["effective_on", "other_side"],
    K.TRANSFER_WITHIN: ["effective_on", "unit"],
    K.TEMPORARY_AWAY: ["effective_on", "ends_on", "unit", "other_side"],
    K.TEMPORARY_HOSTED: ["effective_on", "ends_on", "unit", "other_side"],
    K.EXEMPTION: ["effective_on", "ends_on"],
    K.DEATH: ["effective_on"],
    K.REMOVAL: ["effective_on"],
    K.EXPULSION: ["effective_on"],
    K.RESIGNATION: ["effective_on"],
    K.READMISSION: ["effective_on", "unit", "other_side", "ceremony_on"],
    K.RESTORATION: ["effective_on", "unit", "other_side"],
}
# Grave events: the form repeats the member, the event and its date and asks for a confirmation
# before writing (they end a membership).
GRAVE = {K.DEATH, K.REMOVAL, K.EXPULSION, K.RESIGNATION}
REQUIRED = {
    (K.TRANSFER_IN, "unit"),
    (K.TRANSFER_OUT, "other_side"),
    (K.TRANSFER_WITHIN, "unit"),
    (K.TEMPORARY_AWAY, "ends_on"),
    (K.TEMPORARY_HOSTED, "ends_on"),
    (K.TEMPORARY_HOSTED, "unit"),
}
LABELS = {
    "effective_on": "Ngày hiệu lực",
    "ends_on": "Đến ngày",
    "unit": "Chi bộ",
    "other_side": "Tổ chức đảng bên ngoài Đảng bộ",
    "ceremony_on": "Ngày tổ chức lễ kết nạp",
}
HELP = {
    (K.TRANSFER_IN, "other_side"): "Nơi chuyển đến từ (đảng bộ, chi bộ cũ).",
    (K.TRANSFER_OUT, "other_side"): "Nơi nhận sinh hoạt (tên đảng bộ, chi bộ).",
    (K.TEMPORARY_AWAY, "unit"): "Chọn nếu nơi sinh hoạt tạm thời là một chi bộ trong Đảng bộ.",
    (K.TEMPORARY_AWAY, "other_side"): "Hoặc ghi tên tổ chức đảng bên ngoài nơi sinh hoạt tạm thời.",
    (K.TEMPORARY_HOSTED, "other_side"): "Tổ chức đảng nơi đảng viên sinh hoạt chính thức.",
    (K.EXEMPTION, "ends_on"): "Để trống nếu miễn không thời hạn.",
    (K.READMISSION, "other_side"): "Nếu kết nạp lại ở tổ chức đảng bên ngoài Đảng bộ.",
    (K.RESTORATION, "other_side"): "Nếu sinh hoạt tại tổ chức đảng bên ngoài Đảng bộ.",
}


class DecisionFields(forms.Form):
    decision_number = forms.CharField(label="Số quyết định", max_length=64, required=False)
    decided_on = date_field("Ngày quyết định", required=False)
    issuing_body = forms.CharField(label="Cơ quan ban hành", max_length=255, required=False)
    note = forms.CharField(label="Ghi chú", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    scan = forms.FileField(label="Bản chụp quyết định (PDF, JPG, PNG; tối đa 10 MB)", required=False)

    def clean_scan(self):
        scan = self.cleaned_data.get("scan")
        if scan is None:
            return None
        return checked_upload(
            scan, SCAN_SIGNATURES, SCAN_MAX_BYTES, kinds="PDF, JPG hoặc PNG", what="Bản chụp",
            mismatch="Nội dung tệp không phải PDF, JPG hoặc PNG như phần đuôi tên tệp.",
        )  # fmt: skip

    def decision(self) -> dict:
        data = self.cleaned_data
        return {k: data[k] for k in ("decision_number", "decided_on", "issuing_body", "note") if data.get(k)} | (
            {"scan": data["scan"]} if data.get("scan") else {}
        )


class EventForm(DecisionFields):
    """The form of one kind of event; `units` are the (id, name) cells the user may choose."""

    def __init__(self, kind: str, units: list[tuple[int, str]], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        for name in reversed(KIND_FIELDS[kind]):
            required = (kind, name) in REQUIRED or name == "effective_on"
            if name in ("effective_on", "ends_on", "ceremony_on"):
                fact = name == "effective_on" and kind in COMPLETED_FACTS  # a fact already done: never after today
                field = date_field(LABELS[name], required, meaning=Meaning.FACT if fact else Meaning.DAY)
            elif name == "unit":
                field = forms.TypedChoiceField(
                    label=LABELS[name], required=required, coerce=int, empty_value=None,
                    choices=[("", "— Chọn chi bộ —"), *units],
                    error_messages={"invalid_choice": "Chi bộ không hợp lệ hoặc ngoài phạm vi quản lý."},
                )  # fmt: skip
                field.widget.attrs["data-picker"] = ""  # searchable when long (static/picker.js)
            else:
                field = forms.CharField(label=LABELS[name], max_length=255, required=required)
            field.help_text = HELP.get((kind, name), "")
            self.fields = {name: field, **self.fields}
        for field in self.fields.values():
            field.error_messages.setdefault("required", "Trường này là bắt buộc.")
            field.error_messages["required"] = "Trường này là bắt buộc."



class CeremonyForm(forms.Form):
    ceremony_on = date_field("Ngày tổ chức lễ kết nạp")


class CancelForm(forms.Form):
    reason = forms.CharField(
        label="Lý do hủy", widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Hãy nêu lý do hủy sự kiện."},
    )  # fmt: skip


# --- the member's record ------------------------------------------------------------------------------

# Identifiers are checked by the action (on the fields changed: an old record may still hold a
# 9-digit identity card number), not by the field.
_PLAIN = {"citizen_id", "card_number", "old_card_number"}


def _record_field(name: str) -> forms.Field:
    model_field = Member._meta.get_field(name)
    label = model_field.verbose_name[:1].upper() + model_field.verbose_name[1:]
    if name == "birth_date":
        return date_field(label, meaning=Meaning.BIRTH)
    if model_field.choices:
        return forms.ChoiceField(label=label, choices=model_field.choices)
    required = not model_field.blank
    return forms.CharField(label=label, max_length=model_field.max_length, required=required,
                           validators=[] if name in _PLAIN else model_field.validators)  # fmt: skip


class MemberFields(forms.Form):
    """The fields of the member sheet (actions.EDITABLE_FIELDS), as typed."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        fields = {name: _record_field(name) for name in EDITABLE_FIELDS}
        self.fields = {**fields, **self.fields}
        self.fields["citizen_id"].help_text = "12 chữ số."
        self.fields["card_number"].help_text = "8 chữ số (thẻ cũ) hoặc 12 chữ số (thẻ mới)."
        for field in self.fields.values():
            field.error_messages["required"] = "Trường này là bắt buộc."

    def values(self) -> dict:
        data = self.cleaned_data
        values = {name: data[name] for name in EDITABLE_FIELDS if name in data}
        values["citizen_id"] = values.get("citizen_id") or None
        return values

    def refusal(self, refusal: ValidationError) -> str:
        """Put an action's refusal next to its fields; the message for the top of the form ("" if
        every part found its field)."""
        if not hasattr(refusal, "error_dict"):
            return " ".join(refusal.messages)
        rest = []
        for name, errors in refusal.error_dict.items():
            if name in self.fields:
                self.add_error(name, errors)
            else:
                rest += [m for error in errors for m in error.messages]
        return " ".join(rest)


class MemberEditForm(MemberFields):
    effective_on = date_field("Có hiệu lực từ ngày", required=False, meaning=Meaning.FACT)
    updated_at = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["effective_on"].help_text = (
            "Khi lý luận chính trị hoặc chức vụ thay đổi (học xong lớp, được bổ nhiệm…): ngày thay đổi, để số liệu "
            "các ngày trước đó giữ giá trị cũ. Để trống khi sửa thông tin nhập sai (áp dụng cho mọi ngày)."
        )
        order = list(EDITABLE_FIELDS)
        order.insert(order.index("union_position") + 1, "effective_on")
        self.order_fields(order)

    def clean_updated_at(self):
        # The hidden field carries the record's updated_at in ISO form, microseconds included.
        raw = self.cleaned_data.get("updated_at", "")
        try:
            return datetime.datetime.fromisoformat(raw) if raw else None
        except ValueError:
            raise ValidationError("Biểu mẫu đã cũ: hãy mở lại trang sửa hồ sơ.") from None


class ArrivalForm(MemberFields):
    """A member who comes from a committee outside the tree: their record, their party dates as
    their file shows them, and the arrival (kind, cell, date, the sending committee, the decision,
    the papers received)."""

    kind = forms.ChoiceField(label="Hình thức", choices=[(k, K(k).label) for k in ARRIVAL_KINDS],
                             widget=forms.RadioSelect)  # fmt: skip
    unit = forms.TypedChoiceField(label="Chi bộ tiếp nhận", coerce=int, empty_value=None)
    effective_on = date_field("Ngày hiệu lực (ngày đến sinh hoạt)")
    ends_on = date_field("Sinh hoạt tạm thời đến ngày", required=False, name="Ngày kết thúc")
    other_side = forms.CharField(label="Chuyển đến từ tổ chức đảng", max_length=255)
    admitted_on = date_field("Ngày vào Đảng", meaning=Meaning.FACT)
    official_on = date_field("Ngày chính thức", required=False, meaning=Meaning.FACT)
    ceremony_on = date_field("Ngày lễ kết nạp (đảng viên dự bị)", required=False, meaning=Meaning.FACT,
                             name="Ngày lễ kết nạp")  # fmt: skip
    decision_number = forms.CharField(label="Số quyết định (giấy giới thiệu)", max_length=64, required=False)
    decided_on = date_field("Ngày quyết định", required=False, meaning=Meaning.FACT)
    issuing_body = forms.CharField(label="Cơ quan ban hành", max_length=255, required=False)
    papers = forms.MultipleChoiceField(label="Hồ sơ đảng viên đã nhận", choices=PAPERS, required=False,
                                       widget=forms.CheckboxSelectMultiple)  # fmt: skip
    dues_paid_until = forms.RegexField(
        label="Đã đóng đảng phí hết tháng", regex=r"^(0?[1-9]|1[0-2])/(19|20)\d\d$", required=False,
        error_messages={"invalid": "Ghi tháng/năm, ví dụ 10/2026."},
    )  # fmt: skip
    note = forms.CharField(label="Ghi chú", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, units: list[tuple[int, str]], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [("", "— Chọn chi bộ —"), *units]
        self.fields["unit"].error_messages["invalid_choice"] = "Chi bộ không hợp lệ hoặc ngoài phạm vi quản lý."
        self.fields["official_on"].help_text = "Để trống nếu đảng viên còn dự bị."
        self.fields["ends_on"].help_text = "Chỉ với sinh hoạt tạm thời (từ 3 tháng đến 2 năm)."
        self.fields["other_side"].help_text = "Tên đảng bộ, chi bộ nơi đảng viên sinh hoạt trước khi đến."
        order = ["kind", "unit", "effective_on", "ends_on", "other_side", "decision_number", "decided_on",
                 "issuing_body", "papers", "dues_paid_until", *EDITABLE_FIELDS, "admitted_on", "official_on",
                 "ceremony_on", "note"]  # fmt: skip
        self.order_fields(order)
        for field in self.fields.values():
            field.error_messages["required"] = "Trường này là bắt buộc."

    def clean(self):
        data = super().clean()
        if data.get("kind") == K.TEMPORARY_HOSTED and not data.get("ends_on"):
            self.add_error("ends_on", "Hãy nhập ngày kết thúc sinh hoạt tạm thời.")
        return data

    def arrival(self) -> dict:
        data = self.cleaned_data
        names = ("kind", "effective_on", "other_side", "admitted_on", "official_on", "ceremony_on", "papers",
                 "dues_paid_until", "note", "decision_number", "decided_on", "issuing_body")  # fmt: skip
        arrival = {name: data.get(name) for name in names}
        for name in ("decision_number", "decided_on", "issuing_body"):
            if not arrival[name]:
                del arrival[name]
        if data.get("kind") == K.TEMPORARY_HOSTED:
            arrival["ends_on"] = data.get("ends_on")
        return arrival
