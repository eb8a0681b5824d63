"""Ratings of party organisations (UnitRating): the self-assessment of an organisation, the decision
of the level above (dangbo.ratings.actions.unit_self_assess / decide_units / reopen) and the
"Tổ chức đảng" part of the round page /xep-loai/dot/<id>/.

Two deciding bodies, each with its own quota on excellent results: the superior decides the
grassroots organisations (đảng bộ cơ sở, chi bộ cơ sở), counted together across the whole tree; a
grassroots committee decides its own sub-units (đảng bộ bộ phận, chi bộ trực thuộc).

The action tests use a NEW rating period created here, with ratings of real demo units (kind read
from their UnitVersion); the page tests use the demo's 2025 round (scored, about 70% of the
organisations self-assessed, nothing decided). Expected figures are written out or read by
hand-written SQL, not by the code under test.
"""

from __future__ import annotations

import datetime
import re

import lxml.html
import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from dangbo.accounts.models import User
from dangbo.audit.models import AuditEntry
from dangbo.ratings import actions
from dangbo.ratings.models import MemberRating, PeriodKind, RatingPeriod, Rounding, Scheme, UnitRating
from tests.helpers import is_vietnamese

d = datetime.date
ROUND = "/xep-loai/dot/{}/"
RULE_366 = "Quy định 366-QĐ/TW"
GRASSROOTS_KINDS = ("grassroots_committee", "grassroots_cell")  # written out, not read from the app
TREE_DAY = d(2025, 12, 31)  # the end of the periods used here (all in the past)
COSO_NAME = "Đảng bộ Sở Tài chính"
EXCELLENT_LABEL = "hoàn thành xuất sắc nhiệm vụ"


# --- fixtures and helpers --------------------------------------------------------------------------


@pytest.fixture
def coso_user(demo) -> User:
    return User.objects.get(username="coso")


@pytest.fixture
def khoi_user(demo) -> User:
    return User.objects.get(username="khoi")


def new_period(scheme: str = Scheme.LEVELS, **fields) -> RatingPeriod:
    return RatingPeriod.objects.create(
        name="Đợt đánh giá tổ chức thử nghiệm", kind=PeriodKind.AD_HOC, starts_on=d(2025, 1, 1),
        ends_on=TREE_DAY, scheme=scheme, **fields,
    )  # fmt: skip


@pytest.fixture
def levels_period(demo) -> RatingPeriod:
    return new_period(Scheme.LEVELS)


@pytest.fixture
def score_period(demo) -> RatingPeriod:
    return new_period(Scheme.SCORE)


def hand_sub_units(grassroots_id: int) -> list[tuple[int, str]]:
    """(unit id, kind) of the units below a grassroots organisation at the end of 2025, by hand SQL."""
    sql = """
        SELECT v.unit_id, v.kind FROM orgs_unitversion v
        JOIN orgs_unitversion top ON top.unit_id = %s
             AND top.valid_from <= %s AND (top.valid_to IS NULL OR top.valid_to > %s)
        WHERE v.valid_from <= %s AND (v.valid_to IS NULL OR v.valid_to > %s)
              AND v.path LIKE top.path || '%%' AND v.unit_id <> top.unit_id
        ORDER BY v.unit_id
    """
    day = TREE_DAY
    with connection.cursor() as cursor:
        cursor.execute(sql, [grassroots_id, day, day, day, day])
        return cursor.fetchall()


def hand_grassroots_units() -> list[tuple[int, str]]:
    """(unit id, kind) of every grassroots organisation of the tree at the end of 2025, by hand SQL."""
    sql = """
        SELECT unit_id, kind FROM orgs_unitversion
        WHERE valid_from <= %s AND (valid_to IS NULL OR valid_to > %s) AND kind IN (%s, %s)
        ORDER BY unit_id
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [TREE_DAY, TREE_DAY, *GRASSROOTS_KINDS])
        return cursor.fetchall()


def other_committee(demo, at_least: int) -> int:
    """A grassroots committee other than coso's with at least `at_least` sub-units."""
    for unit_id, kind in hand_grassroots_units():
        if unit_id != demo["coso"] and kind == "grassroots_committee" and len(hand_sub_units(unit_id)) >= at_least:
            return unit_id
    raise AssertionError(f"no other grassroots committee with {at_least} sub-units")


