"""The exchange workbook written: the records of a unit's subtree as of a date, and the empty template.

`write_workbook` streams the workbook (openpyxl's write-only mode: rows go to disk as they are
made, so a city of 250.000 members fits in bounded memory), reading the members by chunks of
CHUNK, a few queries each.

What the subtree of a unit is over time is the dated rule of `accounts.scope`: a unit lies in it on
a day when its version of that day lies under the version of the exported unit of that day. So:
- `Tổ chức` has a row per unit and period for the periods it lay in the subtree, up to the date; a
  unit that moved in appears from the day it came, one that moved out until the day it left.
- `Đảng viên` has everyone who held a stint (official or temporary) in a unit while it lay in the
  subtree, up to the date.
- `Biến động` has their events up to the date, as the subtree saw them: a cell that was not in the
  subtree on the event's day is an outside organisation, named in `Nơi đi / nơi đến` with its name
  of that day, and the event becomes what it was for the subtree (a transfer within the tree from
  such a cell is a transfer in, one to such a cell a transfer out; an admission there is an
  admission outside; a temporary transfer from such a cell into ours is hosting; a transfer or
  hosting entirely outside is left out). A member who is not in the subtree on the date has their
  history up to the day they last left it.
  When a cell moved into the subtree with members in it (or out, or the exported unit itself moved
  or was dissolved), each member holding official activity there is given, on that day, a transfer
  in from (or out to) the committee the cell came from (went to), noted as such: no event of theirs
  records it, but without it their history would not replay. A temporary stint that runs across
  such a move is shown as the cell stood on the day it began.
  So the exported history of every member replays by itself (`members.events.replay`), and the
  export of the whole tree is the records themselves, event for event.
- With a `scope` (the views pass the user's), a member the scope sees only as one who left it (for
  another unit of the tree) is listed as the scope sees them: without the personal data it does not
  see (`accounts.scope.HIDDEN_WHEN_FORMER`) and without history rows.
"""

from __future__ import annotations

import copy
import datetime
from collections import defaultdict

from django.db.models import Exists, F, OuterRef, Q
from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from dangbo.lib import xlsx
from dangbo.members.events import LEAVING, SequenceError, replay
from dangbo.members.models import Event, EventKind, Member, Sex, Stint, StintKind, TheoryLevel, records_on
from dangbo.orgs.models import UnitKind, UnitVersion, default_code

from . import columns as c
from .guide import guide

K = EventKind
CHUNK = 2000
DAY = datetime.timedelta(days=1)
SEXES = dict(Sex.choices)
THEORY = dict(TheoryLevel.choices)
KINDS = dict(UnitKind.choices)


def write_workbook(target, unit, on: datetime.date, *, member_ids=None, scope=None) -> dict:
    """Write the exchange workbook of `unit`'s subtree (a Unit, or a UnitVersion of it) as of `on`
    to `target` (a path or a binary file); only the members of `member_ids` when given. Returns the
    number of rows of each sheet."""
    tree = Subtree(getattr(unit, "unit_id", None) or unit.pk, on)
    book, sheets = _book()
    counts = {"units": 0, "members": 0, "events": 0}
    for row in tree.unit_rows():
        sheets[c.SHEET_UNITS].append(_cells(sheets[c.SHEET_UNITS], row))
        counts["units"] += 1
    for member, history, events in _members(tree, member_ids, scope):
        sheets[c.SHEET_MEMBERS].append(_cells(sheets[c.SHEET_MEMBERS], _member_row(tree, member, history)))
        counts["members"] += 1
        for event in events:
            sheets[c.SHEET_EVENTS].append(_cells(sheets[c.SHEET_EVENTS], _event_row(tree, member, event)))
            counts["events"] += 1
    book.save(target)
    return counts


def template_workbook(target) -> None:
    """The empty workbook to fill in: the instructions and each sheet's header, nothing else (a row
    of example in a data sheet would be read as data: the examples are in `Hướng dẫn`)."""
    book, _ = _book()
    book.save(target)


