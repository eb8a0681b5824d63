"""Writes to member records. Each function is atomic, validates before writing and is audited.

Membership changes are events (`models.Event`): one function per kind of event, all through
`_record`, which replays the member's whole sequence with the new event (`events.replay`), refuses
an impossible one with its Vietnamese message, and rewrites the member's stints and the tallies of
the units concerned from the replay. Stints are never written anywhere else.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from dangbo.audit.log import audited, nothing_changed, record, snapshot
from dangbo.lib import vn
from dangbo.lib.http import today
from dangbo.orgs.models import CELL_KINDS, Unit, UnitVersion

from .events import SequenceError, Timeline, replay
from .identifiers import is_card_number, is_citizen_id
from .models import AttributeChange, DatedAttribute, Event, EventKind, Member, Stint, StintKind
from .tallies import adjust_tallies, profile_of

K = EventKind


def _unit_span_errors(spans) -> str | None:
    """Why a stint of `spans` cannot be: its cell did not exist on its first day, is not a cell, or
    is dissolved before the stint ends; None when all can be. One query for all their units."""
    versions: dict[int, list[UnitVersion]] = {}
    for version in UnitVersion.objects.filter(unit_id__in={s.unit_id for s in spans}).order_by("valid_from"):
        versions.setdefault(version.unit_id, []).append(version)
    for span in spans:
        own, start, end = versions.get(span.unit_id, []), span.start, span.end
        first = next((v for v in own if v.valid_from <= start and (v.valid_to is None or v.valid_to > start)), None)
        if first is None:
            name = own[0].name if own else "Tổ chức"
            return f"“{name}” không tồn tại vào ngày {vn.format_date(start)}."
        if first.kind not in CELL_KINDS:
            return f"Đảng viên sinh hoạt tại chi bộ; “{first.name}” là {first.get_kind_display()}."
        last_end = own[-1].valid_to
        if last_end is not None and (end is None or end > last_end):
            return (
                f"“{first.name}” giải thể từ ngày {vn.format_date(last_end)}; đảng viên phải chuyển sinh hoạt "
                "trước ngày đó."
            )
    return None


def ordered(events) -> list:
    """Events in replay order: by effective date, ties in the order they were recorded."""
    return sorted(events, key=lambda e: (e.effective_on, e.pk is None, e.pk or 0))


def timeline_of(member: Member) -> Timeline:
    return replay(ordered(member.events.active()))


def _apply(member: Member, events: list[Event]) -> Timeline:
    """Replay `events` and make the member's stints, dates and the tallies follow; ValidationError
    (nothing written yet by this function) when the sequence is impossible."""
    try:
        timeline = replay(ordered(events), born_on=member.birth_date)
    except SequenceError as error:
        raise ValidationError(error.message) from None
    error = _unit_span_errors(timeline.stints)
    if error:
        raise ValidationError(error)
    columns = ("unit_id", "kind", "status", "start", "end", "decided_on", "ceremony_on")
    old = list(Stint.unscoped.filter(member=member).values_list(*columns))
    new = [tuple(getattr(span, c) for c in columns) for span in timeline.stints]
    if sorted(old, key=repr) != sorted(new, key=repr):
        Stint.unscoped.filter(member=member).delete()
        Stint.unscoped.bulk_create(Stint.of(member=member, **dict(zip(columns, row))) for row in new)

        def counted(rows):
            return [(u, a, b, s) for u, k, s, a, b, *_ in rows if k == StintKind.OFFICIAL]

        adjust_tallies(member, counted(old), counted(new))
    dates = {"admitted_on": timeline.admitted_on or member.admitted_on, "official_on": timeline.official_on}
    if any(getattr(member, name) != value for name, value in dates.items()):
        for name, value in dates.items():
            setattr(member, name, value)
        member.save(update_fields=list(dates))
    return timeline


def _lock(member: Member) -> list[Event]:
    """Serialise writers of one member; their active events."""
    Member.unscoped.select_for_update().filter(pk=member.pk).first()
    return list(member.events.active())


def _check_not_future(**days) -> None:
    """Decisions and ceremonies are recorded once they have happened (an effective date may lie
    ahead: a transfer decided today for the first of next month)."""
    labels = {"decided_on": "Ngày quyết định", "ceremony_on": "Ngày lễ kết nạp"}
    for name, day in days.items():
        if day is not None and day > today():
            raise ValidationError(
                f"{labels[name]} ({vn.format_date(day)}) chưa đến: chỉ ghi nhận quyết định đã ban hành, "
                "sự việc đã diễn ra."
            )


# Events that record something already done: a death, a decision to remove, expel, accept a
# resignation, not recognise, readmit or restore takes effect on the day it was made, so it cannot be
# dated after today (a transfer or an exemption may be decided today for a day ahead).
COMPLETED_FACTS = {K.DEATH, K.REMOVAL, K.EXPULSION, K.RESIGNATION, K.NON_RECOGNITION, K.READMISSION, K.RESTORATION}


def _record(actor, member: Member, kind: str, effective_on: datetime.date, **fields) -> Event:
    if effective_on is None:
        raise ValidationError("Hãy nhập ngày hiệu lực.")
    if kind in COMPLETED_FACTS and effective_on > today():
        raise ValidationError(
            f"Ngày hiệu lực ({vn.format_date(effective_on)}) chưa đến: “{K(kind).label}” là sự việc đã diễn "
            f"ra, chỉ ghi nhận từ ngày đó trở đi (hôm nay là {vn.format_date(today())})."
        )
    _check_not_future(decided_on=fields.get("decided_on"), ceremony_on=fields.get("ceremony_on"))
    events = _lock(member)
    if kind in (K.TRANSFER_OUT, K.TRANSFER_WITHIN) and fields.get("from_unit_id") is None:
        fields["from_unit_id"] = _home_on(events, effective_on)
    event = Event(member=member, kind=kind, effective_on=effective_on, **fields)
    if actor is not None and getattr(actor, "is_authenticated", False):
        event.created_by = actor
    _apply(member, [*events, event])
    event.save()
    record(actor, f"event_{kind}", event, None, snapshot(event))
    return event


# --- one function per kind of event ---------------------------------------------------------------
# Common keyword arguments: decision_number, decided_on, issuing_body, note, scan.


@transaction.atomic
@audited
def admit(actor, fields: dict, *, unit: Unit | None, effective_on, ceremony_on=None, other_side="", **extra) -> Member:
    """Kết nạp: a new member from their personal `fields`, admitted by the decision of
    `effective_on` into `unit` (or outside our tree, `other_side`)."""
    if effective_on is None:
        raise ValidationError("Hãy nhập ngày quyết định kết nạp.")
    derived = {"admitted_on", "official_on"} & set(fields)
    if derived:
        raise ValidationError("Ngày vào Đảng và ngày chính thức lấy từ các quyết định, không nhập trực tiếp.")
    member = Member(**fields, admitted_on=effective_on)
    member.full_clean()
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError:  # the citizen ID, written meanwhile by another request since full_clean looked
        raise ValidationError(Member._meta.get_field("citizen_id").error_messages["unique"]) from None
    record(actor, "create_member", member, None, snapshot(member))
    extra["decided_on"] = extra.get("decided_on") or effective_on
    _record(actor, member, K.ADMISSION, effective_on, unit=unit, ceremony_on=ceremony_on, other_side=other_side,
            **extra)  # fmt: skip
    return member


@transaction.atomic
@audited
def record_ceremony(actor, member: Member, ceremony_on: datetime.date) -> Event:
    """The admission ceremony of the current (re)admission, held after the decision; a date recorded
    wrongly is corrected the same way, as long as no recognition rests on it."""
    events = ordered(_lock(member))
    admissions = [e for e in events if e.kind in (K.ADMISSION, K.READMISSION)]
    if not admissions:
        raise ValidationError("Đảng viên chưa có quyết định kết nạp.")
    event = admissions[-1]
    if any(e.kind == K.RECOGNITION for e in events[events.index(event) :]):
        raise ValidationError(
            "Đã công nhận đảng viên chính thức theo ngày lễ kết nạp này; muốn sửa, hãy hủy sự kiện công nhận trước."
        )
    if ceremony_on is None:
        raise ValidationError("Hãy nhập ngày tổ chức lễ kết nạp.")
    _check_not_future(ceremony_on=ceremony_on)
    before = snapshot(event)
    event.ceremony_on = ceremony_on
    _apply(member, events)
    event.save(update_fields=["ceremony_on"])
    record(actor, "record_ceremony", event, before, snapshot(event))
    return event


@transaction.atomic
@audited
def recognise(actor, member: Member, **extra) -> Event:
    """Công nhận chính thức: effective on the day probation ends, whenever it is decided."""
    events = ordered(_lock(member))
    ends = replay(events).probation_ends
    decided = extra.get("decided_on")
    if ends is not None and decided is not None and decided < ends:
        raise ValidationError(
            f"Quyết định công nhận đảng viên chính thức chỉ ban hành khi đã hết thời gian dự bị "
            f"({vn.format_date(ends)}); ngày quyết định {vn.format_date(decided)} là quá sớm."
        )
    # Without a probation under way, any date lets the replay say why recognition is impossible.
    effective_on = ends or (events[-1].effective_on if events else None)
    return _record(actor, member, K.RECOGNITION, effective_on, **extra)


@transaction.atomic
@audited
def refuse_recognition(actor, member: Member, *, effective_on, **extra) -> Event:
    return _record(actor, member, K.NON_RECOGNITION, effective_on, **extra)


@transaction.atomic
@audited
def transfer_in(actor, member: Member, *, unit: Unit, effective_on, other_side="", **extra) -> Event:
    return _record(actor, member, K.TRANSFER_IN, effective_on, unit=unit, other_side=other_side, **extra)


@transaction.atomic
@audited
def transfer_out(actor, member: Member, *, effective_on, other_side: str, from_unit: Unit | None = None,
                 **extra) -> Event:  # fmt: skip
    """Out of our tree; `from_unit` defaults to the cell the member is in on that day."""
    from_id = from_unit.pk if from_unit else None
    return _record(actor, member, K.TRANSFER_OUT, effective_on, from_unit_id=from_id, other_side=other_side,
                   **extra)  # fmt: skip


@transaction.atomic
@audited
def transfer_within(actor, member: Member, *, unit: Unit, effective_on, from_unit: Unit | None = None,
                    **extra) -> Event:  # fmt: skip
    from_id = from_unit.pk if from_unit else None
    return _record(actor, member, K.TRANSFER_WITHIN, effective_on, unit=unit, from_unit_id=from_id, **extra)


@transaction.atomic
@audited
def send_temporarily(actor, member: Member, *, effective_on, ends_on, unit: Unit | None = None, other_side="",
                     **extra) -> Event:  # fmt: skip
    return _record(actor, member, K.TEMPORARY_AWAY, effective_on, ends_on=ends_on, unit=unit, other_side=other_side,
                   **extra)  # fmt: skip


@transaction.atomic
@audited
def host_temporarily(actor, member: Member, *, unit: Unit, effective_on, ends_on, other_side="", **extra) -> Event:
    return _record(actor, member, K.TEMPORARY_HOSTED, effective_on, unit=unit, ends_on=ends_on,
                   other_side=other_side, **extra)  # fmt: skip


@transaction.atomic
@audited
def exempt(actor, member: Member, *, effective_on, ends_on=None, **extra) -> Event:
    return _record(actor, member, K.EXEMPTION, effective_on, ends_on=ends_on, **extra)


@transaction.atomic
@audited
def record_death(actor, member: Member, *, effective_on, **extra) -> Event:
    return _record(actor, member, K.DEATH, effective_on, **extra)


@transaction.atomic
@audited
def remove(actor, member: Member, *, effective_on, **extra) -> Event:
    return _record(actor, member, K.REMOVAL, effective_on, **extra)


@transaction.atomic
@audited
def expel(actor, member: Member, *, effective_on, **extra) -> Event:
    return _record(actor, member, K.EXPULSION, effective_on, **extra)


@transaction.atomic
@audited
def accept_resignation(actor, member: Member, *, effective_on, **extra) -> Event:
    return _record(actor, member, K.RESIGNATION, effective_on, **extra)


@transaction.atomic
@audited
def readmit(actor, member: Member, *, unit: Unit | None, effective_on, ceremony_on=None, other_side="",
            **extra) -> Event:  # fmt: skip
    extra["decided_on"] = extra.get("decided_on") or effective_on
    return _record(actor, member, K.READMISSION, effective_on, unit=unit, ceremony_on=ceremony_on,
                   other_side=other_side, **extra)  # fmt: skip


@transaction.atomic
@audited
def restore(actor, member: Member, *, unit: Unit | None, effective_on, other_side="", **extra) -> Event:
    return _record(actor, member, K.RESTORATION, effective_on, unit=unit, other_side=other_side, **extra)


def _home_on(events: list[Event], day: datetime.date) -> int | None:
    """The cell of the member's official stint on `day` by their recorded events (the cell a
    transfer on that day leaves)."""
    if day is None:
        return None
    try:
        stints = replay(ordered(events)).stints
    except SequenceError:
        return None
    return next((s.unit_id for s in stints if s.kind == StintKind.OFFICIAL and s.start <= day
                 and (s.end is None or day < s.end)), None)  # fmt: skip


RECORDERS = {
    K.RECOGNITION: recognise,
    K.NON_RECOGNITION: refuse_recognition,
    K.TRANSFER_IN: transfer_in,
    K.TRANSFER_OUT: transfer_out,
    K.TRANSFER_WITHIN: transfer_within,
    K.TEMPORARY_AWAY: send_temporarily,
    K.TEMPORARY_HOSTED: host_temporarily,
    K.EXEMPTION: exempt,
    K.DEATH: record_death,
    K.REMOVAL: remove,
    K.EXPULSION: expel,
    K.RESIGNATION: accept_resignation,
    K.READMISSION: readmit,
    K.RESTORATION: restore,
}


@transaction.atomic
@audited
def cancel_latest_event(actor, member: Member, reason: str) -> Event:
    """Undo the member's latest event (a correction), keeping it in the record as cancelled."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Hãy nêu lý do hủy sự kiện.")
    events = ordered(_lock(member))
    if not events:
        raise ValidationError("Đảng viên không có sự kiện nào để hủy.")
    latest = events[-1]
    if len(events) == 1:
        raise ValidationError(
            "Không thể hủy quyết định kết nạp, sự kiện duy nhất của đảng viên; nếu hồ sơ nhập nhầm, "
            "hãy đề nghị quản trị hệ thống xử lý."
        )
    before = snapshot(latest)
    _apply(member, events[:-1])
    latest.cancelled_at = timezone.now()
    latest.cancelled_by = actor if getattr(actor, "is_authenticated", False) else None
    latest.cancel_reason = reason
    latest.save(update_fields=["cancelled_at", "cancelled_by", "cancel_reason"])
    record(actor, "cancel_event", latest, before, snapshot(latest), note=reason)
    return latest


