from django.apps import AppConfig


class TargetsConfig(AppConfig):
    name = "dangbo.targets"
    verbose_name = "Chỉ tiêu Nghị quyết Đại hội"
