"""The configuration of reports is edited here: the types and their sections, each committee's
schedule and letterhead. Reports themselves are written through their pages (read-only here)."""

from django.contrib import admin

from dangbo.audit.admin import AuditedAdmin, ReadOnlyAdmin

from .models import AdHocRequest, Letterhead, Report, ReportType, Schedule, SectionSpec


class SectionInline(admin.TabularInline):
    model = SectionSpec
    extra = 0


@admin.register(ReportType)
class ReportTypeAdmin(AuditedAdmin):
    list_display = ["name", "code", "period_kind", "symbol", "order"]
    inlines = [SectionInline]


@admin.register(Schedule)
class ScheduleAdmin(AuditedAdmin):
    list_display = ["superior", "report_type", "reporter_kinds", "due_day", "active"]
    raw_id_fields = ["superior"]


@admin.register(Letterhead)
class LetterheadAdmin(AuditedAdmin):
    list_display = ["unit", "issuer_name", "symbol", "place", "signer_name"]
    raw_id_fields = ["unit"]


@admin.register(AdHocRequest)
class AdHocRequestAdmin(ReadOnlyAdmin):
    list_display = ["title", "superior", "due_on", "created_at"]


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    list_display = ["report_type", "unit", "period", "status", "number", "due_on", "first_sent_at"]
    list_filter = ["report_type", "status"]
