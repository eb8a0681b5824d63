"""Quality ratings (đánh giá, xếp loại chất lượng) of members and party organisations.

A rating period (a year, a term, a quarter or ad hoc) carries its scheme: levels only, or a
100-point score with level thresholds, and the quota on excellent results. The rule a year was rated
under (`legal_basis`) follows its year: Quy định 132-QĐ/TW (2018) for 2018–2022, Quy định 124-QĐ/TW
(10/2023) for 2023–2024, Quy định 366-QĐ/TW (2025) from 2025. Each member and each organisation
rated in a period has one row, which the workflow fills step by step: self-assessment, proposal,
decision. The statistics read the decided level only.

Ratings are personal data: no plain `.objects` on member ratings.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from dangbo.members.models import Member
from dangbo.orgs.models import Unit


class Level(models.TextChoices):
    EXCELLENT = "excellent", "Hoàn thành xuất sắc nhiệm vụ"
    GOOD = "good", "Hoàn thành tốt nhiệm vụ"
    DONE = "done", "Hoàn thành nhiệm vụ"
    FAILED = "failed", "Không hoàn thành nhiệm vụ"


GOOD_OR_BETTER = (Level.EXCELLENT, Level.GOOD)
LEVEL_ORDER = [Level.EXCELLENT, Level.GOOD, Level.DONE, Level.FAILED]


class PeriodKind(models.TextChoices):
    YEAR = "year", "Hằng năm"
    TERM = "term", "Nhiệm kỳ"
    QUARTER = "quarter", "Hằng quý"
    AD_HOC = "ad_hoc", "Đột xuất"


class Scheme(models.TextChoices):
    LEVELS = "levels", "Xếp loại theo mức"
    SCORE = "score", "Chấm điểm theo thang 100 điểm"


# (first year rated under it, the rule): the rounds of a year name the rule in force for that year.
LEGAL_BASES = [
    (2025, "Quy định 366-QĐ/TW"),
    (2023, "Quy định 124-QĐ/TW"),
    (2018, "Quy định 132-QĐ/TW"),
]


def legal_basis(year: int) -> str:
    """The Central Committee's rule a year's ratings were made under ("" before 2018)."""
    return next((rule for first, rule in LEGAL_BASES if year >= first), "")


class Rounding(models.TextChoices):
    FLOOR = "floor", "Làm tròn xuống"
    HALF_UP = "half_up", "Làm tròn đến số nguyên gần nhất"


class RatingPeriod(models.Model):
    name = models.CharField("tên đợt", max_length=128)
    kind = models.CharField("loại", max_length=16, choices=PeriodKind.choices, default=PeriodKind.YEAR)
    year = models.PositiveSmallIntegerField("năm", null=True, blank=True, db_index=True)
    starts_on = models.DateField("từ ngày")
    ends_on = models.DateField("đến ngày")
    scheme = models.CharField("cách đánh giá", max_length=16, choices=Scheme.choices, default=Scheme.LEVELS)
    excellent_min = models.PositiveSmallIntegerField("điểm tối thiểu xuất sắc", default=90)
    good_min = models.PositiveSmallIntegerField("điểm tối thiểu tốt", default=70)
    done_min = models.PositiveSmallIntegerField("điểm tối thiểu hoàn thành", default=50)
    # Excellent results may not exceed quota_percent of those rated good or better, counted within
    # each grassroots organisation (DOMAIN §5), rounded as set.
    quota_percent = models.PositiveSmallIntegerField("tỷ lệ xuất sắc tối đa (%)", default=20)
    quota_rounding = models.CharField(
        "làm tròn chỉ tiêu", max_length=16, choices=Rounding.choices, default=Rounding.FLOOR
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "đợt đánh giá, xếp loại"
        verbose_name_plural = "đợt đánh giá, xếp loại"
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gt=models.F("starts_on")),
                name="ratingperiod_ends_after_start",
                violation_error_message="Ngày kết thúc đợt đánh giá phải sau ngày bắt đầu.",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def legal_basis(self) -> str:
        return legal_basis(self.year or self.ends_on.year)

    @property
    def scheme_label(self) -> str:
        """ "Xếp loại theo mức (Quy định 132-QĐ/TW)": the scheme and the rule of the round's year."""
        basis = self.legal_basis
        return f"{self.get_scheme_display()} ({basis})" if basis else self.get_scheme_display()


