"""Forms for recording membership events. The forms only parse what was typed; the rules are the
actions' (`actions.py`), whose Vietnamese refusals the views show above the form."""

from __future__ import annotations

from django import forms

from dangbo.lib.forms import Meaning, date_field
from dangbo.lib.uploads import checked_upload

from .actions import COMPLETED_FACTS
from .models import EventKind

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
