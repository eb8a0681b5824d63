"""Small helpers shared by views."""

from __future__ import annotations

import datetime

from django.utils import timezone

from . import vn


def today() -> datetime.date:
    return timezone.localdate()


def date_from_request(request) -> tuple[datetime.date, str | None]:
    """The `?date=` of the request (default today) and an error message when it is not a date.

    A bad date never breaks the page: it falls back to today and says so."""
    raw = request.GET.get("date", "").strip()
    if not raw:
        return today(), None
    parsed = vn.parse_date(raw)
    if parsed is None or parsed.year < 1930:
        return today(), (
            f"Ngày “{raw}” không hợp lệ. Hãy nhập theo dạng ngày/tháng/năm (ví dụ 30/09/2024); "
            f"đang hiển thị số liệu ngày {vn.format_date(today())}."
        )
    return parsed, None
