"""Benchmark of the cell meeting pages: the compliance table of the whole committee over a full term
(the goal: ≤ 300 ms for the demo committee, ≤ 2 s at 250,000 members), over this year, the meeting
list, a cell's attendance page and the Word minutes, through Django's request handling as `khoi`
(median, p95, queries per page).

It uses the database of `bench/overview.py` (built there, or here when missing, with the same
command line). A database built before meetings existed gets the demo's meetings added from its
records (every cell, every month since January 2020, with attendance).

    .venv/bin/python bench/meetings.py --members 4466
    .venv/bin/python bench/meetings.py --members 250000 --database-url postgres://postgres@127.0.0.1:5432/dangbo_bench
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from overview import count_queries, open_database, page_getter, percentile, timed  # noqa: E402


def add_meetings() -> dict:
    """The demo's meetings for a committee built without them, from its units, stints and events."""
    from collections import defaultdict

    from dangbo.accounts.models import User
    from dangbo.demo.builder import HORIZON, REFERENCE_DAY, SEED
    from dangbo.demo.meetings import CellLife, MeetingWriter
    from dangbo.meetings.cell_years import refresh as refresh_cell_years
    from dangbo.members.actions import ordered
    from dangbo.members.events import replay
    from dangbo.members.models import Event, Stint
    from dangbo.orgs.models import CELL_KINDS, UnitVersion

    lives: dict[int, list] = {}
    for unit_id, valid_from, valid_to in UnitVersion.objects.filter(kind__in=CELL_KINDS).values_list(
        "unit_id", "valid_from", "valid_to"
    ):
        life = lives.setdefault(unit_id, [valid_from, valid_to])
        life[0] = min(life[0], valid_from)
        life[1] = None if life[1] is None or valid_to is None else max(life[1], valid_to)
    cells = [CellLife(unit_id, start, end) for unit_id, (start, end) in lives.items()]
    stints = list(Stint.unscoped.values_list("unit_id", "member_id", "kind", "status", "start", "end").iterator())
    events = defaultdict(list)
    for event in Event.unscoped.active().iterator(chunk_size=20_000):
        events[event.member_id].append(event)
    timelines = {member_id: replay(ordered(history)) for member_id, history in events.items()}
    chibo = User.objects.get(username="chibo").unit_id
    written = MeetingWriter(cells, stints, timelines, chibo, HORIZON, REFERENCE_DAY, SEED + 4).write()
    refresh_cell_years()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=4466)
    parser.add_argument("--database-url", default=None, help="default: sqlite file bench-<members>.sqlite3")
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()

    open_database(args.members, args.database_url)
    from django.db import connection, transaction
    from django.test import Client

    from dangbo.accounts.models import User
    from dangbo.meetings.models import Attendance, Meeting
    from dangbo.orgs.models import CELL_KINDS, UnitVersion

    if not Meeting.unscoped.exists():
        start = time.perf_counter()
        with transaction.atomic():
            written = add_meetings()
        print(f"added {written['meetings']:,} meetings, {written['attendance']:,} attendance rows "
              f"in {time.perf_counter() - start:.1f} s")  # fmt: skip
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    client = Client()
    assert client.login(username="khoi", password="demo")
    chibo_cell = User.objects.get(username="chibo").unit_id
    biggest = (
        Meeting.unscoped.filter(held_on__year=2025).order_by("-official_count").values_list("cell_id", "pk").first()
    )
    held = Meeting.unscoped.filter(cell_id=chibo_cell, held_on__isnull=False).order_by("-held_on").first()
    pages = [
        ("compliance, term 10/2020–08/2025", "/sinh-hoat/tuan-thu/?from=2020-10&to=2025-08"),
        ("compliance, term, gaps only", "/sinh-hoat/tuan-thu/?from=2020-10&to=2025-08&gaps=1"),
        ("compliance, 2025", "/sinh-hoat/tuan-thu/?from=2025-01&to=2025-12"),
        ("meeting list", "/sinh-hoat/"),
        ("largest cell's attendance, term", f"/sinh-hoat/chi-bo/{biggest[0]}/?from=2020-10&to=2025-08"),
        ("minutes .docx", f"/sinh-hoat/{held.pk}/bien-ban.docx"),
        ("record minutes form", f"/sinh-hoat/{held.pk}/ghi-bien-ban/"),
    ]

    get = page_getter(client)

    cells = UnitVersion.objects.filter(kind__in=CELL_KINDS).values("unit_id").distinct().count()
    print(f"database: {connection.vendor}; {cells:,} cells, {Meeting.unscoped.count():,} meetings, "
          f"{Attendance.unscoped.count():,} attendance rows; {args.runs} runs")  # fmt: skip
    for label, path in pages:
        times = timed(get(path), args.runs)
        print(f"{label:36} median {statistics.median(times):8.1f} ms   p95 {percentile(times, 95):8.1f} ms   "
              f"queries {count_queries(get(path))}")  # fmt: skip


if __name__ == "__main__":
    main()
