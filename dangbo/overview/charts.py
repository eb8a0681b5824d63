"""The overview's charts: members over the years, by age band and by theory level. They draw the
figures of the overview's own tables (`Overview.total`) and of `members_over_years`."""

from __future__ import annotations

import datetime

from dangbo.lib import charts, vn

from .overview import Overview

LABEL_WIDTH = 130  # "Chưa qua đào tạo", "Từ 18 đến 30 tuổi"


def _year_label(day: datetime.date, on: datetime.date) -> str:
    return vn.format_date(day) if day == on and (day.month, day.day) != (12, 31) else str(day.year)


def years_chart(series: list[tuple[datetime.date, int]], on: datetime.date) -> charts.Chart:
    rows = [(_year_label(day, on), n, vn.format_number(n)) for day, n in series]
    title = "Số đảng viên tại ngày 31/12 hằng năm"
    if series and (on.month, on.day) != (12, 31):
        title += f" (năm {on.year}: tại ngày {vn.format_date(on)})"
    return charts.bars(title, rows, ["Năm", "Số đảng viên"])


def _shares_chart(title: str, heading: str, breakdown) -> charts.Chart:
    rows = [(label, n, f"{vn.format_number(n)} ({vn.format_percent(share)})") for label, n, share in breakdown]
    return charts.bars(title, rows, [heading, "Số đảng viên (tỷ lệ)"], label_width=LABEL_WIDTH)


def overview_charts(overview: Overview, series: list[tuple[datetime.date, int]]) -> dict[str, charts.Chart]:
    on = overview.on
    return {
        "years": years_chart(series, on),
        "age": _shares_chart(f"Đảng viên theo độ tuổi tại ngày {vn.format_date(on)}", "Độ tuổi",
                             overview.total.by_age),  # fmt: skip
        "theory": _shares_chart(f"Đảng viên theo trình độ lý luận chính trị tại ngày {vn.format_date(on)}",
                                "Trình độ lý luận chính trị", overview.total.by_theory),  # fmt: skip
    }
