"""The list of rating rounds (/xep-loai/dot/): every period with its progress counted within the
user's scope, creating a round (its scheme and quota, listing who is rated) and listing it again;
and the round page (/xep-loai/dot/<id>/) read page by page or one cell at a time.

Expected figures are read by hand-written SQL, not by the code under test. A round's rows lie in the
cells of the user's subtree as the tree stood at the end of the period (today while it runs), as on
the round page.
"""

from __future__ import annotations

import datetime
import math
from urllib.parse import parse_qs, urlsplit

import lxml.html
import pytest
from django.db import connection
from django.utils import timezone

from dangbo.accounts.models import Role, User
from dangbo.audit.models import AuditEntry
from dangbo.ratings import actions
from dangbo.ratings.models import MemberRating, PeriodKind, RatingPeriod, UnitRating
from tests.helpers import is_vietnamese
from tests.test_rating_round import alert_of, hand_quota, hand_round_ids, hand_subtree_ids, quota_cards, shown_ids

d = datetime.date
ROUNDS = "/xep-loai/dot/"
ROUND = "/xep-loai/dot/{}/"
PER_PAGE = 50  # member rows per page of the round page (written out, not read from the views)
# The columns of a period's row, in the order of the page.
COLUMNS = ["listed", "exempted", "assessed", "proposed", "decided", "units", "units_decided"]


# --- helpers ---------------------------------------------------------------------------------------


def period_of(year: int) -> RatingPeriod:
    return RatingPeriod.objects.get(kind=PeriodKind.YEAR, year=year)


def tree_day(period: RatingPeriod) -> datetime.date:
    return min(period.ends_on, timezone.localdate())


def hand_progress(period: RatingPeriod, unit_id: int) -> dict[str, int]:
    """The period's progress among the rows lying under `unit_id` at the end of the period."""
    day = tree_day(period)
    under = """
        JOIN orgs_unitversion v ON v.unit_id = r.{column}
             AND v.valid_from <= %s AND (v.valid_to IS NULL OR v.valid_to > %s)
        JOIN orgs_unitversion top ON top.unit_id = %s
             AND top.valid_from <= %s AND (top.valid_to IS NULL OR top.valid_to > %s)
        WHERE r.period_id = %s AND v.path LIKE top.path || '%%'
    """
    params = [day, day, unit_id, day, day, period.pk]
    members = f"""
        SELECT COUNT(*),
               COALESCE(SUM(CASE WHEN r.exempted THEN 1 ELSE 0 END), 0),
               COALESCE(SUM(CASE WHEN r.self_level <> '' THEN 1 ELSE 0 END), 0),
               COALESCE(SUM(CASE WHEN r.proposed_level <> '' THEN 1 ELSE 0 END), 0),
               COALESCE(SUM(CASE WHEN r.decided_level <> '' THEN 1 ELSE 0 END), 0)
        FROM ratings_memberrating r {under.format(column="cell_id")}
    """
    units = f"""
        SELECT COUNT(*), COALESCE(SUM(CASE WHEN r.decided_level <> '' THEN 1 ELSE 0 END), 0)
        FROM ratings_unitrating r {under.format(column="unit_id")}
    """
    with connection.cursor() as cursor:
        cursor.execute(members, params)
        figures = list(cursor.fetchone())
        cursor.execute(units, params)
        figures += list(cursor.fetchone())
    return dict(zip(COLUMNS, (int(n) for n in figures)))


def shown_progress(html: str, period_id: int) -> dict[str, int]:
    row = lxml.html.fromstring(html).get_element_by_id(f"period-{period_id}")
    cells = [td.text_content().strip() for td in row.xpath('./td[@class="num"]')]
    return dict(zip(COLUMNS, (int(text.replace(".", "")) for text in cells)))


def period_ids_shown(html: str) -> list[int]:
    return [int(tr.get("id").removeprefix("period-")) for tr in lxml.html.fromstring(html).xpath('//tr[@id]')
            if tr.get("id").startswith("period-")]  # fmt: skip


def world() -> tuple[int, int, int, int]:
    """Every table creating or opening a round writes."""
    return (
        RatingPeriod.objects.count(),
        MemberRating.unscoped.count(),
        UnitRating.objects.count(),
        AuditEntry.objects.count(),
    )


def audit_mark() -> int:
    return AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def new_entries(mark: int) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(pk__gt=mark).order_by("pk"))


def status_messages(html: str) -> str:
    return " ".join(lxml.html.fromstring(html).xpath('//p[@role="status"]//text()'))


def hand_listing(day: datetime.date) -> tuple[int, int]:
    """Who a round ending on `day` lists: members holding official activity in a cell that day, and
    the organisations below the superior existing that day."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT COUNT(DISTINCT s.member_id) FROM members_stint s
               JOIN orgs_unitversion v ON v.unit_id = s.unit_id
                    AND v.valid_from <= %s AND (v.valid_to IS NULL OR v.valid_to > %s)
               WHERE s.kind = 'official' AND s.start <= %s AND (s."end" IS NULL OR s."end" > %s)
               AND v.kind IN ('attached_cell', 'grassroots_cell')""",
            [day, day, day, day],
        )
        members = cursor.fetchone()[0]
        cursor.execute(
            """SELECT COUNT(*) FROM orgs_unitversion WHERE kind <> 'superior' AND valid_from <= %s
               AND (valid_to IS NULL OR valid_to > %s)""",
            [day, day],
        )
        units = cursor.fetchone()[0]
    return members, units


