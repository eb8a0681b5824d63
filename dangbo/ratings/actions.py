"""Writes to member ratings, one step of the workflow each: the self-assessment, the cell's
proposal, the grassroots committee's decision (a batch, checked as a whole), and reopening a
decided result with a reason. Each is atomic, checks its rules before writing, and is audited.
A decided result is locked: no step changes it until it is reopened."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from dangbo.audit.log import audited, nothing_changed, record, snapshot
from dangbo.members.events import replay
from dangbo.members.models import Event, Stint
from dangbo.orgs.models import PATH_WIDTH, UnitKind, UnitVersion

from .discipline import apply_discipline
from .figures import GRASSROOTS_KINDS, excellent_allowed
from .models import GOOD_OR_BETTER, Level, MemberRating, RatingPeriod, Scheme, UnitRating, refresh_level_tallies

LABEL = {level: Level(level).label.lower() for level in Level.values}


def level_for_score(period: RatingPeriod, score: int) -> str:
    """The level a score reaches under the period's thresholds (Quy định 366-QĐ/TW)."""
    if score >= period.excellent_min:
        return Level.EXCELLENT
    if score >= period.good_min:
        return Level.GOOD
    if score >= period.done_min:
        return Level.DONE
    return Level.FAILED


def check_level(period: RatingPeriod, rating: MemberRating, level: str, score: int | None) -> None:
    """The rules on one member's level, whatever the step: a known level; under a scored scheme a
    score from 0 to 100 that reaches that level; no excellent for a member disciplined in the
    period; and, once tasks are recorded, the task criteria of Quy định 366-QĐ/TW."""
    if level not in Level.values:
        raise ValidationError("Hãy chọn mức xếp loại.")
    name = _name(rating)
    if getattr(rating, "exempted", False):
        raise ValidationError(f"{name} được miễn sinh hoạt, không đánh giá, xếp loại trong kỳ này.")
    if score is not None and not 0 <= score <= 100:
        raise ValidationError(f"Điểm của {name} phải từ 0 đến 100 (thang điểm của Quy định 366-QĐ/TW).")
    if period.scheme == Scheme.SCORE:
        if score is None:
            raise ValidationError(f"Đợt đánh giá này chấm điểm theo Quy định 366-QĐ/TW: hãy nhập điểm của {name}.")
        reached = level_for_score(period, score)
        if reached != level:
            raise ValidationError(
                f"Điểm và mức xếp loại không khớp (Quy định 366-QĐ/TW): {name} được {score} điểm, tương ứng "
                f"mức “{LABEL[reached]}”, không phải “{LABEL[level]}”."
            )
    if level == Level.EXCELLENT and rating.disciplined:
        who = "có người đứng đầu hoặc tổ chức trực thuộc bị kỷ luật" if isinstance(rating, UnitRating) else "bị kỷ luật"
        raise ValidationError(f"{name} {who} trong kỳ đánh giá nên không được xếp loại “{LABEL[Level.EXCELLENT]}”.")
    if rating.tasks_on_time is not None and level in GOOD_OR_BETTER and rating.tasks_on_time < 100:
        raise ValidationError(
            f"Theo Quy định 366-QĐ/TW, mức “{LABEL[level]}” đòi hỏi 100% nhiệm vụ hoàn thành đúng hạn; "
            f"{name} đạt {rating.tasks_on_time}%."
        )
    if level == Level.EXCELLENT and rating.tasks_beyond is not None and rating.tasks_beyond < 30:
        raise ValidationError(
            f"Theo Quy định 366-QĐ/TW, mức “{LABEL[level]}” đòi hỏi ít nhất 30% nhiệm vụ vượt yêu cầu; "
            f"{name} đạt {rating.tasks_beyond}%."
        )
    if level == Level.DONE and rating.tasks_on_time is not None and rating.tasks_on_time < 80:
        raise ValidationError(
            f"Theo Quy định 366-QĐ/TW, mức “{LABEL[level]}” đòi hỏi số nhiệm vụ không bảo đảm tiến độ không quá 20%; "
            f"{name} có {100 - rating.tasks_on_time}% nhiệm vụ trễ hạn."
        )


