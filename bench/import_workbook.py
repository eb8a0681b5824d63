"""Benchmark of the exchange workbook: the export of a committee of the demo's shape with --members N
(built once in its own database, as bench/overview.py does), then, in an empty database, the
preview (`import_workbook --dry-run`: read, check, replay every history, write nothing) and the
import itself, each in a process of its own: seconds and peak memory (maximum resident set).

    .venv/bin/python bench/import_workbook.py --members 4466
    .venv/bin/python bench/import_workbook.py --members 250000
    .venv/bin/python bench/import_workbook.py --members 4466 --database-url postgres://postgres@127.0.0.1:5432/dangbo_bench
    .venv/bin/python bench/import_workbook.py --members 4466 --copies 56   # ≈ 250.000 current members

--copies K writes K copies of the exported committee side by side under its top unit (every other
unit code, citizen ID and card number made unique per copy, birth dates moved by the copy's number
of days so copies are not namesakes) and imports that: a city's first load without building a city
first (building the demo at 250.000 members takes far longer than importing it).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.overview import ensure_postgres_database, open_database  # noqa: E402


def empty_database(url: str | None, members: int) -> str:
    if url and url.startswith("postgres"):
        import psycopg

        base, _, _ = url.rpartition("/")
        name = f"dangbo_bench_import_{members}"
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        target = f"{base}/{name}"
        ensure_postgres_database(target)
        return target
    path = ROOT / f"bench-import-{members}.sqlite3"
    path.unlink(missing_ok=True)
    return f"sqlite:///{path}"


# manage.py, reporting its own peak resident memory when it ends (VmHWM: the high-water mark of this
# program, not of the benchmark process it was forked from, which the children's rusage would count).
MEASURED = """
import atexit, sys
def peak():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            sys.stderr.write("PEAK " + line.split()[1] + "\\n")
atexit.register(peak)
from django.core.management import execute_from_command_line
execute_from_command_line(["manage.py", *sys.argv[1:]])
"""


def run(url: str, *args) -> tuple[float, int, str]:
    """Seconds, peak memory (MB) and output of one manage.py command in a process of its own."""
    env = {**os.environ, "DATABASE_URL": url, "DANGBO_ENV": "development", "DJANGO_SETTINGS_MODULE": "dangbo.settings"}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", MEASURED, *args], cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    peaks = [int(line.split()[1]) for line in done.stderr.splitlines() if line.startswith("PEAK ")]
    return seconds, (peaks[-1] // 1024 if peaks else 0), done.stdout.strip().splitlines()[0] if done.stdout else ""


def multiply(source: Path, target: Path, copies: int) -> dict:
    """`copies` copies of an exported committee under its one top unit, streamed in and out."""
    import datetime

    from openpyxl import Workbook

    from dangbo.exchange import columns as c
    from dangbo.exchange import sheetxml
    from dangbo.lib import xlsx

    book = sheetxml.open_workbook(source)
    sheets = {title: path for title, path in book.sheets}
    out = Workbook(write_only=True)
    taken: set[str] = set()
    renamed: list[dict[str, str]] = [{} for _ in range(copies)]
    counts = {}

    def unique(value, copy: int):
        text = str(value)
        if copy == 0:
            taken.add(text)
            return value
        known = renamed[copy].get(text)
        if known:
            return known
        width, number = len(text), int(text)
        while True:
            number = (number + copy * 7_919_993) % 10**width
            candidate = f"{number:0{width}d}"
            if candidate not in taken:
                taken.add(candidate)
                renamed[copy][text] = candidate
                return candidate

    def rows(title):
        return ([cell.value if cell else None for cell in cells] for _, cells in sheetxml.rows(book, sheets[title]))

    top = None
    for title, keys in ((c.SHEET_UNITS, c.UNIT_COLUMNS), (c.SHEET_MEMBERS, c.MEMBER_COLUMNS),
                        (c.SHEET_EVENTS, c.EVENT_COLUMNS)):  # fmt: skip
        sheet = out.create_sheet(title)
        header, *data = rows(title)  # a committee's rows: a few thousand, held while copied
        sheet.append(header)
        at = {col.key: header.index(col.title) for col in keys if col.title in header}
        if title == c.SHEET_UNITS:
            top = next(r[at["code"]] for r in data if not r[at["parent"]])
        for copy in range(copies):
            for row in data:
                if copy and title == c.SHEET_UNITS and row[at["code"]] == top:
                    continue
                row = list(row) + [None] * (len(header) - len(row))
                for key in ("code", "parent", "cell_code", "unit_code"):
                    if copy and key in at and row[at[key]] and row[at[key]] != top:
                        row[at[key]] = f"{row[at[key]]}-{copy:02d}"
                for key in ("citizen_id", "card_number", "old_card_number"):
                    if key in at and row[at[key]] and str(row[at[key]]).isdigit():
                        row[at[key]] = unique(row[at[key]], copy)
                if copy and "birth_date" in at and isinstance(row[at["birth_date"]], datetime.datetime):
                    row[at["birth_date"]] -= datetime.timedelta(days=copy)
                sheet.append([xlsx.streamed(sheet, v) for v in row])
        counts[title] = len(data) * copies
    out.save(target)
    book.close()
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=4466)
    parser.add_argument("--database-url", help="PostgreSQL URL (default: SQLite files next to the project)")
    parser.add_argument("--copies", type=int, default=1, help="import this many copies of the export side by side")
    options = parser.parse_args()
    open_database(options.members, options.database_url)

    from dangbo.exchange.export import write_workbook
    from dangbo.lib.http import today
    from dangbo.orgs.models import UnitVersion

    root = UnitVersion.objects.filter(depth=0).order_by("valid_from").first().unit
    path = ROOT / f"bench-export-{options.members}.xlsx"
    start = time.perf_counter()
    counts = write_workbook(path, root, today())
    export_seconds = time.perf_counter() - start
    size = path.stat().st_size / 1024 / 1024
    print(f"export: {counts['members']:,} members, {counts['events']:,} events, {counts['units']:,} unit rows; "
          f"{export_seconds:.1f} s, {size:.1f} MB, peak memory of this process "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB")  # fmt: skip
    if options.copies > 1:
        start = time.perf_counter()
        scaled = ROOT / f"bench-export-{options.members}x{options.copies}.xlsx"
        counts = multiply(path, scaled, options.copies)
        path = scaled
        print(f"{options.copies} copies side by side: {counts} rows; {time.perf_counter() - start:.1f} s, "
              f"{path.stat().st_size / 1024 / 1024:.1f} MB")  # fmt: skip
    url = empty_database(options.database_url, options.members * options.copies)
    run(url, "migrate", "--noinput", "-v0")
    # Copies may hold namesakes by chance (the demo's names and birth dates recur): checked, not an error here.
    same = ["--allow-namesakes"] if options.copies > 1 else []
    seconds, peak, line = run(url, "import_workbook", str(path), "--dry-run", *same)
    print(f"preview (dry run, empty database): {seconds:.1f} s, peak memory {peak} MB — {line}")
    seconds, peak, line = run(url, "import_workbook", str(path), *same)
    print(f"import into the empty database: {seconds:.1f} s, peak memory {peak} MB — {line}")
    seconds, peak, line = run(url, "import_workbook", str(path), *same)
    print(f"the same file again (nothing changes): {seconds:.1f} s, peak memory {peak} MB — {line}")


if __name__ == "__main__":
    main()
