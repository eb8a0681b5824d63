"""The results page's charts: the levels of the members and of the grassroots organisations year
by year, each year a bar split by level. They draw the same `Levels` as the page's "Qua các năm"
table (`figures.member_levels`, `figures.organisation_levels`)."""

from __future__ import annotations

from dangbo.lib import charts, vn

from .figures import Levels
from .models import LEVEL_ORDER, Level

# Excellent the darkest; failed cross-hatched: the four levels apart in black and white.
LEVEL_FILLS = {Level.EXCELLENT: charts.DARK, Level.GOOD: charts.LIGHT, Level.DONE: charts.HATCH,
               Level.FAILED: charts.CROSS}  # fmt: skip


def levels_chart(title: str, years: list[tuple[int, Levels]]) -> charts.Chart:
    rows = []
    for year, levels in years:
        segments = [charts.Segment(levels.counts[level], vn.format_percent(levels.share(level)), LEVEL_FILLS[level],
                                   Level(level).label) for level in LEVEL_ORDER]  # fmt: skip
        note = "" if levels.rated else "chưa có kết quả"
        rows.append(charts.Row(str(year), segments, note=note))
    legend = [charts.Legend(LEVEL_FILLS[level], Level(level).label) for level in LEVEL_ORDER]
    headers = ["Năm", *(Level(level).label for level in LEVEL_ORDER)]
    return charts.Chart(title, rows, headers, split=True, legend=legend, label_width=40)


def results_charts(comparison: list[dict]) -> dict[str, charts.Chart]:
    """`comparison`: the rows of the page's "Qua các năm" table."""
    return {
        "members": levels_chart("Tỷ lệ đảng viên theo mức xếp loại qua các năm",
                                [(c["period"].year, c["members"]) for c in comparison]),  # fmt: skip
        "organisations": levels_chart("Tỷ lệ tổ chức cơ sở đảng theo mức xếp loại qua các năm",
                                      [(c["period"].year, c["organisations"]) for c in comparison]),  # fmt: skip
    }
