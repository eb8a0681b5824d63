"""Working days (dangbo.workdays): weekends, Tết and the other holidays, nghỉ bù and làm bù, the seeded
data, back-office edits, the add/between inverse, and the number of queries.

The holidays come from the data migration 0002_seed_holidays, so they are in the test database.
Every expected date below is counted by hand, the count written next to it.
"""

from __future__ import annotations

import datetime
import unicodedata

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dangbo.workdays.calendar import WorkCalendar, add_working_days, is_working_day, working_days_between
from dangbo.workdays.holidays_data import HOLIDAYS
from dangbo.workdays.models import CalendarDay

from .conftest import login

d = datetime.date


# --- weekends -------------------------------------------------------------------------------------


def test_weekends_are_not_working_days(db):
    # March 2024 has no holiday: Friday 1, Saturday 2, Sunday 3, Monday 4.
    assert is_working_day(d(2024, 3, 1))
    assert not is_working_day(d(2024, 3, 2))
    assert not is_working_day(d(2024, 3, 3))
    assert is_working_day(d(2024, 3, 4))
    assert add_working_days(d(2024, 3, 1), 1) == d(2024, 3, 4)
    assert add_working_days(d(2024, 3, 2), 1) == d(2024, 3, 4)  # the start is not counted, even a Saturday
    # Friday 1/3 + 5 working days: 4, 5, 6, 7, 8 → Friday 8/3.
    assert add_working_days(d(2024, 3, 1), 5) == d(2024, 3, 8)
    assert working_days_between(d(2024, 3, 1), d(2024, 3, 4)) == 1
    assert working_days_between(d(2024, 3, 1), d(2024, 3, 3)) == 0


def test_edge_cases(db):
    assert add_working_days(d(2024, 3, 2), 0) == d(2024, 3, 2)
    assert working_days_between(d(2024, 3, 8), d(2024, 3, 8)) == 0
    assert working_days_between(d(2024, 3, 8), d(2024, 3, 1)) == 0
    with pytest.raises(ValueError):
        add_working_days(d(2024, 3, 1), -1)


# --- deadlines across Tết -------------------------------------------------------------------------


def test_deadline_across_tet_2024(db):
    # Decision on Friday 2/2/2024, ceremony within 30 working days. Counting from Monday 5/2:
    #   5, 6, 7/2 ................................. 3   (8–9/2 and 12–14/2 are Tết Giáp Thìn)
    #   15, 16/2 .................................. 5
    #   19–23/2, 26/2–1/3, 4–8/3, 11–15/3 ......... 25
    #   18–22/3 ................................... 30  → Friday 22/3/2024
    # Without Tết it would be Friday 15/3.
    assert add_working_days(d(2024, 2, 2), 30) == d(2024, 3, 22)
    assert working_days_between(d(2024, 2, 2), d(2024, 3, 22)) == 30
    assert working_days_between(d(2024, 2, 2), d(2024, 3, 21)) == 29
    for tet_day in (d(2024, 2, 8), d(2024, 2, 9), d(2024, 2, 12), d(2024, 2, 13), d(2024, 2, 14)):
        assert not is_working_day(tet_day)
    assert is_working_day(d(2024, 2, 15))


def test_deadline_across_tet_2025(db):
    # Decision on Monday 20/1/2025, 30 working days:
    #   21–24/1 ................................... 4   (27–31/1 are Tết Ất Tỵ, the whole week)
    #   3–7/2, 10–14/2, 17–21/2, 24–28/2, 3–7/3 .. 29
    #   10/3 ...................................... 30  → Monday 10/3/2025
    assert add_working_days(d(2025, 1, 20), 30) == d(2025, 3, 10)
    assert working_days_between(d(2025, 1, 20), d(2025, 3, 10)) == 30
    # The whole Tết week off: Friday 24/1 to Monday 3/2 is one working day.
    assert working_days_between(d(2025, 1, 24), d(2025, 2, 3)) == 1


