"""Quality ratings: the results (members and organisations by level for the user's subtree and a
year, by direct sub-unit, year against year, the quota of each grassroots organisation, and the same
as Excel: aggregated figures, which every role with a scope may read), and the round of a period,
where a cell's members are self-assessed and proposed and the committee decides (names: roles that
see people; deciding and reopening: committee staff)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone

from dangbo.accounts.models import Role
from dangbo.accounts.scope import scope_for
from dangbo.lib import vn, xlsx
from dangbo.lib.http import id_param
from dangbo.members.models import Stint
from dangbo.once.tokens import require_token, submitted_once
from dangbo.orgs.labels import labelled_choices, unit_labels
from dangbo.orgs.models import CELL_KINDS, PATH_WIDTH, UnitKind, UnitVersion

from . import actions
from .charts import results_charts
from .discipline import delete_discipline, record_discipline
from .figures import (
    GRASSROOTS_KINDS,
    member_levels,
    member_levels_by_unit,
    member_quotas,
    organisation_levels,
    organisation_levels_by_unit,
    tree_day,
)
from .forms import DisciplineEntryForm, PeriodForm
from .models import LEVEL_ORDER, Discipline, Level, MemberRating, PeriodKind, RatingPeriod, UnitRating


def _root(scope, period):
    return scope.root_on(tree_day(period))


@login_required
def results(request):
    scope = scope_for(request)
    decided = MemberRating.unscoped.filter(period=OuterRef("pk")).exclude(decided_level="")
    years = list(RatingPeriod.objects.filter(kind=PeriodKind.YEAR).annotate(decided=Exists(decided)).order_by("year"))
    # The years in which the user's unit existed; by default the latest with results.
    years = [p for p in years if _root(scope, p) is not None]
    if not years:
        raise Http404
    asked = id_param(request.GET.get("nam"))
    latest = ([p for p in years if p.decided] or years)[-1]
    period = next((p for p in years if p.year == asked), latest)
    year_error = bool(request.GET.get("nam")) and period.year != asked
    root = _root(scope, period)
    members = member_levels(root, period)
    organisations = organisation_levels(root, period)
    comparison = []
    for other in years:
        other_root = _root(scope, other)
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
        "organisations_by_unit": organisation_levels_by_unit(root, period),
        "quotas": member_quotas(root, period),
        "comparison": comparison,
        "levels": [(level, Level(level).label) for level in LEVEL_ORDER],
        "charts": results_charts(comparison),
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
        ("Tổ chức đảng theo đơn vị", [line(unit.name, levels) for unit, levels in context["organisations_by_unit"]]),
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
    """A percentage as a number for Excel, rounded as on the page (halves up, two decimals), blank
    when there is nobody."""
    return None if value is None else float(value.quantize(Decimal("0.01"), ROUND_HALF_UP))


# --- the workflow of a round: self-assessment, proposal, decision ----------------------------------


ROUND_ROWS_PER_PAGE = 50
# The steps a member's rating may be at, to filter the round page by (`buoc`), in workflow order.
STEPS = [
    ("chua-tu-danh-gia", "Chưa tự đánh giá"),
    ("cho-de-xuat", "Đã tự đánh giá, chờ chi bộ đề xuất"),
    ("cho-quyet-dinh", "Chi bộ đã đề xuất, chờ quyết định"),
    ("de-xuat-xuat-sac", "Đề xuất hoàn thành xuất sắc, chờ quyết định"),
    ("da-quyet-dinh", "Đã quyết định"),
    ("mien", "Miễn sinh hoạt, không xếp loại"),
]
CONFIRM_DECISION = (
    "Chưa quyết định: hãy đánh dấu ô xác nhận. Kết quả đã quyết định bị khóa, muốn sửa phải mở lại và nêu lý do."
)


def _at_step(row, step: str) -> bool:
    if step == "mien":
        return row.exempted
    if row.exempted:
        return False
    if step == "chua-tu-danh-gia":
        return not row.self_level and not row.decided_level
    if step == "cho-de-xuat":
        return bool(row.self_level) and not row.proposed_level and not row.decided_level
    if step == "cho-quyet-dinh":
        return bool(row.proposed_level) and not row.decided_level
    if step == "de-xuat-xuat-sac":
        return row.proposed_level == Level.EXCELLENT and not row.decided_level
    return bool(row.decided_level)  # da-quyet-dinh


def _round_rows(scope, period: RatingPeriod, grassroots_id: int | None):
    """The member ratings of the round that the scope holds (cells of the subtree at the end of the
    period), within one grassroots organisation, by cell and given name."""
    on = tree_day(period)
    cells = UnitVersion.objects.on(on).filter(unit_id__in=scope.units_on(on).values("unit_id"), kind__in=CELL_KINDS)
    rows = MemberRating.unscoped.filter(period=period, cell_id__in=cells.values("unit_id"))
    if grassroots_id is not None:
        rows = rows.filter(grassroots_id=grassroots_id)
    rows = list(rows.select_related("member"))
    names = unit_labels({r.cell_id for r in rows}, on)
    for row in rows:
        row.cell_name = names.get(row.cell_id, "")
    rows.sort(key=lambda r: (vn.text_sort_key(r.cell_name), r.member.sort_key, r.member.pk))
    return rows


def _grassroots_choices(scope, period) -> list[tuple[int, str]]:
    on = tree_day(period)
    root = scope.root_on(on)
    units = list(scope.units_on(on).filter(kind__in=GRASSROOTS_KINDS).values_list("unit_id", "name"))
    if not units and root is not None:  # a scope inside one grassroots organisation
        ids = MemberRating.unscoped.filter(period=period, cell_id__in=scope.units_on(on).values("unit_id"))
        grassroots = ids.values_list("grassroots_id", flat=True).first()
        if grassroots:
            units = list(UnitVersion.objects.on(on).filter(unit_id=grassroots).values_list("unit_id", "name"))
    labels = unit_labels([unit_id for unit_id, _ in units], on)
    return sorted(
        ((unit_id, labels.get(unit_id, name)) for unit_id, name in units), key=lambda u: vn.text_sort_key(u[1])
    )


def _int_or_none(text):
    text = (text or "").strip()
    return int(text) if text.isdigit() else None


def _excellent_listing(rows, posted) -> list:
    """After a batch refused for the quota: who in the grassroots organisation (as far as the
    scope sees) is already decided excellent, asked excellent in the refused batch, or proposed
    excellent by the cell and still undecided, so staff can choose whom to change."""
    listed = []
    for row in rows:
        asked = posted.get(f"level-{row.pk}", "") if not row.decided_level else ""
        if row.decided_level == Level.EXCELLENT:
            row.excellent_as = "Đã quyết định xuất sắc (muốn đổi phải mở lại)"
        elif asked == Level.EXCELLENT:
            row.excellent_as = "Xuất sắc trong đề nghị vừa gửi"
        elif row.proposed_level == Level.EXCELLENT and not row.decided_level:
            row.excellent_as = "Chi bộ đề xuất xuất sắc, chưa quyết định"
        else:
            continue
        listed.append(row)
    return listed


@login_required
def round_page(request, period_id: int):
    scope = scope_for(request, people=True)
    period = RatingPeriod.objects.filter(pk=id_param(period_id) or 0).first()
    if period is None:
        raise Http404
    choices = _grassroots_choices(scope, period)
    if not choices:
        raise Http404
    data = request.POST if request.method == "POST" else request.GET
    asked = id_param(request.GET.get("tccs") or request.POST.get("tccs"))
    grassroots_id = asked if asked in dict(choices) else choices[0][0]
    error, refused = None, None
    if request.method == "POST":
        try:
            done = _act(request, scope, period, grassroots_id)
        except actions.QuotaRefused as refusal:
            error, refused = " ".join(refusal.messages), refusal.quota
        except ValidationError as refusal:
            error = " ".join(refusal.messages)
        else:
            messages.success(request, done)
            kept = {k: v for k in ("chibo", "buoc", "page") if (v := request.POST.get(k))}
            return redirect(f"{request.path}?{urlencode({'tccs': grassroots_id} | kept)}")
    everyone = _round_rows(scope, period, grassroots_id)
    # A large organisation is read a cell at a time, a step at a time, page by page; the decision
    # form holds the undecided members of the page shown, each decided in its own row.
    cells = sorted({(r.cell_id, r.cell_name) for r in everyone}, key=lambda c: vn.text_sort_key(c[1]))
    cell_id = id_param(request.GET.get("chibo") or request.POST.get("chibo"))
    cell_id = cell_id if cell_id in dict(cells) else None
    in_cell = [r for r in everyone if r.cell_id == cell_id] if cell_id else everyone
    steps = [(value, label, sum(1 for r in in_cell if _at_step(r, value))) for value, label in STEPS]
    step = data.get("buoc", "")
    step = step if step in dict(STEPS) else ""
    rows = [r for r in in_cell if _at_step(r, step)] if step else in_cell
    _fill_forms(rows, request.POST if error else None)
    page = Paginator(rows, ROUND_ROWS_PER_PAGE).get_page(request.GET.get("page") or request.POST.get("page"))
    # The quota is the whole grassroots organisation's, whatever part of it the user sees.
    quota = actions.quota_of(period, grassroots_id)
    units = _unit_rows(scope, request.user, period, grassroots_id, request.POST if error else None)
    shown = list(page)
    context = {
        "period": period,
        "rows": shown,
        "units": units,
        "undecided_units": [u for u in units if u.may_decide and not u.decided_level],
        "choices": choices,
        "grassroots_id": grassroots_id,
        "cells": cells,
        "cell_id": cell_id,
        "steps": steps,
        "step": step,
        "everyone_count": len(in_cell),
        "page": page,
        "levels": Level.choices,
        "error": error,
        "decides": scope.records,
        "quota": quota,
        "refused": refused,
        "excellent": _excellent_listing(everyone, request.POST) if refused else [],
        "undecided": [r for r in shown if not r.decided_level and not r.exempted],
    }
    return render(request, "ratings/round.html", context, status=400 if error else 200)


def _decides_grassroots(user) -> bool:
    """The superior's standing committee decides the grassroots organisations' results."""
    return user.is_superuser or user.role == Role.SUPERIOR_STAFF


def _unit_rows(scope, user, period: RatingPeriod, grassroots_id: int, posted=None) -> list[UnitRating]:
    """The organisations of one grassroots organisation in the round (itself and its sub-units) that
    the scope holds, each marked with whether the user may decide it."""
    on = tree_day(period)
    held = scope.units_on(on).values("unit_id")
    rows = list(UnitRating.objects.filter(period=period, grassroots_id=grassroots_id, unit_id__in=held))
    names = dict(labelled_choices(UnitVersion.objects.on(on).filter(unit_id__in=[r.unit_id for r in rows]), on))
    for row in rows:
        row.name = names.get(row.unit_id, "")
        is_grassroots = row.kind in GRASSROOTS_KINDS
        # Decided by the level above: never by the unit's own account.
        row.may_decide = (
            scope.records and row.unit_id != user.unit_id and (_decides_grassroots(user) if is_grassroots else True)
        )
        row.form_level, row.form_score = row.self_level, row.self_score
        row.decide_level, row.decide_score = row.self_level, row.self_score
        if posted is not None and posted.get("action") == "unit_decide":
            row.decide_level = posted.get(f"unit-level-{row.pk}", "")
            row.decide_score = posted.get(f"unit-score-{row.pk}", "")
        elif posted is not None and posted.get("rating") == str(row.pk) and posted.get("action", "").startswith("unit"):
            row.form_level, row.form_score = posted.get("level", ""), posted.get("score", "")
    rows.sort(key=lambda r: (r.kind not in GRASSROOTS_KINDS, vn.text_sort_key(r.name)))
    return rows


def _fill_forms(rows, posted) -> None:
    """What each row's forms show: the proposal (or the self-assessment), or what was just posted
    when it was refused."""
    for r in rows:
        r.form_level = r.proposed_level or r.self_level
        r.form_score = r.proposed_score if r.proposed_score is not None else r.self_score
        r.decide_level, r.decide_score = r.proposed_level, r.proposed_score
        if posted is None:
            continue
        if posted.get("action") == "decide":
            r.decide_level, r.decide_score = posted.get(f"level-{r.pk}", ""), posted.get(f"score-{r.pk}", "")
        elif posted.get("action") in ("self", "propose", "reopen") and posted.get("rating") == str(r.pk):
            r.form_level, r.form_score = posted.get("level", ""), posted.get("score", "")
            r.form_text, r.reason = posted.get("text", ""), posted.get("reason", "")


def _act(request, scope, period, grassroots_id) -> str:
    """One POST of the round page: a self-assessment or proposal of one member, a decision on the
    undecided members of one grassroots organisation, or reopening one decided result."""
    data = request.POST
    action = data.get("action", "")
    rows = {r.pk: r for r in _round_rows(scope, period, grassroots_id)}
    if action in ("self", "propose", "reopen"):
        rating = rows.get(id_param(data.get("rating")))
        if rating is None:
            raise Http404
        if action == "self":
            level, score, text = data.get("level", ""), _int_or_none(data.get("score")), data.get("text", "")
            actions.self_assess(request.user, rating, level=level, score=score, text=text)
            return f"Đã lưu bản tự đánh giá của {rating.member.full_name}."
        if action == "propose":
            actions.propose(request.user, rating, level=data.get("level", ""), score=_int_or_none(data.get("score")))
            return f"Chi bộ đã đề xuất mức xếp loại của {rating.member.full_name}."
        if not scope.records:
            raise PermissionDenied
        actions.reopen(request.user, rating, data.get("reason", ""))
        return f"Đã mở lại kết quả xếp loại của {rating.member.full_name}."
    if action.startswith("unit_"):
        return _act_on_units(request, scope, period, grassroots_id, action)
    if action != "decide":
        raise Http404
    if not scope.records:
        raise PermissionDenied  # a cell proposes; the committee decides
    decisions = {}
    for pk, rating in rows.items():
        level = data.get(f"level-{pk}", "")
        if level and not rating.decided_level:
            decisions[pk] = (level, _int_or_none(data.get(f"score-{pk}")))
    if not decisions:
        raise ValidationError("Hãy chọn mức xếp loại cho ít nhất một đảng viên.")
    if not data.get("xac-nhan"):
        raise ValidationError(CONFIRM_DECISION)
    actions.decide(request.user, decisions, period)
    return f"Đã quyết định xếp loại {vn.format_number(len(decisions))} đảng viên."


def _act_on_units(request, scope, period, grassroots_id, action) -> str:
    data = request.POST
    units = {u.pk: u for u in _unit_rows(scope, request.user, period, grassroots_id)}
    if action == "unit_decide":
        decisions = {}
        for pk, unit in units.items():
            level = data.get(f"unit-level-{pk}", "")
            if level and not unit.decided_level:
                if not unit.may_decide:
                    raise PermissionDenied
                decisions[pk] = (level, _int_or_none(data.get(f"unit-score-{pk}")))
        if not decisions:
            raise ValidationError("Hãy chọn mức xếp loại cho ít nhất một tổ chức.")
        if not data.get("xac-nhan"):
            raise ValidationError(CONFIRM_DECISION)
        actions.decide_units(request.user, decisions, period)
        return f"Đã quyết định xếp loại {vn.format_number(len(decisions))} tổ chức đảng."
    unit = units.get(id_param(data.get("rating")))
    if unit is None:
        raise Http404
    if action == "unit_self":
        level, score, text = data.get("level", ""), _int_or_none(data.get("score")), data.get("text", "")
        actions.unit_self_assess(request.user, unit, level=level, score=score, text=text)
        return f"Đã lưu bản tự đánh giá của {unit.name}."
    if action == "unit_reopen":
        if not unit.may_decide:
            raise PermissionDenied
        actions.reopen(request.user, unit, data.get("reason", ""))
        return f"Đã mở lại kết quả xếp loại của {unit.name}."
    raise Http404


# --- rounds: the list, creating and opening one ------------------------------------------------------


def _sets_rounds(user) -> bool:
    """Rounds are shared by the whole tree: set up by the staff of its top committee."""
    if user.is_superuser:
        return True
    return user.role == Role.SUPERIOR_STAFF and UnitVersion.objects.filter(unit_id=user.unit_id, depth=0).exists()


def _progress(model, field, scope, periods) -> dict[int, dict]:
    """Per period, how far the round has gone among the rows of the scope, the units placed as the
    tree stood at the period's end (as on the round page and the results): one query."""
    condition = Q(pk__in=[])
    for period in periods:
        condition |= Q(period_id=period.pk, **{f"{field}__in": scope.units_on(tree_day(period)).values("unit_id")})
    rows = model.filter(condition).values("period_id").annotate(
        listed=Count("pk"),
        assessed=Count("pk", filter=~Q(self_level="")),
        decided=Count("pk", filter=~Q(decided_level="")),
        **({"proposed": Count("pk", filter=~Q(proposed_level="")), "exempted": Count("pk", filter=Q(exempted=True))}
           if field == "cell_id" else {}),
    )  # fmt: skip
    return {row.pop("period_id"): row for row in rows}


