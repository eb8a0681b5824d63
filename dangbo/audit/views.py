"""The audit log on screen (/nhat-ky/) and its export (/nhat-ky/tai-ve/): the entries of the scope,
newest first, filtered by person, action, unit, member, dates and kind.

Superior and grassroots staff (and superusers) read the log of their subtree; a cell secretary is
refused (403), a viewer and anyone outside get 404, as on the accounts pages. An entry belongs to
the scope if its unit lay in the subtree on the entry's day (Scope.holds, the dated rule of every
record: a cell that moved away shows its entries up to the move, not after). Entries placed at no
unit (a rating round, a login lock, entries older than their place) are shown to the root of the
tree only.

The page costs a bounded number of queries whatever the size of the log: the scope's versions, the
picker's units (two), the scope's accounts, the count and the page of entries (joined to their
actors and members), the page's unit labels (two) and which of the page's members the scope may
open (one)."""

from __future__ import annotations

import datetime
import json

from django.apps import apps
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import OuterRef, Q
from django.shortcuts import render
from django.utils import timezone

from dangbo.accounts.models import User
from dangbo.accounts.scope import Scope, scope_for
from dangbo.lib import vn, xlsx
from dangbo.lib.forms import date_param
from dangbo.lib.http import id_param, today
from dangbo.orgs.labels import unit_labels, version_labels
from dangbo.orgs.models import Unit

from .labels import LABELS, label_of
from .log import record_read
from .models import AuditEntry, Kind

PAGE_SIZE = 50
EXPORT_LIMIT = 50_000  # rows of one export; a narrower filter for more
SHOWN_FIELDS = 12  # fields listed for a row created or deleted (every changed field of an edit)


def _staff_scope(request) -> Scope:
    """Superior and grassroots staff (and superusers): a cell secretary 403, a viewer 404."""
    return scope_for(request, records=True)


def at_root(scope: Scope) -> bool:
    root = scope.root_on(today())
    return root is not None and root.depth == 0


def visible_entries(scope: Scope):
    """The entries of the scope: their unit lay in the subtree on their day (one correlated
    subquery per entry on the versions' index), or, at the root of the tree, no unit at all."""
    # The units that ever lay in the subtree first (a semi-join the planner can use), then the dated rule.
    ever = scope.units_ever().values("unit_id")
    condition = Q(unit_id__in=ever) & Q(scope.holds(OuterRef("unit_id"), OuterRef("day")))
    if at_root(scope):
        condition |= Q(unit__isnull=True)
    return AuditEntry.objects.filter(condition)


def member_history(scope: Scope, member_id: int, until: datetime.date | None = None, limit: int = 20) -> list:
    """The latest entries about one member that the scope may read (made before `until`, the day a
    former member left the scope), each with its changes: one query."""
    entries = visible_entries(scope).filter(member_id=member_id)
    if until is not None:
        entries = entries.filter(day__lt=until)
    rows = list(entries.select_related("actor").order_by("-at", "-pk")[:limit])
    for entry in rows:
        _describe(entry)
    return rows


# --- filters -----------------------------------------------------------------------------------------


