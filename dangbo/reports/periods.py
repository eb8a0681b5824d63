"""Report periods and their keys: `2024-09` (a month), `2024-Q3` (a quarter), `2024-H1` (a half
year), `2024` (a year); an ad-hoc report's period is its request's. A period knows its days, the
words a document names it by, and when a report of it is due under a schedule."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from dangbo.lib import vn

from .models import PeriodKind

ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
_PATTERNS = {
    PeriodKind.MONTH: re.compile(r"^(\d{4})-(\d{2})$"),
    PeriodKind.QUARTER: re.compile(r"^(\d{4})-Q([1-4])$"),
    PeriodKind.HALF: re.compile(r"^(\d{4})-H([12])$"),
    PeriodKind.YEAR: re.compile(r"^(\d{4})()$"),
}
MONTHS_OF = {PeriodKind.MONTH: 1, PeriodKind.QUARTER: 3, PeriodKind.HALF: 6, PeriodKind.YEAR: 12}


@dataclass(frozen=True)
class Period:
    kind: str
    key: str
    starts_on: datetime.date
    ends_on: datetime.date

    @property
    def phrase(self) -> str:
        """How a document names it: "tháng 9 năm 2024", "quý III và 9 tháng năm 2024"…"""
        year, month = self.ends_on.year, self.ends_on.month
        if self.kind == PeriodKind.MONTH:
            return f"tháng {month} năm {year}"
        if self.kind == PeriodKind.QUARTER:
            quarter = month // 3
            so_far = f" và {month} tháng" if quarter in (2, 3) else ""
            return f"quý {ROMAN[quarter]}{so_far} năm {year}"
        if self.kind == PeriodKind.HALF:
            return f"6 tháng {'đầu' if month == 6 else 'cuối'} năm {year}"
        return f"năm {year}"

    @property
    def label(self) -> str:
        """Short, for lists: "09/2024", "Quý III/2024", "6 tháng đầu năm 2024", "Năm 2024"."""
        if self.kind == PeriodKind.MONTH:
            return f"{self.ends_on:%m/%Y}"
        if self.kind == PeriodKind.QUARTER:
            return f"Quý {ROMAN[self.ends_on.month // 3]}/{self.ends_on.year}"
        return self.phrase[0].upper() + self.phrase[1:]

    @property
    def name(self) -> str:
        """How a user picks it from a list: "Tháng 10/2026", "Quý III/2026", "6 tháng đầu năm 2026",
        "Năm 2026"."""
        if self.kind == PeriodKind.MONTH:
            return f"Tháng {self.ends_on.month}/{self.ends_on.year}"
        return self.label

    @property
    def year_start(self) -> datetime.date:
        return datetime.date(self.ends_on.year, 1, 1)

    def due_on(self, due_day: int) -> datetime.date:
        """Day `due_day` of the month after the period."""
        following = self.ends_on + datetime.timedelta(days=1)
        return following.replace(day=due_day)

    def next(self) -> Period:
        return containing(self.kind, self.ends_on + datetime.timedelta(days=1))


def parse(kind: str, key: str) -> Period | None:
    """The period of a key, None when the key is not one of that kind."""
    pattern = _PATTERNS.get(kind)
    match = pattern.match((key or "").strip().upper()) if pattern else None
    if match is None:
        return None
    year, part = int(match.group(1)), match.group(2)
    if not 1900 <= year <= 2999:
        return None
    months = MONTHS_OF[kind]
    index = int(part) if part else 1
    first_month = (index - 1) * months + 1
    if first_month > 12 or index < 1:
        return None
    start = datetime.date(year, first_month, 1)
    end = vn.add_months(start, months) - datetime.timedelta(days=1)
    return Period(kind, key.strip().upper(), start, end)


def containing(kind: str, day: datetime.date) -> Period:
    """The period of a kind that holds `day`."""
    months = MONTHS_OF[kind]
    index = (day.month - 1) // months + 1
    if kind == PeriodKind.MONTH:
        key = f"{day.year}-{day.month:02d}"
    elif kind == PeriodKind.QUARTER:
        key = f"{day.year}-Q{index}"
    elif kind == PeriodKind.HALF:
        key = f"{day.year}-H{index}"
    else:
        key = f"{day.year}"
    return parse(kind, key)


# How many periods back of each kind a unit may choose to open a report of (besides the running one).
CHOICES_BACK = {PeriodKind.MONTH: 12, PeriodKind.QUARTER: 4, PeriodKind.HALF: 2, PeriodKind.YEAR: 2}


def choices(kind: str, day: datetime.date) -> list[Period]:
    """The periods a report of a kind may be opened for on `day`, newest first: the running one
    (a report may be written before its period ends) and the latest ones that have ended."""
    return [containing(kind, day), *recent(kind, day, CHOICES_BACK[kind])]


def recent(kind: str, day: datetime.date, count: int) -> list[Period]:
    """The `count` latest periods of a kind that have ended by `day`, newest first."""
    period = containing(kind, day)
    periods = []
    while len(periods) < count:
        period = containing(kind, period.starts_on - datetime.timedelta(days=1))
        periods.append(period)
    return periods
