"""The import of the exchange workbook (dangbo.exchange): the reader (headers, dates, digits, CSV), the
planner's problems for each kind of bad input, matching members (citizen ID, card number, possible
duplicates confirmed, never merged), all or nothing, importing twice, the scope, the pages, the audit
and the kept file, the command, and a confirmation sent twice.

Workbooks are small and built in each test, as a user would fill the template; the session's demo is
the database they are imported into (coso's committee, DV00001, is the usual scope)."""

from __future__ import annotations

import csv
import datetime
import io
import re
import threading
import unicodedata

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.db import connections
from django.test import Client

from dangbo.accounts.models import User
from dangbo.accounts.scope import Scope
from dangbo.audit.models import AuditEntry
from dangbo.exchange import columns as C
from dangbo.exchange.importer import ImportRefused, run_import
from dangbo.exchange.models import ImportBatch
from dangbo.exchange.reader import FileRefused, open_book, parse_day, records
from dangbo.lib.http import today
from dangbo.members.models import Event, EventKind, Member, Stint, StintKind
from dangbo.members.quality import flag_bits
from dangbo.once.tokens import FIELD, new_key
from dangbo.orgs.models import Unit, UnitKind, UnitVersion
from tests.conftest import committed_demo_back
from tests.helpers import is_vietnamese, row_counts

D = datetime.date
TITLES = {name: {col.key: col.title for col in cols} for name, cols in C.COLUMNS.items()}


# --- building workbooks as a user fills the template ------------------------------------------------


def workbook(units=(), members=(), events=(), *, headers: dict | None = None, sheets=None) -> bytes:
    """An .xlsx with the sheets that have rows (or `sheets`), rows given as {column key: value}; each
    sheet's header is the template's titles of the keys used (or `headers[sheet]`, a list of titles)."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    content = {C.SHEET_UNITS: units, C.SHEET_MEMBERS: members, C.SHEET_EVENTS: events}
    for name in sheets or [name for name in C.SHEETS if content[name]]:
        rows = content[name]
        keys = [col.key for col in C.COLUMNS[name] if col.required or any(col.key in row for row in rows)]
        if name == C.SHEET_MEMBERS and not any("card_number" in row for row in rows):
            keys = [k for k in keys if k != "card_number"]
        if name == C.SHEET_EVENTS and "citizen_id" not in keys:
            keys.insert(0, "citizen_id")
        sheet = book.create_sheet(name)
        sheet.append((headers or {}).get(name) or [TITLES[name][k] for k in keys])
        for row in rows:
            sheet.append([row.get(k) for k in keys])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


TOP = "DV00001"  # coso's committee in the demo


def three_units(prefix="KT") -> list[dict]:
    """A sub-committee with a cell under coso's committee, and a cell right under it."""
    return [
        {"code": f"{prefix}-DBBP", "name": "Đảng bộ bộ phận Kiểm thử", "kind": "Đảng bộ bộ phận", "parent": TOP,
         "valid_from": D(2020, 1, 1)},
        {"code": f"{prefix}-CB1", "name": "Chi bộ Kiểm thử Một", "kind": "Chi bộ trực thuộc",
         "parent": f"{prefix}-DBBP", "valid_from": D(2020, 1, 1)},
        {"code": f"{prefix}-CB2", "name": "Chi bộ Kiểm thử Hai", "kind": "Chi bộ trực thuộc", "parent": TOP,
         "valid_from": D(2021, 6, 1)},
    ]  # fmt: skip


NAMES = [
    ("Phùng Văn Khải", "Nam"), ("Kiều Thị Mơ", "Nữ"), ("Lã Quang Vinh", "Nam"), ("Âu Thị Duyên", "Nữ"),
    ("Quách Văn Toàn", "Nam"), ("Mạc Thị Oanh", "Nữ"), ("Tạ Đình Phong", "Nam"), ("Khúc Thị Nhàn", "Nữ"),
    ("Ông Văn Thành", "Nam"), ("Giáp Thị Hằng", "Nữ"), ("Lạc Văn Kiên", "Nam"), ("Văn Thị Xuân", "Nữ"),
    ("Nông Đức Mạnh", "Nam"), ("Thái Thị Hoa", "Nữ"), ("Cù Văn Lực", "Nam"), ("Hứa Thị Loan", "Nữ"),
    ("Lò Văn Pấng", "Nam"), ("Triệu Thị Mai", "Nữ"), ("Bế Văn Đàn", "Nam"), ("Doãn Thị Tâm", "Nữ"),
]  # fmt: skip


def cid(index: int) -> str:
    return f"0981234{index:05d}"  # the demo's citizen IDs begin with other province codes


def member(index: int, cell="KT-CB1", **fields) -> dict:
    """A member row: admitted in 2022, official a year and a half later unless the index is odd."""
    name, sex = NAMES[index % len(NAMES)]
    row = {"full_name": name, "sex": sex, "birth_date": D(1985, 1 + index % 12, 1 + index),
           "admitted_on": D(2022, 3, 1 + index), "citizen_id": cid(index), "cell_code": cell}  # fmt: skip
    if index % 2 == 0:
        row["official_on"] = D(2023, 3, 1 + index)
    row.update(fields)
    return row


def twenty_members(prefix="KT") -> list[dict]:
    rows = [member(i, f"{prefix}-CB1" if i < 12 else f"{prefix}-CB2") for i in range(20)]
    rows[12].update(admitted_on=D(2020, 5, 1), official_on=D(2021, 5, 1))  # before its cell was founded
    return rows


def scope_of(username: str) -> Scope:
    user = User.objects.get(username=username)
    return Scope(unit_id=user.unit_id, sees_people=True, records=True)


def plan(content: bytes, username="coso", *, commit=False, allow_namesakes=False, filename="so.xlsx", refused=None):
    """run_import as `username` would; the plan (also when refused: `refused` says which is expected)."""
    book = open_book([(filename, io.BytesIO(content))])
    user = User.objects.get(username=username) if username else None
    try:
        result = run_import(book, actor=user, scope=scope_of(username) if username else None, commit=commit,
                            allow_namesakes=allow_namesakes)  # fmt: skip
        outcome = False
    except ImportRefused as error:
        result, outcome = error.plan, True
    finally:
        book.close()
    if refused is not None:
        assert outcome == refused, [(p.where(), p.message, p.value) for p in result.problems]
    return result


def problems(result) -> list[tuple]:
    return [(p.sheet, p.row, p.column, p.message) for p in result.problems]


def only_problem(result, sheet, row, column, *words):
    """The one problem of `result`: where it is, in Vietnamese, saying `words`."""
    assert len(result.problems) == 1, problems(result)
    p = result.problems[0]
    assert (p.sheet, p.row, p.column) == (sheet, row, column), problems(result)
    assert is_vietnamese(p.message), p.message
    for word in words:
        assert word in p.message, p.message
    return p


def counts() -> tuple:
    return (*row_counts(), Event.unscoped.count(), ImportBatch.objects.count())


