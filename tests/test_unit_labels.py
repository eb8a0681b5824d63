"""Units are never ambiguous: wherever a unit is named in a list, a select or a file, it is named with
what it belongs to ("Chi bộ Văn phòng — Đảng bộ Sở Tài chính"), as it stood on the day shown, and a
page reads the labels of all its rows in a fixed number of queries (dangbo.orgs.labels)."""

from __future__ import annotations

import datetime
import html
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from dangbo.lib.http import today
from dangbo.orgs.labels import SEPARATOR, labels_on_days, unit_labels
from dangbo.orgs.models import UnitVersion
from dangbo.tasks.models import Status

FINANCE = "Đảng bộ Sở Tài chính"
OFFICE = "Chi bộ Văn phòng"


def _finance(day=None) -> UnitVersion:
    return UnitVersion.objects.on(day or today()).get(name=FINANCE)


def _offices(day=None) -> list[UnitVersion]:
    """The demo's three "Chi bộ Văn phòng" inside Đảng bộ Sở Tài chính."""
    finance = _finance(day)
    cells = UnitVersion.objects.on(day or today()).filter(name=OFFICE, path__startswith=finance.path)
    return list(cells.order_by("path"))


def hand_label(unit_id: int, day: datetime.date) -> str:
    """The label by hand: the name on `day`, then each ancestor's name on `day` up to the grassroots
    organisation (the top of the tree only for a unit right under it)."""
    version = UnitVersion.objects.on(day).get(unit_id=unit_id)
    ids = [int(version.path[i : i + 8]) for i in range(0, len(version.path), 8)][:-1]
    above = ids[1:] or ids
    names = [UnitVersion.objects.on(day).get(unit_id=a).name for a in reversed(above)]
    return " — ".join([version.name, *names])


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return html.unescape(response.content.decode())


def _queries(call) -> int:
    with CaptureQueriesContext(connection) as queries:
        call()
    return len(queries)


# --- the labels ----------------------------------------------------------------------------------------


def test_the_three_offices_of_the_finance_committee_are_told_apart(demo, django_assert_num_queries):
    offices = _offices()
    assert len(offices) == 3
    with django_assert_num_queries(2):
        labels = unit_labels([v.unit_id for v in offices], today())
    assert len(set(labels.values())) == 3
    for version in offices:
        label = labels[version.unit_id]
        assert label == hand_label(version.unit_id, today())
        assert label.startswith(f"{OFFICE}{SEPARATOR}") and label.endswith(FINANCE)
    assert f"{OFFICE}{SEPARATOR}{FINANCE}" in labels.values()  # the one right under the committee
    # Across the whole tree, the 48 cells of that name in different grassroots organisations are
    # told apart (two cells of one name under one committee can only be told apart by their codes).
    everyone = list(UnitVersion.objects.on(today()).filter(name=OFFICE))
    all_labels = unit_labels([v.unit_id for v in everyone], today())
    assert len(everyone) == 48
    for a in everyone:
        assert all_labels[a.unit_id] == hand_label(a.unit_id, today())
        for b in everyone:
            if a.path[:16] != b.path[:16]:
                assert all_labels[a.unit_id] != all_labels[b.unit_id]


def test_top_and_grassroots_labels(demo):
    root = UnitVersion.objects.on(today()).get(unit_id=demo["root"])
    labels = unit_labels([demo["root"], _finance().unit_id], today())
    assert labels[demo["root"]] == root.name  # the top stands alone
    assert labels[_finance().unit_id] == f"{FINANCE}{SEPARATOR}{root.name}"


def _moved_unit() -> tuple[int, datetime.date, datetime.date]:
    """A unit that moved to another parent: (id, a day under the first parent, a day under the last)."""
    for version in UnitVersion.objects.exclude(valid_to=None).exclude(parent=None).order_by("unit_id"):
        later = UnitVersion.objects.filter(unit_id=version.unit_id, valid_from=version.valid_to).first()
        if later is not None and later.parent_id and later.parent_id != version.parent_id and later.valid_to is None:
            return version.unit_id, version.valid_to - datetime.timedelta(days=1), later.valid_from
    raise AssertionError("the demo has no moved unit")


