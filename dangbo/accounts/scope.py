"""The one scoping mechanism. Every view that reads units or members starts with `scope_for`, and
reads them through the scope; anything outside the subtree answers 404, never 403, so an outsider
cannot learn that it exists."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from functools import cached_property

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q
from django.http import Http404

from dangbo.lib.http import id_param
from dangbo.orgs.models import UnitVersion

from .models import ROLES_RECORDING, ROLES_SEEING_PEOPLE


@dataclass
class Scope:
    unit_id: int
    sees_people: bool
    records: bool = False  # may record membership events in the subtree

    _roots: dict = field(default_factory=dict, repr=False)

    def root_on(self, on: datetime.date) -> UnitVersion | None:
        """The scope's own unit as it stood on `on` (None if it did not exist then); one query per date."""
        if on not in self._roots:
            self._roots[on] = UnitVersion.objects.on(on).filter(unit_id=self.unit_id).first()
        return self._roots[on]

    def units_on(self, on: datetime.date):
        root = self.root_on(on)
        if root is None:
            return UnitVersion.objects.none()
        return UnitVersion.objects.on(on).under(root.path)

    def unit_on_or_404(self, unit_id: int, on: datetime.date) -> UnitVersion:
        """A unit of the subtree as it stood on `on`."""
        if id_param(unit_id) is None:
            raise Http404
        version = self.units_on(on).filter(unit_id=unit_id).first()
        if version is None:
            raise Http404
        return version

    @cached_property
    def _paths_ever(self) -> list[str]:
        return list(UnitVersion.objects.filter(unit_id=self.unit_id).values_list("path", flat=True).distinct())

    def _ever_under(self) -> Q:
        """Versions that lie under any place the scope's unit ever had."""
        condition = Q(pk__in=[])
        for path in self._paths_ever:
            condition |= Q(path__startswith=path)
        return condition

    def units_ever(self):
        """Versions of the units that ever lay in the subtree: whose people's records the scope may
        open (`member_or_404` reads the same rule)."""
        return UnitVersion.objects.filter(self._ever_under())

    def units_kept(self):
        """Versions of the units whose latest version lies in the subtree: today's units and those
        dissolved inside it (not those that moved out). Their records stay the scope's to read."""
        later = UnitVersion.objects.filter(unit_id=OuterRef("unit_id"), valid_from__gt=OuterRef("valid_from"))
        return UnitVersion.objects.filter(self._ever_under()).filter(~Exists(later))

    def member_or_404(self, member_id: int):
        """A member who ever held party activity in a unit of the subtree. The check starts from
        the member's own few stints, so it costs the same in a cell and in the whole country."""
        from dangbo.members.models import Member, Stint

        if not self.sees_people or id_param(member_id) is None:
            raise Http404
        member = Member.unscoped.filter(pk=member_id).first()
        if member is None:
            raise Http404
        their_units = Stint.unscoped.filter(member_id=member.pk).values("unit_id")
        if not self.units_ever().filter(unit_id__in=their_units).exists():
            raise Http404
        return member


def scope_for(request, *, people: bool = False, records: bool = False) -> Scope:
    """The scope of the logged-in user; 404 when they have none, or when `people` is asked of a
    role that sees aggregated figures only; 403 when `records` is asked of a role that only reads
    (it sees the subtree, so there is nothing to hide)."""
    user = request.user
    if not user.is_authenticated:
        raise Http404
    if user.unit_id:
        scope = Scope(
            unit_id=user.unit_id, sees_people=user.role in ROLES_SEEING_PEOPLE, records=user.role in ROLES_RECORDING
        )
    elif user.is_superuser:
        top = UnitVersion.objects.filter(depth=0).order_by("valid_from").first()
        if top is None:
            raise Http404
        scope = Scope(unit_id=top.unit_id, sees_people=True, records=True)
    else:
        raise Http404
    if (people or records) and not scope.sees_people:
        raise Http404
    if records and not scope.records:
        raise PermissionDenied
    return scope
