from django import forms

from dangbo.lib.forms import Meaning, date_field
from dangbo.members.forms import DecisionFields

from .models import DOSSIER_FORMS, Candidate


class CandidateForm(forms.ModelForm):
    identified_on = date_field("Ngày chi bộ phân công theo dõi", meaning=Meaning.FACT)
    course_passed_on = date_field("Ngày cấp giấy chứng nhận lớp nhận thức về Đảng", required=False,
                                  meaning=Meaning.FACT)
    birth_date = date_field("Ngày sinh", meaning=Meaning.BIRTH)
    dossier = forms.MultipleChoiceField(
        label="Hồ sơ đã có", choices=[(c, f"{c}: {label}") for c, label in DOSSIER_FORMS if c != "9-KNĐ"],
        required=False, widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    cell = forms.TypedChoiceField(label="Chi bộ theo dõi", coerce=int)

    class Meta:
        model = Candidate
        fields = [
            "family_name", "middle_name", "given_name", "sex", "birth_date", "citizen_id", "ethnicity", "religion",
            "home_town", "residence", "education", "qualification", "occupation", "workplace", "cell",
            "identified_on", "course_passed_on", "dossier", "note",
        ]  # fmt: skip

    def __init__(self, cells, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cell"].choices = [("", "— Chọn chi bộ —"), *cells]
        self.fields["cell"].widget.attrs["data-picker"] = ""  # searchable when long (static/picker.js)
        self.fields["cell"].error_messages["invalid_choice"] = "Chi bộ không hợp lệ hoặc ngoài phạm vi quản lý."
        if self.instance.pk:
            self.initial["cell"] = self.instance.cell_id
        for field in self.fields.values():
            field.error_messages["required"] = "Trường này là bắt buộc."

    def clean_cell(self):
        from dangbo.orgs.models import Unit

        return Unit.objects.get(pk=self.cleaned_data["cell"])


class AdmitForm(DecisionFields):
    cell_considered_on = date_field("Ngày chi bộ xét, đề nghị kết nạp", meaning=Meaning.FACT)
    ceremony_on = date_field("Ngày tổ chức lễ kết nạp (nếu đã tổ chức)", required=False,
                             name="Ngày tổ chức lễ kết nạp")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["decided_on"].required = True
        self.fields["decided_on"].label = "Ngày quyết định kết nạp"
        self.fields["decision_number"].required = True
        for field in self.fields.values():
            field.error_messages["required"] = "Trường này là bắt buộc."
        self.order_fields(["decision_number", "decided_on", "issuing_body", "cell_considered_on", "ceremony_on"])
