"""Importing the exchange workbook: plan, then apply, all or nothing.

`plan_import` reads the file (streamed), checks every row against the rules — the tree's kinds and
periods, the record's fields, and each member's history replayed by `members.events.replay`, the
same rules the pages' actions apply — and says what would change: units and members new, updated
or unchanged, events added, and every problem row by row. Nothing is written. `apply_plan` writes a
plan without problems in one transaction: new units and members in bulk (their stints are the
replay of their events, as for the demo), changes to existing ones through the actions of the
pages. The view and the command plan and apply inside one transaction, so what is written is what
the file says against the database as it is at that moment.

Members are matched by citizen ID, else by card number; a new record with the folded name and birth
date of another is a possible duplicate, which staff confirm as a different person — never merged.
"""

from __future__ import annotations

import datetime
import functools
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max

from dangbo.audit.log import audited, record, snapshot
from dangbo.lib import bulk, vn
from dangbo.lib.http import today as today_
from dangbo.members import actions as member_actions
from dangbo.members.events import SequenceError, replay
from dangbo.members.identifiers import is_accepted_card, is_accepted_identity
from dangbo.members.models import Event, EventKind, Member, Sex, Stint, StintKind
from dangbo.members.quality import refresh_flags_of_new
from dangbo.members.tallies import refresh_tallies, units_above
from dangbo.orgs import actions as org_actions
from dangbo.orgs.models import CELL_KINDS, PATH_WIDTH, Unit, UnitKind, UnitVersion, kind_parents, path_segment

from . import columns as C
from .reader import Book, Problem, clean_text, parse_day, parse_number_text, records

K = EventKind
UNKNOWN_PLACE = "Không rõ (theo danh sách nhập)"
MEMBER_TEXT_FIELDS = (
    "other_name", "ethnicity", "religion", "home_town", "residence", "background_number", "education",
    "qualification", "foreign_language", "occupation", "workplace", "party_position", "government_position",
    "union_position", "badge", "old_card_number",
)  # fmt: skip
FIELD_LIMITS = {f.name: f.max_length for f in Member._meta.concrete_fields if getattr(f, "max_length", None)}


@dataclass
class Period:
    row: int
    name: str
    kind: str
    parent: str  # code, "" at the top
    start: datetime.date
    end: datetime.date | None
    decision: str = ""


@dataclass
class PlannedUnit:
    code: str
    periods: list[Period] = field(default_factory=list)
    existing: Unit | None = None
    state: str = "new"  # new, updated, unchanged
    changes: list[tuple] = field(default_factory=list)  # for an existing unit: ("change"|"dissolve", Period)
    ref: int = 0  # its id: the real one, or a negative placeholder until written


@dataclass
class PlannedMember:
    row: int
    key: str
    fields: dict
    cell_code: str
    status: str | None
    status_on: datetime.date | None
    official_on: datetime.date | None
    existing: Member | None = None
    state: str = "new"
    events: list = field(default_factory=list)  # all events, in order (new member) or the new ones
    history_rows: list[int] = field(default_factory=list)
    changes: dict = field(default_factory=dict)  # field → (before, after)
    namesake: str = ""  # why this new record may be a duplicate


@dataclass
class Namesake:
    row: int
    name: str
    birth_date: datetime.date
    reason: str


MAX_NAMESAKES_KEPT = 1000


@dataclass
class Plan:
    """What an import would change (or changed), and what is wrong. Members are planned and written
    in chunks and not kept: the plan keeps their counts."""

    units: dict[str, PlannedUnit] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    members: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # state → count
    events_added: int = 0
    namesakes: list[Namesake] = field(default_factory=list)
    namesake_count: int = 0
    rows_read: int = 0

    def counts(self) -> dict:
        units = defaultdict(int)
        for unit in self.units.values():
            units[unit.state] += 1
        return {
            "units_new": units["new"], "units_updated": units["updated"], "units_unchanged": units["unchanged"],
            "members_new": self.members["new"], "members_updated": self.members["updated"],
            "members_unchanged": self.members["unchanged"], "events_added": self.events_added,
            "problems": len(self.problems), "namesakes": self.namesake_count,
        }  # fmt: skip

    @property
    def changes_anything(self) -> bool:
        c = self.counts()
        keys = ("units_new", "units_updated", "members_new", "members_updated", "events_added")
        return any(c[key] for key in keys)


class HistorySpool:
    """The history rows of a file, kept in a temporary SQLite file rather than in memory (a city's
    file has a million of them), found by citizen ID or card number; remembers which were read."""

    def __init__(self):
        import sqlite3
        import tempfile

        self._file = tempfile.NamedTemporaryFile(prefix="dangbo-import-", suffix=".sqlite3")
        self._db = sqlite3.connect(self._file.name)
        self._db.execute("PRAGMA journal_mode = OFF")
        self._db.execute("PRAGMA synchronous = OFF")
        self._db.execute("CREATE TABLE history (row INTEGER PRIMARY KEY, cid TEXT, card TEXT, fields BLOB)")
        self._read = bytearray()
        self._indexed = False
        self.count = 0

    def add(self, row: int, cid: str, card: str, fields: dict) -> None:
        import pickle

        self._db.execute("INSERT OR REPLACE INTO history VALUES (?, ?, ?, ?)", (row, cid or None, card or None,
                                                                               pickle.dumps(fields)))  # fmt: skip
        self.count += 1

    def take(self, cid: str | None, card: str | None) -> list[tuple[int, dict]]:
        """The rows of one member (by either number), in row order."""
        import pickle

        if not self.count or not (cid or card):
            return []
        if not self._indexed:
            self._db.execute("CREATE INDEX history_cid ON history (cid)")
            self._db.execute("CREATE INDEX history_card ON history (card)")
            self._indexed = True
        rows = self._db.execute("SELECT row, fields FROM history WHERE cid = ? OR card = ? ORDER BY row",
                                (cid or None, card or None)).fetchall()  # fmt: skip
        for row, _ in rows:
            if row >= len(self._read):
                self._read.extend(bytes(row + 1 - len(self._read) + 1024))
            self._read[row] = 1
        return [(row, pickle.loads(blob)) for row, blob in rows]

    def unread(self) -> list[int]:
        if not self.count:
            return []
        rows = (row for (row,) in self._db.execute("SELECT row FROM history ORDER BY row"))
        return [row for row in rows if row >= len(self._read) or not self._read[row]]

    def close(self) -> None:
        self._db.close()
        self._file.close()


