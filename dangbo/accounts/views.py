from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm

from dangbo.lib.middleware import SessionIdleTimeoutMiddleware

from .throttle import RefusalMessage


class LoginForm(RefusalMessage, AuthenticationForm):
    """Django's login form, in Vietnamese. Throttling happens in the authentication backend
    (accounts.throttle), for this page and every other way in; this form only explains a refusal."""

    error_messages = {
        "invalid_login": "Tên đăng nhập hoặc mật khẩu không đúng.",
        "inactive": "Tài khoản này đã bị khóa.",
    }

    username = forms.CharField(label="Tên đăng nhập", max_length=150, widget=forms.TextInput(attrs={"autofocus": True}))
    password = forms.CharField(label="Mật khẩu", strip=False, widget=forms.PasswordInput)


class AdminLoginForm(RefusalMessage, AdminAuthenticationForm):
    """The admin's login form, saying why a throttled attempt was refused."""


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        # Set when the previous session ended for lack of use (lib.middleware.SessionIdleTimeoutMiddleware).
        ended = self.request.method == "GET" and self.request.session.pop(SessionIdleTimeoutMiddleware.ENDED, False)
        return super().get_context_data(**kwargs) | {"session_ended": ended}
