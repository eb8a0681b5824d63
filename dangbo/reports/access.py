"""Who sees and does what with reports. A unit's accounts see all of its own reports; the
committees above see the reports of their subtree once sent (a draft is its unit's business).
Anything else answers 404. Editing and sending are for the reporting unit's accounts, accepting
and returning for the accounts of the committee it was sent to; viewers read only."""

from __future__ import annotations

from django.db.models import OuterRef, Q
from django.http import Http404

from dangbo.accounts.models import Role
from dangbo.accounts.scope import Scope
from dangbo.lib.http import id_param

from .models import Report, Status


def reports_of(scope: Scope):
    """The unit's own reports, and those sent by a unit that lay in the subtree at the end of the
    period reported (a unit that moved reports to its new committee, and its earlier reports stay
    with the old one)."""
    below = scope.units_ever().values("unit_id")
    then = Q(scope.holds(OuterRef("unit_id"), OuterRef("ends_on")))
    sent_from_below = Q(unit_id__in=below) & ~Q(first_sent_at=None) & then
    return Report.objects.filter(Q(unit_id=scope.unit_id) | sent_from_below)


def report_or_404(scope: Scope, report_id) -> Report:
    report = reports_of(scope).select_related("report_type", "request").filter(pk=id_param(report_id) or 0).first()
    if report is None:
        raise Http404
    return report


def acts(user) -> bool:
    """Whether the account writes (a viewer only reads)."""
    return user.is_superuser or (bool(user.role) and user.role != Role.VIEWER)


def may_edit(user, scope: Scope, report: Report) -> bool:
    return acts(user) and report.unit_id == scope.unit_id and report.status in (Status.DRAFT, Status.RETURNED)


def may_decide(user, scope: Scope, report: Report) -> bool:
    return acts(user) and report.to_unit_id == scope.unit_id and report.status == Status.SUBMITTED
