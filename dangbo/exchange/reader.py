"""Reading the exchange workbook, streamed: an .xlsx (its sheets' XML walked row by row by
`sheetxml`, never the whole file in memory) or the same sheets as CSV files. Each sheet yields its
rows as {column key: value} with the row's number, after the header has been matched to the
columns of `columns.py`.

Values are cleaned on the way in: text to NFC with single spaces, full-width and other Unicode
digits folded to ASCII, Excel dates to dates; a formula where a value is expected is a problem.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import functools
import io
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from dangbo.lib import vn

from . import sheetxml
from .columns import COLUMNS, SHEET_EVENTS, SHEET_HELP, SHEET_KEYS, SHEET_MEMBERS, SHEET_UNITS, Column, header_key

# Columns of row numbers that real lists carry and that mean nothing to the import.
IGNORED_HEADERS = {header_key(t) for t in ("STT", "TT", "Số TT", "Số thứ tự")}
MAX_HEADER_SCAN = 10  # a title above the header row is allowed, in the first rows


@dataclass
class Problem:
    """One thing wrong with the file, located where a user can find it."""

    message: str
    sheet: str = ""
    row: int | None = None
    column: str = ""
    value: str = ""

    def where(self) -> str:
        parts = [f"Sheet “{self.sheet}”" if self.sheet else "", f"dòng {self.row}" if self.row else "",
                 f"cột “{self.column}”" if self.column else ""]  # fmt: skip
        return ", ".join(p for p in parts if p)


class FileRefused(Exception):
    """The file cannot be read at all; `problem` says why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.problem = Problem(message)


@dataclass
class Sheet:
    name: str
    columns: dict[int, Column] = field(default_factory=dict)  # position → column
    header_row: int = 1
    rows: Iterator = None  # of (row number, [raw values])
    last_row: int | None = None  # as the file declares it, when it does (for the progress bar)

    def has(self, key: str) -> bool:
        return any(c.key == key for c in self.columns.values())


# --- cleaning values ----------------------------------------------------------------------------

_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}


def fold_digits(text: str) -> str:
    """Full-width characters to ASCII and every Unicode decimal digit (Arabic-Indic, Devanagari …)
    to its ASCII digit."""
    text = text.translate(_FULL_WIDTH)
    if text.isascii():
        return text
    return "".join(str(unicodedata.decimal(ch)) if unicodedata.decimal(ch, None) is not None else ch for ch in text)


def clean_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return vn.format_date(value)
    return _clean_string(str(value))


@functools.lru_cache(maxsize=16384)  # kinds, statuses, places, positions: the same texts row after row
def _clean_string(text: str) -> str:
    return vn.normalize(fold_digits(text))


EXCEL_EPOCH = datetime.date(1899, 12, 30)


def parse_day(value) -> datetime.date | None | str:
    """A date from an Excel date, an Excel day number, dd/mm/yyyy or yyyy-mm-dd; None when empty;
    the text itself when it is not a date (the caller reports it)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, (int, float)) and 1 <= value < 2_958_466:
        return EXCEL_EPOCH + datetime.timedelta(days=int(value))
    text = clean_text(value)
    day = vn.parse_date(text.replace(".", "/").replace(" ", ""))
    return day if day else text


def parse_number_text(value, width: int | None = None) -> str:
    """An identifier (citizen ID, card number): digits as text. Excel keeps a number typed into a
    cell as a number, which loses its leading zeros (CCCD numbers begin with the province code,
    001 … 096): a number shorter than `width` gets them back."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and width:
        text = str(value)
        return text.zfill(width) if len(text) < width else text
    return clean_text(value).replace(" ", "").replace(".", "")


# --- opening ------------------------------------------------------------------------------------


