from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from dangbo.accounts.scope import scope_for
from dangbo.admissions.deadlines import pipeline_deadlines
from dangbo.lib.http import date_from_request, today
from dangbo.notices.todo import todo
from dangbo.orgs.models import PATH_WIDTH

from .charts import overview_charts
from .overview import (
    TABLE_COLUMNS,
    TABLE_COLUMNS_ABOVE,
    build_overview,
    members_over_years,
    table_cells_html,
    table_numbers,
)

SUB_UNITS_PER_PAGE = 100


@login_required
def overview(request, unit_id: int | None = None):
    scope = scope_for(request)
    on, date_error = date_from_request(request)
    root = scope.unit_on_or_404(unit_id, on) if unit_id else scope.root_on(on)
    context = {"on": on, "on_iso": on.isoformat(), "date_error": date_error, "scope": scope, "root": root}
    if root is not None:
        overview = build_overview(root, on)
        context["overview"] = overview
        # Above committees above the grassroots (a city), the rows count grassroots organisations too.
        above = bool(overview.total.superiors)
        context["columns"] = TABLE_COLUMNS_ABOVE if above else TABLE_COLUMNS
        # A city-size tree has thousands of sub-units: the table is paged, the totals cover them all.
        page = Paginator(overview.rows, SUB_UNITS_PER_PAGE).get_page(request.GET.get("page"))
        context["page"] = page
        context["table"] = [
            {"id": r.version.unit_id, "name": r.version.name, "kind": r.version.form_name,
             "cells": table_cells_html(table_numbers(r.figures, above))}
            for r in page.object_list
        ]  # fmt: skip
        context["table_total"] = table_cells_html(table_numbers(overview.total, above), "th")
        context["ancestors"] = _trail(scope, root, on)
        # The home page, today: the work to do first ("Việc cần làm"), its admission deadlines
        # named from the same reading as the figures' counts.
        home = unit_id is None and on == today()
        deadlines = pipeline_deadlines(root, on, names=home and scope.sees_people)
        context["deadlines"] = deadlines.counts()
        if home:
            context["todo"] = todo(scope, request.user, on, deadlines)
        context["charts"] = overview_charts(overview, members_over_years(root, on))
    return render(request, "overview/overview.html", context)


def _trail(scope, root, on):
    """The units from the scope's own unit down to `root`, for the breadcrumb (one query)."""
    top = scope.root_on(on)
    paths = [root.path[:end] for end in range(len(top.path), len(root.path), PATH_WIDTH)]
    return list(scope.units_on(on).filter(path__in=paths).order_by("depth"))