def _filters(request, scope: Scope, units: dict) -> tuple[dict, object, list[str]]:
    """The chosen filters, the entries they select, and messages about values not understood."""
    get, errors = request.GET, []
    entries = visible_entries(scope)
    chosen = {"actor": id_param(get.get("actor")), "action": get.get("action", ""), "unit": id_param(get.get("unit")),
              "member": id_param(get.get("member")), "from": get.get("from", ""), "to": get.get("to", ""),
              "kind": get.get("kind", "")}  # fmt: skip
    if chosen["actor"]:
        entries = entries.filter(actor_id=chosen["actor"])
    if chosen["action"] in LABELS:
        entries = entries.filter(action=chosen["action"])
    else:
        chosen["action"] = ""
    if chosen["unit"] in units:
        # The unit's own subtree on each entry's day (a unit of the scope today; its past is the scope's).
        entries = entries.filter(Scope(unit_id=chosen["unit"], sees_people=True).holds(OuterRef("unit_id"),
                                                                                         OuterRef("day")))  # fmt: skip
    else:
        chosen["unit"] = None
    if chosen["member"]:
        entries = entries.filter(member_id=chosen["member"])
    for name, lookup in (("from", "day__gte"), ("to", "day__lte")):
        if chosen[name]:
            day = date_param(chosen[name])
            if day is None:
                errors.append(f"Ngày “{chosen[name]}” không hợp lệ; hãy nhập theo dạng ngày/tháng/năm. "
                              "Bỏ qua điều kiện này.")
                chosen[name] = ""
            else:
                entries = entries.filter(**{lookup: day})
                chosen[name] = day
    if chosen["kind"] in Kind.values:
        entries = entries.filter(kind=chosen["kind"])
    else:
        chosen["kind"] = ""
    return chosen, entries.select_related("actor", "member").order_by("-at", "-pk"), errors


def _units_of(scope: Scope) -> dict[int, str]:
    """The scope's units today with their labels, in tree order (two queries)."""
    day = today()
    versions = list(scope.units_on(day).order_by("path").only("unit_id", "name", "kind", "path", "valid_from",
                                                               "valid_to"))  # fmt: skip
    labels = version_labels(versions, day)
    return {v.unit_id: labels[v.unit_id] for v in versions}


# --- how an entry reads --------------------------------------------------------------------------------

_NAMES: dict[str, dict[str, str]] = {}


def _field_names(target_type: str) -> dict[str, str]:
    """{attname: verbose name} of the target's model (empty for a model that no longer exists)."""
    if target_type not in _NAMES:
        try:
            model = apps.get_model(target_type)
        except (LookupError, ValueError):
            _NAMES[target_type] = {}
        else:
            _NAMES[target_type] = {f.attname: str(f.verbose_name) for f in model._meta.concrete_fields}
    return _NAMES[target_type]


def _shown(value) -> str:
    if value is None or value == "":
        return "—"
    if value is True:
        return "có"
    if value is False:
        return "không"
    if isinstance(value, str):
        day = date_param(value[:10]) if len(value) >= 10 and value[4:5] == "-" else None
        if day is not None and len(value) == 10:
            return vn.format_date(day)
        if day is not None:
            try:
                moment = timezone.localtime(datetime.datetime.fromisoformat(value))
                return moment.strftime("%d/%m/%Y %H:%M")
            except ValueError:
                pass
        return value if len(value) <= 200 else value[:200] + "…"
    if isinstance(value, (list, dict)):
        text = json.dumps(value, ensure_ascii=False)
        return text if len(text) <= 200 else text[:200] + "…"
    return str(value)


# Keys of snapshots that are not fields of the target's model.
OTHER_KEYS = {
    "coordinating_units": "Đơn vị phối hợp",
    "date": "Ngày số liệu",
    "file": "Tệp",
    "filters": "Bộ lọc",
    "quality_check": "Nội dung kiểm tra",
    "attendance": "Điểm danh",
}


def _label_of_field(names: dict, key: str) -> str:
    label = names.get(key) or OTHER_KEYS.get(key)
    return label.capitalize() if label else key


def changes_of(entry: AuditEntry) -> list[tuple[str, str, str]]:
    """(field, before, after) of the fields the entry changed; for a row created or deleted, its
    filled fields (the first SHOWN_FIELDS)."""
    before, after = entry.before, entry.after
    if not isinstance(before, dict) and not isinstance(after, dict):
        return []
    names = _field_names(entry.target_type)
    before, after = before if isinstance(before, dict) else {}, after if isinstance(after, dict) else {}
    keys = list(dict.fromkeys([*before, *after]))
    changed = [k for k in keys if before.get(k) != after.get(k) and k not in ("updated_at", "id")]
    if not entry.before or not entry.after:  # created or deleted: the filled fields
        changed = [k for k in changed if (before.get(k) or after.get(k)) not in (None, "", [], {})][:SHOWN_FIELDS]
    return [(_label_of_field(names, k), _shown(before.get(k)) if entry.before else "", _shown(after.get(k))
             if entry.after else "") for k in changed]  # fmt: skip


