"""Tasks with the "four specifics" (dangbo.tasks): the write actions and their rules, the derived
status, the recurring series, the completion statistics, the task criteria of the ratings (Quy
định 366-QĐ/TW) and the demo's tasks.

Tasks built here are assigned through `actions.assign` with explicit days, to members chosen by
hand-written SQL (official activity in the unit's subtree over the whole time a test needs them).
Expected figures are counted by hand-written SQL over the tables, never by the code under test.
A refusal must be a Vietnamese ValidationError that writes nothing: neither the core tables
(`tests.helpers.refused`) nor the task tables (counts and the rows' state, checked here).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest
from django.db import IntegrityError, connection, transaction

from dangbo.accounts.models import User
from dangbo.audit.models import AuditEntry
from dangbo.demo.builder import HORIZON
from dangbo.lib import vn
from dangbo.members.figures import counted_stints
from dangbo.orgs.models import PATH_WIDTH, UnitKind, UnitVersion
from dangbo.ratings import actions as ratings
from dangbo.ratings.models import MemberRating, PeriodKind, RatingPeriod, UnitRating
from dangbo.targets.models import PartKind, Resolution, ResolutionPart, Target
from dangbo.tasks import actions, figures
from dangbo.tasks.models import Decision, Extension, Recurrence, Task, TaskUpdate
from tests.helpers import hand_path, refused

D = datetime.date
DAY = datetime.timedelta(days=1)

# The test tasks live in 2025; their heads hold activity over the whole of STEADY.
START, DUE = D(2025, 3, 3), D(2025, 4, 30)
ASSIGNED_ON = D(2025, 2, 20)
STEADY = (D(2025, 1, 1), D(2026, 6, 30))
RULE_366 = "Quy định 366-QĐ/TW"


# --- hand-written SQL and helpers ---------------------------------------------------------------------


def fetch(sql: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def steady_members(unit_id: int, since: datetime.date = STEADY[0], until: datetime.date = STEADY[1]) -> list[int]:
    """Members holding official activity in one cell of the unit's subtree from `since` through
    `until` (the cell being in the subtree on `since`), by hand-written SQL."""
    sql = """
        SELECT DISTINCT s.member_id FROM members_stint s
        JOIN orgs_unitversion v ON v.unit_id = s.unit_id
             AND v.valid_from <= %s AND (v.valid_to IS NULL OR v.valid_to > %s)
        WHERE s.kind = 'official' AND s.start <= %s AND (s."end" IS NULL OR s."end" > %s) AND v.path LIKE %s
        ORDER BY s.member_id
    """
    rows = fetch(sql, [since, since, since, until, hand_path(unit_id, since) + "%"])
    assert rows, f"no member holds activity in unit {unit_id} over {since}–{until}"
    return [r[0] for r in rows]


def sub_units(unit_id: int, day: datetime.date, kind: str | None = None) -> list[int]:
    """The direct sub-units of a unit on `day`, by hand-written SQL."""
    sql = """
        SELECT unit_id FROM orgs_unitversion
        WHERE parent_id = %s AND valid_from <= %s AND (valid_to IS NULL OR valid_to > %s) ORDER BY path
    """
    rows = fetch(sql, [unit_id, day, day])
    ids = [r[0] for r in rows]
    if kind is not None:
        kinds = dict(UnitVersion.objects.on(day).filter(unit_id__in=ids).values_list("unit_id", "kind"))
        ids = [i for i in ids if kinds[i] == kind]
    return ids


def task_state():
    """Everything the task actions write: the rows of the task tables and their mutable columns."""
    tasks = list(Task.objects.order_by("pk").values_list(
        "pk", "progress", "due_on", "first_due_on", "completed_on", "completion_report", "grade", "last_update_at",
    ))  # fmt: skip
    extensions = list(Extension.objects.order_by("pk").values_list("pk", "decision", "decision_note", "decided_at"))
    return (tasks, extensions, TaskUpdate.objects.count(), AuditEntry.objects.count(),
            Task.coordinating_units.through.objects.count())  # fmt: skip


def refused_task(call, match: str | None = None) -> str:
    """`call` is refused in Vietnamese and writes nothing, in the core tables or the task tables."""
    before = task_state()
    message = refused(call, match=match)
    assert task_state() == before
    return message


def status_on(task: Task, day: datetime.date) -> str:
    return Task.objects.with_status(day).get(pk=task.pk).status


def fresh(task: Task) -> Task:
    return Task.objects.get(pk=task.pk)


def log_kinds(task: Task) -> list[str]:
    return list(TaskUpdate.objects.filter(task=task).order_by("at", "pk").values_list("kind", flat=True))


def audit_actions(task: Task) -> list[str]:
    entries = AuditEntry.objects.filter(target_type="tasks.task", target_id=str(task.pk)).order_by("pk")
    return list(entries.values_list("action", flat=True))


@dataclass
class World:
    """The demo's personas and units, with members who can head their tasks."""

    khoi: User
    coso_user: User
    root: int
    coso: int
    chibo: int
    cells: list[int]  # other cells directly under coso's committee
    sub_committee: int  # a sub-committee of coso's committee
    sub_cell: int  # a cell of that sub-committee
    other: int  # another grassroots committee
    other_cell: int  # one of its cells
    chibo_heads: list[int]
    cell_heads: list[int]  # heads of cells[0]
    coso_heads: list[int]
    root_heads: list[int]
    other_heads: list[int]

    def fields(self, unit: int | None = None, head: int | None = None, starts_on=START, due_on=DUE, **extra) -> dict:
        unit = self.chibo if unit is None else unit
        if head is None:
            head = {self.chibo: self.chibo_heads[0], self.coso: self.coso_heads[0], self.root: self.root_heads[0],
                    self.other: self.other_heads[0], self.cells[0]: self.cell_heads[0]}[unit]  # fmt: skip
        return {"title": "Tổ chức hội nghị sơ kết công tác xây dựng Đảng", "expected_result": "Báo cáo sơ kết",
                "responsible_unit": unit, "head": head, "starts_on": starts_on, "due_on": due_on, **extra}  # fmt: skip

    def assign(self, assigner: int | None = None, coordinating=(), day=ASSIGNED_ON, actor=None, **fields) -> Task:
        assigner = self.coso if assigner is None else assigner
        actor = actor or (self.khoi if assigner == self.root else self.coso_user)
        assignment = actions.Assignment(self.fields(**fields), list(coordinating))
        return actions.assign(actor, assigner, assignment, day)


@pytest.fixture
def w(demo) -> World:
    coso_cells = sub_units(demo["coso"], STEADY[0], UnitKind.ATTACHED_CELL)
    cells = [c for c in coso_cells if c != demo["chibo"] and steady_members(c)]
    sub_committee = sub_units(demo["coso"], STEADY[0], UnitKind.SUB_COMMITTEE)[0]
    sub_cell = sub_units(sub_committee, STEADY[0])[0]
    coso_path = hand_path(demo["coso"], STEADY[0])
    other = (
        UnitVersion.objects.on(STEADY[0])
        .filter(kind=UnitKind.GRASSROOTS_COMMITTEE)
        .exclude(path__startswith=coso_path)
        .order_by("path")
        .first()
        .unit_id
    )
    return World(
        khoi=User.objects.get(username="khoi"), coso_user=User.objects.get(username="coso"),
        root=demo["root"], coso=demo["coso"], chibo=demo["chibo"], cells=cells, sub_committee=sub_committee,
        sub_cell=sub_cell, other=other, other_cell=sub_units(other, STEADY[0])[0],
        chibo_heads=steady_members(demo["chibo"]), cell_heads=steady_members(cells[0]),
        coso_heads=steady_members(demo["coso"]), root_heads=steady_members(demo["root"]),
        other_heads=steady_members(other),
    )  # fmt: skip


# --- 1. the derived status ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "day, expected",
    [
        (START - 30 * DAY, "not_started"),
        (START - DAY, "not_started"),
        (START, "in_progress"),
        (DUE - 8 * DAY, "in_progress"),
        (DUE - 7 * DAY, "due_soon"),
        (DUE, "due_soon"),
        (DUE + DAY, "overdue"),
        (DUE + 400 * DAY, "overdue"),
    ],
)
def test_status_of_an_open_task_follows_the_dates(w, settings, day, expected):
    """Before the start: not started; then in progress; within TASK_DUE_SOON_DAYS (7) of the deadline,
    the deadline day included: due soon; from the day after it: overdue."""
    settings.TASK_DUE_SOON_DAYS = 7
    task = w.assign()
    assert status_on(task, day) == expected


def test_the_due_soon_boundary_moves_with_the_setting(w, settings):
    task = w.assign()
    settings.TASK_DUE_SOON_DAYS = 10
    assert status_on(task, DUE - 10 * DAY) == "due_soon"
    assert status_on(task, DUE - 11 * DAY) == "in_progress"
    settings.TASK_DUE_SOON_DAYS = 3
    assert status_on(task, DUE - 3 * DAY) == "due_soon"
    assert status_on(task, DUE - 4 * DAY) == "in_progress"
    assert status_on(task, DUE - 7 * DAY) == "in_progress"


def test_a_task_not_started_is_not_due_soon(w, settings):
    """A task starting two days before its deadline is "not started" before then, even within the window."""
    settings.TASK_DUE_SOON_DAYS = 7
    task = w.assign(starts_on=DUE - 2 * DAY)
    assert status_on(task, DUE - 5 * DAY) == "not_started"
    assert status_on(task, DUE - 2 * DAY) == "due_soon"


def test_completed_by_the_deadline_is_done_on_time(w):
    task = w.assign()
    actions.complete(w.coso_user, task, DUE, "Đã tổ chức hội nghị", day=DUE)
    assert status_on(task, DUE) == "done_on_time"
    assert status_on(task, DUE + 60 * DAY) == "done_on_time"


