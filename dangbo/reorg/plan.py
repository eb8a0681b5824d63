"""The consequences of a reorganisation, computed without writing.

One `plan_*` function per operation reads the tree, the members, the tasks, the report schedules,
the targets and the accounts as they stand, checks every rule it can (scope, kinds, date order,
what a dissolved unit would still hold), and returns a `Plan`: every row the operation would
write, with names for the preview. The preview page shows a plan; the action (reorg.actions)
computes it again inside its transaction, after locking the units, and carries out exactly that
plan — refusing when it differs from the one previewed (`Plan.fingerprint`).

A refusal is a ValidationError in Vietnamese naming the unit (or member) and the date.

Units to be founded by the operation are named in a plan by a key "new0", "new1" … (their ids do
not exist yet); every other unit by its id.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from dataclasses import asdict, dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import Q

from dangbo.accounts.actions import ROLES_BY_KIND
from dangbo.accounts.models import Role, User
from dangbo.lib import vn
from dangbo.lib.http import today
from dangbo.members.figures import subtree_figures
from dangbo.members.models import Event, EventKind, Member, Stint, StintKind
from dangbo.orgs.actions import check_parent_form
from dangbo.orgs.models import CELL_KINDS, Term, UnitKind, UnitVersion, form_rules, latest_names
from dangbo.reports.models import AdHocRequest, Report, Schedule, Status
from dangbo.targets.models import Resolution
from dangbo.targets.progress import TERM_YEARS, term_end
from dangbo.tasks.models import Task

# UnitVersion.decision holds the composed text of the decision.
DECISION_MAX = UnitVersion._meta.get_field("decision").max_length
KEPT = "giữ lại ở đơn vị cũ"


@dataclass(frozen=True)
class Decision:
    """The decision an operation carries out: its number, signing date and issuing body. Stored on
    each unit version as one sentence (`text`) and on each member's event in its three fields."""

    number: str
    signed_on: datetime.date
    body: str

    def text(self) -> str:
        return f"Quyết định số {self.number} ngày {vn.format_date(self.signed_on)} của {self.body}"

    def event_fields(self) -> dict:
        return {"decision_number": self.number, "decided_on": self.signed_on, "issuing_body": self.body}

    def check(self) -> None:
        if not vn.normalize(self.number) or not vn.normalize(self.body) or self.signed_on is None:
            raise ValidationError("Hãy nhập đủ số quyết định, ngày ký và cơ quan ban hành.")
        if self.signed_on > today():
            raise ValidationError(
                f"Ngày ký quyết định ({vn.format_date(self.signed_on)}) chưa đến: chỉ ghi nhận quyết định đã ban hành."
            )
        if len(self.text()) > DECISION_MAX:
            raise ValidationError(
                f"Số quyết định và cơ quan ban hành quá dài: “{self.text()}” vượt {DECISION_MAX} ký tự."
            )


@dataclass(frozen=True)
class NewUnit:
    """A unit the operation founds: its name, form (code) and parent (an existing unit's id)."""

    name: str
    form: str
    parent_id: int


