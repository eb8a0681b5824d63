"""Forms of the meeting pages. They parse what was typed; the rules are the actions'."""

from __future__ import annotations

from django import forms

from dangbo.lib.forms import date_field
from dangbo.lib.uploads import checked_upload

from .models import Meeting, MeetingKind

# The first bytes of each accepted kind of material: the extension alone proves nothing.
MATERIAL_SIGNATURES = {
    "pdf": [b"%PDF-"],
    "docx": [b"PK\x03\x04"],
    "xlsx": [b"PK\x03\x04"],
    "pptx": [b"PK\x03\x04"],
    "odt": [b"PK\x03\x04"],
    "doc": [b"\xd0\xcf\x11\xe0"],
    "xls": [b"\xd0\xcf\x11\xe0"],
    "jpg": [b"\xff\xd8\xff"],
    "jpeg": [b"\xff\xd8\xff"],
    "png": [b"\x89PNG\r\n\x1a\n"],
}
MATERIAL_MAX_BYTES = 20 * 1024 * 1024


# Text areas that grow as one types (static/dangbo/writing.css, writing.js).
GROW = {"class": "grow"}


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


def time_field(label: str) -> forms.TimeField:
    return forms.TimeField(
        label=label, required=False, widget=TimeInput(), input_formats=["%H:%M", "%H:%M:%S", "%Hg%M", "%Hh%M"],
        error_messages={"invalid": "Giờ không hợp lệ; hãy nhập theo dạng giờ:phút, ví dụ 08:00."},
    )  # fmt: skip


class PlanForm(forms.ModelForm):
    cell = forms.TypedChoiceField(label="Chi bộ", coerce=int, empty_value=None)
    planned_on = date_field("Ngày dự kiến họp")
    planned_time = time_field("Giờ dự kiến")
    materials_sent_on = date_field("Ngày gửi tài liệu đến đảng viên", required=False)

    class Meta:
        model = Meeting
        fields = ["kind", "topic", "planned_on", "planned_time", "place", "agenda", "materials_sent_on"]
        widgets = {"agenda": forms.Textarea(attrs={"rows": 4, **GROW})}
        help_texts = {"topic": "Bắt buộc với sinh hoạt chuyên đề."}

    def __init__(self, cells: list[tuple[int, str]], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cell"].choices = [("", "— Chọn chi bộ —"), *cells]
        self.fields["cell"].widget.attrs["data-picker"] = ""  # searchable when long (static/picker.js)
        self.fields["cell"].error_messages["invalid_choice"] = "Chi bộ không có trong phạm vi của bạn."
        self.fields["cell"].error_messages["required"] = "Hãy chọn chi bộ."
        if self.instance.pk:
            self.fields["cell"].initial = self.instance.cell_id
            self.fields["cell"].disabled = True
        self.fields["kind"].choices = MeetingKind.choices


class MinutesForm(forms.Form):
    """The minutes, besides the attendance (one radio and reason per invitee, parsed by
    `attendance_from`)."""

    held_on = date_field("Ngày họp")
    started_at = time_field("Giờ bắt đầu")
    duration_minutes = forms.IntegerField(
        label="Thời lượng (phút)", min_value=1, max_value=720,
        error_messages={"min_value": "Thời lượng buổi sinh hoạt phải lớn hơn 0 phút.",
                        "max_value": "Thời lượng quá dài cho một buổi sinh hoạt; hãy kiểm tra lại.",
                        "invalid": "Thời lượng là số phút, ví dụ 120.",
                        "required": "Hãy nhập thời lượng buổi sinh hoạt (phút)."},
    )  # fmt: skip
    place = forms.CharField(label="Địa điểm", max_length=255, required=False)
    chair = forms.TypedChoiceField(label="Chủ trì", coerce=int, empty_value=None, required=False)
    secretary = forms.TypedChoiceField(label="Thư ký", coerce=int, empty_value=None, required=False)
    opinions = forms.CharField(
        label="Ý kiến phát biểu", required=False, widget=forms.Textarea(attrs={"rows": 4, **GROW})
    )
    conclusions = forms.CharField(
        label="Kết luận của chủ trì", required=False, widget=forms.Textarea(attrs={"rows": 3, **GROW})
    )
    resolution = forms.CharField(label="Nghị quyết", required=False, widget=forms.Textarea(attrs={"rows": 3, **GROW}))
    approved_count = forms.IntegerField(
        label="Số đảng viên tán thành biên bản", required=False, min_value=0,
        help_text="Biểu quyết thông qua biên bản cuối buổi sinh hoạt; để trống nếu chưa biểu quyết.",
        error_messages={"min_value": "Số đảng viên tán thành không được âm.",
                        "invalid": "Số đảng viên tán thành là một số, ví dụ 12."},
    )  # fmt: skip

    def __init__(self, people: list[tuple[int, str]], *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("chair", "secretary"):
            self.fields[name].choices = [("", "—"), *people]
            self.fields[name].error_messages["invalid_choice"] = "Hãy chọn một đảng viên trong danh sách của buổi họp."


def attendance_from(data, member_ids: list[int]) -> dict[int, tuple[str, str]]:
    """{member id: (presence, reason)} from the posted `presence-<id>` and `reason-<id>` fields:
    the invitees listed on the form, and any other `presence-<id>` posted (the action refuses
    those)."""
    ids = set(member_ids)
    for key in data:
        if key.startswith("presence-") and key[9:].isdigit():
            ids.add(int(key[9:]))
    return {
        pk: (data.get(f"presence-{pk}", ""), data.get(f"reason-{pk}", "")) for pk in ids if data.get(f"presence-{pk}")
    }


class MaterialForm(forms.Form):
    file = forms.FileField(label="Tài liệu (PDF, Word, Excel, PowerPoint, JPG, PNG; tối đa 20 MB)")

    def clean_file(self):
        return checked_upload(
            self.cleaned_data["file"], MATERIAL_SIGNATURES, MATERIAL_MAX_BYTES,
            kinds="PDF, Word, Excel, PowerPoint, JPG hoặc PNG", what="Tài liệu",
            mismatch="Nội dung tệp không khớp với phần đuôi tên tệp.",
        )  # fmt: skip
