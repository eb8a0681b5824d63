"""The rating round page at a committee's size (/xep-loai/dot/<id>/): filtered by step (and cell),
paged, each undecided member decided in their own row, a decision only with its confirmation box
ticked, and — when a batch is refused for the excellent-rating quota — the figures it was refused
on, equal to the numbers in the message, with who is proposed or decided excellent in the
grassroots organisation. The page's cost in queries does not grow with the round.

Expected rows are read by hand-written SQL, not by the code under test.
"""

from __future__ import annotations

import re

import lxml.html
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangbo.ratings import actions
from dangbo.ratings.models import MemberRating
from tests.helpers import is_vietnamese
from tests.test_rating_round import (
    alert_of,
    batch,
    coso_user,  # noqa: F401 — a fixture
    levels_period,  # noqa: F401 — a fixture
    quota_cards,
    rate,
    shown_ids,
    state,
)
from tests.test_rounds_page import hidden_inputs, period_of, walk

ROUND = "/xep-loai/dot/{}/"
# The steps, by their address value, as hand-written SQL conditions.
STEPS = {
    "chua-tu-danh-gia": "NOT exempted AND self_level = '' AND decided_level = ''",
    "cho-de-xuat": "NOT exempted AND self_level <> '' AND proposed_level = '' AND decided_level = ''",
    "cho-quyet-dinh": "NOT exempted AND proposed_level <> '' AND decided_level = ''",
    "de-xuat-xuat-sac": "NOT exempted AND proposed_level = 'excellent' AND decided_level = ''",
    "da-quyet-dinh": "NOT exempted AND decided_level <> ''",
    "mien": "exempted",
}
MAX_QUERIES = 30


def hand_ids(period_id: int, where: str, params=()) -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM ratings_memberrating WHERE period_id = %s AND {where}", [period_id, *params])
        return {row[0] for row in cursor.fetchall()}


def step_counts(html: str) -> dict[str, int]:
    """{step: the count its option shows} of the step filter."""
    options = lxml.html.fromstring(html).xpath('//form[@id="round-filter"]//select[@name="buoc"]/option')
    return {o.get("value"): int(re.search(r"\((\d+)\)$", o.text_content().strip())[1]) for o in options}


def decide_selects(html: str) -> set[int]:
    page = lxml.html.fromstring(html)
    return {int(s.get("name").removeprefix("level-")) for s in page.xpath('//select[@form="decide-form"]')}


# --- filtering by step --------------------------------------------------------------------------------------


@pytest.mark.parametrize("step", list(STEPS))
def test_coso_filters_his_committees_round_by_step(as_user, demo, step):
    period = period_of(2025)
    client = as_user("coso")
    expected = hand_ids(period.pk, f"grassroots_id = %s AND {STEPS[step]}", [demo["coso"]])
    pages = walk(client, ROUND.format(period.pk), buoc=step)
    shown = set().union(*(shown_ids(html) for html in pages))
    assert shown == expected, step
    assert step_counts(pages[0])[step] == len(expected)
    for html in pages:
        # every form of the page keeps the step, and the pager too
        for form in lxml.html.fromstring(html).xpath('//main//form[@method="post"]'):
            assert hidden_inputs(form).get("buoc") == step
        for href in lxml.html.fromstring(html).xpath('//nav[@class="pager"]/a/@href'):
            assert f"buoc={step}" in href


def test_the_step_counts_add_up_and_follow_the_cell(as_user, demo):
    period = period_of(2025)
    client = as_user("coso")
    counts = step_counts(client.get(ROUND.format(period.pk)).content.decode())
    everyone = hand_ids(period.pk, "grassroots_id = %s", [demo["coso"]])
    assert counts[""] == len(everyone)
    for step, where in STEPS.items():
        assert counts[step] == len(hand_ids(period.pk, f"grassroots_id = %s AND {where}", [demo["coso"]])), step
    cell = step_counts(client.get(ROUND.format(period.pk), {"chibo": demo["chibo"]}).content.decode())
    assert cell[""] == len(hand_ids(period.pk, "cell_id = %s", [demo["chibo"]]))
    for step, where in STEPS.items():
        assert cell[step] == len(hand_ids(period.pk, f"cell_id = %s AND {where}", [demo["chibo"]])), step


def test_chibo_filters_by_step_within_his_cell_only(as_user, demo):
    period = period_of(2025)
    html = as_user("chibo").get(ROUND.format(period.pk), {"buoc": "cho-de-xuat"}).content.decode()
    assert shown_ids(html) == hand_ids(period.pk, f"cell_id = %s AND {STEPS['cho-de-xuat']}", [demo["chibo"]])
    assert 'id="decide-form"' not in html and not decide_selects(html)