def rate_sub_units(period: RatingPeriod, grassroots_id: int, n: int, *, offset: int = 0, **fields) -> list[UnitRating]:
    units = hand_sub_units(grassroots_id)[offset : offset + n]
    assert len(units) == n, f"grassroots organisation {grassroots_id} has fewer than {offset + n} sub-units"
    return [
        UnitRating.objects.create(period=period, unit_id=unit_id, kind=kind, grassroots_id=grassroots_id, **fields)
        for unit_id, kind in units
    ]


def rate_grassroots(period: RatingPeriod, n: int, *, offset: int = 0, **fields) -> list[UnitRating]:
    """Ratings of `n` grassroots organisations (each its own grassroots organisation), across the tree."""
    units = hand_grassroots_units()[offset : offset + n]
    assert len(units) == n
    return [
        UnitRating.objects.create(period=period, unit_id=unit_id, kind=kind, grassroots_id=unit_id, **fields)
        for unit_id, kind in units
    ]


def batch(ratings, level: str, score: int | None = None) -> dict[int, tuple[str, int | None]]:
    return {r.pk: (level, score) for r in ratings}


def decided_levels(ratings) -> list[str]:
    levels = dict(UnitRating.objects.filter(pk__in=[r.pk for r in ratings]).values_list("pk", "decided_level"))
    return [levels[r.pk] for r in ratings]


def state(period: RatingPeriod):
    """Everything the workflow writes: the period's organisation ratings and the audit log."""
    ratings = UnitRating.objects.filter(period=period).order_by("pk").values_list(
        "pk", "self_level", "self_score", "self_text", "decided_level", "decided_score", "decided_at", "decided_by_id",
    )  # fmt: skip
    return list(ratings), AuditEntry.objects.count()


def refused(call, period: RatingPeriod, *expected: str) -> str:
    """`call` raises ValidationError with a Vietnamese message containing each of `expected`, and
    writes nothing: the period's organisation ratings and the audit log are unchanged."""
    before = state(period)
    with pytest.raises(ValidationError) as info:
        call()
    message = " ".join(info.value.messages)
    assert is_vietnamese(message), message
    for text in expected:
        assert text in message, message
    assert state(period) == before
    return message


def audit_mark() -> int:
    return AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def new_entries(mark: int) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(pk__gt=mark).order_by("pk"))


def quota_words(good_or_better: int, allowed: int, result: int) -> str:
    return (
        f"Với {good_or_better} tổ chức hoàn thành tốt nhiệm vụ trở lên, tối đa {allowed} tổ chức được xếp loại "
        f"xuất sắc; đề nghị này dẫn tới {result}"
    )


# --- 1. the quota on excellent results, within each deciding body ------------------------------------


def test_ten_good_or_better_sub_units_allow_two_excellent_checked_as_a_whole(levels_period, coso_user, demo):
    units = rate_sub_units(levels_period, demo["coso"], 10)
    # The excellent first: checked one by one, the first would already break the quota.
    decisions = batch(units[8:], "excellent") | batch(units[:8], "good")
    mark = audit_mark()
    actions.decide_units(coso_user, decisions, levels_period)
    assert decided_levels(units) == ["good"] * 8 + ["excellent"] * 2
    entries = new_entries(mark)
    assert sorted((e.action, e.target_type, e.target_id) for e in entries) == sorted(
        ("unit_rating_decide", "ratings.unitrating", str(u.pk)) for u in units
    )
    assert {e.actor_id for e in entries} == {coso_user.pk}


def test_a_third_excellent_among_ten_sub_units_is_refused_naming_the_rule_and_the_numbers(
    levels_period, coso_user, demo
):
    units = rate_sub_units(levels_period, demo["coso"], 10)
    decisions = batch(units[:7], "good") | batch(units[7:], "excellent")
    message = refused(
        lambda: actions.decide_units(coso_user, decisions, levels_period),
        levels_period,
        "Vượt tỷ lệ tổ chức đảng hoàn thành xuất sắc nhiệm vụ",
        "không quá 20%",
        f"các tổ chức trực thuộc {COSO_NAME}",
        quota_words(10, 2, 3),
    )
    assert "các tổ chức cơ sở đảng" not in message
    assert decided_levels(units) == [""] * 10


