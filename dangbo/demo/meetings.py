"""The demo's cell meetings, from January 2020 to the horizon: every cell holds its monthly regular
meeting and a thematic one each quarter (most often combined with the regular one), with the
attendance of the members it had on the day. Through the reference day every cell keeps the rules,
as the reference report says; afterwards a few cells miss a month or a quarter's thematic meeting,
or hold a meeting too short, so the compliance table has gaps to show, and a few members are absent
without reason three times in a year.

Rows are written with plain multi-row INSERTs (a city has millions of attendance rows); the totals
of each meeting come from `meetings.actions.totals_of`, as for a meeting recorded on its page.
"""

from __future__ import annotations

import datetime
import random
from collections import defaultdict
from dataclasses import dataclass

from django.core.management.color import no_style
from django.db import connection

from dangbo.lib import vn
from dangbo.meetings.actions import totals_of
from dangbo.meetings.models import Attendance, Meeting, MeetingKind, Presence, Standing, month_index
from dangbo.members.models import MemberStatus, StintKind
from dangbo.orgs.models import CELL_KINDS

date = datetime.date
FIRST_MONTH = date(2020, 1, 1)
TOPICS = [
    "Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh",
    "Nâng cao chất lượng sinh hoạt chi bộ theo Chỉ thị 50-CT/TW",
    "Công tác phát triển đảng viên trong quần chúng ưu tú",
    "Quán triệt Nghị quyết 45-NQ/TW về xây dựng đội ngũ trí thức",
    "Tuyên truyền Nghị quyết 35/2021/QH15 đến đảng viên và nhân dân",
    "Chuyển đổi số trong công tác đảng",
    "Phòng, chống suy thoái tư tưởng chính trị, đạo đức, lối sống",
    "Vai trò nêu gương của đảng viên nơi cư trú",
    "Công tác dân vận khéo ở cơ sở",
]
PLACES = ["Hội trường cơ quan", "Phòng họp tầng 2", "Nhà văn hóa khu dân cư", "Phòng họp chi bộ"]
REASONS = ["Đi công tác", "Ốm, nằm viện", "Việc gia đình", "Đi học tập trung", "Nghỉ phép"]
AGENDA = (
    "1. Đánh giá tình hình thực hiện nhiệm vụ tháng trước.\n"
    "2. Phổ biến văn bản của cấp trên.\n"
    "3. Thảo luận, đề ra nhiệm vụ tháng tới."
)
OPINIONS = "Các đồng chí đảng viên phát biểu, thống nhất với báo cáo; đề nghị tăng cường kiểm tra, đôn đốc."
CONCLUSIONS = "Chủ trì kết luận: chi bộ hoàn thành các nhiệm vụ đề ra; phân công đảng viên thực hiện nhiệm vụ mới."
RESOLUTION = "Chi bộ thống nhất 100% thông qua nghị quyết tháng, giao các đồng chí đảng viên tổ chức thực hiện."


def _meeting_day(rng: random.Random, month: date, earliest: int = 2, latest: int = 14) -> date:
    """A weekday between those days of the month (or the Monday after)."""
    day = month.replace(day=rng.randint(earliest, latest))
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    return day


def _insert(model, columns: list[str], rows: list[tuple]) -> None:
    table = model._meta.db_table
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    head = f"INSERT INTO {table} ({', '.join(connection.ops.quote_name(c) for c in columns)}) VALUES "
    ops = connection.ops

    def adapt(value):
        if isinstance(value, datetime.datetime):
            return ops.adapt_datetimefield_value(value)
        if isinstance(value, datetime.time):
            return ops.adapt_timefield_value(value)
        return value

    with connection.cursor() as cursor:
        for start in range(0, len(rows), 500):
            part = rows[start : start + 500]
            cursor.execute(head + ", ".join([one] * len(part)), [adapt(v) for row in part for v in row])


@dataclass
class CellLife:
    unit_id: int
    founded: date
    dissolved: date | None

    def exists_on(self, day: date) -> bool:
        return self.founded <= day and (self.dissolved is None or day < self.dissolved)