class Planner:
    """Builds a Plan from a Book. `allowed` is the set of existing unit ids the importer may touch
    (None: any, for the command on a whole database); `top` the unit a file's top must be (the
    scope's own) when set."""

    def __init__(self, book: Book, *, allowed: set[int] | None = None, top: Unit | None = None, progress=None,
                 today: datetime.date | None = None):  # fmt: skip
        self.book, self.allowed, self.top, self.progress = book, allowed, top, progress
        self.today = today or today_()
        # The book's own list: the reader adds to it while the rows are streamed (a formula in a cell).
        self.plan = Plan(problems=book.problems)
        self._next_ref = -1
        self.versions: dict[int, list[tuple]] = {}  # unit ref → [(from, to, kind, name)], the tree once applied
        self.by_code: dict[str, int] = {}
        self.ids: dict[int, int] = {}  # placeholder → id of the units written
        self.touched: set[int] = set()  # units whose tallies follow the import

    def real(self, ref: int | None) -> int | None:
        """The id of a unit once written (a placeholder's, or an existing unit's own)."""
        return self.ids.get(ref, ref) if ref is not None else None

    def problem(self, message, sheet="", row=None, column="", value=""):
        self.plan.problems.append(Problem(message, sheet, row, column, clean_text(value)[:80]))

    # --- values ---------------------------------------------------------------------------------

    def _day(self, sheet, row, record, key, title, *, required=False, not_future=False):
        value = parse_day(record.get(key))
        if value is None:
            if required:
                self.problem(f"Thiếu {title.lower()}.", sheet, row, title)
            return None
        if isinstance(value, str):
            self.problem(f"“{value}” không phải ngày; hãy ghi ngày/tháng/năm (ví dụ 30/09/2024).", sheet, row, title,
                         value)  # fmt: skip
            return None
        if value.year < 1900 or (not_future and value > self.today) or value.year > self.today.year + 5:
            self.problem(f"Ngày {vn.format_date(value)} nằm ngoài khoảng hợp lý" +
                         (f" (sau hôm nay, {vn.format_date(self.today)})." if not_future else "."), sheet, row, title,
                         vn.format_date(value))  # fmt: skip
            return None
        return value

    def _choice(self, sheet, row, record, key, title, choices: dict, *, required=False):
        raw = clean_text(record.get(key))
        if not raw:
            if required:
                self.problem(f"Thiếu {title.lower()}.", sheet, row, title)
            return None
        value = choices.get(C.header_key(raw))
        if value is None:
            labels = sorted({label for label in _labels(choices)})
            self.problem(f"“{raw}” không phải giá trị hợp lệ của cột “{title}”" + (f" ({'; '.join(labels)})." if labels
                         else "."), sheet, row, title, raw)  # fmt: skip
        return value

    # --- the tree -------------------------------------------------------------------------------

    def plan_units(self) -> None:
        sheet = self.book.sheets.get(C.SHEET_UNITS)
        S = C.SHEET_UNITS
        if sheet is not None:
            for row, rec in records(sheet):
                self.plan.rows_read += 1
                code = clean_text(rec.get("code"))
                name = clean_text(rec.get("name"))
                kind = self._choice(S, row, rec, "kind", "Loại", C.UNIT_KINDS, required=True)
                start = self._day(S, row, rec, "valid_from", "Hiệu lực từ", required=True)
                end = self._day(S, row, rec, "valid_to", "Hiệu lực đến")
                if not code:
                    self.problem("Thiếu mã đơn vị.", S, row, "Mã đơn vị")
                elif len(code) > 32:
                    self.problem("Mã đơn vị dài quá 32 ký tự.", S, row, "Mã đơn vị", code)
                if not name:
                    self.problem("Thiếu tên đơn vị.", S, row, "Tên đơn vị")
                if start and end and end <= start:
                    self.problem("“Hiệu lực đến” phải sau “Hiệu lực từ”.", S, row, "Hiệu lực đến", vn.format_date(end))
                    continue
                if code and name and kind and start:
                    unit = self.plan.units.setdefault(code, PlannedUnit(code))
                    unit.periods.append(Period(row, name[:255], kind, clean_text(rec.get("parent")), start, end,
                                               clean_text(rec.get("decision"))[:128]))  # fmt: skip
        existing = {u.code: u for u in Unit.objects.filter(code__in=list(self.plan.units)).prefetch_related("versions")}
        for code, unit in self.plan.units.items():
            unit.periods.sort(key=lambda p: p.start)
            for before, after in zip(unit.periods, unit.periods[1:]):
                if before.end != after.start:
                    self.problem(
                        f"Các thời kỳ của đơn vị “{code}” phải nối liền nhau: thời kỳ trước "
                        + (f"kết thúc ngày {vn.format_date(before.end)}" if before.end else "chưa kết thúc")
                        + f", thời kỳ sau bắt đầu ngày {vn.format_date(after.start)}.",
                        S, after.row, "Hiệu lực từ", vn.format_date(after.start))  # fmt: skip
            unit.existing = existing.get(code)
            if unit.existing is not None:
                unit.ref = unit.existing.pk
            else:
                unit.ref, self._next_ref = self._next_ref, self._next_ref - 1
            self.by_code[code] = unit.ref
        # Units the file names as parents or cells without listing them: existing ones.
        self._known_units: dict[str, Unit] = {}
        tops = [u for u in self.plan.units.values() if u.periods and not any(p.parent for p in u.periods)]
        for unit in self.plan.units.values():
            if unit.existing is not None:
                self._compare_unit(unit, is_top=unit in tops)
            elif self.allowed is not None and unit in tops:
                self.problem(f"Đơn vị “{unit.code}” không có đơn vị cấp trên và chưa có trong dữ liệu: đơn vị cao nhất "
                             "của tệp phải là đơn vị của bạn, hoặc ghi mã đơn vị cấp trên.", S, unit.periods[0].row,
                             "Mã đơn vị cấp trên")  # fmt: skip
            if unit.existing is not None and self.allowed is not None and unit.existing.pk not in self.allowed:
                self.problem(f"Đơn vị “{unit.code}” không thuộc phạm vi quản lý của bạn.", S, unit.periods[0].row,
                             "Mã đơn vị", unit.code)  # fmt: skip
        self._load_existing_versions()
        self._check_parents()

    def _compare_unit(self, unit: PlannedUnit, *, is_top: bool) -> None:
        """Unchanged, or the file goes on from the recorded history (renamed, moved, dissolved
        later): those changes are made by the tree's actions; anything else is a conflict."""
        codes = dict(Unit.objects.filter(pk__in={v.parent_id for v in unit.existing.versions.all()} - {None})
                     .values_list("pk", "code"))  # fmt: skip

        def merged(items):
            out = []
            for start, end, name, kind, parent in items:
                if out and out[-1][1] == start and out[-1][2:] == (name, kind, parent):
                    out[-1] = (out[-1][0], end, name, kind, parent)
                else:
                    out.append((start, end, name, kind, parent))
            return out

        recorded = merged(sorted(
            (v.valid_from, v.valid_to, v.name, v.kind, "" if is_top else codes.get(v.parent_id, ""))
            for v in unit.existing.versions.all()
        ))  # fmt: skip
        filed = merged([(p.start, p.end, p.name, p.kind, "" if is_top else p.parent) for p in unit.periods])
        if recorded == filed:
            unit.state = "unchanged"
            return
        n = len(recorded)
        last = recorded[-1]
        same_prefix = filed[: n - 1] == recorded[:-1] and len(filed) >= n and filed[n - 1][0] == last[0]
        if same_prefix and last[1] is None and filed[n - 1][2:] == last[2:]:
            unit.state = "updated"
            if filed[n - 1][1] is not None and len(filed) == n:
                unit.changes.append(("dissolve", filed[n - 1][1]))
            for start, end, name, kind, parent in filed[n:]:
                unit.changes.append(("change", start, name, kind, parent))
                if end is not None and (start, end) == filed[-1][:2]:
                    unit.changes.append(("dissolve", end))
            return
        row = unit.periods[0].row
        self.problem(f"Lịch sử của đơn vị “{unit.code}” trong tệp khác với lịch sử đã ghi (chỉ được thêm các thay "
                     "đổi sau thời kỳ hiện hành: đổi tên, chuyển, giải thể).", C.SHEET_UNITS, row, "Mã đơn vị",
                     unit.code)  # fmt: skip

    def _load_existing_versions(self) -> None:
        """The tree once the file is applied, in memory: versions by unit (existing, then the file's)."""
        for unit in self.plan.units.values():
            if unit.existing is not None:
                self.versions[unit.ref] = sorted((v.valid_from, v.valid_to, v.kind, v.name, v.parent_id)
                                                 for v in unit.existing.versions.all())  # fmt: skip
                if unit.state == "updated":
                    self.versions[unit.ref] = [
                        (p.start, p.end, p.kind, p.name, p.parent) for p in unit.periods
                    ]  # parents by code, resolved below
            else:
                self.versions[unit.ref] = [(p.start, p.end, p.kind, p.name, p.parent) for p in unit.periods]

    def unit_ref(self, code: str) -> int | None:
        """The id (or placeholder) of a unit named by code, in the file or the database."""
        if code in self.by_code:
            return self.by_code[code]
        unit = Unit.objects.filter(code=code).first()
        if unit is None:
            return None
        self.by_code[code] = unit.pk
        self._known_units[code] = unit
        self.versions[unit.pk] = sorted((v.valid_from, v.valid_to, v.kind, v.name, v.parent_id)
                                        for v in unit.versions.all())  # fmt: skip
        return unit.pk

    def version_on(self, ref: int, day: datetime.date):
        for version in self.versions.get(ref, ()):
            if version[0] <= day and (version[1] is None or day < version[1]):
                return version
        return None

    def _check_parents(self) -> None:
        S = C.SHEET_UNITS
        allowed_parents = kind_parents()
        for unit in self.plan.units.values():
            if unit.state == "unchanged":
                continue
            recorded = unit.existing.versions.all() if unit.existing else ()
            recorded_from = max((v.valid_from for v in recorded), default=None)
            for period in unit.periods:
                if recorded_from is not None and period.start <= recorded_from:
                    continue  # recorded already; only what the file adds is checked
                if not period.parent:
                    if None not in allowed_parents[period.kind] and unit.existing is None:
                        self.problem(f"{UnitKind(period.kind).label} phải có đơn vị cấp trên.", S, period.row,
                                     "Mã đơn vị cấp trên")  # fmt: skip
                    continue
                ref = self.unit_ref(period.parent)
                if ref is None:
                    self.problem(f"Không có đơn vị mã “{period.parent}” (ở sheet Tổ chức hay trong dữ liệu).", S,
                                 period.row, "Mã đơn vị cấp trên", period.parent)  # fmt: skip
                    continue
                if self.allowed is not None and ref > 0 and ref not in self.allowed:
                    self.problem(f"Đơn vị cấp trên “{period.parent}” không thuộc phạm vi quản lý của bạn.", S,
                                 period.row, "Mã đơn vị cấp trên", period.parent)  # fmt: skip
                    continue
                parent = self.version_on(ref, period.start)
                if parent is None:
                    self.problem(f"Đơn vị cấp trên “{period.parent}” không tồn tại vào ngày "
                                 f"{vn.format_date(period.start)}.", S, period.row, "Mã đơn vị cấp trên",
                                 period.parent)  # fmt: skip
                    continue
                if parent[2] not in allowed_parents[period.kind]:
                    names = " hoặc ".join(UnitKind(k).label for k in sorted(allowed_parents[period.kind], key=str) if k)
                    self.problem(f"{UnitKind(period.kind).label} chỉ được đặt dưới {names or 'cấp cao nhất'}, "
                                 f"không được đặt dưới {UnitKind(parent[2]).label}.", S, period.row,
                                 "Mã đơn vị cấp trên", period.parent)  # fmt: skip
                    continue
                ends = [v[1] for v in self.versions[ref]]
                last_end = ends[-1] if ends else None
                if last_end is not None and (period.end is None or period.end > last_end):
                    self.problem(f"Đơn vị cấp trên “{period.parent}” giải thể ngày {vn.format_date(last_end)}, "
                                 "trước khi "
                                 "thời kỳ này kết thúc.", S, period.row, "Hiệu lực đến")  # fmt: skip
        self._check_cycles()

    def _check_cycles(self) -> None:
        for unit in self.plan.units.values():
            for period in unit.periods:
                seen, code, day = {unit.code}, period.parent, period.start
                while code:
                    if code in seen:
                        self.problem(f"Đơn vị “{unit.code}” nằm dưới chính nó (vòng lặp cấp trên).", C.SHEET_UNITS,
                                     period.row, "Mã đơn vị cấp trên", period.parent)  # fmt: skip
                        return
                    seen.add(code)
                    above = self.plan.units.get(code)
                    parent = next((p for p in above.periods if p.start <= day and (p.end is None or day < p.end)),
                                  None) if above else None  # fmt: skip
                    code = parent.parent if parent else ""

    # --- members --------------------------------------------------------------------------------

    CHUNK = 2000

    def plan_members(self, writer=None) -> None:
        """Plan the members chunk by chunk; `writer(chunk)` writes each planned chunk (the command and
        the confirmation) as long as nothing is wrong so far — the transaction around the import is
        rolled back if anything is wrong later."""
        sheet = self.book.sheets.get(C.SHEET_MEMBERS)
        if sheet is None:
            if C.SHEET_EVENTS in self.book.sheets:
                self.problem("Có sheet Biến động nhưng không có sheet Đảng viên.", C.SHEET_EVENTS)
            return
        S = C.SHEET_MEMBERS
        self._history = self._read_history()
        self._names: dict[tuple, int] = {}  # (folded name, birth date) → its first row in the file
        # Records written by this import (chunk by chunk) are its own rows, not namesakes already there.
        self._recorded_up_to = Member.unscoped.aggregate(last=Max("pk"))["last"] or 0
        ids: dict[str, int] = {}
        cards: dict[str, int] = {}
        chunk: list[PlannedMember] = []
        done = 0
        for row, rec in records(sheet):
            self.plan.rows_read += 1
            planned = self._member_row(row, rec)
            if planned is None:
                continue
            cid, card = planned.fields.get("citizen_id"), planned.fields.get("card_number")
            if cid and cid in ids:
                self.problem(f"Số CCCD {cid} có ở hai dòng ({ids[cid]} và {row}).", S, row, "Số CCCD", cid)
                continue
            if card and card in cards:
                self.problem(f"Số thẻ đảng viên {card} có ở hai dòng ({cards[card]} và {row}).", S, row,
                             "Số thẻ đảng viên", card)  # fmt: skip
                continue
            if cid:
                ids[cid] = row
            if card:
                cards[card] = row
            chunk.append(planned)
            if len(chunk) >= self.CHUNK:
                self._process(chunk, writer)
                done += len(chunk)
                chunk = []
                if self.progress:
                    self.progress("đảng viên", done)
        if chunk:
            self._process(chunk, writer)
            done += len(chunk)
            if self.progress:
                self.progress("đảng viên", done)
        leftovers = self._history.unread()
        self._history.close()
        for row in leftovers[:500]:
            self.problem("Không có đảng viên này ở sheet Đảng viên (tìm theo Số CCCD, Số thẻ đảng viên).",
                         C.SHEET_EVENTS, row, "Số CCCD")  # fmt: skip

    def _process(self, chunk: list[PlannedMember], writer) -> None:
        self._match_existing(chunk)
        self._find_namesakes(chunk)
        recorded = defaultdict(list)
        existing_ids = [m.existing.pk for m in chunk if m.existing is not None]
        if existing_ids:
            for event in Event.unscoped.active().filter(member_id__in=existing_ids):
                recorded[event.member_id].append(event)
        seen = self.scope.seen_many([m.existing for m in chunk if m.existing is not None]) if self.scope else {}
        for planned in chunk:
            rows = self._history_of(planned)
            if planned.state == "refused":
                continue
            before = len(self.plan.problems)
            if planned.existing is None:
                self._plan_new(planned, rows)
            else:
                self._plan_existing(planned, rows, member_actions.ordered(recorded[planned.existing.pk]))
                if planned.state == "updated" and planned.existing.pk in seen:
                    self._check_writable(planned, seen[planned.existing.pk])
            if len(self.plan.problems) > before:
                planned.state = "refused"
            else:
                self.plan.members[planned.state] += 1
                self.plan.events_added += len(planned.events)
        if writer is not None and not self.plan.problems:
            writer([m for m in chunk if m.state in ("new", "updated")])

    def _check_writable(self, planned: PlannedMember, seen) -> None:
        """The pages' rule for a change to a member: the record is the scope's now. A member who moved
        to another committee stays readable by the one they left, not writable."""
        try:
            seen.check_writable(self.scope, None)
        except ValidationError as refusal:
            cid = planned.fields.get("citizen_id")
            self.problem(refusal.messages[0], C.SHEET_MEMBERS, planned.row, "Số CCCD" if cid else "Số thẻ đảng viên",
                         cid or planned.fields.get("card_number"))  # fmt: skip

    def _history_of(self, planned: PlannedMember) -> list[Event]:
        events = []
        for row, fields in self._history.take(planned.fields.get("citizen_id"), planned.fields.get("card_number")):
            event = Event(**fields)
            event.row = row
            events.append(event)
            planned.history_rows.append(row)
        return events

    def _member_row(self, row: int, rec: dict) -> PlannedMember | None:
        S = C.SHEET_MEMBERS
        before = len(self.plan.problems)
        fields: dict = {}
        full_name = clean_text(rec.get("full_name"))
        if not full_name:
            self.problem("Thiếu họ và tên.", S, row, "Họ và tên")
        else:
            family, middle, given = vn.split_full_name(full_name)
            if not given or not family:
                self.problem("Họ và tên phải có ít nhất họ và tên.", S, row, "Họ và tên", full_name)
            named = clean_text(rec.get("given_name"))
            if named and named != given:
                rest = full_name[: -len(named)].split() if full_name.endswith(" " + named) else None
                if not rest:
                    self.problem(f"Tên “{named}” phải là phần cuối của Họ và tên, sau họ.", S, row, "Tên", named)
                else:
                    family, middle, given = rest[0], " ".join(rest[1:]), named
            fields.update(family_name=family[:64], middle_name=middle[:64], given_name=given[:64])
        fields["sex"] = self._choice(S, row, rec, "sex", "Giới tính", C.SEXES, required=True)
        fields["birth_date"] = self._day(S, row, rec, "birth_date", "Ngày sinh", required=True, not_future=True)
        admitted = self._day(S, row, rec, "admitted_on", "Ngày vào Đảng", required=True, not_future=True)
        official = self._day(S, row, rec, "official_on", "Ngày chính thức", not_future=True)
        cid = parse_number_text(rec.get("citizen_id"), 12)
        card = parse_number_text(rec.get("card_number"), 8)
        if cid and not is_accepted_identity(cid):
            self.problem("Số CCCD phải gồm 12 chữ số (số CMND cũ 9 chữ số cũng được nhận, sẽ hiện ở trang chất lượng "
                         "dữ liệu).", S, row, "Số CCCD", cid)  # fmt: skip
        if card and not is_accepted_card(card):
            self.problem("Số thẻ đảng viên chỉ gồm chữ số (thẻ cũ 8 số, thẻ mới 12 số).", S, row, "Số thẻ đảng viên",
                         card)  # fmt: skip
        if not cid and not card:
            self.problem("Cần có Số CCCD hoặc Số thẻ đảng viên để nhận ra đảng viên.", S, row, "Số CCCD")
        fields.update(citizen_id=cid or None, card_number=card)
        theory = self._choice(S, row, rec, "theory_level", "Lý luận chính trị", C.THEORY_LEVELS)
        if theory:
            fields["theory_level"] = theory
        for name in MEMBER_TEXT_FIELDS:
            if name == "old_card_number":
                value = parse_number_text(rec.get(name), 8)
            else:
                value = clean_text(rec.get(name))
            if value:
                if len(value) > FIELD_LIMITS[name]:
                    title = next(c.title for c in C.MEMBER_COLUMNS if c.key == name)
                    self.problem(f"Dài quá {FIELD_LIMITS[name]} ký tự.", S, row, title, value)
                fields[name] = value
        cell_code = clean_text(rec.get("cell_code"))
        if not cell_code:
            self.problem("Thiếu mã chi bộ.", S, row, "Mã chi bộ")
        status = self._choice(S, row, rec, "status", "Trạng thái", C.STATUSES)
        status_on = self._day(S, row, rec, "status_on", "Ngày", not_future=True)
        if status not in (None, C.Status.ACTIVE) and status_on is None and rec.get("status_on") is None:
            self.problem("Hãy ghi ngày của trạng thái (ngày chuyển đi, từ trần, ra khỏi Đảng).", S, row, "Ngày")
        if admitted and fields.get("birth_date") and admitted <= fields["birth_date"]:
            self.problem("Ngày vào Đảng phải sau ngày sinh.", S, row, "Ngày vào Đảng", vn.format_date(admitted))
        if admitted and official and official <= admitted:
            self.problem("Ngày chính thức phải sau ngày vào Đảng.", S, row, "Ngày chính thức", vn.format_date(official))
        if len(self.plan.problems) > before:
            return None
        fields["admitted_on"] = admitted
        return PlannedMember(row, cid or card, fields, cell_code, status, status_on, official)

    def _read_history(self) -> HistorySpool:
        """The history rows, read first (the members sheet is then streamed) into a spool on disk,
        by citizen ID and card number."""
        sheet = self.book.sheets.get(C.SHEET_EVENTS)
        histories = HistorySpool()
        if sheet is None:
            return histories
        S = C.SHEET_EVENTS
        for row, rec in records(sheet):
            self.plan.rows_read += 1
            cid = parse_number_text(rec.get("citizen_id"), 12)
            card = parse_number_text(rec.get("card_number"), 8)
            if not cid and not card:
                self.problem("Thiếu Số CCCD và Số thẻ đảng viên: không biết biến động của ai.", S, row, "Số CCCD")
                continue
            kind = self._choice(S, row, rec, "kind", "Loại biến động", C.EVENT_KINDS, required=True)
            on = self._day(S, row, rec, "effective_on", "Ngày hiệu lực", required=True)
            decided = self._day(S, row, rec, "decided_on", "Ngày quyết định", not_future=True)
            ceremony = self._day(S, row, rec, "ceremony_on", "Ngày lễ kết nạp", not_future=True)
            ends = self._day(S, row, rec, "ends_on", "Đến ngày")
            unit_code = clean_text(rec.get("unit_code"))
            unit_id = None
            if unit_code:
                unit_id = self.unit_ref(unit_code)
                if unit_id is None:
                    self.problem(f"Không có chi bộ mã “{unit_code}”.", S, row, "Mã chi bộ đến", unit_code)
                    continue
            if kind is None or on is None:
                continue
            if kind in member_actions.COMPLETED_FACTS and on > self.today:
                self.problem(f"“{K(kind).label}” là sự việc đã diễn ra: ngày hiệu lực không thể sau hôm nay.", S, row,
                             "Ngày hiệu lực", vn.format_date(on))  # fmt: skip
                continue
            if kind in (K.ADMISSION, K.READMISSION):
                decided = decided or on
            fields = {"kind": kind, "effective_on": on, "unit_id": unit_id, "ends_on": ends, "ceremony_on": ceremony,
                      "decided_on": decided, "note": clean_text(rec.get("note")),
                      "decision_number": clean_text(rec.get("decision_number"))[:64],
                      "issuing_body": clean_text(rec.get("issuing_body"))[:255],
                      "other_side": clean_text(rec.get("other_side"))[:255]}  # fmt: skip
            histories.add(row, cid, card, fields)
        return histories

    def _match_existing(self, chunk: list[PlannedMember]) -> None:
        S = C.SHEET_MEMBERS
        ids = [m.fields["citizen_id"] for m in chunk if m.fields["citizen_id"]]
        cards = [m.fields["card_number"] for m in chunk if m.fields["card_number"]]
        found_ids = {m.citizen_id: m for m in Member.unscoped.filter(citizen_id__in=ids)} if ids else {}
        found_cards = {}
        if cards:
            for member in Member.unscoped.filter(card_number__in=cards):
                found_cards.setdefault(member.card_number, member)
        for planned in chunk:
            cid, card = planned.fields["citizen_id"], planned.fields["card_number"]
            member = found_ids.get(cid) if cid else None
            if member is None and card and card in found_cards:
                member = found_cards[card]
                if cid and member.citizen_id and member.citizen_id != cid:
                    self.problem(f"Số thẻ {card} đã thuộc hồ sơ một đảng viên có số CCCD khác.", S, planned.row,
                                 "Số thẻ đảng viên", card)  # fmt: skip
                    planned.state = "refused"
                    continue
            elif member is not None and card and card in found_cards and found_cards[card].pk != member.pk:
                self.problem(f"Số thẻ {card} đã thuộc hồ sơ một đảng viên khác (khác số CCCD {cid}).", S, planned.row,
                             "Số thẻ đảng viên", card)  # fmt: skip
                planned.state = "refused"
                continue
            if member is not None:
                if self.visible is not None and member.pk not in self.visible:
                    self.problem("Đảng viên này có hồ sơ ở một đơn vị ngoài phạm vi quản lý của bạn; "
                                 "hãy đề nghị cấp trên chuyển sinh hoạt.", S, planned.row,
                                 "Số CCCD" if cid else "Số thẻ đảng viên", cid or card)  # fmt: skip
                    planned.state = "refused"
                    continue
                planned.existing = member
                planned.state = "unchanged"

    visible: set[int] | None = None  # members the importer may update (None: any)
    scope = None  # accounts.scope.Scope of the page's user: a change to a member must be theirs to write

    def _find_namesakes(self, chunk: list[PlannedMember]) -> None:
        """A new record with the name and birth date of another (earlier in the file, or recorded)."""
        fresh = [m for m in chunk if m.existing is None and m.state == "new"]
        keys = {}
        for planned in fresh:
            f = planned.fields
            keys[id(planned)] = (vn.fold(vn.full_name(f["family_name"], f["middle_name"], f["given_name"])),
                                 f["birth_date"])  # fmt: skip
        names = list({key[0] for key in keys.values()})
        recorded = defaultdict(int)
        if names:
            rows = Member.unscoped.filter(search_name__in=names, pk__lte=self._recorded_up_to).values_list(
                "search_name", "birth_date"
            )
            for name, born in rows:
                recorded[(name, born)] += 1
        for planned in fresh:
            key = keys[id(planned)]
            reasons = []
            if key in self._names:
                reasons.append(f"dòng {self._names[key]} của tệp")
            else:
                self._names[key] = planned.row
            if recorded.get(key):
                reasons.append(f"{recorded[key]} hồ sơ đã có")
            if reasons:
                planned.namesake = "Trùng họ tên và ngày sinh với " + " và ".join(reasons) + "."
                self.plan.namesake_count += 1
                if len(self.plan.namesakes) < MAX_NAMESAKES_KEPT:
                    f = planned.fields
                    self.plan.namesakes.append(Namesake(
                        planned.row, vn.full_name(f["family_name"], f["middle_name"], f["given_name"]),
                        f["birth_date"], planned.namesake))  # fmt: skip

    # --- histories ------------------------------------------------------------------------------

    def _cell_ref(self, planned: PlannedMember) -> int | None:
        ref = self.unit_ref(planned.cell_code)
        if ref is None:
            self.problem(f"Không có chi bộ mã “{planned.cell_code}”.", C.SHEET_MEMBERS, planned.row, "Mã chi bộ",
                         planned.cell_code)  # fmt: skip
            return None
        kinds = {v[2] for v in self.versions.get(ref, ())}
        if not kinds & set(CELL_KINDS):
            name = self.versions[ref][-1][3] if self.versions.get(ref) else planned.cell_code
            self.problem(f"“{name}” không phải chi bộ: đảng viên sinh hoạt tại chi bộ.", C.SHEET_MEMBERS, planned.row,
                         "Mã chi bộ", planned.cell_code)  # fmt: skip
            return None
        return ref

    def _synthesised(self, planned: PlannedMember, cell: int) -> list[Event]:
        """A history for a row without one: official activity in its cell from the admission (or the
        cell's first day), official from its official date, then its status."""
        admitted, official = planned.fields["admitted_on"], planned.official_on
        first_day = self.versions[cell][0][0]
        ceremony = vn.add_years(official, -1) if official else None
        if ceremony is not None and ceremony < admitted:
            self.problem("Ngày chính thức phải sau ngày vào Đảng ít nhất 12 tháng (hết 12 tháng dự bị tính từ lễ kết "
                         "nạp).", C.SHEET_MEMBERS, planned.row, "Ngày chính thức",
                         vn.format_date(official))  # fmt: skip
            return []
        source = "Nhập từ danh sách"
        if admitted >= first_day:
            events = [Event(kind=K.ADMISSION, effective_on=admitted, unit_id=cell, decided_on=admitted,
                            ceremony_on=ceremony, note=source)]  # fmt: skip
        else:
            events = [Event(kind=K.ADMISSION, effective_on=admitted, other_side=UNKNOWN_PLACE, decided_on=admitted,
                            ceremony_on=ceremony, note=source),
                      Event(kind=K.TRANSFER_IN, effective_on=first_day, unit_id=cell, other_side=UNKNOWN_PLACE,
                            note=f"{source}: sinh hoạt tại chi bộ từ ngày thành lập chi bộ")]  # fmt: skip
        if official:
            events.append(Event(kind=K.RECOGNITION, effective_on=official, note=source))
        events.sort(key=lambda e: e.effective_on)
        events += self._status_events(planned)
        return events

    def _status_events(self, planned: PlannedMember) -> list[Event]:
        status, on = planned.status, planned.status_on
        if status in (None, C.Status.ACTIVE) or on is None:
            return []
        if status == C.Status.LEFT:
            self.problem("“Ra khỏi Đảng”: hãy ghi rõ hình thức (Xóa tên, Khai trừ, Xin ra khỏi Đảng) ở cột Trạng thái "
                         "hoặc ghi biến động ở sheet Biến động.", C.SHEET_MEMBERS, planned.row,
                         "Trạng thái")  # fmt: skip
            return []
        kind = {C.Status.TRANSFERRED: K.TRANSFER_OUT, C.Status.DEAD: K.DEATH}.get(status, status)
        return [Event(kind=kind, effective_on=on, other_side=UNKNOWN_PLACE if kind == K.TRANSFER_OUT else "",
                      note="Nhập từ danh sách")]  # fmt: skip

    def _replayed(self, planned: PlannedMember, events: list[Event], sheet: str, since=None):
        """The timeline of `events` (with from-cells filled in), or None after reporting why not."""
        row = planned.history_rows[0] if sheet == C.SHEET_EVENTS and planned.history_rows else planned.row
        events = member_actions.ordered(events)
        for index, event in enumerate(events):
            if event.kind in (K.TRANSFER_OUT, K.TRANSFER_WITHIN) and event.from_unit_id is None:
                event.from_unit_id = member_actions._home_on(events[:index], event.effective_on)
        try:
            timeline = replay(events, born_on=planned.fields.get("birth_date") or (planned.existing and
                                                                                  planned.existing.birth_date))
        except SequenceError as error:
            where = (f" (các dòng {', '.join(map(str, planned.history_rows))})" if sheet == C.SHEET_EVENTS else "")
            self.problem(f"Lịch sử của đảng viên không hợp lệ{where}: {error.message}", sheet, row)
            return None
        self._load_versions({s.unit_id for s in timeline.stints})
        for span in timeline.stints:
            message = self._span_error(span)
            if message:
                self.problem(message, sheet, row)
                return None
            if since is not None and span.end is not None and span.end <= since:
                continue  # recorded before what the file adds
            if self.allowed is not None and span.unit_id > 0 and span.unit_id not in self.allowed:
                self.problem("Lịch sử có chi bộ ngoài phạm vi quản lý của bạn.", sheet, row)
                return None
        return timeline

    def _load_versions(self, refs: set[int]) -> None:
        """The versions of recorded units that the file does not name (a recorded member's cells)."""
        missing = {ref for ref in refs if ref is not None and ref > 0 and ref not in self.versions}
        if missing:
            for ref in missing:
                self.versions[ref] = []
            rows = UnitVersion.objects.filter(unit_id__in=missing).values_list("unit_id", "valid_from", "valid_to",
                                                                               "kind", "name", "parent_id")  # fmt: skip
            for unit_id, *version in rows:
                self.versions[unit_id].append(tuple(version))
            for ref in missing:
                self.versions[ref].sort()

    def _span_error(self, span) -> str | None:
        own = self.versions.get(span.unit_id, [])
        first = next((v for v in own if v[0] <= span.start and (v[1] is None or v[1] > span.start)), None)
        if first is None:
            name = own[0][3] if own else "Chi bộ"
            return f"“{name}” không tồn tại vào ngày {vn.format_date(span.start)}."
        if first[2] not in CELL_KINDS:
            return f"Đảng viên sinh hoạt tại chi bộ; “{first[3]}” là {UnitKind(first[2]).label}."
        last_end = own[-1][1]
        if last_end is not None and (span.end is None or span.end > last_end):
            return (f"“{first[3]}” giải thể từ ngày {vn.format_date(last_end)}; đảng viên phải chuyển sinh hoạt "
                    "trước ngày đó.")  # fmt: skip
        return None

    def _agrees(self, planned: PlannedMember, timeline, cell: int, latest: datetime.date) -> bool:
        S = C.SHEET_MEMBERS
        ok = True
        if timeline.admitted_on != planned.fields["admitted_on"]:
            self.problem(f"Ngày vào Đảng ({vn.format_date(planned.fields['admitted_on'])}) khác ngày kết nạp trong "
                         f"lịch sử ({vn.format_date(timeline.admitted_on)}).", S, planned.row,
                         "Ngày vào Đảng")  # fmt: skip
            ok = False
        recognitions = {s[0] for s in timeline.statuses if s[2] == "official"}
        if planned.official_on and planned.official_on not in recognitions:
            self.problem(f"Ngày chính thức ({vn.format_date(planned.official_on)}) không khớp ngày công nhận "
                         "chính thức "
                         "trong lịch sử.", S, planned.row, "Ngày chính thức")  # fmt: skip
            ok = False
        stints = [s for s in timeline.stints if s.kind == StintKind.OFFICIAL] or timeline.stints
        last = stints[-1].unit_id if stints else None
        if stints and last != cell and timeline.home != cell:
            self.problem("Mã chi bộ khác chi bộ sinh hoạt cuối cùng trong lịch sử.", S, planned.row, "Mã chi bộ",
                         planned.cell_code)  # fmt: skip
            ok = False
        status = planned.status
        if status not in (None,):
            now = _status_of(timeline, latest)
            # A member hosted here whose stay has ended is both: no longer here, never transferred.
            hosted_out = status == C.Status.TRANSFERRED and timeline.left is None and timeline.home is None
            if now != status and not (status == C.Status.LEFT and now in LEAVINGS) and not hosted_out:
                self.problem(f"Trạng thái “{C.STATUS_LABELS.get(status, status)}” khác lịch sử "
                             f"(“{C.STATUS_LABELS.get(now, now)}”).", S, planned.row, "Trạng thái")  # fmt: skip
                ok = False
        return ok

    def _plan_new(self, planned: PlannedMember, history: list[Event]) -> None:
        cell = self._cell_ref(planned)
        if cell is None:
            return
        if history:
            events, sheet = history, C.SHEET_EVENTS
        else:
            events, sheet = self._synthesised(planned, cell), C.SHEET_MEMBERS
            if not events:
                return
        timeline = self._replayed(planned, events, sheet)
        if timeline is None or (
            history and not self._agrees(planned, timeline, cell, max(e.effective_on for e in events))
        ):
            return
        planned.events = member_actions.ordered(events)
        planned.timeline = timeline
        planned.fields["official_on"] = timeline.official_on

    def _plan_existing(self, planned: PlannedMember, history: list[Event], recorded: list[Event]) -> None:
        if planned.state == "refused":
            return
        member = planned.existing
        for name, value in planned.fields.items():
            if name in ("admitted_on", "official_on"):
                continue
            if value not in (None, "") and getattr(member, name) != value:
                planned.changes[name] = (getattr(member, name), value)
        if planned.fields["admitted_on"] != member.admitted_on:
            self.problem(f"Ngày vào Đảng khác hồ sơ đã có ({vn.format_date(member.admitted_on)}).", C.SHEET_MEMBERS,
                         planned.row, "Ngày vào Đảng")  # fmt: skip
            return
        if history:
            filed = member_actions.ordered(history)
            sig = [_signature(e) for e in recorded]
            new_sig = [_signature(e) for e in filed]
            if new_sig[: len(sig)] != sig:
                self.problem("Lịch sử biến động trong tệp khác lịch sử đã ghi của đảng viên; chỉ được thêm biến động "
                             "mới sau các biến động đã ghi.", C.SHEET_EVENTS, planned.history_rows[0])  # fmt: skip
                return
            added = filed[len(sig) :]
            sheet = C.SHEET_EVENTS
        else:
            added = self._status_events(planned)
            current = replay(recorded)
            if added and _status_of(current, recorded[-1].effective_on if recorded else None) == planned.status:
                added = []
            if not added and planned.official_on and planned.official_on != member.official_on:
                if current.status == "probationary" and current.probation_ends == planned.official_on:
                    added = [Event(kind=K.RECOGNITION, effective_on=planned.official_on, note="Nhập từ danh sách")]
                else:
                    self.problem("Ngày chính thức khác hồ sơ đã có; hãy ghi biến động ở sheet Biến động.",
                                 C.SHEET_MEMBERS, planned.row, "Ngày chính thức")  # fmt: skip
                    return
            sheet = C.SHEET_MEMBERS
        if added:
            since = min(e.effective_on for e in added)
            timeline = self._replayed(planned, [*recorded, *added], sheet, since)
            if timeline is None:
                return
            planned.events = added
        if planned.changes or planned.events:
            planned.state = "updated"


