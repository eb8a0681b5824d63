from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import Q
from django.utils import timezone

from .models import LoginFailure


def _address(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


class ThrottledLoginForm(AuthenticationForm):
    """Django's login form, in Vietnamese, refusing to even try a password after too many recent
    failures for the same username or from the same address."""

    error_messages = {
        "invalid_login": "Tên đăng nhập hoặc mật khẩu không đúng.",
        "inactive": "Tài khoản này đã bị khóa.",
        "throttled": "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau %(minutes)d phút.",
    }

    username = forms.CharField(label="Tên đăng nhập", max_length=150, widget=forms.TextInput(attrs={"autofocus": True}))
    password = forms.CharField(label="Mật khẩu", strip=False, widget=forms.PasswordInput)

    def clean(self):
        username = self.cleaned_data.get("username", "")
        window = timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)
        recent = LoginFailure.objects.filter(at__gte=timezone.now() - window)
        address = _address(self.request) if self.request else None
        by_name = recent.filter(username__iexact=username).count()
        by_address = recent.filter(Q(address=address)).count() if address else 0
        if by_name >= settings.LOGIN_FAILURE_LIMIT or by_address >= 4 * settings.LOGIN_FAILURE_LIMIT:
            raise forms.ValidationError(
                self.error_messages["throttled"], code="throttled", params={"minutes": window.seconds // 60}
            )
        try:
            return super().clean()
        except forms.ValidationError:
            LoginFailure.objects.create(username=username[:150], address=address)
            raise


class LoginView(auth_views.LoginView):
    form_class = ThrottledLoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        LoginFailure.objects.filter(username__iexact=form.get_user().username).delete()
        return super().form_valid(form)
