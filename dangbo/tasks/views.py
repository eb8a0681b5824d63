"""Task pages: the lists (the unit's tasks, those it assigned, the overdue ones of the scope, all),
a unit's board by status, the calendar of deadlines, the completion statistics, a task with its
follow-up, and the new-task form. Tasks name their heads: every page but the statistics asks a
role that sees people; a viewer sees the statistics by unit."""

from __future__ import annotations

import calendar
import datetime
from collections import defaultdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, DateField, F, Value, When
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render

from dangbo.accounts.scope import scope_for
from dangbo.lib import vn
from dangbo.lib.forms import Meaning, bounds, date_param, month_param
from dangbo.lib.http import id_param, today
from dangbo.members.models import Member
from dangbo.once.tokens import require_token, submitted_once
from dangbo.orgs.labels import unit_labels, version_labels
from dangbo.orgs.models import UnitVersion, path_prefixes
from dangbo.targets.indicators import REGISTRY
from dangbo.targets.indicators import choices as indicator_choices
from dangbo.targets.models import Resolution

from . import actions
from .access import is_assigner, is_responsible, require, task_or_404, tasks_of
from .figures import completion_by, subtree_completion
from .forms import CompletionForm, DecisionForm, ExtensionForm, GradeForm, ProgressForm, SplitForm, TaskForm
from .models import OPEN_STATUSES, Decision, Extension, ResultKind, Status, Task, TaskUpdate

PAGE_SIZE = 50
STATS_PAGE_SIZE = 100
CALENDAR_PER_DAY = 4
VIEWS = {
    "cua-don-vi": "Nhiệm vụ đơn vị chủ trì",
    "da-giao": "Nhiệm vụ đơn vị đã giao",
    "qua-han": "Nhiệm vụ quá hạn trong phạm vi",
    "tat-ca": "Tất cả nhiệm vụ trong phạm vi",
}


# The list opens on what needs attention: overdue, then due soon, then the rest of the open work by
# deadline; finished work last, the latest first.
ATTENTION = Case(
    When(status=Status.OVERDUE, then=Value(0)),
    When(status=Status.DUE_SOON, then=Value(1)),
    When(status=Status.IN_PROGRESS, then=Value(2)),
    When(status=Status.NOT_STARTED, then=Value(3)),
    default=Value(4),
)
OPEN_DUE = Case(When(status__in=OPEN_STATUSES, then=F("due_on")), default=None, output_field=DateField())


def _with_names(tasks: list[Task]) -> list[Task]:
    """Each task's units by their latest labels ("Name — Parent"), in two queries for the page."""
    names = unit_labels({t.responsible_unit_id for t in tasks} | {t.assigned_by_unit_id for t in tasks})
    for task in tasks:
        task.responsible_name = names.get(task.responsible_unit_id, "")
        task.assigner_name = names.get(task.assigned_by_unit_id, "")
    return tasks


@login_required
def task_list(request):
    scope = scope_for(request, people=True)
    day = today()
    view = request.GET.get("xem") if request.GET.get("xem") in VIEWS else "cua-don-vi"
    tasks = tasks_of(scope).work().with_status(day)
    if view == "cua-don-vi":
        tasks = tasks.filter(responsible_unit_id=scope.unit_id)
    elif view == "da-giao":
        tasks = tasks.filter(assigned_by_unit_id=scope.unit_id)
    elif view == "qua-han":
        tasks = tasks.filter(status=Status.OVERDUE)
    status = request.GET.get("trang-thai", "")
    if status == "dang-mo":
        tasks = tasks.filter(status__in=OPEN_STATUSES)
    elif status in Status.values:
        tasks = tasks.filter(status=status)
    query = request.GET.get("q", "").strip()
    if query:
        tasks = tasks.filter(search_title__contains=vn.fold(query))
    deadline = date_param(request.GET.get("han"))
    if deadline is not None:
        tasks = tasks.filter(due_on=deadline)
    tasks = tasks.select_related("head").annotate(attention=ATTENTION, open_due=OPEN_DUE)
    tasks = tasks.order_by("attention", F("open_due").asc(nulls_last=True), "-due_on", "pk")
    page = Paginator(tasks, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "tasks": _with_names(list(page)),
        "view": view,
        "views": VIEWS,
        "status": status,
        "statuses": Status.choices,
        "query": query,
        "deadline": deadline,
        "today": day,
    }
    return render(request, "tasks/list.html", context)