def test_an_excellent_decided_after_two_is_refused_against_the_decided_results(levels_period, coso_user, demo):
    units = rate_sub_units(levels_period, demo["coso"], 11)
    actions.decide_units(coso_user, batch(units[:8], "good") | batch(units[8:10], "excellent"), levels_period)
    # The 11th as excellent: 11 good or better allow 2 still (2,2 rounded down), this would be the 3rd.
    refused(
        lambda: actions.decide_units(coso_user, batch(units[10:], "excellent"), levels_period),
        levels_period,
        quota_words(11, 2, 3),
    )
    assert decided_levels(units) == ["good"] * 8 + ["excellent"] * 2 + [""]
    # The same unit as good is accepted: the refusal was the quota's.
    actions.decide_units(coso_user, batch(units[10:], "good"), levels_period)
    assert decided_levels(units[10:]) == ["good"]


def test_done_and_failed_do_not_count_towards_the_quota(levels_period, coso_user, demo):
    units = rate_sub_units(levels_period, demo["coso"], 12)
    decisions = batch(units[:5], "done") | batch(units[5:8], "failed") | batch(units[8:11], "good")
    decisions |= batch(units[11:], "excellent")
    refused(lambda: actions.decide_units(coso_user, decisions, levels_period), levels_period, quota_words(4, 0, 1))


def test_a_batch_without_excellent_is_never_refused_for_the_quota(levels_period, coso_user, demo):
    units = rate_sub_units(levels_period, demo["coso"], 10)
    actions.decide_units(coso_user, batch(units[:5], "good") | batch(units[5:6], "excellent"), levels_period)
    # Reopening four good results leaves 1 excellent among 2 good or better: over the quota (0 allowed).
    for unit in units[:4]:
        actions.reopen(coso_user, unit, "Xem xét lại")
    # A batch without an excellent result does not worsen the share: accepted though still over.
    actions.decide_units(coso_user, batch(units[:2], "good") | batch(units[6:8], "done"), levels_period)
    actions.decide_units(coso_user, batch(units[8:], "failed"), levels_period)
    assert decided_levels(units) == ["good", "good", "", "", "good", "excellent", "done", "done", "failed", "failed"]


@pytest.mark.parametrize(
    "percent, rounding, good_or_better, allowed",
    [
        (20, Rounding.FLOOR, 14, 2),  # 2,8
        (20, Rounding.HALF_UP, 13, 3),  # 2,6 rounded to 3
        (30, Rounding.FLOOR, 10, 3),  # exactly 3
    ],
)
def test_the_periods_percent_and_rounding_set_the_limit(coso_user, demo, percent, rounding, good_or_better, allowed):
    period = new_period(Scheme.LEVELS, quota_percent=percent, quota_rounding=rounding)
    units = rate_sub_units(period, demo["coso"], good_or_better)
    one_too_many = batch(units[: -allowed - 1], "good") | batch(units[-allowed - 1 :], "excellent")
    refused(
        lambda: actions.decide_units(coso_user, one_too_many, period),
        period,
        f"không quá {percent}%",
        quota_words(good_or_better, allowed, allowed + 1),
    )
    actions.decide_units(coso_user, batch(units[:-allowed], "good") | batch(units[-allowed:], "excellent"), period)
    assert decided_levels(units).count("excellent") == allowed


def test_grassroots_organisations_are_counted_together_across_the_tree(levels_period, khoi_user, demo):
    units = rate_grassroots(levels_period, 11)
    assert len({u.grassroots_id for u in units}) == 11  # eleven different grassroots organisations
    # Counted one by one, each excellent one would be alone (0 allowed); together, 10 allow 2.
    actions.decide_units(khoi_user, batch(units[:8], "good") | batch(units[8:10], "excellent"), levels_period)
    assert decided_levels(units[:10]) == ["good"] * 8 + ["excellent"] * 2
    message = refused(
        lambda: actions.decide_units(khoi_user, batch(units[10:], "excellent"), levels_period),
        levels_period,
        "không quá 20%",
        "trong các tổ chức cơ sở đảng",
        quota_words(11, 2, 3),
    )
    assert "trực thuộc" not in message


