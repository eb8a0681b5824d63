"""Writes to tasks, one step each: assigning a task (or a recurring series), splitting it into
sub-tasks for the units below, logging progress, asking for and deciding on an extension, reporting
completion, and the assigner's evaluation or return. Each is atomic, checks its rules before
writing (a refusal is a Vietnamese `ValidationError` and writes nothing), locks the task row, keeps
the parents' rolled-up progress, writes the follow-up log and is audited."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from dangbo.audit.log import audited, nothing_changed, record, snapshot
from dangbo.lib import vn
from dangbo.lib.http import today
from dangbo.members.figures import counted_stints
from dangbo.members.models import Member
from dangbo.orgs.models import UnitVersion, path_prefixes

from .models import Decision, Extension, Grade, Recurrence, ResultKind, Task, TaskUpdate, UpdateKind

COMPLETION_REPORTED_WITHIN = 7  # days: how far back a completion may be dated when it is reported
TASK_FIELDS = ("title", "description", "source", "source_number", "source_date", "part", "target",
               "responsible_unit", "head", "result_kind", "expected_result", "result_indicator", "result_value",
               "starts_on", "due_on", "priority", "recurrence")  # fmt: skip


@dataclass
class Assignment:
    """What the assigning unit decides: the task's fields (TASK_FIELDS, units and the head as ids)
    and its coordinating units."""

    fields: dict
    coordinating: list[int]


def _version(unit_id: int, day: datetime.date) -> UnitVersion | None:
    return UnitVersion.objects.on(day).filter(unit_id=unit_id).first()


def _name(unit_id: int, day: datetime.date) -> str:
    version = _version(unit_id, day)
    return version.name if version else f"Đơn vị #{unit_id}"


def check_assignment(assigner_id: int, fields: dict, coordinating: list[int], day: datetime.date,
                     within: Task | None = None) -> None:  # fmt: skip
    """The rules of a task, whoever assigns it: a deadline not before the start; a responsible unit
    in the assigner's subtree on `day` (strictly below the parent task's unit for a sub-task, and
    not past the parent's deadline); a head who holds party activity in the responsible unit's
    subtree that day; coordinating units in the assigner's subtree; an indicator and a value for a
    result measured by an indicator; a target or breakthrough of a resolution of the assigner's
    committee or of one above it."""
    from dangbo.targets.indicators import REGISTRY

    assigner = _version(assigner_id, day)
    if assigner is None:
        raise ValidationError("Đơn vị giao nhiệm vụ không tồn tại vào ngày này.")
    starts_on, due_on = fields["starts_on"], fields["due_on"]
    if due_on < starts_on:
        raise ValidationError("Thời hạn không được trước ngày bắt đầu.")
    responsible = UnitVersion.objects.on(day).under(assigner.path).filter(unit_id=fields["responsible_unit"]).first()
    if responsible is None:
        raise ValidationError("Đơn vị chủ trì phải thuộc phạm vi của đơn vị giao nhiệm vụ.")
    if within is not None:
        if responsible.unit_id == assigner.unit_id:
            raise ValidationError("Nhiệm vụ con phải giao cho một đơn vị cấp dưới của đơn vị chủ trì.")
        if due_on > within.due_on:
            raise ValidationError(
                f"Thời hạn của nhiệm vụ con ({vn.format_date(due_on)}) không được sau thời hạn của nhiệm vụ "
                f"({vn.format_date(within.due_on)})."
            )
        if starts_on < within.starts_on:
            raise ValidationError("Nhiệm vụ con không bắt đầu trước nhiệm vụ được giao.")
    if not counted_stints(responsible, day).filter(member_id=fields["head"]).exists():
        raise ValidationError(f"Người chịu trách nhiệm phải là đảng viên đang sinh hoạt trong {responsible.name}.")
    inside = set(UnitVersion.objects.on(day).under(assigner.path).filter(unit_id__in=coordinating)
                 .values_list("unit_id", flat=True))  # fmt: skip
    if set(coordinating) - inside:
        raise ValidationError("Đơn vị phối hợp phải thuộc phạm vi của đơn vị giao nhiệm vụ.")
    if fields["responsible_unit"] in coordinating:
        raise ValidationError("Đơn vị chủ trì không đồng thời là đơn vị phối hợp.")
    if fields.get("result_kind") == ResultKind.INDICATOR:
        if fields.get("result_indicator") not in REGISTRY or fields.get("result_value") is None:
            raise ValidationError("Kết quả đo bằng chỉ số cần chọn chỉ số và nhập giá trị cần đạt.")
    owners = set(UnitVersion.objects.on(day).filter(path__in=path_prefixes(assigner.path))
                 .values_list("unit_id", flat=True))  # fmt: skip
    for key in ("target", "part"):
        linked = fields.get(key)
        if linked is not None and linked.resolution.term.committee_id not in owners:
            raise ValidationError(
                "Chỉ tiêu, khâu đột phá phải thuộc nghị quyết của cấp ủy giao nhiệm vụ hoặc cấp trên."
            )


def _log(task: Task, actor, kind: str, note: str = "", progress: int | None = None, attachment=None) -> TaskUpdate:
    update = TaskUpdate(task=task, kind=kind, note=note, progress=progress, by=actor)
    if attachment:
        update.attachment = attachment
        update.attachment_name = attachment.name[:255]
    update.save()
    return update


def _save(task: Task, actor, action: str, before, fields: list[str]) -> None:
    task.save(update_fields=fields)
    record(actor, action, task, before, snapshot(task))


@transaction.atomic
@audited
def assign(actor, assigner_id: int, assignment: Assignment, day: datetime.date | None = None) -> Task:
    """A new task (or a recurring series, with its occurrences up to today) from `assigner_id`."""
    day = day or today()
    fields = assignment.fields
    check_assignment(assigner_id, fields, assignment.coordinating, day)
    task = _new_task(actor, assigner_id, fields, assignment.coordinating)
    if task.is_series:
        generate_occurrences(task, day)
    return task


def _new_task(actor, assigner_id: int, fields: dict, coordinating, **extra) -> Task:
    values = {key: fields.get(key) for key in TASK_FIELDS if key in fields}
    values["responsible_unit_id"] = values.pop("responsible_unit")
    values["head_id"] = values.pop("head")
    # A recurring series' first deadline is its first occurrence's; a task's is its deadline as assigned.
    first_due_on = fields.get("first_due_on") or fields["due_on"]
    task = Task(assigned_by_unit_id=assigner_id, assigned_by=actor, first_due_on=first_due_on,
                **{k: v for k, v in values.items() if v is not None}, **extra)  # fmt: skip
    task.save()
    task.coordinating_units.set(coordinating)
    _log(task, actor, UpdateKind.ASSIGNED, task.expected_result)
    after = snapshot(task) | {"coordinating_units": sorted(coordinating)}
    record(actor, "task_assign", task, None, after)
    return task


def occurrence_deadlines(series: Task) -> list[tuple[datetime.date, datetime.date]]:
    """(start, deadline) of each occurrence of a recurring task: the first deadline is the series'
    first one, each next a month (or a quarter) later, up to the series' end (its `due_on`)."""
    step = 1 if series.recurrence == Recurrence.MONTHLY else 3
    first_deadline = series.first_due_on if series.first_due_on < series.due_on else series.due_on
    result, start, k = [], series.starts_on, 0
    while True:
        deadline = vn.add_months(first_deadline, k * step)
        if deadline > series.due_on:
            return result
        result.append((start, deadline))
        start, k = deadline + datetime.timedelta(days=1), k + 1


