"""A list of accounts to create, uploaded as .xlsx (its first sheet) or CSV (UTF-8), with the columns
Mã đơn vị, Họ và tên, Tên đăng nhập (optional), Vai trò (optional). Every row is checked against
the scope before anything is written: one problem and nothing is created; each problem names its
row and column."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass

from openpyxl import load_workbook

from dangbo.exchange.columns import header_key
from dangbo.exchange.reader import clean_text
from dangbo.lib.http import today

from .actions import ROLE_BY_KIND, ROLES_BY_KIND, USERNAME, Usernames, Wanted, may_hold
from .models import Role

MAX_ROWS = 2000
MAX_BYTES = 5 * 1024 * 1024
MAX_HEADER_SCAN = 10
COLUMNS = {
    "code": ("Mã đơn vị", True, {"madonvi", "ma", "matochuc"}),
    "full_name": ("Họ và tên", True, {"hovaten", "hoten"}),
    "username": ("Tên đăng nhập", False, {"tendangnhap", "taikhoan"}),
    "role": ("Vai trò", False, {"vaitro"}),
}
ROLE_NAMES = {header_key(role.value): role for role in Role} | {header_key(role.label): role for role in Role}
ROLE_NAMES |= {"bithu": Role.CELL_SECRETARY, "canbocoso": Role.GRASSROOTS_STAFF, "nguoixem": Role.VIEWER}


@dataclass
class Problem:
    message: str
    row: int | None = None
    column: str = ""

    def __str__(self) -> str:
        where = ", ".join(
            p for p in (f"Dòng {self.row}" if self.row else "", f"cột “{self.column}”" if self.column else "") if p
        )
        return f"{where}: {self.message}" if where else self.message


class ListRefused(Exception):
    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


def _rows(upload) -> list[tuple[int, list]]:
    name = (upload.name or "").lower()
    if upload.size > MAX_BYTES:
        raise ListRefused([Problem(f"Tệp lớn hơn {MAX_BYTES // (1024 * 1024)} MB.")])
    data = upload.read()
    if data.startswith(b"PK"):
        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError):
            raise ListRefused([Problem("Tệp bị hỏng hoặc không phải sổ Excel .xlsx.")]) from None
        try:
            sheet = book.worksheets[0]
            rows = []
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                if number > MAX_ROWS + MAX_HEADER_SCAN + 1:
                    break
                rows.append((number, list(values)))
            return rows
        finally:
            book.close()
    if not name.endswith((".csv", ".txt")):
        raise ListRefused([Problem("Tệp danh sách phải là sổ Excel (.xlsx) hoặc tệp CSV.")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ListRefused([Problem("Tệp CSV không ở bảng mã UTF-8; hãy lưu lại dạng CSV UTF-8.")]) from None
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return list(enumerate(csv.reader(io.StringIO(text), dialect), start=1))


def _header(rows) -> tuple[int, dict[str, int]]:
    for index, (_, values) in enumerate(rows[:MAX_HEADER_SCAN]):
        keys = [header_key(v) for v in values]
        found = {}
        for key, (_, _, names) in COLUMNS.items():
            for position, value in enumerate(keys):
                if value in names:
                    found[key] = position
                    break
        if "code" in found and "full_name" in found:
            return index, found
    missing = ", ".join(f"“{title}”" for title, required, _ in COLUMNS.values() if required)
    raise ListRefused(
        [Problem(f"Không tìm thấy dòng tiêu đề có các cột {missing} (trong {MAX_HEADER_SCAN} dòng đầu).")]
    )


def read_list(upload, actor, scope) -> list[Wanted]:
    """The accounts the uploaded list asks for, every row checked; ListRefused with every problem."""
    rows = _rows(upload)
    start, positions = _header(rows)
    data = []
    for number, values in rows[start + 1 :]:
        record = {}
        for key, position in positions.items():
            value = values[position] if position < len(values) else None
            record[key] = clean_text(value)  # a formula stays its text "=…", refused below
        if any(record.values()):
            data.append((number, record))
    if not data:
        raise ListRefused([Problem("Danh sách không có dòng nào dưới dòng tiêu đề.")])
    if len(data) > MAX_ROWS:
        raise ListRefused([Problem(f"Danh sách có hơn {MAX_ROWS:,} dòng; hãy chia thành nhiều tệp.".replace(",", "."))])

    day = today()
    versions = {
        (v.unit.code or "").upper(): v
        for v in scope.units_on(day).select_related("unit").exclude(unit__code__isnull=True)
    }
    usernames = Usernames()
    problems, wanted, listed = [], [], {}
    title = {key: column[0] for key, column in COLUMNS.items()}
    for number, record in data:
        formulas = {key for key in COLUMNS if record.get(key, "").startswith("=")}
        for key in formulas:
            problems.append(Problem("ô chứa công thức; hãy nhập giá trị.", number, title[key]))
            record[key] = ""
        code, full_name = record.get("code", ""), record.get("full_name", "")
        version = versions.get(code.upper()) if code else None
        if not code and "code" not in formulas:
            problems.append(Problem("thiếu mã đơn vị.", number, title["code"]))
        elif code and version is None:
            problems.append(Problem(f"không có đơn vị mã “{code}” trong phạm vi của bạn.", number, title["code"]))
        if not full_name and "full_name" not in formulas:
            problems.append(Problem("thiếu họ và tên.", number, title["full_name"]))
        elif len(full_name) > 150:
            problems.append(Problem("họ và tên dài quá 150 ký tự.", number, title["full_name"]))
        role = None
        if record.get("role"):
            role = ROLE_NAMES.get(header_key(record["role"]))
            if role is None:
                problems.append(
                    Problem(
                        f"vai trò “{record['role']}” không có; hãy ghi một trong: "
                        + ", ".join(f"“{r.label}”" for r in Role)
                        + ".",
                        number,
                        title["role"],
                    )
                )
        elif version is not None:
            role = ROLE_BY_KIND.get(version.kind)
            if role is None:
                problems.append(
                    Problem(
                        f"đơn vị “{version.name}” ({version.get_kind_display()}) cần ghi rõ vai trò.",
                        number,
                        title["role"],
                    )
                )
        if version is not None and role is not None:
            if role not in ROLES_BY_KIND.get(version.kind, set()):
                problems.append(
                    Problem(
                        f"vai trò “{Role(role).label}” không dùng cho {version.get_kind_display().lower()} "
                        f"“{version.name}”.",
                        number,
                        title["role"],
                    )
                )
            elif not may_hold(actor, version, role, scope.unit_id):
                problems.append(
                    Problem(
                        f"bạn không được tạo tài khoản “{Role(role).label}” cho đơn vị “{version.name}” "
                        "(tài khoản cùng cấp do cấp trên tạo).",
                        number,
                        title["role"],
                    )
                )
        username = record.get("username", "").lower()
        if username:
            if not USERNAME.fullmatch(username):
                problems.append(
                    Problem(
                        f"tên đăng nhập “{record['username']}” không hợp lệ: từ 3 đến 150 ký tự, chỉ gồm "
                        "chữ không dấu, chữ số và các dấu . _ -, bắt đầu bằng chữ hoặc số.",
                        number,
                        title["username"],
                    )
                )
            elif username in listed:
                problems.append(
                    Problem(f"tên đăng nhập “{username}” trùng với dòng {listed[username]}.", number, title["username"])
                )
            elif not usernames.free(username):
                problems.append(Problem(f"tên đăng nhập “{username}” đã có người dùng.", number, title["username"]))
            listed.setdefault(username, number)
        if version is not None and role is not None:
            wanted.append(Wanted(version, role, full_name, username))
    if problems:
        raise ListRefused(problems)
    return wanted
