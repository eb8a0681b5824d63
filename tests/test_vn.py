"""Unit tests for dangbo.lib.vn (Vietnamese conventions). Pure functions: no database needed."""

import datetime
import unicodedata
from decimal import Decimal

import pytest

from dangbo.lib import vn


def nfd(text):
    return unicodedata.normalize("NFD", text)


def nfc(text):
    return unicodedata.normalize("NFC", text)


# --- format_number -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        (0, "0"),
        (7, "7"),
        (999, "999"),
        (1000, "1.000"),
        (4466, "4.466"),
        (100000, "100.000"),
        (1234567, "1.234.567"),
        (-4466, "-4.466"),
        (-1234567, "-1.234.567"),
        (-12, "-12"),
        (Decimal("4466"), "4.466"),
        ("4466", "4.466"),
    ],
)
def test_format_number_integers(value, expected):
    assert vn.format_number(value) == expected


@pytest.mark.parametrize(
    "value, decimals, expected",
    [
        (81.625, 2, "81,63"),  # half up, not banker's rounding
        (Decimal("81.625"), 2, "81,63"),
        (81.6349, 2, "81,63"),
        (1.005, 2, "1,01"),  # float 1.005 is 1.00499..., but the displayed value rounds half up
        (0.125, 2, "0,13"),
        (100, 2, "100,00"),
        (1234567.891, 2, "1.234.567,89"),
        (-81.625, 2, "-81,63"),
        (-1234.5, 1, "-1.234,5"),
        (2.5, 0, "3"),
        (0.5, 0, "1"),
        (1234.4, 0, "1.234"),
        (999.995, 2, "1.000,00"),  # rounding carries into a new thousands group
    ],
)
def test_format_number_decimals(value, decimals, expected):
    assert vn.format_number(value, decimals) == expected


def test_format_number_none_is_empty():
    assert vn.format_number(None) == ""
    assert vn.format_number(None, 2) == ""


def test_format_number_negative_rounding_to_zero_has_no_sign():
    assert vn.format_number(-0.4) == "0"
    assert vn.format_number(-0.001, 2) == "0,00"


# --- percent / format_percent --------------------------------------------------------------------


def test_percent_value():
    assert vn.percent(653, 800) == Decimal("81.625")
    assert vn.percent(800, 800) == Decimal(100)
    assert vn.percent(0, 800) == 0


def test_percent_formatted():
    assert vn.format_percent(vn.percent(653, 800)) == "81,63%"
    assert vn.format_percent(vn.percent(1, 3)) == "33,33%"
    assert vn.format_percent(vn.percent(2, 3)) == "66,67%"


@pytest.mark.parametrize("denominator", [0, None, Decimal(0)])
def test_percent_zero_denominator_is_none(denominator):
    assert vn.percent(5, denominator) is None
    assert vn.format_percent(vn.percent(5, denominator)) == "—"


def test_format_percent_none_is_dash():
    assert vn.format_percent(None) == "—"


@pytest.mark.parametrize(
    "value, expected",
    [
        (100, "100%"),
        (Decimal("100.00"), "100%"),
        (Decimal("64.5"), "64,5%"),
        (64.5, "64,5%"),
        (81.625, "81,63%"),
        (0, "0%"),
        (10, "10%"),  # the integer's own trailing zero must not be stripped
        (Decimal("50.10"), "50,1%"),
        (Decimal("0.004"), "0%"),
        (Decimal("12345.6"), "12.345,6%"),
    ],
)
def test_format_percent(value, expected):
    assert vn.format_percent(value) == expected


def test_format_percent_decimals_argument():
    assert vn.format_percent(Decimal("81.625"), 1) == "81,6%"
    assert vn.format_percent(Decimal("81.65"), 1) == "81,7%"
    assert vn.format_percent(Decimal("81.625"), 0) == "82%"
    assert vn.format_percent(100, 0) == "100%"


# --- dates ---------------------------------------------------------------------------------------


