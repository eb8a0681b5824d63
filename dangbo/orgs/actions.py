"""Changes to the organisation tree. One function per kind of change; each is atomic, validates the
whole change before writing, and leaves an audit entry.

Changes to a branch are recorded in date order: a change dated D is refused when the unit, its
ancestors' paths or its subtree already hold a change after D (history is never rewritten).
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from dangbo.audit.log import audited, record, snapshot
from dangbo.lib import vn

from .models import FormRule, Unit, UnitVersion, default_code, form_rules, path_segment
from .signals import tree_changed, unit_dissolving


def _announce(unit: Unit) -> None:
    """Tell the apps above the tree that `unit` changed, inside this transaction: what they derive
    from the tree (the subtree tallies) changes with it."""
    tree_changed.send(sender=Unit, units=[unit.pk])


def check_parent_form(form: str, parent_form: str | None, rules: dict[str, FormRule] | None = None) -> None:
    """Refuse, in Vietnamese, a unit of form `form` under one of `parent_form` (None: at the top),
    by the rules in force (`form_rules`: data)."""
    rules = rules or form_rules()
    rule = rules[form]
    if parent_form in rule.parents or (parent_form is None and rule.at_top):
        return
    names = sorted(rules[p].name for p in rule.parents if p in rules)
    if rule.at_top:
        names.append("cấp cao nhất (không có tổ chức cấp trên)")
    where = " hoặc ".join(names) or "cấp cao nhất"
    here = rules[parent_form].name if parent_form else "cấp cao nhất"
    raise ValidationError(f"{rule.name} chỉ được đặt dưới {where}, không được đặt dưới {here}.")


def check_parent_kind(kind: str, parent_kind: str | None) -> None:
    """`check_parent_form` for units of the kinds' default forms."""
    check_parent_form(kind, parent_kind)


def resolve_form(kind: str | None, form: str | None, rules: dict[str, FormRule]) -> tuple[str, str | None]:
    """(kind, form code to store — None for a kind's default form) of a unit given either."""
    code = form or kind
    if code not in rules or (kind and rules[code].kind != kind):
        raise ValidationError("Loại tổ chức không hợp lệ.")
    return rules[code].kind, (None if code == rules[code].kind else code)


def _parent_version(parent: Unit, on: datetime.date) -> UnitVersion:
    """The parent's version on `on`, checked to hold its place from then on."""
    version = parent.versions.on(on).first()
    if version is None:
        raise ValidationError(f"Tổ chức cấp trên không tồn tại vào ngày {vn.format_date(on)}.")
    later = list(parent.versions.filter(valid_from__gt=on).order_by("valid_from"))
    if any(v.path != version.path for v in later):
        raise ValidationError(
            "Tổ chức cấp trên đã được chuyển sang vị trí khác sau ngày "
            f"{vn.format_date(on)}; hãy ghi các thay đổi theo thứ tự thời gian."
        )
    last = later[-1] if later else version
    if last.valid_to is not None:
        raise ValidationError(f"Tổ chức cấp trên đã giải thể từ ngày {vn.format_date(last.valid_to)}.")
    return version


def _current_version(unit: Unit, on: datetime.date) -> UnitVersion:
    """The unit's open version, which must have started on or before `on` (a second change on the
    same day — a move of the committee above, then one of this unit — amends that day's version)."""
    version = unit.versions.filter(valid_to__isnull=True).first()
    if version is None:
        raise ValidationError("Tổ chức này đã giải thể.")
    if version.valid_from > on:
        raise ValidationError(
            f"“{version.name}” đã có thay đổi từ ngày {vn.format_date(version.valid_from)}; "
            "ngày hiệu lực không được trước ngày đó."
        )
    return version


@transaction.atomic
@audited
def found_unit(
    actor,
    *,
    name: str,
    kind: str | None = None,
    parent: Unit | None,
    on: datetime.date,
    code: str | None = None,
    decision: str = "",
    form: str | None = None,
) -> Unit:
    """Thành lập: a new unit under `parent` from `on`, of `kind`'s default form or of `form`."""
    name = vn.normalize(name)
    if not name:
        raise ValidationError("Tên tổ chức không được để trống.")
    rules = form_rules()
    kind, form = resolve_form(kind, form, rules)
    parent_version = _parent_version(parent, on) if parent else None
    check_parent_form(form or kind, parent_version.form_code if parent_version else None, rules)
    if code and Unit.objects.filter(code=code).exists():
        raise ValidationError(f"Mã tổ chức “{code}” đã được dùng.")
    unit = Unit.objects.create(code=code or None)
    if not code:
        unit.code = default_code(unit.pk)
        unit.save(update_fields=["code"])
    prefix = parent_version.path if parent_version else ""
    version = UnitVersion.objects.create(
        unit=unit,
        name=name,
        kind=kind,
        form_id=form,
        parent=parent,
        path=prefix + path_segment(unit.pk),
        depth=(parent_version.depth + 1) if parent_version else 0,
        valid_from=on,
        decision=vn.normalize(decision),
    )
    _announce(unit)
    record(actor, "found_unit", unit, None, snapshot(version))
    return unit


