"""Every write action of the application writes its audit entry.

Two halves: (1) every public function of every `dangbo.*.actions` module (and of the other modules
that write: discipline, login throttle, the importer's batch) is either decorated with
`audit.log.audited` or listed below as a helper that writes nothing, with its reason; (2) the
decorator, enforced in tests (settings.AUDIT_ENFORCE), refuses any call that returns without an
entry, so every test anywhere that calls an action proves it wrote one. Then a call of one action
per module, for real, checks the entry's actor, action, place and before/after."""

from __future__ import annotations

import datetime
import importlib
import inspect
import pkgutil

import pytest
from django.db import transaction

import dangbo
from dangbo.audit.log import AuditMissing, audited, nothing_changed, record
from dangbo.audit.models import AuditEntry, Kind

# Modules outside `*.actions` whose functions write the application's records.
OTHER_WRITERS = [
    "dangbo.ratings.discipline",
    "dangbo.accounts.throttle",
    "dangbo.exchange.importer",
    "dangbo.accounts.two_factor",
]

# Public functions of those modules that write nothing (or nothing of their own), each with why.
NOT_WRITING = {
    # accounts.actions
    "dangbo.accounts.actions.set_one_time_password": "sets the hash on an unsaved account; its caller saves and audits",
    "dangbo.accounts.actions.new_password": "draws a random password",
    "dangbo.accounts.actions.may_hold": "a permission check",
    "dangbo.accounts.actions.may_manage": "a permission check",
    "dangbo.accounts.actions.username_base": "derives a name from a unit's code",
    "dangbo.accounts.actions.eligible_units": "reads the units that may be given accounts",
    "dangbo.accounts.actions.check_new_password": "validates a password",
    # meetings.actions
    "dangbo.meetings.actions.invitees": "reads who is summoned to a meeting",
    "dangbo.meetings.actions.totals_of": "counts an attendance list",
    # members.actions
    "dangbo.members.actions.ordered": "sorts events",
    "dangbo.members.actions.timeline_of": "replays a member's events in memory",
    "dangbo.members.actions.papers_note": "composes a note's text",
    # orgs.actions
    "dangbo.orgs.actions.check_parent_kind": "validates a unit's place in the tree",
    "dangbo.orgs.actions.check_parent_form": "validates a unit's place in the tree by the forms' rules",
    "dangbo.orgs.actions.resolve_form": "reads which kind and form a unit is given",
    # ratings.actions
    "dangbo.ratings.actions.level_for_score": "maps a score to a level",
    "dangbo.ratings.actions.check_level": "validates a level",
    "dangbo.ratings.actions.task_criteria": "fills task figures on rows in memory, saved by the deciding action",
    "dangbo.ratings.actions.quota_of": "reads a quota",
    "dangbo.ratings.actions.quota_error": "checks a quota",
    "dangbo.ratings.actions.deciding_body": "reads which body decides",
    # reports.actions
    "dangbo.reports.actions.normalize_text": "cleans typed text",
    "dangbo.reports.actions.sections_of": "reads a report's sections",
    "dangbo.reports.actions.statistics_of": "computes a report's figures",
    "dangbo.reports.actions.frozen_on": "reads a report's day of record",
    "dangbo.reports.actions.received": "reads the reports received",
    "dangbo.reports.actions.received_and_later": "reads the reports received",
    "dangbo.reports.actions.gathered": "groups texts for display",
    "dangbo.reports.actions.drafted_texts": "drafts texts in memory",
    "dangbo.reports.actions.place_of": "reads a report's period and addressee",
    "dangbo.reports.actions.term_on": "reads a committee's term",
    "dangbo.reports.actions.ad_hoc_type": "reads the ad hoc report type",
    # tasks.actions
    "dangbo.tasks.actions.check_assignment": "validates an assignment",
    "dangbo.tasks.actions.occurrence_deadlines": "computes a series' deadlines",
    "dangbo.tasks.actions.occurrence_title": "composes a title",
    "dangbo.tasks.actions.rolled_up": "computes a parent task's progress",
    "dangbo.tasks.actions.head_choices": "reads who may head a task",
    # ratings.discipline
    "dangbo.ratings.discipline.capped_units": "reads which units a discipline caps",
    "dangbo.ratings.discipline.apply_discipline": "recomputes derived flags of a period's ratings, inside the "
    "audited discipline and round actions",
    "dangbo.ratings.discipline.check": "validates a discipline",
    # accounts.throttle
    "dangbo.accounts.throttle.client_address": "reads the request's address",
    "dangbo.accounts.throttle.limit_of": "reads a setting",
    "dangbo.accounts.throttle.is_locked": "reads a lock",
    "dangbo.accounts.throttle.begin": "counts a login attempt (a security counter, not a record of the application)",
    # accounts.two_factor
    "dangbo.accounts.two_factor.required_for": "reads a setting",
    "dangbo.accounts.two_factor.authenticator": "reads an account's authenticator",
    "dangbo.accounts.two_factor.recovery_codes_left": "counts recovery codes",
    "dangbo.accounts.two_factor.users_with_authenticator": "reads which accounts have one",
    "dangbo.accounts.two_factor.state_after_password": "reads what a session owes",
    "dangbo.accounts.two_factor.on_login": "keeps what a new session owes in the session",
    "dangbo.accounts.two_factor.state": "reads what a session owes",
    "dangbo.accounts.two_factor.passed": "marks the session as past its second step",
    "dangbo.accounts.two_factor.normalize": "cleans a typed code",
    "dangbo.accounts.two_factor.check_code": "checks a code (django-otp's own counters); using a recovery code "
    "is recorded inside",
    "dangbo.accounts.two_factor.new_key": "draws a secret",
    "dangbo.accounts.two_factor.secret_text": "formats a secret",
    "dangbo.accounts.two_factor.setup_url": "composes an address",
    "dangbo.accounts.two_factor.qr_svg": "draws a QR code",
    # exchange.importer: the import writes in one transaction (run_import) and is audited as one
    # `import_workbook` entry by keep_batch with what it changed; changes to existing members are
    # audited one by one inside write_members. New rows are inserted in bulk (a 250,000-member
    # import) without an entry each.
    "dangbo.exchange.importer.run_import": "plans and writes an import, audited as a whole by keep_batch",
    "dangbo.exchange.importer.write_units": "part of run_import; changes to existing units go through the audited "
    "orgs actions",
    "dangbo.exchange.importer.write_members": "part of run_import; changes to existing members recorded one by one",
}


