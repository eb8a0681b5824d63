"""Every change to a report, one function each, atomic and audited: open a report (pre-filled),
save its text, send it (its statistics frozen, its number given the first time), return it with a
comment, accept it, complete the top committee's own report, draft it again from the figures.

The rules: a unit reports of a type and period when the committee above it asks for it (its
schedule names the unit's kind, or an ad-hoc request does); the top of the tree, which reports
outside it, writes its own. A report is edited by its unit while it is a draft or returned;
accepted or returned by the committee it was sent to."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from dangbo.audit.log import audited, nothing_changed, record, snapshot
from dangbo.lib import vn
from dangbo.orgs.models import Term, Unit, UnitVersion

from . import narrative, periods
from .board import terms_of
from .letterheads import letterhead_of
from .models import SENT, AdHocRequest, PeriodKind, Report, ReportType, SectionSpec, Status, Step
from .statistics import Statistics, compute

EDITABLE = (Status.DRAFT, Status.RETURNED)
TITLE_LENGTH = AdHocRequest._meta.get_field("title").max_length


def normalize_text(text: str) -> str:
    """NFC, each line with single spaces, no blank lines at the ends: a text keeps its paragraphs."""
    lines = [vn.normalize(line) for line in (text or "").splitlines()]
    return "\n".join(lines).strip()


def sections_of(report: Report) -> list[SectionSpec]:
    """The type's sections; an ad-hoc report's questions come first, one text section each."""
    sections = list(report.report_type.sections.all())
    if report.request_id:
        asked = [SectionSpec(order=i, key=f"q{i}", title=q) for i, q in enumerate(report.request.questions, 1)]
        sections = asked + [s for s in sections if s.block]
    return sections


def statistics_of(report: Report, today: datetime.date | None = None) -> Statistics:
    """Frozen once sent; computed from the records, as of the period's end, while a draft (who has
    reported to the unit: as of `today`)."""
    if report.statistics is not None:
        return Statistics.from_json(report.statistics)
    root = UnitVersion.objects.on(report.ends_on).filter(unit_id=report.unit_id).first()
    if root is None:
        return Statistics()
    return compute(root, report, [s.block for s in sections_of(report) if s.block], today or timezone.localdate())


def frozen_on(report: Report) -> datetime.date | None:
    """The day a sent (or completed) report's figures were frozen, the day it was last sent; None
    while they are computed live."""
    if report.statistics is None or report.sent_at is None:
        return None
    return timezone.localtime(report.sent_at).date()


def received(report: Report):
    """The reports of the same type and period sent to the report's unit and not returned, by unit name."""
    return received_and_later(report, frozen=False)[0]


def received_and_later(report: Report, frozen: bool = True):
    """([(unit name, report)] received, [those sent after the figures were frozen]), by unit name.

    While the figures are live (or `frozen` is False), the reports sent and not returned. Once frozen,
    the list shows the moment the figures show: the reports first sent by the day of freezing, as the
    submissions block counted them (`board.board_counts`: a report counts from the day it is first sent,
    whatever became of it since); those sent later are apart, so "5 not sent" never stands above 60
    received. Two queries."""
    rows = list(Report.objects.filter(to_unit_id=report.unit_id, report_type_id=report.report_type_id,
                                      period=report.period, first_sent_at__isnull=False))  # fmt: skip
    names = dict(UnitVersion.objects.on(report.ends_on).filter(unit_id__in=[r.unit_id for r in rows])
                 .values_list("unit_id", "name"))  # fmt: skip

    def named(reports):
        return sorted(((names.get(r.unit_id, str(r.unit_id)), r) for r in reports),
                      key=lambda x: vn.text_sort_key(x[0]))  # fmt: skip

    day = frozen_on(report) if frozen else None
    if day is None:
        return named(r for r in rows if r.status in SENT), []
    by_then = [r for r in rows if timezone.localtime(r.first_sent_at).date() <= day]
    later = [r for r in rows if r.status in SENT and timezone.localtime(r.first_sent_at).date() > day]
    return named(by_then), named(later)


