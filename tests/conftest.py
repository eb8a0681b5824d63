"""Shared fixtures. The demo committee is loaded once per test session into the test database;
each test runs in a transaction that is rolled back, so tests see it unchanged.

Personas (each logs in with password "demo"):
- khoi: superior_staff at the root — sees everything.
- coso: grassroots_staff of one đảng bộ cơ sở — sees that committee's subtree.
- chibo: cell_secretary of one chi bộ trực thuộc inside coso's committee — sees that cell.
- xem: viewer at the root — aggregated figures only, never a person's record.
- outsider_cell: cell_secretary of another chi bộ in another committee (created by `outsider`).

The clock: the whole session runs on the demo's last day (HORIZON, 27/11/2026, from 08:00 in
Hà Nội), whatever the real date, so no test depends on the wall clock; time moves on from there.
Run the suite with the machine's clock a year ahead (faketime) and it reads the same.
"""

from __future__ import annotations

import datetime
import os
import shutil
import tempfile
from pathlib import Path

import pytest
import time_machine
from django.conf import settings

from dangbo.demo.builder import REFERENCE_DAY, build_demo
from dangbo.demo.days import HORIZON
from tests.snapshot import Snapshot

# Started when this file is imported, before any test module is: module-level dates read it too.
HANOI = datetime.timezone(datetime.timedelta(hours=7))
CLOCK = time_machine.travel(datetime.datetime(HORIZON.year, HORIZON.month, HORIZON.day, 8, tzinfo=HANOI), tick=True)
CLOCK.start()

# Fast password hashing in tests; real hashing is Django's default.
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# On SQLite the test database is a file, as in production: in the shared in-memory database that
# Django uses otherwise, a writer that finds another one answers "database table is locked" at once
# instead of waiting its turn, so simultaneous requests (test_concurrency.py) could not be tested.
# One file per test process, removed when the session ends.
if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = str(
        Path(tempfile.gettempdir()) / f"dangbo-test-{os.getpid()}.sqlite3"
    )

DEMO = {}
SNAPSHOT = Snapshot()


def _commits(item) -> bool:
    return bool({"transactional_db", "live_server", "demo_live", "committed_demo"} & set(item.fixturenames))


@pytest.fixture(scope="session")
def django_db_setup(request, django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        DEMO.update(build_demo())
        # Only a session with committed tests needs the copy (tests.snapshot).
        if any(_commits(item) for item in request.session.items):
            SNAPSHOT.take()
    yield
    with django_db_blocker.unblock():
        SNAPSHOT.drop()


def committed_demo_back() -> dict:
    """The session's demo, committed: a transactional test empties the database when it ends, so
    the next one gets the demo back from the copy taken when it was built (or builds it again, if
    no copy was taken)."""
    from django.db import connection

    from dangbo.orgs.models import Unit

    # A connection opened before the database was made again from its copy is no longer one to it.
    connection.close()
    if not Unit.objects.exists():
        if SNAPSHOT.taken:
            SNAPSHOT.restore()
        else:
            DEMO.update(build_demo())
    return dict(DEMO)


@pytest.fixture
def demo(db) -> dict:
    """Ids of the demo's root, coso's committee and chibo's cell."""
    return dict(DEMO)


@pytest.fixture
def client():
    """pytest-django's client, posting forms with their one-time token (helpers.FormClient)."""
    from tests.helpers import FormClient

    return FormClient()


@pytest.fixture
def reference_day() -> datetime.date:
    return REFERENCE_DAY


def login(client, username: str):
    assert client.login(username=username, password="demo"), username
    return client


@pytest.fixture
def as_user(client, demo):
    """as_user("khoi") -> a test client logged in as that persona."""

    def make(username: str):
        client.logout()
        return login(client, username)

    return make


@pytest.fixture
def outsider(demo):
    """A cell secretary of a cell outside coso's committee; returns (username, cell unit id)."""
    from dangbo.accounts.models import Role, User
    from dangbo.orgs.models import UnitKind, UnitVersion

    coso_path = UnitVersion.objects.on(REFERENCE_DAY).get(unit_id=demo["coso"]).path
    cell = (
        UnitVersion.objects.on(datetime.date.today())
        .filter(kind=UnitKind.ATTACHED_CELL)
        .exclude(path__startswith=coso_path)
        .order_by("path")
        .first()
    )
    user = User(username="ngoai", role=Role.CELL_SECRETARY, unit_id=cell.unit_id)
    user.set_password("demo")
    user.save()
    return "ngoai", cell.unit_id


# Browser tests use Debian's Chromium through Playwright (Playwright's own download is not used).
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def browser_page():
    # Playwright's sync API runs an event loop in this thread; the live server runs Django in another.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"],
        )  # fmt: skip
        page = browser.new_page(locale="vi-VN")
        page.set_default_timeout(15_000)
        yield page
        browser.close()


@pytest.fixture
def demo_live(transactional_db, live_server):
    """The session's demo committee is committed, so the live server sees it (`committed_demo_back`)."""
    return committed_demo_back(), live_server.url


def pytest_sessionfinish(session, exitstatus):
    """Django removes the SQLite test database's file, not the write-ahead log beside it."""
    test = settings.DATABASES["default"].get("TEST", {})
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3" and test.get("NAME"):
        for suffix in ("-wal", "-shm"):
            Path(test["NAME"] + suffix).unlink(missing_ok=True)


def pytest_report_header(config):
    if CHROMIUM:
        return f"browser tests: Chromium at {CHROMIUM}"
    return "browser tests: SKIPPED — Chromium is not installed (apt-get install -y chromium)"