# --- the reader ------------------------------------------------------------------------------------


def read_members(content: bytes, filename="so.xlsx") -> tuple[list, list]:
    book = open_book([(filename, io.BytesIO(content))])
    try:
        rows = list(records(book.sheets[C.SHEET_MEMBERS]))
        return rows, book.problems
    finally:
        book.close()


def test_headers_match_whatever_their_case_diacritics_spacing_and_usual_names():
    titles = ["STT", "HỌ TÊN", "gioi  tinh", "Ngày  tháng năm sinh", "Ngày kết nạp", "Số CMND/CCCD", "ma chi bo"]
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "ĐẢNG VIÊN"
    sheet.append(["Danh sách đảng viên Chi bộ Kiểm thử"])  # a title above the header
    sheet.append(titles)
    sheet.append([1, "Phùng Văn Khải", "Nam", D(1985, 1, 1), D(2022, 3, 1), "098123400001", "KT-CB1"])
    buffer = io.BytesIO()
    book.save(buffer)
    rows, found = read_members(buffer.getvalue())
    assert found == []
    [(number, row)] = rows
    assert number == 3
    assert row["full_name"] == "Phùng Văn Khải" and row["citizen_id"] == "098123400001"
    assert row["admitted_on"] == datetime.datetime(2022, 3, 1) and row["cell_code"] == "KT-CB1"
    assert "STT" not in row and set(row) == {"full_name", "sex", "birth_date", "admitted_on", "citizen_id",
                                             "cell_code"}  # fmt: skip


def test_an_unknown_column_a_missing_one_and_an_unknown_sheet_are_named():
    content = workbook(members=[member(0)], headers={C.SHEET_MEMBERS: [
        "Họ và tên", "Giới tính", "Ngày sinh", "Ngày vào Đảng", "Số CCCD", "Chi bộ của tôi"]})  # fmt: skip
    book = openpyxl.load_workbook(io.BytesIO(content))
    book.create_sheet("Ghi chú riêng")
    buffer = io.BytesIO()
    book.save(buffer)
    opened = open_book([("so.xlsx", io.BytesIO(buffer.getvalue()))])
    opened.close()
    found = {(p.sheet, p.column): p.message for p in opened.problems}
    assert "Chi bộ của tôi" in found[C.SHEET_MEMBERS, "Chi bộ của tôi"]
    assert "không có trong mẫu" in found[C.SHEET_MEMBERS, "Chi bộ của tôi"]
    assert "Thiếu cột bắt buộc “Mã chi bộ”" in found[C.SHEET_MEMBERS, "Mã chi bộ"]
    assert "Sheet “Ghi chú riêng” không có trong mẫu" in found["Ghi chú riêng", ""]
    assert all(is_vietnamese(m) for m in found.values())


@pytest.mark.parametrize(
    "value, day",
    [
        (datetime.datetime(1990, 3, 5), D(1990, 3, 5)),
        (D(1990, 3, 5), D(1990, 3, 5)),
        (32937, D(1990, 3, 5)),  # an Excel day number
        ("05/03/1990", D(1990, 3, 5)),
        ("5/3/1990", D(1990, 3, 5)),
        ("1990-03-05", D(1990, 3, 5)),
        ("05.03.1990", D(1990, 3, 5)),
        ("０５/０３/１９９０", D(1990, 3, 5)),  # full-width digits
        ("١٩٩٠-٠٣-٠٥", D(1990, 3, 5)),  # Arabic-Indic digits
        ("", None),
        (None, None),
        ("31/02/1990", "31/02/1990"),  # not a day: the text, for the problem to quote
        ("năm 1990", "năm 1990"),
    ],
)
def test_dates(value, day):
    assert parse_day(value) == day


def test_text_is_nfc_with_single_spaces_and_digits_folded_and_lost_zeros_back(demo):
    decomposed = unicodedata.normalize("NFD", "Nguyễn   Thị  Hường ")
    assert decomposed != "Nguyễn Thị Hường"
    content = workbook(units=three_units(), members=[
        member(0, full_name=decomposed, citizen_id="０９８１２３４０００００", home_town="  Hải   Dương "),
        member(1, citizen_id=int(cid(1))),  # typed as a number: Excel drops the leading zero
    ])  # fmt: skip
    rows, _ = read_members(content)
    assert rows[0][1]["full_name"] == decomposed  # the reader gives the raw value; the planner cleans it
    result = plan(content, commit=True, refused=False)
    assert result.counts()["members_new"] == 2
    made = Member.unscoped.get(citizen_id=cid(0))
    assert (made.family_name, made.middle_name, made.given_name) == ("Nguyễn", "Thị", "Hường")
    assert made.home_town == "Hải Dương"
    assert Member.unscoped.filter(citizen_id=cid(1)).exists()


def test_csv_files_of_the_sheets(demo):
    """The sheets as CSV (UTF-8 with or without BOM, comma or semicolon), named after their sheets;
    a file of another encoding is refused with a message."""

    def as_csv(name, rows, delimiter=",", bom=False) -> tuple[str, io.BytesIO]:
        keys = [col.key for col in C.COLUMNS[name] if any(col.key in r for r in rows) or col.required]
        text = io.StringIO()
        writer = csv.writer(text, delimiter=delimiter)
        writer.writerow([TITLES[name][k] for k in keys])
        for row in rows:
            writer.writerow([r.strftime("%d/%m/%Y") if isinstance(r, D) else ("" if r is None else r)
                             for r in (row.get(k) for k in keys)])  # fmt: skip
        data = text.getvalue().encode("utf-8-sig" if bom else "utf-8")
        return f"{name}.csv", io.BytesIO(data)

    files = [as_csv(C.SHEET_UNITS, three_units(), bom=True), as_csv(C.SHEET_MEMBERS, twenty_members()[:3], ";")]
    book = open_book(files)
    try:
        assert set(book.sheets) == {C.SHEET_UNITS, C.SHEET_MEMBERS} and book.problems == []
        result = run_import(book, actor=User.objects.get(username="coso"), scope=scope_of("coso"), commit=True)
    finally:
        book.close()
    assert result.counts()["units_new"] == 3 and result.counts()["members_new"] == 3
    assert Member.unscoped.get(citizen_id=cid(0)).full_name == NAMES[0][0]

    name, data = as_csv(C.SHEET_MEMBERS, twenty_members()[:1])
    utf16 = io.BytesIO(data.getvalue().decode("utf-8").encode("utf-16"))  # as some programs save "Unicode text"
    with pytest.raises(FileRefused) as refused:
        open_book([(name, utf16)])
    assert "UTF-8" in refused.value.problem.message