def _modules():
    names = [
        f"dangbo.{info.name}.actions"
        for info in pkgutil.iter_modules(dangbo.__path__)
        if info.ispkg and importlib.util.find_spec(f"dangbo.{info.name}.actions") is not None
    ]
    return sorted(names) + OTHER_WRITERS


def _public_functions(module_name):
    module = importlib.import_module(module_name)
    for name, value in vars(module).items():
        if name.startswith("_") or not inspect.isfunction(value):
            continue
        if getattr(inspect.unwrap(value), "__module__", None) != module_name:
            continue  # imported from elsewhere
        yield f"{module_name}.{name}", value


def test_the_walk_finds_every_actions_module():
    modules = _modules()
    for app in ("accounts", "admissions", "meetings", "members", "orgs", "ratings", "reports", "targets", "tasks"):
        assert f"dangbo.{app}.actions" in modules


def test_every_public_function_of_an_actions_module_is_audited_or_listed():
    unaccounted, both = [], []
    for module_name in _modules():
        for qualified, function in _public_functions(module_name):
            marked = getattr(function, "audited", False)
            if not marked and qualified not in NOT_WRITING:
                unaccounted.append(qualified)
            if marked and qualified in NOT_WRITING:
                both.append(qualified)
    assert not unaccounted, f"write functions without @audited (or listed in NOT_WRITING): {unaccounted}"
    assert not both, f"audited functions also listed as not writing: {both}"


def test_the_list_of_helpers_names_only_existing_functions():
    existing = {name for module in _modules() for name, _ in _public_functions(module)}
    assert not set(NOT_WRITING) - existing


# --- the decorator itself ---------------------------------------------------------------------------


def test_an_audited_function_that_writes_no_entry_is_refused(demo, settings):
    from dangbo.orgs.models import Unit

    settings.AUDIT_ENFORCE = True

    @audited
    def silent(unit):
        unit.code = unit.code  # would write, and records nothing

    with pytest.raises(AuditMissing):
        silent(Unit.objects.get(pk=demo["root"]))


