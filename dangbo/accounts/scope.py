"""The one scoping mechanism. Every view that reads units or members starts with `scope_for`, and
reads them through the scope; anything outside the subtree answers 404, never 403, so an outsider
cannot learn that it exists.

The subtree is dated: units move (a cell between committees, a committee merged into another) and
a record belongs to the scope only for the time its unit lay in the subtree.
- `units_on(day)`, `unit_on_or_404(id, day)`: the subtree as it stood on a day.
- `members_visible()`: the members whose records the scope may open — those who held a stint in a
  unit while that unit lay in the subtree; `member_or_404(id)` checks one member the same way and
  returns a `Seen`: the whole record if the member is the scope's today, else read-only as far as
  the scope knew them. `seen_many(members)` does the same for a page of members in one query.
- `member_writable_or_404(id, day)` / `Seen.check_writable`: a write about a member (an event, a
  decision, an edit) only where the member is the scope's and lay in the subtree on the day it
  takes effect; otherwise a Vietnamese ValidationError.
- `holds(unit, day)`: the condition for records kept by a unit on their own day (meetings,
  disciplines, reports): the unit lay in the subtree that day."""

from __future__ import annotations

import copy
import datetime
from dataclasses import dataclass, field
from functools import cached_property

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.db.models.lookups import GreaterThan, GreaterThanOrEqual, IsNull, LessThan, LessThanOrEqual
from django.http import Http404

from dangbo.lib import vn
from dangbo.lib.http import id_param, today
from dangbo.orgs.models import UnitVersion

from .models import ROLES_RECORDING, ROLES_SEEING_PEOPLE