def test_an_unknown_step_shows_everyone(as_user, demo):
    period = period_of(2025)
    client = as_user("coso")
    plain = client.get(ROUND.format(period.pk)).content.decode()
    assert shown_ids(client.get(ROUND.format(period.pk), {"buoc": "khong-co"}).content.decode()) == shown_ids(plain)


def test_the_outsider_sees_nothing_of_cosos_committee_whatever_the_step(as_user, demo, outsider):
    period = period_of(2025)
    client = as_user(outsider[0])
    theirs = hand_ids(period.pk, "grassroots_id = %s", [demo["coso"]])
    for step in STEPS:
        response = client.get(ROUND.format(period.pk), {"tccs": demo["coso"], "buoc": step})
        assert response.status_code in (200, 404)
        assert shown_ids(response.content.decode()).isdisjoint(theirs)


# --- the decision, in the rows, confirmed -------------------------------------------------------------------


def test_the_decision_selects_are_the_undecided_rows_of_the_page(as_user, demo):
    period = period_of(2025)
    html = as_user("coso").get(ROUND.format(period.pk), {"page": 2}).content.decode()
    shown = shown_ids(html)
    undecided = hand_ids(period.pk, "NOT exempted AND decided_level = ''") & shown
    assert undecided and decide_selects(html) == undecided
    page = lxml.html.fromstring(html)
    for pk in undecided:  # each in its own row
        assert page.get_element_by_id(f"rating-{pk}").xpath(f'.//select[@name="level-{pk}"][@form="decide-form"]')
    box = page.xpath('//form[@id="decide-form"]//input[@type="checkbox"][@name="xac-nhan"]')
    assert len(box) == 1 and box[0].get("required") is not None


@pytest.mark.parametrize("confirmation", [{}, {"xac-nhan": ""}])
def test_a_decision_without_the_confirmation_decides_nothing_and_says_why(as_user, demo, confirmation):
    period = period_of(2025)
    rating = (
        MemberRating.unscoped.filter(period=period, cell_id=demo["chibo"], exempted=False, decided_level="")
        .exclude(self_level="")
        .first()
    )
    assert rating is not None
    before = state(period)
    data = {"action": "decide", "tccs": demo["coso"], "chibo": demo["chibo"], f"level-{rating.pk}": rating.self_level,
            f"score-{rating.pk}": str(rating.self_score), **confirmation}  # fmt: skip
    response = as_user("coso").post(ROUND.format(period.pk), data)
    assert response.status_code == 400
    message = alert_of(response.content.decode())
    assert "Chưa quyết định: hãy đánh dấu ô xác nhận." in message and is_vietnamese(message)
    assert state(period) == before
    # what was chosen is still chosen
    page = lxml.html.fromstring(response.content.decode())
    assert page.xpath(f'//select[@name="level-{rating.pk}"]/option[@selected]/@value') == [rating.self_level]


# --- refused for the quota: the figures, and who is excellent ------------------------------------------------


@pytest.fixture
def crowded(levels_period, coso_user, demo):  # noqa: F811
    """13 members of coso's committee in a round by levels: 5 decided good and 1 excellent (6 good
    or better allow 1), then 7 proposed: 2 good and 5 excellent."""
    people = rate(levels_period, demo["coso"], 13)
    actions.decide(coso_user, batch(people[:5], "good") | batch(people[5:6], "excellent"), levels_period)
    MemberRating.unscoped.filter(pk__in=[r.pk for r in people[6:8]]).update(self_level="good", proposed_level="good")
    MemberRating.unscoped.filter(pk__in=[r.pk for r in people[8:]]).update(self_level="excellent",
                                                                          proposed_level="excellent")  # fmt: skip
    return levels_period, people


def numbers_in(message: str) -> dict[str, int]:
    m = re.search(r"Với (\d+) đảng viên hoàn thành tốt nhiệm vụ trở lên, tối đa (\d+) đảng viên được xếp loại xuất "
                  r"sắc; đã quyết định (\d+), còn (\d+) chỗ; đề nghị này có (\d+)\.", message)  # fmt: skip
    assert m, message
    keys = ("good_or_better", "allowed", "decided_excellent", "remaining", "asked_excellent")
    return dict(zip(keys, map(int, m.groups()), strict=True))


