"""The task pages (/nhiem-vu/) and the notifications page (/thong-bao/), through the views: who sees
which page and which task (everything else is 404, never 403), who may act on a task (the
responsible unit reports, the assigning unit decides: 403 for the other side), which rows each list,
board, calendar and statistics page shows, the whole life of a task from assignment to evaluation,
bad input refused with a Vietnamese message and nothing written, and the cost in queries.

Expected rows and figures are read by hand-written SQL and plain arithmetic here, never by the code
under test. Personas: khoi (root staff), coso (grassroots committee staff), chibo (a cell secretary
in coso's committee), xem (viewer at the root), ngoai (a cell secretary outside coso's committee).
"""

from __future__ import annotations

import datetime
import re

import lxml.html
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dangbo.accounts.models import User
from dangbo.audit.models import AuditEntry
from dangbo.lib import vn
from dangbo.notices.models import Notification
from dangbo.tasks.models import Extension, Task, TaskUpdate
from tests.helpers import FormClient, is_vietnamese

LIST = "/nhiem-vu/"
NEW = "/nhiem-vu/moi/"
BOARD = "/nhiem-vu/bang/"
CALENDAR = "/nhiem-vu/lich/"
STATS = "/nhiem-vu/thong-ke/"
TASK = "/nhiem-vu/{}/"
FILE = "/nhiem-vu/tep/{}/"
NOTICES = "/thong-bao/"
LOGIN = "/dang-nhap/"
PDF = b"%PDF-1.4\n% bao cao tien do\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
MAX_QUERIES = 20

# The six statuses as the user reads them (written out, not read from the product).
LABELS = {
    "not_started": "Chưa đến thời gian thực hiện",
    "in_progress": "Đang thực hiện",
    "due_soon": "Sắp đến hạn",
    "overdue": "Quá hạn",
    "done_on_time": "Hoàn thành đúng hạn",
    "done_late": "Hoàn thành trễ hạn",
}
VN_DATE = re.compile(r"^\d{2}/\d{2}/\d{4}$")
d = datetime.date
DAY = datetime.timedelta(days=1)


def today() -> datetime.date:
    return timezone.localdate()


# --- hand-written SQL ------------------------------------------------------------------------------


def sql(query: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(query, list(params))
        return cursor.fetchall()


def valid(alias: str) -> str:
    return f"{alias}.valid_from <= %s AND ({alias}.valid_to IS NULL OR {alias}.valid_to > %s)"


# The units a scope keeps: those whose latest version lies under a place the scope's unit ever had.
KEPT = """
    SELECT v.unit_id FROM orgs_unitversion v
    WHERE NOT EXISTS (SELECT 1 FROM orgs_unitversion w WHERE w.unit_id = v.unit_id AND w.valid_from > v.valid_from)
      AND EXISTS (SELECT 1 FROM orgs_unitversion top WHERE top.unit_id = %s AND v.path LIKE top.path || '%%')
"""


def hand_scope_tasks(unit_id: int, where: str = "1 = 1", params=()) -> set[int]:
    """Tasks that are work (not a recurring series) seen by the scope of `unit_id`."""
    rows = sql(
        f"""SELECT t.id FROM tasks_task t
            WHERE t.recurrence = '' AND ({where})
              AND (t.responsible_unit_id IN ({KEPT}) OR t.assigned_by_unit_id IN ({KEPT})
                   OR EXISTS (SELECT 1 FROM tasks_task_coordinating_units c
                              WHERE c.task_id = t.id AND c.unit_id IN ({KEPT})))""",
        [*params, unit_id, unit_id, unit_id],
    )
    return {row[0] for row in rows}


def hand_rows(ids) -> dict[int, tuple]:
    """(starts_on, due_on, completed_on) of each task."""
    ids = list(ids)
    if not ids:
        return {}
    marks = ", ".join(["%s"] * len(ids))
    rows = sql(f"SELECT id, starts_on, due_on, completed_on FROM tasks_task WHERE id IN ({marks})", ids)
    return {pk: tuple(as_date(v) for v in rest) for pk, *rest in rows}


def as_date(value):
    if value is None or isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value))


def hand_status(starts_on, due_on, completed_on, day: datetime.date) -> str:
    """The status rules of DOMAIN §7 worked out by hand."""
    if completed_on is not None:
        return "done_on_time" if completed_on <= due_on else "done_late"
    if due_on < day:
        return "overdue"
    if starts_on > day:
        return "not_started"
    if due_on <= day + datetime.timedelta(days=settings.TASK_DUE_SOON_DAYS):
        return "due_soon"
    return "in_progress"


def hand_path(unit_id: int, day: datetime.date) -> str:
    rows = sql(f"SELECT v.path FROM orgs_unitversion v WHERE v.unit_id = %s AND {valid('v')}", [unit_id, day, day])
    assert len(rows) == 1, rows
    return rows[0][0]


def hand_heads(unit_id: int, day: datetime.date) -> set[int]:
    """Members with official party activity on `day` in a unit lying under `unit_id` that day."""
    rows = sql(
        f"""SELECT DISTINCT s.member_id FROM members_stint s
            JOIN orgs_unitversion v ON v.unit_id = s.unit_id AND {valid("v")}
            WHERE s.kind = 'official' AND s.start <= %s AND (s."end" IS NULL OR s."end" > %s)
              AND v.path LIKE %s""",
        [day, day, day, day, hand_path(unit_id, day) + "%"],
    )
    return {row[0] for row in rows}


def hand_task(title_start: str, unit_id: int, *, sub: bool | None = None) -> int:
    """The one task of the unit whose title starts so (a sub-task or not, when `sub` says)."""
    where = "" if sub is None else (" AND parent_id IS NOT NULL" if sub else " AND parent_id IS NULL")
    rows = sql(f"SELECT id FROM tasks_task WHERE title LIKE %s AND responsible_unit_id = %s AND recurrence = ''"
               f"{where}", [title_start + "%", unit_id])  # fmt: skip
    assert len(rows) == 1, (title_start, rows)
    return rows[0][0]


def hand_completion(unit_id: int, start, end, day) -> tuple[int, int, int]:
    """(counted, on time, beyond) of the tasks of the unit's subtree due in [start, end], as of `day`:
    those done by `day` or whose deadline had passed."""
    rows = sql(
        f"""SELECT t.completed_on, t.due_on, t.grade FROM tasks_task t
            JOIN orgs_unitversion v ON v.unit_id = t.responsible_unit_id AND {valid("v")}
            WHERE t.recurrence = '' AND t.due_on >= %s AND t.due_on <= %s AND v.path LIKE %s""",
        [day, day, start, end, hand_path(unit_id, day) + "%"],
    )
    counted = on_time = beyond = 0
    for completed_on, due_on, grade in rows:
        completed_on, due_on = as_date(completed_on), as_date(due_on)
        done = completed_on is not None and completed_on <= day
        if not (done or due_on < day):
            continue
        counted += 1
        on_time += done and completed_on <= due_on
        beyond += done and grade == "beyond"
    return counted, on_time, beyond


def world() -> tuple[int, ...]:
    """Rows of every table a task action may write."""
    return tuple(m.objects.count() for m in (Task, TaskUpdate, Extension, AuditEntry))


def audit(task_or_extension, action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action, target_type=task_or_extension._meta.label_lower,
                                          target_id=str(task_or_extension.pk)).order_by("pk"))  # fmt: skip


# --- reading the pages -------------------------------------------------------------------------------


def tree(response):
    return lxml.html.fromstring(response.content.decode())


def text(element) -> str:
    return " ".join(" ".join(element.itertext()).split())


def page_text(response) -> str:
    return text(tree(response))


def list_rows(response) -> dict[int, list[str]]:
    rows = tree(response).xpath('//table[@id="tasks"]/tbody/tr[starts-with(@id, "task-")]')
    return {int(tr.get("id").removeprefix("task-")): [text(td) for td in tr.xpath("./td")] for tr in rows}


def pages_of(response) -> int:
    pager = tree(response).xpath('//nav[@class="pager"]/span')
    return int(text(pager[0]).rsplit("/", 1)[1].replace(".", "")) if pager else 1


def all_list_ids(client, query: str) -> list[int]:
    """The ids listed over every page of the list, in order."""
    first = client.get(LIST + query)
    assert first.status_code == 200
    ids = list(list_rows(first))
    for number in range(2, pages_of(first) + 1):
        ids += list(list_rows(client.get(LIST + query + f"&page={number}")))
    assert len(ids) == len(set(ids)), "a task listed twice"
    return ids


def linked_tasks(element) -> list[int]:
    return [int(h.rstrip("/").rsplit("/", 1)[1]) for h in element.xpath('.//a/@href')
            if re.fullmatch(r"/nhiem-vu/\d+/", h)]  # fmt: skip


def options(response, form_id: str, name: str) -> list[int]:
    values = tree(response).xpath(f'//form[@id="{form_id}"]//select[@name="{name}"]/option/@value')
    return [int(v) for v in values if v]


def field(response, form_id: str, name: str) -> str:
    """What a form shows in a field: an input's value, a textarea's text, a select's chosen option."""
    form = tree(response).xpath(f'//form[@id="{form_id}"]')
    assert form, f"no form {form_id}"
    for element in form[0].xpath(f'.//*[@name="{name}"]'):
        if element.tag == "textarea":
            return element.text_content().strip()
        if element.tag == "select":
            chosen = element.xpath("./option[@selected]/@value")
            return chosen[0] if chosen else ""
        return element.get("value") or ""
    raise AssertionError(f"no field {name} in {form_id}")


def errors(response) -> str:
    found = tree(response).xpath('//*[contains(concat(" ", @class, " "), " error ")]')
    return " ".join(text(e) for e in found)


def numbers(cell: str) -> int:
    """'1.234 (81,63%)' -> 1234."""
    return int(cell.split(" ")[0].replace(".", ""))


