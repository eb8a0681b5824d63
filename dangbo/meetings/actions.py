"""Writes to cell meetings: the plan, the minutes with their attendance, the materials. Each
function is atomic, validates before writing and is audited."""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from dangbo.audit.log import audited, record, snapshot
from dangbo.lib import vn
from dangbo.lib.http import today
from dangbo.members.events import replay
from dangbo.members.models import Event, Member, MemberStatus, Stint, StintKind
from dangbo.orgs.models import CELL_KINDS, UnitVersion

from .models import Attendance, Material, Meeting, MeetingKind, Presence, Standing

MAX_MINUTES = 12 * 60
PLAN_FIELDS = ("kind", "topic", "planned_on", "planned_time", "place", "agenda", "materials_sent_on")
MINUTES_FIELDS = ("held_on", "started_at", "duration_minutes", "place", "opinions", "conclusions", "resolution",
                  "approved_count")


@dataclass
class Invitee:
    member: Member
    standing: str  # Standing
    exempted: bool = False
    away: bool = False

    @property
    def required(self) -> bool:
        return not (self.exempted or self.away)

    @property
    def standing_label(self) -> str:
        return Standing(self.standing).label


def invitees(cell_id: int, day: datetime.date) -> list[Invitee]:
    """Who is invited to the cell's meeting on `day`: its members that day (official, probationary,
    exempted, away on a temporary transfer) and the members it hosts temporarily, by given name.
    Three queries, whatever the size of the cell."""
    stints = list(Stint.unscoped.filter(unit_id=cell_id).open_on(day).select_related("member"))
    events: dict[int, list[Event]] = {}
    their_events = Event.unscoped.active().filter(member_id__in=[s.member_id for s in stints])
    for event in their_events.order_by("effective_on", "pk"):
        events.setdefault(event.member_id, []).append(event)
    people = []
    for stint in stints:
        timeline = replay(events.get(stint.member_id, []))
        if stint.kind == StintKind.TEMPORARY:  # hosted here: exempted or not, never away from us
            people.append(Invitee(stint.member, Standing.HOSTED, timeline.exempted_on(day)))
            continue
        standing = Standing.PROBATIONARY if stint.status == MemberStatus.PROBATIONARY else Standing.OFFICIAL
        people.append(Invitee(stint.member, standing, timeline.exempted_on(day), timeline.away_on(day)))
    return sorted(people, key=lambda p: (p.member.sort_key, p.member.pk))


def _cell_on(cell_id: int, day: datetime.date) -> UnitVersion:
    version = UnitVersion.objects.on(day).filter(unit_id=cell_id).first()
    if version is None:
        names = UnitVersion.objects.filter(unit_id=cell_id).order_by("-valid_from").values_list("name", flat=True)
        name = names.first()
        raise ValidationError(f"“{name or 'Chi bộ'}” không tồn tại vào ngày {vn.format_date(day)}.")
    if version.kind not in CELL_KINDS:
        raise ValidationError(f"Sinh hoạt chi bộ do chi bộ tổ chức; “{version.name}” là {version.get_kind_display()}.")
    return version


def _check_plan(meeting: Meeting) -> None:
    if meeting.planned_on is None:
        raise ValidationError("Hãy nhập ngày dự kiến họp.")
    meeting.topic = meeting.topic.strip()
    if meeting.kind in (MeetingKind.THEMATIC, MeetingKind.COMBINED) and not meeting.topic:
        raise ValidationError("Sinh hoạt chuyên đề phải có tên chuyên đề.")
    _cell_on(meeting.cell_id, meeting.planned_on)
    if meeting.materials_sent_on and meeting.materials_sent_on > meeting.day:
        raise ValidationError("Ngày gửi tài liệu phải trước ngày họp.")


@transaction.atomic
@audited
def plan_meeting(actor, meeting: Meeting) -> Meeting:
    """Create or change the plan of a meeting (`meeting` carries the typed fields)."""
    before = snapshot(Meeting.unscoped.get(pk=meeting.pk)) if meeting.pk else None
    _check_plan(meeting)
    if meeting.pk is None and getattr(actor, "is_authenticated", False):
        meeting.created_by = actor
    meeting.save()
    record(actor, "plan_meeting" if before is None else "change_meeting", meeting, before, snapshot(meeting))
    return meeting


def _presence_of(answers: dict[int, tuple[str, str]], people: list[Invitee], day) -> dict[int, tuple[str, str]]:
    """The attendance answers checked against the invitation list."""
    invited = {p.member.pk for p in people}
    strangers = sorted(pk for pk in answers if pk not in invited)
    if strangers:
        # Named by the ids posted only: the names of people outside the cell are not the user's to read.
        ids = ", ".join(str(pk) for pk in strangers)
        raise ValidationError(
            f"Danh sách điểm danh có người không sinh hoạt tại chi bộ vào ngày {vn.format_date(day)} "
            f"(mã đảng viên {ids}); hãy lập lại danh sách theo ngày họp."
        )
    missing = [p.member.full_name for p in people if p.member.pk not in answers]
    if missing:
        raise ValidationError(f"Chưa điểm danh: {', '.join(missing)}.")
    checked = {}
    for person in people:
        presence, reason = answers[person.member.pk]
        reason = (reason or "").strip()
        if presence not in Presence.values:
            raise ValidationError(f"Hãy chọn có mặt hay vắng cho {person.member.full_name}.")
        if presence == Presence.EXCUSED and not reason:
            raise ValidationError(f"Hãy ghi lý do vắng của {person.member.full_name}.")
        checked[person.member.pk] = (presence, reason if presence != Presence.PRESENT else "")
    return checked


