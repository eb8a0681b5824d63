"""The tree knows no people: no module of dangbo/orgs imports an app that holds people, or the
overview built above both, nor reaches one through the app registry (apps.get_model("members", …)).
The tree announces its changes (orgs.signals) and those apps answer (members/receivers.py)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ORGS = Path(__file__).resolve().parent.parent / "dangbo" / "orgs"
PEOPLE_APPS = {"members", "admissions", "meetings", "ratings", "reports", "tasks", "targets", "notices", "overview"}


def people_references(source: str) -> list[str]:
    """Each import of a people app (absolute `dangbo.<app>` or relative from the parent package) and
    each `get_model("<app>", …)` / `get_model("<app>.<Model>")` naming one, as text."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if _app_of(alias.name) in PEOPLE_APPS]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and _app_of(node.module or "") in PEOPLE_APPS:
                found.append(node.module)
            elif node.level == 2:  # from ..members import x, from ..members.y import z
                first = (node.module or "").split(".")[0]
                names = [first] if first else [alias.name for alias in node.names]
                found += [f"..{name}" for name in names if name in PEOPLE_APPS]
        elif isinstance(node, ast.Call) and _called(node) == "get_model" and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                if first.value.split(".")[0] in PEOPLE_APPS:
                    found.append(f"get_model({first.value!r})")
    return found


def _app_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "dangbo" else None


def _called(call: ast.Call) -> str | None:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None


def orgs_modules() -> list[Path]:
    return sorted(p for p in ORGS.rglob("*.py"))


def test_the_orgs_modules_are_read():
    names = {p.relative_to(ORGS).as_posix() for p in orgs_modules()}
    assert {"actions.py", "admin.py", "models.py", "signals.py"} <= names
    assert any(name.startswith("migrations/") for name in names)


@pytest.mark.parametrize("path", orgs_modules(), ids=lambda p: p.relative_to(ORGS).as_posix())
def test_orgs_knows_no_people(path):
    assert people_references(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    "source, found",
    [
        # What dangbo/orgs held before the overview moved out and the tree learnt to announce.
        ("from dangbo.members.figures import AGE_BANDS", ["dangbo.members.figures"]),
        ("def f():\n    from dangbo.members.tallies import refresh_tallies", ["dangbo.members.tallies"]),
        ("Stint = apps.get_model('members', 'Stint')", ["get_model('members')"]),
        ("from dangbo.admissions.deadlines import pipeline_deadlines", ["dangbo.admissions.deadlines"]),
        ("from dangbo.notices.todo import todo", ["dangbo.notices.todo"]),
        ("import dangbo.ratings.models", ["dangbo.ratings.models"]),
        ("from ..members import models", ["..members"]),
        ("from .. import tasks", ["..tasks"]),
        ("get_model('meetings.Meeting')", ["get_model('meetings.Meeting')"]),
        ("from dangbo.overview.overview import build_overview", ["dangbo.overview.overview"]),
        # The tree's own neighbours are allowed.
        ("from dangbo.lib import vn\nfrom dangbo.audit.log import record\nfrom .models import Unit", []),
        ("apps.get_model('orgs', 'Unit')", []),
    ],
)
def test_the_check_names_what_it_forbids(source, found):
    assert people_references(source) == found
