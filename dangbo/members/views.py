from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import F, OuterRef, Q, Subquery
from django.shortcuts import render

from dangbo.accounts.scope import scope_for
from dangbo.lib import vn
from dangbo.lib.http import date_from_request, id_param
from dangbo.meetings.compliance import attendance_by_year
from dangbo.orgs.models import UnitVersion, latest_names

from .actions import ordered
from .event_views import possible_kinds
from .events import replay
from .figures import AGE_BANDS, age_band_condition, counted_stints
from .models import EventKind, Member, MemberStatus, Sex

PAGE_SIZE = 50
MAX_UNIT_CHOICES = 300


@login_required
def member_list(request):
    scope = scope_for(request, people=True)
    on, date_error = date_from_request(request)
    root = scope.root_on(on)
    context = {"on": on, "date_error": date_error, "root": root, "q": request.GET.get("q", "")}
    context.update(status_choices=MemberStatus.choices, sex_choices=Sex.choices, age_bands=AGE_BANDS)
    if root is None:
        return render(request, "members/list.html", context)
    unit_id = id_param(request.GET.get("unit"))  # anything but a plausible id means the whole scope
    unit = scope.unit_on_or_404(unit_id, on) if unit_id else root
    stints = counted_stints(unit, on)
    filters = {k: request.GET.get(k, "") for k in ("status", "sex", "age")}
    if filters["status"] in MemberStatus.values:
        stints = stints.filter(status=filters["status"])
    if filters["sex"] in Sex.values:
        stints = stints.filter(member__sex=filters["sex"])
    if filters["age"] in {key for key, *_ in AGE_BANDS}:
        stints = stints.filter(age_band_condition(filters["age"], on))
    words = vn.fold(context["q"]).split()
    if words:
        # Find the names first, then their stints: the database reads the short list of matching
        # members instead of every stint of the scope. Each typed word starts a word of the name
        # ("huong" finds Hương, not Phương).
        named = Member.unscoped.all()
        for word in words:
            named = named.filter(Q(search_name__startswith=word) | Q(search_name__contains=f" {word}"))
        stints = stints.filter(member_id__in=named.values("id"))
    stints = (
        stints.select_related("member")
        .annotate(unit_name=F("unit__versions__name"))
        .order_by("member__sort_key", "member_id")
    )
    page = Paginator(stints, PAGE_SIZE).get_page(request.GET.get("page"))
    # The unit filter offers the direct sub-units; a city-size scope has thousands, which no one
    # picks from a list: there the unit pages of the overview lead to their member lists instead.
    sub_units = scope.units_on(on).filter(parent_id=root.unit_id).only("unit_id", "parent_id", "name")
    sub_units = sorted(sub_units[: MAX_UNIT_CHOICES + 1], key=lambda v: vn.text_sort_key(v.name))
    if len(sub_units) > MAX_UNIT_CHOICES:
        sub_units = []
    context.update(page=page, unit=unit, filters=filters, sub_units=sub_units)
    return render(request, "members/list.html", context)


@login_required
def member_detail(request, member_id: int):
    scope = scope_for(request, people=True)
    member = scope.member_or_404(member_id)
    on, date_error = date_from_request(request)
    name_then = UnitVersion.objects.filter(unit_id=OuterRef("unit_id"), valid_from__lte=OuterRef("start"))
    name_then = name_then.order_by("-valid_from").values("name")[:1]
    stints = member.stints.annotate(unit_name=Subquery(name_then)).order_by("start", "kind")
    in_scope_now = scope.units_on(on).filter(unit_id__in=[s.unit_id for s in stints]).values_list("unit_id", flat=True)
    events = list(member.events.order_by("effective_on", "pk").select_related("cancelled_by"))
    timeline = replay(ordered(e for e in events if e.cancelled_at is None))
    unit_names = latest_names({e.unit_id for e in events} | {e.from_unit_id for e in events} - {None})
    for event in events:
        event.unit_name = unit_names.get(event.unit_id)
        event.from_unit_name = unit_names.get(event.from_unit_id)
    context = {
        "member": member,
        "on": on,
        "date_error": date_error,
        "status": timeline.status_on(on),
        "age": vn.age_on(member.birth_date, on),
        "stints": stints,
        "current": next((s for s in stints if s.kind == "official" and _holds_on(s, on)), None),
        "linkable_units": set(in_scope_now),
        "events": events,
        "active_events": sum(1 for e in events if e.cancelled_at is None),
        "timeline": timeline,
        "party_age": timeline.party_age_on(on),
        "readmission_probation": timeline.readmission_probation_on(on),
        "records": scope.records,
        "possible_kinds": [(k, EventKind(k).label) for k in possible_kinds(timeline)] if scope.records else [],
        "needs_ceremony": timeline.status == MemberStatus.PROBATIONARY and timeline.ceremony_on is None,
        "can_correct_ceremony": timeline.status == MemberStatus.PROBATIONARY and timeline.ceremony_on is not None,
        "attendance": attendance_by_year(member.pk),
        "disciplines": list(member.disciplines.order_by("-decided_on")),
    }
    return render(request, "members/detail.html", context)


def _holds_on(stint, on) -> bool:
    return stint.start <= on and (stint.end is None or stint.end > on)