def _describe(entry: AuditEntry) -> AuditEntry:
    entry.label = label_of(entry.action)
    entry.changes = changes_of(entry)
    entry.actor_name = _actor_name(entry.actor)
    return entry


def _actor_name(actor) -> str:
    if actor is None:
        return "Hệ thống"
    full = actor.get_full_name()
    return f"{full} ({actor.username})" if full else actor.username


# --- the page and the export ---------------------------------------------------------------------------


@login_required
def audit_list(request):
    scope = _staff_scope(request)
    units = _units_of(scope)
    chosen, entries, errors = _filters(request, scope, units)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [_describe(entry) for entry in page]
    labels = unit_labels({e.unit_id for e in rows})
    members = {e.member for e in rows if e.member is not None}
    openable = set(scope.seen_many(members)) if members else set()
    for entry in rows:
        entry.unit_label = labels.get(entry.unit_id, "")
        entry.member_link = entry.member_id in openable
    accounts = User.objects.filter(unit_id__in=list(units)).order_by("username").only(
        "username", "first_name", "last_name"
    )
    context = {
        "page": page,
        "rows": rows,
        "units": units,
        "accounts": accounts,
        "actions": sorted(LABELS.items(), key=lambda item: vn.text_sort_key(item[1])),
        "kinds": Kind.choices,
        "chosen": chosen,
        "errors": errors,
        "member": rows[0].member if chosen["member"] and rows and rows[0].member_id in openable else None,
    }
    return render(request, "audit/list.html", context)


def _change_text(name: str, old: str, new: str) -> str:
    return f"{name}: {old} → {new}" if old and new else f"{name}: {old or new}"


COLUMNS = [("Thời gian", 17), ("Người thực hiện", 28), ("Loại", 14), ("Thao tác", 30), ("Đơn vị", 40),
           ("Đảng viên", 26), ("Nội dung thay đổi", 70), ("Ghi chú", 30)]  # fmt: skip


@login_required
def audit_export(request):
    scope = _staff_scope(request)
    units = _units_of(scope)
    chosen, entries, _ = _filters(request, scope, units)
    rows = [_describe(entry) for entry in entries[:EXPORT_LIMIT]]
    labels = unit_labels({e.unit_id for e in rows})
    kinds = dict(Kind.choices)
    lines = [
        (timezone.localtime(e.at).strftime("%d/%m/%Y %H:%M:%S"), e.actor_name, kinds.get(e.kind, e.kind), e.label,
         labels.get(e.unit_id, ""), e.member.full_name if e.member else "",
         "\n".join(_change_text(*change) for change in e.changes),
         e.note)
        for e in rows
    ]  # fmt: skip
    root = units.get(scope.unit_id) or next(iter(units.values()), "")
    content = xlsx.workbook(
        sheet_title="Nhật ký",
        heading=[root, "NHẬT KÝ THAO TÁC",
                 f"Tải về ngày {vn.format_date(today())}: {vn.format_number(len(lines))} dòng"],
        columns=COLUMNS,
        rows=lines,
    )
    shown = {k: (vn.format_date(v) if isinstance(v, datetime.date) else v) for k, v in chosen.items() if v}
    record_read(request, "audit_export", Unit(pk=scope.unit_id), note=f"{len(lines)} dòng", details={"filters": shown},
                unit=scope.unit_id)  # fmt: skip
    return xlsx.response(content, f"nhat-ky_{today():%d-%m-%Y}.xlsx")
