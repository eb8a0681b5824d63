"""The city demo (`load_demo --city`): Hải Phòng's organisation around the session's demo
committee, built at a small scale inside the test's transaction (a few seconds). The committees
above the grassroots are not scaled: 118 under the city after 01/07/2025 at every scale."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from dangbo.accounts.models import Role, User
from dangbo.demo.city import CITY_DAY, CITY_MEMBERS, COMMITTEES_UNDER_CITY, MERGER, build_city
from dangbo.members.figures import subtree_figures
from dangbo.orgs.models import UnitKind, UnitVersion, form_rules

BEFORE = datetime.date(2025, 6, 30)
SCALE = 0.01


@pytest.fixture
def city(demo):
    return build_city(scale=SCALE, demo=demo, today=datetime.date(2026, 11, 27))


def _version(unit_id: int, day: datetime.date) -> UnitVersion:
    return UnitVersion.objects.on(day).get(unit_id=unit_id)


_OPEN_STINTS = """
    FROM members_stint s
    JOIN orgs_unitversion v ON v.unit_id = s.unit_id AND v.valid_from <= %(day)s
         AND (v.valid_to IS NULL OR v.valid_to > %(day)s)
    WHERE s.kind = 'official' AND s.start <= %(day)s AND (s."end" IS NULL OR s."end" > %(day)s)
      AND v.path LIKE %(prefix)s
"""


def _counted(path: str, day: datetime.date) -> tuple[int, int]:
    """(official stints open on `day` in the cells under `path` on that day, distinct members)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*), COUNT(DISTINCT s.member_id)" + _OPEN_STINTS, {"day": day, "prefix": path + "%"}
        )
        return cursor.fetchone()


def _members(path: str, day: datetime.date) -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT s.member_id" + _OPEN_STINTS, {"day": day, "prefix": path + "%"})
        return {row[0] for row in cursor.fetchall()}


def _sum(figures: dict, *measures: str) -> int:
    return sum(row.get(measure, 0) for row in figures.values() for measure in measures)


def test_the_city_around_the_demo(city, demo, reference_day):
    root = city["root"]
    # After the reform: 118 committees directly under the city, all above the grassroots.
    under = UnitVersion.objects.on(CITY_DAY).filter(parent_id=root)
    assert under.count() == COMMITTEES_UNDER_CITY
    assert set(under.values_list("kind", flat=True)) == {UnitKind.SUPERIOR}
    assert under.filter(form_id="xa").count() == COMMITTEES_UNDER_CITY - 4
    # Before it: the districts of both provinces (15 + 12) and the blocs; none after.
    districts = UnitVersion.objects.on(BEFORE).filter(form_id="huyen")
    assert districts.filter(parent_id=root).count() == 15
    assert districts.filter(parent_id=city["province"]).count() == 12
    assert not UnitVersion.objects.on(CITY_DAY).filter(form_id="huyen").exists()
    assert UnitVersion.objects.on(BEFORE).filter(parent_id=root).count() == 15 + 4
    # Hải Dương: its own tree before the merger, inside the city's after it.
    province = _version(city["province"], BEFORE)
    assert province.parent_id is None and province.form_id == "tinh"
    assert not UnitVersion.objects.on(CITY_DAY).filter(unit_id=city["province"]).exists()
    city_before, city_after = _version(root, BEFORE).path, _version(root, CITY_DAY).path
    hai_duong = UnitVersion.objects.on(BEFORE).under(province.path).exclude(unit_id=city["province"])
    moved = list(hai_duong.exclude(kind=UnitKind.SUPERIOR).values_list("unit_id", flat=True))
    assert moved and not UnitVersion.objects.on(BEFORE).filter(unit_id__in=moved, path__startswith=city_before)
    after = UnitVersion.objects.on(CITY_DAY).filter(unit_id__in=moved)
    assert after.count() == len(moved) and all(v.path.startswith(city_after) for v in after)
    # The People's Committee's committee, founded on the day, holds the blocs' grassroots units.
    ubnd = _version(city["ubnd"], CITY_DAY)
    assert ubnd.valid_from == MERGER and not UnitVersion.objects.on(BEFORE).filter(unit_id=city["ubnd"]).exists()
    assert UnitVersion.objects.on(CITY_DAY).filter(parent_id=city["ubnd"]).exists()

    # Every member counted once: the city's figures are the open official stints below it.
    for day in (reference_day, BEFORE, CITY_DAY, datetime.date(2026, 6, 30)):
        version = _version(root, day)
        stints, members = _counted(version.path, day)
        assert stints == members
        assert _sum(subtree_figures(version, day), "total") == members, day
    demo_on_city_day = _counted(_version(demo["root"], CITY_DAY).path, CITY_DAY)[1]
    scaled = round((CITY_MEMBERS - demo_on_city_day) * SCALE)
    assert _counted(city_after, CITY_DAY)[1] == demo_on_city_day + scaled
    # Hải Dương's members count in the city only from the merger on.
    from_province = _members(province.path, BEFORE)
    assert from_province and not from_province & _members(city_before, BEFORE)
    staying = from_province & _members("", MERGER)
    assert len(staying) > 0.95 * len(from_province) and staying <= _members(city_after, MERGER)

    # The demo committee is the city's agencies' bloc, its own figures unchanged.
    bloc = _version(demo["root"], reference_day)
    assert bloc.parent_id == root and bloc.path.startswith(_version(root, reference_day).path)
    figures = subtree_figures(bloc, reference_day)
    assert _sum(figures, "units_grassroots_committee", "units_grassroots_cell") == 62
    assert _sum(figures, "units_sub_committee") == 10
    assert _sum(figures, "units_attached_cell") == 442
    assert _sum(figures, "total") == 4466