@login_required
def board(request):
    """One unit's tasks (as the responsible unit) by status; the scope's own unit by default."""
    scope = scope_for(request, people=True)
    day = today()
    unit = scope.unit_on_or_404(request.GET.get("unit"), day) if request.GET.get("unit") else scope.root_on(day)
    if unit is None:
        raise Http404
    tasks = Task.objects.work().with_status(day).filter(responsible_unit_id=unit.unit_id).select_related("head")
    columns = {status: [] for status in Status.values}
    for task in _with_names(list(tasks.order_by("due_on", "pk"))):
        columns[task.status].append(task)
    children = list(UnitVersion.objects.on(day).filter(parent_id=unit.unit_id))
    context = {
        "unit": unit,
        "columns": [(Status(s).label, s, columns[s]) for s in Status.values],
        "children": sorted(children, key=lambda c: vn.text_sort_key(c.name)),
        "labels": version_labels(children, day),
        "root": scope.root_on(day),
    }
    return render(request, "tasks/board.html", context)


@login_required
def task_calendar(request):
    """The deadlines of the scope's open and finished tasks in one month, as a calendar."""
    scope = scope_for(request, people=True)
    day = today()
    month = month_param(request.GET.get("thang")) or day.replace(day=1)
    after = vn.add_months(month, 1)
    tasks = (
        tasks_of(scope).work().with_status(day).filter(due_on__gte=month, due_on__lt=after)
        .order_by("due_on", "pk").values("pk", "title", "due_on", "status")
    )  # fmt: skip
    by_day = defaultdict(list)
    for task in tasks:
        by_day[task["due_on"]].append(task)
    weeks = []
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(month.year, month.month):
        weeks.append([{"day": d, "inside": d.month == month.month, "today": d == day,
                       "tasks": by_day.get(d, [])[:CALENDAR_PER_DAY],
                       "more": max(len(by_day.get(d, [])) - CALENDAR_PER_DAY, 0)} for d in week])  # fmt: skip
    context = {"month": month, "weeks": weeks, "previous": vn.add_months(month, -1), "next": after,
               "weekdays": ["Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật"]}  # fmt: skip
    return render(request, "tasks/calendar.html", context)


@login_required
def statistics(request):
    """Completion of the tasks due in a period: the subtree of a unit and each of its sub-units, and
    (for the roles that see people) each responsible head."""
    scope = scope_for(request)
    day = today()
    start = date_param(request.GET.get("from")) or datetime.date(day.year, 1, 1)
    end = date_param(request.GET.get("to")) or datetime.date(day.year, 12, 31)
    error = None
    if any(request.GET.get(name) and date_param(request.GET.get(name)) is None for name in ("from", "to")):
        earliest, latest = bounds(Meaning.DAY)
        error = (f"Ngày không hợp lệ; hãy nhập theo dạng ngày/tháng/năm, từ {vn.format_date(earliest)} đến "
                 f"{vn.format_date(latest)}. Đang hiển thị cả năm nay.")  # fmt: skip
        start, end = datetime.date(day.year, 1, 1), datetime.date(day.year, 12, 31)
    if end < start:
        error = "Ngày kết thúc không được trước ngày bắt đầu; đang hiển thị cả năm nay."
        start, end = datetime.date(day.year, 1, 1), datetime.date(day.year, 12, 31)
    unit = scope.unit_on_or_404(request.GET.get("unit"), day) if request.GET.get("unit") else scope.root_on(day)
    if unit is None:
        raise Http404
    total, rows = subtree_completion(unit, start, end, day)
    context = {"unit": unit, "start": start, "end": end, "total": total, "rows": rows, "error": error,
               "root": scope.root_on(day), "sees_people": scope.sees_people}  # fmt: skip
    if scope.sees_people:
        inside = UnitVersion.objects.on(day).under(unit.path).values("unit_id")
        people = completion_by("head_id", Task.objects.filter(responsible_unit_id__in=inside), start, end, day)
        members = {m.pk: m for m in Member.unscoped.filter(pk__in=list(people))}
        # The lowest share on time first; then by given name.
        person_rows = sorted(people.items(), key=lambda item: (item[1].on_time_share, members[item[0]].sort_key))
        page = Paginator([(pk, members[pk].full_name, c) for pk, c in person_rows], STATS_PAGE_SIZE)
        context["people"] = page.get_page(request.GET.get("page"))
    return render(request, "tasks/statistics.html", context)


# --- a task --------------------------------------------------------------------------------------------


def _unit_choices(unit_id: int, day: datetime.date, own: bool = True) -> list[tuple[int, str]]:
    """The unit (if `own`) and its direct sub-units on `day`, by name."""
    version = UnitVersion.objects.on(day).filter(unit_id=unit_id).first()
    if version is None:
        return []
    children = sorted(UnitVersion.objects.on(day).filter(parent_id=unit_id), key=lambda c: vn.text_sort_key(c.name))
    shown = ([version] if own else []) + children
    labels = version_labels(shown, day)
    return [(v.unit_id, labels[v.unit_id]) for v in shown]


