from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "dangbo.accounts"
    verbose_name = "Tài khoản"
