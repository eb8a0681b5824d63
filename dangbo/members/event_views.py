"""Recording membership events from a member's page: one form per kind of event, the ceremony,
cancelling the latest event, and the scans of decisions (served only inside the scope)."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from dangbo.accounts.scope import scope_for
from dangbo.lib import vn
from dangbo.lib.http import id_param, today
from dangbo.once.tokens import require_token, submitted_once
from dangbo.orgs.labels import unit_labels, version_labels
from dangbo.orgs.models import CELL_KINDS, Unit

from . import actions
from .events import READMITTABLE, RESTORABLE, Timeline
from .forms import GRAVE, KIND_FIELDS, CancelForm, CeremonyForm, EventForm
from .models import Event, EventKind, MemberStatus, Stint, StintKind

K = EventKind
# Events that bring a member who is in no unit into one (their `unit`): the receiving scope records them.
ARRIVING = {K.TRANSFER_IN, K.TEMPORARY_HOSTED, K.READMISSION, K.RESTORATION}
MAX_CELL_CHOICES = 2000


def possible_kinds(timeline: Timeline) -> list[str]:
    """The kinds of event the member's current state allows (the form list on their page)."""
    if timeline.left and timeline.left[0] == K.DEATH:
        return []
    if timeline.status is None:
        how = timeline.left[0] if timeline.left else None
        return [k for k, allowed in ((K.READMISSION, READMITTABLE), (K.RESTORATION, RESTORABLE)) if how in allowed]
    kinds = []
    if timeline.status == MemberStatus.PROBATIONARY:
        kinds += [K.RECOGNITION, K.NON_RECOGNITION]
    if timeline.home is not None:
        kinds += [K.TRANSFER_WITHIN, K.TRANSFER_OUT, K.TEMPORARY_AWAY]
    else:
        kinds += [K.TRANSFER_IN, K.TEMPORARY_HOSTED]
    return [*kinds, K.EXEMPTION, K.DEATH, K.REMOVAL, K.EXPULSION, K.RESIGNATION]


def cell_choices(scope) -> list[tuple[int, str]]:
    """The cells of the scope today, by name, each with the unit above it ("Chi bộ Văn phòng" is
    the name of a cell in many committees): the units a member may be brought into."""
    units = scope.units_on(today()).filter(kind__in=CELL_KINDS)
    cells = units.only("unit_id", "name", "path", "valid_from", "valid_to")[:MAX_CELL_CHOICES]
    labelled = version_labels(cells, today()).items()
    return sorted(labelled, key=lambda c: vn.text_sort_key(c[1]))


def _kind_or_404(kind: str) -> str:
    if kind not in KIND_FIELDS:
        raise Http404
    return kind


class _DryRun(Exception):
    """Undoes a recording that was only tried."""


def _would_record(actor, member, kind: str, kwargs: dict) -> None:
    """Runs the event's action and undoes it: its refusal (a ValidationError) is said before the
    confirmation is asked, so the user confirms only what will be written. The scan is not stored."""
    try:
        with transaction.atomic():
            actions.RECORDERS[kind](actor, member, **{k: v for k, v in kwargs.items() if k != "scan"})
            raise _DryRun
    except _DryRun:
        pass


def _cell_name(member, day) -> str:
    """The name of the cell the member is in on `day` (as it was named then), for the confirmation."""
    stint = Stint.unscoped.filter(member=member, kind=StintKind.OFFICIAL).open_on(day).first()
    return unit_labels([stint.unit_id], day).get(stint.unit_id, "") if stint else ""


