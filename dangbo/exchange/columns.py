"""The exchange workbook: the one format in which a committee's lists come in and go out.

Three sheets — `Tổ chức` (the tree, one row per unit and period), `Đảng viên` (one row per member)
and `Biến động` (optional: the history, one row per event). The same sheets are accepted as CSV
files. Each column has a key (used in code), its title in the template and the export, whether it
is required, and the other titles real lists give it. Titles match whatever their case, diacritics,
spacing and punctuation (`header_key`), so "Họ tên", "HO VA TEN" and "Họ và tên" are one column.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from dangbo.lib import vn
from dangbo.members.models import EventKind, Sex, TheoryLevel
from dangbo.orgs.models import UnitKind

SHEET_UNITS = "Tổ chức"
SHEET_MEMBERS = "Đảng viên"
SHEET_EVENTS = "Biến động"
SHEET_HELP = "Hướng dẫn"
SHEETS = (SHEET_UNITS, SHEET_MEMBERS, SHEET_EVENTS)


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    width: float = 16
    help: str = ""


def header_key(text) -> str:
    """A header as compared: folded (no case, no diacritics) and without spaces or punctuation."""
    return _key(str(text or ""))


@functools.lru_cache(maxsize=4096)  # the choices of a sheet's columns, read again on every row
def _key(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", vn.fold(text))


UNIT_COLUMNS = (
    Column("code", "Mã đơn vị", True, ("Mã tổ chức", "Mã đơn vị đảng", "Mã"), 14,
           "Mã riêng của đơn vị, không đổi theo thời gian; lần nhập sau dùng mã này để cập nhật."),
    Column("name", "Tên đơn vị", True, ("Tên tổ chức", "Tên tổ chức đảng", "Tên"), 40,
           "Tên của đơn vị trong thời kỳ của dòng này."),
    Column("kind", "Loại", True, ("Loại tổ chức", "Loại hình"), 24,
           "Một trong: " + "; ".join(UnitKind.labels) + "."),
    Column("parent", "Mã đơn vị cấp trên", False, ("Mã cấp trên", "Trực thuộc"), 16,
           "Mã của đơn vị cấp trên trong thời kỳ này; để trống với đơn vị cao nhất."),
    Column("valid_from", "Hiệu lực từ", True, ("Từ ngày", "Ngày thành lập"), 14,
           "Ngày bắt đầu thời kỳ (thành lập, đổi tên, chuyển)."),
    Column("valid_to", "Hiệu lực đến", False, ("Đến ngày", "Ngày giải thể"), 14,
           "Ngày thời kỳ kết thúc (không kể ngày này); để trống khi đang hiện hành."),
    Column("decision", "Quyết định", False, ("Số quyết định",), 24, "Quyết định thành lập, đổi tên, chuyển."),
)  # fmt: skip

MEMBER_COLUMNS = (
    Column("full_name", "Họ và tên", True, ("Họ tên", "Họ và tên khai sinh", "Họ tên khai sinh"), 26),
    Column("given_name", "Tên", False, ("Tên gọi",), 10,
           "Chỉ khi tên gồm nhiều chữ, ví dụ “Ngọc Anh” trong “Hoàng Bích Ngọc Anh”: danh sách xếp theo tên. "
           "Để trống thì tên là chữ cuối của Họ và tên."),
    Column("other_name", "Tên gọi khác", False, ("Bí danh",), 14),
    Column("sex", "Giới tính", True, ("Phái", "Nam/Nữ"), 8, "Nam hoặc Nữ."),
    Column("birth_date", "Ngày sinh", True, ("Ngày tháng năm sinh", "Sinh ngày"), 12),
    Column("ethnicity", "Dân tộc", False, (), 10),
    Column("religion", "Tôn giáo", False, (), 10),
    Column("home_town", "Quê quán", False, (), 28),
    Column("residence", "Nơi thường trú", False, ("Nơi cư trú", "Địa chỉ thường trú", "Thường trú"), 28),
    Column("citizen_id", "Số CCCD", False, ("CCCD", "Số CMND/CCCD", "CMND/CCCD", "Số căn cước",
                                              "Số căn cước công dân", "Số định danh cá nhân"), 15,
           "12 chữ số. Cần có Số CCCD hoặc Số thẻ đảng viên."),  # fmt: skip
    Column("card_number", "Số thẻ đảng viên", False, ("Số thẻ", "Số thẻ ĐV", "Số thẻ mới"), 15,
           "Thẻ mới 12 chữ số hoặc thẻ cũ 8 chữ số."),
    Column("old_card_number", "Số thẻ cũ", False, ("Số thẻ đảng viên cũ",), 12),
    Column("background_number", "Số lý lịch", False, ("Số LL", "Số hồ sơ"), 10),
    Column("admitted_on", "Ngày vào Đảng", True, ("Ngày kết nạp", "Ngày vào đảng", "Ngày kết nạp Đảng"), 12),
    Column("official_on", "Ngày chính thức", False, ("Ngày công nhận chính thức",), 12,
           "Để trống với đảng viên dự bị."),
    Column("education", "Giáo dục phổ thông", False, ("Trình độ học vấn", "Văn hóa", "Trình độ văn hóa"), 10),
    Column("qualification", "Chuyên môn", False, ("Chuyên môn nghiệp vụ", "Trình độ chuyên môn"), 20),
    Column("theory_level", "Lý luận chính trị", False, ("Trình độ lý luận chính trị", "LLCT", "Lý luận"), 14,
           "Một trong: " + "; ".join(TheoryLevel.labels) + "."),
    Column("foreign_language", "Ngoại ngữ", False, (), 12),
    Column("occupation", "Nghề nghiệp", False, (), 16),
    Column("workplace", "Nơi làm việc", False, ("Đơn vị công tác", "Cơ quan công tác"), 24),
    Column("party_position", "Chức vụ Đảng", False, ("Chức vụ đảng",), 16),
    Column("government_position", "Chức vụ chính quyền", False, (), 16),
    Column("union_position", "Chức vụ đoàn thể", False, (), 16),
    Column("badge", "Huy hiệu Đảng", False, ("Huy hiệu",), 14),
    Column("cell_code", "Mã chi bộ", True, ("Mã chi bộ sinh hoạt",), 14,
           "Mã (ở sheet Tổ chức) của chi bộ nơi đảng viên sinh hoạt chính thức, hoặc sinh hoạt lần cuối."),
    Column("status", "Trạng thái", False, ("Tình trạng",), 16,
           "Đang sinh hoạt (mặc định), Đã chuyển đi, Từ trần, Xóa tên, Khai trừ, Xin ra khỏi Đảng, "
           "Không công nhận đảng viên chính thức, Ra khỏi Đảng."),
    Column("status_on", "Ngày", False, ("Ngày thay đổi trạng thái", "Ngày biến động"), 12,
           "Ngày của trạng thái (ngày chuyển đi, từ trần, ra khỏi Đảng)."),
)  # fmt: skip



def _member_column(key: str) -> Column:
    return next(col for col in MEMBER_COLUMNS if col.key == key)


EVENT_COLUMNS = (
    Column("citizen_id", "Số CCCD", False, _member_column("citizen_id").aliases, 15,
           "Đảng viên của dòng: Số CCCD hoặc Số thẻ đảng viên như ở sheet Đảng viên."),
    Column("card_number", "Số thẻ đảng viên", False, _member_column("card_number").aliases, 15),
    Column("kind", "Loại biến động", True, ("Loại", "Biến động"), 30,
           "Một trong: " + "; ".join(EventKind.labels) + "."),
    Column("effective_on", "Ngày hiệu lực", True, ("Ngày",), 12),
    Column("decision_number", "Số quyết định", False, ("Quyết định",), 16),
    Column("decided_on", "Ngày quyết định", False, (), 12),
    Column("issuing_body", "Cơ quan ban hành", False, ("Cơ quan quyết định",), 24),
    Column("unit_code", "Mã chi bộ đến", False, ("Mã chi bộ",), 14,
           "Chi bộ trong cây nơi đảng viên đến (kết nạp, chuyển đến, chuyển trong Đảng bộ, sinh hoạt tạm thời)."),
    Column("other_side", "Nơi đi / nơi đến", False, ("Nơi đi", "Nơi đến", "Nơi đi/nơi đến"), 28,
           "Tổ chức đảng bên ngoài cây: nơi chuyển đến, nơi chuyển từ đó đến, nơi kết nạp."),
    Column("ceremony_on", "Ngày lễ kết nạp", False, (), 12, "Với kết nạp và kết nạp lại."),
    Column("ends_on", "Đến ngày", False, ("Ngày kết thúc",), 12,
           "Ngày kết thúc sinh hoạt tạm thời hoặc miễn sinh hoạt."),
    Column("note", "Ghi chú", False, (), 30),
)  # fmt: skip

COLUMNS = {SHEET_UNITS: UNIT_COLUMNS, SHEET_MEMBERS: MEMBER_COLUMNS, SHEET_EVENTS: EVENT_COLUMNS}
SHEET_KEYS = {header_key(name): name for name in SHEETS}


# --- the values of the coded columns, by their Vietnamese names -----------------------------------

class Status:
    """The `Trạng thái` of a member row: active, transferred out, dead, or out of the Party (and how)."""

    ACTIVE = "active"
    TRANSFERRED = "transferred"
    DEAD = "dead"
    LEFT = "left"  # out of the Party, how not said: the history must say it


STATUS_LABELS = {
    Status.ACTIVE: "Đang sinh hoạt",
    Status.TRANSFERRED: "Đã chuyển đi",
    Status.DEAD: "Từ trần",
    Status.LEFT: "Ra khỏi Đảng",
    EventKind.REMOVAL: "Xóa tên",
    EventKind.EXPULSION: "Khai trừ",
    EventKind.RESIGNATION: "Xin ra khỏi Đảng",
    EventKind.NON_RECOGNITION: "Không công nhận đảng viên chính thức",
}


def _choices(pairs, extra=()) -> dict[str, str]:
    found = {header_key(label): value for value, label in pairs}
    found.update((header_key(label), value) for label, value in extra)
    return found


UNIT_KINDS = _choices(UnitKind.choices)
SEXES = _choices(Sex.choices, [("Nữ giới", Sex.FEMALE), ("Nam giới", Sex.MALE)])
THEORY_LEVELS = _choices(TheoryLevel.choices, [("Chưa", TheoryLevel.NONE), ("Không", TheoryLevel.NONE),
                                               ("Sơ cấp lý luận", TheoryLevel.ELEMENTARY),
                                               ("Trung cấp lý luận", TheoryLevel.INTERMEDIATE),
                                               ("Cao cấp lý luận", TheoryLevel.ADVANCED)])  # fmt: skip
EVENT_KINDS = _choices(EventKind.choices, [("Chuyển đến", EventKind.TRANSFER_IN), ("Chuyển đi", EventKind.TRANSFER_OUT),
                                           ("Chuyển sinh hoạt nội bộ", EventKind.TRANSFER_WITHIN),
                                           ("Công nhận chính thức", EventKind.RECOGNITION),
                                           ("Miễn sinh hoạt", EventKind.EXEMPTION)])  # fmt: skip
STATUSES = _choices(STATUS_LABELS.items(), [("Đang sinh hoạt đảng", Status.ACTIVE), ("Chuyển đi", Status.TRANSFERRED),
                                            ("Đã từ trần", Status.DEAD), ("Đã ra khỏi Đảng", Status.LEFT)])  # fmt: skip