def test_format_date():
    assert vn.format_date(datetime.date(2024, 10, 16)) == "16/10/2024"
    assert vn.format_date(datetime.date(2024, 1, 5)) == "05/01/2024"


def test_format_date_none_is_empty():
    assert vn.format_date(None) == ""


def test_format_date_long():
    assert vn.format_date_long(datetime.date(2024, 10, 16)) == "ngày 16 tháng 10 năm 2024"
    # Leading zeros for days below 10 and for January and February only.
    assert vn.format_date_long(datetime.date(2025, 2, 5)) == "ngày 05 tháng 02 năm 2025"
    assert vn.format_date_long(datetime.date(2025, 3, 5)) == "ngày 05 tháng 3 năm 2025"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2024-09-30", datetime.date(2024, 9, 30)),
        ("30/09/2024", datetime.date(2024, 9, 30)),
        ("2024-9-3", datetime.date(2024, 9, 3)),
        ("3/9/2024", datetime.date(2024, 9, 3)),
        ("  30/09/2024  ", datetime.date(2024, 9, 30)),
        ("2024-02-29", datetime.date(2024, 2, 29)),
        ("29/02/2024", datetime.date(2024, 2, 29)),
    ],
)
def test_parse_date_accepts(text, expected):
    assert vn.parse_date(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2024-02-30",
        "30/02/2024",
        "2023-02-29",
        "31/04/2024",
        "2024-13-01",
        "00/01/2024",
        "abc",
        "",
        "   ",
        None,
        "30-09-2024",
        "2024/09/30",
        "30/09/24",
        "2024-09-30x",
        "x2024-09-30",
        "09/30/2024",  # US order is not a real date in d/m/Y
    ],
)
def test_parse_date_rejects(text):
    assert vn.parse_date(text) is None


def test_parse_date_round_trips_format_date():
    day = datetime.date(2024, 10, 16)
    assert vn.parse_date(vn.format_date(day)) == day


def test_add_years_ordinary():
    assert vn.add_years(datetime.date(2024, 10, 16), 5) == datetime.date(2029, 10, 16)
    assert vn.add_years(datetime.date(2024, 10, 16), -18) == datetime.date(2006, 10, 16)


def test_add_years_29_february():
    leap = datetime.date(2024, 2, 29)
    assert vn.add_years(leap, 1) == datetime.date(2025, 2, 28)
    assert vn.add_years(leap, -1) == datetime.date(2023, 2, 28)
    assert vn.add_years(leap, 4) == datetime.date(2028, 2, 29)
    assert vn.add_years(leap, 0) == leap


def test_age_on_birthday_boundary():
    birth = datetime.date(2000, 10, 16)
    assert vn.age_on(birth, datetime.date(2024, 10, 15)) == 23
    assert vn.age_on(birth, datetime.date(2024, 10, 16)) == 24
    assert vn.age_on(birth, datetime.date(2024, 10, 17)) == 24
    # Day before in a different month.
    assert vn.age_on(datetime.date(2000, 11, 1), datetime.date(2024, 10, 31)) == 23
    assert vn.age_on(datetime.date(2000, 11, 1), datetime.date(2024, 11, 1)) == 24
    assert vn.age_on(birth, birth) == 0


def test_age_on_29_february_birthday():
    birth = datetime.date(2004, 2, 29)
    assert vn.age_on(birth, datetime.date(2024, 2, 28)) == 19
    assert vn.age_on(birth, datetime.date(2024, 2, 29)) == 20
    assert vn.age_on(birth, datetime.date(2023, 3, 1)) == 19


# --- normalize / fold ----------------------------------------------------------------------------


def test_normalize_nfd_becomes_nfc():
    decomposed = nfd("Nguyễn Thị Hường")
    assert decomposed != "Nguyễn Thị Hường"  # sanity: the input really is different
    result = vn.normalize(decomposed)
    assert result == nfc("Nguyễn Thị Hường")
    assert unicodedata.is_normalized("NFC", result)