# --- the member's record: corrections and dated changes --------------------------------------------

# The fields of the member sheet (DOMAIN §3) staff edit on the member's page. The party dates come
# from the events (admission, recognition), never typed.
EDITABLE_FIELDS = (
    "family_name", "middle_name", "given_name", "other_name", "sex", "birth_date", "ethnicity", "religion",
    "home_town", "residence", "citizen_id", "education", "qualification", "theory_level", "foreign_language",
    "occupation", "workplace", "party_position", "government_position", "union_position", "card_number",
    "old_card_number", "background_number", "badge",
)  # fmt: skip
# Fields the tallies count: a change moves the figures of the member's units.
COUNTED_FIELDS = {"sex", "birth_date", "theory_level"}
CHANGED_MEANWHILE = (
    "Hồ sơ của đảng viên vừa được người khác sửa sau khi bạn mở trang này; thay đổi của bạn chưa được lưu. "
    "Hãy xem lại hồ sơ hiện tại rồi sửa lại."
)


def _identifier_errors(member: Member, changed: set[str]) -> dict[str, str]:
    """The workbook's rules for identifiers (members.identifiers), on the fields being changed: a
    record that still holds an old 9-digit identity card number can be edited otherwise."""
    errors = {}
    if "citizen_id" in changed and member.citizen_id is not None and not is_citizen_id(member.citizen_id):
        errors["citizen_id"] = "Số căn cước công dân gồm đúng 12 chữ số."
    for name in ("card_number", "old_card_number"):
        value = getattr(member, name)
        if name in changed and value and not is_card_number(value):
            errors[name] = "Số thẻ đảng viên gồm 8 chữ số (thẻ cũ) hoặc 12 chữ số (thẻ mới)."
    if "card_number" in changed and member.card_number:
        other = Member.unscoped.filter(card_number=member.card_number).exclude(pk=member.pk).exists()
        if other:
            errors["card_number"] = "Số thẻ đảng viên này đã có trong hồ sơ một đảng viên khác."
    return errors


