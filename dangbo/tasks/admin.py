from django.contrib import admin

from dangbo.audit.admin import ReadOnlyAdmin

from .models import Extension, Task, TaskUpdate


@admin.register(Task)
class TaskAdmin(ReadOnlyAdmin):
    """Tasks are written through their pages, whose rules and follow-up log the back office would skip."""

    list_display = ["title", "responsible_unit", "due_on", "completed_on", "grade"]
    list_filter = ["source", "grade", "priority"]
    search_fields = ["search_title", "source_number"]
    raw_id_fields = ["head", "parent", "series"]


@admin.register(TaskUpdate)
class TaskUpdateAdmin(ReadOnlyAdmin):
    list_display = ["task", "kind", "progress", "by", "at"]
    list_filter = ["kind"]


@admin.register(Extension)
class ExtensionAdmin(ReadOnlyAdmin):
    list_display = ["task", "due_on", "new_due_on", "decision", "decided_at"]