def task_criteria(period: RatingPeriod, ratings: list) -> None:
    """Set on each rating (members' or organisations') the task figures of the period, as the task
    statistics read them today (`tasks.figures`): the whole percent of tasks done on time and of
    those beyond requirement; None for whom no task counted. Written with the decision, so a result
    keeps the figures it was checked against. One query for each kind of rating."""
    from dangbo.tasks.figures import head_completion, unit_completion, whole_percent

    day = timezone.localdate()
    members = [r for r in ratings if isinstance(r, MemberRating)]
    units = [r for r in ratings if isinstance(r, UnitRating)]
    figures = {}
    if members:
        figures[MemberRating] = head_completion({r.member_id for r in members}, period.starts_on, period.ends_on, day)
    if units:
        figures[UnitRating] = unit_completion({r.unit_id for r in units}, period.starts_on, period.ends_on, day)
    for rating in ratings:
        key = rating.member_id if isinstance(rating, MemberRating) else rating.unit_id
        completion = figures[type(rating)].get(key)
        rating.tasks_on_time = whole_percent(completion.on_time, completion.counted) if completion else None
        rating.tasks_beyond = whole_percent(completion.beyond, completion.counted) if completion else None


def _name(rating) -> str:
    if isinstance(rating, UnitRating):
        names = (
            UnitVersion.objects.filter(unit_id=rating.unit_id).order_by("-valid_from").values_list("name", flat=True)
        )
        return names.first() or "Tổ chức đảng"
    return rating.member.full_name


def _unlocked(rating) -> None:
    if rating.decided_level:
        raise ValidationError(
            f"Kết quả xếp loại của {_name(rating)} đã được quyết định; muốn sửa, cấp có thẩm quyền "
            "phải mở lại kết quả, nêu lý do."
        )


def _locked_rows(ids) -> list[MemberRating]:
    rows = MemberRating.unscoped.select_for_update(of=("self",)).filter(pk__in=ids)
    return list(rows.select_related("member", "period"))


@transaction.atomic
@audited
def self_assess(actor, rating: MemberRating, *, level: str, score: int | None = None, text: str = "") -> MemberRating:
    (rating,) = _locked_rows([rating.pk])
    return _save_self(actor, rating, level, score, text, "rating_self_assess")


def _save_self(actor, rating, level: str, score: int | None, text: str, action: str):
    """A self-assessment, a member's or an organisation's, on the locked row."""
    _unlocked(rating)
    task_criteria(rating.period, [rating])
    check_level(rating.period, rating, level, score)
    before = snapshot(rating)
    rating.self_level, rating.self_score, rating.self_text = level, score, (text or "").strip()
    rating.save(update_fields=["self_level", "self_score", "self_text", "tasks_on_time", "tasks_beyond"])
    record(actor, action, rating, before, snapshot(rating))
    return rating


@transaction.atomic
@audited
def propose(actor, rating: MemberRating, *, level: str, score: int | None = None) -> MemberRating:
    """The cell's proposal, after the member's self-assessment."""
    (rating,) = _locked_rows([rating.pk])
    _unlocked(rating)
    if not rating.self_level:
        raise ValidationError(f"{rating.member.full_name} chưa tự đánh giá, xếp loại; chi bộ chưa thể đề xuất.")
    task_criteria(rating.period, [rating])
    check_level(rating.period, rating, level, score)
    before = snapshot(rating)
    rating.proposed_level, rating.proposed_score = level, score
    rating.save(update_fields=["proposed_level", "proposed_score", "tasks_on_time", "tasks_beyond"])
    record(actor, "rating_propose", rating, before, snapshot(rating))
    return rating


def _write_decisions(actor, ratings: list, decisions: dict, action: str) -> list:
    """Write checked decisions ({rating id: (level, score)}) on locked rows, each audited."""
    now = timezone.now()
    if not ratings:
        nothing_changed()
    for rating in ratings:
        before = snapshot(rating)
        rating.decided_level, rating.decided_score = decisions[rating.pk]
        rating.decided_at, rating.decided_by = now, actor if getattr(actor, "is_authenticated", False) else None
        rating.save(update_fields=["decided_level", "decided_score", "decided_at", "decided_by", "tasks_on_time",
                                   "tasks_beyond"])  # fmt: skip
        record(actor, action, rating, before, snapshot(rating))
    return ratings