@dataclass
class Scope:
    unit_id: int
    sees_people: bool
    records: bool = False  # may record membership events in the subtree

    _roots: dict = field(default_factory=dict, repr=False)

    @cached_property
    def _read(self) -> tuple[list[UnitVersion], list[UnitVersion]]:
        """Every version of the scope's own unit (a handful), and those of the units it succeeded
        (`Succession`), each ending no later than the day its unit joined: one query for the scope's
        life; one more per earlier generation of mergers, when there was one."""
        from dangbo.orgs.models import Succession

        joined = Succession.objects.filter(predecessor_id=OuterRef("unit_id"), successor_id=self.unit_id)
        rows = list(
            UnitVersion.objects.filter(Q(unit_id=self.unit_id) | Q(unit__successions__successor_id=self.unit_id))
            .annotate(joined=Subquery(joined.values("on")[:1]))
            .order_by("valid_from")
        )
        own = [v for v in rows if v.unit_id == self.unit_id]
        bound: dict[int, datetime.date | None] = {v.unit_id: v.joined for v in rows if v.unit_id != self.unit_id}
        history = [v for v in rows if v.unit_id != self.unit_id]
        frontier = list(bound)
        while frontier:  # the units those succeeded in turn
            found = Succession.objects.filter(successor_id__in=frontier)
            found = found.exclude(predecessor_id__in=[*bound, self.unit_id])
            frontier = []
            for predecessor, successor, on in found.values_list("predecessor_id", "successor_id", "on"):
                bound[predecessor] = _earliest(on, bound[successor])
                frontier.append(predecessor)
            history += UnitVersion.objects.filter(unit_id__in=frontier)
        clipped = []
        for version in history:
            end = _earliest(version.valid_to, bound[version.unit_id])
            if end is None or version.valid_from < end:
                version.valid_to = end
                clipped.append(version)
        return own, clipped

    @property
    def _versions(self) -> list[UnitVersion]:
        return self._read[0]

    @property
    def _history(self) -> list[UnitVersion]:
        return self._read[1]

    def root_on(self, on: datetime.date) -> UnitVersion | None:
        """The scope's own unit as it stood on `on` (None if it did not exist then)."""
        if on not in self._roots:
            self._roots[on] = next(
                (v for v in self._versions if v.valid_from <= on and (v.valid_to is None or on < v.valid_to)), None
            )
        return self._roots[on]

    def units_on(self, on: datetime.date):
        """The subtree on `on`: under the scope's own unit, and under the units it succeeded while
        they stood (their history is the successor's to read)."""
        paths = [root.path] if (root := self.root_on(on)) else []
        paths += [v.path for v in self.predecessors_on(on)]
        if not paths:
            return UnitVersion.objects.none()
        condition = Q(pk__in=[])
        for path in paths:
            condition |= Q(path__startswith=path)
        return UnitVersion.objects.on(on).filter(condition)

    def predecessors_on(self, on: datetime.date) -> list[UnitVersion]:
        """The units the scope's unit succeeded, as they stood on `on` (before they joined it)."""
        return [v for v in self._history if v.valid_from <= on and (v.valid_to is None or on < v.valid_to)]

    def unit_on_or_404(self, unit_id: int, on: datetime.date) -> UnitVersion:
        """A unit of the subtree as it stood on `on`."""
        if id_param(unit_id) is None:
            raise Http404
        version = self.units_on(on).filter(unit_id=unit_id).first()
        if version is None:
            raise Http404
        return version

    # --- the dated rule: where a person or a record was while its unit lay in the subtree ---------
    #
    # A unit is in the subtree on a day when its version of that day lies under the version of the
    # scope's own unit of that same day (units move, the scope's unit too; a move writes new
    # versions for the whole subtree). A member record is the scope's to read if the member held a
    # stint (official or temporary) in a unit while that unit was in the subtree: the stint, the
    # unit's version and the scope unit's version overlap. A record kept by a cell (a meeting, a
    # discipline, a report) is the scope's if its unit was in the subtree on the record's own day.

    @cached_property
    def _root_versions(self) -> list[tuple[str, datetime.date, datetime.date | None]]:
        """(path, valid_from, valid_to) of every version of the scope's own unit, and of the units
        it succeeded up to the day each joined it."""
        return [(v.path, v.valid_from, v.valid_to) for v in [*self._versions, *self._history]]

    def holds(self, unit, day) -> Exists:
        """A condition on the rows of a query: the unit `unit` lay in the subtree on `day`, both
        expressions of the row (`OuterRef("cell_id")`, `OuterRef("held_on")`; nest OuterRef to reach
        further out). One correlated subquery on the versions' (unit, day) index."""
        day_in_root = Q(pk__in=[])
        for path, valid_from, valid_to in self._root_versions:
            condition = Q(path__startswith=path) & Q(GreaterThanOrEqual(day, valid_from))
            if valid_to is not None:
                condition &= Q(LessThan(day, valid_to))
            day_in_root |= condition
        versions = UnitVersion.objects.filter(unit_id=unit).filter(LessThanOrEqual(F("valid_from"), day))
        versions = versions.filter(Q(valid_to__isnull=True) | Q(GreaterThan(F("valid_to"), day)))
        return Exists(versions.filter(day_in_root))

    def unit_held_on(self, unit_id: int | None, day: datetime.date) -> bool:
        """Whether the unit lay in the subtree on `day` (one query)."""
        return unit_id is not None and self.units_on(day).filter(unit_id=unit_id).exists()

    def units_ever(self):
        """Versions of units while they lay in the subtree: each overlaps a version of the scope's
        own unit that it lay under (the dated rule; a unit that moved in or out counts only for the
        time it was here)."""
        condition = Q(pk__in=[])
        for path, valid_from, valid_to in self._root_versions:
            here = Q(path__startswith=path) & (Q(valid_to__isnull=True) | Q(valid_to__gt=valid_from))
            if valid_to is not None:
                here &= Q(valid_from__lt=valid_to)
            condition |= here
        return UnitVersion.objects.filter(condition)

    def units_kept(self):
        """Versions of the units whose latest version lies in the subtree: today's units and those
        dissolved inside it (not those that moved out). For records that follow a unit wherever it
        goes (tasks, reports of a unit); a unit's dated records read `holds`."""
        later = UnitVersion.objects.filter(unit_id=OuterRef("unit_id"), valid_from__gt=OuterRef("valid_from"))
        return self.units_ever().filter(~Exists(later))

    def _stint_in_subtree(self) -> Q:
        """On a Stint query: the stint's unit lay in the subtree during the stint (the stint, one
        version of its unit and one version of the scope's unit overlap: intervals on a line that
        overlap two by two share a day)."""
        condition = Q(pk__in=[])
        stint_start, stint_end = OuterRef("start"), OuterRef("end")
        for path, valid_from, valid_to in self._root_versions:
            here = Q(path__startswith=path) & (Q(valid_to__isnull=True) | Q(valid_to__gt=valid_from))
            if valid_to is not None:
                here &= Q(valid_from__lt=valid_to) & Q(LessThan(stint_start, valid_to))
            here &= Q(IsNull(stint_end, True)) | Q(GreaterThan(stint_end, valid_from))
            condition |= here
        overlaps_stint = (Q(valid_to__isnull=True) | Q(GreaterThan(F("valid_to"), stint_start))) & (
            Q(IsNull(stint_end, True)) | Q(LessThan(F("valid_from"), stint_end))
        )
        versions = UnitVersion.objects.filter(unit_id=OuterRef("unit_id")).filter(overlaps_stint).filter(condition)
        return Q(Exists(versions))

    def members_visible(self):
        """The members whose records the scope may open (`member_or_404` applies the same rule to
        one member, from their few stints): one query with two correlated subqueries."""
        from dangbo.members.models import Member, Stint

        if not self.sees_people:
            return Member.unscoped.none()
        stints = Stint.unscoped.filter(member_id=OuterRef("pk")).filter(self._stint_in_subtree())
        return Member.unscoped.filter(Exists(stints))

    def seen_many(self, members) -> dict[int, Seen]:
        """How far the scope sees each of `members` (those it may open; the others are left out),
        from their stints joined to their units' versions: one query (more for thousands of members)."""
        from dangbo.members.models import Stint

        members = {m.pk: m for m in members}
        ids, rows = list(members), []
        columns = ("member_id", "start", "end", "unit__versions__path", "unit__versions__valid_from",
                   "unit__versions__valid_to")  # fmt: skip
        for chunk in range(0, len(ids), CHUNK):  # a register lists thousands: keep under the bound on parameters
            rows += Stint.unscoped.filter(member_id__in=ids[chunk : chunk + CHUNK]).values_list("pk", *columns)
        stints: dict[int, tuple] = {}
        windows: dict[int, list] = {}
        for pk, member_id, start, end, path, v_from, v_to in rows:  # a stint once per version of its unit
            stints[pk] = (member_id, start, end)
            windows.setdefault(pk, [])
            for root_path, r_from, r_to in self._root_versions:
                if not path.startswith(root_path):
                    continue
                low, high = max(start, v_from, r_from), _earliest(end, v_to, r_to)
                if high is None or low < high:
                    windows[pk].append((low, high))
        placed: dict[int, list[Placement]] = {}
        for pk, (member_id, start, end) in stints.items():
            placed.setdefault(member_id, []).append(Placement(start, end, tuple(windows[pk])))
        day = today()
        return {
            member_id: Seen(members[member_id], tuple(theirs), current=_placed_on(theirs, day))
            for member_id, theirs in placed.items()
            if any(p.windows for p in theirs)
        }

    def member_or_404(self, member_id) -> Seen:
        """A member who held party activity in a unit while it lay in the subtree, as far as the
        scope may see them (`Seen`): the whole record if their latest placement lies in the subtree,
        else read-only up to the day they left it. The check starts from the member's own few
        stints, so it costs the same in a cell and in the whole country."""
        from dangbo.members.models import Member

        if not self.sees_people or id_param(member_id) is None:
            raise Http404
        member = Member.unscoped.filter(pk=member_id).first()
        seen = self.seen_many([member]).get(member.pk) if member is not None else None
        if seen is None:
            raise Http404
        return seen

    def member_writable_or_404(self, member_id, on: datetime.date | None, *, into=None) -> Seen:
        """`member_or_404`, for a write about the member that takes effect on `on` (an event's
        effective date, a decision's date; today for an edit of their data). Allowed where the
        record is the scope's (the member's latest placement lies in the subtree) and the member was
        in the subtree on `on` — or, for an arrival (`into`: the unit they come into), where they
        were in no unit on `on` and `into` lay in the subtree that day. Otherwise a ValidationError
        in Vietnamese: the member is visible, only not the scope's to write about then."""
        seen = self.member_or_404(member_id)
        seen.check_writable(self, on, into=into)
        return seen