def round_form(**changes) -> dict[str, str]:
    """What the form to create a round posts (a quarter of 2026, named by default), with `changes`."""
    data = {
        "action": "create", "kind": "quarter", "year": "2026", "name": "", "starts_on": "01/07/2026",
        "ends_on": "30/09/2026", "scheme": "levels", "excellent_min": "90", "good_min": "70", "done_min": "50",
        "quota_percent": "20", "quota_rounding": "floor",
    }  # fmt: skip
    return data | changes


def kept_in_form(html: str) -> dict[str, str]:
    """What the refused form shows in each of its fields."""
    form = lxml.html.fromstring(html).get_element_by_id("period-form")
    shown = {}
    for field in form.xpath(".//input[@name] | .//select[@name]"):
        name = field.get("name")
        if name in ("csrfmiddlewaretoken", "form_token"):  # not typed: drawn with the form
            continue
        if field.tag == "select":
            selected = field.xpath("./option[@selected]")
            shown[name] = selected[0].get("value") if selected else ""
        else:
            shown[name] = field.get("value") or ""
    return shown


def form_errors(html: str) -> str:
    form = lxml.html.fromstring(html).get_element_by_id("period-form")
    return " ".join(form.xpath('.//*[contains(concat(" ", @class, " "), " error ")]//text()'))


# --- 1. the list: every period, newest first, with its progress in the user's scope ----------------


def test_every_period_is_listed_newest_first(as_user, demo):
    # A round of a quarter starting later than the newest yearly round goes first.
    quarter = RatingPeriod.objects.create(name="Quý I năm 2026", kind=PeriodKind.QUARTER, year=2026,
                                          starts_on=d(2026, 1, 1), ends_on=d(2026, 3, 31))  # fmt: skip
    response = as_user("khoi").get(ROUNDS)
    assert response.status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM ratings_ratingperiod ORDER BY starts_on DESC")
        expected = [row[0] for row in cursor.fetchall()]
    assert period_ids_shown(response.content.decode()) == expected
    assert expected[0] == quarter.pk and len(expected) == 7


@pytest.mark.parametrize("year", [2024, 2025])
def test_khoi_sees_the_progress_of_the_whole_tree(as_user, demo, year):
    period = period_of(year)
    shown = shown_progress(as_user("khoi").get(ROUNDS).content.decode(), period.pk)
    assert shown == hand_progress(period, demo["root"])
    # The whole tree is every row of the period.
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM ratings_memberrating WHERE period_id = %s", [period.pk])
        everyone = cursor.fetchone()[0]
        cursor.execute("SELECT COUNT(*) FROM ratings_unitrating WHERE period_id = %s", [period.pk])
        organisations = cursor.fetchone()[0]
    assert (shown["listed"], shown["units"]) == (everyone, organisations)
    if year == 2024:  # decided throughout
        assert shown["decided"] == shown["listed"] - shown["exempted"] > 0
        assert shown["units_decided"] == shown["units"]
    else:  # under way: self-assessed, some proposals, nothing decided
        assert shown["assessed"] > shown["proposed"] > 0
        assert shown["decided"] == shown["units_decided"] == 0


@pytest.mark.parametrize("year", [2024, 2025])
def test_coso_sees_the_progress_of_his_committee_only(as_user, demo, year):
    period = period_of(year)
    shown = shown_progress(as_user("coso").get(ROUNDS).content.decode(), period.pk)
    expected = hand_progress(period, demo["coso"])
    assert shown == expected
    assert expected["listed"] == len(hand_round_ids(period.pk, "grassroots_id = %s", [demo["coso"]]))
    assert 0 < shown["listed"] < hand_progress(period, demo["root"])["listed"]


def test_chibo_sees_the_progress_of_his_cell_only(as_user, demo):
    html = as_user("chibo").get(ROUNDS).content.decode()
    for year in (2023, 2024, 2025):
        period = period_of(year)
        shown = shown_progress(html, period.pk)
        assert shown == hand_progress(period, demo["chibo"])
        assert shown["listed"] == len(hand_round_ids(period.pk, "cell_id = %s", [demo["chibo"]])) > 0
        assert shown["units"] == 1  # the cell itself


