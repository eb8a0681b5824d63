import datetime

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import F, Q
from django.shortcuts import render

from dangbo.accounts.scope import scope_for
from dangbo.audit.log import record_read
from dangbo.audit.views import member_history
from dangbo.lib import vn
from dangbo.lib.http import date_from_request, id_param, today
from dangbo.meetings.compliance import attendance_by_year
from dangbo.orgs.labels import labels_on_days, parent_of, path_labels

from .actions import ordered
from .event_views import possible_kinds
from .events import replay
from .figures import AGE_BANDS, age_band_condition, counted_stints
from .models import DatedAttribute, EventKind, Member, MemberStatus, Sex, TheoryLevel, value_on
from .record_views import record_history

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
        .annotate(unit_name=F("unit__versions__name"), unit_path=F("unit__versions__path"))
        .order_by("member__sort_key", "member_id")
    )
    page = Paginator(stints, PAGE_SIZE).get_page(request.GET.get("page"))
    # A list of a past day names members who may have left the scope since: shown as it sees them
    # (one query for the page; everyone counted today is the scope's).
    seen = scope.seen_many([s.member for s in page]) if on < today() else {}
    for stint in page:
        if stint.member_id in seen and not seen[stint.member_id].current:
            stint.member = seen[stint.member_id].shown_member()
    # The unit filter offers the direct sub-units; a city-size scope has thousands, which no one
    # picks from a list: there the unit pages of the overview lead to their member lists instead.
    sub_units = scope.units_on(on).filter(parent_id=root.unit_id)
    sub_units = sub_units.only("unit_id", "parent_id", "name", "path", "valid_from", "valid_to")
    sub_units = sorted(sub_units[: MAX_UNIT_CHOICES + 1], key=lambda v: vn.text_sort_key(v.name))
    if len(sub_units) > MAX_UNIT_CHOICES:
        sub_units = []
    # What each unit of the page belongs to (the rows' cells, the choices): one query.
    named = {s.unit_id: (s.unit_name, s.unit_path) for s in page}
    named |= {v.unit_id: (v.name, v.path) for v in [*sub_units, unit]} if sub_units else {}
    labels = path_labels(named, on)
    for stint in page:
        stint.unit_parent = parent_of(labels.get(stint.unit_id, ""))
    context.update(page=page, unit=unit, filters=filters, sub_units=sub_units, unit_labels=labels,
                   records=scope.records)
    return render(request, "members/list.html", context)


@login_required
def member_detail(request, member_id: int):
    scope = scope_for(request, people=True)
    seen = scope.member_or_404(member_id)
    member = seen.shown_member()
    on, date_error = date_from_request(request)
    on = known_day(seen, on)
    stints = clip_stints(seen, member.stints.order_by("start", "kind"))
    in_scope_now = scope.units_on(on).filter(unit_id__in=[s.unit_id for s in stints]).values_list("unit_id", flat=True)
    events = known_events(seen, member.events.order_by("effective_on", "pk").select_related("cancelled_by"))
    timeline = replay(ordered(e for e in events if e.cancelled_at is None and seen.knew(e.effective_on)))
    # Each stint's unit as it stood when the stint began, read with the events' units.
    labels = name_events(seen, events, also=[(s.unit_id, s.start) for s in stints])
    for stint in stints:
        stint.unit_name = labels.get((stint.unit_id, stint.start), "")
    if not seen.current:  # the party dates as of the day they left
        member.admitted_on, member.official_on = timeline.admitted_on or member.admitted_on, timeline.official_on
    records = scope.records and seen.current
    context = {
        "member": member,
        "seen": seen,
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
        "records": records,
        "possible_kinds": [(k, EventKind(k).label) for k in possible_kinds(timeline)] if records else [],
        "needs_ceremony": timeline.status == MemberStatus.PROBATIONARY and timeline.ceremony_on is None,
        "can_correct_ceremony": timeline.status == MemberStatus.PROBATIONARY and timeline.ceremony_on is not None,
        "attendance": attendance_by_year(member.pk, before=seen.until),
        "disciplines": [d for d in member.disciplines.order_by("-decided_on") if seen.knew(d.decided_on)],
    }
    # A scope the member has left sees the edits made before they left it, no later one. Dated
    # changes are recorded by edits only (with their date in the audit note): a member never edited
    # costs no further query.
    history = record_history(member, before=seen.until)
    context["record_history"] = history
    dated = seen.current and any(entry["note"] for entry in history)
    context["theory_then"] = _theory_then(member, on) if dated else None
    # The staff who keep the record read its own audit trail (the latest entries, one query); the
    # opening itself is logged after it (one INSERT), placed where the member stood last as seen.
    context["audit_trail"] = member_history(scope, member.pk, until=seen.until) if scope.records else None
    record_read(request, "member_view", seen.member, unit=stints[-1].unit_id if stints else None)
    return render(request, "members/detail.html", context)


# --- a member as far as the scope knew them (accounts.scope.Seen) ------------------------------------


def known_day(seen, on: datetime.date) -> datetime.date:
    """`on`, or the last day the scope knew a member who has left it."""
    if seen.until is not None and on >= seen.until:
        return seen.until - datetime.timedelta(days=1)
    return on


def clip_stints(seen, stints) -> list:
    """The member's stints as the scope knew them: for a member who left it, those begun before
    they left, ended on that day at the latest."""
    until = seen.until
    if until is None:
        return list(stints)
    shown = []
    for stint in stints:
        if stint.start >= until:
            continue
        if stint.end is None or stint.end > until:
            stint.end, stint.clipped = until, True
        shown.append(stint)
    return shown


def known_events(seen, events) -> list:
    """The member's events as the scope knew them: for a member who left it, those up to the day
    they left (an event of that day is the leaving itself: shown without where they went)."""
    events = [e for e in events if seen.until is None or e.effective_on <= seen.until]
    for event in events:
        event.leaving = seen.until is not None and event.effective_on == seen.until
    return events


def name_events(seen, events, also=()) -> dict:
    """Set each event's unit names ("Chi bộ … — Đảng bộ …", orgs.labels): the latest for a current
    member; for a member who left, as the units stood on the event's day (a unit's later name belongs
    to its later place), and no destination on the day they left. Two queries, which also label the
    (unit id, day) pairs `also`: returns {(unit id, day): label}."""

    def day_of(event):
        if seen.until is None:
            return None
        return min(event.effective_on, seen.until - datetime.timedelta(days=1))

    pairs = [(e.unit_id, day_of(e)) for e in events] + [(e.from_unit_id, day_of(e)) for e in events]
    names = labels_on_days(pairs + list(also))
    for event in events:
        day = day_of(event)
        event.unit_name = None if event.leaving else names.get((event.unit_id, day))
        event.from_unit_name = names.get((event.from_unit_id, day))
        if event.leaving:
            event.other_side = ""
    return names


def _theory_then(member, on: datetime.date) -> str | None:
    """The theory level in force on `on`, when it differs from the current one (a dated change)."""
    changes = member.attribute_changes.filter(attribute=DatedAttribute.THEORY_LEVEL).order_by("effective_on", "pk")
    level = value_on(member.theory_level, changes.values_list("effective_on", "previous"), on)
    return TheoryLevel(level).label if level != member.theory_level and level in TheoryLevel.values else None


def _holds_on(stint, on) -> bool:
    return stint.start <= on and (stint.end is None or stint.end > on)
