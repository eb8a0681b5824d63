"""Levels above the grassroots: a city committee at the root, a district and a bloc (the demo
committee) under it, and a grassroots committee of the demo moved under the district. The forms of
the levels are data (UnitForm); the figures of every level are the sums of the grassroots
organisations' tallies below it, compared here with counts by hand-written SQL; every page works for
an account of the city."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError

from dangbo.accounts.models import Role, User
from dangbo.lib import vn
from dangbo.members.figures import subtree_figures
from dangbo.members.models import Stint
from dangbo.orgs.actions import change_unit, found_unit
from dangbo.orgs.models import Unit, UnitForm, UnitKind, UnitVersion
from tests.helpers import hand_member_counts

d = datetime.date
MOVED = d(2026, 12, 1)  # after every change the demo records (its history ends on 27/11/2026)
BEFORE = MOVED - datetime.timedelta(days=1)
LATER = MOVED + datetime.timedelta(days=1)


def summed(counts: dict) -> dict:
    total: dict = {}
    for row in counts.values():
        for key, value in row.items():
            total[key] = total.get(key, 0) + value
    return total


@pytest.fixture
def city(demo):
    town = UnitForm.objects.create(code="thanh_pho", name="Đảng bộ thành phố", kind=UnitKind.SUPERIOR, at_top=True)
    district_form = UnitForm.objects.create(code="huyen", name="Đảng bộ huyện", kind=UnitKind.SUPERIOR)
    district_form.parents.add(town)
    UnitForm.objects.get(code=UnitKind.SUPERIOR).parents.add(town)
    UnitForm.objects.get(code=UnitKind.GRASSROOTS_COMMITTEE).parents.add(district_form)
    top = found_unit(None, name="Đảng bộ thành phố Thử nghiệm", form="thanh_pho", parent=None, on=d(1990, 1, 1))
    district = found_unit(None, name="Đảng bộ huyện Thử nghiệm", form="huyen", parent=top, on=d(2000, 1, 1))
    bloc = Unit.objects.get(pk=demo["root"])
    change_unit(None, bloc, on=MOVED, parent=top, decision="Quyết định số 1-QĐ/TU")
    moved = Unit.objects.get(pk=demo["coso"])
    change_unit(None, moved, on=MOVED, parent=district, decision="Quyết định số 2-QĐ/TU")
    return SimpleNamespace(top=top, district=district, bloc=bloc, moved=moved)


def version(unit, on):
    return UnitVersion.objects.on(on).get(unit=unit)


def test_a_form_is_placed_by_the_rules_in_data(city):
    with pytest.raises(ValidationError, match="Đảng bộ huyện chỉ được đặt dưới Đảng bộ thành phố"):
        found_unit(None, name="Huyện lạc chỗ", form="huyen", parent=city.bloc, on=LATER)
    with pytest.raises(ValidationError, match="Chi bộ cơ sở chỉ được đặt dưới Đảng bộ cấp trên cơ sở"):
        found_unit(None, name="Chi bộ lạc chỗ", kind=UnitKind.GRASSROOTS_CELL, parent=city.district, on=LATER)
    # The rule is data: allowing it is a row, not a change of code.
    UnitForm.objects.get(code=UnitKind.GRASSROOTS_CELL).parents.add("huyen")
    found_unit(None, name="Chi bộ được phép", kind=UnitKind.GRASSROOTS_CELL, parent=city.district, on=LATER)
    assert version(city.district, LATER).get_kind_display() == "Đảng bộ huyện"


def test_the_city_sums_its_levels_on_each_side_of_the_move(city):
    top, bloc, district, moved = (version(u, MOVED) for u in (city.top, city.bloc, city.district, city.moved))
    after = subtree_figures(top, MOVED)
    assert set(after) == {bloc.path, district.path}
    # The grassroots committee two levels down is counted in its district's row.
    assert after[district.path]["total"] == hand_member_counts(moved.path, MOVED)["total"] > 0
    assert after[district.path]["units_grassroots_committee"] == 1
    assert after[bloc.path]["total"] == hand_member_counts(bloc.path, MOVED)["total"]
    total = summed(after)
    assert total["total"] == hand_member_counts(top.path, MOVED)["total"]
    assert total["units_superior"] == 2
    assert total["female"] == hand_member_counts(top.path, MOVED)["female"]
    # The day before, the bloc stood alone and held the committee: the city counted nobody.
    assert summed(subtree_figures(version(city.top, BEFORE), BEFORE)).get("total", 0) == 0
    bloc_before = summed(subtree_figures(version(city.bloc, BEFORE), BEFORE))
    assert bloc_before["total"] == after[bloc.path]["total"] + after[district.path]["total"]


def test_the_reference_day_is_unchanged_at_the_demo_committee(city, reference_day):
    root = version(city.bloc, reference_day)
    assert root.parent_id is None
    total = summed(subtree_figures(root, reference_day))
    counts = (
        total["units_grassroots_committee"] + total["units_grassroots_cell"],
        total["units_sub_committee"],
        total["units_attached_cell"],
        total["total"],
    )
    assert counts == (62, 10, 442, 4466)


CITY_PAGES = [
    "/", "/?date=2026-12-01", "/dang-vien/?q=nguyen", "/chi-tieu/", "/xep-loai/", "/sinh-hoat/tuan-thu/",
    "/nhiem-vu/", "/bao-cao/", "/ket-nap/", "/tai-khoan/", "/chat-luong-du-lieu/", "/xuat-du-lieu/",
    "/nhat-ky/", "/dang-vien/so-danh-sach/",
]  # fmt: skip


def logged_in_at_the_city(client, city, username: str, role: str):
    """`client`, logged in as a new account of `role` at the city committee."""
    user = User(username=username, role=role, unit_id=city.top.pk)
    user.set_password("demo")
    user.save()
    assert client.login(username=username, password="demo")
    return client


@pytest.fixture
def city_staff(city, client):
    return logged_in_at_the_city(client, city, "thanhuy-thu", Role.SUPERIOR_STAFF)


def test_every_page_answers_for_the_city(city_staff):
    # One test for all the pages: the city is built once (moving the demo committee under it).
    failed = {url: status for url in CITY_PAGES if (status := city_staff.get(url).status_code) != 200}
    assert failed == {}


def test_the_city_overview_lists_its_levels(city, city_staff):
    page = city_staff.get("/?date=2026-12-01").content.decode()
    assert "Đảng bộ thành phố Thử nghiệm" in page
    assert "Đảng bộ huyện Thử nghiệm" in page
    assert version(city.bloc, MOVED).name in page
    assert 'data-figure="superiors">2<' in page
    assert "<th class=\"num\">Tổ chức cơ sở đảng</th>" in page
    # The district's row counts the grassroots committee two levels below the city.
    grassroots = subtree_figures(version(city.top, MOVED), MOVED)[version(city.district, MOVED).path]
    assert grassroots["units_grassroots_committee"] == 1
    # The demo committee's own overview still opens from the city, on either side of the move.
    assert city_staff.get(f"/to-chuc/{city.bloc.pk}/?date=2026-12-01").status_code == 200
    assert city_staff.get(f"/to-chuc/{city.moved.pk}/?date=2026-12-01").status_code == 200


def test_the_bloc_does_not_see_the_city(city, as_user):
    client = as_user("khoi")
    assert client.get(f"/to-chuc/{city.top.pk}/?date=2026-12-01").status_code == 404
    assert client.get(f"/to-chuc/{city.district.pk}/?date=2026-12-01").status_code == 404
    # The committee moved to the district left khoi's subtree on that day, not before.
    assert client.get(f"/to-chuc/{city.moved.pk}/?date=2026-12-01").status_code == 404
    assert client.get(f"/to-chuc/{city.moved.pk}/?date=2026-11-30").status_code == 200


@pytest.fixture
def city_viewer(city, client):
    return logged_in_at_the_city(client, city, "xemtp-thu", Role.VIEWER)


def test_the_city_viewer_sees_the_aggregated_figures(city_viewer):
    urls = ["/?date=2026-12-01", "/chi-tieu/", "/xep-loai/", "/bao-cao/"]
    assert {url: city_viewer.get(url).status_code for url in urls} == dict.fromkeys(urls, 200)


def test_the_city_viewer_sees_the_city_total_and_no_person(city, city_viewer):
    page = city_viewer.get("/?date=2026-12-01").content.decode()
    total = hand_member_counts(version(city.top, MOVED).path, MOVED)["total"]
    assert f'data-figure="members">{vn.format_number(total)}<' in page
    member = Stint.unscoped.filter(unit__versions__path__startswith=version(city.moved, MOVED).path).first().member_id
    assert city_viewer.get(f"/dang-vien/{member}/").status_code == 404
