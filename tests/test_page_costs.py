"""What the pages of the everyday mix cost (bench/load.py clicks through them as the three personas):
a bounded number of queries each, and the home page's lists read from the indexes of the few rows
they list — the meetings not held, the rating rounds lacking a step — giving the same rows as the
pages' own rules."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dangbo.accounts.scope import Scope
from dangbo.meetings.models import Meeting, MeetingKind
from dangbo.meetings.views import meetings_of, unheld_of

# The most queries each page of the mix sends, whoever asks (measured, the home page with its list
# of work to do).
PAGES = {
    "/": 25,
    "/dang-vien/": 7,
    "/dang-vien/?q=Nguyễn": 7,
    "/sinh-hoat/": 7,
    "/xep-loai/": 26,
    "/xep-loai/dot/": 7,
    "/chi-tieu/": 37,
    "/nhiem-vu/": 7,
    "/nhiem-vu/bang/": 8,
    "/bao-cao/": 10,
    "/bao-cao/theo-doi/": 7,
    "/thong-bao/": 4,
    "/ket-nap/": 14,
}
# A page of each kind found in the lists: the first member, task, report, meeting listed.
FOUND = {
    # The member page: its record, plus its audit trail and the logged opening (two queries).
    "/dang-vien/": (r'href="(/dang-vien/\d+/)(?:\?[^"]*)?"', 15),
    "/nhiem-vu/": (r'href="(/nhiem-vu/\d+/)"', 16),
    "/bao-cao/": (r'href="(/bao-cao/\d+/)"', 39),
    "/sinh-hoat/": (r'href="(/sinh-hoat/\d+/)"', 8),
}


def today() -> datetime.date:
    return timezone.localdate()


def queries(client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured.captured_queries), response.content.decode()


@pytest.mark.parametrize("who", ["khoi", "coso", "chibo"])
def test_each_page_of_the_mix_sends_a_bounded_number_of_queries(as_user, who):
    client = as_user(who)
    over = {}
    for url, bound in PAGES.items():
        count, _ = queries(client, url)
        if count > bound:
            over[url] = (count, bound)
    found = 0
    for url, (pattern, bound) in FOUND.items():
        links = re.findall(pattern, client.get(url).content.decode())
        if links:
            found += 1
            count, _ = queries(client, links[0])
            if count > bound:
                over[links[0]] = (count, bound)
    assert not over, over
    assert found >= 3, "the lists link to members, tasks, meetings"


def past_meeting(cell: int, day: datetime.date) -> Meeting:
    return Meeting.unscoped.create(cell_id=cell, kind=MeetingKind.REGULAR, planned_on=day, place="Hội trường",
                                   agenda="Sinh hoạt thường kỳ")  # fmt: skip


def moved_cells() -> list[tuple[int, int, int, datetime.date]]:
    """(cell, parent before, parent after, day) of the demo's cells that changed committee."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT a.unit_id, a.parent_id, b.parent_id, b.valid_from FROM orgs_unitversion a
               JOIN orgs_unitversion b ON b.unit_id = a.unit_id AND b.valid_from = a.valid_to
               WHERE a.kind IN ('grassroots_cell', 'attached_cell') AND a.parent_id <> b.parent_id
               ORDER BY b.valid_from, a.unit_id"""
        )
        return cursor.fetchall()


def test_the_meetings_not_held_are_the_scopes_as_the_list_counts_them(demo, outsider):
    """`unheld_of` (the home page's list) gives the rows of `meetings_of` with the same conditions, for
    the whole tree, a committee, a cell, one outside, and the committees a cell left and joined: a
    meeting planned before the move belongs to the committee of that day."""
    day = today()
    _, elsewhere = outsider
    made = [
        past_meeting(demo["chibo"], day - datetime.timedelta(days=3)),
        past_meeting(elsewhere, day - datetime.timedelta(days=9)),
    ]
    scopes = [demo["root"], demo["coso"], demo["chibo"], elsewhere]
    moves = moved_cells()
    assert moves, "the demo moves cells between committees"
    cell, before, after, moved_on = moves[-1]
    made += [
        past_meeting(cell, moved_on - datetime.timedelta(days=2)),
        past_meeting(cell, moved_on + datetime.timedelta(days=2)),
    ]
    scopes += [before, after]
    for unit in scopes:
        scope = Scope(unit_id=unit, sees_people=True)
        expected = set(meetings_of(scope).filter(held_on__isnull=True, planned_on__lt=day).values_list("pk", flat=True))
        assert set(unheld_of(scope, day).values_list("pk", flat=True)) == expected, unit
    root = Scope(unit_id=demo["root"], sees_people=True)
    assert {m.pk for m in made} <= set(unheld_of(root, day).values_list("pk", flat=True))
    assert made[0].pk in set(
        unheld_of(Scope(unit_id=demo["chibo"], sees_people=True), day).values_list("pk", flat=True)
    )
    assert made[1].pk not in set(
        unheld_of(Scope(unit_id=demo["coso"], sees_people=True), day).values_list("pk", flat=True)
    )
    assert made[2].pk in set(unheld_of(Scope(unit_id=before, sees_people=True), day).values_list("pk", flat=True))
    assert made[3].pk in set(unheld_of(Scope(unit_id=after, sees_people=True), day).values_list("pk", flat=True))