@login_required
@submitted_once
def rounds(request):
    scope = scope_for(request, people=True)
    may_set = _sets_rounds(request.user)
    form = PeriodForm(request.POST if request.method == "POST" else None) if may_set else None
    if request.method == "POST":
        if not may_set:
            raise PermissionDenied
        if request.POST.get("action") == "open":
            period = RatingPeriod.objects.filter(pk=id_param(request.POST.get("period")) or 0).first()
            if period is None:
                raise Http404
            counts = actions.open_round(request.user, period)
            messages.success(request, _opened(period, counts))
            return redirect("rating_rounds")
        if form.is_valid():
            try:
                require_token(request)
                period, counts = actions.create_round(request.user, form.save(commit=False))
            except ValidationError as refusal:
                form.add_error(None, refusal)
            else:
                messages.success(request, _opened(period, counts))
                return redirect("rating_round", period.pk)
    periods = list(RatingPeriod.objects.all())
    members = _progress(MemberRating.unscoped, "cell_id", scope, periods)
    units = _progress(UnitRating.objects, "unit_id", scope, periods)
    for period in periods:
        period.members, period.units = members.get(period.pk), units.get(period.pk)
    context = {"periods": periods, "form": form, "may_set": may_set}
    return render(request, "ratings/rounds.html", context, status=400 if form is not None and form.errors else 200)


