"""Party members and where they hold party activity over time.

Member records are confidential personal data: the models have no plain `.objects`. A query either
says `unscoped` (actions, the demo builder, the back office) or starts from a unit or member that
`accounts.scope` handed out (the views).
"""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

from dangbo.lib import vn
from dangbo.lib.dates import valid_on
from dangbo.lib.uploads import random_name
from dangbo.orgs.models import Unit


class Sex(models.TextChoices):
    MALE = "M", "Nam"
    FEMALE = "F", "Nữ"


class TheoryLevel(models.TextChoices):
    NONE = "none", "Chưa qua đào tạo"
    ELEMENTARY = "so_cap", "Sơ cấp"
    INTERMEDIATE = "trung_cap", "Trung cấp"
    ADVANCED = "cao_cap", "Cao cấp"
    BACHELOR = "cu_nhan", "Cử nhân"


class MemberStatus(models.TextChoices):
    PROBATIONARY = "probationary", "Dự bị"
    OFFICIAL = "official", "Chính thức"


class StintKind(models.TextChoices):
    OFFICIAL = "official", "Sinh hoạt chính thức"
    TEMPORARY = "temporary", "Sinh hoạt tạm thời"


class Member(models.Model):
    # Fields follow the member sheet (Phiếu đảng viên, mẫu 2-HSĐV).
    family_name = models.CharField("họ", max_length=64)
    middle_name = models.CharField("tên đệm", max_length=64, blank=True)
    given_name = models.CharField("tên", max_length=64)
    other_name = models.CharField("tên gọi khác", max_length=128, blank=True)
    sex = models.CharField("giới tính", max_length=1, choices=Sex.choices)
    birth_date = models.DateField("ngày sinh")
    ethnicity = models.CharField("dân tộc", max_length=64, default="Kinh")
    religion = models.CharField("tôn giáo", max_length=64, default="Không")
    home_town = models.CharField("quê quán", max_length=255, blank=True)
    residence = models.CharField("nơi cư trú", max_length=255, blank=True)
    citizen_id = models.CharField(
        "số CCCD",
        max_length=12,
        unique=True,
        null=True,
        blank=True,
        validators=[RegexValidator(r"^[0-9]{12}$", "Số căn cước công dân gồm đúng 12 chữ số.")],
        error_messages={"unique": "Số căn cước công dân này đã có trong hồ sơ một đảng viên khác."},
    )
    education = models.CharField("giáo dục phổ thông", max_length=16, default="12/12")
    qualification = models.CharField("chuyên môn, nghiệp vụ", max_length=128, blank=True)
    theory_level = models.CharField(
        "lý luận chính trị", max_length=16, choices=TheoryLevel.choices, default=TheoryLevel.NONE
    )
    foreign_language = models.CharField("ngoại ngữ", max_length=64, blank=True)
    occupation = models.CharField("nghề nghiệp", max_length=128, blank=True)
    workplace = models.CharField("nơi làm việc", max_length=255, blank=True)
    party_position = models.CharField("chức vụ Đảng", max_length=128, blank=True)
    government_position = models.CharField("chức vụ chính quyền", max_length=128, blank=True)
    union_position = models.CharField("chức vụ đoàn thể", max_length=128, blank=True)
    admitted_on = models.DateField("ngày vào Đảng")
    official_on = models.DateField("ngày chính thức", null=True, blank=True)
    # The card held now: 8 digits on the old cards, 12 on the chip cards issued since 2025 (Chỉ thị
    # 51-CT/TW); the number before a renewal is kept in `old_card_number`.
    card_number = models.CharField("số thẻ đảng viên", max_length=16, blank=True, db_index=True)
    old_card_number = models.CharField("số thẻ cũ", max_length=16, blank=True)
    background_number = models.CharField("số lý lịch", max_length=16, blank=True)
    badge = models.CharField("huy hiệu Đảng", max_length=64, blank=True)
    # Derived from the name on every save: folded for diacritic-free search, and the sort key.
    search_name = models.CharField(max_length=255, editable=False, db_index=True)
    sort_key = models.CharField(max_length=255, editable=False, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The data quality checks the record failed when last written (a bit per check, see
    # members.quality): the quality page reads the flagged members only.
    quality_flags = models.PositiveIntegerField(default=0, editable=False)

    unscoped = models.Manager()

    class Meta:
        verbose_name = "đảng viên"
        verbose_name_plural = "đảng viên"
        indexes = [
            # Possible duplicates (the data quality page): the same folded name and birth date.
            models.Index(fields=["search_name", "birth_date"], name="member_name_birth"),
            models.Index(fields=["quality_flags"], condition=models.Q(quality_flags__gt=0), name="member_flagged"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(official_on__isnull=True) | models.Q(official_on__gt=models.F("admitted_on")),
                name="member_official_after_admission",
                violation_error_message="Ngày chính thức phải sau ngày vào Đảng.",
            ),
        ]

    def __str__(self):
        return self.full_name

    def save(self, *args, **kwargs):
        from .quality import refresh_flags_of

        self.refresh_derived()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_name", "sort_key"}
        super().save(*args, **kwargs)
        # Its quality flags, and those of the namesakes it joins or leaves (possible duplicates).
        refresh_flags_of({self.search_name, getattr(self, "_stored_name", None)})
        self._stored_name = self.search_name

    @classmethod
    def from_db(cls, db, field_names, values):
        member = super().from_db(db, field_names, values)
        member._stored_name = member.__dict__.get("search_name")
        return member

    @property
    def full_name(self) -> str:
        return vn.full_name(self.family_name, self.middle_name, self.given_name)

    def refresh_derived(self) -> None:
        """Normalise the name and recompute the search and sort columns (bulk inserts call this)."""
        for field in ("family_name", "middle_name", "given_name", "other_name"):
            setattr(self, field, vn.normalize(getattr(self, field)))
        self.search_name = vn.fold(self.full_name)
        self.sort_key = vn.name_sort_key(self.family_name, self.middle_name, self.given_name)


PROBATION_COLUMNS = ("start", "end", "ceremony_on", "decided_on", "unit_id", "member_id")


class StintQuerySet(models.QuerySet):
    def open_on(self, on: datetime.date):
        return self.filter(valid_on(on, start="start", end="end"))

    def official(self):
        return self.filter(kind=StintKind.OFFICIAL)


class Stint(models.Model):
    """A period [start, end) in which a member holds party activity in one unit, with one status.

    Stints are derived from membership events (admission, recognition, transfer, leaving); the
    status is on the stint so that every count "as of a date" reads this one table. A member has
    at most one official stint on any day."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="stints")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="stints")
    kind = models.CharField("hình thức", max_length=16, choices=StintKind.choices, default=StintKind.OFFICIAL)
    status = models.CharField("trạng thái", max_length=16, choices=MemberStatus.choices)
    start = models.DateField("từ ngày")
    end = models.DateField("đến ngày (không kể)", null=True, blank=True)
    # On a probationary stint, the (re)admission decision and the ceremony of that probation, so
    # that the pipeline's deadlines on any day read the stints alone (figures.probations_on).
    decided_on = models.DateField("ngày quyết định kết nạp", null=True, blank=True)
    ceremony_on = models.DateField("ngày lễ kết nạp", null=True, blank=True)
    # Closed after more than LASTING_DAYS (set by `of`, the one way stints are made), so that the
    # few long closed probations can be found on any past day without reading every later one.
    lasting = models.BooleanField(default=False, editable=False)

    unscoped = StintQuerySet.as_manager()

    LASTING_DAYS = 450  # a probation: 12 months from a ceremony held within 30 working days


    class Meta:
        verbose_name = "quá trình sinh hoạt"
        verbose_name_plural = "quá trình sinh hoạt"
        indexes = [
            models.Index(fields=["unit", "start"]),
            models.Index(fields=["member", "start"]),
            # The probationary stints open on a day (figures.probations_on): few among all. Those
            # still open; those begun in the last LASTING_DAYS; and the few long closed ones. Each
            # index holds every column the query reads, so it never visits the table.
            models.Index(
                fields=[*PROBATION_COLUMNS],
                condition=models.Q(status="probationary", kind="official", end__isnull=True),
                name="stint_probation_unended",
            ),
            models.Index(
                fields=[*PROBATION_COLUMNS],
                condition=models.Q(status="probationary", kind="official", lasting=False),
                name="stint_probation",
            ),
            models.Index(
                fields=[*PROBATION_COLUMNS],
                condition=models.Q(status="probationary", kind="official", lasting=True),
                name="stint_probation_lasting",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__isnull=True) | models.Q(end__gt=models.F("start")),
                name="stint_ends_after_start",
                violation_error_message="Ngày kết thúc phải sau ngày bắt đầu.",
            ),
        ]

    def __str__(self):
        return f"{self.member_id} @ {self.unit_id} [{self.start}, {self.end})"

    @classmethod
    def of(cls, **fields) -> Stint:
        stint = cls(**fields)
        stint.lasting = stint.end is not None and (stint.end - stint.start).days > cls.LASTING_DAYS
        return stint


class EventKind(models.TextChoices):
    ADMISSION = "admission", "Kết nạp"
    RECOGNITION = "recognition", "Công nhận đảng viên chính thức"
    NON_RECOGNITION = "non_recognition", "Không công nhận đảng viên chính thức"
    TRANSFER_IN = "transfer_in", "Chuyển sinh hoạt chính thức đến"
    TRANSFER_OUT = "transfer_out", "Chuyển sinh hoạt chính thức đi"
    TRANSFER_WITHIN = "transfer_within", "Chuyển sinh hoạt chính thức trong Đảng bộ"
    TEMPORARY_AWAY = "temporary_away", "Chuyển sinh hoạt tạm thời đi"
    TEMPORARY_HOSTED = "temporary_hosted", "Sinh hoạt tạm thời tại đây"
    EXEMPTION = "exemption", "Miễn công tác và sinh hoạt đảng"
    DEATH = "death", "Từ trần"
    REMOVAL = "removal", "Xóa tên"
    EXPULSION = "expulsion", "Khai trừ"
    RESIGNATION = "resignation", "Xin ra khỏi Đảng"
    READMISSION = "readmission", "Kết nạp lại"
    RESTORATION = "restoration", "Phục hồi đảng tịch"


def scan_path(event: Event, filename: str) -> str:
    return random_name(f"events/{event.member_id}", filename)


class EventQuerySet(models.QuerySet):
    def active(self):
        return self.filter(cancelled_at__isnull=True)


class Event(models.Model):
    """A membership event: the only source of a member's stints and statuses (see `events.replay`).

    An event is never edited: a mistake is corrected by cancelling the member's latest event, with
    a reason, and recording it again. Cancelled events stay, out of the replay, for the record."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField("loại", max_length=24, choices=EventKind.choices)
    effective_on = models.DateField("ngày hiệu lực")
    # The cell the member comes into (admission, transfer in or within, hosting, restoration) and
    # the cell they leave (transfers out and within): both inside our tree.
    unit = models.ForeignKey(Unit, verbose_name="đến chi bộ", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")  # fmt: skip
    from_unit = models.ForeignKey(Unit, verbose_name="từ chi bộ", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")  # fmt: skip
    # The other side when it is outside our tree: the receiving or sending committee.
    other_side = models.CharField("tổ chức đảng bên ngoài", max_length=255, blank=True)
    ends_on = models.DateField("đến ngày", null=True, blank=True)
    ceremony_on = models.DateField("ngày lễ kết nạp", null=True, blank=True)
    decision_number = models.CharField("số quyết định", max_length=64, blank=True)
    decided_on = models.DateField("ngày quyết định", null=True, blank=True)
    issuing_body = models.CharField("cơ quan ban hành", max_length=255, blank=True)
    note = models.TextField("ghi chú", blank=True)
    scan = models.FileField("bản chụp quyết định", upload_to=scan_path, blank=True, max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")  # fmt: skip
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")  # fmt: skip
    cancel_reason = models.TextField("lý do hủy", blank=True)

    unscoped = EventQuerySet.as_manager()

    class Meta:
        verbose_name = "sự kiện đảng tịch"
        verbose_name_plural = "sự kiện đảng tịch"
        indexes = [
            models.Index(fields=["member", "effective_on"]),
            # Admissions in a period (the targets) read from the index alone: kind, day, cancelled, cell.
            models.Index(fields=["kind", "effective_on", "cancelled_at", "unit"], name="event_kind_day"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {vn.format_date(self.effective_on)}"


class UnitTally(models.Model):
    """The figures of a unit's subtree (the unit included) over [valid_from, valid_to): derived from
    the stints and the tree by `tallies.refresh_tallies`, never edited. The columns are
    figures.MEASURES and tallies.UNIT_MEASURES."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="tallies")
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)
    total = models.PositiveIntegerField(default=0)
    official = models.PositiveIntegerField(default=0)
    probationary = models.PositiveIntegerField(default=0)
    male = models.PositiveIntegerField(default=0)
    female = models.PositiveIntegerField(default=0)
    age_18_30 = models.PositiveIntegerField(default=0)
    age_31_40 = models.PositiveIntegerField(default=0)
    age_41_50 = models.PositiveIntegerField(default=0)
    age_51_60 = models.PositiveIntegerField(default=0)
    age_61_70 = models.PositiveIntegerField(default=0)
    age_71_plus = models.PositiveIntegerField(default=0)
    theory_none = models.PositiveIntegerField(default=0)
    theory_so_cap = models.PositiveIntegerField(default=0)
    theory_trung_cap = models.PositiveIntegerField(default=0)
    theory_cao_cap = models.PositiveIntegerField(default=0)
    theory_cu_nhan = models.PositiveIntegerField(default=0)
    units_grassroots_committee = models.PositiveIntegerField(default=0)
    units_grassroots_cell = models.PositiveIntegerField(default=0)
    units_sub_committee = models.PositiveIntegerField(default=0)
    units_attached_cell = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["unit", "valid_from"])]

    def __str__(self):
        return f"{self.unit_id} [{self.valid_from}, {self.valid_to}): {self.total}"


class DatedAttribute(models.TextChoices):
    """The attributes of a member record that change over time and keep the date of each change: the
    theory level after a course (counted by the figures), and the positions."""

    THEORY_LEVEL = "theory_level", "Lý luận chính trị"
    PARTY_POSITION = "party_position", "Chức vụ Đảng"
    GOVERNMENT_POSITION = "government_position", "Chức vụ chính quyền"
    UNION_POSITION = "union_position", "Chức vụ đoàn thể"


class AttributeChange(models.Model):
    """A dated change of one of a member's `DatedAttribute`s: `previous` held until `effective_on`,
    `value` from then on. The member record holds the current value; a member without changes (an
    imported or admitted record) had it on every day. The value in force on a day is therefore the
    `previous` of the first change after that day, or the current value when there is none
    (`value_on`); a correction without a date changes only the current value, that is the value
    since the latest change. Changes of one attribute are recorded in date order, never edited."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="attribute_changes")
    attribute = models.CharField("thông tin", max_length=32, choices=DatedAttribute.choices)
    effective_on = models.DateField("có hiệu lực từ ngày")
    previous = models.CharField("giá trị trước", max_length=255, blank=True)
    value = models.CharField("giá trị mới", max_length=255, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")  # fmt: skip

    unscoped = models.Manager()

    class Meta:
        verbose_name = "thay đổi thông tin đảng viên"
        verbose_name_plural = "thay đổi thông tin đảng viên"
        indexes = [models.Index(fields=["member", "attribute", "effective_on"])]

    def __str__(self):
        return f"{self.member_id} {self.attribute} {self.previous!r} → {self.value!r} ({self.effective_on})"


def value_on(current: str, changes, day: datetime.date) -> str:
    """The value of an attribute on `day`: `changes` are its (effective_on, previous) in date order."""
    for effective_on, previous in changes:
        if effective_on > day:
            return previous
    return current


def records_on(members, day: datetime.date) -> None:
    """Set on each of `members` (records in memory, never saved) the dated attributes in force on
    `day`: one query for all of them, so a register of thousands costs the same as one record."""
    changes = defaultdict(list)
    for member_id, attribute, effective_on, previous in (
        AttributeChange.unscoped.filter(member_id__in=[m.pk for m in members], effective_on__gt=day)
        .order_by("effective_on", "pk")
        .values_list("member_id", "attribute", "effective_on", "previous")
    ):
        changes[member_id, attribute].append((effective_on, previous))
    for member in members:
        for attribute in DatedAttribute.values:
            if (member.pk, attribute) in changes:
                setattr(member, attribute, value_on(getattr(member, attribute), changes[member.pk, attribute], day))


def value_spans(current: str, changes) -> list[tuple[datetime.date | None, datetime.date | None, str]]:
    """[(from, to, value)] over all time (None: open) from the attribute's (effective_on, previous)
    changes in date order and its current value."""
    spans, start = [], None
    for effective_on, previous in changes:
        if start is None or effective_on > start:
            spans.append((start, effective_on, previous))
            start = effective_on
    spans.append((start, None, current))
    return spans
