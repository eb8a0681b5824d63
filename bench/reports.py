"""Benchmark of the periodic reports: consolidating the top committee's report — its statistics
from the records over the whole tree, the narrative drafted from them and the units' reports
gathered — for a month and for a year (goals: ≤ 2 s for the demo committee, ≤ 20 s at 2,500
units), one Word document (≤ 2 s), and the pages: the report, the board of who reported, the list
(through Django's request handling as `khoi`; median, p95, queries).

It uses the database of `bench/overview.py` (built there, or here when missing, with the same
command line); 21,700 members give about 2,500 units. A database built before the reports existed
gets the demo's schedule and reports added.

    .venv/bin/python bench/reports.py --members 4466
    .venv/bin/python bench/reports.py --members 21700
    .venv/bin/python bench/reports.py --members 4466 --database-url postgres://postgres@127.0.0.1:5432/dangbo_bench_demo
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
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()

    open_database(args.members, args.database_url)
    from django.db import connection
    from django.test import Client

    from dangbo.accounts.models import User
    from dangbo.orgs.models import UnitVersion
    from dangbo.reports import actions, periods
    from dangbo.reports.documents import draft_of, report_docx
    from dangbo.reports.models import Report, ReportType

    if not ReportType.objects.exists() or not Report.objects.exists():
        sys.exit("this database was built before the reports: build it again (delete it, run this script)")

    root = User.objects.get(username="khoi").unit_id
    units = UnitVersion.objects.on(periods.parse("month", "2024-09").ends_on).count()
    types = {t.code: t for t in ReportType.objects.all()}

    def consolidate(code, key):
        """The committee's report of a period as a new draft (not saved): every figure, the draft."""
        period = periods.parse(types[code].period_kind, key)

        def run():
            report = Report(report_type=types[code], unit_id=root, period=key, starts_on=period.starts_on,
                            ends_on=period.ends_on)  # fmt: skip
            report.texts = actions.drafted_texts(report, actions.statistics_of(report))

        return run

    september = Report.objects.get(unit_id=root, report_type=types["thang"], period="2024-09")
    nine_months = Report.objects.filter(unit_id=root, report_type=types["quy"], period="2024-Q3").first()
    work = [
        ("consolidate: month 09/2024", consolidate("thang", "2024-09")),
        ("consolidate: year 2024", consolidate("nam", "2024")),
        ("Word: 09/2024 (completed)", lambda: report_docx(draft_of(september))),
    ]
    if nine_months is not None:
        work.append(("Word: 2024-Q3 (draft, live figures)", lambda: report_docx(draft_of(nine_months))))
    print(f"database: {connection.vendor}; {units:,} units on 30/09/2024; {Report.objects.count():,} reports; "
          f"{args.runs} runs")  # fmt: skip
    for label, run in work:
        times = timed(run, args.runs)
        print(f"{label:40} median {statistics.median(times):8.1f} ms   p95 {percentile(times, 95):8.1f} ms   "
              f"queries {count_queries(run)}")  # fmt: skip

    client = Client()
    assert client.login(username="khoi", password="demo")
    get = page_getter(client)
    pages = [
        ("page: /bao-cao/", "/bao-cao/"),
        ("page: board 09/2024", "/bao-cao/theo-doi/?loai=thang&ky=2024-09"),
        ("page: report 09/2024", f"/bao-cao/{september.pk}/"),
    ]
    if nine_months is not None:
        pages.append(("page: report 2024-Q3 (draft)", f"/bao-cao/{nine_months.pk}/"))
    for label, path in pages:
        times = timed(get(path), args.runs)
        print(f"{label:40} median {statistics.median(times):8.1f} ms   p95 {percentile(times, 95):8.1f} ms   "
              f"queries {count_queries(get(path))}")  # fmt: skip


if __name__ == "__main__":
    main()
