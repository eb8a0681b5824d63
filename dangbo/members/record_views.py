"""Staff's work on member records from the application: editing a member's record on their page,
and taking in a member who arrives from a committee outside the tree. The rules are the actions'
(`actions.edit_member`, `actions.take_in`); their refusals come back next to the fields, with what
was typed."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render

from dangbo.accounts.scope import scope_for
from dangbo.audit.models import AuditEntry
from dangbo.lib import vn
from dangbo.lib.http import today
from dangbo.once.tokens import require_token, submitted_once
from dangbo.orgs.models import Unit

from . import actions
from .event_views import cell_choices
from .forms import ArrivalForm, MemberEditForm
from .models import Member


@login_required
def member_edit(request, member_id: int):
    """Superior and grassroots staff (the roles that keep members' files); a cell secretary reads."""
    scope = scope_for(request, records=True)
    seen = scope.member_or_404(member_id)
    member = seen.member
    error = None
    try:
        seen.check_writable(scope, None)  # a member who left the scope: read-only, said at once
    except ValidationError as refusal:
        error = " ".join(refusal.messages)
    if request.method == "POST" and error is None:
        form = MemberEditForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                seen.check_writable(scope, data["effective_on"] or today())
                changed = actions.edit_member(request.user, member, form.values(), effective_on=data["effective_on"],
                                              seen_at=data["updated_at"])  # fmt: skip
            except ValidationError as refusal:
                error = form.refusal(refusal)
            else:
                if changed:
                    messages.success(request, f"Đã lưu hồ sơ của đảng viên {member.full_name}.")
                else:
                    messages.info(request, "Hồ sơ không có thay đổi nào.")
                return redirect("member_detail", member_id=member.pk)
    else:
        initial = {name: getattr(member, name) for name in actions.EDITABLE_FIELDS}
        initial["citizen_id"] = member.citizen_id or ""
        initial["updated_at"] = member.updated_at.isoformat()
        form = MemberEditForm(initial=initial)
    context = {"member": member, "form": form, "error": error, "read_only": not seen.current}
    status = 400 if error or form.errors else 200
    return render(request, "members/edit.html", context, status=status)


@login_required
@submitted_once
def member_arrival(request):
    """A member transferred in from outside the tree, or hosted temporarily: the record and its
    arrival in one step."""
    scope = scope_for(request, records=True)
    cells = cell_choices(scope)
    posted = request.method == "POST"
    initial = {"kind": actions.K.TRANSFER_IN, "ethnicity": "Kinh", "religion": "Không", "education": "12/12",
               "theory_level": "none", "effective_on": today(), "papers": ["gioi_thieu"]}  # fmt: skip
    form = ArrivalForm(cells, request.POST if posted else None, initial=initial)
    error = None
    if posted and form.is_valid():
        arrival = form.arrival()
        unit = Unit.objects.get(pk=form.cleaned_data["unit"])
        try:
            if not scope.unit_held_on(unit.pk, arrival["effective_on"]):
                raise ValidationError({"unit": f"Ngày {vn.format_date(arrival['effective_on'])} chi bộ tiếp nhận không "
                                               "thuộc phạm vi quản lý của đơn vị."})  # fmt: skip
            require_token(request)
            member = actions.take_in(request.user, form.values(), unit=unit, **arrival)
        except ValidationError as refusal:
            error = form.refusal(refusal)
        else:
            messages.success(request, f"Đã tiếp nhận đảng viên {member.full_name}: "
                                      f"{actions.K(arrival['kind']).label.lower()} ngày "
                                      f"{vn.format_date(arrival['effective_on'])}.")  # fmt: skip
            return redirect("member_detail", member_id=member.pk)
    status = 400 if error or form.errors else 200
    return render(request, "members/arrival.html", {"form": form, "error": error}, status=status)


# --- the change history on the member's page -----------------------------------------------------

HISTORY_ACTIONS = {"update_member": "Sửa hồ sơ", "import_member": "Nhập từ tệp"}


def _shown(name: str, value) -> str:
    field = Member._meta.get_field(name)
    if value in (None, ""):
        return "—"
    if field.choices:
        return str(dict(field.choices).get(value, value))
    if field.get_internal_type() == "DateField":
        return vn.format_date(datetime.date.fromisoformat(value))
    return str(value)


def record_history(member: Member, before: datetime.date | None = None) -> list[dict]:
    """The edits of the member's record (made before the day `before`, if given), latest first:
    when, by whom, each field's value before and after, and the day a dated change took effect.
    One query."""
    entries = AuditEntry.objects.filter(
        target_type="members.member", target_id=str(member.pk), action__in=list(HISTORY_ACTIONS)
    ).select_related("actor")
    if before is not None:
        entries = entries.filter(at__date__lt=before)
    entries = entries.order_by("-at", "-pk")
    history = []
    for entry in entries:
        before, after = entry.before or {}, entry.after or {}
        changes = [
            (str(Member._meta.get_field(name).verbose_name).capitalize(), _shown(name, before.get(name)),
             _shown(name, after.get(name)))
            for name in actions.EDITABLE_FIELDS if before.get(name) != after.get(name)
        ]  # fmt: skip
        if changes:
            history.append({"at": entry.at, "actor": entry.actor, "action": HISTORY_ACTIONS[entry.action],
                            "changes": changes, "note": entry.note})  # fmt: skip
    return history
