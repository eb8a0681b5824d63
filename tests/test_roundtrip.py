"""Round trip: the demo committee exported as of its last day, imported by `manage.py
import_workbook` into an empty database, gives every figure of the overview, the member list and the
register identical on every date (tests/roundtrip.py), and importing the export again changes
nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from django.db import connection

from dangbo.demo.days import HORIZON
from dangbo.exchange.export import write_workbook
from dangbo.orgs.models import Unit
from tests.roundtrip import fingerprint

ROOT = Path(__file__).resolve().parent.parent


def _empty_database(tmp_path) -> str:
    """A DATABASE_URL of an empty database of the same engine as the suite's."""
    if connection.vendor == "postgresql":
        import psycopg

        settings = connection.settings_dict
        name = f"{settings['NAME']}_roundtrip"
        admin = f"postgresql://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{name}"
    return f"sqlite:///{tmp_path / 'empty.sqlite3'}"


# manage.py in a process of its own, on the session's pinned day (tests/conftest.py), not the wall clock.
PINNED = """
import datetime, sys, time_machine
time_machine.travel(datetime.datetime({y}, {m}, {d}, 8, tzinfo=datetime.timezone(datetime.timedelta(hours=7)))).start()
from django.core.management import execute_from_command_line
execute_from_command_line(["manage.py", *sys.argv[1:]])
"""


def _manage(url: str, media: Path, *args) -> subprocess.CompletedProcess:
    """manage.py on the database `url`; the files it keeps (the imported workbook) go to `media`."""
    env = {**os.environ, "DATABASE_URL": url, "DANGBO_ENV": "development", "DJANGO_SETTINGS_MODULE": "dangbo.settings",
           "MEDIA_ROOT": str(media)}  # fmt: skip
    code = PINNED.format(y=HORIZON.year, m=HORIZON.month, d=HORIZON.day)
    return subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=900)  # fmt: skip


def test_export_imported_into_an_empty_database_gives_the_same_figures(demo, tmp_path):
    root = Unit.objects.get(pk=demo["root"])
    path = tmp_path / "demo.xlsx"
    counts = write_workbook(path, root, HORIZON)
    assert counts["members"] > 4466
    url = _empty_database(tmp_path)
    media = tmp_path / "media"
    assert _manage(url, media, "migrate", "--noinput", "-v0").returncode == 0
    imported = _manage(url, media, "import_workbook", str(path))
    assert imported.returncode == 0, imported.stdout[-3000:] + imported.stderr[-3000:]
    assert f"Đảng viên: {counts['members']:,}".replace(",", ".") + " mới" in imported.stdout
    script = f"from tests.roundtrip import main; main({root.code!r})"
    theirs = _manage(url, media, "shell", "--no-imports", "-c", script)
    assert theirs.returncode == 0, theirs.stderr[-3000:]
    ours = json.loads(json.dumps(fingerprint(root.code), ensure_ascii=False, sort_keys=True, default=str))
    other = json.loads(theirs.stdout)
    for key in ours:
        if isinstance(ours[key], dict):
            for part in ours[key]:
                mine, imported_part = ours[key][part], other[key].get(part)
                if isinstance(mine, list) and imported_part != mine:
                    first = next(i for i, (a, b) in enumerate(zip(mine, imported_part + [None] * len(mine))) if a != b)
                    assert imported_part[first : first + 1] == mine[first : first + 1], (key, part, first)
                assert imported_part == mine, (key, part)
        assert other[key] == ours[key], key
    assert ours["2024-09-30"]["total"]["total"] == 4466
    again = _manage(url, media, "import_workbook", str(path))
    assert again.returncode == 0, again.stdout[-3000:]
    assert "Không có gì thay đổi." in again.stdout