CHUNK = 2000


def _earliest(*ends):
    """The earliest of half-open ends (None: open)."""
    known = [end for end in ends if end is not None]
    return min(known) if known else None


@dataclass(frozen=True)
class Placement:
    """One stint of a member and the parts of it that lay in the scope's subtree."""

    start: datetime.date
    end: datetime.date | None
    windows: tuple[tuple[datetime.date, datetime.date | None], ...]

    def holds(self, day: datetime.date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)

    def inside_on(self, day: datetime.date) -> bool:
        return any(low <= day and (high is None or day < high) for low, high in self.windows)


def _placed_on(placed: list[Placement], day: datetime.date) -> bool:
    """Whether the member's placement on `day` lies in the subtree: the stints open that day, or,
    when none is, the last ones they held before it (a member who died, left the Party or left the
    tree stays the record of the place they were last)."""
    open_ = [p for p in placed if p.holds(day)]
    if open_:
        return any(p.inside_on(day) for p in open_)
    ended = [p for p in placed if p.end is not None and p.end <= day]
    if not ended:
        return False
    last = max(p.end for p in ended)
    return any(p.inside_on(last - datetime.timedelta(days=1)) for p in ended if p.end == last)


@dataclass(frozen=True)
class Seen:
    """A member as a scope sees them.

    `current`: their latest placement lies in the subtree (today's stints, or the last ones they
    held): the whole record, and writes about them (on dates they were in the subtree). Otherwise
    they left the subtree for another unit of the tree: the record is read-only and shown as far
    as the subtree knew them, up to `until`, the day they left it — nothing later (events,
    stints, units, disciplines, attendance) and none of the personal data that may have changed
    since (`HIDDEN_WHEN_FORMER`: there is no history of personal fields)."""

    member: object
    placements: tuple[Placement, ...] = ()
    current: bool = True

    @property
    def until(self) -> datetime.date | None:
        """The day a former member left the subtree (None for a current one)."""
        if self.current:
            return None
        ends = [high for p in self.placements for _, high in p.windows]
        return None if None in ends else max(ends)

    def knew(self, day: datetime.date | None) -> bool:
        """Whether the scope knew the member on `day` (any day for a current member)."""
        return self.until is None or (day is not None and day < self.until)

    def in_subtree_on(self, day: datetime.date) -> bool:
        return _placed_on(list(self.placements), day)

    def check_writable(self, scope: Scope, on: datetime.date | None, *, into=None) -> None:
        """ValidationError (Vietnamese) unless the scope may write about the member on `on` (None:
        whether it may write about them at all)."""
        name = self.member.full_name
        arriving = into is not None and on is not None and not any(p.holds(on) for p in self.placements)
        if arriving:
            if scope.unit_held_on(getattr(into, "pk", into), on):
                return
            raise ValidationError(
                f"Ngày {vn.format_date(on)} chi bộ tiếp nhận đảng viên {name} không thuộc phạm vi quản lý của đơn vị."
            )
        if not self.current:
            since = f" từ ngày {vn.format_date(self.until)}" if self.until else ""
            raise ValidationError(
                f"Đảng viên {name} không còn thuộc phạm vi quản lý của đơn vị{since}: hồ sơ chỉ để xem, "
                "đơn vị không ghi nhận thêm về đảng viên này."
            )
        started = on is not None and any(p.start <= on for p in self.placements)
        if started and not self.in_subtree_on(on):
            # (Before their first stint nothing but an arrival is possible: the event's own check
            # refuses anything else with its reason.)
            raise ValidationError(
                f"Ngày {vn.format_date(on)} đảng viên {name} không sinh hoạt trong phạm vi quản lý của đơn vị: "
                "chỉ ghi nhận những việc có hiệu lực khi đảng viên thuộc đơn vị."
            )

    def shown_member(self):
        """The member as the page may show them: a copy without the personal data hidden from a
        scope the member has left (the record is never saved from it)."""
        if self.current:
            return self.member
        shown = copy.copy(self.member)
        for name in HIDDEN_WHEN_FORMER:
            field = shown._meta.get_field(name)
            setattr(shown, name, None if field.null else "")
        return shown


# Personal data that may have changed after a member left the subtree, and that a record kept in
# another unit since may have changed: a former member's page, sheet and exports leave them out.
# Identity (name, sex, birth date, ethnicity, home town) and the party dates as of the day they
# left (from their events up to that day) are shown.
HIDDEN_WHEN_FORMER = (
    "citizen_id", "residence", "religion", "education", "qualification", "theory_level", "foreign_language",
    "occupation", "workplace", "party_position", "government_position", "union_position", "card_number",
    "badge",
)  # fmt: skip


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
