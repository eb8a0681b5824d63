"""The yearly summaries of the cells' meetings (`CellYear`) and the yearly compliance read from them.

The summaries are derived: after any write through the actions or the model they must equal a
recomputation by hand-written SQL over the meetings; and the compliance of each year computed
from them (`compliance_counts_by_year`, `compliance_by_year`) must equal `compliance` over that
year alone, which reads the meetings themselves — on the demo, where cells were founded,
dissolved and moved during the years, and after writes that change a year.
"""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.db import connection

from dangbo.accounts.models import User
from dangbo.meetings.actions import invitees, plan_meeting, save_minutes
from dangbo.meetings.cell_years import refresh
from dangbo.meetings.compliance import compliance, compliance_by_year, compliance_counts_by_year
from dangbo.meetings.models import CellYear, Meeting, MeetingKind
from dangbo.orgs.models import UnitVersion

d = datetime.date
# (first day, last day, "today"): a term to the reference day, the years since, a single year.
WINDOWS = [
    (d(2020, 10, 15), d(2024, 9, 30), d(2024, 10, 1)),
    (d(2024, 10, 1), d(2026, 11, 27), d(2026, 11, 28)),
    (d(2022, 1, 1), d(2022, 12, 31), d(2023, 1, 1)),
]
# Units whose cells moved or were dissolved in those years (see dangbo/demo/builder.py), and the
# personas' units.
UNITS = [5, 6, 8, 9, 99]