def stats_row(response, unit_id: int) -> tuple[int, int, int, int]:
    """(counted, on time, late, beyond) of a sub-unit's row on the statistics page (zeros if absent)."""
    for tr in tree(response).xpath('//table[@id="units"]/tbody/tr'):
        if any(re.search(rf"[?&]unit={unit_id}(&|$)", h) for h in tr.xpath(".//a/@href")):
            cells = [text(td) for td in tr.xpath("./td")]
            return numbers(cells[1]), numbers(cells[2]), numbers(cells[3]), numbers(cells[4])
    return 0, 0, 0, 0


def stats_total(response) -> tuple[int, int, int, int]:
    cells = [text(th) for th in tree(response).xpath('//tr[@id="total"]/th')]
    return numbers(cells[1]), numbers(cells[2]), numbers(cells[3]), numbers(cells[4])


def count_queries(client, url: str) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries.captured_queries), response


# --- fixtures ----------------------------------------------------------------------------------------


@pytest.fixture
def login(demo, outsider):
    """login("khoi") -> a client of its own, logged in as that persona (ngoai: the outsider)."""

    def make(username: str) -> Client:
        client = FormClient()
        assert client.login(username=username, password="demo"), username
        return client

    return make


@pytest.fixture
def ids(demo, outsider) -> dict:
    """The demo's units and the tasks the tests act on, found by hand; their demo state checked."""
    root, coso, chibo = demo["root"], demo["coso"], demo["chibo"]
    found = {
        "root": root,
        "coso": coso,
        "chibo": chibo,
        "outside": outsider[1],
        "root_task": hand_task("Kiện toàn 01 đồng chí Phó Bí thư", root),
        "propagation": hand_task("Quán triệt, tuyên truyền Nghị quyết 45-NQ/TW", root, sub=False),
        "inspection": hand_task("Tăng cường kiểm tra, giám sát", root),
        "coso_sub": hand_task("Quán triệt, tuyên truyền Nghị quyết 45-NQ/TW", coso, sub=True),
        "coso_open": hand_task("Báo cáo sơ kết 5 năm thực hiện Chỉ thị 05-CT/TW", coso),
        "coso_pending": hand_task("Chuẩn bị nội dung kiểm điểm, đánh giá, xếp loại chất lượng năm 2026", coso),
        "coso_overdue": hand_task("Tổng hợp ý kiến đóng góp dự thảo văn kiện", coso),
        "coso_closed": hand_task("Báo cáo kết quả phát triển đảng viên 10 tháng năm 2026", coso),
        "chibo_overdue": hand_task("Xây dựng kế hoạch sinh hoạt chuyên đề quý IV năm 2026", chibo),
    }
    state = {pk: (assigner, completed, grade) for pk, assigner, completed, grade in sql(
        "SELECT id, assigned_by_unit_id, completed_on, grade FROM tasks_task")}  # fmt: skip
    assert state[found["coso_open"]][0] == root and state[found["coso_open"]][1] is None
    assert state[found["coso_overdue"]][1] is None
    assert state[found["coso_closed"]][1] is not None and state[found["coso_closed"]][2] == ""
    assert state[found["chibo_overdue"]][0] == coso
    assert sql("SELECT COUNT(*) FROM tasks_extension WHERE task_id = %s AND decision = ''",
               [found["coso_pending"]])[0][0] == 1  # fmt: skip
    assert sql("SELECT COUNT(*) FROM tasks_extension WHERE task_id = %s AND decision = ''",
               [found["coso_open"]])[0][0] == 0  # fmt: skip
    return found


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def head_of(task_id: int) -> int:
    return sql("SELECT head_id FROM tasks_task WHERE id = %s", [task_id])[0][0]


def new_task_form(unit_id: int, head_id: int, **changes) -> dict:
    day = today()
    data = {
        "title": "Báo cáo chuyên đề công tác dân vận năm 2026",
        "description": "Theo Kế hoạch 30-KH/ĐUK",
        "source": "plan",
        "source_number": "30-KH/ĐUK",
        "source_date": (day - 20 * DAY).isoformat(),
        "link": "",
        "responsible_unit": str(unit_id),
        "head": str(head_id),
        "result_kind": "deliverable",
        "expected_result": "Báo cáo chuyên đề gửi Đảng ủy Khối",
        "result_indicator": "",
        "result_value": "",
        "starts_on": (day - 10 * DAY).isoformat(),
        "due_on": (day + 5 * DAY).isoformat(),
        "priority": "high",
        "recurrence": "",
        "first_due_on": "",
    }
    return data | changes


def bulk_tasks(count: int, *, responsible: int, assigner: int, head: int, starts_on, due_on, **extra) -> None:
    Task.objects.bulk_create([
        Task(title=f"Nhiệm vụ bổ sung số {i}", search_title=vn.fold(f"Nhiệm vụ bổ sung số {i}"),
             assigned_by_unit_id=assigner, responsible_unit_id=responsible, head_id=head,
             expected_result="Báo cáo", starts_on=starts_on, due_on=due_on, first_due_on=due_on, **extra)
        for i in range(count)
    ])  # fmt: skip


# --- the addresses -----------------------------------------------------------------------------------


def test_the_url_names_are_the_pages_tested_here():
    assert reverse("tasks") == LIST
    assert reverse("task_new") == NEW
    assert reverse("task_board") == BOARD
    assert reverse("task_calendar") == CALENDAR
    assert reverse("task_statistics") == STATS
    assert reverse("task", args=[7]) == TASK.format(7)
    assert reverse("task_attachment", args=[7]) == FILE.format(7)
    assert reverse("notifications") == NOTICES


# --- who sees which page -------------------------------------------------------------------------------

PEOPLE_PAGES = [
    LIST,
    LIST + "?xem=cua-don-vi",
    LIST + "?xem=da-giao",
    LIST + "?xem=qua-han",
    LIST + "?xem=tat-ca",
    BOARD,
    CALENDAR,
    CALENDAR + "?thang=2025-03",
    NEW,
]


@pytest.mark.parametrize("url", PEOPLE_PAGES)
def test_each_page_answers_the_roles_that_see_people(login, url):
    for username in ("khoi", "coso", "chibo", "ngoai"):
        response = login(username).get(url)
        assert response.status_code == 200, username
        heading = text(tree(response).xpath("//h1")[0])
        assert is_vietnamese(heading), heading


@pytest.mark.parametrize("url", [*PEOPLE_PAGES, BOARD + "?unit={coso}", TASK.format("{coso_open}"),
                                 TASK.format("{root_task}"), FILE.format("{update}")])  # fmt: skip
def test_the_viewer_gets_404_on_every_page_naming_people(login, ids, url):
    update = TaskUpdate.objects.filter(task_id=ids["coso_open"]).values_list("pk", flat=True).first()
    url = url.format(**ids, update=update)
    xem = login("xem")
    assert xem.get(url).status_code == 404
    before = world()
    assert xem.post(url, {"action": "progress", "progress": "10"}).status_code == 404
    assert world() == before


def test_statistics_answer_every_role(login):
    for username in ("khoi", "coso", "chibo", "xem", "ngoai"):
        response = login(username).get(STATS)
        assert response.status_code == 200, username
        assert "Thống kê hoàn thành nhiệm vụ" in page_text(response)


@pytest.mark.parametrize("url", [*PEOPLE_PAGES, STATS, TASK.format(1), FILE.format(1), NOTICES])
def test_anonymous_is_sent_to_log_in(client, demo, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN + "?next=")


@pytest.mark.parametrize("task, expected", [
    ("root_task", {"khoi": 200, "coso": 404, "chibo": 404, "ngoai": 404, "xem": 404}),
    ("propagation", {"khoi": 200, "coso": 404, "chibo": 404, "ngoai": 404}),
    ("coso_sub", {"khoi": 200, "coso": 200, "chibo": 404, "ngoai": 404}),
    ("coso_overdue", {"khoi": 200, "coso": 200, "chibo": 404, "ngoai": 404, "xem": 404}),
    ("coso_open", {"khoi": 200, "coso": 200, "chibo": 404, "ngoai": 404}),
    ("chibo_overdue", {"khoi": 200, "coso": 200, "chibo": 200, "ngoai": 404, "xem": 404}),
])  # fmt: skip
def test_a_task_is_seen_by_the_scopes_of_its_units_only(login, ids, task, expected):
    for username, status in expected.items():
        response = login(username).get(TASK.format(ids[task]))
        assert response.status_code == status, username
        if status == 200:
            title = sql("SELECT title FROM tasks_task WHERE id = %s", [ids[task]])[0][0]
            assert text(tree(response).xpath("//h1")[0]) == title


def test_a_task_that_does_not_exist_is_404(login, ids):
    khoi = login("khoi")
    for task_id in ("0", str(10**9), str(2**63), str(2**70)):
        assert khoi.get(f"/nhiem-vu/{task_id}/").status_code == 404, task_id


def test_a_coordinating_unit_sees_the_task_but_may_not_report_on_it(login, ids):
    task = Task.objects.get(pk=ids["coso_overdue"])
    chibo = login("chibo")
    assert chibo.get(TASK.format(task.pk)).status_code == 404
    assert task.pk not in all_list_ids(chibo, "?xem=tat-ca")
    task.coordinating_units.add(ids["chibo"])
    response = chibo.get(TASK.format(task.pk))
    assert response.status_code == 200
    cell_name = sql(f"SELECT name FROM orgs_unitversion v WHERE unit_id = %s AND {valid('v')}",
                    [ids["chibo"], today(), today()])[0][0]  # fmt: skip
    assert f"Đơn vị phối hợp {cell_name}" in page_text(response)
    assert not tree(response).xpath('//form[@id="progress-form"]')  # no form for the other side
    assert task.pk in all_list_ids(chibo, "?xem=tat-ca")
    assert task.pk in all_list_ids(chibo, "?xem=qua-han")
    assert task.pk not in all_list_ids(chibo, "?xem=cua-don-vi")
    before = world()
    for action in ("progress", "extension", "complete", "split", "decide", "grade"):
        assert chibo.post(TASK.format(task.pk), {"action": action, "progress": "50", "note": "x"}).status_code == 403
    assert world() == before
    assert login("ngoai").get(TASK.format(task.pk)).status_code == 404


