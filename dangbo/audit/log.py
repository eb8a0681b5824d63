"""Writing audit entries. Every action function calls `record` inside its own transaction, so the
entry is written if and only if the change is."""

import datetime
import decimal

from django.db import models

from .models import AuditEntry


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


def record(actor, action: str, target: models.Model, before=None, after=None, note: str = "") -> AuditEntry:
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    return AuditEntry.objects.create(
        actor=actor,
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        before=before,
        after=after,
        note=note,
    )