def test_completed_after_the_deadline_is_done_late(w):
    task = w.assign()
    actions.complete(w.coso_user, task, DUE + DAY, "Đã tổ chức hội nghị", day=DUE + DAY)
    assert status_on(task, DUE + DAY) == "done_late"
    assert status_on(task, DUE + 60 * DAY) == "done_late"


def test_an_approved_extension_turns_a_late_completion_into_on_time(w):
    extended, refused_one = w.assign(), w.assign()
    for task, approve in ((extended, True), (refused_one, False)):
        extension = actions.request_extension(w.coso_user, task, DUE + 20 * DAY, "Chờ hướng dẫn của cấp trên")
        actions.decide_extension(w.coso_user, extension, approve, "" if approve else "Đề nghị hoàn thành đúng hạn")
        assert status_on(task, DUE + DAY) == ("in_progress" if approve else "overdue")
        actions.complete(w.coso_user, task, DUE + 10 * DAY, "Đã tổ chức hội nghị", day=DUE + 10 * DAY)
    assert status_on(extended, DUE + 10 * DAY) == "done_on_time"
    assert status_on(refused_one, DUE + 10 * DAY) == "done_late"


def test_every_status_at_once(w, settings):
    """One query, six tasks, six statuses on the same day."""
    settings.TASK_DUE_SOON_DAYS = 7
    day = D(2025, 4, 20)
    tasks = {
        "not_started": w.assign(starts_on=D(2025, 4, 25), due_on=D(2025, 5, 30)),
        "in_progress": w.assign(due_on=D(2025, 5, 30)),
        "due_soon": w.assign(due_on=D(2025, 4, 27)),
        "overdue": w.assign(due_on=D(2025, 4, 19)),
        "done_on_time": w.assign(due_on=D(2025, 4, 19)),
        "done_late": w.assign(due_on=D(2025, 4, 10)),
    }
    actions.complete(w.coso_user, tasks["done_on_time"], D(2025, 4, 19), "Xong", day=D(2025, 4, 19))
    actions.complete(w.coso_user, tasks["done_late"], D(2025, 4, 11), "Xong", day=D(2025, 4, 11))
    statuses = dict(Task.objects.with_status(day).filter(pk__in=[t.pk for t in tasks.values()])
                    .values_list("pk", "status"))  # fmt: skip
    assert {name: statuses[t.pk] for name, t in tasks.items()} == {name: name for name in tasks}


# --- 2. assigning a task -----------------------------------------------------------------------------


def test_assign_writes_the_task_its_coordinating_units_the_log_and_the_audit(w):
    task = w.assign(coordinating=[w.cells[0], w.sub_committee], priority="high", description="Nội dung chi tiết")
    task = fresh(task)
    assert (task.assigned_by_unit_id, task.assigned_by_id, task.responsible_unit_id, task.head_id) == (
        w.coso, w.coso_user.pk, w.chibo, w.chibo_heads[0])  # fmt: skip
    assert (task.starts_on, task.due_on, task.first_due_on) == (START, DUE, DUE)
    assert (task.progress, task.completed_on, task.grade, task.priority) == (0, None, "", "high")
    assert task.search_title == "to chuc hoi nghi so ket cong tac xay dung dang"
    assert sorted(task.coordinating_units.values_list("pk", flat=True)) == sorted([w.cells[0], w.sub_committee])
    updates = list(TaskUpdate.objects.filter(task=task))
    assert [(u.kind, u.note, u.by_id) for u in updates] == [("assigned", "Báo cáo sơ kết", w.coso_user.pk)]
    (entry,) = AuditEntry.objects.filter(target_type="tasks.task", target_id=str(task.pk))
    assert (entry.action, entry.actor_id, entry.before) == ("task_assign", w.coso_user.pk, None)
    assert entry.after["title"] == task.title
    assert entry.after["due_on"] == "2025-04-30"
    assert entry.after["responsible_unit_id"] == w.chibo
    assert entry.after["coordinating_units"] == sorted([w.cells[0], w.sub_committee])


def test_assign_writes_exactly_one_task_one_log_entry_and_one_audit_entry(w):
    def counts():
        return (Task.objects.count(), TaskUpdate.objects.count(), AuditEntry.objects.count(),
                Extension.objects.count())  # fmt: skip

    before = counts()
    w.assign(starts_on=DUE, due_on=DUE)  # a deadline on the start day is fine
    assert [b - a for a, b in zip(before, counts())] == [1, 1, 1, 0]


def test_a_deadline_before_the_start_is_refused(w):
    refused_task(lambda: w.assign(starts_on=DUE, due_on=DUE - DAY), "Thời hạn không được trước ngày bắt đầu")


def test_a_responsible_unit_outside_the_assigners_subtree_is_refused(w):
    """coso's committee cannot assign to a cell of another grassroots committee, nor to the root."""
    for unit in (w.other_cell, w.other, w.root):
        refused_task(lambda unit=unit: w.assign(unit=unit, head=w.other_heads[0]), "phạm vi của đơn vị giao")


def test_a_head_outside_the_responsible_units_subtree_is_refused(w):
    """A member of another cell of coso's committee (inside the assigner's subtree) cannot head chibo's task."""
    message = refused_task(lambda: w.assign(head=w.cell_heads[0]), "Người chịu trách nhiệm phải là đảng viên")
    assert UnitVersion.objects.on(ASSIGNED_ON).get(unit_id=w.chibo).name in message
    refused_task(lambda: w.assign(head=w.other_heads[0]), "Người chịu trách nhiệm phải là đảng viên")


def test_a_head_counts_on_the_day_of_the_assignment(w):
    """A member whose official activity in coso's subtree ended (with no later one there) may head its
    tasks the day before, not on the day it ended."""
    sql = """
        SELECT s.member_id, s."end" FROM members_stint s
        JOIN orgs_unitversion v ON v.unit_id = s.unit_id AND v.valid_from <= s.start
             AND (v.valid_to IS NULL OR v.valid_to > s."end")
        WHERE s.kind = 'official' AND s."end" > %s AND s."end" <= %s AND v.path LIKE %s
          AND NOT EXISTS (SELECT 1 FROM members_stint later WHERE later.member_id = s.member_id
                          AND later.kind = 'official' AND later.start >= s."end")
        ORDER BY s."end", s.member_id
    """
    member, ended = fetch(sql, [D(2021, 1, 1), D(2026, 6, 30), hand_path(w.coso, D(2021, 1, 1)) + "%"])[0]
    ended = ended if isinstance(ended, datetime.date) else D.fromisoformat(ended)
    on = {"unit": w.coso, "head": member, "starts_on": ended - DAY, "due_on": ended + 30 * DAY}
    refused_task(lambda: w.assign(day=ended, **on), "Người chịu trách nhiệm phải là đảng viên")
    assert w.assign(day=ended - DAY, **on).head_id == member


def test_a_coordinating_unit_outside_the_subtree_is_refused(w):
    refused_task(lambda: w.assign(coordinating=[w.cells[0], w.other_cell]), "Đơn vị phối hợp phải thuộc phạm vi")
    refused_task(lambda: w.assign(coordinating=[w.root]), "Đơn vị phối hợp phải thuộc phạm vi")


def test_the_responsible_unit_cannot_also_coordinate(w):
    refused_task(lambda: w.assign(coordinating=[w.chibo]), "không đồng thời là đơn vị phối hợp")


@pytest.mark.parametrize(
    "extra",
    [
        {"result_indicator": "", "result_value": 95},
        {"result_indicator": "theory_intermediate", "result_value": None},
        {"result_indicator": "no_such_indicator", "result_value": 95},
    ],
    ids=["no-indicator", "no-value", "unknown-indicator"],
)
def test_a_result_measured_by_an_indicator_needs_the_indicator_and_the_value(w, extra):
    refused_task(lambda: w.assign(result_kind="indicator", **extra), "chọn chỉ số và nhập giá trị")


def test_a_result_measured_by_an_indicator_is_stored(w):
    task = fresh(w.assign(result_kind="indicator", result_indicator="theory_intermediate", result_value=95))
    assert (task.result_kind, task.result_indicator, task.result_value) == ("indicator", "theory_intermediate", 95)


def _other_committees_part(w) -> ResolutionPart:
    resolution = Resolution.objects.filter(term__committee_id=w.other).first()
    assert resolution is not None, "the demo gives each grassroots committee its own resolution"
    return ResolutionPart.objects.create(resolution=resolution, kind=PartKind.TASK_GROUP, order=9, title="Nhóm thử")


def test_a_target_or_part_of_a_committee_not_above_the_assigner_is_refused(w):
    """coso's committee may not link a target or a part of another grassroots committee's resolution;
    the root may not link one of coso's own (a committee below it)."""
    other_target = Target.objects.filter(resolution__term__committee_id=w.other).first()
    coso_target = Target.objects.filter(resolution__term__committee_id=w.coso).first()
    part = _other_committees_part(w)
    message = "Chỉ tiêu, khâu đột phá phải thuộc nghị quyết"
    refused_task(lambda: w.assign(target=other_target), message)
    refused_task(lambda: w.assign(part=part), message)
    refused_task(lambda: w.assign(assigner=w.root, unit=w.coso, target=coso_target), message)


def test_a_target_and_part_of_the_assigners_committee_or_above_are_accepted(w):
    root_target = Target.objects.filter(resolution__term__committee_id=w.root).first()
    root_part = ResolutionPart.objects.filter(resolution__term__committee_id=w.root).first()
    coso_target = Target.objects.filter(resolution__term__committee_id=w.coso).first()
    task = fresh(w.assign(target=root_target, part=root_part))
    assert (task.target_id, task.part_id) == (root_target.pk, root_part.pk)
    assert fresh(w.assign(target=coso_target)).target_id == coso_target.pk


def test_an_assigner_that_does_not_exist_that_day_is_refused(w):
    dissolved = UnitVersion.objects.filter(valid_to__isnull=False).exclude(
        unit_id__in=UnitVersion.objects.filter(valid_to__isnull=True).values("unit_id")
    ).order_by("valid_to").first()  # fmt: skip
    assert dissolved is not None
    after = dissolved.valid_to + DAY
    refused_task(
        lambda: actions.assign(w.khoi, dissolved.unit_id, actions.Assignment(w.fields(), []), after),
        "không tồn tại",
    )


