from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from dangbo.audit.admin import AuditedAdmin, ReadOnlyAdmin
from dangbo.audit.log import record

from . import throttle
from .models import LoginThrottle, User

# Authenticators and recovery codes are written only through accounts.two_factor, audited; their
# secrets are not for the back office. Staff reset an account's from the accounts page.
for _device in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_device):
        admin.site.unregister(_device)


@admin.register(User)
class UserAdmin(AuditedAdmin, BaseUserAdmin):
    list_display = ["username", "first_name", "last_name", "role", "unit", "is_active", "is_superuser"]
    list_filter = ["role", "is_active", "must_change_password", "is_superuser"]
    raw_id_fields = ["unit"]
    fieldsets = BaseUserAdmin.fieldsets + (("Phạm vi", {"fields": ("role", "unit", "must_change_password")}),)
    add_fieldsets = BaseUserAdmin.add_fieldsets + (("Phạm vi", {"fields": ("role", "unit")}),)
    actions = ["unlock_login"]

    def has_unlock_permission(self, request):
        return request.user.has_perm("accounts.change_user")

    @admin.action(description="Mở khóa đăng nhập cho các tài khoản đã chọn", permissions=["unlock"])
    def unlock_login(self, request, queryset):
        count = throttle.unlock_accounts(request.user, queryset)
        self.message_user(
            request, f"Đã mở khóa đăng nhập cho các tài khoản đã chọn ({count} tài khoản có lần sai được xóa)."
        )

    def user_change_password(self, request, id, form_url=""):
        # Django's password page saves the form itself, outside save_model: audit it here.
        with transaction.atomic():
            response = super().user_change_password(request, id, form_url)
            if request.method == "POST" and response.status_code == 302:
                user = self.get_object(request, unquote(id))
                record(request.user, "admin_password_change", user, note="Đổi mật khẩu trong trang quản trị")
        return response


@admin.register(LoginThrottle)
class LoginThrottleAdmin(ReadOnlyAdmin):
    """Failed logins counted per account name and per address; staff unlock them here (audited)."""

    list_display = ["kind", "value", "failures", "expires", "locked"]
    list_filter = ["kind"]
    search_fields = ["value"]
    actions = ["unlock"]

    @admin.display(boolean=True, description="đang khóa")
    def locked(self, obj):
        return throttle.is_locked(obj)

    def has_unlock_permission(self, request):
        return request.user.has_perm("accounts.delete_loginthrottle")

    @admin.action(description="Mở khóa đăng nhập (xóa số lần sai đã đếm)", permissions=["unlock"])
    def unlock(self, request, queryset):
        count = throttle.unlock(request.user, queryset)
        self.message_user(request, f"Đã mở khóa đăng nhập: {count} mục.")
