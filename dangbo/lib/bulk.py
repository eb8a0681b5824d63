"""Inserting many new rows at once, for a committee's first import: PostgreSQL takes them by COPY,
SQLite by one prepared statement run over every row. The ORM's bulk_create spent more time
compiling its SQL (preparing each of millions of values through its field, then quoting thousands
of parameters into each statement) than the database spent storing the rows. The tallies' rows,
already plain values, go through `insert_rows`.

Only plain columns are passed as they are (text, numbers, booleans, dates, foreign keys); every
other field (date-times, files …) goes through the field's own preparation, as the ORM does. Model
save() methods and signals do not run, as with bulk_create."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection, models

_PLAIN = (models.CharField, models.TextField, models.IntegerField, models.BooleanField, models.ForeignKey)


def _plain(field) -> bool:
    if isinstance(field, models.DateTimeField):
        return False
    if isinstance(field, models.DateField):
        return not (field.auto_now or field.auto_now_add)
    return isinstance(field, _PLAIN) and not isinstance(field, models.FileField)


def _value_getter(field):
    """The value stored for `field` of a new object, read the way the ORM's insert reads it."""
    attname = field.attname
    if _plain(field):
        return lambda obj: getattr(obj, attname)
    return lambda obj: field.get_db_prep_save(field.pre_save(obj, True), connection)


def _new_ids(model, count: int) -> list[int]:
    """`count` primary keys no row has had, taken in the writing transaction."""
    table, column = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                           [table, column, count])  # fmt: skip
            return [row[0] for row in cursor.fetchall()]
        # SQLite: the write lock is held from the transaction's first statement (IMMEDIATE), so no
        # one else takes these numbers; AUTOINCREMENT never gives again an id once used.
        if not connection.in_atomic_block:
            raise RuntimeError("new ids are taken inside the writing transaction")
        cursor.execute(f'SELECT MAX("{column}") FROM "{table}"')
        last = cursor.fetchone()[0] or 0
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        used = cursor.fetchone()
        start = max(last, used[0] if used else 0) + 1
        return list(range(start, start + count))


def insert_rows(table: str, columns: Sequence[str], rows) -> None:
    """Insert `rows` (tuples of values for `columns`, ready for the database) into `table`: COPY on
    PostgreSQL; on SQLite, INSERTs of up to 500 rows each."""
    quote = connection.ops.quote_name
    names = ", ".join(quote(column) for column in columns)
    # Errors come out as Django's (IntegrityError …), as they do from the ORM.
    with connection.cursor() as cursor, connection.wrap_database_errors:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        rows = list(rows)
        one_row = "(" + ", ".join(["%s"] * len(columns)) + ")"
        for first in range(0, len(rows), 500):
            part = rows[first : first + 500]
            cursor.execute(f"INSERT INTO {quote(table)} ({names}) VALUES {', '.join([one_row] * len(part))}",
                           [value for row in part for value in row])  # fmt: skip


def insert(model, objs: Sequence[models.Model]) -> None:
    """Insert the new `objs` of `model`, giving each its primary key."""
    if not objs:
        return
    for obj, pk in zip(objs, _new_ids(model, len(objs)), strict=True):
        obj.pk = pk
    fields = list(model._meta.concrete_fields)
    getters = [_value_getter(field) for field in fields]
    insert_rows(model._meta.db_table, [field.column for field in fields],
                ([get(obj) for get in getters] for obj in objs))  # fmt: skip
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias
