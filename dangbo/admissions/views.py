from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render

from dangbo.accounts.scope import scope_for
from dangbo.lib import vn
from dangbo.lib.http import id_param, today
from dangbo.members.event_views import cell_choices
from dangbo.once.tokens import require_token, submitted_once
from dangbo.orgs.labels import labelled_choices

from . import actions
from .deadlines import pipeline_deadlines
from .forms import AdmitForm, CandidateForm
from .models import Candidate, Stage

PAGE_SIZE = 50


def candidates_in(scope):
    """Candidates followed by a cell of the scope (as the tree stands today)."""
    root = scope.root_on(today())
    if root is None:
        return Candidate.unscoped.none()
    return Candidate.unscoped.filter(cell_id__in=scope.units_on(today()).values("unit_id"))


def candidate_or_404(scope, candidate_id) -> Candidate:
    candidate = candidates_in(scope).filter(pk=id_param(candidate_id) or 0).first()
    if candidate is None:
        raise Http404
    return candidate


@login_required
def pipeline(request):
    scope = scope_for(request, people=True)
    on = today()
    root = scope.root_on(on)
    if root is None:
        raise Http404
    candidates = candidates_in(scope)
    stage = request.GET.get("stage", "")
    words = vn.fold(request.GET.get("q", "")).split()
    for word in words:
        candidates = candidates.filter(Q(search_name__startswith=word) | Q(search_name__contains=f" {word}"))
    if stage not in Stage.values:
        stage = ""  # an unknown stage filters nothing, like the member list's filters
    if stage == Stage.ADMITTED:
        candidates = candidates.filter(member__isnull=False)
    elif stage:
        candidates = candidates.filter(member__isnull=True)
    rows = list(candidates.order_by("sort_key", "pk"))
    if stage and stage != Stage.ADMITTED:
        rows = [c for c in rows if c.stage == stage]
    names = dict(labelled_choices(scope.units_on(on).filter(unit_id__in={c.cell_id for c in rows}), on))
    for candidate in rows:
        candidate.cell_name = names.get(candidate.cell_id, "")
    context = {
        "on": on,
        "root": root,
        "deadlines": pipeline_deadlines(root, on),
        "page": Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page")),
        "stages": Stage.choices,
        "stage": stage,
        "q": request.GET.get("q", ""),
        "records": scope.records,
    }
    return render(request, "admissions/pipeline.html", context)


@login_required
@submitted_once
def candidate_edit(request, candidate_id: int | None = None):
    scope = scope_for(request, people=True)
    candidate = candidate_or_404(scope, candidate_id) if candidate_id else Candidate()
    if candidate.member_id:
        return redirect("member_detail", member_id=candidate.member_id)
    form = CandidateForm(cell_choices(scope), request.POST if request.method == "POST" else None, instance=candidate)
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            require_token(request)
            candidate = actions.save_candidate(request.user, form.save(commit=False))
        except ValidationError as refusal:
            error = " ".join(refusal.messages)
        else:
            messages.success(request, f"Đã lưu hồ sơ quần chúng ưu tú {candidate.full_name}.")
            return redirect("candidate", candidate_id=candidate.pk)
    admit_form = AdmitForm() if candidate.pk and scope.records else None
    context = {"candidate": candidate, "form": form, "error": error, "admit_form": admit_form}
    return render(request, "admissions/candidate.html", context, status=400 if error or form.errors else 200)


@login_required
@submitted_once
def candidate_admit(request, candidate_id: int):
    scope = scope_for(request, records=True)
    candidate = candidate_or_404(scope, candidate_id)
    if request.method != "POST":
        return redirect("candidate", candidate_id=candidate.pk)
    admit_form = AdmitForm(request.POST, request.FILES)
    error = None
    if admit_form.is_valid():
        data = admit_form.cleaned_data
        decision = admit_form.decision()
        decision.pop("decided_on", None)
        try:
            require_token(request)
            member = actions.admit_candidate(
                request.user, candidate, decided_on=data["decided_on"], cell_considered_on=data["cell_considered_on"],
                ceremony_on=data.get("ceremony_on"), **decision,
            )  # fmt: skip
        except ValidationError as refusal:
            error = " ".join(refusal.messages)
        else:
            day = vn.format_date(data["decided_on"])
            messages.success(request, f"Đã ghi nhận kết nạp {member.full_name} ngày {day}.")
            return redirect("member_detail", member_id=member.pk)
    form = CandidateForm(cell_choices(scope), instance=candidate)
    context = {"candidate": candidate, "form": form, "admit_form": admit_form, "admit_error": error}
    return render(request, "admissions/candidate.html", context, status=400)
