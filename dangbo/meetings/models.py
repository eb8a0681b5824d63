"""Cell meetings (sinh hoạt chi bộ): the plan, the minutes and who attended.

A meeting belongs to one cell. Its invitation list is the cell's members on the day it is held
(official, probationary, exempted, away on a temporary transfer) and the members it hosts
temporarily; each has one attendance row. The totals of the minutes are counted from those rows by
`actions.save_minutes` and kept on the meeting, so that compliance and attendance rates over a
city's thousands of cells read one row per meeting.

Minutes name people: the models have no plain `.objects`; views reach meetings through the cells
of their scope.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from dangbo.members.models import Member
from dangbo.orgs.models import Unit


class MeetingKind(models.TextChoices):
    REGULAR = "regular", "Thường kỳ"
    THEMATIC = "thematic", "Chuyên đề"
    COMBINED = "combined", "Thường kỳ kết hợp chuyên đề"


# Which kinds count as the month's regular meeting, and as the quarter's thematic one.
REGULAR_KINDS = (MeetingKind.REGULAR, MeetingKind.COMBINED)
THEMATIC_KINDS = (MeetingKind.THEMATIC, MeetingKind.COMBINED)


class Standing(models.TextChoices):
    OFFICIAL = "official", "Chính thức"
    PROBATIONARY = "probationary", "Dự bị"
    HOSTED = "hosted", "Sinh hoạt tạm thời"


class Presence(models.TextChoices):
    PRESENT = "present", "Có mặt"
    EXCUSED = "excused", "Vắng có lý do"
    UNEXCUSED = "unexcused", "Vắng không lý do"


def material_path(material: Material, filename: str) -> str:
    """Stored under a random name: the original name is kept in the row, never trusted as a path."""
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"meetings/{uuid.uuid4().hex}.{suffix}"


def month_index(day) -> int:
    return day.year * 12 + day.month - 1


class Meeting(models.Model):
    # Indexed by (cell, held_on) and (cell, planned_on) below; no index of its own.
    cell = models.ForeignKey(
        Unit, verbose_name="chi bộ", on_delete=models.PROTECT, related_name="meetings", db_index=False
    )
    kind = models.CharField("loại", max_length=16, choices=MeetingKind.choices, default=MeetingKind.REGULAR)
    topic = models.CharField("chuyên đề", max_length=255, blank=True)
    planned_on = models.DateField("ngày dự kiến")
    planned_time = models.TimeField("giờ dự kiến", null=True, blank=True)
    place = models.CharField("địa điểm", max_length=255, blank=True)
    agenda = models.TextField("nội dung, chương trình", blank=True)
    materials_sent_on = models.DateField("ngày gửi tài liệu", null=True, blank=True)
    # The minutes: filled in once the meeting is held.
    held_on = models.DateField("ngày họp", null=True, blank=True)
    # held_on as a month number (year × 12 + month − 1), set on save: periods of n months are
    # month_index / n in plain SQL arithmetic on every database.
    month_index = models.PositiveIntegerField(null=True, editable=False)
    started_at = models.TimeField("giờ bắt đầu", null=True, blank=True)
    duration_minutes = models.PositiveSmallIntegerField("thời lượng (phút)", null=True, blank=True)
    chair = models.ForeignKey(
        Member, verbose_name="chủ trì", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    secretary = models.ForeignKey(
        Member, verbose_name="thư ký", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    opinions = models.TextField("ý kiến phát biểu", blank=True)
    conclusions = models.TextField("kết luận", blank=True)
    resolution = models.TextField("nghị quyết", blank=True)
    # The vote adopting the minutes at the end of the meeting: how many of those present approved.
    approved_count = models.PositiveIntegerField("số đảng viên tán thành biên bản", null=True, blank=True)
    # Counted from the attendance rows by actions.save_minutes; never typed.
    official_count = models.PositiveIntegerField(default=0, editable=False)
    probationary_count = models.PositiveIntegerField(default=0, editable=False)
    hosted_count = models.PositiveIntegerField(default=0, editable=False)
    exempted_count = models.PositiveIntegerField(default=0, editable=False)
    away_count = models.PositiveIntegerField(default=0, editable=False)
    present_count = models.PositiveIntegerField(default=0, editable=False)
    excused_count = models.PositiveIntegerField(default=0, editable=False)
    unexcused_count = models.PositiveIntegerField(default=0, editable=False)
    # Expected to attend: the invited less the exempted and those away (attendance rates).
    required_count = models.PositiveIntegerField(default=0, editable=False)
    required_present_count = models.PositiveIntegerField(default=0, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    unscoped = models.Manager()

    class Meta:
        verbose_name = "buổi sinh hoạt chi bộ"
        verbose_name_plural = "buổi sinh hoạt chi bộ"
        indexes = [
            # Every column the compliance table aggregates: read from the index alone (a city has
            # millions of meetings, each row wide with the minutes' text).
            models.Index(
                fields=[
                    "cell",
                    "held_on",
                    "kind",
                    "month_index",
                    "duration_minutes",
                    "required_count",
                    "required_present_count",
                ],
                name="meeting_cell_held",
            ),  # fmt: skip
            models.Index(fields=["cell", "planned_on"], name="meeting_cell_planned"),
            models.Index(fields=["planned_on"], name="meeting_planned"),
            # The few meetings not held (yet): those whose day has passed are listed on the home page.
            models.Index(fields=["planned_on"], condition=models.Q(held_on__isnull=True), name="meeting_unheld"),
            # The few meetings with an absence without reason (the members flagged at three a year).
            models.Index(
                fields=["held_on", "cell", "month_index"],
                condition=models.Q(unexcused_count__gt=0),
                name="meeting_unexcused",
            ),  # fmt: skip
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(duration_minutes__isnull=True) | models.Q(duration_minutes__gt=0),
                name="meeting_duration_positive",
                violation_error_message="Thời lượng buổi sinh hoạt phải lớn hơn 0 phút.",
            ),
        ]

    def __str__(self):
        day = self.held_on or self.planned_on
        return f"Sinh hoạt {self.get_kind_display().lower()} {day:%d/%m/%Y}"

    def save(self, *args, **kwargs):
        self.month_index = month_index(self.held_on) if self.held_on else None
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "month_index"}
        super().save(*args, **kwargs)
        from .cell_years import refresh  # the summaries are kept in step with every saved meeting

        refresh(self._held_years())
        self._held_as_loaded = self.cell_id, self.held_on

    def delete(self, *args, **kwargs):
        pairs = self._held_years()
        result = super().delete(*args, **kwargs)
        from .cell_years import refresh

        refresh(pairs)
        return result

    @classmethod
    def from_db(cls, db, field_names, values):
        meeting = super().from_db(db, field_names, values)
        meeting._held_as_loaded = meeting.__dict__.get("cell_id"), meeting.__dict__.get("held_on")
        return meeting

    def _held_years(self) -> set[tuple[int, int]]:
        """The (cell, year) summaries this meeting counts in, now and as it was loaded."""
        pairs = set()
        for cell_id, held_on in ((self.cell_id, self.held_on), getattr(self, "_held_as_loaded", (None, None))):
            if cell_id is not None and held_on is not None:
                pairs.add((cell_id, held_on.year))
        return pairs

    @property
    def day(self):
        """The day it was held, or is planned for."""
        return self.held_on or self.planned_on

    @property
    def held(self) -> bool:
        return self.held_on is not None

    @property
    def invited_count(self) -> int:
        return self.official_count + self.probationary_count + self.hosted_count

    @property
    def absent_count(self) -> int:
        return self.excused_count + self.unexcused_count


class Attendance(models.Model):
    # Indexed by the unique (meeting, member) and by (member, presence): a city has tens of millions
    # of these rows, and each index of its own would cost as much as the table.
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance", db_index=False)
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="attendance", db_index=False)
    # What the member was in the cell on the day: set from the records, never typed.
    standing = models.CharField("tư cách", max_length=16, choices=Standing.choices)
    exempted = models.BooleanField("miễn sinh hoạt", default=False)
    away = models.BooleanField("đang sinh hoạt tạm thời nơi khác", default=False)
    presence = models.CharField("tham dự", max_length=16, choices=Presence.choices)
    reason = models.CharField("lý do vắng", max_length=255, blank=True)

    unscoped = models.Manager()

    class Meta:
        verbose_name = "điểm danh"
        verbose_name_plural = "điểm danh"
        constraints = [
            models.UniqueConstraint(fields=["meeting", "member"], name="attendance_once_per_meeting"),
        ]
        indexes = [
            models.Index(fields=["member", "presence"], name="attendance_member_presence"),
            models.Index(
                fields=["meeting", "member"], condition=models.Q(presence="unexcused"), name="attendance_unexcused"
            ),
        ]

    def __str__(self):
        return f"{self.member_id}: {self.get_presence_display()}"

    @property
    def required(self) -> bool:
        return not (self.exempted or self.away)


class Material(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="materials")
    file = models.FileField("tệp", upload_to=material_path)
    name = models.CharField("tên tệp", max_length=255)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "tài liệu"
        verbose_name_plural = "tài liệu"

    def __str__(self):
        return self.name


class CellYear(models.Model):
    """Derived from the meetings: what one cell held in one calendar year — the months with a
    meeting of a regular kind, with one of a thematic kind, with one too short (bit m−1 for month
    m), the meetings,
    the short ones (by MEETING_RULES when written: after changing the rules run
    `manage.py refresh_cell_years`) and the attendance sums. Kept in step by `Meeting.save` and
    `Meeting.delete`, rebuilt in bulk by `cell_years.refresh`. The compliance of a year reads one
    row per cell here instead of every meeting."""

    cell = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", db_index=False)
    year = models.PositiveSmallIntegerField()
    regular_months = models.PositiveIntegerField(default=0)
    thematic_months = models.PositiveIntegerField(default=0)
    short_months = models.PositiveIntegerField(default=0)  # months with a meeting too short
    meetings = models.PositiveIntegerField(default=0)
    short = models.PositiveIntegerField(default=0)
    required = models.PositiveIntegerField(default=0)
    required_present = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["cell", "year"], name="cellyear_once")]
        # A year's summaries of every cell read from the index alone.
        indexes = [models.Index(fields=["year", "cell", "regular_months", "thematic_months", "short_months"],
                                name="cellyear_year")]  # fmt: skip

    def __str__(self):
        return f"{self.cell_id} · {self.year}"
