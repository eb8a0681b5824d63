from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "dangbo.notices"
    verbose_name = "Thông báo"

    def ready(self):
        from . import checks  # noqa: F401 - registers the SITE_URL check