class MemberRating(models.Model):
    """A member's rating in a period, in the cell and grassroots organisation they were rated in."""

    period = models.ForeignKey(RatingPeriod, on_delete=models.PROTECT, related_name="member_ratings")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="ratings")
    cell = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", db_index=False)
    grassroots = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", db_index=False)
    exempted = models.BooleanField("miễn sinh hoạt", default=False)
    self_level = models.CharField("tự xếp loại", max_length=16, choices=Level.choices, blank=True)
    self_score = models.PositiveSmallIntegerField("tự chấm điểm", null=True, blank=True)
    self_text = models.TextField("bản tự kiểm điểm", blank=True)
    proposed_level = models.CharField("chi bộ đề xuất", max_length=16, choices=Level.choices, blank=True)
    proposed_score = models.PositiveSmallIntegerField("điểm chi bộ đề xuất", null=True, blank=True)
    # Caps on the level: disciplined in the period (no excellent), and the task criteria of Quy định
    # 366-QĐ/TW once tasks are recorded (share of tasks on time, and done beyond requirement).
    disciplined = models.BooleanField("bị kỷ luật trong kỳ", default=False)
    tasks_on_time = models.PositiveSmallIntegerField("% nhiệm vụ đúng hạn", null=True, blank=True)
    tasks_beyond = models.PositiveSmallIntegerField("% nhiệm vụ vượt yêu cầu", null=True, blank=True)
    decided_level = models.CharField("kết quả xếp loại", max_length=16, choices=Level.choices, blank=True)
    decided_score = models.PositiveSmallIntegerField("điểm quyết định", null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    unscoped = models.Manager()

    class Meta:
        verbose_name = "xếp loại đảng viên"
        verbose_name_plural = "xếp loại đảng viên"
        constraints = [
            models.UniqueConstraint(fields=["period", "member"], name="memberrating_once_per_period"),
        ]
        indexes = [
            models.Index(fields=["period", "grassroots", "decided_level"], name="memberrating_quota"),
            # The levels of a subtree's members counted from the index alone.
            models.Index(fields=["period", "cell", "decided_level", "exempted"], name="memberrating_levels"),
            # The rounds still waiting for the cells' proposals, for the decisions (the home page's
            # list): the few ratings lacking the step, with the columns of the condition so that the
            # index alone answers (and is chosen over the one above).
            models.Index(fields=["period", "proposed_level", "exempted"],
                         condition=models.Q(proposed_level="", exempted=False), name="memberrating_unproposed"),
            models.Index(fields=["period", "decided_level", "exempted"],
                         condition=models.Q(decided_level="", exempted=False), name="memberrating_undecided"),
        ]

    def __str__(self):
        return f"{self.member_id} · {self.period_id}: {self.decided_level or '—'}"

    def save(self, *args, **kwargs):
        adding = self._state.adding
        before = None if adding else getattr(self, "_tallied", None)
        super().save(*args, **kwargs)
        after = self._tally_key()
        if not adding and before is None:  # loaded without its level: count its cell again
            recount_cell(self.period_id, self.cell_id)
        elif after != before:
            move_in_tally(before, after)
        self._tallied = after

    def delete(self, *args, **kwargs):
        before, period_id, cell_id = self._tally_key(), self.period_id, self.cell_id
        result = super().delete(*args, **kwargs)
        if before is None:
            recount_cell(period_id, cell_id)
        else:
            move_in_tally(before, None)
        return result

    @classmethod
    def from_db(cls, db, field_names, values):
        rating = super().from_db(db, field_names, values)
        rating._tallied = rating._tally_key()
        return rating

    def _tally_key(self):
        """Where the rating counts in `LevelTally`: its period, its cell and its bucket."""
        if "decided_level" in self.get_deferred_fields() or "exempted" in self.get_deferred_fields():
            return None
        return (self.period_id, self.cell_id, tally_bucket(self.decided_level, self.exempted))


TALLY_BUCKETS = ("excellent", "good", "done", "failed", "undecided", "exempted")


def tally_bucket(decided_level: str, exempted: bool) -> str:
    return "exempted" if exempted else (decided_level or "undecided")


class LevelTally(models.Model):
    """Derived from the member ratings: how many of a period's ratings in one cell are in each
    bucket — decided at each level, undecided, exempted. Kept in step by `MemberRating.save` and
    `delete`; rebuilt by `refresh_level_tallies` after a bulk write (opening a round, the demo) and
    by `manage.py refresh_level_tallies`. The results of a subtree read one row per cell here
    instead of every member's rating (`figures.member_levels`)."""

    period = models.ForeignKey(RatingPeriod, on_delete=models.CASCADE, related_name="+")
    cell = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", db_index=False)
    excellent = models.PositiveIntegerField(default=0)
    good = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    undecided = models.PositiveIntegerField(default=0)
    exempted = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["period", "cell"], name="leveltally_once")]

    def __str__(self):
        return f"{self.period_id} · {self.cell_id}"


def move_in_tally(before: tuple | None, after: tuple | None) -> None:
    """One rating leaves the bucket `before` and enters `after` (each (period, cell, bucket) or None)."""
    if before is not None:
        period_id, cell_id, bucket = before
        LevelTally.objects.filter(period_id=period_id, cell_id=cell_id).update(**{bucket: models.F(bucket) - 1})
    if after is not None:
        period_id, cell_id, bucket = after
        rows = LevelTally.objects.filter(period_id=period_id, cell_id=cell_id)
        if not rows.update(**{bucket: models.F(bucket) + 1}):
            LevelTally.objects.create(period_id=period_id, cell_id=cell_id, **{bucket: 1})


