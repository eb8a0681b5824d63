"""Benchmark of the resolution targets: `/chi-tieu/` with every indicator for one date (the goal:
≤ 300 ms for the demo committee, ≤ 1 s at 250,000 members, on SQLite and PostgreSQL), and the
drill-down of a target — its breakdown by sub-unit and the records behind it (≤ 300 ms) — through
Django's request handling as `khoi` (median, p95, queries per page).

It uses the database of `bench/overview.py` (built there, or here when missing, with the same
command line); a database built before the targets existed gets the demo's resolutions and
registrations added.

    .venv/bin/python bench/targets.py --members 4466
    .venv/bin/python bench/targets.py --members 250000 --database-url postgres://postgres@127.0.0.1:5432/dangbo_bench
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from overview import count_queries, open_database, page_getter, percentile, timed  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=4466)
    parser.add_argument("--database-url", default=None, help="default: sqlite file bench-<members>.sqlite3")
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()

    open_database(args.members, args.database_url)
    from django.db import connection
    from django.test import Client

    from dangbo.accounts.models import User
    from dangbo.demo.builder import REFERENCE_DAY
    from dangbo.members.models import Member
    from dangbo.targets.models import Resolution, Target

    if not Resolution.objects.exists():
        sys.exit("this database was built before the targets: build it again (delete it, run this script)")

    client = Client()
    root = User.objects.get(username="khoi").unit_id
    admissions = Target.objects.filter(indicator="admissions", resolution__term__committee_id=root).order_by("pk")
    meetings = Target.objects.filter(indicator="meetings", resolution__term__committee_id=root).order_by("pk")
    members = Target.objects.filter(indicator="members_good_or_better", resolution__term__committee_id=root)
    day = REFERENCE_DAY.isoformat()
    pages = [
        ("khoi", f"/chi-tieu/ on {day}", f"/chi-tieu/?date={day}"),
        ("khoi", "/chi-tieu/ on 2026-11-27", "/chi-tieu/?date=2026-11-27"),
        ("coso", f"/chi-tieu/ on {day} (coso)", f"/chi-tieu/?date={day}"),
        ("khoi", "admissions target: breakdown", f"/chi-tieu/{admissions.first().pk}/?date={day}"),
        ("khoi", "admissions target: records", f"/chi-tieu/{admissions.first().pk}/?date={day}&records=1"),
        ("khoi", "meetings target: breakdown", f"/chi-tieu/{meetings.first().pk}/?date={day}"),
        ("khoi", "members rated: records p. 2", f"/chi-tieu/{members.first().pk}/?date={day}&records=1&page=2"),
    ]

    get = page_getter(client)

    print(f"database: {connection.vendor}; {Member.unscoped.count():,} member records; {args.runs} runs")
    who = None
    for username, label, path in pages:
        if username != who:
            client.logout()
            assert client.login(username=username, password="demo")
            who = username
        times = timed(get(path), args.runs)
        print(f"{label:36} median {statistics.median(times):8.1f} ms   p95 {percentile(times, 95):8.1f} ms   "
              f"queries {count_queries(get(path))}")  # fmt: skip


if __name__ == "__main__":
    main()
