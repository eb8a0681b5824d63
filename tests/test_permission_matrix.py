"""The permission matrix: every URL pattern of the application, enumerated from the resolver, is
requested by every persona with real ids, and answers what tests/permission_matrix.py says (the
entry format is described there). A pattern without an entry fails `test_every_pattern_has_an_entry`."""

from __future__ import annotations

import secrets
from urllib.parse import urlencode

import pytest
from django.contrib import admin
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from dangbo.lib import partydoc
from dangbo.lib.http import today

from .permission_matrix import (
    ADMIN,
    ADMIN_CHANGELIST,
    ADMIN_MODELS,
    ADMIN_NOT_REQUESTED,
    ADMIN_PERSONA,
    DAY,
    MATRIX,
    Case,
    X,
    get,
)

USERNAMES = {"khoi": "khoi", "coso": "coso", "chibo": "chibo", "xem": "xem", "ngoai": "ngoai", "admin": "admin"}


# --- the URL patterns, from the resolver ------------------------------------------------------------


def arguments(pattern) -> dict:
    """The pattern's arguments: {name: converter} of a route, {name: None} of a regular expression's
    named groups (the admin's app pages)."""
    converters = dict(pattern.pattern.converters)
    return {name: converters.get(name) for name in pattern.pattern.regex.groupindex}