def gathered(reports: list[tuple[str, Report]]) -> dict[str, list[tuple[str, str]]]:
    """{section key: [(unit name, text)]} of the reports received (`received`), for a committee's own."""
    by_key = {}
    for name, other in reports:
        for key, text in other.texts.items():
            if text.strip():
                by_key.setdefault(key, []).append((name, text.strip()))
    return by_key


def drafted_texts(report: Report, statistics: Statistics) -> dict[str, str]:
    """The text a report starts from: the drafted section written from the figures, the other
    sections gathered from the reports received (each unit's words after its name)."""
    version = UnitVersion.objects.on(report.ends_on).filter(unit_id=report.unit_id).first()
    period = periods.parse(report.report_type.period_kind, report.period)
    phrase = period.phrase if period else f"kỳ báo cáo đến ngày {vn.format_date(report.ends_on)}"
    gathered_texts = gathered(received(report))
    texts = {}
    for section in sections_of(report):
        if section.block:
            continue
        if section.drafted and version is not None:  # from the figures; the units' words are shown beside
            texts[section.key] = narrative.draft(version.name, version.kind, phrase, statistics.facts)
        else:
            texts[section.key] = "\n".join(f"- {name}: {words}" for name, words in gathered_texts.get(section.key, []))
    return texts


def place_of(unit_id: int, report_type: ReportType, period_key: str, request: AdHocRequest | None = None):
    """(period start, end, committee it goes to, due day) of a unit's report; ValidationError when
    nobody asks the unit for it."""
    if request is not None:
        start, end = request.starts_on, request.ends_on
    else:
        period = periods.parse(report_type.period_kind, period_key)
        if period is None:
            raise ValidationError(f"Kỳ báo cáo “{period_key}” không hợp lệ.")
        start, end = period.starts_on, period.ends_on
    version = UnitVersion.objects.on(end).filter(unit_id=unit_id).first()
    if version is None:
        raise ValidationError("Đơn vị không tồn tại vào cuối kỳ báo cáo.")
    if version.parent_id is None:
        if request is not None:
            raise ValidationError("Yêu cầu báo cáo đột xuất này không gửi tới đơn vị.")
        return start, end, None, None
    terms = terms_of(version.parent_id, report_type, period_key, request)
    if request is not None and request.superior_id != version.parent_id:
        terms = None
    if terms is None or version.kind not in terms[0]:
        raise ValidationError("Cấp trên không yêu cầu đơn vị báo cáo loại này.")
    return start, end, version.parent_id, terms[1]


@transaction.atomic
@audited
def open_report(user, unit_id: int, report_type: ReportType, period_key: str, request: AdHocRequest | None = None,
                today: datetime.date | None = None, now=None) -> Report:  # fmt: skip
    """The unit's report of the period: the one already opened, or a new draft pre-filled as of
    `today` (default: the day of `now`, default now)."""
    now = now or _moment(today)
    today = today or timezone.localtime(now).date()
    if request is not None:
        period_key = f"dx{request.pk}"
    else:  # the key as the period writes it (2024-q3 is 2024-Q3)
        period = periods.parse(report_type.period_kind, period_key)
        period_key = period.key if period else period_key
    existing = Report.objects.filter(report_type=report_type, unit_id=unit_id, period=period_key).first()
    if existing is not None:
        nothing_changed()
        return existing
    start, end, to_unit, due_on = place_of(unit_id, report_type, period_key, request)
    if start > today:
        raise ValidationError("Kỳ báo cáo chưa bắt đầu.")
    report = Report(report_type=report_type, unit_id=unit_id, to_unit_id=to_unit, request=request, period=period_key,
                    starts_on=start, ends_on=end, due_on=due_on, created_by=_actor(user))  # fmt: skip
    report.texts = drafted_texts(report, statistics_of(report, today))
    try:
        with transaction.atomic():
            report.save()
    except IntegrityError:
        # Opened meanwhile by another request (PostgreSQL made this insert wait for it): that one it is.
        existing = Report.objects.filter(report_type=report_type, unit_id=unit_id, period=period_key).first()
        if existing is None:
            raise
        nothing_changed()
        return existing
    _step(report, Step.Kind.CREATED, user, at=now)
    record(user, "report_open", report, None, snapshot(report))
    return report