def test_the_progress_follows_the_workflow(as_user, demo):
    period = period_of(2025)
    coso = User.objects.get(username="coso")
    before = {who: shown_progress(as_user(who).get(ROUNDS).content.decode(), period.pk) for who in ("khoi", "coso")}
    # Two proposed members of coso's committee outside chibo's cell decided as proposed.
    rows = (
        MemberRating.unscoped.filter(period=period, grassroots_id=demo["coso"], exempted=False, decided_level="")
        .exclude(cell_id=demo["chibo"]).exclude(proposed_level="").filter(proposed_level__in=["good", "done"])
        .order_by("pk")[:2]
    )  # fmt: skip
    assert len(rows) == 2
    actions.decide(coso, {r.pk: (r.proposed_level, r.proposed_score) for r in rows}, period)
    for who in ("khoi", "coso"):
        after = shown_progress(as_user(who).get(ROUNDS).content.decode(), period.pk)
        assert after == before[who] | {"decided": before[who]["decided"] + 2}
    # Chibo's cell is unchanged.
    chibo = shown_progress(as_user("chibo").get(ROUNDS).content.decode(), period.pk)
    assert chibo == hand_progress(period, demo["chibo"]) and chibo["decided"] == 0


def test_a_period_links_to_its_round_only_where_the_user_has_rows(as_user, demo):
    empty = RatingPeriod.objects.create(name="Đợt chưa lập danh sách", kind=PeriodKind.AD_HOC,
                                        starts_on=d(2026, 2, 1), ends_on=d(2026, 2, 28))  # fmt: skip
    page = lxml.html.fromstring(as_user("coso").get(ROUNDS).content.decode())
    assert page.get_element_by_id(f"period-{empty.pk}").xpath(".//a") == []
    link = page.get_element_by_id(f"period-{period_of(2025).pk}").xpath(".//a/@href")
    assert link == [ROUND.format(period_of(2025).pk)]


def test_xem_gets_404_and_anonymous_is_sent_to_log_in(client, as_user, demo):
    response = client.get(ROUNDS)
    assert response.status_code == 302 and response.url.startswith("/dang-nhap/")
    before = world()
    viewer = as_user("xem")
    assert viewer.get(ROUNDS).status_code == 404
    assert viewer.post(ROUNDS, round_form()).status_code == 404
    assert viewer.post(ROUNDS, {"action": "open", "period": period_of(2025).pk}).status_code == 404
    assert world() == before


@pytest.mark.parametrize("username, sets", [("khoi", True), ("admin", True), ("coso", False), ("chibo", False)])
def test_only_the_top_committees_staff_and_the_administrator_set_up_rounds(as_user, demo, username, sets):
    html = as_user(username).get(ROUNDS).content.decode()
    page = lxml.html.fromstring(html)
    assert ("Tạo đợt đánh giá mới" in html) is sets
    assert bool(page.xpath('//form[@id="period-form"]')) is sets
    buttons = page.xpath('//button[@name="action"][@value="open"]')
    assert len(buttons) == (RatingPeriod.objects.count() if sets else 0)
    assert ("Lập danh sách" in html) is sets


def test_staff_of_a_committee_below_the_top_do_not_set_up_rounds(client, demo):
    user = User(username="captren", role=Role.SUPERIOR_STAFF, unit_id=demo["coso"])
    user.set_password("demo")
    user.save()
    client.force_login(user)
    html = client.get(ROUNDS).content.decode()
    assert 'id="period-form"' not in html and 'value="open"' not in html
    before = world()
    assert client.post(ROUNDS, round_form()).status_code == 403
    assert world() == before


@pytest.mark.parametrize("username", ["coso", "chibo"])
def test_coso_and_chibo_may_neither_create_nor_open_a_round(as_user, demo, username):
    client = as_user(username)
    before = world()
    assert client.post(ROUNDS, round_form()).status_code == 403
    assert client.post(ROUNDS, {"action": "open", "period": period_of(2025).pk}).status_code == 403
    assert world() == before


def test_the_list_costs_few_queries_and_one_more_per_distinct_end_of_period(
    as_user, demo, django_assert_max_num_queries
):
    client = as_user("khoi")
    # Measured: session, user, top-unit check, the periods, two progress queries, and the scope's unit
    # as it stood at the end of each period (6 demo periods: 6 days; the 12 added below share one).
    with django_assert_max_num_queries(6 + 6):
        assert client.get(ROUNDS).status_code == 200
    coso = MemberRating.unscoped.filter(period=period_of(2025), grassroots_id=demo["coso"]).order_by("pk")[:20]
    for i in range(12):
        period = RatingPeriod.objects.create(name=f"Đợt đột xuất {i + 1}", kind=PeriodKind.AD_HOC,
                                             starts_on=d(2019, 1, 1 + i), ends_on=d(2019, 2, 1))  # fmt: skip
        MemberRating.unscoped.bulk_create(
            MemberRating(period=period, member_id=r.member_id, cell_id=r.cell_id, grassroots_id=r.grassroots_id)
            for r in coso
        )
    with django_assert_max_num_queries(6 + 6 + 1):
        response = client.get(ROUNDS)
    assert len(period_ids_shown(response.content.decode())) == 18
    client = as_user("coso")
    with django_assert_max_num_queries(5 + 7):  # a grassroots organisation's staff: no top-unit check
        assert client.get(ROUNDS).status_code == 200


# --- 2. creating a round ---------------------------------------------------------------------------