def _opened(period, counts) -> str:
    return (
        f"{period.name}: đã đưa {vn.format_number(counts['members'])} đảng viên và "
        f"{vn.format_number(counts['organisations'])} tổ chức đảng vào danh sách đánh giá."
    )


# --- disciplinary decisions --------------------------------------------------------------------------

DISCIPLINES_PER_PAGE = 50


def _scoped_disciplines(scope):
    """Decisions against an organisation that lay in the subtree on the day of the decision, or
    against a member who held activity in it that day (`Scope.holds`): what one records one can
    list and delete. A decision taken before a unit moved in, or after it moved out, is not the
    scope's."""
    decided_on = OuterRef("decided_on")
    member_here = Stint.unscoped.filter(member_id=OuterRef("member_id"), start__lte=decided_on)
    member_here = member_here.filter(Q(end__isnull=True) | Q(end__gt=decided_on))
    member_here = member_here.filter(scope.holds(OuterRef("unit_id"), OuterRef(decided_on)))
    unit_here = scope.holds(OuterRef("unit_id"), OuterRef("decided_on"))
    return Discipline.unscoped.annotate(unit_here=unit_here, member_here=Exists(member_here)).filter(
        Q(unit_id__isnull=False, unit_here=True) | Q(member_id__isnull=False, member_here=True)
    )