# --- 3. splitting a task into sub-tasks ------------------------------------------------------------


def _parent(w, **fields) -> Task:
    """A task of coso's committee, assigned by the root."""
    return w.assign(assigner=w.root, unit=w.coso, **fields)


def _part(w, unit: int, due_on=DUE, **extra) -> dict:
    heads = {w.chibo: w.chibo_heads[0], w.cells[0]: w.cell_heads[0]}
    head = heads.get(unit) or steady_members(unit)[0]
    return {"responsible_unit": unit, "head": head, "due_on": due_on, "expected_result": "Báo cáo của chi bộ",
            **extra}  # fmt: skip


def test_split_assigns_sub_tasks_from_the_parents_unit_to_units_below(w):
    parent = _parent(w)
    day = START + 5 * DAY
    made = actions.split(w.coso_user, parent, [_part(w, w.chibo), _part(w, w.sub_cell, due_on=DUE - DAY)], day)
    assert len(made) == 2
    rows = list(Task.objects.filter(parent=parent).order_by("pk"))
    assert [(t.responsible_unit_id, t.assigned_by_unit_id, t.due_on, t.first_due_on, t.starts_on) for t in rows] == [
        (w.chibo, w.coso, DUE, DUE, day),
        (w.sub_cell, w.coso, DUE - DAY, DUE - DAY, day),
    ]
    assert all(t.title == parent.title and t.expected_result == "Báo cáo của chi bộ" for t in rows)
    assert log_kinds(parent) == ["assigned", "split"]
    split_note = TaskUpdate.objects.get(task=parent, kind="split").note
    for unit in (w.chibo, w.sub_cell):
        assert UnitVersion.objects.on(day).get(unit_id=unit).name in split_note
    assert audit_actions(parent) == ["task_assign", "task_split"]
    assert all(log_kinds(t) == ["assigned"] and audit_actions(t) == ["task_assign"] for t in rows)
    # Split before the parent starts, a sub-task starts with it.
    (early,) = actions.split(w.coso_user, _parent(w), [_part(w, w.chibo)], ASSIGNED_ON)
    assert early.starts_on == START


def test_split_to_the_parents_own_unit_is_refused(w):
    parent = _parent(w)
    refused_task(lambda: actions.split(w.coso_user, parent, [_part(w, w.coso, head=w.coso_heads[0])], START),
                 "cấp dưới của đơn vị chủ trì")  # fmt: skip


def test_split_to_a_unit_outside_the_parents_unit_is_refused(w):
    parent = _parent(w)
    part = _part(w, w.other_cell, head=w.other_heads[0])
    refused_task(lambda: actions.split(w.coso_user, parent, [part], START), "phạm vi của đơn vị giao")


def test_a_sub_task_deadline_after_the_parents_is_refused(w):
    parent = _parent(w)
    message = refused_task(lambda: actions.split(w.coso_user, parent, [_part(w, w.chibo, due_on=DUE + DAY)], START),
                           "không được sau thời hạn của nhiệm vụ")  # fmt: skip
    assert vn.format_date(DUE + DAY) in message and vn.format_date(DUE) in message


def test_a_sub_task_starting_before_its_parent_is_refused(w):
    parent = _parent(w)
    part = _part(w, w.chibo, starts_on=START - DAY)
    refused_task(lambda: actions.split(w.coso_user, parent, [part], ASSIGNED_ON), "không bắt đầu trước")


def test_split_is_all_or_nothing(w):
    """A valid first part is not kept when the second is refused."""
    parent = _parent(w)
    parts = [_part(w, w.chibo), _part(w, w.cells[0], due_on=DUE + DAY)]
    refused_task(lambda: actions.split(w.coso_user, parent, parts, START), "không được sau thời hạn")
    assert not Task.objects.filter(parent=parent).exists()


def test_split_needs_distinct_units_and_at_least_one(w):
    parent = _parent(w)
    refused_task(lambda: actions.split(w.coso_user, parent, [], START), "ít nhất một đơn vị")
    twice = [_part(w, w.chibo), _part(w, w.chibo, due_on=DUE - DAY)]
    refused_task(lambda: actions.split(w.coso_user, parent, twice, START), "Mỗi đơn vị chỉ nhận một")


def test_split_of_a_closed_task_is_refused(w):
    parent = _parent(w)
    actions.complete(w.coso_user, parent, DUE, "Đã hoàn thành", day=DUE)
    refused_task(lambda: actions.split(w.coso_user, parent, [_part(w, w.chibo)], DUE), "không thể giao thêm")


def test_parent_progress_is_the_mean_of_its_sub_tasks_rounded_down(w):
    parent = _parent(w)
    a, b, c = actions.split(w.coso_user, parent, [_part(w, w.chibo), _part(w, w.cells[0]), _part(w, w.sub_cell)],
                            START)  # fmt: skip
    assert fresh(parent).progress == 0
    actions.log_progress(w.coso_user, a, 40, "Đã xây dựng kế hoạch")
    assert fresh(parent).progress == 13  # (40 + 0 + 0) / 3 = 13.3
    actions.log_progress(w.coso_user, b, 20, "")
    assert fresh(parent).progress == 20  # (40 + 20 + 0) / 3
    actions.complete(w.coso_user, c, DUE - DAY, "Đã hoàn thành", day=DUE)
    assert fresh(parent).progress == 53  # (40 + 20 + 100) / 3 = 53.3: a completed one counts 100
    actions.log_progress(w.coso_user, b, 30, "")
    assert fresh(parent).progress == 56  # (40 + 30 + 100) / 3 = 56.7, rounded down
    assert "task_roll_up" in audit_actions(parent)


def test_parent_progress_reaches_100_only_when_every_sub_task_is_complete(w):
    """Parts nearly done read 99%, not 100%, even a part reported at 100% but not yet complete."""
    parent = _parent(w)
    a, b, c = actions.split(w.coso_user, parent, [_part(w, w.chibo), _part(w, w.cells[0]), _part(w, w.sub_cell)],
                            START)  # fmt: skip
    actions.complete(w.coso_user, a, DUE - DAY, "Đã hoàn thành", day=DUE)
    actions.complete(w.coso_user, b, DUE - DAY, "Đã hoàn thành", day=DUE)
    actions.log_progress(w.coso_user, c, 99, "")
    assert fresh(parent).progress == 99  # (100 + 100 + 99) / 3 = 99.7
    actions.log_progress(w.coso_user, c, 100, "Đã xong, chờ báo cáo hoàn thành")
    assert fresh(parent).progress == 99  # every part at 100%, one not complete
    assert actions.rolled_up(fresh(parent)) == 99
    actions.complete(w.coso_user, c, DUE - DAY, "Đã hoàn thành", day=DUE)
    assert actions.rolled_up(fresh(parent)) == 100


def test_progress_rolls_up_through_three_levels(w):
    """root -> coso's committee (and another grassroots committee) -> two cells of coso's committee."""
    top = w.assign(assigner=w.root, unit=w.root)
    middle, other = actions.split(w.khoi, top, [_part(w, w.coso, head=w.coso_heads[0]),
                                                _part(w, w.other, head=w.other_heads[0])], START)  # fmt: skip
    assert (middle.assigned_by_unit_id, middle.responsible_unit_id) == (w.root, w.coso)
    low_a, low_b = actions.split(w.coso_user, middle, [_part(w, w.chibo), _part(w, w.cells[0])], START)
    assert low_a.assigned_by_unit_id == w.coso
    actions.log_progress(w.coso_user, low_a, 60, "")
    assert (fresh(middle).progress, fresh(top).progress) == (30, 15)
    actions.complete(w.coso_user, low_a, DUE - DAY, "Đã hoàn thành", day=DUE)
    assert (fresh(middle).progress, fresh(top).progress) == (50, 25)
    actions.log_progress(w.coso_user, low_b, 40, "")
    actions.log_progress(w.coso_user, other, 20, "")
    assert (fresh(middle).progress, fresh(top).progress) == (70, 45)


# --- 4. logging progress ---------------------------------------------------------------------------


def test_log_progress_writes_the_log_the_progress_and_the_audit(w):
    task = w.assign()
    update = actions.log_progress(w.coso_user, task, 35, "  Đã xây dựng kế hoạch  ")
    task = fresh(task)
    assert (update.kind, update.progress, update.note, update.by_id) == ("progress", 35, "Đã xây dựng kế hoạch",
                                                                         w.coso_user.pk)  # fmt: skip
    assert task.progress == 35
    assert task.last_update_at == update.at
    entry = AuditEntry.objects.filter(target_type="tasks.task", target_id=str(task.pk)).order_by("pk").last()
    assert (entry.action, entry.before["progress"], entry.after["progress"]) == ("task_progress", 0, 35)


def test_a_note_without_progress_keeps_the_progress(w):
    task = w.assign()
    actions.log_progress(w.coso_user, task, 50, "")
    update = actions.log_progress(w.coso_user, task, None, "Đang tổng hợp kết quả")
    assert (update.progress, fresh(task).progress, fresh(task).last_update_at) == (None, 50, update.at)
    assert log_kinds(task) == ["assigned", "progress", "progress"]


def test_progress_out_of_range_is_refused_and_the_bounds_accepted(w):
    task = w.assign()
    for progress in (-1, 101, 250):
        refused_task(lambda p=progress: actions.log_progress(w.coso_user, task, p, "Ghi chú"), "từ 0 đến 100")
    for progress in (100, 0):
        actions.log_progress(w.coso_user, task, progress, "")
        assert fresh(task).progress == progress and fresh(task).completed_on is None


def test_neither_progress_nor_note_is_refused(w):
    task = w.assign()
    refused_task(lambda: actions.log_progress(w.coso_user, task, None, "   "), "Hãy nhập tiến độ hoặc nội dung")


