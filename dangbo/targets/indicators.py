"""The indicator library: one documented function per indicator, registered by key.

Each computes, for a unit of the tree and a period [start, end], on the tree as it stood then, a
`Value`: the value a target is compared with, its numerator and denominator, and — through
`records` — the records behind it. The figures of ratings, meetings and members come from the
functions of those apps (one function per figure); the indicators only choose the period and the
subtree they are read for.

The subtree of a unit is read as it stood on each day a record speaks of: an admission counts in
the subtree that held its cell on the day of the admission; a meeting rate, a rating or a count
of organisations in the subtree as it stood at the end of the period (a unit dissolved in 2023
counts in 2022's figures, not in 2024's)."""

from __future__ import annotations

import contextvars
import dataclasses
import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import Exists, F, OuterRef, Q

from dangbo.lib import vn
from dangbo.meetings.compliance import compliance, compliance_by_year, compliance_counts_by_year, sorted_cells
from dangbo.members.figures import counted_stints, subtree_figures, theory_level_on
from dangbo.members.models import Event, EventKind, Member, TheoryLevel
from dangbo.orgs.labels import labels_on_days, unit_labels
from dangbo.orgs.models import CELL_KINDS, PATH_WIDTH, UnitVersion, path_prefixes
from dangbo.ratings.figures import (
    GRASSROOTS_KINDS,
    member_levels,
    member_levels_by_unit,
    organisation_levels,
    organisation_levels_by_unit,
    tree_day,
)
from dangbo.ratings.models import GOOD_OR_BETTER, Level, MemberRating, PeriodKind, RatingPeriod, UnitRating

from .models import ModelRegistration

ONE_DAY = datetime.timedelta(days=1)


@dataclass
class Value:
    """An indicator's value for a unit and period: `value` (a count, or a percentage when there
    is a denominator) with its `numerator` and `denominator`; None when nothing was there to count
    (no ratings decided in the period, no cell to meet)."""

    value: Decimal | int | None
    numerator: int | None = None
    denominator: int | None = None


@dataclass
class Records:
    """The records behind a value, for the drill-down: column headings, the items (a queryset or a
    list, paged by the page) and how one page of items becomes rows of cells."""

    columns: list[str]
    items: Iterable
    rows: Callable[[list], list[list]] = field(default=lambda items: [list(item) for item in items])


@dataclass(frozen=True)
class Indicator:
    key: str
    label: str
    measure: str  # "%" or what is counted
    compute: Callable[[int, datetime.date, datetime.date], Value]
    records: Callable[[int, datetime.date, datetime.date], Records]
    decimals: int = 2  # as the reports print it: 81,63%; the "Dân vận khéo" share 64,5%
    # {sub-unit id: Value} for the direct sub-units of a unit at the end of the period, computed
    # together (the same figures as `compute` on each sub-unit, in a few queries).
    by_child: Callable[[int, datetime.date, datetime.date], dict[int, Value]] | None = None
    # [Value] for consecutive windows [(year, first day, last day)] at once, where that is cheaper.
    series: Callable[[int, list], list[Value]] | None = None
    additive: bool = False  # a count: the value of a period is the sum of its parts
    personal: bool = True  # its records name people (shown to the roles that see people only)

    @property
    def is_percentage(self) -> bool:
        return self.measure == "%"


REGISTRY: dict[str, Indicator] = {}


def register(key: str, label: str, measure: str, records, decimals: int = 2, additive: bool = False,
             personal: bool = True):  # fmt: skip
    def wrap(compute):
        REGISTRY[key] = Indicator(key, label, measure, compute, records, decimals, additive=additive,
                                  personal=personal)  # fmt: skip
        return compute

    return wrap


def by_child_of(key: str, attribute: str = "by_child"):
    def wrap(function):
        REGISTRY[key] = dataclasses.replace(REGISTRY[key], **{attribute: function})
        return function

    return wrap


def values_by_child(key: str, unit_id: int, start: datetime.date, end: datetime.date) -> dict[int, Value]:
    """The indicator for every direct sub-unit of the unit as it stood at `end`."""
    indicator = REGISTRY[key]
    if indicator.by_child is not None:
        return indicator.by_child(unit_id, start, end)
    children = UnitVersion.objects.on(end).filter(parent_id=unit_id).values_list("unit_id", flat=True)
    return {child: indicator.compute(child, start, end) for child in children}


