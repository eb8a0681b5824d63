"""Disciplinary decisions and the caps they put on ratings. Recording or deleting a decision is one
atomic, audited write that also marks the ratings of every period it falls in: the member's own
(no excellent), and the organisations' (the one disciplined, its direct superior, and the one the
member headed — a collective whose leader or sub-unit was disciplined cannot be excellent)."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from dangbo.audit.log import audited, record, snapshot
from dangbo.orgs.models import UnitVersion

from .models import MEMBER_FORMS, UNIT_FORMS, Discipline, DisciplineForm, MemberRating, RatingPeriod, UnitRating


def capped_units(disciplines) -> set[int]:
    """The organisations a set of decisions bars from excellent: each disciplined organisation and
    its direct superior on the day of the decision, and each organisation a disciplined member headed."""
    units = set()
    parents_wanted = []
    for d in disciplines:
        if d.unit_id:
            units.add(d.unit_id)
            parents_wanted.append((d.unit_id, d.decided_on))
        if d.leader_of_id:
            units.add(d.leader_of_id)
    for unit_id, day in parents_wanted:
        parent = UnitVersion.objects.on(day).filter(unit_id=unit_id).values_list("parent_id", flat=True).first()
        if parent:
            units.add(parent)
    return units


def apply_discipline(period: RatingPeriod) -> None:
    """Mark the period's ratings from the decisions dated within it (decided results included: the
    mark stays visible; the cap bites when a result is decided again after reopening)."""
    within = Discipline.unscoped.filter(decided_on__gte=period.starts_on, decided_on__lte=period.ends_on)
    MemberRating.unscoped.filter(period=period).update(
        disciplined=Exists(within.filter(member_id=OuterRef("member_id")))
    )
    capped = capped_units(within.exclude(unit=None, leader_of=None))
    ratings = UnitRating.objects.filter(period=period)
    ratings.filter(unit_id__in=capped).exclude(disciplined=True).update(disciplined=True)
    ratings.exclude(unit_id__in=capped).exclude(disciplined=False).update(disciplined=False)


def _periods_of(day: datetime.date):
    return RatingPeriod.objects.filter(starts_on__lte=day, ends_on__gte=day)


def check(discipline: Discipline) -> None:
    """The rules of a decision before it is written; each refusal names what is wrong."""
    errors = {}
    allowed = MEMBER_FORMS if discipline.member_id else UNIT_FORMS
    if discipline.form not in allowed:
        names = ", ".join(DisciplineForm(f).label.lower() for f in allowed)
        whom = "đảng viên" if discipline.member_id else "tổ chức đảng"
        errors["form"] = f"Hình thức kỷ luật {whom} là một trong: {names} (Điều lệ Đảng)."
        if discipline.member_id:
            errors["form"] += " Khai trừ ghi nhận bằng sự kiện “Khai trừ” trong hồ sơ đảng viên."
    if discipline.decided_on is None:
        errors["decided_on"] = "Hãy nhập ngày quyết định (ngày/tháng/năm)."
    elif discipline.decided_on > timezone.localdate():
        errors["decided_on"] = "Ngày quyết định kỷ luật không được sau hôm nay."
    if not (discipline.decision or "").strip():
        errors["decision"] = "Hãy nhập số quyết định kỷ luật."
    if not (discipline.body or "").strip():
        errors["body"] = "Hãy nhập cấp ra quyết định kỷ luật."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
@audited
def record_discipline(actor, discipline: Discipline) -> Discipline:
    check(discipline)
    discipline.recorded_by = actor if getattr(actor, "is_authenticated", False) else None
    discipline.save()
    record(actor, "discipline_record", discipline, None, snapshot(discipline))
    for period in _periods_of(discipline.decided_on):
        apply_discipline(period)
    return discipline


@transaction.atomic
@audited
def delete_discipline(actor, discipline: Discipline, reason: str) -> None:
    """Remove a decision entered by mistake (or annulled), with the reason; the caps it set are lifted."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Hãy nêu lý do xóa quyết định kỷ luật (nhập nhầm, đã được hủy bỏ…).")
    discipline = Discipline.unscoped.select_for_update().get(pk=discipline.pk)
    before, day = snapshot(discipline), discipline.decided_on
    record(actor, "discipline_delete", discipline, before, None, note=reason)
    discipline.delete()
    for period in _periods_of(day):
        apply_discipline(period)
