"""A member's history, replayed from their membership events.

`replay` is pure: it takes the member's events in order and returns their timeline — the stints
(where and with which status they held party activity, over which days), their statuses and their
periods in the Party — or refuses the sequence with a Vietnamese message. Actions write an event
only if the member's whole sequence, the new event included, replays; the stints are then rewritten
from the timeline. Nothing else writes stints.

The rules (DOMAIN §3; Quy định 24-QĐ/TW 2021):
- The first event is the admission, here or outside our tree (then `other_side` names the
  committee). The member counts from the date of the admission decision.
- Probation lasts 12 months from the ceremony; recognition takes effect exactly on the day it ends,
  whenever it is approved. Non-recognition removes the probationary member.
- An official transfer moves the member's count: in from outside, out of the tree, or from one of
  our cells to another, always out of the cell they are in. A temporary transfer (3 months to
  2 years) leaves the count where it is: the host cell holds a temporary stint, not counted.
- Exemption from work and activity keeps the member counted.
- Death, removal, expulsion, resignation and non-recognition end membership; nothing follows death.
  Readmission (once, after removal, expulsion, resignation or non-recognition) starts a new
  probation; restoration (after expulsion or removal) gives back the status held before.
- Readmission (Quy định 294-QĐ/TW, điểm 3.5, as 24-QĐ/TW before it): at least 36 months after
  leaving, only once, and the person must meet the conditions of a first admission, among them the
  age of 18 to 60 counted in months (điểm 1.1; above 60 only by a committee directly under the
  Central Committee, which is not ours to record). The age is checked at the decision, the one date
  recorded (the cell's vote comes a little before it). The cases 3.5.2 bars (those who abandoned
  party activity, left of their own will without a family hardship, caused serious disunity, or were
  convicted of corruption or a serious crime) turn on reasons the leaving events do not record: the
  committee checks them on the file.
- Party age counts from the admission decision, less the time out of the Party, for official
  members (Điều lệ Đảng, Điều 5, khoản 4). A readmitted member's party age counts again once they are
  recognised official: from the first admission decision, less the time out of the Party, the
  probation of the readmission included (Quy định 294-QĐ/TW, điểm 4.5.2, as 24-QĐ/TW before it).
  Until then it is not counted, as for any probationary member; the days before they left keep the
  party age they had then.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from dangbo.lib import vn

from .models import EventKind, MemberStatus, StintKind

K = EventKind
LEAVING = {K.DEATH, K.REMOVAL, K.EXPULSION, K.RESIGNATION, K.NON_RECOGNITION}
READMITTABLE = {K.REMOVAL, K.EXPULSION, K.RESIGNATION, K.NON_RECOGNITION}
RESTORABLE = {K.EXPULSION, K.REMOVAL}
TEMPORARY_MIN_MONTHS = 3
TEMPORARY_MAX_YEARS = 2
READMISSION_WAIT_MONTHS = 36  # Quy định 294-QĐ/TW, điểm 3.5.1
ADMISSION_MAX_AGE_MONTHS = 60 * 12  # "đủ 18 tuổi đến đủ 60 tuổi (tính theo tháng)", điểm 1.1.1
# The kinds that bring the member into one of our cells, and those that need the cell they leave.
INTO_UNIT = {K.TRANSFER_IN, K.TRANSFER_WITHIN, K.TEMPORARY_HOSTED}
FROM_UNIT = {K.TRANSFER_OUT, K.TRANSFER_WITHIN}


class SequenceError(Exception):
    """The events do not form a possible history; `message` says why, in Vietnamese."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class Span:
    unit_id: int
    kind: str
    status: str
    start: datetime.date
    end: datetime.date | None = None
    # On a probationary span: the (re)admission decision and ceremony of that probation.
    decided_on: datetime.date | None = None
    ceremony_on: datetime.date | None = None