@dataclass(frozen=True)
class Quota:
    """The excellent-rating quota of one grassroots organisation (Hướng dẫn: at most a share of
    those rated good or better), counted on its decided results and, when a batch is asked, on
    the results after it. The round page's counters and the refusal message read this one object,
    so they cannot disagree."""

    good_or_better: int  # decided good or better, with the batch
    decided_excellent: int  # decided excellent before the batch
    allowed: int  # the most that may be excellent, with the batch
    asked_excellent: int = 0  # excellent in the batch

    @property
    def remaining(self) -> int:
        return max(self.allowed - self.decided_excellent, 0)

    @property
    def broken(self) -> bool:
        return self.decided_excellent + self.asked_excellent > self.allowed


def quota_of(period: RatingPeriod, grassroots_id: int, changes: dict[int, str] | None = None) -> Quota:
    """The quota of one grassroots organisation, on its decided results and after `changes`
    ({undecided rating id: level}): one query."""
    levels = dict(
        MemberRating.unscoped.filter(period=period, grassroots_id=grassroots_id)
        .exclude(decided_level="")
        .values_list("pk", "decided_level")
    )
    decided_excellent = sum(1 for level in levels.values() if level == Level.EXCELLENT)
    levels.update(changes or {})
    good_or_better = sum(1 for level in levels.values() if level in GOOD_OR_BETTER)
    excellent = sum(1 for level in levels.values() if level == Level.EXCELLENT)
    allowed = excellent_allowed(good_or_better, period.quota_percent, period.quota_rounding)
    return Quota(good_or_better, decided_excellent, allowed, excellent - decided_excellent)


class QuotaRefused(ValidationError):
    """A batch refused for the quota of one grassroots organisation, with the figures it was
    refused on (the round page lists who is proposed excellent there)."""

    def __init__(self, message: str, grassroots_id: int, quota: Quota):
        super().__init__(message)
        self.grassroots_id, self.quota = grassroots_id, quota


def quota_error(period: RatingPeriod, grassroots_id: int, changes: dict[int, str]) -> QuotaRefused | None:
    """Why deciding `changes` ({rating id: level}) within one grassroots organisation would break
    the quota on excellent results, counted on its decided results after the change; None if not.
    Only undecided results are decided, so a batch without an excellent one never worsens the
    share (it may even follow a reopening that left the organisation over its quota)."""
    if Level.EXCELLENT not in changes.values():
        return None
    quota = quota_of(period, grassroots_id, changes)
    if not quota.broken:
        return None
    name = UnitVersion.objects.filter(unit_id=grassroots_id).order_by("-valid_from").values_list("name", flat=True)
    message = (
        f"Vượt tỷ lệ đảng viên hoàn thành xuất sắc nhiệm vụ: không quá {period.quota_percent}% số đảng viên "
        f"hoàn thành tốt nhiệm vụ trở lên trong {name.first() or 'tổ chức cơ sở đảng'}. Với {quota.good_or_better} "
        f"đảng viên hoàn thành tốt nhiệm vụ trở lên, tối đa {quota.allowed} đảng viên được xếp loại xuất sắc; "
        f"đã quyết định {quota.decided_excellent}, còn {quota.remaining} chỗ; đề nghị này có {quota.asked_excellent}."
    )
    return QuotaRefused(message, grassroots_id, quota)


