"""Periodic reports (DOMAIN §8): each unit reports to the committee above it on a schedule that
committee sets — monthly, quarterly, six-monthly, yearly, the situation of opinion — or when it
asks for an ad-hoc report with its own deadline and questions.

A `ReportType` is a template of sections: statistics blocks computed from the records as of the
period's end (`reports.statistics`) and narrative sections the unit writes. A `Schedule` says which
kinds of units below a committee report of a type, and by which day of the following month. A
`Report` is one unit's report of one period; the statistics are computed live while it is a draft
and frozen when it is sent, so the document says what was sent whatever is recorded later.

A sent report gets its number (số và ký hiệu, Hướng dẫn 36-HD/VPTW, II.1): "số của văn bản … được
ghi liên tục từ số 01 cho mỗi loại văn bản trong một nhiệm kỳ cấp ủy". The kind of document is the
party document category (its symbol: "BC" for every báo cáo), not our report types: monthly,
quarterly, opinion and ad-hoc reports share one sequence, numbered in the order they are issued
(sent, or completed at the top). A unit with no term recorded numbers within the calendar year, and
its report's page says so (`numbered_in_year`)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from dangbo.orgs.models import Term, Unit


class PeriodKind(models.TextChoices):
    MONTH = "month", "Tháng"
    QUARTER = "quarter", "Quý"
    HALF = "half", "Sáu tháng"
    YEAR = "year", "Năm"
    AD_HOC = "ad_hoc", "Đột xuất"


class ReportType(models.Model):
    code = models.SlugField("mã", max_length=32, unique=True)  # thang, quy, sau-thang, nam, tu-tuong, dot-xuat
    name = models.CharField("tên loại báo cáo", max_length=128)
    period_kind = models.CharField("kỳ báo cáo", max_length=16, choices=PeriodKind.choices)
    # The subject line under "BÁO CÁO"; {period} becomes "tháng 9 năm 2024", "quý III và 9 tháng năm 2024"…
    subject = models.CharField("trích yếu", max_length=255)
    symbol = models.CharField("ký hiệu loại văn bản", max_length=8, default="BC")
    order = models.PositiveSmallIntegerField("thứ tự", default=0)

    class Meta:
        verbose_name = "loại báo cáo"
        verbose_name_plural = "loại báo cáo"
        ordering = ["order", "pk"]

    def __str__(self):
        return self.name


class Block(models.TextChoices):
    """The statistics a section may show (computed by `reports.statistics`)."""

    ORGANISATION = "organisation", "Tổ chức đảng, đảng viên"
    ADMISSIONS = "admissions", "Phát triển đảng viên"
    MEETINGS = "meetings", "Sinh hoạt chi bộ"
    RATINGS = "ratings", "Đánh giá, xếp loại chất lượng"
    TARGETS = "targets", "Chỉ tiêu Nghị quyết Đại hội"
    TASKS = "tasks", "Thực hiện nhiệm vụ"
    SUBMISSIONS = "submissions", "Báo cáo của cấp dưới"


class SectionSpec(models.Model):
    """One section of a report type, in order: statistics when `block` is set, else text the unit
    writes (`drafted`: the text a committee's report starts from is drafted from its figures)."""

    report_type = models.ForeignKey(ReportType, on_delete=models.CASCADE, related_name="sections")
    order = models.PositiveSmallIntegerField("thứ tự")
    key = models.SlugField("mã", max_length=32)
    title = models.CharField("tiêu đề", max_length=255)
    block = models.CharField("số liệu", max_length=16, choices=Block.choices, blank=True)
    drafted = models.BooleanField("soạn sẵn từ số liệu", default=False)
    hint = models.CharField("gợi ý nội dung", max_length=255, blank=True)

    class Meta:
        verbose_name = "mục của báo cáo"
        verbose_name_plural = "các mục của báo cáo"
        ordering = ["report_type", "order"]
        constraints = [models.UniqueConstraint(fields=["report_type", "key"], name="sectionspec_unique_key")]

    def __str__(self):
        return self.title

    @property
    def is_text(self) -> bool:
        return not self.block


class Schedule(models.Model):
    """Which units below `superior` report of a type, and the day of the month after the period by
    which the report is due."""

    superior = models.ForeignKey(Unit, verbose_name="cấp ủy nhận báo cáo", on_delete=models.PROTECT,
                                 related_name="report_schedules")  # fmt: skip
    report_type = models.ForeignKey(ReportType, verbose_name="loại báo cáo", on_delete=models.PROTECT)
    reporter_kinds = models.JSONField("loại tổ chức báo cáo", default=list)  # UnitKind values, direct sub-units
    due_day = models.PositiveSmallIntegerField("hạn nộp: ngày … của tháng sau kỳ báo cáo", default=5)
    active = models.BooleanField("đang áp dụng", default=True)

    class Meta:
        verbose_name = "lịch báo cáo"
        verbose_name_plural = "lịch báo cáo"
        constraints = [
            models.UniqueConstraint(fields=["superior", "report_type"], name="schedule_unique_type"),
            models.CheckConstraint(condition=models.Q(due_day__gte=1, due_day__lte=28), name="schedule_due_day"),
        ]

    def __str__(self):
        return f"{self.report_type} — ngày {self.due_day}"


class AdHocRequest(models.Model):
    """A committee's request for an ad-hoc report from the units below it: its own deadline and
    questions (one narrative section each)."""

    superior = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="report_requests")
    title = models.CharField("nội dung yêu cầu báo cáo", max_length=255)
    questions = models.JSONField("câu hỏi", default=list)
    reporter_kinds = models.JSONField("loại tổ chức báo cáo", default=list)
    starts_on = models.DateField("số liệu từ ngày")
    ends_on = models.DateField("số liệu đến ngày")
    due_on = models.DateField("hạn nộp")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "yêu cầu báo cáo đột xuất"
        verbose_name_plural = "yêu cầu báo cáo đột xuất"

    def __str__(self):
        return self.title


