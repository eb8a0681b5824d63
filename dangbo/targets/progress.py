"""How far a target is, for a unit as of a day: its value by its basis (cumulative over the term,
each year, or at the end of the term), the value of each year of the term so far, the % of the
target, and its status — exceeded, met, not yet met, or at risk of not being met by the end of
the term, by a stated projection: the pace since the start of the term kept to its end."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from dangbo.lib import vn
from dangbo.orgs.models import Term, UnitVersion, path_prefixes

from .indicators import REGISTRY, SHARED, Indicator, Value, values_by_child
from .models import Basis, Comparator, ManualValue, Method, Target

TERM_YEARS = 5  # a congress term, when its end is not set yet

STATUS_LABELS = {
    "exceeded": "Vượt",
    "met": "Đạt",
    "not_met": "Chưa đạt",
    "at_risk": "Có nguy cơ không đạt",
    "unknown": "Chưa có số liệu",
    "not_compared": "—",
}


def term_end(term: Term) -> datetime.date:
    return term.ends_on or vn.add_years(term.starts_on, TERM_YEARS)


def term_years(term: Term, on: datetime.date) -> list[tuple[int, datetime.date, datetime.date]]:
    """The years of the term up to `on`, each as (year, first day, last day), clipped to the term."""
    last = min(on, term_end(term) - datetime.timedelta(days=1))
    return [
        (year, max(term.starts_on, datetime.date(year, 1, 1)), min(last, datetime.date(year, 12, 31)))
        for year in range(term.starts_on.year, last.year + 1)
    ]


@dataclass
class YearValue:
    year: int
    value: Value
    met: bool | None
    total: int | None = None  # a cumulative target: the total since the start of the term

    @property
    def shown(self):
        """What the chart draws: the running total of a cumulative target, else the value."""
        return self.value.value if self.total is None else self.total


@dataclass
class Evaluation:
    target: Target
    indicator: Indicator | None
    value: Value
    years: list[YearValue] = field(default_factory=list)
    percent_of_target: Decimal | None = None
    status: str = "unknown"
    projection: Decimal | None = None
    compared: bool = True
    manual: ManualValue | None = None
    entries: list = field(default_factory=list)  # a target judged by hand: its values so far

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def decimals(self) -> int:
        return self.indicator.decimals if self.indicator else 2

    @property
    def is_percentage(self) -> bool:
        return self.target.measure == "%"


def meets(target: Target, value) -> bool | None:
    if value is None:
        return None
    if target.comparator == Comparator.AT_MOST:
        return Decimal(value) <= target.target_value
    return Decimal(value) >= target.target_value


def _exceeds(target: Target, value) -> bool:
    if target.comparator == Comparator.AT_MOST:
        return Decimal(value) < target.target_value
    return Decimal(value) > target.target_value


class Evaluator:
    """Evaluates targets for one unit as of one day, computing each indicator value once."""

    def __init__(self, unit_id: int, on: datetime.date):
        self.unit_id, self.on = unit_id, on
        self._values: dict[tuple, Value] = {}
        self._shared: dict = {}  # reads the indicators share (indicators.SHARED)

    def _sharing(self, compute, *args):
        """`compute(*args)` with the reads the indicators share kept for this evaluator's page."""
        token = SHARED.set(self._shared)
        try:
            return compute(*args)
        finally:
            SHARED.reset(token)

    def value(self, key: str, start: datetime.date, end: datetime.date, unit_id: int | None = None) -> Value:
        unit_id = self.unit_id if unit_id is None else unit_id
        memo = (key, unit_id, start, end)
        if memo not in self._values:
            self._values[memo] = self._sharing(REGISTRY[key].compute, unit_id, start, end)
        return self._values[memo]

    def records(self, indicator: Indicator, start: datetime.date, end: datetime.date):
        """The records behind the unit's value, reading what the values read already once."""
        return self._sharing(indicator.records, self.unit_id, start, end)

    def by_child(self, key: str, start: datetime.date, end: datetime.date) -> dict[int, Value]:
        """The indicator for each direct sub-unit (`values_by_child`), with the shared reads."""
        return self._sharing(values_by_child, key, self.unit_id, start, end)

    def series(self, indicator: Indicator, windows: list) -> list[Value]:
        """The values of consecutive windows, together when the indicator can."""
        missing = [w for w in windows if (indicator.key, self.unit_id, w[1], w[2]) not in self._values]
        if indicator.series is not None and missing:
            values = self._sharing(indicator.series, self.unit_id, windows)
            for (_, start, end), value in zip(windows, values):
                self._values[indicator.key, self.unit_id, start, end] = value
        return [self.value(indicator.key, start, end) for _, start, end in windows]

    def evaluate(self, target: Target, term: Term, compared: bool = True) -> Evaluation:
        """`compared`: whether the unit's value is held against the target (a count set for a whole
        committee is not compared with one sub-unit's count)."""
        years = term_years(term, self.on)
        if target.method == Method.MANUAL:
            if not compared:  # judged by hand for the committee as a whole: nothing to show for a part
                return Evaluation(target, None, Value(None), compared=False, status="not_compared")
            return self._manual(target, term, years)
        indicator = REGISTRY.get(target.indicator)
        if indicator is None or not years:
            return Evaluation(target, indicator, Value(None), compared=compared)
        end = years[-1][2]
        if target.basis == Basis.YEARLY:
            series = [YearValue(y, value, None) for (y, _, _), value in zip(years, self.series(indicator, years))]
            known = [s for s in series if s.value.value is not None]
            current = known[-1].value if known else Value(None)
        elif target.basis == Basis.END:  # a state: as it stood at the end of each year
            series = [YearValue(y, self.value(indicator.key, term.starts_on, b), None) for y, _, b in years]
            current = series[-1].value
        else:  # cumulative: what each year added, and the total since the start of the term
            series = [YearValue(y, value, None) for (y, _, _), value in zip(years, self.series(indicator, years))]
            if indicator.additive:  # the years cover the term so far: their sum is the total
                current = Value(sum(s.value.value or 0 for s in series))
            else:
                current = self.value(indicator.key, term.starts_on, end)
            running = 0
            for s in series:
                running += s.value.value or 0
                s.total = running
        for s in series:
            s.met = meets(target, s.value.value) if target.basis == Basis.YEARLY else None
        evaluation = Evaluation(target, indicator, current, series, compared=compared)
        if compared:
            self._judge(evaluation, term, end)
        else:
            evaluation.status = "not_compared"
        return evaluation

    def _manual(self, target: Target, term: Term, years) -> Evaluation:
        entries = list(
            ManualValue.objects.filter(target=target, unit_id=self.unit_id, as_of__lte=self.on)
            .select_related("entered_by")
            .order_by("as_of", "pk")
        )
        series = []
        for year, _, last in years:
            inside = [e for e in entries if e.as_of <= last]
            if inside:
                series.append(YearValue(year, Value(inside[-1].value), meets(target, inside[-1].value)))
        latest = entries[-1] if entries else None
        evaluation = Evaluation(target, None, Value(latest.value if latest else None), series, manual=latest,
                                entries=entries)  # fmt: skip
        if latest is not None:
            self._judge(evaluation, term, latest.as_of)
        return evaluation

    def _judge(self, evaluation: Evaluation, term: Term, end: datetime.date) -> None:
        target, value = evaluation.target, evaluation.value.value
        if value is None:
            evaluation.status = "unknown"
            return
        if target.comparator == Comparator.AT_LEAST and target.target_value:
            evaluation.percent_of_target = Decimal(value) * 100 / target.target_value
        over = term_end(term) <= self.on
        if target.basis == Basis.YEARLY:
            missed = [s for s in evaluation.years if s.met is False]
            if missed:
                evaluation.status = "not_met"
            else:
                evaluation.status = "exceeded" if _exceeds(target, value) else "met"
            return
        if meets(target, value):
            evaluation.status = "exceeded" if _exceeds(target, value) else "met"
            return
        evaluation.projection = self._projection(evaluation, term, end)
        if over or target.comparator == Comparator.AT_MOST:
            evaluation.status = "not_met"  # a count over its ceiling cannot come down
        elif evaluation.projection is None or meets(target, evaluation.projection):
            evaluation.status = "not_met"  # not yet: on course, or nothing to project from
        else:
            evaluation.status = "at_risk"

    def _projection(self, evaluation: Evaluation, term: Term, end: datetime.date) -> Decimal | None:
        """The value at the end of the term if the pace since its start holds: a cumulative count
        grows in proportion to the time elapsed; a state moves on from its value at the start."""
        elapsed = (end - term.starts_on).days + 1
        whole = (term_end(term) - term.starts_on).days
        if evaluation.indicator is None:  # judged by hand: the trend from its first value to its latest
            first, latest = (evaluation.entries[0], evaluation.entries[-1]) if evaluation.entries else (None, None)
            if first is None or latest.as_of <= first.as_of:
                return None
            slope = (latest.value - first.value) / (latest.as_of - first.as_of).days
            return latest.value + slope * (term_end(term) - latest.as_of).days
        if elapsed <= 0:
            return None
        value = Decimal(evaluation.value.value)
        if evaluation.target.basis == Basis.CUMULATIVE:
            return value * whole / elapsed
        first = self.value(evaluation.indicator.key, term.starts_on, term.starts_on).value
        if first is None:
            return None
        return Decimal(first) + (value - Decimal(first)) * whole / elapsed


