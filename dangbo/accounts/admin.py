from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from dangbo.audit.admin import AuditedAdmin

from .models import User


@admin.register(User)
class UserAdmin(AuditedAdmin, BaseUserAdmin):
    list_display = ["username", "first_name", "last_name", "role", "unit", "is_active", "is_superuser"]
    list_filter = ["role", "is_active", "is_superuser"]
    raw_id_fields = ["unit"]
    fieldsets = BaseUserAdmin.fieldsets + (("Phạm vi", {"fields": ("role", "unit")}),)
    add_fieldsets = BaseUserAdmin.add_fieldsets + (("Phạm vi", {"fields": ("role", "unit")}),)
