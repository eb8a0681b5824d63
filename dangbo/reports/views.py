"""Report pages: the unit's reports and the form to open one (`/bao-cao/`), a report with its
statistics, text, history and the actions its reader may take, its Word, PDF and Excel files, the
board of who has reported a period, and the form of an ad-hoc request."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from dangbo.accounts.scope import scope_for
from dangbo.audit.log import record_read
from dangbo.lib import partydoc, vn, xlsx
from dangbo.lib.forms import Meaning, out_of_range
from dangbo.lib.http import id_param, today
from dangbo.once.tokens import require_token, submitted_once
from dangbo.orgs.labels import unit_labels
from dangbo.orgs.models import UnitKind, UnitVersion

from . import actions, periods
from .access import acts, may_decide, may_edit, report_or_404, reports_of
from .board import TIMELINESS, board, summary, timeliness
from .documents import draft_of, file_name, report_docx, report_xlsx
from .models import AdHocRequest, PeriodKind, ReportType, Schedule, Status

# Named in the messages about a period key that is not one (the pages offer the periods to choose).
PERIOD_HINTS = {
    PeriodKind.MONTH: "NNNN-TT, ví dụ 2024-09",
    PeriodKind.QUARTER: "NNNN-Qn, ví dụ 2024-Q3",
    PeriodKind.HALF: "NNNN-Hn, ví dụ 2024-H1",
    PeriodKind.YEAR: "NNNN, ví dụ 2024",
}
SEND_UNCONFIRMED = (
    "Báo cáo chưa được gửi: hãy đánh dấu ô xác nhận. Khi gửi (hoặc hoàn thành), báo cáo được cấp số và "
    "chốt số liệu, không sửa lại được; nội dung vừa soạn vẫn còn trên trang, chưa lưu."
)
REPORTER_KINDS = [(k.value, k.label) for k in UnitKind if k != UnitKind.SUPERIOR]


def _owed_types(unit: UnitVersion) -> list[ReportType]:
    """The periodic types a unit writes: those its superior's schedule asks of its kind; every
    periodic type at the top of the tree."""
    periodic = ReportType.objects.exclude(period_kind=PeriodKind.AD_HOC)
    if unit.parent_id is None:
        return list(periodic)
    schedules = Schedule.objects.filter(superior_id=unit.parent_id, active=True).select_related("report_type")
    return [
        s.report_type
        for s in schedules
        if unit.kind in s.reporter_kinds and s.report_type.period_kind != PeriodKind.AD_HOC
    ]


def _with_timeliness(reports, day):
    for report in reports:
        report.timeliness = timeliness(report, report.due_on, day) if report.to_unit_id else ""
        report.timeliness_label = TIMELINESS.get(report.timeliness, "")
    return reports


def _open_choices(report_type: ReportType, day, asked) -> dict:
    """One line of the form that opens a report: the type, the periods to choose from (the running
    one and the latest ended ones) and the one chosen: the period asked back after a refusal, else
    the latest ended period, the one usually reported on."""
    choices = periods.choices(report_type.period_kind, day)
    chosen = choices[1].key
    if asked.get("loai") == report_type.code:
        typed = periods.parse(report_type.period_kind, asked.get("ky", ""))
        if typed is not None and typed.key in {p.key for p in choices}:
            chosen = typed.key
    return {"type": report_type, "periods": choices, "chosen": chosen}


@login_required
def report_list(request):
    scope = scope_for(request)
    day = today()
    unit = scope.root_on(day)
    if unit is None:
        raise Http404
    own = list(
        reports_of(scope)
        .filter(unit_id=scope.unit_id)
        .select_related("report_type", "request")
        .order_by("-ends_on", "report_type__order")
    )
    waiting = list(
        reports_of(scope)
        .filter(to_unit_id=scope.unit_id, status=Status.SUBMITTED)
        .select_related("report_type", "request")
        .order_by("due_on", "pk")
    )
    names = unit_labels({r.unit_id for r in waiting})
    for report in waiting:
        report.unit_name = names.get(report.unit_id, "")
    requests = []
    if unit.parent_id:
        asked = AdHocRequest.objects.filter(superior_id=unit.parent_id, due_on__gte=day).order_by("due_on")
        requests = [r for r in asked if unit.kind in r.reporter_kinds]
    types = _owed_types(unit)
    schedules = list(Schedule.objects.filter(superior_id=scope.unit_id, active=True).select_related("report_type"))
    context = {
        "unit": unit,
        "own": _with_timeliness(own, day),
        "waiting": waiting,
        "requests": requests,
        "types": [_open_choices(t, day, request.GET) for t in types],
        "schedules": schedules,
        "my_requests": AdHocRequest.objects.filter(superior_id=scope.unit_id).order_by("-created_at")[:10],
        "acts": acts(request.user),
    }
    return render(request, "reports/list.html", context)


@login_required
@require_POST
@submitted_once
def report_open(request):
    """Open (create when missing) the unit's report of a type and period, or of an ad-hoc request
    (the form of the report list posts here; a GET is 405, as on the other pages that only act)."""
    scope = scope_for(request)
    if not acts(request.user):
        raise Http404
    code, key = request.POST.get("loai", ""), request.POST.get("ky", "").strip()
    ask = None
    if request.POST.get("yeu-cau"):
        ask = AdHocRequest.objects.filter(pk=id_param(request.POST["yeu-cau"]) or 0).first()
        if ask is None:
            raise Http404
        report_type = actions.ad_hoc_type()
    else:
        report_type = ReportType.objects.filter(code=code).exclude(period_kind=PeriodKind.AD_HOC).first()
    back = f"{reverse('reports')}?{urlencode({'loai': code, 'ky': key})}"
    if report_type is None:
        messages.error(request, "Hãy chọn loại báo cáo.")
        return redirect(back)
    try:
        require_token(request)
        report = actions.open_report(request.user, scope.unit_id, report_type, key, ask, today=today())
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(back)
    return redirect("report", report.pk)


def _act(request, scope, report):
    """The action a report page's form posts; a message says what happened or why not."""
    action = request.POST.get("action")
    user = request.user
    if action in ("save", "send", "complete", "redraft") and not may_edit(user, scope, report):
        raise Http404
    if action in ("accept", "return") and not may_decide(user, scope, report):
        raise Http404
    texts = {key.removeprefix("text-"): value for key, value in request.POST.items() if key.startswith("text-")}
    if action in ("send", "complete") and not request.POST.get("xac-nhan"):
        # Sending numbers the report and freezes its figures: it cannot be taken back.
        raise ValidationError(SEND_UNCONFIRMED)
    if action == "save":
        actions.save_texts(user, report, texts)
        return "Đã lưu nội dung báo cáo."
    if action == "send":
        actions.save_texts(user, report, texts)
        report = actions.send(user, report)
        return f"Đã gửi báo cáo ({report.number_symbol})."
    if action == "complete":
        actions.save_texts(user, report, texts)
        report = actions.complete(user, report)
        return f"Đã hoàn thành báo cáo ({report.number_symbol})."
    if action == "redraft":
        actions.redraft(user, report)
        return "Đã soạn lại nội dung từ số liệu và báo cáo của các đơn vị."
    if action == "accept":
        actions.decide(user, report, True)
        return "Đã tiếp nhận báo cáo."
    if action == "return":
        actions.decide(user, report, False, request.POST.get("comment", ""))
        return "Đã trả lại báo cáo để đơn vị hoàn thiện."
    raise Http404


