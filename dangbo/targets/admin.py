from django import forms
from django.contrib import admin

from dangbo.audit.admin import AuditedAdmin, ReadOnlyAdmin

from .indicators import choices
from .models import ManualValue, ModelRegistration, Resolution, ResolutionPart, Target


class TargetForm(forms.ModelForm):
    indicator = forms.ChoiceField(label="Chỉ số", required=False)

    class Meta:
        model = Target
        fields = ["order", "name", "measure", "target_value", "comparator", "basis", "method", "indicator", "part"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["indicator"].choices = [("", "— Nhập tay —"), *choices()]


class PartInline(admin.TabularInline):
    model = ResolutionPart
    extra = 0


class TargetInline(admin.StackedInline):
    model = Target
    form = TargetForm
    extra = 0


@admin.register(Resolution)
class ResolutionAdmin(AuditedAdmin):
    """A term's resolution is set up here: its targets (each computed by an indicator or judged by
    hand), breakthroughs and key task groups."""

    list_display = ["title", "term", "number", "adopted_on"]
    list_select_related = ["term"]
    inlines = [TargetInline, PartInline]


@admin.register(ModelRegistration)
class ModelRegistrationAdmin(AuditedAdmin):
    list_display = ["name", "unit", "year", "field", "result"]
    list_filter = ["year", "result"]
    raw_id_fields = ["unit"]


@admin.register(ManualValue)
class ManualValueAdmin(ReadOnlyAdmin):
    """Entered on the target's page, with its evidence, audited there."""

    list_display = ["target", "as_of", "value", "entered_by", "entered_at"]