def _links(unit: UnitVersion, day: datetime.date) -> list[tuple[str, str]]:
    """The targets and breakthroughs of the resolutions of the unit's committee and those above."""
    owners = UnitVersion.objects.on(day).filter(path__in=path_prefixes(unit.path)).values("unit_id")
    links = []
    for resolution in Resolution.objects.filter(term__committee_id__in=owners).prefetch_related("targets", "parts"):
        links += [(f"target-{t.pk}", f"Chỉ tiêu: {t.name}") for t in resolution.targets.all()]
        links += [(f"part-{p.pk}", f"{p.get_kind_display()}: {p.title}") for p in resolution.parts.all()]
    return links


def _link_fields(value: str) -> dict:
    from dangbo.targets.models import ResolutionPart, Target

    kind, _, pk = (value or "").partition("-")
    if kind == "target":
        return {"target": Target.objects.select_related("resolution__term").filter(pk=id_param(pk) or 0).first()}
    if kind == "part":
        return {"part": ResolutionPart.objects.select_related("resolution__term").filter(pk=id_param(pk) or 0).first()}
    return {}


@login_required
@submitted_once
def task_new(request):
    scope = scope_for(request, people=True)
    day = today()
    unit = scope.root_on(day)
    if unit is None:
        raise Http404
    units = _unit_choices(unit.unit_id, day)
    posted = request.method == "POST"
    chosen = id_param((request.POST if posted else request.GET).get("responsible_unit"))
    if chosen not in {pk for pk, _ in units}:
        chosen = None
    query = request.GET.get("tim", "")
    # Posted: the head sent is a choice if the unit holds them; else the unit's members, by name.
    heads, more = actions.head_choices(chosen, day, query, _posted_id(request, "head"))
    initial = {"responsible_unit": chosen, "starts_on": day} if not posted else None
    form = TaskForm(request.POST if posted else None, initial=initial, units=units, heads=heads,
                    links=_links(unit, day), indicators=indicator_choices())  # fmt: skip
    if posted and form.is_valid():
        data = dict(form.cleaned_data)
        fields = {key: data.get(key) for key in actions.TASK_FIELDS if key in data}
        fields |= _link_fields(data.get("link"))
        if data.get("recurrence"):
            fields["first_due_on"] = data["first_due_on"]
        try:
            require_token(request)
            task = actions.assign(request.user, unit.unit_id, actions.Assignment(fields, data["coordinating"]), day)
        except ValidationError as refusal:
            form.add_error(None, refusal)
        else:
            messages.success(request, f"Đã giao nhiệm vụ “{task.title}”.")
            return redirect("task", task_id=task.pk)
    context = {"form": form, "unit": unit, "units": units, "chosen": chosen, "query": query, "more": more}
    return render(request, "tasks/new.html", context, status=400 if form.is_bound and form.errors else 200)


ACTIONS = ("progress", "extension", "decide", "complete", "grade", "split")


