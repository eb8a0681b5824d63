"""Working-day arithmetic over the Vietnamese public-sector calendar.

A day is a working day when it has a `CalendarDay` row and that row says so (`is_working_day`),
otherwise when it is Monday to Friday. Deadlines in party work are counted in working days, e.g.
"the admission ceremony within 30 working days of the decision" (`add_working_days`) or "more than
30 working days after the end of probation" (`working_days_between`).

Conventions, the same everywhere here: the start day is never counted. `add(start, n)` is the n-th
working day after `start`; `between(start, end)` counts the working days d with start < d <= end.
So the two are inverse: between(start, add(start, n)) == n.

The functions are pure apart from loading the rows: `WorkCalendar` loads them by whole calendar
years, one query for the years it is built for, and one more query each time a computation reaches
a year outside them, so a result is never computed from rows that were not loaded. For many
computations (a deadline per row of a list) build one `WorkCalendar` over the span and reuse it;
the module-level functions build a fresh one per call, sized so that one query is almost always
enough.
"""

from __future__ import annotations

import datetime
from bisect import bisect_right

from django.db.models import Q

from .models import CalendarDay

# How far ahead `add` loads at first, in calendar days per working day plus a margin: weekends alone
# give 7/5 = 1.4, a year with its holidays about 365/250 = 1.46; 1.6 and a month's margin cover a
# short span that contains a whole Tết break. Falling short costs one more query, never a wrong date.
_DAYS_PER_WORKING_DAY = 1.6
_MARGIN_DAYS = 31


def _is_weekday(day: datetime.date) -> bool:
    return day.weekday() < 5


def is_working_day(day: datetime.date, overrides: dict[datetime.date, bool] | None = None) -> bool:
    """Is `day` a working day?

    `overrides` maps dates to their `is_working_day` (the CalendarDay rows of the range of
    interest, e.g. from `WorkCalendar.overrides`); when given, no query is made. Without it, one
    query reads the row for `day`, if any.
    """
    if overrides is None:
        overrides = dict(CalendarDay.objects.filter(day=day).values_list("day", "is_working_day"))
    return overrides.get(day, _is_weekday(day))


class WorkCalendar:
    """The working days of a span of whole years, loaded once and extended on demand.

    `WorkCalendar(start, end)` loads the CalendarDay rows of the years from start.year to end.year
    in one query. A computation that reaches a day outside the loaded years loads the missing years
    (one query per extension), so answers are always correct and a loop over thousands of rows
    inside the span costs one query. Without arguments nothing is loaded until the first call.

    Inside, the working days of the loaded years are kept as a sorted list of ordinals, so `add`
    and `between` are binary searches rather than day-by-day walks.
    """

    def __init__(self, start: datetime.date | None = None, end: datetime.date | None = None):
        self.overrides: dict[datetime.date, bool] = {}
        self._first_year: int | None = None
        self._last_year: int | None = None
        self._working: list[int] = []
        if start is not None or end is not None:
            start = start or end
            end = end or start
            self._load(min(start, end).year, max(start, end).year)

    # --- loading ------------------------------------------------------------------------------

    def _load(self, first_year: int, last_year: int) -> None:
        """Make sure the years first_year..last_year are loaded; loads only what is missing."""
        if self._first_year is not None:
            if first_year >= self._first_year and last_year <= self._last_year:
                return
            # Keep the loaded years contiguous: fill any gap between them and the new ones.
            first_year = min(first_year, self._first_year)
            last_year = max(last_year, self._last_year)
        condition = Q()
        for lo, hi in self._missing(first_year, last_year):
            condition |= Q(day__range=(datetime.date(lo, 1, 1), datetime.date(hi, 12, 31)))
        self.overrides.update(CalendarDay.objects.filter(condition).values_list("day", "is_working_day"))
        self._first_year, self._last_year = first_year, last_year
        self._index()

    def _missing(self, first_year: int, last_year: int) -> list[tuple[int, int]]:
        if self._first_year is None:
            return [(first_year, last_year)]
        ranges = []
        if first_year < self._first_year:
            ranges.append((first_year, self._first_year - 1))
        if last_year > self._last_year:
            ranges.append((self._last_year + 1, last_year))
        return ranges

    def _index(self) -> None:
        """Rebuild the sorted ordinals of the working days of the loaded years."""
        first = datetime.date(self._first_year, 1, 1).toordinal()
        last = datetime.date(self._last_year, 12, 31).toordinal()
        overrides = {day.toordinal(): working for day, working in self.overrides.items()}
        # date.weekday() == (ordinal + 6) % 7, Monday being 0.
        self._working = [o for o in range(first, last + 1) if overrides.get(o, (o + 6) % 7 < 5)]

    def _ensure(self, *days: datetime.date) -> None:
        years = [day.year for day in days]
        self._load(min(years), max(years))

    # --- queries ------------------------------------------------------------------------------

    def is_working_day(self, day: datetime.date) -> bool:
        """Is `day` a working day? Loads its year if needed."""
        self._ensure(day)
        return self.overrides.get(day, _is_weekday(day))

    def add(self, start: datetime.date, n: int) -> datetime.date:
        """The n-th working day after `start` (start itself is not counted; n == 0 gives start).

        E.g. a decision on Friday 2/2/2024 plus 30 working days skips the weekends and the Tết days
        off 8/2–14/2/2024 and gives Friday 22/3/2024.
        """
        if n < 0:
            raise ValueError("n must be >= 0")
        if n == 0:
            return start
        estimate = start + datetime.timedelta(days=int(n * _DAYS_PER_WORKING_DAY) + _MARGIN_DAYS)
        self._ensure(start, estimate)
        target = bisect_right(self._working, start.toordinal()) + n - 1
        while target >= len(self._working):
            # Rare: the estimate fell short (a very long run of days off). Load one more year;
            # the index of `start` does not move since years are only added after it.
            self._load(self._first_year, self._last_year + 1)
        return datetime.date.fromordinal(self._working[target])

    def between(self, start: datetime.date, end: datetime.date) -> int:
        """The number of working days d with start < d <= end; 0 when end <= start."""
        if end <= start:
            return 0
        self._ensure(start, end)
        return bisect_right(self._working, end.toordinal()) - bisect_right(self._working, start.toordinal())


def add_working_days(start: datetime.date, n: int) -> datetime.date:
    """The date n working days after `start` (start not counted; n >= 0; n == 0 returns start).

    One query, for the years from start to an estimate of the result (a second one only if the
    estimate falls short). For many dates, use one `WorkCalendar`.
    """
    return WorkCalendar().add(start, n)


def working_days_between(start: datetime.date, end: datetime.date) -> int:
    """The number of working days d with start < d <= end (0 when end <= start).

    One query, for the years from start to end (none when end <= start). For many pairs of dates,
    use one `WorkCalendar`.
    """
    if end <= start:
        return 0
    return WorkCalendar(start, end).between(start, end)
