"""The overview (/ and /to-chuc/<id>/): reference figures, figures recomputed by hand-written SQL,
scope, dates, query counts."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangbo.demo.builder import HORIZON
from dangbo.orgs.models import UnitVersion
from tests.helpers import hand_member_counts

DATES = [
    datetime.date(2019, 1, 1),
    datetime.date(2021, 1, 1),
    datetime.date(2022, 6, 30),
    datetime.date(2024, 9, 30),
    datetime.date(2025, 7, 1),
    HORIZON,
]

PIPELINE_FIGURES = {"ceremonies", "probations", "overdue_recognitions", "certificates"}


def figures_on_page(response, keys=None) -> dict[str, int]:
    """The figures of the page's cards (the tree and members unless `keys` names others)."""
    html = response.content.decode()
    found = {key: int(value.replace(".", "")) for key, value in re.findall(r'data-figure="(\w+)">([\d.]+)<', html)}
    return {k: v for k, v in found.items() if (k in keys if keys else k not in PIPELINE_FIGURES)}


def hand_unit_counts(path: str, on: datetime.date) -> dict[str, int]:
    sql = """
        SELECT kind, COUNT(*) FROM orgs_unitversion
        WHERE valid_from <= %s AND (valid_to IS NULL OR valid_to > %s) AND path LIKE %s AND path <> %s
        GROUP BY kind
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [on, on, path + "%", path])
        return dict(cursor.fetchall())


def hand_members_with_birth(path: str, on: datetime.date) -> list[tuple[datetime.date, str]]:
    sql = """
        SELECT m.birth_date, m.theory_level FROM members_stint s
        JOIN members_member m ON m.id = s.member_id
        JOIN orgs_unitversion v ON v.unit_id = s.unit_id
             AND v.valid_from <= %s AND (v.valid_to IS NULL OR v.valid_to > %s)
        WHERE s.kind = 'official' AND s.start <= %s AND (s."end" IS NULL OR s."end" > %s) AND v.path LIKE %s
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [on, on, on, on, path + "%"])
        rows = cursor.fetchall()
    return [(b if isinstance(b, datetime.date) else datetime.date.fromisoformat(b), t) for b, t in rows]


def path_of(unit_id: int, on: datetime.date) -> str:
    return UnitVersion.objects.on(on).get(unit_id=unit_id).path


def test_reference_figures(as_user):
    """Done means: as khoi on 30/09/2024, 62 · 10 · 442 · 4.466 are on the page."""
    response = as_user("khoi").get("/?date=2024-09-30")
    assert response.status_code == 200
    html = response.content.decode()
    assert figures_on_page(response) == {"grassroots": 62, "sub_committees": 10, "attached_cells": 442, "members": 4466}
    assert ">4.466<" in html  # Vietnamese thousands separator
    assert "Đảng bộ Khối các cơ quan thành phố" in html


def test_sub_units_add_up_to_the_totals(as_user):
    overview = as_user("khoi").get("/?date=2024-09-30").context["overview"]
    rows = overview.rows
    assert sum(r.figures.members["total"] for r in rows) + overview.own.members["total"] == 4466
    assert sum(r.figures.grassroots for r in rows) == 62
    assert sum(r.figures.sub_committees for r in rows) == 10
    assert sum(r.figures.attached_cells for r in rows) == 442
    assert len(rows) == 62  # each direct sub-unit of the superior is a TCCS


@pytest.mark.parametrize("on", DATES)
@pytest.mark.parametrize("who", ["root", "coso", "chibo"])
def test_overview_matches_hand_sql(as_user, demo, who, on):
    unit_id = demo[who]
    response = as_user("khoi").get(f"/to-chuc/{unit_id}/?date={on:%Y-%m-%d}")
    assert response.status_code == 200
    overview = response.context["overview"]
    path = path_of(unit_id, on)
    expected = hand_member_counts(path, on)
    assert {k: overview.total.members[k] for k in expected} == expected
    assert dict(overview.total.units) == hand_unit_counts(path, on)
    for row in overview.rows:
        assert row.figures.members["total"] == hand_member_counts(row.version.path, on)["total"]
        assert sum(row.figures.units.values()) == sum(hand_unit_counts(row.version.path, on).values()) + 1


def test_age_and_theory_breakdowns_match_a_python_recount(as_user, demo, reference_day):
    overview = as_user("khoi").get("/?date=2024-09-30").context["overview"]
    people = hand_members_with_birth(path_of(demo["root"], reference_day), reference_day)

    def age(birth):
        d = reference_day
        return d.year - birth.year - ((d.month, d.day) < (birth.month, birth.day))

    bands = {"18_30": (18, 30), "31_40": (31, 40), "41_50": (41, 50), "51_60": (51, 60), "61_70": (61, 70)}
    for key, (low, high) in bands.items():
        assert overview.total.members[f"age_{key}"] == sum(1 for b, _ in people if low <= age(b) <= high), key
    assert overview.total.members["age_71_plus"] == sum(1 for b, _ in people if age(b) > 70)
    for level in ["none", "so_cap", "trung_cap", "cao_cap", "cu_nhan"]:
        assert overview.total.members[f"theory_{level}"] == sum(1 for _, t in people if t == level)
    assert sum(n for _, n, _ in overview.total.by_age) == 4466
    assert sum(n for _, n, _ in overview.total.by_theory) == 4466


