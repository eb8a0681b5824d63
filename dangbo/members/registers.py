"""The member register of a unit (Sổ danh sách đảng viên, mẫu 7-HSĐV) as of a date, as Excel.

The register lists the members counted in the unit's subtree on the day, by given name, in the
form's 14 columns; a second part lists those who left the subtree since 1 January of that year
(transferred out, died, left the Party), with the columns of their leaving filled in, as the
paper register records them when it is reconciled every three months.
"""

from __future__ import annotations

import datetime
from collections import defaultdict

from dangbo.lib import vn, xlsx
from dangbo.orgs.labels import labels_on_days, name_of, parent_of
from dangbo.orgs.models import UnitVersion

from .figures import counted_stints
from .models import Event, EventKind, Member, MemberStatus, Stint, StintKind, records_on

K = EventKind
COLUMNS = [
    ("Số TT", 6),
    ("Họ và tên khai sinh (tên gọi khác)", 24),
    ("Ngày sinh; nam, nữ; dân tộc; tôn giáo", 18),
    ("Quê quán", 20),
    ("Văn hóa, lý luận, chuyên môn nghiệp vụ, ngoại ngữ", 22),
    ("Nghề nghiệp, nơi làm việc hiện nay", 22),
    ("Ngày vào Đảng, ngày chính thức", 15),
    ("Số thẻ đảng viên, số lý lịch, Huy hiệu Đảng", 15),
    ("Bộ đội, công an, hưu trí", 11),
    ("Ngày chuyển đi, đến đảng bộ nào", 20),
    ("Ngày chuyển đến, từ đảng bộ nào", 20),
    ("Ngày từ trần, lý do", 14),
    ("Ngày ra khỏi Đảng, hình thức ra Đảng", 16),
    ("Ghi chú", 18),
    # Not in the paper form: a register of a committee lists many cells, several of the same name.
    ("Chi bộ", 18),
    ("Trực thuộc", 26),
]
ARRIVALS = {K.ADMISSION, K.READMISSION, K.RESTORATION, K.TRANSFER_IN, K.TRANSFER_WITHIN}
OUT_OF_PARTY = {K.REMOVAL, K.EXPULSION, K.RESIGNATION, K.NON_RECOGNITION}
SERVICE_WORDS = ("quân đội", "bộ đội", "công an", "hưu trí")


def _d(day) -> str:
    return vn.format_date(day) if day else ""


def _lines(*parts) -> str:
    return "\n".join(p for p in parts if p)


LEAVINGS = {K.TRANSFER_OUT, K.TRANSFER_WITHIN, K.DEATH} | OUT_OF_PARTY


def _row(number, member: Member, events: list[Event], subtree: set[int], names: dict, on, status, cell, left_on=None):
    """The register's line of a member; `names` labels units by (unit id, day) (orgs.labels); `cell`
    is the label of the member's cell, `left_on` the day they left the subtree, if they did."""
    arrival = next((e for e in reversed(events) if e.kind in ARRIVALS and e.unit_id in subtree
                    and e.effective_on <= on), None)  # fmt: skip
    came_from = ""
    if arrival is not None and arrival.kind == K.TRANSFER_IN:
        came_from = _lines(_d(arrival.effective_on), arrival.other_side)
    elif arrival is not None and arrival.kind == K.TRANSFER_WITHIN and arrival.from_unit_id not in subtree:
        came_from = _lines(_d(arrival.effective_on), names.get((arrival.from_unit_id, arrival.effective_on), ""))
    leaving = next((e for e in events if e.effective_on == left_on and e.kind in LEAVINGS), None)
    went_to = died = left = ""
    if leaving is not None:
        if leaving.kind == K.TRANSFER_OUT:
            went_to = _lines(_d(leaving.effective_on), leaving.other_side)
        elif leaving.kind == K.TRANSFER_WITHIN:
            went_to = _lines(_d(leaving.effective_on), names.get((leaving.unit_id, leaving.effective_on), ""))
        elif leaving.kind == K.DEATH:
            died = _lines(_d(leaving.effective_on), leaving.note)
        else:
            left = _lines(_d(leaving.effective_on), leaving.get_kind_display())
    occupation = f"{member.occupation} {member.workplace}".lower()
    notes = []
    if status == MemberStatus.PROBATIONARY and left_on is None:
        notes.append("Dự bị")
    for e in events if left_on is None else ():  # notes on the register's day, for those still here
        if e.kind == K.EXEMPTION and e.effective_on <= on and (e.ends_on is None or e.ends_on > on):
            notes.append(f"Miễn công tác và sinh hoạt đảng từ {_d(e.effective_on)}")
        if e.kind == K.TEMPORARY_AWAY and e.effective_on <= on < (e.ends_on or on):
            notes.append(f"Sinh hoạt tạm thời ở nơi khác đến ngày {_d(e.ends_on)}")
    return [
        number,
        _lines(member.full_name, f"({member.other_name})" if member.other_name else ""),
        _lines(_d(member.birth_date), member.get_sex_display(), member.ethnicity, member.religion),
        member.home_town,
        _lines(member.education, member.get_theory_level_display(), member.qualification, member.foreign_language),
        _lines(member.occupation, member.workplace),
        _lines(_d(member.admitted_on), _d(member.official_on)),
        _lines(member.card_number, member.background_number, member.badge),
        next((w.capitalize() for w in SERVICE_WORDS if w in occupation), ""),
        went_to,
        came_from,
        died,
        left,
        "; ".join(notes),
        name_of(cell),
        parent_of(cell),
    ]