LEAVINGS = {K.REMOVAL, K.EXPULSION, K.RESIGNATION, K.NON_RECOGNITION}


def _status_of(timeline, latest: datetime.date | None) -> str:
    """The `Trạng thái` a history ends in: how the member left; else active while they hold party
    activity somewhere in the tree (official, or hosted here) after their latest event (`latest`); else
    transferred away."""
    if timeline.left is not None:
        how = timeline.left[0]
        return C.Status.DEAD if how == K.DEATH else how
    if timeline.home is not None or any(s.end is None or (latest and s.end > latest) for s in timeline.stints):
        return C.Status.ACTIVE
    return C.Status.TRANSFERRED


def _signature(event: Event) -> tuple:
    return (event.kind, event.effective_on, event.unit_id)


def _labels(choices: dict) -> list[str]:
    reverse = {}
    for label_key, value in choices.items():
        reverse.setdefault(value, label_key)
    labels = {
        **dict(UnitKind.choices), **dict(Sex.choices), **dict(EventKind.choices), **C.STATUS_LABELS,
    }  # fmt: skip
    from dangbo.members.models import TheoryLevel

    labels.update(dict(TheoryLevel.choices))
    return [labels[v] for v in reverse if v in labels]


# --- writing ----------------------------------------------------------------------------------------


