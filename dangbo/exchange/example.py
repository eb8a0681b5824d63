"""An example exchange workbook for the reader's own unit: three new units (or none, under a cell)
and twenty members, a little history included — to try the import without typing a list. The
codes and citizen IDs are chosen free in the database, so the example imports as it is."""

from __future__ import annotations

import datetime
import random

from openpyxl import Workbook

from dangbo.lib import vn
from dangbo.lib.xlsx import _put
from dangbo.members.models import Member
from dangbo.orgs.models import Unit, UnitKind, UnitVersion

from .columns import EVENT_COLUMNS, MEMBER_COLUMNS, SHEET_EVENTS, SHEET_MEMBERS, SHEET_UNITS, UNIT_COLUMNS

PEOPLE = [
    ("Nguyễn Văn Hùng", "Nam"), ("Trần Thị Hương", "Nữ"), ("Lê Minh Tuấn", "Nam"), ("Phạm Thu Hà", "Nữ"),
    ("Hoàng Đức Long", "Nam"), ("Vũ Thị Lan", "Nữ"), ("Đặng Quốc Bảo", "Nam"), ("Bùi Thị Thảo", "Nữ"),
    ("Đỗ Văn Nam", "Nam"), ("Ngô Thị Ánh", "Nữ"), ("Dương Văn Ước", "Nam"), ("Lý Thị Yến", "Nữ"),
    ("Đinh Công Sơn", "Nam"), ("Trịnh Thị Nga", "Nữ"), ("Đào Xuân Trung", "Nam"), ("Mai Phương Thảo", "Nữ"),
    ("Lương Văn Hải", "Nam"), ("Tô Thị Quỳnh", "Nữ"), ("Cao Minh Khoa", "Nam"), ("Hà Thị Ngọc Anh", "Nữ"),
]  # fmt: skip
THEORY = ["Sơ cấp", "Trung cấp", "Cao cấp", "", "Trung cấp"]


def _free_code(prefix: str) -> str:
    taken = set(Unit.objects.filter(code__startswith=prefix).values_list("code", flat=True))
    return next(f"{prefix}{n}" for n in range(1, 10_000) if f"{prefix}{n}" not in taken)


def _free_ids(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    ids: list[str] = []
    while len(ids) < count:
        batch = [f"099{rng.randrange(10**9):09d}" for _ in range(count * 2)]
        taken = set(Member.unscoped.filter(citizen_id__in=batch).values_list("citizen_id", flat=True))
        ids += [c for c in batch if c not in taken and c not in ids][: count - len(ids)]
    return ids


def example_workbook(root: UnitVersion, on: datetime.date) -> Workbook:
    book = Workbook()
    units, members, events = book.active, book.create_sheet(SHEET_MEMBERS), book.create_sheet(SHEET_EVENTS)
    units.title = SHEET_UNITS
    for sheet, columns in ((units, UNIT_COLUMNS), (members, MEMBER_COLUMNS), (events, EVENT_COLUMNS)):
        for index, column in enumerate(columns, start=1):
            _put(sheet, 1, index, column.title)
    code = Unit.objects.get(pk=root.unit_id).code
    founded = on - datetime.timedelta(days=400)
    rows, cells = [], [code]
    if root.kind not in (UnitKind.GRASSROOTS_CELL, UnitKind.ATTACHED_CELL):
        holder = code
        if root.kind in (UnitKind.SUPERIOR, UnitKind.GRASSROOTS_COMMITTEE):
            holder = _free_code("VD-DB")
            kind = UnitKind.GRASSROOTS_COMMITTEE if root.kind == UnitKind.SUPERIOR else UnitKind.SUB_COMMITTEE
            name = "Đảng bộ Công ty Ví dụ" if kind == UnitKind.GRASSROOTS_COMMITTEE else "Đảng bộ bộ phận Ví dụ"
            rows.append([holder, name, kind.label, code, founded, None])
        first = _free_code("VD-CB")
        second = _free_code(f"{first}-")
        renamed = founded + datetime.timedelta(days=200)
        rows += [
            [first, "Chi bộ Phòng Kế hoạch", UnitKind.ATTACHED_CELL.label, holder, founded, renamed],
            [first, "Chi bộ Phòng Kế hoạch – Đầu tư", UnitKind.ATTACHED_CELL.label, holder, renamed, None],
            [second, "Chi bộ Phòng Kỹ thuật", UnitKind.ATTACHED_CELL.label, holder, founded, None],
        ]
        cells = [first, second]
    _rows(units, rows)
    ids = _free_ids(len(PEOPLE), seed=root.unit_id)
    rng = random.Random(root.unit_id)
    member_rows, event_rows = [], []
    for index, ((name, sex), cid) in enumerate(zip(PEOPLE, ids)):
        born = datetime.date(1970 + index, 1 + index % 12, 1 + index % 27)
        admitted = on - datetime.timedelta(days=int(rng.uniform(30, 300)) if index < 3 else 400 + 300 * index)
        official = vn.add_years(admitted + datetime.timedelta(days=14), 1) if index >= 3 else None
        cell = cells[index % len(cells)]
        member_rows.append({
            "full_name": name, "sex": sex, "birth_date": born, "citizen_id": cid, "admitted_on": admitted,
            "official_on": official, "cell_code": cell, "theory_level": THEORY[index % len(THEORY)],
            "home_town": "Hải Phòng", "residence": "Phường Lê Chân, thành phố Hải Phòng", "ethnicity": "Kinh",
            "religion": "Không", "education": "12/12", "occupation": "Công chức", "workplace": "Công ty Ví dụ",
            "status": "Đang sinh hoạt",
        })  # fmt: skip
    if len(cells) == 2:  # one member's history: admitted in the first cell, moved to the second
        row = member_rows[3]
        admitted = founded + datetime.timedelta(days=10)
        ceremony = admitted + datetime.timedelta(days=20)
        moved = founded + datetime.timedelta(days=300)
        row.update(admitted_on=admitted, official_on=vn.add_years(ceremony, 1), cell_code=cells[1])
        for kind, day, unit, extra in (("Kết nạp", admitted, cells[0], {"ceremony_on": ceremony}),
                                       ("Công nhận đảng viên chính thức", vn.add_years(ceremony, 1), "", {}),
                                       ("Chuyển sinh hoạt chính thức trong Đảng bộ", moved, cells[1], {})):
            event = {"citizen_id": row["citizen_id"], "kind": kind, "effective_on": day, "unit_code": unit,
                     "decision_number": "15-QĐ/ĐU", **extra}
            event_rows.append([event.get(c.key) for c in EVENT_COLUMNS])
    _rows(members, [[r.get(c.key) for c in MEMBER_COLUMNS] for r in member_rows])
    _rows(events, event_rows)
    return book


def _rows(sheet, rows) -> None:
    for line, values in enumerate(rows, start=2):
        for column, value in enumerate(values, start=1):
            cell = _put(sheet, line, column, value)
            if isinstance(value, datetime.date):
                cell.number_format = "dd/mm/yyyy"
