"""Benchmark of the exchange workbook's export: the whole committee as of a date, written as the
download writes it (to a temporary file), with its time, its queries and the peak memory of the
process (resource.getrusage: the maximum resident set size, the demo's build included when it is
built in the same run — build it first, then run again to read the export's own peak).

Uses the database of bench/overview.py (the SQLite file bench-<members>.sqlite3 unless a URL is
given; built there when empty).

    .venv/bin/python bench/export.py --members 4466
    .venv/bin/python bench/export.py --members 250000 --database-url postgres://postgres@127.0.0.1:5432/dangbo_bench
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from overview import count_queries, open_database  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=4466)
    parser.add_argument("--database-url", default=None, help="default: sqlite file bench-<members>.sqlite3")
    parser.add_argument("--date", default="2026-11-27")
    args = parser.parse_args()

    open_database(args.members, args.database_url)
    from django.db import connection

    from dangbo.exchange.export import write_workbook
    from dangbo.lib import vn
    from dangbo.orgs.models import UnitVersion

    day = vn.parse_date(args.date)
    root = UnitVersion.objects.on(day).get(depth=0)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with tempfile.NamedTemporaryFile(suffix=".xlsx") as handle:
        counts = {}
        start = time.perf_counter()
        queries = count_queries(lambda: counts.update(write_workbook(handle, root, day)))
        seconds = time.perf_counter() - start
        size = Path(handle.name).stat().st_size
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(f"database: {connection.vendor}; export of the whole committee as of {vn.format_date(day)}")
    print(f"rows: {counts['units']:,} unit periods, {counts['members']:,} members, {counts['events']:,} events")
    print(f"time {seconds:.1f} s; {queries} queries; file {size / 1e6:.1f} MB")
    print(f"peak memory (max RSS) {peak / 1024:.0f} MB, {before / 1024:.0f} MB before the export")


if __name__ == "__main__":
    main()