def test_khoi_creates_a_quarter_round_named_by_default_and_listed_at_its_end(as_user, demo):
    client = as_user("khoi")
    khoi = User.objects.get(username="khoi")
    mark = audit_mark()
    response = client.post(ROUNDS, round_form())
    assert response.status_code == 302
    period = RatingPeriod.objects.order_by("-pk").first()
    assert response.url == ROUND.format(period.pk)
    assert period.name == "Đánh giá, xếp loại chất lượng quý III năm 2026"
    assert (period.kind, period.year, period.starts_on, period.ends_on) == ("quarter", 2026, d(2026, 7, 1),
                                                                            d(2026, 9, 30))  # fmt: skip
    assert (period.scheme, period.quota_percent, period.quota_rounding) == ("levels", 20, "floor")

    members, units = hand_listing(tree_day(period))
    assert MemberRating.unscoped.filter(period=period).count() == members > 4000
    assert UnitRating.objects.filter(period=period).count() == units > 400
    # Created and listed in one go, each audited, by khoi.
    entries = new_entries(mark)
    assert [e.action for e in entries] == ["rating_period_create", "open_rating_round"]
    assert {(e.actor_id, e.target_type, e.target_id) for e in entries} == {
        (khoi.pk, "ratings.ratingperiod", str(period.pk))
    }
    assert entries[0].after["name"] == period.name
    assert entries[1].after == {"members": members, "organisations": units}

    # The round page says so and shows the first grassroots organisation's rows.
    html = client.get(response.url).content.decode()
    message = status_messages(html)
    assert f"{period.name}: đã đưa {members // 1000}.{members % 1000:03} đảng viên và {units} tổ chức đảng" in message
    assert shown_ids(html)


def test_the_administrator_creates_a_scored_yearly_round_with_its_own_name_and_quota(as_user, demo):
    client = as_user("admin")
    data = round_form(kind="year", year="2026", name="Đánh giá năm 2026 (thí điểm)", starts_on="2026-01-01",
                      ends_on="31/12/2026", scheme="score", excellent_min="85", good_min="65", done_min="45",
                      quota_percent="25", quota_rounding="half_up")  # fmt: skip
    response = client.post(ROUNDS, data, follow=True)
    assert response.status_code == 200
    period = RatingPeriod.objects.get(kind=PeriodKind.YEAR, year=2026)
    assert response.redirect_chain == [(ROUND.format(period.pk), 302)]
    assert period.name == "Đánh giá năm 2026 (thí điểm)"
    fields = ("scheme", "excellent_min", "good_min", "done_min", "quota_percent", "quota_rounding", "ends_on")
    assert [getattr(period, f) for f in fields] == ["score", 85, 65, 45, 25, "half_up", d(2026, 12, 31)]
    # Listed as of today (the year runs still).
    members, units = hand_listing(timezone.localdate())
    counted = (MemberRating.unscoped.filter(period=period).count(), UnitRating.objects.filter(period=period).count())
    assert counted == (members, units)
    message = status_messages(response.content.decode())
    assert f"đã đưa {members // 1000}.{members % 1000:03} đảng viên và {units} tổ chức đảng" in message
    (opened,) = AuditEntry.objects.filter(action="open_rating_round", target_id=str(period.pk))
    assert opened.after == {"members": members, "organisations": units}
    assert opened.actor.username == "admin"
    assert AuditEntry.objects.filter(action="rating_period_create", target_id=str(period.pk)).count() == 1
    # The new round is listed first, with its progress.
    html = client.get(ROUNDS).content.decode()
    assert period_ids_shown(html)[0] == period.pk
    assert shown_progress(html, period.pk) == hand_progress(period, demo["root"])


@pytest.mark.parametrize(
    "changes, name",
    [
        ({"kind": "year", "year": "2026", "starts_on": "01/01/2026", "ends_on": "31/12/2026"},
         "Đánh giá, xếp loại chất lượng năm 2026"),
        ({"kind": "term", "year": "", "starts_on": "01/10/2025", "ends_on": "30/09/2030"},
         "Đánh giá, xếp loại chất lượng nhiệm kỳ 2025–2030"),
        ({"kind": "ad_hoc", "year": "", "starts_on": "01/03/2026", "ends_on": "15/04/2026"},
         "Đánh giá, xếp loại chất lượng đột xuất từ 01/03/2026 đến 15/04/2026"),
    ],
    ids=["year", "term", "ad-hoc"],
)  # fmt: skip
def test_a_round_without_a_name_is_named_by_its_kind_and_dates(as_user, demo, changes, name):
    response = as_user("khoi").post(ROUNDS, round_form(**changes))
    assert response.status_code == 302
    assert RatingPeriod.objects.order_by("-pk").first().name == name


