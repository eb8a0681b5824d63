"""Writes of the targets app, each atomic and audited: a value judged by hand, and the "Dân vận
khéo" registrations."""

from __future__ import annotations

from django.db import transaction

from dangbo.audit.log import audited, record, snapshot

from .models import ManualValue, ModelRegistration, Target


@transaction.atomic
@audited
def enter_value(actor, target: Target, unit_id: int, data: dict) -> ManualValue:
    value = ManualValue(target=target, unit_id=unit_id, as_of=data["as_of"], value=data["value"],
                        note=data.get("note", ""), evidence=data["evidence"], entered_by=actor)  # fmt: skip
    value.save()
    record(actor, "target_value_enter", value, None, snapshot(value))
    return value


@transaction.atomic
@audited
def add_registration(actor, registration: ModelRegistration) -> ModelRegistration:
    registration.save()
    record(actor, "registration_add", registration, None, snapshot(registration))
    return registration


@transaction.atomic
@audited
def delete_registration(actor, registration: ModelRegistration) -> None:
    record(actor, "registration_delete", registration, snapshot(registration), None)
    registration.delete()