def _segments(planner: Planner, ids: dict[int, int]):
    """The versions of the new units, split where an ancestor's place changes, with their paths."""
    memo: dict[str, list[tuple]] = {}

    def of_code(code: str) -> list[tuple]:
        if code in memo:
            return memo[code]
        unit = planner.plan.units.get(code)
        if unit is None or unit.state != "new":
            ref = planner.real(planner.by_code[code])
            memo[code] = [(v.valid_from, v.valid_to, v.path, v.depth) for v in
                          UnitVersion.objects.filter(unit_id=ref).order_by("valid_from")]  # fmt: skip
            return memo[code]
        own = ids[unit.ref]
        rows = []
        for p in unit.periods:
            if not p.parent:
                rows.append((p.start, p.end, path_segment(own), 0, p))
                continue
            for start, end, path, depth, *_ in of_code(p.parent):
                s = max(start, p.start)
                e = end if p.end is None else (p.end if end is None else min(end, p.end))
                if e is None or s < e:
                    rows.append((s, e, path + path_segment(own), depth + 1, p))
        memo[code] = rows
        return rows

    return of_code


def write_units(planner: Planner, actor) -> None:
    """Write the new units and the changes to existing ones; the placeholders get their ids."""
    plan = planner.plan
    new_units = [u for u in plan.units.values() if u.state == "new"]
    created = Unit.objects.bulk_create([Unit(code=u.code) for u in new_units])
    if created and created[0].pk is None:  # a backend that does not return ids
        by_code = {u.code: u for u in Unit.objects.filter(code__in=[u.code for u in new_units])}
        created = [by_code[u.code] for u in new_units]
    planner.ids = ids = {u.ref: c.pk for u, c in zip(new_units, created)}
    segments = _segments(planner, ids)
    versions = []
    for unit in new_units:
        for start, end, path, depth, p in segments(unit.code):
            parent = planner.real(planner.by_code[p.parent]) if p.parent else None
            versions.append(UnitVersion(unit_id=ids[unit.ref], name=p.name, kind=p.kind, parent_id=parent, path=path,
                                        depth=depth, valid_from=start, valid_to=end, decision=p.decision))  # fmt: skip
    UnitVersion.objects.bulk_create(versions, batch_size=2000)
    for unit in sorted((u for u in plan.units.values() if u.state == "updated"), key=lambda u: u.changes[0][1]):
        for change in unit.changes:
            if change[0] == "dissolve":
                org_actions.dissolve_unit(actor, unit.existing, on=change[1])
            else:
                _, on, name, kind, parent = change
                parent_unit = Unit.objects.get(pk=planner.real(planner.by_code[parent])) if parent else False
                org_actions.change_unit(actor, unit.existing, on=on, name=name, kind=kind, parent=parent_unit)
    planner.touched = set(ids.values())