# --- the workbook's layout -------------------------------------------------------------------------

def _book():
    """A write-only workbook with `Hướng dẫn` first, then the three data sheets with their headers
    (bold, frozen, widths of the columns) and, in the coded columns, lists of values to pick from
    (a warning, not a refusal, outside them: the import accepts other spellings too)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(c.SHEET_HELP)
    for index, width in enumerate((30, 11, 34, 90), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    rows, lists = guide()
    for style, values in rows:
        sheet.append([_help_cell(sheet, value, style) for value in values])
    sheets = {}
    for name, cols in c.COLUMNS.items():
        sheet = sheets[name] = book.create_sheet(name)
        for index, column in enumerate(cols, start=1):
            letter = get_column_letter(index)
            sheet.column_dimensions[letter].width = column.width
            if (name, column.key) in lists:
                first, last = lists[name, column.key]
                check = DataValidation(type="list", formula1=f"'{c.SHEET_HELP}'!$D${first}:$D${last}",
                                       allow_blank=True, errorStyle="warning", showErrorMessage=True,
                                       errorTitle="Giá trị ngoài danh mục",
                                       error="Giá trị này không có trong danh mục ở sheet Hướng dẫn.")  # fmt: skip
                check.add(f"{letter}2:{letter}1048576")
                sheet.data_validations.append(check)
        sheet.freeze_panes = "A2"
        sheet.append([_help_cell(sheet, column.title, "header") for column in cols])
    return book, sheets


def _help_cell(sheet, value, style):
    """A cell of a heading (bold), of a header (bold, wrapped) or of long text (wrapped)."""
    value = None if value == "" else value
    cell = xlsx.streamed(sheet, value)
    if value is None or (style == "text" and not (isinstance(value, str) and len(value) > 40)):
        return cell
    if not isinstance(cell, Cell):
        cell = WriteOnlyCell(sheet, value=value)
    if style in ("title", "heading", "header"):
        cell.font = Font(bold=True, size=14 if style == "title" else 11)
    if style != "title":
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    return cell


def _cells(sheet, values) -> list:
    return [xlsx.streamed(sheet, None if value == "" else value) for value in values]


# --- the subtree over time -------------------------------------------------------------------------


class Subtree:
    """The units that lay under one unit over time, up to `on`: for each unit, the intervals it lay
    in the subtree (`inside`), and every version of it (and of the units around it that events
    name), for names and codes."""

    def __init__(self, unit_id: int, on: datetime.date):
        self.unit_id, self.on = unit_id, on
        roots = list(UnitVersion.objects.filter(unit_id=unit_id, valid_from__lte=on).order_by("valid_from"))
        under = Q(pk__in=[])
        for path in {root.path for root in roots}:
            under |= Q(path__startswith=path)
        self.under = UnitVersion.objects.filter(under, valid_from__lte=on)
        self.versions: dict[int, list[UnitVersion]] = {}
        self.codes: dict[int, str] = {}
        self._load(UnitVersion.objects.filter(unit_id__in=self.under.values("unit_id")))
        self.pieces = []  # (version, start, end): a version, for the days it lay in the subtree
        for versions in self.versions.values():
            for version in versions:
                for root in roots:
                    start, end = max(version.valid_from, root.valid_from), _earliest(version.valid_to, root.valid_to)
                    if version.path.startswith(root.path) and start <= on and (end is None or start < end):
                        self.pieces.append((version, start, end))
        self.inside: dict[int, list[list]] = defaultdict(list)
        for version, start, end in sorted(self.pieces, key=lambda p: p[1]):
            spans = self.inside[version.unit_id]
            if spans and spans[-1][1] == start:
                spans[-1][1] = end
            else:
                spans.append([start, end])
        self.load({version.parent_id for versions in self.versions.values() for version in versions})

    def _load(self, versions) -> None:
        for version in versions.annotate(code=F("unit__code")).order_by("valid_from"):
            self.versions.setdefault(version.unit_id, []).append(version)
            self.codes[version.unit_id] = version.code or default_code(version.unit_id)

    def load(self, unit_ids) -> None:
        """Read the versions of the units among `unit_ids` not read yet (those outside the subtree
        that events name, the committees cells came from): one query, none when all are known."""
        missing = set(unit_ids) - set(self.versions) - {None}
        if missing:
            self._load(UnitVersion.objects.filter(unit_id__in=missing))

    def holds(self, unit_id, day: datetime.date) -> bool:
        return any(start <= day and (end is None or day < end) for start, end in self.inside.get(unit_id, ()))

    def version_on(self, unit_id, day: datetime.date) -> UnitVersion | None:
        """The unit's version on `day`, else its last before it, else its first."""
        versions = self.versions.get(unit_id) or [None]
        return next((v for v in reversed(versions) if v is not None and v.valid_from <= day), versions[0])

    def name_on(self, unit_id, day: datetime.date) -> str:
        version = self.version_on(unit_id, day)
        return version.name if version else ""

    def unit_rows(self):
        """Rows of `Tổ chức`: in tree order, each unit's periods in the subtree from the first; two
        periods that differ only in the hidden path (the exported unit moved) are one row."""
        rows: dict[int, list[list]] = defaultdict(list)
        for version, start, end in sorted(self.pieces, key=lambda p: (p[0].unit_id, p[1])):
            parent = "" if version.unit_id == self.unit_id else self.codes.get(version.parent_id, "")
            end = end if end is not None and end <= self.on else None
            row = [self.codes[version.unit_id], version.name, KINDS[version.kind], parent, start, end,
                   version.decision]  # fmt: skip
            previous = rows[version.unit_id][-1] if rows[version.unit_id] else None
            if previous and previous[5] == start and previous[:4] + previous[6:] == row[:4] + row[6:]:
                previous[5] = end
            else:
                rows[version.unit_id].append(row)
        last_path = {version.unit_id: version.path for version, _, _ in sorted(self.pieces, key=lambda p: p[1])}
        for unit_id in sorted(rows, key=lambda u: last_path[u]):
            yield from rows[unit_id]


