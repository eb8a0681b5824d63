"""What users send, checked in one place: text without control characters, for every query
parameter and posted field (`CleanInputMiddleware`); dates within a range that fits their meaning (a
birth, a fact already decided, a plan ahead), for form fields and query parameters alike.

"Today" is `http.today()`, read when a value is checked (never at import), so tests can pin it.
"""

from __future__ import annotations

import datetime
import enum
import re

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict

from . import http, vn

# Control characters (C0, DEL, C1) but tab, line feed and carriage return, which text areas carry.
# PostgreSQL refuses NUL in text; none of them is ever typed on purpose.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def clean_text(text: str) -> str:
    """`text` without control characters (tab and line breaks kept)."""
    return CONTROL.sub("", text)


def clean_query(query: QueryDict) -> QueryDict:
    """`query` with every key and value cleaned; the same object when nothing needed it."""
    if not any(CONTROL.search(key) or any(CONTROL.search(v) for v in values) for key, values in query.lists()):
        return query
    cleaned = QueryDict(mutable=True, encoding=query.encoding)
    for key, values in query.lists():
        cleaned.setlist(clean_text(key), [clean_text(v) for v in values])
    cleaned._mutable = False
    return cleaned


class CleanInputMiddleware:
    """Every view reads the query string and the posted fields cleaned of control characters,
    whether through a form or `request.GET.get`: one cleaner for all input, so a NUL typed in a
    search box reaches no query (PostgreSQL would answer it with an error)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.GET = clean_query(request.GET)
        if request.method == "POST":
            request.POST = clean_query(request.POST)
        return self.get_response(request)


# The Party was founded in 1930: no decision, meeting or unit of it is older.
EARLIEST = datetime.date(1930, 1, 1)
EARLIEST_BIRTH = datetime.date(1900, 1, 1)
# A person followed as a candidate is at least 16 (admission itself needs 18, checked by its rules).
MIN_AGE = 16
# How far ahead a plan, a deadline or a page's day may lie.
YEARS_AHEAD = 5


class Meaning(enum.Enum):
    BIRTH = "birth"  # 1900 … 16 years ago
    FACT = "fact"  # something decided or done: 1930 … today
    DAY = "day"  # a plan, a deadline, an effective date or a day to show: 1930 … five years ahead


def bounds(meaning: Meaning) -> tuple[datetime.date, datetime.date]:
    """The first and last plausible day for a date of this meaning, as of today."""
    today = http.today()
    if meaning is Meaning.BIRTH:
        return EARLIEST_BIRTH, vn.add_years(today, -MIN_AGE)
    if meaning is Meaning.FACT:
        return EARLIEST, today
    return EARLIEST, vn.add_years(today, YEARS_AHEAD)


def out_of_range(day: datetime.date, meaning: Meaning, name: str = "Ngày") -> str | None:
    """The Vietnamese message saying why `day` is implausible for its meaning, or None."""
    earliest, latest = bounds(meaning)
    if day < earliest:
        return f"{name} không được trước {vn.format_date(earliest)}."
    if day <= latest:
        return None
    if meaning is Meaning.BIRTH:
        return f"{name} phải trước {vn.format_date(latest)}: người được theo dõi phải từ đủ {MIN_AGE} tuổi."
    if meaning is Meaning.FACT:
        return f"{name} không được sau hôm nay."
    return f"{name} không được sau {vn.format_date(latest)} (quá {YEARS_AHEAD} năm kể từ hôm nay)."


class Within:
    """A form validator: the date lies in the plausible range of its meaning."""

    def __init__(self, meaning: Meaning, name: str):
        self.meaning, self.name = meaning, name

    def __call__(self, day: datetime.date) -> None:
        message = out_of_range(day, self.meaning, self.name)
        if message:
            raise ValidationError(message, code="out_of_range")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def date_field(label: str, required: bool = True, *, meaning: Meaning = Meaning.DAY,
               name: str | None = None) -> forms.DateField:  # fmt: skip
    """A date typed as 2024-09-30 (the picker) or 30/09/2024, refused outside the range of its
    `meaning`; messages call it `name` (the label unless told)."""
    return forms.DateField(
        label=label,
        required=required,
        widget=DateInput(),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        validators=[Within(meaning, name or label)],
        error_messages={"invalid": "Ngày không hợp lệ; hãy nhập theo dạng ngày/tháng/năm."},
    )


def date_param(text: str | None, meaning: Meaning = Meaning.DAY) -> datetime.date | None:
    """A day from a query string or a raw field (2024-09-30 or 30/09/2024); None when it is not a
    date or lies outside the range of its meaning."""
    day = vn.parse_date(text or "")
    return day if day is not None and out_of_range(day, meaning) is None else None


def month_param(text: str | None, meaning: Meaning = Meaning.DAY) -> datetime.date | None:
    """The first day of a month from a query string (2024-09 or 09/2024); None when it is not a
    month or lies outside the range of its meaning (judged by its first day)."""
    month = vn.parse_month(text)
    return month if month is not None and out_of_range(month, meaning) is None else None
