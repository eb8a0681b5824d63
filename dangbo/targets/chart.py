"""A target's values year by year over the term, as a chart of lib/charts.py: a bar a year with
its figure written, the target as a dashed line, a year that missed its yearly target hatched."""

from __future__ import annotations

from decimal import Decimal

from dangbo.lib import charts, vn


def _format(value, percentage: bool, decimals: int) -> str:
    if value is None:
        return "—"
    return vn.format_percent(value, decimals) if percentage else vn.format_number(value)


def year_chart(title: str, years, target_value, percentage: bool, decimals: int = 2, compared: bool = True,
               at_most: bool = False) -> charts.Chart | str:  # fmt: skip
    """`years`: YearValue items (year, what is drawn, met): the same figures as the years table of the
    target's page. The scale runs from 0 to the largest of the values and the target."""
    if not any(y.shown is not None for y in years):
        return ""
    rows = []
    for y in years:
        fill = charts.HATCH if y.met is False else charts.LIGHT
        note = "không đạt chỉ tiêu năm" if y.met is False else ""
        text = _format(y.shown, percentage, decimals)
        rows.append(charts.Row(str(y.year), [charts.Segment(y.shown, text, fill)], text, note))
    reference = None
    if compared and target_value:
        sign = "≤" if at_most else "≥"
        reference = (Decimal(target_value), f"Chỉ tiêu {sign} {_format(Decimal(target_value), percentage, decimals)}")
    legend = []
    if any(y.met is False for y in years):
        legend = [charts.Legend(charts.LIGHT, "Năm đạt chỉ tiêu"), charts.Legend(charts.HATCH, "Năm không đạt")]
    return charts.Chart(title, rows, ["Năm", "Giá trị"], reference=reference, legend=legend, label_width=48)
