"""The `Hướng dẫn` sheet of the exchange workbook: what each sheet and column is, the rules of an
import, examples, and the lists of accepted values that the data sheets' cells offer to pick from."""

from __future__ import annotations

import datetime

from dangbo.members.models import EventKind, Sex, TheoryLevel
from dangbo.orgs.models import UnitKind

from . import columns as c

SHEETS_SAID = {
    c.SHEET_UNITS: "Hệ thống tổ chức: mỗi dòng là một đơn vị trong một thời kỳ (từ khi thành lập, đổi tên hoặc "
    "chuyển đến khi có thay đổi tiếp theo). Đơn vị cấp trên ghi trước hay sau đều được.",
    c.SHEET_MEMBERS: "Danh sách đảng viên: mỗi dòng một đảng viên, kể cả người đã chuyển đi, từ trần hoặc ra "
    "khỏi Đảng (ghi ở cột Trạng thái và Ngày).",
    c.SHEET_EVENTS: "Không bắt buộc. Quá trình của đảng viên: mỗi dòng một biến động (kết nạp, công nhận "
    "chính thức, chuyển sinh hoạt, miễn sinh hoạt, từ trần, ra khỏi Đảng…).",
}

RULES = [
    "Sổ gồm sheet Hướng dẫn này (không được đọc khi nhập) và ba sheet dữ liệu: Tổ chức, Đảng viên, Biến động. "
    "Dòng đầu tiên của mỗi sheet dữ liệu là tiêu đề cột; dữ liệu bắt đầu từ dòng thứ hai.",
    "Chỉ các cột bắt buộc phải có; các cột khác có thể bỏ đi hoặc để trống. Thứ tự cột không quan trọng. "
    "Tiêu đề cột được nhận ra không phân biệt chữ hoa, chữ thường, dấu, khoảng trắng; các tên khác ghi ở cột "
    "«Tên khác được chấp nhận» cũng được.",
    "Ngày ghi bằng ô ngày của Excel, hoặc dạng ngày/tháng/năm (30/09/2024), hoặc năm-tháng-ngày (2024-09-30).",
    "Đảng viên được nhận ra theo Số CCCD; nếu không có Số CCCD thì theo Số thẻ đảng viên. Mỗi đảng viên cần ít "
    "nhất một trong hai số. Những người có thể trùng nhau (cùng họ tên và ngày sinh nhưng khác số) được báo ra "
    "để kiểm tra, không bao giờ tự gộp.",
    "Đảng viên không có dòng nào ở sheet Biến động được coi là sinh hoạt chính thức tại chi bộ ở cột Mã chi bộ "
    "từ Ngày vào Đảng (hoặc từ ngày đầu tiên của chi bộ nếu muộn hơn), là đảng viên chính thức từ Ngày chính "
    "thức; Trạng thái và Ngày cho biết đã chuyển đi, từ trần hoặc ra khỏi Đảng từ ngày nào.",
    "Đảng viên có dòng ở sheet Biến động thì quá trình do các dòng đó quyết định: dòng đầu tiên là Kết nạp, "
    "các dòng xếp theo Ngày hiệu lực, cùng ngày thì theo thứ tự dòng. Chi bộ trong sổ ghi bằng mã ở cột "
    "Mã chi bộ đến; tổ chức đảng bên ngoài ghi bằng tên ở cột Nơi đi / nơi đến.",
    "Sổ xuất từ phần mềm ghi dữ liệu tính đến ngày xuất: các thời kỳ, biến động sau ngày đó không có trong sổ. "
    "Chi bộ không thuộc đơn vị được xuất vào ngày của biến động được ghi là tổ chức bên ngoài.",
    "Cũng nhận tệp CSV mã UTF-8, mỗi sheet một tệp, đặt tên theo tên sheet: Tổ chức.csv, Đảng viên.csv, "
    "Biến động.csv.",
    "Nhập lại cùng một tệp lần thứ hai không làm thay đổi gì.",
]

