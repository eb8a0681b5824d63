"""Writing audit entries. Every action function calls `record` inside its own transaction, so the
entry is written if and only if the change is; reads of personal data that matter (a record opened,
a register or a sheet downloaded) call `record_read`.

Every write function of the application is decorated with `audited`: it counts the entries its call
wrote, and a call that returns normally without writing one (nor saying `nothing_changed()`) is an
error — raised where settings.AUDIT_ENFORCE is on (development and tests), logged otherwise. The
test tests/test_audit_actions.py walks every action module and fails for an undecorated write
function, so the whole suite checks that every action writes its entry."""

from __future__ import annotations

import contextvars
import datetime
import decimal
import functools
import logging

from django.conf import settings
from django.db import models
from django.utils import timezone

from .models import AuditEntry, Kind

logger = logging.getLogger(__name__)


def _jsonable(value):
    if isinstance(value, (datetime.date, datetime.datetime, datetime.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, models.fields.files.FieldFile):
        return value.name or ""
    return value


# Secrets never enter the audit log; their changes are recorded as actions of their own.
SECRET_FIELDS = {"password"}


def snapshot(obj: models.Model | None) -> dict | None:
    """The concrete field values of a row, JSON-ready (foreign keys as ids), secrets left out."""
    if obj is None:
        return None
    return {
        f.attname: _jsonable(getattr(obj, f.attname))
        for f in obj._meta.concrete_fields
        if f.attname not in SECRET_FIELDS
    }


# --- where an entry belongs ---------------------------------------------------------------------

# The attributes that name a row's unit, first found first: an event's unit it leaves (a transfer is
# the business of the committee it leaves; an arrival's `from_unit` is empty), a meeting's or a
# rating's cell, a task's responsible unit (it lies under the assigning one), a request's superior,
# a term's committee.
UNIT_ATTRIBUTES = ("from_unit_id", "cell_id", "unit_id", "responsible_unit_id", "superior_id", "committee_id",
                   "grassroots_id")  # fmt: skip
# Rows that belong where their parent row does (a material to its meeting, an extension to its task).
PARENT_ATTRIBUTES = ("meeting", "task", "report", "term", "target", "resolution")


def _member_unit(member_id: int, day: datetime.date) -> int | None:
    """The unit of the member on `day`: their official stint that day, else any stint of that day,
    else the last one they held before it (a member who left keeps the place they were last). One
    query."""
    from dangbo.members.models import Stint

    stints = Stint.unscoped.filter(member_id=member_id, start__lte=day).order_by("-start")
    rows = list(stints.values_list("unit_id", "end", "kind"))
    open_ = [(unit, kind) for unit, end, kind in rows if end is None or day < end]
    for unit, kind in open_:
        if kind == "official":
            return unit
    if open_:
        return open_[0][0]
    return rows[0][0] if rows else None


def place_of(target, day: datetime.date, _depth: int = 0) -> tuple[int | None, int | None]:
    """(unit id, member id) of the entry about `target` on `day`."""
    from dangbo.accounts.models import User
    from dangbo.members.models import Member
    from dangbo.orgs.models import Unit, UnitVersion

    if target is None:
        return None, None
    if isinstance(target, Unit):
        return target.pk, None
    if isinstance(target, UnitVersion):
        return target.unit_id, None
    if isinstance(target, Member):
        return _member_unit(target.pk, day) if target.pk else None, target.pk
    if isinstance(target, User):
        return target.unit_id, None
    member_id = getattr(target, "member_id", None)
    unit_id = next((getattr(target, name) for name in UNIT_ATTRIBUTES if getattr(target, name, None)), None)
    if unit_id is None and _depth < 3:
        for name in PARENT_ATTRIBUTES:
            if getattr(target, f"{name}_id", None) is not None:
                unit_id, parent_member = place_of(getattr(target, name), day, _depth + 1)
                member_id = member_id or parent_member
                break
    if unit_id is None and member_id is not None:
        unit_id = _member_unit(member_id, day)
    return unit_id, member_id


# --- counting the entries of an action ----------------------------------------------------------


class _Tally:
    __slots__ = ("entries", "unchanged")

    def __init__(self):
        self.entries = 0
        self.unchanged = False


_tally: contextvars.ContextVar[_Tally | None] = contextvars.ContextVar("audit_tally", default=None)


class AuditMissing(Exception):
    """An audited function changed data (it returned normally) without writing its audit entry."""


def nothing_changed() -> None:
    """Said by an audited function whose call legitimately changed nothing (an account already in
    the state asked, occurrences already made, a second identical import): no entry is owed."""
    tally = _tally.get()
    if tally is not None:
        tally.unchanged = True


def audited(func):
    """Mark `func` as a write of the application and check, on each call that returns normally,
    that it wrote at least one audit entry (or said `nothing_changed()`). Calls nest: the entries of
    an inner audited call count for the outer one (not its `nothing_changed()`, which the outer
    function says for itself if it applies). Place it under @transaction.atomic, so that an
    enforced refusal rolls the write back."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        tally = _Tally()
        token = _tally.set(tally)
        try:
            result = func(*args, **kwargs)
        finally:
            _tally.reset(token)
        outer = _tally.get()
        if outer is not None:  # an inner call's entries are the outer's; its "nothing changed" is its own
            outer.entries += tally.entries
        if not tally.entries and not tally.unchanged:
            message = f"{func.__module__}.{func.__qualname__} returned without writing its audit entry"
            if getattr(settings, "AUDIT_ENFORCE", False):
                raise AuditMissing(message)
            logger.error(message)
        return result

    wrapper.audited = True
    return wrapper


# --- writing entries ------------------------------------------------------------------------------


def record(actor, action: str, target: models.Model, before=None, after=None, note: str = "", *,
           unit=None, member=None, kind: str = Kind.WRITE) -> AuditEntry:  # fmt: skip
    """One entry about `target`. Its place (`unit`, `member`: rows or ids) is derived from the target
    where not given (place_of)."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    day = timezone.localdate()
    unit_id, member_id = getattr(unit, "pk", unit), getattr(member, "pk", member)
    if unit_id is None and member_id is None:
        unit_id, member_id = place_of(target, day)
    elif unit_id is None:
        unit_id = _member_unit(member_id, day)
    elif member_id is None:
        member_id = target.pk if target._meta.label_lower == "members.member" else getattr(target, "member_id", None)
    entry = AuditEntry.objects.create(
        actor=actor,
        action=action,
        kind=kind,
        day=day,
        unit_id=unit_id,
        member_id=member_id,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        before=before,
        after=after,
        note=note,
    )
    tally = _tally.get()
    if tally is not None:
        tally.entries += 1
    return entry


def record_read(request, action: str, target, note: str = "", *, details=None, unit=None,
                member=None) -> AuditEntry | None:  # fmt: skip
    """A read of personal data that matters (a record opened, a register, a sheet or an export
    downloaded), by the signed-in user of `request`, with its `details` (what was read) in place of
    a state after: one INSERT (and the member's unit, when only
    the member is known, one SELECT). Nothing for an anonymous request."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    return record(user, action, target, None, details, note=note, unit=unit, member=member, kind=Kind.READ)
