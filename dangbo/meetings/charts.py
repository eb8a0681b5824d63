"""The compliance page's chart: the share of cells that held their regular meeting, month by month
(`compliance.regular_by_period`), against the rule's 100%."""

from __future__ import annotations

from dangbo.lib import charts, vn

from .compliance import PeriodHeld

LONGEST = 36  # periods: a longer chart would be a scroll of bars; the table lists the months missed


def regular_chart(periods: list[PeriodHeld], length: int) -> charts.Chart | str:
    if not periods or len(periods) > LONGEST:
        return ""
    rows = []
    for p in periods:
        label = p.start.strftime("%m/%Y")
        if not p.owed:
            rows.append(charts.Row(label, [charts.Segment(None, "—")], "—", "chưa đến hạn hoặc không có chi bộ"))
            continue
        text = f"{vn.format_percent(p.rate, 1)} ({vn.format_number(p.held)}/{vn.format_number(p.owed)})"
        fill = charts.LIGHT if p.held == p.owed else charts.HATCH
        missed = "" if p.held == p.owed else f"{vn.format_number(p.owed - p.held)} chi bộ không sinh hoạt"
        rows.append(charts.Row(label, [charts.Segment(p.rate, text, fill)], text, missed))
    every = "tháng" if length == 1 else f"{length} tháng"
    legend = []
    if any(p.held < p.owed for p in periods):
        legend = [charts.Legend(charts.LIGHT, "Mọi chi bộ đã sinh hoạt"),
                  charts.Legend(charts.HATCH, "Có chi bộ thiếu")]  # fmt: skip
    return charts.Chart(f"Tỷ lệ chi bộ sinh hoạt thường kỳ theo {every}", rows,
                        ["Tháng", "Tỷ lệ (số chi bộ đã sinh hoạt/số chi bộ phải sinh hoạt)"],
                        reference=(100, "100%"), legend=legend, label_width=60)  # fmt: skip