def test_normalize_collapses_whitespace():
    assert vn.normalize("  Nguyễn \t Thị\n\nHường  ") == nfc("Nguyễn Thị Hường")
    assert vn.normalize("a\u00a0 b") == "a b"


def test_normalize_empty():
    assert vn.normalize(None) == ""
    assert vn.normalize("") == ""
    assert vn.normalize("   ") == ""


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Nguyễn Thị Hường", "nguyen thi huong"),
        ("Đặng", "dang"),
        ("đặng", "dang"),
        ("NGUYỄN THỊ HƯỜNG", "nguyen thi huong"),
        ("ĐẶNG VĂN ĐỨC", "dang van duc"),
        ("Trần  Ánh   Nguyệt ", "tran anh nguyet"),
        ("Phường Ô Chợ Dừa", "phuong o cho dua"),
        ("Bắc Giang 2", "bac giang 2"),
    ],
)
def test_fold(text, expected):
    assert vn.fold(text) == expected


def test_fold_nfd_equals_nfc():
    for name in ("Nguyễn Thị Hường", "Đặng Ngọc Ẩn", "Lưu Quỳnh Thơ", "Phạm Ưng Hậu"):
        assert vn.fold(nfd(name)) == vn.fold(nfc(name))
        assert vn.fold(nfd(name)).isascii()


def test_fold_none_and_empty():
    assert vn.fold(None) == ""
    assert vn.fold("") == ""


# --- name_sort_key -------------------------------------------------------------------------------


def _key_of_full_name(full_name):
    return vn.name_sort_key(*vn.split_full_name(full_name))


def _sorted_full_names(names):
    return sorted(names, key=_key_of_full_name)


def _sorted_given_names(given_names, family="Nguyễn", middle="Văn"):
    return sorted(given_names, key=lambda g: vn.name_sort_key(family, middle, g))


def _check_order(expected, sort):
    """Every permutation we try (reversed, rotated) must sort back to `expected`."""
    assert len(set(expected)) == len(expected)
    for start in (list(reversed(expected)), expected[1:] + expected[:1], expected[::2] + expected[1::2]):
        assert sort(start) == expected


def test_name_sort_given_name_first():
    expected = ["Trần Văn An", "Nguyễn Văn Bình"]
    _check_order(expected, _sorted_full_names)
    expected = [
        "Võ Thị An",
        "Lê Văn Bình",
        "Nguyễn Văn Cường",
        "Bùi Thị Dung",
        "Trần Thị Giang",
    ]
    _check_order(expected, _sorted_full_names)


def test_name_sort_vietnamese_a_letters():
    _check_order(["An", "Ăn", "Ân", "Bân"], _sorted_given_names)


def test_name_sort_d_before_dd_before_e():
    _check_order(["Dũng", "Đức", "Em"], _sorted_given_names)
    _check_order(["Dương", "Đào", "Đông", "Em"], _sorted_given_names)


def test_name_sort_e_letters():
    _check_order(["Em", "Êm", "Fin"], _sorted_given_names)


def test_name_sort_o_letters():
    _check_order(["Om", "Ôm", "Ơm", "Phương"], _sorted_given_names)
    _check_order(["Loan", "Lộc", "Lợi"], _sorted_given_names)


def test_name_sort_u_letters():
    _check_order(["Uyên", "Ưng", "Vân"], _sorted_given_names)
    _check_order(["Tuấn", "Tùng", "Tư"], _sorted_given_names)


def test_name_sort_tone_order():
    # none < huyền < hỏi < ngã < sắc < nặng
    _check_order(["Ha", "Hà", "Hả", "Hã", "Há", "Hạ"], _sorted_given_names)
    _check_order(["Ma", "Mà", "Mả", "Mã", "Má", "Mạ"], _sorted_given_names)


def test_name_sort_tone_order_with_letter_marks():
    # Tones on letters that also carry a shape mark (â, ơ, ư): the mark must not be lost.
    _check_order(["Ân", "Ần", "Ẩn", "Ẫn", "Ấn", "Ận", "Bân"], _sorted_given_names)
    _check_order(["Lơ", "Lờ", "Lở", "Lỡ", "Lớ", "Lợ", "Lư"], _sorted_given_names)
    _check_order(["Tư", "Từ", "Tử", "Tữ", "Tứ", "Tự", "Vân"], _sorted_given_names)


