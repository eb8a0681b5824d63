"""Taking a committee's records out (the exchange workbook of a unit as of a date) and the empty
template to bring them in."""

from __future__ import annotations

import tempfile
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from dangbo.accounts.scope import scope_for
from dangbo.audit.log import record_read
from dangbo.lib.http import date_from_request, id_param
from dangbo.orgs.labels import version_labels
from dangbo.orgs.models import default_code

from .export import template_workbook, write_workbook

MAX_UNIT_CHOICES = 300


def _unit(request, scope, on):
    """The unit of `?unit=` in the scope on `on`, else the scope's own unit (404 outside)."""
    unit_id = id_param(request.GET.get("unit"))
    return scope.unit_on_or_404(unit_id, on) if unit_id else scope.root_on(on)


@login_required
def export_page(request):
    scope = scope_for(request, people=True)
    on, date_error = date_from_request(request)
    root = scope.root_on(on)
    context = {"on": on, "date_error": date_error, "root": root, "may_import": scope.records}
    if root is not None:
        # The whole subtree in tree order to choose from; a city-size one offers its top two levels.
        units = scope.units_on(on).order_by("path").only("unit_id", "name", "depth", "path", "valid_from", "valid_to")
        choices = list(units[: MAX_UNIT_CHOICES + 1])
        if len(choices) > MAX_UNIT_CHOICES:
            choices = list(units.filter(depth__lte=root.depth + 1))
        labels = version_labels(choices, on)  # each named with what it belongs to, so the picker finds it
        for choice in choices:
            choice.label = labels[choice.unit_id]
        context.update(unit=_unit(request, scope, on), choices=choices)
    return render(request, "exchange/export.html", context)


@login_required
def export_download(request):
    scope = scope_for(request, people=True)
    on, date_error = date_from_request(request)
    if date_error:  # never a file of another day than the one asked: the page says what is wrong
        return redirect(f"{reverse('export')}?{urlencode(request.GET)}")
    unit = _unit(request, scope, on)
    if unit is None:
        return render(request, "404.html", status=404)
    handle = tempfile.NamedTemporaryFile(suffix=".xlsx")  # removed when the response closes it
    counts = write_workbook(handle, unit, on, scope=scope)
    handle.seek(0)
    # Exporting personal data is an act that the audit log keeps.
    record_read(request, "export_workbook", unit.unit, details={"date": on.isoformat(), **counts}, unit=unit.unit_id)
    code = unit.unit.code or default_code(unit.unit_id)
    return FileResponse(handle, as_attachment=True, filename=f"Du-lieu-dang-vien_{code}_{on:%d-%m-%Y}.xlsx")


@login_required
def import_template(request):
    scope_for(request, records=True)
    handle = tempfile.NamedTemporaryFile(suffix=".xlsx")
    template_workbook(handle)
    handle.seek(0)
    return FileResponse(handle, as_attachment=True, filename="Mau-so-trao-doi-du-lieu-dang-vien.xlsx")
