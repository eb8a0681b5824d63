"""The member list (/dang-vien/) and a member's record (/dang-vien/<id>/): who may see them, that the
list holds exactly the members counted by hand-written SQL, search, sorting, filters, sub-units,
pagination, query counts, and the Vietnamese error pages."""

from __future__ import annotations

import datetime
import unicodedata

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangbo.demo.builder import REFERENCE_DAY
from dangbo.lib import vn
from dangbo.members.actions import timeline_of
from dangbo.members.figures import AGE_BANDS
from dangbo.members.models import Member
from tests.helpers import hand_path

LIST = "/dang-vien/"
ON = REFERENCE_DAY.isoformat()  # "2024-09-30"
NOT_FOUND = "Không tìm thấy trang"
EMPTY = "Không có đảng viên nào phù hợp."
HUONG = "Nguyễn Thị Hường"


def detail(member_id: int) -> str:
    return f"/dang-vien/{member_id}/"


# --- hand-written SQL, independent of the app's ORM ---------------------------------------------


def hand_member_ids(unit_id: int, on: datetime.date) -> list[int]:
    """Members holding official activity on `on` in a unit that was under `unit_id` on `on`."""
    sql = """
        SELECT s.member_id FROM members_stint s
        JOIN orgs_unitversion v ON v.unit_id = s.unit_id
             AND v.valid_from <= %s AND (v.valid_to IS NULL OR v.valid_to > %s)
        WHERE s.kind = 'official' AND s.start <= %s AND (s."end" IS NULL OR s."end" > %s)
          AND v.path LIKE %s || '%%'
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [on, on, on, on, hand_path(unit_id, on)])
        return [row[0] for row in cursor.fetchall()]


def hand_member_ids_ever(unit_id: int) -> set[int]:
    """Members who ever had a stint in a unit that was ever under any path `unit_id` ever had."""
    sql = """
        SELECT DISTINCT s.member_id FROM members_stint s
        WHERE s.unit_id IN (
            SELECT v.unit_id FROM orgs_unitversion v
            JOIN orgs_unitversion r ON r.unit_id = %s AND v.path LIKE r.path || '%%'
        )
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [unit_id])
        return {row[0] for row in cursor.fetchall()}


# --- helpers -------------------------------------------------------------------------------------


def get_page(client, **params):
    params.setdefault("date", ON)
    response = client.get(LIST, params)
    assert response.status_code == 200, response.status_code
    return response, response.context["page"]


def all_rows(page) -> list:
    """Every stint of the whole list (all pages), in the list's order."""
    return list(page.paginator.object_list)


def member_ids(page) -> list[int]:
    return [s.member_id for s in page.object_list]


def huong(demo) -> Member:
    """The Nguyễn Thị Hường of chibo's cell (the demo has others elsewhere)."""
    in_cell = hand_member_ids(demo["chibo"], REFERENCE_DAY)
    return Member.unscoped.get(family_name="Nguyễn", middle_name="Thị", given_name="Hường", pk__in=in_cell)


def member_outside(unit_id: int, *, of_unit: int) -> Member:
    """A member with official activity in `of_unit` on the reference day who never was in `unit_id`."""
    ever = hand_member_ids_ever(unit_id)
    candidates = [m for m in hand_member_ids(of_unit, REFERENCE_DAY) if m not in ever]
    assert candidates, "the demo should hold such a member"
    return Member.unscoped.get(pk=min(candidates))


# --- access --------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["khoi", "coso", "chibo"])
def test_list_works(as_user, username):
    response = as_user(username).get(LIST, {"date": ON})
    assert response.status_code == 200
    assert response.context["page"].paginator.count > 0
    assert 'id="members"' in response.content.decode()


def test_viewer_gets_404_on_list_and_detail(as_user, demo):
    client = as_user("xem")
    response = client.get(LIST, {"date": ON})
    assert response.status_code == 404
    assert NOT_FOUND in response.content.decode()
    response = client.get(detail(huong(demo).pk))
    assert response.status_code == 404
    assert HUONG not in response.content.decode()