def test_log_progress_on_a_completed_task_is_refused(w):
    task = w.assign()
    actions.complete(w.coso_user, task, DUE, "Đã hoàn thành", day=DUE)
    message = refused_task(lambda: actions.log_progress(w.coso_user, task, 50, "Ghi chú"), "không thể cập nhật")
    assert vn.format_date(DUE) in message


def test_log_progress_on_a_recurring_series_is_refused(w):
    series = _series(w)
    refused_task(lambda: actions.log_progress(w.coso_user, series, 50, "Ghi chú"), "Nhiệm vụ định kỳ")


def test_explicit_progress_on_a_task_with_sub_tasks_is_refused_but_a_note_is_logged(w):
    parent = _parent(w)
    actions.split(w.coso_user, parent, [_part(w, w.chibo)], START)
    refused_task(lambda: actions.log_progress(w.coso_user, parent, 50, "Ghi chú"), "tổng hợp từ các nhiệm vụ con")
    update = actions.log_progress(w.coso_user, parent, None, "Đã đôn đốc các chi bộ")
    assert update.note == "Đã đôn đốc các chi bộ" and fresh(parent).progress == 0


# --- 5. extensions ------------------------------------------------------------------------------------


def test_request_extension_writes_the_request_and_the_log(w):
    task = w.assign()
    extension = actions.request_extension(w.coso_user, task, DUE + 15 * DAY, "  Chờ hướng dẫn  ")
    extension = Extension.objects.get(pk=extension.pk)
    assert (extension.due_on, extension.new_due_on, extension.reason, extension.decision) == (
        DUE, DUE + 15 * DAY, "Chờ hướng dẫn", "")  # fmt: skip
    assert extension.requested_by_id == w.coso_user.pk
    assert fresh(task).due_on == DUE
    note = TaskUpdate.objects.get(task=task, kind="extension_requested").note
    assert vn.format_date(DUE + 15 * DAY) in note and "Chờ hướng dẫn" in note
    assert AuditEntry.objects.filter(action="task_extension_request", target_id=str(extension.pk)).count() == 1


@pytest.mark.parametrize("days", [0, -5])
def test_an_extension_not_after_the_current_deadline_is_refused(w, days):
    task = w.assign()
    message = refused_task(lambda: actions.request_extension(w.coso_user, task, DUE + days * DAY, "Lý do"),
                           "phải sau thời hạn hiện tại")  # fmt: skip
    assert vn.format_date(DUE) in message


def test_an_extension_without_a_reason_is_refused(w):
    task = w.assign()
    refused_task(lambda: actions.request_extension(w.coso_user, task, DUE + 10 * DAY, "  "), "lý do")


def test_a_second_request_while_one_is_pending_is_refused(w):
    task = w.assign()
    actions.request_extension(w.coso_user, task, DUE + 10 * DAY, "Lý do thứ nhất")
    refused_task(lambda: actions.request_extension(w.coso_user, task, DUE + 20 * DAY, "Lý do thứ hai"),
                 "đang có một đề nghị gia hạn")  # fmt: skip


def test_an_extension_of_a_closed_task_is_refused(w):
    task = w.assign()
    actions.complete(w.coso_user, task, DUE, "Đã hoàn thành", day=DUE)
    refused_task(lambda: actions.request_extension(w.coso_user, task, DUE + 10 * DAY, "Lý do"), "đề nghị gia hạn")


def test_a_sub_task_extension_past_the_parents_deadline_is_refused(w):
    parent = _parent(w)
    (child,) = actions.split(w.coso_user, parent, [_part(w, w.chibo, due_on=DUE - 10 * DAY)], START)
    refused_task(lambda: actions.request_extension(w.coso_user, child, DUE + DAY, "Lý do"), "nhiệm vụ cấp trên")
    extension = actions.request_extension(w.coso_user, child, DUE, "Lý do")  # up to the parent's deadline
    assert extension.new_due_on == DUE


def test_an_approved_extension_moves_the_deadline_not_the_first_deadline(w):
    task = w.assign()
    extension = actions.request_extension(w.coso_user, task, DUE + 30 * DAY, "Lý do")
    decided = actions.decide_extension(w.khoi, extension, True)
    task = fresh(task)
    assert (task.due_on, task.first_due_on) == (DUE + 30 * DAY, DUE)
    decided = Extension.objects.get(pk=decided.pk)
    assert (decided.decision, decided.decided_by_id) == ("approved", w.khoi.pk) and decided.decided_at is not None
    decide = AuditEntry.objects.get(target_type="tasks.extension", target_id=str(extension.pk),
                                    action="task_extension_decide")  # fmt: skip
    assert (decide.before["decision"], decide.after["decision"]) == ("", "approved")
    apply = AuditEntry.objects.filter(target_type="tasks.task", target_id=str(task.pk)).order_by("pk").last()
    assert (apply.action, apply.before["due_on"], apply.after["due_on"]) == ("task_extension_apply", "2025-04-30",
                                                                              "2025-05-30")  # fmt: skip


def test_a_refusal_needs_a_note_and_leaves_the_deadline(w):
    task = w.assign()
    extension = actions.request_extension(w.coso_user, task, DUE + 30 * DAY, "Lý do")
    refused_task(lambda: actions.decide_extension(w.coso_user, extension, False, " "), "hãy nêu ý kiến")
    actions.decide_extension(w.coso_user, extension, False, "Đề nghị hoàn thành đúng hạn")
    assert fresh(task).due_on == DUE
    extension.refresh_from_db()
    assert (extension.decision, extension.decision_note) == ("refused", "Đề nghị hoàn thành đúng hạn")


def test_deciding_twice_is_refused(w):
    task = w.assign()
    extension = actions.request_extension(w.coso_user, task, DUE + 30 * DAY, "Lý do")
    actions.decide_extension(w.coso_user, extension, False, "Không đồng ý")
    refused_task(lambda: actions.decide_extension(w.coso_user, extension, True), "đã được quyết định")
    assert fresh(task).due_on == DUE


def test_the_log_holds_the_history_of_the_extensions(w):
    """Refused, asked again, approved: each step in the log, in order; a new request after a decision is allowed."""
    task = w.assign()
    first = actions.request_extension(w.coso_user, task, DUE + 10 * DAY, "Lý do một")
    actions.decide_extension(w.coso_user, first, False, "Không đồng ý")
    second = actions.request_extension(w.coso_user, task, DUE + 20 * DAY, "Lý do hai")
    actions.decide_extension(w.coso_user, second, True, "Đồng ý lần này")
    third = actions.request_extension(w.coso_user, task, DUE + 25 * DAY, "Lý do ba")
    assert third.due_on == DUE + 20 * DAY  # asked against the deadline then in force
    assert log_kinds(task) == ["assigned", "extension_requested", "extension_refused", "extension_requested",
                               "extension_approved", "extension_requested"]  # fmt: skip
    approved = TaskUpdate.objects.get(task=task, kind="extension_approved").note
    assert vn.format_date(DUE) in approved and vn.format_date(DUE + 20 * DAY) in approved
    assert "Đồng ý lần này" in approved
    assert list(Extension.objects.filter(task=task).order_by("pk").values_list("decision", flat=True)) == [
        Decision.REFUSED, Decision.APPROVED, Decision.PENDING]  # fmt: skip


# --- 6. completion, evaluation and return -------------------------------------------------------------


def test_complete_sets_the_date_the_report_and_full_progress(w):
    task = w.assign()
    actions.log_progress(w.coso_user, task, 60, "")
    actions.complete(w.coso_user, task, DUE - 2 * DAY, "  Đã tổ chức hội nghị  ", day=DUE)
    task = fresh(task)
    assert (task.completed_on, task.completion_report, task.progress) == (DUE - 2 * DAY, "Đã tổ chức hội nghị", 100)
    last = TaskUpdate.objects.filter(task=task).order_by("at", "pk").last()
    assert (last.kind, last.progress, last.note) == ("completed", 100, "Đã tổ chức hội nghị")
    assert audit_actions(task)[-1] == "task_complete"


def test_a_completion_in_the_future_is_refused(w):
    task = w.assign()
    refused_task(lambda: actions.complete(w.coso_user, task, DUE + DAY, "Xong", day=DUE), "không được sau hôm nay")


def test_a_completion_before_the_start_is_refused(w):
    task = w.assign()
    refused_task(lambda: actions.complete(w.coso_user, task, START - DAY, "Xong", day=DUE), "trước ngày bắt đầu")


def test_a_completion_without_a_report_is_refused(w):
    task = w.assign()
    refused_task(lambda: actions.complete(w.coso_user, task, DUE, "   ", day=DUE), "báo cáo hoàn thành")
    actions.complete(w.coso_user, task, DUE, "Xong", day=DUE)
    refused_task(lambda: actions.complete(w.coso_user, task, DUE, "Xong", day=DUE), "lần nữa")  # twice


def test_a_completion_with_open_sub_tasks_is_refused(w):
    parent = _parent(w)
    a, b = actions.split(w.coso_user, parent, [_part(w, w.chibo), _part(w, w.cells[0])], START)
    refused_task(lambda: actions.complete(w.coso_user, parent, DUE, "Xong", day=DUE), "Còn 2 nhiệm vụ con")
    actions.complete(w.coso_user, a, DUE, "Xong", day=DUE)
    refused_task(lambda: actions.complete(w.coso_user, parent, DUE, "Xong", day=DUE), "Còn 1 nhiệm vụ con")
    actions.complete(w.coso_user, b, DUE, "Xong", day=DUE)
    actions.complete(w.coso_user, parent, DUE, "Xong", day=DUE)
    assert fresh(parent).completed_on == DUE