def _led_by(scope, member, on) -> list[tuple[int, str]]:
    """The organisations a member may have headed: their latest cell and those above it, in the scope."""
    stint = Stint.unscoped.filter(member=member).official().order_by("-start").first()
    if stint is None:
        return []
    cell = UnitVersion.objects.on(on).filter(unit_id=stint.unit_id).first()
    if cell is None:
        return []
    above = [cell.path[:i] for i in range(PATH_WIDTH, len(cell.path) + 1, PATH_WIDTH)]
    versions = scope.units_on(on).filter(path__in=above).exclude(kind=UnitKind.SUPERIOR).order_by("-depth")
    return list(versions.values_list("unit_id", "name"))


@login_required
@submitted_once
def disciplines(request):
    scope = scope_for(request, people=True)
    today = timezone.localdate()
    asked = request.POST.get("dang-vien") or request.GET.get("dang-vien")
    seen = scope.member_or_404(asked) if asked else None
    member = seen.member if seen else None
    posted = request.POST if request.method == "POST" and request.POST.get("action") == "record" else None
    if member:
        form = DisciplineEntryForm(posted, member=member, led=_led_by(scope, member, today))
    else:
        units = labelled_choices(scope.units_on(today).exclude(kind=UnitKind.SUPERIOR).order_by("path"), today)
        form = DisciplineEntryForm(posted, units=units)
    error = None
    if request.method == "POST":
        if not scope.records:
            raise PermissionDenied
        if request.POST.get("action") == "delete":
            discipline = _scoped_disciplines(scope).filter(pk=id_param(request.POST.get("discipline")) or 0).first()
            if discipline is None:
                raise Http404
            try:
                delete_discipline(request.user, discipline, request.POST.get("reason", ""))
            except ValidationError as refusal:
                error = " ".join(refusal.messages)
            else:
                messages.success(request, f"Đã xóa quyết định kỷ luật số {discipline.decision}.")
                return redirect("disciplines")
        elif form.is_valid():
            try:
                discipline = form.discipline()
                # Recorded where the member (or the organisation) lay on the day of the decision.
                if seen is not None:
                    seen.check_writable(scope, discipline.decided_on)
                elif not scope.unit_held_on(discipline.unit_id, discipline.decided_on):
                    raise ValidationError(
                        f"Ngày {vn.format_date(discipline.decided_on)} tổ chức đảng này không thuộc phạm vi quản lý "
                        "của đơn vị."
                    )
                require_token(request)
                discipline = record_discipline(request.user, discipline)
            except ValidationError as refusal:
                form.add_error(None, refusal)
            else:
                messages.success(request, f"Đã ghi nhận quyết định kỷ luật số {discipline.decision}.")
                return redirect("disciplines")
    rows = _scoped_disciplines(scope).select_related("member").order_by("-decided_on", "-pk")
    page = Paginator(rows, DISCIPLINES_PER_PAGE).get_page(request.GET.get("page"))
    names = unit_labels({d.unit_id for d in page} | {d.leader_of_id for d in page} - {None})
    for d in page:
        d.unit_name, d.leader_of_name = names.get(d.unit_id), names.get(d.leader_of_id)
    context = {"page": page, "form": form, "member": member, "records": scope.records, "error": error}
    failed = error or (form.is_bound and form.errors)
    return render(request, "ratings/disciplines.html", context, status=400 if failed else 200)
