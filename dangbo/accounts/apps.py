from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "dangbo.accounts"
    verbose_name = "Tài khoản"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from . import two_factor

        # Every way in (the login page, the admin's) decides what the new session still owes.
        user_logged_in.connect(two_factor.on_login, dispatch_uid="dangbo_two_factor_on_login")