@login_required
def report_page(request, report_id: int):
    scope = scope_for(request)
    report = report_or_404(scope, report_id)
    if request.method == "POST":
        try:
            messages.success(request, _act(request, scope, report))
            return redirect("report", report.pk)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            if report.status in (Status.DRAFT, Status.RETURNED):  # keep what was typed
                report.texts = {k.removeprefix("text-"): v for k, v in request.POST.items() if k.startswith("text-")}
    draft = draft_of(report, today())
    editable = may_edit(request.user, scope, report)
    received, received_later = actions.received_and_later(report) if report.unit_id == scope.unit_id else ([], [])
    gathered = actions.gathered(received)
    steps = list(report.steps.select_related("by"))
    context = {
        "report": report,
        "draft": draft,
        "editable": editable,
        "decides": may_decide(request.user, scope, report),
        "sections": [(*row, gathered.get(row[1].key, [])) for row in draft.sections],
        "received": received,
        "received_later": received_later,
        "frozen_on": actions.frozen_on(report),
        "steps": steps,
        "timeliness": TIMELINESS.get(timeliness(report, report.due_on, today())) if report.to_unit_id else "",
        "comment": request.POST.get("comment", "") if request.method == "POST" else "",
        "has_pdf": partydoc.office() is not None,
        "to_name": unit_labels([report.to_unit_id]).get(report.to_unit_id, "") if report.to_unit_id else "",
        "unit_label": unit_labels([report.unit_id], report.ends_on).get(report.unit_id, ""),
    }
    return render(request, "reports/report.html", context)


@login_required
def report_word(request, report_id: int):
    report = report_or_404(scope_for(request), report_id)
    draft = draft_of(report, today())
    record_read(request, "report_download", report, note="Bản Word")
    return xlsx.response(report_docx(draft), file_name(draft, "docx"), partydoc.DOCX_TYPE)


