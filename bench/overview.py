"""Benchmark of the overview, the member search and the recording of membership events.

Builds (once) a committee of the demo's shape with --members N in its own database (its history
is events back to every member's admission, from the 1980s to 2026), then measures the server-side
time of `/` on one date and across dates of the last ten years (`?date=`), of `/dang-vien/?q=…`,
through Django's request handling (median, p95, queries per page), the time of the smallest
hand-written SQL computing the same overview figures, with the ratio, and the time of recording one
event through the actions (one that changes no count, and a transfer between two cells that
changes the figures up the tree), each followed by its cancellation.

    .venv/bin/python bench/overview.py --members 4466
    .venv/bin/python bench/overview.py --members 250000
    .venv/bin/python bench/overview.py --members 250000 --database-url postgres://postgres@127.0.0.1:5432/dangbo_bench
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def ensure_postgres_database(url: str) -> None:
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def open_database(members: int, database_url: str | None, *, build=None, prefix: str = "bench") -> None:
    """Point Django at the benchmark's database (the SQLite file <prefix>-<members>.sqlite3 unless a
    URL is given), migrate it, and build the demo committee of that size in it when it is empty
    (`build(members)` instead of the whole demo, when given)."""
    url = database_url or f"sqlite:///{ROOT / f'{prefix}-{members}.sqlite3'}"
    if url.startswith("postgres"):
        ensure_postgres_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangbo.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from dangbo.demo.builder import build_demo
    from dangbo.orgs.models import Unit

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    if not Unit.objects.exists():
        start = time.perf_counter()
        (build or (lambda n: build_demo(members=n)))(members)
        print(f"built committee of {members:,} members in {time.perf_counter() - start:.1f} s")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def page_getter(client):
    """get(path) -> a function that requests the page through Django and checks it answered 200."""

    def get(path):
        def run():
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)

        return run

    return get


def count_queries(run) -> int:
    """The statements one call of `run` sends to the database."""
    from django.db import connection

    executed = []
    with connection.execute_wrapper(lambda execute, sql, *rest: executed.append(sql) or execute(sql, *rest)):
        run()
    return len(executed)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def timed(fn, runs: int) -> list[float]:
    fn()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return times


HAND_SQL_UNITS = """
SELECT substr(path, 1, %(w)s) AS bucket, kind, COUNT(*) FROM orgs_unitversion
WHERE valid_from <= %(d)s AND (valid_to IS NULL OR valid_to > %(d)s) AND path LIKE %(p)s AND unit_id <> %(root)s
GROUP BY 1, 2
"""
HAND_SQL_MEMBERS = """
SELECT substr(v.path, 1, %(w)s) AS bucket, COUNT(*),
  SUM(CASE WHEN s.status = 'official' THEN 1 ELSE 0 END), SUM(CASE WHEN s.status = 'probationary' THEN 1 ELSE 0 END),
  SUM(CASE WHEN m.sex = 'F' THEN 1 ELSE 0 END), SUM(CASE WHEN m.sex = 'M' THEN 1 ELSE 0 END),
  {ages}, {theory}
FROM members_stint s
JOIN orgs_unitversion v ON v.unit_id = s.unit_id
  AND v.valid_from <= %(d)s AND (v.valid_to IS NULL OR v.valid_to > %(d)s)
