"""The import of the exchange workbook in Debian's Chromium through Playwright (the pattern of
tests/test_browser.py; Playwright's own browser download is not used).

coso downloads the empty template from /nhap-du-lieu/, fills three units and twenty members in it
(with openpyxl, where a user would type them in Excel), uploads it, reads the preview, confirms,
finds the members on /dang-vien/ and the new units on the overview; the same file uploaded again
changes nothing. Skipped, with a clear reason, where Chromium is not installed."""

from __future__ import annotations

import datetime
import re

import openpyxl
import pytest

from dangbo.exchange import columns as C
from dangbo.exchange.models import ImportBatch
from dangbo.members.models import Member
from dangbo.orgs.models import UnitVersion
from tests.conftest import CHROMIUM
from tests.helpers import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM, reason="Chromium không có trên máy: apt-get install -y chromium"),
]

D = datetime.date
UNITS = [
    ("TD-DBBP", "Đảng bộ bộ phận Thử nghiệm", "Đảng bộ bộ phận", "DV00001", D(2020, 1, 1)),
    ("TD-CB1", "Chi bộ Thử nghiệm Một", "Chi bộ trực thuộc", "TD-DBBP", D(2020, 1, 1)),
    ("TD-CB2", "Chi bộ Thử nghiệm Hai", "Chi bộ trực thuộc", "DV00001", D(2021, 6, 1)),
]
GIVEN = ["An", "Bình", "Cường", "Dung", "Giang", "Hạnh", "Khánh", "Linh", "Minh", "Nga",
         "Phúc", "Quyên", "Sơn", "Trang", "Uyên", "Việt", "Xuân", "Yến", "Đạt", "Ánh"]  # fmt: skip


def members() -> list[dict]:
    rows = []
    for i, given in enumerate(GIVEN):
        female = i % 2 == 1
        rows.append({
            "Họ và tên": f"Thử {'Thị' if female else 'Văn'} {given}", "Giới tính": "Nữ" if female else "Nam",
            "Ngày sinh": f"{1 + i:02d}/0{1 + i % 9}/198{i % 10}",  # typed as text, dd/mm/yyyy
            "Ngày vào Đảng": D(2022, 4, 1 + i), "Ngày chính thức": D(2023, 4, 1 + i) if i % 3 else None,
            "Số CCCD": f"0975550{i:05d}", "Mã chi bộ": "TD-CB1" if i < 12 else "TD-CB2", "Dân tộc": "Kinh",
            "Lý luận chính trị": "Sơ cấp" if i % 2 else "Trung cấp",
        })  # fmt: skip
    return rows


def fill(template_path, target) -> None:
    """The template filled as a user would: under each sheet's header, by the header's titles."""
    book = openpyxl.load_workbook(template_path)
    units = book[C.SHEET_UNITS]
    titles = {cell.value: cell.column for cell in units[1] if cell.value}
    for line, (code, name, kind, parent, start) in enumerate(UNITS, start=2):
        for title, value in (("Mã đơn vị", code), ("Tên đơn vị", name), ("Loại", kind), ("Mã đơn vị cấp trên", parent),
                             ("Hiệu lực từ", start)):  # fmt: skip
            units.cell(row=line, column=titles[title], value=value)
    sheet = book[C.SHEET_MEMBERS]
    titles = {cell.value: cell.column for cell in sheet[1] if cell.value}
    for line, row in enumerate(members(), start=2):
        for title, value in row.items():
            if value is not None:
                cell = sheet.cell(row=line, column=titles[title], value=value)
                if isinstance(value, D):
                    cell.number_format = "dd/mm/yyyy"
    book.save(target)


def test_coso_imports_a_filled_template_then_the_same_file_again(browser_page, demo_live, tmp_path, settings):
    from playwright.sync_api import expect

    settings.MEDIA_ROOT = tmp_path / "media"
    demo, url = demo_live
    page = browser_page
    assert not Member.unscoped.filter(citizen_id__startswith="0975550").exists()

    log_in(page, url, "coso", "/nhap-du-lieu/")
    expect(page.locator("h1")).to_have_text("Nhập dữ liệu từ sổ trao đổi")
    with page.expect_download() as download:
        page.locator("#template").click()
    template = tmp_path / download.value.suggested_filename
    download.value.save_as(template)
    assert template.name == "Mau-so-trao-doi-du-lieu-dang-vien.xlsx"
    filled = tmp_path / "So-trao-doi-Thu-nghiem.xlsx"
    fill(template, filled)

    def upload():
        page.goto(f"{url}/nhap-du-lieu/")
        page.locator("#id_file").set_input_files(str(filled))
        page.get_by_role("button", name="Tải lên và xem trước").click()
        page.wait_for_url(re.compile(r"/nhap-du-lieu/\d+/$"))
        expect(page.locator("h1")).to_have_text(f"Xem trước: {filled.name}")
        return ImportBatch.objects.latest("pk")

    batch = upload()
    counts = page.locator("#counts")
    expect(counts.locator("tr").nth(0)).to_have_text(re.compile(r"Đơn vị\s*3 mới · 0 cập nhật · 0 không đổi"))
    expect(counts.locator("tr").nth(1)).to_have_text(re.compile(r"Đảng viên\s*20 mới · 0 cập nhật · 0 không đổi"))
    expect(page.locator("#problems")).to_have_count(0)
    assert not Member.unscoped.filter(citizen_id__startswith="0975550").exists()  # the preview writes nothing

    page.get_by_role("button", name="Xác nhận nhập").click()
    page.wait_for_url(f"{url}/nhap-du-lieu/{batch.pk}/")
    expect(page.locator("h1")).to_have_text(f"Đã nhập: {filled.name}")
    expect(page.locator("#applied")).to_contain_text("Đã nhập lúc")
    assert Member.unscoped.filter(citizen_id__startswith="0975550").count() == 20

    # The members on the list: those of the first cell by the unit filter, one by the search.
    cell = UnitVersion.objects.filter(unit__code="TD-CB1").get()
    page.goto(f"{url}/dang-vien/?unit={cell.unit_id}")
    expect(page.locator("#members tbody tr")).to_have_count(12)
    page.goto(f"{url}/dang-vien/?q=Thu+Thi+Anh")
    expect(page.locator("#members")).to_contain_text("Thử Thị Ánh")
    # The new units on the overview of coso's committee, with their members counted.
    page.goto(f"{url}/")
    table = page.locator("#sub-units")
    expect(table).to_contain_text("Đảng bộ bộ phận Thử nghiệm")
    expect(table).to_contain_text("Chi bộ Thử nghiệm Hai")
    row = table.locator("tbody tr").filter(has_text="Chi bộ Thử nghiệm Hai")
    expect(row.locator("td").nth(4)).to_have_text("8")  # Đảng viên, after the kind and the sub-unit counts

    # The same file again: nothing would change, nothing to confirm.
    before = Member.unscoped.count()
    upload()
    expect(counts.locator("tr").nth(0)).to_have_text(re.compile(r"0 mới · 0 cập nhật · 3 không đổi"))
    expect(counts.locator("tr").nth(1)).to_have_text(re.compile(r"0 mới · 0 cập nhật · 20 không đổi"))
    expect(page.locator("#nothing")).to_have_text("Dữ liệu trong tệp trùng với dữ liệu đã có: nhập tệp này không "
                                                  "thay đổi gì.")  # fmt: skip
    expect(page.get_by_role("button", name="Xác nhận nhập")).to_have_count(0)
    assert Member.unscoped.count() == before