def _match_header(sheet_name: str, values: list) -> tuple[dict[int, Column], list[Problem]] | None:
    """The columns of a header row; None when the row is not the header (no required title)."""
    known: dict[str, Column] = {}
    for column in COLUMNS[sheet_name]:
        for title in (column.title, *column.aliases):
            known.setdefault(header_key(title), column)
    found, problems, seen = {}, [], set()
    for position, value in enumerate(values):
        key = header_key(value)
        if not key:
            continue
        column = known.get(key)
        if column is None:
            if key not in IGNORED_HEADERS:
                problems.append(Problem(f"Cột “{clean_text(value)}” không có trong mẫu sổ trao đổi; hãy đổi tên cột "
                                        "theo mẫu hoặc xóa cột.", sheet_name, None, clean_text(value)))  # fmt: skip
            continue
        if column.key in seen:
            problems.append(Problem(f"Cột “{column.title}” xuất hiện hai lần.", sheet_name, None, clean_text(value)))
            continue
        seen.add(column.key)
        found[position] = column
    if not any(c.required for c in found.values()):
        return None
    return found, problems


def _prepare(name: str, rows: Iterator) -> tuple[Sheet, list[Problem]]:
    """Find the header among the first rows, check the required columns."""
    for number, values in rows:
        matched = _match_header(name, values)
        if matched is not None:
            columns, problems = matched
            keys = {c.key for c in columns.values()}
            for column in COLUMNS[name]:
                if column.required and column.key not in keys:
                    problems.append(Problem(f"Thiếu cột bắt buộc “{column.title}”.", name, number, column.title))
            if name == SHEET_MEMBERS and not keys & {"citizen_id", "card_number"}:
                problems.append(Problem("Cần có cột “Số CCCD” hoặc cột “Số thẻ đảng viên”.", name, number))
            if name == SHEET_EVENTS and not keys & {"citizen_id", "card_number"}:
                problems.append(Problem("Cần có cột “Số CCCD” hoặc cột “Số thẻ đảng viên” để biết biến động của ai.",
                                        name, number))  # fmt: skip
            return Sheet(name, columns, number, rows), problems
        if number >= MAX_HEADER_SCAN:
            break
    titles = ", ".join(f"“{c.title}”" for c in COLUMNS[name] if c.required)
    return Sheet(name, {}, 0, iter(())), [Problem(f"Không tìm thấy dòng tiêu đề (cần các cột {titles}).", name)]


def _xlsx_rows(workbook: sheetxml.Workbook, path: str, sheet_name: str, problems: list[Problem]) -> Iterator:
    try:
        for number, cells in sheetxml.rows(workbook, path):
            values = []
            for cell in cells:
                if cell is not None and cell.formula is not None:
                    problems.append(Problem("Ô chứa công thức; hãy dán giá trị (Paste Special → Values) thay cho "
                                            "công thức.", sheet_name, number, cell.column,
                                            f"={cell.formula}"[:60]))  # fmt: skip
                    values.append(None)
                else:
                    values.append(None if cell is None else cell.value)
            yield number, values
    except sheetxml.BadWorkbook as error:
        problems.append(Problem(f"Tệp bị hỏng từ sau dòng này, không đọc tiếp được ({error}).", sheet_name))


@dataclass
class Book:
    """The sheets of an exchange file (or files), each with its rows still to read."""

    sheets: dict[str, Sheet] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    _closers: list = field(default_factory=list)

    def close(self):
        for close in self._closers:
            close()


def _sheet_name(title: str) -> str | None:
    return SHEET_KEYS.get(header_key(title))


def open_book(files: list[tuple[str, object]]) -> Book:
    """The exchange workbook from uploaded files: (file name, binary file object or path) pairs —
    one .xlsx, or CSV files named after their sheets ("Đảng viên.csv")."""
    book = Book()
    for filename, source in files:
        data_head = _head(source)
        if data_head.startswith(b"PK"):
            _open_xlsx(book, filename, source)
        elif filename.lower().endswith((".csv", ".txt")):
            _open_csv(book, filename, source)
        else:
            raise FileRefused(f"Tệp “{filename}” không phải sổ Excel (.xlsx) hay tệp CSV; hãy dùng mẫu sổ trao đổi.")
    if not book.sheets:
        raise FileRefused("Tệp không có sheet nào của mẫu sổ trao đổi (Tổ chức, Đảng viên, Biến động).")
    return book


def _head(source) -> bytes:
    if isinstance(source, (str, Path)):
        with open(source, "rb") as handle:
            return handle.read(4)
    position = source.tell()
    head = source.read(4)
    source.seek(position)
    return head