@pytest.mark.parametrize("url", [LIST, "detail"])
def test_anonymous_is_redirected_to_login(client, demo, url):
    if url == "detail":
        url = detail(huong(demo).pk)
    response = client.get(url)
    assert response.status_code == 302
    assert response.url == f"/dang-nhap/?next={url}"


# --- the list holds exactly the counted members --------------------------------------------------


@pytest.mark.parametrize("username, scope_key", [("khoi", "root"), ("coso", "coso"), ("chibo", "chibo")])
def test_list_matches_hand_sql(as_user, demo, username, scope_key):
    expected = hand_member_ids(demo[scope_key], REFERENCE_DAY)
    assert len(expected) == len(set(expected)), "a member holds two official stints on one day"
    response, page = get_page(as_user(username))
    assert page.paginator.count == len(expected)
    assert sorted(s.member_id for s in all_rows(page)) == sorted(expected)


def test_list_scopes_nest(as_user, demo):
    """chibo's cell lies in coso's committee, which lies in the whole tree."""
    counts = {u: get_page(as_user(u))[1].paginator.count for u in ("khoi", "coso", "chibo")}
    assert counts["khoi"] > counts["coso"] > counts["chibo"] > 0
    assert counts["khoi"] == 4466  # the reference figure (DOMAIN §11)


def test_list_follows_the_date(as_user, demo):
    """Another date gives the members counted on that date, not those of today."""
    client = as_user("khoi")
    day = datetime.date(2021, 1, 1)
    response, page = get_page(client, date=day.isoformat())
    assert response.context["on"] == day
    assert page.paginator.count == len(hand_member_ids(demo["root"], day))
    assert page.paginator.count != 4466


# --- search --------------------------------------------------------------------------------------


@pytest.mark.parametrize("q", ["nguyen thi huong", "NGUYEN THI HUONG", "Nguyễn Thị Hường", "hường", "  Huong  nguyen "])
def test_search_ignores_diacritics_and_case(as_user, q):
    response, page = get_page(as_user("chibo"), q=q)
    names = [s.member.full_name for s in page.object_list]
    assert HUONG in names
    assert all(vn.fold(word) in vn.fold(name) for name in names for word in q.split())
    assert HUONG in response.content.decode()


def test_search_narrows_the_list(as_user):
    client = as_user("chibo")
    everyone = get_page(client)[1].paginator.count
    found = get_page(client, q="nguyen thi huong")[1].paginator.count
    assert 1 <= found < everyone


def test_search_with_decomposed_input(as_user):
    """Input typed in NFD (as some keyboards send it) finds the same member."""
    _, page = get_page(as_user("chibo"), q=unicodedata.normalize("NFD", HUONG))
    assert HUONG in [s.member.full_name for s in page.object_list]


def test_search_folds_d_with_stroke(as_user, demo):
    """đ is folded by hand: a name with Đ/đ is found by typing d."""
    counted = hand_member_ids(demo["coso"], REFERENCE_DAY)
    member = Member.unscoped.filter(pk__in=counted, family_name__in=["Đỗ", "Đặng", "Đinh", "Đào", "Đoàn"]).first()
    assert member is not None
    q = vn.fold(member.full_name)
    assert "đ" not in q and q.startswith("d")
    _, page = get_page(as_user("coso"), q=q)
    assert member.pk in [s.member_id for s in all_rows(page)]
    _, page = get_page(as_user("coso"), q=q.upper())
    assert member.pk in [s.member_id for s in all_rows(page)]


def test_search_nothing_found(as_user):
    response, page = get_page(as_user("chibo"), q="xyzzyqwerty")
    assert page.paginator.count == 0
    html = response.content.decode()
    assert EMPTY in html
    assert 'id="members"' not in html