class Letterhead(models.Model):
    """How a unit's documents are headed and signed (Hướng dẫn 36-HD/VPTW). A unit without one
    gets defaults from its name and place in the tree (`documents.letterhead_of`)."""

    unit = models.OneToOneField(Unit, on_delete=models.CASCADE, related_name="letterhead")
    # Left blank, the names come from the tree on the document's date.
    superior_name = models.CharField("tên đảng bộ cấp trên (dòng trên)", max_length=255, blank=True)
    issuer_name = models.CharField("tên cơ quan ban hành (dòng dưới)", max_length=255, blank=True)
    symbol = models.CharField("chữ viết tắt tên cơ quan ban hành", max_length=16, blank=True)  # ĐUK in 15-BC/ĐUK
    place = models.CharField("địa danh", max_length=64, blank=True)
    authority = models.CharField("thẩm quyền ký", max_length=64, blank=True)
    signer_title = models.CharField("chức vụ người ký", max_length=64, blank=True)
    signer_name = models.CharField("họ tên người ký", max_length=128, blank=True)
    recipients = models.TextField("nơi nhận (mỗi dòng một nơi)", blank=True)

    class Meta:
        verbose_name = "thể thức văn bản của đơn vị"
        verbose_name_plural = "thể thức văn bản của đơn vị"

    def __str__(self):
        return self.issuer_name


class Status(models.TextChoices):
    DRAFT = "draft", "Đang soạn"
    SUBMITTED = "submitted", "Đã gửi, chờ tiếp nhận"
    RETURNED = "returned", "Bị trả lại"
    ACCEPTED = "accepted", "Đã tiếp nhận"
    FINAL = "final", "Đã hoàn thành"  # a report of the top of the tree, to a body outside it


SENT = (Status.SUBMITTED, Status.ACCEPTED)