def _moment(day: datetime.date | None):
    """Now; or, for a day other than today, that day's morning (a history written afterwards)."""
    if day is None or day == timezone.localdate():
        return timezone.now()
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(8)))


def _actor(user):
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def _step(report: Report, kind: str, user, comment: str = "", at=None) -> None:
    Step.objects.create(report=report, kind=kind, by=_actor(user), at=at or timezone.now(), comment=comment)


def _locked(report: Report) -> Report:
    # Only the report's own row: PostgreSQL does not lock the nullable side of an outer join.
    return Report.objects.select_for_update(of=("self",)).select_related("report_type", "request").get(pk=report.pk)


@transaction.atomic
@audited
def save_texts(user, report: Report, texts: dict[str, str]) -> Report:
    report = _locked(report)
    if report.status not in EDITABLE:
        raise ValidationError("Báo cáo đã gửi hoặc đã hoàn thành, không sửa được nữa.")
    before = snapshot(report)
    keys = {s.key for s in sections_of(report) if not s.block}
    report.texts = {key: normalize_text(texts.get(key, "")) for key in keys}
    report.save(update_fields=["texts", "updated_at"])
    record(user, "report_save", report, before, snapshot(report))
    return report


@transaction.atomic
@audited
def redraft(user, report: Report) -> Report:
    """Write the text again from today's figures and the reports received (what was typed is lost)."""
    report = _locked(report)
    if report.status not in EDITABLE:
        raise ValidationError("Báo cáo đã gửi hoặc đã hoàn thành, không soạn lại được.")
    before = snapshot(report)
    report.texts = drafted_texts(report, statistics_of(report))
    report.save(update_fields=["texts", "updated_at"])
    record(user, "report_redraft", report, before, snapshot(report))
    return report


def term_on(unit_id: int, day: datetime.date) -> Term | None:
    from dangbo.targets.progress import term_end

    for term in Term.objects.filter(committee_id=unit_id, starts_on__lte=day).order_by("-starts_on"):
        return term if term_end(term) > day else None
    return None


def _number(report: Report, day: datetime.date) -> None:
    """The next number of the unit's documents of this kind within its term on `day` (within the
    year when no term is recorded). The unit's row is locked while the number is taken.

    Hướng dẫn 36-HD/VPTW (2018), II.1: a committee's documents are numbered "liên tục từ số 01 cho mỗi
    loại văn bản trong một nhiệm kỳ cấp ủy". The kind is the document category (the symbol, BC for all
    reports), so every report type draws from one sequence; and the number is taken here, when the
    report is issued, so the sequence follows the order of issue."""
    Unit.objects.select_for_update().filter(pk=report.unit_id).first()
    heading = letterhead_of(report.unit_id, day)
    term = term_on(report.unit_id, day)
    same = Report.objects.filter(unit_id=report.unit_id, symbol=report.report_type.symbol, number__isnull=False)
    same = same.filter(term=term) if term else same.filter(term__isnull=True, issued_on__year=day.year)
    last = max(same.values_list("number", flat=True), default=0)
    report.number, report.symbol, report.issuer_symbol = last + 1, report.report_type.symbol, heading.symbol
    report.term, report.issued_on = term, day


def _freeze(report: Report, now) -> None:
    report.statistics = None
    report.statistics = statistics_of(report, timezone.localtime(now).date()).as_json()


def _issue(user, report: Report, now, status: str, step: str, action: str) -> Report:
    """Sent or completed: the figures frozen as of `now`, the number given the first time, the
    first date kept (timeliness is judged by it)."""
    before = snapshot(report)
    _freeze(report, now)
    if report.number is None:
        _number(report, timezone.localtime(now).date())
    report.status, report.sent_at, report.comment = status, now, ""
    report.first_sent_at = report.first_sent_at or now
    report.save()
    _step(report, step, user, at=now)
    record(user, action, report, before, snapshot(report))
    return report


