"""`python -m tests.killed_writer WORKBOOK TABLE`: the exchange import of WORKBOOK, as
`manage.py import_workbook` runs it, stopped inside its one transaction at the first statement that
names TABLE. There it prints what it sees (its own uncommitted rows included) and waits to be killed."""

import json
import sys
import time

import django


def main(workbook: str, table: str) -> None:
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from tests.elsewhere import table_counts

    state = {"paused": False}

    def pause(execute, sql, params, many, context):
        if not state["paused"] and table in sql:
            state["paused"] = True
            seen = {"in_atomic_block": connection.in_atomic_block, "counts": table_counts()}
            print(json.dumps(seen), flush=True)
            time.sleep(600)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(pause):
        call_command("import_workbook", workbook)


if __name__ == "__main__":
    main(*sys.argv[1:3])