def test_grassroots_results_do_not_raise_the_sub_units_limit(levels_period, coso_user, khoi_user, demo):
    actions.decide_units(khoi_user, batch(rate_grassroots(levels_period, 10), "good"), levels_period)
    sub_units = rate_sub_units(levels_period, demo["coso"], 2)
    # Among coso's sub-units: 2 good or better allow none, whatever the 10 grassroots organisations.
    decisions = batch(sub_units[:1], "good") | batch(sub_units[1:], "excellent")
    refused(lambda: actions.decide_units(coso_user, decisions, levels_period), levels_period, quota_words(2, 0, 1))


def test_sub_unit_results_do_not_raise_the_grassroots_limit(levels_period, coso_user, khoi_user, demo):
    actions.decide_units(coso_user, batch(rate_sub_units(levels_period, demo["coso"], 10), "good"), levels_period)
    coso = UnitRating.objects.create(
        period=levels_period, unit_id=demo["coso"], kind="grassroots_committee", grassroots_id=demo["coso"]
    )
    refused(
        lambda: actions.decide_units(khoi_user, batch([coso], "excellent"), levels_period),
        levels_period,
        "trong các tổ chức cơ sở đảng",
        quota_words(1, 0, 1),
    )


def test_sub_units_of_another_committee_are_a_separate_body(levels_period, coso_user, demo):
    actions.decide_units(coso_user, batch(rate_sub_units(levels_period, demo["coso"], 10), "good"), levels_period)
    other = other_committee(demo, 2)
    others = rate_sub_units(levels_period, other, 2)
    message = refused(
        lambda: actions.decide_units(
            coso_user, batch(others[:1], "good") | batch(others[1:], "excellent"), levels_period
        ),
        levels_period,
        quota_words(2, 0, 1),
    )
    assert COSO_NAME not in message


def test_a_batch_over_two_bodies_is_refused_whole_if_one_breaks_its_quota(levels_period, khoi_user, demo):
    sub_units = rate_sub_units(levels_period, demo["coso"], 10)
    grassroots = rate_grassroots(levels_period, 2)
    fine = batch(sub_units[:8], "good") | batch(sub_units[8:], "excellent")
    over = batch(grassroots[:1], "good") | batch(grassroots[1:], "excellent")
    refused(
        lambda: actions.decide_units(khoi_user, fine | over, levels_period),
        levels_period,
        "các tổ chức cơ sở đảng",
        quota_words(2, 0, 1),
    )
    assert decided_levels(sub_units + grassroots) == [""] * 12


def test_a_batch_with_a_rating_of_another_period_is_refused(levels_period, coso_user, demo):
    (mine,) = rate_sub_units(levels_period, demo["coso"], 1)
    (foreign,) = rate_sub_units(new_period(), demo["coso"], 1, offset=1)
    refused(
        lambda: actions.decide_units(coso_user, batch([mine, foreign], "good"), levels_period),
        levels_period,
        "không thuộc đợt đánh giá này",
    )
    assert decided_levels([foreign]) == [""]


# --- 2. the level rules for organisations --------------------------------------------------------


@pytest.mark.parametrize(
    "level, score, expected",
    [
        ("good", 95, [RULE_366, "95 điểm", f"“{EXCELLENT_LABEL}”", "không phải “hoàn thành tốt nhiệm vụ”"]),
        ("excellent", 89, [RULE_366, "89 điểm", "“hoàn thành tốt nhiệm vụ”"]),
        ("done", 49, [RULE_366, "49 điểm", "“không hoàn thành nhiệm vụ”"]),
        ("good", None, [RULE_366, "hãy nhập điểm"]),
        ("excellent", 101, ["từ 0 đến 100"]),
        ("", 80, ["Hãy chọn mức xếp loại."]),
    ],
)
@pytest.mark.parametrize("step", ["self", "decide"])
def test_under_a_score_scheme_the_score_must_match_the_level(score_period, coso_user, demo, step, level, score,
                                                              expected):  # fmt: skip
    (unit,) = rate_sub_units(score_period, demo["coso"], 1)
    if step == "self":
        call = lambda: actions.unit_self_assess(coso_user, unit, level=level, score=score)  # noqa: E731
    else:
        call = lambda: actions.decide_units(coso_user, {unit.pk: (level, score)}, score_period)  # noqa: E731
    message = refused(call, score_period, *expected)
    if level:
        assert actions._name_of(unit.unit_id) in message  # the organisation, by name