def _children(root: UnitVersion, day: datetime.date):
    """The direct sub-units of `root` on `day` by path, and how to find which holds a path."""
    children = dict(UnitVersion.objects.on(day).filter(parent_id=root.unit_id).values_list("path", "unit_id"))
    width = len(root.path) + PATH_WIDTH
    return children, lambda path: children.get((path or "")[:width])


def choices() -> list[tuple[str, str]]:
    return [(key, indicator.label) for key, indicator in REGISTRY.items()]


# --- the subtree of a unit over a period -------------------------------------------------------------


def root_on(unit_id: int, day: datetime.date) -> UnitVersion | None:
    return UnitVersion.objects.on(day).filter(unit_id=unit_id).first()


def _root_windows(unit_id: int, start: datetime.date, end: datetime.date) -> list[tuple]:
    """The unit's versions over [start, end], each as (first day, last day, path)."""
    windows = []
    versions = UnitVersion.objects.filter(unit_id=unit_id, valid_from__lte=end).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gt=start)
    )
    for version in versions.order_by("valid_from"):
        last = end if version.valid_to is None else min(end, version.valid_to - ONE_DAY)
        windows.append((max(start, version.valid_from), last, version.path))
    return windows


# --- admissions (member events) ----------------------------------------------------------------------


def admission_events(unit_id: int, start: datetime.date, end: datetime.date):
    """Admissions (kết nạp; not readmissions) effective in [start, end] into a cell that lay in the
    unit's subtree on the day of the admission; cancelled events left out."""
    condition = Q(pk__in=[])
    for first, last, path in _root_windows(unit_id, start, end):
        cell_inside = UnitVersion.objects.filter(
            unit_id=OuterRef("unit_id"), path__startswith=path, valid_from__lte=OuterRef("effective_on")
        ).filter(Q(valid_to__isnull=True) | Q(valid_to__gt=OuterRef("effective_on")))
        condition |= Q(effective_on__gte=first, effective_on__lte=last) & Exists(cell_inside)
    return Event.unscoped.active().filter(kind=EventKind.ADMISSION).filter(condition)


def _admission_records(unit_id, start, end) -> Records:
    events = admission_events(unit_id, start, end).select_related("member").order_by("effective_on", "pk")

    def rows(page):
        names = labels_on_days((e.unit_id, e.effective_on) for e in page)  # each cell as it stood that day
        return [[e.member.full_name, vn.format_date(e.effective_on), names.get((e.unit_id, e.effective_on), ""),
                 e.decision_number]
                for e in page]  # fmt: skip

    return Records(["Họ và tên", "Ngày kết nạp", "Chi bộ", "Số quyết định"], events, rows)


def _admissions_joined(unit_id: int, start: datetime.date, end: datetime.date, within: Q | None = None) -> list:
    """`admission_events` as one join of the events with their cells' versions on the day, for
    each place the unit had over the period (the windows do not overlap in time): (the unit's path
    then, a queryset whose rows carry the cell's path that day as `unit__versions__path`). Faster
    than `admission_events` where the breakdown reads the admissions of a few sub-units one by
    one. `within`: a further condition on the cell's version that day (in the same join)."""
    parts = []
    for first, last, path in _root_windows(unit_id, start, end):
        on_the_day = Q(unit__versions__valid_to__isnull=True) | Q(unit__versions__valid_to__gt=F("effective_on"))
        events = Event.unscoped.active().filter(kind=EventKind.ADMISSION)
        events = events.filter(effective_on__gte=first, effective_on__lte=last)
        parts.append((path, events.filter(on_the_day, within or Q(), unit__versions__path__startswith=path,
                                          unit__versions__valid_from__lte=F("effective_on"))))  # fmt: skip
    return parts


# One join of the admissions with their cells' versions on the day: the rows of `_admissions_joined`,
# written out because the ORM joins the units table between the two, a third of the time at
# 250,000 members.
_ADMISSION_COUNTS = """
    SELECT {key}, {counts}
    FROM {events} e JOIN {versions} v ON v.unit_id = e.unit_id AND v.valid_from <= e.effective_on
        AND (v.valid_to IS NULL OR v.valid_to > e.effective_on)
    WHERE e.kind = %s AND e.cancelled_at IS NULL AND e.effective_on >= %s AND e.effective_on <= %s
        AND v.path LIKE %s
    {group}"""