@dataclass
class Timeline:
    stints: list[Span] = field(default_factory=list)
    admitted_on: datetime.date | None = None  # the first admission decision (ngày vào Đảng)
    official_on: datetime.date | None = None  # the latest recognition
    ceremony_on: datetime.date | None = None  # of the current probation
    status: str | None = None  # probationary or official while in the Party, else None
    home: int | None = None  # the cell holding the official stint; None when outside our tree
    left: tuple[str, datetime.date] | None = None  # how and when they last left the Party
    periods: list[list] = field(default_factory=list)  # [start, end) in the Party, end None if open
    statuses: list[list] = field(default_factory=list)  # [start, end, status): the status day by day
    exemptions: list[tuple[datetime.date, datetime.date | None]] = field(default_factory=list)
    away: list[list] = field(default_factory=list)  # [start, end): temporary transfers away from home
    readmitted: bool = False
    readmitted_on: datetime.date | None = None  # the readmission decision
    status_before_leaving: str | None = None
    probation_decided_on: datetime.date | None = None  # the decision that began the current probation

    @property
    def probation_ends(self) -> datetime.date | None:
        """The day probation ends and recognition takes effect: 12 months after the ceremony."""
        if self.status != MemberStatus.PROBATIONARY or self.ceremony_on is None:
            return None
        return vn.add_years(self.ceremony_on, 1)

    def exempted_on(self, on: datetime.date) -> bool:
        return any(start <= on and (end is None or on < end) for start, end in self.exemptions)

    def away_on(self, on: datetime.date) -> bool:
        """Holding party activity temporarily elsewhere on `on`."""
        return any(start <= on and (end is None or on < end) for start, end in self.away)

    def _span_on(self, on: datetime.date) -> list | None:
        for span in self.statuses:
            if span[0] <= on and (span[1] is None or on < span[1]):
                return span
        return None

    def status_on(self, on: datetime.date) -> str | None:
        """Probationary or official on `on`; None before admission and while out of the Party."""
        span = self._span_on(on)
        return span[2] if span else None

    def party_start_on(self, on: datetime.date) -> datetime.date | None:
        """The notional start of the party age on `on`: the admission decision moved later by each
        time out of the Party before that day, in calendar terms (2 years out move it by 2 years,
        whatever the leap days). None when the member is not official on that day."""
        if self.status_on(on) != MemberStatus.OFFICIAL:
            return None
        start = self.periods[0][0]
        for (_, out), (back, _) in zip(self.periods, self.periods[1:]):
            if back > on:
                break
            start = vn.add_calendar_gap(start, out, back)
        return start

    @property
    def party_start(self) -> datetime.date | None:
        """The notional start of the party age of a member official now (in their last status)."""
        if self.status != MemberStatus.OFFICIAL or not self.statuses:
            return None
        return self.party_start_on(self.statuses[-1][0])

    def readmission_probation_on(self, on: datetime.date) -> bool:
        """On probation after the readmission on `on`: the party age waits for the recognition."""
        return (
            self.readmitted_on is not None
            and on >= self.readmitted_on
            and self.status_on(on) == MemberStatus.PROBATIONARY
        )

    def party_age_on(self, on: datetime.date) -> int | None:
        """Whole years in the Party on `on`, from the admission decision less the time out; counted
        for official members only (None while probationary or out of the Party)."""
        start = self.party_start_on(on)
        return None if start is None else vn.age_on(start, on)


def _d(day: datetime.date | None) -> str:
    return vn.format_date(day)


