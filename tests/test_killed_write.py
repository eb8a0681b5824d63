"""A process killed in the middle of a multi-row write leaves nothing of it. Two writes, each in one
transaction, killed with SIGKILL by another process once they have written most of their rows:

- the exchange import of a workbook (new units and their versions, members, their events and
  stints), about to refresh the tallies;
- the accounts of ten units that have none (accounts and their audit entries), at the fifth account.

Afterwards the database holds none of their rows, passes SQLite's integrity check, and takes the
same write again, whole (no lock, row or number left behind). The writer is another process on the
same committed database (a file on SQLite, the test database on PostgreSQL)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from django.db import connection

from dangbo.accounts import actions as account_actions
from dangbo.accounts.models import User
from dangbo.accounts.scope import Scope
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


def killed(tmp_path, *args: str) -> dict:
    """Run tests.killed_writer with `args` on the test's database, kill it where it stops; what it saw."""
    started = time.monotonic()
    writer = subprocess.Popen(
        [sys.executable, "-m", "tests.killed_writer", *args],
        cwd=elsewhere.BASE_DIR, env=elsewhere.environment(elsewhere.database_url(connection.settings_dict), tmp_path),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        line = writer.stdout.readline()
        assert line, writer.stderr.read()
    finally:
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait(timeout=10)
    assert writer.returncode == -signal.SIGKILL
    assert time.monotonic() - started < 30
    connection.close()
    seen = json.loads(line)
    assert seen["in_atomic_block"]  # killed inside the write's transaction
    return seen


def grown(seen: dict, before: dict) -> dict[str, int]:
    return {table: count - before[table] for table, count in seen["counts"].items() if count != before[table]}


def test_writes_killed_inside_their_transaction_leave_nothing(committed_demo, tmp_path):
    on = UnitVersion.objects.on(elsewhere.HORIZON).get(unit_id=committed_demo["coso"])
    workbook = tmp_path / "vi-du.xlsx"
    example_workbook(on, elsewhere.HORIZON).save(workbook)
    before = elsewhere.table_counts()

    seen = killed(tmp_path, "import", UnitTally._meta.db_table, "1", str(workbook))
    # Inside its transaction, its rows were there.
    grew = grown(seen, before)
    assert {"members_member", "members_event", "members_stint", "orgs_unit", "orgs_unitversion"} <= set(grew), grew
    assert grew["members_member"] == MEMBERS and grew["orgs_unit"] == 3

    # None of them outlived it.
    assert integrity() == "ok"
    assert elsewhere.table_counts() == before
    assert not Unit.objects.filter(code__startswith="VD-").exists()

    # The database takes the same import again, whole.
    book = open_book([(workbook.name, str(workbook))])
    try:
        run_import(book, commit=True)
    finally:
        book.close()
    assert Member.unscoped.count() == before["members_member"] + MEMBERS
    assert Unit.objects.filter(code__startswith="VD-").count() == 3

    # The accounts of ten units without one, killed at the fifth.
    khoi = User.objects.get(username="khoi")
    scope = Scope(unit_id=khoi.unit_id, sees_people=True, records=True)
    eligible = [version.unit_id for version, _ in account_actions.eligible_units(khoi, scope)][:10]
    assert len(eligible) == 10
    before = elsewhere.table_counts()

    seen = killed(tmp_path, "accounts", f'INSERT INTO "{User._meta.db_table}"', "5")
    grew = grown(seen, before)
    assert grew[User._meta.db_table] == 4 and grew["audit_auditentry"] == 4, grew

    assert integrity() == "ok"
    assert elsewhere.table_counts() == before
    issued = account_actions.create_unit_accounts(khoi, scope, eligible)
    assert len(issued) == len(eligible)
    assert User.objects.count() == before[User._meta.db_table] + len(eligible)