_WITHIN = "SUM(CASE WHEN e.effective_on >= %s AND e.effective_on <= %s THEN 1 ELSE 0 END)"


def _admission_counts(unit_id: int, start: datetime.date, end: datetime.date, windows: list | None = None,
                      by_sub_unit: bool = False) -> dict[str | None, list[int]]:  # fmt: skip
    """`admissions` in [start, end] as {key: counts}: the count in each of `windows` (first day,
    last day) or, without them, in the whole period; under the key None or, with `by_sub_unit`,
    under the path of the sub-unit (one level below the unit as it stood then) that held the cell."""
    windows = windows or [(start, end)]
    several = len(windows) > 1
    counts: dict[str | None, list[int]] = defaultdict(lambda: [0] * len(windows))
    for first, last, path in _root_windows(unit_id, start, end):
        key = f"substr(v.path, 1, {len(path) + PATH_WIDTH})" if by_sub_unit else "NULL"
        sql = _ADMISSION_COUNTS.format(key=key, group=f"GROUP BY {key}" if by_sub_unit else "",
                                       counts=", ".join([_WITHIN] * len(windows)) if several else "COUNT(*)",
                                       events=Event._meta.db_table, versions=UnitVersion._meta.db_table)  # fmt: skip
        params = [day for window in windows for day in window] if several else []
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, EventKind.ADMISSION, first, last, path + "%"])
            for row_key, *row in cursor.fetchall():
                counts[row_key] = [n + int(m or 0) for n, m in zip(counts[row_key], row)]
    return counts


@register("admissions", "Số đảng viên mới kết nạp", "đảng viên", _admission_records, additive=True)
def admissions(unit_id: int, start: datetime.date, end: datetime.date) -> Value:
    """Members admitted in the period in the unit's subtree (see `admission_events`)."""
    return Value(_admission_counts(unit_id, start, end)[None][0])


@by_child_of("admissions", "series")
def _admissions_series(unit_id: int, windows: list) -> list[Value]:
    """The admissions of each window, counted in one query."""
    counts = _admission_counts(unit_id, windows[0][1], windows[-1][2], [(a, b) for _, a, b in windows])
    return [Value(n) for n in counts[None]]


# --- cell meetings -----------------------------------------------------------------------------------


def _compliance(unit_id, start, end):
    root = root_on(unit_id, end)
    if root is None:
        return None
    # As of `end`: its month counts once the day is over (the cells owe the months ended by then).
    if start.year == end.year:  # one year: from the cells' yearly summaries where it is a whole one
        return compliance_by_year(root, start, end, end + ONE_DAY)[end.year]
    return compliance(root, start, end, end + ONE_DAY)


def _meeting_records(unit_id, start, end) -> Records:
    result = _compliance(unit_id, start, end)
    cells = [] if result is None else sorted_cells(result.cells)  # the cells that did not comply first

    def rows(page):
        return [[c.name, c.parent_name, vn.format_number(len(c.owed_regular) - c.held_regular),
                 vn.format_number(len(c.owed_thematic) - c.held_thematic), vn.format_number(c.short),
                 "Đạt" if c.complies else "Chưa đạt"] for c in page]  # fmt: skip

    columns = ["Chi bộ", "Trực thuộc", "Tháng thiếu sinh hoạt thường kỳ", "Quý thiếu chuyên đề",
               "Buổi quá ngắn", "Nền nếp"]  # fmt: skip
    return Records(columns, cells, rows)


def _compliance_value(result) -> Value:
    if result is None or not result.cells:
        return Value(None, 0, 0)
    return Value(result.rate, result.complying, len(result.cells))


def _counts_value(counts: dict | None) -> Value:
    complying, cells = (counts or {}).get(None, (0, 0))
    return Value(vn.percent(complying, cells) if cells else None, complying, cells)


@register("meetings", "Tỷ lệ chi bộ duy trì nền nếp sinh hoạt", "%", _meeting_records, personal=False)
def meetings(unit_id: int, start: datetime.date, end: datetime.date) -> Value:
    """The share of the subtree's cells that held every meeting they owed in the months of the
    period, each long enough (`meetings.compliance`, the rules of MEETING_RULES; within one year
    counted from the cells' yearly summaries by `compliance_counts_by_year`)."""
    if start.year == end.year:
        root = root_on(unit_id, end)
        if root is None:
            return Value(None, 0, 0)
        return _counts_value(compliance_counts_by_year(root, start, end, end + ONE_DAY).get(end.year))
    return _compliance_value(_compliance(unit_id, start, end))


