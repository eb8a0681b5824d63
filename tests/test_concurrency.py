"""Twenty simultaneous submissions, each request in its own thread with its own database connection:
no 5xx, and one record where one was asked for. On SQLite writers queue for the write lock (immediate
transactions, a busy timeout); on PostgreSQL the one-time form token and the natural keys make the
later ones find what the first wrote.

A transactional test: its writes are committed so the threads see them, and the database is emptied
when it ends (the demo is rebuilt first if an earlier transactional test emptied it). All the checks
run in this one test to pay for that once."""

from __future__ import annotations

import threading

import lxml.html
import pytest
from django.db import connections
from django.test import Client

from dangbo.accounts.models import User
from dangbo.admissions.models import Candidate
from dangbo.members.models import Member
from dangbo.once.tokens import FIELD, new_key
from dangbo.ratings.models import Discipline
from dangbo.reports.models import Report
from dangbo.targets.models import ModelRegistration
from dangbo.tasks.models import Task, TaskUpdate
from tests.conftest import committed_demo_back
from tests.test_discipline import member_of_cell, record_data
from tests.test_pipeline import admit_url, decision, ready
from tests.test_target_pages import registration_form
from tests.test_task_views import new_task_form

WRITERS = 20


@pytest.fixture
def committed_demo(transactional_db) -> dict:
    return committed_demo_back()


def at_once(username: str, url: str, forms: list[dict]) -> list[int]:
    """POST each form at the same moment from its own client and thread; the answers' status codes
    (an exception raised by a view counts as 500)."""
    user = User.objects.get(username=username)
    clients = []
    for _ in forms:
        client = Client()
        client.force_login(user)
        clients.append(client)
    barrier = threading.Barrier(len(forms))
    statuses: list[int | str] = [0] * len(forms)

    def send(i: int) -> None:
        try:
            barrier.wait()
            statuses[i] = clients[i].post(url, forms[i]).status_code
        except Exception as error:  # noqa: BLE001 - a view's exception is the 500 this test looks for
            statuses[i] = f"500 {type(error).__name__}: {error}"
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(forms))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def identical(data: dict) -> list[dict]:
    """One form sent twenty times: the same token in each."""
    return [data | {FIELD: new_key()}] * WRITERS


def fresh(data: dict) -> list[dict]:
    """Twenty users sending the same values, each from a form of their own."""
    return [data | {FIELD: new_key()} for _ in range(WRITERS)]


def test_twenty_simultaneous_submissions_write_once_and_never_fail(committed_demo):
    demo = committed_demo
    # Twenty staff open the same report at once (each their own form): one report, the same for all.
    statuses = at_once("coso", "/bao-cao/lap/", fresh({"loai": "thang", "ky": "2026-10"}))
    assert statuses == [302] * WRITERS, statuses
    (report,) = Report.objects.filter(unit_id=demo["coso"], period="2026-10", report_type__code="thang")

    # Twenty saves of its text at once (a read, then a write, in each): they queue, none fails.
    saves = [{"action": "save", "text-tinh-hinh": f"Lần lưu {i}"} for i in range(WRITERS)]
    statuses = at_once("coso", f"/bao-cao/{report.pk}/", saves)
    assert statuses == [302] * WRITERS, statuses
    report.refresh_from_db()
    assert report.texts["tinh-hinh"] in {f"Lần lưu {i}" for i in range(WRITERS)}

    # One admission decision sent twenty times: one member.
    candidate = ready(demo["chibo"])
    members = Member.unscoped.count()
    statuses = at_once("coso", admit_url(candidate), identical(decision()))
    assert statuses == [302] * WRITERS, statuses
    assert Member.unscoped.count() == members + 1
    assert Candidate.unscoped.get(pk=candidate.pk).member_id is not None

    # A discipline, a "Dân vận khéo" registration, a task: one each.
    member_id = member_of_cell(demo["chibo"])
    statuses = at_once("coso", "/xep-loai/ky-luat/", identical(record_data(**{"dang-vien": member_id,
                                                                              "decision": "9-QĐ/ĐU"})))  # fmt: skip
    assert statuses == [302] * WRITERS, statuses
    assert Discipline.unscoped.filter(decision="9-QĐ/ĐU").count() == 1

    statuses = at_once("coso", "/chi-tieu/dan-van-kheo/", identical(registration_form(demo["chibo"])))
    assert statuses == [302] * WRITERS, statuses
    assert ModelRegistration.objects.filter(name="Chi bộ đồng hành cùng người dân").count() == 1

    khoi = Client()
    khoi.force_login(User.objects.get(username="khoi"))
    page = lxml.html.fromstring(khoi.get(f"/nhiem-vu/moi/?responsible_unit={demo['coso']}").content.decode())
    head = next(v for v in page.xpath('//form[@id="task-form"]//select[@name="head"]/option/@value') if v)
    task_form = new_task_form(demo["coso"], head)
    statuses = at_once("khoi", "/nhiem-vu/moi/", identical(task_form))
    assert statuses == [302] * WRITERS, statuses
    (task,) = Task.objects.filter(title=task_form["title"])

    # Twenty different progress notes on one task at once: all written, none lost.
    notes = [{"action": "progress", "progress": str(10 + i), "note": f"Ghi chú {i}", FIELD: new_key()}
             for i in range(WRITERS)]  # fmt: skip
    statuses = at_once("coso", f"/nhiem-vu/{task.pk}/", notes)
    assert statuses == [302] * WRITERS, statuses
    assert TaskUpdate.objects.filter(task=task, kind="progress").count() == WRITERS
