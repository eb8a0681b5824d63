"""The member ratings' tallies per period and cell (`ratings.LevelTally`), which the results of a
subtree read: after every kind of write they equal a count of the ratings by hand-written SQL."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection

from dangbo.accounts.models import User
from dangbo.ratings import actions
from dangbo.ratings.models import LevelTally, MemberRating, PeriodKind, RatingPeriod, Scheme, refresh_level_tallies

d = datetime.date
BUCKETS = ("excellent", "good", "done", "failed", "undecided", "exempted")


def hand_counts(period_id: int) -> dict[int, tuple]:
    """{cell: (excellent, good, done, failed, undecided, exempted)} counted from the ratings."""
    sql = """
        SELECT cell_id,
               SUM(CASE WHEN NOT exempted AND decided_level = 'excellent' THEN 1 ELSE 0 END),
               SUM(CASE WHEN NOT exempted AND decided_level = 'good' THEN 1 ELSE 0 END),
               SUM(CASE WHEN NOT exempted AND decided_level = 'done' THEN 1 ELSE 0 END),
               SUM(CASE WHEN NOT exempted AND decided_level = 'failed' THEN 1 ELSE 0 END),
               SUM(CASE WHEN NOT exempted AND decided_level = '' THEN 1 ELSE 0 END),
               SUM(CASE WHEN exempted THEN 1 ELSE 0 END)
        FROM ratings_memberrating WHERE period_id = %s GROUP BY cell_id
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [period_id])
        return {row[0]: tuple(int(n) for n in row[1:]) for row in cursor.fetchall()}


def tallies(period_id: int) -> dict[int, tuple]:
    rows = LevelTally.objects.filter(period_id=period_id).values_list("cell_id", *BUCKETS)
    return {cell: tuple(counts) for cell, *counts in rows if any(counts)}


def assert_in_step(period_id: int) -> None:
    assert tallies(period_id) == hand_counts(period_id)


@pytest.fixture
def period(demo) -> RatingPeriod:
    return RatingPeriod.objects.create(name="Đợt thử", kind=PeriodKind.AD_HOC, starts_on=d(2025, 1, 1),
                                       ends_on=d(2025, 12, 31), scheme=Scheme.LEVELS)  # fmt: skip


def some_ratings(period: RatingPeriod, grassroots_id: int, n: int) -> list[MemberRating]:
    year = RatingPeriod.objects.get(kind=PeriodKind.YEAR, year=2025)
    sources = MemberRating.unscoped.filter(period=year, grassroots_id=grassroots_id, exempted=False).order_by("pk")
    return [MemberRating.unscoped.create(period=period, member_id=s.member_id, cell_id=s.cell_id,
                                         grassroots_id=s.grassroots_id) for s in sources[:n]]  # fmt: skip


def test_the_demo_tallies_equal_the_ratings(demo):
    periods = list(RatingPeriod.objects.values_list("pk", flat=True))
    assert len(periods) == 6
    for period_id in periods:
        assert_in_step(period_id)
    rated = MemberRating.unscoped.filter(period_id=periods[0]).count()
    assert sum(sum(t) for t in tallies(periods[0]).values()) == rated


def test_creating_deciding_reopening_and_deleting_keep_them_in_step(period, demo):
    coso = User.objects.get(username="coso")
    ratings = some_ratings(period, demo["coso"], 10)
    assert_in_step(period.pk)
    assert sum(t[4] for t in tallies(period.pk).values()) == 10  # undecided
    actions.decide(coso, {r.pk: ("good", None) for r in ratings[:8]}, period)
    assert_in_step(period.pk)
    assert sum(t[1] for t in tallies(period.pk).values()) == 8
    actions.reopen(coso, MemberRating.unscoped.get(pk=ratings[0].pk), "Xem xét lại")
    assert_in_step(period.pk)
    MemberRating.unscoped.get(pk=ratings[1].pk).delete()
    assert_in_step(period.pk)
    assert sum(sum(t) for t in tallies(period.pk).values()) == 9


def test_a_rating_loaded_without_its_level_is_counted_again_when_saved(period, demo):
    (rating,) = some_ratings(period, demo["coso"], 1)
    partial = MemberRating.unscoped.only("pk", "period", "cell", "member", "grassroots").get(pk=rating.pk)
    partial.decided_level = "done"
    partial.save()
    assert_in_step(period.pk)
    assert tallies(period.pk)[rating.cell_id][2] == 1


def test_opening_a_round_counts_its_list(demo):
    khoi = User.objects.get(username="khoi")
    period = RatingPeriod.objects.create(name="Đợt quý", kind=PeriodKind.QUARTER, starts_on=d(2026, 7, 1),
                                         ends_on=d(2026, 9, 30), scheme=Scheme.LEVELS)  # fmt: skip
    counts = actions.open_round(khoi, period)
    assert counts["members"] > 4000
    assert_in_step(period.pk)


def test_refresh_rebuilds_what_a_bulk_write_left_behind(period, demo):
    year = RatingPeriod.objects.get(kind=PeriodKind.YEAR, year=2025)
    sources = MemberRating.unscoped.filter(period=year, grassroots_id=demo["coso"]).order_by("pk")[:30]
    MemberRating.unscoped.bulk_create(MemberRating(period=period, member_id=s.member_id, cell_id=s.cell_id,
                                                   grassroots_id=s.grassroots_id, exempted=s.exempted,
                                                   decided_level="good") for s in sources)  # fmt: skip
    assert tallies(period.pk) == {}  # past `MemberRating.save`
    assert refresh_level_tallies([period]) == len(hand_counts(period.pk))
    assert_in_step(period.pk)
    for other in RatingPeriod.objects.exclude(pk=period.pk).values_list("pk", flat=True):
        assert_in_step(other)  # the other periods untouched
