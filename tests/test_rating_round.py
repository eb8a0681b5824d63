"""The workflow of a rating round (dangbo.ratings.actions and the round page /xep-loai/dot/<id>/):
the quota on excellent results checked on a whole batch within each grassroots organisation, the
level rules (score against level under Quy định 366-QĐ/TW, discipline, task criteria, exemption),
locking once decided and reopening with a reason, the audit log, and who may do what on the page.

The action tests use a NEW rating period created here, with ratings of real demo members (in the
cells and grassroots organisations the demo rated them in for 2025); the page tests use the demo's
2025 round (scored, self-assessed, proposals in coso's committee except chibo's cell, nothing
decided). Expected figures are written out or read by hand-written SQL, not by the code under test.
"""

from __future__ import annotations

import datetime
import math
import re

import lxml.html
import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from dangbo.accounts.models import User
from dangbo.audit.models import AuditEntry
from dangbo.ratings import actions
from dangbo.ratings.models import MemberRating, PeriodKind, RatingPeriod, Rounding, Scheme, refresh_level_tallies
from tests.helpers import is_vietnamese

d = datetime.date
ROUND = "/xep-loai/dot/{}/"
# Written out here rather than read from the models (DOMAIN §5).
LABELS = {
    "excellent": "Hoàn thành xuất sắc nhiệm vụ",
    "good": "Hoàn thành tốt nhiệm vụ",
    "done": "Hoàn thành nhiệm vụ",
    "failed": "Không hoàn thành nhiệm vụ",
}
RULE_366 = "Quy định 366-QĐ/TW"


# --- fixtures and helpers --------------------------------------------------------------------------


@pytest.fixture
def coso_user(demo) -> User:
    return User.objects.get(username="coso")


def new_period(scheme: str, **fields) -> RatingPeriod:
    return RatingPeriod.objects.create(
        name="Đợt đánh giá thử nghiệm", kind=PeriodKind.AD_HOC, starts_on=d(2025, 1, 1), ends_on=d(2025, 12, 31),
        scheme=scheme, **fields,
    )  # fmt: skip


@pytest.fixture
def levels_period(demo) -> RatingPeriod:
    return new_period(Scheme.LEVELS)


@pytest.fixture
def score_period(demo) -> RatingPeriod:
    return new_period(Scheme.SCORE)


def demo_round() -> RatingPeriod:
    return RatingPeriod.objects.get(kind=PeriodKind.YEAR, year=2025)


def other_grassroots(demo, at_least: int) -> int:
    """A grassroots organisation other than coso's with enough members rated in the demo's 2025 round."""
    sql = """
        SELECT r.grassroots_id FROM ratings_memberrating r JOIN ratings_ratingperiod p ON p.id = r.period_id
        WHERE p.year = 2025 AND r.grassroots_id <> %s AND NOT r.exempted
        GROUP BY r.grassroots_id HAVING COUNT(*) >= %s ORDER BY r.grassroots_id
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [demo["coso"], at_least])
        return cursor.fetchone()[0]


def rate(period: RatingPeriod, grassroots_id: int, n: int, *, offset: int = 0, **fields) -> list[MemberRating]:
    """Ratings in `period` for `n` demo members of one grassroots organisation (from the `offset`-th,
    by the pk of their 2025 rating), in the cell and grassroots organisation the demo rated them in
    for 2025."""
    rated = MemberRating.unscoped.filter(period=demo_round(), grassroots_id=grassroots_id, exempted=False)
    sources = list(rated.order_by("pk")[offset : offset + n])
    assert len(sources) == n, f"the demo has fewer than {n} members in grassroots organisation {grassroots_id}"
    return [
        MemberRating.unscoped.create(
            period=period, member_id=s.member_id, cell_id=s.cell_id, grassroots_id=s.grassroots_id, **fields
        )
        for s in sources
    ]


def batch(ratings, level: str, score: int | None = None) -> dict[int, tuple[str, int | None]]:
    return {r.pk: (level, score) for r in ratings}


def state(period: RatingPeriod):
    """Everything the workflow writes: the period's ratings and the audit log."""
    ratings = MemberRating.unscoped.filter(period=period).order_by("pk").values_list(
        "pk", "self_level", "self_score", "self_text", "proposed_level", "proposed_score",
        "decided_level", "decided_score", "decided_at", "decided_by_id",
    )  # fmt: skip
    return list(ratings), AuditEntry.objects.count()


def refused(call, period: RatingPeriod, *expected: str) -> str:
    """`call` raises ValidationError with a Vietnamese message containing each of `expected`, and
    writes nothing: the period's ratings and the audit log are unchanged."""
    before = state(period)
    with pytest.raises(ValidationError) as info:
        call()
    message = " ".join(info.value.messages)
    assert is_vietnamese(message), message
    for text in expected:
        assert text in message, message
    assert state(period) == before
    return message


def make_room(actor, period: RatingPeriod, grassroots_id: int, places: int = 1) -> list[MemberRating]:
    """Decide 5 × `places` other members good (score 80 under a scored scheme), so that `places`
    excellent fit in the quota of 20%."""
    others = rate(period, grassroots_id, 5 * places, offset=150)
    actions.decide(actor, batch(others, "good", 80 if period.scheme == Scheme.SCORE else None), period)
    return others


def decided_levels(ratings) -> list[str]:
    levels = dict(MemberRating.unscoped.filter(pk__in=[r.pk for r in ratings]).values_list("pk", "decided_level"))
    return [levels[r.pk] for r in ratings]


def new_entries(mark: int | None):
    return list(AuditEntry.objects.filter(pk__gt=mark or 0).order_by("pk"))


def audit_mark() -> int | None:
    return AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first()


# --- 1. the quota on excellent results, through `decide` -------------------------------------------


