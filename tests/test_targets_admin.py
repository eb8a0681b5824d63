"""The back office of the targets app, as the demo superuser `admin`: a term's resolution set up with
its targets and parts inline (every inline row audited on its own: added, changed, deleted, with
its snapshots), the indicator library offered as the choice of a target's indicator, the rules of
Target.clean (also as plain `full_clean` unit tests and the database's check constraint), the
"Dân vận khéo" registrations audited, values entered by hand read-only; the command that rebuilds
the cells' yearly meeting summaries; and refusal of the other personas."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import lxml.html
import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from dangbo.accounts.models import User
from dangbo.audit.models import AuditEntry
from dangbo.meetings.models import CellYear
from dangbo.orgs.models import Term
from dangbo.targets.admin import TargetForm
from dangbo.targets.indicators import REGISTRY
from dangbo.targets.models import (
    Basis,
    Comparator,
    ManualValue,
    Method,
    ModelRegistration,
    PartKind,
    Resolution,
    ResolutionPart,
    Target,
)
from tests.helpers import form_data, form_value, is_vietnamese

from .conftest import login

d = datetime.date
ADD = "/admin/targets/resolution/add/"
CHANGE = "/admin/targets/resolution/{}/change/"
MANUAL_LABEL = "— Nhập tay —"
UNKNOWN_KEY = "khong_co_chi_so_nay"


# --- helpers ----------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, demo):
    return login(client, "admin")


@pytest.fixture
def term(demo) -> Term:
    """The root committee's 2025–2030 term (a term of the demo's orgs_term)."""
    return Term.objects.get(committee_id=demo["root"], name="2025–2030")




def prefixes(response) -> dict[type, str]:
    """{inline model: formset prefix} as the page renders them."""
    return {inline.formset.model: inline.formset.prefix for inline in response.context["inline_admin_formsets"]}


def add_rows(data: dict, prefix: str, rows: list[dict]) -> None:
    """Append new inline rows after the forms already in `data`, as the "add another" link does."""
    total = int(data[f"{prefix}-TOTAL_FORMS"])
    for i, row in enumerate(rows, total):
        data[f"{prefix}-{i}-id"] = ""
        for key, value in row.items():
            data[f"{prefix}-{i}-{key}"] = form_value(value)
    data[f"{prefix}-TOTAL_FORMS"] = str(total + len(rows))


def last_entry_pk() -> int:
    return AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (Resolution, Target, ResolutionPart, AuditEntry))


def form_errors(response) -> str:
    if not response.context:
        return ""
    errors = [response.context["adminform"].form.errors]
    for inline in response.context["inline_admin_formsets"]:
        errors.append(inline.formset.errors)
        errors.append(inline.formset.non_form_errors())
    return str(errors)


TARGET_A = dict(order=1, name="Kết nạp đảng viên mới", measure="đảng viên", target_value="120",
                comparator=Comparator.AT_LEAST, basis=Basis.CUMULATIVE, method=Method.INDICATOR,
                indicator="admissions", part="")  # fmt: skip
TARGET_B = dict(order=2, name="Học tập, quán triệt nghị quyết", measure="%", target_value="95.50",
                comparator=Comparator.AT_LEAST, basis=Basis.YEARLY, method=Method.MANUAL, indicator="",
                part="")  # fmt: skip
PART = dict(kind=PartKind.BREAKTHROUGH, order=1, title="Đột phá về chuyển đổi số trong công tác đảng", text="")


def add_data(client, term, title="Nghị quyết thử nghiệm qua trang quản trị", targets=(TARGET_A, TARGET_B),
             parts=(PART,)) -> dict:  # fmt: skip
    response = client.get(ADD)
    assert response.status_code == 200
    data = form_data(response)
    data.update(term=str(term.pk), title=title, number="99-NQ/ĐH", adopted_on="2025-08-20")
    inline = prefixes(response)
    add_rows(data, inline[Target], [dict(row) for row in targets])
    add_rows(data, inline[ResolutionPart], [dict(row) for row in parts])
    return data


def add_resolution(client, term, **kwargs) -> Resolution:
    response = client.post(ADD, add_data(client, term, **kwargs))
    assert response.status_code == 302, form_errors(response)
    return Resolution.objects.get(title=kwargs.get("title", "Nghị quyết thử nghiệm qua trang quản trị"))


# --- the add page ------------------------------------------------------------------------------------


def test_add_page_renders_the_targets_and_parts_inlines(admin_client, term):
    response = admin_client.get(ADD)
    assert response.status_code == 200
    assert prefixes(response) == {Target: "targets", ResolutionPart: "parts"}
    html = lxml.html.fromstring(response.content.decode())
    for prefix in ("targets", "parts"):
        for name in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"):
            assert html.xpath(f'//input[@name="{prefix}-{name}"]'), (prefix, name)
    # The term is chosen among the terms, the root's among them.
    options = html.xpath('//select[@name="term"]/option/@value')
    assert str(term.pk) in options


def test_indicator_choices_are_the_registry_with_its_labels(admin_client):
    expected = [("", MANUAL_LABEL)] + [(key, indicator.label) for key, indicator in REGISTRY.items()]
    assert len(REGISTRY) >= 8
    assert list(TargetForm().fields["indicator"].choices) == expected
    # And as the browser sees them: the empty row the "add another" link copies.
    html = lxml.html.fromstring(admin_client.get(ADD).content.decode())
    options = html.xpath('//select[@name="targets-__prefix__-indicator"]/option')
    assert [(o.get("value"), o.text_content().strip()) for o in options] == expected


# --- adding, changing and deleting inline rows -------------------------------------------------------


def test_admin_add_resolution_with_two_targets_and_a_part_audits_every_row(admin_client, term):
    before = counts()
    mark = last_entry_pk()
    resolution = add_resolution(admin_client, term)

    assert (resolution.term_id, resolution.number, resolution.adopted_on) == (term.pk, "99-NQ/ĐH", d(2025, 8, 20))
    targets = list(resolution.targets.order_by("order"))
    assert [(t.name, t.method, t.indicator, t.target_value, t.basis) for t in targets] == [
        ("Kết nạp đảng viên mới", "indicator", "admissions", Decimal("120.00"), "cumulative"),
        ("Học tập, quán triệt nghị quyết", "manual", "", Decimal("95.50"), "yearly"),
    ]
    (part,) = resolution.parts.all()
    assert (part.kind, part.order, part.title) == ("breakthrough", 1, PART["title"])
    assert counts()[:3] == (before[0] + 1, before[1] + 2, before[2] + 1)

    entries = list(AuditEntry.objects.filter(pk__gt=mark).order_by("pk"))
    assert len(entries) == 4, [(e.action, e.target_type) for e in entries]
    assert {e.action for e in entries} == {"admin_add"}
    assert {e.actor.username for e in entries} == {"admin"}
    assert all(e.before is None for e in entries)
    written = {(e.target_type, e.target_id): e for e in entries}
    expected = {("targets.resolution", str(resolution.pk))}
    expected |= {("targets.target", str(t.pk)) for t in targets}
    expected |= {("targets.resolutionpart", str(part.pk))}
    assert set(written) == expected
    # The resolution first, its rows after it.
    assert entries[0].target_type == "targets.resolution"
    assert written[("targets.resolution", str(resolution.pk))].after["title"] == resolution.title
    for target in targets:
        after = written[("targets.target", str(target.pk))].after
        assert after["id"] == target.pk
        assert after["resolution_id"] == resolution.pk
        assert (after["name"], after["indicator"], after["method"]) == (target.name, target.indicator, target.method)
        assert Decimal(after["target_value"]) == target.target_value
    after = written[("targets.resolutionpart", str(part.pk))].after
    assert (after["id"], after["resolution_id"], after["title"], after["kind"]) == (
        part.pk, resolution.pk, part.title, "breakthrough",
    )  # fmt: skip


def test_admin_change_of_an_inline_target_value_is_audited_with_before_and_after(admin_client, term):
    resolution = add_resolution(admin_client, term)
    target = resolution.targets.get(order=1)
    url = CHANGE.format(resolution.pk)
    response = admin_client.get(url)
    assert response.status_code == 200
    data = form_data(response)
    assert data["targets-TOTAL_FORMS"] == data["targets-INITIAL_FORMS"] == "2"
    index = next(i for i in range(2) if data[f"targets-{i}-id"] == str(target.pk))
    data[f"targets-{index}-target_value"] = "150"
    mark = last_entry_pk()
    before = counts()

    response = admin_client.post(url, data)
    assert response.status_code == 302, form_errors(response)
    target.refresh_from_db()
    assert target.target_value == Decimal("150.00")
    assert counts()[:3] == before[:3]
    entries = list(AuditEntry.objects.filter(pk__gt=mark))
    # Only the changed row is recorded (the resolution itself is saved again: an admin_change of it
    # is tolerated, nothing else).
    rows = [e for e in entries if e.target_type != "targets.resolution"]
    assert len(rows) == 1, [(e.action, e.target_type, e.target_id) for e in entries]
    entry = rows[0]
    assert (entry.action, entry.target_type, entry.target_id) == ("admin_change", "targets.target", str(target.pk))
    assert entry.actor.username == "admin"
    assert Decimal(entry.before["target_value"]) == Decimal("120")
    assert Decimal(entry.after["target_value"]) == Decimal("150")
    changed = {k for k in entry.after if entry.after[k] != entry.before[k]}
    assert changed == {"target_value"}
    assert entry.before["id"] == entry.after["id"] == target.pk


def delete_inline_row(client, term, model):
    """Add a resolution through the admin, then tick DELETE on its first `model` row and save.
    Returns (the deleted row as it was, the audit entries of its row)."""
    resolution = add_resolution(client, term)
    row = model.objects.filter(resolution=resolution).order_by("order").first()
    url = CHANGE.format(resolution.pk)
    response = client.get(url)
    data = form_data(response)
    prefix = prefixes(response)[model]
    total = int(data[f"{prefix}-TOTAL_FORMS"])
    index = next(i for i in range(total) if data[f"{prefix}-{i}-id"] == str(row.pk))
    data[f"{prefix}-{index}-DELETE"] = "on"
    mark = last_entry_pk()
    response = client.post(url, data)
    assert response.status_code == 302, form_errors(response)
    assert not model.objects.filter(pk=row.pk).exists()
    entries = [e for e in AuditEntry.objects.filter(pk__gt=mark) if e.target_type != "targets.resolution"]
    return row, entries


@pytest.mark.parametrize("model", [Target, ResolutionPart])
def test_admin_delete_of_an_inline_row_is_audited_with_the_deleted_row(admin_client, term, model):
    row, entries = delete_inline_row(admin_client, term, model)
    assert model.objects.filter(resolution=row.resolution_id).count() == (1 if model is Target else 0)
    assert len(entries) == 1, [(e.action, e.target_type, e.target_id) for e in entries]
    entry = entries[0]
    assert (entry.action, entry.target_type, entry.actor.username) == (
        "admin_delete", model._meta.label_lower, "admin",
    )  # fmt: skip
    assert entry.after is None
    assert entry.before is not None
    fields = {"resolution_id": row.resolution_id, "order": row.order}
    if model is Target:
        fields |= {"name": row.name, "indicator": row.indicator, "method": row.method}
        assert Decimal(entry.before["target_value"]) == row.target_value
    else:
        fields |= {"title": row.title, "kind": row.kind}
    assert {k: entry.before.get(k) for k in fields} == fields


@pytest.mark.parametrize("model", [Target, ResolutionPart])
def test_admin_delete_of_an_inline_row_records_the_deleted_rows_id(admin_client, term, model):
    row, entries = delete_inline_row(admin_client, term, model)
    (entry,) = entries
    assert entry.before["id"] == row.pk
    assert entry.target_id == str(row.pk)


# --- refusals ------------------------------------------------------------------------------------------


def inline_formset(response, model):
    return next(i.formset for i in response.context["inline_admin_formsets"] if i.formset.model is model)


def post_refused(client, data) -> str:
    """Post an add that must be refused: the page comes back, nothing is written; returns the
    errors shown on the targets' indicator fields."""
    before = counts()
    response = client.post(ADD, data)
    assert response.status_code == 200, "the add was accepted"
    assert counts() == before
    assert not Resolution.objects.filter(title=data["title"]).exists()
    errors = [e for form in inline_formset(response, Target).errors for e in form.get("indicator", [])]
    for error in errors:
        assert error in response.content.decode(), error
    return " ".join(errors)