def _counts():
    from django.db.models import Count, Q

    counts = {level: Count("pk", filter=Q(exempted=False, decided_level=level)) for level in TALLY_BUCKETS[:4]}
    counts["undecided"] = Count("pk", filter=Q(exempted=False, decided_level=""))
    counts["exempted"] = Count("pk", filter=Q(exempted=True))
    return counts


def recount_cell(period_id: int, cell_id: int) -> None:
    counts = MemberRating.unscoped.filter(period_id=period_id, cell_id=cell_id).aggregate(**_counts())
    LevelTally.objects.update_or_create(period_id=period_id, cell_id=cell_id, defaults=counts)


def refresh_level_tallies(periods=None) -> int:
    """Recount the tallies of `periods` (all when None) from the ratings. Returns the rows written."""
    from django.db import transaction

    ratings = MemberRating.unscoped.all()
    tallies = LevelTally.objects.all()
    if periods is not None:
        ids = [getattr(p, "pk", p) for p in periods]
        ratings, tallies = ratings.filter(period_id__in=ids), tallies.filter(period_id__in=ids)
    rows = ratings.values("period_id", "cell_id").annotate(**_counts()).order_by()
    with transaction.atomic():
        tallies.delete()
        made = LevelTally.objects.bulk_create([LevelTally(**row) for row in rows], batch_size=2000)
    return len(made)


class UnitRating(models.Model):
    """An organisation's rating in a period: a grassroots organisation, a sub-committee or a cell."""

    period = models.ForeignKey(RatingPeriod, on_delete=models.PROTECT, related_name="unit_ratings")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="ratings")
    kind = models.CharField("loại tổ chức", max_length=32)  # the unit's kind when rated
    grassroots = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", db_index=False)
    self_level = models.CharField("tự xếp loại", max_length=16, choices=Level.choices, blank=True)
    self_score = models.PositiveSmallIntegerField("tự chấm điểm", null=True, blank=True)
    self_text = models.TextField("báo cáo tự kiểm điểm", blank=True)
    # A collective whose leader or a sub-unit was disciplined in the period cannot be excellent.
    disciplined = models.BooleanField("người đứng đầu hoặc tổ chức trực thuộc bị kỷ luật", default=False)
    # The task criteria of Quy định 366-QĐ/TW for a collective: its tasks as the responsible unit.
    tasks_on_time = models.PositiveSmallIntegerField("% nhiệm vụ đúng hạn", null=True, blank=True)
    tasks_beyond = models.PositiveSmallIntegerField("% nhiệm vụ vượt yêu cầu", null=True, blank=True)
    decided_level = models.CharField("kết quả xếp loại", max_length=16, choices=Level.choices, blank=True)
    decided_score = models.PositiveSmallIntegerField("điểm quyết định", null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "xếp loại tổ chức đảng"
        verbose_name_plural = "xếp loại tổ chức đảng"
        constraints = [models.UniqueConstraint(fields=["period", "unit"], name="unitrating_once_per_period")]

    def __str__(self):
        return f"{self.unit_id} · {self.period_id}: {self.decided_level or '—'}"


class DisciplineForm(models.TextChoices):
    """The forms of party discipline (Điều lệ Đảng, Điều 35–36). Expulsion of a member ends their
    membership and is recorded as a membership event (Khai trừ), not here."""

    REPRIMAND = "reprimand", "Khiển trách"
    WARNING = "warning", "Cảnh cáo"
    DISMISSAL = "dismissal", "Cách chức"
    DISSOLUTION = "dissolution", "Giải tán"


MEMBER_FORMS = (DisciplineForm.REPRIMAND, DisciplineForm.WARNING, DisciplineForm.DISMISSAL)
UNIT_FORMS = (DisciplineForm.REPRIMAND, DisciplineForm.WARNING, DisciplineForm.DISSOLUTION)


class Discipline(models.Model):
    """A disciplinary decision against a member or a party organisation. It caps the ratings of the
    periods it falls in: the member cannot be rated excellent, nor can the organisation itself, its
    direct superior (a sub-unit was disciplined), or the organisation the member headed (its leader
    was disciplined)."""

    member = models.ForeignKey(Member, null=True, blank=True, on_delete=models.PROTECT, related_name="disciplines")
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="disciplines")
    # For a member who headed an organisation (its secretary) when disciplined.
    leader_of = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    form = models.CharField("hình thức kỷ luật", max_length=16, choices=DisciplineForm.choices)
    decided_on = models.DateField("ngày quyết định")
    decision = models.CharField("số quyết định", max_length=64)
    body = models.CharField("cấp quyết định", max_length=255)
    reason = models.TextField("nội dung vi phạm", blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    # Personal data when it names a member: read through a scope only.
    unscoped = models.Manager()

    class Meta:
        verbose_name = "quyết định kỷ luật"
        verbose_name_plural = "quyết định kỷ luật"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(member__isnull=True, unit__isnull=False, leader_of__isnull=True)
                | models.Q(member__isnull=False, unit__isnull=True),
                name="discipline_member_or_unit",
            ),
        ]
        indexes = [models.Index(fields=["decided_on"], name="discipline_decided_on")]

    def __str__(self):
        return f"{self.get_form_display()} · {self.decision}"