REFUSALS = [
    # (changes to a valid form, words of the message)
    ({"kind": "year", "year": "2024", "starts_on": "01/01/2024", "ends_on": "31/12/2024"},
     "Đã có đợt đánh giá, xếp loại năm 2024."),
    ({"kind": "year", "year": "", "starts_on": "01/01/2026", "ends_on": "31/12/2026"}, "phải có năm"),
    ({"starts_on": "30/09/2026", "ends_on": "01/07/2026"}, "Ngày kết thúc đợt đánh giá phải sau ngày bắt đầu."),
    ({"starts_on": "01/07/2026", "ends_on": "01/07/2026"}, "Ngày kết thúc đợt đánh giá phải sau ngày bắt đầu."),
    ({"year": "2025"}, "Năm đánh giá phải nằm trong khoảng từ ngày đến ngày của đợt."),
    ({"excellent_min": "70", "good_min": "70"}, "Ngưỡng điểm phải giảm dần"),
    ({"good_min": "40"}, "Ngưỡng điểm phải giảm dần"),
    ({"excellent_min": "101", "good_min": "70"}, "trong thang 0–100"),
    ({"quota_percent": "0"}, "Tỷ lệ xuất sắc tối đa là một số từ 1 đến 100."),
    ({"quota_percent": "101"}, "Tỷ lệ xuất sắc tối đa là một số từ 1 đến 100."),
    ({"starts_on": "31/06/2026"}, "Ngày không hợp lệ"),
]  # fmt: skip


@pytest.mark.parametrize(
    "changes, words",
    REFUSALS,
    ids=["second-2024", "year-without-year", "end-before-start", "end-on-start", "year-outside-dates",
         "thresholds-equal", "thresholds-crossed", "threshold-above-100", "quota-0", "quota-101", "bad-date"],
)  # fmt: skip
def test_a_wrong_round_is_refused_with_a_vietnamese_message_keeping_what_was_typed(as_user, demo, changes, words):
    data = round_form(name="Đợt đã gõ tên", **changes)
    before = world()
    response = as_user("khoi").post(ROUNDS, data)
    assert response.status_code == 400
    html = response.content.decode()
    errors = form_errors(html)
    assert words in errors, errors
    assert is_vietnamese(errors)
    assert kept_in_form(html) == {k: v for k, v in data.items() if k != "action"}
    assert world() == before
    # The list is still shown, with the create form.
    assert period_of(2025).pk in period_ids_shown(html)


def test_a_second_round_of_the_same_kind_and_dates_is_refused(as_user, demo):
    client = as_user("khoi")
    assert client.post(ROUNDS, round_form()).status_code == 302
    first = RatingPeriod.objects.order_by("-pk").first()
    before = world()
    response = client.post(ROUNDS, round_form(name="Quý III lần hai", year=""))
    assert response.status_code == 400
    errors = form_errors(response.content.decode())
    assert f"Đã có đợt “{first.name}” cùng loại và cùng thời gian." in errors
    assert world() == before
    # Another kind over the same dates is a different round.
    assert client.post(ROUNDS, round_form(kind="ad_hoc")).status_code == 302
    assert RatingPeriod.objects.filter(starts_on=d(2026, 7, 1), ends_on=d(2026, 9, 30)).count() == 2


# --- 3. listing a round again ----------------------------------------------------------------------


def test_listing_a_round_again_adds_nobody(as_user, demo):
    client = as_user("khoi")
    assert client.post(ROUNDS, round_form()).status_code == 302
    period = RatingPeriod.objects.order_by("-pk").first()
    before = world()
    mark = audit_mark()
    response = client.post(ROUNDS, {"action": "open", "period": period.pk}, follow=True)
    assert response.redirect_chain == [(ROUNDS, 302)]
    assert f"{period.name}: đã đưa 0 đảng viên và 0 tổ chức đảng" in status_messages(response.content.decode())
    (entry,) = new_entries(mark)
    assert (entry.action, entry.target_id, entry.after) == (
        "open_rating_round", str(period.pk), {"members": 0, "organisations": 0},
    )  # fmt: skip
    assert world()[:3] == before[:3]


def test_listing_a_round_again_adds_those_missing_and_keeps_the_rest(as_user, demo):
    client = as_user("admin")
    assert client.post(ROUNDS, round_form()).status_code == 302
    period = RatingPeriod.objects.order_by("-pk").first()
    rows = MemberRating.unscoped.filter(period=period).order_by("pk")
    missing = list(rows.values_list("member_id", "cell_id")[:3])
    kept = rows[3]
    MemberRating.unscoped.filter(pk=kept.pk).update(self_level="good")
    MemberRating.unscoped.filter(pk__in=[r.pk for r in rows[:3]]).delete()
    unit = UnitRating.objects.filter(period=period).order_by("pk").first()
    unit_key = (unit.unit_id, unit.grassroots_id)
    unit.delete()
    response = client.post(ROUNDS, {"action": "open", "period": period.pk}, follow=True)
    assert "đã đưa 3 đảng viên và 1 tổ chức đảng" in status_messages(response.content.decode())
    assert set(missing) <= set(rows.values_list("member_id", "cell_id"))
    assert MemberRating.unscoped.get(pk=kept.pk).self_level == "good"
    assert UnitRating.objects.filter(period=period, unit_id=unit_key[0], grassroots_id=unit_key[1]).exists()
    assert (rows.count(), UnitRating.objects.filter(period=period).count()) == hand_listing(tree_day(period))