def test_search_stays_in_scope(as_user, demo, outsider):
    """The outsider's cell does not hold Nguyễn Thị Hường of chibo's cell."""
    username, cell = outsider
    hid = huong(demo).pk
    assert hid not in hand_member_ids(cell, REFERENCE_DAY)
    _, page = get_page(as_user(username), q="nguyen thi huong")
    assert hid not in member_ids(page)


# --- sorting -------------------------------------------------------------------------------------


def expected_order(stints) -> list[int]:
    keyed = [
        (vn.name_sort_key(s.member.family_name, s.member.middle_name, s.member.given_name), s.member_id) for s in stints
    ]
    return [member_id for _, member_id in sorted(keyed)]


@pytest.mark.parametrize("username", ["khoi", "coso", "chibo"])
def test_rows_sorted_by_given_name(as_user, username):
    _, page = get_page(as_user(username))
    assert len(page.object_list) > 1
    assert member_ids(page) == expected_order(page.object_list)


def test_whole_list_sorted_by_given_name(as_user):
    _, page = get_page(as_user("coso"))
    rows = all_rows(page)
    assert len(rows) > 50
    assert [s.member_id for s in rows] == expected_order(rows)


def test_sort_continues_across_pages(as_user):
    client = as_user("khoi")
    first = list(get_page(client)[1].object_list)
    second = list(get_page(client, page=2)[1].object_list)

    def key(s):
        return vn.name_sort_key(s.member.family_name, s.member.middle_name, s.member.given_name)

    assert key(first[-1]) <= key(second[0])


# --- filters -------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["coso", "khoi"])
def test_filter_status(as_user, username):
    client = as_user(username)
    total = get_page(client)[1].paginator.count
    counts = {}
    for status in ("official", "probationary"):
        response, page = get_page(client, status=status)
        assert response.context["filters"]["status"] == status
        rows = all_rows(page)
        assert rows
        assert all(s.status == status for s in rows)
        assert all(timeline_of(s.member).status_on(REFERENCE_DAY) == status for s in rows[:50])
        counts[status] = page.paginator.count
    assert counts["official"] + counts["probationary"] == total
    assert counts["probationary"] > 0


@pytest.mark.parametrize("username", ["coso", "khoi"])
def test_filter_sex(as_user, username):
    client = as_user(username)
    total = get_page(client)[1].paginator.count
    counts = {}
    for sex in ("M", "F"):
        _, page = get_page(client, sex=sex)
        rows = all_rows(page)
        assert rows
        assert all(s.member.sex == sex for s in rows)
        counts[sex] = page.paginator.count
    assert counts["M"] + counts["F"] == total


@pytest.mark.parametrize("username", ["coso", "khoi"])
def test_filter_age(as_user, username):
    client = as_user(username)
    total = get_page(client)[1].paginator.count
    counts = {}
    for key, _label, low, high in AGE_BANDS:
        _, page = get_page(client, age=key)
        for s in all_rows(page):
            age = vn.age_on(s.member.birth_date, REFERENCE_DAY)
            assert age >= low and (high is None or age <= high), (key, age)
        counts[key] = page.paginator.count
    assert sum(counts.values()) == total
    assert sum(1 for c in counts.values() if c) >= 3


def test_filters_combine(as_user):
    client = as_user("coso")
    _, page = get_page(client, status="official", sex="F", age="31_40")
    rows = all_rows(page)
    assert rows
    for s in rows:
        assert s.status == "official" and s.member.sex == "F"
        assert 31 <= vn.age_on(s.member.birth_date, REFERENCE_DAY) <= 40
    assert page.paginator.count < get_page(client, status="official", sex="F")[1].paginator.count


def test_unknown_filter_values_are_ignored(as_user):
    client = as_user("chibo")
    total = get_page(client)[1].paginator.count
    assert get_page(client, status="bogus", sex="X", age="1_2")[1].paginator.count == total


