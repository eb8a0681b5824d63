"""A small bar chart of a target's values year by year, drawn as inline SVG on the server: no
script, no internet, and it prints as it shows (grey bars, black text, the target as a dashed line)."""

from __future__ import annotations

import itertools
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import mark_safe

from dangbo.lib import vn

WIDTH, HEIGHT, BAR, GAP, TOP, BOTTOM = 240, 84, 30, 12, 14, 16
_ids = itertools.count(1)


def year_chart(years, target_value, percentage: bool, decimals: int = 2, compared: bool = True) -> str:
    """`years`: YearValue items (year, what is drawn, met). The scale runs from 0 to the largest of the
    values and the target; a missed year's bar is hatched, so it reads in black and white too."""
    values = [(y.year, y.shown, y.met) for y in years]
    known = [Decimal(v) for _, v, _ in values if v is not None]
    if not known:
        return ""
    top = max(known + ([Decimal(target_value)] if compared else []))
    top = top or Decimal(1)
    width = max(WIDTH, len(values) * (BAR + GAP) + GAP)
    pattern = f"missed-{next(_ids)}"  # one id per chart: a page holds many
    plot = HEIGHT - TOP - BOTTOM
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {HEIGHT}" width="{width}" height="{HEIGHT}" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f'<defs><pattern id="{pattern}" width="4" height="4" patternUnits="userSpaceOnUse">'
        '<path d="M0,4 L4,0" stroke="#000" stroke-width="1"/></pattern></defs>',
    ]
    labels = []
    for i, (year, value, met) in enumerate(values):
        x = GAP + i * (BAR + GAP)
        text = "—" if value is None else (vn.format_percent(value, decimals) if percentage else vn.format_number(value))
        labels.append(f"{year}: {text}")
        if value is not None:
            h = float(Decimal(value) / top) * plot
            fill = f"url(#{pattern})" if met is False else "#9a9a9a"
            parts.append(f'<rect x="{x}" y="{TOP + plot - h:.1f}" width="{BAR}" height="{h:.1f}" fill="{fill}" '
                         f'stroke="#000" stroke-width="0.5"/>')  # fmt: skip
        height = 0 if value is None else float(Decimal(value) / top) * plot
        parts.append(f'<text x="{x + BAR / 2}" y="{TOP + plot - height - 3:.1f}" font-size="8" '
                     f'text-anchor="middle">{escape(text)}</text>')  # fmt: skip
        parts.append(f'<text x="{x + BAR / 2}" y="{HEIGHT - 4}" font-size="9" text-anchor="middle">{year}</text>')
    if compared and target_value:
        y = TOP + plot - float(Decimal(target_value) / top) * plot
        parts.append(f'<line x1="0" x2="{width}" y1="{y:.1f}" y2="{y:.1f}" stroke="#000" stroke-dasharray="4 3"/>')
    parts.insert(1, f"<title>{escape('; '.join(labels))}</title>")
    parts.append("</svg>")
    return mark_safe("".join(parts))