def test_a_past_day_names_the_parent_of_that_day(demo, django_assert_num_queries):
    unit_id, before, after = _moved_unit()
    with django_assert_num_queries(2):
        then = unit_labels([unit_id], before)
    now = unit_labels([unit_id], today())
    assert then[unit_id] == hand_label(unit_id, before)
    assert now[unit_id] == hand_label(unit_id, today())
    assert then[unit_id] != now[unit_id]
    assert unit_labels([unit_id])[unit_id] == now[unit_id]  # no day: as it stands last
    with django_assert_num_queries(2):
        both = labels_on_days([(unit_id, before), (unit_id, after)])
    assert both == {(unit_id, before): then[unit_id], (unit_id, after): hand_label(unit_id, after)}


def test_a_unit_dissolved_before_the_day_keeps_its_last_label(demo):
    version = UnitVersion.objects.exclude(valid_to=None).exclude(parent=None).order_by("valid_to").first()
    if UnitVersion.objects.filter(unit_id=version.unit_id, valid_from__gte=version.valid_to).exists():
        pytest.skip("the earliest closed version is not a dissolution")
    label = unit_labels([version.unit_id], today())[version.unit_id]
    assert label == hand_label(version.unit_id, version.valid_to - datetime.timedelta(days=1))


# --- pages ---------------------------------------------------------------------------------------------


def test_member_list_has_a_column_of_what_the_cell_belongs_to(as_user, demo):
    client = as_user("khoi")
    finance = _finance()
    page = _page(client, f"/dang-vien/?unit={finance.unit_id}")
    assert "<th>Trực thuộc</th>" in page
    table = page[page.index('id="members"') :]
    cells = set(re.findall(r"<td>(Chi bộ [^<]*)</td><td>([^<]*)</td>", table))
    offices = {parent for name, parent in cells if name == OFFICE}
    assert FINANCE in offices or any(p.endswith(FINANCE) for p in offices)
    assert all(parent for _, parent in cells)  # every cell here lies under something


def test_member_list_on_a_past_day_names_the_parent_of_that_day(as_user, demo):
    unit_id, before, _ = _moved_unit()
    client = as_user("khoi")
    then = hand_label(unit_id, before).partition(SEPARATOR)[2]
    now = hand_label(unit_id, today()).partition(SEPARATOR)[2]
    page = _page(client, f"/dang-vien/?unit={unit_id}&date={before.isoformat()}")
    if "Không có đảng viên nào phù hợp" in page:
        pytest.skip("the moved unit had no members that day")
    assert f"<td>{then}</td>" in page or f'title="{then}"' in page
    assert now not in page.partition('id="members"')[2]


@pytest.mark.parametrize("persona", ["khoi", "coso"])
def test_selects_name_units_with_their_parents(as_user, demo, persona):
    client = as_user(persona)
    labels = {hand_label(v.unit_id, today()) for v in _offices()}
    # The export offers every unit of a committee (a city-size scope: its top two levels only).
    urls = ["/sinh-hoat/", "/tai-khoan/"] + (["/xuat-du-lieu/"] if persona == "coso" else [])
    for url in urls:
        page = _page(client, url)
        options = set(re.findall(r"<option value=\"\d+\"[^>]*>([^<]*)</option>", page))
        assert labels <= options, url
        assert "data-picker" in page, url
        if persona == "coso":  # nothing of another committee, not even its name
            assert "Đảng bộ Sở Xây dựng" not in page, url


def test_meeting_list_rows_name_the_cell_with_its_parent(as_user, demo):
    client = as_user("khoi")
    for version in _offices():
        page = _page(client, f"/sinh-hoat/?cell={version.unit_id}")
        rows = page[page.index('id="meetings"') :]
        assert f"<td>{hand_label(version.unit_id, today())}</td>" in rows


def test_rating_round_names_cells_with_their_parents(as_user, demo):
    from dangbo.ratings.models import MemberRating

    client = as_user("khoi")
    finance = _finance()
    rating = MemberRating.unscoped.filter(grassroots_id=finance.unit_id).order_by("-period__year").first()
    page = _page(client, f"/xep-loai/dot/{rating.period_id}/?tccs={finance.unit_id}")
    cell_filter = page[page.index('<select name="chibo"') :].split("</select>")[0]
    shown = (set(re.findall(r'<span title="(Chi bộ [^"]*)">', page)) | set(re.findall(r"<td>(Chi bộ [^<]*)</td>", page))
             | set(re.findall(r'scope="rowgroup">(Chi bộ [^<]*)</th>', page))  # the rows' group headings
             | set(re.findall(r'<option value="\d+"(?: selected)?>(Chi bộ [^<]*)</option>', cell_filter)))
    assert shown and all(label.endswith(FINANCE) for label in shown)
    assert any(label.startswith(OFFICE + SEPARATOR) for label in shown)