def replay(events, born_on: datetime.date | None = None) -> Timeline:
    """The timeline of a member from their active events, in order of `effective_on` (ties in the
    order recorded). Each event needs the attributes of `models.Event` read below. With `born_on`,
    the member's birth date, the age at a readmission is checked too."""
    t = Timeline()
    temporary: Span | None = None  # the open temporary stint, in one of our cells
    temporary_until: datetime.date | None = None  # end of a temporary transfer (ours or away)
    current: Span | None = None  # the open official stint

    def probation():
        if t.status != MemberStatus.PROBATIONARY:
            return None, None
        return t.probation_decided_on, t.ceremony_on

    def set_status(status, day):
        if t.statuses and t.statuses[-1][1] is None:
            t.statuses[-1][1] = day
        if status is not None:
            t.statuses.append([day, None, status])
        t.statuses[:] = [span for span in t.statuses if span[1] is None or span[1] > span[0]]

    def close_official(day):
        nonlocal current
        if current is not None:
            current.end = day
            current = None

    def open_official(unit_id, day):
        nonlocal current
        close_official(day)
        if unit_id is not None:
            current = Span(unit_id, StintKind.OFFICIAL, t.status, day, None, *probation())
            t.stints.append(current)

    def end_temporary(day):
        nonlocal temporary, temporary_until
        if temporary is not None and (temporary.end is None or temporary.end > day):
            temporary.end = day
        if t.away and t.away[-1][0] <= day and (t.away[-1][1] is None or t.away[-1][1] > day):
            t.away[-1][1] = day
        temporary, temporary_until = None, None

    for event in events:
        kind, on = event.kind, event.effective_on
        if temporary_until is not None and temporary_until <= on:
            temporary, temporary_until = None, None
        if t.left and t.left[0] == K.DEATH:
            raise SequenceError(f"Đảng viên đã từ trần ngày {_d(t.left[1])}; không thể ghi nhận thêm sự kiện.")
        if t.admitted_on is None and kind != K.ADMISSION:
            raise SequenceError(
                "Sự kiện đầu tiên của đảng viên phải là kết nạp vào Đảng; không ghi nhận sự kiện trước đó."
            )
        if kind in INTO_UNIT and event.unit_id is None:
            raise SequenceError("Hãy chọn chi bộ đến.")
        if kind in FROM_UNIT and event.from_unit_id is not None and event.from_unit_id != t.home:
            raise SequenceError("Đảng viên không sinh hoạt chính thức tại chi bộ chuyển đi vào ngày này.")

        if kind in (K.ADMISSION, K.READMISSION):
            if kind == K.ADMISSION and t.admitted_on is not None:
                raise SequenceError(
                    "Đảng viên đã được kết nạp ngày "
                    f"{_d(t.admitted_on)}; người đã ra khỏi Đảng được ghi nhận kết nạp lại."
                )
            if kind == K.READMISSION:
                _require_out(t, READMITTABLE, "kết nạp lại")
                if t.readmitted:
                    raise SequenceError("Mỗi người chỉ được kết nạp lại một lần (Quy định 294-QĐ/TW, điểm 3.5).")
                _check_readmission(t, on, born_on)
                t.readmitted, t.readmitted_on = True, on
            if event.unit_id is None and not event.other_side:
                raise SequenceError("Hãy chọn chi bộ kết nạp, hoặc ghi tên tổ chức đảng kết nạp bên ngoài.")
            if event.ceremony_on is not None and event.ceremony_on < on:
                raise SequenceError("Lễ kết nạp không thể trước ngày quyết định kết nạp.")
            t.admitted_on = t.admitted_on or on
            t.status, t.ceremony_on, t.left = MemberStatus.PROBATIONARY, event.ceremony_on, None
            t.probation_decided_on = on
            t.periods.append([on, None])
            set_status(t.status, on)
            t.home = event.unit_id
            open_official(event.unit_id, on)
        elif kind == K.RESTORATION:
            _require_out(t, RESTORABLE, "phục hồi đảng tịch")
            if event.unit_id is None and not event.other_side:
                raise SequenceError("Hãy chọn chi bộ sinh hoạt, hoặc ghi tên tổ chức đảng bên ngoài.")
            t.status, t.left = t.status_before_leaving, None
            t.periods.append([on, None])
            set_status(t.status, on)
            t.home = event.unit_id
            open_official(event.unit_id, on)
        else:
            _require_in(t, on)
            if kind == K.RECOGNITION:
                if t.status != MemberStatus.PROBATIONARY:
                    raise SequenceError("Chỉ đảng viên dự bị mới được xét công nhận chính thức.")
                if t.ceremony_on is None:
                    raise SequenceError("Chưa ghi nhận ngày lễ kết nạp nên chưa xác định được ngày hết dự bị.")
                if on != t.probation_ends:
                    raise SequenceError(
                        "Công nhận đảng viên chính thức có hiệu lực đúng ngày hết 12 tháng dự bị "
                        f"({_d(t.probation_ends)}), kể cả khi được xét muộn."
                    )
                t.status, t.official_on = MemberStatus.OFFICIAL, on
                set_status(t.status, on)
                open_official(t.home, on)
                if temporary is not None and (temporary.end is None or temporary.end > on):
                    # The temporary stint goes on with the new status, as the official one does.
                    rest = Span(temporary.unit_id, StintKind.TEMPORARY, t.status, on, temporary.end)
                    temporary.end = on
                    temporary = rest
                    t.stints.append(rest)
            elif kind == K.TRANSFER_IN:
                if not event.other_side:
                    raise SequenceError("Hãy ghi tên tổ chức đảng nơi đảng viên chuyển đến từ đó.")
                if t.home is not None:
                    raise SequenceError(
                        "Đảng viên đang sinh hoạt chính thức tại một chi bộ trong Đảng bộ; hãy ghi nhận chuyển "
                        "sinh hoạt trong Đảng bộ."
                    )
                if event.unit_id == (temporary.unit_id if temporary else None):
                    end_temporary(on)
                t.home = event.unit_id
                open_official(event.unit_id, on)
            elif kind == K.TRANSFER_OUT:
                if t.home is None:
                    raise SequenceError("Đảng viên không sinh hoạt chính thức tại chi bộ nào trong Đảng bộ.")
                if not event.other_side:
                    raise SequenceError("Hãy ghi tên tổ chức đảng nơi đảng viên chuyển đến.")
                end_temporary(on)
                t.home = None
                close_official(on)
            elif kind == K.TRANSFER_WITHIN:
                if t.home is None:
                    raise SequenceError("Đảng viên không sinh hoạt chính thức tại chi bộ nào trong Đảng bộ.")
                if event.unit_id == t.home:
                    raise SequenceError("Chi bộ đến trùng với chi bộ đang sinh hoạt.")
                end_temporary(on)
                t.home = event.unit_id
                open_official(event.unit_id, on)
            elif kind in (K.TEMPORARY_AWAY, K.TEMPORARY_HOSTED):
                if temporary_until is not None:
                    raise SequenceError(f"Đảng viên đang sinh hoạt tạm thời đến ngày {_d(temporary_until)}.")
                _check_temporary_length(on, event.ends_on)
                if kind == K.TEMPORARY_AWAY:
                    if t.home is None:
                        raise SequenceError("Đảng viên không sinh hoạt chính thức tại chi bộ nào trong Đảng bộ.")
                    if event.unit_id is None and not event.other_side:
                        raise SequenceError("Hãy chọn chi bộ đến, hoặc ghi tên tổ chức đảng nơi sinh hoạt tạm thời.")
                    if event.unit_id == t.home:
                        raise SequenceError("Chi bộ sinh hoạt tạm thời trùng với chi bộ sinh hoạt chính thức.")
                elif t.home is not None:
                    raise SequenceError(
                        "Đảng viên đang sinh hoạt chính thức trong Đảng bộ; hãy ghi nhận chuyển sinh hoạt tạm thời đi."
                    )
                temporary_until = event.ends_on
                if kind == K.TEMPORARY_AWAY:
                    t.away.append([on, event.ends_on])
                if event.unit_id is not None:
                    temporary = Span(event.unit_id, StintKind.TEMPORARY, t.status, on, event.ends_on, *probation())
                    t.stints.append(temporary)
            elif kind == K.EXEMPTION:
                if event.ends_on is not None and event.ends_on <= on:
                    raise SequenceError("Ngày kết thúc miễn sinh hoạt phải sau ngày bắt đầu.")
                for start, end in t.exemptions:
                    if end is None or end > on:
                        raise SequenceError(f"Đảng viên đang được miễn công tác và sinh hoạt đảng từ ngày {_d(start)}.")
                t.exemptions.append((on, event.ends_on))
            elif kind in LEAVING:
                if kind == K.NON_RECOGNITION and t.status != MemberStatus.PROBATIONARY:
                    raise SequenceError("Chỉ đảng viên dự bị mới có thể không được công nhận chính thức.")
                if t.status == MemberStatus.PROBATIONARY and t.ceremony_on is not None and t.ceremony_on > on:
                    raise SequenceError(
                        f"Ngày lễ kết nạp ({_d(t.ceremony_on)}) phải trước ngày "
                        f"{EventKind(kind).label.lower()} ({_d(on)})."
                    )
                end_temporary(on)
                _leave(t, kind, on)
                set_status(None, on)
                close_official(on)
                t.home = None
            else:  # pragma: no cover - every kind is handled above
                raise SequenceError(f"Loại sự kiện không hợp lệ: {kind}")
    t.stints = [s for s in t.stints if s.end is None or s.end > s.start]
    return t


