"""`python -m tests.killed_writer WRITE MARKER N [WORKBOOK]`: one multi-row write, stopped inside its
transaction just before the N-th statement containing MARKER. There it prints what it sees (its own
uncommitted rows included) and waits to be killed. WRITE is one of:

- import: the exchange import of WORKBOOK, as `manage.py import_workbook` runs it;
- accounts: the accounts of the first ten units of khoi's scope that have none, as the accounts page
  makes them."""

import json
import sys
import time

import django


def write(what: str, workbook: str | None) -> None:
    from django.core.management import call_command

    if what == "import":
        call_command("import_workbook", workbook)
        return
    from dangbo.accounts import actions
    from dangbo.accounts.models import User
    from dangbo.accounts.scope import Scope

    actor = User.objects.get(username="khoi")
    scope = Scope(unit_id=actor.unit_id, sees_people=True, records=True)
    unit_ids = [version.unit_id for version, _ in actions.eligible_units(actor, scope)][:10]
    actions.create_unit_accounts(actor, scope, unit_ids)


def main(what: str, marker: str, count: str, workbook: str | None = None) -> None:
    django.setup()
    from django.db import connection

    from tests.elsewhere import table_counts

    state = {"seen": 0}

    def pause(execute, sql, params, many, context):
        if state["seen"] < int(count) and marker in sql:
            state["seen"] += 1
            if state["seen"] == int(count):
                print(json.dumps({"in_atomic_block": connection.in_atomic_block, "counts": table_counts()}), flush=True)
                time.sleep(600)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(pause):
        write(what, workbook)


if __name__ == "__main__":
    main(*sys.argv[1:])
