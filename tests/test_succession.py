"""A unit that joined another (`Succession`): the successor's staff read its history up to the day
it joined — its overview under the old name, its members' records — and nothing after, nor any
other unit's."""

from __future__ import annotations

import datetime

import pytest

from dangbo.accounts.models import Role, User
from dangbo.accounts.scope import Scope
from dangbo.members.models import Stint
from dangbo.orgs.actions import found_unit
from dangbo.orgs.models import Succession, Unit, UnitKind, UnitVersion

d = datetime.date
JOINED = d(2026, 12, 1)
BEFORE = JOINED - datetime.timedelta(days=1)


@pytest.fixture
def successor(demo, client):
    root = Unit.objects.get(pk=demo["root"])
    new = found_unit(None, name="Đảng bộ Hợp nhất Thử nghiệm", kind=UnitKind.GRASSROOTS_COMMITTEE, parent=root,
                     on=JOINED)  # fmt: skip
    Succession.objects.create(predecessor_id=demo["coso"], successor=new, on=JOINED, decision="Quyết định số 5")
    user = User(username="hopnhat", role=Role.GRASSROOTS_STAFF, unit=new)
    user.set_password("demo")
    user.save()
    assert client.login(username="hopnhat", password="demo")
    return new


def member_of(unit_id: int, on: datetime.date) -> int:
    path = UnitVersion.objects.on(on).get(unit_id=unit_id).path
    cells = UnitVersion.objects.on(on).filter(path__startswith=path).values("unit_id")
    return Stint.unscoped.official().open_on(on).filter(unit_id__in=cells).first().member_id


def test_the_successor_reads_the_predecessor_before_it_joined(demo, successor, client):
    page = client.get(f"/?date={BEFORE}").content.decode()
    old_name = UnitVersion.objects.on(BEFORE).get(unit_id=demo["coso"]).name
    assert 'id="predecessors"' in page and old_name in page
    assert client.get(f"/to-chuc/{demo['coso']}/?date={BEFORE}").status_code == 200
    assert client.get(f"/to-chuc/{demo['chibo']}/?date={BEFORE}").status_code == 200
    assert client.get(f"/dang-vien/{member_of(demo['coso'], BEFORE)}/").status_code == 200


def test_nothing_after_the_day_nor_elsewhere(demo, successor, client):
    assert client.get(f"/to-chuc/{demo['coso']}/?date={JOINED}").status_code == 404
    other = (
        UnitVersion.objects.on(BEFORE)
        .filter(parent_id=demo["root"], kind=UnitKind.GRASSROOTS_COMMITTEE)
        .exclude(unit_id=demo["coso"])
        .first()
    )
    assert client.get(f"/to-chuc/{other.unit_id}/?date={BEFORE}").status_code == 404
    assert client.get(f"/dang-vien/{member_of(other.unit_id, BEFORE)}/").status_code == 404


def test_earlier_generations_are_followed_and_bounded(demo, successor):
    # coso's committee had itself absorbed another committee in 2020: its history is read up to
    # the earlier of the two days.
    other = (
        UnitVersion.objects.on(d(2019, 12, 31))
        .filter(parent_id=demo["root"], kind=UnitKind.GRASSROOTS_COMMITTEE)
        .exclude(unit_id=demo["coso"])
        .first()
    )
    Succession.objects.create(predecessor_id=other.unit_id, successor_id=demo["coso"], on=d(2020, 1, 1))
    scope = Scope(unit_id=successor.pk, sees_people=True)
    assert {v.unit_id for v in scope.predecessors_on(d(2019, 12, 31))} == {demo["coso"], other.unit_id}
    assert {v.unit_id for v in scope.predecessors_on(d(2020, 1, 1))} == {demo["coso"]}
    assert scope.unit_held_on(other.unit_id, d(2019, 12, 31))
    assert not scope.unit_held_on(other.unit_id, d(2020, 1, 1))


def test_a_scope_without_predecessors_reads_its_versions_in_one_query(demo, django_assert_num_queries):
    scope = Scope(unit_id=demo["coso"], sees_people=True)
    with django_assert_num_queries(1):
        scope.root_on(BEFORE)
        scope.predecessors_on(BEFORE)