def hand_summaries() -> dict[tuple[int, int], tuple]:
    """{(cell, year): (regular months, thematic months, short months, meetings, short, required,
    required present)} recomputed from the meetings by SQL and the rules of MEETING_RULES."""
    rules = settings.MEETING_RULES
    found: dict = {}
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT cell_id, held_on, kind, duration_minutes, required_count, required_present_count
               FROM meetings_meeting WHERE held_on IS NOT NULL"""
        )
        for cell, held_on, kind, minutes, required, present in cursor.fetchall():
            held_on = held_on if isinstance(held_on, datetime.date) else datetime.date.fromisoformat(held_on)
            row = found.setdefault((cell, held_on.year), [0, 0, 0, 0, 0, 0, 0])
            bit = 1 << (held_on.month - 1)
            if kind in ("regular", "combined"):
                row[0] |= bit
            if kind in ("thematic", "combined"):
                row[1] |= bit
            shortest = rules["min_minutes_combined"] if kind == "combined" else rules["min_minutes"]
            if minutes is not None and minutes < shortest:
                row[2] |= bit
                row[4] += 1
            row[3] += 1
            row[5] += required
            row[6] += present
    return {key: tuple(value) for key, value in found.items()}


def stored_summaries() -> dict[tuple[int, int], tuple]:
    fields = ("regular_months", "thematic_months", "short_months", "meetings", "short", "required", "required_present")
    return {(c.cell_id, c.year): tuple(getattr(c, f) for f in fields) for c in CellYear.objects.all()}


def test_the_demo_summaries_equal_the_meetings(demo):
    assert stored_summaries() == hand_summaries()


def test_saving_moving_and_deleting_a_meeting_keeps_the_summaries(demo):
    actor = User.objects.get(username="khoi")
    cell = demo["chibo"]
    meeting = Meeting.unscoped.filter(cell_id=cell, held_on__year=2023).order_by("held_on").first()
    # Moved to another year and made short: both years' summaries follow.
    meeting.held_on, meeting.duration_minutes = d(2021, 6, 3), 20
    meeting.save()
    assert stored_summaries() == hand_summaries()
    assert stored_summaries()[cell, 2021][2] & (1 << 5)
    # A meeting planned, then held through the actions, then a planned one deleted.
    planned = plan_meeting(actor, Meeting(cell_id=cell, kind=MeetingKind.THEMATIC, topic="Chuyên đề thử",
                                          planned_on=d(2026, 11, 20)))  # fmt: skip
    assert stored_summaries() == hand_summaries()
    present = {p.member.pk: ("present", "") for p in invitees(cell, d(2026, 11, 20))}
    save_minutes(actor, planned, attendance=present, held_on=d(2026, 11, 20), duration_minutes=95)
    assert stored_summaries() == hand_summaries()
    assert stored_summaries()[cell, 2026][1] & (1 << 10)  # a thematic meeting in November
    Meeting.unscoped.get(pk=meeting.pk).delete()
    assert stored_summaries() == hand_summaries()


def test_refresh_rebuilds_every_summary(demo):
    CellYear.objects.filter(year=2022).delete()
    CellYear.objects.filter(year=2023).update(regular_months=0)
    refresh()
    assert stored_summaries() == hand_summaries()


@pytest.mark.parametrize("window", WINDOWS, ids=["term", "since", "2022"])
def test_the_yearly_compliance_equals_compliance_over_each_year(demo, window):
    first, last, today = window
    for unit_id in [demo["root"], demo["coso"], demo["chibo"], *UNITS]:
        root = UnitVersion.objects.on(last).filter(unit_id=unit_id).first()
        if root is None:
            continue
        by_year = compliance_by_year(root, first, last, today)
        counts = compliance_counts_by_year(root, first, last, today)
        assert sorted(by_year) == list(range(first.year, last.year + 1))
        for year, result in by_year.items():
            alone = compliance(root, max(first, d(year, 1, 1)), min(last, d(year, 12, 31)), today)

            def fields(cells):
                return sorted((c.unit_id, list(c.owed_regular), list(c.owed_thematic), c.held_regular, c.held_thematic,
                               c.short, c.meetings, c.required, c.required_present) for c in cells)  # fmt: skip

            assert fields(result.cells) == fields(alone.cells), (unit_id, year)
            expected = [alone.complying, len(alone.cells)] if alone.cells else None
            assert counts[year].get(None) == expected, (unit_id, year)


def test_a_short_meeting_or_a_missing_month_shows_in_the_yearly_counts(demo):
    cell = demo["chibo"]
    root = UnitVersion.objects.on(d(2025, 12, 31)).get(unit_id=cell)
    before = compliance_counts_by_year(root, d(2025, 1, 1), d(2025, 12, 31), d(2026, 1, 1))[2025][None]
    assert before == [1, 1]
    meeting = Meeting.unscoped.filter(cell_id=cell, held_on__year=2025, kind=MeetingKind.REGULAR).first()
    meeting.duration_minutes = 10
    meeting.save()
    assert compliance_counts_by_year(root, d(2025, 1, 1), d(2025, 12, 31), d(2026, 1, 1))[2025][None] == [0, 1]
    meeting.duration_minutes = 90
    meeting.save()
    assert compliance_counts_by_year(root, d(2025, 1, 1), d(2025, 12, 31), d(2026, 1, 1))[2025][None] == [1, 1]
    month = meeting.held_on.month
    Meeting.unscoped.get(pk=meeting.pk).delete()
    still = Meeting.unscoped.filter(cell_id=cell, held_on__year=2025, held_on__month=month, kind__in=["regular",
                                                                                                      "combined"])
    assert compliance_counts_by_year(root, d(2025, 1, 1), d(2025, 12, 31), d(2026, 1, 1))[2025][None] == (
        [1, 1] if still.exists() else [0, 1]
    )


def test_the_yearly_counts_take_a_few_queries_for_the_whole_committee(demo, django_assert_max_num_queries):
    root = UnitVersion.objects.on(d(2024, 9, 30)).get(unit_id=demo["root"])
    # The steady cells' count and summaries (grouped in SQL), the moving cells' versions and summaries,
    # the few short meetings.
    with django_assert_max_num_queries(5):
        compliance_counts_by_year(root, d(2020, 10, 15), d(2024, 9, 30), d(2024, 10, 1))
