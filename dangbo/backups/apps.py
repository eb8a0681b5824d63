from django.apps import AppConfig


class BackupsConfig(AppConfig):
    name = "dangbo.backups"
    verbose_name = "Sao lưu và phục hồi"