def test_listing_an_unknown_round_is_404(as_user, demo):
    missing = RatingPeriod.objects.order_by("-pk").values_list("pk", flat=True).first() + 1
    before = world()
    assert as_user("khoi").post(ROUNDS, {"action": "open", "period": missing}).status_code == 404
    assert as_user("khoi").post(ROUNDS, {"action": "open", "period": "abc"}).status_code == 404
    assert world() == before


# --- 4. the round page, page by page and cell by cell ----------------------------------------------


def walk(client, url: str, **params) -> list[str]:
    """Every page of a round, following the pager's “Trang sau” link from the first."""
    pages = []
    response = client.get(url, params)
    while True:
        assert response.status_code == 200
        html = response.content.decode()
        pages.append(html)
        following = lxml.html.fromstring(html).xpath('//nav[@class="pager"]/a[contains(., "Trang sau")]/@href')
        if not following:
            return pages
        assert len(pages) < 100
        response = client.get(url + following[0])


def params_of(href: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(href).query)


def test_cosos_round_is_read_page_by_page_and_the_pages_cover_his_committee(as_user, demo):
    period = period_of(2025)
    expected = hand_subtree_ids(period.pk, demo["coso"], tree_day(period))
    assert len(expected) > PER_PAGE
    pages = walk(as_user("coso"), ROUND.format(period.pk))
    assert len(pages) == math.ceil(len(expected) / PER_PAGE)
    seen: set[int] = set()
    for number, html in enumerate(pages, start=1):
        ids = shown_ids(html)
        assert ids.isdisjoint(seen)
        assert len(ids) == (PER_PAGE if number < len(pages) else len(expected) - PER_PAGE * (len(pages) - 1))
        assert f"Trang {number} / {len(pages)}" in html
        seen |= ids
    assert seen == expected


def test_a_page_beyond_the_last_or_not_a_number_falls_back(as_user, demo):
    period = period_of(2025)
    client = as_user("coso")
    pages = walk(client, ROUND.format(period.pk))
    last, first = shown_ids(pages[-1]), shown_ids(pages[0])
    assert shown_ids(client.get(ROUND.format(period.pk), {"page": 99}).content.decode()) == last
    for page in ("abc", "0", "-1", ""):
        response = client.get(ROUND.format(period.pk), {"page": page})
        assert response.status_code == 200
        ids = shown_ids(response.content.decode())
        assert ids in (first, last) and ids, page


def test_khoi_reads_a_chosen_grassroots_organisation_page_by_page(as_user, demo):
    period = period_of(2025)
    pages = walk(as_user("khoi"), ROUND.format(period.pk), tccs=demo["coso"])
    assert len(pages) >= 2
    # The pager keeps the organisation chosen.
    nav = lxml.html.fromstring(pages[0]).xpath('//nav[@class="pager"]/a/@href')
    assert params_of(nav[0]) == {"tccs": [str(demo["coso"])], "page": ["2"]}
    shown = set().union(*(shown_ids(html) for html in pages))
    assert shown == hand_round_ids(period.pk, "grassroots_id = %s", [demo["coso"]])


def test_coso_filters_the_round_to_chibos_cell(as_user, demo):
    period = period_of(2025)
    response = as_user("coso").get(ROUND.format(period.pk), {"chibo": demo["chibo"]})
    assert response.status_code == 200
    html = response.content.decode()
    assert shown_ids(html) == hand_round_ids(period.pk, "cell_id = %s", [demo["chibo"]])
    page = lxml.html.fromstring(html)
    assert page.xpath('//select[@name="chibo"]/option[@selected]/@value') == [str(demo["chibo"])]
    assert not page.xpath('//nav[@class="pager"]')
    # Every cell of the committee is offered, each once.
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(DISTINCT cell_id) FROM ratings_memberrating WHERE period_id = %s "
                       "AND grassroots_id = %s", [period.pk, demo["coso"]])  # fmt: skip
        cells = cursor.fetchone()[0]
    offered = page.xpath('//select[@name="chibo"]/option/@value')
    assert offered[0] == "" and len(offered[1:]) == len(set(offered[1:])) == cells


def test_a_cell_outside_the_organisation_is_not_a_filter(as_user, demo, outsider):
    _, elsewhere_cell = outsider
    period = period_of(2025)
    client = as_user("coso")
    first = shown_ids(client.get(ROUND.format(period.pk)).content.decode())
    for cell in (elsewhere_cell, "abc", 0):
        html = client.get(ROUND.format(period.pk), {"chibo": cell}).content.decode()
        assert shown_ids(html) == first
        assert lxml.html.fromstring(html).xpath('//select[@name="chibo"]/option[@selected]/@value') == []