# --- sub-units -----------------------------------------------------------------------------------


def test_unit_filter_restricts_to_a_sub_unit(as_user, demo):
    expected = hand_member_ids(demo["chibo"], REFERENCE_DAY)
    for username in ("coso", "khoi"):
        response, page = get_page(as_user(username), unit=demo["chibo"])
        assert response.context["unit"].unit_id == demo["chibo"]
        assert sorted(s.member_id for s in all_rows(page)) == sorted(expected)


def test_unit_filter_to_a_committee(as_user, demo):
    _, page = get_page(as_user("khoi"), unit=demo["coso"])
    assert page.paginator.count == len(hand_member_ids(demo["coso"], REFERENCE_DAY))


def test_unit_column_is_the_name_on_the_date(as_user, demo):
    """The "Chi bộ" column shows each row's unit under its name valid on the chosen date."""
    sql = """
        SELECT unit_id, name FROM orgs_unitversion
        WHERE valid_from <= %s AND (valid_to IS NULL OR valid_to > %s)
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [REFERENCE_DAY, REFERENCE_DAY])
        names = dict(cursor.fetchall())
    response, page = get_page(as_user("coso"))
    rows = list(page.object_list)
    assert rows
    assert all(s.unit_name == names[s.unit_id] for s in rows)
    assert names[rows[0].unit_id] in response.content.decode()


def test_sub_units_offered_are_in_scope(as_user, demo):
    response, _ = get_page(as_user("coso"))
    sub_units = response.context["sub_units"]
    assert demo["chibo"] in {v.unit_id for v in sub_units}
    assert all(v.parent_id == demo["coso"] for v in sub_units)


@pytest.mark.parametrize("target", ["coso", "root", "outsider"])
def test_unit_outside_scope_is_404(as_user, demo, outsider, target):
    unit_id = outsider[1] if target == "outsider" else demo[target]
    response = as_user("chibo").get(LIST, {"date": ON, "unit": unit_id})
    assert response.status_code == 404
    assert NOT_FOUND in response.content.decode()


def test_committee_cannot_filter_another_committees_cell(as_user, outsider):
    response = as_user("coso").get(LIST, {"date": ON, "unit": outsider[1]})
    assert response.status_code == 404


def test_unit_that_does_not_exist_is_404(as_user):
    assert as_user("khoi").get(LIST, {"date": ON, "unit": 987654321}).status_code == 404


@pytest.mark.parametrize("unit", ["²", "99999999999999999999999"])
def test_malformed_unit_is_not_a_server_error(as_user, unit):
    client = as_user("khoi")
    client.raise_request_exception = False
    response = client.get(LIST, {"date": ON, "unit": unit})
    assert response.status_code in (200, 404)


def test_non_numeric_unit_is_ignored(as_user, demo):
    client = as_user("coso")
    total = get_page(client)[1].paginator.count
    for unit in ("abc", "-1", ""):
        response, page = get_page(client, unit=unit)
        assert response.context["unit"].unit_id == demo["coso"]
        assert page.paginator.count == total


# --- pagination ----------------------------------------------------------------------------------


def test_pagination(as_user):
    client = as_user("khoi")
    response, first = get_page(client)
    _, second = get_page(client, page=2)
    assert first.paginator.per_page == 50
    assert len(first.object_list) == 50
    assert len(second.object_list) == 50
    assert second.number == 2
    assert not set(member_ids(first)) & set(member_ids(second))
    assert first.paginator.num_pages == -(-4466 // 50)
    html = response.content.decode()
    assert "Trang sau" in html
    assert "page=2" in html


def test_last_and_out_of_range_pages(as_user):
    client = as_user("khoi")
    pages = -(-4466 // 50)
    _, last = get_page(client, page=pages)
    assert last.number == pages
    assert len(last.object_list) == 4466 - 50 * (pages - 1)
    _, beyond = get_page(client, page=9999)
    assert beyond.number == pages
    _, junk = get_page(client, page="abc")
    assert junk.number == 1


# --- query counts --------------------------------------------------------------------------------


def count_queries(client, **params) -> int:
    params.setdefault("date", ON)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST, params)
    assert response.status_code == 200
    return len(queries)


def test_list_query_count_does_not_grow(as_user, demo):
    khoi = as_user("khoi")
    assert len(khoi.get(LIST, {"date": ON}).context["page"].object_list) == 50
    counts = {
        "khoi": count_queries(khoi),
        "khoi page 2": count_queries(khoi, page=2),
        "khoi search": count_queries(khoi, q="nguyen"),
        "khoi filtered": count_queries(khoi, status="official", sex="F", age="41_50"),
        "khoi unit": count_queries(khoi, unit=demo["coso"]),
    }
    chibo = as_user("chibo")
    assert len(chibo.get(LIST, {"date": ON}).context["page"].object_list) < 50
    counts["chibo"] = count_queries(chibo)
    counts["chibo search"] = count_queries(chibo, q="nguyen thi huong")
    # Choosing a sub-unit costs one lookup of that unit; nothing grows with the rows shown. A list of
    # a past day reads, in one query, which of the page's members have left the scope since; what
    # the page's cells belong to (the "Trực thuộc" column) is one more.
    assert counts["khoi unit"] <= counts["chibo"] + 1 <= 10, counts
    del counts["khoi unit"]
    assert len(set(counts.values())) == 1, counts
    assert max(counts.values()) <= 10, counts


def test_detail_query_count_is_bounded(as_user, demo):
    client = as_user("khoi")
    # The members with the most stints and with the most events, and one with few: the same count
    # (the attendance by year is one more query since cell meetings, the disciplines one more; the
    # units of stints and events named with what they belong to, one more; the member's own audit
    # trail for staff, one more, and the logging of the opening itself, one INSERT).
    busiest = []
    for table in ("members_stint", "members_event"):
        sql = f"SELECT member_id FROM {table} GROUP BY member_id ORDER BY COUNT(*) DESC, member_id LIMIT 1"
        with connection.cursor() as cursor:
            cursor.execute(sql)
            busiest.append(cursor.fetchone()[0])
    counts = set()
    for member_id in (*busiest, huong(demo).pk):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(detail(member_id), {"date": ON})
        assert response.status_code == 200
        assert len(queries) <= 15, [q["sql"] for q in queries]
        counts.add(len(queries))
    assert len(counts) == 1, counts


# --- the member's record -------------------------------------------------------------------------


def test_detail_of_own_cell(as_user, demo):
    member = huong(demo)
    response = as_user("chibo").get(detail(member.pk), {"date": ON})
    assert response.status_code == 200
    html = response.content.decode()
    assert f"<h1>{HUONG}</h1>" in html
    assert 'id="history"' in html
    assert "Quá trình sinh hoạt đảng" in html
    stints = list(response.context["stints"])
    assert stints and all(s.member_id == member.pk for s in stints)
    assert demo["chibo"] in {s.unit_id for s in stints}
    cell_name = response.context["current"].unit_name
    assert cell_name and cell_name in html
    assert response.context["current"].unit_id == demo["chibo"]


def test_detail_linked_from_list(as_user):
    """Every name on chibo's list opens (200)."""
    client = as_user("chibo")
    _, page = get_page(client)
    for member_id in member_ids(page):
        assert client.get(detail(member_id)).status_code == 200