def test_an_eighth_excellent_among_37_is_refused_naming_the_rule_and_the_numbers(levels_period, coso_user, demo):
    people = rate(levels_period, demo["coso"], 37)
    # 29 good, then the 7 excellent one at a time: 36 good or better allow 7 (20% of 36 is 7,2).
    actions.decide(coso_user, batch(people[:29], "good"), levels_period)
    for rating in people[29:36]:
        actions.decide(coso_user, batch([rating], "excellent"), levels_period)
    assert decided_levels(people[:36]) == ["good"] * 29 + ["excellent"] * 7

    # The 37th as excellent: 37 good or better allow 7 still (7,4 rounded down), and this would be the 8th.
    message = refused(
        lambda: actions.decide(coso_user, batch([people[36]], "excellent"), levels_period),
        levels_period,
        "không quá 20%",
        "Với 37 đảng viên hoàn thành tốt nhiệm vụ trở lên, tối đa 7 đảng viên được xếp loại xuất sắc",
        "đã quyết định 7, còn 0 chỗ; đề nghị này có 1",
    )
    assert "Đảng bộ Sở Tài chính" in message  # coso's committee, by name
    assert decided_levels(people) == ["good"] * 29 + ["excellent"] * 7 + [""]

    # The same member as good is accepted: the refusal was the quota's.
    actions.decide(coso_user, batch([people[36]], "good"), levels_period)
    assert decided_levels(people[36:]) == ["good"]


def test_the_batch_is_checked_as_a_whole_30_good_and_7_excellent_accepted(levels_period, coso_user, demo):
    people = rate(levels_period, demo["coso"], 37)
    # The excellent first: checked one by one, the first would already break the quota (0 good or better).
    decisions = batch(people[30:], "excellent") | batch(people[:30], "good")
    mark = audit_mark()
    actions.decide(coso_user, decisions, levels_period)
    assert decided_levels(people) == ["good"] * 30 + ["excellent"] * 7
    assert len(new_entries(mark)) == 37


def test_the_batch_is_checked_as_a_whole_29_good_and_8_excellent_refused(levels_period, coso_user, demo):
    people = rate(levels_period, demo["coso"], 37)
    decisions = batch(people[:29], "good") | batch(people[29:], "excellent")
    refused(
        lambda: actions.decide(coso_user, decisions, levels_period),
        levels_period,
        "không quá 20%",
        "Với 37 đảng viên hoàn thành tốt nhiệm vụ trở lên, tối đa 7",
        "đã quyết định 0, còn 7 chỗ; đề nghị này có 8",
    )
    assert decided_levels(people) == [""] * 37


def test_done_and_failed_do_not_count_towards_the_quota(levels_period, coso_user, demo):
    people = rate(levels_period, demo["coso"], 40)
    # 4 good or better allow none; 36 done or failed change nothing.
    decisions = batch(people[:20], "done") | batch(people[20:36], "failed") | batch(people[36:39], "good")
    decisions |= batch(people[39:], "excellent")
    refused(lambda: actions.decide(coso_user, decisions, levels_period), levels_period, "Với 4 đảng viên", "tối đa 0")


def test_good_results_in_another_grassroots_organisation_do_not_raise_the_limit(levels_period, coso_user, demo):
    theirs = rate(levels_period, other_grassroots(demo, 10), 10)
    ours = rate(levels_period, demo["coso"], 37)
    actions.decide(coso_user, batch(theirs, "good"), levels_period)
    # 29 good + 8 excellent in coso's committee: 7 allowed of 37 (counted together with the other
    # organisation's 10 good, 47 good or better would allow 9).
    refused(
        lambda: actions.decide(coso_user, batch(ours[:29], "good") | batch(ours[29:], "excellent"), levels_period),
        levels_period,
        "Với 37 đảng viên",
        "tối đa 7",
    )


def test_excellent_results_in_another_grassroots_organisation_do_not_use_the_places(levels_period, coso_user, demo):
    theirs = rate(levels_period, other_grassroots(demo, 3), 3)
    ours = rate(levels_period, demo["coso"], 37)
    # Elsewhere, 3 excellent and nobody else (written directly, as if imported).
    MemberRating.unscoped.filter(pk__in=[r.pk for r in theirs]).update(decided_level="excellent")
    # 30 good + 7 excellent in coso's committee is accepted (counted together, 10 excellent of 40
    # good or better would break the quota).
    actions.decide(coso_user, batch(ours[:30], "good") | batch(ours[30:], "excellent"), levels_period)
    assert decided_levels(ours) == ["good"] * 30 + ["excellent"] * 7


def test_a_batch_over_two_grassroots_organisations_is_refused_whole_if_one_breaks_its_quota(
    levels_period, coso_user, demo
):
    elsewhere = other_grassroots(demo, 5)
    theirs = rate(levels_period, elsewhere, 5)
    ours = rate(levels_period, demo["coso"], 10)
    # Coso's part is within its quota (2 of 10); the other's is not (2 of 5 where 1 is allowed).
    decisions = batch(ours[:8], "good") | batch(ours[8:], "excellent")
    decisions |= batch(theirs[:3], "good") | batch(theirs[3:], "excellent")
    refused(lambda: actions.decide(coso_user, decisions, levels_period), levels_period, "Với 5 đảng viên", "tối đa 1")


