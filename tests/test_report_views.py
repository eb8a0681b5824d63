"""The report pages (/bao-cao/), through the views: who sees which report (a unit its own, the
committees above what was sent to them; anything else is 404), who may act on it (the reporting unit
edits and sends, the committee it goes to accepts or returns, a viewer only reads), the whole life of
a monthly report from opening to acceptance, bad input refused with a Vietnamese message and nothing
written, the board of who has reported a period, the ad-hoc request form, the downloads, and the
cost in queries.

Expected rows and figures are read by hand-written SQL and plain arithmetic here, never by the code
under test. Personas: khoi (root staff), coso (grassroots committee staff), chibo (a cell secretary in
coso's committee), xem (viewer at the root), ngoai (a cell secretary outside coso's committee),
admin (superuser).
"""

from __future__ import annotations

import datetime
import io
import re
import shutil
import zipfile
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import lxml.html
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dangbo.audit.models import AuditEntry
from dangbo.reports import actions
from dangbo.reports.models import AdHocRequest, Report, ReportType, Schedule, Status, Step
from tests.helpers import FormClient, is_vietnamese

LIST = "/bao-cao/"
OPEN = "/bao-cao/lap/"
BOARD = "/bao-cao/theo-doi/"
REQUEST = "/bao-cao/dot-xuat/moi/"
REPORT = "/bao-cao/{}/"
WORD = "/bao-cao/{}/bao-cao.docx"
PDF = "/bao-cao/{}/bao-cao.pdf"
EXCEL = "/bao-cao/{}/so-lieu.xlsx"
LOGIN = "/dang-nhap/"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_QUERIES = 40
CONFIRMED = {"xac-nhan": "1"}  # the box ticked to confirm sending (or completing) a report
GRASSROOTS = ("grassroots_committee", "grassroots_cell")
LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")

# The statuses as the user reads them (written out, not read from the product).
SUBMITTED = "Đã gửi, chờ tiếp nhận"
RETURNED = "Bị trả lại"
ACCEPTED = "Đã tiếp nhận"
DRAFT = "Đang soạn"
FINAL = "Đã hoàn thành"
d = datetime.date
DAY = datetime.timedelta(days=1)


def today() -> datetime.date:
    return timezone.localdate()


def month_key(day: datetime.date) -> str:
    return f"{day.year}-{day.month:02d}"


def next_month(day: datetime.date) -> datetime.date:
    return (day.replace(day=28) + 4 * DAY).replace(day=1)


# --- hand-written SQL ------------------------------------------------------------------------------


def sql(query: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(query, list(params))
        return cursor.fetchall()


def valid(alias: str) -> str:
    return f"{alias}.valid_from <= %s AND ({alias}.valid_to IS NULL OR {alias}.valid_to > %s)"


def as_date(value):
    if value is None or isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value)[:10])


def local_day(value) -> datetime.date | None:
    """The local date of a timestamp read by raw SQL (a string on SQLite, stored in UTC)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    return value.astimezone(LOCAL).date()


def hand_units(superior_id: int, kinds, day: datetime.date) -> dict[int, str]:
    """{unit id: name} of the direct sub-units of the kinds given, as they stood on `day`."""
    marks = ", ".join(["%s"] * len(kinds))
    rows = sql(f"SELECT v.unit_id, v.name FROM orgs_unitversion v WHERE v.parent_id = %s AND v.kind IN ({marks}) "
               f"AND {valid('v')}", [superior_id, *kinds, day, day])  # fmt: skip
    return dict(rows)


def hand_reports(code: str, period: str) -> dict[int, tuple]:
    """{unit id: (report id, status, first sent at)} of the reports of a type and period."""
    rows = sql("SELECT r.unit_id, r.id, r.status, r.first_sent_at FROM reports_report r "
               "JOIN reports_reporttype t ON t.id = r.report_type_id WHERE t.code = %s AND r.period = %s",
               [code, period])  # fmt: skip
    return {unit: (pk, status, sent) for unit, pk, status, sent in rows}


def hand_path(unit_id: int, day: datetime.date) -> str:
    rows = sql(f"SELECT v.path FROM orgs_unitversion v WHERE v.unit_id = %s AND {valid('v')}", [unit_id, day, day])
    assert len(rows) == 1, rows
    return rows[0][0]


def hand_subtree(unit_id: int) -> set[int]:
    """Units that ever lay under any place the unit ever had (the unit itself included)."""
    rows = sql("""SELECT DISTINCT v.unit_id FROM orgs_unitversion v
                  WHERE EXISTS (SELECT 1 FROM orgs_unitversion top
                                WHERE top.unit_id = %s AND v.path LIKE top.path || '%%')""", [unit_id])  # fmt: skip
    return {row[0] for row in rows}


def report_row(pk: int) -> dict:
    cols = ("status", "number", "symbol", "issuer_symbol", "comment", "first_sent_at", "unit_id", "to_unit_id")
    row = sql(f"SELECT {', '.join(cols)} FROM reports_report WHERE id = %s", [pk])[0]
    return dict(zip(cols, row))


def world() -> tuple[int, ...]:
    """Rows of every table a report action may write."""
    return tuple(m.objects.count() for m in (Report, Step, AdHocRequest, AuditEntry))


def audit_actions(report_id: int) -> list[str]:
    return list(AuditEntry.objects.filter(target_type="reports.report", target_id=str(report_id))
                .order_by("pk").values_list("action", flat=True))  # fmt: skip


def step_kinds(report_id: int) -> list[str]:
    return [row[0] for row in sql("SELECT kind FROM reports_step WHERE report_id = %s ORDER BY at, id", [report_id])]


# --- reading the pages -------------------------------------------------------------------------------


def tree(response):
    return lxml.html.fromstring(response.content.decode())


def text(element) -> str:
    return " ".join(" ".join(element.itertext()).split())


def page_text(response) -> str:
    return text(tree(response))


def alerts(response) -> str:
    return " ".join(text(e) for e in tree(response).xpath('//*[@role="alert"]'))


def errors(response) -> str:
    found = tree(response).xpath('//*[contains(concat(" ", @class, " "), " error ")]')
    return " ".join(text(e) for e in found)


def by_id(response, element_id: str) -> str:
    found = tree(response).xpath(f'//*[@id="{element_id}"]')
    assert found, f"no #{element_id}"
    return text(found[0])


def textareas(response, form_id: str = "report-form") -> dict[str, str]:
    """{section key: text} of the text areas of the report form (None when it has none)."""
    found = tree(response).xpath(f'//form[@id="{form_id}"]//textarea[starts-with(@name, "text-")]')
    return {t.get("name").removeprefix("text-"): t.text_content() for t in found}


def field(response, form_id: str, name: str) -> str:
    form = tree(response).xpath(f'//form[@id="{form_id}"]')
    assert form, f"no form {form_id}"
    for element in form[0].xpath(f'.//*[@name="{name}"]'):
        if element.tag == "textarea":
            return element.text_content()
        if element.tag == "select":
            chosen = element.xpath("./option[@selected]/@value")
            return chosen[0] if chosen else ""
        return element.get("value") or ""
    raise AssertionError(f"no field {name} in {form_id}")


def linked_reports(response, table_id: str) -> list[int]:
    hrefs = tree(response).xpath(f'//table[@id="{table_id}"]//a/@href')
    return [int(m.group(1)) for h in hrefs if (m := re.fullmatch(r"/bao-cao/(\d+)/", h))]


def board_rows(response) -> dict[int, str]:
    """{unit id: timeliness class} of the board's rows."""
    rows = tree(response).xpath('//table[@id="board"]/tbody/tr')
    return {int(tr.get("id").removeprefix("unit-")): tr.get("class").removeprefix("timeliness-") for tr in rows}


def count_queries(client, url: str) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries.captured_queries), response