@login_required
@submitted_once
def task_page(request, task_id: int):
    scope = scope_for(request, people=True)
    day = today()
    task = task_or_404(scope, task_id, day)
    responsible, assigner = is_responsible(scope, task), is_assigner(scope, task)
    posted = request.POST if request.method == "POST" else None
    action = posted.get("action") if posted else None
    if posted is not None and action not in ACTIONS:
        raise Http404
    files = request.FILES if posted else None
    sub_units = _unit_choices(task.responsible_unit_id, day, own=False) if responsible else []
    split_unit = id_param((posted or request.GET).get("responsible_unit")) if responsible else None
    split_unit = split_unit if split_unit in {pk for pk, _ in sub_units} else None
    forms = {
        "progress": ProgressForm(posted if action == "progress" else None, files if action == "progress" else None),
        "extension": ExtensionForm(posted if action == "extension" else None),
        "decide": DecisionForm(posted if action == "decide" else None),
        "complete": CompletionForm(
            posted if action == "complete" else None,
            files if action == "complete" else None,
            initial={"completed_on": day},
        ),  # fmt: skip
        "grade": GradeForm(posted if action == "grade" else None),
        "split": SplitForm(
            posted if action == "split" else None,
            units=sub_units,
            heads=actions.head_choices(split_unit, day, posted=_posted_id(request, "head"))[0],
            initial={"responsible_unit": split_unit, "due_on": task.due_on, "expected_result": task.expected_result},
        ),  # fmt: skip
    }
    if posted is not None:
        require(assigner if action in ("decide", "grade") else responsible)
        form = forms[action]
        if form.is_valid():
            try:
                require_token(request)
                message = _act(request, action, task, form.cleaned_data, day)
            except ValidationError as refusal:
                form.add_error(None, refusal)
            else:
                messages.success(request, message)
                return redirect("task", task_id=task.pk)
    pending = task.extensions.filter(decision=Decision.PENDING).first()
    visible = tasks_of(scope).filter(parent=task)  # a coordinating unit may not see every sub-unit's
    subtasks = _with_names(list(visible.with_status(day).select_related("head").order_by("due_on", "pk")))
    occurrences = []
    if task.is_series:
        occurrences = list(task.occurrences.with_status(day).select_related("head").order_by("-due_on", "-pk"))
    coordinating = list(task.coordinating_units.values_list("pk", flat=True))
    names = unit_labels({task.responsible_unit_id, task.assigned_by_unit_id, *coordinating})
    task.responsible_name, task.assigner_name = names.get(task.responsible_unit_id), names.get(task.assigned_by_unit_id)
    above = task.parent_id or task.series_id
    context = {
        "task": task,
        "above_visible": above is not None and tasks_of(scope).filter(pk=above).exists(),
        "coordinating": sorted((names.get(pk, "") for pk in coordinating), key=vn.text_sort_key),
        "updates": list(task.updates.select_related("by")),
        "extensions": list(task.extensions.select_related("requested_by", "decided_by")),
        "pending": pending,
        "subtasks": subtasks,
        "occurrences": occurrences,
        "responsible": responsible and not task.is_series,
        "assigner": assigner,
        "forms": forms,
        "action": action,
        "sub_units": sub_units,
        "split_unit": split_unit,
        "indicator": _indicator_label(task.result_indicator),
        "current": _current_value(task, day),
    }
    refused = forms[action] if action and forms[action].errors else None
    # A refusal is shown at the top: the form it answers may not be drawn in the task's state.
    context["refusal"] = [e for errors in refused.errors.values() for e in errors] if refused else []
    return render(request, "tasks/task.html", context, status=400 if refused else 200)


def _posted_id(request, name: str) -> int | None:
    return (id_param(request.POST.get(name)) or 0) if request.method == "POST" else None


def _current_value(task: Task, day: datetime.date):
    """A result measured by an indicator: its value for the responsible unit from the task's start to
    `day` (to its completion once done), computed live by the indicator library."""
    indicator = REGISTRY.get(task.result_indicator) if task.result_kind == ResultKind.INDICATOR else None
    if indicator is None or task.is_series or task.starts_on > day:
        return None
    value = indicator.compute(task.responsible_unit_id, task.starts_on, task.completed_on or day)
    return {"value": value, "percentage": indicator.is_percentage, "decimals": indicator.decimals}


def _indicator_label(key: str) -> str:
    return dict(indicator_choices()).get(key, "")


def _act(request, action: str, task: Task, data: dict, day: datetime.date) -> str:
    user = request.user
    if action == "progress":
        actions.log_progress(user, task, data.get("progress"), data.get("note", ""), data.get("attachment"))
        return "Đã ghi nhận tiến độ."
    if action == "extension":
        actions.request_extension(user, task, data["new_due_on"], data["reason"])
        return "Đã gửi đề nghị gia hạn tới đơn vị giao nhiệm vụ."
    if action == "decide":
        extension = Extension.objects.filter(task=task, pk=id_param(request.POST.get("extension")) or 0).first()
        if extension is None:
            raise ValidationError("Không tìm thấy đề nghị gia hạn.")
        actions.decide_extension(user, extension, data["approve"], data.get("note", ""))
        return "Đã quyết định đề nghị gia hạn."
    if action == "complete":
        actions.complete(user, task, data["completed_on"], data["report"], data.get("attachment"), day)
        return "Đã báo cáo hoàn thành nhiệm vụ."
    if action == "grade":
        if data["verdict"] == "return":
            actions.send_back(user, task, data.get("note", ""))
            return "Đã trả lại nhiệm vụ, yêu cầu tiếp tục thực hiện."
        actions.grade(user, task, data["verdict"], data.get("note", ""))
        return "Đã đánh giá kết quả nhiệm vụ."
    part = {key: data[key] for key in ("responsible_unit", "head", "due_on", "expected_result")}
    (subtask,) = actions.split(user, task, [part], day)
    return f"Đã giao nhiệm vụ con cho {unit_labels([subtask.responsible_unit_id]).get(subtask.responsible_unit_id)}."


@login_required
def attachment(request, update_id: int):
    """A file of the follow-up log, for those who see its task."""
    scope = scope_for(request, people=True)
    update = TaskUpdate.objects.filter(pk=id_param(update_id) or 0).exclude(attachment="").first()
    if update is None:
        raise Http404
    task_or_404(scope, update.task_id, today())
    try:
        handle = update.attachment.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(handle, as_attachment=True, filename=update.attachment_name or "tep-dinh-kem")
