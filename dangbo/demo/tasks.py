"""The demo's tasks: the conclusions of the city secretary's working session with the committee on
16/10/2024 (DOMAIN §11), made tasks of the committee's implementation plan and assigned to the
right units — a deputy secretary to appoint, cadres to rotate, an intermediate political-theory
class with the city's political school, the monthly report on the situation of opinion (recurring),
Nghị quyết 45-NQ/TW and 35/2021/QH15 propagated to every member (split among the grassroots
organisations), inspection and supervision —, and a spread of tasks across units and years: most
done on time, some late, some extended, some overdue today, some graded beyond requirement.

The history is written in bulk with its own dates (the follow-up log, the extensions, the
evaluations), as the actions would have written it on those days."""

from __future__ import annotations

import datetime
import random
from collections import defaultdict

from django.utils import timezone

from dangbo.lib import vn
from dangbo.members.models import StintKind
from dangbo.orgs.models import CELL_KINDS, UnitKind
from dangbo.tasks.actions import occurrence_deadlines, occurrence_title, rolled_up
from dangbo.tasks.models import (
    Decision,
    Extension,
    Grade,
    Priority,
    Recurrence,
    ResultKind,
    Source,
    Task,
    TaskUpdate,
    UpdateKind,
)

from .days import HORIZON

date = datetime.date
SESSION = date(2024, 10, 16)
NOTICE = ("245-TB/TU", date(2024, 10, 22))  # the city committee's conclusion notice of the session
PLAN = ("112-KH/ĐUK", date(2024, 11, 1))  # the committee's plan carrying it out
SPREAD_GRASSROOTS = 80  # at most this many grassroots organisations get the yearly spread of tasks
RATED_YEAR = 2025  # the demo's rating round under way

SPREAD_TITLES = [
    ("Xây dựng kế hoạch sinh hoạt chuyên đề năm {year} của chi bộ", "Kế hoạch được chi ủy thông qua, gửi đảng ủy"),
    ("Rà soát, cập nhật hồ sơ đảng viên năm {year}", "Hồ sơ 100% đảng viên được rà soát, cập nhật"),
    ("Tổ chức học tập, quán triệt nghị quyết của cấp ủy cấp trên năm {year}", "Báo cáo kết quả học tập, quán triệt"),
    ("Phát triển đảng viên mới năm {year}", "Kết nạp đảng viên theo chỉ tiêu được giao"),
    ("Kiểm điểm, đánh giá, xếp loại chất lượng tổ chức đảng, đảng viên năm {year}", "Báo cáo kết quả kiểm điểm"),
    ("Giám sát chuyên đề việc thực hiện quy định nêu gương năm {year}", "Báo cáo kết quả giám sát"),
    ("Thu, nộp đảng phí năm {year} đúng quy định", "Báo cáo thu, nộp đảng phí"),
    ("Xây dựng mô hình “Dân vận khéo” năm {year}", "Mô hình được đăng ký và triển khai"),
]


class Heads:
    """Members with official activity in a unit's subtree on a day, to name as a task's head."""

    def __init__(self, builder):
        self.by_cell = defaultdict(list)
        for stint in builder.stint_rows:
            if stint.kind == StintKind.OFFICIAL:
                self.by_cell[stint.unit_id].append((stint.member_id, stint.start, stint.end))
        self.children = defaultdict(list)  # every unit that lay directly under a unit at some time
        for unit in builder.units:
            for parent in {unit.parent, *(parent for _, parent in unit.moves)} - {None}:
                self.children[parent].append(unit)
        self.anchors = {}

    def _cells_under(self, spec, day):
        """The cells of the subtree on `day`, walked down from `spec` (a city has tens of thousands
        of cells: testing each one's path was most of building its demo)."""
        found, stack = [], [spec]
        while stack:
            unit = stack.pop()
            if unit.kind in CELL_KINDS and unit.exists_on(day):
                found.append(unit)
            stack.extend(self._directly_under(unit, day))
        return found

    def _directly_under(self, unit, day):
        return [child for child in self.children[unit] if child.parent_on(day) is unit]

    def cells_of(self, unit, day):
        """The cells directly under `unit` on `day`, in the builder's order."""
        return [c for c in self._directly_under(unit, day) if c.kind in CELL_KINDS and c.exists_on(day)]

    def pick(self, rng, spec, day, until=None):
        """A member active in the subtree from `day` (to `until` where possible)."""
        key = (spec.unit_id, day)
        if key not in self.anchors:
            self.anchors[key] = self._cells_under(spec, day)
        cells = self.anchors[key]
        people = [(m, end) for c in cells for m, start, end in self.by_cell[c.unit_id]
                  if start <= day and (end is None or day < end)]  # fmt: skip
        lasting = [m for m, end in people if until is None or end is None or end > until]
        pool = lasting or [m for m, _ in people]
        return rng.choice(sorted(pool)) if pool else None