@pytest.mark.parametrize(
    "percent, rounding, good_or_better, allowed",
    [
        (20, Rounding.FLOOR, 37, 7),  # 7,4
        (25, Rounding.FLOOR, 37, 9),  # 9,25
        (25, Rounding.FLOOR, 38, 9),  # 9,5
        (25, Rounding.HALF_UP, 38, 10),  # 9,5 rounded up
        (20, Rounding.HALF_UP, 38, 8),  # 7,6
        (20, Rounding.HALF_UP, 37, 7),  # 7,4
        (20, Rounding.FLOOR, 35, 7),  # exactly 7
    ],
)
def test_the_periods_percent_and_rounding_set_the_limit(coso_user, demo, percent, rounding, good_or_better, allowed):
    period = new_period(Scheme.LEVELS, quota_percent=percent, quota_rounding=rounding)
    people = rate(period, demo["coso"], good_or_better)
    one_too_many = batch(people[: -allowed - 1], "good") | batch(people[-allowed - 1 :], "excellent")
    refused(
        lambda: actions.decide(coso_user, one_too_many, period),
        period,
        f"không quá {percent}%",
        f"Với {good_or_better} đảng viên hoàn thành tốt nhiệm vụ trở lên, tối đa {allowed}",
        f"đề nghị này có {allowed + 1}",
    )
    actions.decide(coso_user, batch(people[:-allowed], "good") | batch(people[-allowed:], "excellent"), period)
    assert decided_levels(people).count("excellent") == allowed


# --- 2. the level rules ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "level, score, expected",
    [
        ("good", None, [RULE_366, "hãy nhập điểm"]),
        (
            "good",
            95,
            [RULE_366, "95 điểm", f"“{LABELS['excellent'].lower()}”", f"không phải “{LABELS['good'].lower()}”"],
        ),
        ("excellent", 89, [RULE_366, "89 điểm", f"“{LABELS['good'].lower()}”"]),
        ("done", 70, [RULE_366, "70 điểm", f"“{LABELS['good'].lower()}”"]),
        ("done", 49, [RULE_366, "49 điểm", f"“{LABELS['failed'].lower()}”"]),
        ("excellent", 101, ["từ 0 đến 100"]),
        pytest.param(
            "excellent",
            101,
            [RULE_366],
            id="above-100-names-the-rule",
        ),
    ],
)
def test_a_score_missing_out_of_range_or_reaching_another_level_is_refused(
    score_period, coso_user, demo, level, score, expected
):
    (rating,) = rate(score_period, demo["coso"], 1)
    refused(lambda: actions.decide(coso_user, {rating.pk: (level, score)}, score_period), score_period, *expected)


@pytest.mark.parametrize(
    "level, score",
    [
        ("excellent", 100),
        ("excellent", 90),
        ("good", 89),
        ("good", 70),
        ("done", 69),
        ("done", 50),
        ("failed", 49),
        ("failed", 0),
    ],  # fmt: skip
)
def test_a_score_within_the_levels_thresholds_is_accepted(score_period, coso_user, demo, level, score):
    (rating,) = rate(score_period, demo["coso"], 1)
    make_room(coso_user, score_period, demo["coso"])
    actions.decide(coso_user, {rating.pk: (level, score)}, score_period)
    rating.refresh_from_db()
    assert (rating.decided_level, rating.decided_score) == (level, score)


def test_the_periods_thresholds_are_used(coso_user, demo):
    period = new_period(Scheme.SCORE, excellent_min=85, good_min=65, done_min=45)
    people = rate(period, demo["coso"], 4)
    refused(lambda: actions.decide(coso_user, {people[0].pk: ("good", 85)}, period), period, RULE_366)
    make_room(coso_user, period, demo["coso"])
    actions.decide(
        coso_user, {people[0].pk: ("excellent", 85), people[1].pk: ("good", 65), people[2].pk: ("done", 45),
                    people[3].pk: ("failed", 44)}, period,
    )  # fmt: skip
    assert decided_levels(people) == ["excellent", "good", "done", "failed"]


def test_an_unknown_level_is_refused(levels_period, coso_user, demo):
    (rating,) = rate(levels_period, demo["coso"], 1)
    unknown = {rating.pk: ("perfect", None)}
    refused(lambda: actions.decide(coso_user, unknown, levels_period), levels_period, "Hãy chọn mức")


def give_tasks(rating: MemberRating, on_time: int = 0, late: int = 0, beyond: int = 0) -> None:
    """Tasks of 2025 led by the rated member, done: `on_time` by their deadline (`beyond` of them
    graded beyond requirement) and `late` after it. The rating checks read them (dangbo.tasks)."""
    from dangbo.tasks.models import Grade, Task

    for i in range(on_time + late):
        due = d(2025, 3, 1) + datetime.timedelta(days=7 * i)
        done = due + datetime.timedelta(days=10 if i >= on_time else -2)
        Task.objects.create(
            title=f"Nhiệm vụ thử {i}", assigned_by_unit_id=rating.grassroots_id, responsible_unit_id=rating.cell_id,
            head_id=rating.member_id, expected_result="Báo cáo", starts_on=d(2025, 1, 2), due_on=due, first_due_on=due,
            completed_on=done, progress=100, grade=Grade.BEYOND if i < beyond else Grade.MET,
        )  # fmt: skip


CAPS = [
    # (fields of the rating, its tasks, refused levels, the best level accepted, words of the message)
    ({"disciplined": True}, {}, ["excellent"], "good", "bị kỷ luật"),
    ({}, {"on_time": 9, "late": 1}, ["excellent", "good"], "done", "100% nhiệm vụ hoàn thành đúng hạn"),
    ({}, {"on_time": 10, "beyond": 2}, ["excellent"], "good", "ít nhất 30% nhiệm vụ vượt yêu cầu"),
    ({}, {"on_time": 7, "late": 3}, ["done"], "failed", "không quá 20%"),
]
CAP_IDS = ["disciplined", "late", "not-beyond", "too-late"]