def test_name_sort_letters_before_tones():
    _check_order(["Hà", "Hải", "Hạnh"], _sorted_given_names)
    # A tone never outranks a later letter: "Há" < "Ha" + anything, "Hạ" < "Hai".
    _check_order(["Ha", "Há", "Hạ", "Hai", "Hài", "Hân"], _sorted_given_names)


def test_name_sort_shorter_prefix_first():
    _check_order(["An", "Anh", "Ánh", "Ba"], _sorted_given_names)


def test_name_sort_middle_then_family():
    expected = [
        "Trần Thị An",
        "Nguyễn Văn An",
        "Phạm Văn An",
        "Lê Xuân An",
        "Bùi Văn Bình",
    ]
    _check_order(expected, _sorted_full_names)
    # Same given name and middle name: the family name decides.
    expected = ["Đặng Văn Hùng", "Hoàng Văn Hùng", "Nguyễn Văn Hùng"]
    _check_order(expected, _sorted_full_names)


def test_name_sort_middle_name_letters_and_tones():
    # Văn (ă) vs Vân (â): letters differ; Thị vs Thi vs Thì: tones only.
    assert vn.name_sort_key("Lê", "Văn", "An") < vn.name_sort_key("Lê", "Vân", "An")
    assert vn.name_sort_key("Lê", "Thi", "An") < vn.name_sort_key("Lê", "Thì", "An")
    assert vn.name_sort_key("Lê", "Thì", "An") < vn.name_sort_key("Lê", "Thị", "An")


def test_name_sort_empty_middle_name_first():
    assert vn.name_sort_key("Lê", "", "An") < vn.name_sort_key("Lê", "Văn", "An")
    # ... but the given name still decides first.
    assert vn.name_sort_key("Lê", "Văn", "An") < vn.name_sort_key("Lê", "", "Bình")


def test_name_sort_multi_word_middle_name():
    # A longer middle name that starts like a shorter one sorts after it.
    expected = ["Nguyễn Thị Lan", "Nguyễn Thị Minh Lan", "Nguyễn Thu Lan"]
    assert _sorted_full_names(list(reversed(expected))) == expected
    assert vn.name_sort_key("Nguyễn", "Thị", "Lan") < vn.name_sort_key("Nguyễn", "Thị Minh", "Lan")


def test_name_sort_realistic_list():
    # Letters first, then tones: An < Anh < Ánh < Ẩn; Loan < Long (a < n); Thu < Thư; Tú < Tư.
    expected = [
        "Trần Thị An",
        "Nguyễn Văn An",
        "Vũ Đức Anh",
        "Lê Thị Ánh",
        "Phạm Ngọc Ẩn",
        "Hoàng Văn Bảo",
        "Đỗ Thị Dung",
        "Nguyễn Văn Dũng",
        "Trần Văn Đạt",
        "Lê Minh Đức",
        "Bùi Thị Hà",
        "Nguyễn Thị Hải",
        "Đặng Thị Hạnh",
        "Ngô Quang Hiếu",
        "Lý Thị Hoa",
        "Nguyễn Thị Hường",
        "Vương Thị Loan",
        "Phạm Văn Long",
        "Trịnh Văn Ơn",
        "Nguyễn Văn Phú",
        "Lê Thị Thu",
        "Lê Thị Thư",
        "Đinh Văn Tú",
        "Hà Văn Tư",
        "Mai Thị Uyên",
        "Đào Thị Ưng",
        "Cao Văn Vinh",
        "Kiều Thị Yến",
    ]
    _check_order(expected, _sorted_full_names)