class Report(models.Model):
    report_type = models.ForeignKey(ReportType, verbose_name="loại báo cáo", on_delete=models.PROTECT)
    unit = models.ForeignKey(Unit, verbose_name="đơn vị báo cáo", on_delete=models.PROTECT, related_name="reports")
    # The committee it goes to within the tree; none for the top, whose reports go outside it.
    to_unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="reports_received")
    request = models.ForeignKey(AdHocRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="reports")
    period = models.CharField("kỳ", max_length=16)  # 2024-09, 2024-Q3, 2024-H1, 2024, or dx<request id>
    starts_on = models.DateField("từ ngày")
    ends_on = models.DateField("đến ngày")
    due_on = models.DateField("hạn nộp", null=True, blank=True)
    status = models.CharField("trạng thái", max_length=16, choices=Status.choices, default=Status.DRAFT)
    texts = models.JSONField("nội dung", default=dict)  # {section key: text}
    statistics = models.JSONField("số liệu đã chốt", null=True, blank=True)  # frozen when sent
    # The number-symbol, given when the report is first sent (or completed, at the top).
    number = models.PositiveIntegerField("số", null=True, blank=True)
    symbol = models.CharField(max_length=8, blank=True)
    issuer_symbol = models.CharField(max_length=16, blank=True)
    term = models.ForeignKey(Term, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    issued_on = models.DateField("ngày ban hành", null=True, blank=True)
    first_sent_at = models.DateTimeField("gửi lần đầu", null=True, blank=True)
    sent_at = models.DateTimeField("gửi lần cuối", null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")  # fmt: skip
    comment = models.TextField("ý kiến khi trả lại", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "báo cáo"
        verbose_name_plural = "báo cáo"
        constraints = [
            models.UniqueConstraint(fields=["report_type", "unit", "period"], name="report_unique_period"),
        ]
        indexes = [
            models.Index(fields=["to_unit", "report_type", "period"], name="report_received"),
            models.Index(fields=["unit", "symbol", "term", "number"], name="report_numbering"),
        ]

    def __str__(self):
        return f"{self.report_type} {self.period}"

    @property
    def number_symbol(self) -> str:
        """ "Số 15-BC/ĐUK" once numbered (the drafts' documents leave the number blank)."""
        return f"Số {self.number:02d}-{self.symbol}/{self.issuer_symbol}" if self.number else ""

    @property
    def numbered_in_year(self) -> int | None:
        """The calendar year a numbered report's number runs in when its unit has no term recorded
        (Hướng dẫn 36 numbers within a committee's term; without one the count restarts each year,
        which the report's page says); None when numbered within a term or not numbered yet."""
        return self.issued_on.year if self.number and self.term_id is None and self.issued_on else None

    @property
    def is_sent(self) -> bool:
        return self.status in SENT

    @property
    def period_name(self) -> str:
        """The period as users name it ("Tháng 10/2026", "Quý III/2026"…); an ad-hoc report is
        named by its request's title, never by its key ("dx12"). Select `request` with the report."""
        if self.request_id:
            return self.request.title
        from .periods import parse  # periods reads this module's PeriodKind

        period = parse(self.report_type.period_kind, self.period)
        return period.name if period else self.period


class Step(models.Model):
    """The visible history of a report: created, sent, returned (with the comment), accepted,
    completed. Every step is also in the audit log, with the report's state before and after."""

    class Kind(models.TextChoices):
        CREATED = "created", "Lập báo cáo"
        SENT = "sent", "Gửi báo cáo"
        RETURNED = "returned", "Trả lại"
        ACCEPTED = "accepted", "Tiếp nhận"
        FINAL = "final", "Hoàn thành, ban hành"

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="steps")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField()
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.at:%d/%m/%Y}"


class Reminder(models.Model):
    """A reminder sent to a unit about one report of one period: claimed by inserting this row, so
    a second run of the daily command sends nothing more."""

    report_type = models.ForeignKey(ReportType, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    period = models.CharField(max_length=16)
    kind = models.CharField(max_length=16)  # due_soon, overdue
    sent_on = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["report_type", "unit", "period", "kind"], name="report_reminder_once"),
        ]

    def __str__(self):
        return f"{self.kind} {self.period}"