def redirected_to_report(response) -> int:
    assert response.status_code == 302, response.status_code
    match = re.fullmatch(r"/bao-cao/(\d+)/", response["Location"])
    assert match, response["Location"]
    return int(match.group(1))


# --- fixtures ----------------------------------------------------------------------------------------


@pytest.fixture
def login(demo, outsider):
    """login("khoi") -> a client of its own, logged in as that persona (ngoai: the outsider)."""

    def make(username: str) -> Client:
        client = FormClient()
        assert client.login(username=username, password="demo"), username
        return client

    return make


def _user(username: str):
    from dangbo.accounts.models import User

    return User.objects.get(username=username)


@pytest.fixture
def ids(demo, outsider) -> dict:
    """The demo's units and the reports the tests read, found by hand; their demo state checked."""
    root, coso, chibo = demo["root"], demo["coso"], demo["chibo"]
    coso_subtree = hand_subtree(coso)
    september = hand_reports("thang", "2024-09")
    assert coso in september and september[coso][1] == "accepted"
    grassroots = hand_units(root, GRASSROOTS, d(2024, 9, 30))
    other = min(unit for unit in september if unit in grassroots and unit not in coso_subtree)
    root_final = september[root][0] if root in september else None
    assert root_final is not None and september[root][1] == "final"
    nine_months = sql("SELECT r.id, r.status FROM reports_report r JOIN reports_reporttype t ON t.id = r.report_type_id"
                      " WHERE t.code = 'quy' AND r.period = '2024-Q3' AND r.unit_id = %s", [root])  # fmt: skip
    assert len(nine_months) == 1 and nine_months[0][1] == "draft"
    october = hand_reports("thang", "2026-10")
    assert coso not in october  # still to be written
    waiting = sorted(pk for unit, (pk, status, _) in october.items() if status == "submitted")
    assert waiting
    typhoon = AdHocRequest.objects.get(title__contains="bão số 3")
    return {
        "root": root,
        "coso": coso,
        "chibo": chibo,
        "outside": outsider[1],
        "other": other,  # a grassroots organisation outside coso's committee
        "coso_sent": september[coso][0],  # coso's accepted report of 09/2024
        "other_sent": september[other][0],
        "root_final": root_final,  # the root's own report of 09/2024, completed
        "root_draft": nine_months[0][0],  # the root's nine-month report, a draft
        "waiting": waiting[0],  # a 10/2026 report sent to the root, waiting
        "typhoon": typhoon.pk,
    }


@pytest.fixture
def thang():
    return ReportType.objects.get(code="thang")


@pytest.fixture
def drafts(ids, thang):
    """Drafts of 11/2026 opened (never sent) by coso and by a grassroots organisation outside it."""
    day = d(2026, 11, 10)
    coso = actions.open_report(_user("coso"), ids["coso"], thang, "2026-11", today=day)
    other = actions.open_report(None, ids["other"], thang, "2026-11", today=day)
    assert coso.first_sent_at is None and other.first_sent_at is None
    return {"coso": coso.pk, "other": other.pk}


# --- the addresses -----------------------------------------------------------------------------------


def test_the_url_names_are_the_pages_tested_here():
    assert reverse("reports") == LIST
    assert reverse("report_open") == OPEN
    assert reverse("report_board") == BOARD
    assert reverse("report_request_new") == REQUEST
    assert reverse("report", args=[7]) == REPORT.format(7)
    assert reverse("report_word", args=[7]) == WORD.format(7)
    assert reverse("report_pdf", args=[7]) == PDF.format(7)
    assert reverse("report_excel", args=[7]) == EXCEL.format(7)


# --- who sees which page -------------------------------------------------------------------------------

ALL_URLS = [LIST, BOARD, REQUEST, REPORT, WORD, PDF, EXCEL, BOARD + "?loai=thang&ky=2024-09"]


@pytest.mark.parametrize("url", ALL_URLS + [OPEN])
def test_anonymous_is_sent_to_log_in(client, ids, url):
    url = url.format(ids["coso_sent"])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN + "?next=")
    before = world()
    response = client.post(url, {"action": "accept", "loai": "thang", "ky": "2026-10"})
    assert response.status_code == 302 and response["Location"].startswith(LOGIN + "?next=")
    assert world() == before


@pytest.mark.parametrize("username", ["khoi", "coso", "chibo", "xem", "ngoai", "admin"])
def test_the_list_and_the_board_answer_every_role(login, ids, username):
    client = login(username)
    for url in (LIST, BOARD):
        response = client.get(url)
        assert response.status_code == 200, (username, url)
        assert is_vietnamese(text(tree(response).xpath("//h1")[0]))


@pytest.mark.parametrize("report, expected", [
    ("coso_sent", {"khoi": 200, "coso": 200, "chibo": 404, "ngoai": 404, "xem": 200, "admin": 200}),
    ("other_sent", {"khoi": 200, "coso": 404, "chibo": 404, "ngoai": 404, "xem": 200, "admin": 200}),
    ("waiting", {"khoi": 200, "chibo": 404, "ngoai": 404, "xem": 200}),
    ("root_final", {"khoi": 200, "coso": 404, "chibo": 404, "ngoai": 404, "xem": 200, "admin": 200}),
    ("root_draft", {"khoi": 200, "coso": 404, "chibo": 404, "ngoai": 404, "xem": 200}),
])  # fmt: skip
@pytest.mark.parametrize("url", [REPORT, WORD, EXCEL])
def test_a_report_is_seen_by_its_unit_and_the_committees_above_once_sent(login, ids, report, expected, url):
    for username, status in expected.items():
        response = login(username).get(url.format(ids[report]))
        assert response.status_code == status, username


