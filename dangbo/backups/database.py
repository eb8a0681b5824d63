"""The database half of a backup and of a restore, one function per engine.

A backup copies the database and reads its row counts and applied migrations from the same moment:
on SQLite from the copy the online backup API made (one step, so a consistent copy while others
write: the write-ahead log lets them go on); on PostgreSQL inside one repeatable-read transaction
whose snapshot pg_dump is given (`pg_dump --snapshot`), so the dump and the counts see the same
committed rows whatever is written meanwhile."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from django.db import connections

SQLITE = "sqlite"
POSTGRESQL = "postgresql"
ENGINE_LABELS = {SQLITE: "SQLite", POSTGRESQL: "PostgreSQL"}
DATABASE_MEMBER = {SQLITE: "database.sqlite3", POSTGRESQL: "database.pgdump"}


class BackupError(Exception):
    """A backup or a restore that cannot go on; the message is for the person who ran it."""


@dataclass
class Snapshot:
    counts: dict[str, int]
    migrations: dict[str, list[str]]


def engine_of(alias: str = "default") -> str:
    vendor = connections[alias].vendor
    if vendor not in ENGINE_LABELS:
        raise BackupError(f"Chỉ sao lưu và phục hồi được SQLite và PostgreSQL, không phải {vendor}.")
    return vendor


# --- what a database holds ------------------------------------------------------------------------


def table_names(cursor, engine: str) -> list[str]:
    if engine == SQLITE:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    else:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename")
    return [row[0] for row in cursor.fetchall()]


def row_counts(cursor, engine: str) -> dict[str, int]:
    """{table: rows} of every table of the database (of its current schema on PostgreSQL)."""
    counts = {}
    for table in table_names(cursor, engine):
        cursor.execute('SELECT COUNT(*) FROM "{}"'.format(table.replace('"', '""')))
        counts[table] = cursor.fetchone()[0]
    return counts


def applied_migrations(cursor) -> dict[str, list[str]]:
    """{app: [migration, …]} in the order they were applied."""
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY id")
    applied: dict[str, list[str]] = {}
    for app, name in cursor.fetchall():
        applied.setdefault(app, []).append(name)
    return applied


def existing_data(alias: str = "default") -> dict[str, int]:
    """The dangbo records the database already holds ({label: count}, only those with any): an
    installation with accounts, units or members is not empty, whatever else it holds (`migrate`
    alone writes a few rows, the report types and holidays, that a restore may replace)."""
    from dangbo.accounts.models import User
    from dangbo.members.models import Member
    from dangbo.orgs.models import Unit

    connection = connections[alias]
    with connection.cursor() as cursor:
        tables = set(table_names(cursor, engine_of(alias)))
        found = {}
        for label, model in (("tài khoản", User), ("đơn vị", Unit), ("đảng viên", Member)):
            if model._meta.db_table in tables:
                cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(model._meta.db_table)}")
                count = cursor.fetchone()[0]
                if count:
                    found[label] = count
    return found


# --- backing up -----------------------------------------------------------------------------------


def dump(alias: str, destination: Path) -> Snapshot:
    """Copy the database of `alias` into the file `destination`; its counts and migrations."""
    if engine_of(alias) == SQLITE:
        return _dump_sqlite(connections[alias].settings_dict, destination)
    return _dump_postgresql(alias, destination)


def _dump_sqlite(settings_dict: dict, destination: Path) -> Snapshot:
    source_path = str(settings_dict["NAME"])
    if not os.path.isfile(source_path):
        raise BackupError(f"Không có tệp cơ sở dữ liệu {source_path}.")
    timeout = settings_dict.get("OPTIONS", {}).get("timeout", 20)
    source, copy = sqlite3.connect(source_path, timeout=timeout), sqlite3.connect(destination)
    with closing(source), closing(copy):
        # pages=-1: every page in one step, inside one read transaction, so the copy is of one moment.
        source.backup(copy, pages=-1)
        # The archived file stands alone: no write-ahead log beside it.
        copy.execute("PRAGMA journal_mode=DELETE")
        (check,) = copy.execute("PRAGMA quick_check").fetchone()
        if check != "ok":
            raise BackupError(f"Cơ sở dữ liệu bị lỗi, không sao lưu: PRAGMA quick_check trả về “{check}”.")
        cursor = copy.cursor()
        return Snapshot(counts=row_counts(cursor, SQLITE), migrations=applied_migrations(cursor))


def _pg_environment(settings_dict: dict) -> dict[str, str]:
    """The connection of settings.DATABASES for pg_dump and pg_restore; the password through
    PGPASSWORD, never on the command line where `ps` would show it."""
    env = dict(os.environ)
    for key, variable in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if settings_dict.get(key):
            env[variable] = str(settings_dict[key])
    return env


def _program(name: str) -> str:
    path = shutil.which(name)
    if not path:
        raise BackupError(
            f"Không tìm thấy chương trình {name} (cần cho PostgreSQL): hãy cài gói postgresql-client "
            f"cùng phiên bản với máy chủ, ví dụ: apt-get install postgresql-client."
        )
    return path


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode:
        raise BackupError(f"{what} không thành công (mã {done.returncode}): {done.stderr.strip()}")


def _dump_postgresql(alias: str, destination: Path) -> Snapshot:
    pg_dump = _program("pg_dump")
    # A connection of its own: the transaction below must be the first thing it does.
    connection = connections.create_connection(alias)
    try:
        connection.set_autocommit(False)
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            (snapshot_id,) = cursor.fetchone()
            counts = row_counts(cursor, POSTGRESQL)
            migrations = applied_migrations(cursor)
            # The transaction stays open while pg_dump reads through its snapshot.
            settings_dict = connection.settings_dict
            command = [pg_dump, "--format=custom", f"--snapshot={snapshot_id}", "--no-password",
                       f"--file={destination}", f"--dbname={settings_dict['NAME']}"]  # fmt: skip
            _run(command, _pg_environment(settings_dict), "pg_dump")
        connection.rollback()
    finally:
        connection.close()
    return Snapshot(counts=counts, migrations=migrations)


# --- restoring ------------------------------------------------------------------------------------


def load(alias: str, source: Path) -> None:
    """Put the database file of an archive into the (empty) database of `alias`."""
    connections[alias].close()
    if engine_of(alias) == SQLITE:
        _load_sqlite(connections[alias].settings_dict, source)
    else:
        _load_postgresql(alias, source)
    connections[alias].close()


def _load_sqlite(settings_dict: dict, source: Path) -> None:
    # The backup API in reverse rather than a copy of the file: it goes through SQLite's locks and
    # its write-ahead log, where a file copied over an existing database would meet a stale log.
    target = str(settings_dict["NAME"])
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    timeout = settings_dict.get("OPTIONS", {}).get("timeout", 20)
    with closing(sqlite3.connect(source)) as archived, closing(sqlite3.connect(target, timeout=timeout)) as database:
        archived.backup(database, pages=-1)
        (check,) = database.execute("PRAGMA quick_check").fetchone()
    if check != "ok":
        raise BackupError(f"Cơ sở dữ liệu phục hồi bị lỗi: PRAGMA quick_check trả về “{check}”.")


def _load_postgresql(alias: str, source: Path) -> None:
    pg_restore = _program("pg_restore")
    connection = connections[alias]
    # The target holds no dangbo data (checked before), at most the tables `migrate` made: they go,
    # so that the archive's own tables, at the archive's migrations, take their place.
    with connection.cursor() as cursor:
        tables = table_names(cursor, POSTGRESQL)
        if tables:
            cursor.execute("DROP TABLE {} CASCADE".format(", ".join(connection.ops.quote_name(t) for t in tables)))
    connection.close()
    settings_dict = connection.settings_dict
    command = [pg_restore, "--no-owner", "--no-acl", "--exit-on-error", "--single-transaction", "--no-password",
               f"--dbname={settings_dict['NAME']}", str(source)]  # fmt: skip
    _run(command, _pg_environment(settings_dict), "pg_restore")


def current_counts(alias: str = "default") -> dict[str, int]:
    with connections[alias].cursor() as cursor:
        return row_counts(cursor, engine_of(alias))
