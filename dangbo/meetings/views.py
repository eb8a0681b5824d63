"""Cell meeting pages: the list, the plan, the minutes with attendance, the minutes as a page and
as Word, the materials, the compliance table of a subtree and the attendance of a cell's members.

Minutes name people: every page but the compliance table asks `scope_for(people=True)`; the
compliance table shows a viewer the figures without names. Writing is open to every role that sees
people: cell secretaries keep their cells' minutes."""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import OuterRef, Q
from django.db.models.functions import Coalesce
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.html import format_html_join
from django.views.decorators.http import require_POST

from dangbo.accounts.scope import scope_for
from dangbo.lib import vn
from dangbo.lib.forms import Meaning, bounds, date_param, month_param
from dangbo.lib.http import id_param, today
from dangbo.members.event_views import cell_choices
from dangbo.members.models import Member
from dangbo.once.tokens import require_token, submitted_once
from dangbo.orgs.labels import unit_labels
from dangbo.orgs.models import CELL_KINDS, Unit, UnitVersion

from . import actions
from .charts import regular_chart
from .compliance import (
    compliance,
    is_short,
    month_start,
    months_of,
    period_start,
    regular_by_period,
    rules,
    unexcused_members,
)
from .forms import MaterialForm, MinutesForm, PlanForm, attendance_from
from .minutes import minutes_docx, minutes_of
from .models import Attendance, Material, Meeting, MeetingKind, Presence

PAGE_SIZE = 50
GRID_MONTHS = 24  # a longer period shows the missing months as a list, not a grid


def meetings_of(scope):
    """The scope's meetings: those of a cell that lay in the subtree on the meeting's day (held,
    or planned when not yet held). A cell that moved between committees leaves its earlier
    meetings with the committee it had then (`Scope.holds`)."""
    day = Coalesce(OuterRef("held_on"), OuterRef("planned_on"))
    cells = scope.units_ever().values("unit_id")  # narrows a small scope's meetings before the dated check
    return Meeting.unscoped.filter(cell_id__in=cells).filter(scope.holds(OuterRef("cell_id"), day))


def unheld_of(scope, before: datetime.date):
    """The scope's meetings planned before `before` and not held: read from the index of the meetings
    not held (a few, whatever the number of meetings held), each checked against the subtree on its
    planned day. The same rows as `meetings_of(scope)` with these conditions, whose narrowing by the
    subtree's cells led the database to read every meeting of those cells planned before the day."""
    return Meeting.unscoped.filter(held_on__isnull=True, planned_on__lt=before).filter(
        scope.holds(OuterRef("cell_id"), OuterRef("planned_on"))
    )


def meeting_or_404(scope, meeting_id) -> Meeting:
    meeting = meetings_of(scope).filter(pk=id_param(meeting_id) or 0).first()
    if meeting is None:
        raise Http404
    return meeting


def _check_held(scope, cell_id, day) -> None:
    """A meeting is planned or recorded only on a day its cell lies in the subtree (a day the cell
    did not exist is left to the plan's own check, which says so)."""
    if day is None or scope.unit_held_on(cell_id, day):
        return
    if UnitVersion.objects.on(day).filter(unit_id=cell_id).exists():
        raise ValidationError(
            f"Ngày {vn.format_date(day)} chi bộ này không thuộc phạm vi quản lý của đơn vị: chỉ lập kế hoạch, "
            "ghi biên bản các buổi sinh hoạt khi chi bộ thuộc đơn vị."
        )


@login_required
def meeting_list(request):
    scope = scope_for(request, people=True)
    cells = cell_choices(scope)
    meetings = meetings_of(scope)
    cell = id_param(request.GET.get("cell"))
    if cell is not None:
        meetings = meetings.filter(cell_id=cell)
    month = month_param(request.GET.get("month"))
    if month is not None:  # by the day shown: held, or planned when not yet held
        next_month = vn.add_months(month, 1)
        meetings = meetings.filter(
            Q(held_on__gte=month, held_on__lt=next_month)
            | Q(held_on__isnull=True, planned_on__gte=month, planned_on__lt=next_month)
        )
    status = request.GET.get("status", "")
    if status == "held":
        meetings = meetings.filter(held_on__isnull=False)
    elif status == "planned":
        meetings = meetings.filter(held_on__isnull=True)
    page = Paginator(meetings.order_by("-planned_on", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    names = dict(cells)
    gone = {m.cell_id for m in page} - set(names)
    names.update(unit_labels(gone))
    for meeting in page:
        meeting.cell_label = names.get(meeting.cell_id, "")
        meeting.short = is_short(meeting)
    context = {
        "page": page,
        "cells": cells,
        "cell": cell,
        "month": month,
        "status": status,
        "month_error": bool(request.GET.get("month")) and month is None,
    }
    return render(request, "meetings/list.html", context)


@login_required
@submitted_once
def meeting_plan(request, meeting_id: int | None = None):
    scope = scope_for(request, people=True)
    meeting = meeting_or_404(scope, meeting_id) if meeting_id else Meeting(kind=MeetingKind.REGULAR)
    cells = cell_choices(scope)
    initial = {"cell": id_param(request.GET.get("cell"))} if not meeting.pk else {}
    form = PlanForm(cells, request.POST if request.method == "POST" else None, instance=meeting, initial=initial)
    error = None
    if request.method == "POST" and form.is_valid():
        meeting = form.save(commit=False)
        if not meeting.pk:
            meeting.cell = Unit.objects.get(pk=form.cleaned_data["cell"])
        try:
            _check_held(scope, meeting.cell_id, meeting.day)
            require_token(request)
            meeting = actions.plan_meeting(request.user, meeting)
        except ValidationError as refusal:
            error = " ".join(refusal.messages)
        else:
            messages.success(request, f"Đã lưu kế hoạch buổi sinh hoạt ngày {vn.format_date(meeting.planned_on)}.")
            return redirect("meeting", meeting_id=meeting.pk)
    context = {"meeting": meeting, "form": form, "error": error}
    return render(request, "meetings/plan.html", context, status=400 if error or form.errors else 200)


def _cell_label(meeting: Meeting) -> str:
    return unit_labels([meeting.cell_id], meeting.day).get(meeting.cell_id, "")


@login_required
def meeting_detail(request, meeting_id: int):
    scope = scope_for(request, people=True)
    meeting = meeting_or_404(scope, meeting_id)
    rows = list(Attendance.unscoped.filter(meeting=meeting).select_related("member"))
    rows.sort(key=lambda r: (r.member.sort_key, r.member.pk))
    context = {
        "meeting": meeting,
        "cell_name": _cell_label(meeting),
        "rows": rows,
        "materials": list(meeting.materials.order_by("uploaded_at")),
        "material_form": MaterialForm(),
        "short": is_short(meeting),
        "rules": rules(),
        "chair": meeting.chair,
        "secretary": meeting.secretary,
    }
    return render(request, "meetings/detail.html", context)


@login_required
def meeting_minutes(request, meeting_id: int):
    """Record or correct the minutes. The invitation list is that of the day typed (`?ngay=`
    changes it before posting)."""
    scope = scope_for(request, people=True)
    meeting = meeting_or_404(scope, meeting_id)
    posted = request.method == "POST"
    data = request.POST if posted else None
    held_on = meeting.held_on or min(meeting.planned_on, today())
    if posted:
        held_on = date_param(request.POST.get("held_on"), Meaning.FACT) or held_on
    elif request.GET.get("ngay"):
        held_on = date_param(request.GET["ngay"], Meaning.FACT) or held_on
    people = actions.invitees(meeting.cell_id, held_on)
    choices = [(p.member.pk, p.member.full_name) for p in people]
    initial = {
        "held_on": held_on, "started_at": meeting.started_at or meeting.planned_time,
        "duration_minutes": meeting.duration_minutes, "place": meeting.place, "chair": meeting.chair_id,
        "secretary": meeting.secretary_id, "opinions": meeting.opinions, "conclusions": meeting.conclusions,
        "resolution": meeting.resolution, "approved_count": meeting.approved_count,
    }  # fmt: skip
    form = MinutesForm(choices, data, initial=initial)
    recorded = dict(Attendance.unscoped.filter(meeting=meeting).values_list("member_id", "presence"))
    reasons = dict(Attendance.unscoped.filter(meeting=meeting).values_list("member_id", "reason"))
    error = None
    if posted and form.is_valid():
        data_ = form.cleaned_data
        fields = {name: data_[name] for name in actions.MINUTES_FIELDS}
        try:
            _check_held(scope, meeting.cell_id, data_["held_on"])
            meeting = actions.save_minutes(
                request.user, meeting, attendance=attendance_from(request.POST, [p.member.pk for p in people]),
                chair_id=data_["chair"], secretary_id=data_["secretary"], **fields,
            )  # fmt: skip
        except ValidationError as refusal:
            error = " ".join(refusal.messages)
        else:
            messages.success(request, f"Đã lưu biên bản buổi sinh hoạt ngày {vn.format_date(meeting.held_on)}.")
            return redirect("meeting", meeting_id=meeting.pk)
    lines = []
    for person in people:
        pk = person.member.pk
        if posted:
            presence, reason = request.POST.get(f"presence-{pk}", ""), request.POST.get(f"reason-{pk}", "")
        else:
            default = Presence.EXCUSED if not person.required else Presence.PRESENT
            presence = recorded.get(pk, default)
            reason = reasons.get(pk) or (
                "Sinh hoạt tạm thời nơi khác" if person.away else "Được miễn sinh hoạt" if person.exempted else ""
            )
        lines.append({"person": person, "presence": presence, "reason": reason})
    context = {
        "meeting": meeting,
        "cell_name": _cell_label(meeting),
        "form": form,
        "lines": lines,
        "held_on": held_on,
        "presences": Presence.choices,
        "error": error,
    }
    return render(request, "meetings/minutes_form.html", context, status=400 if error or form.errors else 200)


def _held_or_404(scope, meeting_id) -> Meeting:
    meeting = meeting_or_404(scope, meeting_id)
    if meeting.held_on is None:
        raise Http404
    return meeting


@login_required
def minutes_page(request, meeting_id: int):
    scope = scope_for(request, people=True)
    minutes = minutes_of(_held_or_404(scope, meeting_id))
    return render(request, "meetings/minutes.html", {"minutes": minutes, "meeting": minutes.meeting})


@login_required
def minutes_word(request, meeting_id: int):
    scope = scope_for(request, people=True)
    meeting = _held_or_404(scope, meeting_id)
    content = minutes_docx(minutes_of(meeting))
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    response["Content-Disposition"] = f'attachment; filename="bien-ban-sinh-hoat-{meeting.held_on:%Y-%m-%d}.docx"'
    return response


@login_required
@require_POST
@submitted_once
def material_upload(request, meeting_id: int):
    scope = scope_for(request, people=True)
    meeting = meeting_or_404(scope, meeting_id)
    form = MaterialForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            require_token(request)
        except ValidationError as refusal:
            messages.error(request, " ".join(refusal.messages))
        else:
            material = actions.add_material(request.user, meeting, form.cleaned_data["file"])
            messages.success(request, f"Đã tải lên tài liệu “{material.name}”.")
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect("meeting", meeting_id=meeting.pk)


@login_required
def material_download(request, material_id: int):
    scope = scope_for(request, people=True)
    material = Material.objects.filter(pk=id_param(material_id) or 0).first()
    if material is None:
        raise Http404
    meeting_or_404(scope, material.meeting_id)
    try:
        handle = material.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(handle, as_attachment=True, filename=material.name)


@login_required
@require_POST
def meeting_delete(request, meeting_id: int):
    scope = scope_for(request, people=True)
    meeting = meeting_or_404(scope, meeting_id)
    if not request.POST.get("xac-nhan"):
        messages.error(request, "Chưa xóa: hãy đánh dấu ô xác nhận xóa kế hoạch buổi sinh hoạt và tài liệu kèm theo.")
        return redirect("meeting", meeting_id=meeting.pk)
    try:
        actions.delete_meeting(request.user, meeting)
    except ValidationError as refusal:
        messages.error(request, " ".join(refusal.messages))
        return redirect("meeting", meeting_id=meeting.pk)
    messages.success(request, "Đã xóa kế hoạch buổi sinh hoạt.")
    return redirect("meeting_list")


MARKS = {MeetingKind.REGULAR: "●", MeetingKind.THEMATIC: "◆", MeetingKind.COMBINED: "◉"}


def _grid_cells(months, held: dict, missing: set):
    """The <td>s of one cell's months: built here, not by template loops (50 rows × up to 24
    months)."""
    cells = []
    for month in months:
        if month in missing:
            cells.append(("num month missing", "Không sinh hoạt thường kỳ", "✗"))
        else:
            cells.append(("num month", "", "".join(MARKS[kind] for kind in held.get(month, []))))
    return format_html_join("", '<td class="{}" title="{}">{}</td>', cells)


def _period(request) -> tuple[datetime.date, datetime.date, str | None]:
    """The months asked (`?from=2024-01&to=2024-12`); by default this year up to last month."""
    now = today()
    default_last = vn.add_months(month_start(now), -1)
    default_first = default_last.replace(month=1)
    first, last = month_param(request.GET.get("from")), month_param(request.GET.get("to"))
    error = None
    raws = request.GET.get("from"), request.GET.get("to")
    asked = [raw for raw, month in zip(raws, (first, last), strict=True) if raw and not month]
    if asked:
        error = "Tháng không hợp lệ; hãy chọn tháng theo dạng tháng/năm. Đang hiển thị năm nay."
        if all(vn.parse_month(raw) for raw in asked):  # real months, but too far
            earliest, latest = bounds(Meaning.DAY)
            error = f"Hãy chọn tháng từ {earliest:%m/%Y} đến {latest:%m/%Y}. Đang hiển thị năm nay."
        first, last = default_first, default_last
    first, last = first or default_first, last or default_last
    if first > last:
        error = "Tháng bắt đầu sau tháng kết thúc; đã đổi chỗ hai tháng."
        first, last = last, first
    if vn.months_between(first, last) > 12 * 10:
        error = "Khoảng thời gian dài quá 10 năm; đang hiển thị 10 năm kể từ tháng bắt đầu."
        last = vn.add_months(first, 12 * 10 - 1)
    return first, last, error


@login_required
def compliance_table(request):
    scope = scope_for(request)
    first, last, period_error = _period(request)
    on = min(vn.add_months(last, 1) - datetime.timedelta(days=1), today())
    unit = id_param(request.GET.get("unit"))
    root = scope.unit_on_or_404(unit, on) if unit is not None else scope.root_on(on)
    if root is None:
        raise Http404
    table = compliance(root, first, last, today())
    only_gaps = request.GET.get("gaps") == "1"
    cells = [c for c in table.cells if not c.complies] if only_gaps else table.cells
    page = Paginator(cells, PAGE_SIZE).get_page(request.GET.get("page"))
    grid = months_of(list(page), table)
    r = rules()
    show_grid = len(table.months) <= GRID_MONTHS
    for cell in page:
        cell.missing_months = [period_start(k, r["regular_months"]) for k in cell.missing_regular]
        cell.missing_quarters = [period_start(k, r["thematic_months"]) for k in cell.missing_thematic]
        if show_grid:
            cell.grid = _grid_cells(table.months, grid[cell.unit_id], set(cell.missing_months))
    linkable = set()
    if scope.sees_people:  # the table's cells lie in the subtree on its last day
        linkable = {c.unit_id for c in page}
    flagged = []
    if scope.sees_people:
        rows = unexcused_members(table.cell_ids, first, vn.add_months(last, 1), scope)
        names = Member.unscoped.in_bulk([member_id for member_id, _, _ in rows])
        flagged = [(names[member_id], year, count) for member_id, year, count in rows if member_id in names]
        flagged.sort(key=lambda f: (f[1], f[0].sort_key))
    context = {
        "table": table,
        "root": root,
        "page": page,
        "first": first,
        "last": last,
        "period_error": period_error,
        "only_gaps": only_gaps,
        "show_grid": show_grid,
        "rules": r,
        "flagged": flagged,
        "sees_people": scope.sees_people,
        "linkable": linkable,
        "chart": regular_chart(regular_by_period(table), r["regular_months"]),
    }
    return render(request, "meetings/compliance.html", context)


@login_required
def cell_attendance(request, unit_id: int):
    """Each member's attendance at the cell's meetings held in the period."""
    scope = scope_for(request, people=True)
    first, last, period_error = _period(request)
    versions = scope.units_ever().filter(unit_id=id_param(unit_id) or 0, kind__in=CELL_KINDS)
    version = versions.order_by("-valid_from").first()
    if version is None:
        raise Http404
    # The meetings held while the cell lay in the subtree.
    held = meetings_of(scope).filter(cell_id=version.unit_id, held_on__gte=first, held_on__lt=vn.add_months(last, 1))
    rows = Attendance.unscoped.filter(meeting__in=held).values_list(
        "member_id", "presence", "exempted", "away", "meeting_id", "meeting__held_on"
    )
    people: dict[int, Counter] = defaultdict(Counter)
    unexcused_years: dict[int, Counter] = defaultdict(Counter)
    meetings = set()
    for member_id, presence, exempted, away, meeting_id, held_on in rows:
        counts = people[member_id]
        counts["invited"] += 1
        counts[presence] += 1
        meetings.add(meeting_id)
        if not (exempted or away):
            counts["required"] += 1
            counts["required_present"] += presence == Presence.PRESENT
        if presence == Presence.UNEXCUSED:
            unexcused_years[member_id][held_on.year] += 1
    members = Member.unscoped.in_bulk(list(people))
    lines = [
        {
            "member": members[pk],
            "counts": counts,
            "rate": vn.percent(counts["required_present"], counts["required"]),
            "flag_years": sorted(y for y, n in unexcused_years[pk].items() if n >= 3),
        }
        for pk, counts in people.items()
    ]
    lines.sort(key=lambda line: (line["member"].sort_key, line["member"].pk))
    context = {
        "version": version,
        "lines": lines,
        "first": first,
        "last": last,
        "period_error": period_error,
        "meetings": len(meetings),
    }
    return render(request, "meetings/cell_attendance.html", context)
