from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "dangbo.exchange"
    verbose_name = "Nhập, xuất dữ liệu"