def test_name_sort_key_is_ascii_digits_only():
    names = [
        ("Nguyễn", "Thị", "Hường"),
        ("Đặng", "Văn", "Đức"),
        ("", "", "An"),
        ("", "", ""),
        ("O'Brien", "J.", "Smith-Jones"),
        ("Müller", "", "Zoë"),
        ("Lê", "Văn", "Tám 2"),
        ("李", "", "小龙"),
    ]
    for parts in names:
        key = vn.name_sort_key(*parts)
        assert key, parts
        assert key.isascii() and key.isdigit(), (parts, key)


def test_name_sort_key_nfc_and_nfd_are_equal():
    for parts in [("Nguyễn", "Thị", "Hường"), ("Đặng", "Ngọc", "Ẩn"), ("Phạm", "Ưng", "Hậu")]:
        assert nfd(parts[2]) != nfc(parts[2])
        assert vn.name_sort_key(*map(nfd, parts)) == vn.name_sort_key(*map(nfc, parts))


def test_name_sort_key_case_insensitive():
    assert vn.name_sort_key("NGUYỄN", "THỊ", "HƯỜNG") == vn.name_sort_key("nguyễn", "thị", "hường")
    assert vn.name_sort_key("Đặng", "Văn", "Đức") == vn.name_sort_key("đặng", "văn", "đức")
    assert vn.name_sort_key("ĐẶNG", "VĂN", "ĐỨC") == vn.name_sort_key("Đặng", "Văn", "Đức")


def test_name_sort_key_ignores_extra_whitespace():
    assert vn.name_sort_key(" Nguyễn ", "Thị  Minh", " Lan") == vn.name_sort_key("Nguyễn", "Thị Minh", "Lan")


def test_name_sort_key_distinguishes_different_names():
    assert vn.name_sort_key("Lê", "Văn", "Ha") != vn.name_sort_key("Lê", "Văn", "Hà")
    assert vn.name_sort_key("Lê", "Văn", "Dung") != vn.name_sort_key("Lê", "Văn", "Đung")
    assert vn.name_sort_key("Lê", "Văn", "An") != vn.name_sort_key("Lê", "Vân", "An")


# --- text_sort_key -------------------------------------------------------------------------------


def test_text_sort_key_vietnamese_order():
    expected = ["Ba Đình", "Bắc Từ Liêm", "Cầu Giấy", "Đống Đa", "Hà Đông", "Hai Bà Trưng", "Hoàn Kiếm"]
    _check_order(expected, lambda items: sorted(items, key=vn.text_sort_key))


def test_text_sort_key_digits_and_case():
    assert vn.text_sort_key("Chi bộ 2") < vn.text_sort_key("Chi bộ 3")
    assert vn.text_sort_key("Chi bộ 3") < vn.text_sort_key("Chi bộ A")
    assert vn.text_sort_key("CHI BỘ") == vn.text_sort_key("chi bộ")
    assert vn.text_sort_key(nfd("Đống Đa")) == vn.text_sort_key(nfc("Đống Đa"))
    assert vn.text_sort_key("Đống Đa").isdigit()


# --- split_full_name -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "full_name, expected",
    [
        ("Nguyễn Thị Hường", ("Nguyễn", "Thị", "Hường")),
        ("Nguyễn Thị Minh Khai", ("Nguyễn", "Thị Minh", "Khai")),
        ("Lê Lợi", ("Lê", "", "Lợi")),
        ("Hường", ("", "", "Hường")),
        ("  Nguyễn   Thị \t Hường  ", ("Nguyễn", "Thị", "Hường")),
        ("   Hường   ", ("", "", "Hường")),
        ("", ("", "", "")),
        ("   ", ("", "", "")),
        (None, ("", "", "")),
    ],
)
def test_split_full_name(full_name, expected):
    assert vn.split_full_name(full_name) == tuple(nfc(part) for part in expected)


def test_split_full_name_normalizes_to_nfc():
    family, middle, given = vn.split_full_name(nfd("Nguyễn Thị Hường"))
    assert (family, middle, given) == (nfc("Nguyễn"), nfc("Thị"), nfc("Hường"))
    assert all(unicodedata.is_normalized("NFC", part) for part in (family, middle, given))