@pytest.mark.parametrize("level, score", [("good", 89), ("good", 70), ("done", 50), ("done", 69), ("failed", 0)])
def test_a_score_within_the_levels_thresholds_is_accepted(score_period, coso_user, demo, level, score):
    (unit,) = rate_sub_units(score_period, demo["coso"], 1)
    actions.unit_self_assess(coso_user, unit, level=level, score=score)
    actions.decide_units(coso_user, {unit.pk: (level, score)}, score_period)
    unit.refresh_from_db()
    assert (unit.self_level, unit.self_score, unit.decided_level, unit.decided_score) == (level, score, level, score)


def test_a_disciplined_organisation_cannot_be_excellent(levels_period, coso_user, demo):
    units = rate_sub_units(levels_period, demo["coso"], 5, disciplined=True)
    good_ones = rate_sub_units(levels_period, demo["coso"], 5, offset=5)
    name = actions._name_of(units[0].unit_id)
    words = [name, "có người đứng đầu hoặc tổ chức trực thuộc bị kỷ luật", f"không được xếp loại “{EXCELLENT_LABEL}”"]
    refused(lambda: actions.unit_self_assess(coso_user, units[0], level="excellent"), levels_period, *words)
    # Even with room in the quota (10 good or better allow 2).
    decisions = batch(good_ones, "good") | batch(units[1:], "good") | batch(units[:1], "excellent")
    refused(lambda: actions.decide_units(coso_user, decisions, levels_period), levels_period, *words)
    # Good is accepted.
    actions.unit_self_assess(coso_user, units[0], level="good")
    actions.decide_units(coso_user, batch(good_ones + units, "good"), levels_period)
    assert decided_levels(units) == ["good"] * 5


def test_a_decided_result_is_locked_until_reopened_with_a_reason(score_period, coso_user, demo):
    unit, undecided = rate_sub_units(score_period, demo["coso"], 2)
    target = ("ratings.unitrating", str(unit.pk))

    def step(call, action: str) -> AuditEntry:
        mark = audit_mark()
        call()
        (entry,) = new_entries(mark)
        assert (entry.action, entry.actor_id, (entry.target_type, entry.target_id)) == (action, coso_user.pk, target)
        return entry

    entry = step(lambda: actions.unit_self_assess(coso_user, unit, level="good", score=78, text="  Báo cáo.  "),
                 "unit_rating_self_assess")  # fmt: skip
    assert (entry.before["self_level"], entry.after["self_level"], entry.after["self_text"]) == ("", "good", "Báo cáo.")
    entry = step(lambda: actions.decide_units(coso_user, {unit.pk: ("good", 80)}, score_period), "unit_rating_decide")
    unit.refresh_from_db()
    assert (unit.decided_level, unit.decided_score, unit.decided_by_id) == ("good", 80, coso_user.pk)
    assert unit.decided_at is not None

    # Locked: neither the self-assessment nor a new decision changes it.
    locked = "đã được quyết định"
    refused(lambda: actions.unit_self_assess(coso_user, unit, level="done", score=60), score_period, locked)
    refused(lambda: actions.decide_units(coso_user, {unit.pk: ("done", 60)}, score_period), score_period, locked)

    # Reopening needs a reason; it is the audit entry's note.
    for blank in ("", "   "):
        refused(lambda blank=blank: actions.reopen(coso_user, unit, blank), score_period, "lý do")
    entry = step(lambda: actions.reopen(coso_user, unit, "  Cấp trên kiểm tra lại.  "), "unit_rating_reopen")
    assert entry.note == "Cấp trên kiểm tra lại."
    assert (entry.before["decided_level"], entry.before["decided_score"]) == ("good", 80)
    unit.refresh_from_db()
    assert (unit.decided_level, unit.decided_score, unit.decided_at, unit.decided_by_id) == ("", None, None, None)
    assert (unit.self_level, unit.self_score) == ("good", 78)  # the self-assessment stays

    # Open again.
    step(lambda: actions.unit_self_assess(coso_user, unit, level="done", score=60), "unit_rating_self_assess")
    step(lambda: actions.decide_units(coso_user, {unit.pk: ("done", 62)}, score_period), "unit_rating_decide")
    refused(lambda: actions.reopen(coso_user, undecided, "Lý do"), score_period, "chưa được quyết định")


# --- 3. the round page: who sees and does what with organisations ---------------------------------


