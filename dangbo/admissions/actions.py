"""Writes to the admission pipeline: atomic, validated, audited."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from dangbo.audit.log import audited, record, snapshot
from dangbo.lib import vn
from dangbo.lib.http import today
from dangbo.members import actions as member_actions
from dangbo.members.models import Member
from dangbo.orgs.models import CELL_KINDS, UnitVersion

from .models import DOSSIER_FORMS, Candidate

MIN_AGE, MAX_AGE = 18, 60
PERSONAL_FIELDS = [
    "family_name", "middle_name", "given_name", "sex", "birth_date", "citizen_id", "ethnicity", "religion",
    "home_town", "residence", "education", "qualification", "occupation", "workplace",
]  # fmt: skip
PIPELINE_FIELDS = ["cell", "identified_on", "course_passed_on", "dossier", "note"]


def _check(candidate: Candidate) -> None:
    candidate.full_clean(exclude=["member"])
    cell = UnitVersion.objects.on(candidate.identified_on).filter(unit_id=candidate.cell_id).first()
    if cell is None or cell.kind not in CELL_KINDS:
        raise ValidationError("Chi bộ theo dõi phải là một chi bộ đang hoạt động vào ngày phân công theo dõi.")
    unknown = set(candidate.dossier) - {code for code, _ in DOSSIER_FORMS}
    if unknown:
        raise ValidationError(f"Mẫu hồ sơ không hợp lệ: {', '.join(sorted(unknown))}.")
    if candidate.course_passed_on and candidate.course_passed_on > today():
        raise ValidationError("Ngày cấp giấy chứng nhận không thể sau ngày hôm nay.")


@transaction.atomic
@audited
def save_candidate(actor, candidate: Candidate) -> Candidate:
    """Create or update a candidate (the form's fields, validated)."""
    if candidate.member_id:
        raise ValidationError("Người này đã được kết nạp; hồ sơ phát triển đảng viên không sửa được nữa.")
    before = snapshot(Candidate.unscoped.get(pk=candidate.pk)) if candidate.pk else None
    candidate.dossier = [code for code, _ in DOSSIER_FORMS if code in set(candidate.dossier)]
    _check(candidate)
    candidate.save()
    record(actor, "update_candidate" if before else "create_candidate", candidate, before, snapshot(candidate))
    return candidate


@transaction.atomic
@audited
def admit_candidate(actor, candidate: Candidate, *, decided_on: datetime.date, cell_considered_on: datetime.date,
                    ceremony_on=None, **decision) -> Member:  # fmt: skip
    """The admission decision: the candidate becomes a probationary member of their cell."""
    candidate = Candidate.unscoped.select_for_update().get(pk=candidate.pk)
    if candidate.member_id:
        raise ValidationError("Người này đã được kết nạp.")
    if decided_on is None or cell_considered_on is None:
        raise ValidationError("Hãy nhập ngày chi bộ xét và ngày quyết định kết nạp.")
    if cell_considered_on > decided_on:
        raise ValidationError("Ngày chi bộ xét đề nghị kết nạp phải trước hoặc cùng ngày quyết định kết nạp.")
    months = vn.months_between(candidate.birth_date, cell_considered_on)
    if not MIN_AGE * 12 <= months <= MAX_AGE * 12:
        raise ValidationError(
            "Khi chi bộ xét kết nạp, người vào Đảng phải từ đủ 18 tuổi đến đủ 60 tuổi (tính theo tháng); "
            f"{candidate.full_name} khi đó {months // 12} tuổi {months % 12} tháng."
        )
    if candidate.course_passed_on is None:
        raise ValidationError("Chưa có giấy chứng nhận học lớp bồi dưỡng nhận thức về Đảng.")
    if candidate.course_passed_on > cell_considered_on:
        raise ValidationError(
            f"Giấy chứng nhận lớp nhận thức về Đảng cấp ngày {vn.format_date(candidate.course_passed_on)}, "
            "sau ngày chi bộ xét kết nạp: chi bộ chỉ xét khi đã có giấy chứng nhận."
        )
    if candidate.certificate_expires_on <= decided_on:
        raise ValidationError(
            f"Giấy chứng nhận lớp nhận thức về Đảng đã hết hạn ngày {vn.format_date(candidate.certificate_expires_on)} "
            "(giá trị 5 năm)."
        )
    if candidate.missing_forms:
        raise ValidationError(f"Hồ sơ kết nạp còn thiếu: {', '.join(candidate.missing_forms)}.")
    fields = {name: getattr(candidate, name) for name in PERSONAL_FIELDS}
    fields["citizen_id"] = fields["citizen_id"] or None
    member = member_actions.admit(
        actor, fields, unit=candidate.cell, effective_on=decided_on, ceremony_on=ceremony_on, **decision
    )
    before = snapshot(candidate)
    candidate.member = member
    if "9-KNĐ" not in candidate.dossier:
        candidate.dossier = [*candidate.dossier, "9-KNĐ"]
    candidate.save(update_fields=["member", "dossier", "updated_at"])
    record(actor, "admit_candidate", candidate, before, snapshot(candidate))
    return member