def test_a_unit_sees_only_its_own_submissions(login, ids):
    """coso opens its own reports but none of another grassroots organisation's."""
    coso = login("coso")
    own = {pk for (pk,) in sql("SELECT id FROM reports_report WHERE unit_id = %s", [ids["coso"]])}
    others = [pk for (pk,) in sql("SELECT id FROM reports_report WHERE unit_id NOT IN (%s) ORDER BY id",
                                  [ids["coso"]])]  # fmt: skip
    assert own and others
    for pk in sorted(own)[:5]:
        assert coso.get(REPORT.format(pk)).status_code == 200, pk
    for pk in others[:: max(1, len(others) // 12)]:
        assert coso.get(REPORT.format(pk)).status_code == 404, pk
    # and its list names its own reports only
    response = coso.get(LIST)
    listed = {int(tr.get("id").removeprefix("report-")) for tr in tree(response).xpath('//table[@id="own"]/tbody/tr')
              if tr.get("id")}  # fmt: skip
    assert listed == own


def test_khoi_sees_every_sent_report_of_its_subtree(login, ids):
    khoi = login("khoi")
    sent = [pk for (pk,) in sql("SELECT id FROM reports_report WHERE first_sent_at IS NOT NULL ORDER BY id")]
    for pk in sent[:: max(1, len(sent) // 25)]:
        assert khoi.get(REPORT.format(pk)).status_code == 200, pk


def test_a_draft_never_sent_is_its_units_business(login, ids, drafts):
    assert login("coso").get(REPORT.format(drafts["coso"])).status_code == 200
    for username in ("khoi", "xem", "admin", "chibo", "ngoai"):
        client = login(username)
        for url in (REPORT, WORD, EXCEL, PDF):
            assert client.get(url.format(drafts["coso"])).status_code == 404, (username, url)
    for username in ("khoi", "coso", "xem", "chibo", "ngoai"):
        assert login(username).get(REPORT.format(drafts["other"])).status_code == 404, username
    # khoi cannot act on it either, nor see it on its board
    before = world()
    for action in ("accept", "return", "save", "send"):
        response = login("khoi").post(REPORT.format(drafts["coso"]), {"action": action, "comment": "x"})
        assert response.status_code == 404, action
    assert world() == before
    board = login("khoi").get(BOARD + "?loai=thang&ky=2026-11")
    assert board_rows(board)[ids["coso"]] == "waiting"
    assert f'href="{REPORT.format(drafts["coso"])}"' not in board.content.decode()


def test_a_report_that_does_not_exist_is_404(login, ids):
    khoi = login("khoi")
    for report_id in ("0", str(10**9), str(2**63), str(2**70)):
        for url in (REPORT, WORD, EXCEL, PDF):
            assert khoi.get(url.format(report_id)).status_code == 404, (report_id, url)


@pytest.mark.parametrize("username", ["chibo", "ngoai"])
def test_cells_get_404_for_the_committees_reports_and_write_nothing(login, ids, username):
    client = login(username)
    before = world()
    for report in ("coso_sent", "root_final", "root_draft", "waiting"):
        for url in (REPORT, WORD, EXCEL, PDF):
            assert client.get(url.format(ids[report])).status_code == 404, (report, url)
        for action in ("save", "send", "complete", "redraft", "accept", "return"):
            response = client.post(REPORT.format(ids[report]), {"action": action, "comment": "x", "text-ket-qua": "x"})
            assert response.status_code == 404, (report, action)
    assert world() == before


def test_the_viewer_reads_but_every_post_is_404_and_changes_nothing(login, ids):
    xem = login("xem")
    assert xem.get(REPORT.format(ids["waiting"])).status_code == 200
    assert xem.get(BOARD + "?loai=thang&ky=2024-09").status_code == 200
    assert xem.get(BOARD + f"?yeu-cau={ids['typhoon']}").status_code == 200
    page = xem.get(REPORT.format(ids["root_draft"]))
    assert page.status_code == 200
    assert textareas(page) == {} and not tree(page).xpath('//form[@id="decide"]')
    assert not tree(page).xpath('//button[@name="action"]')
    listed = xem.get(LIST)
    assert not tree(listed).xpath('//*[@id="open-report"]') and not tree(listed).xpath(f'//form[@action="{OPEN}"]')
    assert not tree(listed).xpath(f'//a[@href="{REQUEST}"]')
    before = world()
    texts_before = sql("SELECT id, status, texts FROM reports_report ORDER BY id")
    assert xem.post(OPEN, {"loai": "thang", "ky": "2024-10"}).status_code == 404
    assert xem.post(OPEN, {"loai": "quy", "ky": "2024-Q4"}).status_code == 404
    assert xem.post(OPEN, {"yeu-cau": str(ids["typhoon"])}).status_code == 404
    for action in ("save", "complete", "redraft", "send"):
        response = xem.post(REPORT.format(ids["root_draft"]), {"action": action, "text-ket-qua": "Sửa"})
        assert response.status_code == 404, action
    for action in ("accept", "return"):
        response = xem.post(REPORT.format(ids["waiting"]), {"action": action, "comment": "Bổ sung"})
        assert response.status_code == 404, action
    assert xem.get(REQUEST).status_code == 404
    response = xem.post(
        REQUEST,
        {
            "title": "Yêu cầu",
            "questions": "Câu 1",
            "kinds": list(GRASSROOTS),  # fmt: skip
            "starts_on": "2026-11-01",
            "ends_on": "2026-11-10",
            "due_on": "2026-11-20",
        },
    )
    assert response.status_code == 404
    assert world() == before
    assert sql("SELECT id, status, texts FROM reports_report ORDER BY id") == texts_before


@pytest.mark.parametrize("username", ["khoi", "coso"])
def test_an_unknown_or_missing_action_is_404(login, ids, drafts, username):
    report = drafts["coso"] if username == "coso" else ids["waiting"]
    client = login(username)
    before = world()
    for data in ({"action": "delete"}, {}, {"action": ""}):
        assert client.post(REPORT.format(report), data).status_code == 404, data
    assert world() == before


def test_each_action_belongs_to_one_side(login, ids, drafts):
    """The reporting unit edits its draft, never decides; the committee decides, never edits."""
    before = world()
    coso, khoi = login("coso"), login("khoi")
    for action in ("accept", "return"):
        assert coso.post(REPORT.format(drafts["coso"]), {"action": action, "comment": "x"}).status_code == 404
    for action in ("save", "send", "complete", "redraft"):
        assert khoi.post(REPORT.format(ids["waiting"]), {"action": action, "text-ket-qua": "x"}).status_code == 404
    # a report already sent is no longer its unit's to edit
    for action in ("save", "send", "redraft"):
        assert coso.post(REPORT.format(ids["coso_sent"]), {"action": action, "text-ket-qua": "x"}).status_code == 404
    # an accepted report is not decided twice
    for action in ("accept", "return"):
        assert khoi.post(REPORT.format(ids["coso_sent"]), {"action": action, "comment": "x"}).status_code == 404
    assert world() == before


def test_a_board_of_a_unit_outside_the_scope_is_404(login, ids):
    assert login("coso").get(BOARD + f"?unit={ids['root']}").status_code == 404
    assert login("coso").get(BOARD + f"?unit={ids['other']}").status_code == 404
    assert login("chibo").get(BOARD + f"?unit={ids['coso']}").status_code == 404
    assert login("ngoai").get(BOARD + f"?unit={ids['coso']}").status_code == 404
    for junk in ("abc", "0", "-1", str(2**70)):
        assert login("khoi").get(BOARD + f"?unit={junk}").status_code == 404, junk
    assert login("khoi").get(BOARD + f"?unit={ids['coso']}").status_code == 200
    assert login("coso").get(BOARD + f"?unit={ids['chibo']}").status_code == 200


def test_an_ad_hoc_request_of_another_committee_is_404_on_the_board(login, ids):
    assert login("coso").get(BOARD + f"?yeu-cau={ids['typhoon']}").status_code == 404
    assert login("chibo").get(BOARD + f"?yeu-cau={ids['typhoon']}").status_code == 404
    for junk in ("abc", "0", str(10**9)):
        assert login("khoi").get(BOARD + f"?yeu-cau={junk}").status_code == 404, junk


def test_opening_for_a_request_that_does_not_exist_is_404(login, ids):
    before = world()
    for junk in ("abc", "0", str(10**9)):
        assert login("coso").post(OPEN, {"yeu-cau": junk}).status_code == 404, junk
    assert world() == before


def test_open_answers_only_post(login, ids):
    assert login("coso").get(OPEN + "?loai=thang&ky=2026-10").status_code == 405


# --- the whole life of a monthly report ------------------------------------------------------------


def test_the_whole_workflow_through_the_pages(login, ids):
    coso, khoi = login("coso"), login("khoi")

    # coso opens its report of 10/2026: the text areas come pre-filled
    response = coso.post(OPEN, {"loai": "thang", "ky": "2026-10"})
    pk = redirected_to_report(response)
    row = report_row(pk)
    assert (row["unit_id"], row["to_unit_id"], row["status"], row["number"]) == (
        ids["coso"],
        ids["root"],
        "draft",
        None,
    )
    page = coso.get(REPORT.format(pk))
    assert page.status_code == 200
    areas = textareas(page)
    assert {"tinh-hinh", "ket-qua", "han-che", "phuong-huong", "kien-nghi"} <= set(areas)
    assert areas["ket-qua"].strip(), "the drafted section starts from the figures"
    stored = Report.objects.get(pk=pk).texts
    assert {k: v.strip() for k, v in areas.items()} == {k: v.strip() for k, v in stored.items()}
    assert by_id(page, "status") == DRAFT
    assert "cấp khi gửi" in by_id(page, "number-symbol")
    assert audit_actions(pk) == ["report_open"] and step_kinds(pk) == ["created"]

    # opening again gives the same report
    assert redirected_to_report(coso.post(OPEN, {"loai": "thang", "ky": "2026-10"})) == pk
    assert Report.objects.filter(unit_id=ids["coso"], period="2026-10").count() == 1

    # it saves its text, line breaks kept
    typed = {
        "text-tinh-hinh": "Tư tưởng cán bộ ổn định.\r\nMột số đảng viên   băn khoăn về sắp xếp bộ máy.",
        "text-ket-qua": "- Hoàn thành nhiệm vụ chuyên môn;\r\n- Sinh hoạt chi bộ đúng quy định.",
        "text-han-che": "",
        "text-phuong-huong": "Chuẩn bị đại hội chi bộ.",
        "text-kien-nghi": "",
    }
    response = coso.post(REPORT.format(pk), {"action": "save", **typed})
    assert response.status_code == 302 and response["Location"] == REPORT.format(pk)
    stored = Report.objects.get(pk=pk).texts
    assert stored["tinh-hinh"] == "Tư tưởng cán bộ ổn định.\nMột số đảng viên băn khoăn về sắp xếp bộ máy."
    assert stored["ket-qua"] == "- Hoàn thành nhiệm vụ chuyên môn;\n- Sinh hoạt chi bộ đúng quy định."
    page = coso.get(REPORT.format(pk))
    assert "Đã lưu nội dung báo cáo." in page_text(page)
    assert textareas(page)["ket-qua"].strip() == stored["ket-qua"]
    assert textareas(page)["tinh-hinh"].count("\n") == 1
    assert audit_actions(pk) == ["report_open", "report_save"]
    assert Report.objects.get(pk=pk).status == Status.DRAFT

    # it sends: the status, the number as the row says, the figures frozen
    response = coso.post(REPORT.format(pk), {"action": "send", **CONFIRMED, **typed})
    assert response.status_code == 302
    row = report_row(pk)
    assert row["status"] == "submitted" and row["number"] is not None and row["first_sent_at"] is not None
    numbered = f"Số {row['number']:02d}-{row['symbol']}/{row['issuer_symbol']}"
    assert row["symbol"] == "BC" and row["issuer_symbol"] == "ĐU"
    page = coso.get(REPORT.format(pk))
    assert by_id(page, "status") == SUBMITTED
    assert by_id(page, "number-symbol") == numbered
    assert f"Đã gửi báo cáo ({numbered})." in page_text(page)
    assert textareas(page) == {}, "a sent report is read, not edited"
    assert "Số liệu đã chốt khi gửi báo cáo." in page_text(page)
    # the number follows the unit's earlier numbers within the same term (or year when none)
    term_id = sql("SELECT term_id FROM reports_report WHERE id = %s", [pk])[0][0]
    if term_id is not None:
        earlier = sql("SELECT MAX(number) FROM reports_report WHERE unit_id = %s AND symbol = 'BC' AND term_id = %s "
                      "AND id <> %s", [ids["coso"], term_id, pk])[0][0]  # fmt: skip
    else:
        earlier = max((n for n, issued in sql("SELECT number, issued_on FROM reports_report WHERE unit_id = %s AND "
                       "symbol = 'BC' AND term_id IS NULL AND id <> %s AND number IS NOT NULL", [ids["coso"], pk])
                       if as_date(issued).year == today().year), default=None)  # fmt: skip
    assert row["number"] == (earlier or 0) + 1
    assert audit_actions(pk)[-2:] == ["report_save", "report_send"]
    assert step_kinds(pk) == ["created", "sent"]
    # coso cannot decide on its own report, nor edit it once sent
    assert coso.post(REPORT.format(pk), {"action": "accept"}).status_code == 404
    assert coso.post(REPORT.format(pk), {"action": "save", **typed}).status_code == 404
    assert report_row(pk)["status"] == "submitted"

    # khoi finds it among the reports waiting
    listed = khoi.get(LIST)
    assert pk in linked_reports(listed, "waiting")
    assert "Báo cáo chờ tiếp nhận" in page_text(listed)
    page = khoi.get(REPORT.format(pk))
    assert tree(page).xpath('//form[@id="decide"]')

    # returned without a comment: refused, said why, the comment field shown, nothing changed
    before = world()
    for comment in ("", "   \n "):
        response = khoi.post(REPORT.format(pk), {"action": "return", "comment": comment})
        assert response.status_code == 200
        message = alerts(response)
        assert "Hãy ghi rõ lý do trả lại báo cáo." in message and is_vietnamese(message)
        assert tree(response).xpath('//form[@id="decide"]//textarea[@name="comment"]')
        assert by_id(response, "status") == SUBMITTED
    assert world() == before
    assert report_row(pk)["status"] == "submitted"

    # returned with a comment: coso reads it
    reason = "Đề nghị bổ sung số liệu phát triển đảng viên."
    response = khoi.post(REPORT.format(pk), {"action": "return", "comment": reason})
    assert response.status_code == 302
    assert report_row(pk)["status"] == "returned" and report_row(pk)["comment"] == reason
    assert "Đã trả lại báo cáo" in page_text(khoi.get(REPORT.format(pk)))
    assert pk not in linked_reports(khoi.get(LIST), "waiting")
    page = coso.get(REPORT.format(pk))
    assert by_id(page, "status") == RETURNED
    assert reason in by_id(page, "return-comment")
    assert reason in by_id(page, "steps")
    assert textareas(page)["ket-qua"].strip() == "- Hoàn thành nhiệm vụ chuyên môn;\n- Sinh hoạt chi bộ đúng quy định."
    # neither side decides a returned report
    assert coso.post(REPORT.format(pk), {"action": "accept"}).status_code == 404
    assert khoi.post(REPORT.format(pk), {"action": "accept"}).status_code == 404

    # coso sends it again: same number, first sending kept
    first_sent = Report.objects.get(pk=pk).first_sent_at
    typed["text-ket-qua"] += "\r\n- Kết nạp 02 đảng viên mới."
    assert coso.post(REPORT.format(pk), {"action": "send", **CONFIRMED, **typed}).status_code == 302
    again = Report.objects.get(pk=pk)
    assert again.status == Status.SUBMITTED and again.number == row["number"] and again.first_sent_at == first_sent
    assert again.comment == ""
    assert again.texts["ket-qua"].endswith("\n- Kết nạp 02 đảng viên mới.")
    assert coso.post(REPORT.format(pk), {"action": "accept"}).status_code == 404

    # khoi accepts
    assert khoi.post(REPORT.format(pk), {"action": "accept"}).status_code == 302
    page = khoi.get(REPORT.format(pk))
    assert by_id(page, "status") == ACCEPTED and "Đã tiếp nhận báo cáo." in page_text(page)
    assert report_row(pk)["status"] == "accepted"
    assert by_id(coso.get(REPORT.format(pk)), "status") == ACCEPTED
    assert not tree(page).xpath('//form[@id="decide"]')

    # every step is in the history and the audit log, each by its actor
    assert step_kinds(pk) == ["created", "sent", "returned", "sent", "accepted"]
    assert audit_actions(pk) == ["report_open", "report_save", "report_save", "report_send", "report_return",
                                 "report_save", "report_send", "report_accept"]  # fmt: skip
    actors = dict(AuditEntry.objects.filter(target_type="reports.report", target_id=str(pk))
                  .values_list("action", "actor__username"))  # fmt: skip
    assert actors["report_open"] == actors["report_send"] == "coso"
    assert actors["report_return"] == actors["report_accept"] == "khoi"
    by = [row[0] for row in sql("SELECT u.username FROM reports_step s JOIN accounts_user u ON u.id = s.by_id "
                                "WHERE s.report_id = %s ORDER BY s.at, s.id", [pk])]  # fmt: skip
    assert by == ["coso", "coso", "khoi", "coso", "khoi"]
    returned = sql("SELECT comment FROM reports_step WHERE report_id = %s AND kind = 'returned'", [pk])
    assert returned == [(reason,)]


def test_coso_redrafts_its_text_from_the_figures(login, ids, drafts):
    coso = login("coso")
    url = REPORT.format(drafts["coso"])
    drafted = Report.objects.get(pk=drafts["coso"]).texts["ket-qua"]
    assert coso.post(url, {"action": "save", "text-ket-qua": "Tạm ghi"}).status_code == 302
    assert Report.objects.get(pk=drafts["coso"]).texts["ket-qua"] == "Tạm ghi"
    assert coso.post(url, {"action": "redraft"}).status_code == 302
    assert Report.objects.get(pk=drafts["coso"]).texts["ket-qua"] == drafted
    assert audit_actions(drafts["coso"])[-1] == "report_redraft"


def test_a_report_sent_upward_is_not_completed_and_keeps_what_was_typed(login, ids, drafts):
    coso = login("coso")
    url = REPORT.format(drafts["coso"])
    before = world()
    response = coso.post(url, {"action": "complete", **CONFIRMED, "text-ket-qua": "Nội dung vừa gõ"})
    # the text is saved before completing is refused; the refusal is said in Vietnamese
    assert response.status_code == 200
    assert "không hoàn thành tại đơn vị" in alerts(response) and is_vietnamese(alerts(response))
    assert textareas(response)["ket-qua"].strip() == "Nội dung vừa gõ"
    assert Report.objects.get(pk=drafts["coso"]).status == Status.DRAFT
    assert world()[:3] == before[:3]


def test_the_root_completes_its_own_report_and_cannot_send_it(login, ids):
    khoi = login("khoi")
    url = REPORT.format(ids["root_draft"])
    page = khoi.get(url)
    assert tree(page).xpath('//button[@value="complete"]') and not tree(page).xpath('//button[@value="send"]')
    before = world()
    response = khoi.post(url, {"action": "send", **CONFIRMED, **{f"text-{k}": v for k, v in textareas(page).items()}})
    assert response.status_code == 200 and "không gửi lên cấp trên" in alerts(response)
    assert Report.objects.get(pk=ids["root_draft"]).status == Status.DRAFT
    assert world()[:3] == before[:3]
    typed = {f"text-{k}": v for k, v in textareas(page).items()}
    response = khoi.post(url, {"action": "complete", **CONFIRMED, **typed})
    assert response.status_code == 302
    row = report_row(ids["root_draft"])
    assert row["status"] == "final" and row["number"] and row["issuer_symbol"] == "ĐUK"
    page = khoi.get(url)
    assert by_id(page, "status") == FINAL
    assert by_id(page, "number-symbol") == f"Số {row['number']:02d}-BC/ĐUK"
    assert step_kinds(ids["root_draft"])[-1] == "final"
    assert audit_actions(ids["root_draft"])[-1] == "report_complete"
    assert khoi.post(url, {"action": "complete"}).status_code == 404  # final: no longer editable


def test_khoi_sees_the_reports_received_on_its_own_report(login, ids):
    page = login("khoi").get(REPORT.format(ids["root_final"]))
    september = hand_reports("thang", "2024-09")
    sent = {pk for unit, (pk, status, _) in september.items() if status in ("submitted", "accepted")}
    linked = {
        int(m.group(1)) for h in tree(page).xpath("//ul/li/a/@href") if (m := re.fullmatch(r"/bao-cao/(\d+)/", h))
    }
    assert linked == sent


def hand_sent_to(superior_id: int, code: str, period: str) -> dict[int, tuple]:
    """{report id: (status, local day first sent)} of the reports of a type and period sent to a committee."""
    rows = sql("SELECT r.id, r.status, r.first_sent_at FROM reports_report r "
               "JOIN reports_reporttype t ON t.id = r.report_type_id "
               "WHERE t.code = %s AND r.period = %s AND r.to_unit_id = %s AND r.first_sent_at IS NOT NULL",
               [code, period, superior_id])  # fmt: skip
    return {pk: (status, local_day(sent)) for pk, status, sent in rows}


def stats_value(response, label: str) -> int:
    """The number at the start of a row of the report's statistics tables ('5 (Chi bộ …)' -> 5)."""
    for tr in tree(response).xpath('//table[contains(@class, "stats")]//tr'):
        if text(tr.xpath("./th")[0]) == label:
            return int(text(tr.xpath("./td")[0]).split(" ")[0].replace(".", ""))
    raise AssertionError(f"no row {label}")


def listed(response, list_id: str) -> set[int]:
    hrefs = tree(response).xpath(f'//ul[@id="{list_id}"]/li/a/@href')
    return {int(m.group(1)) for h in hrefs if (m := re.fullmatch(r"/bao-cao/(\d+)/", h))}


def test_the_list_under_a_frozen_report_is_what_its_figures_counted(login, ids):
    """The root's 09/2024 report was completed on 07/10/2024 with its figures frozen: so many units
    had sent theirs, five had not. The list below it names the reports sent by that day, as many as the
    figures count, and not the three sent afterwards, which are listed apart as sent later."""
    frozen = local_day(sql("SELECT sent_at FROM reports_report WHERE id = %s", [ids["root_final"]])[0][0])
    assert frozen == d(2024, 10, 7)
    sent = hand_sent_to(ids["root"], "thang", "2024-09")
    by_then = {pk for pk, (_, day) in sent.items() if day <= frozen}
    later = {pk for pk, (status, day) in sent.items() if day > frozen and status in ("submitted", "accepted")}
    assert later  # the demo: some units sent theirs after the root's report was completed
    response = login("khoi").get(REPORT.format(ids["root_final"]))
    counted = stats_value(response, "Nộp đúng hạn") + stats_value(response, "Nộp muộn")
    assert stats_value(response, "Chưa nộp") == stats_value(response, "Đơn vị phải báo cáo") - counted > 0
    assert listed(response, "received") == by_then and len(by_then) == counted
    assert listed(response, "received-later") == later
    words = page_text(response)
    assert f"đã gửi cùng kỳ đến ngày 07/10/2024, khi chốt số liệu ({counted})" in words
    assert f"Gửi sau ngày chốt số liệu, không tính trong số liệu trên ({len(later)})" in words


# --- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize("loai, ky, message", [
    ("thang", "2024-13", "Kỳ báo cáo “2024-13” không hợp lệ."),
    ("thang", "abc", "Kỳ báo cáo “abc” không hợp lệ."),
    ("thang", "", "không hợp lệ"),
    ("quy", "2024-Q5", "Kỳ báo cáo “2024-Q5” không hợp lệ."),
    ("nam", "24", "không hợp lệ"),
    ("tu-tuong", "2025-03", "Cấp trên không yêu cầu đơn vị báo cáo loại này."),
    ("dot-xuat", "2024-09", "Hãy chọn loại báo cáo."),
    ("", "2024-09", "Hãy chọn loại báo cáo."),
    ("khong-co", "2024-09", "Hãy chọn loại báo cáo."),
])  # fmt: skip
def test_a_bad_period_or_type_is_refused_and_kept_in_the_form(login, ids, loai, ky, message):
    # the root asks no report of opinion ("tu-tuong") in this test, whatever the demo's schedule says
    Schedule.objects.filter(superior_id=ids["root"], report_type__code="tu-tuong").update(active=False)
    coso = login("coso")
    before = world()
    response = coso.post(OPEN, {"loai": loai, "ky": ky})
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == LIST
    assert parse_qs(location.query, keep_blank_values=True) == {"loai": [loai], "ky": [ky]}
    assert world() == before
    page = coso.get(response["Location"])
    shown = alerts(page)
    assert message in shown and is_vietnamese(shown), shown
    # the periods are chosen, not typed: a key that is no period is not offered back
    if loai in ("thang", "quy", "nam"):
        assert ky not in tree(page).xpath(f'//form[@id="open-{loai}"]//select[@name="ky"]/option/@value')


@pytest.mark.parametrize("ky", ["tháng 9/2024", "2024-09 & 10", "2024-09#1", "2024+09"])
def test_what_was_typed_comes_back_whole_whatever_its_characters(login, ids, ky):
    """The address back to the form must carry the typed period intact (it is URL-encoded)."""
    coso = login("coso")
    response = coso.post(OPEN, {"loai": "thang", "ky": ky})
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == LIST
    assert parse_qs(location.query, keep_blank_values=True) == {"loai": ["thang"], "ky": [ky]}
    page = coso.get(response["Location"])
    assert f"Kỳ báo cáo “{ky}” không hợp lệ." in alerts(page)


@pytest.mark.parametrize("typed", ["2026-q3", " 2026-q3 "])
def test_a_period_typed_in_lower_case_is_the_same_period(login, ids, typed):
    """A quarter typed "2026-q3" is quarter 2026-Q3: one report, found on the board."""
    coso = login("coso")
    pk = redirected_to_report(coso.post(OPEN, {"loai": "quy", "ky": typed}))
    assert sql("SELECT period FROM reports_report WHERE id = %s", [pk]) == [("2026-Q3",)]
    assert redirected_to_report(coso.post(OPEN, {"loai": "quy", "ky": "2026-Q3"})) == pk
    assert sql("SELECT COUNT(*) FROM reports_report WHERE unit_id = %s AND UPPER(period) = '2026-Q3'",
               [ids["coso"]]) == [(1,)]  # fmt: skip


def test_a_future_period_has_not_started(login, ids):
    coso = login("coso")
    before = world()
    key = month_key(next_month(today()))
    response = coso.post(OPEN, {"loai": "thang", "ky": key})
    assert response.status_code == 302
    page = coso.get(response["Location"])
    assert "Kỳ báo cáo chưa bắt đầu." in alerts(page)
    offered = tree(page).xpath('//form[@id="open-thang"]//select[@name="ky"]/option/@value')
    assert key not in offered and month_key(today()) in offered
    assert world() == before
    # the current period has started and opens
    assert redirected_to_report(coso.post(OPEN, {"loai": "thang", "ky": month_key(today())}))


def test_a_cell_whose_committee_asks_nothing_opens_nothing(login, ids):
    chibo = login("chibo")
    page = chibo.get(LIST)
    assert not tree(page).xpath('//*[@id="open-report"]')
    before = world()
    response = chibo.post(OPEN, {"loai": "thang", "ky": "2026-10"})
    assert response.status_code == 302
    assert "Cấp trên không yêu cầu đơn vị báo cáo loại này." in alerts(chibo.get(response["Location"]))
    assert world() == before


def valid_request(**changes) -> dict:
    day = today()
    data = {
        "title": "Báo cáo nhanh tình hình tư tưởng sau đợt sắp xếp bộ máy",
        "questions": "Tình hình tư tưởng của cán bộ, đảng viên\r\nKiến nghị, đề xuất\r\n",
        "kinds": list(GRASSROOTS),
        "starts_on": (day - 10 * DAY).isoformat(),
        "ends_on": day.isoformat(),
        "due_on": (day + 7 * DAY).isoformat(),
    }
    return data | changes


@pytest.mark.parametrize("changes, name, message", [
    ({"title": "  "}, "title", "Hãy nhập nội dung yêu cầu báo cáo."),
    ({"questions": "\r\n  \r\n"}, "questions", "Hãy nhập ít nhất một câu hỏi"),
    ({"kinds": []}, "kinds", "Hãy chọn loại tổ chức phải báo cáo."),
    ({"kinds": ["superior"]}, "kinds", "Hãy chọn loại tổ chức phải báo cáo."),
    ({"starts_on": ""}, "starts_on", "Ngày không hợp lệ"),
    ({"ends_on": "31/02/2026"}, "ends_on", "Ngày không hợp lệ"),
    ({"due_on": "ngày mai"}, "due_on", "Ngày không hợp lệ"),
    ({"ends_on": "2026-10-01", "starts_on": "2026-10-20", "due_on": "2026-12-01"}, "ends_on",
     "Ngày kết thúc phải sau ngày bắt đầu."),
    ({"starts_on": "2026-11-01", "ends_on": "2026-11-20", "due_on": "2026-11-19"}, "due_on",
     "Hạn nộp không được trước ngày kết thúc kỳ số liệu."),
])  # fmt: skip
def test_a_bad_request_is_refused_with_its_values_kept(login, ids, changes, name, message):
    khoi = login("khoi")
    data = valid_request(**changes)
    before = world()
    response = khoi.post(REQUEST, data)
    assert response.status_code == 200
    shown = errors(response)
    assert message in shown and is_vietnamese(shown), shown
    found = tree(response).xpath(f'//form[@id="request-form"]//*[@name="{name}"]/ancestor::*'
                                 '[contains(concat(" ", @class, " "), " invalid ")]')  # fmt: skip
    assert found, f"{name} not marked invalid"
    for key in ("title", "starts_on", "ends_on", "due_on"):
        assert field(response, "request-form", key) == data[key], key
    assert field(response, "request-form", "questions").strip() == data["questions"].replace("\r\n", "\n").strip()
    checked = tree(response).xpath('//form[@id="request-form"]//input[@name="kinds"][@checked]/@value')
    assert sorted(checked) == sorted(k for k in data["kinds"] if k in GRASSROOTS)
    assert world() == before


def test_a_request_title_too_long_for_its_column_is_refused(login, ids):
    """The title is stored in 255 characters: a longer one is refused in Vietnamese, never a 500."""
    khoi = login("khoi")
    data = valid_request(title="Báo cáo tình hình " * 20)
    assert len(data["title"].strip()) > 255
    before = world()
    response = khoi.post(REQUEST, data)
    assert response.status_code == 200
    assert is_vietnamese(errors(response)) and field(response, "request-form", "title") == data["title"]
    assert world() == before


def test_a_request_is_sent_and_the_units_open_their_report_for_it(login, ids):
    khoi = login("khoi")
    page = khoi.get(REQUEST)
    assert page.status_code == 200 and tree(page).xpath('//form[@id="request-form"]')
    data = valid_request()
    count = AdHocRequest.objects.count()
    response = khoi.post(REQUEST, data)
    assert response.status_code == 302 and response["Location"] == LIST
    assert AdHocRequest.objects.count() == count + 1
    ask = AdHocRequest.objects.latest("pk")
    assert ask.superior_id == ids["root"] and ask.title == data["title"]
    assert ask.questions == ["Tình hình tư tưởng của cán bộ, đảng viên", "Kiến nghị, đề xuất"]
    assert sorted(ask.reporter_kinds) == sorted(GRASSROOTS)
    assert (ask.starts_on, ask.ends_on, ask.due_on) == (today() - 10 * DAY, today(), today() + 7 * DAY)
    assert AuditEntry.objects.filter(action="report_request", target_id=str(ask.pk)).count() == 1
    listed = khoi.get(LIST)
    assert "Đã gửi yêu cầu báo cáo đột xuất" in page_text(listed)
    assert f"{BOARD}?loai=dot-xuat&yeu-cau={ask.pk}" in [a.get("href") for a in tree(listed).xpath("//a")]

    # coso sees it and opens its report for it: one text area per question
    coso = login("coso")
    listed = coso.get(LIST)
    rows = tree(listed).xpath('//table[@id="requests"]/tbody/tr')
    assert any(data["title"] in text(tr) for tr in rows)
    assert tree(listed).xpath(f'//table[@id="requests"]//input[@name="yeu-cau"][@value="{ask.pk}"]')
    pk = redirected_to_report(coso.post(OPEN, {"yeu-cau": str(ask.pk)}))
    report = Report.objects.get(pk=pk)
    assert (report.unit_id, report.request_id, report.period, report.due_on) == (ids["coso"], ask.pk, f"dx{ask.pk}",
                                                                                  ask.due_on)  # fmt: skip
    page = coso.get(REPORT.format(pk))
    assert set(textareas(page)) == {"q1", "q2"}
    assert data["title"] in text(tree(page).xpath("//h1")[0])
    assert "Tình hình tư tưởng của cán bộ, đảng viên" in page_text(page)
    assert redirected_to_report(coso.post(OPEN, {"yeu-cau": str(ask.pk)})) == pk

    # the request's board lists the units asked, coso's draft not yet counted as sent
    board = khoi.get(BOARD + f"?loai=dot-xuat&yeu-cau={ask.pk}")
    assert board.status_code == 200
    rows = board_rows(board)
    expected = hand_units(ids["root"], GRASSROOTS, ask.ends_on)
    assert set(rows) == set(expected)
    assert set(rows.values()) == {"waiting"}
    assert data["title"] in page_text(board)

    # coso sends it, and the board says it came on time
    sent = coso.post(REPORT.format(pk), {"action": "send", **CONFIRMED, "text-q1": "Ổn định", "text-q2": ""})
    assert sent.status_code == 302
    board = khoi.get(BOARD + f"?loai=dot-xuat&yeu-cau={ask.pk}")
    assert board_rows(board)[ids["coso"]] == "on_time"


def test_a_request_not_asked_of_the_unit_is_refused(login, ids):
    """A cell of coso's committee is not asked by the root's request."""
    khoi = login("khoi")
    assert khoi.post(REQUEST, valid_request()).status_code == 302
    ask = AdHocRequest.objects.latest("pk")
    chibo = login("chibo")
    assert not tree(chibo.get(LIST)).xpath('//table[@id="requests"]')
    before = world()
    response = chibo.post(OPEN, {"yeu-cau": str(ask.pk)})
    assert response.status_code == 302
    assert "không" in alerts(chibo.get(response["Location"])).lower()
    assert world() == before


# --- the board ---------------------------------------------------------------------------------------


def test_the_board_of_september_2024_counts_on_time_late_and_missing(login, ids):
    response = login("khoi").get(BOARD + "?loai=thang&ky=2024-09")
    assert response.status_code == 200
    # worked out by hand: the grassroots organisations at the month's end, due on 05/10/2024
    units = hand_units(ids["root"], GRASSROOTS, d(2024, 9, 30))
    reports = hand_reports("thang", "2024-09")
    due = d(2024, 10, 5)
    expected = {}
    for unit in units:
        sent = local_day(reports[unit][2]) if unit in reports else None
        expected[unit] = "missing" if sent is None else ("on_time" if sent <= due else "late")
    tally = {k: sum(1 for v in expected.values() if v == k) for k in ("on_time", "late", "missing")}
    assert len(units) == 62 and tally == {"on_time": 56, "late": 4, "missing": 2}
    assert board_rows(response) == expected
    page = tree(response)
    assert len(page.xpath('//tr[contains(@class, "timeliness-late")]')) == 4
    assert len(page.xpath('//tr[contains(@class, "timeliness-missing")]')) == 2
    assert len(page.xpath('//tr[contains(@class, "timeliness-on_time")]')) == 56
    accepted = sum(1 for unit in units if unit in reports and reports[unit][1] == "accepted")
    assert by_id(response, "board-summary") == (
        f"Phải báo cáo: 62 · đúng hạn: 56 · muộn: 4 · chưa nộp, quá hạn: 2 · chưa đến hạn: 0 · đã tiếp nhận: {accepted}"
    )
    # each line sent links its report; the missing ones link nothing
    for unit, kind in expected.items():
        links = page.xpath(f'//tr[@id="unit-{unit}"]//a/@href')
        assert links == ([REPORT.format(reports[unit][0])] if kind != "missing" else []), unit
    # the names are the units' names at the month's end
    names = {int(tr.get("id").removeprefix("unit-")): text(tr.xpath("./td")[0])
             for tr in page.xpath('//table[@id="board"]/tbody/tr')}  # fmt: skip
    assert names == units
    assert "Báo cáo tháng tháng 9 năm 2024" in page_text(response)


def test_the_viewer_reads_the_same_board(login, ids):
    khoi = login("khoi").get(BOARD + "?loai=thang&ky=2024-09")
    xem = login("xem").get(BOARD + "?loai=thang&ky=2024-09")
    assert board_rows(xem) == board_rows(khoi)
    assert by_id(xem, "board-summary") == by_id(khoi, "board-summary")


def test_the_typhoon_request_board_lists_the_units_asked(login, ids):
    ask = AdHocRequest.objects.get(pk=ids["typhoon"])
    response = login("khoi").get(BOARD + f"?yeu-cau={ask.pk}")
    units = hand_units(ids["root"], GRASSROOTS, ask.ends_on)
    reports = hand_reports("dot-xuat", f"dx{ask.pk}")
    expected = {}
    for unit in units:
        sent = local_day(reports[unit][2]) if unit in reports else None
        expected[unit] = "missing" if sent is None else ("on_time" if sent <= ask.due_on else "late")
    assert board_rows(response) == expected
    assert "missing" in expected.values() and "late" in expected.values()
    assert ask.title in page_text(response)


@pytest.mark.parametrize("query, key", [
    ("?loai=thang&ky=2024-13", "2024-13"),
    ("?loai=thang&ky=abc", "abc"),
    ("?loai=quy&ky=2024-Q9", "2024-Q9"),
    ("?loai=nam&ky=%3Cb%3E", "<b>"),
])  # fmt: skip
def test_a_bad_board_period_says_so_in_vietnamese(login, ids, query, key):
    response = login("khoi").get(BOARD + query)
    assert response.status_code == 200
    shown = alerts(response)
    assert f"Kỳ báo cáo “{key}” không hợp lệ" in shown and is_vietnamese(shown), shown
    assert not tree(response).xpath('//table[@id="board"]')
    if key == "<b>":  # escaped, never markup
        assert "“&lt;b&gt;”" in response.content.decode()


def test_the_board_without_a_period_shows_the_last_month_ended(login, ids):
    response = login("khoi").get(BOARD)
    last = today().replace(day=1) - DAY
    chosen = tree(response).xpath('//select[@name="ky"]/option[@selected]/@value')
    assert chosen == [month_key(last)]
    assert set(board_rows(response)) == set(hand_units(ids["root"], GRASSROOTS, last))


def test_a_committee_without_schedules_says_so(login, ids):
    response = login("coso").get(BOARD)
    assert response.status_code == 200
    assert "Đơn vị chưa đặt lịch báo cáo cho cấp dưới." in page_text(response)
    assert not tree(response).xpath('//table[@id="board"]')


# --- downloads ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("username, report", [("coso", "coso_sent"), ("khoi", "coso_sent"), ("khoi", "root_final"),
                                              ("xem", "root_draft")])  # fmt: skip
