"""The overview of a unit as of a date: its subtree's units and members, in total and per direct
sub-unit. Two queries whatever the size of the tree (the direct sub-units, their tallies)."""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import NamedTuple

from django.utils.safestring import mark_safe

from dangbo.lib import vn
from dangbo.members.figures import AGE_BANDS, subtree_figures, subtree_figures_on_days
from dangbo.members.models import TheoryLevel
from dangbo.orgs.models import UnitKind, UnitVersion, form_names


class Figures:
    """The figures of one subtree: `counts` maps every measure (members' and units_<kind>) to a
    number; `units` and `members` split them, built only when a page or a test reads them."""

    def __init__(self, counts: dict[str, int] | None = None):
        self.counts = counts or {}

    @cached_property
    def units(self) -> Counter:
        return Counter({k.removeprefix("units_"): n for k, n in self.counts.items() if k.startswith("units_") and n})

    @cached_property
    def members(self) -> Counter:
        return Counter({k: n for k, n in self.counts.items() if not k.startswith("units_") and n})

    @property
    def grassroots(self) -> int:
        return self.units[UnitKind.GRASSROOTS_COMMITTEE] + self.units[UnitKind.GRASSROOTS_CELL]

    @property
    def grassroots_committees(self) -> int:
        return self.units[UnitKind.GRASSROOTS_COMMITTEE]

    @property
    def grassroots_cells(self) -> int:
        return self.units[UnitKind.GRASSROOTS_CELL]

    @property
    def superiors(self) -> int:
        """Committees above the grassroots in the subtree (a city's districts, communes, blocs)."""
        return self.units[UnitKind.SUPERIOR]

    @property
    def sub_committees(self) -> int:
        return self.units[UnitKind.SUB_COMMITTEE]

    @property
    def attached_cells(self) -> int:
        return self.units[UnitKind.ATTACHED_CELL]

    def _share(self, key: str) -> tuple[int, Decimal | None]:
        """A member measure and its share of all members, in %."""
        return self.members[key], vn.percent(self.members[key], self.members["total"])

    @property
    def by_age(self):
        return [(label, *self._share(f"age_{key}")) for key, label, *_ in AGE_BANDS]

    @property
    def by_theory(self):
        return [(level.label, *self._share(f"theory_{level.value}")) for level in TheoryLevel]

    @property
    def by_sex(self):
        return [("Nam", *self._share("male")), ("Nữ", *self._share("female"))]

    @property
    def by_status(self):
        return [("Chính thức", *self._share("official")), ("Dự bị", *self._share("probationary"))]


class SubUnit(NamedTuple):
    unit_id: int
    name: str
    kind: str
    path: str
    form_id: str | None

    @property
    def form_name(self) -> str:
        return form_names().get(self.form_id or self.kind) or UnitKind(self.kind).label


@dataclass
class Row:
    version: SubUnit
    figures: Figures

    @property
    def numbers(self) -> list[int]:
        """The sub-unit table's figures, in the order of its columns (TABLE_COLUMNS)."""
        return table_numbers(self.figures)


TABLE_COLUMNS = ["Đảng bộ bộ phận", "Chi bộ trực thuộc", "Đảng viên", "Chính thức", "Dự bị", "Nữ"]
# Above committees above the grassroots (a city), each row counts its grassroots organisations too.
TABLE_COLUMNS_ABOVE = ["Tổ chức cơ sở đảng", *TABLE_COLUMNS]


def table_numbers(figures: Figures, above: bool = False) -> list[int]:
    m = figures.members
    numbers = [figures.sub_committees, figures.attached_cells, m["total"], m["official"], m["probationary"]]
    numbers.append(m["female"])
    return [figures.grassroots, *numbers] if above else numbers


def table_cells_html(numbers: list[int], tag: str = "td") -> str:
    """The number cells of one table row, formatted once in Python: a national tree has thousands
    of rows, and resolving each figure through the template language costs more than the query."""
    # format_number yields only digits and separators, so there is nothing to escape.
    return mark_safe("".join(f'<{tag} class="num">{vn.format_number(n)}</{tag}>' for n in numbers))  # noqa: S308


@dataclass
class Overview:
    root: UnitVersion
    on: datetime.date
    rows: list[Row]
    own: Figures  # members held by the root unit itself (a cell)
    total: Figures


def build_overview(root: UnitVersion, on: datetime.date) -> Overview:
    # Plain tuples rather than model instances: a city-size superior has thousands of sub-units.
    columns = ("unit_id", "name", "kind", "path", "form_id")
    children = [SubUnit(*v) for v in UnitVersion.objects.on(on).filter(parent_id=root.unit_id).values_list(*columns)]
    order = {UnitKind.SUPERIOR: 0, UnitKind.GRASSROOTS_COMMITTEE: 1}
    children.sort(key=lambda v: (order.get(v.kind, 2), vn.text_sort_key(v.name)))
    counts = subtree_figures(root, on)
    rows = [Row(child, Figures(counts.get(child.path))) for child in children]
    own = Figures(counts.get(root.path))
    return Overview(root=root, on=on, rows=rows, own=own, total=summed(counts))


def summed(counts: dict[str, dict[str, int]]) -> Figures:
    """The figures of a whole subtree: the sum of its rows (`subtree_figures`)."""
    total = Counter()
    for row in counts.values():
        total.update(row)
    return Figures(dict(total))


YEARS_SHOWN = 10


def members_over_years(root: UnitVersion, on: datetime.date, years: int = YEARS_SHOWN) -> list[tuple]:
    """[(day, members)]: the subtree's members at 31/12 of each of the `years` years up to `on`'s,
    the last one on `on` itself; the years before the subtree had any member left out. The same
    figure as the overview's total on each of those days, all read in one query."""
    days = [datetime.date(year, 12, 31) for year in range(on.year - years + 1, on.year)] + [on]
    counts = subtree_figures_on_days(root, days)
    series = [(day, summed(counts[day]).members["total"]) for day in days]
    while len(series) > 1 and not series[0][1]:
        series.pop(0)
    return series
