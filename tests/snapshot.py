"""A copy of the test database as the session built it, to put back after a committed test.

A transactional test (the browser's, the concurrent writers') commits, so its database is emptied
when it ends; the next one that needs the demo used to build it again, a minute each time. The copy
puts it back in a second or two, with the same ids: SQLite copies its pages with the backup API,
PostgreSQL makes the database again from a template database."""

from __future__ import annotations

import sqlite3

from django.db import connection


class Snapshot:
    def __init__(self):
        self.taken = False

    @property
    def _name(self) -> str:
        return connection.settings_dict["NAME"]

    def _copy_name(self) -> str:
        return f"{self._name}_demo"

    def take(self) -> None:
        if connection.vendor == "sqlite":
            connection.ensure_connection()
            with sqlite3.connect(self._copy_name()) as copy:
                connection.connection.backup(copy)
        else:
            connection.close()  # a template database may have no other connection
            with connection._nodb_cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{self._copy_name()}"')
                cursor.execute(f'CREATE DATABASE "{self._copy_name()}" TEMPLATE "{self._name}"')
        self.taken = True

    def restore(self) -> None:
        if connection.vendor == "sqlite":
            connection.ensure_connection()
            with sqlite3.connect(self._copy_name()) as copy:
                copy.backup(connection.connection)
        else:
            connection.close()
            with connection._nodb_cursor() as cursor:
                cursor.execute(f'DROP DATABASE "{self._name}" WITH (FORCE)')
                cursor.execute(f'CREATE DATABASE "{self._name}" TEMPLATE "{self._copy_name()}"')

    def drop(self) -> None:
        if not self.taken:
            return
        if connection.vendor == "sqlite":
            import os

            for suffix in ("", "-wal", "-shm", "-journal"):
                if os.path.exists(self._copy_name() + suffix):
                    os.remove(self._copy_name() + suffix)
        else:
            connection.close()
            with connection._nodb_cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{self._copy_name()}" WITH (FORCE)')
        self.taken = False
