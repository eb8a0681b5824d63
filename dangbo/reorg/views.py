"""The reorganisation pages (Sắp xếp tổ chức): a list of the operations, a form per operation, the
preview of every consequence, and the confirmation, which carries out the plan previewed.

For the staff of committees only (superior and grassroots staff), on units strictly below their own
unit; everyone else gets 404. The preview is the plan (reorg.plan); the confirmation posts the same
fields back with the plan's fingerprint, and the action refuses if the plan has changed since."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from dangbo.accounts.menu import STAFF
from dangbo.accounts.scope import Scope, scope_for
from dangbo.lib import vn
from dangbo.lib.http import id_param, today
from dangbo.once.tokens import require_token, submitted_once
from dangbo.orgs.models import CELL_KINDS, UnitVersion

from . import actions, forms, plan


@dataclass(frozen=True)
class Operation:
    slug: str
    title: str
    description: str
    form: type
    plan: object
    action: object


OPERATIONS = {
    "merge": Operation("merge", "Hợp nhất, sáp nhập tổ chức",
                       "Hai hay nhiều tổ chức cùng loại thành một tổ chức có sẵn hoặc thành lập mới: tổ chức trực "
                       "thuộc, đảng viên, nhiệm vụ, lịch báo cáo và tài khoản chuyển sang đơn vị nhận.",
                       forms.MergeForm, plan.plan_merge, actions.merge_units),  # fmt: skip
    "split": Operation("split", "Chia tách tổ chức",
                       "Một tổ chức thành hai hay nhiều tổ chức: chọn nơi đến cho từng tổ chức trực thuộc và từng "
                       "đảng viên.", forms.SplitForm, plan.plan_split, actions.split_unit),  # fmt: skip
    "rename": Operation("rename", "Đổi tên tổ chức", "Tên mới từ ngày hiệu lực; tên cũ giữ nguyên cho các ngày trước.",
                        forms.RenameForm, plan.plan_rename, actions.rename_unit),  # fmt: skip
    "move": Operation("move", "Chuyển tổ chức sang trực thuộc đơn vị khác",
                      "Tổ chức cùng toàn bộ các tổ chức trực thuộc chuyển về một cấp trên khác.",
                      forms.MoveForm, plan.plan_move, actions.move_unit),  # fmt: skip
    "dissolve": Operation("dissolve", "Giải thể tổ chức",
                          "Khi tổ chức không còn tổ chức trực thuộc và đảng viên, hoặc chuyển những gì tổ chức còn "
                          "giữ sang một đơn vị nhận.", forms.DissolveForm, plan.plan_dissolve, actions.dissolve),
    "transfer": Operation("transfer", "Chuyển sinh hoạt đảng hàng loạt",
                          "Nhiều đảng viên của một chi bộ chuyển sinh hoạt chính thức sang chi bộ khác theo một "
                          "quyết định.", forms.TransferForm, plan.plan_transfer, actions.transfer_members),
}


def staff_scope(request) -> Scope:
    """The scope of a committee's staff; 404 for every other role (they may not know these pages)."""
    user = request.user
    if not (user.is_superuser or user.role in STAFF):
        raise Http404
    return scope_for(request, records=True)


def _unit_below_or_404(scope: Scope, value, kinds=None) -> UnitVersion:
    """A unit strictly below the scope's own unit today (`?unit=`, `?cell=`)."""
    day = today()
    version = scope.unit_on_or_404(id_param(value) or 0, day)
    root = scope.root_on(day)
    if version.unit_id == root.unit_id or (kinds and version.kind not in kinds):
        raise Http404
    return version


@login_required
def index(request):
    staff_scope(request)
    return render(request, "reorg/index.html", {"operations": OPERATIONS.values()})


def _refuse_unknown_units(form) -> None:
    """A posted unit outside the choices (outside the scope today) answers 404: nothing is said of it."""
    for errors in form.errors.as_data().values():
        if any(error.code in ("invalid_choice", "invalid_pk_value") for error in errors):
            raise Http404


def _done_url(operation: str, result, arguments: dict) -> str:
    day = arguments["on"].isoformat()
    if operation in ("merge", "rename", "move"):
        return f"{reverse('unit', args=[result.pk])}?date={day}"
    if operation == "transfer":
        return f"{reverse('unit', args=[arguments['to']])}?date={day}"
    return reverse("reorg")


def _run(request, operation: Operation, scope: Scope, form_args: tuple = (), context: dict | None = None):
    posted = request.method == "POST"
    form = operation.form(scope, *form_args, data=request.POST if posted else None)
    error = None
    if posted and form.is_valid():
        arguments = form.arguments()  # None: the form said which field is wrong (SplitForm)
        if arguments is not None:
            try:
                if request.POST.get("confirmed") == "1" and "edit" not in request.POST:
                    require_token(request)
                    result = operation.action(request.user, scope, expected=request.POST.get("expected", ""),
                                              **arguments)  # fmt: skip
                    messages.success(request, f"Đã thực hiện: {operation.title.lower()} từ ngày "
                                              f"{vn.format_date(arguments['on'])}.")  # fmt: skip
                    return redirect(_done_url(operation.slug, result, arguments))
                preview = operation.plan(scope, **arguments)
                if "edit" not in request.POST:
                    return render(request, "reorg/preview.html", {
                        "operation": operation, "form": form, "plan": preview, "counts": preview.counts(),
                        "fingerprint": preview.fingerprint(), "moved_members": sum(row[6] for row in preview.moved),
                        **(context or {}),
                    })  # fmt: skip
            except ValidationError as refusal:
                error = " ".join(refusal.messages)
    elif posted:
        _refuse_unknown_units(form)
    template = "reorg/split.html" if operation.slug == "split" else "reorg/form.html"
    return render(request, template, {"operation": operation, "form": form, "error": error, **(context or {})},
                  status=400 if error or form.errors else 200)  # fmt: skip


@login_required
@submitted_once
def operation_page(request, operation: str):
    scope = staff_scope(request)
    if operation not in ("merge", "rename", "move", "dissolve"):
        raise Http404
    return _run(request, OPERATIONS[operation], scope)


@login_required
@submitted_once
def split_page(request):
    scope = staff_scope(request)
    if not request.GET.get("unit"):
        return render(request, "reorg/choose.html", {"operation": OPERATIONS["split"], "param": "unit",
                                                     "units": forms.unit_choices(scope)})  # fmt: skip
    source = _unit_below_or_404(scope, request.GET["unit"])
    return _run(request, OPERATIONS["split"], scope, (source,), {"source": source})


@login_required
@submitted_once
def transfer_page(request):
    scope = staff_scope(request)
    if not request.GET.get("cell"):
        return render(request, "reorg/choose.html", {"operation": OPERATIONS["transfer"], "param": "cell",
                                                     "units": forms.unit_choices(scope, kinds=CELL_KINDS)})  # fmt: skip
    cell = _unit_below_or_404(scope, request.GET["cell"], kinds=CELL_KINDS)
    return _run(request, OPERATIONS["transfer"], scope, (cell,), {"source": cell})