def test_admin_refuses_an_indicator_not_in_the_library(admin_client, term):
    bad = dict(TARGET_A, indicator=UNKNOWN_KEY)
    errors = post_refused(admin_client, add_data(admin_client, term, targets=(bad, TARGET_B)))
    assert errors, "no error on the indicator"
    assert is_vietnamese(errors), errors
    assert UNKNOWN_KEY in errors  # Django's invalid-choice message names the value


def test_admin_refuses_a_manual_target_naming_an_indicator(admin_client, term):
    bad = dict(TARGET_B, indicator="admissions")
    errors = post_refused(admin_client, add_data(admin_client, term, targets=(TARGET_A, bad)))
    assert "Chỉ tiêu nhập tay không gắn với chỉ số." in errors
    assert is_vietnamese(errors)


def test_admin_refuses_a_computed_target_without_an_indicator(admin_client, term):
    bad = dict(TARGET_A, indicator="")
    errors = post_refused(admin_client, add_data(admin_client, term, targets=(bad,)))
    assert "Hãy chọn một chỉ số có trong thư viện chỉ số." in errors


def test_admin_refusal_on_the_change_page_keeps_the_row(admin_client, term):
    resolution = add_resolution(admin_client, term)
    target = resolution.targets.get(method=Method.MANUAL)
    url = CHANGE.format(resolution.pk)
    data = form_data(admin_client.get(url))
    index = next(i for i in range(2) if data[f"targets-{i}-id"] == str(target.pk))
    data[f"targets-{index}-indicator"] = "meetings"
    data[f"targets-{index}-target_value"] = "1"
    mark = last_entry_pk()
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "Chỉ tiêu nhập tay không gắn với chỉ số." in response.content.decode()
    target.refresh_from_db()
    assert (target.indicator, target.target_value) == ("", Decimal("95.50"))
    assert not AuditEntry.objects.filter(pk__gt=mark).exists()


