"""The results of quality ratings: members and organisations by level for the user's subtree and a
year, by direct sub-unit, year against year, the quota of each grassroots organisation, and the same
as Excel. Aggregated figures only: every role with a scope may read them."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from dangbo.accounts.scope import scope_for
from dangbo.lib import xlsx
from dangbo.lib.http import id_param, today

from .figures import member_levels, member_levels_by_unit, member_quotas, organisation_levels
from .models import LEVEL_ORDER, Level, MemberRating, PeriodKind, RatingPeriod


def _root(scope, period):
    on = min(period.ends_on, today())
    return scope.root_on(on)


@login_required
def results(request):
    scope = scope_for(request)
    years = list(RatingPeriod.objects.filter(kind=PeriodKind.YEAR).order_by("year"))
    if not years:
        raise Http404
    asked = id_param(request.GET.get("nam"))
    with_results = set(
        MemberRating.unscoped.exclude(decided_level="").values_list("period_id", flat=True).distinct()
    )
    decided = [p for p in years if p.pk in with_results] or years
    period = next((p for p in years if p.year == asked), decided[-1])
    year_error = bool(request.GET.get("nam")) and period.year != asked
    root = _root(scope, period)
    if root is None:
        raise Http404
    members = member_levels(root, period)
    organisations = organisation_levels(root, period)
    comparison = []
    for other in years:
        other_root = _root(scope, other)
        if other_root is not None:
            people, units = member_levels(other_root, other), organisation_levels(other_root, other)
            comparison.append({
                "period": other, "members": people, "organisations": units,
                "excellent": people.share(Level.EXCELLENT),
                "failed": people.counts[Level.FAILED], "units_failed": units.counts[Level.FAILED],
            })  # fmt: skip
    context = {
        "period": period,
        "years": years,
        "year_error": year_error,
        "root": root,
        "members": members,
        "organisations": organisations,
        "by_unit": member_levels_by_unit(root, period),
        "quotas": member_quotas(root, period),
        "comparison": comparison,
        "levels": [(level, Level(level).label) for level in LEVEL_ORDER],
    }
    if request.GET.get("xlsx"):
        return _excel(context)
    return render(request, "ratings/results.html", context)


def _excel(context) -> object:
    period, root = context["period"], context["root"]
    columns = [("Đơn vị", 40)]
    for _, label in context["levels"]:
        columns += [(label, 14), ("%", 9)]
    columns += [("Hoàn thành tốt nhiệm vụ trở lên", 16), ("%", 9), ("Miễn đánh giá", 11)]

    def line(name, levels):
        values = [name]
        for _, _, count, share in levels.rows():
            values += [count, _share(share)]
        return values + [levels.good_or_better, _share(levels.good_or_better_share), levels.exempted]

    rows = [line(unit.name, levels) for unit, levels in context["by_unit"]]
    sections = [
        ("Tổng số đảng viên", [line(root.name, context["members"])]),
        ("Tổ chức cơ sở đảng", [line(root.name, context["organisations"])]),
        ("Qua các năm: đảng viên", [line(f"Năm {c['period'].year}", c["members"]) for c in context["comparison"]]),
        (
            "Qua các năm: tổ chức cơ sở đảng",
            [line(f"Năm {c['period'].year}", c["organisations"]) for c in context["comparison"]],
        ),  # fmt: skip
    ]
    content = xlsx.workbook(
        sheet_title=f"Xếp loại {period.year}",
        heading=[root.name, f"KẾT QUẢ ĐÁNH GIÁ, XẾP LOẠI CHẤT LƯỢNG NĂM {period.year}", "Đảng viên theo đơn vị"],
        columns=columns,
        rows=rows,
        sections=sections,
    )
    return xlsx.response(content, f"Xếp loại chất lượng {period.year}.xlsx")


def _share(value):
    """A percentage as a number for Excel (two decimals), blank when there is nobody."""
    return None if value is None else float(round(value, 2))