@pytest.mark.parametrize("completed, timing", [(DUE, "đúng hạn"), (DUE + DAY, "trễ hạn")])
def test_grade_after_completion(w, completed, timing):
    task = w.assign()
    actions.complete(w.coso_user, task, completed, "Xong", day=completed)
    actions.grade(w.khoi, task, "beyond", "Chất lượng cao")
    task = fresh(task)
    assert (task.grade, task.graded_by_id) == ("beyond", w.khoi.pk) and task.graded_at is not None
    note = TaskUpdate.objects.get(task=task, kind="graded").note
    assert note == f"Vượt yêu cầu, hoàn thành {timing}. Chất lượng cao"
    assert audit_actions(task)[-1] == "task_grade"


def test_grade_before_completion_is_refused(w):
    task = w.assign()
    refused_task(lambda: actions.grade(w.khoi, task, "met"), "chưa báo cáo hoàn thành")


def test_grade_only_once_and_only_a_known_level(w):
    task = w.assign()
    actions.complete(w.coso_user, task, DUE, "Xong", day=DUE)
    refused_task(lambda: actions.grade(w.khoi, task, "perfect"), "Hãy chọn mức đánh giá")
    actions.grade(w.khoi, task, "met")
    refused_task(lambda: actions.grade(w.khoi, task, "beyond"), "đã được đánh giá")
    assert fresh(task).grade == "met"


def test_send_back_reopens_with_the_last_reported_progress(w):
    task = w.assign()
    actions.log_progress(w.coso_user, task, 40, "")
    actions.log_progress(w.coso_user, task, 70, "")
    actions.log_progress(w.coso_user, task, None, "Đang hoàn thiện báo cáo")
    actions.complete(w.coso_user, task, DUE, "Xong", day=DUE)
    actions.send_back(w.khoi, task, "  Báo cáo chưa đủ số liệu  ")
    task = fresh(task)
    assert (task.completed_on, task.completion_report, task.progress) == (None, "", 70)
    last = TaskUpdate.objects.filter(task=task).order_by("at", "pk").last()
    assert (last.kind, last.note, last.progress) == ("returned", "Báo cáo chưa đủ số liệu", 70)
    assert audit_actions(task)[-1] == "task_send_back"
    assert status_on(task, DUE + DAY) == "overdue"
    actions.complete(w.coso_user, task, DUE + 3 * DAY, "Đã bổ sung số liệu", day=DUE + 3 * DAY)
    assert status_on(task, DUE + 3 * DAY) == "done_late"


def test_send_back_is_refused_when_open_graded_or_without_a_note(w):
    task = w.assign()
    refused_task(lambda: actions.send_back(w.khoi, task, "Chưa đạt"), "chưa báo cáo hoàn thành")
    actions.complete(w.coso_user, task, DUE, "Xong", day=DUE)
    refused_task(lambda: actions.send_back(w.khoi, task, "  "), "lý do trả lại")
    actions.send_back(w.khoi, task, "Chưa đạt")
    assert fresh(task).progress == 0  # no progress reported before
    actions.complete(w.coso_user, task, DUE, "Xong", day=DUE)
    actions.grade(w.khoi, task, "met")
    refused_task(lambda: actions.send_back(w.khoi, task, "Chưa đạt"), "không trả lại được")


def test_send_back_of_a_sub_task_lowers_its_parents_progress(w):
    parent = _parent(w)
    a, b = actions.split(w.coso_user, parent, [_part(w, w.chibo), _part(w, w.cells[0])], START)
    actions.log_progress(w.coso_user, a, 60, "")
    actions.complete(w.coso_user, a, DUE, "Xong", day=DUE)
    actions.complete(w.coso_user, b, DUE, "Xong", day=DUE)
    assert fresh(parent).progress == 100
    actions.send_back(w.coso_user, a, "Chưa đạt")
    assert fresh(parent).progress == 80  # (60 + 100) / 2


def test_send_back_of_a_task_with_sub_tasks_keeps_the_rolled_up_progress(w):
    """A parent's progress is rolled up from its sub-tasks; reopened, it is their mean again (here all
    done: 100), not 0 for want of a progress report of its own."""
    parent = _parent(w)
    subtasks = actions.split(w.coso_user, parent, [_part(w, w.chibo), _part(w, w.cells[0])], START)
    for sub in subtasks:
        actions.complete(w.coso_user, sub, DUE, "Xong", day=DUE)
    actions.complete(w.coso_user, parent, DUE, "Xong", day=DUE)
    actions.send_back(w.khoi, parent, "Báo cáo tổng hợp chưa đạt")
    assert fresh(parent).completed_on is None
    assert fresh(parent).progress == 100


def test_a_sub_task_cannot_be_sent_back_under_a_completed_parent(w):
    """The parent was reported done on the strength of its sub-tasks: it is returned first."""
    parent = _parent(w)
    (sub,) = actions.split(w.coso_user, parent, [_part(w, w.chibo)], START)
    actions.complete(w.coso_user, sub, DUE, "Xong", day=DUE)
    actions.complete(w.coso_user, parent, DUE, "Xong", day=DUE)
    refused_task(lambda: actions.send_back(w.coso_user, sub, "Chưa đạt"), "trả lại nhiệm vụ cấp trên trước")
    actions.send_back(w.khoi, parent, "Chưa đạt")
    actions.send_back(w.coso_user, sub, "Chưa đạt")
    assert fresh(sub).completed_on is None and fresh(parent).progress == 0


def test_completion_withdraws_a_pending_extension(w):
    """A request still pending when the task is reported done is closed, audited, never decided later
    (a late completion would otherwise become on time after the fact)."""
    task = w.assign()
    extension = actions.request_extension(w.coso_user, task, DUE + 30 * DAY, "Lý do")
    actions.complete(w.coso_user, task, DUE + 5 * DAY, "Xong", day=DUE + 5 * DAY)
    extension.refresh_from_db()
    assert extension.decision == "withdrawn" and extension.decided_at is not None
    assert AuditEntry.objects.filter(target_type="tasks.extension", target_id=str(extension.pk),
                                     action="task_extension_withdraw").count() == 1  # fmt: skip
    refused_task(lambda: actions.decide_extension(w.khoi, extension, True), "đã được quyết định")
    assert fresh(task).due_on == DUE and status_on(task, DUE + 5 * DAY) == "done_late"


def test_the_rolled_up_progress_rounds_down(w):
    parent = _parent(w)
    a, _ = actions.split(w.coso_user, parent, [_part(w, w.chibo), _part(w, w.cells[0])], START)
    actions.log_progress(w.coso_user, a, 25, "")
    assert fresh(parent).progress == 12  # 12,5 rounds down


def test_a_completion_is_dated_at_most_a_week_back(w):
    """Timeliness is judged on the completion date: it is reported within a week, not dated back at will."""
    task = w.assign()
    refused_task(lambda: actions.complete(w.coso_user, task, DUE, "Xong", day=DUE + 8 * DAY), "trong vòng 7 ngày")
    actions.complete(w.coso_user, task, DUE, "Xong", day=DUE + 7 * DAY)
    assert status_on(task, DUE + 7 * DAY) == "done_on_time"


def test_a_task_a_unit_gave_itself_is_decided_by_the_unit_above(w):
    """coso's committee assigns itself a task: its extensions and its grade are the root's to decide."""
    from dangbo.accounts.scope import Scope
    from dangbo.tasks.access import deciding_unit, is_assigner

    task = w.assign(assigner=w.coso, unit=w.coso, head=w.coso_heads[0])
    assert deciding_unit(task) == w.root
    assert is_assigner(Scope(unit_id=w.root, sees_people=True, records=True), task)
    assert not is_assigner(Scope(unit_id=w.coso, sees_people=True, records=True), task)
    top = w.assign(assigner=w.root, unit=w.root, head=w.root_heads[0])
    assert deciding_unit(top) == w.root  # nothing above the top of the tree


# --- 7. recurring tasks -----------------------------------------------------------------------------------


SERIES_START, SERIES_FIRST, SERIES_END = D(2025, 1, 1), D(2025, 1, 31), D(2025, 12, 31)


def _series(w, recurrence=Recurrence.MONTHLY, first=SERIES_FIRST, day=SERIES_START - DAY, **extra) -> Task:
    """A series assigned before it starts (no occurrence yet), its first deadline `first`."""
    series = w.assign(starts_on=SERIES_START, due_on=SERIES_END, recurrence=recurrence, first_due_on=first,
                      title="Báo cáo tình hình tư tưởng", day=day, **extra)  # fmt: skip
    assert not series.occurrences.exists()
    return fresh(series)


def test_assign_a_monthly_series_keeps_its_first_deadline_and_makes_the_started_occurrences(w):
    """fields["first_due_on"] is the first occurrence's deadline (the task form sends it); by 15/03 three
    monthly occurrences have started: those due 31/01, 28/02 and 31/03."""
    fields = w.fields(starts_on=SERIES_START, due_on=SERIES_END, recurrence="monthly", first_due_on=SERIES_FIRST)
    series = actions.assign(w.coso_user, w.coso, actions.Assignment(fields, [w.cells[0]]), D(2025, 3, 15))
    assert fresh(series).first_due_on == SERIES_FIRST
    occurrences = list(Task.objects.filter(series=series).order_by("due_on"))
    assert [(t.starts_on, t.due_on) for t in occurrences] == [
        (D(2025, 1, 1), D(2025, 1, 31)), (D(2025, 2, 1), D(2025, 2, 28)), (D(2025, 3, 1), D(2025, 3, 31))]  # fmt: skip


def test_occurrences_are_tasks_of_their_own(w):
    series = _series(w, coordinating=[w.cells[0]])
    made = actions.generate_occurrences(series, D(2025, 3, 15), w.coso_user)
    assert [(t.starts_on, t.due_on, t.first_due_on) for t in made] == [
        (D(2025, 1, 1), D(2025, 1, 31), D(2025, 1, 31)), (D(2025, 2, 1), D(2025, 2, 28), D(2025, 2, 28)),
        (D(2025, 3, 1), D(2025, 3, 31), D(2025, 3, 31))]  # fmt: skip
    for task in map(fresh, made):
        assert (task.series_id, task.recurrence, task.responsible_unit_id, task.head_id, task.assigned_by_unit_id) == (
            series.pk, "", w.chibo, w.chibo_heads[0], w.coso)  # fmt: skip
        assert list(task.coordinating_units.values_list("pk", flat=True)) == [w.cells[0]]
        assert log_kinds(task) == ["assigned"]
    assert [t.title for t in made] == [f"Báo cáo tình hình tư tưởng (tháng {m:02d}/2025)" for m in (1, 2, 3)]