def url_patterns(resolver=None, prefix: str = "", namespace: str = ""):
    """(name, route, arguments) of every pattern, recursively; a namespaced name as `reverse` takes
    it ("admin:index"), an unnamed pattern by its whole route."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = ":".join(part for part in (namespace, pattern.namespace) if part)
            yield from url_patterns(pattern, route, inner)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            yield name or route, route, arguments(pattern)


STANDARD_ADMIN_PAGES = ("changelist", "add", "change", "history", "delete")


def admin_model_patterns() -> dict[str, str]:
    """The patterns of each model of the admin site ({key: model}): its named pages and its unnamed
    redirect of `<object_id>/` to the change page."""
    owned = {}
    for model in admin.site._registry:
        app, name = model._meta.app_label, model._meta.model_name
        for page in STANDARD_ADMIN_PAGES:
            owned[f"admin:{app}_{name}_{page}"] = f"{app}.{name}"
        owned[f"admin/{app}/{name}/<path:object_id>/"] = f"{app}.{name}"
    return owned


def admin_changelist_cases() -> dict[str, list[Case]]:
    return {
        f"admin:{model.replace('.', '_')}_changelist": [get("every model", ADMIN_CHANGELIST, login=ADMIN)]
        for model in sorted(ADMIN_MODELS)
    }


def all_entries() -> dict[str, list[Case]]:
    entries = {name: list(cases) for name, cases in admin_changelist_cases().items()}
    for name, cases in MATRIX.items():
        entries[name] = entries.get(name, []) + list(cases)
    return entries


def uncovered(urlconf=None) -> tuple[list[str], list[str]]:
    """(patterns of the URL configuration without an entry, entries naming no pattern)."""
    patterns = {name: route for name, route, _ in url_patterns(get_resolver(urlconf))}
    covered = set(all_entries()) | set(admin_model_patterns()) | set(ADMIN_NOT_REQUESTED)
    missing = [f"{name} ({patterns[name]})" for name in sorted(patterns) if name not in covered]
    gone = sorted(name for name in [*all_entries(), *ADMIN_NOT_REQUESTED] if name not in patterns)
    return missing, gone


def test_every_pattern_has_an_entry():
    """A URL added without an entry here fails, naming it; so does an entry whose URL is gone."""
    registered = {f"{m._meta.app_label}.{m._meta.model_name}" for m in admin.site._registry}
    assert registered - ADMIN_MODELS == set(), "models of the admin site missing from ADMIN_MODELS"
    assert ADMIN_MODELS - registered == set(), "ADMIN_MODELS names models no longer in the admin site"
    missing, gone = uncovered()
    assert missing == [], f"URL patterns without an entry in tests/permission_matrix.py (see its docstring): {missing}"
    assert gone == [], f"entries of tests/permission_matrix.py naming no URL pattern: {gone}"
    # Each case gives exactly the pattern's arguments; variants are unique per method.
    patterns = {name: arguments for name, _, arguments in url_patterns()}
    for name, cases in all_entries().items():
        for case in cases:
            assert set(case.kwargs) == set(patterns[name]), (name, case.variant, sorted(patterns[name]))
        labels = [(c.method, c.variant) for c in cases]
        assert len(labels) == len(set(labels)), (name, labels)


def test_a_new_url_without_an_entry_is_named():
    """The check reads the URL configuration itself: a pattern added to it (here, to a copy) and a
    pattern taken out of it are named."""
    import types

    from django.urls import path

    from dangbo import urls

    added = types.ModuleType("urls_with_one_more")
    added.urlpatterns = [*urls.urlpatterns, path("trang-moi/", urls.overview_views.overview, name="new_page")]
    assert uncovered(added) == (["new_page (trang-moi/)"], [])
    fewer = types.ModuleType("urls_with_one_less")
    fewer.urlpatterns = [p for p in urls.urlpatterns if getattr(p, "name", None) != "badges"]
    assert uncovered(fewer) == ([], ["badges"])


def test_patterns_are_enumerated_with_their_converters():
    """The enumeration reaches into included URL sets (the admin's) and reads their converters."""
    patterns = {name: (route, converters) for name, route, converters in url_patterns()}
    assert patterns["member_detail"][0] == "dang-vien/<int:member_id>/"
    assert type(patterns["member_detail"][1]["member_id"]).__name__ == "IntConverter"
    assert patterns["admin:orgs_unit_change"][0] == "admin/orgs/unit/<path:object_id>/change/"
    assert len(patterns) > 100


# --- the demo's objects the cases name -----------------------------------------------------------------

STATIC: dict[str, object] = {}  # ids read from the session's demo, which every test sees unchanged


def static(function):
    def cached(ctx):
        key = function.__name__
        if key not in STATIC:
            STATIC[key] = function(ctx)
        return STATIC[key]

    return cached


class Context:
    def __init__(self, demo, outsider_cell, client, persona):
        self.demo, self.outsider_cell, self.client, self.persona = demo, outsider_cell, client, persona


def _scope(unit_id):
    from dangbo.accounts.scope import Scope

    return Scope(unit_id=unit_id, sees_people=True, records=True)


def _cell_member(unit_id):
    from dangbo.members.models import Stint

    stint = Stint.unscoped.filter(unit_id=unit_id, kind="official").open_on(today()).order_by("member_id").first()
    return stint.member_id


def _held_meeting(unit_id):
    from dangbo.meetings.models import Meeting

    return Meeting.unscoped.filter(cell_id=unit_id, held_on__isnull=False).order_by("-held_on", "-pk").first().pk


@static
def unit_out_path(ctx):
    from dangbo.orgs.models import UnitVersion

    return UnitVersion.objects.on(today()).get(unit_id=ctx.outsider_cell).path


@static
def coso_units(ctx):
    return set(_scope(ctx.demo["coso"]).units_ever().values_list("unit_id", flat=True))


@static
def member_in(ctx):
    return _cell_member(ctx.demo["chibo"])


@static
def member_out(ctx):
    return _cell_member(ctx.outsider_cell)


@static
def member_former(ctx):
    """A member who left chibo's cell for a unit outside coso's committee (and the outsider's cell):
    their record is read-only for coso and chibo, as far as they knew them."""
    from dangbo.members.models import Stint

    outside = coso_units(ctx) | {ctx.outsider_cell}
    left = Stint.unscoped.filter(unit_id=ctx.demo["chibo"], end__isnull=False).order_by("member_id")
    for member_id in left.values_list("member_id", flat=True).distinct():
        now = set(Stint.unscoped.filter(member_id=member_id).open_on(today()).values_list("unit_id", flat=True))
        if now and not now & outside:
            return member_id
    raise AssertionError("the demo has no member who left chibo's cell for another committee")


@static
def meeting_in(ctx):
    return _held_meeting(ctx.demo["chibo"])


@static
def meeting_out(ctx):
    return _held_meeting(ctx.outsider_cell)


@static
def candidate_in(ctx):
    from dangbo.admissions.models import Candidate

    return Candidate.unscoped.filter(cell_id=ctx.demo["chibo"], member__isnull=True).order_by("pk").first().pk


@static
def candidate_out(ctx):
    from dangbo.admissions.models import Candidate

    rows = Candidate.unscoped.filter(member__isnull=True).exclude(cell_id__in=coso_units(ctx))
    return rows.exclude(cell_id=ctx.outsider_cell).order_by("pk").first().pk


@static
def task_in(ctx):
    from dangbo.tasks.models import Task

    return Task.objects.work().filter(responsible_unit_id=ctx.demo["chibo"]).order_by("pk").first().pk


@static
def task_out(ctx):
    """A task none of coso's committee and the outsider's cell takes part in."""
    from dangbo.tasks.access import tasks_of
    from dangbo.tasks.models import Task

    tasks = Task.objects.work().exclude(pk__in=tasks_of(_scope(ctx.demo["coso"])).values("pk"))
    return tasks.exclude(pk__in=tasks_of(_scope(ctx.outsider_cell)).values("pk")).order_by("pk").first().pk


@static
def committee_out(ctx):
    """The grassroots committee the outsider's cell belongs to (outside coso's committee)."""
    from dangbo.orgs.models import UnitVersion

    path = unit_out_path(ctx)
    committee = UnitVersion.objects.on(today()).filter(path__in=[path[:end] for end in range(8, len(path), 8)])
    unit_id = committee.get(depth=1).unit_id
    assert unit_id not in coso_units(ctx)
    return unit_id


def _target(committee_id, method, on):
    """A target of the committee's resolution of the term running on `on`."""
    from dangbo.targets.models import Target

    targets = Target.objects.filter(resolution__term__committee_id=committee_id, resolution__term__starts_on__lte=on)
    targets = targets.filter(Q(resolution__term__ends_on=None) | Q(resolution__term__ends_on__gt=on))
    return targets.filter(method=method).order_by("pk").first().pk


@static
def target_in(ctx):
    return _target(ctx.demo["coso"], "indicator", DAY)


@static
def target_out(ctx):
    return _target(committee_out(ctx), "indicator", DAY)


@static
def target_root(ctx):
    return _target(ctx.demo["root"], "indicator", today())


@static
def target_manual(ctx):
    return _target(ctx.demo["root"], "manual", DAY)


@static
def period_last(ctx):
    from dangbo.ratings.models import RatingPeriod

    return RatingPeriod.objects.filter(kind="year").order_by("-year").first().pk


def _sent_report(unit_id):
    from dangbo.reports.models import Report

    return Report.objects.filter(unit_id=unit_id).exclude(first_sent_at=None).order_by("-ends_on", "pk").first().pk


@static
def report_in(ctx):
    return _sent_report(ctx.demo["coso"])


@static
def report_out(ctx):
    return _sent_report(committee_out(ctx))


def report_draft(ctx):
    """A draft of coso's committee (opened here: the demo's reports of its past periods are sent)."""
    from dangbo.reports.models import Report

    sent = Report.objects.get(pk=report_in(ctx))
    draft = Report.objects.filter(unit_id=ctx.demo["coso"], status="draft").first()
    if draft is None:
        draft = Report.objects.create(
            report_type=sent.report_type, unit_id=sent.unit_id, to_unit_id=sent.to_unit_id, period="2099",
            starts_on=sent.starts_on, ends_on=sent.ends_on, texts={},
        )  # fmt: skip
    return draft.pk


def _user(username):
    from dangbo.accounts.models import User

    return User.objects.get(username=username)


def _stored(folder: str, name: str = "tep.txt") -> str:
    """A small file in the storage of uploads; removed when the test's transaction rolls back."""
    return default_storage.save(f"{folder}/{name}", ContentFile(b"dangbo"))


def _scan(member_id):
    from dangbo.members.models import Event

    event = Event.unscoped.filter(member_id=member_id, cancelled_at=None).order_by("effective_on", "pk").first()
    Event.unscoped.filter(pk=event.pk).update(scan=_stored("scans", "quyet-dinh.pdf"))
    return event.pk


def _material(meeting_id):
    from dangbo.meetings.models import Material

    return Material.objects.create(meeting_id=meeting_id, file=_stored("materials"), name="tai-lieu.txt").pk


def _attachment(task_id):
    from dangbo.tasks.models import TaskUpdate

    return TaskUpdate.objects.create(task_id=task_id, kind="progress", attachment=_stored("tasks"),
                                     attachment_name="tep.txt").pk  # fmt: skip


def _evidence(ctx, unit_id):
    from dangbo.targets.models import ManualValue

    return ManualValue.objects.create(target_id=target_manual(ctx), unit_id=unit_id, as_of=today(), value=1,
                                      evidence=_stored("evidence")).pk  # fmt: skip


# What an applied import keeps (exchange.importer.Plan.counts): nothing changed.
SUMMARY = dict.fromkeys(["units_new", "units_updated", "units_unchanged", "members_new", "members_updated",
                         "members_unchanged", "events_added", "problems", "namesakes"], 0)  # fmt: skip


def _batch(username, unit_id):
    from dangbo.exchange.models import ImportBatch

    batch = ImportBatch.objects.create(
        file=_stored("imports", "so.xlsx"), filename="so.xlsx", unit_id=unit_id, created_by=_user(username),
        applied_at=timezone.now(), summary=SUMMARY,
    )  # fmt: skip
    return batch.pk


def _issued_key(ctx):
    """One-time passwords waiting in the persona's own session (accounts.issued) for their showing."""
    from dangbo.accounts.actions import Issued
    from dangbo.accounts.issued import SESSION_KEY

    key = secrets.token_urlsafe(16)
    chibo = _user("chibo")
    row = Issued(user_id=chibo.pk, unit="Chi bộ Văn phòng", full_name="Phạm Thị Lan", role="Bí thư chi bộ",
                 username="chibo", password="Mk-" + secrets.token_hex(4))  # fmt: skip
    session = ctx.client.session
    session[SESSION_KEY] = {key: {"title": "Cấp lại mật khẩu", "rows": [row.as_dict()], "shown": False,
                                  "downloaded": False}}  # fmt: skip
    session.save()
    return key


OBJECTS = {
    "unit.root": lambda ctx: ctx.demo["root"],
    "unit.coso": lambda ctx: ctx.demo["coso"],
    "unit.chibo": lambda ctx: ctx.demo["chibo"],
    "unit.out": lambda ctx: ctx.outsider_cell,
    "committee.out": committee_out,
    "member.in": member_in,
    "member.out": member_out,
    "member.former": member_former,
    "meeting.in": meeting_in,
    "meeting.out": meeting_out,
    "candidate.in": candidate_in,
    "candidate.out": candidate_out,
    "task.in": task_in,
    "task.out": task_out,
    "target.in": target_in,
    "target.out": target_out,
    "target.root": target_root,
    "target.manual": target_manual,
    "period.last": period_last,
    "report.in": report_in,
    "report.out": report_out,
    "report.draft": report_draft,
    "account.in": lambda ctx: _user("chibo").pk,
    "account.out": lambda ctx: _user("ngoai").pk,
    # Files: rows made in the test's transaction, their files removed with it.
    "scan.in": lambda ctx: _scan(member_in(ctx)),
    "scan.out": lambda ctx: _scan(member_out(ctx)),
    "material.in": lambda ctx: _material(meeting_in(ctx)),
    "material.out": lambda ctx: _material(meeting_out(ctx)),
    "attachment.in": lambda ctx: _attachment(task_in(ctx)),
    "attachment.out": lambda ctx: _attachment(task_out(ctx)),
    "evidence.in": lambda ctx: _evidence(ctx, ctx.demo["coso"]),
    "evidence.out": lambda ctx: _evidence(ctx, committee_out(ctx)),
    "batch.in": lambda ctx: _batch("coso", ctx.demo["coso"]),
    "batch.out": lambda ctx: _batch("khoi", ctx.demo["root"]),
    "issued.own": _issued_key,
    "issued.other": lambda ctx: secrets.token_urlsafe(16),
}


def resolve(value, ctx):
    if isinstance(value, str) and value in OBJECTS:
        return OBJECTS[value](ctx)
    return value


# --- the cases ---------------------------------------------------------------------------------------


def matrix_cases():
    params = []
    for name, cases in sorted(all_entries().items()):
        for case in cases:
            for persona, expected in case.expect:
                if expected is None:
                    continue
                marks = ()
                if isinstance(expected, X):
                    marks = (pytest.mark.xfail(strict=True, reason=expected.reason),)
                    expected = expected.status
                case_id = f"{name}|{case.method} {case.variant}|{persona}"
                params.append(pytest.param(name, case, persona, expected, id=case_id, marks=marks))
    return params


CASES = matrix_cases()


def finish(response) -> None:
    """Read a file's response to its end, which closes its file (as the test client does it: closing
    it directly would also close the database connection, as at the end of a real request)."""
    if response.streaming:
        b"".join(response.streaming_content)


@pytest.fixture
def uploads(settings, tmp_path_factory):
    settings.MEDIA_ROOT = str(tmp_path_factory.getbasetemp() / "matrix-media")


@pytest.fixture
def undone(demo):
    """The test's transaction is marked to be undone before it ends. It is rolled back anyway; marked,
    it is not first checked for foreign keys, which on SQLite reads every table of the demo
    (PRAGMA foreign_key_check: some 60 ms, more than most requests of the matrix take)."""
    yield
    transaction.set_rollback(True)


@pytest.mark.parametrize(("name", "case", "persona", "expected"), CASES)
def test_permission(name, case, persona, expected, client, demo, undone, outsider, uploads):
    if expected == "pdf":  # the report as PDF needs LibreOffice; without it the page says so
        expected = 200 if partydoc.office() else 302
    if persona != "anon":
        client.force_login(_user(USERNAMES[persona]))
    ctx = Context(demo, outsider[1], client, persona)
    kwargs = {key: resolve(value, ctx) for key, value in case.kwargs.items()}
    url = reverse(name, kwargs=kwargs)
    query = {key: resolve(value, ctx) for key, value in case.query.items()}
    if query:
        url += "?" + urlencode(query)
    if case.method == "GET":
        response = client.get(url)
    else:
        response = client.post(url, {key: resolve(value, ctx) for key, value in case.data.items()})
    finish(response)
    assert response.status_code == expected, (url, response.get("Location"))
    if expected == 302:
        location = response["Location"]
        if persona == "anon" and name != "logout":
            assert location.startswith(case.login), (url, location)
        elif case.login == ADMIN and persona != ADMIN_PERSONA and name != "admin:login":
            assert location.startswith(ADMIN), (url, location)  # staff only: to the admin's login
        elif persona != "anon" and name not in ("logout",):
            assert not location.startswith("/dang-nhap/"), (url, location)  # signed in, not sent to sign in


def test_matrix_size():
    """Every persona is asked of every pattern (the back office: its representative pages)."""
    personas = {param.values[2] for param in CASES}
    assert personas == {"anon", "khoi", "coso", "chibo", "xem", "ngoai", "admin"}
    assert len({param.values[0] for param in CASES}) == len(all_entries())