@transaction.atomic
@audited
def decide(actor, decisions: dict[int, tuple[str, int | None]], period: RatingPeriod) -> list[MemberRating]:
    """The competent committee's decision on a batch of its members ({rating id: (level, score)}),
    checked as a whole: each level by `check_level`, then the quota in each grassroots
    organisation on the results after the batch. All or nothing."""
    # Decisions of one round are serialised on its period row: the quota is read, then written.
    RatingPeriod.objects.select_for_update().filter(pk=period.pk).first()
    ratings = _locked_rows(list(decisions))
    if len(ratings) != len(decisions) or any(r.period_id != period.pk for r in ratings):
        raise ValidationError("Danh sách xếp loại có đảng viên không thuộc đợt đánh giá này.")
    task_criteria(period, ratings)
    by_grassroots: dict[int, dict[int, str]] = {}
    for rating in ratings:
        _unlocked(rating)
        level, score = decisions[rating.pk]
        check_level(period, rating, level, score)
        by_grassroots.setdefault(rating.grassroots_id, {})[rating.pk] = level
    for grassroots_id, changes in by_grassroots.items():
        refusal = quota_error(period, grassroots_id, changes)
        if refusal is not None:
            raise refusal
    return _write_decisions(actor, ratings, decisions, "rating_decide")


@transaction.atomic
@audited
def reopen(actor, rating, reason: str):
    """Unlock a decided result (a member's or an organisation's), with the reason; the decision is
    kept in the audit log."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Hãy nêu lý do mở lại kết quả xếp loại.")
    RatingPeriod.objects.select_for_update().filter(pk=rating.period_id).first()  # as decisions do
    rating = type(rating)._default_manager.select_for_update().get(pk=rating.pk)
    if not rating.decided_level:
        raise ValidationError(f"Kết quả xếp loại của {_name(rating)} chưa được quyết định.")
    before = snapshot(rating)
    rating.decided_level, rating.decided_score, rating.decided_at, rating.decided_by = "", None, None, None
    rating.save(update_fields=["decided_level", "decided_score", "decided_at", "decided_by"])
    action = "unit_rating_reopen" if isinstance(rating, UnitRating) else "rating_reopen"
    record(actor, action, rating, before, snapshot(rating), note=reason)
    return rating


# --- organisations: self-assessment, then the decision of the level above ---------------------------


def deciding_body(rating: UnitRating) -> int | None:
    """Whose quota a collective's result counts in: the grassroots organisations together (decided
    by the superior's standing committee: None), or the sub-units of one grassroots organisation."""
    return None if rating.kind in GRASSROOTS_KINDS else rating.grassroots_id


@transaction.atomic
@audited
def unit_self_assess(actor, rating: UnitRating, *, level: str, score: int | None = None, text: str = "") -> UnitRating:
    rating = UnitRating.objects.select_for_update().get(pk=rating.pk)
    return _save_self(actor, rating, level, score, text, "unit_rating_self_assess")


@transaction.atomic
@audited
def decide_units(actor, decisions: dict[int, tuple[str, int | None]], period: RatingPeriod) -> list[UnitRating]:
    """The competent level's decision on a batch of organisations ({rating id: (level, score)}),
    checked as a whole, as for members: each level, then the quota within each deciding body."""
    RatingPeriod.objects.select_for_update().filter(pk=period.pk).first()
    ratings = list(UnitRating.objects.select_for_update().filter(pk__in=list(decisions), period=period))
    if len(ratings) != len(decisions):
        raise ValidationError("Danh sách xếp loại có tổ chức không thuộc đợt đánh giá này.")
    task_criteria(period, ratings)
    bodies: dict[int | None, dict[int, str]] = {}
    for rating in ratings:
        _unlocked(rating)
        level, score = decisions[rating.pk]
        check_level(period, rating, level, score)
        bodies.setdefault(deciding_body(rating), {})[rating.pk] = level
    for body, changes in bodies.items():
        if Level.EXCELLENT not in changes.values():
            continue
        group = UnitRating.objects.filter(period=period).exclude(decided_level="")
        group = (
            group.filter(kind__in=GRASSROOTS_KINDS)
            if body is None
            else group.filter(grassroots_id=body).exclude(kind__in=GRASSROOTS_KINDS)
        )
        levels = dict(group.values_list("pk", "decided_level")) | changes
        good_or_better = sum(1 for level in levels.values() if level in GOOD_OR_BETTER)
        excellent = sum(1 for level in levels.values() if level == Level.EXCELLENT)
        allowed = excellent_allowed(good_or_better, period.quota_percent, period.quota_rounding)
        if excellent > allowed:
            where = "các tổ chức cơ sở đảng" if body is None else f"các tổ chức trực thuộc {_name_of(body)}"
            raise ValidationError(
                f"Vượt tỷ lệ tổ chức đảng hoàn thành xuất sắc nhiệm vụ: không quá {period.quota_percent}% số tổ chức "
                f"hoàn thành tốt nhiệm vụ trở lên trong {where}. Với {good_or_better} tổ chức hoàn thành tốt nhiệm vụ "
                f"trở lên, tối đa {allowed} tổ chức được xếp loại xuất sắc; đề nghị này dẫn tới {excellent}."
            )
    return _write_decisions(actor, ratings, decisions, "unit_rating_decide")