def demo_round() -> RatingPeriod:
    return RatingPeriod.objects.get(kind=PeriodKind.YEAR, year=2025)


def hand_unit_round_ids(period_id: int, where: str, params: list) -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM ratings_unitrating WHERE period_id = %s AND {where}", [period_id, *params])
        return {row[0] for row in cursor.fetchall()}


def shown_unit_ids(html: str) -> set[int]:
    return {int(pk) for pk in re.findall(r'<tr id="unit-rating-(\d+)">', html)}


def decide_form_ids(html: str) -> set[int]:
    """The organisations decided by the decision form: its selects sit in their rows, tied to it by
    their `form` attribute."""
    page = lxml.html.fromstring(html)
    if page.get_element_by_id("unit-decide-form", None) is None:
        return set()
    selects = page.xpath('//select[@form="unit-decide-form"][starts-with(@name, "unit-level-")]')
    return {int(s.get("name").rsplit("-", 1)[1]) for s in selects}


def alert_of(html: str) -> str:
    return " ".join(lxml.html.fromstring(html).xpath('//p[@role="alert"]//text()')).strip()


@pytest.fixture
def unit_round(demo):
    """The 2025 round: coso's own row, a self-assessed good sub-unit of coso's other than chibo's
    cell, and chibo's cell's row."""
    period = demo_round()
    rows = UnitRating.objects.filter(period=period, grassroots_id=demo["coso"])
    own = rows.get(unit_id=demo["coso"])
    sub_unit = rows.exclude(unit_id__in=[demo["coso"], demo["chibo"]]).filter(self_level="good").order_by("pk").first()
    cell = rows.get(unit_id=demo["chibo"])
    assert own.kind == "grassroots_committee" and sub_unit is not None
    assert not UnitRating.objects.filter(period=period).exclude(decided_level="").exists()  # nothing decided
    return period, own, sub_unit, cell


def test_coso_sees_his_committee_and_its_sub_units(as_user, demo, unit_round):
    period, own, sub_unit, cell = unit_round
    response = as_user("coso").get(ROUND.format(period.pk))
    assert response.status_code == 200
    html = response.content.decode()
    expected = hand_unit_round_ids(period.pk, "grassroots_id = %s", [demo["coso"]])
    assert len(expected) == 1 + len(hand_sub_units(demo["coso"]))
    assert shown_unit_ids(html) == expected
    assert {own.pk, sub_unit.pk, cell.pk} <= expected
    # He may decide the sub-units, not his own grassroots organisation.
    assert decide_form_ids(html) == expected - {own.pk}


def test_coso_decides_a_sub_unit_on_the_page(as_user, demo, unit_round):
    period, _, sub_unit, _ = unit_round
    mark = audit_mark()
    data = {"action": "unit_decide", "xac-nhan": "1", "tccs": demo["coso"],
            f"unit-level-{sub_unit.pk}": "good", f"unit-score-{sub_unit.pk}": sub_unit.self_score}  # fmt: skip
    client = as_user("coso")
    response = client.post(ROUND.format(period.pk), data)
    assert response.status_code == 302
    assert response.url == f"{ROUND.format(period.pk)}?tccs={demo['coso']}"
    sub_unit.refresh_from_db()
    assert (sub_unit.decided_level, sub_unit.decided_score) == ("good", sub_unit.self_score)
    assert sub_unit.decided_by.username == "coso"
    assert [(e.action, e.target_id) for e in new_entries(mark)] == [("unit_rating_decide", str(sub_unit.pk))]
    html = client.get(response.url).content.decode()
    assert "Đã quyết định xếp loại 1 tổ chức đảng." in html
    assert sub_unit.pk not in decide_form_ids(html)  # decided: out of the decision form, reopen offered
    row = lxml.html.fromstring(html).get_element_by_id(f"unit-rating-{sub_unit.pk}")
    assert row.xpath('.//button[@value="unit_reopen"]')


def test_coso_may_not_decide_his_own_grassroots_organisation(as_user, demo, unit_round):
    period, own, sub_unit, _ = unit_round
    before = state(period)
    data = {
        "action": "unit_decide",
        "xac-nhan": "1",
        "tccs": demo["coso"],
        f"unit-level-{own.pk}": "good",
        f"unit-score-{own.pk}": "75",
    }
    assert as_user("coso").post(ROUND.format(period.pk), data).status_code == 403
    # Not even along with a sub-unit he may decide: the whole post is refused.
    data |= {f"unit-level-{sub_unit.pk}": "good", f"unit-score-{sub_unit.pk}": sub_unit.self_score}
    assert as_user("coso").post(ROUND.format(period.pk), data).status_code == 403
    assert state(period) == before