@login_required
def report_pdf(request, report_id: int):
    report = report_or_404(scope_for(request), report_id)
    draft = draft_of(report, today())
    try:
        pdf = partydoc.to_pdf(report_docx(draft))
    except partydoc.PdfError:
        messages.error(request, "LibreOffice không chuyển được báo cáo sang PDF; hãy tải bản Word.")
        return redirect("report", report.pk)
    if pdf is None:
        messages.error(request, "Máy chủ chưa cài LibreOffice nên chưa xuất được PDF; hãy tải bản Word.")
        return redirect("report", report.pk)
    record_read(request, "report_download", report, note="Bản PDF")
    return xlsx.response(pdf, file_name(draft, "pdf"), "application/pdf")


@login_required
def report_excel(request, report_id: int):
    report = report_or_404(scope_for(request), report_id)
    draft = draft_of(report, today())
    record_read(request, "report_download", report, note="Bảng số liệu Excel")
    return xlsx.response(report_xlsx(draft), file_name(draft, "xlsx"))


@login_required
def board_page(request):
    """Who has reported a period to the scope's unit (or a committee of its subtree)."""
    scope = scope_for(request)
    day = today()
    asked = request.GET.get("unit")
    unit = scope.unit_on_or_404(asked, day) if asked else scope.root_on(day)
    if unit is None:
        raise Http404
    schedules = list(Schedule.objects.filter(superior_id=unit.unit_id, active=True).select_related("report_type"))
    report_type = next((s.report_type for s in schedules if s.report_type.code == request.GET.get("loai")), None)
    if report_type is None and schedules:
        report_type = schedules[0].report_type
    error, lines, period, ask = None, [], None, None
    if request.GET.get("yeu-cau"):
        ask = AdHocRequest.objects.filter(pk=id_param(request.GET["yeu-cau"]) or 0, superior_id=unit.unit_id).first()
        if ask is None:
            raise Http404
        lines = board(unit.unit_id, actions.ad_hoc_type(), f"dx{ask.pk}", ask.ends_on, ask, today=day)
    elif report_type is not None:
        key = request.GET.get("ky") or periods.recent(report_type.period_kind, day, 1)[0].key
        period = periods.parse(report_type.period_kind, key)
        if period is None:
            error = f"Kỳ báo cáo “{key}” không hợp lệ ({PERIOD_HINTS[report_type.period_kind]})."
        else:
            lines = board(unit.unit_id, report_type, period.key, period.ends_on, today=day)
    context = {
        "unit": unit,
        "schedules": schedules,
        "report_type": report_type,
        "period": period,
        "ask": ask,
        "recent": periods.recent(report_type.period_kind, day, 12) if report_type else [],
        "lines": lines,
        "counts": summary(lines),
        "error": error,
        "timeliness": TIMELINESS,
    }
    return render(request, "reports/board.html", context)


@login_required
@submitted_once
def request_new(request):
    """An ad-hoc request to the units below the scope's unit."""
    scope = scope_for(request)
    if not acts(request.user):
        raise Http404
    values = {"title": "", "questions": "", "kinds": [], "starts_on": "", "ends_on": "", "due_on": ""}
    errors = {}
    if request.method == "POST":
        values = {
            "title": request.POST.get("title", ""),
            "questions": request.POST.get("questions", ""),
            "kinds": request.POST.getlist("kinds"),
            "starts_on": request.POST.get("starts_on", ""),
            "ends_on": request.POST.get("ends_on", ""),
            "due_on": request.POST.get("due_on", ""),
        }
        dates = {name: vn.parse_date(values[name]) for name in ("starts_on", "ends_on", "due_on")}
        errors = {name: "Ngày không hợp lệ (dd/mm/yyyy)." for name, value in dates.items() if value is None}
        errors |= {name: problem for name, day in dates.items() if day and (problem := out_of_range(day, Meaning.DAY))}
        kinds = [k for k in values["kinds"] if k in dict(REPORTER_KINDS)]
        if not errors:
            try:
                require_token(request)
            except ValidationError as error:
                errors = {"form": " ".join(error.messages)}
        if not errors:
            try:
                actions.request_reports(request.user, scope.unit_id, values["title"], values["questions"].splitlines(),
                                        kinds, dates["starts_on"], dates["ends_on"], dates["due_on"])  # fmt: skip
                messages.success(request, "Đã gửi yêu cầu báo cáo đột xuất tới các đơn vị.")
                return redirect("reports")
            except ValidationError as error:
                errors = {k: " ".join(v) for k, v in error.message_dict.items()}
    return render(request, "reports/request.html", {"values": values, "errors": errors, "kinds": REPORTER_KINDS})
