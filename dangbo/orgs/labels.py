"""Unit labels that are never ambiguous: "Chi bộ Văn phòng — Đảng bộ Sở Tài chính".

Many units share a name (the demo has 48 "Chi bộ Văn phòng", three of them in Đảng bộ Sở Tài
chính), so wherever a unit is named in a list, a select or a file, it is named with what it belongs
to. The rule is the same everywhere: a unit is followed by its ancestors up to its grassroots
organisation ("Chi bộ Văn phòng — Đảng bộ bộ phận Khối Văn phòng — Đảng bộ Sở Tài chính"), the
committee at the top of the tree left out because every unit shares it; a grassroots organisation,
whose parent is that top committee, is followed by it; the top itself stands alone. Only the parent
would leave "Chi bộ Văn phòng — Đảng bộ bộ phận Khối Văn phòng" ambiguous between committees. Headings
that name the page's own unit keep the bare name.

The names are those of the date shown: a unit that moved is shown under the parent it had on that
day. A unit that did not exist on that day (dissolved since, or founded later) is shown as its
nearest version stood. Two queries for any number of units.
"""

from __future__ import annotations

import datetime

from dangbo.orgs.models import PATH_WIDTH, UnitVersion

SEPARATOR = " — "


def _pick(versions: list[tuple], on: datetime.date | None) -> tuple:
    """The version valid on `on` among one unit's versions (ordered by valid_from), else the
    nearest: the last one begun by `on`, or the first. None: the latest."""
    if on is None:
        return versions[-1]
    chosen = versions[0]
    for version in versions:
        if version[3] <= on:
            chosen = version
    return chosen


def _day_within(version: tuple, on: datetime.date | None) -> datetime.date | None:
    """The day nearest `on` on which `version` held: its ancestors' names are read on that day."""
    valid_from, valid_to = version[3], version[4]
    if on is None:
        return None if valid_to is None else valid_to - datetime.timedelta(days=1)
    if on < valid_from:
        return valid_from
    if valid_to is not None and on >= valid_to:
        return valid_to - datetime.timedelta(days=1)
    return on


def _versions_by_unit(unit_ids) -> dict[int, list[tuple]]:
    rows = (
        UnitVersion.objects.filter(unit_id__in=unit_ids)
        .order_by("unit_id", "valid_from")
        .values_list("unit_id", "name", "path", "valid_from", "valid_to")
    )
    by_unit: dict[int, list[tuple]] = {}
    for row in rows:
        by_unit.setdefault(row[0], []).append(row)
    return by_unit


def _ancestor_ids(path: str) -> list[int]:
    """The unit's ancestors named in its label, nearest first (see the module's docstring)."""
    ids = [int(path[i : i + PATH_WIDTH]) for i in range(0, len(path), PATH_WIDTH)][:-1]
    return list(reversed(ids[1:] or ids))


def _labels(chosen: dict, days: dict) -> dict:
    """{key: label} of the versions `chosen` {key: version row}, their ancestors as they stood on
    {key: day} (None: latest). One query."""
    wanted = {a for version in chosen.values() for a in _ancestor_ids(version[2])}
    ancestors = _versions_by_unit(wanted) if wanted else {}
    labels = {}
    for key, version in chosen.items():
        day = _day_within(version, days[key])
        names = [_pick(ancestors[a], day)[1] for a in _ancestor_ids(version[2]) if a in ancestors]
        labels[key] = SEPARATOR.join([version[1], *names])
    return labels


def unit_labels(unit_ids, on: datetime.date | None = None) -> dict[int, str]:
    """{unit id: "Name — Parent — …"} of the units as they stood on `on` (None: their latest
    versions). Two queries: the units' versions, then their ancestors'."""
    unit_ids = {u for u in unit_ids if u is not None}
    if not unit_ids:
        return {}
    chosen = {u: _pick(versions, on) for u, versions in _versions_by_unit(unit_ids).items()}
    return _labels(chosen, dict.fromkeys(chosen, on))


def labels_on_days(pairs) -> dict[tuple[int, datetime.date | None], str]:
    """{(unit id, day): label} for units each shown on its own day (a member's stints, each on the
    day it began). Two queries."""
    pairs = {(u, day) for u, day in pairs if u is not None}
    versions = _versions_by_unit({u for u, _ in pairs}) if pairs else {}
    chosen = {(u, day): _pick(versions[u], day) for u, day in pairs if u in versions}
    return _labels(chosen, {key: key[1] for key in chosen})


def version_labels(versions, on: datetime.date | None = None) -> dict[int, str]:
    """{unit id: label} of UnitVersion rows already read (valid on `on`): one query, the ancestors'."""
    chosen = {v.unit_id: (v.unit_id, v.name, v.path, v.valid_from, v.valid_to) for v in versions}
    return _labels(chosen, dict.fromkeys(chosen, on))


def path_labels(units: dict[int, tuple[str, str]], on: datetime.date) -> dict[int, str]:
    """{unit id: label} of units whose (name, path) on `on` a page has read already (a list annotates
    its rows with them): one query, the ancestors'."""
    chosen = {u: (u, name, path, on, None) for u, (name, path) in units.items()}
    return _labels(chosen, dict.fromkeys(chosen, on))


def parent_of(label: str) -> str:
    """The "Trực thuộc" part of a label: what the unit belongs to ("" at the top)."""
    return label.partition(SEPARATOR)[2]


def name_of(label: str) -> str:
    return label.partition(SEPARATOR)[0]


def labelled_choices(versions, on: datetime.date | None = None) -> list[tuple[int, str]]:
    """[(unit id, label)] of a query of versions valid on `on`, in its order, for a select. Two
    queries."""
    versions = list(versions.only("unit_id", "name", "path", "valid_from", "valid_to"))
    labels = version_labels(versions, on)
    return [(v.unit_id, labels[v.unit_id]) for v in versions]
