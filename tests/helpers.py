"""Assertions and hand-written SQL shared by the tests."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from dangbo.audit.models import AuditEntry
from dangbo.members.models import Member, Stint, UnitTally
from dangbo.orgs.models import Unit, UnitVersion

VIETNAMESE_LETTERS = set("ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ")


def is_vietnamese(message: str) -> bool:
    return bool(VIETNAMESE_LETTERS & set(message.lower()))


def row_counts() -> tuple[int, ...]:
    """Rows of every table an action may write."""
    models = (Unit, UnitVersion, Member, Stint, UnitTally, AuditEntry)
    return tuple(model._default_manager.count() for model in models)


def refused(call, *, match: str | None = None) -> str:
    """`call` must raise ValidationError with a Vietnamese message and write nothing at all."""
    before = row_counts()
    with pytest.raises(ValidationError) as info:
        call()
    message = " ".join(info.value.messages)
    assert is_vietnamese(message), message
    if match is not None:
        assert match in message, message
    assert row_counts() == before
    return message


def hand_path(unit_id: int, on: datetime.date) -> str:
    """The unit's path on `on`, by hand-written SQL (independent of the app's ORM)."""
    sql = """
        SELECT path FROM orgs_unitversion
        WHERE unit_id = %s AND valid_from <= %s AND (valid_to IS NULL OR valid_to > %s)
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [unit_id, on, on])
        rows = cursor.fetchall()
    assert len(rows) == 1, rows
    return rows[0][0]
