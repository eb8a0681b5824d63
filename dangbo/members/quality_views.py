"""The data quality page: the checks of a subtree's member records per sub-unit, the members behind
each count, and the exchange workbook of those members to correct and import again."""

from __future__ import annotations

import tempfile
from types import SimpleNamespace
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.http import FileResponse, Http404
from django.shortcuts import render

from dangbo.accounts.scope import HIDDEN_WHEN_FORMER, scope_for
from dangbo.audit.log import record_read
from dangbo.exchange.export import write_workbook
from dangbo.lib.http import date_from_request, id_param, today
from dangbo.orgs.models import PATH_WIDTH, UnitKind, default_code

from .quality import ANY, ANY_LABEL, build_quality, check_by_key, flagged_ids, flagged_page

PAGE_SIZE = 50
ROWS_PER_PAGE = 100
HIDDEN = set(HIDDEN_WHEN_FORMER)
DRILLABLE = {UnitKind.SUPERIOR, UnitKind.GRASSROOTS_COMMITTEE, UnitKind.SUB_COMMITTEE}
GROUPS = (("missing", "Thiếu thông tin"), ("invalid", "Giá trị không hợp lệ"), ("other", "Khác"))


def _unit(request, scope, on):
    """The unit of `?unit=` in the scope on `on`, else the scope's own unit (404 outside)."""
    unit_id = id_param(request.GET.get("unit"))
    return scope.unit_on_or_404(unit_id, on) if unit_id else scope.root_on(on)


def _check(request):
    """The check of `?check=`: (key, Check or None for every unclean record); 404 when unknown."""
    key = request.GET.get("check", "")
    check = check_by_key(key)
    if check is None and key != ANY:
        raise Http404
    return key, check


@login_required
def quality_page(request):
    scope = scope_for(request)  # the viewer sees the counts, not the people behind them
    on, date_error = date_from_request(request)
    root = _unit(request, scope, on)
    context = {"on": on, "on_iso": on.isoformat(), "date_error": date_error, "root": root,
               "sees_people": scope.sees_people}  # fmt: skip
    if root is not None:
        quality = build_quality(root, on)
        groups = [(label, [c for c in quality.checks if c.group == key]) for key, label in GROUPS]
        ordered = [c.key for _, checks in groups for c in checks]
        # A city-size tree has thousands of sub-units: the table is paged, worst first; the totals
        # cover them all.
        page = Paginator(quality.rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))
        kinds = dict(UnitKind.choices)
        for row in page.object_list:
            row.kind_label = kinds.get(row.kind, "")
            row.drillable = row.kind in DRILLABLE
        context.update(
            quality=quality, groups=groups, page=page,
            table=[(row, [(key, row.counts[key]) for key in ordered]) for row in page.object_list],
            total_cells=[(key, quality.total.counts[key]) for key in ordered],
        )  # fmt: skip
        top = scope.root_on(on)
        paths = [root.path[:end] for end in range(len(top.path), len(root.path), PATH_WIDTH)]
        context["ancestors"] = list(scope.units_on(on).filter(path__in=paths).order_by("depth"))
    return render(request, "members/quality.html", context)


def _members_behind(request):
    """The scope (one that sees people: the viewer gets 404), the day, the unit and the check of a
    list of members behind a count."""
    scope = scope_for(request, people=True)
    on, date_error = date_from_request(request)
    root = _unit(request, scope, on)
    if root is None:
        raise Http404
    return scope, on, date_error, root, *_check(request)


@login_required
def quality_list(request):
    scope, on, date_error, root, key, check = _members_behind(request)
    number = id_param(request.GET.get("page")) or 1
    count, rows = flagged_page(root, on, check, (number - 1) * PAGE_SIZE, PAGE_SIZE)
    paginator = Paginator(range(count), PAGE_SIZE)
    number = min(number, paginator.num_pages)
    if (number - 1) * PAGE_SIZE >= count > 0:  # a page past the end: the last one
        count, rows = flagged_page(root, on, check, (number - 1) * PAGE_SIZE, PAGE_SIZE)
    page = Page(rows, number, paginator)
    if on < today():
        # A list of a past day may name members who have left the scope since: their personal data
        # of today is not the scope's to see (accounts.scope.HIDDEN_WHEN_FORMER). One query.
        seen = scope.seen_many([SimpleNamespace(pk=row.member_id) for row in rows])
        for row in rows:
            if row.member_id in seen and not seen[row.member_id].current and check and check.shows in HIDDEN:
                row.value = "(không hiển thị: đảng viên đã chuyển khỏi đơn vị)"
    query = urlencode({"unit": root.unit_id, "check": key, "date": on.isoformat()})
    context = {"on": on, "date_error": date_error, "root": root, "check": check, "key": key,
               "label": check.label if check else ANY_LABEL, "page": page, "count": count, "query": query}  # fmt: skip
    return render(request, "members/quality_list.html", context)


@login_required
def quality_download(request):
    scope, on, _, root, key, check = _members_behind(request)
    ids = flagged_ids(root, on, check)
    handle = tempfile.NamedTemporaryFile(suffix=".xlsx")  # removed when the response closes it
    counts = write_workbook(handle, root, on, member_ids=ids, scope=scope)
    handle.seek(0)
    # Exporting personal data is an act that the audit log keeps.
    details = {"date": on.isoformat(), "quality_check": key, **counts}
    record_read(request, "quality_download", root.unit, details=details, unit=root.unit_id)
    code = root.unit.code or default_code(root.unit_id)
    return FileResponse(handle, as_attachment=True, filename=f"Chat-luong_{key}_{code}_{on:%d-%m-%Y}.xlsx")