def test_generating_twice_adds_nothing(w):
    series = _series(w)
    assert len(actions.generate_occurrences(series, D(2025, 3, 15))) == 3
    before = task_state()
    assert actions.generate_occurrences(series, D(2025, 3, 15)) == []
    assert task_state() == before
    assert [t.due_on for t in actions.generate_occurrences(series, D(2025, 4, 1))] == [D(2025, 4, 30)]


def test_an_extended_occurrence_is_not_generated_again(w):
    series = _series(w)
    first, *_ = actions.generate_occurrences(series, D(2025, 1, 15))
    extension = actions.request_extension(w.coso_user, first, D(2025, 2, 10), "Chờ số liệu")
    actions.decide_extension(w.coso_user, extension, True)
    assert (fresh(first).due_on, fresh(first).first_due_on) == (D(2025, 2, 10), D(2025, 1, 31))
    made = actions.generate_occurrences(series, D(2025, 2, 15))
    assert [t.first_due_on for t in made] == [D(2025, 2, 28)]
    assert Task.objects.filter(series=series, first_due_on=D(2025, 1, 31)).count() == 1


def test_an_occurrence_is_unique_per_series_and_first_deadline(w):
    series = _series(w)
    (first,) = actions.generate_occurrences(series, D(2025, 1, 15))
    copy = Task(title=first.title, assigned_by_unit_id=w.coso, responsible_unit_id=w.chibo, head_id=first.head_id,
                expected_result="x", starts_on=first.starts_on, due_on=D(2025, 2, 5), first_due_on=first.first_due_on,
                series=series)  # fmt: skip
    with pytest.raises(IntegrityError), transaction.atomic():
        copy.save()


def test_generate_all_occurrences_covers_every_series(w):
    mine = _series(w)
    before = Task.objects.count()
    made = actions.generate_all_occurrences(D(2025, 2, 1))
    assert made == Task.objects.count() - before
    assert list(Task.objects.filter(series=mine).order_by("due_on").values_list("due_on", flat=True)) == [
        D(2025, 1, 31), D(2025, 2, 28)]  # fmt: skip
    assert actions.generate_all_occurrences(D(2025, 2, 1)) == 0


def test_quarterly_occurrence_deadlines_and_titles():
    series = Task(title="Báo cáo quý", recurrence=Recurrence.QUARTERLY, starts_on=D(2025, 1, 1),
                  first_due_on=D(2025, 3, 31), due_on=D(2025, 12, 31))  # fmt: skip
    assert actions.occurrence_deadlines(series) == [
        (D(2025, 1, 1), D(2025, 3, 31)), (D(2025, 4, 1), D(2025, 6, 30)),
        (D(2025, 7, 1), D(2025, 9, 30)), (D(2025, 10, 1), D(2025, 12, 31))]  # fmt: skip
    titles = [actions.occurrence_title(series, deadline) for _, deadline in actions.occurrence_deadlines(series)]
    assert titles == [f"Báo cáo quý (quý {q}/2025)" for q in ("I", "II", "III", "IV")]


def test_monthly_deadlines_keep_the_first_deadlines_day_and_stop_at_the_series_end():
    series = Task(title="Báo cáo tháng", recurrence=Recurrence.MONTHLY, starts_on=D(2025, 1, 1),
                  first_due_on=D(2025, 1, 31), due_on=D(2025, 5, 15))  # fmt: skip
    assert actions.occurrence_deadlines(series) == [
        (D(2025, 1, 1), D(2025, 1, 31)), (D(2025, 2, 1), D(2025, 2, 28)),
        (D(2025, 3, 1), D(2025, 3, 31)), (D(2025, 4, 1), D(2025, 4, 30))]  # fmt: skip


# --- 8. completion statistics, against hand-written SQL on the demo ----------------------------------

TODAY = datetime.date.today()
PERIODS = [
    (D(2024, 1, 1), D(2024, 12, 31), D(2024, 6, 30)),
    (D(2024, 1, 1), D(2024, 12, 31), D(2024, 12, 31)),
    (D(2025, 1, 1), D(2025, 12, 31), D(2025, 6, 30)),
    (D(2025, 1, 1), D(2025, 12, 31), D(2025, 12, 31)),
    (D(2025, 1, 1), D(2025, 12, 31), TODAY),
    (D(2026, 1, 1), D(2026, 12, 31), HORIZON),
    (D(2026, 7, 1), D(2026, 12, 31), TODAY),
    (D(2023, 1, 1), D(2026, 12, 31), TODAY),
]
PERIOD_IDS = [f"{s}..{e}@{o}" for s, e, o in PERIODS]

COUNTED_SQL = """
    SELECT {key}, COUNT(*),
           SUM(CASE WHEN t.completed_on <= t.due_on AND t.completed_on <= %(on)s THEN 1 ELSE 0 END),
           SUM(CASE WHEN t.grade = 'beyond' AND t.completed_on <= %(on)s THEN 1 ELSE 0 END)
    FROM tasks_task t {join}
    WHERE t.recurrence = '' AND t.due_on >= %(start)s AND t.due_on <= %(end)s
      AND ((t.completed_on IS NOT NULL AND t.completed_on <= %(on)s) OR t.due_on < %(on)s) {where}
    GROUP BY {key}
"""


def hand_completion(key: str, start, end, on, join: str = "", where: str = "", **params) -> dict:
    """{key: (counted, on time, beyond)} by hand-written SQL over tasks_task."""
    sql = COUNTED_SQL.format(key=key, join=join, where=where)
    rows = fetch(sql, {"start": start, "end": end, "on": on, **params})
    return {row[0]: (int(row[1]), int(row[2]), int(row[3])) for row in rows}


def as_tuples(result: dict) -> dict:
    return {key: (c.counted, c.on_time, c.beyond) for key, c in result.items()}


def all_ids(column: str) -> list[int]:
    return [r[0] for r in fetch(f"SELECT DISTINCT {column} FROM tasks_task ORDER BY {column}")]


@pytest.mark.parametrize("start, end, on", PERIODS, ids=PERIOD_IDS)
def test_head_completion_matches_hand_sql(demo, start, end, on):
    expected = hand_completion("t.head_id", start, end, on)
    assert as_tuples(figures.head_completion(all_ids("head_id"), start, end, on)) == expected


@pytest.mark.parametrize("start, end, on", PERIODS, ids=PERIOD_IDS)
def test_unit_completion_matches_hand_sql(demo, start, end, on):
    expected = hand_completion("t.responsible_unit_id", start, end, on)
    assert as_tuples(figures.unit_completion(all_ids("responsible_unit_id"), start, end, on)) == expected


def test_the_demo_figures_are_not_trivial(demo):
    """The comparisons above mean something: late, overdue-and-open, beyond and not-yet-due tasks are there."""
    whole = hand_completion("1", D(2023, 1, 1), D(2026, 12, 31), TODAY)[1]
    counted, on_time, beyond = whole
    assert counted > 400 and 0 < on_time < counted and beyond > 50
    (open_late,) = fetch("SELECT COUNT(*) FROM tasks_task WHERE recurrence = '' AND completed_on IS NULL "
                         "AND due_on < %s", [TODAY])[0]  # fmt: skip
    assert open_late > 0
    # Some task was due before a period's `on` day but done only after it (late as of `on`).
    done_after = [fetch("SELECT COUNT(*) FROM tasks_task WHERE recurrence = '' AND due_on < %s AND completed_on > %s",
                        [on, on])[0][0] for _, _, on in PERIODS]  # fmt: skip
    assert any(done_after), done_after


def test_completion_by_only_reads_the_tasks_given(demo):
    """`completion_by` over coso's committee's own tasks equals the hand count for that unit alone."""
    start, end, on = D(2023, 1, 1), D(2026, 12, 31), TODAY
    result = figures.completion_by("responsible_unit_id", Task.objects.filter(responsible_unit_id=demo["coso"]),
                                   start, end, on)  # fmt: skip
    expected = hand_completion("t.responsible_unit_id", start, end, on, where="AND t.responsible_unit_id = %(u)s",
                               u=demo["coso"])  # fmt: skip
    assert as_tuples(result) == expected and expected


def test_series_rows_never_count(w):
    """A series due in the period and past its end is not counted; its occurrences are."""
    series = _series(w)
    actions.generate_occurrences(series, D(2025, 3, 15))
    on = D(2026, 3, 1)
    result = figures.head_completion([w.chibo_heads[0]], D(2025, 1, 1), D(2025, 12, 31), on)[w.chibo_heads[0]]
    expected = hand_completion("t.head_id", D(2025, 1, 1), D(2025, 12, 31), on, where="AND t.head_id = %(h)s",
                               h=w.chibo_heads[0])[w.chibo_heads[0]]  # fmt: skip
    assert (result.counted, result.on_time, result.beyond) == expected
    (with_series,) = fetch("SELECT COUNT(*) FROM tasks_task WHERE head_id = %s AND due_on >= %s AND due_on <= %s "
                           "AND (completed_on <= %s OR due_on < %s)",
                           [w.chibo_heads[0], D(2025, 1, 1), D(2025, 12, 31), on, on])[0]  # fmt: skip
    assert with_series == result.counted + 1