def test_a_batch_refused_for_the_quota_shows_its_figures_and_who_is_excellent(as_user, demo, crowded):
    period, people = crowded
    client = as_user("coso")
    html = client.get(ROUND.format(period.pk)).content.decode()
    assert quota_cards(html) == ["6", "1 / 1", "0"]
    assert decide_selects(html) == {r.pk for r in people[6:]}
    # The proposals as the page fills them in, but one excellent left undecided: 2 good + 3 excellent.
    asked = people[8:11]
    data = hidden_inputs(lxml.html.fromstring(html).get_element_by_id("decide-form"))
    data |= {"action": "decide", "xac-nhan": "1"} | {f"level-{r.pk}": "good" for r in people[6:8]}
    data |= {f"level-{r.pk}": "excellent" for r in asked}
    before = state(period)
    response = client.post(ROUND.format(period.pk), data)
    assert response.status_code == 400
    html = response.content.decode()
    message = alert_of(html)
    assert "Vượt tỷ lệ đảng viên hoàn thành xuất sắc nhiệm vụ" in message and is_vietnamese(message)
    said = numbers_in(message)
    # 6 decided + 5 asked good or better = 11, 20% of which is 2 (rounded down): 1 decided, 1 left, 3 asked
    assert said == {"good_or_better": 11, "allowed": 2, "decided_excellent": 1, "remaining": 1, "asked_excellent": 3}
    panel = lxml.html.fromstring(html).get_element_by_id("quota-refused")
    shown = {b.get("data-figure"): int(b.text_content()) for b in panel.xpath(".//b[@data-figure]")}
    assert shown == said
    # the cards of what is decided agree with the message too
    assert quota_cards(html) == ["6", f"{said['decided_excellent']} / 1", "0"]
    # who is excellent: decided (1), asked in the batch (3), proposed and left out of it (2)
    listed = {
        int(tr.get("id").removeprefix("excellent-")) for tr in panel.xpath('.//tr[starts-with(@id, "excellent-")]')
    }
    assert listed == {people[5].pk} | {r.pk for r in people[8:]}
    words = {int(tr.get("id").removeprefix("excellent-")): tr.text_content() for tr in panel.xpath(".//tbody/tr")}
    assert "Đã quyết định xuất sắc" in words[people[5].pk]
    assert all("Xuất sắc trong đề nghị vừa gửi" in words[r.pk] for r in asked)
    assert all("Chi bộ đề xuất xuất sắc, chưa quyết định" in words[r.pk] for r in people[11:])
    for r in people[5:6] + people[8:]:
        assert r.member.full_name in panel.text_content()
    assert state(period) == before
    # the posted choices are kept in the rows
    page = lxml.html.fromstring(html)
    for r in asked:
        assert page.xpath(f'//select[@name="level-{r.pk}"]/option[@selected]/@value') == ["excellent"]


def test_no_quota_panel_without_a_quota_refusal(as_user, demo, crowded):
    period, people = crowded
    html = as_user("coso").get(ROUND.format(period.pk)).content.decode()
    assert 'id="quota-refused"' not in html
    response = as_user("coso").post(ROUND.format(period.pk), {"action": "decide", "xac-nhan": "1",
                                                              f"level-{people[6].pk}": "nonsense"})  # fmt: skip
    assert response.status_code == 400 and 'id="quota-refused"' not in response.content.decode()


# --- the cost -------------------------------------------------------------------------------------------------


def count(client, url: str, data=None, method: str = "get"):
    with CaptureQueriesContext(connection) as queries:
        response = getattr(client, method)(url, data or {})
    return len(queries), response


def test_the_page_costs_the_same_whatever_the_size_of_the_round(as_user, demo, crowded):
    small, _ = crowded
    client = as_user("coso")
    client.get(ROUND.format(small.pk))  # the session's first reads
    few, response = count(client, ROUND.format(small.pk))
    assert len(shown_ids(response.content.decode())) == 13
    big = period_of(2025)
    many, response = count(client, ROUND.format(big.pk))
    assert len(shown_ids(response.content.decode())) == 50
    filtered, _ = count(client, ROUND.format(big.pk), {"buoc": "cho-quyet-dinh", "page": 2})
    # (a round without organisations skips their names: one query fewer)
    assert few <= many == filtered <= MAX_QUERIES, (few, many, filtered)
    khoi = as_user("khoi")
    khoi.get(ROUND.format(big.pk))
    for_khoi, _ = count(khoi, ROUND.format(big.pk), {"tccs": demo["coso"]})
    assert for_khoi <= MAX_QUERIES


def test_a_quota_refusal_costs_few_queries(as_user, demo, crowded):
    period, people = crowded
    client = as_user("coso")
    client.get(ROUND.format(period.pk))
    data = {"action": "decide", "xac-nhan": "1", "tccs": demo["coso"]}
    data |= {f"level-{r.pk}": "excellent" for r in people[8:]}
    queries, response = count(client, ROUND.format(period.pk), data, "post")
    assert response.status_code == 400 and 'id="quota-refused"' in response.content.decode()
    assert queries <= MAX_QUERIES + 15, queries
