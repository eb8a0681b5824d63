"""The overview of a unit as of a date: its subtree's units and members, in total and per direct
sub-unit. Two queries whatever the size of the tree (the direct sub-units, their tallies)."""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.safestring import mark_safe

from dangbo.lib import vn
from dangbo.members.figures import AGE_BANDS, subtree_figures
from dangbo.members.models import TheoryLevel

from .models import UnitKind, UnitVersion


@dataclass
class Figures:
    units: Counter = field(default_factory=Counter)
    members: Counter = field(default_factory=Counter)

    def add(self, other: Figures) -> None:
        self.units.update(other.units)
        self.members.update(other.members)

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


@dataclass
class Row:
    version: UnitVersion
    figures: Figures

    @property
    def numbers(self) -> list[int]:
        """The sub-unit table's figures, in the order of its columns (TABLE_COLUMNS)."""
        return table_numbers(self.figures)


TABLE_COLUMNS = ["Đảng bộ bộ phận", "Chi bộ trực thuộc", "Đảng viên", "Chính thức", "Dự bị", "Nữ"]


def table_numbers(figures: Figures) -> list[int]:
    m = figures.members
    return [figures.sub_committees, figures.attached_cells, m["total"], m["official"], m["probationary"], m["female"]]


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


def _figures(counts: Counter) -> Figures:
    """Split a subtree's counts into units by kind and member measures."""
    units = Counter({key.removeprefix("units_"): n for key, n in counts.items() if key.startswith("units_")})
    members = Counter({key: n for key, n in counts.items() if not key.startswith("units_")})
    return Figures(units, members)


def build_overview(root: UnitVersion, on: datetime.date) -> Overview:
    children = list(UnitVersion.objects.on(on).filter(parent_id=root.unit_id))
    children.sort(key=lambda v: (v.kind != UnitKind.GRASSROOTS_COMMITTEE, vn.text_sort_key(v.name)))
    counts = subtree_figures(root, on)
    rows = [Row(child, _figures(counts.get(child.path, Counter()))) for child in children]
    own = _figures(counts.get(root.path, Counter()))
    total = Figures()
    total.add(own)
    for row in rows:
        total.add(row.figures)
    return Overview(root=root, on=on, rows=rows, own=own, total=total)
