from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "dangbo.tasks"
    verbose_name = "Nhiệm vụ"