def test_a_task_counts_by_its_extended_deadline(w):
    """Extended out of the period, a task leaves its figures; completed by the new deadline, it is on time."""
    head = w.chibo_heads[0]
    start, end = D(2025, 3, 1), D(2025, 5, 31)

    def mine(on):
        c = figures.head_completion([head], start, end, on).get(head)
        return (c.counted, c.on_time) if c else (0, 0)

    on = D(2025, 7, 31)
    base = mine(on)
    task = w.assign(due_on=D(2025, 5, 20))
    assert mine(on) == (base[0] + 1, base[1])  # open past its deadline: late
    extension = actions.request_extension(w.coso_user, task, D(2025, 6, 10), "Lý do")
    actions.decide_extension(w.coso_user, extension, True)
    assert mine(on) == base
    june = figures.head_completion([head], D(2025, 6, 1), D(2025, 6, 30), on)[head]
    actions.complete(w.coso_user, task, D(2025, 6, 5), "Xong", day=D(2025, 6, 5))
    after = figures.head_completion([head], D(2025, 6, 1), D(2025, 6, 30), on)[head]
    assert (after.counted, after.on_time) == (june.counted, june.on_time + 1)


def _hand_subtree(root_id: int, start, end, on) -> tuple[tuple, dict]:
    """The whole and {direct sub-unit: (counted, on time, beyond)} of the tasks of `root_id`'s subtree,
    each task's sub-unit re-derived from the paths of the versions valid on `on`."""
    root_path = hand_path(root_id, on)
    width = len(root_path) + PATH_WIDTH
    join = ("JOIN orgs_unitversion v ON v.unit_id = t.responsible_unit_id AND v.valid_from <= %(on)s "
            "AND (v.valid_to IS NULL OR v.valid_to > %(on)s)")  # fmt: skip
    by_path = hand_completion(f"substr(v.path, 1, {int(width)})", start, end, on, join=join,
                              where="AND v.path LIKE %(prefix)s", prefix=root_path + "%")  # fmt: skip
    children = dict(fetch("SELECT path, unit_id FROM orgs_unitversion WHERE parent_id = %s AND valid_from <= %s "
                          "AND (valid_to IS NULL OR valid_to > %s)", [root_id, on, on]))  # fmt: skip
    total = tuple(sum(values[i] for values in by_path.values()) for i in range(3))
    rows = {children[path]: values for path, values in by_path.items() if path in children}
    return total, rows


@pytest.mark.parametrize("start, end, on", PERIODS, ids=PERIOD_IDS)
@pytest.mark.parametrize("which", ["root", "coso"])
def test_subtree_completion_per_direct_sub_unit_matches_hand_sql(demo, which, start, end, on):
    root = UnitVersion.objects.on(on).get(unit_id=demo[which])
    total, rows = figures.subtree_completion(root, start, end, on)
    expected_total, expected_rows = _hand_subtree(demo[which], start, end, on)
    assert (total.counted, total.on_time, total.beyond) == expected_total
    assert {v.unit_id: (c.counted, c.on_time, c.beyond) for v, c in rows} == expected_rows
    assert all(c.counted for _, c in rows)
    names = [vn.text_sort_key(v.name) for v, _ in rows]
    assert names == sorted(names)


def test_subtree_totals_include_the_units_own_tasks(demo):
    """The root's own tasks (the committee's plan) count in the whole but in no sub-unit's row."""
    start, end, on = D(2024, 1, 1), D(2026, 12, 31), TODAY
    root = UnitVersion.objects.on(on).get(unit_id=demo["root"])
    total, rows = figures.subtree_completion(root, start, end, on)
    own = hand_completion("t.responsible_unit_id", start, end, on, where="AND t.responsible_unit_id = %(u)s",
                          u=demo["root"])[demo["root"]]  # fmt: skip
    assert own[0] > 0
    assert total.counted == sum(c.counted for _, c in rows) + own[0]


def test_whole_percent_rounds_down():
    assert [figures.whole_percent(p, w) for p, w in ((2, 3), (1, 3), (999, 1000), (3, 3), (0, 5), (1, 0))] == [
        66, 33, 99, 100, 0, None]  # fmt: skip


# --- 9. the task criteria of the ratings (Quy định 366-QĐ/TW) --------------------------------------


def _round() -> RatingPeriod:
    return RatingPeriod.objects.get(kind=PeriodKind.YEAR, year=2025)


def _score(period: RatingPeriod, level: str) -> int:
    score = {"excellent": period.excellent_min, "good": period.good_min, "done": period.done_min,
             "failed": period.done_min - 1}[level]  # fmt: skip
    assert ratings.level_for_score(period, score) == level
    return score


def _task_free_ratings(period: RatingPeriod, grassroots_id: int) -> list[MemberRating]:
    """Undecided, not exempted, not disciplined ratings of the 2025 round in one grassroots organisation,
    whose member headed no task due in 2025 and held activity in their cell all year (hand SQL)."""
    sql = """
        SELECT r.id FROM ratings_memberrating r
        WHERE r.period_id = %s AND r.grassroots_id = %s AND r.decided_level = ''
          AND r.exempted = %s AND r.disciplined = %s
          AND EXISTS (SELECT 1 FROM members_stint s WHERE s.member_id = r.member_id AND s.unit_id = r.cell_id
                      AND s.kind = 'official' AND s.start <= %s AND (s."end" IS NULL OR s."end" > %s))
          AND NOT EXISTS (SELECT 1 FROM tasks_task t WHERE t.head_id = r.member_id AND t.due_on >= %s
                          AND t.due_on <= %s)
        ORDER BY r.id
    """
    ids = [r[0] for r in fetch(sql, [period.pk, grassroots_id, False, False, D(2025, 1, 1), D(2026, 1, 1),
                                     D(2025, 1, 1), D(2025, 12, 31)])]  # fmt: skip
    assert len(ids) >= 5
    return list(MemberRating.unscoped.filter(pk__in=ids).select_related("member").order_by("pk"))


def _give_tasks(w, rating: MemberRating, outcomes: list[tuple[int, int | None, str]]) -> list[Task]:
    """Tasks in 2025 headed by the rated member in their cell: (deadline month, days after the deadline
    it was completed or None, grade)."""
    made = []
    for month, late_by, grade in outcomes:
        due = D(2025, month, 20)
        task = w.assign(unit=rating.cell_id, head=rating.member_id, starts_on=D(2025, month, 1), due_on=due,
                        day=D(2025, 1, 15))  # fmt: skip
        if late_by is not None:
            done = due + late_by * DAY
            actions.complete(w.coso_user, task, done, "Đã hoàn thành", day=done)
            if grade:
                actions.grade(w.coso_user, task, grade)
        made.append(task)
    return made


@pytest.fixture
def rated(w):
    """The 2025 round, and five task-free ratings of coso's committee (members of its cells)."""
    period = _round()
    return period, _task_free_ratings(period, w.coso)


def test_task_criteria_sets_whole_percents_rounded_down(w, rated):
    period, (rating, *_) = rated
    # On time (beyond), on time, late (beyond), and one due in 2026: not in the period.
    _give_tasks(w, rating, [(3, 0, "beyond"), (5, -3, "met"), (7, 4, "beyond")])
    w.assign(unit=rating.cell_id, head=rating.member_id, starts_on=D(2025, 12, 1), due_on=D(2026, 1, 20),
             day=D(2025, 1, 15))  # fmt: skip
    ratings.task_criteria(period, [rating])
    assert (rating.tasks_on_time, rating.tasks_beyond) == (66, 66)


def test_task_criteria_is_none_without_counted_tasks(w, rated):
    period, (rating, *_) = rated
    ratings.task_criteria(period, [rating])
    assert (rating.tasks_on_time, rating.tasks_beyond) == (None, None)
    ratings.decide(w.coso_user, {rating.pk: ("good", _score(period, "good"))}, period)
    rating.refresh_from_db()
    assert (rating.decided_level, rating.tasks_on_time, rating.tasks_beyond) == ("good", None, None)


def test_good_and_excellent_need_every_task_on_time(w, rated):
    period, (rating, *_) = rated
    _give_tasks(w, rating, [(m, 0, "beyond") for m in (2, 3, 4, 5, 6, 7, 8, 9, 10)] + [(11, 1, "beyond")])
    for level in ("good", "excellent"):
        message = refused(lambda level=level: ratings.decide(w.coso_user, {rating.pk: (level, _score(period, level))},
                                                              period), match=RULE_366)  # fmt: skip
        assert "100% nhiệm vụ hoàn thành đúng hạn" in message and "90%" in message
        assert rating.member.full_name in message
    ratings.decide(w.coso_user, {rating.pk: ("done", _score(period, "done"))}, period)  # 90% >= 80%
    rating.refresh_from_db()
    assert (rating.decided_level, rating.tasks_on_time, rating.tasks_beyond) == ("done", 90, 100)


def test_done_needs_at_most_a_fifth_late(w, rated):
    period, (rating, *_) = rated
    _give_tasks(w, rating, [(2, 0, ""), (3, 0, ""), (4, 5, ""), (5, 0, "")])  # 3 of 4 on time: 75%
    message = refused(lambda: ratings.decide(w.coso_user, {rating.pk: ("done", _score(period, "done"))}, period),
                      match=RULE_366)  # fmt: skip
    assert "không quá 20%" in message and "25%" in message
    ratings.decide(w.coso_user, {rating.pk: ("failed", _score(period, "failed"))}, period)
    rating.refresh_from_db()
    assert (rating.decided_level, rating.tasks_on_time, rating.tasks_beyond) == ("failed", 75, 0)


def test_an_open_task_past_its_deadline_counts_late(w, rated):
    period, (rating, *_) = rated
    _give_tasks(w, rating, [(2, 0, ""), (3, 0, ""), (4, None, "")])  # the last still open at the end of 2025
    ratings.task_criteria(period, [rating])
    assert (rating.tasks_on_time, rating.tasks_beyond) == (66, 0)


def test_exactly_four_fifths_on_time_allows_done(w, rated):
    period, (rating, *_) = rated
    _give_tasks(w, rating, [(2, 0, ""), (3, 0, ""), (4, 0, ""), (5, 0, ""), (6, 2, "")])
    ratings.decide(w.coso_user, {rating.pk: ("done", _score(period, "done"))}, period)
    rating.refresh_from_db()
    assert (rating.decided_level, rating.tasks_on_time) == ("done", 80)