def test_a_filtered_cell_is_paged_too_and_the_pager_keeps_the_filter(as_user, demo, monkeypatch):
    from dangbo.ratings import views

    monkeypatch.setattr(views, "ROUND_ROWS_PER_PAGE", 3)
    period = period_of(2025)
    pages = walk(as_user("coso"), ROUND.format(period.pk), chibo=demo["chibo"])
    expected = hand_round_ids(period.pk, "cell_id = %s", [demo["chibo"]])
    assert len(pages) == math.ceil(len(expected) / 3) >= 2
    ids = [shown_ids(html) for html in pages]
    assert sum(map(len, ids)) == len(expected) and set().union(*ids) == expected
    nav = lxml.html.fromstring(pages[1]).xpath('//nav[@class="pager"]/a/@href')
    assert all(params_of(href)["chibo"] == [str(demo["chibo"])] for href in nav)


def test_the_quota_cards_count_the_whole_organisation_when_one_cell_is_shown(as_user, demo):
    period = period_of(2025)
    coso = User.objects.get(username="coso")
    others = (
        MemberRating.unscoped.filter(period=period, grassroots_id=demo["coso"], exempted=False, decided_level="")
        .exclude(cell_id=demo["chibo"]).exclude(self_level="").order_by("pk")
    )  # fmt: skip
    good = [r for r in others if r.self_level == "good"][:10]
    excellent = [r for r in others if r.self_level == "excellent"][:1]
    assert len(good) == 10 and len(excellent) == 1
    actions.decide(coso, {r.pk: (r.self_level, r.self_score) for r in good + excellent}, period)
    expected = hand_quota(period.pk, demo["coso"])
    assert expected == ["11", "1 / 2", "1"]
    for who in ("coso", "chibo"):
        html = as_user(who).get(ROUND.format(period.pk), {"chibo": demo["chibo"]}).content.decode()
        assert quota_cards(html) == expected, who
        assert shown_ids(html) == hand_round_ids(period.pk, "cell_id = %s", [demo["chibo"]])
    html = as_user("coso").get(ROUND.format(period.pk), {"page": 2}).content.decode()
    assert quota_cards(html) == expected


def round_forms(html: str) -> list:
    """The forms that post to the round page (not the log-out form)."""
    return lxml.html.fromstring(html).xpath('//main//form[@method="post"][not(@action)]')


def hidden_inputs(form) -> dict[str, str]:
    return {i.get("name"): i.get("value") for i in form.xpath('.//input[@type="hidden"]')
            if i.get("name") != "csrfmiddlewaretoken"}  # fmt: skip


def test_every_form_of_a_page_carries_the_filter_and_the_page(as_user, demo):
    period = period_of(2025)
    client = as_user("coso")
    forms = round_forms(client.get(ROUND.format(period.pk), {"page": 2}).content.decode())
    assert len(forms) > 10
    for form in forms:
        hidden = hidden_inputs(form)
        assert (hidden["tccs"], hidden["page"]) == (str(demo["coso"]), "2")
        assert "chibo" not in hidden
    filtered = round_forms(client.get(ROUND.format(period.pk), {"chibo": demo["chibo"]}).content.decode())
    assert len(filtered) > 5
    for form in filtered:
        hidden = hidden_inputs(form)
        assert hidden["chibo"] == str(demo["chibo"]) and "page" not in hidden


def row_form(html: str, rating_id: int) -> dict[str, str]:
    """What a row's form posts as shown, without its button."""
    row = lxml.html.fromstring(html).get_element_by_id(f"rating-{rating_id}")
    (form,) = row.xpath(".//form")
    return dict(form.form_values())


def test_a_self_assessment_on_page_two_returns_to_page_two(as_user, demo):
    period = period_of(2025)
    client = as_user("coso")
    html = client.get(ROUND.format(period.pk), {"page": 2}).content.decode()
    assert not shown_ids(html) & shown_ids(client.get(ROUND.format(period.pk)).content.decode())
    rating = (
        MemberRating.unscoped.filter(pk__in=shown_ids(html), exempted=False, decided_level="").order_by("pk").first()
    )
    data = row_form(html, rating.pk) | {"action": "self", "level": "good", "score": "81", "text": "Trang hai"}
    response = client.post(ROUND.format(period.pk) + "?page=2", data)
    assert response.status_code == 302
    assert response.url == f"{ROUND.format(period.pk)}?tccs={demo['coso']}&page=2"
    rating.refresh_from_db()
    assert (rating.self_level, rating.self_score, rating.self_text) == ("good", 81, "Trang hai")
    after = client.get(response.url).content.decode()
    assert rating.pk in shown_ids(after)
    assert f"Đã lưu bản tự đánh giá của {rating.member.full_name}." in status_messages(after)


@pytest.mark.parametrize("username", ["coso", "chibo"])
def test_a_proposal_within_one_cell_returns_to_that_cell(as_user, demo, username):
    period = period_of(2025)
    client = as_user(username)
    html = client.get(ROUND.format(period.pk), {"chibo": demo["chibo"]}).content.decode()
    rating = MemberRating.unscoped.filter(pk__in=shown_ids(html), exempted=False).exclude(self_level="").first()
    level = rating.self_level
    data = row_form(html, rating.pk) | {"action": "propose", "level": level, "score": str(rating.self_score)}
    response = client.post(ROUND.format(period.pk), data)
    assert response.status_code == 302
    assert params_of(response.url) == {"tccs": [str(demo["coso"])], "chibo": [str(demo["chibo"])]}
    rating.refresh_from_db()
    assert (rating.proposed_level, rating.proposed_score) == (level, rating.self_score)


