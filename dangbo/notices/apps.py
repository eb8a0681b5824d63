from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "dangbo.notices"
    verbose_name = "Thông báo"