@transaction.atomic
@audited
def send(user, report: Report, now=None) -> Report:
    """Send a draft, or a returned report again, to the committee above."""
    now = now or timezone.now()
    report = _locked(report)
    if report.to_unit_id is None:
        raise ValidationError("Báo cáo của cấp cao nhất được hoàn thành, không gửi lên cấp trên trong hệ thống.")
    if report.status not in EDITABLE:
        raise ValidationError("Báo cáo đã được gửi.")
    return _issue(user, report, now, Status.SUBMITTED, Step.Kind.SENT, "report_send")


@transaction.atomic
@audited
def complete(user, report: Report, now=None) -> Report:
    """The top committee's own report, finished."""
    now = now or timezone.now()
    report = _locked(report)
    if report.to_unit_id is not None:
        raise ValidationError("Báo cáo này được gửi lên cấp trên, không hoàn thành tại đơn vị.")
    if report.status != Status.DRAFT:
        raise ValidationError("Báo cáo đã hoàn thành.")
    return _issue(user, report, now, Status.FINAL, Step.Kind.FINAL, "report_complete")


@transaction.atomic
@audited
def decide(user, report: Report, accept: bool, comment: str = "", now=None) -> Report:
    """The committee a report was sent to accepts it, or returns it with a comment saying why."""
    now = now or timezone.now()
    report = _locked(report)
    if report.status != Status.SUBMITTED:
        raise ValidationError("Chỉ tiếp nhận hoặc trả lại báo cáo đang chờ tiếp nhận.")
    comment = vn.normalize(comment).strip()
    if not accept and not comment:
        raise ValidationError("Hãy ghi rõ lý do trả lại báo cáo.")
    before = snapshot(report)
    report.status = Status.ACCEPTED if accept else Status.RETURNED
    report.comment = "" if accept else comment
    report.decided_at, report.decided_by = now, _actor(user)
    report.save()
    _step(report, Step.Kind.ACCEPTED if accept else Step.Kind.RETURNED, user, comment, at=now)
    record(user, "report_accept" if accept else "report_return", report, before, snapshot(report))
    return report


@transaction.atomic
@audited
def request_reports(user, superior_id: int, title: str, questions: list[str], kinds: list[str],
                    starts_on: datetime.date, ends_on: datetime.date, due_on: datetime.date):  # fmt: skip
    """An ad-hoc request to the units below: its questions, its period and its deadline."""
    questions = [vn.normalize(q).strip() for q in questions if q.strip()]
    errors = {}
    if not vn.normalize(title).strip():
        errors["title"] = "Hãy nhập nội dung yêu cầu báo cáo."
    elif len(vn.normalize(title)) > TITLE_LENGTH:
        errors["title"] = f"Nội dung yêu cầu báo cáo dài quá {TITLE_LENGTH} ký tự; hãy viết gọn lại."
    if not questions:
        errors["questions"] = "Hãy nhập ít nhất một câu hỏi (mỗi dòng một câu)."
    if not kinds:
        errors["kinds"] = "Hãy chọn loại tổ chức phải báo cáo."
    if ends_on < starts_on:
        errors["ends_on"] = "Ngày kết thúc phải sau ngày bắt đầu."
    if due_on < ends_on:
        errors["due_on"] = "Hạn nộp không được trước ngày kết thúc kỳ số liệu."
    if errors:
        raise ValidationError(errors)
    request = AdHocRequest.objects.create(superior_id=superior_id, title=vn.normalize(title).strip(),
                                          questions=questions, reporter_kinds=kinds, starts_on=starts_on,
                                          ends_on=ends_on, due_on=due_on, created_by=_actor(user))  # fmt: skip
    record(user, "report_request", request, None, snapshot(request))
    return request


def ad_hoc_type() -> ReportType:
    return ReportType.objects.get(period_kind=PeriodKind.AD_HOC)