@transaction.atomic
@audited
def edit_member(actor, member: Member, values: dict, *, effective_on: datetime.date | None = None,
                seen_at: datetime.datetime | None = None) -> list[str]:  # fmt: skip
    """Correct or update the member's record with `values` (some of EDITABLE_FIELDS); returns the
    fields changed (none: nothing written). `seen_at` is the record's `updated_at` when the form was
    drawn: a record changed since is refused rather than overwritten. With `effective_on`, the
    dated attributes changed (theory level, positions) take their new value from that day and keep
    the old one before it (`AttributeChange`); without it, a change is a correction of the value in
    force since the latest dated change (or always). Field errors are a ValidationError by field."""
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(f"Không sửa được các trường: {', '.join(sorted(unknown))}.")
    locked = Member.unscoped.select_for_update().get(pk=member.pk)
    changed = [name for name in EDITABLE_FIELDS if name in values and getattr(locked, name) != values[name]]
    if not changed:
        nothing_changed()
        return []
    if seen_at is not None and locked.updated_at != seen_at:
        raise ValidationError(CHANGED_MEANWHILE)
    dated = [name for name in changed if name in DatedAttribute.values]
    if effective_on is not None:
        if not dated:
            raise ValidationError({"effective_on": "Ngày có hiệu lực chỉ dùng khi thay đổi lý luận chính trị hoặc chức "
                                                   "vụ; để trống nếu chỉ sửa thông tin nhập sai."})  # fmt: skip
        if effective_on > today():
            raise ValidationError({"effective_on": "Ngày có hiệu lực không được sau hôm nay: chỉ ghi nhận thay đổi "
                                                   "đã có."})  # fmt: skip
        born = values.get("birth_date", locked.birth_date)
        if effective_on <= born:
            raise ValidationError({"effective_on": "Ngày có hiệu lực phải sau ngày sinh."})
        latest = dict(
            AttributeChange.unscoped.filter(member=locked, attribute__in=dated)
            .values_list("attribute")
            .annotate(latest=Max("effective_on"))
        )
        for name in dated:
            if latest.get(name) and effective_on < latest[name]:
                since = vn.format_date(latest[name])
                message = (f"{DatedAttribute(name).label} đã có thay đổi từ ngày {since}: ngày có hiệu lực phải "
                           "từ ngày đó trở đi.")  # fmt: skip
                raise ValidationError({"effective_on": message})
    before, was = snapshot(locked), profile_of(locked)
    for name in changed:
        setattr(locked, name, values[name])
    errors = _identifier_errors(locked, set(changed))
    try:
        locked.full_clean(exclude=[f.name for f in Member._meta.fields if f.name not in changed])
    except ValidationError as invalid:
        for name, messages in invalid.message_dict.items():
            errors.setdefault(name, " ".join(messages))
    if errors:
        raise ValidationError(errors)
    if "birth_date" in changed:
        try:
            replay(ordered(locked.events.active()), born_on=locked.birth_date)
        except SequenceError as error:
            raise ValidationError({"birth_date": error.message}) from None
        if locked.birth_date >= locked.admitted_on:
            raise ValidationError({"birth_date": "Ngày sinh phải trước ngày vào Đảng."})
    try:
        with transaction.atomic():
            locked.save(update_fields=[*changed, "updated_at"])
    except IntegrityError:  # the citizen ID, written meanwhile by another request
        raise ValidationError({"citizen_id": Member._meta.get_field("citizen_id").error_messages["unique"]}) from None
    if effective_on is not None:
        by = actor if getattr(actor, "is_authenticated", False) else None
        AttributeChange.unscoped.bulk_create(
            AttributeChange(member=locked, attribute=name, effective_on=effective_on, previous=before[name] or "",
                            value=values[name] or "", recorded_by=by)
            for name in dated
        )  # fmt: skip
    if COUNTED_FIELDS & set(changed):
        official = [(u, a, b, s) for u, a, b, s in Stint.unscoped.filter(member=locked, kind=StintKind.OFFICIAL)
                    .values_list("unit_id", "start", "end", "status")]  # fmt: skip
        adjust_tallies(locked, official, official, was=was)
    note = f"Có hiệu lực từ ngày {vn.format_date(effective_on)}" if effective_on else ""
    record(actor, "update_member", locked, before, snapshot(locked), note=note)
    member.__dict__.update({name: getattr(locked, name) for name in [*changed, "updated_at", "search_name",
                                                                      "sort_key"]})  # fmt: skip
    return changed