@by_child_of("meetings", "series")
def _meetings_series(unit_id: int, windows: list) -> list[Value]:
    """The yearly values in one pass over the cells' yearly summaries (`compliance_counts_by_year`),
    the cells placed under the unit as it stood at the end of the last window."""
    end = windows[-1][2]
    root = root_on(unit_id, end)
    if root is None or len({path for _, _, path in _root_windows(unit_id, windows[0][1], end)}) > 1:
        # The unit moved: each year on the tree of its own end, as `meetings` reads it.
        return [meetings(unit_id, start, last) for _, start, last in windows]
    years = compliance_counts_by_year(root, windows[0][1], end, end + ONE_DAY)
    return [_counts_value(years.get(year)) for year, _, _ in windows]


# --- ratings -----------------------------------------------------------------------------------------


def rating_period(start: datetime.date, end: datetime.date) -> RatingPeriod | None:
    """The latest yearly round that ended within the period: its results are known by `end`."""
    return (
        RatingPeriod.objects.filter(kind=PeriodKind.YEAR, ends_on__gte=start, ends_on__lte=end)
        .order_by("-ends_on")
        .first()
    )


# What several indicators read alike (the round of a period, the levels of a subtree in it), read
# once while an `Evaluator` computes a page: a dict for the duration of its computations.
SHARED: contextvars.ContextVar[dict | None] = contextvars.ContextVar("shared_reads", default=None)


def _shared(key: tuple, read):
    cache = SHARED.get()
    if cache is None:
        return read()
    if key not in cache:
        cache[key] = read()
    return cache[key]


def _rated(unit_id, start, end):
    def read():
        period = rating_period(start, end)
        return period, root_on(unit_id, tree_day(period)) if period else None

    return _shared(("rated", unit_id, start, end), read)


def _member_levels(root, period):
    return _shared(("member_levels", root.pk, period.pk), lambda: member_levels(root, period))


def _organisation_levels(root, period):
    return _shared(("organisation_levels", root.pk, period.pk), lambda: organisation_levels(root, period))


def _share(levels, levels_wanted) -> Value:
    if not levels.rated:
        return Value(None, 0, 0)
    count = sum(levels.counts[level] for level in levels_wanted)
    return Value(vn.percent(count, levels.rated), count, levels.rated)


def _unit_rating_records(unit_id, start, end) -> Records:
    period, root = _rated(unit_id, start, end)
    items = []
    if root is not None:
        inside = UnitVersion.objects.on(tree_day(period)).under(root.path).values("unit_id")
        ratings = UnitRating.objects.filter(period=period, unit_id__in=inside, kind__in=GRASSROOTS_KINDS)
        items = sorted(ratings.exclude(decided_level=""), key=lambda r: (LEVEL_RANK[r.decided_level], r.unit_id))

    def rows(page):
        names = unit_labels({r.unit_id for r in page})
        return [[names.get(r.unit_id, ""), r.get_decided_level_display(), str(period.year)] for r in page]

    return Records(["Tổ chức cơ sở đảng", "Kết quả xếp loại", "Năm"], items, rows)


class RatedMembers:
    """The decided ratings (exempted ones apart) of a subtree in a period, by the members' names, as
    the pager reads them: a page walks the members in name order (their index) and stops when it is
    full, so it costs the same however many are rated; the count is the tallies' (`member_levels`).
    `of_round`: the same ratings without the subtree's condition, to fetch a page's by member (a
    member has one rating a round)."""

    FEW = 5000

    def __init__(self, ratings, of_round, count: int):
        self.ratings, self.of_round, self._count = ratings, of_round, count

    def count(self) -> int:
        return self._count

    __len__ = count

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index : index + 1][0]
        if self._count <= self.FEW:  # a small subtree: its ratings sorted, through the index on the cell
            return list(self.ratings.select_related("member").order_by("member__sort_key", "member_id")[index])
        rated = Exists(self.ratings.filter(member_id=OuterRef("pk")))
        members = Member.unscoped.filter(rated).order_by("sort_key", "pk").values_list("pk", flat=True)
        ids = list(members[index.start or 0 : self._count if index.stop is None else index.stop])
        found = {r.member_id: r for r in self.of_round.filter(member_id__in=ids).select_related("member")}
        return [found[member_id] for member_id in ids if member_id in found]  # (one reopened meanwhile)

    def __iter__(self):
        return iter(self[0 : self._count])