def test_a_decision_on_page_two_returns_to_page_two(as_user, demo):
    period = period_of(2025)
    client = as_user("coso")
    # the first page after the first with a member self-assessed "done" (decided so without a quota)
    for number in range(2, 10):
        html = client.get(ROUND.format(period.pk), {"page": number}).content.decode()
        rating = MemberRating.unscoped.filter(pk__in=shown_ids(html), exempted=False, self_level="done").first()
        if rating is not None:
            break
    assert rating is not None
    form = lxml.html.fromstring(html).get_element_by_id("decide-form")
    data = hidden_inputs(form) | {"action": "decide", "xac-nhan": "1", f"level-{rating.pk}": "done",
                                  f"score-{rating.pk}": str(rating.self_score)}  # fmt: skip
    response = client.post(ROUND.format(period.pk), data)
    assert response.status_code == 302
    assert params_of(response.url) == {"tccs": [str(demo["coso"])], "page": [str(number)]}
    rating.refresh_from_db()
    assert (rating.decided_level, rating.decided_score) == ("done", rating.self_score)


@pytest.mark.parametrize("where", ["page", "chibo"])
def test_a_refused_decision_shows_the_same_rows_again_with_what_was_posted(as_user, demo, where):
    period = period_of(2025)
    client = as_user("coso")
    query = {"page": 2} if where == "page" else {"chibo": demo["chibo"]}
    html = client.get(ROUND.format(period.pk), query).content.decode()
    shown = shown_ids(html)
    a, b = MemberRating.unscoped.filter(pk__in=shown, exempted=False).order_by("pk")[:2]
    form = lxml.html.fromstring(html).get_element_by_id("decide-form")
    data = hidden_inputs(form) | {"action": "decide", "xac-nhan": "1", f"level-{a.pk}": "excellent",
                                  f"score-{a.pk}": "80", f"level-{b.pk}": "good", f"score-{b.pk}": "75"}  # fmt: skip
    before = list(MemberRating.unscoped.filter(period=period).exclude(decided_level="").values_list("pk"))
    response = client.post(ROUND.format(period.pk), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "80 điểm" in alert_of(html) and is_vietnamese(alert_of(html))
    assert shown_ids(html) == shown
    page = lxml.html.fromstring(html)
    form = page.get_element_by_id("decide-form")
    for rating, level, score in ((a, "excellent", "80"), (b, "good", "75")):
        assert page.xpath(f'//select[@form="decide-form"][@name="level-{rating.pk}"]/option[@selected]/@value') == [
            level
        ]
        assert page.xpath(f'//input[@form="decide-form"][@name="score-{rating.pk}"]/@value') == [score]
    assert hidden_inputs(form) == hidden_inputs(lxml.html.fromstring(client.get(
        ROUND.format(period.pk), query).content.decode()).get_element_by_id("decide-form"))  # fmt: skip
    assert list(MemberRating.unscoped.filter(period=period).exclude(decided_level="").values_list("pk")) == before


# --- 5. the list and the page agree where cells moved --------------------------------------------


@pytest.fixture
def giaoduc(demo) -> tuple[User, int]:
    """Staff of the grassroots organisation that received a cell from another in April 2022."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT new.path FROM orgs_unitversion old JOIN orgs_unitversion new ON new.unit_id = old.unit_id
               AND new.valid_from = old.valid_to
               WHERE old.kind = 'attached_cell' AND old.valid_to = %s""",
            [d(2022, 4, 1)],
        )
        (path,) = cursor.fetchone()
        cursor.execute("SELECT unit_id FROM orgs_unitversion WHERE path = %s", [path[:16]])
        (unit_id,) = cursor.fetchone()
    user = User(username="giaoduc", role=Role.GRASSROOTS_STAFF, unit_id=unit_id)
    user.set_password("demo")
    user.save()
    return user, unit_id


def test_the_round_page_of_a_committee_that_received_a_cell_shows_its_rows_at_the_end_of_the_year(as_user, giaoduc):
    _, unit_id = giaoduc
    period = period_of(2021)
    pages = walk(as_user("giaoduc"), ROUND.format(period.pk))
    assert set().union(*(shown_ids(html) for html in pages)) == hand_subtree_ids(period.pk, unit_id, period.ends_on)


def test_the_list_counts_the_rows_the_round_page_shows_where_a_cell_moved(as_user, giaoduc):
    _, unit_id = giaoduc
    period = period_of(2021)  # the cell moved in April 2022
    html = as_user("giaoduc").get(ROUNDS).content.decode()
    assert shown_progress(html, period.pk)["listed"] == len(hand_subtree_ids(period.pk, unit_id, period.ends_on))
