"""The yearly compliance counts judged in the database (`compliance_counts_by_year`): each steady
cell's summary row is tested in SQL against what the year owed, and only the counts come back.

They must equal `compliance_by_year`, which counts cell by cell in Python: in total and grouped by
sub-unit (each cell under its latest path begun by the end of the period, recomputed here by
hand-written SQL), under the default rules and under rules whose regular period is longer than a
month (the other form of the SQL test).
"""

from __future__ import annotations

import datetime

import pytest
from django.db import connection

from dangbo.meetings.compliance import compliance_by_year, compliance_counts_by_year
from dangbo.orgs.models import UnitVersion

d = datetime.date
# (first day, last day, "today"): a term to the reference day, a year in progress, the years since.
WINDOWS = [
    (d(2020, 10, 15), d(2024, 9, 30), d(2024, 10, 1)),
    (d(2024, 1, 1), d(2024, 9, 30), d(2024, 10, 1)),
    (d(2024, 10, 1), d(2026, 11, 27), d(2026, 11, 28)),
]
SUB_UNIT = 8  # the width of one level of the path (orgs.PATH_WIDTH), written out


def latest_paths(cells, period_end: datetime.date) -> dict[int, str]:
    """Each cell's path in its latest version begun before `period_end`, by SQL."""
    paths = {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT unit_id, path FROM orgs_unitversion WHERE valid_from < %s ORDER BY valid_from",
            [period_end],
        )
        for unit_id, path in cursor.fetchall():
            if unit_id in cells:
                paths[unit_id] = path
    return paths


def expected_counts(root, first, last, today, width=None) -> dict[int, dict]:
    """{year: {key: [complying, cells]}} from the cells of `compliance_by_year`."""
    years = compliance_by_year(root, first, last, today)
    period_end = d(last.year + (last.month == 12), last.month % 12 + 1, 1)
    cells = {c.unit_id for result in years.values() for c in result.cells}
    paths = latest_paths(cells, period_end)
    expected = {}
    for year, result in years.items():
        tally = expected[year] = {}
        for cell in result.cells:
            row = tally.setdefault(paths[cell.unit_id][:width] if width else None, [0, 0])
            row[0] += cell.complies
            row[1] += 1
    return expected


@pytest.mark.parametrize("window", WINDOWS, ids=["term", "2024", "since"])
@pytest.mark.parametrize("rules", [{}, {"regular_months": 2, "thematic_months": 6}], ids=["default", "longer"])
def test_the_counts_equal_the_cells_in_total_and_by_sub_unit(demo, settings, window, rules):
    settings.MEETING_RULES = {**settings.MEETING_RULES, **rules}
    first, last, today = window
    for unit_id in (demo["root"], demo["coso"], 5, 9):
        root = UnitVersion.objects.on(last).filter(unit_id=unit_id).first()
        if root is None:
            continue
        width = len(root.path) + SUB_UNIT
        for key_width in (None, width):
            counts = compliance_counts_by_year(root, first, last, today, key_width)
            assert counts == expected_counts(root, first, last, today, key_width), (unit_id, key_width)


def test_a_short_meeting_in_every_summary_of_a_year_fails_its_cells(demo):
    """A short meeting written into every month of every cell's 2023 summary: the cells that lay in
    the committee all year no longer comply, whatever else they held."""
    root = UnitVersion.objects.on(d(2023, 12, 31)).get(unit_id=demo["root"])
    window = (d(2023, 1, 1), d(2023, 12, 31), d(2024, 1, 1))
    before = compliance_counts_by_year(root, *window)[2023][None]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE meetings_cellyear SET short_months = 4095, short = 1 WHERE year = 2023")
    after = compliance_counts_by_year(root, *window)
    assert after == expected_counts(root, *window)
    assert after[2023][None][1] == before[1] and after[2023][None][0] < before[0] / 10


def test_the_counts_of_a_term_take_one_query_besides_the_moving_cells(demo, django_assert_max_num_queries):
    """The steady cells' count and their summaries in one query, then the moving cells' versions and
    summaries and their short meetings: four in all (five when they were read apart)."""
    root = UnitVersion.objects.on(d(2024, 9, 30)).get(unit_id=demo["root"])
    with django_assert_max_num_queries(4):
        compliance_counts_by_year(root, d(2020, 10, 15), d(2024, 9, 30), d(2024, 10, 1))