@pytest.mark.parametrize("fields, tasks, refused_levels, accepted, words", CAPS, ids=CAP_IDS)
def test_discipline_and_task_criteria_cap_the_decided_level(
    levels_period, coso_user, demo, fields, tasks, refused_levels, accepted, words
):
    (rating,) = rate(levels_period, demo["coso"], 1, **fields)
    give_tasks(rating, **tasks)
    name = rating.member.full_name
    for level in refused_levels:
        refused(
            lambda level=level: actions.decide(coso_user, {rating.pk: (level, None)}, levels_period),
            levels_period,
            words,
            name,
        )
    actions.decide(coso_user, {rating.pk: (accepted, None)}, levels_period)
    assert decided_levels([rating]) == [accepted]
    if tasks:  # the decision keeps the task figures it was checked against
        rating.refresh_from_db()
        counted = tasks["on_time"] + tasks.get("late", 0)
        assert rating.tasks_on_time == tasks["on_time"] * 100 // counted
        assert rating.tasks_beyond == tasks.get("beyond", 0) * 100 // counted


@pytest.mark.parametrize("fields, tasks, refused_levels, accepted, words", CAPS, ids=CAP_IDS)
def test_the_caps_hold_for_the_self_assessment_and_the_proposal(
    levels_period, coso_user, demo, fields, tasks, refused_levels, accepted, words
):
    (rating,) = rate(levels_period, demo["coso"], 1, **fields)
    give_tasks(rating, **tasks)
    for level in refused_levels:
        refused(lambda level=level: actions.self_assess(coso_user, rating, level=level), levels_period, words)
    actions.self_assess(coso_user, rating, level=accepted)
    for level in refused_levels:
        refused(lambda level=level: actions.propose(coso_user, rating, level=level), levels_period, words)
    actions.propose(coso_user, rating, level=accepted)


def test_thirty_percent_beyond_and_all_on_time_allow_excellent(levels_period, coso_user, demo):
    (rating,) = rate(levels_period, demo["coso"], 1)
    give_tasks(rating, on_time=10, beyond=3)
    make_room(coso_user, levels_period, demo["coso"])
    actions.decide(coso_user, {rating.pk: ("excellent", None)}, levels_period)
    assert decided_levels([rating]) == ["excellent"]


@pytest.mark.parametrize("level", ["excellent", "good", "done", "failed"])
def test_an_exempted_member_cannot_be_decided(levels_period, coso_user, demo, level):
    people = rate(levels_period, demo["coso"], 5)
    MemberRating.unscoped.filter(pk=people[0].pk).update(exempted=True)
    decisions = {people[0].pk: (level, None)} | batch(people[1:], "done")
    refused(
        lambda: actions.decide(coso_user, decisions, levels_period),
        levels_period,
        "miễn sinh hoạt",
        people[0].member.full_name,
    )


@pytest.mark.parametrize("step", ["self", "propose"])
def test_an_exempted_member_is_neither_self_assessed_nor_proposed(levels_period, coso_user, demo, step):
    (rating,) = rate(levels_period, demo["coso"], 1, self_level="good")
    MemberRating.unscoped.filter(pk=rating.pk).update(exempted=True)
    rating.refresh_from_db()
    call = actions.self_assess if step == "self" else actions.propose
    refused(lambda: call(coso_user, rating, level="good"), levels_period, "miễn sinh hoạt")


def test_one_wrong_row_refuses_the_whole_batch(score_period, coso_user, demo):
    people = rate(score_period, demo["coso"], 5)
    MemberRating.unscoped.filter(pk=people[4].pk).update(disciplined=True)
    decisions = batch(people[:4], "good", 80) | {people[4].pk: ("excellent", 95)}
    refused(lambda: actions.decide(coso_user, decisions, score_period), score_period, "bị kỷ luật")
    assert decided_levels(people) == [""] * 5


def test_a_batch_with_a_rating_of_another_period_is_refused(levels_period, coso_user, demo):
    ours = rate(levels_period, demo["coso"], 2)
    theirs = MemberRating.unscoped.filter(period=demo_round(), grassroots_id=demo["coso"]).order_by("pk").first()
    decisions = batch(ours, "good") | {theirs.pk: ("good", 75)}
    refused(lambda: actions.decide(coso_user, decisions, levels_period), levels_period, "không thuộc đợt đánh giá")
    assert decided_levels([theirs]) == [""]


# --- 3. the workflow, locking, reopening and the audit log ----------------------------------------


def test_a_proposal_before_the_self_assessment_is_refused(score_period, coso_user, demo):
    (rating,) = rate(score_period, demo["coso"], 1)
    refused(
        lambda: actions.propose(coso_user, rating, level="good", score=80),
        score_period,
        "chưa tự đánh giá",
        rating.member.full_name,
    )