class MeetingWriter:
    """`cells`: CellLife of every cell; `stints`: every stint, as (unit_id, member_id, kind,
    status, start, end); `timelines`: {member id: their replayed Timeline}."""

    def __init__(self, cells, stints, timelines, chibo_id: int, horizon: date, reference_day: date, seed: int):
        self.rng = random.Random(seed)
        self.horizon, self.reference_day = horizon, reference_day
        # When the rows were written: the morning of the demo's last day.
        self.written_at = datetime.datetime(horizon.year, horizon.month, horizon.day, 8, 0, tzinfo=datetime.UTC)
        self.cells = sorted(cells, key=lambda c: c.unit_id)
        self.stints = defaultdict(list)
        for stint in stints:
            self.stints[stint[0]].append(stint)
        self.timelines = timelines
        self.chibo = next(c for c in self.cells if c.unit_id == chibo_id)
        self.next_id = (Meeting.unscoped.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
        self.meetings: list[tuple] = []
        self.attendance: list[tuple] = []
        self.written = {"meetings": 0, "attendance": 0}
        self._plan_lapses()

    def _plan_lapses(self) -> None:
        """After the reference day: ~6% of cells miss a month, ~3% a quarter's thematic meeting,
        ~3% hold one meeting too short; a few members are absent without reason repeatedly."""
        rng = self.rng
        later = [m for m in self._months() if m > self.reference_day and m < self.horizon.replace(day=1)]
        living = [c for c in self.cells if c.dissolved is None and c is not self.chibo]
        self.missed = {(c.unit_id, rng.choice(later)) for c in rng.sample(living, max(1, len(living) * 6 // 100))}
        self.no_thematic = {(c.unit_id, (m.year, (m.month - 1) // 3))
                            for c in rng.sample(living, max(1, len(living) * 3 // 100))
                            for m in [rng.choice(later[:-3])]}  # fmt: skip
        self.short = {(c.unit_id, rng.choice(later)) for c in rng.sample(living, max(1, len(living) * 3 // 100))}
        self.truants: set[tuple[int, int]] = set()  # (member id, year) absent without reason often
        for cell in rng.sample(living, max(1, len(living) // 50)) + [self.chibo]:
            members = [member_id for _, member_id, kind, _, start, end in self.stints[cell.unit_id]
                       if kind == StintKind.OFFICIAL and end is None and start < date(2025, 1, 1)]  # fmt: skip
            if members:
                self.truants.add((rng.choice(members), 2025))

    def _months(self) -> list[date]:
        """From January 2020 to the month after the horizon's (meetings planned, not yet held)."""
        months, month, last = [], FIRST_MONTH, vn.add_months(self.horizon.replace(day=1), 1)
        while month <= last:
            months.append(month)
            month = vn.add_months(month, 1)
        return months

    def write(self) -> dict:
        for cell in self.cells:
            self._cell(cell)
            if len(self.attendance) > 50_000:
                self._flush()
        self._flush()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), [Meeting]):
                    cursor.execute(sql)
        return self.written

    def _flush(self) -> None:
        _insert(Meeting, MEETING_COLUMNS, self.meetings)
        _insert(Attendance, ATTENDANCE_COLUMNS, self.attendance)
        self.written["meetings"] += len(self.meetings)
        self.written["attendance"] += len(self.attendance)
        self.meetings, self.attendance = [], []

    def _cell(self, cell) -> None:
        rng = self.rng
        self._thematic_done = False
        for month in self._months():
            if (cell.unit_id, month) in self.missed:
                continue
            quarter = (month.year, (month.month - 1) // 3)
            thematic_month = rng.random() < 1 / (3 - (month.month - 1) % 3)  # one month of each quarter
            if month.month % 3 == 1:
                self._thematic_done = False
            thematic = not self._thematic_done and thematic_month and (cell.unit_id, quarter) not in self.no_thematic
            day = _meeting_day(rng, month)
            if thematic:
                self._thematic_done = True
                if rng.random() < 0.7:
                    self._meeting(cell, day, MeetingKind.COMBINED)
                    continue
                self._meeting(cell, _meeting_day(rng, month, earliest=16, latest=24), MeetingKind.THEMATIC)
            self._meeting(cell, day, MeetingKind.REGULAR)

    def _meeting(self, cell, day: date, kind: str) -> None:
        rng = self.rng
        if not cell.exists_on(day):
            return
        held = day <= self.horizon
        if not held and not (cell is self.chibo or rng.random() < 0.1):
            return
        people = self._invitees(cell.unit_id, day)
        if held and not people:
            return
        shortest = 120 if kind == MeetingKind.COMBINED else 90
        duration = shortest + rng.choice([0, 0, 10, 15, 20, 30])
        if (cell.unit_id, day.replace(day=1)) in self.short:
            duration = shortest - 30
        rows = []
        for member_id, standing, exempted, away in people:
            presence, reason = self._presence(rng, member_id, day, exempted, away)
            rows.append(Attendance(member_id=member_id, standing=standing, exempted=exempted, away=away,
                                   presence=presence, reason=reason))  # fmt: skip
        present = [r.member_id for r in rows if r.presence == Presence.PRESENT and r.standing != Standing.HOSTED]
        meeting_id = self.next_id
        self.next_id += 1
        totals = totals_of(rows) if held else totals_of([])
        topic = rng.choice(TOPICS) if kind != MeetingKind.REGULAR else ""
        self.meetings.append((
            meeting_id, cell.unit_id, kind, topic, day, datetime.time(rng.choice([8, 14]), 0), rng.choice(PLACES),
            AGENDA, day - datetime.timedelta(days=rng.choice([1, 2, 3])) if held else None,
            day if held else None, month_index(day) if held else None, datetime.time(8, 0) if held else None,
            duration if held else None,
            present[0] if held and present else None, present[1] if held and len(present) > 1 else None,
            OPINIONS if held else "", CONCLUSIONS if held else "", RESOLUTION if held else "",
            *(totals[name] for name in TOTAL_COLUMNS), self.written_at, self.written_at,
        ))  # fmt: skip
        if held:
            self.attendance.extend((meeting_id, r.member_id, r.standing, r.exempted, r.away, r.presence, r.reason)
                                   for r in rows)  # fmt: skip

    def _invitees(self, cell_id: int, day: date) -> list[tuple]:
        people = []
        for _, member_id, kind, status, start, end in self.stints[cell_id]:
            if not (start <= day and (end is None or day < end)):
                continue
            timeline = self.timelines[member_id]
            if kind == StintKind.TEMPORARY:
                people.append((member_id, Standing.HOSTED, timeline.exempted_on(day), False))
                continue
            standing = Standing.PROBATIONARY if status == MemberStatus.PROBATIONARY else Standing.OFFICIAL
            people.append((member_id, standing, timeline.exempted_on(day), timeline.away_on(day)))
        return sorted(people)

    def _presence(self, rng, member_id: int, day: date, exempted: bool, away: bool) -> tuple[str, str]:
        if away:
            return Presence.EXCUSED, "Sinh hoạt tạm thời nơi khác"
        if exempted:
            return (Presence.PRESENT, "") if rng.random() < 0.2 else (Presence.EXCUSED, "Được miễn sinh hoạt")
        if (member_id, day.year) in self.truants and day.month in (2, 5, 9):
            return Presence.UNEXCUSED, ""
        draw = rng.random()
        if draw < 0.92:
            return Presence.PRESENT, ""
        if draw < 0.995:
            return Presence.EXCUSED, rng.choice(REASONS)
        return Presence.UNEXCUSED, ""


TOTAL_COLUMNS = ["official_count", "probationary_count", "hosted_count", "exempted_count", "away_count",
                 "present_count", "excused_count", "unexcused_count", "required_count",
                 "required_present_count"]  # fmt: skip
MEETING_COLUMNS = ["id", "cell_id", "kind", "topic", "planned_on", "planned_time", "place", "agenda",
                   "materials_sent_on", "held_on", "month_index", "started_at", "duration_minutes", "chair_id",
                   "secretary_id",
                   "opinions", "conclusions", "resolution", *TOTAL_COLUMNS, "created_at", "updated_at"]  # fmt: skip
ATTENDANCE_COLUMNS = ["meeting_id", "member_id", "standing", "exempted", "away", "presence", "reason"]


def write_meetings(builder, horizon: date, reference_day: date, seed: int) -> dict:
    """The meetings of the demo committee the builder has just written."""
    cells = [CellLife(u.unit_id, u.founded, u.dissolved) for u in builder.units if u.kind in CELL_KINDS]
    stints = [(s.unit_id, s.member_id, s.kind, s.status, s.start, s.end) for s in builder.stint_rows]
    timelines = {member.pk: timeline for member, timeline in zip(builder.members, builder.timelines)}
    return MeetingWriter(cells, stints, timelines, builder.chibo.unit_id, horizon, reference_day, seed).write()
