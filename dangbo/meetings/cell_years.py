"""The yearly summary of each cell's meetings (`CellYear`), recomputed from the meetings: for the
(cell, year) pairs a saved or deleted meeting touches, or for every cell after a bulk load."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q

from dangbo.orgs.models import Unit

from .compliance import _shortest
from .models import REGULAR_KINDS, THEMATIC_KINDS, CellYear, Meeting


@transaction.atomic
def refresh(pairs: Iterable[tuple[int, int]] | None = None) -> int:
    """Rewrite the summaries of `pairs` of (cell id, year), or of every cell and year when None.
    Returns how many summaries were written. Two meetings of a cell saved at once are summarised
    one after the other: the cells' rows are locked first (PostgreSQL)."""
    if pairs is not None:
        pairs = set(pairs)
        if not pairs:
            return 0
        list(Unit.objects.select_for_update().filter(pk__in={cell for cell, _ in pairs}).values_list("pk"))
        condition = Q(pk__in=[])
        for cell_id, year in pairs:
            condition |= Q(cell_id=cell_id, month_index__gte=year * 12, month_index__lt=(year + 1) * 12)
        meetings = Meeting.unscoped.filter(condition)
        stale = Q(pk__in=[])
        for cell_id, year in pairs:
            stale |= Q(cell_id=cell_id, year=year)
        CellYear.objects.filter(stale).delete()
    else:
        meetings = Meeting.unscoped.filter(held_on__isnull=False)
        CellYear.objects.all().delete()
    summaries: dict[tuple[int, int], CellYear] = {}
    columns = ("cell_id", "month_index", "kind", "duration_minutes", "required_count", "required_present_count")
    for cell_id, index, kind, minutes, required, present in meetings.values_list(*columns).iterator(chunk_size=20_000):
        key = (cell_id, index // 12)
        row = summaries.get(key)
        if row is None:
            row = summaries[key] = CellYear(cell_id=cell_id, year=index // 12)
        bit = 1 << (index % 12)
        if kind in REGULAR_KINDS:
            row.regular_months |= bit
        if kind in THEMATIC_KINDS:
            row.thematic_months |= bit
        row.meetings += 1
        if minutes is not None and minutes < _shortest(kind):
            row.short += 1
            row.short_months |= bit
        row.required += required
        row.required_present += present
    CellYear.objects.bulk_create(summaries.values(), batch_size=5000)
    return len(summaries)