@pytest.mark.parametrize(
    "content, says",
    [
        (b"", "không phải sổ Excel"),
        (b"Ho va ten;Ngay sinh\n", "không phải sổ Excel"),  # a text file not named .csv
        (b"PK\x03\x04 not really a zip file at all", "bị hỏng"),
        (b"%PDF-1.4\n", "không phải sổ Excel"),
    ],
)
def test_not_a_workbook_or_a_corrupt_one_is_refused(content, says):
    with pytest.raises(FileRefused) as refused:
        open_book([("so.xlsx", io.BytesIO(content))])
    assert says in refused.value.problem.message and is_vietnamese(refused.value.problem.message)


def test_a_workbook_without_any_sheet_of_the_template_is_refused():
    book = openpyxl.Workbook()
    book.active.title = "Sheet1"
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    with pytest.raises(FileRefused) as refused:
        open_book([("so.xlsx", buffer)])
    assert "không có sheet nào" in refused.value.problem.message


# --- problems: each named by sheet, row and column, nothing written ---------------------------------


def refused_as(content, sheet, row, column, *words, username="coso"):
    """The file is refused, for that one problem, and nothing is written even when confirmed."""
    before = counts()
    result = plan(content, username, commit=True, refused=True)
    assert counts() == before
    return only_problem(result, sheet, row, column, *words)


def test_a_formula_where_a_value_is_expected(demo):
    """Named by its sheet, row and column letter; refused even where the column may be empty."""
    content = workbook(units=three_units(), members=[member(0), member(1, home_town="=A2")])
    assert refused_as(content, C.SHEET_MEMBERS, 3, "D", "công thức").value == "=A2"  # D: Quê quán
    content = workbook(units=three_units(), members=[member(0, cell_code="=\"KT-\"&\"CB1\"")])
    before = counts()
    result = plan(content, commit=True, refused=True)
    assert counts() == before
    formula = next(p for p in result.problems if "công thức" in p.message)
    assert (formula.sheet, formula.row, formula.column) == (C.SHEET_MEMBERS, 2, "G") and is_vietnamese(formula.message)


def test_a_cell_code_that_does_not_exist(demo):
    refused_as(workbook(units=three_units(), members=[member(0), member(1, cell="KT-CB9")]), C.SHEET_MEMBERS, 3,
               "Mã chi bộ", "Không có chi bộ mã “KT-CB9”")  # fmt: skip


def test_a_cell_code_that_is_not_a_cell(demo):
    refused_as(workbook(units=three_units(), members=[member(0, cell="KT-DBBP")]), C.SHEET_MEMBERS, 2, "Mã chi bộ",
               "không phải chi bộ")  # fmt: skip


def test_a_child_unit_under_the_wrong_kind_of_parent(demo):
    units = three_units()
    units[2]["parent"] = "KT-CB1"  # a cell under a cell
    refused_as(workbook(units=units), C.SHEET_UNITS, 4, "Mã đơn vị cấp trên")
    units = three_units()
    units[0]["kind"] = "Đảng bộ cơ sở"  # a grassroots committee under a grassroots committee
    refused_as(workbook(units=units), C.SHEET_UNITS, 2, "Mã đơn vị cấp trên")


def test_a_unit_kind_that_is_not_one(demo):
    units = three_units()
    units[1]["kind"] = "Tổ đảng"
    refused_as(workbook(units=units), C.SHEET_UNITS, 3, "Loại", "“Tổ đảng” không phải giá trị hợp lệ",
               "Chi bộ trực thuộc")  # fmt: skip


def test_two_rows_for_one_citizen_id(demo):
    refused_as(workbook(units=three_units(), members=[member(0), member(1), member(2, citizen_id=cid(0))]),
               C.SHEET_MEMBERS, 4, "Số CCCD", "có ở hai dòng (2 và 4)")  # fmt: skip


def test_two_rows_for_one_card_number(demo):
    rows = [member(0, card_number="12345678"), member(1, card_number="12345678")]
    refused_as(workbook(units=three_units(), members=rows), C.SHEET_MEMBERS, 3, "Số thẻ đảng viên", "hai dòng")


def test_an_impossible_history(demo):
    """Recognised before being admitted: refused by the rules of the events page."""
    row = member(0, admitted_on=D(2022, 3, 1), official_on=D(2023, 3, 1))
    history = [
        {"citizen_id": cid(0), "kind": "Công nhận đảng viên chính thức", "effective_on": D(2021, 3, 1)},
        {"citizen_id": cid(0), "kind": "Kết nạp", "effective_on": D(2022, 3, 1), "unit_code": "KT-CB1"},
    ]
    problem = refused_as(workbook(units=three_units(), members=[row], events=history), C.SHEET_EVENTS, 2, "",
                         "Lịch sử của đảng viên không hợp lệ")  # fmt: skip
    assert "các dòng 2, 3" in problem.message


def test_a_history_that_contradicts_the_record(demo):
    row = member(1, admitted_on=D(2022, 3, 1))  # probationary: the admission is the whole history
    history = [{"citizen_id": cid(1), "kind": "Kết nạp", "effective_on": D(2022, 4, 1), "unit_code": "KT-CB1"}]
    refused_as(workbook(units=three_units(), members=[row], events=history), C.SHEET_MEMBERS, 2, "Ngày vào Đảng",
               "khác ngày kết nạp trong lịch sử")  # fmt: skip


def test_a_history_of_nobody_in_the_members_sheet(demo):
    history = [{"citizen_id": cid(7), "kind": "Kết nạp", "effective_on": D(2022, 3, 1), "unit_code": "KT-CB1"}]
    refused_as(workbook(units=three_units(), members=[member(0)], events=history), C.SHEET_EVENTS, 2, "Số CCCD",
               "Không có đảng viên này")  # fmt: skip


@pytest.mark.parametrize(
    "fields, column, says",
    [
        ({"birth_date": "30/02/1985"}, "Ngày sinh", "không phải ngày"),
        ({"birth_date": D(2030, 1, 1)}, "Ngày sinh", "sau hôm nay"),
        ({"admitted_on": None}, "Ngày vào Đảng", "Thiếu ngày vào đảng"),
        ({"sex": "Khác"}, "Giới tính", "không phải giá trị hợp lệ"),
        ({"citizen_id": "12345"}, "Số CCCD", "12 chữ số"),
        ({"official_on": D(2022, 2, 1)}, "Ngày chính thức", "phải sau ngày vào Đảng"),
        ({"official_on": D(2022, 9, 1)}, "Ngày chính thức", "ít nhất 12 tháng"),
        ({"status": "Từ trần"}, "Ngày", "Hãy ghi ngày của trạng thái"),
    ],
)
def test_a_bad_value_in_a_member_row(demo, fields, column, says):
    refused_as(workbook(units=three_units(), members=[member(0), member(2, **fields)]), C.SHEET_MEMBERS, 3, column,
               says)  # fmt: skip


def test_one_bad_row_among_many_writes_nothing(demo):
    """All or nothing: the nineteen good rows are not written either, on confirmation."""
    rows = twenty_members()
    rows[19]["cell_code"] = "KT-CB9"
    before = counts()
    result = plan(workbook(units=three_units(), members=rows), commit=True, refused=True)
    assert counts() == before
    assert len(result.problems) == 1 and result.problems[0].row == 21
    assert not Unit.objects.filter(code__startswith="KT-").exists()
    assert not Member.unscoped.filter(citizen_id__startswith="0981234").exists()