class Writer:
    def __init__(self, builder, horizon: date, seed: int):
        self.builder, self.horizon, self.rng = builder, horizon, random.Random(seed)
        self.heads = Heads(builder)
        self.updates: list[TaskUpdate] = []
        self.extensions: list[Extension] = []
        self.graded: dict[int, TaskUpdate] = {}  # each graded task's entry in the log
        self.count = 0

    def _at(self, day: date, hour: int = 9) -> datetime.datetime:
        return timezone.make_aware(datetime.datetime(day.year, day.month, day.day, hour, self.rng.randrange(60)))

    def task(self, assigner, responsible, title, result, start, due, *, source=Source.AD_HOC, number="",
             source_date=None, parent=None, series=None, recurrence="", priority=Priority.NORMAL, outcome=None,
             head=None, coordinating=(), **extra):  # fmt: skip
        """A task with the history of `outcome`: None (drawn at random), "open", "on_time", "late",
        "overdue", "closed" (done, awaiting evaluation), "pending" (an extension awaiting a decision)."""
        rng = self.rng
        head = head or self.heads.pick(rng, responsible, start, due)
        if head is None:
            return None
        task = Task(title=title, search_title=vn.fold(title), source=source, source_number=number,
                    source_date=source_date, assigned_by_unit_id=assigner.unit_id,
                    responsible_unit_id=responsible.unit_id, head_id=head, expected_result=result, starts_on=start,
                    due_on=due, first_due_on=due, priority=priority, parent=parent, series=series,
                    recurrence=recurrence, created_at=self._at(start, 8), **extra)  # fmt: skip
        task.save()
        if coordinating:
            task.coordinating_units.set([u.unit_id for u in coordinating])
        self.count += 1
        self.updates.append(TaskUpdate(task=task, kind=UpdateKind.ASSIGNED, note=result, at=task.created_at))
        if not recurrence:
            self._history(task, outcome)
        return task

    def _history(self, task: Task, outcome: str | None) -> None:
        rng, horizon = self.rng, self.horizon
        if task.starts_on > horizon:
            return
        if outcome is None:
            if task.due_on > horizon:
                outcome = "on_time" if rng.random() < 0.1 else "open"
            else:
                draw = rng.random()
                outcome = "on_time" if draw < 0.78 else "late" if draw < 0.93 else "overdue"
                if outcome == "overdue" and task.due_on < horizon - datetime.timedelta(days=150):
                    outcome = "late"  # long past: done in the end, late
        if task.due_on.year == RATED_YEAR and outcome != "defer":
            outcome = "on_time"  # the year of the round under way: see `calibrate`
        if outcome == "defer":
            return  # a task split among sub-units: its history follows theirs (`settle`)
        if outcome in ("on_time", "late") and rng.random() < 0.12:
            self._extension(task, approve=outcome == "on_time")
        if outcome == "pending":
            self._extension(task, approve=None)
            outcome = "open"
        if outcome == "on_time":
            low = max(task.starts_on, task.due_on - datetime.timedelta(days=25))
            done = min(low + datetime.timedelta(days=rng.randint(0, max((task.due_on - low).days, 0))), horizon)
        elif outcome == "late":
            recent = task.due_on > horizon - datetime.timedelta(days=150)
            done = task.due_on + datetime.timedelta(days=rng.randint(2, 40 if recent else 120))
            if done > horizon:
                done, outcome = None, "overdue"
        elif outcome == "closed":
            done = min(horizon - datetime.timedelta(days=2), task.due_on)
        else:
            done = None
        last = done or (horizon if outcome == "open" and rng.random() < 0.8 else
                        min(horizon, task.due_on) - datetime.timedelta(days=rng.randint(15, 60)))  # fmt: skip
        last = max(last, task.starts_on)
        steps = sorted({task.starts_on + (last - task.starts_on) * k // 3 for k in (1, 2)} | {last})
        progress = 0
        for day in steps[:-1] if done else steps:
            progress = min(95, progress + rng.randint(15, 40))
            self.updates.append(TaskUpdate(task=task, kind=UpdateKind.PROGRESS, progress=progress, at=self._at(day, 15),
                                           note=rng.choice(PROGRESS_NOTES)))  # fmt: skip
        task.progress, task.last_update_at = progress, self._at(last, 15)
        if done is not None:
            task.completed_on, task.progress = done, 100
            task.completion_report = f"Đã hoàn thành: {task.expected_result.lower()}."
            self.updates.append(TaskUpdate(task=task, kind=UpdateKind.COMPLETED, progress=100,
                                           note=task.completion_report, at=self._at(done, 16)))  # fmt: skip
            graded_on = done + datetime.timedelta(days=rng.randint(2, 10))
            if outcome != "closed" and graded_on <= horizon and (rng.random() < 0.92 or done.year == RATED_YEAR):
                task.grade = Grade.BEYOND if rng.random() < (0.4 if outcome == "on_time" else 0.05) else Grade.MET
                task.graded_at = self._at(graded_on, 10)
                timing = "đúng hạn" if done <= task.due_on else "trễ hạn"
                self.graded[task.pk] = TaskUpdate(task=task, kind=UpdateKind.GRADED, at=task.graded_at,
                                                  note=f"{Grade(task.grade).label}, hoàn thành {timing}.")  # fmt: skip
                self.updates.append(self.graded[task.pk])
        task.save()

    def _extension(self, task: Task, approve: bool | None) -> None:
        rng = self.rng
        asked = max(task.starts_on, task.due_on - datetime.timedelta(days=rng.randint(3, 12)))
        asked = min(asked, self.horizon - datetime.timedelta(days=1))
        new_due = task.due_on + datetime.timedelta(days=rng.choice([15, 30, 45]))
        if task.parent is not None:
            new_due = min(new_due, task.parent.due_on)
        if new_due <= task.due_on:
            return
        reason = rng.choice(EXTENSION_REASONS)
        extension = Extension(task=task, due_on=task.due_on, new_due_on=new_due, reason=reason,
                              requested_at=self._at(asked, 10))  # fmt: skip
        self.updates.append(TaskUpdate(task=task, kind=UpdateKind.EXTENSION_REQUESTED, at=extension.requested_at,
                                       note=f"Đề nghị gia hạn đến {vn.format_date(new_due)}: {reason}"))  # fmt: skip
        if approve is not None:
            decided = asked + datetime.timedelta(days=2)
            extension.decision = Decision.APPROVED if approve else Decision.REFUSED
            extension.decided_at = self._at(decided, 14)
            extension.decision_note = "" if approve else "Đề nghị khẩn trương hoàn thành đúng thời hạn đã giao."
            kind = UpdateKind.EXTENSION_APPROVED if approve else UpdateKind.EXTENSION_REFUSED
            text = (f"Đồng ý gia hạn từ {vn.format_date(task.due_on)} đến {vn.format_date(new_due)}." if approve else
                    f"Không đồng ý gia hạn đến {vn.format_date(new_due)}. {extension.decision_note}")  # fmt: skip
            self.updates.append(TaskUpdate(task=task, kind=kind, note=text, at=extension.decided_at))
            if approve:
                task.due_on = new_due
        self.extensions.append(extension)

    def settle(self, parent: Task) -> None:
        """A split task: done once its sub-tasks are (on the day of the last), else their mean progress."""
        subtasks = list(parent.subtasks.all())
        if all(t.completed_on for t in subtasks):
            last = max(t.completed_on for t in subtasks)
            self._history(parent, "on_time" if last <= parent.due_on else "late")
            return
        parent.progress = rolled_up(parent)
        parent.last_update_at = max(t.last_update_at for t in subtasks if t.last_update_at)
        parent.save(update_fields=["progress", "last_update_at"])

    def calibrate(self) -> None:
        """The demo's 2025 rating round is under way (its proposals stand as the README tells):
        every task due in 2025 was done on time, and at least 30% of each head's and each unit's
        were graded beyond requirement, so no result of the round is held back by its tasks."""
        tasks = list(Task.objects.work().filter(due_on__year=RATED_YEAR))
        for group in (lambda t: t.head_id, lambda t: t.responsible_unit_id):
            by_key = defaultdict(list)
            for task in tasks:
                by_key[group(task)].append(task)
            for own in by_key.values():
                short = -(-3 * len(own) // 10) - sum(t.grade == Grade.BEYOND for t in own)
                for task in [t for t in own if t.grade != Grade.BEYOND][: max(short, 0)]:
                    task.grade = Grade.BEYOND
                    task.save(update_fields=["grade"])
                    self.graded[task.pk].note = f"{Grade.BEYOND.label}, hoàn thành đúng hạn."

    def flush(self) -> None:
        TaskUpdate.objects.bulk_create(self.updates, batch_size=2000)
        Extension.objects.bulk_create(self.extensions, batch_size=2000)


PROGRESS_NOTES = [
    "Đã xây dựng kế hoạch, phân công cán bộ thực hiện.",
    "Đang triển khai theo kế hoạch; đã hoàn thành các nội dung trọng tâm.",
    "Đã tổ chức hội nghị, đang tổng hợp kết quả.",
    "Đã dự thảo báo cáo, đang xin ý kiến cấp ủy.",
]
EXTENSION_REASONS = [
    "Trùng thời gian cao điểm công tác chuyên môn của cơ quan.",
    "Chờ hướng dẫn của cấp trên về biểu mẫu báo cáo.",
    "Nhân sự phụ trách được cử đi học tập trung.",
]


def write_tasks(builder, horizon: date, seed: int) -> dict:
    writer = Writer(builder, horizon, seed)
    rng = writer.rng
    root, coso, chibo = builder.root, builder.coso, builder.chibo
    grassroots = sorted((u for u in builder.units if u.kind in (UnitKind.GRASSROOTS_COMMITTEE, UnitKind.GRASSROOTS_CELL)
                         and u.exists_on(PLAN[1])), key=lambda u: u.unit_id)  # fmt: skip
    notice = {"source": Source.CONCLUSION, "number": NOTICE[0], "source_date": NOTICE[1]}
    start = PLAN[1]

    # The session's conclusions (DOMAIN §11), assigned by the committee's plan.
    writer.task(root, root, "Kiện toàn 01 đồng chí Phó Bí thư Đảng ủy Khối bằng nguồn tại chỗ trong quy hoạch",
                "Quyết định chuẩn y Phó Bí thư Đảng ủy Khối", start, date(2024, 12, 31), outcome="on_time",
                priority=Priority.HIGH, **notice)  # fmt: skip
    writer.task(root, root, "Luân chuyển cán bộ Đảng ủy Khối diện Ban Thường vụ Thành ủy quản lý về các quận, "
                "huyện, sở, ngành", "Đề án luân chuyển cán bộ được Ban Thường vụ Thành ủy phê duyệt", start,
                date(2025, 6, 30), outcome="on_time", **notice)  # fmt: skip
    writer.task(root, root, "Phối hợp Trường Chính trị Tô Hiệu mở lớp Trung cấp lý luận chính trị cho cán bộ, đảng "
                "viên trong quy hoạch cấp ủy, lãnh đạo cấp phòng", "Khai giảng lớp Trung cấp lý luận chính trị",
                start, date(2025, 3, 31), outcome="on_time", result_kind=ResultKind.INDICATOR,
                result_indicator="theory_intermediate", result_value=45, **notice)  # fmt: skip
    series = writer.task(root, root, "Báo cáo Thành ủy tình hình tư tưởng của cán bộ, đảng viên trong Khối",
                         "Báo cáo tình hình tư tưởng gửi Thành ủy (định kỳ hằng tháng hoặc đột xuất)", start,
                         date(max(2026, horizon.year), 12, 31), recurrence=Recurrence.MONTHLY,
                         priority=Priority.HIGH,
                         **notice)  # fmt: skip
    series.first_due_on = date(2024, 11, 25)
    series.save(update_fields=["first_due_on"])
    occurrences = [(first, deadline) for first, deadline in occurrence_deadlines(series) if first <= horizon]
    last_due = max(deadline for _, deadline in occurrences if deadline <= horizon)  # the report now overdue
    for first, deadline in occurrences:
        outcome = "overdue" if deadline == last_due else ("late" if rng.random() < 0.1 else "on_time")
        writer.task(root, root, occurrence_title(series, deadline), series.expected_result, first, deadline,
                    series=series, head=series.head_id, outcome=outcome if deadline <= horizon else "open",
                    **notice)  # fmt: skip
    propagate = writer.task(root, root, "Quán triệt, tuyên truyền Nghị quyết 45-NQ/TW của Bộ Chính trị và Nghị quyết "
                            "35/2021/QH15 của Quốc hội tới toàn thể cán bộ, đảng viên",
                            "100% tổ chức cơ sở đảng tổ chức quán triệt tới đảng viên", start, date(2024, 12, 31),
                            outcome="defer", **notice)  # fmt: skip
    late_ones = set(rng.sample(range(len(grassroots)), k=max(1, len(grassroots) // 10)))
    open_ones = set(rng.sample(sorted(set(range(len(grassroots))) - late_ones), k=min(3, len(grassroots) - 1)))
    for i, unit in enumerate(grassroots):
        outcome = (
            "on_time" if unit is coso else "late" if i in late_ones else "overdue" if i in open_ones else "on_time"
        )
        writer.task(root, unit, propagate.title, "Hội nghị quán triệt tới 100% đảng viên; báo cáo kết quả",
                    date(2024, 11, 5), date(2024, 12, 31), parent=propagate, outcome=outcome, **notice)  # fmt: skip
    inspect = writer.task(root, root, "Tăng cường kiểm tra, giám sát, kịp thời phát hiện, phòng ngừa vi phạm; "
                          "thực hiện nghiêm kỷ luật công vụ", "Báo cáo kết quả kiểm tra, giám sát năm 2025", start,
                          date(2025, 12, 31), outcome="defer", **notice)  # fmt: skip
    for unit in rng.sample(grassroots, k=min(10, len(grassroots))):
        writer.task(root, unit, "Kiểm tra, giám sát việc thực hiện kỷ luật công vụ năm 2025",
                    "Báo cáo kết quả tự kiểm tra", date(2024, 12, 1), date(2025, 11, 30), parent=inspect)  # fmt: skip
    for parent in (propagate, inspect):
        writer.settle(parent)

    # coso's committee, as khoi and coso see it today: dated from the demo's last day (27/11/2026 for
    # the demo the suite reads), so a demo loaded later shows the same picture.
    shift = horizon - HORIZON

    def at(month: int, day: int) -> date:
        return date(HORIZON.year, month, day) + shift

    year = at(11, 27).year
    coso_cells = writer.heads.cells_of(coso, horizon)
    plan = {"source": Source.PLAN, "number": "25-KH/ĐUK", "source_date": at(9, 15)}
    writer.task(root, coso, "Báo cáo sơ kết 5 năm thực hiện Chỉ thị 05-CT/TW về học tập và làm theo Bác",
                "Báo cáo sơ kết gửi Đảng ủy Khối", at(10, 1), horizon + datetime.timedelta(days=4),
                outcome="open", priority=Priority.HIGH, **plan)  # fmt: skip
    writer.task(root, coso, f"Chuẩn bị nội dung kiểm điểm, đánh giá, xếp loại chất lượng năm {year}",
                "Kế hoạch kiểm điểm của đảng ủy cơ sở", at(10, 15), at(12, 20), outcome="pending",
                **plan)  # fmt: skip
    writer.task(root, coso, "Tổng hợp ý kiến đóng góp dự thảo văn kiện Đại hội Đảng bộ thành phố",
                "Báo cáo tổng hợp ý kiến", at(9, 20), at(11, 10), outcome="overdue",
                **plan)  # fmt: skip
    writer.task(root, coso, f"Báo cáo kết quả phát triển đảng viên 10 tháng năm {year}", "Báo cáo số liệu kết nạp",
                at(10, 20), at(11, 20), outcome="closed", **plan)  # fmt: skip
    own = {"source": Source.PLAN, "number": "18-KH/ĐU", "source_date": at(10, 5)}
    writer.task(coso, chibo, f"Rà soát, cập nhật hồ sơ đảng viên của chi bộ năm {year}",
                "Danh sách đảng viên được rà soát",
                at(10, 10), horizon + datetime.timedelta(days=3), outcome="open", **own)  # fmt: skip
    writer.task(coso, chibo, f"Xây dựng kế hoạch sinh hoạt chuyên đề quý IV năm {year}", "Kế hoạch của chi bộ",
                at(10, 5), at(11, 5), outcome="overdue", **own)  # fmt: skip
    for cell in coso_cells[:4]:
        writer.task(coso, cell, f"Đăng ký xây dựng mô hình “Dân vận khéo” năm {year + 1}", "Bản đăng ký mô hình",
                    at(11, 1), at(12, 15), **own)  # fmt: skip

    # A spread over the years and the units, assigned by the committee and by grassroots committees.
    spread = grassroots if len(grassroots) <= SPREAD_GRASSROOTS else rng.sample(grassroots, SPREAD_GRASSROOTS)
    for year in range(2023, max(2026, horizon.year) + 1):
        for unit in spread:
            if not unit.exists_on(date(year, 1, 2)):
                continue
            for _ in range(rng.randint(1, 3)):
                title, result = rng.choice(SPREAD_TITLES)
                begin = date(year, rng.randint(1, 10), rng.randint(1, 28))
                due = begin + datetime.timedelta(days=rng.randint(20, 120))
                cells = writer.heads.cells_of(unit, begin)
                if cells and rng.random() < 0.5:
                    writer.task(unit, rng.choice(cells), title.format(year=year), result, begin, due)
                else:
                    writer.task(root, unit, title.format(year=year), result, begin, due)
    writer.calibrate()
    writer.flush()
    return {"tasks": writer.count, "task_updates": len(writer.updates), "extensions": len(writer.extensions)}
