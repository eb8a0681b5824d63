from django.apps import AppConfig


class OnceConfig(AppConfig):
    name = "dangbo.once"
    verbose_name = "Biểu mẫu đã gửi"