def test_a_refused_write_is_rolled_back(demo, settings):
    from dangbo.orgs.models import Unit

    settings.AUDIT_ENFORCE = True

    @transaction.atomic
    @audited
    def rename(unit_id):
        Unit.objects.filter(pk=unit_id).update(code="KHONG-GHI")

    before = Unit.objects.get(pk=demo["root"]).code
    with pytest.raises(AuditMissing):
        rename(demo["root"])
    assert Unit.objects.get(pk=demo["root"]).code == before


def test_production_logs_instead_of_refusing(demo, settings, caplog):
    settings.AUDIT_ENFORCE = False

    @audited
    def silent():
        return 42

    assert silent() == 42
    assert "without writing its audit entry" in caplog.text


def test_nothing_changed_and_nested_entries_count(demo, settings):
    from dangbo.orgs.models import Unit

    settings.AUDIT_ENFORCE = True
    unit = Unit.objects.get(pk=demo["root"])

    @audited
    def inner():
        record(None, "found_unit", unit)

    @audited
    def outer():
        inner()

    @audited
    def idle():
        nothing_changed()

    @audited
    def around_idle():  # an inner "nothing changed" does not excuse the outer call
        idle()

    outer()
    idle()
    entry = AuditEntry.objects.latest("pk")
    assert (entry.unit_id, entry.member_id, entry.kind) == (demo["root"], None, Kind.WRITE)
    with pytest.raises(AuditMissing):
        around_idle()


# --- one real call per actions module ---------------------------------------------------------------


def _latest(action):
    return AuditEntry.objects.filter(action=action).latest("pk")


def _user(username):
    from dangbo.accounts.models import User

    return User.objects.get(username=username)


def _member_of(cell_id):
    from dangbo.lib.http import today
    from dangbo.members.models import Member

    return Member.unscoped.filter(stints__unit_id=cell_id, stints__end__isnull=True, stints__kind="official").filter(
        stints__start__lte=today()
    ).order_by("pk").first()


def test_members_edit_member_entry(demo):
    from dangbo.members import actions

    actor, member = _user("coso"), _member_of(demo["chibo"])
    old = member.occupation
    actions.edit_member(actor, member, {"occupation": "Kỹ sư xây dựng"})
    entry = _latest("update_member")
    assert entry.actor == actor and entry.member_id == member.pk and entry.unit_id == demo["chibo"]
    assert entry.before["occupation"] == old and entry.after["occupation"] == "Kỹ sư xây dựng"
    assert entry.kind == Kind.WRITE and entry.day is not None


def test_members_death_event_entry_is_placed_at_the_members_cell(demo):
    from dangbo.lib.http import today
    from dangbo.members import actions

    actor, member = _user("coso"), _member_of(demo["chibo"])
    actions.record_death(actor, member, effective_on=today())
    entry = _latest("event_death")
    assert (entry.actor, entry.member_id, entry.unit_id) == (actor, member.pk, demo["chibo"])
    assert entry.before is None and entry.after["kind"] == "death"


def test_orgs_change_unit_entry(demo):
    from dangbo.lib.http import today
    from dangbo.orgs import actions
    from dangbo.orgs.models import Unit

    actor, unit = _user("khoi"), Unit.objects.get(pk=demo["chibo"])
    actions.change_unit(actor, unit, on=today(), name="Chi bộ Đổi Tên")
    entry = _latest("change_unit")
    assert (entry.actor, entry.unit_id, entry.member_id) == (actor, demo["chibo"], None)
    assert entry.before["name"] != "Chi bộ Đổi Tên" and entry.after["name"] == "Chi bộ Đổi Tên"


def test_accounts_set_active_entry_and_nothing_changed(demo):
    from dangbo.accounts import actions

    actor, account = _user("coso"), _user("chibo")
    assert actions.set_active(actor, account, False)
    entry = _latest("account_disable")
    assert (entry.actor, entry.unit_id) == (actor, account.unit_id)
    assert entry.before["is_active"] is True and entry.after["is_active"] is False
    count = AuditEntry.objects.count()
    assert actions.set_active(actor, account, False) is False  # already so: no entry, and no refusal
    assert AuditEntry.objects.count() == count


def test_throttle_unlock_with_nothing_to_unlock_is_allowed(demo):
    from dangbo.accounts import throttle

    assert throttle.unlock_accounts(_user("khoi"), [_user("chibo")]) == 0


