"""Far dates, in query parameters and in forms: never a 5xx, a Vietnamese message where the page
has room for one, and every date field of every form held to a plausible range for its meaning."""

import datetime
import inspect

import pytest
from django import forms

from dangbo.lib import forms as lib_forms
from dangbo.lib import http
from dangbo.meetings.models import Meeting
from tests.helpers import is_vietnamese

FAR = ["9999-12-31", "0001-01-01", "31/12/9999", "9999-12", "0001-01", "12/9999"]


def _urls(demo) -> list[tuple[str, str]]:
    """(path, query parameter) pairs that take a day or a month."""
    meeting = Meeting.unscoped.filter(cell_id=demo["chibo"]).order_by("pk").first()
    return [
        ("/", "date"),
        (f"/to-chuc/{demo['coso']}/", "date"),
        ("/dang-vien/", "date"),
        ("/dang-vien/so-danh-sach/", "date"),
        ("/chi-tieu/", "date"),
        ("/huy-hieu/", "dip"),
        ("/sinh-hoat/", "month"),
        ("/sinh-hoat/tuan-thu/", "from"),
        ("/sinh-hoat/tuan-thu/", "to"),
        (f"/sinh-hoat/chi-bo/{demo['chibo']}/", "from"),
        (f"/sinh-hoat/chi-bo/{demo['chibo']}/", "to"),
        (f"/sinh-hoat/{meeting.pk}/ghi-bien-ban/", "ngay"),
        ("/nhiem-vu/", "han"),
        ("/nhiem-vu/lich/", "thang"),
        ("/nhiem-vu/thong-ke/", "from"),
        ("/nhiem-vu/thong-ke/", "to"),
        ("/bao-cao/theo-doi/?loai=thang", "ky"),
        ("/xep-loai/", "nam"),
    ]


@pytest.mark.parametrize("value", FAR)
def test_far_dates_in_parameters_never_break_a_page(as_user, demo, value):
    client = as_user("khoi")
    for path, name in _urls(demo):
        joiner = "&" if "?" in path else "?"
        response = client.get(f"{path}{joiner}{name}={value}")
        assert response.status_code < 500, (path, name, value)


@pytest.mark.parametrize("path, name, value, message", [
    ("/", "date", "9999-12-31", "Ngày xem số liệu không được sau"),
    ("/", "date", "0001-01-01", "Ngày xem số liệu không được trước 01/01/1930."),
    ("/dang-vien/", "date", "9999-12-31", "Ngày xem số liệu không được sau"),
    ("/sinh-hoat/", "month", "9999-11", "Tháng không hợp lệ"),
    ("/sinh-hoat/tuan-thu/", "to", "9999-12", "Hãy chọn tháng từ 01/1930 đến"),
    ("/sinh-hoat/tuan-thu/", "from", "0001-01", "Hãy chọn tháng từ 01/1930 đến"),
    ("/nhiem-vu/thong-ke/", "to", "9999-12-31", "Đang hiển thị cả năm nay."),
])  # fmt: skip
def test_far_dates_in_parameters_are_named_in_vietnamese(as_user, path, name, value, message):
    response = as_user("khoi").get(path, {name: value})
    assert response.status_code == 200
    assert message in response.content.decode()


def test_the_cells_attendance_says_a_far_month_is_refused(as_user, demo):
    response = as_user("khoi").get(f"/sinh-hoat/chi-bo/{demo['chibo']}/", {"from": "9999-12"})
    assert response.status_code == 200
    assert "Hãy chọn tháng từ 01/1930 đến" in response.content.decode()


def test_the_range_moves_with_today(monkeypatch):
    monkeypatch.setattr(http, "today", lambda: datetime.date(2026, 11, 27))
    assert lib_forms.bounds(lib_forms.Meaning.BIRTH) == (datetime.date(1900, 1, 1), datetime.date(2010, 11, 27))
    assert lib_forms.bounds(lib_forms.Meaning.FACT) == (datetime.date(1930, 1, 1), datetime.date(2026, 11, 27))
    assert lib_forms.bounds(lib_forms.Meaning.DAY) == (datetime.date(1930, 1, 1), datetime.date(2031, 11, 27))
    assert lib_forms.date_param("2031-11-27") == datetime.date(2031, 11, 27)
    assert lib_forms.date_param("2031-11-28") is None
    assert lib_forms.month_param("2031-11") == datetime.date(2031, 11, 1)
    assert lib_forms.month_param("2031-12") is None
    assert lib_forms.month_param("1929-12") is None


# --- every date field of every form ----------------------------------------------------------------


def _form_classes():
    """Every form class of the application's forms modules."""
    from dangbo.admissions import forms as admissions
    from dangbo.meetings import forms as meetings
    from dangbo.members import forms as members
    from dangbo.ratings import forms as ratings
    from dangbo.targets import forms as targets
    from dangbo.tasks import forms as tasks

    found = []
    for module in (admissions, meetings, members, ratings, targets, tasks):
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__:
                found.append(cls)
    return found


def _make(cls, data=None, kind=None):
    """An instance of a form class, given empty lists for its required arguments (choices), bound to
    `data` when given; the event form for one `kind` of event."""
    from dangbo.members.forms import EventForm

    if cls is EventForm:
        return EventForm(kind, [], data)
    positional = sum(
        1 for p in list(inspect.signature(cls.__init__).parameters.values())[1:]
        if p.kind is p.POSITIONAL_OR_KEYWORD and p.default is p.empty
    )  # fmt: skip
    return cls(*[[]] * positional, data)


def _instances():
    """One instance of every form class, the event form once for each kind of event."""
    from dangbo.members.forms import KIND_FIELDS, EventForm

    made = []
    for cls in _form_classes():
        made += [_make(cls, kind=kind) for kind in KIND_FIELDS] if cls is EventForm else [_make(cls)]
    return made


def test_every_date_field_of_every_form_has_a_range(db):
    date_fields = [
        (type(form).__name__, name, field)
        for form in _instances()
        for name, field in form.fields.items()
        if isinstance(field, forms.DateField)
    ]
    assert len(date_fields) > 30
    for form, name, field in date_fields:
        assert any(isinstance(v, lib_forms.Within) for v in field.validators), (form, name)


@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01"])
def test_every_form_refuses_far_dates_in_vietnamese(db, value):
    checked = 0
    for form in _instances():
        names = [name for name, field in form.fields.items() if isinstance(field, forms.DateField)]
        if not names:
            continue
        bound = _make(type(form), {name: value for name in names}, kind=getattr(form, "kind", None))
        bound.is_valid()
        for name in names:
            messages = bound.errors.get(name, [])
            assert messages and all(is_vietnamese(m) for m in messages), (type(form).__name__, name, messages)
            checked += 1
    assert checked > 30
