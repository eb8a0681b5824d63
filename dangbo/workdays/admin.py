from django.contrib import admin

from dangbo.audit.admin import AuditedAdmin

from .models import CalendarDay


@admin.register(CalendarDay)
class CalendarDayAdmin(AuditedAdmin):
    """Administrators add each year's days off and làm bù days here once they are announced."""

    list_display = ["day", "name", "is_working_day"]
    list_filter = ["is_working_day"]
    date_hierarchy = "day"
    ordering = ["-day"]
    search_fields = ["name"]