def test_query_count_is_independent_of_the_size(as_user, demo):
    client = as_user("khoi")

    def count(url):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    # The whole committee, on two dates; then a committee, a cell and a unit that no longer exists.
    # The pipeline's deadline cards add up to six queries (the subtree's units, probationary stints,
    # their admissions, the candidates' certificates, the cells' names, the holidays).
    assert count("/?date=2024-09-30") == count("/?date=2019-01-01") <= 12
    unit_pages = {count(f"/to-chuc/{demo['coso']}/"), count(f"/to-chuc/{demo['chibo']}/?date=2021-01-01")}
    # (A page with no probationary member skips the queries of their admissions and cells' names.)
    assert max(unit_pages) <= 13


def test_tree_as_of_a_date_shows_units_founded_dissolved_and_renamed(as_user):
    client = as_user("khoi")
    before = client.get("/?date=2021-01-01").content.decode()
    reference = client.get("/?date=2024-09-30").content.decode()
    later = client.get(f"/?date={HORIZON:%Y-%m-%d}").content.decode()
    assert "Chi bộ Ban Quản lý các dự án giao thông" in before  # dissolved 30/06/2022
    assert "Chi bộ Ban Quản lý các dự án giao thông" not in reference
    assert "Đảng bộ Sở Ngoại vụ và Hợp tác quốc tế" not in reference  # founded 01/03/2025
    assert "Đảng bộ Sở Ngoại vụ và Hợp tác quốc tế" in later
    assert "Đảng bộ các cơ quan Đảng thành phố" in later  # renamed 01/07/2025
    assert "Đảng bộ các cơ quan Đảng thành phố" not in reference


def test_date_picker_and_default_date(as_user):
    html = as_user("khoi").get("/?date=2024-09-30").content.decode()
    assert 'type="date" name="date" value="2024-09-30"' in html
    assert "30/09/2024" in html
    assert as_user("khoi").get("/").context["on"] == datetime.date.today()


@pytest.mark.parametrize("bad", ["abc", "2024-02-30", "31/13/2024", "1800-01-01"])
def test_invalid_date_gives_a_message_not_an_error(as_user, bad):
    response = as_user("khoi").get("/", {"date": bad})
    assert response.status_code == 200
    assert "không hợp lệ" in response.content.decode()
    assert response.context["on"] == datetime.date.today()


def test_the_typed_vietnamese_date_format_is_accepted(as_user):
    response = as_user("khoi").get("/?date=30/09/2024")
    assert figures_on_page(response)["members"] == 4466


# --- scope -------------------------------------------------------------------------------------


def test_each_persona_sees_its_own_unit(as_user, demo, reference_day):
    for username, key in [("khoi", "root"), ("coso", "coso"), ("chibo", "chibo"), ("xem", "root")]:
        response = as_user(username).get("/?date=2024-09-30")
        assert response.status_code == 200
        assert response.context["root"].unit_id == demo[key], username
        expected = hand_member_counts(path_of(demo[key], reference_day), reference_day)["total"]
        assert figures_on_page(response)["members"] == expected


def test_drill_down_within_scope(as_user, demo):
    assert as_user("coso").get(f"/to-chuc/{demo['chibo']}/").status_code == 200
    assert as_user("khoi").get(f"/to-chuc/{demo['coso']}/").status_code == 200
    html = as_user("khoi").get("/").content.decode()
    assert f'href="/to-chuc/{demo["coso"]}/?date=' in html


@pytest.mark.parametrize(
    ("username", "target"),
    [("chibo", "coso"), ("chibo", "root"), ("coso", "root"), ("xem", "missing")],
)
def test_outsiders_get_404(as_user, demo, username, target):
    unit_id = demo.get(target, 99_999_999)
    response = as_user(username).get(f"/to-chuc/{unit_id}/")
    assert response.status_code == 404
    assert "Không tìm thấy trang" in response.content.decode()


def test_another_cell_is_404_for_chibo(as_user, outsider):
    _, other_cell = outsider
    assert as_user("chibo").get(f"/to-chuc/{other_cell}/").status_code == 404
    assert as_user("ngoai").get(f"/to-chuc/{other_cell}/").status_code == 200


def test_unit_not_in_the_tree_on_that_date_is_404(as_user):
    gone = UnitVersion.objects.get(name="Chi bộ Ban Quản lý các dự án giao thông")
    client = as_user("khoi")
    assert client.get(f"/to-chuc/{gone.unit_id}/?date=2021-01-01").status_code == 200
    assert client.get(f"/to-chuc/{gone.unit_id}/?date=2024-09-30").status_code == 404


def test_viewer_sees_figures_but_no_link_to_people(as_user):
    response = as_user("xem").get("/?date=2024-09-30")
    html = response.content.decode()
    assert figures_on_page(response)["members"] == 4466
    assert "/dang-vien/" not in html


def test_anonymous_is_sent_to_login(client, demo):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/dang-nhap/")


@pytest.mark.parametrize("unit_id", ["99999999999999999999999", "9223372036854775808"])
def test_an_id_beyond_the_database_range_is_404(as_user, unit_id):
    assert as_user("khoi").get(f"/to-chuc/{unit_id}/").status_code == 404
    assert as_user("khoi").get(f"/dang-vien/{unit_id}/").status_code == 404