def write_members(planner: Planner, actor, chunk: list[PlannedMember]) -> None:
    """Write one planned chunk: new members in bulk (their stints are the replay of their events),
    changes to existing members through the actions' replay, each audited."""
    real = planner.real
    by = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    fresh = [m for m in chunk if m.state == "new"]
    members = []
    for planned in fresh:
        member = Member(**planned.fields)
        member.refresh_derived()
        members.append(member)
    bulk.insert(Member, members)
    if members:
        refresh_flags_of_new(min(m.pk for m in members), max(m.pk for m in members))
    events, stints = [], []
    for planned, member in zip(fresh, members):
        for event in planned.events:
            event.member = member
            event.unit_id, event.from_unit_id = real(event.unit_id), real(event.from_unit_id)
            event.created_by = by
            events.append(event)
        for s in planned.timeline.stints:
            stints.append(Stint.of(member=member, unit_id=real(s.unit_id), kind=s.kind, status=s.status,
                                   start=s.start, end=s.end, decided_on=s.decided_on,
                                   ceremony_on=s.ceremony_on))  # fmt: skip
            planner.touched.add(real(s.unit_id))
    bulk.insert(Event, events)
    bulk.insert(Stint, stints)
    for planned in (m for m in chunk if m.state == "updated"):
        member = planned.existing
        recorded = member_actions._lock(member)
        if planned.changes:
            before = snapshot(member)
            for name, (_, value) in planned.changes.items():
                setattr(member, name, value)
            member.save(update_fields=list(planned.changes))
            record(actor, "import_member", member, before, snapshot(member))
            if member_actions.COUNTED_FIELDS & set(planned.changes):  # a correction the figures count
                planner.touched.update(Stint.unscoped.filter(member=member).values_list("unit_id", flat=True))
        if planned.events:
            for event in planned.events:
                event.member = member
                event.unit_id, event.from_unit_id = real(event.unit_id), real(event.from_unit_id)
                event.created_by = by
            member_actions._apply(member, [*recorded, *planned.events])
            for event in planned.events:
                event.save()
                record(actor, f"event_{event.kind}", event, None, snapshot(event))