def test_each_step_writes_one_audit_entry_and_a_decided_result_is_locked_until_reopened(score_period, coso_user, demo):
    (rating,) = rate(score_period, demo["coso"], 1)
    make_room(coso_user, score_period, demo["coso"])  # a place for one excellent
    target = ("ratings.memberrating", str(rating.pk))

    def step(call, action: str) -> AuditEntry:
        mark = audit_mark()
        call()
        (entry,) = new_entries(mark)
        assert (entry.action, entry.actor_id, (entry.target_type, entry.target_id)) == (action, coso_user.pk, target)
        return entry

    entry = step(lambda: actions.self_assess(coso_user, rating, level="good", score=78, text="  Đã hoàn thành.  "),
                 "rating_self_assess")  # fmt: skip
    assert (entry.before["self_level"], entry.after["self_level"], entry.after["self_score"]) == ("", "good", 78)
    assert entry.after["self_text"] == "Đã hoàn thành."
    entry = step(lambda: actions.propose(coso_user, rating, level="good", score=80), "rating_propose")
    assert (entry.before["proposed_level"], entry.after["proposed_level"], entry.after["proposed_score"]) == (
        "", "good", 80,
    )  # fmt: skip
    entry = step(lambda: actions.decide(coso_user, {rating.pk: ("excellent", 91)}, score_period), "rating_decide")
    assert (entry.before["decided_level"], entry.after["decided_level"], entry.after["decided_score"]) == (
        "", "excellent", 91,
    )  # fmt: skip
    rating.refresh_from_db()
    assert (rating.decided_level, rating.decided_score, rating.decided_by_id) == ("excellent", 91, coso_user.pk)
    assert rating.decided_at is not None
    assert entry.after["decided_by_id"] == coso_user.pk

    # Locked: no step changes a decided result.
    locked = "đã được quyết định"
    refused(lambda: actions.self_assess(coso_user, rating, level="good", score=75), score_period, locked)
    refused(lambda: actions.propose(coso_user, rating, level="good", score=75), score_period, locked)
    refused(lambda: actions.decide(coso_user, {rating.pk: ("good", 75)}, score_period), score_period, locked)

    # Reopening needs a reason; it is kept in the audit note with the decision it undoes.
    for blank in ("", "   "):
        refused(lambda blank=blank: actions.reopen(coso_user, rating, blank), score_period, "lý do")
    entry = step(lambda: actions.reopen(coso_user, rating, "  Chi bộ phát hiện sai sót điểm.  "), "rating_reopen")
    assert entry.note == "Chi bộ phát hiện sai sót điểm."
    assert (entry.before["decided_level"], entry.before["decided_score"]) == ("excellent", 91)
    cleared = ("decided_level", "decided_score", "decided_at", "decided_by_id")
    assert [entry.after[field] for field in cleared] == ["", None, None, None]
    rating.refresh_from_db()
    assert [getattr(rating, field) for field in cleared] == ["", None, None, None]
    # The self-assessment and the proposal stay.
    assert (rating.self_level, rating.proposed_level, rating.proposed_score) == ("good", "good", 80)

    # Open again: the proposal and the decision work again.
    step(lambda: actions.propose(coso_user, rating, level="good", score=84), "rating_propose")
    step(lambda: actions.decide(coso_user, {rating.pk: ("good", 84)}, score_period), "rating_decide")
    rating.refresh_from_db()
    assert (rating.proposed_score, rating.decided_level, rating.decided_score) == (84, "good", 84)


def test_reopening_an_undecided_result_is_refused(levels_period, coso_user, demo):
    (rating,) = rate(levels_period, demo["coso"], 1)
    refused(lambda: actions.reopen(coso_user, rating, "Lý do"), levels_period, "chưa được quyết định")


def test_a_batch_decision_writes_one_audit_entry_per_member(levels_period, coso_user, demo):
    people = rate(levels_period, demo["coso"], 6)
    mark = audit_mark()
    actions.decide(coso_user, batch(people[:5], "good") | batch(people[5:], "excellent"), levels_period)
    entries = new_entries(mark)
    assert sorted((e.action, e.target_id, e.after["decided_level"]) for e in entries) == sorted(
        [("rating_decide", str(r.pk), "good") for r in people[:5]] + [("rating_decide", str(people[5].pk), "excellent")]
    )
    assert {e.actor_id for e in entries} == {coso_user.pk}


def test_reopening_frees_a_place_in_the_quota(levels_period, coso_user, demo):
    people = rate(levels_period, demo["coso"], 11)
    actions.decide(coso_user, batch(people[:8], "good") | batch(people[8:10], "excellent"), levels_period)
    one_more = batch(people[10:], "excellent")
    refused(lambda: actions.decide(coso_user, one_more, levels_period), levels_period, "tối đa 2")
    actions.reopen(coso_user, people[8], "Xếp loại lại")
    actions.decide(coso_user, batch(people[10:], "excellent"), levels_period)
    assert decided_levels(people) == ["good"] * 8 + ["", "excellent", "excellent"]


# --- 4. the round page: who sees and does what ------------------------------------------------------


def hand_round_ids(period_id: int, where: str, params: list) -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM ratings_memberrating WHERE period_id = %s AND {where}", [period_id, *params])
        return {row[0] for row in cursor.fetchall()}


