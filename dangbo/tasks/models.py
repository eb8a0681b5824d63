"""Tasks with the "four specifics" (DOMAIN §7): a responsible unit and its head, a measurable
result, a deadline, and a follow-up log. A task comes from a resolution, a conclusion notice, a plan
or arises ad hoc; it may be split into sub-tasks for the units below (their progress rolls up), or
recur (each month's occurrence is a task of its own).

A task's status is never stored: `Task.objects.with_status(day)` derives it from the dates and the
completion report (`status` below). What is stored is what people reported: progress, the
completion report and the assigner's evaluation, the extension requests and their decisions, each
step also written to the follow-up log."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from dangbo.lib import vn
from dangbo.lib.uploads import random_name
from dangbo.members.models import Member
from dangbo.orgs.models import Unit


class Source(models.TextChoices):
    RESOLUTION = "resolution", "Nghị quyết"
    CONCLUSION = "conclusion", "Thông báo kết luận"
    PLAN = "plan", "Kế hoạch"
    AD_HOC = "ad_hoc", "Phát sinh"


class Priority(models.TextChoices):
    HIGH = "high", "Cao"
    NORMAL = "normal", "Bình thường"
    LOW = "low", "Thấp"


class ResultKind(models.TextChoices):
    DELIVERABLE = "deliverable", "Sản phẩm cụ thể"
    INDICATOR = "indicator", "Chỉ số đạt giá trị"


class Recurrence(models.TextChoices):
    MONTHLY = "monthly", "Hằng tháng"
    QUARTERLY = "quarterly", "Hằng quý"


class Grade(models.TextChoices):
    """The assigner's evaluation of a completed task."""

    MET = "met", "Đạt yêu cầu"
    BEYOND = "beyond", "Vượt yêu cầu"


class Status(models.TextChoices):
    NOT_STARTED = "not_started", "Chưa đến thời gian thực hiện"
    IN_PROGRESS = "in_progress", "Đang thực hiện"
    DUE_SOON = "due_soon", "Sắp đến hạn"
    OVERDUE = "overdue", "Quá hạn"
    DONE_ON_TIME = "done_on_time", "Hoàn thành đúng hạn"
    DONE_LATE = "done_late", "Hoàn thành trễ hạn"


OPEN_STATUSES = (Status.NOT_STARTED, Status.IN_PROGRESS, Status.DUE_SOON, Status.OVERDUE)


def status(day: datetime.date) -> Case:
    """A task's status on `day`, as an SQL expression: the one definition of it.

    Done when the responsible unit has reported its completion (on time when reported by the
    deadline in force, which an approved extension moves); otherwise overdue once the deadline has
    passed, due soon within TASK_DUE_SOON_DAYS of it, not started before its start date."""
    soon = day + datetime.timedelta(days=settings.TASK_DUE_SOON_DAYS)
    return Case(
        When(completed_on__isnull=False, completed_on__lte=F("due_on"), then=Value(Status.DONE_ON_TIME.value)),
        When(completed_on__isnull=False, then=Value(Status.DONE_LATE.value)),
        When(due_on__lt=day, then=Value(Status.OVERDUE.value)),
        When(starts_on__gt=day, then=Value(Status.NOT_STARTED.value)),
        When(due_on__lte=soon, then=Value(Status.DUE_SOON.value)),
        default=Value(Status.IN_PROGRESS.value),
        output_field=models.CharField(),
    )


class TaskQuerySet(models.QuerySet):
    def with_status(self, day: datetime.date):
        return self.annotate(status=status(day))

    def work(self):
        """Tasks that are work to do: not the series of a recurring task (its occurrences are)."""
        return self.filter(recurrence="")


