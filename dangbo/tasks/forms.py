"""Forms of the task pages. They parse what was typed and check each field; the rules that need the
tree (scope of the responsible unit, the head's unit, sub-task deadlines) are the actions'."""

from __future__ import annotations

from django import forms

from dangbo.lib.forms import Meaning, date_field
from dangbo.lib.uploads import checked_upload
from dangbo.targets.forms import EVIDENCE_MAX_BYTES, EVIDENCE_SIGNATURES

from .models import Grade, Priority, Recurrence, ResultKind, Source


def _attachment(upload):
    if not upload:
        return upload
    return checked_upload(
        upload, EVIDENCE_SIGNATURES, EVIDENCE_MAX_BYTES, kinds="PDF, Word, Excel, JPG hoặc PNG", what="Tệp đính kèm",
        mismatch="Nội dung tệp đính kèm không đúng loại như phần đuôi tên tệp.",
    )  # fmt: skip


class TaskForm(forms.Form):
    title = forms.CharField(label="Tên nhiệm vụ", max_length=500,
                            error_messages={"required": "Hãy nhập tên nhiệm vụ."})  # fmt: skip
    description = forms.CharField(label="Nội dung, yêu cầu", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    source = forms.ChoiceField(label="Nguồn giao", choices=Source.choices, initial=Source.CONCLUSION)
    source_number = forms.CharField(label="Số văn bản (ví dụ 125-TB/ĐUK)", max_length=64, required=False)
    source_date = date_field("Ngày văn bản", required=False, meaning=Meaning.FACT)
    link = forms.ChoiceField(label="Gắn với chỉ tiêu, khâu đột phá", required=False)
    responsible_unit = forms.TypedChoiceField(label="Đơn vị chủ trì", coerce=int, empty_value=None)
    head = forms.TypedChoiceField(label="Người đứng đầu chịu trách nhiệm", coerce=int, empty_value=None)
    coordinating = forms.TypedMultipleChoiceField(label="Đơn vị phối hợp", coerce=int, required=False,
                                                  widget=forms.SelectMultiple(attrs={"size": 6}))  # fmt: skip
    result_kind = forms.ChoiceField(label="Kết quả cần đạt đo bằng", choices=ResultKind.choices,
                                    initial=ResultKind.DELIVERABLE)  # fmt: skip
    expected_result = forms.CharField(label="Kết quả, sản phẩm cụ thể", widget=forms.Textarea(attrs={"rows": 2}),
                                      error_messages={"required": "Hãy nêu kết quả, sản phẩm cần đạt."})  # fmt: skip
    result_indicator = forms.ChoiceField(label="Chỉ số (khi đo bằng chỉ số)", required=False)
    result_value = forms.DecimalField(
        label="Giá trị cần đạt", required=False, max_digits=12, decimal_places=2, min_value=0, localize=True,
        error_messages={"invalid": "Giá trị phải là một số, ví dụ 95 hoặc 98,5."},
    )  # fmt: skip
    starts_on = date_field("Ngày bắt đầu")
    due_on = date_field("Thời hạn hoàn thành")
    priority = forms.ChoiceField(label="Mức ưu tiên", choices=Priority.choices, initial=Priority.NORMAL)
    recurrence = forms.ChoiceField(label="Lặp lại", required=False,
                                   choices=[("", "Không lặp lại"), *Recurrence.choices],
                                   help_text="Nhiệm vụ định kỳ: thời hạn là ngày kết thúc lặp lại; mỗi kỳ là một "
                                             "nhiệm vụ, hạn vào cùng ngày của tháng (quý) với kỳ đầu.")  # fmt: skip
    first_due_on = date_field("Thời hạn kỳ đầu (nhiệm vụ định kỳ)", required=False)

    def __init__(self, *args, units=(), heads=(), links=(), indicators=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible_unit"].choices = [("", "— Chọn đơn vị —"), *units]
        self.fields["responsible_unit"].widget.attrs["data-picker"] = ""  # searchable when long (static/picker.js)
        self.fields["responsible_unit"].error_messages.update(
            required="Hãy chọn đơn vị chủ trì.", invalid_choice="Đơn vị chủ trì không thuộc phạm vi của bạn."
        )
        self.fields["head"].choices = [("", "— Chọn người đứng đầu —"), *heads]
        self.fields["head"].error_messages.update(
            required="Hãy chọn người đứng đầu chịu trách nhiệm.",
            invalid_choice="Người được chọn không sinh hoạt trong đơn vị chủ trì.",
        )
        self.fields["coordinating"].choices = list(units)
        self.fields["coordinating"].error_messages["invalid_choice"] = "Đơn vị phối hợp không thuộc phạm vi của bạn."
        self.fields["link"].choices = [("", "— Không —"), *links]
        self.fields["result_indicator"].choices = [("", "— Không —"), *indicators]

    def clean(self):
        data = super().clean()
        starts_on, due_on = data.get("starts_on"), data.get("due_on")
        if starts_on and due_on and due_on < starts_on:
            self.add_error("due_on", "Thời hạn không được trước ngày bắt đầu.")
        if data.get("result_kind") == ResultKind.INDICATOR:
            if not data.get("result_indicator"):
                self.add_error("result_indicator", "Hãy chọn chỉ số đo kết quả.")
            if data.get("result_value") is None:
                self.add_error("result_value", "Hãy nhập giá trị cần đạt của chỉ số.")
        if data.get("recurrence"):
            first = data.get("first_due_on")
            if first is None:
                self.add_error("first_due_on", "Nhiệm vụ định kỳ cần thời hạn của kỳ đầu.")
            elif starts_on and due_on and not starts_on <= first <= due_on:
                self.add_error("first_due_on", "Thời hạn kỳ đầu phải nằm giữa ngày bắt đầu và ngày kết thúc lặp lại.")
        return data


class ProgressForm(forms.Form):
    progress = forms.IntegerField(label="Tiến độ (%)", required=False, min_value=0, max_value=100,
                                  error_messages={"min_value": "Tiến độ phải từ 0 đến 100%%.",
                                                  "max_value": "Tiến độ phải từ 0 đến 100%%.",
                                                  "invalid": "Tiến độ là một số nguyên từ 0 đến 100."})  # fmt: skip
    note = forms.CharField(label="Nội dung đã thực hiện", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    attachment = forms.FileField(label="Tệp đính kèm (PDF, Word, Excel, JPG, PNG; tối đa 20 MB)", required=False)

    def clean_attachment(self):
        return _attachment(self.cleaned_data.get("attachment"))


class ExtensionForm(forms.Form):
    new_due_on = date_field("Đề nghị gia hạn đến ngày")
    reason = forms.CharField(label="Lý do", widget=forms.Textarea(attrs={"rows": 2}),
                             error_messages={"required": "Hãy nêu lý do đề nghị gia hạn."})  # fmt: skip


class DecisionForm(forms.Form):
    approve = forms.TypedChoiceField(label="Quyết định", coerce=lambda v: v == "1",
                                     choices=[("1", "Đồng ý gia hạn"), ("0", "Không đồng ý")])  # fmt: skip
    note = forms.CharField(label="Ý kiến", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class CompletionForm(forms.Form):
    completed_on = date_field("Ngày hoàn thành", meaning=Meaning.FACT)
    report = forms.CharField(label="Kết quả, sản phẩm đã đạt", widget=forms.Textarea(attrs={"rows": 3}),
                             error_messages={"required": "Hãy nêu kết quả, sản phẩm đã đạt."})  # fmt: skip
    attachment = forms.FileField(label="Tệp đính kèm (PDF, Word, Excel, JPG, PNG; tối đa 20 MB)", required=False)

    def clean_attachment(self):
        return _attachment(self.cleaned_data.get("attachment"))


class GradeForm(forms.Form):
    verdict = forms.ChoiceField(label="Đánh giá", choices=[*Grade.choices, ("return", "Chưa đạt, trả lại")])
    note = forms.CharField(label="Nhận xét", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class SplitForm(forms.Form):
    """One sub-task: the unit below, its head, its deadline and result."""

    responsible_unit = forms.TypedChoiceField(label="Đơn vị cấp dưới", coerce=int, empty_value=None)
    head = forms.TypedChoiceField(label="Người đứng đầu chịu trách nhiệm", coerce=int, empty_value=None)
    due_on = date_field("Thời hạn")
    expected_result = forms.CharField(label="Kết quả, sản phẩm cần đạt", widget=forms.Textarea(attrs={"rows": 2}),
                                      error_messages={"required": "Hãy nêu kết quả, sản phẩm cần đạt."})  # fmt: skip

    def __init__(self, *args, units=(), heads=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible_unit"].choices = [("", "— Chọn đơn vị —"), *units]
        self.fields["responsible_unit"].widget.attrs["data-picker"] = ""  # searchable when long (static/picker.js)
        self.fields["responsible_unit"].error_messages.update(
            required="Hãy chọn đơn vị nhận nhiệm vụ con.", invalid_choice="Đơn vị không thuộc đơn vị chủ trì."
        )
        self.fields["head"].choices = [("", "— Chọn người đứng đầu —"), *heads]
        self.fields["head"].error_messages.update(
            required="Hãy chọn người đứng đầu chịu trách nhiệm.",
            invalid_choice="Người được chọn không sinh hoạt trong đơn vị đã chọn.",
        )
