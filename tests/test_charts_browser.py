"""The charts in a browser: on a 390 px phone no page with charts scrolls sideways and every chart
fits its box with readable text; printed, the charts are kept."""

from __future__ import annotations

import pytest

from tests.helpers import log_in

PAGES = [
    "/?date=2024-09-30",
    "/xep-loai/?nam=2023",
    "/sinh-hoat/tuan-thu/?from=2024-10&to=2026-10",
    "/chi-tieu/?date=2024-09-30",
]

MEASURE = """() => {
  const charts = [...document.querySelectorAll('svg.chart')];
  return {
    overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
    charts: charts.map(svg => {
      const box = svg.getBoundingClientRect();
      const fonts = [...svg.querySelectorAll('text')].map(t => t.getBoundingClientRect().height);
      return {left: box.left, right: box.right, smallest: Math.min(...fonts)};
    }),
    width: document.documentElement.clientWidth,
  };
}"""


@pytest.mark.parametrize("path", PAGES)
def test_charts_fit_a_phone(browser_page, demo_live, path):
    page = browser_page
    _, url = demo_live
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, url, "khoi", path)
    measured = page.evaluate(MEASURE)
    assert measured["charts"], path
    for chart in measured["charts"]:
        assert chart["left"] >= 0 and chart["right"] <= measured["width"], chart
        assert chart["smallest"] >= 11, chart  # the text's box, in CSS pixels


def test_printed_overview_keeps_its_charts(browser_page, demo_live):
    page = browser_page
    _, url = demo_live
    log_in(page, url, "khoi", "/?date=2024-09-30")
    page.emulate_media(media="print")
    heights = "() => [...document.querySelectorAll('svg.chart')].map(s => s.getBoundingClientRect().height)"
    shown = page.evaluate(heights)
    assert len(shown) == 3 and all(h > 50 for h in shown)
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
