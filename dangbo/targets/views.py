"""The targets of the congress resolution, live: every target of the term running on a date with
its value for the user's unit (or one of its sub-units), % of target, status and year-by-year
chart (`/chi-tieu/`); one target with its breakdown by sub-unit, worst first, and the records
behind a value (`/chi-tieu/<id>/`). Aggregated figures are every role's; the records that name
people need a role that sees people."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import NamedTuple

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.html import format_html_join

from dangbo.accounts.scope import scope_for
from dangbo.lib import vn
from dangbo.lib.http import date_from_request, id_param
from dangbo.once.tokens import require_token, submitted_once
from dangbo.orgs.labels import labelled_choices, unit_labels
from dangbo.orgs.models import Term, UnitKind, UnitVersion, path_prefixes

from . import actions
from .chart import year_chart
from .forms import ManualValueForm, RegistrationForm
from .indicators import REGISTRY, Value
from .models import Basis, Comparator, ManualValue, Method, ModelRegistration, Target
from .progress import Evaluator, compared, governing_term, meets, term_end, term_years

RECORDS_PER_PAGE = 100


class SubUnit(NamedTuple):
    unit_id: int
    name: str


def _unit_on(request, scope):
    on, date_error = date_from_request(request)
    asked = request.GET.get("unit")
    unit = scope.unit_on_or_404(asked, on) if asked else scope.root_on(on)
    if unit is None:
        raise Http404
    return on, date_error, unit


def _unit_and_term(request, scope):
    on, date_error, unit = _unit_on(request, scope)
    term, owner = governing_term(unit.unit_id, on)
    return on, date_error, unit, term, owner


@login_required
def targets_page(request):
    scope = scope_for(request)
    on, date_error, unit, term, owner = _unit_and_term(request, scope)
    resolutions = []
    if term is not None:
        evaluator = Evaluator(unit.unit_id, on)
        for resolution in term.resolutions.prefetch_related("targets", "parts").order_by("pk"):
            evaluations = []
            for target in resolution.targets.all():
                evaluation = evaluator.evaluate(target, term, compared(target, unit.unit_id, owner.unit_id))
                evaluation.chart = _chart(target, evaluation)
                evaluations.append(evaluation)
            parts = list(resolution.parts.all())
            resolutions.append({"resolution": resolution, "evaluations": evaluations, "parts": parts})
    children = labelled_choices(UnitVersion.objects.on(on).filter(parent_id=unit.unit_id), on)
    # A city committee has thousands of sub-units: their options are written here from plain rows,
    # not by a loop of the template over model instances.
    children = sorted(children, key=lambda c: vn.text_sort_key(c[1]))
    options = format_html_join("", '<option value="{}">{}</option>', children)
    context = {
        "on": on,
        "date_error": date_error,
        "unit": unit,
        "root": scope.root_on(on),
        "term": term,
        "owner": owner,
        "resolutions": resolutions,
        "unit_options": options,
        "is_root": unit.unit_id == scope.unit_id,
    }
    return render(request, "targets/targets.html", context)


def _chart(target: Target, evaluation):
    title = f"{target.name}: {'cộng dồn từ đầu nhiệm kỳ, ' if target.basis == Basis.CUMULATIVE else ''}qua các năm"
    return year_chart(title, evaluation.years, target.target_value, target.measure == "%", evaluation.decimals,
                      evaluation.compared, target.comparator == Comparator.AT_MOST)  # fmt: skip


def _target_or_404(scope, target_id, unit: UnitVersion, on: datetime.date) -> tuple[Target, Term, UnitVersion]:
    """(target, its term, its committee as it stood on `on`): a target of a resolution whose term runs
    on `on`, read for the unit viewed. Its committee is the unit or one above it, and one the user reads
    targets of: a committee of the scope's subtree, or the one governing the scope's own unit (its own
    committee's resolution, or the nearest one above that has one). So the sub-units that make up a
    committee's figure open on that committee's target, whichever resolution they have of their own."""
    target = Target.objects.select_related("resolution__term").filter(pk=id_param(target_id) or 0).first()
    if target is None:
        raise Http404
    term = target.resolution.term
    if not term.starts_on <= on < term_end(term):
        raise Http404
    owner = UnitVersion.objects.on(on).filter(unit_id=term.committee_id, path__in=path_prefixes(unit.path)).first()
    if owner is None:
        raise Http404
    root = scope.root_on(on)
    if not owner.path.startswith(root.path) and governing_term(root.unit_id, on)[0] != term:
        raise Http404  # a resolution above the scope that does not govern it
    return target, term, owner


def _window(target: Target, term, on, evaluation):
    """The period a sub-unit's value is read for: the term so far, or the latest year with a value."""
    years = term_years(term, on)
    if target.basis == Basis.YEARLY:
        known = [y for y in evaluation.years if y.value.value is not None]
        year = known[-1].year if known else years[-1][0]
        _, start, end = next(y for y in years if y[0] == year)
        return start, end
    return term.starts_on, years[-1][2]


def _worst_first(target: Target, rows):
    """The sub-units that hold the target back first: the lowest values (the highest under a
    ceiling), those with nothing to count last."""
    reverse = target.comparator == Comparator.AT_MOST
    known = sorted((r for r in rows if r["value"].value is not None), key=lambda r: Decimal(r["value"].value),
                   reverse=reverse)  # fmt: skip
    return known + [r for r in rows if r["value"].value is None]


@login_required
@submitted_once
def target_page(request, target_id: int):
    scope = scope_for(request)
    on, date_error, unit = _unit_on(request, scope)
    target, term, owner = _target_or_404(scope, target_id, unit, on)
    evaluator = Evaluator(unit.unit_id, on)
    evaluation = evaluator.evaluate(target, term, compared(target, unit.unit_id, owner.unit_id))
    evaluation.chart = _chart(target, evaluation)
    context = {"on": on, "date_error": date_error, "unit": unit, "term": term, "owner": owner, "target": target,
               "evaluation": evaluation, "is_manual": target.method == Method.MANUAL,
               "is_root": unit.unit_id == scope.unit_id}  # fmt: skip
    if target.method == Method.MANUAL:
        may_enter = scope.records and unit.unit_id == owner.unit_id
        posted = request.method == "POST"
        form = None
        if may_enter:
            form = ManualValueForm(request.POST if posted else None, request.FILES if posted else None)
        if request.method == "POST":
            if not may_enter:
                raise PermissionDenied
            if form.is_valid():
                try:
                    require_token(request)
                    actions.enter_value(request.user, target, owner.unit_id, form.cleaned_data)
                except ValidationError as refusal:
                    form.add_error(None, refusal)
                else:
                    messages.success(request, "Đã ghi nhận số liệu của chỉ tiêu.")
                    return redirect(f"{request.path}?{request.GET.urlencode()}")
        context["form"] = form
        context["entries"] = list(reversed(evaluation.entries))  # the committee's, up to the day viewed
        return render(request, "targets/target.html", context, status=400 if form is not None and form.errors else 200)
    indicator = REGISTRY.get(target.indicator)
    if indicator is None:  # an indicator no longer in the library: its value is shown as unknown
        return render(request, "targets/target.html", context)
    start, end = _window(target, term, on, evaluation)
    context.update({"window": (start, end), "may_see_records": not indicator.personal or scope.sees_people})
    if request.GET.get("records") is not None:  # the records behind the value, instead of the sub-units
        if not context["may_see_records"]:
            raise Http404
        records = evaluator.records(indicator, start, end)
        page = Paginator(records.items, RECORDS_PER_PAGE).get_page(request.GET.get("page"))
        context.update({"records": records, "page": page, "record_rows": records.rows(list(page))})
        return render(request, "targets/target.html", context)
    # The sub-units as they stood at the end of the window; those gone by `on` are not linked.
    values = evaluator.by_child(target.indicator, start, end)
    # A city committee has thousands of sub-units: read as plain rows, not model instances.
    children = [SubUnit(*row) for row in UnitVersion.objects.on(end).filter(parent_id=unit.unit_id)
                .values_list("unit_id", "name") if row[0] in values]  # fmt: skip
    still = set(UnitVersion.objects.on(on).filter(parent_id=unit.unit_id).values_list("unit_id", flat=True))
    rows = [{"unit": child, "value": values[child.unit_id], "met": _child_met(target, values[child.unit_id]),
             "linked": child.unit_id in still} for child in children]  # fmt: skip
    sort = request.GET.get("sort", "")
    if sort == "name":
        rows.sort(key=lambda r: vn.text_sort_key(r["unit"].name))
    else:
        rows = _worst_first(target, rows)
    # A city committee has thousands of sub-units: the worst come first, a page at a time.
    page = Paginator(rows, RECORDS_PER_PAGE).get_page(request.GET.get("page"))
    context.update({"rows": list(page), "page": page, "sort": sort})
    return render(request, "targets/target.html", context)


def _child_met(target, value: Value):
    if target.measure != "%":
        return None  # a count set for the committee is not split among its sub-units
    return meets(target, value.value)


# --- "Dân vận khéo" registrations --------------------------------------------------------------------


@login_required
@submitted_once
def registrations(request):
    scope = scope_for(request)
    today = datetime.date.today()
    units = labelled_choices(scope.units_on(today).exclude(kind=UnitKind.SUPERIOR).order_by("path"), today)
    form = RegistrationForm(request.POST if request.method == "POST" and request.POST.get("action") == "add" else None,
                            units=units)  # fmt: skip
    if request.method == "POST":
        if not scope.records:
            raise PermissionDenied
        if request.POST.get("action") == "delete":
            kept = scope.units_kept().values("unit_id")
            registration = ModelRegistration.objects.filter(unit_id__in=kept, pk=id_param(request.POST.get("id")) or 0)
            registration = registration.first()
            if registration is None:
                raise Http404
            if not request.POST.get("xac-nhan"):
                messages.error(request, f"Chưa xóa: hãy đánh dấu ô xác nhận xóa đăng ký “{registration.name}”.")
                return redirect("registrations")
            actions.delete_registration(request.user, registration)
            messages.success(request, f"Đã xóa đăng ký mô hình “{registration.name}”.")
            return redirect("registrations")
        if form.is_valid():
            try:
                require_token(request)
                registration = actions.add_registration(request.user, form.registration())
            except ValidationError as refusal:
                form.add_error(None, refusal)
            else:
                messages.success(request, f"Đã ghi nhận đăng ký mô hình “{registration.name}”.")
                return redirect("registrations")
    kept = scope.units_kept().values("unit_id")
    rows = ModelRegistration.objects.filter(unit_id__in=kept).order_by("-registered_on", "-pk")
    page = Paginator(rows, RECORDS_PER_PAGE).get_page(request.GET.get("page"))
    names = unit_labels({r.unit_id for r in page})
    for r in page:
        r.unit_name = names.get(r.unit_id, "")
    context = {"page": page, "form": form, "records": scope.records}
    return render(request, "targets/registrations.html", context, status=400 if form.is_bound and form.errors else 200)


@login_required
def evidence_download(request, value_id: int):
    """An evidence file, for those whose subtree holds the committee it was entered for."""
    scope = scope_for(request)
    value = ManualValue.objects.select_related("target__resolution__term").filter(pk=id_param(value_id) or 0).first()
    if value is None:
        raise Http404
    # The evidence of a committee's own figure: for those who see that committee's whole subtree.
    if not scope.units_kept().filter(unit_id=value.unit_id).exists():
        raise Http404
    try:
        handle = value.evidence.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(handle, as_attachment=True, filename=value.evidence.name.rsplit("/", 1)[-1])