def _member_rating_records(unit_id, start, end) -> Records:
    period, root = _rated(unit_id, start, end)
    items = []
    if root is not None:
        inside = UnitVersion.objects.on(tree_day(period)).under(root.path).values("unit_id")
        of_round = MemberRating.unscoped.filter(period=period, exempted=False).exclude(decided_level="")
        items = RatedMembers(of_round.filter(cell_id__in=inside), of_round, _member_levels(root, period).rated)

    def rows(page):
        names = unit_labels({r.cell_id for r in page})
        return [[r.member.full_name, names.get(r.cell_id, ""), r.get_decided_level_display()] for r in page]

    return Records(["Họ và tên", "Chi bộ", "Kết quả xếp loại"], items, rows)


LEVEL_RANK = {Level.FAILED: 0, Level.DONE: 1, Level.GOOD: 2, Level.EXCELLENT: 3}


@register("tccs_good_or_better", "Tỷ lệ TCCS hoàn thành tốt nhiệm vụ trở lên", "%", _unit_rating_records,
          personal=False)  # fmt: skip
def tccs_good_or_better(unit_id: int, start: datetime.date, end: datetime.date) -> Value:
    """The share of the grassroots organisations rated good or better in the yearly round that
    ended in the period (`ratings.figures.organisation_levels`)."""
    period, root = _rated(unit_id, start, end)
    if root is None:
        return Value(None)
    return _share(_organisation_levels(root, period), GOOD_OR_BETTER)


@register("tccs_failed", "Số TCCS không hoàn thành nhiệm vụ", "tổ chức", _unit_rating_records, personal=False)
def tccs_failed(unit_id: int, start: datetime.date, end: datetime.date) -> Value:
    """The grassroots organisations rated "failed" in the yearly round that ended in the period."""
    period, root = _rated(unit_id, start, end)
    if root is None:
        return Value(None)
    levels = _organisation_levels(root, period)
    return Value(levels.counts[Level.FAILED], levels.counts[Level.FAILED], levels.rated)


@register("members_good_or_better", "Tỷ lệ đảng viên hoàn thành tốt nhiệm vụ trở lên", "%", _member_rating_records)
def members_good_or_better(unit_id: int, start: datetime.date, end: datetime.date) -> Value:
    """The share of the members rated good or better (exempted ones apart) in the yearly round
    that ended in the period (`ratings.figures.member_levels`)."""
    period, root = _rated(unit_id, start, end)
    if root is None:
        return Value(None)
    return _share(_member_levels(root, period), GOOD_OR_BETTER)


@register("members_excellent", "Tỷ lệ đảng viên hoàn thành xuất sắc nhiệm vụ", "%", _member_rating_records)
def members_excellent(unit_id: int, start: datetime.date, end: datetime.date) -> Value:
    """The share of the members rated excellent in the yearly round that ended in the period."""
    period, root = _rated(unit_id, start, end)
    if root is None:
        return Value(None)
    return _share(_member_levels(root, period), [Level.EXCELLENT])


# --- "Dân vận khéo" registrations --------------------------------------------------------------------


def _grassroots_registrations(unit_id, start, end):
    """The grassroots organisations of the subtree at `end`, each with the registrations made in
    the period by it or a unit below it (placed by the unit's path at `end`). Four queries."""
    root = root_on(unit_id, end)
    if root is None:
        return []
    versions = UnitVersion.objects.on(end).under(root.path)
    grassroots = list(versions.filter(kind__in=GRASSROOTS_KINDS).order_by("path"))
    by_path = {g.path: [] for g in grassroots}
    registrations = ModelRegistration.objects.filter(
        registered_on__gte=start, registered_on__lte=end, unit_id__in=versions.values("unit_id")
    )
    registrations = list(registrations.order_by("registered_on", "pk"))
    paths = dict(versions.filter(unit_id__in={r.unit_id for r in registrations}).values_list("unit_id", "path"))
    for registration in registrations:
        path = paths.get(registration.unit_id, "")  # not in the subtree at `end`: counted nowhere here
        for prefix in path_prefixes(path):
            if prefix in by_path:
                by_path[prefix].append(registration)
                break
    return [(g, by_path[g.path]) for g in grassroots]


