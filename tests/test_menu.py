"""The header's menu (accounts.menu): what each role finds there, every entry opening for them, and the
group of the page shown marked current."""

from __future__ import annotations

import lxml.html
import pytest

from dangbo.accounts.menu import menu_for
from dangbo.accounts.models import User

GROUPS = {
    "khoi": ["Tổng quan", "Đảng viên", "Sinh hoạt", "Đánh giá", "Chỉ tiêu", "Nhiệm vụ", "Báo cáo", "Quản trị"],
    "coso": ["Tổng quan", "Đảng viên", "Sinh hoạt", "Đánh giá", "Chỉ tiêu", "Nhiệm vụ", "Báo cáo", "Quản trị"],
    "chibo": ["Tổng quan", "Đảng viên", "Sinh hoạt", "Đánh giá", "Chỉ tiêu", "Nhiệm vụ", "Báo cáo", "Dữ liệu"],
    "xem": ["Tổng quan", "Sinh hoạt", "Đánh giá", "Chỉ tiêu", "Nhiệm vụ", "Báo cáo", "Dữ liệu"],
}


@pytest.mark.parametrize("persona", list(GROUPS))
def test_each_role_finds_its_groups_and_every_entry_opens(as_user, persona):
    client = as_user(persona)
    page = lxml.html.fromstring(client.get("/").content)
    labels = [
        (item.xpath("./details/summary") or item.xpath("./a"))[0].text_content()
        for item in page.xpath('//header//ul[@class="groups"]/li[not(@class="me")]')
    ]
    assert labels == GROUPS[persona]
    hrefs = page.xpath("//header//nav//a/@href")
    assert "/doi-mat-khau/" in hrefs
    for href in hrefs:
        assert client.get(href).status_code == 200, (persona, href)


def test_what_a_role_does_not_do_is_not_in_its_menu(demo):
    urls = {p: {e.url for g in menu_for(User.objects.get(username=p), "/") for e in g.entries} for p in GROUPS}
    assert "/tai-khoan/" in urls["coso"] and "/nhap-du-lieu/" in urls["coso"]
    assert not {"/tai-khoan/", "/nhap-du-lieu/"} & urls["chibo"]
    assert not {"/dang-vien/", "/sinh-hoat/", "/nhiem-vu/", "/xuat-du-lieu/", "/ket-nap/"} & urls["xem"]
    assert "/admin/" not in set().union(*urls.values())


def test_the_group_of_the_page_shown_is_current(demo):
    user = User.objects.get(username="coso")
    current = {path: [g.label for g in menu_for(user, path) if g.current] for path in
               ("/", "/to-chuc/5/", "/dang-vien/12/", "/ket-nap/", "/sinh-hoat/3/", "/nhiem-vu/thong-ke/",
                "/tai-khoan/tao-hang-loat/", "/doi-mat-khau/")}  # fmt: skip
    assert current == {
        "/": ["Tổng quan"], "/to-chuc/5/": ["Tổng quan"], "/dang-vien/12/": ["Đảng viên"], "/ket-nap/": ["Đảng viên"],
        "/sinh-hoat/3/": ["Sinh hoạt"], "/nhiem-vu/thong-ke/": ["Nhiệm vụ"], "/tai-khoan/tao-hang-loat/": ["Quản trị"],
        "/doi-mat-khau/": [],
    }  # fmt: skip