def register_workbook(root: UnitVersion, on: datetime.date, scope=None) -> bytes:
    """The register of `root`'s subtree on `on`. With the reader's `scope`, a member who has left it
    since (`Seen.current` false) is listed without the personal data hidden from such a scope."""
    subtree = set(UnitVersion.objects.filter(path__startswith=root.path).values_list("unit_id", flat=True))
    current = list(counted_stints(root, on).select_related("member").order_by("member__sort_key", "member_id"))
    counted = {s.member_id for s in current}
    year_start = datetime.date(on.year, 1, 1)
    gone = list(
        Stint.unscoped.filter(kind=StintKind.OFFICIAL, unit_id__in=subtree, end__gte=year_start, end__lte=on)
        .exclude(member_id__in=counted)
        .select_related("member")
        .order_by("member__sort_key", "member_id", "end")
    )
    # Kept if the cell was inside the root on the member's last day there (cells move between
    # committees: a cell that joined the root later left someone else's register).
    versions = defaultdict(list)
    for unit_id, path, valid_from, valid_to in UnitVersion.objects.filter(
        unit_id__in={s.unit_id for s in gone}
    ).values_list("unit_id", "path", "valid_from", "valid_to"):
        versions[unit_id].append((path, valid_from, valid_to))

    def inside_on(unit_id, day):
        return any(
            path.startswith(root.path) and valid_from <= day and (valid_to is None or day < valid_to)
            for path, valid_from, valid_to in versions[unit_id]
        )

    last = {s.member_id: s for s in gone}  # each member once, their latest stint
    gone = [s for s in last.values() if inside_on(s.unit_id, s.end - datetime.timedelta(days=1))]
    gone.sort(key=lambda s: (s.member.sort_key, s.member_id))
    member_ids = counted | {s.member_id for s in gone}
    events = defaultdict(list)
    for event in Event.unscoped.active().filter(member_id__in=member_ids).order_by("effective_on", "pk"):
        events[event.member_id].append(event)
    # Units named as they stood on the day of each event, and each member's cell on the register's
    # day (or the last day there, for those who left): two queries.
    days = {(u, e.effective_on) for es in events.values() for e in es for u in (e.unit_id, e.from_unit_id)}
    cell_days = {s.member_id: (s.unit_id, on) for s in current}
    cell_days |= {s.member_id: (s.unit_id, s.end - datetime.timedelta(days=1)) for s in gone}
    names = labels_on_days(days | set(cell_days.values()))
    shown = {}
    if scope is not None:
        seen = scope.seen_many([s.member for s in current] + [s.member for s in gone])
        shown = {pk: member.shown_member() for pk, member in seen.items() if not member.current}
    # Theory level and positions as they were on the register's day (hidden ones stay hidden).
    records_on([s.member for s in current + gone if s.member_id not in shown], on)
    rows = [
        _row(i, shown.get(s.member_id, s.member), events[s.member_id], subtree, names, on, s.status,
             names.get(cell_days[s.member_id], ""))
        for i, s in enumerate(current, 1)
    ]
    left_rows = [
        _row(i, shown.get(s.member_id, s.member), events[s.member_id], subtree, names, on, s.status,
             names.get(cell_days[s.member_id], ""), left_on=s.end)
        for i, s in enumerate(gone, 1)
    ]
    heading = [
        root.name.upper(),
        "SỔ DANH SÁCH ĐẢNG VIÊN",
        f"(Mẫu 7-HSĐV) · Tại ngày {vn.format_date(on)} · {vn.format_number(len(rows))} đảng viên",
    ]
    return xlsx.workbook(
        sheet_title="Sổ danh sách đảng viên",
        heading=heading,
        columns=COLUMNS,
        rows=rows,
        sections=[(f"Đảng viên chuyển đi, từ trần, ra khỏi Đảng từ {vn.format_date(year_start)}", left_rows)],
    )
