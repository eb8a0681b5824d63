"""Benchmark of a whole city: the pages of the city committee and of a commune, and a merger of two
large committees.

Builds (once) the city demo (`load_demo --city`: Hải Phòng's organisation around the demo committee,
≈ 248,000 members at --scale 1; ≈ 500,000 at --scale 2.04) in its own database, then measures, as
the city's staff (`thanhuy`), the server-side time of the city overview, a commune's overview (the
largest commune), the member search and `/chi-tieu/` through Django's request handling (median,
p95, queries per page); then, in a transaction rolled back at the end, the preview and the
confirmation of a merger of the two largest committees directly under the city.

    .venv/bin/python bench/city.py --scale 1
    .venv/bin/python bench/city.py --scale 1 --database-url postgres://postgres@127.0.0.1:5432/dangbo_city_bench
    .venv/bin/python bench/city.py --scale 2.04
"""

from __future__ import annotations

import argparse
import datetime
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from overview import count_queries, open_database, page_getter, percentile, timed  # noqa: E402


def build(scale: float):
    def run(_):
        from dangbo.demo.city import build_city  # after Django is set up

        build_city(scale=scale)

    return run


def measure_merger(day: datetime.date) -> dict:
    """The preview and the merger of the two largest committees directly under the city into a new
    one, from the day after `day`, rolled back."""
    from django.db import transaction

    from dangbo.accounts.models import User
    from dangbo.accounts.scope import Scope
    from dangbo.members.figures import counted_stints
    from dangbo.orgs.models import UnitKind, UnitVersion
    from dangbo.reorg import actions as reorg
    from dangbo.reorg.plan import Decision, NewUnit, plan_merge

    actor = User.objects.get(username="thanhuy")
    scope = Scope(unit_id=actor.unit_id, sees_people=True, records=True)
    on = day + datetime.timedelta(days=1)
    committees = UnitVersion.objects.on(on).filter(parent_id=actor.unit_id, kind=UnitKind.SUPERIOR)
    sizes = {version.unit_id: counted_stints(version, on).count() for version in committees}
    largest = sorted(sizes, key=sizes.get, reverse=True)[:2]
    form = UnitVersion.objects.on(on).get(unit_id=largest[0]).form_code
    receiver = NewUnit("Đảng bộ hợp nhất (đo thời gian)", form, actor.unit_id)
    decision = Decision("99-QĐ/TU", day, "Ban Thường vụ Thành ủy")
    kwargs = {"sources": largest, "receiver": receiver, "on": on, "decision": decision}
    results = {}
    with transaction.atomic():
        start = time.perf_counter()
        plan = plan_merge(scope, **kwargs)
        results["merger preview"] = time.perf_counter() - start
        start = time.perf_counter()
        reorg.merge_units(actor, scope, **kwargs, expected=plan.fingerprint())
        results["merger"] = time.perf_counter() - start
        transaction.set_rollback(True)
    print(f"merger of {sizes[largest[0]]:,} and {sizes[largest[1]]:,} members: {len(plan.moved):,} units move, "
          f"{len(plan.transfers):,} transfers")  # fmt: skip
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--database-url", default=None, help="default: sqlite file bench-city-<scale>.sqlite3")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--date", default="2025-09-30")
    parser.add_argument("--query", default="nguyen thi huong")
    parser.add_argument("--no-merger", action="store_true")
    args = parser.parse_args()

    open_database(int(args.scale * 1000), args.database_url, build=build(args.scale), prefix="bench-city")
    from django.db import connection
    from django.test import Client

    from dangbo.lib import vn
    from dangbo.members.figures import counted_stints
    from dangbo.members.models import Member
    from dangbo.orgs.models import Unit, UnitKind, UnitVersion

    day = vn.parse_date(args.date)
    client = Client()
    assert client.login(username="thanhuy", password="demo")
    get = page_getter(client)
    city = UnitVersion.objects.on(day).get(depth=0, parent__isnull=True, name__icontains="thành phố")
    communes = UnitVersion.objects.on(day).filter(parent_id=city.unit_id, kind=UnitKind.SUPERIOR, form_id="xa")
    sizes = {v.unit_id: counted_stints(v, day).count() for v in communes}
    commune = max(sizes, key=sizes.get)
    pages = [
        ("city overview", f"/?date={args.date}"),
        ("commune overview", f"/to-chuc/{commune}/?date={args.date}"),
        ("member search", f"/dang-vien/?q={args.query.replace(' ', '+')}&date={args.date}"),
        ("/chi-tieu/", "/chi-tieu/"),
    ]
    results = {}
    for label, path in pages:
        times = timed(get(path), args.runs)
        results[label] = (statistics.median(times), percentile(times, 95), count_queries(get(path)))
    members = Member.unscoped.count()
    print(f"database: {connection.vendor}; {Unit.objects.count():,} units, {members:,} member records; "
          f"largest commune {sizes[commune]:,} members; date {args.date}; {args.runs} runs")  # fmt: skip
    for label, (median, p95, queries) in results.items():
        print(f"{label:<20} median {median:7.1f} ms   p95 {p95:7.1f} ms   queries {queries}")
    if not args.no_merger:
        for label, seconds in measure_merger(day).items():
            print(f"{label:<20} {seconds:7.1f} s")


if __name__ == "__main__":
    main()