def test_a_sub_task_does_not_link_its_parent_for_a_scope_that_cannot_see_it(login, ids):
    response = login("coso").get(TASK.format(ids["coso_sub"]))
    assert ids["propagation"] not in linked_tasks(tree(response))
    assert "nhiệm vụ con của nhiệm vụ do" in page_text(response)
    response = login("khoi").get(TASK.format(ids["coso_sub"]))
    assert ids["propagation"] in linked_tasks(tree(response).xpath('//p[@class="crumbs"]')[0])


# --- who acts on a task ------------------------------------------------------------------------------


def action_data(action: str, task: Task, ids: dict) -> dict:
    day = today()
    if action == "progress":
        return {"action": action, "progress": "35", "note": "Đã dự thảo báo cáo."}
    if action == "extension":
        return {"action": action, "new_due_on": (task.due_on + 15 * DAY).isoformat(), "reason": "Chờ số liệu."}
    if action == "complete":
        return {"action": action, "completed_on": day.isoformat(), "report": "Đã gửi báo cáo."}
    if action == "split":
        return {"action": action, "responsible_unit": str(ids["chibo"]), "head": str(head_of(ids["chibo_overdue"])),
                "due_on": task.due_on.isoformat(), "expected_result": "Báo cáo của chi bộ"}  # fmt: skip
    if action == "decide":
        pending = Extension.objects.filter(task=task, decision="").first() or Extension.objects.first()
        return {"action": action, "extension": str(pending.pk), "approve": "1", "note": ""}
    return {"action": action, "verdict": "met", "note": "Đạt yêu cầu."}


@pytest.mark.parametrize("action, task, allowed, forbidden", [
    ("progress", "coso_open", "coso", "khoi"),
    ("extension", "coso_open", "coso", "khoi"),
    ("complete", "coso_open", "coso", "khoi"),
    ("split", "coso_open", "coso", "khoi"),
    ("decide", "coso_pending", "khoi", "coso"),
    ("grade", "coso_closed", "khoi", "coso"),
    ("progress", "chibo_overdue", "chibo", "coso"),
    ("progress", "chibo_overdue", "chibo", "khoi"),  # khoi sees the cell's task, on neither side of it
])  # fmt: skip
def test_each_action_belongs_to_one_side_of_the_task(login, ids, action, task, allowed, forbidden):
    task = Task.objects.get(pk=ids[task])
    data = action_data(action, task, ids)
    before = world()
    assert login(forbidden).post(TASK.format(task.pk), data).status_code == 403
    assert world() == before
    response = login(allowed).post(TASK.format(task.pk), data)
    assert response.status_code == 302, errors(response)
    assert response["Location"] == TASK.format(task.pk)
    assert world() != before
    assert AuditEntry.objects.count() > before[3]


@pytest.mark.parametrize("username", ["chibo", "ngoai"])
def test_posting_on_a_task_out_of_sight_is_404_and_writes_nothing(login, ids, username):
    task = Task.objects.get(pk=ids["coso_open"])
    before = world()
    for action in ("progress", "extension", "complete", "split", "decide", "grade"):
        assert login(username).post(TASK.format(task.pk), action_data(action, task, ids)).status_code == 404
    assert world() == before


@pytest.mark.parametrize("username, task", [("coso", "coso_open"), ("khoi", "coso_open"), ("khoi", "root_task")])
def test_an_unknown_action_is_404(login, ids, username, task):
    client = login(username)
    before = world()
    for action in ("delete", "", "PROGRESS", None):
        data = {"progress": "10", "note": "x"} | ({} if action is None else {"action": action})
        assert client.post(TASK.format(ids[task]), data).status_code == 404, action
    assert world() == before


# --- the lists ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("username, unit", [("khoi", "root"), ("coso", "coso"), ("chibo", "chibo")])
def test_the_units_own_list_is_its_tasks_as_responsible_unit(login, ids, username, unit):
    expected = {row[0] for row in sql("SELECT id FROM tasks_task WHERE responsible_unit_id = %s AND recurrence = ''",
                                      [ids[unit]])}  # fmt: skip
    client = login(username)
    assert set(all_list_ids(client, "?xem=cua-don-vi")) == expected
    assert set(all_list_ids(client, "?xem=nonsense")) == expected  # an unknown view is the default one
    response = client.get(LIST)
    assert set(list_rows(response)) <= expected
    assert tree(response).xpath('//nav[@class="tabs"]/a[@aria-current="page"]/@href') == ["?xem=cua-don-vi"]


def test_the_series_of_a_recurring_task_is_not_listed_but_its_occurrences_are(login, ids):
    series = sql("SELECT id FROM tasks_task WHERE recurrence <> '' AND responsible_unit_id = %s", [ids["root"]])
    occurrences = {row[0] for row in sql("SELECT id FROM tasks_task WHERE series_id = %s", [series[0][0]])}
    listed = set(all_list_ids(login("khoi"), "?xem=cua-don-vi"))
    assert series[0][0] not in listed
    assert occurrences and occurrences <= listed


@pytest.mark.parametrize("username, unit", [("coso", "coso"), ("chibo", "chibo")])
def test_the_assigned_list_is_what_the_unit_assigned(login, ids, username, unit):
    expected = hand_scope_tasks(ids[unit], "t.assigned_by_unit_id = %s", [ids[unit]])
    assert expected or unit == "chibo"
    assert set(all_list_ids(login(username), "?xem=da-giao")) == expected


@pytest.mark.parametrize("username, unit", [("khoi", "root"), ("coso", "coso"), ("chibo", "chibo"),
                                            ("ngoai", "outside")])  # fmt: skip
def test_the_overdue_list_is_the_scopes_tasks_past_their_deadline_and_not_done(login, ids, username, unit):
    day = today()
    expected = hand_scope_tasks(ids[unit], "t.due_on < %s AND t.completed_on IS NULL", [day])
    listed = all_list_ids(login(username), "?xem=qua-han")
    assert set(listed) == expected
    if unit in ("coso", "chibo"):
        assert ids[f"{unit}_overdue"] in listed


@pytest.mark.parametrize("username, unit", [("coso", "coso"), ("chibo", "chibo"), ("ngoai", "outside")])
def test_all_tasks_of_the_scope_are_listed_by_attention(login, ids, username, unit):
    """Overdue first, then due soon, in progress, not started, each by deadline; finished work last,
    the latest deadline first."""
    listed = all_list_ids(login(username), "?xem=tat-ca")
    assert set(listed) == hand_scope_tasks(ids[unit])
    rows = hand_rows(listed)
    rank = {"overdue": 0, "due_soon": 1, "in_progress": 2, "not_started": 3, "done_on_time": 4, "done_late": 4}

    def attention(pk):
        level = rank[hand_status(*rows[pk], today())]
        due = rows[pk][1].toordinal()
        return level, due if level < 4 else -due, pk

    assert listed == sorted(listed, key=attention)