def test_deadline_across_tet_2026(db):
    # Decision on Wednesday 11/2/2026, 30 working days:
    #   12, 13/2 .................................. 2   (16–20/2 are Tết Bính Ngọ)
    #   23–27/2, 2–6/3, 9–13/3, 16–20/3, 23–27/3 .. 27
    #   30, 31/3, 1/4 ............................. 30  → Wednesday 1/4/2026
    assert add_working_days(d(2026, 2, 11), 30) == d(2026, 4, 1)
    assert working_days_between(d(2026, 2, 11), d(2026, 4, 1)) == 30


def test_recognition_more_than_30_working_days_after_probation(db):
    # Probation ends Friday 10/1/2025. The 30th working day after it:
    #   13–17/1, 20–24/1 .......................... 10  (27–31/1 Tết Ất Tỵ)
    #   3–7/2, 10–14/2, 17–21/2, 24–28/2 .......... 30  → Friday 28/2/2025
    # "More than 30" means on or after the 31st: Monday 3/3/2025.
    ends = d(2025, 1, 10)
    assert add_working_days(ends, 30) == d(2025, 2, 28)
    assert working_days_between(ends, d(2025, 2, 28)) == 30
    assert working_days_between(ends, d(2025, 3, 3)) == 31


# --- nghỉ bù and làm bù ---------------------------------------------------------------------------


def test_compensation_days_off(db):
    # Giỗ Tổ 2026 falls on Sunday 26/4: Monday 27/4 is nghỉ bù. From Friday 24/4 to Tuesday 28/4:
    # 25, 26 weekend, 27 nghỉ bù, 28 worked → 1.
    assert not is_working_day(d(2026, 4, 27))
    assert working_days_between(d(2026, 4, 24), d(2026, 4, 28)) == 1
    assert add_working_days(d(2026, 4, 24), 1) == d(2026, 4, 28)
    # 1/1/2022 is a Saturday: Monday 3/1/2022 is nghỉ bù.
    assert not is_working_day(d(2022, 1, 3))
    assert add_working_days(d(2021, 12, 31), 1) == d(2022, 1, 4)
    # 2023: Giỗ Tổ Saturday 29/4 and 30/4 Sunday give nghỉ bù on 2/5 and 3/5; 1/5 is a Monday.
    # From Friday 28/4, the first working day is Thursday 4/5.
    assert add_working_days(d(2023, 4, 28), 1) == d(2023, 5, 4)


def test_lam_bu_saturday_is_a_working_day(db):
    # 2024: Monday 29/4 off, worked back on Saturday 4/5.
    assert not is_working_day(d(2024, 4, 29))
    assert is_working_day(d(2024, 5, 4))
    assert not is_working_day(d(2024, 5, 5))  # the Sunday stays a day off
    # Friday 26/4 to Monday 6/5: 29/4 swapped, 30/4 and 1/5 holidays; 2/5, 3/5, Saturday 4/5, 6/5 → 4.
    assert working_days_between(d(2024, 4, 26), d(2024, 5, 6)) == 4
    assert add_working_days(d(2024, 5, 3), 1) == d(2024, 5, 4)
    # 2026: Friday 2/1 off, worked back on Saturday 10/1. From Wednesday 31/12/2025: 1/1 holiday,
    # 2/1 swapped, 3–4/1 weekend; Monday 5/1 to Friday 9/1 are the 1st to 5th working days and
    # Saturday 10/1 the 6th.
    assert add_working_days(d(2025, 12, 31), 1) == d(2026, 1, 5)
    assert add_working_days(d(2025, 12, 31), 6) == d(2026, 1, 10)
    assert working_days_between(d(2026, 1, 9), d(2026, 1, 12)) == 2  # Saturday 10/1 and Monday 12/1


# --- the seeded data ------------------------------------------------------------------------------


@pytest.mark.parametrize("year", range(2020, 2027))
def test_migration_loaded_each_year_with_tet(db, year):
    tet = CalendarDay.objects.filter(day__year=year, name__startswith="Tết Nguyên đán", is_working_day=False)
    # Five official Tết days off, all on weekdays (weekend Tết days are given back as weekdays).
    assert tet.count() == 5
    assert all(day.weekday() < 5 for day in tet.values_list("day", flat=True))
    assert not tet.filter(name__contains="dự kiến").exists()
    assert CalendarDay.objects.filter(day=d(year, 1, 1), name="Tết Dương lịch").exists()
    assert CalendarDay.objects.filter(day=d(year, 9, 2), name="Quốc khánh").exists()