def test_detail_of_another_cell_is_404(as_user, demo, outsider):
    other = member_outside(demo["chibo"], of_unit=outsider[1])
    response = as_user("chibo").get(detail(other.pk))
    assert response.status_code == 404
    html = response.content.decode()
    assert NOT_FOUND in html
    assert other.full_name not in html


def test_detail_of_a_neighbouring_cell_is_404(as_user, demo):
    """A member of coso's committee who never was in chibo's cell."""
    other = member_outside(demo["chibo"], of_unit=demo["coso"])
    assert as_user("chibo").get(detail(other.pk)).status_code == 404
    assert as_user("coso").get(detail(other.pk)).status_code == 200


def test_outsider_cannot_open_chibos_member(as_user, demo, outsider):
    member = huong(demo)
    assert member.pk not in hand_member_ids_ever(outsider[1])
    response = as_user(outsider[0]).get(detail(member.pk))
    assert response.status_code == 404
    assert NOT_FOUND in response.content.decode()


def test_detail_outside_committee_is_404(as_user, demo, outsider):
    other = member_outside(demo["coso"], of_unit=outsider[1])
    response = as_user("coso").get(detail(other.pk))
    assert response.status_code == 404
    assert NOT_FOUND in response.content.decode()


def test_khoi_opens_anyone(as_user, demo, outsider):
    client = as_user("khoi")
    for member in (huong(demo), member_outside(demo["coso"], of_unit=outsider[1])):
        response = client.get(detail(member.pk))
        assert response.status_code == 200
        assert member.full_name in response.content.decode()
    # Also a member who left before the reference day, and one who arrives after it.
    former = Member.unscoped.filter(stints__end__lte=REFERENCE_DAY).exclude(stints__end__isnull=True).first()
    newcomer = Member.unscoped.filter(stints__start__gt=REFERENCE_DAY, admitted_on__gt=REFERENCE_DAY).first()
    for member in (former, newcomer):
        assert member is not None
        assert client.get(detail(member.pk)).status_code == 200


