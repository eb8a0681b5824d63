"""A process killed in the middle of a multi-row write leaves nothing of it: the exchange import of
a workbook (new units and their versions, members, their events and stints, in one transaction) is
killed with SIGKILL once it has written them and is about to refresh the tallies. Afterwards
the database holds none of its rows, passes SQLite's integrity check, and takes the same import
again, whole. The writer is another process on the same committed database (a file on SQLite, the
test database on PostgreSQL)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from django.db import connection

from dangbo.exchange.example import example_workbook
from dangbo.exchange.importer import run_import
from dangbo.exchange.reader import open_book
from dangbo.members.models import Member, UnitTally
from dangbo.orgs.models import Unit, UnitVersion
from tests import elsewhere
from tests.conftest import committed_demo_back

MEMBERS = 20


@pytest.fixture
def committed_demo(transactional_db) -> dict:
    return committed_demo_back()


def integrity() -> str:
    if connection.vendor != "sqlite":
        return "ok"
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA integrity_check")
        return cursor.fetchone()[0]


def test_an_import_killed_inside_its_transaction_leaves_nothing(committed_demo, tmp_path):
    on = UnitVersion.objects.on(elsewhere.HORIZON).get(unit_id=committed_demo["coso"])
    workbook = tmp_path / "vi-du.xlsx"
    example_workbook(on, elsewhere.HORIZON).save(workbook)
    before = elsewhere.table_counts()

    started = time.monotonic()
    writer = subprocess.Popen(
        [sys.executable, "-m", "tests.killed_writer", str(workbook), UnitTally._meta.db_table],
        cwd=elsewhere.BASE_DIR, env=elsewhere.environment(elsewhere.database_url(connection.settings_dict), tmp_path),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        line = writer.stdout.readline()
        assert line, writer.stderr.read()
        seen = json.loads(line)
    finally:
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait(timeout=10)
    assert writer.returncode == -signal.SIGKILL
    assert time.monotonic() - started < 30

    # It was killed in the middle of the write: inside the transaction, its rows were there.
    assert seen["in_atomic_block"]
    grew = {table for table, count in seen["counts"].items() if count > before[table]}
    assert {"members_member", "members_event", "members_stint", "orgs_unit", "orgs_unitversion"} <= grew, grew
    assert seen["counts"]["members_member"] == before["members_member"] + MEMBERS

    # None of them outlived it.
    connection.close()
    assert integrity() == "ok"
    assert elsewhere.table_counts() == before
    assert not Unit.objects.filter(code__startswith="VD-").exists()

    # The database takes the same import again, whole (no lock, row or number left behind).
    book = open_book([(workbook.name, str(workbook))])
    try:
        run_import(book, commit=True)
    finally:
        book.close()
    assert Member.unscoped.count() == before["members_member"] + MEMBERS
    assert Unit.objects.filter(code__startswith="VD-").count() == 3
    assert integrity() == "ok"