def totals_of(rows: list[Attendance]) -> dict[str, int]:
    """The totals of the minutes, counted from the attendance rows."""
    counts = Counter()
    for row in rows:
        counts[f"{row.standing}_count"] += 1
        counts["exempted_count"] += row.exempted
        counts["away_count"] += row.away
        counts[f"{row.presence}_count"] += 1
        if row.required:
            counts["required_count"] += 1
            counts["required_present_count"] += row.presence == Presence.PRESENT
    names = ("official", "probationary", "hosted", "exempted", "away", "present", "excused", "unexcused",
             "required", "required_present")  # fmt: skip
    return {f"{name}_count": counts[f"{name}_count"] for name in names}


def _minutes_snapshot(meeting: Meeting) -> dict:
    attendance = Attendance.unscoped.filter(meeting=meeting).values_list("member_id", "presence", "reason")
    return {**snapshot(meeting), "attendance": sorted(attendance)}


@transaction.atomic
@audited
def save_minutes(actor, meeting: Meeting, *, attendance: dict[int, tuple[str, str]], chair_id=None,
                 secretary_id=None, **fields) -> Meeting:  # fmt: skip
    """Record (or correct) the minutes of a meeting: when and how long it was held, who chaired and
    took the minutes, the attendance of every invitee ({member id: (presence, reason)}), opinions,
    conclusions and resolution. The totals are counted from the attendance."""
    meeting = Meeting.unscoped.select_for_update().get(pk=meeting.pk)
    before = _minutes_snapshot(meeting) if meeting.held_on else snapshot(meeting)
    unknown = set(fields) - set(MINUTES_FIELDS)
    if unknown:
        raise TypeError(f"unexpected fields {sorted(unknown)}")
    held_on, duration = fields.get("held_on"), fields.get("duration_minutes")
    if held_on is None:
        raise ValidationError("Hãy nhập ngày họp.")
    if held_on > today():
        raise ValidationError(f"Ngày họp {vn.format_date(held_on)} chưa đến: chỉ ghi biên bản buổi họp đã diễn ra.")
    if duration is None or duration <= 0:
        raise ValidationError("Thời lượng buổi sinh hoạt phải lớn hơn 0 phút.")
    if duration > MAX_MINUTES:
        raise ValidationError(f"Thời lượng {duration} phút là quá dài cho một buổi sinh hoạt; hãy kiểm tra lại.")
    _cell_on(meeting.cell_id, held_on)
    if meeting.materials_sent_on and meeting.materials_sent_on > held_on:
        raise ValidationError("Ngày gửi tài liệu phải trước ngày họp.")
    people = invitees(meeting.cell_id, held_on)
    if not people:
        raise ValidationError(f"Chi bộ không có đảng viên nào vào ngày {vn.format_date(held_on)}.")
    answers = _presence_of(attendance, people, held_on)
    for role, member_id in (("Người chủ trì", chair_id), ("Thư ký", secretary_id)):
        if member_id is not None and answers.get(member_id, ("",))[0] != Presence.PRESENT:
            raise ValidationError(f"{role} phải là đảng viên có mặt tại buổi sinh hoạt.")
    rows = [
        Attendance(
            meeting=meeting,
            member=p.member,
            standing=p.standing,
            exempted=p.exempted,
            away=p.away,
            presence=answers[p.member.pk][0],
            reason=answers[p.member.pk][1],
        )  # fmt: skip
        for p in people
    ]
    for name, value in fields.items():
        setattr(meeting, name, value.strip() if isinstance(value, str) else value)
    meeting.chair_id, meeting.secretary_id = chair_id, secretary_id
    for name, value in totals_of(rows).items():
        setattr(meeting, name, value)
    if meeting.approved_count is not None and meeting.approved_count > meeting.present_count:
        raise ValidationError(f"Số đảng viên tán thành biên bản ({meeting.approved_count}) không thể nhiều hơn số "
                              f"đảng viên có mặt ({meeting.present_count}).")  # fmt: skip
    Attendance.unscoped.filter(meeting=meeting).delete()
    Attendance.unscoped.bulk_create(rows)
    meeting.save()
    record(actor, "save_minutes", meeting, before, _minutes_snapshot(meeting))
    return meeting


@transaction.atomic
@audited
def add_material(actor, meeting: Meeting, upload) -> Material:
    material = Material(meeting=meeting, name=upload.name[:255], file=upload)
    if getattr(actor, "is_authenticated", False):
        material.uploaded_by = actor
    material.save()
    record(actor, "add_meeting_material", material, None, snapshot(material))
    return material


@transaction.atomic
@audited
def delete_meeting(actor, meeting: Meeting) -> None:
    """Only a meeting not yet held is deleted (a plan dropped); held ones keep their minutes."""
    if meeting.held_on is not None:
        raise ValidationError("Buổi sinh hoạt đã có biên bản; không thể xóa.")
    before = snapshot(meeting)
    for material in meeting.materials.all():
        material.file.delete(save=False)
    record(actor, "delete_meeting", meeting, before, None)
    meeting.delete()