def test_migration_loaded_exactly_the_data(db):
    rows = set(CalendarDay.objects.values_list("day", "name", "is_working_day"))
    assert rows == set(HOLIDAYS)
    # 2027 has a provisional Tết, marked as such.
    tet_2027 = CalendarDay.objects.filter(day__year=2027, name__startswith="Tết Nguyên đán")
    assert tet_2027.count() == 5
    assert all("dự kiến" in name for name in tet_2027.values_list("name", flat=True))


def test_data_is_consistent():
    days = [day for day, _, _ in HOLIDAYS]
    assert len(days) == len(set(days)), "a date is listed twice"
    assert days == sorted(days)
    for day, name, working in HOLIDAYS:
        assert name == unicodedata.normalize("NFC", name) and 0 < len(name) <= 128
        if working:
            # Only a Saturday or Sunday is ever worked in exchange ("Làm bù cho ngày …").
            assert day.weekday() >= 5 and name.startswith("Làm bù"), (day, name)
    # Every làm bù Saturday pays for one weekday swapped off in the same year, and back.
    for year in {day.year for day in days}:
        worked = [day for day, _, working in HOLIDAYS if working and day.year == year]
        swapped = [day for day, name, _ in HOLIDAYS if name.startswith("Nghỉ hoán đổi") and day.year == year]
        assert len(worked) == len(swapped), year


# --- data, not code -------------------------------------------------------------------------------


def test_a_day_added_in_the_back_office_changes_the_result(client, demo):
    # Friday 7/3/2025 + 1 working day is Monday 10/3 …
    assert add_working_days(d(2025, 3, 7), 1) == d(2025, 3, 10)
    login(client, "admin")
    response = client.post(
        reverse("admin:workdays_calendarday_add"),
        {"day": "2025-03-10", "name": "Nghỉ theo quyết định của Tỉnh ủy", "is_working_day": ""},
    )
    assert response.status_code == 302, response.content.decode()
    # … and Tuesday 11/3 once the administrator has made Monday a day off.
    assert add_working_days(d(2025, 3, 7), 1) == d(2025, 3, 11)
    assert working_days_between(d(2025, 3, 7), d(2025, 3, 11)) == 1
    # A Saturday marked as worked counts.
    CalendarDay.objects.create(day=d(2025, 3, 15), name="Làm bù cho ngày 10/3", is_working_day=True)
    assert add_working_days(d(2025, 3, 14), 1) == d(2025, 3, 15)
    # Deleting a seeded holiday makes the day an ordinary weekday again.
    CalendarDay.objects.filter(day=d(2025, 4, 7)).delete()  # Giỗ Tổ 2025, a Monday
    assert is_working_day(d(2025, 4, 7))