# --- a member who arrives from outside the tree ----------------------------------------------------

# The party file (hồ sơ đảng viên) that comes with an official transfer, and the letter of a
# temporary one; the papers received and those missing are kept in the arrival event's note.
PAPERS = [
    ("gioi_thieu", "Giấy giới thiệu sinh hoạt đảng"),
    ("phieu_dang_vien", "Phiếu đảng viên (mẫu 2-HSĐV)"),
    ("ly_lich", "Lý lịch của người xin vào Đảng (mẫu 2-KNĐ)"),
    ("don", "Đơn xin vào Đảng"),
    ("gioi_thieu_ket_nap", "Giấy giới thiệu người vào Đảng"),
    ("quyet_dinh_ket_nap", "Quyết định kết nạp đảng viên"),
    ("quyet_dinh_chinh_thuc", "Quyết định công nhận đảng viên chính thức"),
    ("phieu_bo_sung", "Phiếu bổ sung hồ sơ đảng viên (mẫu 3-HSĐV)"),
]
# A member hosted temporarily brings the letter only; their file stays with their home committee.
TEMPORARY_PAPERS = ["gioi_thieu"]
ARRIVAL_KINDS = (K.TRANSFER_IN, K.TEMPORARY_HOSTED)


def papers_note(kind: str, papers, official: bool, dues_paid_until: str = "") -> str:
    """The note of an arrival: the papers received, those missing, and the dues paid."""
    labels = dict(PAPERS)
    unknown = set(papers) - set(labels)
    if unknown:
        raise ValidationError({"papers": "Giấy tờ không hợp lệ."})
    expected = TEMPORARY_PAPERS if kind == K.TEMPORARY_HOSTED else [
        code for code, _ in PAPERS if official or code != "quyet_dinh_chinh_thuc"
    ]  # fmt: skip
    received = [labels[code] for code, _ in PAPERS if code in set(papers)]
    missing = [labels[code] for code in expected if code not in set(papers)]
    parts = [f"Hồ sơ đã nhận: {'; '.join(received) or 'chưa có'}."]
    if missing:
        parts.append(f"Còn thiếu: {'; '.join(missing)}.")
    if dues_paid_until:
        parts.append(f"Đã đóng đảng phí hết tháng {dues_paid_until}.")
    return " ".join(parts)