def _open_xlsx(book: Book, filename: str, source) -> None:
    try:
        workbook = sheetxml.open_workbook(source)
    except sheetxml.BadWorkbook as error:
        raise FileRefused(f"Tệp “{filename}” bị hỏng hoặc không phải sổ Excel .xlsx ({error}).") from None
    book._closers.append(workbook.close)
    for title, path in workbook.sheets:
        name = _sheet_name(title)
        if name is None:
            if header_key(title) != header_key(SHEET_HELP):
                book.problems.append(Problem(f"Sheet “{title}” không có trong mẫu sổ trao đổi (chỉ có các sheet "
                                             "Tổ chức, Đảng viên, Biến động và Hướng dẫn).", title))  # fmt: skip
            continue
        if name in book.sheets:
            book.problems.append(Problem(f"Sheet “{name}” có hai lần.", title))
            continue
        sheet, problems = _prepare(name, _xlsx_rows(workbook, path, name, book.problems))
        sheet.last_row = sheetxml.declared_rows(workbook, path)
        book.problems.extend(problems)
        book.sheets[name] = sheet


def _open_csv(book: Book, filename: str, source) -> None:
    stem = Path(filename).stem
    binary = open(source, "rb") if isinstance(source, (str, Path)) else source  # closed with the book
    if binary is not source:
        book._closers.append(binary.close)
    start = binary.tell()
    head = binary.read(8192)
    binary.seek(start)
    try:
        sample = codecs.getincrementaldecoder("utf-8-sig")().decode(head, final=len(head) < 8192)
    except UnicodeDecodeError:
        raise FileRefused(f"Tệp “{filename}” không ở bảng mã UTF-8; hãy lưu lại dạng CSV UTF-8.") from None
    dialect = csv.excel
    try:
        dialect = csv.Sniffer().sniff(sample[:4096], delimiters=",;\t")
    except csv.Error:
        pass
    name = _sheet_name(stem)
    if name is None:  # a file not named after its sheet: its header says which
        first = next(iter(csv.reader(io.StringIO(sample[:4096]), dialect)), [])
        keys = {header_key(v) for v in first}
        name = (SHEET_EVENTS if "loaibiendong" in keys else SHEET_UNITS if "madonvi" in keys
                else SHEET_MEMBERS if keys & {"hovaten", "hoten"} else None)  # fmt: skip
    if name is None:
        raise FileRefused(f"Không biết tệp “{filename}” là sheet nào: hãy đặt tên tệp theo sheet "
                          "(Tổ chức.csv, Đảng viên.csv, Biến động.csv).")  # fmt: skip
    if name in book.sheets:
        book.problems.append(Problem(f"Sheet “{name}” có hai lần.", filename))
        return
    text = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
    book._closers.insert(0, text.detach)  # the caller's file object stays open
    sheet, problems = _prepare(name, _csv_rows(text, dialect, name, book.problems))
    book.problems.extend(problems)
    book.sheets[name] = sheet


def _csv_rows(text, dialect, sheet_name: str, problems: list[Problem]) -> Iterator:
    """The rows of a CSV file, read as they come (never the whole file in memory)."""
    number = 0
    try:
        for number, values in enumerate(csv.reader(text, dialect), start=1):  # noqa: B007
            yield number, values
    except UnicodeDecodeError:
        problems.append(Problem("Tệp không ở bảng mã UTF-8 từ dòng này; hãy lưu lại dạng CSV UTF-8.", sheet_name,
                                number + 1))  # fmt: skip
    except csv.Error as error:
        problems.append(Problem(f"Dòng CSV không đọc được ({error}).", sheet_name, number + 1))


def records(sheet: Sheet) -> Iterator[tuple[int, dict]]:
    """The data rows of a sheet as (row number, {key: raw value}); empty rows are skipped."""
    for number, values in sheet.rows:
        record = {}
        for position, column in sheet.columns.items():
            value = values[position] if position < len(values) else None
            if isinstance(value, str) and not value.strip():
                value = None
            record[column.key] = value
        if any(v is not None for v in record.values()):
            yield number, record


__all__ = ["Book", "FileRefused", "Problem", "Sheet", "open_book", "records", "parse_day", "clean_text",
           "parse_number_text", "SHEET_UNITS", "SHEET_MEMBERS", "SHEET_EVENTS"]  # fmt: skip