def _registration_records(unit_id, start, end) -> Records:
    items = _grassroots_registrations(unit_id, start, end)
    items = sorted(items, key=lambda g: (bool(g[1]), vn.text_sort_key(g[0].name)))  # those without first

    def rows(page):
        return [[g.name, "; ".join(f"{r.name} ({r.field}, {r.year})" for r in regs) or "Chưa đăng ký",
                 "; ".join(r.get_result_display() for r in regs)] for g, regs in page]  # fmt: skip

    return Records(["Tổ chức cơ sở đảng", "Mô hình đăng ký", "Kết quả"], items, rows)


def _registered_paths(unit_id, start, end) -> tuple[set[str], set[str]]:
    """The paths (at `end`) of the subtree's grassroots organisations, and of those among them that
    registered in the period, themselves or through a unit below them: `_grassroots_registrations`
    counted without reading the organisations or the registrations themselves. Three queries."""
    root = root_on(unit_id, end)
    if root is None:
        return set(), set()
    versions = UnitVersion.objects.on(end).under(root.path)
    grassroots = set(versions.filter(kind__in=GRASSROOTS_KINDS).values_list("path", flat=True))
    registering = ModelRegistration.objects.filter(registered_on__gte=start, registered_on__lte=end)
    paths = versions.filter(unit_id__in=registering.values("unit_id")).values_list("path", flat=True)
    registered = {prefix for path in paths for prefix in path_prefixes(path)}
    return grassroots, registered & grassroots


@register("dan_van_kheo", "Tỷ lệ TCCS đăng ký mô hình “Dân vận khéo”", "%", _registration_records, decimals=1,
          personal=False)  # fmt: skip
def dan_van_kheo(unit_id: int, start: datetime.date, end: datetime.date) -> Value:
    """The share of the subtree's grassroots organisations (at `end`) that registered a "Dân vận
    khéo" model in the period, themselves or through a unit below them."""
    grassroots, registered = _registered_paths(unit_id, start, end)
    return Value(vn.percent(len(registered), len(grassroots)), len(registered), len(grassroots))


# --- political theory (member records) ---------------------------------------------------------------

THEORY_INTERMEDIATE_PLUS = [TheoryLevel.INTERMEDIATE, TheoryLevel.ADVANCED, TheoryLevel.BACHELOR]


def _theory_records(unit_id, start, end) -> Records:
    root = root_on(unit_id, end)
    items = []
    if root is not None:
        items = (
            counted_stints(root, end)
            .annotate(theory_then=theory_level_on(end))  # the level in force at the end of the period
            .filter(theory_then__in=THEORY_INTERMEDIATE_PLUS)
            .select_related("member")
            .order_by("member__sort_key", "pk")
        )

    def rows(page):
        names = unit_labels({s.unit_id for s in page})
        return [[s.member.full_name, names.get(s.unit_id, ""), TheoryLevel(s.theory_then).label] for s in page]

    return Records(["Họ và tên", "Chi bộ", "Lý luận chính trị"], items, rows)


@register("theory_intermediate", "Tỷ lệ đảng viên có trình độ lý luận chính trị trung cấp trở lên", "%",
          _theory_records)  # fmt: skip
def theory_intermediate(unit_id: int, start: datetime.date, end: datetime.date) -> Value:
    """The share of the subtree's members at `end` whose political theory is intermediate or above
    (the overview's figures by theory level, `members.figures.subtree_figures`)."""
    root = root_on(unit_id, end)
    if root is None:
        return Value(None)
    totals = {}
    for counts in subtree_figures(root, end).values():
        for key, n in counts.items():
            totals[key] = totals.get(key, 0) + n
    count = sum(totals.get(f"theory_{level}", 0) for level in THEORY_INTERMEDIATE_PLUS)
    return Value(vn.percent(count, totals.get("total", 0)), count, totals.get("total", 0))


# --- the same figures for every direct sub-unit at once ----------------------------------------------