def test_register_has_the_cell_and_what_it_belongs_to(as_user, demo):
    client = as_user("khoi")
    finance = _finance()
    response = client.get(f"/dang-vien/so-danh-sach/?unit={finance.unit_id}")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header_at = next(i for i, row in enumerate(rows) if row[0] == "Số TT")
    assert rows[header_at][-2:] == ("Chi bộ", "Trực thuộc")
    members = [row for row in rows[header_at + 1 :] if isinstance(row[0], int)]
    pairs = {(row[-2], row[-1]) for row in members}
    offices = {parent for name, parent in pairs if name == OFFICE}
    assert len(offices) == 3 and all(parent.endswith(FINANCE) for parent in offices)
    assert all(name and parent for name, parent in pairs)


# --- no N+1: the queries of a page do not grow with its rows -------------------------------------------


@pytest.mark.parametrize(
    ("few", "many"),
    [
        ("/dang-vien/?unit={office}", "/dang-vien/?unit={finance}"),
        ("/sinh-hoat/?cell={office}&status=planned", "/sinh-hoat/?cell={office}"),
        ("/nhiem-vu/?xem=tat-ca&trang-thai=overdue", "/nhiem-vu/?xem=tat-ca"),
    ],
)
def test_label_queries_do_not_grow_with_rows(as_user, demo, few, many):
    client = as_user("khoi")
    ids = {"office": _offices()[0].unit_id, "finance": _finance().unit_id}
    few, many = few.format(**ids), many.format(**ids)
    client.get(few), client.get(many)  # sessions and caches warm
    rows_few, rows_many = (_page(client, u).count("<tr") for u in (few, many))
    assert rows_many > rows_few
    assert _queries(lambda: client.get(many)) <= _queries(lambda: client.get(few)) + 1


# --- the tasks list opens on what needs attention ------------------------------------------------------

RANK = {Status.OVERDUE: 0, Status.DUE_SOON: 1, Status.IN_PROGRESS: 2, Status.NOT_STARTED: 3,
        Status.DONE_ON_TIME: 4, Status.DONE_LATE: 4}  # fmt: skip


def _task_rows(client, url):
    page = _page(client, url)
    table = page[page.index('id="tasks"') :]
    rows = re.findall(r'<tr id="task-(\d+)" class="status-(\w+)">', table)
    return [(int(pk), status) for pk, status in rows], table


def test_task_list_opens_on_overdue_then_due_soon(as_user, demo):
    from dangbo.tasks.models import Task

    client = as_user("khoi")
    rows, table = _task_rows(client, "/nhiem-vu/?xem=tat-ca")
    assert rows
    ranks = [RANK[status] for _, status in rows]
    assert ranks == sorted(ranks), "finished work before open work, or due soon before overdue"
    assert rows[0][1] == Status.OVERDUE
    due = dict(Task.objects.filter(pk__in=[pk for pk, _ in rows]).values_list("pk", "due_on"))
    for rank in set(ranks):
        days = [due[pk] for pk, status in rows if RANK[status] == rank]
        assert days == (sorted(days, reverse=True) if rank == 4 else sorted(days)), rank
    # The last page ends on finished work, the latest first.
    pages = int(re.findall(r"page=(\d+)", table)[-1]) if "page=" in table else 1
    last, _ = _task_rows(client, f"/nhiem-vu/?xem=tat-ca&page={pages}")
    assert RANK[last[-1][1]] == 4


def test_task_list_shortens_long_unit_names_with_the_whole_on_hover(as_user, demo):
    client = as_user("khoi")
    _, table = _task_rows(client, "/nhiem-vu/?xem=tat-ca")
    titles = re.findall(r'<span title="([^"]+)">([^<]+)…</span>', table)
    assert titles
    for whole, short in titles:
        assert whole.startswith(short) and len(short) < len(whole) and SEPARATOR in whole