def test_admin_refuses_a_target_under_a_part_of_another_resolution(admin_client, term):
    foreign = ResolutionPart.objects.exclude(resolution__term=term).first()
    bad = dict(TARGET_A, part=foreign.pk)
    before = counts()
    response = admin_client.post(ADD, add_data(admin_client, term, targets=(bad,)))
    assert response.status_code == 200
    assert counts() == before


# --- Target.clean as unit tests ------------------------------------------------------------------------


@pytest.fixture
def resolution(term) -> Resolution:
    return Resolution.objects.create(term=term, title="Nghị quyết cho kiểm tra", number="1")


def make_target(resolution, method, indicator, **fields) -> Target:
    """A target whose unit of measure is the indicator's ("%" for a share)."""
    known = REGISTRY.get(indicator)
    measure = "%" if known is None or known.is_percentage else known.measure
    values = dict(resolution=resolution, order=1, name="Chỉ tiêu", measure=measure, target_value=Decimal("90"),
                  comparator=Comparator.AT_LEAST, basis=Basis.YEARLY, method=method, indicator=indicator)  # fmt: skip
    return Target(**(values | fields))


def test_full_clean_wants_the_indicators_unit_of_measure(resolution):
    with pytest.raises(ValidationError) as refused:
        make_target(resolution, Method.INDICATOR, "admissions", measure="%").full_clean()
    assert "đảng viên" in str(refused.value.message_dict["measure"])
    with pytest.raises(ValidationError) as refused:
        make_target(resolution, Method.INDICATOR, "meetings", measure="chi bộ").full_clean()
    assert "%" in str(refused.value.message_dict["measure"])