def test_khoi_decides_a_grassroots_organisation_and_coso_may_not_reopen_it(as_user, demo, unit_round):
    period, own, _, _ = unit_round
    client = as_user("khoi")
    html = client.get(ROUND.format(period.pk), {"tccs": demo["coso"]}).content.decode()
    assert own.pk in decide_form_ids(html)
    data = {
        "action": "unit_decide",
        "xac-nhan": "1",
        "tccs": demo["coso"],
        f"unit-level-{own.pk}": "good",
        f"unit-score-{own.pk}": "75",
    }
    assert client.post(ROUND.format(period.pk), data).status_code == 302
    own.refresh_from_db()
    assert (own.decided_level, own.decided_score, own.decided_by.username) == ("good", 75, "khoi")

    before = state(period)
    reopen = {"action": "unit_reopen", "tccs": demo["coso"], "rating": own.pk, "reason": "Sai điểm"}
    assert as_user("coso").post(ROUND.format(period.pk), reopen).status_code == 403
    assert state(period) == before
    response = as_user("khoi").post(ROUND.format(period.pk), reopen)
    assert response.status_code == 302
    own.refresh_from_db()
    assert own.decided_level == ""
    assert AuditEntry.objects.filter(action="unit_rating_reopen", target_type="ratings.unitrating",
                                     target_id=str(own.pk)).get().note == "Sai điểm"  # fmt: skip


def test_chibo_sees_only_his_cells_row_and_self_assesses_it(as_user, demo, unit_round):
    period, own, sub_unit, cell = unit_round
    client = as_user("chibo")
    html = client.get(ROUND.format(period.pk)).content.decode()
    assert shown_unit_ids(html) == hand_unit_round_ids(period.pk, "unit_id = %s", [demo["chibo"]]) == {cell.pk}
    assert f"unit-rating-{own.pk}" not in html and f"unit-rating-{sub_unit.pk}" not in html
    assert 'id="unit-decide-form"' not in html

    mark = audit_mark()
    data = {"action": "unit_self", "rating": cell.pk, "level": "good", "score": "81", "text": "Báo cáo của chi bộ."}
    response = client.post(ROUND.format(period.pk), data)
    assert response.status_code == 302
    cell.refresh_from_db()
    assert (cell.self_level, cell.self_score, cell.self_text, cell.decided_level) == (
        "good", 81, "Báo cáo của chi bộ.", "",
    )  # fmt: skip
    assert [(e.action, e.actor.username) for e in new_entries(mark)] == [("unit_rating_self_assess", "chibo")]


def test_chibo_may_not_decide_nor_touch_another_cells_row(as_user, demo, unit_round):
    period, _, sub_unit, cell = unit_round
    client = as_user("chibo")
    before = state(period)
    own_cell = {"action": "unit_decide", f"unit-level-{cell.pk}": "good", f"unit-score-{cell.pk}": "75"}
    assert client.post(ROUND.format(period.pk), own_cell).status_code == 403
    # Another cell's row is not his: nothing he may decide was chosen.
    other = {"action": "unit_decide", f"unit-level-{sub_unit.pk}": "good", f"unit-score-{sub_unit.pk}": "75"}
    response = client.post(ROUND.format(period.pk), other)
    assert response.status_code == 400
    assert "Hãy chọn mức xếp loại cho ít nhất một tổ chức." in alert_of(response.content.decode())
    for action in ("unit_self", "unit_reopen"):
        data = {"action": action, "rating": sub_unit.pk, "level": "good", "score": "75", "reason": "Lý do"}
        assert client.post(ROUND.format(period.pk), data).status_code == 404
    assert state(period) == before