class Task(models.Model):
    title = models.CharField("nhiệm vụ", max_length=500)
    search_title = models.CharField(max_length=500, editable=False)  # folded: search without diacritics
    description = models.TextField("nội dung, yêu cầu", blank=True)
    source = models.CharField("nguồn giao", max_length=16, choices=Source.choices, default=Source.AD_HOC)
    source_number = models.CharField("số văn bản", max_length=64, blank=True)
    source_date = models.DateField("ngày văn bản", null=True, blank=True)
    part = models.ForeignKey("targets.ResolutionPart", verbose_name="khâu đột phá, nhóm nhiệm vụ", null=True,
                             blank=True, on_delete=models.PROTECT, related_name="tasks")  # fmt: skip
    target = models.ForeignKey("targets.Target", verbose_name="chỉ tiêu", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="tasks")  # fmt: skip
    assigned_by_unit = models.ForeignKey(Unit, verbose_name="đơn vị giao", on_delete=models.PROTECT,
                                         related_name="tasks_assigned")  # fmt: skip
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="người giao", null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")  # fmt: skip
    responsible_unit = models.ForeignKey(Unit, verbose_name="đơn vị chủ trì", on_delete=models.PROTECT,
                                         related_name="tasks")  # fmt: skip
    head = models.ForeignKey(Member, verbose_name="người đứng đầu chịu trách nhiệm", on_delete=models.PROTECT,
                             related_name="tasks")  # fmt: skip
    coordinating_units = models.ManyToManyField(Unit, verbose_name="đơn vị phối hợp", blank=True,
                                                related_name="tasks_coordinated")  # fmt: skip
    result_kind = models.CharField("loại kết quả", max_length=16, choices=ResultKind.choices,
                                   default=ResultKind.DELIVERABLE)  # fmt: skip
    expected_result = models.TextField("kết quả, sản phẩm cần đạt")
    result_indicator = models.CharField("chỉ số", max_length=64, blank=True)
    result_value = models.DecimalField("giá trị cần đạt", max_digits=12, decimal_places=2, null=True, blank=True)
    starts_on = models.DateField("ngày bắt đầu")
    due_on = models.DateField("thời hạn")  # the deadline in force: an approved extension moves it
    first_due_on = models.DateField("thời hạn ban đầu")
    priority = models.CharField("mức ưu tiên", max_length=8, choices=Priority.choices, default=Priority.NORMAL)
    parent = models.ForeignKey("self", verbose_name="nhiệm vụ cấp trên", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="subtasks")  # fmt: skip
    # A recurring task is a series: it is not work itself; each period's occurrence is a task.
    recurrence = models.CharField("lặp lại", max_length=16, choices=Recurrence.choices, blank=True)
    series = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="occurrences")
    # Reported by the responsible unit (progress rolled up from the sub-tasks when there are any).
    progress = models.PositiveSmallIntegerField("tiến độ (%)", default=0)
    last_update_at = models.DateTimeField("cập nhật gần nhất", null=True, blank=True)
    completed_on = models.DateField("ngày hoàn thành", null=True, blank=True)
    completion_report = models.TextField("báo cáo hoàn thành", blank=True)
    # Evaluated by the assigning unit.
    grade = models.CharField("đánh giá", max_length=8, choices=Grade.choices, blank=True)
    graded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")  # fmt: skip
    graded_at = models.DateTimeField(null=True, blank=True)
    # Reminders claimed (the reminder command's conditional updates): for which deadline a "due soon"
    # one went out; the day of the latest "overdue" one; the follow-up a "stalled" one was about.
    due_soon_reminded_for = models.DateField(null=True, blank=True)
    overdue_reminded_on = models.DateField(null=True, blank=True)
    stalled_reminded_for = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = TaskQuerySet.as_manager()

    class Meta:
        verbose_name = "nhiệm vụ"
        verbose_name_plural = "nhiệm vụ"
        constraints = [
            models.CheckConstraint(
                condition=Q(due_on__gte=F("starts_on")),
                name="task_due_after_start",
                violation_error_message="Thời hạn không được trước ngày bắt đầu.",
            ),  # fmt: skip
            models.CheckConstraint(condition=Q(progress__lte=100), name="task_progress_percent"),
            models.UniqueConstraint(fields=["series", "first_due_on"], name="task_occurrence_once"),
        ]
        indexes = [
            models.Index(fields=["responsible_unit", "due_on"], name="task_responsible"),
            models.Index(fields=["assigned_by_unit", "due_on"], name="task_assigner"),
            models.Index(fields=["head", "due_on"], name="task_head"),
            models.Index(fields=["due_on"], name="task_open", condition=Q(completed_on__isnull=True)),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.search_title = vn.fold(self.title)
        if kwargs.get("update_fields") is not None and "title" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_title"}
        super().save(*args, **kwargs)

    @property
    def is_series(self) -> bool:
        return bool(self.recurrence)

    @property
    def closed(self) -> bool:
        return self.completed_on is not None


class UpdateKind(models.TextChoices):
    ASSIGNED = "assigned", "Giao nhiệm vụ"
    PROGRESS = "progress", "Cập nhật tiến độ"
    SPLIT = "split", "Giao nhiệm vụ con"
    EXTENSION_REQUESTED = "extension_requested", "Đề nghị gia hạn"
    EXTENSION_APPROVED = "extension_approved", "Đồng ý gia hạn"
    EXTENSION_REFUSED = "extension_refused", "Không đồng ý gia hạn"
    COMPLETED = "completed", "Báo cáo hoàn thành"
    GRADED = "graded", "Đánh giá kết quả"
    RETURNED = "returned", "Trả lại, yêu cầu tiếp tục thực hiện"


def attachment_path(update: TaskUpdate, filename: str) -> str:
    return random_name(f"tasks/{update.task_id}", filename)


class TaskUpdate(models.Model):
    """One entry of a task's follow-up log: who did what, when, with the progress then."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="updates")
    kind = models.CharField("loại", max_length=24, choices=UpdateKind.choices)
    progress = models.PositiveSmallIntegerField("tiến độ (%)", null=True, blank=True)
    note = models.TextField("nội dung", blank=True)
    attachment = models.FileField("tệp đính kèm", upload_to=attachment_path, max_length=255, blank=True)
    attachment_name = models.CharField("tên tệp", max_length=255, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "theo dõi thực hiện"
        verbose_name_plural = "theo dõi thực hiện"
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.task_id} · {self.get_kind_display()}"


class Decision(models.TextChoices):
    PENDING = "", "Chờ quyết định"
    APPROVED = "approved", "Đồng ý"
    REFUSED = "refused", "Không đồng ý"
    WITHDRAWN = "withdrawn", "Không xét (nhiệm vụ đã báo cáo hoàn thành)"


class Extension(models.Model):
    """A request to move a task's deadline, decided by the assigning unit."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="extensions")
    due_on = models.DateField("thời hạn khi đề nghị")
    new_due_on = models.DateField("thời hạn đề nghị")
    reason = models.TextField("lý do")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                     related_name="+")  # fmt: skip
    requested_at = models.DateTimeField(default=timezone.now)
    decision = models.CharField("quyết định", max_length=16, choices=Decision.choices, blank=True)
    decision_note = models.TextField("ý kiến", blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")  # fmt: skip
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "đề nghị gia hạn"
        verbose_name_plural = "đề nghị gia hạn"
        ordering = ["requested_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["task"], condition=Q(decision=""), name="extension_one_pending"),
        ]

    def __str__(self):
        return f"{self.task_id}: {self.due_on} → {self.new_due_on}"