def test_full_clean_keeps_cumulating_for_counts(resolution):
    make_target(resolution, Method.INDICATOR, "admissions", basis=Basis.CUMULATIVE).full_clean()
    with pytest.raises(ValidationError) as refused:
        make_target(resolution, Method.INDICATOR, "meetings", basis=Basis.CUMULATIVE).full_clean()
    assert "không cộng dồn" in str(refused.value.message_dict["basis"])


@pytest.mark.parametrize("key", sorted(REGISTRY))
def test_full_clean_accepts_a_computed_target_naming_a_registered_indicator(resolution, key):
    make_target(resolution, Method.INDICATOR, key).full_clean()


def test_full_clean_accepts_a_manual_target_without_indicator(resolution):
    make_target(resolution, Method.MANUAL, "").full_clean()


@pytest.mark.parametrize(
    "method, indicator, message",
    [
        (Method.INDICATOR, "", "Hãy chọn một chỉ số có trong thư viện chỉ số."),
        (Method.INDICATOR, UNKNOWN_KEY, "Hãy chọn một chỉ số có trong thư viện chỉ số."),
        (Method.INDICATOR, "Admissions", "Hãy chọn một chỉ số có trong thư viện chỉ số."),
        (Method.MANUAL, "admissions", "Chỉ tiêu nhập tay không gắn với chỉ số."),
        (Method.MANUAL, UNKNOWN_KEY, "Chỉ tiêu nhập tay không gắn với chỉ số."),
    ],
)
def test_full_clean_refuses(resolution, method, indicator, message):
    with pytest.raises(ValidationError) as info:
        make_target(resolution, method, indicator).full_clean()
    assert info.value.message_dict["indicator"] == [message]
    assert set(info.value.message_dict) == {"indicator"}


