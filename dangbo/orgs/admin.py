from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import transaction

from dangbo.audit.admin import AuditedAdmin, ReadOnlyAdmin
from dangbo.lib.forms import Meaning, Within

from . import actions
from .models import Succession, Term, Unit, UnitForm, UnitVersion


class UnitVersionInline(admin.TabularInline):
    """Versions are history: they are written only by the tree actions, never edited here."""

    model = UnitVersion
    fk_name = "unit"
    fields = ["name", "kind", "form", "parent", "valid_from", "valid_to", "decision"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["valid_from"]

    def has_add_permission(self, request, obj=None):
        return False


class FoundUnitForm(forms.ModelForm):
    """Adding a unit in the back office goes through `found_unit`, with its checks."""

    name = forms.CharField(label="Tên", max_length=255)
    form = forms.ModelChoiceField(label="Loại", queryset=UnitForm.objects.all(), to_field_name="code")
    parent = forms.ModelChoiceField(label="Tổ chức cấp trên", queryset=Unit.objects.all(), required=False)
    valid_from = forms.DateField(label="Thành lập từ ngày", validators=[Within(Meaning.DAY, "Ngày thành lập")])
    decision = forms.CharField(label="Quyết định", max_length=128, required=False)

    class Meta:
        model = Unit
        fields = ["code"]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            # Validate inside a rolled-back savepoint; save_model runs the real action.
            with transaction.atomic():
                actions.found_unit(
                    None,
                    name=data["name"],
                    form=data["form"].code,
                    parent=data.get("parent"),
                    on=data["valid_from"],
                    code=data.get("code"),
                )
                transaction.set_rollback(True)
        except ValidationError as error:
            raise ValidationError(error.messages) from None
        return data


@admin.register(Unit)
class UnitAdmin(AuditedAdmin):
    list_display = ["__str__", "code", "created_at"]
    search_fields = ["code", "versions__name"]
    inlines = [UnitVersionInline]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = FoundUnitForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        return ["code", "name", "form", "parent", "valid_from", "decision"] if obj is None else ["code"]

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        data = form.cleaned_data
        unit = actions.found_unit(
            request.user,
            name=data["name"],
            form=data["form"].code,
            parent=data.get("parent"),
            on=data["valid_from"],
            code=data.get("code"),
            decision=data.get("decision", ""),
        )
        obj.pk = unit.pk
        obj.created_at = unit.created_at

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(UnitVersion)
class UnitVersionAdmin(ReadOnlyAdmin):
    list_display = ["name", "kind", "parent", "valid_from", "valid_to"]
    list_filter = ["kind", "depth"]
    search_fields = ["name"]


@admin.register(UnitForm)
class UnitFormAdmin(AuditedAdmin):
    """The forms of organisation and where each may sit: a province configures its levels here."""

    list_display = ["name", "code", "kind", "at_top", "order"]
    filter_horizontal = ["parents"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Succession)
class SuccessionAdmin(ReadOnlyAdmin):
    """Written by the reorganisation's merger, with the tree's changes."""

    list_display = ["predecessor", "successor", "on", "decision"]


@admin.register(Term)
class TermAdmin(AuditedAdmin):
    list_display = ["name", "committee", "starts_on", "ends_on"]
    raw_id_fields = ["committee"]