def hand_subtree_ids(period_id: int, unit_id: int, day: datetime.date) -> set[int]:
    """The ratings of the period in cells lying under `unit_id` on `day`, by hand-written SQL."""
    sql = """
        SELECT r.id FROM ratings_memberrating r
        JOIN orgs_unitversion v ON v.unit_id = r.cell_id
             AND v.valid_from <= %s AND (v.valid_to IS NULL OR v.valid_to > %s)
        JOIN orgs_unitversion top ON top.unit_id = %s
             AND top.valid_from <= %s AND (top.valid_to IS NULL OR top.valid_to > %s)
        WHERE r.period_id = %s AND v.path LIKE top.path || '%%'
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [day, day, unit_id, day, day, period_id])
        return {row[0] for row in cursor.fetchall()}


def shown_ids(html: str) -> set[int]:
    return {int(pk) for pk in re.findall(r'<tr id="rating-(\d+)">', html)}


def alert_of(html: str) -> str:
    return " ".join(lxml.html.fromstring(html).xpath('//p[@role="alert"]//text()')).strip()


def quota_cards(html: str) -> list[str]:
    return [b.text_content() for b in lxml.html.fromstring(html).xpath('//*[@id="quota"]//b')]


@pytest.fixture
def round_2025(demo):
    period = demo_round()
    rows = MemberRating.unscoped.filter(period=period).select_related("member")
    chibo_rows = list(rows.filter(cell_id=demo["chibo"]).order_by("pk"))
    # A rating in coso's committee, outside chibo's cell (proposed already).
    elsewhere = rows.filter(grassroots_id=demo["coso"]).exclude(cell_id=demo["chibo"]).order_by("pk").first()
    assert len(chibo_rows) >= 2 and elsewhere is not None
    return period, chibo_rows, elsewhere


def test_chibo_sees_only_his_cells_rows_and_no_decision_form(as_user, demo, round_2025):
    period, chibo_rows, elsewhere = round_2025
    response = as_user("chibo").get(ROUND.format(period.pk))
    assert response.status_code == 200
    html = response.content.decode()
    assert shown_ids(html) == hand_round_ids(period.pk, "cell_id = %s", [demo["chibo"]])
    assert shown_ids(html) == {r.pk for r in chibo_rows}
    assert f"rating-{elsewhere.pk}" not in html
    assert 'id="decide-form"' not in html and 'value="reopen"' not in html
    for r in chibo_rows:
        assert r.member.full_name in html


def test_coso_sees_his_committees_rows_and_the_decision_form(as_user, demo, round_2025):
    period, _, elsewhere = round_2025
    client = as_user("coso")
    expected = hand_subtree_ids(period.pk, demo["coso"], period.ends_on)
    assert expected == hand_round_ids(period.pk, "grassroots_id = %s", [demo["coso"]])
    assert elsewhere.pk in expected
    # The round is read 50 rows a page: walk the pages by the pager's “Trang sau” link.
    per_page = 50
    pages = math.ceil(len(expected) / per_page)
    assert pages >= 2
    shown: set[int] = set()
    url = ROUND.format(period.pk)
    for number in range(1, pages + 1):
        html = client.get(url).content.decode()
        ids = shown_ids(html)
        assert ids.isdisjoint(shown) and 0 < len(ids) <= per_page
        assert len(ids) == per_page or number == pages
        shown |= ids
        assert f"Trang {number} / {pages}" in html
        assert 'id="decide-form"' in html
        # Nothing decided yet in the 2025 round.
        assert quota_cards(html) == ["0", "0 / 0", "0"]
        following = lxml.html.fromstring(html).xpath('//nav[@class="pager"]/a[contains(., "Trang sau")]/@href')
        assert bool(following) is (number < pages)
        if following:
            url = ROUND.format(period.pk) + following[0]
    assert shown == expected


def test_chibo_self_assesses_and_proposes_for_a_member_of_his_cell(as_user, demo, round_2025):
    period, chibo_rows, _ = round_2025
    rating = chibo_rows[0]
    client = as_user("chibo")
    mark = audit_mark()
    data = {"rating": rating.pk, "level": "good", "score": "76", "text": "Bản tự kiểm điểm sửa lại.", "action": "self"}
    response = client.post(ROUND.format(period.pk), data)
    assert response.status_code == 302
    assert response.url == f"{ROUND.format(period.pk)}?tccs={demo['coso']}"
    rating.refresh_from_db()
    assert (rating.self_level, rating.self_score, rating.self_text) == ("good", 76, "Bản tự kiểm điểm sửa lại.")

    response = client.post(ROUND.format(period.pk), {**data, "action": "propose", "score": "77"}, follow=True)
    assert response.status_code == 200
    assert f"Chi bộ đã đề xuất mức xếp loại của {rating.member.full_name}." in response.content.decode()
    rating.refresh_from_db()
    assert (rating.proposed_level, rating.proposed_score, rating.decided_level) == ("good", 77, "")
    assert [e.action for e in new_entries(mark)] == ["rating_self_assess", "rating_propose"]
    assert {e.actor.username for e in new_entries(mark)} == {"chibo"}


def test_chibo_may_not_decide_nor_reopen(as_user, demo, coso_user, round_2025):
    period, chibo_rows, _ = round_2025
    rating = chibo_rows[0]
    client = as_user("chibo")
    before = state(period)
    decide = {"action": "decide", f"level-{rating.pk}": rating.self_level, f"score-{rating.pk}": rating.self_score}
    assert client.post(ROUND.format(period.pk), decide).status_code == 403
    reopen = {"action": "reopen", "rating": rating.pk, "reason": "Sai điểm"}
    assert client.post(ROUND.format(period.pk), reopen).status_code == 403
    assert state(period) == before
    # Nor reopen a result the committee decided.
    actions.decide(coso_user, {rating.pk: (rating.self_level, rating.self_score)}, period)
    before = state(period)
    assert client.post(ROUND.format(period.pk), reopen).status_code == 403
    assert state(period) == before


@pytest.mark.parametrize("action", ["self", "propose", "reopen"])
def test_chibo_gets_404_for_a_rating_of_another_cell(as_user, round_2025, action):
    period, _, elsewhere = round_2025
    before = state(period)
    data = {"action": action, "rating": elsewhere.pk, "level": elsewhere.self_level, "score": elsewhere.self_score,
            "reason": "Lý do"}  # fmt: skip
    assert as_user("chibo").post(ROUND.format(period.pk), data).status_code == 404
    assert state(period) == before


def test_the_outsider_gets_404_for_a_rating_in_cosos_committee(as_user, outsider, demo, round_2025):
    period, _, elsewhere = round_2025
    username, _ = outsider
    client = as_user(username)
    before = state(period)
    for action in ("self", "propose"):
        data = {"action": action, "rating": elsewhere.pk, "level": elsewhere.self_level, "score": elsewhere.self_score,
                "tccs": demo["coso"]}  # fmt: skip
        assert client.post(ROUND.format(period.pk), data).status_code == 404
    assert state(period) == before
    # Asking for coso's committee shows none of its rows.
    response = client.get(ROUND.format(period.pk), {"tccs": demo["coso"]})
    assert response.status_code in (200, 404)
    assert shown_ids(response.content.decode()).isdisjoint(
        hand_round_ids(period.pk, "grassroots_id = %s", [demo["coso"]])
    )


def test_coso_decides_and_reopens_on_the_page(as_user, demo, round_2025):
    period, chibo_rows, elsewhere = round_2025
    client = as_user("coso")
    a, b = chibo_rows[:2]
    mark = audit_mark()
    data = {"action": "decide", "xac-nhan": "1", "tccs": demo["coso"],
            f"level-{a.pk}": a.self_level, f"score-{a.pk}": a.self_score,
            f"level-{b.pk}": b.self_level, f"score-{b.pk}": b.self_score,
            f"level-{elsewhere.pk}": "", f"score-{elsewhere.pk}": elsewhere.proposed_score}  # fmt: skip
    response = client.post(ROUND.format(period.pk), data, follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Đã quyết định xếp loại 2 đảng viên." in html
    assert decided_levels([a, b, elsewhere]) == [a.self_level, b.self_level, ""]
    assert [e.action for e in new_entries(mark)] == ["rating_decide", "rating_decide"]
    good_or_better = sum(level in ("excellent", "good") for level in (a.self_level, b.self_level))
    assert quota_cards(html)[0] == str(good_or_better)

    # Reopen one: a reason is needed.
    response = client.post(ROUND.format(period.pk), {"action": "reopen", "rating": a.pk, "reason": " "})
    assert response.status_code == 400
    assert "Hãy nêu lý do mở lại kết quả xếp loại." in alert_of(response.content.decode())
    response = client.post(ROUND.format(period.pk), {"action": "reopen", "rating": a.pk, "reason": "Sai điểm"})
    assert response.status_code == 302
    assert decided_levels([a, b]) == ["", b.self_level]
    assert AuditEntry.objects.filter(action="rating_reopen", target_id=str(a.pk)).get().note == "Sai điểm"


def test_xem_gets_404_and_anonymous_is_sent_to_log_in(client, as_user, round_2025):
    period, _, _ = round_2025
    response = client.get(ROUND.format(period.pk))
    assert response.status_code == 302
    assert response.url.startswith("/dang-nhap/")
    assert as_user("xem").get(ROUND.format(period.pk)).status_code == 404
    assert as_user("xem").post(ROUND.format(period.pk), {"action": "decide"}).status_code == 404


def test_an_unknown_period_is_404(as_user, demo):
    missing = (RatingPeriod.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    assert as_user("khoi").get(ROUND.format(missing)).status_code == 404


def test_a_refused_proposal_answers_400_with_the_message_and_keeps_what_was_typed(as_user, round_2025):
    period, chibo_rows, _ = round_2025
    rating = chibo_rows[0]
    before = state(period)
    data = {"action": "propose", "rating": rating.pk, "level": "good", "score": "95", "text": "Ghi chú đã gõ"}
    response = as_user("chibo").post(ROUND.format(period.pk), data)
    assert response.status_code == 400
    html = response.content.decode()
    message = alert_of(html)
    assert RULE_366 in message and "95 điểm" in message and rating.member.full_name in message, message
    row = lxml.html.fromstring(html).get_element_by_id(f"rating-{rating.pk}")
    assert row.xpath('.//select[@name="level"]/option[@selected]')[0].get("value") == "good"
    assert row.xpath('.//input[@name="score"]')[0].get("value") == "95"
    assert row.xpath('.//input[@name="text"]')[0].get("value") == "Ghi chú đã gõ"
    assert state(period) == before


def test_a_refused_decision_answers_400_and_keeps_the_posted_levels_and_scores(as_user, demo, round_2025):
    period, chibo_rows, _ = round_2025
    a, b = chibo_rows[:2]
    before = state(period)
    data = {"action": "decide", "xac-nhan": "1", "chibo": demo["chibo"], f"level-{a.pk}": "excellent",
            f"score-{a.pk}": "80", f"level-{b.pk}": "good", f"score-{b.pk}": "75"}  # fmt: skip
    response = as_user("coso").post(ROUND.format(period.pk), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert RULE_366 in alert_of(html) and "80 điểm" in alert_of(html)
    page = lxml.html.fromstring(html)
    for rating, level, score in ((a, "excellent", "80"), (b, "good", "75")):
        chosen = page.xpath(f'//select[@form="decide-form"][@name="level-{rating.pk}"]/option[@selected]')
        assert chosen[0].get("value") == level
        assert page.xpath(f'//input[@form="decide-form"][@name="score-{rating.pk}"]')[0].get("value") == score
    assert state(period) == before


def test_a_decision_with_nothing_chosen_is_refused(as_user, round_2025):
    period, _, _ = round_2025
    before = state(period)
    response = as_user("coso").post(ROUND.format(period.pk), {"action": "decide"})
    assert response.status_code == 400
    assert "Hãy chọn mức xếp loại cho ít nhất một đảng viên." in alert_of(response.content.decode())
    assert state(period) == before


def hand_quota(period_id: int, grassroots_id: int) -> list[str]:
    """The quota cards of a grassroots organisation (20%, rounded down), by hand-written SQL."""
    sql = """
        SELECT COUNT(*), SUM(CASE WHEN decided_level = 'excellent' THEN 1 ELSE 0 END) FROM ratings_memberrating
        WHERE period_id = %s AND grassroots_id = %s AND decided_level IN ('excellent', 'good')
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [period_id, grassroots_id])
        good_or_better, excellent = cursor.fetchone()
    allowed = good_or_better * 20 // 100
    return [str(good_or_better), f"{excellent} / {allowed}", str(allowed - excellent)]


