"""Assertions and hand-written SQL shared by the tests."""

import datetime
import re

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.forms import MultiWidget
from django.test import Client

from dangbo.audit.models import AuditEntry
from dangbo.members.models import Member, Stint, UnitTally
from dangbo.once.tokens import FIELD, new_key
from dangbo.orgs.models import Unit, UnitVersion

VIETNAMESE_LETTERS = set("ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ")


class FormClient(Client):
    """Posts as a browser that has just drawn the form: with a fresh one-time form token, unless the
    test sends its own (to send the same form twice) or says `form_token=None` (to send none)."""

    def post(self, path, data=None, *args, **kwargs):
        data = {} if data is None else data
        if isinstance(data, dict):
            if FIELD not in data:
                data = {**data, FIELD: new_key()}
            elif data[FIELD] is None:
                data = {k: v for k, v in data.items() if k != FIELD}
        return super().post(path, data, *args, **kwargs)


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


# --- the back office: what a browser posts back for an add or change page ---------------------


def form_value(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "on" if value else ""
    if isinstance(value, (datetime.date, datetime.datetime, datetime.time)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [form_value(v) for v in value]
    return str(value)


def form_data(response) -> dict:
    """What the browser would post back for an admin add/change page: the main form's values plus
    every inline formset's management form and forms."""
    data = {}
    form = response.context["adminform"].form
    for name, field in form.fields.items():
        if field.disabled:
            continue
        value = form[name].value()
        widget = field.widget
        if isinstance(widget, MultiWidget):
            parts = value if isinstance(value, (list, tuple)) else widget.decompress(value)
            for suffix, part in zip(widget.widgets_names, parts):
                data[form.add_prefix(name) + suffix] = form_value(part)
        else:
            data[form.add_prefix(name)] = form_value(value)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = form_value(management[name].value())
        for sub in formset.forms:
            for name in sub.fields:
                data[sub.add_prefix(name)] = form_value(sub[name].value())
    return data


def hand_member_counts(path: str, on: datetime.date) -> dict[str, int]:
    """Members counted under `path` on `on`, by hand-written SQL (independent of the app's ORM)."""
    sql = """
        SELECT COUNT(*),
               SUM(CASE WHEN s.status = 'official' THEN 1 ELSE 0 END),
               SUM(CASE WHEN s.status = 'probationary' THEN 1 ELSE 0 END),
               SUM(CASE WHEN m.sex = 'F' THEN 1 ELSE 0 END),
               COUNT(DISTINCT s.member_id)
        FROM members_stint s
        JOIN members_member m ON m.id = s.member_id
        JOIN orgs_unitversion v ON v.unit_id = s.unit_id
             AND v.valid_from <= %s AND (v.valid_to IS NULL OR v.valid_to > %s)
        WHERE s.kind = 'official' AND s.start <= %s AND (s."end" IS NULL OR s."end" > %s)
          AND v.path LIKE %s
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [on, on, on, on, path + "%"])
        total, official, probationary, female, distinct = cursor.fetchone()
    assert total == distinct, "a member is counted twice: two official stints on one day"
    return {"total": total, "official": official or 0, "probationary": probationary or 0, "female": female or 0}


# --- in a browser -------------------------------------------------------------------------------------


def log_in(page, url: str, username: str, path: str = "/") -> None:
    """Open `path`, which asks to log in first, and log in as `username`."""
    page.goto(f"{url}{path}")
    assert "/dang-nhap/" in page.url
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill("demo")
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{url}{path}")


def from_menu(page, group: str, entry: str) -> None:
    """Open `group` of the header's menu, then its `entry` (on a phone, the menu's button first)."""
    nav = page.locator("header nav")
    button = page.locator("#menu-button")
    if button.is_visible() and not nav.is_visible():
        button.click()
    nav.locator("summary").filter(has_text=re.compile(rf"^\s*{re.escape(group)}\s*$")).click()
    nav.get_by_role("link", name=entry, exact=True).click()


def log_out(page) -> None:
    page.locator("header").get_by_role("button", name="Đăng xuất").click()
    page.wait_for_url(re.compile(r"/dang-nhap/"))