def compared(target: Target, unit_id: int, owner_id: int) -> bool:
    """Whether a unit's value is held against a target of its owner's resolution: a percentage
    holds for every unit; a count set for a committee, or a figure judged by hand for it, only for
    that committee."""
    if unit_id == owner_id:
        return True
    return target.measure == "%" and target.method == Method.INDICATOR


def governing_term(unit_id: int, on: datetime.date) -> tuple[Term | None, UnitVersion | None]:
    """The term running on `on` of the unit or, if it has none with a resolution, of the nearest
    committee above it that has one; with that committee as it stood then."""
    version = UnitVersion.objects.on(on).filter(unit_id=unit_id).first()
    if version is None:
        return None, None
    above = path_prefixes(version.path)[::-1]  # nearest first
    owners = {v.path: v for v in UnitVersion.objects.on(on).filter(path__in=above)}
    terms = (
        Term.objects.filter(committee_id__in=[v.unit_id for v in owners.values()], starts_on__lte=on)
        .filter(resolutions__isnull=False)
        .distinct()
        .order_by("-starts_on")
    )
    by_committee = {}
    for term in terms:
        if term_end(term) > on and term.committee_id not in by_committee:
            by_committee[term.committee_id] = term
    for path in above:  # nearest first
        owner = owners.get(path)
        if owner is not None and owner.unit_id in by_committee:
            return by_committee[owner.unit_id], owner
    return None, None
