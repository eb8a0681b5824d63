"""Vietnamese conventions: numbers, percentages, dates, name order and diacritic folding.

Everything that shows a number or a date to a user, or sorts or searches names, goes through here.
"""

from __future__ import annotations

import datetime
import functools
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal

# --- numbers -------------------------------------------------------------------------------------


def format_number(value, decimals: int = 0) -> str:
    """4466 -> '4.466'; 81.6349 with decimals=2 -> '81,63' (dot groups thousands, comma decimals)."""
    if value is None:
        return ""
    if isinstance(value, int) and not decimals:  # the common case, kept fast for large tables
        return f"{value:,}".replace(",", ".")
    quantum = Decimal(1).scaleb(-decimals)
    number = Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_UP)
    sign = "-" if number < 0 else ""
    whole, _, fraction = f"{abs(number):f}".partition(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    text = ".".join(groups)
    if decimals:
        text += "," + fraction
    return sign + text


def percent(numerator, denominator) -> Decimal | None:
    """numerator / denominator as a percentage (653, 800 -> 81.625); None when the base is zero."""
    if not denominator:
        return None
    return Decimal(numerator) * 100 / Decimal(denominator)


def format_percent(value, decimals: int = 2) -> str:
    """81.625 -> '81,63%'; trailing zero decimals are dropped (100 -> '100%', 64.5 -> '64,5%')."""
    if value is None:
        return "—"
    text = format_number(value, decimals)
    if "," in text:
        text = text.rstrip("0").rstrip(",")
    return text + "%"


# --- dates ---------------------------------------------------------------------------------------


def format_date(value: datetime.date | None) -> str:
    """Dates in tables: 16/10/2024."""
    return value.strftime("%d/%m/%Y") if value else ""


def format_date_long(value: datetime.date) -> str:
    """Dates in running text and documents: 'ngày 16 tháng 10 năm 2024', 'ngày 05 tháng 02 năm 2025'.
    The word "ngày" is part of it: write "Sinh {date}", never "Sinh ngày {date}".

    As in administrative documents, days below 10 and the months 1 and 2 take a leading zero."""
    month = f"{value.month:02d}" if value.month < 3 else str(value.month)
    return f"ngày {value.day:02d} tháng {month} năm {value.year}"


_DATE_PATTERNS = (
    re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$"),
    re.compile(r"^(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<y>\d{4})$"),
)


def parse_date(text: str) -> datetime.date | None:
    """Accept 2024-09-30 (the date picker) or 30/09/2024 (typed); None when it is not a real date."""
    text = (text or "").strip()
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            try:
                return datetime.date(int(match["y"]), int(match["m"]), int(match["d"]))
            except ValueError:
                return None
    return None


def parse_month(text: str | None) -> datetime.date | None:
    """'2024-09' (an <input type=month>) or '09/2024' → the first day of that month; None otherwise.
    Whether a month is plausible is the caller's question (lib.forms.month_param)."""
    text = (text or "").strip()
    for fmt in ("%Y-%m", "%m/%Y"):
        try:
            return datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def add_years(value: datetime.date, years: int) -> datetime.date:
    """Same day `years` later (or earlier); 29 February becomes 28 February in a common year."""
    try:
        return value.replace(year=value.year + years)
    except ValueError:
        return value.replace(year=value.year + years, day=28)


def add_months(value: datetime.date, months: int) -> datetime.date:
    """Same day `months` later (or earlier), or the month's last day when it is shorter."""
    index = value.month - 1 + months
    year, month = value.year + index // 12, index % 12 + 1
    last = (datetime.date(year + month // 12, month % 12 + 1, 1) - datetime.timedelta(days=1)).day
    return datetime.date(year, month, min(value.day, last))


def add_calendar_gap(value: datetime.date, start: datetime.date, end: datetime.date) -> datetime.date:
    """`value` moved later by the calendar distance from `start` to `end` (whole months, then days),
    so that a gap of exactly two years moves a date by exactly two years."""
    months = months_between(start, end)
    days = (end - add_months(start, months)).days
    return add_months(value, months) + datetime.timedelta(days=days)


def months_between(start: datetime.date, end: datetime.date) -> int:
    """Whole months from `start` to `end` (an age counted in months)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    return months - 1 if add_months(start, months) > end else months


def age_on(birth_date: datetime.date, on: datetime.date) -> int:
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


# --- text: normalisation, folding, name order ---------------------------------------------------


def normalize(text: str | None) -> str:
    """NFC with single spaces: every piece of typed text is stored this way."""
    return " ".join(unicodedata.normalize("NFC", text or "").split())


def fold(text: str | None) -> str:
    """Lower case without diacritics, for search: 'Nguyễn Thị Hường' -> 'nguyen thi huong'.

    Unicode decomposition does not split đ, so it is folded by hand.
    """
    decomposed = unicodedata.normalize("NFD", normalize(text).lower())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.replace("đ", "d")


# The Vietnamese alphabet, with the Latin letters it lacks (f, j, w, z) at their usual places so
# that foreign names still sort sensibly.
_ALPHABET = [
    "a", "ă", "â", "b", "c", "d", "đ", "e", "ê", "f", "g", "h", "i", "j", "k", "l", "m", "n",
    "o", "ô", "ơ", "p", "q", "r", "s", "t", "u", "ư", "v", "w", "x", "y", "z",
]  # fmt: skip
# Two digits a character: 00 ends a part, 01 separates syllables, 10-19 digits, 20-52 letters.
_LETTER_CODE = {letter: f"{index + 20:02d}" for index, letter in enumerate(_ALPHABET)}
_DIGIT_CODE = {str(d): f"{d + 10:02d}" for d in range(10)}
_SPACE_CODE = "01"
_UNKNOWN_CODE = "99"
# Tones in dictionary order: none, huyền, hỏi, ngã, sắc, nặng.
_TONE_ORDER = {"\u0300": "1", "\u0309": "2", "\u0303": "3", "\u0301": "4", "\u0323": "5"}
# Marks that make a different letter, not a tone.
_LETTER_MARKS = {("a", "\u0306"): "ă", ("a", "\u0302"): "â", ("e", "\u0302"): "ê",
                 ("o", "\u0302"): "ô", ("o", "\u031b"): "ơ", ("u", "\u031b"): "ư"}  # fmt: skip


def _word_key(word: str) -> tuple[str, str]:
    """Letter codes and the tone digit of one syllable."""
    letters, tone = [], "0"
    for ch in unicodedata.normalize("NFD", word):
        if ch in _TONE_ORDER:
            tone = _TONE_ORDER[ch]
        elif unicodedata.combining(ch):
            if letters and (letters[-1], ch) in _LETTER_MARKS:
                letters[-1] = _LETTER_MARKS[(letters[-1], ch)]
        elif ch.isalpha():
            letters.append(ch)
        elif ch.isdigit():
            letters.append(ch)
    codes = "".join(_LETTER_CODE.get(ch) or _DIGIT_CODE.get(ch) or _UNKNOWN_CODE for ch in letters)
    return codes, tone


def _part_key(part: str) -> str:
    """Key of one name part: its letters first, then its tones (so Hà < Hạnh < Hải is decided by
    letters before tones, as in a dictionary)."""
    words = normalize(part).lower().split()
    keys = [_word_key(word) for word in words]
    letters = _SPACE_CODE.join(codes for codes, _ in keys)
    tones = "".join(tone for _, tone in keys)
    return f"{letters}00{tones}"


def name_sort_key(family_name: str, middle_name: str, given_name: str) -> str:
    """Sort key for people: given name first, then middle name, then family name, in Vietnamese
    alphabet and tone order.

    The key is made of ASCII digits only, so the database orders it the same way under any
    collation (PostgreSQL's locale collations ignore punctuation, digits they compare as digits).
    """
    return "00".join(_part_key(part) for part in (given_name, middle_name, family_name))


def full_name(family_name: str, middle_name: str, given_name: str) -> str:
    """The name as written: family, middle and given name, the empty parts left out."""
    return " ".join(part for part in (family_name, middle_name, given_name) if part)


def split_full_name(full_name: str) -> tuple[str, str, str]:
    """'Nguyễn Thị Hường' -> ('Nguyễn', 'Thị', 'Hường'): first word family, last word given."""
    words = normalize(full_name).split()
    if not words:
        return "", "", ""
    if len(words) == 1:
        return "", "", words[0]
    return words[0], " ".join(words[1:-1]), words[-1]


@functools.lru_cache(maxsize=65536)
def text_sort_key(text: str) -> str:
    """Sort key for names of things (units, places) in Vietnamese alphabet order."""
    return _part_key(text)