JOIN members_member m ON m.id = s.member_id
WHERE s.kind = 'official' AND s.start <= %(d)s AND (s."end" IS NULL OR s."end" > %(d)s) AND v.path LIKE %(p)s
GROUP BY 1
"""


def measure_events(runs: int) -> dict:
    """Record events through the actions on members of the largest committee, each followed by its
    cancellation (also timed), so the database ends as it began."""
    from django.db import connection

    from dangbo.accounts.models import User
    from dangbo.lib.http import today
    from dangbo.members import actions
    from dangbo.members.figures import counted_stints
    from dangbo.members.models import Member, Stint
    from dangbo.orgs.models import CELL_KINDS, UnitVersion

    actor = User.objects.get(username="khoi")
    on = today()
    committees = UnitVersion.objects.on(on).filter(depth=1, kind="grassroots_committee")
    sizes = {version.path: counted_stints(version, on).count() for version in committees}
    biggest = max(sizes, key=sizes.get)
    cells = list(UnitVersion.objects.on(on).filter(path__startswith=biggest, kind__in=CELL_KINDS)
                 .values_list("unit_id", flat=True))  # fmt: skip
    stints = list(Stint.unscoped.official().open_on(on).filter(unit_id__in=cells, status="official")
                  .order_by("member_id").values_list("member_id", "unit_id")[: runs + 1])  # fmt: skip
    results = {}
    for label, record in [
        ("exemption", lambda m, _: actions.exempt(actor, m, effective_on=on, note="Đo thời gian")),
        ("transfer within", lambda m, unit: actions.transfer_within(
            actor, m, unit=UnitVersion.objects.on(on).get(unit_id=next(c for c in cells if c != unit)).unit,
            effective_on=on)),
    ]:  # fmt: skip
        recorded, cancelled, queries = [], [], []
        for member_id, unit_id in stints:
            member = Member.unscoped.get(pk=member_id)
            executed = []

            def counting(execute, sql, *rest, executed=executed):
                executed.append(sql)
                return execute(sql, *rest)

            start = time.perf_counter()
            with connection.execute_wrapper(counting):
                record(member, unit_id)
            recorded.append((time.perf_counter() - start) * 1000)
            queries.append(len(executed))
            start = time.perf_counter()
            actions.cancel_latest_event(actor, member, "Hủy sau khi đo thời gian")
            cancelled.append((time.perf_counter() - start) * 1000)
        recorded, cancelled = recorded[1:], cancelled[1:]  # the first of each warms up
        results[f"event: {label}"] = (statistics.median(recorded), percentile(recorded, 95), max(queries))
        results[f"cancel: {label}"] = (statistics.median(cancelled), percentile(cancelled, 95), None)
    print(f"events recorded in the largest committee ({sizes[biggest]:,} members today)")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=4466)
    parser.add_argument("--database-url", default=None, help="default: sqlite file bench-<members>.sqlite3")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--date", default="2024-09-30")
    parser.add_argument("--query", default="nguyen thi huong")
    args = parser.parse_args()

    open_database(args.members, args.database_url)
    from django.db import connection
    from django.test import Client

    from dangbo.lib import vn
    from dangbo.members.figures import AGE_BANDS, subtree_figures
    from dangbo.members.models import Event, Member, Stint, TheoryLevel
    from dangbo.orgs.models import PATH_WIDTH, Unit, UnitVersion

    client = Client()
    assert client.login(username="khoi", password="demo")
    overview_url = f"/?date={args.date}"
    search_url = f"/dang-vien/?q={args.query.replace(' ', '+')}&date={args.date}"

    get = page_getter(client)

    results = {}
    for label, path in [("/", overview_url), ("/dang-vien/?q=", search_url)]:
        times = timed(get(path), args.runs)
        results[label] = (statistics.median(times), percentile(times, 95), count_queries(get(path)))
    # As of any date: one request on each of `runs` dates spread over 2016–2026 (each date once, so
    # nothing is served from a warm per-date cache), after one warm-up.
    days = [datetime.date(2016, 1, 1) + datetime.timedelta(days=i * 3987 // max(args.runs - 1, 1))
            for i in range(args.runs)]  # fmt: skip
    get("/?date=2016-01-01")()
    any_date = []
    for day in days:
        start = time.perf_counter()
        get(f"/?date={day}")()
        any_date.append((time.perf_counter() - start) * 1000)
    queries = count_queries(get(f"/?date={days[-1]}"))
    results["/ any date"] = (statistics.median(any_date), percentile(any_date, 95), queries)
    results.update(measure_events(args.runs))

    # The smallest hand-written SQL computing the same overview figures: the unit counts and the
    # member counts per direct sub-unit (the app also reads the root and its children's names).
    day = vn.parse_date(args.date)
    root = UnitVersion.objects.on(day).get(depth=0)
    ages = ", ".join(
        f"SUM(CASE WHEN m.birth_date <= '{vn.add_years(day, -lo)}'"
        + (f" AND m.birth_date > '{vn.add_years(day, -(hi + 1))}'" if hi else "")
        + " THEN 1 ELSE 0 END)"
        for _, _, lo, hi in AGE_BANDS
    )
    theory = ", ".join(f"SUM(CASE WHEN m.theory_level = '{t}' THEN 1 ELSE 0 END)" for t in TheoryLevel.values)
    params = {"w": len(root.path) + PATH_WIDTH, "d": day, "p": root.path + "%", "root": root.unit_id}

    def hand_sql():
        with connection.cursor() as cursor:
            cursor.execute(HAND_SQL_UNITS, params)
            cursor.fetchall()
            cursor.execute(HAND_SQL_MEMBERS.format(ages=ages, theory=theory), params)
            cursor.fetchall()

    def hand_sql_tallies():
        # The app's own figure query, run bare: the page's time over this is the cost of Django,
        # the session, the tree around the figures and the template.
        subtree_figures(root, day)

    sql_times = timed(hand_sql, args.runs)
    sql_median = statistics.median(sql_times)
    tally_times = timed(hand_sql_tallies, args.runs)
    tally_median = statistics.median(tally_times)

    members = Member.unscoped.count()
    stints = Stint.unscoped.count()
    events = Event.unscoped.count()
    units = Unit.objects.count()
    print(f"database: {connection.vendor}; {units:,} units, {members:,} member records, {events:,} events, "
          f"{stints:,} stints; date {args.date}; {args.runs} runs")  # fmt: skip
    for label, (median, p95, queries) in results.items():
        print(f"{label:<24} median {median:7.1f} ms   p95 {p95:7.1f} ms   queries {queries if queries else '-'}")
    for label, median, times, queries in [
        ("hand SQL, stints", sql_median, sql_times, 2),
        ("tally query", tally_median, tally_times, 1),
    ]:
        print(f"{label:<24} median {median:7.1f} ms   p95 {percentile(times, 95):7.1f} ms   queries {queries}")
    print(f"ratio / ÷ hand-written SQL over the stints (medians): {results['/'][0] / sql_median:.2f}")
    print(f"ratio / ÷ the app's own tally query alone (medians): {results['/'][0] / tally_median:.2f}")


if __name__ == "__main__":
    main()
