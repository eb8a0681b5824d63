from django.contrib import admin
from django.db import models

from dangbo.lib.forms import Meaning, Within

from .log import record, snapshot
from .models import AuditEntry


class ReadOnlyAdmin(admin.ModelAdmin):
    """For history and derived rows: shown in the back office, written only by the application."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "kind", "actor", "action", "target_type", "target_id", "member"]
    list_filter = ["kind", "action", "target_type"]
    list_select_related = ["actor", "member"]
    search_fields = ["target_id", "actor__username", "note"]


class AuditedAdmin(admin.ModelAdmin):
    """Back-office edits leave the same audit entries as the application's own actions.

    The admin already wraps each change form in a transaction, so the entry and the change commit
    together."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        """Dates typed here are held to the same plausible ranges as the application's forms."""
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None and type(db_field) is models.DateField:
            meaning = Meaning.BIRTH if db_field.name == "birth_date" else Meaning.DAY
            field.validators.append(Within(meaning, str(db_field.verbose_name).capitalize()))
        return field

    def save_model(self, request, obj, form, change):
        before = snapshot(type(obj)._default_manager.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)
        record(request.user, "admin_change" if change else "admin_add", obj, before, snapshot(obj))

    def delete_model(self, request, obj):
        before = snapshot(obj)
        record(request.user, "admin_delete", obj, before, None)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

    def save_formset(self, request, form, formset, change):
        """Rows edited inline (a resolution's targets, say) are audited one by one, like the rest."""
        before = {
            f.instance.pk: snapshot(type(f.instance)._default_manager.get(pk=f.instance.pk))
            for f in formset.initial_forms
            if f.instance.pk and f.has_changed()
        }
        # Deleting a row clears its pk: the deleted ones are read (as stored, not as typed) beforehand.
        deleted = [(f.instance, snapshot(type(f.instance)._default_manager.get(pk=f.instance.pk)))
                   for f in formset.deleted_forms if f.instance.pk]  # fmt: skip
        super().save_formset(request, form, formset, change)
        for obj in formset.new_objects:
            record(request.user, "admin_add", obj, None, snapshot(obj))
        for obj, _ in formset.changed_objects:
            record(request.user, "admin_change", obj, before.get(obj.pk), snapshot(obj))
        for obj, entry in deleted:
            if obj in formset.deleted_objects:
                obj.pk = entry["id"]
                record(request.user, "admin_delete", obj, entry, None)
