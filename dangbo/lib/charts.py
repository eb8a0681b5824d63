"""Charts drawn on the server as inline SVG: no script, no internet, and they print as they show.

One kind of chart serves every page: horizontal bars, one row per year, band or month, each bar
labelled with its figure, a bar split into segments when it shows shares (levels of a rating). Rows
stack down the page, so a chart keeps its size on a 390 px phone: the drawing is 360 units wide and
scales to the width of its box (site.css), its text stays about 13 px there.

Black and white: fills are grey levels and hatchings, and every figure is written beside or inside
its bar; a legend names the fills of a split bar. Each chart carries a <title> and a <desc> with
every figure in words, and the figures again in a table under the chart (`<details>`).

The figures come in already computed by the function that computes them for the page's tables:
this module only draws what it is given."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 360  # the drawing's units; it scales to its box
FONT = 14
ROW = 28  # the height of a row
BAR = 18  # the height of a bar
GAP = 6
CHAR = 7.8  # the average width of a character at FONT, to place text

# Fills, each readable in black and white: (kind, colour, colour of text drawn over it).
DARK, HATCH, LIGHT, CROSS = 0, 1, 2, 3
_FILLS = {
    DARK: ("solid", "#4a4a4a", "#fff"),
    HATCH: ("hatch", "#000", "#000"),
    LIGHT: ("solid", "#bcbcbc", "#000"),
    CROSS: ("cross", "#000", "#000"),
}
_ids = itertools.count(1)


@dataclass
class Segment:
    value: Decimal | int | None
    text: str  # the figure as shown (Vietnamese format)
    fill: int = LIGHT
    label: str = ""  # what it is (a legend entry), for a split bar


@dataclass
class Row:
    label: str
    segments: list[Segment]
    text: str = ""  # written after the bar (a plain bar's figure); a split bar writes its segments'
    note: str = ""  # said in the description and table only (e.g. "không đạt")


@dataclass
class Legend:
    fill: int
    label: str


@dataclass
class Chart:
    title: str
    rows: list[Row]
    headers: list[str]  # the table's: the rows' heading, then one per segment (or the figure)
    split: bool = False  # segments are shares of 100%
    reference: tuple[Decimal | int, str] | None = None  # a dashed line: (value, its label)
    legend: list[Legend] = field(default_factory=list)
    label_width: int = 96

    def __str__(self) -> str:
        return render(self)

    def __html__(self) -> str:
        return render(self)


def _text_width(text: str) -> float:
    return len(text) * CHAR


def _defs(prefix: str) -> str:
    return (
        f'<defs><pattern id="{prefix}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#000" stroke-width="2"/></pattern>'
        f'<pattern id="{prefix}-cross" width="6" height="6" patternUnits="userSpaceOnUse">'
        '<rect width="6" height="6" fill="#fff"/><path d="M0,0 L6,6 M6,0 L0,6" stroke="#000" stroke-width="0.8"/>'
        "</pattern></defs>"
    )


def _fill(prefix: str, fill: int) -> str:
    kind, colour, _ = _FILLS[fill]
    return colour if kind == "solid" else f"url(#{prefix}-{kind})"


def _label(x: float, y: float, text: str, anchor: str = "start", colour: str = "#000", halo: bool = False,
           weight: str = "") -> str:  # fmt: skip
    extra = ' stroke="#fff" stroke-width="3" paint-order="stroke"' if halo else ""
    bold = f' font-weight="{weight}"' if weight else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{FONT}" text-anchor="{anchor}" fill="{colour}"{extra}{bold}>'
            f"{escape(text)}</text>")  # fmt: skip


def _describe(chart: Chart) -> str:
    """Every figure in words, for those who do not see the drawing."""
    parts = []
    for row in chart.rows:
        if chart.split:
            figures = ", ".join(f"{s.label} {s.text}" for s in row.segments)
        else:
            figures = row.text
        parts.append(f"{row.label}: {figures}{' (' + row.note + ')' if row.note else ''}")
    if chart.reference is not None:
        parts.append(chart.reference[1])
    return "; ".join(parts) + "."


def _svg(chart: Chart) -> str:
    prefix = f"chart{next(_ids)}"
    top = ROW if chart.reference is not None else 4
    left = chart.label_width + GAP
    texts = [row.text for row in chart.rows] if not chart.split else []
    reserve = 0 if chart.split else max([_text_width(t) for t in texts] + [0]) + GAP * 2
    span = WIDTH - left - reserve - 2
    scale = Decimal(0)
    if not chart.split:
        values = [Decimal(s.value) for row in chart.rows for s in row.segments if s.value is not None]
        scale = max(values + ([Decimal(chart.reference[0])] if chart.reference else []) + [Decimal(0)])
    height = top + len(chart.rows) * ROW + (len(chart.legend) * 22 + 8 if chart.legend else 0) + 4
    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{prefix}-title {prefix}-desc" font-family="sans-serif">',
        f'<title id="{prefix}-title">{escape(chart.title)}</title>',
        f'<desc id="{prefix}-desc">{escape(_describe(chart))}</desc>',
        _defs(prefix),
    ]
    for i, row in enumerate(chart.rows):
        y = top + i * ROW
        baseline = y + BAR / 2 + FONT * 0.35 + (ROW - BAR) / 2
        bar_y = y + (ROW - BAR) / 2
        parts.append('<g class="row">')
        parts.append(_label(chart.label_width, baseline, row.label, anchor="end"))
        x = float(left)
        total = sum(Decimal(s.value or 0) for s in row.segments)
        for segment in row.segments:
            if segment.value is None:
                continue
            base = total if chart.split else scale
            width = float(Decimal(segment.value) / base) * span if base else 0.0
            if width > 0:
                parts.append(f'<rect x="{x:.1f}" y="{bar_y:.1f}" width="{width:.1f}" height="{BAR}" '
                             f'fill="{_fill(prefix, segment.fill)}" stroke="#000" stroke-width="0.6"/>')  # fmt: skip
            if chart.split and segment.text and width >= _text_width(segment.text) + 4:
                _, _, colour = _FILLS[segment.fill]
                parts.append(_label(x + width / 2, baseline, segment.text, anchor="middle", colour=colour,
                                    halo=colour == "#000"))  # fmt: skip
            x += width
        if not chart.split:
            parts.append(_label(x + GAP, baseline, row.text, halo=True))
        elif not total:  # nothing to split: say why
            parts.append(_label(x + GAP, baseline, row.note or "—", colour="#555"))
        parts.append("</g>")
    if chart.reference is not None:
        value, label = chart.reference
        x = left + (float(Decimal(value) / scale) * span if scale else 0.0)
        bottom = top + len(chart.rows) * ROW
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top - 6}" y2="{bottom}" stroke="#000" '
                     'stroke-width="1.5" stroke-dasharray="5 3"/>')  # fmt: skip
        anchor = "end" if x > WIDTH - _text_width(label) / 2 else ("start" if x < _text_width(label) / 2 else "middle")
        parts.append(_label(x, top - 10, label, anchor=anchor, weight="bold"))
    y = top + len(chart.rows) * ROW + 8
    for entry in chart.legend:
        parts.append(f'<rect x="{left}" y="{y}" width="16" height="14" fill="{_fill(prefix, entry.fill)}" '
                     'stroke="#000" stroke-width="0.6"/>')  # fmt: skip
        parts.append(_label(left + 22, y + 12, entry.label))
        y += 22
    parts.append("</svg>")
    return "".join(parts)


def _table(chart: Chart) -> str:
    numeric = ' class="num"'
    head = "".join(f"<th{numeric if i else ''}>{escape(h)}</th>" for i, h in enumerate(chart.headers))
    body = []
    for row in chart.rows:
        figures = [s.text for s in row.segments] if chart.split else [row.text]
        cells = "".join(f'<td class="num">{escape(f)}</td>' for f in figures)
        note = f' <small class="muted">({escape(row.note)})</small>' if row.note else ""
        body.append(f"<tr><th>{escape(row.label)}{note}</th>{cells}</tr>")
    return (f'<details class="chart-data"><summary>Bảng số liệu</summary><table class="grid small">'
            f'<thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></details>')  # fmt: skip


def render(chart: Chart) -> SafeString:
    """A <figure>: the caption, the drawing, and its figures as a table."""
    if not chart.rows:
        return mark_safe("")
    # Every piece of text above went through escape(); the rest is numbers and our own markup.
    return mark_safe(  # noqa: S308
        f'<figure class="chart"><figcaption>{escape(chart.title)}</figcaption>{_svg(chart)}{_table(chart)}</figure>'
    )


def bars(title: str, rows: list[tuple[str, Decimal | int | None, str]], headers: list[str], **options) -> Chart:
    """A plain bar chart from (label, value, text) rows."""
    return Chart(title, [Row(label, [Segment(value, text)], text) for label, value, text in rows], headers, **options)