def occurrence_title(series: Task, deadline: datetime.date) -> str:
    if series.recurrence == Recurrence.QUARTERLY:
        quarter = "I II III IV".split()[(deadline.month - 1) // 3]
        return f"{series.title} (quý {quarter}/{deadline.year})"
    return f"{series.title} (tháng {deadline.month:02d}/{deadline.year})"


@audited
def generate_occurrences(series: Task, day: datetime.date, actor=None) -> list[Task]:
    """The occurrences of a recurring task that have started by `day` and do not exist yet (the
    daily reminder command calls this; running it again adds nothing)."""
    existing = set(series.occurrences.values_list("first_due_on", flat=True))  # an extension moves `due_on`
    coordinating = list(series.coordinating_units.values_list("pk", flat=True))
    made = []
    for start, deadline in occurrence_deadlines(series):
        if start > day or deadline in existing:
            continue
        unit = _version(series.responsible_unit_id, start)
        if unit is None or not counted_stints(unit, start).filter(member_id=series.head_id).exists():
            continue  # the unit is gone, or its head no longer there: the series needs reassigning
        fields = {key: getattr(series, key) for key in TASK_FIELDS if key not in ("responsible_unit", "head")}
        fields |= {"title": occurrence_title(series, deadline), "starts_on": start, "due_on": deadline,
                   "recurrence": "", "responsible_unit": series.responsible_unit_id,
                   "head": series.head_id}  # fmt: skip
        made.append(_new_task(actor, series.assigned_by_unit_id, fields, coordinating, series=series))
    if not made:  # already made (the command runs daily), or the series needs reassigning
        nothing_changed()
    return made


@transaction.atomic
@audited
def generate_all_occurrences(day: datetime.date) -> int:
    count = 0
    # Series still running (an occurrence is made when its period starts, so an ended series has all its own).
    running = Task.objects.exclude(recurrence="").filter(due_on__gte=day - datetime.timedelta(days=92))
    for series in running.select_for_update():
        count += len(generate_occurrences(series, day))
    if not count:
        nothing_changed()
    return count


def _locked(task: Task) -> Task:
    return Task.objects.select_for_update().get(pk=task.pk)


def _open(task: Task, what: str) -> None:
    if task.is_series:
        raise ValidationError("Nhiệm vụ định kỳ được thực hiện theo từng kỳ: hãy cập nhật nhiệm vụ của kỳ đó.")
    if task.closed:
        raise ValidationError(f"Nhiệm vụ đã báo cáo hoàn thành ngày {vn.format_date(task.completed_on)}; "
                              f"không thể {what}.")  # fmt: skip


def rolled_up(parent: Task) -> int | None:
    """The progress of a task split among sub-tasks: the mean of theirs (a completed one at 100%),
    rounded down, and 100% only once every sub-task is complete: parts at 95, 79 and 95 among sixty
    done make 99,5%, which is not done (rounded to the nearest it read 100%); None for a task without
    sub-tasks."""
    parts = list(parent.subtasks.values_list("progress", "completed_on"))
    if not parts:
        return None
    shares = [100 if done is not None else progress for progress, done in parts]
    mean = sum(shares) // len(shares)
    return mean if all(done is not None for _, done in parts) else min(mean, 99)


def _roll_up(task: Task) -> None:
    """The progress of each parent above `task` (`rolled_up`)."""
    parent_id = task.parent_id
    while parent_id is not None:
        parent = Task.objects.select_for_update().get(pk=parent_id)
        progress = rolled_up(parent)
        if progress is None:
            progress = parent.progress
        if parent.completed_on is None and progress != parent.progress:
            before = snapshot(parent)
            parent.progress = progress
            _save(parent, None, "task_roll_up", before, ["progress"])
        parent_id = parent.parent_id


@transaction.atomic
@audited
def split(actor, task: Task, parts: list[dict], day: datetime.date | None = None) -> list[Task]:
    """Sub-tasks of `task` for units below its responsible unit, assigned by that unit: each part
    has the unit, the head, the deadline and the expected result (the title defaults to the
    task's)."""
    day = day or today()
    task = _locked(task)
    _open(task, "giao thêm nhiệm vụ con")
    if not parts:
        raise ValidationError("Hãy chọn ít nhất một đơn vị nhận nhiệm vụ con.")
    units = [p["responsible_unit"] for p in parts]
    if len(set(units)) != len(units):
        raise ValidationError("Mỗi đơn vị chỉ nhận một nhiệm vụ con trong một lần giao.")
    made = []
    for part in parts:
        fields = {key: getattr(task, key) for key in TASK_FIELDS if key not in ("responsible_unit", "head")}
        fields |= {"starts_on": max(task.starts_on, day), "recurrence": ""} | part
        check_assignment(task.responsible_unit_id, fields, [], day, within=task)
        made.append(_new_task(actor, task.responsible_unit_id, fields, [], parent=task))
    names = ", ".join(_name(p["responsible_unit"], day) for p in parts)
    _log(task, actor, UpdateKind.SPLIT, f"Giao nhiệm vụ con cho: {names}.")
    before = snapshot(task)
    task.last_update_at = timezone.now()
    _save(task, actor, "task_split", before, ["last_update_at"])
    _roll_up(made[0])
    return made


@transaction.atomic
@audited
def log_progress(actor, task: Task, progress: int | None, note: str, attachment=None) -> TaskUpdate:
    task = _locked(task)
    _open(task, "cập nhật tiến độ")
    has_subtasks = task.subtasks.exists()
    if progress is not None and has_subtasks:
        raise ValidationError("Tiến độ của nhiệm vụ này được tổng hợp từ các nhiệm vụ con; hãy ghi nội dung "
                              "theo dõi mà không nhập tiến độ.")  # fmt: skip
    if progress is not None and not 0 <= progress <= 100:
        raise ValidationError("Tiến độ phải từ 0 đến 100%.")
    if progress is None and not (note or "").strip():
        raise ValidationError("Hãy nhập tiến độ hoặc nội dung theo dõi.")
    before = snapshot(task)
    update = _log(task, actor, UpdateKind.PROGRESS, (note or "").strip(), progress, attachment)
    task.last_update_at = update.at
    fields = ["last_update_at"]
    if progress is not None:
        task.progress = progress
        fields.append("progress")
    _save(task, actor, "task_progress", before, fields)
    _roll_up(task)
    return update


@transaction.atomic
@audited
def request_extension(actor, task: Task, new_due_on: datetime.date, reason: str) -> Extension:
    task = _locked(task)
    _open(task, "đề nghị gia hạn")
    if task.extensions.filter(decision=Decision.PENDING).exists():
        raise ValidationError("Nhiệm vụ đang có một đề nghị gia hạn chờ quyết định.")
    if new_due_on <= task.due_on:
        raise ValidationError(f"Thời hạn đề nghị phải sau thời hạn hiện tại ({vn.format_date(task.due_on)}).")
    if task.parent_id is not None and new_due_on > task.parent.due_on:
        raise ValidationError(f"Thời hạn đề nghị không được sau thời hạn của nhiệm vụ cấp trên "
                              f"({vn.format_date(task.parent.due_on)}).")  # fmt: skip
    if not (reason or "").strip():
        raise ValidationError("Hãy nêu lý do đề nghị gia hạn.")
    extension = Extension.objects.create(task=task, due_on=task.due_on, new_due_on=new_due_on,
                                         reason=reason.strip(), requested_by=actor)  # fmt: skip
    _log(task, actor, UpdateKind.EXTENSION_REQUESTED,
         f"Đề nghị gia hạn đến {vn.format_date(new_due_on)}: {reason.strip()}")  # fmt: skip
    record(actor, "task_extension_request", extension, None, snapshot(extension))
    return extension


@transaction.atomic
@audited
def decide_extension(actor, extension: Extension, approve: bool, note: str = "") -> Extension:
    task = _locked(extension.task)  # the task first, as `complete` locks it (no deadlock between them)
    extension = Extension.objects.select_for_update().get(pk=extension.pk)
    if extension.decision != Decision.PENDING:
        raise ValidationError("Đề nghị gia hạn này đã được quyết định.")
    if not approve and not (note or "").strip():
        raise ValidationError("Khi không đồng ý gia hạn, hãy nêu ý kiến.")
    before = snapshot(extension)
    extension.decision = Decision.APPROVED if approve else Decision.REFUSED
    extension.decision_note, extension.decided_by, extension.decided_at = (note or "").strip(), actor, timezone.now()
    extension.save()
    record(actor, "task_extension_decide", extension, before, snapshot(extension))
    if approve:
        task_before = snapshot(task)
        task.due_on = extension.new_due_on
        _save(task, actor, "task_extension_apply", task_before, ["due_on"])
        text = f"Đồng ý gia hạn từ {vn.format_date(extension.due_on)} đến {vn.format_date(extension.new_due_on)}."
    else:
        text = f"Không đồng ý gia hạn đến {vn.format_date(extension.new_due_on)}."
    if extension.decision_note:
        text += f" {extension.decision_note}"
    _log(task, actor, UpdateKind.EXTENSION_APPROVED if approve else UpdateKind.EXTENSION_REFUSED, text)
    return extension


@transaction.atomic
@audited
def complete(actor, task: Task, completed_on: datetime.date, report: str, attachment=None,
             day: datetime.date | None = None) -> Task:  # fmt: skip
    """The responsible unit reports the task done (all its sub-tasks first)."""
    day = day or today()
    task = _locked(task)
    _open(task, "báo cáo hoàn thành lần nữa")
    if completed_on > day:
        raise ValidationError("Ngày hoàn thành không được sau hôm nay.")
    if completed_on < task.starts_on:
        raise ValidationError("Ngày hoàn thành không được trước ngày bắt đầu nhiệm vụ.")
    earliest = day - datetime.timedelta(days=COMPLETION_REPORTED_WITHIN)
    if completed_on < earliest:
        # Timeliness is judged on this date: it is reported within days, not dated back at will.
        raise ValidationError(f"Báo cáo hoàn thành trong vòng {COMPLETION_REPORTED_WITHIN} ngày kể từ ngày hoàn "
                              f"thành; ngày hoàn thành sớm nhất có thể ghi là {vn.format_date(earliest)}.")  # fmt: skip
    if not (report or "").strip():
        raise ValidationError("Hãy nêu kết quả, sản phẩm đã đạt trong báo cáo hoàn thành.")
    pending = task.subtasks.filter(completed_on__isnull=True).count()
    if pending:
        raise ValidationError(f"Còn {pending} nhiệm vụ con chưa hoàn thành.")
    before = snapshot(task)
    task.completed_on, task.completion_report, task.progress = completed_on, report.strip(), 100
    task.last_update_at = timezone.now()
    _save(task, actor, "task_complete", before, ["completed_on", "completion_report", "progress", "last_update_at"])
    _log(task, actor, UpdateKind.COMPLETED, report.strip(), 100, attachment)
    for extension in task.extensions.filter(decision=Decision.PENDING):  # moot once the task is done
        extension_before = snapshot(extension)
        extension.decision, extension.decided_at = Decision.WITHDRAWN, timezone.now()
        extension.save(update_fields=["decision", "decided_at"])
        record(actor, "task_extension_withdraw", extension, extension_before, snapshot(extension))
    _roll_up(task)
    return task


@transaction.atomic
@audited
def grade(actor, task: Task, level: str, note: str = "") -> Task:
    """The assigning unit's evaluation of a completed task: met or beyond requirement."""
    task = _locked(task)
    if not task.closed:
        raise ValidationError("Nhiệm vụ chưa báo cáo hoàn thành nên chưa thể đánh giá.")
    if task.grade:
        raise ValidationError("Nhiệm vụ đã được đánh giá.")
    if level not in Grade.values:
        raise ValidationError("Hãy chọn mức đánh giá.")
    before = snapshot(task)
    task.grade, task.graded_by, task.graded_at = level, actor, timezone.now()
    _save(task, actor, "task_grade", before, ["grade", "graded_by", "graded_at"])
    late = task.completed_on > task.due_on
    timing = "trễ hạn" if late else "đúng hạn"
    _log(task, actor, UpdateKind.GRADED, f"{Grade(level).label}, hoàn thành {timing}. {note or ''}".strip())
    return task


@transaction.atomic
@audited
def send_back(actor, task: Task, note: str) -> Task:
    """The assigning unit returns a completion it does not accept: the task is open again."""
    task = _locked(task)
    if not task.closed:
        raise ValidationError("Nhiệm vụ chưa báo cáo hoàn thành.")
    if task.grade:
        raise ValidationError("Nhiệm vụ đã được đánh giá, không trả lại được.")
    if not (note or "").strip():
        raise ValidationError("Hãy nêu lý do trả lại và yêu cầu tiếp theo.")
    if task.parent_id is not None and _locked(task.parent).closed:
        raise ValidationError("Nhiệm vụ cấp trên đã báo cáo hoàn thành; hãy trả lại nhiệm vụ cấp trên trước.")
    before = snapshot(task)
    last = task.updates.filter(kind=UpdateKind.PROGRESS, progress__isnull=False).order_by("-at", "-pk").first()
    task.completed_on, task.completion_report = None, ""
    # Back to the progress last reported, or (a task split among sub-tasks) to theirs.
    task.progress = rolled_up(task) if task.subtasks.exists() else (last.progress if last else 0)
    task.last_update_at = timezone.now()
    _save(task, actor, "task_send_back", before, ["completed_on", "completion_report", "progress", "last_update_at"])
    _log(task, actor, UpdateKind.RETURNED, note.strip(), task.progress)
    _roll_up(task)
    return task


HEADS_LISTED = 300


def head_choices(unit_id: int | None, day: datetime.date, query: str = "", posted: int | None = None):
    """The members who may be named head of a task of the unit (those active in its subtree),
    narrowed by a part of the name typed without diacritics; at most HEADS_LISTED of them, and
    whether there were more. With `posted` (a member id sent by a form): that member alone, if
    they may be."""
    version = _version(unit_id, day) if unit_id else None
    if version is None:
        return [], False
    members = Member.unscoped.filter(pk__in=counted_stints(version, day).values("member_id"))
    if posted is not None:
        members = members.filter(pk=posted)
    elif query.strip():
        members = members.filter(search_name__contains=vn.fold(query))
    rows = [(m.pk, m.full_name) for m in members.order_by("sort_key", "pk")[: HEADS_LISTED + 1]]
    return rows[:HEADS_LISTED], len(rows) > HEADS_LISTED