@dataclass
class Plan:
    operation: str
    on: datetime.date
    decision: Decision
    # (key, name, form name, parent name)
    founded: list[tuple] = field(default_factory=list)
    # (unit id, old name, new name)
    renamed: list[tuple] = field(default_factory=list)
    # (unit id, name, from parent name, to key, to name, units in its subtree, members counted there)
    moved: list[tuple] = field(default_factory=list)
    # (member id, full name, from cell id, from name, to key, to name)
    transfers: list[tuple] = field(default_factory=list)
    # (task id, title, field, from unit id, from name, to key, to name)
    tasks: list[tuple] = field(default_factory=list)
    # (schedule id, report type, from unit id, from name, to key, to name): copied to the receiver
    schedules: list[tuple] = field(default_factory=list)
    # (account id, username, role label, from name, to key or None, to name or why not)
    accounts: list[tuple] = field(default_factory=list)
    # (what, unit name): records kept by the old unit
    kept: list[tuple] = field(default_factory=list)
    # (unit id, name)
    dissolved: list[tuple] = field(default_factory=list)
    # (unit id, name, to key, to name): a unit that ends in another, whose history the other reads
    successions: list[tuple] = field(default_factory=list)
    # (key, term name, first day): a new committee's own congress term
    terms: list[tuple] = field(default_factory=list)
    # What the user should know that is not a row written by the plan itself
    warnings: list[str] = field(default_factory=list)
    summary: str = ""

    def fingerprint(self) -> str:
        """A digest of every row the plan writes: the preview carries it, the action compares."""
        rows = {k: v for k, v in asdict(self).items() if k not in ("summary", "decision", "kept", "warnings")}
        text = json.dumps(rows, default=str, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def counts(self) -> dict[str, int]:
        return {name: len(getattr(self, name)) for name in
                ("founded", "renamed", "moved", "transfers", "tasks", "schedules", "accounts", "kept", "dissolved",
                 "successions", "terms")}

    def snapshot(self) -> dict:
        """What the audit entry keeps of the plan."""
        return {
            "operation": self.operation,
            "on": self.on.isoformat(),
            "decision": self.decision.text(),
            "founded": [row[1] for row in self.founded],
            "renamed": [[row[0], row[1], row[2]] for row in self.renamed],
            "moved": [[row[0], row[3]] for row in self.moved],
            "transfers": [[row[0], row[2], row[4]] for row in self.transfers],
            "tasks": [[row[0], row[2], row[3], row[4]] for row in self.tasks],
            "schedules": [[row[0], row[2], row[4]] for row in self.schedules],
            "accounts": [[row[0], row[4]] for row in self.accounts],
            "dissolved": [row[0] for row in self.dissolved],
            "successions": [[row[0], row[2]] for row in self.successions],
            "terms": [[row[0], row[1]] for row in self.terms],
        }


def _d(day: datetime.date) -> str:
    return vn.format_date(day)


def _name(unit_id: int) -> str:
    return latest_names([unit_id]).get(unit_id, f"Tổ chức #{unit_id}")


# --- the checks every operation shares ------------------------------------------------------------


def unit_in_scope(scope, unit_id: int, on: datetime.date, *, below: bool = True) -> UnitVersion:
    """The unit's version on `on`, which must lie in the scope that day — strictly below the scope's
    own unit when `below` — and still be open (not dissolved, nothing recorded after `on`)."""
    versions = list(UnitVersion.objects.filter(unit_id=unit_id).order_by("valid_from"))
    if not versions:
        raise ValidationError("Tổ chức không tồn tại.")
    name = versions[-1].name
    last = versions[-1]
    if last.valid_to is not None and last.valid_to <= on:
        raise ValidationError(f"“{name}” đã giải thể từ ngày {_d(last.valid_to)}; không thể sắp xếp vào ngày {_d(on)}.")
    version = next((v for v in versions if v.valid_from <= on and (v.valid_to is None or on < v.valid_to)), None)
    root = scope.root_on(on)
    inside = version is not None and root is not None and version.path.startswith(root.path)
    if not inside or (below and version.path == root.path):
        raise ValidationError(f"“{name}” không thuộc phạm vi quản lý của đơn vị vào ngày {_d(on)}.")
    return version


def check_order(version: UnitVersion, on: datetime.date, *, subtree: bool = False) -> None:
    """Refuse a change on `on` to a unit (and its subtree) that already holds a change after `on`:
    history is written in date order."""
    later = UnitVersion.objects.filter(unit_id=version.unit_id).filter(Q(valid_from__gt=on) | Q(valid_to__gt=on))
    if version.valid_to is not None or later.exists():
        first = later.order_by("valid_from").first() or version
        when = first.valid_from if first.valid_from > on else (first.valid_to or on)
        raise ValidationError(
            f"“{version.name}” đã có thay đổi từ ngày {_d(when)}, sau ngày hiệu lực {_d(on)}; "
            "hãy ghi các thay đổi theo thứ tự thời gian."
        )
    if subtree:
        below = UnitVersion.objects.under(version.path).exclude(unit_id=version.unit_id)
        changed = below.filter(Q(valid_from__gt=on) | Q(valid_to__gt=on)).order_by("valid_from").first()
        if changed is not None:
            when = changed.valid_from if changed.valid_from > on else changed.valid_to
            raise ValidationError(
                f"“{changed.name}” (trực thuộc “{version.name}”) đã có thay đổi từ ngày {_d(when)}, sau ngày "
                f"hiệu lực {_d(on)}; hãy ghi các thay đổi theo thứ tự thời gian."
            )


def _check_not_at_start(version: UnitVersion, on: datetime.date) -> None:
    """orgs.change_unit writes a new version from `on`: the unit's current one must begin before."""
    if version.valid_from >= on:
        raise ValidationError(
            f"“{version.name}” đã có thay đổi từ ngày {_d(version.valid_from)}; ngày hiệu lực phải sau ngày đó."
        )


class Target:
    """Where things go: an existing unit (its version on the day) or one the plan founds."""

    def __init__(self, key, name: str, kind: str, form_code: str, path: str | None, parent_path: str = ""):
        self.key, self.name, self.kind, self.form_code, self.path = key, name, kind, form_code, path
        self.parent_path = parent_path

    def inside(self, version: UnitVersion) -> bool:
        """Whether the target lies in `version`'s subtree (a new one: its parent does)."""
        return (self.path or self.parent_path).startswith(version.path)

    @classmethod
    def existing(cls, version: UnitVersion) -> Target:
        return cls(version.unit_id, version.name, version.kind, version.form_code, version.path)


def _new_target(scope, plan: Plan, spec: NewUnit, key: str) -> Target:
    name = vn.normalize(spec.name)
    if not name:
        raise ValidationError("Tên tổ chức mới không được để trống.")
    rules = form_rules()
    if spec.form not in rules:
        raise ValidationError("Loại tổ chức của tổ chức mới không hợp lệ.")
    parent = unit_in_scope(scope, spec.parent_id, plan.on, below=False)
    try:
        check_parent_form(spec.form, parent.form_code, rules)
    except ValidationError as refusal:
        raise ValidationError(f"“{name}”, ngày {_d(plan.on)}: {' '.join(refusal.messages)}") from None
    plan.founded.append((key, name, rules[spec.form].name, parent.name))
    return Target(key, name, rules[spec.form].kind, spec.form, None, parent.path)


def _destination(scope, plan: Plan, dest, key: str) -> Target:
    """`dest`: an existing unit's id or a NewUnit."""
    if isinstance(dest, NewUnit):
        return _new_target(scope, plan, dest, key)
    version = unit_in_scope(scope, dest, plan.on)
    check_order(version, plan.on)
    return Target.existing(version)


def _children(version: UnitVersion, on: datetime.date) -> list[UnitVersion]:
    return list(UnitVersion.objects.on(on).filter(parent_id=version.unit_id).order_by("name"))


def _subtree_size(version: UnitVersion, on: datetime.date) -> int:
    return UnitVersion.objects.on(on).under(version.path).count()


def _move_child(plan: Plan, child: UnitVersion, source: UnitVersion, to: Target) -> None:
    check_order(child, plan.on, subtree=True)
    _check_not_at_start(child, plan.on)
    if to.inside(child):
        raise ValidationError(f"Không thể chuyển “{child.name}” vào “{to.name}”, một tổ chức nằm bên trong nó.")
    try:
        check_parent_form(child.form_code, to.form_code)
    except ValidationError as refusal:
        raise ValidationError(f"“{child.name}”, ngày {_d(plan.on)}: {' '.join(refusal.messages)}") from None
    members = sum(row.get("total", 0) for row in subtree_figures(child, plan.on).values())
    plan.moved.append((child.unit_id, child.name, source.name, to.key, to.name, _subtree_size(child, plan.on), members))


def _cell_stints(version: UnitVersion, on: datetime.date) -> list[Stint]:
    """The stints of a cell open on `on` or starting later."""
    return list(
        Stint.unscoped.filter(unit_id=version.unit_id)
        .filter(Q(end__isnull=True) | Q(end__gt=on))
        .select_related("member")
        .order_by("member__sort_key", "start")
    )


def _transfer_member(plan: Plan, stint: Stint, source: UnitVersion, to: Target) -> None:
    name = stint.member.full_name
    if to.kind not in CELL_KINDS:
        raise ValidationError(f"Đảng viên {name}: “{to.name}” không phải chi bộ; đảng viên sinh hoạt tại chi bộ.")
    if stint.start > plan.on:
        raise ValidationError(
            f"Đảng viên {name} bắt đầu sinh hoạt tại “{source.name}” từ ngày {_d(stint.start)}, sau ngày hiệu lực "
            f"{_d(plan.on)}; hãy ghi các thay đổi theo thứ tự thời gian."
        )
    if stint.kind == StintKind.TEMPORARY:
        until = f" đến ngày {_d(stint.end)}" if stint.end else ""
        raise ValidationError(
            f"Đảng viên {name} đang sinh hoạt tạm thời tại “{source.name}”{until}: sinh hoạt tạm thời không chuyển "
            f"theo quyết định sắp xếp; hãy kết thúc sinh hoạt tạm thời trước ngày {_d(plan.on)}."
        )
    plan.transfers.append((stint.member_id, name, source.unit_id, source.name, to.key, to.name))
    away = Event.unscoped.active().filter(member_id=stint.member_id, kind=EventKind.TEMPORARY_AWAY,
                                          effective_on__lte=plan.on, ends_on__gt=plan.on).first()  # fmt: skip
    if away is not None:
        # The transfer event ends a temporary stay elsewhere (members.events.replay): said before.
        plan.warnings.append(
            f"Đảng viên {name} đang sinh hoạt tạm thời nơi khác đến ngày {_d(away.ends_on)}: chuyển sinh hoạt chính "
            f"thức kết thúc sinh hoạt tạm thời đó từ ngày {_d(plan.on)}."
        )


def _reassign_work(plan: Plan, source: UnitVersion, to: Target, taken_types: set) -> None:
    """Open tasks, report schedules, reports, targets and accounts of a unit that ends on the day."""
    # An open task due before the day (overdue then) stays: its lateness counts in the old unit's
    # figures of the periods before (tasks.figures); the work still ahead, and recurring series,
    # go to the receiver. No figure of a day before the operation reads a task due after it.
    tasks = Task.objects.filter(completed_on__isnull=True).filter(
        Q(responsible_unit_id=source.unit_id) | Q(assigned_by_unit_id=source.unit_id)
    )
    overdue = tasks.filter(recurrence="", due_on__lt=plan.on).count()
    if overdue:
        plan.kept.append((f"{overdue} nhiệm vụ đã quá hạn trước ngày {_d(plan.on)} (kết quả thực hiện tính cho đơn vị "
                          "cũ)", source.name))  # fmt: skip
    for task in tasks.filter(Q(due_on__gte=plan.on) | ~Q(recurrence="")).order_by("due_on", "pk"):
        if task.responsible_unit_id == source.unit_id:
            plan.tasks.append((task.pk, task.title, "responsible_unit", source.unit_id, source.name, to.key, to.name))
        if task.assigned_by_unit_id == source.unit_id:
            plan.tasks.append((task.pk, task.title, "assigned_by_unit", source.unit_id, source.name, to.key, to.name))
    for schedule in Schedule.objects.filter(superior_id=source.unit_id, active=True).select_related("report_type"):
        if schedule.report_type_id in taken_types:
            continue  # the receiver has its own schedule of the type
        taken_types.add(schedule.report_type_id)
        plan.schedules.append((schedule.pk, str(schedule.report_type), source.unit_id, source.name, to.key, to.name))
    drafts = Report.objects.filter(unit_id=source.unit_id).exclude(status__in=(Status.ACCEPTED, Status.FINAL)).count()
    if drafts:
        what = f"{drafts} báo cáo chưa được tiếp nhận (báo cáo thuộc đơn vị lập trong kỳ của nó)"
        plan.kept.append((what, source.name))
    requests = AdHocRequest.objects.filter(superior_id=source.unit_id, due_on__gte=plan.on).count()
    if requests:
        plan.kept.append((f"{requests} yêu cầu báo cáo đột xuất còn hạn", source.name))
    resolutions = Resolution.objects.filter(term__committee_id=source.unit_id, term__starts_on__lte=plan.on).filter(
        Q(term__ends_on__isnull=True) | Q(term__ends_on__gte=plan.on)
    )
    for resolution in resolutions.select_related("term"):
        count = resolution.targets.count()
        plan.kept.append(
            (f"{count} chỉ tiêu của “{resolution.title}” ({resolution.term}): chỉ tiêu thuộc nghị quyết đại hội của "
             "đơn vị, không chuyển sang nghị quyết khác", source.name)  # fmt: skip
        )
    for account in User.objects.filter(unit_id=source.unit_id, is_active=True).order_by("username"):
        label = Role(account.role).label if account.role else ""
        if account.role in ROLES_BY_KIND.get(to.kind, set()):
            plan.accounts.append((account.pk, account.username, label, source.name, to.key, to.name))
        else:
            plan.accounts.append((account.pk, account.username, label, source.name, None,
                                  f"vai trò không dùng cho {UnitKind(to.kind).label.lower()}: {KEPT}"))  # fmt: skip


def _absorb(plan: Plan, source: UnitVersion, to: Target, taken_types: set) -> None:
    """Everything `source` holds on the day goes to `to`; then `source` ends."""
    for child in _children(source, plan.on):
        _move_child(plan, child, source, to)
    if source.kind in CELL_KINDS:
        for stint in _cell_stints(source, plan.on):
            _transfer_member(plan, stint, source, to)
    _reassign_work(plan, source, to, taken_types)
    plan.dissolved.append((source.unit_id, source.name))
    plan.successions.append((source.unit_id, source.name, to.key, to.name))


def _new_term(plan: Plan, to: Target, sources: list[UnitVersion]) -> None:
    """A committee founded by the operation starts its own congress term on the day (its documents
    are numbered from 01 in it), running to the end of the sources' current term — or for a
    whole term when they had none."""
    if not isinstance(to.key, str) or to.kind in CELL_KINDS:
        return
    ends = [term_end(t) for t in Term.objects.filter(committee_id__in=[v.unit_id for v in sources],
                                                     starts_on__lte=plan.on) if term_end(t) > plan.on]  # fmt: skip
    end = min(ends) if ends else vn.add_years(plan.on, TERM_YEARS)
    plan.terms.append((to.key, f"{plan.on.year}–{end.year}", plan.on))


def _dissolvable(plan: Plan, source: UnitVersion) -> None:
    check_order(source, plan.on)
    later = UnitVersion.objects.filter(parent_id=source.unit_id, valid_from__gt=plan.on).first()
    if later is not None:
        raise ValidationError(
            f"“{later.name}” được đặt dưới “{source.name}” từ ngày {_d(later.valid_from)}, sau ngày hiệu lực "
            f"{_d(plan.on)}; hãy ghi các thay đổi theo thứ tự thời gian."
        )


def _types_of(target: Target) -> set:
    if isinstance(target.key, str):
        return set()
    return set(Schedule.objects.filter(superior_id=target.key).values_list("report_type_id", flat=True))


# --- one plan per operation -----------------------------------------------------------------------


def plan_merge(scope, *, sources: list[int], receiver: int | NewUnit, on: datetime.date, decision: Decision) -> Plan:
    """Hợp nhất / sáp nhập: `sources` (two or more units of one kind) into `receiver` from `on`."""
    decision.check()
    plan = Plan("merge", on, decision)
    sources = list(dict.fromkeys(sources))
    if len(sources) < 2:
        raise ValidationError("Hãy chọn ít nhất hai tổ chức để hợp nhất.")
    if not isinstance(receiver, NewUnit) and receiver in sources:
        raise ValidationError(f"“{_name(receiver)}” vừa là tổ chức hợp nhất vừa là đơn vị nhận.")
    versions = [unit_in_scope(scope, unit_id, on) for unit_id in sources]
    kinds = {v.kind for v in versions}
    if len(kinds) > 1:
        raise ValidationError(
            "Chỉ hợp nhất các tổ chức cùng loại: "
            + ", ".join(f"“{v.name}” là {v.get_kind_display().lower()}" for v in versions) + "."
        )
    to = _destination(scope, plan, receiver, "new0")
    if to.kind != versions[0].kind:
        raise ValidationError(
            f"Đơn vị nhận “{to.name}” phải cùng loại với các tổ chức hợp nhất ({versions[0].get_kind_display()})."
        )
    for version in versions:
        if to.inside(version):
            raise ValidationError(f"Đơn vị nhận “{to.name}” nằm trong “{version.name}”.")
        _dissolvable(plan, version)
    taken = _types_of(to)
    for version in versions:
        _absorb(plan, version, to, taken)
    _new_term(plan, to, versions)
    plan.summary = (f"Hợp nhất {', '.join(f'“{v.name}”' for v in versions)} vào “{to.name}” từ ngày {_d(on)}.")
    return plan


def plan_split(scope, *, source: int, destinations: list, children: dict[int, int], members: dict[int, int],
               keep: bool, on: datetime.date, decision: Decision) -> Plan:  # fmt: skip
    """Chia tách: `source` into `destinations` (existing ids or NewUnit): each direct sub-unit and,
    for a cell, each member goes to the destination of its index; the rest stays in the source
    when it is kept, and must all be placed when it ends."""
    decision.check()
    plan = Plan("split", on, decision)
    version = unit_in_scope(scope, source, on)
    check_order(version, on)
    if len(destinations) < 1 or (not keep and len(destinations) < 2):
        raise ValidationError("Chia tách cần ít nhất hai đơn vị nhận (hoặc một, khi giữ lại tổ chức cũ).")
    targets = []
    for index, dest in enumerate(destinations):
        if not isinstance(dest, NewUnit) and dest == source:
            raise ValidationError(f"“{version.name}” không thể là đơn vị nhận của chính nó.")
        target = _destination(scope, plan, dest, f"new{index}")
        if target.inside(version):
            raise ValidationError(f"Đơn vị nhận “{target.name}” nằm trong “{version.name}”.")
        targets.append(target)
    for child in _children(version, on):
        index = children.get(child.unit_id)
        if index is None:
            if not keep:
                raise ValidationError(f"Chưa chọn đơn vị nhận cho “{child.name}” (ngày {_d(on)}).")
            continue
        _move_child(plan, child, version, targets[index])
    if version.kind in CELL_KINDS:
        for stint in _cell_stints(version, on):
            index = members.get(stint.member_id)
            if index is None:
                if not keep:
                    raise ValidationError(
                        f"Chưa chọn chi bộ nhận cho đảng viên {stint.member.full_name} (ngày {_d(on)})."
                    )
                continue
            _transfer_member(plan, stint, version, targets[index])
    if not keep:
        _dissolvable(plan, version)
        _reassign_work(plan, version, targets[0], _types_of(targets[0]))
        plan.dissolved.append((version.unit_id, version.name))
    for target in targets:
        _new_term(plan, target, [version])
    names = ", ".join(f"“{t.name}”" for t in targets)
    plan.summary = f"Chia tách “{version.name}” sang {names} từ ngày {_d(on)}" + (
        "; giữ lại tổ chức cũ." if keep else "; giải thể tổ chức cũ."
    )
    return plan


def plan_rename(scope, *, unit: int, name: str, on: datetime.date, decision: Decision) -> Plan:
    decision.check()
    plan = Plan("rename", on, decision)
    version = unit_in_scope(scope, unit, on)
    check_order(version, on)
    _check_not_at_start(version, on)
    name = vn.normalize(name)
    if not name:
        raise ValidationError("Tên mới không được để trống.")
    if name == version.name:
        raise ValidationError(f"“{version.name}” đã có tên này vào ngày {_d(on)}.")
    plan.renamed.append((unit, version.name, name))
    plan.summary = f"Đổi tên “{version.name}” thành “{name}” từ ngày {_d(on)}."
    return plan


def plan_move(scope, *, unit: int, parent: int, on: datetime.date, decision: Decision) -> Plan:
    decision.check()
    plan = Plan("move", on, decision)
    version = unit_in_scope(scope, unit, on)
    to_version = unit_in_scope(scope, parent, on, below=False)
    if to_version.unit_id == version.parent_id:
        raise ValidationError(f"“{version.name}” đã trực thuộc “{to_version.name}” vào ngày {_d(on)}.")
    to = Target.existing(to_version)
    if to.key == unit:
        raise ValidationError(f"Không thể chuyển “{version.name}” vào chính nó.")
    parent_name = _name(version.parent_id) if version.parent_id else ""
    _move_child(plan, version, UnitVersion(name=parent_name), to)
    plan.summary = f"Chuyển “{version.name}” (cùng các tổ chức trực thuộc) về trực thuộc “{to.name}” từ ngày {_d(on)}."
    return plan


def plan_dissolve(scope, *, unit: int, receiver: int | None, on: datetime.date, decision: Decision) -> Plan:
    """Giải thể: the unit ends on `on`; what it holds goes to `receiver` first (none: it must be empty)."""
    decision.check()
    plan = Plan("dissolve", on, decision)
    version = unit_in_scope(scope, unit, on)
    _dissolvable(plan, version)
    if receiver is None:
        children = _children(version, on)
        stints = _cell_stints(version, on) if version.kind in CELL_KINDS else []
        if children or stints:
            raise ValidationError(
                f"Không thể giải thể “{version.name}” ngày {_d(on)}: còn {len(children)} tổ chức trực thuộc và "
                f"{len({s.member_id for s in stints})} đảng viên; hãy chọn đơn vị nhận."
            )
        to = Target(None, "", version.kind, version.form_code, None)
        _reassign_nothing(plan, version)
        plan.dissolved.append((version.unit_id, version.name))
    else:
        if receiver == unit:
            raise ValidationError(f"“{version.name}” không thể là đơn vị nhận của chính nó.")
        to = _destination(scope, plan, receiver, "new0")
        if to.inside(version):
            raise ValidationError(f"Đơn vị nhận “{to.name}” nằm trong “{version.name}”.")
        _absorb(plan, version, to, _types_of(to))
    plan.summary = f"Giải thể “{version.name}” từ ngày {_d(on)}" + (f"; chuyển sang “{to.name}”." if to.key else ".")
    return plan


def _reassign_nothing(plan: Plan, source: UnitVersion) -> None:
    """A unit dissolved without a receiver: its open work stays with it, said in the preview."""
    tasks = Task.objects.filter(completed_on__isnull=True, responsible_unit_id=source.unit_id).count()
    if tasks:
        plan.kept.append((f"{tasks} nhiệm vụ chưa hoàn thành", source.name))
    for account in User.objects.filter(unit_id=source.unit_id, is_active=True).order_by("username"):
        label = Role(account.role).label if account.role else ""
        plan.accounts.append((account.pk, account.username, label, source.name, None, f"không có đơn vị nhận: {KEPT}"))


def plan_transfer(scope, *, cell: int, to: int, member_ids: list[int], on: datetime.date,
                  decision: Decision) -> Plan:  # fmt: skip
    """Chuyển sinh hoạt hàng loạt: `member_ids`, officially in `cell` on `on`, to the cell `to`."""
    decision.check()
    plan = Plan("transfer", on, decision)
    source = unit_in_scope(scope, cell, on)
    target = Target.existing(unit_in_scope(scope, to, on))
    if source.kind not in CELL_KINDS:
        raise ValidationError(f"“{source.name}” không phải chi bộ.")
    if target.key == cell:
        raise ValidationError(f"Chi bộ đến trùng với chi bộ đang sinh hoạt (“{source.name}”).")
    if not member_ids:
        raise ValidationError("Hãy chọn ít nhất một đảng viên.")
    stints = {s.member_id: s for s in Stint.unscoped.filter(unit_id=cell, kind=StintKind.OFFICIAL).open_on(on)
              .select_related("member")}  # fmt: skip
    for member_id in dict.fromkeys(member_ids):
        stint = stints.get(member_id)
        if stint is None:
            member = Member.unscoped.filter(pk=member_id).first()
            name = member.full_name if member else f"#{member_id}"
            raise ValidationError(
                f"Đảng viên {name} không sinh hoạt chính thức tại “{source.name}” vào ngày {_d(on)}."
            )
        _transfer_member(plan, stint, source, target)
    plan.summary = (f"Chuyển sinh hoạt {len(plan.transfers)} đảng viên từ “{source.name}” đến “{target.name}” "
                    f"từ ngày {_d(on)}.")  # fmt: skip
    return plan
