"""The searchable picker of long unit selects (static/dangbo/picker.js), in Chromium: a staff member
types part of a unit's name without diacritics, sees only the matching units, named with what they
belong to, and picks one with the mouse or the keyboard; on a desktop and on a 390 px phone."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest

from dangbo.lib import vn
from dangbo.lib.http import today
from dangbo.orgs.labels import unit_labels
from dangbo.orgs.models import UnitVersion
from tests.conftest import CHROMIUM
from tests.helpers import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM, reason="Chromium không có trên máy: apt-get install -y chromium"),
]

FINANCE = "Đảng bộ Sở Tài chính"


def _has_words(label: str, words: str) -> bool:
    folded = vn.fold(label)
    return all(word in folded for word in words.split())


def _finance_offices() -> dict[int, str]:
    finance = UnitVersion.objects.on(today()).get(name=FINANCE)
    cells = UnitVersion.objects.on(today()).filter(name="Chi bộ Văn phòng", path__startswith=finance.path)
    return unit_labels(cells.values_list("unit_id", flat=True), today())


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 800}, {"width": 390, "height": 844}])
def test_pick_a_cell_by_typing_without_diacritics(browser_page, demo_live, viewport):
    demo, url = demo_live
    page = browser_page
    page.set_viewport_size(viewport)
    offices = _finance_offices()
    assert len(offices) == 3
    log_in(page, url, "khoi", "/sinh-hoat/")
    select = page.locator("select[name=cell]")
    total = select.locator("option").count()
    assert total > 100
    search = page.get_by_role("searchbox", name=re.compile("Tìm nhanh"))
    assert search.is_visible()
    # The filter's label still names the select, not the search box.
    assert select.evaluate("s => s.labels.length === 1 && s.labels[0].control === s")
    box = search.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]  # fits the phone's width

    search.fill("van phong tai chinh")
    shown = [t.strip() for t in select.locator("option").all_inner_texts()]
    assert shown[0] == "Tất cả"
    # The three, told apart by what they belong to, among the few units whose labels hold every word.
    assert set(offices.values()) <= set(shown[1:]) and len(shown) < 30
    assert all(_has_words(label, "van phong tai chinh") for label in shown[1:])
    assert f"{len(shown) - 1} kết quả" in page.locator(".picker-status").inner_text()
    assert select.evaluate("s => s.size") >= 2  # an open list to tap
    list_box = select.bounding_box()
    assert list_box["x"] + list_box["width"] <= viewport["width"]

    # đ folds to d, and Đ too.
    search.fill("Đảng bộ bộ phận khoi VAN phong so tai chinh")
    shown = [t.strip() for t in select.locator("option").all_inner_texts()][1:]
    assert all(_has_words(label, "dang bo bo phan khoi van phong so tai chinh") for label in shown)
    assert [v for v in offices.values() if "Khối Văn phòng" in v][0] in shown
    assert not any(v in shown for v in offices.values() if "Khối Văn phòng" not in v)

    # Picked with the mouse (a tap on a phone): the list closes on the choice and the filter sends it.
    search.fill("van phong tai chinh")
    chosen_id, chosen = next((k, v) for k, v in offices.items() if v == f"Chi bộ Văn phòng — {FINANCE}")
    select.locator("option", has_text=chosen).first.click()
    assert select.evaluate("s => s.value") == str(chosen_id)
    assert select.locator("option").count() == total  # back to the whole list, the choice kept
    page.get_by_role("button", name="Lọc").click()
    page.wait_for_url(re.compile(r"cell="))
    assert parse_qs(urlparse(page.url).query)["cell"] == [str(chosen_id)]
    assert chosen in page.locator("#meetings").inner_text()

    # With the keyboard: type, Enter picks the first match, Esc clears a search.
    search = page.get_by_role("searchbox", name=re.compile("Tìm nhanh"))
    search.fill("xyz khong co")
    assert "Không có kết quả" in page.locator(".picker-status").inner_text()
    search.press("Escape")
    assert search.input_value() == "" and select.locator("option").count() == total
    search.fill("van phong cac don vi su nghiep so tai chinh")
    search.press("Enter")
    first = next(k for k, v in offices.items() if "Các đơn vị sự nghiệp" in v)
    assert select.evaluate("s => s.value") == str(first)
    assert select.locator("option").count() == total
    assert "/sinh-hoat/" in page.url and f"cell={first}" not in page.url  # Enter picks, does not send


def test_without_javascript_the_plain_select_works(browser_page, demo_live):
    demo, url = demo_live
    page = browser_page
    context = page.context.browser.new_context(java_script_enabled=False, locale="vi-VN")
    page = context.new_page()
    offices = _finance_offices()
    log_in(page, url, "khoi", "/sinh-hoat/")
    assert page.locator(".picker-search").count() == 0
    chosen_id = next(iter(offices))
    page.locator("select[name=cell]").select_option(str(chosen_id))
    page.get_by_role("button", name="Lọc").click()
    page.wait_for_url(re.compile(r"cell="))
    assert offices[chosen_id] in page.locator("#meetings").inner_text()
    context.close()
