"""The reorganisation pages in Debian's Chromium through Playwright: khoi merges two of the demo's
grassroots committees into a new one from the menu — form, preview, confirmation —, then reads the
reference day's figures unchanged (62 · 10 · 442 · 4.466) and, the day after the merge, the merged
committee in the sub-unit table with the sum of both committees' members. No console error, no
Content-Security-Policy violation on the way. Skipped, with a clear reason, where Chromium is not
installed."""

from __future__ import annotations

import re

import pytest

from dangbo.audit.models import AuditEntry
from dangbo.orgs.models import UnitVersion
from tests.conftest import CHROMIUM
from tests.helpers import from_menu, log_in
from tests.test_reorg import D, quiet_committees

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM, reason="Chromium không có trên máy: apt-get install -y chromium"),
]

MERGED = "Đảng bộ Khối Hợp nhất"
REFERENCE_FIGURES = {"grassroots": "62", "sub_committees": "10", "attached_cells": "442", "members": "4.466"}


# The browser asks for an icon by itself; the site has none (a 404 on every page, not these pages').
ICON = "/favicon.ico"


def watch(page) -> list[str]:
    """Console errors (a CSP violation is one), uncaught script errors and failed responses, as they
    come; the browser's own request for an icon aside."""
    problems: list[str] = []

    def console(message):
        if message.type == "error" and not message.location.get("url", "").endswith(ICON):
            problems.append(message.text)

    def response(answer):
        if answer.status >= 400 and not answer.url.endswith(ICON):
            problems.append(f"{answer.status} {answer.url}")

    page.on("console", console)
    page.on("response", response)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def sub_unit_members(page) -> dict[str, str]:
    """The sub-unit table of the overview drawn: each row's name and its "Đảng viên" cell."""
    headers = page.locator("#sub-units thead th").all_inner_texts()
    column = headers.index("Đảng viên")
    rows = page.locator("#sub-units tbody tr")
    found = {}
    for i in range(rows.count()):
        cells = rows.nth(i).locator("td").all_inner_texts()
        found[cells[0].strip()] = cells[column].strip()
    return found


def number(text: str) -> int:
    return int(text.replace(".", ""))


def test_khoi_merges_two_committees_in_the_browser(browser_page, demo_live):
    demo, url = demo_live
    page = browser_page
    problems = watch(page)
    a, b = quiet_committees(demo)
    root = UnitVersion.objects.on(D).get(unit_id=demo["root"])
    moved = list(UnitVersion.objects.on(D).filter(parent_id__in=[a.unit_id, b.unit_id]).values_list("name", flat=True))
    assert moved

    # The day before the decision is signed into effect: both committees' member counts, as shown.
    log_in(page, url, "khoi", "/?date=2026-09-30")
    before = sub_unit_members(page)
    members = number(before[a.name]) + number(before[b.name])
    assert members > 0

    from_menu(page, "Quản trị", "Sắp xếp tổ chức")
    page.wait_for_url(f"{url}/sap-xep/")
    page.locator("#operations").get_by_role("link", name="Hợp nhất, sáp nhập tổ chức").click()
    page.wait_for_url(f"{url}/sap-xep/hop-nhat/")

    form = page.locator("#reorg-form")
    form.get_by_label("Số quyết định").fill("125-QĐ/ĐUK")
    form.get_by_label("Ngày ký quyết định").fill("2026-09-20")
    form.get_by_label("Cơ quan ban hành").fill("Ban Thường vụ Đảng ủy Khối")
    form.get_by_label("Ngày hiệu lực").fill(D.isoformat())
    form.get_by_label("Các tổ chức hợp nhất").select_option([str(a.unit_id), str(b.unit_id)])
    form.get_by_label("Đơn vị nhận").select_option("new")
    form.get_by_label("Tên tổ chức mới").fill(MERGED)
    form.get_by_label("Loại tổ chức mới").select_option("grassroots_committee")
    form.get_by_label("Trực thuộc (tổ chức mới)").select_option(str(root.unit_id))
    form.get_by_role("button", name="Xem trước").click()

    # The preview: every sub-unit moving to the new committee, both committees dissolved, nothing written.
    page.wait_for_selector("#confirm-form")
    assert page.locator("h1").inner_text() == "Xem trước: Hợp nhất, sáp nhập tổ chức"
    moved_rows = page.locator("#moved tbody tr")
    assert moved_rows.count() == len(moved)
    assert sorted(moved_rows.locator("td:first-child").all_inner_texts()) == sorted(moved)
    assert set(moved_rows.locator("td:nth-child(3)").all_inner_texts()) == {MERGED}
    consequences = page.locator("#consequences").inner_text()
    assert "Giải thể (2)" in consequences
    assert f"{a.name} — chấm dứt hoạt động từ ngày 01/10/2026" in consequences
    assert f"{b.name} — chấm dứt hoạt động từ ngày 01/10/2026" in consequences
    assert "Quyết định số 125-QĐ/ĐUK ngày 20/09/2026 của Ban Thường vụ Đảng ủy Khối" in page.locator(
        "#summary").inner_text()  # fmt: skip
    assert not UnitVersion.objects.filter(name=MERGED).exists()

    page.locator("#confirm-form").get_by_role("button", name="Xác nhận thực hiện").click()
    page.wait_for_url(re.compile(r"/to-chuc/\d+/\?date=2026-10-01$"))
    merged = UnitVersion.objects.get(name=MERGED)
    assert page.url == f"{url}/to-chuc/{merged.unit_id}/?date=2026-10-01"
    assert page.locator("h1").inner_text() == MERGED
    assert "Đã thực hiện: hợp nhất, sáp nhập tổ chức từ ngày 01/10/2026." in page.locator("main").inner_text()
    assert AuditEntry.objects.filter(action="reorg_merge").count() == 1

    # The reference day reads as before.
    page.goto(f"{url}/?date=2024-09-30")
    shown = {key: page.locator(f'[data-figure="{key}"]').inner_text() for key in REFERENCE_FIGURES}
    assert shown == REFERENCE_FIGURES

    # The day after the merge: the merged committee holds both committees' members; they are gone.
    page.goto(f"{url}/?date=2026-10-02")
    after = sub_unit_members(page)
    assert number(after[MERGED]) == members
    assert a.name not in after and b.name not in after

    assert not problems, problems

    # The watch sees a violation when there is one: an inline handler added to the page is refused.
    page.evaluate(
        "() => { const b = document.createElement('button'); b.id = 'injected';"
        " b.setAttribute('onclick', 'document.title = \"ran\"'); document.body.append(b); }"
    )
    page.locator("#injected").click()
    page.wait_for_timeout(200)
    assert page.title() != "ran"
    assert problems and "inline event handler" in problems[0]
