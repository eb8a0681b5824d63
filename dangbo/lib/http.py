"""Small helpers shared by views."""

from __future__ import annotations

import datetime

from django.utils import timezone

from . import vn


def today() -> datetime.date:
    return timezone.localdate()


def date_from_request(request) -> tuple[datetime.date, str | None]:
    """The `?date=` of the request (default today) and an error message when it is not a date.

    A bad date never breaks the page: it falls back to today and says so. So does a day outside
    1930 … five years ahead (the pages count deadlines and ages from it)."""
    from .forms import Meaning, out_of_range

    raw = request.GET.get("date", "").strip()
    if not raw:
        return today(), None
    parsed = vn.parse_date(raw)
    if parsed is None:
        return today(), (
            f"Ngày “{raw}” không hợp lệ. Hãy nhập theo dạng ngày/tháng/năm (ví dụ 30/09/2024); "
            f"đang hiển thị số liệu ngày {vn.format_date(today())}."
        )
    problem = out_of_range(parsed, Meaning.DAY, "Ngày xem số liệu")
    if problem:
        return today(), f"Ngày “{raw}” không hợp lệ. {problem} Đang hiển thị số liệu ngày {vn.format_date(today())}."
    return parsed, None


# Ids beyond a signed 64-bit integer cannot exist in the database (and would overflow its driver).
MAX_ID = 2**63 - 1


def id_param(value: str | int | None) -> int | None:
    """An id from a URL or a query string; None unless it is ASCII digits within the id range."""
    text = str(value or "")
    if not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None