# --- the whole import ---------------------------------------------------------------------------


class ImportRefused(Exception):
    def __init__(self, plan: Plan):
        super().__init__(f"{len(plan.problems)} problems")
        self.plan = plan


def run_import(book: Book, *, actor=None, scope=None, commit: bool, allow_namesakes: bool = False,
               progress=None, top_code: str | None = None) -> Plan:  # fmt: skip
    """Plan the import of `book` and, when `commit` and nothing is wrong, write it — one transaction,
    rolled back as a whole if any row is refused. `scope` (accounts.scope.Scope) limits it to the
    scope's units and members; `top_code` (the command's --unit) to one unit's subtree. Raises
    ImportRefused when something is wrong, or when possible duplicates are not confirmed."""
    planner = Planner(book, progress=progress)
    plan = planner.plan
    try:
        with transaction.atomic():
            if scope is not None or top_code:
                planner.allowed = _allowed(scope, top_code)
                planner.visible = _visible(scope, planner.allowed)
                planner.scope = scope
            planner.plan_units()
            writer = None
            if commit and not plan.problems:
                write_units(planner, actor)
                writer = functools.partial(write_members, planner, actor)
            planner.plan_members(writer)
            if plan.problems or (commit and plan.namesake_count and not allow_namesakes):
                raise ImportRefused(plan)
            if commit and planner.touched:
                refresh_tallies(units_above(planner.touched))
    except IntegrityError:
        plan.problems.append(Problem("Dữ liệu vừa được thay đổi cùng lúc (một số CCCD, số thẻ hoặc mã đơn vị vừa "
                                     "được ghi); hãy nhập lại tệp."))  # fmt: skip
        raise ImportRefused(plan) from None
    except ValidationError as error:
        plan.problems.append(Problem(error.messages[0]))
        raise ImportRefused(plan) from None
    return plan