def test_back_office_list_shows_the_days(client, demo):
    login(client, "admin")
    response = client.get(reverse("admin:workdays_calendarday_changelist"), {"day__year": "2024"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Tết Nguyên đán Giáp Thìn" in page
    assert "Làm bù cho ngày 29/4" in page
    assert "Tết Nguyên đán Ất Tỵ" not in page  # filtered to 2024 by the date hierarchy


# --- properties -----------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=st.dates(min_value=d(2020, 1, 1), max_value=d(2026, 12, 31)), n=st.integers(0, 200))
def test_add_and_between_are_inverse(db, start, n):
    end = add_working_days(start, n)
    assert working_days_between(start, end) == n
    assert end >= start
    if n > 0:
        assert is_working_day(end)
        # end is the first day reaching n: the day before it has n - 1.
        assert working_days_between(start, end - datetime.timedelta(days=1)) == n - 1


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=st.dates(min_value=d(2020, 1, 1), max_value=d(2026, 12, 31)), days=st.integers(0, 400))
def test_between_counts_working_days_one_by_one(db, start, days):
    end = start + datetime.timedelta(days=days)
    calendar = WorkCalendar(start, end)
    by_hand = sum(calendar.is_working_day(start + datetime.timedelta(days=i)) for i in range(1, days + 1))
    assert working_days_between(start, end) == by_hand


# --- queries --------------------------------------------------------------------------------------


def test_work_calendar_queries_are_constant_over_a_year(db, django_assert_max_num_queries):
    days = [d(2025, 1, 1) + datetime.timedelta(days=i) for i in range(365)]
    with django_assert_max_num_queries(1):
        calendar = WorkCalendar(d(2025, 1, 1), d(2026, 12, 31))
        deadlines = [calendar.add(day, 30) for day in days]
        counts = [calendar.between(day, day + datetime.timedelta(days=60)) for day in days]
        working = [calendar.is_working_day(day) for day in days]
    # The one-query results are the same as one call at a time.
    for i in (0, 20, 27, 100, 119, 240, 364):
        assert deadlines[i] == add_working_days(days[i], 30)
        assert counts[i] == working_days_between(days[i], days[i] + datetime.timedelta(days=60))
        assert working[i] == is_working_day(days[i])
    assert deadlines[days.index(d(2025, 1, 20))] == d(2025, 3, 10)
    # 2025 has 261 weekdays, 12 of them off (1/1, Tết ×5, 7/4, 30/4, 1/5, 2/5, 1/9, 2/9) and one
    # làm bù Saturday (26/4): 261 - 12 + 1 = 250.
    assert sum(working) == 250


def test_work_calendar_loads_missing_years_on_demand(db, django_assert_num_queries):
    with django_assert_num_queries(1):
        calendar = WorkCalendar(d(2025, 1, 1), d(2025, 1, 31))
    # Far outside the loaded year: one more query each time, and the right answers.
    with django_assert_num_queries(1):
        assert calendar.add(d(2025, 12, 31), 6) == d(2026, 1, 10)  # the làm bù Saturday of 2026
    with django_assert_num_queries(1):
        assert not calendar.is_working_day(d(2024, 2, 8))  # Tết 2024
    with django_assert_num_queries(0):
        assert calendar.between(d(2024, 2, 2), d(2024, 3, 22)) == 30
        assert calendar.is_working_day(d(2025, 4, 26))


def test_add_loads_more_years_when_the_estimate_falls_short(db, django_assert_num_queries):
    # An (absurd) closure from 1/3/2025 to the end of the year: the first working day after
    # Friday 28/2/2025 is then Monday 5/1/2026 (1/1/2026 holiday, 2/1 swapped, 3–4/1 weekend),
    # far past the estimate, which reaches only early April 2025.
    closure = [d(2025, 3, 1) + datetime.timedelta(days=i) for i in range(306)]
    assert closure[-1] == d(2025, 12, 31)
    CalendarDay.objects.filter(day__in=closure).delete()
    CalendarDay.objects.bulk_create(CalendarDay(day=day, name="Đóng cửa") for day in closure)
    with django_assert_num_queries(2):  # 2025, then 2026
        assert add_working_days(d(2025, 2, 28), 1) == d(2026, 1, 5)
    assert working_days_between(d(2025, 2, 28), d(2026, 1, 5)) == 1


def test_module_functions_make_one_query(db, django_assert_num_queries):
    with django_assert_num_queries(1):
        add_working_days(d(2024, 2, 2), 30)
    with django_assert_num_queries(1):
        add_working_days(d(2024, 12, 20), 200)  # into 2025: the estimate covers it
    with django_assert_num_queries(1):
        # Across the new year, the estimate loads 2026 at once. Monday 1/12/2025 + 30: December
        # 2–5, 8–12, 15–19, 22–26, 29–31 → 22; January 2026 (1/1 holiday, 2/1 swapped) 5–9 → 27,
        # Saturday 10/1 làm bù → 28, 12/1, 13/1 → 30.
        assert add_working_days(d(2025, 12, 1), 30) == d(2026, 1, 13)
    with django_assert_num_queries(1):
        working_days_between(d(2020, 1, 1), d(2026, 12, 31))
    with django_assert_num_queries(0):
        assert working_days_between(d(2024, 3, 8), d(2024, 3, 1)) == 0
        assert not is_working_day(d(2024, 2, 8), overrides={d(2024, 2, 8): False})
        assert is_working_day(d(2024, 2, 10), overrides={d(2024, 2, 10): True})
        assert not is_working_day(d(2024, 2, 10), overrides={})  # a Saturday
        assert is_working_day(d(2024, 2, 8), overrides={})  # no row given: a Thursday
