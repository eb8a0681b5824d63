from django.contrib import admin

from dangbo.audit.admin import AuditedAdmin, ReadOnlyAdmin

from .actions import open_round
from .models import Discipline, MemberRating, RatingPeriod, UnitRating


@admin.register(RatingPeriod)
class RatingPeriodAdmin(AuditedAdmin):
    """Rounds and their scheme (levels or scores, thresholds, the quota) are set up here."""

    list_display = ["name", "kind", "year", "starts_on", "ends_on", "scheme", "quota_percent"]
    list_filter = ["kind", "scheme"]
    actions = ["open_rounds"]

    @admin.action(description="Lập danh sách đảng viên, tổ chức được đánh giá trong đợt")
    def open_rounds(self, request, queryset):
        for period in queryset:
            counts = open_round(request.user, period)
            self.message_user(
                request,
                f"{period.name}: thêm {counts['members']} đảng viên, {counts['organisations']} tổ chức vào danh sách.",
            )


@admin.register(MemberRating)
class MemberRatingAdmin(ReadOnlyAdmin):
    """Written by the round's steps (actions), audited there."""

    list_display = ["member", "period", "self_level", "proposed_level", "decided_level"]
    list_filter = ["period", "decided_level"]
    raw_id_fields = ["member", "cell", "grassroots"]
    list_select_related = ["member", "period"]


@admin.register(UnitRating)
class UnitRatingAdmin(ReadOnlyAdmin):
    list_display = ["unit", "period", "kind", "decided_level"]
    list_filter = ["period", "kind", "decided_level"]


@admin.register(Discipline)
class DisciplineAdmin(ReadOnlyAdmin):
    """Recorded on the disciplines page (actions), audited there."""

    list_display = ["decision", "decided_on", "form", "member", "unit"]
    list_filter = ["form"]
    raw_id_fields = ["member", "unit", "leader_of"]