def _earliest(*ends):
    known = [end for end in ends if end is not None]
    return min(known) if known else None


# --- members and their histories -------------------------------------------------------------------


class History:
    """A member as the export shows them: their events as the subtree saw them and the timeline
    those replay to."""

    def __init__(self, events, timeline):
        self.events, self.timeline = events, timeline


def _members(tree: Subtree, member_ids, scope):
    """(member, History, events to write) for each member of the subtree up to `tree.on`, by
    Member.sort_key. Those with a stint in a unit that lay in the subtree at some time are read
    by one query, then by chunks (4 queries each, a few more for outside names and the scope);
    whether the stint lay in the subtree while it ran is checked here."""
    on = tree.on
    stints_here = Stint.unscoped.filter(member_id=OuterRef("pk"), start__lte=on,
                                        unit_id__in=tree.under.values("unit_id"))  # fmt: skip
    ids = Member.unscoped.filter(Exists(stints_here)).order_by("sort_key", "pk").values_list("pk", flat=True)
    ids = list(ids)
    if member_ids is not None:
        wanted = set(member_ids)
        ids = [pk for pk in ids if pk in wanted]
    for first in range(0, len(ids), CHUNK):
        part = ids[first : first + CHUNK]
        members = {member.pk: member for member in Member.unscoped.filter(pk__in=part)}
        records_on(list(members.values()), on)  # theory level and positions of the day
        stints, events = defaultdict(list), defaultdict(list)
        for stint in Stint.unscoped.filter(member_id__in=part, start__lte=on).order_by("start", "pk"):
            stints[stint.member_id].append(stint)
        rows = Event.unscoped.active().filter(member_id__in=part, effective_on__lte=on).order_by("effective_on", "pk")
        for event in rows:
            events[event.member_id].append(event)
        tree.load({e.unit_id for es in events.values() for e in es} | {e.from_unit_id for es in events.values()
                                                                       for e in es})  # fmt: skip
        seen = scope.seen_many(members.values()) if scope is not None else {}
        for pk in part:
            history = _history(tree, stints[pk], events[pk])
            if history is None:
                continue
            member = members[pk]
            if pk in seen and not seen[pk].current:
                yield seen[pk].shown_member(), history, []
            else:
                yield member, history, history.events