@by_child_of("admissions")
def _admissions_by_child(unit_id, start, end) -> dict[int, Value]:
    """`admissions` of each sub-unit at `end`: the admissions into a cell that lay in the sub-unit's
    subtree on the day of the admission — before the sub-unit came under this unit too, as
    `admissions` on the sub-unit itself counts them. A few queries, and two more for each
    sub-unit that came from elsewhere during the period."""
    root = root_on(unit_id, end)
    if root is None:
        return {}
    children, _ = _children(root, end)
    counts = dict.fromkeys(children.values(), 0)
    # The sub-units' own paths over the period (a sub-unit may have moved or been renamed).
    # Read by their parent, not by a list of thousands of ids.
    here = UnitVersion.objects.on(end).filter(parent_id=root.unit_id).values("unit_id")
    versions = UnitVersion.objects.filter(unit_id__in=here, valid_from__lte=end).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gt=start)
    )
    spans = defaultdict(list)
    for child, path, valid_from, valid_to in versions.values_list("unit_id", "path", "valid_from", "valid_to"):
        spans[path].append((child, valid_from, valid_to))
    if not spans:
        return {}
    # The admissions in this unit's subtree, and those of any sub-unit from before it came here.
    windows = _root_windows(unit_id, start, end)
    sources = [unit_id] + [child for path, lives in spans.items() for child, _, _ in lives
                           if not _always_under(path, lives, windows)]  # fmt: skip
    # A sub-unit that lay here in one version all the period: the unit's own admissions under its
    # path are its own, counted in the database; the others are read one by one.
    whole = {path: lives[0][0] for path, lives in spans.items()
             if len(lives) == 1 and lives[0][1] <= start and (lives[0][2] is None or lives[0][2] > end)}  # fmt: skip
    events = {}
    for source in dict.fromkeys(sources):
        if source == unit_id:
            rest = []
            for child_path, (n,) in _admission_counts(source, start, end, by_sub_unit=True).items():
                if child_path in whole:
                    counts[whole[child_path]] += n
                else:
                    rest.append(child_path)
            within, cells = Q(pk__in=[]), Q(pk__in=[])
            for child_path in rest:
                within |= Q(unit__versions__path__startswith=child_path)
                cells |= Q(path__startswith=child_path)
            # Read from the few cells ever under those paths rather than from every admission.
            within &= Q(unit_id__in=UnitVersion.objects.filter(cells).values("unit_id"))
            parts = _admissions_joined(source, start, end, within) if rest else []
        else:
            parts = _admissions_joined(source, start, end)
        for _, part in parts:
            rows = part.values_list("pk", "effective_on", "unit__versions__path")
            if source != unit_id:  # those under a sub-unit counted in the database already are counted
                rows = [row for row in rows if not _under_any(row[2] or "", whole)]
            events.update((pk, (day, path)) for pk, day, path in rows)
    events = events.values()
    for day, path in events:
        path = path or ""
        for prefix in path_prefixes(path):
            match = next((c for c, a, b in spans.get(prefix, ()) if a <= day and (b is None or day < b)), None)
            if match is not None:
                counts[match] += 1
                break
    return {child: Value(n) for child, n in counts.items()}


def _under_any(path: str, paths) -> bool:
    return any(prefix in paths for prefix in path_prefixes(path))


def _always_under(path: str, lives, windows) -> bool:
    """Whether a sub-unit's version at `path` lay under the unit (its `windows`: first day, last
    day, path) all the time it held, so that the unit's own admissions cover it."""
    for _, valid_from, valid_to in lives:
        for first_day, last_day, root_path in windows:
            overlaps = first_day < (valid_to or datetime.date.max) and valid_from <= last_day
            if overlaps and not path.startswith(root_path):
                return False
    return True