def _name_of(unit_id: int) -> str:
    names = UnitVersion.objects.filter(unit_id=unit_id).order_by("-valid_from").values_list("name", flat=True)
    return names.first() or "Tổ chức đảng"


# --- opening a round ---------------------------------------------------------------------------------


@transaction.atomic
@audited
def open_round(actor, period: RatingPeriod) -> dict[str, int]:
    """List who is rated in a round: every member holding official activity in a cell of the tree at
    the end of the period (today while it runs), in that cell, exempted ones marked apart — those
    who left the tree during the period are rated, if at all, where they went —, and every
    organisation below the superior existing then. Members and organisations already listed are
    kept: opening again adds those who came since."""
    RatingPeriod.objects.select_for_update().filter(pk=period.pk).first()  # no decision while the list is written
    day = min(period.ends_on, timezone.localdate())
    versions = {}
    for version in (
        UnitVersion.objects.filter(valid_from__lte=day)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=period.starts_on))
        .order_by("valid_from")
    ):
        versions[version.unit_id] = version  # each unit as it last stood within the period
    kinds = {v.path: v for v in versions.values()}

    def grassroots_of(version) -> int | None:
        for i in range(PATH_WIDTH, len(version.path) + 1, PATH_WIDTH):
            above = kinds.get(version.path[:i])
            if above is not None and above.kind in GRASSROOTS_KINDS:
                return above.unit_id
        return None

    last_cell: dict[int, int] = {}
    stints = Stint.unscoped.official().open_on(day).values_list("member_id", "unit_id")
    for member_id, unit_id in stints:
        last_cell[member_id] = unit_id
    listed = set(MemberRating.unscoped.filter(period=period).values_list("member_id", flat=True))
    new = [m for m in last_cell if m not in listed]
    events: dict[int, list] = {}
    for event in Event.unscoped.active().filter(member_id__in=new).order_by("effective_on", "pk"):
        events.setdefault(event.member_id, []).append(event)
    rows = []
    for member_id in new:
        cell = versions.get(last_cell[member_id])
        grassroots = grassroots_of(cell) if cell else None
        if grassroots is None:
            continue
        exempted = replay(events.get(member_id, [])).exempted_on(day)
        rows.append(MemberRating(period=period, member_id=member_id, cell_id=cell.unit_id, grassroots_id=grassroots,
                                 exempted=exempted))  # fmt: skip
    MemberRating.unscoped.bulk_create(rows, batch_size=2000)
    refresh_level_tallies([period])  # written in bulk, past `MemberRating.save`
    units_listed = set(UnitRating.objects.filter(period=period).values_list("unit_id", flat=True))
    unit_rows = []
    for version in UnitVersion.objects.on(day).exclude(kind=UnitKind.SUPERIOR).exclude(unit_id__in=units_listed):
        grassroots = grassroots_of(version)
        if grassroots is not None:
            unit_rows.append(UnitRating(period=period, unit_id=version.unit_id, kind=version.kind,
                                        grassroots_id=grassroots))  # fmt: skip
    UnitRating.objects.bulk_create(unit_rows, batch_size=2000)
    apply_discipline(period)
    counts = {"members": len(rows), "organisations": len(unit_rows)}
    record(actor, "open_rating_round", period, None, counts)
    return counts


@transaction.atomic
@audited
def create_round(actor, period: RatingPeriod) -> tuple[RatingPeriod, dict[str, int]]:
    """Create a round with its scheme and quota, and list who is rated in it."""
    period.full_clean()
    period.save()
    record(actor, "rating_period_create", period, None, snapshot(period))
    return period, open_round(actor, period)