@login_required
@submitted_once
def event_new(request, member_id: int, kind: str):
    scope = scope_for(request, records=True)
    seen = scope.member_or_404(member_id)
    member = seen.member
    kind = _kind_or_404(kind)
    timeline = actions.timeline_of(member) if seen.current or kind in ARRIVING else None
    cells = cell_choices(scope)
    posted = request.method == "POST"
    form = EventForm(kind, cells, request.POST if posted else None, request.FILES if posted else None)
    error = None
    if kind not in ARRIVING:
        try:
            seen.check_writable(scope, None)  # a member who left the scope: read-only, said at once
        except ValidationError as refusal:
            error, posted = " ".join(refusal.messages), False
    if posted and form.is_valid():
        data = form.cleaned_data
        kwargs = form.decision()
        for name in KIND_FIELDS[kind]:
            kwargs[name] = data.get(name) or ("" if name == "other_side" else None)
        if kwargs.get("unit"):
            kwargs["unit"] = Unit.objects.get(pk=kwargs["unit"])
        # The day the event takes effect: a recognition's is the end of the probation.
        effective_on = timeline.probation_ends or today() if kind == K.RECOGNITION else kwargs.get("effective_on")
        arriving = kwargs.get("unit") if kind in ARRIVING else None
        # A grave event is first checked without being written, and the page repeats the member, the
        # event and its date for a confirmation ("Xác nhận"); "Sửa lại" goes back to the form.
        confirming = kind in GRAVE and request.POST.get("confirmed") != "1"
        try:
            seen.check_writable(scope, effective_on, into=arriving)
            if confirming:
                _would_record(request.user, member, kind, kwargs)
            else:
                require_token(request)
                event = actions.RECORDERS[kind](request.user, member, **kwargs)
        except ValidationError as refusal:
            error = " ".join(refusal.messages)
        else:
            if confirming and "edit" not in request.POST:
                return render(request, "members/event_confirm.html", {
                    "member": member, "kind": kind, "kind_label": K(kind).label, "form": form, "data": kwargs,
                    "cell": _cell_name(member, effective_on), "scan_dropped": "scan" in kwargs,
                })  # fmt: skip
            if not confirming:
                messages.success(
                    request, f"Đã ghi nhận: {event.get_kind_display()} ngày {vn.format_date(event.effective_on)}."
                )
                return redirect("member_detail", member_id=member.pk)
    context = {
        "member": member,
        "kind": kind,
        "kind_label": K(kind).label,
        "form": form,
        "error": error,
        "timeline": timeline,
        "possible": timeline is None or kind in possible_kinds(timeline),
        "read_only": kind not in ARRIVING and not seen.current,
        "grave": kind in GRAVE,
    }
    return render(request, "members/event_form.html", context, status=400 if error or form.errors else 200)


@login_required
@require_POST
def ceremony(request, member_id: int):
    scope = scope_for(request, records=True)
    seen = scope.member_or_404(member_id)
    member = seen.member
    form = CeremonyForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(" ".join(e for errors in form.errors.values() for e in errors))
        seen.check_writable(scope, form.cleaned_data["ceremony_on"])
        event = actions.record_ceremony(request.user, member, form.cleaned_data["ceremony_on"])
    except ValidationError as refusal:
        messages.error(request, " ".join(refusal.messages))
    else:
        messages.success(request, f"Đã ghi nhận lễ kết nạp ngày {vn.format_date(event.ceremony_on)}.")
    return redirect("member_detail", member_id=member.pk)


@login_required
@require_POST
@submitted_once
def cancel_latest(request, member_id: int):
    scope = scope_for(request, records=True)
    seen = scope.member_or_404(member_id)
    member = seen.member
    form = CancelForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("Hãy nêu lý do hủy sự kiện.")
        latest = member.events.active().order_by("-effective_on", "-pk").first()
        # The event undone took effect on its day: the member was the scope's then, or the day
        # before (the scope that sent them away may undo the transfer).
        day = latest.effective_on if latest else today()
        try:
            seen.check_writable(scope, day)
        except ValidationError:
            seen.check_writable(scope, day - datetime.timedelta(days=1))
        require_token(request)
        event = actions.cancel_latest_event(request.user, member, form.cleaned_data["reason"])
    except ValidationError as refusal:
        messages.error(request, " ".join(refusal.messages))
    else:
        messages.success(
            request, f"Đã hủy sự kiện: {event.get_kind_display()} ngày {vn.format_date(event.effective_on)}."
        )
    return redirect("member_detail", member_id=member.pk)


@login_required
def event_scan(request, event_id: int):
    scope = scope_for(request, people=True)
    event = Event.unscoped.filter(pk=id_param(event_id) or 0).first()
    if event is None or not event.scan:
        raise Http404
    seen = scope.member_or_404(event.member_id)
    if not seen.knew(event.effective_on) and event.effective_on != seen.until:
        raise Http404  # decided after the member left the scope
    try:
        handle = event.scan.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    suffix = event.scan.name.rsplit(".", 1)[-1]
    return FileResponse(handle, filename=f"quyet-dinh-{event.pk}.{suffix}")