def _allowed(scope, top_code) -> set[int]:
    if scope is not None:
        return set(scope.units_kept().values_list("unit_id", flat=True))
    top = Unit.objects.filter(code=top_code).first()
    if top is None:
        raise ValidationError(f"Không có đơn vị mã “{top_code}”.")
    version = top.versions.filter(valid_to__isnull=True).first() or top.versions.order_by("-valid_from").first()
    return set(UnitVersion.objects.filter(path__startswith=version.path).values_list("unit_id", flat=True))


def _visible(scope, allowed: set[int]) -> set[int]:
    if scope is not None:
        return set(scope.members_visible().values_list("pk", flat=True))
    return set(Stint.unscoped.filter(unit_id__in=allowed).values_list("member_id", flat=True))


__all__ = ["ImportRefused", "Plan", "Planner", "run_import", "write_members", "write_units", "PATH_WIDTH"]


@audited
def keep_batch(actor, unit, files, plan: Plan, batch=None):
    """The record of an import that was written: its file (several CSV files zipped into one) and
    what it changed, audited as one import."""
    import io
    import zipfile

    from django.core.files.base import ContentFile
    from django.utils import timezone

    from .models import ImportBatch

    if batch is None:
        names = [str(f) for f in files]
        if len(names) == 1:
            content, filename = Path(names[0]).read_bytes(), Path(names[0]).name
        else:
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for name in names:
                    archive.write(name, Path(name).name)
            content, filename = buffer.getvalue(), "nhap-du-lieu.zip"
        batch = ImportBatch(filename=filename[:255], unit=unit, created_by=actor if actor else None)
        batch.file.save(filename, ContentFile(content), save=False)
    batch.applied_at = timezone.now()
    batch.summary = plan.counts()
    batch.save()
    record(actor, "import_workbook", batch, None, {"file": batch.filename, **batch.summary})
    return batch