def _history(tree: Subtree, stints, events) -> History | None:
    """The member's history as the subtree saw it; None if they held no stint in it up to the date."""
    on = tree.on
    windows = []  # the parts of their stints that lay in the subtree, up to the date
    for stint in stints:
        for start, end in tree.inside.get(stint.unit_id, ()):
            low, high = max(stint.start, start), _earliest(stint.end, end)
            if low <= on and (high is None or low < high):
                windows.append((low, high))
    if not windows:
        return None
    here_on_day = any(high is None or on < high for _, high in windows)
    until = None if here_on_day else max(high for _, high in windows)
    kept = [_seen(tree, e, home) for e, home in _with_homes(events) if until is None or e.effective_on <= until]
    kept = [e for e in kept if e is not None] + _moves(tree, stints, until)
    kept.sort(key=lambda e: (e.effective_on, e.pk is not None, e.pk or 0))
    try:
        timeline = replay(kept)
    except SequenceError:  # not expected (see the module's docstring); the records' own then
        timeline = replay(events)
    return History(kept, timeline)


def _with_homes(events):
    """Each event with the cell that held the member's official activity before it."""
    home = None
    for event in events:
        yield event, home
        if event.kind in (K.ADMISSION, K.READMISSION, K.RESTORATION, K.TRANSFER_IN, K.TRANSFER_WITHIN):
            home = event.unit_id
        elif event.kind == K.TRANSFER_OUT or event.kind in LEAVING:
            home = None


def _seen(tree: Subtree, event: Event, home) -> Event | None:
    """The event as the subtree saw it (a copy), or None if it happened wholly outside it."""
    day = event.effective_on
    seen = copy.copy(event)
    to_here = event.unit_id is not None and tree.holds(event.unit_id, day)
    source = event.from_unit_id or home
    from_here = source is not None and tree.holds(source, day - DAY)  # the cell left: as it was the day before

    def outside(unit_id, on=day):
        seen.unit_id, seen.from_unit_id, seen.other_side = None, None, tree.name_on(unit_id, on)

    kind = event.kind
    if kind in (K.ADMISSION, K.READMISSION, K.RESTORATION):
        if event.unit_id is not None and not to_here:
            outside(event.unit_id)
    elif kind in (K.TRANSFER_IN, K.TEMPORARY_HOSTED):
        return seen if to_here else None
    elif kind == K.TRANSFER_OUT:
        return seen if from_here else None
    elif kind == K.TRANSFER_WITHIN:
        if from_here and not to_here:
            seen.kind = K.TRANSFER_OUT
            outside(event.unit_id)
        elif to_here and not from_here:
            seen.kind = K.TRANSFER_IN
            outside(source, day - DAY)
            seen.unit_id = event.unit_id
        elif not from_here:
            return None
    elif kind == K.TEMPORARY_AWAY:
        ours = home is not None and tree.holds(home, day)
        if ours and event.unit_id is not None and not to_here:
            outside(event.unit_id)
        elif not ours and to_here:
            seen.kind, seen.other_side = K.TEMPORARY_HOSTED, tree.name_on(home, day)
        elif not ours:
            return None
    return seen