def test_the_quota_cards_show_the_grassroots_organisations_figures(as_user, demo):
    period = RatingPeriod.objects.get(kind=PeriodKind.YEAR, year=2023)
    html = as_user("coso").get(ROUND.format(period.pk)).content.decode()
    assert quota_cards(html) == hand_quota(period.pk, demo["coso"])


def test_a_cell_secretary_sees_the_quota_of_his_grassroots_organisation(as_user, demo):
    period = RatingPeriod.objects.get(kind=PeriodKind.YEAR, year=2023)
    html = as_user("chibo").get(ROUND.format(period.pk)).content.decode()
    assert quota_cards(html) == hand_quota(period.pk, demo["coso"])


# --- two decisions at the same time (PostgreSQL) ----------------------------------------------------


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent transactions: PostgreSQL only")
def test_two_concurrent_decisions_cannot_both_take_the_last_excellent_place(demo, coso_user, monkeypatch):
    """The demo's 2025 round is committed; two threads, each with its own connection and transaction,
    decide one excellent each when one place is left, and wait for each other after checking the
    quota: if nothing serialises them, both see the place free and both write. (Today `decide`'s
    SELECT … FOR UPDATE also locks the joined period row, which serialises decisions of one period.)
    What they commit is undone at the end."""
    import threading

    from django.db import close_old_connections, connections

    period = demo_round()
    rows = MemberRating.unscoped.filter(period=period, grassroots_id=demo["coso"]).order_by("pk")
    good = list(rows.filter(self_level="good")[:9])
    excellent = list(rows.filter(self_level="excellent")[:3])
    ids = [r.pk for r in good + excellent]
    barrier = threading.Barrier(2, timeout=3)
    check_quota = actions.quota_error

    def quota_error_then_wait(*args):
        error = check_quota(*args)
        try:
            barrier.wait()  # both have checked the quota (if a lock lets them)
        except threading.BrokenBarrierError:
            pass
        return error

    def in_thread(work):
        outcome = {}

        def run():
            try:
                outcome["value"] = work()
            except Exception as error:  # noqa: BLE001 - the outcome is the test's
                outcome["error"] = error
            finally:
                connections.close_all()

        thread = threading.Thread(target=run)
        thread.start()
        return thread, outcome

    def decide(ratings):
        return actions.decide(coso_user, {r.pk: (r.self_level, r.self_score) for r in ratings}, period)

    mark = audit_mark()
    try:
        # Committed: 9 good and 1 excellent, so 10 good or better allow 2: one place left.
        thread, outcome = in_thread(lambda: decide(good + excellent[:1]))
        thread.join()
        assert "error" not in outcome, outcome
        monkeypatch.setattr(actions, "quota_error", quota_error_then_wait)
        runs = [in_thread(lambda r=r: decide([r])) for r in excellent[1:]]
        for thread, _ in runs:
            thread.join(timeout=30)
        outcomes = [outcome for _, outcome in runs]
        accepted = [o for o in outcomes if "value" in o]
        refusals = [o["error"] for o in outcomes if isinstance(o.get("error"), ValidationError)]
        assert (len(accepted), len(refusals)) == (1, 1), outcomes
        assert "tối đa 2" in " ".join(refusals[0].messages)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT COUNT(*) FROM ratings_memberrating WHERE period_id = %s AND grassroots_id = %s "
                "AND decided_level = 'excellent'",
                [period.pk, demo["coso"]],
            )
            assert cursor.fetchone()[0] == 2
    finally:
        # Undo what the threads committed, in a connection of their own.
        def undo():
            with connections["default"].cursor() as cursor:
                cursor.execute(
                    "UPDATE ratings_memberrating SET decided_level = '', decided_score = NULL, decided_at = NULL, "
                    "decided_by_id = NULL WHERE id = ANY(%s)",
                    [ids],
                )
                cursor.execute("DELETE FROM audit_auditentry WHERE id > %s AND action = 'rating_decide'", [mark or 0])
            refresh_level_tallies([period])  # the UPDATE went past MemberRating.save

        thread, outcome = in_thread(undo)
        thread.join()
        close_old_connections()
        assert "error" not in outcome, outcome