def test_khois_list_of_all_comes_50_rows_a_page(login, ids):
    client = login("khoi")
    first = client.get(LIST + "?xem=tat-ca")
    expected = hand_scope_tasks(ids["root"])
    assert len(list_rows(first)) == 50
    assert pages_of(first) == -(-len(expected) // 50)
    last = client.get(LIST + f"?xem=tat-ca&page={pages_of(first)}")
    assert 1 <= len(list_rows(last)) <= 50
    assert list_rows(client.get(LIST + "?xem=tat-ca&page=abc")) == list_rows(first)


@pytest.mark.parametrize("status", list(LABELS))
def test_the_status_filter_keeps_the_tasks_in_that_status(login, ids, status):
    day = today()
    scope = hand_scope_tasks(ids["coso"])
    expected = {pk for pk, row in hand_rows(scope).items() if hand_status(*row, day) == status}
    client = login("coso")
    assert set(all_list_ids(client, f"?xem=tat-ca&trang-thai={status}")) == expected
    for cells in list_rows(client.get(LIST + f"?xem=tat-ca&trang-thai={status}")).values():
        assert cells[6] == LABELS[status]


def test_the_open_filter_keeps_the_tasks_not_done(login, ids):
    expected = hand_scope_tasks(ids["coso"], "t.completed_on IS NULL")
    assert set(all_list_ids(login("coso"), "?xem=tat-ca&trang-thai=dang-mo")) == expected


@pytest.mark.parametrize("query", ["nghi quyet 45", "  NGHỊ   quyết 45 "])
def test_the_search_finds_a_title_typed_without_diacritics(login, ids, query):
    khoi = login("khoi")
    assert set(all_list_ids(khoi, f"?q={query}")) == {ids["propagation"]}
    subtasks = {row[0] for row in sql("SELECT id FROM tasks_task WHERE parent_id = %s", [ids["propagation"]])}
    assert len(subtasks) > 50
    assert set(all_list_ids(khoi, f"?xem=tat-ca&q={query}")) == {ids["propagation"]} | subtasks
    assert set(all_list_ids(login("coso"), f"?xem=tat-ca&q={query}")) == {ids["coso_sub"]}
    assert all_list_ids(login("chibo"), f"?xem=tat-ca&q={query}") == []


def test_the_search_keeps_what_was_typed_and_says_when_nothing_is_found(login, ids):
    response = login("coso").get(LIST + "?xem=tat-ca&q=khong co nhiem vu nay")
    assert list_rows(response) == {}
    assert "Không có nhiệm vụ nào." in page_text(response)
    assert tree(response).xpath('//input[@name="q"]/@value') == ["khong co nhiem vu nay"]


@pytest.mark.parametrize("typed", ["2024-12-31", "31/12/2024"])
def test_the_deadline_filter_lists_the_tasks_due_that_day(login, ids, typed):
    expected = hand_scope_tasks(ids["coso"], "t.due_on = %s", [d(2024, 12, 31)])
    assert ids["coso_sub"] in expected
    client = login("coso")
    assert set(all_list_ids(client, f"?xem=tat-ca&han={typed}")) == expected
    assert "Nhiệm vụ có thời hạn ngày 31/12/2024." in page_text(client.get(LIST + f"?xem=tat-ca&han={typed}"))


def test_a_bad_deadline_filter_is_ignored(login, ids):
    client = login("coso")
    assert set(all_list_ids(client, "?xem=tat-ca&han=31/02/2025")) == hand_scope_tasks(ids["coso"])
    assert "Nhiệm vụ có thời hạn ngày" not in page_text(client.get(LIST + "?xem=tat-ca&han=31/02/2025"))


def latest_name(unit_id: int) -> str:
    return sql("SELECT name FROM orgs_unitversion WHERE unit_id = %s ORDER BY valid_from DESC", [unit_id])[0][0]


def test_each_row_names_the_units_and_the_head_with_vietnamese_status_and_dates(login, ids):
    day = today()
    listed = list_rows(login("coso").get(LIST + "?xem=cua-don-vi"))
    assert ids["coso_open"] in listed
    rows = hand_rows(listed)
    name = sql("SELECT m.family_name, m.middle_name, m.given_name FROM members_member m "
               "JOIN tasks_task t ON t.head_id = m.id WHERE t.id = %s", [ids["coso_open"]])[0]  # fmt: skip
    for pk, cells in listed.items():
        starts_on, due_on, completed_on = rows[pk]
        assert cells[6] == LABELS[hand_status(starts_on, due_on, completed_on, day)], pk
        assert cells[4].split(" ")[0] == f"{due_on:%d/%m/%Y}"
        assert VN_DATE.match(cells[4].split(" ")[0])
        assert cells[5].endswith("%")
    own = listed[ids["coso_open"]]
    assert own[0].startswith("Báo cáo sơ kết 5 năm thực hiện Chỉ thị 05-CT/TW")
    assert "ưu tiên cao" in own[0]
    # The unit with what it belongs to, cut short in the column, whole on hover; the top stands alone.
    whole = f"{latest_name(ids['coso'])} — {latest_name(ids['root'])}"
    assert own[1] == whole or (own[1].endswith("…") and whole.startswith(own[1][:-1]))
    if own[1] != whole:
        page = tree(login("coso").get(LIST + "?xem=cua-don-vi"))
        assert page.xpath(f'//tr[@id="task-{ids["coso_open"]}"]/td[2]/span/@title') == [whole]
    assert own[2] == " ".join(part for part in name if part)
    assert own[3] == latest_name(ids["root"])


@pytest.mark.parametrize("query", ["?xem=tat-ca", "?xem=tat-ca&page=2", "?xem=qua-han", "?xem=da-giao"])
def test_every_status_on_the_list_is_one_of_the_six_vietnamese_labels(login, ids, query):
    rows = list_rows(login("khoi").get(LIST + query))
    assert rows
    for cells in rows.values():
        assert cells[6] in LABELS.values(), cells
        assert VN_DATE.match(cells[4].split(" ")[0]), cells[4]


def test_an_extended_deadline_shows_where_it_started(login, ids):
    extended = sql("SELECT id, first_due_on FROM tasks_task WHERE due_on <> first_due_on AND recurrence = '' "
                   "ORDER BY due_on DESC, id")  # fmt: skip
    assert extended
    pk, first = extended[0]
    due = sql("SELECT due_on FROM tasks_task WHERE id = %s", [pk])[0][0]
    page = f"?xem=tat-ca&han={as_date(due).isoformat()}"
    cell = list_rows(login("khoi").get(LIST + page))[pk][4]
    assert cell == f"{as_date(due):%d/%m/%Y} gia hạn từ {as_date(first):%d/%m/%Y}"


# --- the board ---------------------------------------------------------------------------------------


def board_columns(response) -> dict[str, list[int]]:
    board = tree(response).get_element_by_id("board")
    return {s.get("id").removeprefix("column-"): linked_tasks(s) for s in board.xpath("./section")}


@pytest.mark.parametrize("username, unit, query", [
    ("khoi", "coso", "?unit={coso}"),
    ("coso", "coso", ""),
    ("coso", "chibo", "?unit={chibo}"),
    ("chibo", "chibo", ""),
    ("khoi", "root", ""),
])  # fmt: skip
def test_the_board_puts_each_task_of_the_unit_in_its_status_column(login, ids, username, unit, query):
    day = today()
    response = login(username).get(BOARD + query.format(**ids))
    assert response.status_code == 200
    columns = board_columns(response)
    assert list(columns) == list(LABELS)
    for status, section in zip(LABELS.values(), tree(response).xpath('//div[@id="board"]/section'), strict=True):
        assert text(section.xpath("./h2")[0]).startswith(status)
    expected = {row[0] for row in sql("SELECT id FROM tasks_task WHERE responsible_unit_id = %s AND recurrence = ''",
                                      [ids[unit]])}  # fmt: skip
    shown = [pk for pks in columns.values() for pk in pks]
    assert sorted(shown) == sorted(expected)
    rows = hand_rows(expected)
    for status, pks in columns.items():
        assert all(hand_status(*rows[pk], day) == status for pk in pks), status


def test_the_board_of_a_unit_outside_the_scope_is_404(login, ids):
    for username, unit in [("coso", "{root}"), ("coso", "{outside}"), ("chibo", "{coso}"), ("ngoai", "{coso}"),
                           ("khoi", "abc"), ("khoi", str(10**9)), ("khoi", "-1")]:  # fmt: skip
        assert login(username).get(BOARD + "?unit=" + unit.format(**ids)).status_code == 404, (username, unit)


def test_the_board_offers_the_sub_units(login, ids):
    response = login("khoi").get(BOARD)
    offered = {int(v) for v in tree(response).xpath('//select[@name="unit"]/option/@value') if v}
    children = {row[0] for row in sql(f"SELECT unit_id FROM orgs_unitversion v WHERE parent_id = %s AND {valid('v')}",
                                      [ids["root"], today(), today()])}  # fmt: skip
    assert offered == children
    assert ids["coso"] in offered and ids["chibo"] not in offered


# --- the calendar ------------------------------------------------------------------------------------


def calendar_tasks(response) -> list[int]:
    return linked_tasks(tree(response).get_element_by_id("calendar"))


def calendar_days(response) -> dict[int, object]:
    """The cells of the month's own days by day number."""
    cells = tree(response).xpath('//table[@id="calendar"]/tbody/tr/td[not(contains(@class, "outside"))]')
    return {int(text(td.xpath("./b")[0])): td for td in cells}


def test_the_calendar_of_december_2024_shows_four_a_day_and_counts_the_rest(login, ids):
    response = login("khoi").get(CALENDAR + "?thang=2024-12")
    assert "tháng 12/2024" in text(tree(response).xpath("//h1")[0])
    rows = hand_rows(hand_scope_tasks(ids["root"], "t.due_on >= %s AND t.due_on < %s", [d(2024, 12, 1), d(2025, 1, 1)]))
    by_day = {}
    for pk, (_, due_on, _) in rows.items():
        by_day.setdefault(due_on.day, set()).add(pk)
    assert len(by_day.get(31, ())) > 4
    days = calendar_days(response)
    assert sorted(days) == list(range(1, 32))
    for number, td in days.items():
        due = by_day.get(number, set())
        shown = linked_tasks(td)
        assert set(shown) <= due and len(shown) == min(len(due), 4), number
        more = td.xpath('.//a[starts-with(normalize-space(text()), "và ")]')
        if len(due) > 4:
            assert text(more[0]) == f"và {len(due) - 4} nhiệm vụ khác"
            assert more[0].get("href") == LIST + f"?xem=tat-ca&han=2024-12-{number:02d}"
        else:
            assert not more


def test_the_calendar_shows_only_the_scopes_tasks(login, ids):
    month = hand_rows([ids["coso_open"]])[ids["coso_open"]][1].replace(day=1)
    query = f"?thang={month:%Y-%m}"
    assert ids["coso_open"] in calendar_tasks(login("coso").get(CALENDAR + query))
    assert ids["coso_open"] in calendar_tasks(login("khoi").get(CALENDAR + query))
    chibos = calendar_tasks(login("chibo").get(CALENDAR + query))
    assert ids["coso_open"] not in chibos
    assert set(chibos) <= hand_scope_tasks(ids["chibo"])
    outsiders = calendar_tasks(login("ngoai").get(CALENDAR + query))
    assert ids["coso_open"] not in outsiders and set(outsiders) <= hand_scope_tasks(ids["outside"])


def test_a_bad_month_falls_back_to_this_month(login, ids):
    coso = login("coso")
    for month in ("2025-13", "abc", "1900-01", "", "2025-03-01"):
        response = coso.get(CALENDAR + f"?thang={month}")
        assert response.status_code == 200
        assert f"tháng {today():%m/%Y}" in text(tree(response).xpath("//h1")[0]), month


def test_the_calendar_reads_a_typed_month(login, ids):
    response = login("khoi").get(CALENDAR + "?thang=03/2025")
    assert "tháng 03/2025" in text(tree(response).xpath("//h1")[0])


# --- the statistics ----------------------------------------------------------------------------------


@pytest.mark.parametrize("username, unit, query", [
    ("khoi", "root", ""),
    ("khoi", "coso", "&unit={coso}"),
    ("coso", "coso", ""),
    ("xem", "root", ""),
    ("xem", "coso", "&unit={coso}"),
])  # fmt: skip
def test_the_statistics_count_the_tasks_of_the_subtree_by_hand(login, ids, username, unit, query):
    start, end = d(2023, 1, 1), d(2026, 12, 31)
    response = login(username).get(STATS + f"?from={start}&to={end}" + query.format(**ids))
    assert response.status_code == 200
    counted, on_time, beyond = hand_completion(ids[unit], start, end, today())
    assert counted > 0
    assert stats_total(response) == (counted, on_time, counted - on_time, beyond)


def test_the_statistics_rows_are_the_direct_sub_units(login, ids):
    start, end = d(2023, 1, 1), d(2026, 12, 31)
    response = login("khoi").get(STATS + f"?from={start}&to={end}")
    counted, on_time, beyond = hand_completion(ids["coso"], start, end, today())
    assert stats_row(response, ids["coso"]) == (counted, on_time, counted - on_time, beyond)
    rows = tree(response).xpath('//table[@id="units"]/tbody/tr')
    assert sum(numbers(text(tr.xpath("./td")[1])) for tr in rows) <= stats_total(response)[0]


def test_the_viewer_sees_the_statistics_by_unit_without_names(login, ids):
    start, end = d(2023, 1, 1), d(2026, 12, 31)
    query = f"?from={start}&to={end}&unit={ids['coso']}"
    xem = login("xem").get(STATS + query)
    khoi = login("khoi").get(STATS + query)
    assert stats_total(xem) == stats_total(khoi)
    assert not tree(xem).xpath('//table[@id="people"]')
    assert "Theo người đứng đầu chịu trách nhiệm" not in page_text(xem)
    assert not [h for h in tree(xem).xpath("//a/@href") if re.search(r"/dang-vien/\d+/", h)]
    assert [h for h in tree(khoi).xpath("//a/@href") if re.search(r"/dang-vien/\d+/", h)]
    people = tree(khoi).xpath('//table[@id="people"]/tbody/tr[starts-with(@id, "person-")]')
    assert people
    for tr in people[:20]:
        name = text(tr.xpath("./td")[0])
        assert name and name not in page_text(xem)


def test_statistics_of_a_unit_outside_the_scope_are_404(login, ids):
    for username, unit in [("coso", "{root}"), ("coso", "{outside}"), ("chibo", "{coso}"), ("ngoai", "{coso}"),
                           ("xem", str(10**9)), ("xem", "abc"), ("khoi", "0")]:  # fmt: skip
        assert login(username).get(STATS + "?unit=" + unit.format(**ids)).status_code == 404, (username, unit)


def test_an_end_before_the_start_says_so_and_shows_this_year(login, ids):
    response = login("khoi").get(STATS + "?from=2025-06-30&to=2025-01-01")
    assert response.status_code == 200
    assert "Ngày kết thúc không được trước ngày bắt đầu" in page_text(response)
    year = today().year
    assert tree(response).xpath('//input[@name="from"]/@value') == [f"{year}-01-01"]
    assert tree(response).xpath('//input[@name="to"]/@value') == [f"{year}-12-31"]
    fallback = login("khoi").get(STATS)
    assert stats_total(response) == stats_total(fallback)
    assert "Ngày kết thúc không được trước ngày bắt đầu" not in page_text(fallback)


def test_the_heads_table_counts_each_heads_tasks(login, ids):
    start, end = d(2023, 1, 1), d(2026, 12, 31)
    response = login("coso").get(STATS + f"?from={start}&to={end}")
    head = head_of(ids["coso_closed"])
    row = tree(response).xpath(f'//tr[@id="person-{head}"]/td')
    assert row
    counted = sql(
        f"""SELECT COUNT(*) FROM tasks_task t JOIN orgs_unitversion v ON v.unit_id = t.responsible_unit_id
            AND {valid("v")} WHERE t.head_id = %s AND t.recurrence = '' AND t.due_on >= %s AND t.due_on <= %s
            AND (t.completed_on <= %s OR t.due_on < %s) AND v.path LIKE %s""",
        [today(), today(), head, start, end, today(), today(), hand_path(ids["coso"], today()) + "%"],
    )[0][0]
    assert numbers(text(row[1])) == counted


# --- the new-task page ---------------------------------------------------------------------------------


def test_choosing_the_responsible_unit_offers_its_members_as_heads(login, ids):
    khoi = login("khoi")
    blank = khoi.get(NEW)
    assert options(blank, "task-form", "head") == []
    units = options(blank, "task-form", "responsible_unit")
    assert ids["root"] in units and ids["coso"] in units and ids["chibo"] not in units
    response = khoi.get(NEW + f"?responsible_unit={ids['coso']}")
    heads = options(response, "task-form", "head")
    allowed = hand_heads(ids["coso"], today())
    assert heads and set(heads) <= allowed
    assert len(heads) == min(len(allowed), 300)
    assert field(response, "task-form", "responsible_unit") == str(ids["coso"])
    assert field(response, "task-form", "starts_on") == today().isoformat()
    # a unit outside the choices offers nobody
    assert options(khoi.get(NEW + f"?responsible_unit={ids['chibo']}"), "task-form", "head") == []


def test_the_head_list_narrows_to_a_name_typed_without_diacritics(login, ids):
    head = head_of(ids["coso_open"])
    middle, given = sql("SELECT middle_name, given_name FROM members_member WHERE id = %s", [head])[0]
    typed = vn.fold(f"{middle} {given}").upper()
    response = login("khoi").get(NEW + f"?responsible_unit={ids['coso']}&tim={typed}")
    heads = options(response, "task-form", "head")
    assert head in heads
    marks = ", ".join(["%s"] * len(heads))
    folded = dict(sql(f"SELECT id, search_name FROM members_member WHERE id IN ({marks})", heads))
    assert all(typed.lower() in folded[h] for h in heads)
    assert len(heads) < len(options(login("khoi").get(NEW + f"?responsible_unit={ids['coso']}"), "task-form", "head"))
    assert field(response, "choose-unit", "tim") == typed


# --- the whole life of a task ------------------------------------------------------------------------


def test_the_whole_workflow_through_the_pages(login, ids, media):
    day = today()
    coso_id = ids["coso"]
    stats = STATS + f"?from={day - 60 * DAY}&to={day + 90 * DAY}"
    khoi, coso = login("khoi"), login("coso")
    khoi_user, coso_user = User.objects.get(username="khoi"), User.objects.get(username="coso")
    before = stats_row(khoi.get(stats), coso_id)

    # khoi assigns a task to coso's committee
    heads = options(khoi.get(NEW + f"?responsible_unit={coso_id}"), "task-form", "head")
    head = heads[len(heads) // 2]
    data = new_task_form(coso_id, head)
    count = world()
    response = khoi.post(NEW, data)
    assert response.status_code == 302, errors(response)
    task = Task.objects.get(title=data["title"])
    assert response["Location"] == TASK.format(task.pk)
    assert world() == (count[0] + 1, count[1] + 1, count[2], count[3] + 1)
    assert (task.assigned_by_unit_id, task.assigned_by_id, task.responsible_unit_id, task.head_id) == (
        ids["root"], khoi_user.pk, coso_id, head)  # fmt: skip
    assert (task.starts_on, task.due_on, task.first_due_on) == (day - 10 * DAY, day + 5 * DAY, day + 5 * DAY)
    assert (task.source, task.source_number, task.priority, task.progress) == ("plan", "30-KH/ĐUK", "high", 0)
    assert task.search_title == vn.fold(data["title"])
    (entry,) = audit(task, "task_assign")
    assert entry.actor_id == khoi_user.pk and entry.after["responsible_unit_id"] == coso_id
    assert task.updates.get().kind == "assigned"
    page = coso.get(TASK.format(task.pk))
    assert page.status_code == 200
    assert LABELS["due_soon"] in page_text(page)
    assert text(tree(page).get_element_by_id("due")) == f"{day + 5 * DAY:%d/%m/%Y}"
    assert task.pk in all_list_ids(coso, "?xem=cua-don-vi")
    assert task.pk in all_list_ids(khoi, "?xem=da-giao&q=bao cao chuyen de cong tac dan van")

    # coso logs 40% with a file
    upload = SimpleUploadedFile("bao-cao-tien-do.pdf", PDF, content_type="application/pdf")
    response = coso.post(TASK.format(task.pk), {"action": "progress", "progress": "40", "note": "Đã dự thảo.",
                                                "attachment": upload})  # fmt: skip
    assert response.status_code == 302, errors(response)
    task.refresh_from_db()
    assert task.progress == 40 and task.last_update_at is not None
    update = task.updates.get(kind="progress")
    assert (update.progress, update.note, update.by_id, update.attachment_name) == (
        40, "Đã dự thảo.", coso_user.pk, "bao-cao-tien-do.pdf")  # fmt: skip
    (entry,) = audit(task, "task_progress")
    assert (entry.actor_id, entry.before["progress"], entry.after["progress"]) == (coso_user.pk, 0, 40)
    assert text(tree(coso.get(TASK.format(task.pk))).get_element_by_id("progress")) == "40%"

    # coso asks for more time
    new_due = day + 20 * DAY
    response = coso.post(TASK.format(task.pk), {"action": "extension", "new_due_on": new_due.isoformat(),
                                                "reason": "Chờ số liệu của các chi bộ."})  # fmt: skip
    assert response.status_code == 302, errors(response)
    extension = Extension.objects.get(task=task)
    assert (extension.due_on, extension.new_due_on, extension.decision, extension.requested_by_id) == (
        day + 5 * DAY, new_due, "", coso_user.pk)  # fmt: skip
    assert len(audit(extension, "task_extension_request")) == 1
    assert task.updates.filter(kind="extension_requested").count() == 1
    task.refresh_from_db()
    assert task.due_on == day + 5 * DAY  # not moved before the decision
    waiting = coso.get(TASK.format(task.pk))
    assert not tree(waiting).xpath('//form[@id="extension-form"]')
    assert f"Đã đề nghị gia hạn đến {new_due:%d/%m/%Y}" in page_text(waiting)

    # khoi approves it
    page = khoi.get(TASK.format(task.pk))
    assert field(page, "decide-form", "extension") == str(extension.pk)
    response = khoi.post(TASK.format(task.pk), {"action": "decide", "extension": str(extension.pk), "approve": "1",
                                                "note": ""})  # fmt: skip
    assert response.status_code == 302, errors(response)
    extension.refresh_from_db()
    task.refresh_from_db()
    assert (extension.decision, extension.decided_by_id) == ("approved", khoi_user.pk)
    assert (task.due_on, task.first_due_on) == (new_due, day + 5 * DAY)
    assert len(audit(extension, "task_extension_decide")) == 1
    (entry,) = audit(task, "task_extension_apply")
    assert (entry.actor_id, entry.before["due_on"], entry.after["due_on"]) == (
        khoi_user.pk, (day + 5 * DAY).isoformat(), new_due.isoformat())  # fmt: skip
    assert task.updates.filter(kind="extension_approved").count() == 1
    cells = list_rows(coso.get(LIST + f"?xem=cua-don-vi&han={new_due}"))[task.pk]
    assert cells[4] == f"{new_due:%d/%m/%Y} gia hạn từ {day + 5 * DAY:%d/%m/%Y}"

    # coso reports it done
    response = coso.post(TASK.format(task.pk), {"action": "complete", "completed_on": day.isoformat(),
                                                "report": "Đã gửi báo cáo chuyên đề."})  # fmt: skip
    assert response.status_code == 302, errors(response)
    task.refresh_from_db()
    assert (task.completed_on, task.completion_report, task.progress) == (day, "Đã gửi báo cáo chuyên đề.", 100)
    (entry,) = audit(task, "task_complete")
    assert entry.actor_id == coso_user.pk and entry.after["completed_on"] == day.isoformat()
    assert task.updates.filter(kind="completed", progress=100).count() == 1
    page = khoi.get(TASK.format(task.pk))
    assert LABELS["done_on_time"] in page_text(page) and tree(page).xpath('//form[@id="grade-form"]')

    # khoi grades it beyond requirement
    response = khoi.post(TASK.format(task.pk), {"action": "grade", "verdict": "beyond", "note": "Chất lượng tốt."})
    assert response.status_code == 302, errors(response)
    task.refresh_from_db()
    assert (task.grade, task.graded_by_id) == ("beyond", khoi_user.pk) and task.graded_at is not None
    (entry,) = audit(task, "task_grade")
    assert (entry.actor_id, entry.before["grade"], entry.after["grade"]) == (khoi_user.pk, "", "beyond")
    graded = task.updates.get(kind="graded")
    assert graded.note.startswith("Vượt yêu cầu, hoàn thành đúng hạn.")
    page = khoi.get(TASK.format(task.pk))
    assert text(tree(page).get_element_by_id("grade")) == "Vượt yêu cầu"
    assert not tree(page).xpath('//form[@id="grade-form"]')

    # the statistics count it for coso's committee: on time and beyond requirement
    after = stats_row(khoi.get(stats), coso_id)
    assert after == (before[0] + 1, before[1] + 1, before[2], before[3] + 1)
    # and the log lists every step in order
    kinds = list(task.updates.order_by("at", "pk").values_list("kind", flat=True))
    assert kinds == ["assigned", "progress", "extension_requested", "extension_approved", "completed", "graded"]


def test_coso_splits_a_task_for_a_cell_and_the_cell_reports_on_it(login, ids):
    parent = Task.objects.get(pk=ids["coso_open"])
    coso = login("coso")
    page = coso.get(TASK.format(parent.pk) + f"?responsible_unit={ids['chibo']}")
    heads = options(page, "split-form", "head")
    assert heads and set(heads) <= hand_heads(ids["chibo"], today())
    assert field(page, "split-form", "due_on") == parent.due_on.isoformat()
    response = coso.post(TASK.format(parent.pk), {"action": "split", "responsible_unit": str(ids["chibo"]),
                                                  "head": str(heads[0]), "due_on": parent.due_on.isoformat(),
                                                  "expected_result": "Báo cáo của chi bộ"})  # fmt: skip
    assert response.status_code == 302, errors(response)
    sub = Task.objects.get(parent=parent)
    assert (sub.responsible_unit_id, sub.assigned_by_unit_id, sub.head_id, sub.title) == (
        ids["chibo"], ids["coso"], heads[0], parent.title)  # fmt: skip
    assert len(audit(sub, "task_assign")) == 1 and len(audit(parent, "task_split")) == 1
    chibo = login("chibo")
    assert chibo.get(TASK.format(sub.pk)).status_code == 200
    assert chibo.get(TASK.format(parent.pk)).status_code == 404
    assert coso.post(TASK.format(sub.pk), {"action": "progress", "progress": "10"}).status_code == 403
    assert chibo.post(TASK.format(sub.pk), {"action": "progress", "progress": "60"}).status_code == 302
    parent.refresh_from_db()
    assert parent.progress == 60  # the mean of its one sub-task
    row = tree(coso.get(TASK.format(parent.pk))).xpath(f'//tr[@id="subtask-{sub.pk}"]/td')
    assert [text(td) for td in row][3:] == ["60%", LABELS[hand_status(sub.starts_on, sub.due_on, None, today())]]


def test_a_task_split_among_units_reads_100_percent_only_when_every_part_is_done(login, ids):
    """The demo's propagation task: sixty parts done and three at 95%, 79% and 95% make 99,5%, which
    reads 99%, not 100%; the parts' rows show their own progress."""
    parts = sql("SELECT id, progress, completed_on FROM tasks_task WHERE parent_id = %s", [ids["propagation"]])
    open_parts = sorted(progress for _, progress, done in parts if done is None)
    assert open_parts and max(open_parts) < 100
    shares = [100 if done is not None else progress for _, progress, done in parts]
    expected = sum(shares) // len(shares)
    assert expected < 100 <= round(sum(shares) / len(shares))  # rounded to the nearest, it would read 100%
    page = tree(login("khoi").get(TASK.format(ids["propagation"])))
    assert text(page.xpath('//b[@id="progress"]')[0]) == f"{expected}%"
    shown = sorted(int(text(tr.xpath("./td")[3]).rstrip("%")) for tr in page.xpath('//table[@id="subtasks"]/tbody/tr')
                   if int(tr.get("id").removeprefix("subtask-")) in {pk for pk, _, done in parts if done is None})
    assert shown == open_parts


def test_khoi_refuses_an_extension_with_a_reason_and_the_deadline_stays(login, ids):
    task = Task.objects.get(pk=ids["coso_pending"])
    pending = Extension.objects.get(task=task, decision="")
    response = login("khoi").post(TASK.format(task.pk), {"action": "decide", "extension": str(pending.pk),
                                                         "approve": "0", "note": "Đề nghị hoàn thành đúng hạn."})
    assert response.status_code == 302, errors(response)
    pending.refresh_from_db()
    assert pending.decision == "refused"
    assert Task.objects.get(pk=task.pk).due_on == task.due_on
    assert task.updates.filter(kind="extension_refused").count() == 1


def test_khoi_returns_a_completion_and_the_task_is_open_again(login, ids):
    task = Task.objects.get(pk=ids["coso_closed"])
    response = login("khoi").post(TASK.format(task.pk), {"action": "grade", "verdict": "return",
                                                         "note": "Bổ sung số liệu."})  # fmt: skip
    assert response.status_code == 302, errors(response)
    task.refresh_from_db()
    assert task.completed_on is None and task.grade == ""
    assert len(audit(task, "task_send_back")) == 1
    assert tree(login("coso").get(TASK.format(task.pk))).xpath('//form[@id="progress-form"]')


def test_a_recurring_task_starts_its_occurrences_at_the_first_deadline_typed(login, ids):
    day = today()
    khoi = login("khoi")
    head = options(khoi.get(NEW + f"?responsible_unit={ids['coso']}"), "task-form", "head")[0]
    first = day - 45 * DAY
    data = new_task_form(ids["coso"], head, title="Báo cáo tình hình tư tưởng hằng tháng",
                         starts_on=(day - 60 * DAY).isoformat(), due_on=(day + 300 * DAY).isoformat(),
                         recurrence="monthly", first_due_on=first.isoformat())  # fmt: skip
    response = khoi.post(NEW, data)
    assert response.status_code == 302, errors(response)
    series = Task.objects.get(title=data["title"])
    assert series.recurrence == "monthly" and series.series_id is None
    assert series.first_due_on == first
    deadlines = sorted(Task.objects.filter(series=series).values_list("due_on", flat=True))
    assert deadlines and deadlines[0] == first
    assert deadlines == [vn.add_months(first, k) for k in range(len(deadlines))]
    listed = all_list_ids(khoi, "?xem=da-giao&q=bao cao tinh hinh tu tuong hang thang")
    occurrences = set(Task.objects.filter(series=series).values_list("pk", flat=True))
    assert series.pk not in listed and set(listed) == occurrences


# --- attachments -------------------------------------------------------------------------------------


@pytest.fixture
def attached(login, ids, media) -> TaskUpdate:
    """A progress update of coso's open task with a PDF, uploaded through the form."""
    upload = SimpleUploadedFile("Báo cáo tiến độ.pdf", PDF, content_type="application/pdf")
    response = login("coso").post(TASK.format(ids["coso_open"]), {"action": "progress", "progress": "20",
                                                                  "note": "Kèm báo cáo.", "attachment": upload})
    assert response.status_code == 302, errors(response)
    update = TaskUpdate.objects.get(task_id=ids["coso_open"], kind="progress", note="Kèm báo cáo.")
    assert update.attachment.name.startswith(f"tasks/{ids['coso_open']}/") and update.attachment.name.endswith(".pdf")
    return update


@pytest.mark.parametrize("username", ["coso", "khoi"])
def test_the_attachment_downloads_for_those_who_see_the_task(login, ids, attached, username):
    response = login(username).get(FILE.format(attached.pk))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert "B%C3%A1o%20c%C3%A1o%20ti%E1%BA%BFn%20%C4%91%E1%BB%99.pdf" in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == PDF
    page = login(username).get(TASK.format(ids["coso_open"]))
    assert FILE.format(attached.pk) in tree(page).xpath('//table[@id="log"]//a/@href')


@pytest.mark.parametrize("username", ["chibo", "ngoai", "xem"])
def test_the_attachment_is_404_out_of_sight(login, ids, attached, username):
    assert login(username).get(FILE.format(attached.pk)).status_code == 404


def test_an_update_without_a_file_or_a_lost_file_is_404(login, ids, attached, media):
    plain = TaskUpdate.objects.filter(task_id=ids["coso_open"], attachment="").first()
    khoi = login("khoi")
    assert khoi.get(FILE.format(plain.pk)).status_code == 404
    assert khoi.get(FILE.format(10**9)).status_code == 404
    (media / attached.attachment.name).unlink()
    assert khoi.get(FILE.format(attached.pk)).status_code == 404


# --- bad input ---------------------------------------------------------------------------------------


def refused(response, message: str) -> str:
    assert response.status_code == 400
    shown = page_text(response)
    assert message in shown, errors(response)
    assert is_vietnamese(message)
    return shown


def other_units_head(ids) -> int:
    """A member active in another grassroots organisation under the root, never in coso's committee."""
    coso_heads = hand_heads(ids["coso"], today())
    children = [row[0] for row in sql(f"SELECT unit_id FROM orgs_unitversion v WHERE parent_id = %s AND {valid('v')} "
                                      "AND unit_id <> %s ORDER BY unit_id", [ids["root"], today(), today(),
                                                                             ids["coso"]])]  # fmt: skip
    for child in children:
        others = sorted(hand_heads(child, today()) - coso_heads)
        if others:
            return others[0]
    raise AssertionError("no other head")


@pytest.mark.parametrize("username, changes, message", [
    ("khoi", {"due_on": "{yesterday_start}"}, "Thời hạn không được trước ngày bắt đầu."),
    ("coso", {"responsible_unit": "{root}"}, "Đơn vị chủ trì không thuộc phạm vi của bạn."),
    ("coso", {"responsible_unit": "{outside}"}, "Đơn vị chủ trì không thuộc phạm vi của bạn."),
    ("khoi", {"responsible_unit": "{chibo}"}, "Đơn vị chủ trì không thuộc phạm vi của bạn."),
    ("khoi", {"head": "{other_head}"}, "Người được chọn không sinh hoạt trong đơn vị chủ trì."),
    ("khoi", {"recurrence": "monthly", "first_due_on": ""}, "Nhiệm vụ định kỳ cần thời hạn của kỳ đầu."),
    ("khoi", {"recurrence": "monthly", "first_due_on": "{long_ago}"},
     "Thời hạn kỳ đầu phải nằm giữa ngày bắt đầu và ngày kết thúc lặp lại."),
    ("khoi", {"title": ""}, "Hãy nhập tên nhiệm vụ."),
    ("khoi", {"expected_result": ""}, "Hãy nêu kết quả, sản phẩm cần đạt."),
    ("khoi", {"due_on": "31/02/2026"}, "Ngày không hợp lệ; hãy nhập theo dạng ngày/tháng/năm."),
    ("khoi", {"due_on": "9999-12-31"}, "Thời hạn hoàn thành không được sau"),
    ("khoi", {"starts_on": "0001-01-01"}, "Ngày bắt đầu không được trước 01/01/1930."),
    ("khoi", {"source_date": "9999-12-31"}, "Ngày văn bản không được sau hôm nay."),
    ("khoi", {"result_kind": "indicator"}, "Hãy chọn chỉ số đo kết quả."),
    ("khoi", {"result_value": "nhieu"}, "Giá trị phải là một số"),
    ("khoi", {"head": ""}, "Hãy chọn người đứng đầu chịu trách nhiệm."),
    ("khoi", {"coordinating": "{coso}"}, "Đơn vị chủ trì không đồng thời là đơn vị phối hợp."),
    ("khoi", {"coordinating": "{outside}"}, "Đơn vị phối hợp không thuộc phạm vi của bạn."),
])  # fmt: skip
def test_a_bad_new_task_is_refused_and_nothing_is_written(login, ids, username, changes, message):
    day = today()
    unit = ids["coso"]
    head = head_of(ids["coso_open"])
    values = ids | {"yesterday_start": (day - 11 * DAY).isoformat(), "other_head": other_units_head(ids),
                    "long_ago": (day - 400 * DAY).isoformat()}  # fmt: skip
    data = new_task_form(unit, head, **({"title": "Nhiệm vụ nhập sai"} | changes))
    data = {k: v.format(**values) if isinstance(v, str) else v for k, v in data.items()}
    before = world()
    response = login(username).post(NEW, data)
    refused(response, message)
    assert world() == before
    # what was typed is still there
    assert field(response, "task-form", "title") == data["title"]
    assert field(response, "task-form", "expected_result") == data["expected_result"]
    assert field(response, "task-form", "starts_on") == data["starts_on"]
    assert field(response, "task-form", "due_on") == data["due_on"]
    assert field(response, "task-form", "source_number") == "30-KH/ĐUK"
    assert field(response, "task-form", "priority") == "high"


@pytest.mark.parametrize("username, task, form, data, message", [
    ("coso", "coso_open", "progress-form", {"action": "progress", "progress": "150", "note": "Vượt kế hoạch."},
     "Tiến độ phải từ 0 đến 100%."),
    ("coso", "coso_open", "progress-form", {"action": "progress", "progress": "-5", "note": "Lùi."},
     "Tiến độ phải từ 0 đến 100%."),
    ("coso", "coso_open", "progress-form", {"action": "progress", "progress": "bốn mươi", "note": "Chữ."},
     "Tiến độ là một số nguyên từ 0 đến 100."),
    ("coso", "coso_open", "progress-form", {"action": "progress", "progress": "", "note": "  "},
     "Hãy nhập tiến độ hoặc nội dung theo dõi."),
    ("coso", "coso_open", "extension-form", {"action": "extension", "new_due_on": "{coso_open_due}",
                                             "reason": "Chờ số liệu."},
     "Thời hạn đề nghị phải sau thời hạn hiện tại ({coso_open_due_vn})."),
    ("coso", "coso_open", "extension-form", {"action": "extension", "new_due_on": "{coso_open_before}",
                                             "reason": "Chờ số liệu."},
     "Thời hạn đề nghị phải sau thời hạn hiện tại ({coso_open_due_vn})."),
    ("coso", "coso_open", "extension-form", {"action": "extension", "new_due_on": "{coso_open_after}", "reason": ""},
     "Hãy nêu lý do đề nghị gia hạn."),
    ("coso", "coso_open", "complete-form", {"action": "complete", "completed_on": "{tomorrow}",
                                            "report": "Đã gửi báo cáo."},
     "Ngày hoàn thành không được sau hôm nay."),
    ("coso", "coso_open", "complete-form", {"action": "complete", "completed_on": "2020-01-01",
                                            "report": "Đã gửi báo cáo."},
     "Ngày hoàn thành không được trước ngày bắt đầu nhiệm vụ."),
    ("coso", "coso_open", "complete-form", {"action": "complete", "completed_on": "{today}", "report": ""},
     "Hãy nêu kết quả, sản phẩm đã đạt."),
    ("coso", "coso_open", "split-form", {"action": "split", "responsible_unit": "{chibo}", "head": "{chibo_head}",
                                         "due_on": "{coso_open_after}", "expected_result": "Báo cáo của chi bộ"},
     "Thời hạn của nhiệm vụ con ({coso_open_after_vn}) không được sau thời hạn của nhiệm vụ ({coso_open_due_vn})."),
    ("coso", "coso_open", "split-form", {"action": "split", "responsible_unit": "{chibo}", "head": "{other_head}",
                                         "due_on": "{coso_open_due}", "expected_result": "Báo cáo của chi bộ"},
     "Người được chọn không sinh hoạt trong đơn vị đã chọn."),
    ("khoi", "coso_pending", "decide-form", {"action": "decide", "extension": "{pending}", "approve": "0",
                                             "note": ""},
     "Khi không đồng ý gia hạn, hãy nêu ý kiến."),
    ("khoi", "coso_pending", "decide-form", {"action": "decide", "extension": "{other_extension}", "approve": "1",
                                             "note": ""},
     "Không tìm thấy đề nghị gia hạn."),
])  # fmt: skip
def test_bad_input_on_a_task_is_refused_and_nothing_is_written(login, ids, username, task, form, data, message):
    day = today()
    open_due = hand_rows([ids["coso_open"]])[ids["coso_open"]][1]
    values = ids | {
        "coso_open_due": open_due.isoformat(), "coso_open_due_vn": f"{open_due:%d/%m/%Y}",
        "coso_open_before": (open_due - 3 * DAY).isoformat(), "coso_open_after": (open_due + DAY).isoformat(),
        "coso_open_after_vn": f"{open_due + DAY:%d/%m/%Y}", "tomorrow": (day + DAY).isoformat(),
        "today": day.isoformat(), "chibo_head": head_of(ids["chibo_overdue"]), "other_head": other_units_head(ids),
        "pending": Extension.objects.get(task_id=ids["coso_pending"], decision="").pk,
        "other_extension": Extension.objects.exclude(task_id=ids["coso_pending"]).values_list("pk", flat=True)[0],
    }  # fmt: skip
    data = {k: v.format(**values) for k, v in data.items()}
    before = world()
    response = login(username).post(TASK.format(ids[task]), data)
    refused(response, message.format(**values))
    assert world() == before
    for name, typed in data.items():
        if name in ("action", "extension", "approve", "responsible_unit", "head"):
            continue  # hidden or chosen from a list
        shown = field(response, form, name)
        assert shown == (typed.strip() if name in ("note", "report", "reason") else typed), name


def test_an_attachment_not_of_its_kind_is_refused(login, ids, media):
    coso = login("coso")
    before = world()
    fake = SimpleUploadedFile("bao-cao.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    response = coso.post(TASK.format(ids["coso_open"]), {"action": "progress", "progress": "20", "note": "Tệp giả.",
                                                         "attachment": fake})  # fmt: skip
    refused(response, "Nội dung tệp đính kèm không đúng loại như phần đuôi tên tệp.")
    assert field(response, "progress-form", "progress") == "20"
    exe = SimpleUploadedFile("bao-cao.exe", PDF)
    response = coso.post(TASK.format(ids["coso_open"]), {"action": "progress", "progress": "20", "attachment": exe})
    refused(response, "Tệp đính kèm phải là tệp PDF, Word, Excel, JPG hoặc PNG.")
    assert world() == before
    assert not any(media.rglob("*.*"))


# The refusals of the actions below belong to forms the page only shows while the task allows them
# (progress and extension while it is open and not a series; evaluation once it is done; a sub-task
# once a sub-unit is chosen): the message must still reach the user.
@pytest.mark.parametrize("username, task, data, message", [
    ("coso", "coso_closed", {"action": "progress", "progress": "50", "note": "Bổ sung."},
     "Nhiệm vụ đã báo cáo hoàn thành ngày {closed_on}; không thể cập nhật tiến độ."),
    ("coso", "coso_closed", {"action": "complete", "completed_on": "{today}", "report": "Lần nữa."},
     "Nhiệm vụ đã báo cáo hoàn thành ngày {closed_on}; không thể báo cáo hoàn thành lần nữa."),
    ("khoi", "coso_open", {"action": "grade", "verdict": "beyond", "note": ""},
     "Nhiệm vụ chưa báo cáo hoàn thành nên chưa thể đánh giá."),
    ("coso", "coso_pending", {"action": "extension", "new_due_on": "2027-06-30", "reason": "Thêm thời gian."},
     "Nhiệm vụ đang có một đề nghị gia hạn chờ quyết định."),
    ("khoi", "series", {"action": "progress", "progress": "50", "note": "Tháng này."},
     "Nhiệm vụ định kỳ được thực hiện theo từng kỳ: hãy cập nhật nhiệm vụ của kỳ đó."),
    ("coso", "coso_open", {"action": "split", "responsible_unit": "{outside}", "head": "{chibo_head}",
                           "due_on": "{today}", "expected_result": "Báo cáo"},
     "Đơn vị không thuộc đơn vị chủ trì."),
])  # fmt: skip
def test_an_action_the_task_no_longer_allows_is_refused_with_its_message(login, ids, username, task, data, message):
    closed_on = hand_rows([ids["coso_closed"]])[ids["coso_closed"]][2]
    series = sql("SELECT id FROM tasks_task WHERE recurrence <> '' AND responsible_unit_id = %s", [ids["root"]])
    ids = ids | {"series": series[0][0]}
    values = {"closed_on": f"{closed_on:%d/%m/%Y}", "today": today().isoformat(), "outside": ids["outside"],
              "chibo_head": head_of(ids["chibo_overdue"])}  # fmt: skip
    data = {k: v.format(**values) for k, v in data.items()}
    before = world()
    response = login(username).post(TASK.format(ids[task]), data)
    assert world() == before
    refused(response, message.format(**values))


def test_a_graded_task_is_not_graded_twice(login, ids):
    task = Task.objects.get(pk=ids["coso_closed"])
    khoi = login("khoi")
    assert khoi.post(TASK.format(task.pk), {"action": "grade", "verdict": "met"}).status_code == 302
    before = world()
    response = khoi.post(TASK.format(task.pk), {"action": "grade", "verdict": "beyond"})
    assert response.status_code == 400
    assert world() == before
    assert Task.objects.get(pk=task.pk).grade == "met"


# --- the cost in queries -----------------------------------------------------------------------------


def test_the_list_costs_the_same_for_50_rows_as_for_one(login, ids):
    khoi = login("khoi")
    many, response = count_queries(khoi, LIST + "?xem=tat-ca")
    assert len(list_rows(response)) == 50
    few, response = count_queries(khoi, LIST + "?xem=tat-ca&q=chi thi 05")
    assert list(list_rows(response)) == [ids["coso_open"]]
    assert many == few <= MAX_QUERIES
    overdue, response = count_queries(khoi, LIST + "?xem=qua-han&trang-thai=overdue&han=2026-11-10")
    assert ids["coso_overdue"] in list_rows(response)
    assert overdue == many


def test_the_board_costs_the_same_with_40_more_tasks(login, ids):
    khoi = login("khoi")
    url = BOARD + f"?unit={ids['coso']}"
    before, response = count_queries(khoi, url)
    overdue = len(board_columns(response)["overdue"])
    day = today()
    bulk_tasks(40, responsible=ids["coso"], assigner=ids["root"], head=head_of(ids["coso_open"]),
               starts_on=day - 30 * DAY, due_on=day - 3 * DAY)  # fmt: skip
    after, response = count_queries(khoi, url)
    assert len(board_columns(response)["overdue"]) == overdue + 40
    assert before == after <= MAX_QUERIES


def test_the_calendar_costs_the_same_whatever_the_month_holds(login, ids):
    khoi = login("khoi")
    busy, response = count_queries(khoi, CALENDAR + "?thang=2024-12")
    assert len(hand_scope_tasks(ids["root"], "t.due_on >= %s AND t.due_on < %s", [d(2024, 12, 1), d(2025, 1, 1)])) > 20
    assert len(calendar_tasks(response)) > 8
    quiet, response = count_queries(khoi, CALENDAR + "?thang=1999-01")
    assert calendar_tasks(response) == []
    assert busy == quiet <= MAX_QUERIES


@pytest.mark.parametrize("username", ["khoi", "xem"])
def test_the_statistics_cost_the_same_for_a_long_and_a_short_period(login, ids, username):
    client = login(username)
    long, response = count_queries(client, STATS + "?from=2023-01-01&to=2026-12-31")
    assert stats_total(response)[0] > 100
    short, response = count_queries(client, STATS + "?from=2024-12-31&to=2024-12-31")
    assert 0 < stats_total(response)[0] < 100
    assert long == short <= MAX_QUERIES


def test_a_task_page_costs_the_same_with_many_sub_tasks(login, ids):
    khoi = login("khoi")
    many, response = count_queries(khoi, TASK.format(ids["propagation"]))
    subtasks = tree(response).xpath('//table[@id="subtasks"]/tbody/tr')
    assert len(subtasks) > 50
    few, response = count_queries(khoi, TASK.format(ids["inspection"]))
    assert 1 <= len(tree(response).xpath('//table[@id="subtasks"]/tbody/tr')) <= 10
    assert many == few <= MAX_QUERIES
    inspection = Task.objects.get(pk=ids["inspection"])
    bulk_tasks(40, responsible=ids["coso"], assigner=ids["root"], head=head_of(ids["coso_open"]),
               starts_on=inspection.starts_on, due_on=inspection.due_on, parent=inspection)  # fmt: skip
    more, response = count_queries(khoi, TASK.format(ids["inspection"]))
    assert len(tree(response).xpath('//table[@id="subtasks"]/tbody/tr')) >= 41
    assert more == few


def test_the_log_of_a_task_costs_the_same_with_many_entries(login, ids):
    coso = login("coso")
    few, _ = count_queries(coso, TASK.format(ids["coso_open"]))
    user = User.objects.get(username="coso")
    TaskUpdate.objects.bulk_create([TaskUpdate(task_id=ids["coso_open"], kind="progress", progress=i, by=user,
                                               note=f"Lần {i}") for i in range(40)])  # fmt: skip
    many, response = count_queries(coso, TASK.format(ids["coso_open"]))
    assert len(tree(response).xpath('//table[@id="log"]/tbody/tr')) >= 40
    assert many == few <= MAX_QUERIES


# --- notifications -----------------------------------------------------------------------------------


@pytest.fixture
def notices(demo):
    users = {u.username: u for u in User.objects.filter(username__in=["coso", "chibo"])}
    made = {}
    for username, user in users.items():
        made[username] = [
            Notification.objects.create(user=user, title=f"Nhắc việc của {username} số {i}", text="Sắp đến hạn.",
                                        link=LIST)
            for i in range(3)
        ]  # fmt: skip
    return users, made


def notification_ids(response) -> set[int]:
    rows = tree(response).xpath('//table[@id="notifications"]/tbody/tr[starts-with(@id, "notification-")]')
    return {int(tr.get("id").removeprefix("notification-")) for tr in rows}


def test_a_user_sees_only_their_own_notifications(login, notices):
    users, made = notices
    response = login("coso").get(NOTICES)
    assert response.status_code == 200
    own = {row[0] for row in sql("SELECT id FROM notices_notification WHERE user_id = %s", [users["coso"].pk])}
    assert notification_ids(response) == own
    shown = page_text(response)
    assert all(n.title in shown for n in made["coso"])
    assert not any(n.title in shown for n in made["chibo"])
    assert "Đánh dấu tất cả đã đọc" in shown
    assert tree(response).xpath(f'//tr[@id="notification-{made["coso"][0].pk}"]/@class') == ["unread"]


def test_marking_read_marks_the_requesters_notifications_only(login, notices):
    users, made = notices
    others = {row[0] for row in sql("SELECT id FROM notices_notification WHERE user_id <> %s AND read_at IS NULL",
                                    [users["coso"].pk])}  # fmt: skip
    coso = login("coso")
    response = coso.post(NOTICES)
    assert response.status_code == 302 and response["Location"] == NOTICES
    assert sql("SELECT COUNT(*) FROM notices_notification WHERE user_id = %s AND read_at IS NULL",
               [users["coso"].pk])[0][0] == 0  # fmt: skip
    still = {row[0] for row in sql("SELECT id FROM notices_notification WHERE user_id <> %s AND read_at IS NULL",
                                   [users["coso"].pk])}  # fmt: skip
    assert still == others and {n.pk for n in made["chibo"]} <= still
    page = coso.get(NOTICES)
    assert "Đánh dấu tất cả đã đọc" not in page_text(page)
    assert not tree(page).xpath('//tr[@class="unread"]')


def test_marking_read_keeps_the_first_reading_time(login, notices):
    users, made = notices
    earlier = timezone.now() - datetime.timedelta(days=3)
    Notification.objects.filter(pk=made["coso"][0].pk).update(read_at=earlier)
    login("coso").post(NOTICES)
    assert Notification.objects.get(pk=made["coso"][0].pk).read_at == earlier


def test_anonymous_cannot_read_or_mark_notifications(client, notices):
    response = client.get(NOTICES)
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    response = client.post(NOTICES)
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert Notification.objects.filter(read_at__isnull=False).count() == 0


def test_a_user_without_notifications_is_told_so(login, demo):
    response = login("ngoai").get(NOTICES)
    assert notification_ids(response) == set()
    assert "Chưa có thông báo nào." in page_text(response)