def test_detail_of_nonexistent_member_is_404(as_user):
    missing = (Member.unscoped.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1000
    response = as_user("khoi").get(detail(missing))
    assert response.status_code == 404
    assert NOT_FOUND in response.content.decode()


# --- dates ---------------------------------------------------------------------------------------


def test_invalid_date_on_list(as_user):
    response = as_user("chibo").get(LIST, {"date": "abc"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "không hợp lệ" in html
    assert response.context["date_error"]
    assert "page" in response.context


def test_invalid_date_on_detail(as_user, demo):
    response = as_user("chibo").get(detail(huong(demo).pk), {"date": "31/02/2024"})
    assert response.status_code == 200
    assert "không hợp lệ" in response.content.decode()


def test_typed_date_is_accepted(as_user):
    response = as_user("chibo").get(LIST, {"date": "30/09/2024"})
    assert response.status_code == 200
    assert response.context["on"] == REFERENCE_DAY
    assert "không hợp lệ" not in response.content.decode()


def test_search_matches_the_start_of_words_not_the_middle(as_user):
    """'huong' finds Hương and Hường but not Phương: each typed word starts a word of the name."""
    response = as_user("khoi").get(LIST, {"date": ON, "q": "huong"})
    names = [s.member.full_name for s in response.context["page"].object_list]
    assert names
    assert all(any(vn.fold(w).startswith("huong") for w in n.split()) for n in names)
    everyone = as_user("khoi").get(LIST, {"date": ON}).context["page"].paginator.object_list
    expected = sum(1 for s in everyone if any(w.startswith("huong") for w in s.member.search_name.split()))
    assert response.context["page"].paginator.count == expected
    assert any(s.member.given_name == "Phương" for s in everyone)  # the case the rule is for exists


def test_unit_choices_are_left_out_when_there_are_too_many(as_user, monkeypatch):
    from dangbo.members import views

    client = as_user("khoi")
    assert len(client.get(LIST, {"date": ON}).context["sub_units"]) == 62
    monkeypatch.setattr(views, "MAX_UNIT_CHOICES", 61)
    response = client.get(LIST, {"date": ON})
    assert response.context["sub_units"] == []
    assert 'name="unit"' not in response.content.decode()
    assert response.context["page"].paginator.count == 4466