def test_excellent_needs_thirty_percent_beyond(w, rated):
    period, (rating, *others) = rated
    _give_tasks(w, rating, [(2, 0, "beyond"), (3, 0, "met"), (4, 0, "met"), (5, 0, "met")])  # 25% beyond
    batch = {r.pk: ("good", _score(period, "good")) for r in others[:4]}
    excellent = {rating.pk: ("excellent", _score(period, "excellent"))}
    message = refused(lambda: ratings.decide(w.coso_user, batch | excellent, period), match=RULE_366)
    assert "ít nhất 30% nhiệm vụ vượt yêu cầu" in message and "25%" in message
    ratings.decide(w.coso_user, batch | {rating.pk: ("good", _score(period, "good"))}, period)
    rating.refresh_from_db()
    assert (rating.decided_level, rating.tasks_on_time, rating.tasks_beyond) == ("good", 100, 25)


def test_all_on_time_and_enough_beyond_allow_excellent(w, rated):
    period, (rating, *others) = rated
    _give_tasks(w, rating, [(2, 0, "beyond"), (3, -2, "met"), (4, 0, "beyond")])  # 66% beyond
    batch = {r.pk: ("good", _score(period, "good")) for r in others[:4]}  # room in the 20% quota
    ratings.decide(w.coso_user, batch | {rating.pk: ("excellent", _score(period, "excellent"))}, period)
    rating.refresh_from_db()
    assert (rating.decided_level, rating.tasks_on_time, rating.tasks_beyond) == ("excellent", 100, 66)
    entry = AuditEntry.objects.filter(action="rating_decide", target_id=str(rating.pk)).get()
    assert (entry.after["tasks_on_time"], entry.after["tasks_beyond"]) == (100, 66)


def test_a_task_due_on_the_periods_last_day_and_never_done_counts_once_the_round_is_decided(w, rated):
    """Decided after the period (today), a task due 31/12/2025 and still open is late: the figures are
    read as the statistics read them today, where it is overdue."""
    period, (rating, *_) = rated
    _give_tasks(w, rating, [(3, 0, "")])
    w.assign(unit=rating.cell_id, head=rating.member_id, starts_on=D(2025, 12, 1), due_on=D(2025, 12, 31),
             day=D(2025, 1, 15))  # fmt: skip
    assert TODAY > period.ends_on
    stats = figures.head_completion([rating.member_id], period.starts_on, period.ends_on, TODAY)[rating.member_id]
    assert (stats.counted, stats.on_time) == (2, 1)
    ratings.task_criteria(period, [rating])
    assert rating.tasks_on_time == 50


def test_unit_ratings_get_the_units_own_task_figures(w, rated):
    """An organisation's figures are its tasks as the responsible unit (hand SQL), and cap its level."""
    period, _ = rated
    unit_rating = UnitRating.objects.get(period=period, unit_id=w.chibo)
    _give_tasks(w, _FakeRating(w.chibo, w.chibo_heads[0]), [(2, 0, "beyond"), (3, 6, "")])
    on = min(period.ends_on, TODAY)
    own = hand_completion("t.responsible_unit_id", period.starts_on, period.ends_on, on,
                          where="AND t.responsible_unit_id = %(u)s", u=w.chibo)  # fmt: skip
    counted, on_time, beyond = own[w.chibo]
    assert on_time < counted
    message = refused(lambda: ratings.decide_units(w.khoi, {unit_rating.pk: ("good", _score(period, "good"))}, period),
                      match=RULE_366)  # fmt: skip
    assert "100% nhiệm vụ hoàn thành đúng hạn" in message
    ratings.decide_units(w.khoi, {unit_rating.pk: ("failed", _score(period, "failed"))}, period)
    unit_rating.refresh_from_db()
    assert (unit_rating.tasks_on_time, unit_rating.tasks_beyond) == (on_time * 100 // counted, beyond * 100 // counted)


@dataclass
class _FakeRating:
    """Where `_give_tasks` puts tasks: a cell and a head in it."""

    cell_id: int
    member_id: int


# --- 10. the demo's tasks ----------------------------------------------------------------------------


def _conclusions():
    return Task.objects.filter(source="conclusion", source_number="245-TB/TU")


def test_the_demo_holds_the_sessions_conclusions(demo):
    titles = list(_conclusions().filter(parent=None, series=None).values_list("title", flat=True))
    conclusions = ("Phó Bí thư", "Luân chuyển cán bộ", "Trung cấp lý luận chính trị",
                   "Báo cáo Thành ủy tình hình tư tưởng", "Nghị quyết 45-NQ/TW", "kiểm tra, giám sát")  # fmt: skip
    for words in conclusions:
        assert sum(words.lower() in t.lower() for t in titles) == 1, words
    assert all(t.responsible_unit_id == demo["root"] and t.assigned_by_unit_id == demo["root"]
               for t in _conclusions().filter(parent=None, series=None))  # fmt: skip
    deputy = _conclusions().get(title__contains="Phó Bí thư")
    assert deputy.priority == "high"
    assert deputy.completed_on is not None and deputy.completed_on <= deputy.due_on
    theory = _conclusions().get(title__contains="Trung cấp lý luận")
    assert (theory.result_kind, theory.result_indicator) == ("indicator", "theory_intermediate")


def test_the_demo_monthly_report_recurs_from_november_2024(demo):
    series = _conclusions().get(recurrence="monthly")
    assert series.first_due_on == D(2024, 11, 25)
    deadlines = list(series.occurrences.order_by("first_due_on").values_list("first_due_on", flat=True))
    expected = [vn.add_months(D(2024, 11, 25), k) for k in range(len(deadlines))]
    assert deadlines == expected
    assert deadlines[0] == D(2024, 11, 25) and deadlines[-1] >= D(2026, 11, 25)
    first = series.occurrences.get(first_due_on=D(2024, 11, 25))
    assert first.title.endswith("(tháng 11/2024)") and first.starts_on == D(2024, 11, 1)
    # The demo agrees with the generator: nothing is missing as of the demo's last day.
    assert actions.generate_occurrences(series, HORIZON) == []


def test_the_demo_propagation_is_split_among_the_grassroots_organisations(demo):
    day = D(2024, 11, 5)
    parent = _conclusions().get(title__contains="Nghị quyết 45-NQ/TW", parent=None)
    subtasks = list(parent.subtasks.all())
    units = [t.responsible_unit_id for t in subtasks]
    sql = """
        SELECT unit_id FROM orgs_unitversion
        WHERE parent_id = %s AND kind IN ('grassroots_committee', 'grassroots_cell')
          AND valid_from <= %s AND (valid_to IS NULL OR valid_to > %s)
    """
    expected = [r[0] for r in fetch(sql, [demo["root"], day, day])]
    assert sorted(units) == sorted(expected) and len(units) == len(set(units))
    assert all(t.starts_on == day and t.due_on <= parent.due_on and t.assigned_by_unit_id == demo["root"]
               for t in subtasks)  # fmt: skip


def test_the_demo_has_overdue_late_and_beyond_tasks(demo):
    statuses = set(Task.objects.work().with_status(TODAY).values_list("status", flat=True))
    assert {"overdue", "done_late", "done_on_time"} <= statuses
    (overdue,) = fetch("SELECT COUNT(*) FROM tasks_task WHERE recurrence = '' AND completed_on IS NULL "
                       "AND due_on < %s", [TODAY])[0]  # fmt: skip
    assert overdue >= 1
    assert Task.objects.filter(grade="beyond").exists()
    assert Task.objects.filter(grade="beyond", completed_on__gt=D(2000, 1, 1)).count() > 10


def test_coso_has_a_closed_ungraded_task_and_a_pending_extension(demo):
    mine = Task.objects.filter(responsible_unit_id=demo["coso"])
    assert mine.filter(completed_on__isnull=False, grade="").exists()
    assert Extension.objects.filter(task__in=mine, decision=Decision.PENDING).exists()


def test_every_demo_head_is_active_in_the_responsible_units_subtree_on_the_start_day(demo):
    sql = """
        SELECT t.id FROM tasks_task t
        LEFT JOIN orgs_unitversion r ON r.unit_id = t.responsible_unit_id AND r.valid_from <= t.starts_on
             AND (r.valid_to IS NULL OR r.valid_to > t.starts_on)
        WHERE r.id IS NULL OR NOT EXISTS (
            SELECT 1 FROM members_stint s
            JOIN orgs_unitversion c ON c.unit_id = s.unit_id AND c.valid_from <= t.starts_on
                 AND (c.valid_to IS NULL OR c.valid_to > t.starts_on)
            WHERE s.member_id = t.head_id AND s.kind = 'official' AND s.start <= t.starts_on
              AND (s."end" IS NULL OR s."end" > t.starts_on) AND c.path LIKE r.path || %s)
        ORDER BY t.id
    """
    assert fetch(sql, ["%"]) == []


def test_demo_heads_agree_with_counted_stints(demo):
    """The same check through `counted_stints`, on the conclusions (root's tasks and their sub-tasks)."""
    for task in _conclusions().select_related("responsible_unit"):
        version = UnitVersion.objects.on(task.starts_on).get(unit_id=task.responsible_unit_id)
        assert counted_stints(version, task.starts_on).filter(member_id=task.head_id).exists(), task.pk


def test_demo_deadlines_agree_with_the_extensions(demo):
    """Each task's deadline is its first one moved by its last approved extension; sub-tasks end by their parent."""
    approved = {}
    for task_id, new in Extension.objects.filter(decision=Decision.APPROVED).order_by("requested_at", "pk") \
            .values_list("task_id", "new_due_on"):  # fmt: skip
        approved[task_id] = new
    for pk, due, first in Task.objects.work().values_list("pk", "due_on", "first_due_on"):
        assert due == approved.get(pk, first), pk
    late_children = "SELECT c.id FROM tasks_task c JOIN tasks_task p ON p.id = c.parent_id WHERE c.due_on > p.due_on"
    assert fetch(late_children) == []