def _require_in(t: Timeline, on: datetime.date) -> None:
    if t.status is None:
        how, when = t.left or ("", on)
        raise SequenceError(
            f"Người này không còn là đảng viên ({EventKind(how).label.lower()} ngày {_d(when)})."
            if how
            else "Người này không phải là đảng viên."
        )


def _require_out(t: Timeline, allowed: set, what: str) -> None:
    if t.status is not None:
        raise SequenceError(f"Người này đang là đảng viên; không thể {what}.")
    if t.left is None or t.left[0] not in allowed:
        reasons = ", ".join(EventKind(k).label.lower() for k in sorted(allowed))
        raise SequenceError(f"Chỉ {what} cho người đã ra khỏi Đảng do {reasons}.")


def _check_readmission(t: Timeline, on: datetime.date, born_on: datetime.date | None) -> None:
    how, left_on = t.left
    earliest = vn.add_months(left_on, READMISSION_WAIT_MONTHS)
    if on < earliest:
        raise SequenceError(
            f"Chỉ xét kết nạp lại người đã ra khỏi Đảng ít nhất 36 tháng (Quy định 294-QĐ/TW, điểm 3.5.1): "
            f"{_lower_first(EventKind(how).label)} ngày {_d(left_on)}, nên sớm nhất từ ngày {_d(earliest)}."
        )
    months = vn.months_between(born_on, on) if born_on is not None else 0
    if months > ADMISSION_MAX_AGE_MONTHS:
        age = f"{months // 12} tuổi" + (f" {months % 12} tháng" if months % 12 else "")
        raise SequenceError(
            f"Người được kết nạp lại phải đủ điều kiện của người vào Đảng, trong đó tuổi đời từ đủ 18 đến đủ "
            f"60 tuổi tính theo tháng (Quy định 294-QĐ/TW, điểm 1.1 và 3.5.1); ngày {_d(on)} người này đã {age}. "
            "Kết nạp người trên 60 tuổi do cấp ủy trực thuộc Trung ương quyết định."
        )


def _lower_first(label: str) -> str:
    """"Xin ra khỏi Đảng" → "xin ra khỏi Đảng": the Party keeps its capital."""
    return label[:1].lower() + label[1:]


def _leave(t: Timeline, kind: str, on: datetime.date) -> None:
    t.status_before_leaving = t.status
    t.status, t.left = None, (kind, on)
    t.periods[-1][1] = on
    t.exemptions = [(start, end if end is not None and end <= on else on) for start, end in t.exemptions]


def _check_temporary_length(on: datetime.date, ends_on: datetime.date | None) -> None:
    if ends_on is None:
        raise SequenceError("Hãy nhập ngày kết thúc sinh hoạt tạm thời.")
    shortest = vn.add_months(on, TEMPORARY_MIN_MONTHS)
    longest = vn.add_years(on, TEMPORARY_MAX_YEARS)
    if not shortest <= ends_on <= longest:
        raise SequenceError(
            f"Sinh hoạt tạm thời kéo dài từ 3 tháng đến 2 năm: kết thúc trong khoảng {_d(shortest)} – {_d(longest)}."
        )
