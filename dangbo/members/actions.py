"""Writes to member records. Each function is atomic, validates before writing and is audited."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from dangbo.audit.log import record, snapshot
from dangbo.lib import vn
from dangbo.lib.dates import overlaps
from dangbo.orgs.models import CELL_KINDS, Unit, UnitVersion

from .models import Member, MemberStatus, Stint, StintKind
from .tallies import refresh_tallies, units_above


@transaction.atomic
def create_member(actor, **fields) -> Member:
    member = Member(**fields)
    member.full_clean()
    member.save()
    record(actor, "create_member", member, None, snapshot(member))
    return member


def _unit_span_error(unit: Unit, start: datetime.date, end: datetime.date | None) -> str | None:
    versions = list(UnitVersion.objects.filter(unit=unit).order_by("valid_from"))
    first = next((v for v in versions if v.valid_from <= start and (v.valid_to is None or v.valid_to > start)), None)
    if first is None:
        return f"Tổ chức không tồn tại vào ngày {vn.format_date(start)}."
    if first.kind not in CELL_KINDS:
        return f"Đảng viên sinh hoạt tại chi bộ; “{first.name}” là {first.get_kind_display()}."
    last_end = versions[-1].valid_to
    if last_end is not None and (end is None or end > last_end):
        return (
            f"“{first.name}” giải thể từ ngày {vn.format_date(last_end)}; quá trình sinh hoạt phải kết thúc trước đó."
        )
    return None


@transaction.atomic
def add_stint(
    actor,
    member: Member,
    unit: Unit,
    *,
    start: datetime.date,
    end: datetime.date | None = None,
    status: str = MemberStatus.OFFICIAL,
    kind: str = StintKind.OFFICIAL,
) -> Stint:
    """Record that `member` holds party activity in `unit` over [start, end)."""
    # Serialise writers of the same member so that two overlapping stints cannot slip in together.
    Member.unscoped.select_for_update().filter(pk=member.pk).first()
    if end is not None and end <= start:
        raise ValidationError("Ngày kết thúc phải sau ngày bắt đầu.")
    if start < member.admitted_on:
        raise ValidationError(f"Không thể sinh hoạt đảng trước ngày vào Đảng ({vn.format_date(member.admitted_on)}).")
    error = _unit_span_error(unit, start, end)
    if error:
        raise ValidationError(error)
    if kind == StintKind.OFFICIAL:
        for other in Stint.unscoped.official().filter(member=member).select_related("unit"):
            if overlaps(start, end, other.start, other.end):
                until = f"đến {vn.format_date(other.end)}" if other.end else "đến nay"
                raise ValidationError(
                    f"Đảng viên đã sinh hoạt chính thức tại “{other.unit}” từ "
                    f"{vn.format_date(other.start)} {until}; hai quá trình sinh hoạt chính thức "
                    "không được trùng nhau."
                )
    stint = Stint.unscoped.create(member=member, unit=unit, start=start, end=end, status=status, kind=kind)
    refresh_tallies(units_above([unit.pk]))
    record(actor, "add_stint", stint, None, snapshot(stint))
    return stint
