from django.contrib import admin

from dangbo.audit.admin import ReadOnlyAdmin

from .models import Attendance, Meeting


class AttendanceInline(admin.TabularInline):
    model = Attendance
    fields = ["member", "standing", "exempted", "away", "presence", "reason"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Meeting)
class MeetingAdmin(ReadOnlyAdmin):
    """Minutes are recorded through the meeting pages (actions), whose totals follow the attendance."""

    list_display = ["__str__", "cell", "kind", "held_on", "duration_minutes", "present_count", "invited_count"]
    list_filter = ["kind"]
    date_hierarchy = "planned_on"
    raw_id_fields = ["cell", "chair", "secretary"]
    inlines = [AttendanceInline]
