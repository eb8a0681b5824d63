"""dangbo in another process, on a database of the test's choosing: the environment that points
manage.py at it, and what a copy of the data must carry over — the row count of every table (every
model of django.apps) and the overview's figures of some units on some dates.

`python -m tests.elsewhere UNIT_ID …` prints those of the database DATABASE_URL names, as JSON."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

from dangbo.demo.days import HORIZON, REFERENCE_DAY

BASE_DIR = Path(__file__).resolve().parent.parent
DATES = [datetime.date(2021, 1, 1), REFERENCE_DAY, datetime.date(2026, 6, 30), HORIZON]


def database_url(settings_dict: dict) -> str:
    if settings_dict["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{settings_dict['NAME']}"
    password = f":{quote(settings_dict['PASSWORD'], safe='')}" if settings_dict.get("PASSWORD") else ""
    host = f"{settings_dict.get('HOST') or '127.0.0.1'}:{settings_dict.get('PORT') or 5432}"
    return f"postgres://{quote(settings_dict['USER'], safe='')}{password}@{host}/{settings_dict['NAME']}"


def environment(database: str, media_root: Path) -> dict[str, str]:
    return os.environ | {"DJANGO_SETTINGS_MODULE": "tests.settings", "DATABASE_URL": database,
                         "MEDIA_ROOT": str(media_root), "PYTHONPATH": str(BASE_DIR)}  # fmt: skip


def run(args: list[str], database: str, media_root: Path, timeout: int = 120) -> subprocess.CompletedProcess:
    """`python ARGS…` in dangbo's folder, on `database`, with uploads in `media_root`."""
    return subprocess.run([sys.executable, *args], cwd=BASE_DIR, env=environment(database, media_root),
                          capture_output=True, text=True, timeout=timeout)  # fmt: skip


def table_counts() -> dict[str, int]:
    """{table: rows} of every model's table."""
    from django.apps import apps

    counts = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.managed and not model._meta.proxy:
            counts[model._meta.db_table] = model._base_manager.count()
    return counts


def overview_figures(unit_ids: list[int], dates: list[datetime.date] = DATES) -> dict:
    """The overview of each unit on each date (dangbo.overview.overview.build_overview): the total, the
    root's own members and every row, as plain JSON values."""
    from dangbo.orgs.models import UnitVersion
    from dangbo.overview.overview import build_overview

    figures = {}
    for unit_id in unit_ids:
        for day in dates:
            version = UnitVersion.objects.on(day).filter(unit_id=unit_id).first()
            if version is None:
                continue
            overview = build_overview(version, day)
            figures[f"{unit_id}@{day.isoformat()}"] = {
                "total": overview.total.counts,
                "own": overview.own.counts,
                "rows": {str(row.version.unit_id): row.figures.counts for row in overview.rows},
            }
    return json.loads(json.dumps(figures))


def read(unit_ids: list[int]) -> dict:
    return {"counts": table_counts(), "figures": overview_figures(unit_ids)}


if __name__ == "__main__":
    import django

    django.setup()
    print(json.dumps(read([int(arg) for arg in sys.argv[1:]])))