def test_meetings_plan_meeting_entry(demo):
    from dangbo.lib.http import today
    from dangbo.meetings import actions
    from dangbo.meetings.models import Meeting

    actor = _user("chibo")
    meeting = Meeting(cell_id=demo["chibo"], planned_on=today() + datetime.timedelta(days=3), place="Hội trường")
    actions.plan_meeting(actor, meeting)
    entry = _latest("plan_meeting")
    assert (entry.actor, entry.unit_id, entry.member_id) == (actor, demo["chibo"], None)
    assert entry.before is None and entry.after["cell_id"] == demo["chibo"] and entry.after["place"] == "Hội trường"


def test_targets_registration_entries(demo):
    from dangbo.lib.http import today
    from dangbo.targets import actions
    from dangbo.targets.models import ModelRegistration

    actor = _user("coso")
    registration = ModelRegistration(unit_id=demo["chibo"], year=today().year, registered_on=today(),
                                     name="Mô hình dân vận khéo", field="Kinh tế")  # fmt: skip
    actions.add_registration(actor, registration)
    entry = _latest("registration_add")
    assert (entry.actor, entry.unit_id) == (actor, demo["chibo"]) and entry.before is None
    assert entry.after["name"] == "Mô hình dân vận khéo"
    actions.delete_registration(actor, registration)
    entry = _latest("registration_delete")
    assert entry.after is None and entry.before["unit_id"] == demo["chibo"]


def test_tasks_log_progress_entry(demo):
    from dangbo.tasks import actions
    from dangbo.tasks.models import Task

    task = (
        Task.objects.filter(completed_on__isnull=True, recurrence="", subtasks__isnull=True)
        .exclude(progress=55).order_by("pk").first()
    )  # fmt: skip
    actor = _user("khoi")
    old = task.progress
    actions.log_progress(actor, task, 55, "Đã triển khai một nửa.")
    entry = _latest("task_progress")
    assert (entry.actor, entry.unit_id) == (actor, task.responsible_unit_id)
    assert (entry.before["progress"], entry.after["progress"]) == (old, 55)


def test_admissions_save_candidate_entry(demo):
    from dangbo.admissions import actions
    from dangbo.admissions.models import Candidate

    candidate = Candidate.unscoped.filter(member__isnull=True).order_by("pk").first()
    actor = _user("khoi")
    candidate.note = "Đã học lớp nhận thức về Đảng"
    actions.save_candidate(actor, candidate)
    entry = _latest("update_candidate")
    assert (entry.actor, entry.unit_id) == (actor, candidate.cell_id)
    assert entry.after["note"] == "Đã học lớp nhận thức về Đảng" and entry.before["note"] != entry.after["note"]


def test_reports_open_report_entry_and_reopening(demo):
    from dangbo.reports import actions
    from dangbo.reports.models import Report

    report = Report.objects.order_by("-pk").first()
    count = AuditEntry.objects.count()
    again = actions.open_report(_user("khoi"), report.unit_id, report.report_type, report.period, report.request)
    assert again.pk == report.pk and AuditEntry.objects.count() == count  # nothing opened: no entry owed, no refusal


def test_reports_redraft_entry(demo):
    from dangbo.reports import actions
    from dangbo.reports.models import Report

    report = Report.objects.filter(status="draft").order_by("pk").first()
    assert report is not None
    actions.save_texts(_user("khoi"), report, {})
    entry = _latest("report_save")
    assert (entry.unit_id, entry.target_id) == (report.unit_id, str(report.pk))


def test_ratings_discipline_entries(demo):
    from dangbo.lib.http import today
    from dangbo.ratings.discipline import delete_discipline, record_discipline
    from dangbo.ratings.models import Discipline

    member = _member_of(demo["chibo"])
    discipline = Discipline(member=member, decided_on=today(), form="reprimand", decision="01-QĐ/ĐU", body="Đảng ủy",
                            reason="Vi phạm quy định sinh hoạt")  # fmt: skip
    record_discipline(_user("coso"), discipline)
    entry = _latest("discipline_record")
    assert (entry.member_id, entry.unit_id) == (member.pk, demo["chibo"])
    assert entry.after["form"] == "reprimand"
    delete_discipline(_user("coso"), discipline, "Nhập nhầm")
    entry = _latest("discipline_delete")
    assert entry.note == "Nhập nhầm" and entry.after is None and entry.member_id == member.pk