MOVED_IN = "{cell} cùng đảng viên chuyển từ {other} về (thay đổi tổ chức{decision})."
MOVED_OUT = "{cell} cùng đảng viên chuyển sang {other} (thay đổi tổ chức{decision})."


def _moves(tree: Subtree, stints, until) -> list[Event]:
    """The transfers the subtree saw when a cell came into it, or left it, with the member holding
    official activity there (no event of the member's records them)."""
    held = []  # the member's official stints, those following each other in one cell joined
    for stint in stints:
        if stint.kind != StintKind.OFFICIAL:
            continue
        if held and held[-1][0] == stint.unit_id and held[-1][2] == stint.start:
            held[-1][2] = stint.end
        else:
            held.append([stint.unit_id, stint.start, stint.end])
    moves = []
    for unit_id, start, end in held:
        for low, high in tree.inside.get(unit_id, ()):
            if not (low <= tree.on and (high is None or start < high) and (end is None or low < end)):
                continue
            if low > start:
                moves.append(_move(tree, K.TRANSFER_IN, unit_id, low))
            if high is not None and high <= tree.on and (end is None or high < end):
                moves.append(_move(tree, K.TRANSFER_OUT, unit_id, high))
    return [m for m in moves if until is None or m.effective_on <= until]


def _move(tree: Subtree, kind, unit_id, day) -> Event:
    """A cell's move into (TRANSFER_IN) or out of the subtree on `day`, for a member in it: the
    other side is the committee the cell came from, or went to."""
    came = kind == K.TRANSFER_IN
    before, after = tree.version_on(unit_id, day - DAY), tree.version_on(unit_id, day)
    there = before if came else after  # the cell in its place outside the subtree
    other = tree.name_on(there.parent_id, there.valid_from) if there.parent_id else there.name
    decision = f": {after.decision}" if after.decision and after.valid_from == day else ""
    note = (MOVED_IN if came else MOVED_OUT).format(cell=after.name, other=other, decision=decision)
    return Event(kind=kind, effective_on=day, unit_id=unit_id if came else None, other_side=other, note=note)


# --- rows ------------------------------------------------------------------------------------------


def _member_row(tree: Subtree, member: Member, history: History) -> list:
    t, on = history.timeline, tree.on
    holding = [s for s in t.stints if s.start <= on and (s.end is None or on < s.end)]
    official = [s for s in holding if s.kind == StintKind.OFFICIAL]
    last = max(t.stints, key=lambda s: (s.end or datetime.date.max, s.start), default=None)
    cell = (official or holding or [last])[0]
    if t.left is not None:
        how, status_on = t.left
        status = c.STATUS_LABELS[c.Status.DEAD if how == K.DEATH else how]
    elif holding:
        status, status_on = c.STATUS_LABELS[c.Status.ACTIVE], None
    else:
        status, status_on = c.STATUS_LABELS[c.Status.TRANSFERRED], last.end if last else None
    values = {
        "full_name": member.full_name,
        # Written only where the last word of the name is not the given name the lists sort by.
        "given_name": member.given_name if " " in member.given_name else "",
        "sex": SEXES.get(member.sex, ""),
        "theory_level": THEORY.get(member.theory_level, ""),
        "admitted_on": t.admitted_on or member.admitted_on,
        "official_on": t.official_on,
        "cell_code": tree.codes.get(cell.unit_id, "") if cell else "",
        "status": status,
        "status_on": status_on,
    }
    return [values[col.key] if col.key in values else getattr(member, col.key) for col in c.MEMBER_COLUMNS]


def _event_row(tree: Subtree, member: Member, event: Event) -> list:
    values = {
        "citizen_id": member.citizen_id or "",
        "card_number": member.card_number,
        "kind": K(event.kind).label,
        "unit_code": tree.codes.get(event.unit_id, "") if event.unit_id else "",
    }
    return [values[col.key] if col.key in values else getattr(event, col.key) for col in c.EVENT_COLUMNS]
