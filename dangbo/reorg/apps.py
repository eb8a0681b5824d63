from django.apps import AppConfig


class ReorgConfig(AppConfig):
    name = "dangbo.reorg"
    verbose_name = "Sắp xếp tổ chức"