D = datetime.date
EXAMPLES = {
    c.SHEET_UNITS: [
        ["DBK", "Đảng bộ Khối các cơ quan thành phố", UnitKind.SUPERIOR.label, "", D(2015, 1, 1), "",
         "Quyết định số 12-QĐ/TU"],
        ["DBSTC", "Đảng bộ Sở Tài chính", UnitKind.GRASSROOTS_COMMITTEE.label, "DBK", D(2015, 1, 1), "", ""],
        ["CBVP", "Chi bộ Văn phòng", UnitKind.ATTACHED_CELL.label, "DBSTC", D(2015, 1, 1), D(2024, 7, 1), ""],
        ["CBVP", "Chi bộ Văn phòng - Tổng hợp", UnitKind.ATTACHED_CELL.label, "DBSTC", D(2024, 7, 1), "",
         "Quyết định số 45-QĐ/ĐU (đổi tên)"],
    ],
    c.SHEET_MEMBERS: [
        ["Nguyễn Thị Hường", "", Sex.FEMALE.label, D(1985, 3, 12), "Kinh", "Không", "Xã An Lão, TP Hải Phòng",
         "Phường Lê Chân, TP Hải Phòng", "031185001234", "012345678901", "03123456", "12345", D(2010, 5, 19),
         D(2011, 5, 19), "12/12", "Cử nhân Kế toán", TheoryLevel.INTERMEDIATE.label, "Tiếng Anh B1", "Công chức",
         "Sở Tài chính", "Đảng ủy viên", "Phó Chánh Văn phòng", "", "", "CBVP", c.STATUS_LABELS[c.Status.ACTIVE],
         ""],
    ],
    c.SHEET_EVENTS: [
        ["031185001234", "", EventKind.ADMISSION.label, D(2010, 5, 19), "25-QĐ/ĐU", D(2010, 5, 19),
         "Đảng ủy Sở Tài chính", "CBVP", "", D(2010, 6, 2), "", ""],
        ["031185001234", "", EventKind.RECOGNITION.label, D(2011, 6, 2), "40-QĐ/ĐU", D(2011, 6, 20),
         "Đảng ủy Sở Tài chính", "", "", "", "", ""],
    ],
}  # fmt: skip

# The lists the coded columns offer: (sheet, column key) -> accepted values.
VALUE_LISTS = {
    (c.SHEET_UNITS, "kind"): list(UnitKind.labels),
    (c.SHEET_MEMBERS, "sex"): list(Sex.labels),
    (c.SHEET_MEMBERS, "theory_level"): list(TheoryLevel.labels),
    (c.SHEET_MEMBERS, "status"): list(dict.fromkeys(c.STATUS_LABELS.values())),
    (c.SHEET_EVENTS, "kind"): list(EventKind.labels),
}


def guide() -> tuple[list[tuple[str, list]], dict]:
    """The sheet's rows, each (style, values) with style title, heading, header or text, and where
    each list of accepted values lies: (sheet, column key) -> (first row, last row), in column D."""
    rows = [("title", ["SỔ TRAO ĐỔI DỮ LIỆU ĐẢNG VIÊN — HƯỚNG DẪN"]), ("text", [])]
    rows += [("text", ["", "", "", rule]) for rule in RULES]
    for sheet, columns in c.COLUMNS.items():
        rows += [("text", []), ("heading", [f"Sheet «{sheet}»", "", "", SHEETS_SAID[sheet]])]
        rows.append(("header", ["Cột", "Bắt buộc", "Tên khác được chấp nhận", "Giá trị, ghi chú"]))
        for column in columns:
            rows.append(("text", [column.title, "Bắt buộc" if column.required else "Không",
                                  "; ".join(column.aliases), column.help]))  # fmt: skip
    for sheet, examples in EXAMPLES.items():
        rows += [("text", []), ("heading", [f"Ví dụ sheet «{sheet}»"])]
        rows.append(("header", [column.title for column in c.COLUMNS[sheet]]))
        rows += [("text", values) for values in examples]
    said = "Các ô ở sheet dữ liệu cho chọn trong các danh mục này."
    rows += [("text", []), ("heading", ["Danh mục giá trị", "", "", said])]
    lists = {}
    for (sheet, key), values in VALUE_LISTS.items():
        title = next(column.title for column in c.COLUMNS[sheet] if column.key == key)
        lists[sheet, key] = (len(rows) + 1, len(rows) + len(values))
        for i, value in enumerate(values):
            rows.append(("text", [f"{title} (sheet {sheet})" if i == 0 else "", "", "", value]))
    return rows, lists