def test_the_city_forms_and_logins(city):
    rules = form_rules()
    assert rules["thanh_pho"].at_top and rules["tinh"].at_top
    assert rules["huyen"].parents == {"thanh_pho", "tinh"}
    assert rules["xa"].parents == {"thanh_pho"}
    assert {"huyen", "xa"} <= rules["grassroots_committee"].parents
    assert "thanh_pho" in rules["superior"].parents
    # Every version sits where its form may, on the day it begins.
    versions = list(
        UnitVersion.objects.values_list("unit_id", "form_id", "kind", "parent_id", "valid_from", "valid_to")
    )
    by_unit: dict[int, list] = {}
    for version in versions:
        by_unit.setdefault(version[0], []).append(version)
    for _, form, kind, parent, start, _ in versions:
        if parent is None:
            assert rules[form or kind].at_top
            continue
        (above,) = [v for v in by_unit[parent] if v[4] <= start and (v[5] is None or start < v[5])]
        assert (above[1] or above[2]) in rules[form or kind].parents, (form or kind, above)
    staff, viewer = User.objects.get(username="thanhuy"), User.objects.get(username="xemtp")
    assert (staff.role, staff.unit_id) == (Role.SUPERIOR_STAFF, city["root"])
    assert (viewer.role, viewer.unit_id) == (Role.VIEWER, city["root"])
    assert staff.check_password("demo")


def test_the_command_refuses_a_scale_of_nothing(db):
    with pytest.raises(CommandError, match="Tỉ lệ phải lớn hơn 0"):
        call_command("load_demo", "--city", "--scale", "0", stdout=io.StringIO())


def test_the_city_overview_of_30_september_2025(city, demo, client):
    """The done-means page: the city's viewer sees the city's figures of 30/09/2025 — the total
    counted by hand, the 118 committees — with the demo committee among its units."""
    from dangbo.lib import vn

    assert client.login(username="xemtp", password="demo")
    root = _version(city["root"], CITY_DAY)
    total, _ = _counted(root.path, CITY_DAY)
    first = client.get(f"/?date={CITY_DAY}").content.decode()
    assert f'data-figure="members">{vn.format_number(total)}<' in first
    assert f'data-figure="superiors">{COMMITTEES_UNDER_CITY}<' in first
    assert f"Các đơn vị trực thuộc ({COMMITTEES_UNDER_CITY})" in first
    pages = first + client.get(f"/?date={CITY_DAY}&page=2").content.decode()
    assert f'href="/to-chuc/{demo["root"]}/?date={CITY_DAY}"' in pages
    # The demo committee's own overview, opened from the city, on the reference day.
    bloc = client.get(f"/to-chuc/{demo['root']}/?date=2024-09-30").content.decode()
    assert 'data-figure="members">4.466<' in bloc