def _descendant_versions(version: UnitVersion, on: datetime.date) -> list[UnitVersion]:
    below = UnitVersion.objects.under(version.path).exclude(unit_id=version.unit_id)
    if below.filter(Q(valid_from__gt=on) | Q(valid_to__gt=on)).exists():
        raise ValidationError(
            f"Một tổ chức trực thuộc đã có thay đổi sau ngày {vn.format_date(on)}; "
            "hãy ghi các thay đổi theo thứ tự thời gian."
        )
    return list(below.on(on).order_by("depth"))


def _successor(old: UnitVersion, on: datetime.date, **changes) -> UnitVersion:
    """Close `old` on `on` and open a copy with `changes`; a version that starts on `on` itself
    is changed in place (an interval may not be empty)."""
    if old.valid_from == on:
        for field, value in changes.items():
            setattr(old, field, value)
        old.save()
        return old
    old.valid_to = on
    old.save(update_fields=["valid_to"])
    fields = {
        f.name: getattr(old, f.name)
        for f in UnitVersion._meta.concrete_fields
        if f.name not in {"id", "valid_from", "valid_to"}
    }
    fields.update(changes, valid_from=on)
    return UnitVersion.objects.create(**fields)


@transaction.atomic
@audited
def change_unit(
    actor,
    unit: Unit,
    *,
    on: datetime.date,
    name: str | None = None,
    kind: str | None = None,
    parent: Unit | None | bool = False,
    decision: str = "",
    form: str | None = None,
) -> UnitVersion:
    """Đổi tên, chuyển, đổi loại: a new version of `unit` from `on`. `parent=False` keeps the
    parent; `parent=None` puts the unit at the top. A move rewrites the paths of the subtree. A new
    `kind` takes its default form; a new `form`, its kind."""
    Unit.objects.select_for_update().filter(pk=unit.pk).first()
    old = _current_version(unit, on)
    before = snapshot(old)
    changes: dict = {"decision": vn.normalize(decision)}
    if name is not None:
        changes["name"] = vn.normalize(name)
        if not changes["name"]:
            raise ValidationError("Tên tổ chức không được để trống.")
    rules = form_rules()
    if kind or form:
        new_kind, new_form = resolve_form(kind, form, rules)
    else:
        new_kind, new_form = old.kind, old.form_id
    new_parent = old.parent if parent is False else parent
    moving = new_parent != old.parent or (new_kind, new_form) != (old.kind, old.form_id)
    descendants = _descendant_versions(old, on) if moving else []
    if moving:
        parent_version = _parent_version(new_parent, on) if new_parent else None
        if parent_version and parent_version.path.startswith(old.path):
            raise ValidationError("Không thể chuyển một tổ chức vào bên trong chính nó.")
        check_parent_form(new_form or new_kind, parent_version.form_code if parent_version else None, rules)
        for child in descendants:
            if child.parent_id == unit.pk:
                check_parent_form(child.form_code, new_form or new_kind, rules)
        changes.update(
            kind=new_kind,
            form_id=new_form,
            parent=new_parent,
            path=(parent_version.path if parent_version else "") + path_segment(unit.pk),
            depth=(parent_version.depth + 1) if parent_version else 0,
        )
    new = _successor(old, on, **changes)
    old_prefix = before["path"]
    for child in descendants:
        if new.path != old_prefix:
            _successor(
                child,
                on,
                path=new.path + child.path[len(old_prefix) :],
                depth=child.depth - before["depth"] + new.depth,
            )
    _announce(unit)
    record(actor, "change_unit", unit, before, snapshot(new))
    return new


@transaction.atomic
@audited
def dissolve_unit(actor, unit: Unit, *, on: datetime.date, decision: str = "") -> None:
    """Giải thể: the unit ends on `on`. Its sub-units must have left it first, and so must whatever
    the apps above the tree hold in it (members: `unit_dissolving`)."""
    Unit.objects.select_for_update().filter(pk=unit.pk).first()
    version = _current_version(unit, on)
    if version.valid_from == on:
        raise ValidationError(
            f"“{version.name}” đã có thay đổi ngày {vn.format_date(on)}; ngày giải thể phải sau ngày đó."
        )
    # Nothing may sit in the unit on or after the day it ends, including what starts later.
    children = UnitVersion.objects.filter(parent=unit).filter(Q(valid_to__isnull=True) | Q(valid_to__gt=on))
    if children.exists():
        raise ValidationError(
            f"Không thể giải thể: còn {children.values('unit').distinct().count()} tổ chức trực thuộc "
            f"từ ngày {vn.format_date(on)} trở đi."
        )
    # What sits in the unit besides sub-units (members) belongs to the apps above the tree: they answer.
    for _receiver, refusal in unit_dissolving.send(sender=Unit, unit=unit, on=on):
        if refusal:
            raise ValidationError(refusal)
    before = snapshot(version)
    version.valid_to = on
    if decision:
        version.decision = vn.normalize(decision)
    version.save(update_fields=["valid_to", "decision"])
    _announce(unit)
    record(actor, "dissolve_unit", unit, before, snapshot(version))