# --- opening a round ---------------------------------------------------------------------------------


def test_opening_a_round_lists_the_members_and_organisations_at_its_end(demo):
    from dangbo.members.actions import timeline_of
    from dangbo.members.models import Member
    from dangbo.ratings.models import UnitRating

    end = datetime.date(2026, 9, 30)
    period = RatingPeriod.objects.create(
        name="Đánh giá quý III năm 2026", kind=PeriodKind.QUARTER, starts_on=datetime.date(2026, 7, 1), ends_on=end
    )
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT member_id, unit_id FROM members_stint WHERE kind = 'official' AND start <= %s
               AND ("end" IS NULL OR "end" > %s)""",
            [end, end],
        )
        expected = dict(cursor.fetchall())
        cursor.execute(
            """SELECT unit_id FROM orgs_unitversion WHERE kind <> 'superior' AND valid_from <= %s
               AND (valid_to IS NULL OR valid_to > %s)""",
            [end, end],
        )
        units = {row[0] for row in cursor.fetchall()}
    audit_before = AuditEntry.objects.count()
    counts = actions.open_round(None, period)
    listed = dict(MemberRating.unscoped.filter(period=period).values_list("member_id", "cell_id"))
    assert listed == expected
    assert counts == {"members": len(expected), "organisations": len(units)}
    assert set(UnitRating.objects.filter(period=period).values_list("unit_id", flat=True)) == units
    assert AuditEntry.objects.count() == audit_before + 1
    # Exempted members are marked apart, as their events say on the last day.
    exempted = set(MemberRating.unscoped.filter(period=period, exempted=True).values_list("member_id", flat=True))
    sample = list(exempted)[:5] + [m for m in list(expected)[:20] if m not in exempted]
    for member in Member.unscoped.filter(pk__in=sample):
        assert timeline_of(member).exempted_on(end) == (member.pk in exempted), member.pk
    # Every member's grassroots organisation is an ancestor of their cell.
    row = MemberRating.unscoped.filter(period=period).first()
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT c.path, g.path, g.kind FROM orgs_unitversion c, orgs_unitversion g
               WHERE c.unit_id = %s AND g.unit_id = %s
               AND c.valid_from <= %s AND (c.valid_to IS NULL OR c.valid_to > %s)
               AND g.valid_from <= %s AND (g.valid_to IS NULL OR g.valid_to > %s)""",
            [row.cell_id, row.grassroots_id, end, end, end, end],
        )
        cell_path, grassroots_path, kind = cursor.fetchone()
    assert cell_path.startswith(grassroots_path) and kind in ("grassroots_committee", "grassroots_cell")
    # Opening again adds nobody.
    assert actions.open_round(None, period) == {"members": 0, "organisations": 0}
