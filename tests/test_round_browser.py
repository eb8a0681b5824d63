"""The rating round page at a committee's size, in Debian's Chromium through Playwright: coso's
2025 round (hundreds of members) reads at a reasonable height on a 1366-pixel screen, and on a
phone (390 × 844) nothing makes the page scroll sideways. The writing pages' text areas grow.
Skipped, with a clear reason, where Chromium is not installed."""

from __future__ import annotations

import pytest

from dangbo.ratings.models import MemberRating, PeriodKind, RatingPeriod
from tests.conftest import CHROMIUM
from tests.helpers import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM, reason="Chromium không có trên máy: apt-get install -y chromium"),
]

# At most this tall at 1366 pixels wide: a page of 50 members and the organisations, not every
# member with a second table of the undecided (25.000 px before; about 5.900 px measured now).
MAX_HEIGHT = 7000
PHONE = {"width": 390, "height": 844}


def test_cosos_round_page_is_of_reasonable_height_and_never_scrolls_sideways(browser_page, demo_live):
    demo, url = demo_live
    page = browser_page
    period = RatingPeriod.objects.get(kind=PeriodKind.YEAR, year=2025)
    members = MemberRating.unscoped.filter(period=period, grassroots_id=demo["coso"]).count()
    assert members > 100  # a committee's size: more than a page
    path = f"/xep-loai/dot/{period.pk}/"
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in(page, url, "coso", path)
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height <= MAX_HEIGHT, height
    assert page.locator("#decide-form").count() == 1

    # On a phone the page's content (its filters, counters and tables) fits the width; the site's
    # header above it is the navigation's own (base.html).
    page.set_viewport_size(PHONE)
    for query in ("", "?buoc=cho-quyet-dinh", f"?chibo={demo['chibo']}"):
        page.goto(f"{url}{path}{query}")
        main_width = page.evaluate("document.querySelector('main').scrollWidth")
        assert main_width <= PHONE["width"], (query, main_width)
        wide = page.evaluate(
            """() => [...document.querySelectorAll('main *')]
                 .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
                 .map(e => e.tagName + '#' + e.id + '.' + e.className).slice(0, 5)"""
        )
        assert wide == [], (query, wide)