def test_every_problem_is_listed_not_only_the_first(demo):
    units = three_units()
    units[2]["valid_from"] = "hôm qua"
    rows = twenty_members()
    rows[3]["sex"] = "?"
    rows[7]["citizen_id"] = "abc"
    result = plan(workbook(units=units, members=rows), commit=True, refused=True)
    where = {(p.sheet, p.row, p.column) for p in result.problems}
    assert {(C.SHEET_UNITS, 4, "Hiệu lực từ"), (C.SHEET_MEMBERS, 5, "Giới tính"),
            (C.SHEET_MEMBERS, 9, "Số CCCD")} <= where  # fmt: skip


def test_a_file_over_the_configured_size_is_refused(as_user, demo, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    assert settings.DANGBO_IMPORT_MAX_BYTES == 50 * 1024 * 1024  # the default (environment: same name)
    settings.DANGBO_IMPORT_MAX_BYTES = 1024 * 1024
    content = workbook(units=three_units(), members=twenty_members())
    big = content + b"\0" * (settings.DANGBO_IMPORT_MAX_BYTES + 1 - len(content))
    client = as_user("coso")
    before = counts()
    response = client.post("/nhap-du-lieu/", {"file": _upload(big)})
    assert response.status_code == 200
    error = _text(response, "#upload-error")
    assert "lớn hơn giới hạn 1 MB" in error and is_vietnamese(error)
    assert counts() == before


# --- the tree and the members written --------------------------------------------------------------


def test_three_units_and_twenty_members_into_coso_committee(demo):
    content = workbook(units=three_units(), members=twenty_members())
    before = counts()
    preview = plan(content, refused=False)
    assert counts() == before  # the preview writes nothing
    expected = {"units_new": 3, "units_updated": 0, "units_unchanged": 0, "members_new": 20, "members_updated": 0,
                "members_unchanged": 0, "problems": 0, "namesakes": 0}  # fmt: skip
    assert {k: v for k, v in preview.counts().items() if k != "events_added"} == expected
    done = plan(content, commit=True, refused=False)
    assert done.counts() == preview.counts()
    on = today()
    top_path = UnitVersion.objects.on(on).get(unit__code=TOP).path
    sub = UnitVersion.objects.on(on).get(unit__code="KT-DBBP")
    cell1 = UnitVersion.objects.on(on).get(unit__code="KT-CB1")
    cell2 = UnitVersion.objects.on(on).get(unit__code="KT-CB2")
    assert sub.kind == UnitKind.SUB_COMMITTEE and sub.parent.code == TOP and sub.path.startswith(top_path)
    assert cell1.parent_id == sub.unit_id and cell1.path.startswith(sub.path) and cell1.depth == sub.depth + 1
    assert cell2.parent.code == TOP and cell2.valid_from == D(2021, 6, 1)
    # Without history: active in the cell from the admission (or the cell's first day), official from
    # the official date.
    m0 = Member.unscoped.get(citizen_id=cid(0))
    assert (m0.admitted_on, m0.official_on) == (D(2022, 3, 1), D(2023, 3, 1))
    stints = list(Stint.unscoped.filter(member=m0, kind=StintKind.OFFICIAL).order_by("start"))
    assert {s.unit_id for s in stints} == {cell1.unit_id}
    assert (stints[0].start, stints[0].status, stints[-1].end, stints[-1].status) == (
        D(2022, 3, 1), "probationary", None, "official")
    m1 = Member.unscoped.get(citizen_id=cid(1))
    assert m1.official_on is None  # probationary
    m12 = Member.unscoped.get(citizen_id=cid(12))  # admitted before KT-CB2 was founded
    stint = Stint.unscoped.filter(member=m12, kind=StintKind.OFFICIAL).earliest("start")
    assert (stint.unit_id, stint.start) == (cell2.unit_id, D(2021, 6, 1))
    admission = Event.unscoped.get(member=m12, kind=EventKind.ADMISSION)
    assert admission.effective_on == m12.admitted_on and admission.unit_id is None and admission.other_side
    assert plan(content, refused=False).counts()["units_unchanged"] == 3


def test_importing_the_same_file_twice_changes_nothing(demo):
    history = [
        {"citizen_id": cid(4), "kind": "Kết nạp", "effective_on": D(2022, 3, 5), "unit_code": "KT-CB1",
         "ceremony_on": D(2022, 3, 10)},
        {"citizen_id": cid(4), "kind": "Công nhận đảng viên chính thức", "effective_on": D(2023, 3, 10)},
        {"citizen_id": cid(4), "kind": "Chuyển sinh hoạt chính thức trong Đảng bộ", "effective_on": D(2024, 1, 2),
         "unit_code": "KT-CB2"},
    ]  # fmt: skip
    rows = twenty_members()
    rows[4].update(official_on=D(2023, 3, 10), cell_code="KT-CB2")
    rows.append(member(20, cell="KT-CB1", status="Đã chuyển đi", status_on=D(2025, 5, 1)))
    content = workbook(units=three_units(), members=rows, events=history)
    first = plan(content, commit=True, refused=False)
    assert first.counts()["members_new"] == 21 and first.counts()["events_added"] > 21
    after = counts()
    again = plan(content, refused=False)
    c = again.counts()
    assert (c["units_unchanged"], c["members_unchanged"]) == (3, 21)
    assert (c["units_new"], c["units_updated"], c["members_new"], c["members_updated"], c["events_added"]) == (
        0, 0, 0, 0, 0)  # fmt: skip
    assert not again.changes_anything
    plan(content, commit=True, refused=False)
    assert counts() == after


def test_a_later_file_updates_units_and_members_by_their_codes_and_numbers(demo):
    plan(workbook(units=three_units(), members=twenty_members()), commit=True, refused=False)
    units = three_units()
    units[2:] = [
        {**units[2], "valid_to": D(2026, 1, 1)},
        {**units[2], "name": "Chi bộ Kiểm thử Hai (mới)", "valid_from": D(2026, 1, 1)},
    ]
    rows = twenty_members()
    rows[0]["workplace"] = "Sở Tài chính"
    rows[1]["theory_level"] = "Trung cấp"
    result = plan(workbook(units=units, members=rows), commit=True, refused=False)
    c = result.counts()
    assert (c["units_updated"], c["units_unchanged"], c["members_updated"], c["members_unchanged"]) == (1, 2, 2, 18)
    assert UnitVersion.objects.on(today()).get(unit__code="KT-CB2").name == "Chi bộ Kiểm thử Hai (mới)"
    assert Unit.objects.filter(code__startswith="KT-").count() == 3
    assert Member.unscoped.get(citizen_id=cid(0)).workplace == "Sở Tài chính"
    assert Member.unscoped.get(citizen_id=cid(1)).theory_level == "trung_cap"


def test_into_an_empty_tree_the_file_makes_the_top(demo):
    """With no scope (the command on a database), a unit without a parent code is a new top."""
    units = [{"code": "KT-TOP", "name": "Đảng bộ Khối Kiểm thử", "kind": "Đảng bộ cấp trên cơ sở",
              "valid_from": D(2019, 1, 1)},
             {"code": "KT-CS", "name": "Chi bộ cơ sở Kiểm thử", "kind": "Chi bộ cơ sở", "parent": "KT-TOP",
              "valid_from": D(2019, 1, 1)}]  # fmt: skip
    content = workbook(units=units, members=[member(0, cell="KT-CS")])
    plan(content, username=None, commit=True, refused=False)
    top = UnitVersion.objects.get(unit__code="KT-TOP")
    assert top.parent_id is None and top.depth == 0
    assert UnitVersion.objects.get(unit__code="KT-CS").parent_id == top.unit_id
    # The same file under a scope: a top that is not the user's own unit is refused.
    units[0]["code"], units[1]["code"], units[1]["parent"] = "KT-TOP2", "KT-CS2", "KT-TOP2"
    refused_as(workbook(units=units), C.SHEET_UNITS, 2, "Mã đơn vị cấp trên", "đơn vị cao nhất")


# --- matching members ------------------------------------------------------------------------------


def demo_member(demo) -> Member:
    """An active member of chibo's cell (in coso's committee)."""
    found = Member.unscoped.filter(stints__unit_id=demo["chibo"], stints__end__isnull=True,
                                   stints__kind=StintKind.OFFICIAL).exclude(card_number="")  # fmt: skip
    return found.order_by("pk").first()


def row_of(member: Member, **fields) -> dict:
    cell = Unit.objects.get(pk=Stint.unscoped.filter(member=member, kind=StintKind.OFFICIAL).latest("start").unit_id)
    row = {"full_name": member.full_name, "sex": member.get_sex_display(), "birth_date": member.birth_date,
           "admitted_on": member.admitted_on, "official_on": member.official_on, "citizen_id": member.citizen_id,
           "card_number": member.card_number, "cell_code": cell.code}  # fmt: skip
    row.update(fields)
    return {k: v for k, v in row.items() if v is not None}


def test_a_member_is_matched_by_citizen_id_then_by_card_number(demo):
    known = demo_member(demo)
    events = Event.unscoped.filter(member=known).count()
    by_id = plan(workbook(members=[row_of(known, card_number=None)]), refused=False)
    assert by_id.counts()["members_unchanged"] == 1 and by_id.counts()["members_new"] == 0
    by_card = plan(workbook(members=[row_of(known, citizen_id=None)]), refused=False)
    assert by_card.counts()["members_unchanged"] == 1
    changed = plan(workbook(members=[row_of(known, citizen_id=None, residence="Số 1 phố Kiểm Thử")]), commit=True,
                   refused=False)  # fmt: skip
    assert changed.counts()["members_updated"] == 1
    known.refresh_from_db()
    assert known.residence == "Số 1 phố Kiểm Thử" and Event.unscoped.filter(member=known).count() == events
    entry = AuditEntry.objects.filter(action="import_member", target_id=str(known.pk)).get()
    assert entry.after["residence"] == "Số 1 phố Kiểm Thử" and entry.actor.username == "coso"


def test_a_card_number_of_another_citizen_id_is_refused(demo):
    known = demo_member(demo)
    row = row_of(known, citizen_id=cid(1))
    refused_as(workbook(members=[row]), C.SHEET_MEMBERS, 2, "Số thẻ đảng viên", "số CCCD khác")


def test_a_possible_duplicate_is_flagged_and_created_only_when_confirmed(demo):
    """Same folded name and birth date, other numbers: never merged; created as another person only
    when staff confirm it."""
    known = demo_member(demo)
    name = vn_upper_without_marks(known.full_name)
    twin = member(0, full_name=name, birth_date=known.birth_date, sex=known.get_sex_display(),
                  cell_code=Unit.objects.get(pk=demo["chibo"]).code)  # fmt: skip
    content = workbook(members=[twin])
    preview = plan(content, refused=False)
    assert preview.counts()["namesakes"] == 1 and preview.counts()["members_new"] == 1
    [same] = preview.namesakes
    assert same.row == 2 and "1 hồ sơ đã có" in same.reason
    before = counts()
    refused = plan(content, commit=True, refused=True)
    assert refused.problems == [] and counts() == before
    plan(content, commit=True, allow_namesakes=True, refused=False)
    assert Member.unscoped.filter(search_name=known.search_name, birth_date=known.birth_date).count() == 2
    known.refresh_from_db()
    assert known.citizen_id != cid(0)
    # Both records now carry the data quality page's "possible duplicate" flag, the one already
    # there included; a namesake born another day does not.
    duplicate = flag_bits()["duplicate"]
    twins = Member.unscoped.filter(search_name=known.search_name, birth_date=known.birth_date)
    assert all(flags & duplicate for flags in twins.values_list("quality_flags", flat=True))
    others = Member.unscoped.filter(search_name=known.search_name).exclude(birth_date=known.birth_date)
    assert not any(flags & duplicate for flags in others.values_list("quality_flags", flat=True))


def test_two_rows_of_one_name_and_birth_date_in_the_file_are_flagged(demo):
    rows = [member(0), member(1, full_name=NAMES[0][0], birth_date=member(0)["birth_date"])]
    result = plan(workbook(units=three_units(), members=rows), refused=False)
    assert result.counts()["namesakes"] == 1 and "dòng 2 của tệp" in result.namesakes[0].reason


def vn_upper_without_marks(name: str) -> str:
    """How an old list may spell a name: capitals, no diacritics (folded names are compared)."""
    from dangbo.lib import vn

    return vn.fold(name).upper()


# --- histories through the same actions ------------------------------------------------------------


def test_a_new_event_for_a_recorded_member_goes_through_the_actions(demo):
    known = demo_member(demo)
    recorded = Event.unscoped.active().filter(member=known).order_by("effective_on", "pk")
    cell = Unit.objects.get(pk=demo["chibo"]).code
    events = [{"citizen_id": known.citizen_id, "kind": e.get_kind_display(), "effective_on": e.effective_on,
               "unit_code": Unit.objects.get(pk=e.unit_id).code if e.unit_id else None,
               "ceremony_on": e.ceremony_on, "ends_on": e.ends_on} for e in recorded]  # fmt: skip
    events = [{k: v for k, v in e.items() if v is not None} for e in events]
    moved = {"citizen_id": known.citizen_id, "kind": "Chuyển sinh hoạt chính thức đi", "effective_on": today(),
             "other_side": "Đảng bộ tỉnh Kiểm Thử"}  # fmt: skip
    row = row_of(known, status="Đã chuyển đi", status_on=today())
    assert row["cell_code"] == cell
    result = plan(workbook(members=[row], events=[*events, moved]), commit=True, refused=False)
    assert result.counts()["members_updated"] == 1 and result.counts()["events_added"] == 1
    event = Event.unscoped.filter(member=known).latest("pk")
    assert event.kind == EventKind.TRANSFER_OUT and event.from_unit_id == demo["chibo"]
    assert not Stint.unscoped.filter(member=known, end__isnull=True, kind=StintKind.OFFICIAL).exists()
    assert AuditEntry.objects.filter(action="event_transfer_out", target_id=str(event.pk)).exists()
    # An event the actions refuse: dead, then transferred.
    later = {"citizen_id": known.citizen_id, "kind": "Từ trần", "effective_on": today()}
    refused = plan(workbook(members=[row_of(known, status=None)], events=[*events, moved, later,
                   {**moved, "effective_on": today(), "kind": "Chuyển sinh hoạt chính thức đến",
                    "unit_code": cell}]), commit=True, refused=True)  # fmt: skip
    assert refused.problems and all(is_vietnamese(p.message) for p in refused.problems)


def test_a_history_that_rewrites_the_recorded_one_is_refused(demo):
    known = demo_member(demo)
    fake = [{"citizen_id": known.citizen_id, "kind": "Kết nạp", "effective_on": known.admitted_on,
             "unit_code": "DV00456"}]  # fmt: skip
    before = counts()
    result = plan(workbook(members=[row_of(known, cell_code="DV00456")], events=fake), commit=True, refused=True)
    assert counts() == before and result.problems
    assert any(p.sheet == C.SHEET_EVENTS and "khác lịch sử đã ghi" in p.message for p in result.problems), problems(
        result)


# --- the scope -------------------------------------------------------------------------------------


def other_committee_cell(demo) -> Unit:
    coso_path = UnitVersion.objects.on(today()).get(unit_id=demo["coso"]).path
    version = (UnitVersion.objects.on(today()).filter(kind=UnitKind.ATTACHED_CELL).exclude(path__startswith=coso_path)
               .order_by("path").first())  # fmt: skip
    return version.unit


def test_coso_cannot_import_into_a_cell_of_another_committee(demo):
    other = other_committee_cell(demo)
    refused_as(workbook(members=[member(0, cell=other.code)]), C.SHEET_MEMBERS, 2, "", "ngoài phạm vi")


def test_coso_cannot_hang_units_under_another_committee(demo):
    other = UnitVersion.objects.on(today()).get(unit_id=other_committee_cell(demo).pk).parent
    units = three_units()
    units[2]["parent"] = other.code
    refused_as(workbook(units=units), C.SHEET_UNITS, 4, "Mã đơn vị cấp trên", "không thuộc phạm vi")


def test_coso_cannot_rename_a_unit_outside_the_subtree(demo):
    root = Unit.objects.get(pk=demo["root"])
    versions = UnitVersion.objects.filter(unit=root).order_by("valid_from")
    rows = [{"code": root.code, "name": v.name, "kind": v.get_kind_display(), "valid_from": v.valid_from,
             "valid_to": v.valid_to} for v in versions]  # fmt: skip
    rows[-1]["valid_to"] = D(2026, 10, 1)
    rows.append({**rows[-1], "name": "Tên mới", "valid_from": D(2026, 10, 1), "valid_to": None})
    before = counts()
    result = plan(workbook(units=rows), commit=True, refused=True)
    assert counts() == before
    assert any("không thuộc phạm vi" in p.message and p.sheet == C.SHEET_UNITS for p in result.problems), problems(
        result)


def test_coso_cannot_update_a_member_of_another_committee(demo):
    other = other_committee_cell(demo)
    stranger = Member.unscoped.filter(stints__unit=other, stints__end__isnull=True,
                                      stints__kind=StintKind.OFFICIAL).order_by("pk").first()  # fmt: skip
    row = row_of(stranger, residence="Đổi bởi người ngoài")
    refused_as(workbook(members=[row]), C.SHEET_MEMBERS, 2, "Số CCCD", "ngoài phạm vi")
    stranger.refresh_from_db()
    assert stranger.residence != "Đổi bởi người ngoài"


def test_the_command_unit_limits_to_a_subtree_and_dry_run_writes_nothing(demo, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    path = tmp_path / "so.xlsx"
    path.write_bytes(workbook(units=three_units(), members=twenty_members()))
    before = counts()
    out = io.StringIO()
    call_command("import_workbook", str(path), "--dry-run", stdout=out)
    assert "Đơn vị: 3 mới" in out.getvalue() and "Đảng viên: 20 mới" in out.getvalue()
    assert "Chạy thử: không ghi gì" in out.getvalue()
    assert counts() == before
    other = other_committee_cell(demo)
    other_top = UnitVersion.objects.on(today()).get(unit=other).path[:16]
    other_code = UnitVersion.objects.on(today()).get(path=other_top).unit.code
    with pytest.raises(CommandError) as refused:
        call_command("import_workbook", str(path), "--unit", other_code, stdout=io.StringIO())
    assert "Không nhập" in str(refused.value)
    assert counts() == before
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_workbook", str(path), "--unit", "KHONG-CO", stdout=out)
    assert "Không có đơn vị mã “KHONG-CO”" in out.getvalue()
    out = io.StringIO()
    call_command("import_workbook", str(path), "--unit", TOP, stdout=out)
    assert "Đã nhập xong" in out.getvalue()
    assert Member.unscoped.filter(citizen_id__startswith="0981234").count() == 20
    batch = ImportBatch.objects.latest("pk")
    assert batch.applied_at and batch.summary["members_new"] == 20 and batch.file.read() == path.read_bytes()
    out = io.StringIO()
    call_command("import_workbook", str(path), stdout=out)
    assert "Không có gì thay đổi." in out.getvalue()


# --- the pages -------------------------------------------------------------------------------------


def _upload(content: bytes, name="so-trao-doi.xlsx"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def _text(response, selector: str) -> str:
    """The text of the elements "#id" or "#id tag tag…" (the words, single-spaced)."""
    import lxml.html

    first, *rest = selector.split()
    xpath = f"//*[@id='{first[1:]}']" + "".join(f"//{tag}" for tag in rest)
    nodes = lxml.html.fromstring(response.content.decode()).xpath(xpath)
    return " ".join(" ".join(" ".join(n.itertext()).split()) for n in nodes)


def upload(client, content, name="so-trao-doi.xlsx") -> ImportBatch:
    response = client.post("/nhap-du-lieu/", {"file": _upload(content, name)})
    assert response.status_code == 302, response.content.decode()[:2000]
    batch = ImportBatch.objects.latest("pk")
    assert response["Location"] == f"/nhap-du-lieu/{batch.pk}/"
    return batch


@pytest.mark.parametrize(("username", "status"), [("khoi", 200), ("coso", 200), ("chibo", 403), ("xem", 404),
                                                 ("outsider", 403)])  # fmt: skip
def test_who_may_import(as_user, demo, outsider, username, status):
    client = as_user(outsider[0] if username == "outsider" else username)
    assert client.get("/nhap-du-lieu/").status_code == status
    assert client.get("/nhap-du-lieu/vi-du.xlsx").status_code == status
    if status != 200:
        before = counts()
        assert client.post("/nhap-du-lieu/", {"file": _upload(workbook(units=three_units()))}).status_code == status
        assert counts() == before


def test_upload_preview_confirm_with_the_audit_and_the_kept_file(as_user, demo, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    content = workbook(units=three_units(), members=twenty_members())
    client = as_user("coso")
    assert client.get("/nhap-du-lieu/").status_code == 200
    before = counts()
    batch = upload(client, content)
    assert counts()[:-1] == before[:-1]  # the batch only
    preview = client.get(f"/nhap-du-lieu/{batch.pk}/")
    assert preview.status_code == 200
    figures = _text(preview, "#counts")
    assert "Đơn vị 3 mới · 0 cập nhật · 0 không đổi" in figures
    assert "Đảng viên 20 mới · 0 cập nhật · 0 không đổi" in figures
    assert _text(preview, "#confirm") == "Xác nhận nhập"
    assert counts()[:-1] == before[:-1]
    # Another user (even of the same committee) cannot open or confirm it.
    other = User.objects.create_user("coso2", password="demo", role=User.objects.get(username="coso").role,
                                     unit_id=demo["coso"])  # fmt: skip
    stranger = Client()
    stranger.force_login(other)
    assert stranger.get(f"/nhap-du-lieu/{batch.pk}/").status_code == 404
    assert stranger.post(f"/nhap-du-lieu/{batch.pk}/", {FIELD: new_key()}).status_code == 404
    confirmed = client.post(f"/nhap-du-lieu/{batch.pk}/")
    assert confirmed.status_code == 302 and confirmed["Location"] == f"/nhap-du-lieu/{batch.pk}/"
    batch.refresh_from_db()
    assert batch.applied_at is not None and batch.summary["members_new"] == 20 and batch.unit_id == demo["coso"]
    with batch.file.open("rb") as kept:
        assert kept.read() == content
    entry = AuditEntry.objects.get(action="import_workbook", target_id=str(batch.pk))
    assert entry.actor.username == "coso" and entry.after["members_new"] == 20 and entry.after["file"]
    result = client.get(f"/nhap-du-lieu/{batch.pk}/")
    assert "Đã nhập lúc" in _text(result, "#applied")
    assert Member.unscoped.filter(citizen_id__startswith="0981234").count() == 20
    # The members are on the list.
    listed = client.get("/dang-vien/", {"q": NAMES[0][0]})
    assert NAMES[0][0] in listed.content.decode()


def test_a_preview_with_problems_lists_them_row_by_row_and_cannot_be_confirmed(as_user, demo, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    rows = twenty_members()
    rows[5]["cell_code"] = "KT-CB9"
    client = as_user("coso")
    batch = upload(client, workbook(units=three_units(), members=rows))
    preview = client.get(f"/nhap-du-lieu/{batch.pk}/")
    assert "Tệp có 1 lỗi; chưa ghi gì." in _text(preview, "#refused")
    assert _text(preview, "#problems tbody tr") == (
        "Đảng viên 7 Mã chi bộ KT-CB9 Không có chi bộ mã “KT-CB9”.")
    assert not _text(preview, "#confirm")
    before = counts()
    response = client.post(f"/nhap-du-lieu/{batch.pk}/")
    assert response.status_code == 200 and counts() == before
    batch.refresh_from_db()
    assert batch.applied_at is None


def test_a_file_that_is_not_a_workbook_is_refused_on_upload(as_user, demo, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = as_user("coso")
    before = counts()
    for content, name in ((b"PK\x03\x04broken", "so.xlsx"), (b"%PDF-1.4", "so.pdf"), (b"abc", "so.xlsx")):
        response = client.post("/nhap-du-lieu/", {"file": _upload(content, name)})
        assert response.status_code == 200
        assert is_vietnamese(_text(response, "#upload-error")), name
    assert counts() == before


def test_possible_duplicates_on_the_page_need_the_box_ticked(as_user, demo, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    known = demo_member(demo)
    twin = member(0, full_name=known.full_name, birth_date=known.birth_date,
                  cell_code=Unit.objects.get(pk=demo["chibo"]).code)  # fmt: skip
    client = as_user("coso")
    batch = upload(client, workbook(members=[twin]))
    preview = client.get(f"/nhap-du-lieu/{batch.pk}/")
    assert known.full_name in _text(preview, "#namesakes")
    before = counts()
    response = client.post(f"/nhap-du-lieu/{batch.pk}/")
    assert response.status_code == 200 and "đánh dấu xác nhận" in response.content.decode()
    assert counts() == before
    assert client.post(f"/nhap-du-lieu/{batch.pk}/", {"namesakes": "1"}).status_code == 302
    assert Member.unscoped.filter(citizen_id=cid(0)).exists()


def test_a_confirmation_sent_twice_writes_once(as_user, demo, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = as_user("coso")
    batch = upload(client, workbook(units=three_units(), members=twenty_members()))
    token = new_key()
    first = client.post(f"/nhap-du-lieu/{batch.pk}/", {FIELD: token})
    assert first.status_code == 302, _text(first, "main")
    after = counts()
    again = client.post(f"/nhap-du-lieu/{batch.pk}/", {FIELD: token})  # the same form, sent again
    assert again.status_code == 302 and again["Location"] == f"/nhap-du-lieu/{batch.pk}/"
    other = client.post(f"/nhap-du-lieu/{batch.pk}/", {FIELD: new_key()})  # the page reloaded, sent again
    assert other.status_code == 200 and "Đã nhập lúc" in _text(other, "#applied")
    assert counts() == after
    assert AuditEntry.objects.filter(action="import_workbook", target_id=str(batch.pk)).count() == 1


def test_forms_sent_without_their_token_do_not_fail(as_user, demo, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = as_user("coso")
    content = workbook(units=three_units(), members=twenty_members()[:2])
    before = counts()
    response = client.post("/nhap-du-lieu/", {"file": _upload(content), FIELD: None})
    assert response.status_code == 200 and is_vietnamese(_text(response, "#upload-error"))
    assert counts() == before
    batch = upload(client, content)
    response = client.post(f"/nhap-du-lieu/{batch.pk}/", {FIELD: None})
    assert response.status_code == 200 and "thiếu mã gửi" in response.content.decode()
    batch.refresh_from_db()
    assert batch.applied_at is None and not Member.unscoped.filter(citizen_id=cid(0)).exists()


def test_the_batch_of_another_committee_is_not_found(as_user, demo, outsider, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    batch = upload(as_user("coso"), workbook(units=three_units()))
    client = as_user("khoi")
    assert client.get(f"/nhap-du-lieu/{batch.pk}/").status_code == 404
    assert client.get("/nhap-du-lieu/999999/").status_code == 404


# --- two confirmations at the same moment --------------------------------------------------------------


@pytest.fixture
def committed_demo(transactional_db) -> dict:
    return committed_demo_back()


def test_two_confirmations_at_once_write_once(committed_demo, settings, tmp_path):
    """Two tabs confirm the same preview at the same moment (each with its own form): one writes, the
    other finds it written; no 5xx."""
    settings.MEDIA_ROOT = tmp_path
    user = User.objects.get(username="coso")
    client = Client()
    client.force_login(user)
    content = workbook(units=three_units(), members=twenty_members())
    response = client.post("/nhap-du-lieu/", {"file": _upload(content), FIELD: new_key()})
    assert response.status_code == 302
    batch = ImportBatch.objects.latest("pk")
    clients = []
    for _ in range(2):
        one = Client()
        one.force_login(user)
        clients.append(one)
    barrier = threading.Barrier(len(clients))
    statuses: list = [0] * len(clients)

    def send(i):
        try:
            barrier.wait()
            statuses[i] = clients[i].post(f"/nhap-du-lieu/{batch.pk}/", {FIELD: new_key()}).status_code
        except Exception as error:  # noqa: BLE001 - a view's exception is the 500 looked for
            statuses[i] = f"500 {type(error).__name__}: {error}"
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # The second finds the batch written: sent back to it (302) or shown its result (200).
    assert sorted(statuses) in ([200, 302], [302, 302]), statuses
    assert Member.unscoped.filter(citizen_id__startswith="0981234").count() == 20
    assert Unit.objects.filter(code__startswith="KT-").count() == 3
    assert AuditEntry.objects.filter(action="import_workbook").count() == 1
    batch.refresh_from_db()
    assert batch.applied_at is not None


def test_problem_messages_name_where_in_vietnamese():
    from dangbo.exchange.reader import Problem

    assert Problem("x", C.SHEET_MEMBERS, 7, "Mã chi bộ").where() == "Sheet “Đảng viên”, dòng 7, cột “Mã chi bộ”"
    assert re.fullmatch(r"Sheet “Tổ chức”", Problem("x", C.SHEET_UNITS).where())


def member_who_left_coso(demo) -> Member:
    """A member who moved from coso's committee to another one (coso still reads their record)."""
    coso_paths = list(UnitVersion.objects.filter(unit_id=demo["coso"]).values_list("path", flat=True))
    for event in Event.unscoped.active().filter(kind=EventKind.TRANSFER_WITHIN).order_by("effective_on", "pk"):
        before = UnitVersion.objects.on(event.effective_on - datetime.timedelta(days=1)).get(unit_id=event.from_unit_id)
        after = UnitVersion.objects.on(event.effective_on).get(unit_id=event.unit_id)
        if any(before.path.startswith(p) for p in coso_paths) and not any(after.path.startswith(p) for p in coso_paths):
            member = event.member
            if Stint.unscoped.filter(member=member, end__isnull=True, kind=StintKind.OFFICIAL).exists():
                return member
    pytest.skip("no member moved out of coso's committee in the demo")


def test_coso_cannot_change_a_member_who_moved_to_another_committee(demo):
    """coso reads the record of a member who left (the dated scope) but may no longer change it: an
    older list of theirs, imported again, changes nothing; a changed cell or a new event is refused."""
    gone = member_who_left_coso(demo)
    assert scope_of("coso").members_visible().filter(pk=gone.pk).exists()
    assert plan(workbook(members=[row_of(gone)]), refused=False).counts()["members_unchanged"] == 1
    refused_as(workbook(members=[row_of(gone, residence="Đổi bởi đơn vị cũ")]), C.SHEET_MEMBERS, 2, "Số CCCD",
               "không còn thuộc phạm vi quản lý")  # fmt: skip
    refused_as(workbook(members=[row_of(gone, status="Từ trần", status_on=today())]), C.SHEET_MEMBERS, 2,
               "Số CCCD", "không còn thuộc phạm vi quản lý")  # fmt: skip
    gone.refresh_from_db()
    assert gone.residence != "Đổi bởi đơn vị cũ" and not Event.unscoped.filter(member=gone, kind="death").exists()


def test_a_status_alone_records_the_event_for_a_recorded_member(demo):
    """No Biến động sheet: a recorded member of coso's whose row now says "Từ trần" on a day gets that
    event (checked against the cells of their recorded history, which the file does not name)."""
    known = demo_member(demo)
    died = today() - datetime.timedelta(days=3)
    result = plan(workbook(members=[row_of(known, status="Từ trần", status_on=died)]), commit=True, refused=False)
    assert result.counts()["members_updated"] == 1 and result.counts()["events_added"] == 1
    death = Event.unscoped.get(member=known, kind=EventKind.DEATH)
    assert death.effective_on == died
    assert not Stint.unscoped.filter(member=known, end__isnull=True).exists()


def test_the_example_workbook_imports_as_it_is(as_user, demo, settings, tmp_path):
    """/nhap-du-lieu/vi-du.xlsx: three new units and twenty members for coso's committee, no problem."""
    settings.MEDIA_ROOT = tmp_path
    client = as_user("coso")
    response = client.get("/nhap-du-lieu/vi-du.xlsx")
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    batch = upload(client, content, "So-trao-doi-vi-du.xlsx")
    preview = client.get(f"/nhap-du-lieu/{batch.pk}/")
    assert not _text(preview, "#problems"), _text(preview, "#problems")
    assert "Đơn vị 3 mới" in _text(preview, "#counts") and "Đảng viên 20 mới" in _text(preview, "#counts")
    assert client.post(f"/nhap-du-lieu/{batch.pk}/").status_code == 302
    batch.refresh_from_db()
    assert batch.summary["members_new"] == 20 and batch.summary["units_new"] == 3


def test_headers_cccd_alone(demo):
    content = workbook(units=three_units(), members=[member(0)], headers={C.SHEET_MEMBERS: [
        "Họ và tên", "Giới tính", "Ngày sinh", "CCCD", "Ngày vào Đảng", "Ngày chính thức", "Mã chi bộ"]})  # fmt: skip
    rows, found = read_members(content)
    assert found == [] and rows[0][1]["citizen_id"] == cid(0)


def test_the_command_asks_to_confirm_possible_duplicates(demo, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    known = demo_member(demo)
    path = tmp_path / "trung.xlsx"
    path.write_bytes(workbook(members=[member(0, full_name=known.full_name, birth_date=known.birth_date,
                                              cell_code=Unit.objects.get(pk=demo["chibo"]).code)]))  # fmt: skip
    before = counts()
    out = io.StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("import_workbook", str(path), stdout=out)
    assert "--allow-namesakes" in str(refused.value)
    assert f"Có thể trùng: sheet “Đảng viên”, dòng 2: {known.full_name}" in out.getvalue()
    assert counts() == before
    call_command("import_workbook", str(path), "--allow-namesakes", stdout=io.StringIO())
    assert Member.unscoped.filter(citizen_id=cid(0), birth_date=known.birth_date).exists()