@by_child_of("meetings")
def _meetings_by_child(unit_id, start, end) -> dict[int, Value]:
    """The cells of the period's compliance, each counted in the sub-unit that held it at `end`
    (or, for a cell gone by then, at the end of its life in the period)."""
    root = root_on(unit_id, end)
    if root is None:
        return {}
    children, child_of = _children(root, end)
    tallies = {child: [0, 0] for child in children.values()}
    if start.year == end.year:  # each cell in the sub-unit that held it at `end` (or when it was last seen)
        width = len(root.path) + PATH_WIDTH
        for prefix, (done, total) in compliance_counts_by_year(root, start, end, end + ONE_DAY, width).get(
            end.year, {}
        ).items():
            if prefix in children:
                tallies[children[prefix]] = [done, total]
        return {child: Value(vn.percent(done, total), done, total) for child, (done, total) in tallies.items()}
    paths = {}
    cells = UnitVersion.objects.under(root.path).filter(kind__in=CELL_KINDS).values("unit_id")
    versions = UnitVersion.objects.filter(unit_id__in=cells, valid_from__lte=end).order_by("valid_from")
    for cell_id, path in versions.values_list("unit_id", "path"):
        paths[cell_id] = path  # at `end`, or the last before it for a cell gone by then
    for cell in _compliance(unit_id, start, end).cells:
        child = child_of(paths.get(cell.unit_id))
        if child is not None:
            tallies[child][0] += cell.complies
            tallies[child][1] += 1
    return {child: Value(vn.percent(done, total), done, total) for child, (done, total) in tallies.items()}


def _levels_by_child(key: str, unit_id, start, end, member: bool, wanted) -> dict[int, Value]:
    """The rating indicators of the sub-units at `end`, each read (as `compute` reads it) in the
    subtree it had at the end of the round; a sub-unit that did not exist then has no value."""
    here = root_on(unit_id, end)
    if here is None:
        return {}
    children, _ = _children(here, end)
    values = dict.fromkeys(children.values(), Value(None))
    period, root = _rated(unit_id, start, end)
    if root is None:
        return values
    existed = set(UnitVersion.objects.on(tree_day(period)).filter(unit_id__in=values).values_list("unit_id", flat=True))
    for child in existed:  # nobody rated: no share; no organisation failed
        values[child] = Value(0, 0, 0) if wanted is None else Value(None, 0, 0)
    rows = (member_levels_by_unit(root, period) if member else
            organisation_levels_by_unit(root, period, kinds=GRASSROOTS_KINDS))  # fmt: skip
    for child, levels in rows:
        if child.unit_id not in existed:
            continue
        if wanted is None:  # the count of failed organisations
            values[child.unit_id] = Value(levels.counts[Level.FAILED], levels.counts[Level.FAILED], levels.rated)
        else:
            values[child.unit_id] = _share(levels, wanted)
    then, _ = _children(root, tree_day(period))
    for child in existed - set(then.values()):  # came under this unit after the round: read on its own
        values[child] = REGISTRY[key].compute(child, start, end)
    return values


@by_child_of("tccs_good_or_better")
def _tccs_good_by_child(unit_id, start, end):
    return _levels_by_child("tccs_good_or_better", unit_id, start, end, False, GOOD_OR_BETTER)


@by_child_of("tccs_failed")
def _tccs_failed_by_child(unit_id, start, end):
    return _levels_by_child("tccs_failed", unit_id, start, end, False, None)


@by_child_of("members_good_or_better")
def _members_good_by_child(unit_id, start, end):
    return _levels_by_child("members_good_or_better", unit_id, start, end, True, GOOD_OR_BETTER)


@by_child_of("members_excellent")
def _members_excellent_by_child(unit_id, start, end):
    return _levels_by_child("members_excellent", unit_id, start, end, True, [Level.EXCELLENT])


@by_child_of("dan_van_kheo")
def _registrations_by_child(unit_id, start, end) -> dict[int, Value]:
    root = root_on(unit_id, end)
    if root is None:
        return {}
    children, child_of = _children(root, end)
    tallies = {child: [0, 0] for child in children.values()}
    grassroots, registered = _registered_paths(unit_id, start, end)
    for path in grassroots:
        child = child_of(path)
        if child is not None:
            tallies[child][0] += path in registered
            tallies[child][1] += 1
    return {child: Value(vn.percent(done, total), done, total) for child, (done, total) in tallies.items()}


@by_child_of("theory_intermediate")
def _theory_by_child(unit_id, start, end) -> dict[int, Value]:
    root = root_on(unit_id, end)
    if root is None:
        return {}
    children, _ = _children(root, end)
    values = {child: Value(None, 0, 0) for child in children.values()}
    for path, counts in subtree_figures(root, end).items():
        if path in children:
            count = sum(counts.get(f"theory_{level}", 0) for level in THEORY_INTERMEDIATE_PLUS)
            values[children[path]] = Value(vn.percent(count, counts["total"]), count, counts["total"])
    return values
