"""The pages fit the screen, in Chromium: on a phone (390 × 844) no page of any persona scrolls
sideways, and the header keeps "Thông báo" and "Đăng xuất" in view with the menu behind a button; on
a desktop (1366 × 768) the menu takes at most two lines. The menu opens with the keyboard, and
without script.

The pages of a persona: every entry of their menu, the overview on a past date, then one page of each
kind linked from those, and from these (a member, a meeting, a rating round, a task, a report, a target…: the same
address with other ids counts as the same kind). One live server, one browser, one signed-in page per
persona."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.conftest import CHROMIUM
from tests.helpers import log_in, log_out

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM, reason="Chromium không có trên máy: apt-get install -y chromium"),
]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 768}
PERSONAS = ("khoi", "coso", "chibo", "xem")
# Downloads, the back office and leaving: not pages to lay out.
NOT_PAGES = re.compile(r"\.(xlsx|docx|pdf)$|/so-danh-sach/|/tai-ve/|/ban-chup/|/tep/|^/tai-lieu/|^/admin/|^/dang-xuat/")
# The kinds of page that must be among those visited (when the persona may open them).
DETAIL_KINDS = {
    "khoi": ["/dang-vien/N/", "/sinh-hoat/N/", "/xep-loai/dot/N/", "/nhiem-vu/N/", "/bao-cao/N/", "/chi-tieu/N/",
             "/to-chuc/N/"],
    "coso": ["/dang-vien/N/", "/sinh-hoat/N/", "/xep-loai/dot/N/", "/nhiem-vu/N/", "/bao-cao/N/", "/chi-tieu/N/"],
    "chibo": ["/dang-vien/N/", "/sinh-hoat/N/", "/xep-loai/dot/N/", "/nhiem-vu/N/", "/chi-tieu/N/"],
    "xem": ["/chi-tieu/N/", "/to-chuc/N/"],
}  # fmt: skip

# The widest elements poking out of the screen, for the failure message.
OVERFLOW = """() => {
  const width = window.innerWidth;
  const wide = [];
  for (const el of document.querySelectorAll("body *")) {
    const box = el.getBoundingClientRect();
    if (box.right > width + 1 && !el.closest("table, pre") || el.matches("table") && box.right > width + 1) {
      if (![...el.children].some(c => c.getBoundingClientRect().right > width + 1)) {
        const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "");
        const classes = typeof el.className === "string" && el.className
          ? "." + el.className.trim().split(/\\s+/).join(".") : "";
        wide.push(`${name}${classes} → ${Math.round(box.right)}px`);
      }
    }
  }
  return {scroll: document.documentElement.scrollWidth, inner: window.innerWidth, wide: wide.slice(0, 5)};
}"""

LINKS = """() => [...document.querySelectorAll("main a[href^='/'], header nav a[href^='/']")]
  .map(a => a.getAttribute("href"))"""


def kind(href: str) -> str:
    return re.sub(r"\d+", "N", href.split("#")[0].split("?")[0])


def pages_of(page, url: str, menu: list[str]) -> tuple[list[str], dict]:
    """Visit the menu's pages and the overview on a past date, then one page of each kind linked from
    them; {address: overflow} of the pages that scroll sideways."""
    seen, failures = set(), {}
    queue = [*menu, "/?date=2020-06-30"]
    for depth in (0, 1, 2):
        following = []
        for href in queue:
            if kind(href) in seen and depth:
                continue
            seen.add(kind(href))
            try:
                response = page.goto(f"{url}{href}")
            except PlaywrightError as error:
                if "Download is starting" in str(error):
                    continue  # a file to download (a register, a workbook), not a page
                raise
            assert response.status == 200, (href, response.status)
            measured = page.evaluate(OVERFLOW)
            if measured["scroll"] > measured["inner"]:
                failures[href] = measured
            if depth < 2:
                for link in page.evaluate(LINKS):
                    path = link.split("#")[0]
                    if path and not NOT_PAGES.search(path.split("?")[0]) and kind(path) not in seen:
                        following.append(path)
        queue = list(dict.fromkeys(following))
    return sorted(seen), failures


def test_no_page_scrolls_sideways_on_a_phone_and_the_menu_fits_a_desktop(browser_page, demo_live):
    demo, url = demo_live
    page = browser_page
    failures = {}
    for persona in PERSONAS:
        page.set_viewport_size(PHONE)
        log_in(page, url, persona)
        # The bar: notifications and logging out in view, the menu behind its button.
        for name in ("#notifications-link", "header .who button"):
            box = page.locator(name).bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (persona, name)
        assert not page.locator("header nav").is_visible()
        page.locator("#menu-button").click()
        assert page.locator("header nav").is_visible()
        menu = page.locator("header nav a[href^='/']").evaluate_all("links => links.map(a => a.getAttribute('href'))")
        assert len(menu) >= 6, (persona, menu)
        visited, failed = pages_of(page, url, menu)
        failures.update({f"{persona} {href}": found for href, found in failed.items()})
        missing = [k for k in DETAIL_KINDS[persona] if k not in visited]
        assert not missing, (persona, missing, visited)

        # On a desktop: the menu's first level in one or two lines.
        page.set_viewport_size(DESKTOP)
        page.goto(f"{url}/")
        assert not page.locator("#menu-button").is_visible()
        tops = page.locator("header ul.groups > li").evaluate_all(
            "items => items.map(i => Math.round(i.getBoundingClientRect().top))"
        )
        assert len(set(tops)) <= 2, (persona, tops)
        assert page.locator("header.top").bounding_box()["height"] <= 90, persona
        log_out(page)
    assert not failures, "\n".join(f"{href}: {found}" for href, found in failures.items())


def test_the_menu_works_with_the_keyboard_and_without_script(browser_page, demo_live):
    demo, url = demo_live
    page = browser_page
    page.set_viewport_size(DESKTOP)
    log_in(page, url, "coso")
    members = page.locator("header nav").get_by_role("link", name="Danh sách đảng viên", exact=True)
    assert not members.is_visible()
    # Tab from the brand to the first group (after "Tổng quan"), open it with Enter, close it with Escape.
    page.locator("header .brand").focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Đảng viên"
    page.keyboard.press("Enter")
    assert members.is_visible()
    page.keyboard.press("Escape")
    assert not members.is_visible()
    assert page.evaluate("document.activeElement.textContent") == "Đảng viên"
    # One group open at a time.
    group = page.locator("header nav summary")
    group.filter(has_text="Đảng viên").click()
    group.filter(has_text="Sinh hoạt").click()
    assert not members.is_visible()
    assert page.locator("header nav").get_by_role("link", name="Sinh hoạt chi bộ", exact=True).is_visible()
    page.keyboard.press("Tab")  # from the group's button to its first entry
    assert page.evaluate("document.activeElement.textContent") == "Sinh hoạt chi bộ"
    page.keyboard.press("Enter")
    page.wait_for_url(f"{url}/sinh-hoat/")
    # The current group is marked.
    assert page.locator("header ul.groups > li.current summary").inner_text().strip() == "Sinh hoạt"

    # Without script: the menu is shown on a desktop and on a phone, each group opens on a click.
    context = page.context.browser.new_context(java_script_enabled=False, viewport=PHONE, locale="vi-VN")
    bare = context.new_page()
    log_in(bare, url, "coso")
    assert bare.locator("header nav").is_visible()
    bare.locator("header nav summary").filter(has_text="Nhiệm vụ").click()
    bare.locator("header nav").get_by_role("link", name="Danh sách nhiệm vụ", exact=True).click()
    bare.wait_for_url(f"{url}/nhiem-vu/")
    context.close()