@transaction.atomic
@audited
def take_in(actor, fields: dict, *, kind: str, unit: Unit, effective_on: datetime.date, other_side: str,
            admitted_on: datetime.date, official_on: datetime.date | None = None, ceremony_on=None, ends_on=None,
            papers=(), dues_paid_until: str = "", note: str = "", **decision) -> Member:  # fmt: skip
    """A member who comes from a committee outside the tree (`other_side`): officially
    (chuyển sinh hoạt chính thức đến, `K.TRANSFER_IN`) or to be hosted temporarily
    (`K.TEMPORARY_HOSTED`, until `ends_on`). Creates the record from `fields` and the history the
    file shows — the admission outside on `admitted_on`, the recognition on `official_on` (12 months
    after a ceremony) — then the arrival into `unit`, each through `_record` and its rules."""
    if kind not in ARRIVAL_KINDS:
        raise ValidationError("Hình thức tiếp nhận không hợp lệ.")
    other_side = (other_side or "").strip()
    if not other_side:
        raise ValidationError({"other_side": "Hãy ghi tên tổ chức đảng nơi đảng viên chuyển đến từ đó."})
    if admitted_on is None:
        raise ValidationError({"admitted_on": "Hãy nhập ngày vào Đảng."})
    if effective_on is None:
        raise ValidationError({"effective_on": "Hãy nhập ngày hiệu lực."})
    if admitted_on >= effective_on:
        raise ValidationError({"admitted_on": "Ngày vào Đảng phải trước ngày chuyển đến."})
    if official_on is not None:
        if official_on > effective_on:
            raise ValidationError({"official_on": "Ngày chính thức sau ngày chuyển đến: hãy để trống và ghi nhận công "
                                                  "nhận đảng viên chính thức khi có quyết định."})  # fmt: skip
        ceremony_on = vn.add_years(official_on, -1)
        if ceremony_on < admitted_on:
            raise ValidationError({"official_on": "Ngày chính thức phải sau ngày vào Đảng ít nhất 12 tháng (hết 12 "
                                                  "tháng dự bị tính từ lễ kết nạp)."})  # fmt: skip
    elif ceremony_on is not None and ceremony_on < admitted_on:
        raise ValidationError({"ceremony_on": "Lễ kết nạp không thể trước ngày vào Đảng."})
    if "birth_date" in fields and fields["birth_date"] and fields["birth_date"] >= admitted_on:
        raise ValidationError({"birth_date": "Ngày sinh phải trước ngày vào Đảng."})
    member = Member(**fields, admitted_on=admitted_on)
    errors = {}
    try:
        member.full_clean()
    except ValidationError as invalid:
        errors = {name: " ".join(messages) for name, messages in invalid.message_dict.items()}
    for name, message in _identifier_errors(member, {"citizen_id", "card_number", "old_card_number"}).items():
        errors.setdefault(name, message)
    if errors:
        raise ValidationError(errors)
    arrival_note = " ".join(part for part in (papers_note(kind, papers, official_on is not None, dues_paid_until),
                                              (note or "").strip()) if part)  # fmt: skip
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError:
        raise ValidationError({"citizen_id": Member._meta.get_field("citizen_id").error_messages["unique"]}) from None
    record(actor, "create_member", member, None, snapshot(member))
    source = "Theo hồ sơ đảng viên chuyển đến"
    _record(actor, member, K.ADMISSION, admitted_on, other_side=other_side, decided_on=admitted_on,
            ceremony_on=ceremony_on, note=f"{source}: kết nạp tại tổ chức đảng bên ngoài Đảng bộ.")  # fmt: skip
    if official_on is not None:
        _record(actor, member, K.RECOGNITION, official_on, note=source + ".")
    arrival = {"ends_on": ends_on} if kind == K.TEMPORARY_HOSTED else {}
    _record(actor, member, kind, effective_on, unit=unit, other_side=other_side, note=arrival_note,
            **arrival, **decision)  # fmt: skip
    member.refresh_from_db()
    return member
