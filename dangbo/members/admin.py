from django.contrib import admin

from dangbo.audit.admin import AuditedAdmin, ReadOnlyAdmin

from .models import Event, Member, Stint
from .tallies import refresh_tallies, units_above


class StintInline(admin.TabularInline):
    """Stints follow from membership events; the back office shows them and does not edit them."""

    model = Stint
    fields = ["unit", "kind", "status", "start", "end"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Member)
class MemberAdmin(AuditedAdmin):
    list_display = ["__str__", "birth_date", "sex", "admitted_on", "card_number"]
    list_filter = ["sex", "theory_level"]
    search_fields = ["search_name", "card_number", "citizen_id"]
    ordering = ["sort_key"]
    inlines = [StintInline]
    # Derived from the membership events (actions), never typed.
    readonly_fields = ["admitted_on", "official_on"]

    def get_search_results(self, request, queryset, search_term):
        from dangbo.lib import vn

        return super().get_search_results(request, queryset, vn.fold(search_term))

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # Sex, birth date and theory level are counted: the member's units' tallies follow.
        refresh_tallies(units_above(Stint.unscoped.filter(member=obj).values_list("unit_id", flat=True)))

    def has_add_permission(self, request):
        return False  # members come in through an admission (actions.admit), with their first event

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    """Events are recorded and cancelled through the application's actions only."""

    list_display = ["effective_on", "kind", "member", "decision_number", "cancelled_at"]
    list_filter = ["kind"]
    date_hierarchy = "effective_on"
    raw_id_fields = ["member"]
    list_select_related = ["member"]