def test_a_refused_unit_decision_answers_400_and_keeps_the_posted_selections(as_user, demo, unit_round):
    period, *_ = unit_round
    three = list(
        UnitRating.objects.filter(period=period, grassroots_id=demo["coso"])
        .exclude(unit_id=demo["coso"])
        .order_by("pk")
    )[:3]
    before = state(period)
    data = {"action": "unit_decide", "xac-nhan": "1", "tccs": demo["coso"]}
    for unit in three:
        data |= {f"unit-level-{unit.pk}": "excellent", f"unit-score-{unit.pk}": "95"}
    response = as_user("coso").post(ROUND.format(period.pk), data)
    assert response.status_code == 400
    html = response.content.decode()
    message = alert_of(html)
    assert "Vượt tỷ lệ tổ chức đảng hoàn thành xuất sắc nhiệm vụ" in message, message
    assert quota_words(3, 0, 3) in message and COSO_NAME in message, message
    page = lxml.html.fromstring(html)
    for unit in three:
        chosen = page.xpath(f'//select[@form="unit-decide-form"][@name="unit-level-{unit.pk}"]/option[@selected]')
        assert chosen[0].get("value") == "excellent"
        assert page.xpath(f'//input[@form="unit-decide-form"][@name="unit-score-{unit.pk}"]')[0].get("value") == "95"
    assert state(period) == before


def test_a_refused_unit_self_assessment_answers_400_and_keeps_what_was_typed(as_user, unit_round):
    period, _, _, cell = unit_round
    before = state(period)
    data = {"action": "unit_self", "rating": cell.pk, "level": "good", "score": "95"}
    response = as_user("chibo").post(ROUND.format(period.pk), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert RULE_366 in alert_of(html) and "95 điểm" in alert_of(html)
    row = lxml.html.fromstring(html).get_element_by_id(f"unit-rating-{cell.pk}")
    assert row.xpath('.//select[@name="level"]/option[@selected]')[0].get("value") == "good"
    assert row.xpath('.//input[@name="score"]')[0].get("value") == "95"
    assert state(period) == before


def test_xem_gets_404_on_the_round_page(as_user, unit_round):
    period, _, sub_unit, _ = unit_round
    before = state(period)
    client = as_user("xem")
    assert client.get(ROUND.format(period.pk)).status_code == 404
    data = {"action": "unit_decide", f"unit-level-{sub_unit.pk}": "good", f"unit-score-{sub_unit.pk}": "75"}
    assert client.post(ROUND.format(period.pk), data).status_code == 404
    assert state(period) == before


def test_the_outsider_sees_no_row_of_cosos_committee(as_user, outsider, demo, unit_round):
    period, _, sub_unit, _ = unit_round
    username, _ = outsider
    client = as_user(username)
    response = client.get(ROUND.format(period.pk), {"tccs": demo["coso"]})
    assert response.status_code in (200, 404)
    assert shown_unit_ids(response.content.decode()).isdisjoint(
        hand_unit_round_ids(period.pk, "grassroots_id = %s", [demo["coso"]])
    )
    data = {"action": "unit_self", "tccs": demo["coso"], "rating": sub_unit.pk, "level": "good", "score": "75"}
    before = state(period)
    assert client.post(ROUND.format(period.pk), data).status_code == 404
    assert state(period) == before


def test_a_refused_unit_self_assessment_leaves_the_member_rows_alone(as_user, demo):
    """A member rating and an organisation rating are different tables, so their ids may coincide.
    A refused organisation self-assessment must not refill the member row that has the same id."""
    period = new_period(Scheme.SCORE)
    source = MemberRating.unscoped.filter(period=demo_round(), cell_id=demo["chibo"], exempted=False).first()
    member_rating = MemberRating.unscoped.create(
        period=period, member_id=source.member_id, cell_id=demo["chibo"], grassroots_id=demo["coso"],
        self_level="done", self_score=55,
    )  # fmt: skip
    assert not UnitRating.objects.filter(pk=member_rating.pk).exists()
    cell = UnitRating.objects.create(
        pk=member_rating.pk, period=period, unit_id=demo["chibo"], kind="attached_cell", grassroots_id=demo["coso"]
    )
    data = {"action": "unit_self", "rating": cell.pk, "level": "good", "score": "95"}
    response = as_user("chibo").post(ROUND.format(period.pk), data)
    assert response.status_code == 400
    row = lxml.html.fromstring(response.content.decode()).get_element_by_id(f"rating-{member_rating.pk}")
    assert row.xpath('.//select[@name="level"]/option[@selected]')[0].get("value") == "done"
    assert row.xpath('.//input[@name="score"]')[0].get("value") == "55"