def test_full_clean_follows_the_registry(resolution, monkeypatch):
    """A key is valid exactly while the library holds it."""
    target = make_target(resolution, Method.INDICATOR, "admissions")
    monkeypatch.delitem(REGISTRY, "admissions")
    with pytest.raises(ValidationError):
        target.full_clean()


def test_database_refuses_a_computed_target_without_indicator(resolution):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_target(resolution, Method.INDICATOR, "").save()
    assert not resolution.targets.exists()


# --- "Dân vận khéo" registrations and values entered by hand -----------------------------------------


def test_admin_model_registration_add_change_delete_are_audited(admin_client, demo):
    url = "/admin/targets/modelregistration/add/"
    data = form_data(admin_client.get(url))
    data.update(unit=str(demo["coso"]), year="2025", registered_on="2025-03-01",
                name="Mô hình thử nghiệm qua quản trị", field="Chuyển đổi số", result="registered")  # fmt: skip
    mark = last_entry_pk()
    response = admin_client.post(url, data)
    assert response.status_code == 302, form_errors(response)
    registration = ModelRegistration.objects.get(name="Mô hình thử nghiệm qua quản trị")
    assert (registration.unit_id, registration.year, registration.registered_on) == (demo["coso"], 2025, d(2025, 3, 1))
    entry = AuditEntry.objects.get(pk__gt=mark)
    assert (entry.action, entry.target_type, entry.target_id) == (
        "admin_add", "targets.modelregistration", str(registration.pk),
    )  # fmt: skip
    assert entry.before is None and entry.after["unit_id"] == demo["coso"] and entry.after["result"] == "registered"

    url = f"/admin/targets/modelregistration/{registration.pk}/change/"
    data = form_data(admin_client.get(url))
    data["result"] = "recognised"
    mark = last_entry_pk()
    response = admin_client.post(url, data)
    assert response.status_code == 302, form_errors(response)
    registration.refresh_from_db()
    assert registration.result == "recognised"
    entry = AuditEntry.objects.get(pk__gt=mark)
    assert (entry.action, entry.target_id) == ("admin_change", str(registration.pk))
    assert (entry.before["result"], entry.after["result"]) == ("registered", "recognised")
    assert {k for k in entry.after if entry.after[k] != entry.before[k]} == {"result"}

    mark = last_entry_pk()
    response = admin_client.post(f"/admin/targets/modelregistration/{registration.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not ModelRegistration.objects.filter(pk=registration.pk).exists()
    entry = AuditEntry.objects.get(pk__gt=mark)
    assert (entry.action, entry.target_id, entry.after) == ("admin_delete", str(registration.pk), None)
    assert entry.before["name"] == "Mô hình thử nghiệm qua quản trị" and entry.before["id"] == registration.pk


def test_admin_manual_values_are_read_only(admin_client):
    value = ManualValue.objects.first()
    assert value is not None
    assert admin_client.get("/admin/targets/manualvalue/").status_code == 200
    assert admin_client.get("/admin/targets/manualvalue/add/").status_code == 403
    assert admin_client.get(f"/admin/targets/manualvalue/{value.pk}/delete/").status_code == 403
    before = (ManualValue.objects.count(), AuditEntry.objects.count())
    response = admin_client.post(f"/admin/targets/manualvalue/{value.pk}/change/", {"value": "1", "note": "sửa"})
    assert response.status_code == 403
    response = admin_client.post(
        "/admin/targets/manualvalue/", {"action": "delete_selected", "_selected_action": [value.pk], "post": "yes"}
    )
    assert (ManualValue.objects.count(), AuditEntry.objects.count()) == before
    stored = ManualValue.objects.get(pk=value.pk)
    assert (stored.value, stored.note) == (value.value, value.note)
    # The change page shows the value without a form to save.
    page = admin_client.get(f"/admin/targets/manualvalue/{value.pk}/change/")
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    assert b'name="_save"' not in page.content


# --- refresh_cell_years --------------------------------------------------------------------------------


COLUMNS = ("regular_months", "thematic_months", "short_months", "meetings", "short", "required", "required_present")


def cell_years() -> dict[tuple[int, int], tuple]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT cell_id, year, {', '.join(COLUMNS)} FROM meetings_cellyear")
        return {(row[0], row[1]): tuple(row[2:]) for row in cursor.fetchall()}


def test_refresh_cell_years_rebuilds_the_table_after_corruption(demo):
    original = cell_years()
    assert len(original) == demo["cell_years"] > 100
    keys = sorted(original)
    deleted, changed = keys[::7][:40], keys[3::11][:40]
    with connection.cursor() as cursor:
        for cell, year in deleted:
            cursor.execute("DELETE FROM meetings_cellyear WHERE cell_id = %s AND year = %s", [cell, year])
        for cell, year in changed:
            cursor.execute(
                "UPDATE meetings_cellyear SET meetings = meetings + 5, regular_months = 0, required_present = 0"
                " WHERE cell_id = %s AND year = %s",
                [cell, year],
            )
        # And a row for a year no meeting was held in.
        cursor.execute(
            f"INSERT INTO meetings_cellyear (cell_id, year, {', '.join(COLUMNS)})"
            " VALUES (%s, 1999, 1, 1, 0, 3, 0, 9, 9)",
            [demo["chibo"]],
        )
    assert cell_years() != original

    out = io.StringIO()
    call_command("refresh_cell_years", stdout=out)
    assert cell_years() == original
    assert out.getvalue().strip() == f"Đã tính lại {len(original)} dòng tổng hợp (chi bộ, năm)."
    assert is_vietnamese(out.getvalue())


def test_refresh_cell_years_rolls_back_when_the_rebuild_fails(demo, monkeypatch):
    """The rebuild runs in one transaction: a failure half-way leaves the summaries as they were."""
    original = cell_years()

    def broken(objs, *args, **kwargs):
        raise RuntimeError("hỏng giữa chừng")

    monkeypatch.setattr(CellYear.objects, "bulk_create", broken)
    with pytest.raises(RuntimeError):
        call_command("refresh_cell_years", stdout=io.StringIO())
    assert cell_years() == original


# --- who may enter -------------------------------------------------------------------------------------


URLS = [
    "/admin/targets/resolution/",
    ADD,
    CHANGE.format(1),
    "/admin/targets/modelregistration/add/",
    "/admin/targets/manualvalue/",
]


@pytest.mark.parametrize("username", ["khoi", "coso", "chibo", "xem"])
def test_personas_are_sent_to_the_admin_login(client, demo, username):
    login(client, username)
    for url in URLS:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("admin:login")), response.url
    before = counts()
    login(client, username)
    client.post(ADD, {"term": "1", "title": "Lén lút", "targets-TOTAL_FORMS": "0", "targets-INITIAL_FORMS": "0",
                      "parts-TOTAL_FORMS": "0", "parts-INITIAL_FORMS": "0"})  # fmt: skip
    assert counts() == before


def test_staff_without_permissions_is_forbidden(client, demo):
    user = User.objects.create_user(username="nhanvien", password="demo", is_staff=True)
    assert not user.is_superuser
    login(client, "nhanvien")
    for url in URLS:
        assert client.get(url).status_code == 403, url