def test_the_word_and_excel_files_download(login, ids, username, report):
    client = login(username)
    response = client.get(WORD.format(ids[report]))
    assert response.status_code == 200
    assert response["Content-Type"] == DOCX_TYPE
    assert response.content.startswith(b"PK")
    assert (
        response["Content-Disposition"].startswith('attachment; filename="')
        and ".docx" in response["Content-Disposition"]
    )
    with zipfile.ZipFile(io.BytesIO(response.content)) as docx:
        body = docx.read("word/document.xml").decode()
    assert "BÁO CÁO" in body
    response = client.get(EXCEL.format(ids[report]))
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_TYPE
    assert response.content.startswith(b"PK")
    assert ".xlsx" in response["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(response.content)) as workbook:
        assert "xl/workbook.xml" in workbook.namelist()


def test_the_word_file_carries_the_number_symbol(login, ids):
    row = report_row(ids["root_final"])
    response = login("khoi").get(WORD.format(ids["root_final"]))
    with zipfile.ZipFile(io.BytesIO(response.content)) as docx:
        body = re.sub(r"<[^>]+>", "", docx.read("word/document.xml").decode())
    assert f"Số {row['number']:02d}-BC/ĐUK" in body


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_the_pdf_downloads_when_libreoffice_is_installed(login, ids):
    response = login("coso").get(PDF.format(ids["coso_sent"]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert ".pdf" in response["Content-Disposition"]
    page = login("coso").get(REPORT.format(ids["coso_sent"]))
    assert PDF.format(ids["coso_sent"]) in [a.get("href") for a in tree(page).xpath("//a")]


def _without_office_says_so(client, report_id: int) -> None:
    response = client.get(PDF.format(report_id))
    assert response.status_code == 302 and response["Location"] == REPORT.format(report_id)
    page = client.get(response["Location"])
    shown = alerts(page)
    assert "LibreOffice" in shown and "Word" in shown and is_vietnamese(shown), shown
    assert PDF.format(report_id) not in [a.get("href") for a in tree(page).xpath("//a")]


@pytest.mark.skipif(shutil.which("soffice") is not None, reason="LibreOffice is installed")
def test_without_libreoffice_the_pdf_says_to_take_the_word_file(login, ids):
    _without_office_says_so(login("coso"), ids["coso_sent"])


def test_without_libreoffice_the_pdf_says_to_take_the_word_file_when_it_is_hidden(login, ids, monkeypatch):
    """The same branch, run here whatever is installed: LibreOffice hidden from the server."""
    from dangbo.lib import partydoc

    monkeypatch.setattr(partydoc, "office", lambda: None)
    _without_office_says_so(login("coso"), ids["coso_sent"])


# --- the cost in queries -----------------------------------------------------------------------------


def test_the_board_costs_the_same_for_62_units_as_for_a_few(login, ids, thang):
    khoi = login("khoi")
    many, response = count_queries(khoi, BOARD + f"?unit={ids['root']}&loai=thang&ky=2024-09")
    assert len(board_rows(response)) == 62
    # coso asks its cells for monthly reports too: its board has few lines
    Schedule.objects.create(superior_id=ids["coso"], report_type=thang, reporter_kinds=["attached_cell"], due_day=5)
    few, response = count_queries(khoi, BOARD + f"?unit={ids['coso']}&loai=thang&ky=2024-09")
    assert 0 < len(board_rows(response)) < 20
    assert many == few <= MAX_QUERIES
    # without `unit` the scope's own unit is read once less
    plain, _ = count_queries(khoi, BOARD + "?loai=thang&ky=2024-09")
    empty, response = count_queries(khoi, BOARD + "?loai=thang&ky=2026-11")
    assert empty == plain <= many
    typhoon, _ = count_queries(khoi, BOARD + f"?yeu-cau={ids['typhoon']}")
    assert typhoon <= MAX_QUERIES


def _bulk_reports(thang, units: list[int], to_unit: int, period: str, status: str) -> None:
    sent = timezone.now()
    Report.objects.bulk_create([
        Report(report_type=thang, unit_id=unit, to_unit_id=to_unit, period=period, starts_on=d(2026, 11, 1),
               ends_on=d(2026, 11, 30), due_on=d(2026, 12, 5), status=status, texts={"ket-qua": "x"},
               first_sent_at=sent, sent_at=sent)
        for unit in units
    ])  # fmt: skip


def test_the_list_costs_the_same_with_30_more_reports_waiting(login, ids, thang):
    khoi = login("khoi")
    before, response = count_queries(khoi, LIST)
    waiting = len(linked_reports(response, "waiting"))
    units = sorted(hand_units(ids["root"], GRASSROOTS, d(2026, 11, 1)))[:30]
    _bulk_reports(thang, units, ids["root"], "2026-11", Status.SUBMITTED)
    after, response = count_queries(khoi, LIST)
    assert len(linked_reports(response, "waiting")) == waiting + 30
    assert before == after <= MAX_QUERIES
    coso = login("coso")
    coso_before, _ = count_queries(coso, LIST)
    _bulk_reports(thang, [ids["coso"]], ids["root"], "2026-09", Status.ACCEPTED)
    coso_after, response = count_queries(coso, LIST)
    assert coso_before == coso_after <= MAX_QUERIES


def test_the_board_costs_the_same_with_30_more_reports(login, ids, thang):
    khoi = login("khoi")
    before, response = count_queries(khoi, BOARD + "?loai=thang&ky=2026-11")
    assert set(board_rows(response).values()) <= {"waiting", "missing"}
    units = sorted(hand_units(ids["root"], GRASSROOTS, d(2026, 11, 30)))[:30]
    _bulk_reports(thang, units, ids["root"], "2026-11", Status.SUBMITTED)
    after, response = count_queries(khoi, BOARD + "?loai=thang&ky=2026-11")
    assert sum(1 for v in board_rows(response).values() if v in ("on_time", "late")) == 30
    assert before == after <= MAX_QUERIES


def test_a_report_page_costs_the_same_with_many_steps(login, ids):
    khoi = login("khoi")
    url = REPORT.format(ids["coso_sent"])
    before, _ = count_queries(khoi, url)
    user = _user("khoi")
    Step.objects.bulk_create([Step(report_id=ids["coso_sent"], kind=Step.Kind.SENT, by=user, at=timezone.now())
                              for _ in range(30)])  # fmt: skip
    after, response = count_queries(khoi, url)
    assert by_id(response, "steps").count("Gửi báo cáo") >= 30
    assert before == after <= MAX_QUERIES


def test_the_roots_report_costs_the_same_with_60_reports_received_as_with_three(login, ids, thang):
    khoi = login("khoi")
    many, response = count_queries(khoi, REPORT.format(ids["root_final"]))
    received = "Báo cáo các đơn vị trực thuộc đã gửi cùng kỳ đến ngày {}, khi chốt số liệu ({})"
    sent = sum(1 for _, day in hand_sent_to(ids["root"], "thang", "2024-09").values() if day <= d(2024, 10, 7))
    assert sent > 50 and received.format("07/10/2024", sent) in page_text(response)
    july = sql("SELECT r.id FROM reports_report r JOIN reports_reporttype t ON t.id = r.report_type_id "
               "WHERE t.code = 'thang' AND r.period = '2025-07' AND r.unit_id = %s", [ids["root"]])[0][0]  # fmt: skip
    units = sorted(hand_units(ids["root"], GRASSROOTS, d(2025, 7, 31)))[:3]
    sent = datetime.datetime(2025, 8, 4, 9, tzinfo=LOCAL)  # before the root's report was completed
    Report.objects.bulk_create([
        Report(report_type=thang, unit_id=unit, to_unit_id=ids["root"], period="2025-07", starts_on=d(2025, 7, 1),
               ends_on=d(2025, 7, 31), due_on=d(2025, 8, 5), status=Status.ACCEPTED, texts={"ket-qua": "x"},
               first_sent_at=sent, sent_at=sent)
        for unit in units
    ])  # fmt: skip
    few, response = count_queries(khoi, REPORT.format(july))
    assert received.format("07/08/2025", 3) in page_text(response)
    assert many == few <= MAX_QUERIES


def test_a_number_given_within_the_year_says_so(login, ids):
    """A unit with no term recorded numbers its documents within the calendar year, not within a
    term as Hướng dẫn 36 asks: its report's page says so beside the number; a term's number does not."""
    khoi = login("khoi")
    yearly = Report.objects.filter(unit__versions__parent_id=ids["root"], term__isnull=True, number__isnull=False,
                                   period="2024-09", report_type__code="thang").first()  # fmt: skip
    in_term = Report.objects.filter(unit_id=ids["root"], period="2024-09", report_type__code="thang").get()
    assert yearly is not None and in_term.term_id is not None
    note = by_id(khoi.get(REPORT.format(yearly.pk)), "number-note")
    assert "chưa có nhiệm kỳ cấp ủy" in note and "trong năm 2024" in note
    page = khoi.get(REPORT.format(in_term.pk))
    assert by_id(page, "number-symbol") == in_term.number_symbol
    assert not tree(page).xpath('//*[@id="number-note"]')
