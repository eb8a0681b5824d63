from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import transaction

from dangbo.audit.admin import AuditedAdmin
from dangbo.audit.log import record

from .models import User


@admin.register(User)
class UserAdmin(AuditedAdmin, BaseUserAdmin):
    list_display = ["username", "first_name", "last_name", "role", "unit", "is_active", "is_superuser"]
    list_filter = ["role", "is_active", "is_superuser"]
    raw_id_fields = ["unit"]
    fieldsets = BaseUserAdmin.fieldsets + (("Phạm vi", {"fields": ("role", "unit")}),)
    add_fieldsets = BaseUserAdmin.add_fieldsets + (("Phạm vi", {"fields": ("role", "unit")}),)

    def user_change_password(self, request, id, form_url=""):
        # Django's password page saves the form itself, outside save_model: audit it here.
        with transaction.atomic():
            response = super().user_change_password(request, id, form_url)
            if request.method == "POST" and response.status_code == 302:
                user = self.get_object(request, unquote(id))
                record(request.user, "admin_password_change", user, note="Đổi mật khẩu trong trang quản trị")
        return response
