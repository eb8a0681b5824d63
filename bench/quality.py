"""Benchmark of the data quality page: `/chat-luong-du-lieu/` for the whole committee and for its
largest grassroots committee, and the list of the members behind a count (the first page of every
unclean record of the committee), through Django's request handling (median, p95, queries per
page), and the page's aggregate queries alone (`build_quality`).

Uses the database of bench/overview.py (the SQLite file bench-<members>.sqlite3 unless a URL is
given; built there when empty). With --members-only, a database of its own
(bench-quality-<members>.sqlite3) holding only what the page reads — the demo's tree, members,
events, stints and logins, from the same generator — which builds in minutes at 250,000 members
instead of the hour the meetings, ratings, tasks and reports take.

    .venv/bin/python bench/quality.py --members 4466
    .venv/bin/python bench/quality.py --members 250000
    .venv/bin/python bench/quality.py --members 250000 --members-only
    .venv/bin/python bench/quality.py --members 250000 --database-url postgres://postgres@127.0.0.1:5432/dangbo_bench
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from overview import count_queries, open_database, page_getter, percentile, timed  # noqa: E402


def members_only(members: int) -> None:
    """The demo's tree, members and logins alone, from the demo's own generator."""
    from django.db import transaction

    from dangbo.demo.builder import DemoBuilder

    with transaction.atomic():
        builder = DemoBuilder(members=members)
        builder.plan_tree()
        builder.plan_members()
        builder.write()
        builder.create_logins()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=4466)
    parser.add_argument("--database-url", default=None, help="default: sqlite file bench-<members>.sqlite3")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--date", default="", help="default: today")
    parser.add_argument("--members-only", action="store_true", help="build the tree and members only")
    args = parser.parse_args()

    if args.members_only:
        open_database(args.members, args.database_url, build=members_only, prefix="bench-quality")
    else:
        open_database(args.members, args.database_url)
    from django.db import connection
    from django.test import Client

    from dangbo.lib import vn
    from dangbo.lib.http import today
    from dangbo.members.models import Member
    from dangbo.members.quality import build_quality
    from dangbo.orgs.models import UnitVersion

    day = vn.parse_date(args.date) if args.date else today()
    root = UnitVersion.objects.on(day).get(depth=0)
    quality = build_quality(root, day)
    biggest = max((r for r in quality.rows if r.kind == "grassroots_committee"), key=lambda r: r.records)

    client = Client()
    assert client.login(username="khoi", password="demo")
    get = page_getter(client)
    pages = [
        ("/chat-luong-du-lieu/", f"/chat-luong-du-lieu/?date={day}"),
        ("  one committee", f"/chat-luong-du-lieu/?unit={biggest.unit_id}&date={day}"),
        ("  list, unclean", f"/chat-luong-du-lieu/danh-sach/?check=any&date={day}"),
        ("  list, no new card", f"/chat-luong-du-lieu/danh-sach/?check=no_new_card&date={day}"),
    ]
    results = {}
    for label, path in pages:
        times = timed(get(path), args.runs)
        results[label] = (statistics.median(times), percentile(times, 95), count_queries(get(path)))
    bare = timed(lambda: build_quality(root, day), args.runs)
    results["build_quality alone"] = (statistics.median(bare), percentile(bare, 95), count_queries(
        lambda: build_quality(root, day)))  # fmt: skip

    total = quality.total
    print(f"database: {connection.vendor}; {Member.unscoped.count():,} member records; "
          f"{total.records:,} counted on {vn.format_date(day)} in {len(quality.rows):,} sub-units; {args.runs} runs")
    print(f"clean {total.clean:,} ({vn.format_percent(total.clean_share, 1)}); "
          + ", ".join(f"{k} {n:,}" for k, n in total.counts.items() if n))  # fmt: skip
    print(f"largest committee: {biggest.name} ({biggest.records:,} records)")
    for label, (median, p95, queries) in results.items():
        print(f"{label:<24} median {median:7.1f} ms   p95 {p95:7.1f} ms   queries {queries}")


if __name__ == "__main__":
    main()
