"""The figures of a database that do not depend on its ids, to compare two databases holding the
same committee: the demo, and an empty database into which its export was imported. Run in the test
process and, for the other database, in a `manage.py shell` of its own (`main`)."""

from __future__ import annotations

import datetime
import io
import json
import sys

from openpyxl import load_workbook

from dangbo.members.figures import counted_stints, subtree_figures
from dangbo.members.models import Event, EventKind
from dangbo.members.registers import register_workbook
from dangbo.orgs.models import Unit, UnitVersion
from dangbo.overview.overview import build_overview

DATES = [
    "1995-06-30", "2005-01-01", "2015-12-31", "2020-01-01", "2020-10-15", "2021-03-15", "2022-06-30",
    "2023-12-31", "2024-09-30", "2025-06-30", "2025-07-01", "2026-01-01", "2026-11-27",
]  # fmt: skip
DETAILED = {"2024-09-30", "2025-07-01", "2026-11-27"}  # every unit's figures, the register


def fingerprint(root_code: str, dates=DATES) -> dict:
    codes = dict(Unit.objects.values_list("pk", "code"))
    root = Unit.objects.get(code=root_code)
    out = {}
    for text in dates:
        on = datetime.date.fromisoformat(text)
        version = root.versions.on(on).first()
        if version is None:
            out[text] = None
            continue
        overview = build_overview(version, on)
        day = {
            "total": dict(sorted(overview.total.counts.items())),
            "rows": {codes[r.version.unit_id]: r.numbers for r in overview.rows},
            "tree": sorted((codes[v.unit_id], v.name, v.kind, codes.get(v.parent_id), v.depth)
                           for v in UnitVersion.objects.on(on).under(version.path)),  # fmt: skip
            "members": sorted(
                (s.member.citizen_id or s.member.card_number, codes[s.unit_id], s.status, str(s.start))
                for s in counted_stints(version, on).select_related("member")
            ),
        }
        if text in DETAILED:
            day["units"] = {
                codes[v.unit_id]: {path_code(p, codes): c for p, c in sorted(subtree_figures(v, on).items())}
                for v in UnitVersion.objects.on(on).under(version.path)
            }
            sheet = load_workbook(io.BytesIO(register_workbook(version, on)), read_only=True).active
            day["register"] = [[_plain(c) for c in row] for row in sheet.iter_rows(values_only=True)]
        out[text] = day
    admissions = Event.unscoped.active().filter(kind=EventKind.ADMISSION, unit__isnull=False)
    out["admissions_by_cell_year"] = sorted(
        (codes[u], d.year) for u, d in admissions.values_list("unit_id", "effective_on")
    )
    return out


def path_code(path: str, codes: dict) -> str:
    return "/".join(codes[int(path[i : i + 8])] for i in range(0, len(path), 8))


def _plain(value):
    return value.isoformat() if isinstance(value, (datetime.date, datetime.datetime)) else value


def main(root_code: str) -> None:
    json.dump(fingerprint(root_code), sys.stdout, ensure_ascii=False, sort_keys=True, default=str)
