"""The organisation tree, effective-dated.

A `Unit` is the lasting identity of a party organisation. Everything about it that can change —
name, kind, parent — lives in `UnitVersion` rows, each valid over a half-open interval
[valid_from, valid_to). The tree as it stood on a date is the set of versions valid on that date;
history is never rewritten, a change closes one version and opens the next.

Subtree queries use a materialised path stored on each version: the ids of the unit's ancestors and
its own, each zero-padded to PATH_WIDTH digits ("00000001" + "00000007" + …). Why a path rather
than a recursive CTE or a closure table: the overview must group members of a subtree by direct
sub-unit as of a date, in one query, at national scale. With a path, "in the subtree of X on day D"
is an indexed prefix match on versions valid on D, and "which direct sub-unit" is a substring of
the path, so the grouping is a plain GROUP BY on both SQLite and PostgreSQL. The price is that
moving a unit writes new versions for its whole subtree; reorganisations are rare and small
compared with the reads. A closure table would need the same rewrite and many more rows; a
recursive CTE cannot use an index for the date-bounded walk and its cost grows with depth × width.
"""

from __future__ import annotations

import datetime
import time
from typing import NamedTuple

from django.conf import settings
from django.db import models

from dangbo.lib.dates import valid_on

PATH_WIDTH = 8


def path_segment(unit_id: int) -> str:
    return f"{unit_id:0{PATH_WIDTH}d}"


def path_after(path: str) -> str:
    """A bound above every path under `path` and below the paths that follow (paths are digits, in
    segments of PATH_WIDTH), for reading a subtree as a range of the index on `path` (SQLite uses
    no index for LIKE): "…0042" gives "…0043"; after "…9999", "A" (letters follow digits)."""
    after = str(int(path) + 1).zfill(len(path))
    return after if len(after) == len(path) else "A"


def path_prefixes(path: str) -> list[str]:
    """The paths of a unit's ancestors and its own, from the top of the tree down."""
    return [path[:width] for width in range(PATH_WIDTH, len(path) + 1, PATH_WIDTH)]


def default_code(unit_id: int) -> str:
    """The code of a unit founded without one: every unit has a code, by which the exchange
    workbook names it."""
    return f"DV{unit_id:05d}"


class UnitKind(models.TextChoices):
    """A unit's place in the Party's statute (DOMAIN §2), by which the figures count it. Every
    committee above the grassroots — a bloc, a district, a commune since 07/2025, a city — is a
    SUPERIOR: what differs between them is their form (`UnitForm`, data)."""

    SUPERIOR = "superior", "Đảng bộ cấp trên cơ sở"
    GRASSROOTS_COMMITTEE = "grassroots_committee", "Đảng bộ cơ sở"
    GRASSROOTS_CELL = "grassroots_cell", "Chi bộ cơ sở"
    SUB_COMMITTEE = "sub_committee", "Đảng bộ bộ phận"
    ATTACHED_CELL = "attached_cell", "Chi bộ trực thuộc"


# Which kind may sit under which (None: at the top of our tree), as the statute has it (DOMAIN §2):
# the rules the default forms start with (migration orgs 0004). The rules in force are data,
# `UnitForm.parents`, which a province shaped otherwise configures (levels above the grassroots).
ALLOWED_PARENT_KINDS: dict[str, set[str | None]] = {
    UnitKind.SUPERIOR: {None},
    UnitKind.GRASSROOTS_COMMITTEE: {UnitKind.SUPERIOR},
    UnitKind.GRASSROOTS_CELL: {UnitKind.SUPERIOR},
    UnitKind.SUB_COMMITTEE: {UnitKind.GRASSROOTS_COMMITTEE},
    UnitKind.ATTACHED_CELL: {UnitKind.GRASSROOTS_COMMITTEE, UnitKind.SUB_COMMITTEE},
}
CELL_KINDS = (UnitKind.GRASSROOTS_CELL, UnitKind.ATTACHED_CELL)
# Tổ chức cơ sở đảng: the units directly under a committee above the grassroots.
GRASSROOTS_KINDS = (UnitKind.GRASSROOTS_COMMITTEE, UnitKind.GRASSROOTS_CELL)


class UnitForm(models.Model):
    """A form of party organisation (loại tổ chức) as a province names it — Đảng bộ thành phố,
    Đảng bộ huyện, Đảng bộ xã, Đảng bộ Khối, Đảng bộ cơ sở … — with its place in the statute
    (`kind`) and where it may sit. Data, not code: the 2025 reorganisation changed which committees
    stand above the grassroots, and provinces differ (DOMAIN: configurable).

    A version without a form has its kind's default form, whose code is the kind's value (made by
    migration orgs 0004)."""

    code = models.SlugField("mã", max_length=32, primary_key=True)
    name = models.CharField("tên loại", max_length=128, unique=True)
    kind = models.CharField("cấp theo Điều lệ", max_length=32, choices=UnitKind.choices)
    at_top = models.BooleanField("có thể đứng đầu cây", default=False)
    parents = models.ManyToManyField("self", symmetrical=False, blank=True, related_name="children",
                                     verbose_name="được đặt dưới")  # fmt: skip
    order = models.PositiveSmallIntegerField("thứ tự", default=0)

    class Meta:
        verbose_name = "loại tổ chức"
        verbose_name_plural = "loại tổ chức"
        ordering = ["order", "name"]

    def __str__(self):
        return self.name


class Unit(models.Model):
    """A party organisation's identity. Its name and place over time are in `versions`."""

    code = models.CharField("mã", max_length=32, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "tổ chức đảng"
        verbose_name_plural = "tổ chức đảng"

    def __str__(self):
        version = self.versions.order_by("-valid_from").first()
        return version.name if version else f"Tổ chức #{self.pk}"

    def version_on(self, on: datetime.date) -> UnitVersion | None:
        return self.versions.filter(valid_on(on)).first()


class UnitVersionQuerySet(models.QuerySet):
    def on(self, day: datetime.date):
        return self.filter(valid_on(day))

    def under(self, path: str):
        """Versions whose unit is `path`'s unit or below it (combine with `on`)."""
        return self.filter(path__startswith=path)


class UnitVersion(models.Model):
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="versions")
    name = models.CharField("tên", max_length=255)
    kind = models.CharField("loại", max_length=32, choices=UnitKind.choices)
    # None: the kind's default form (code = kind), so that bulk writers need not name it.
    form = models.ForeignKey(UnitForm, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             verbose_name="loại tổ chức")  # fmt: skip
    parent = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="child_versions")
    path = models.CharField(max_length=255, db_index=True)
    depth = models.PositiveSmallIntegerField()
    valid_from = models.DateField("hiệu lực từ")
    valid_to = models.DateField("hiệu lực đến (không kể)", null=True, blank=True)
    decision = models.CharField("quyết định", max_length=128, blank=True)

    objects = UnitVersionQuerySet.as_manager()

    class Meta:
        verbose_name = "thời kỳ của tổ chức"
        verbose_name_plural = "các thời kỳ của tổ chức"
        indexes = [
            # A unit's version on a day, with its place, from the index alone (the cell of each
            # admission or rating placed in the tree of its day).
            models.Index(fields=["unit", "valid_from", "valid_to", "path"], name="unitversion_unit_day"),
            models.Index(fields=["parent", "valid_from"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True) | models.Q(valid_to__gt=models.F("valid_from")),
                name="unitversion_ends_after_start",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def form_code(self) -> str:
        return self.form_id or self.kind

    def get_kind_display(self) -> str:
        """The name of the unit's form (Đảng bộ xã, Đảng bộ Khối …), read from `form_names`."""
        return form_names().get(self.form_code) or UnitKind(self.kind).label


_FORM_NAMES: dict = {}


def form_names() -> dict[str, str]:
    """{form code: name}, read at most once a minute per process (settings.FORM_NAMES_SECONDS): a
    list of units names each one's form, and the forms are a dozen rows that change once in years.
    A change in this process is seen at once; in the server's other processes within the minute."""
    now = time.monotonic()
    if not _FORM_NAMES or now - _FORM_NAMES["at"] > getattr(settings, "FORM_NAMES_SECONDS", 60):
        _FORM_NAMES.update(names=dict(UnitForm.objects.values_list("code", "name")), at=now)
    return _FORM_NAMES["names"]


class FormRule(NamedTuple):
    kind: str
    name: str
    at_top: bool
    parents: frozenset[str]


def form_rules() -> dict[str, FormRule]:
    """{form code: its rule}: the statute's five default forms (`ALLOWED_PARENT_KINDS`), as the
    database configures them, and the forms the database adds. Two queries; read when a unit is
    founded or moved."""
    rules = {
        kind.value: FormRule(kind.value, kind.label, None in parents, frozenset(p for p in parents if p))
        for kind in UnitKind
        for parents in [ALLOWED_PARENT_KINDS[kind]]
    }
    parents: dict[str, set[str]] = {}
    for child, parent in UnitForm.parents.through.objects.values_list("from_unitform_id", "to_unitform_id"):
        parents.setdefault(child, set()).add(parent)
    for code, name, kind, at_top in UnitForm.objects.values_list("code", "name", "kind", "at_top"):
        rules[code] = FormRule(kind, name, at_top, frozenset(parents.get(code, ())))
    return rules


def kind_parents(rules: dict[str, FormRule] | None = None) -> dict[str, set[str | None]]:
    """{kind: the kinds it may sit under, None for the top}: what some form of the kind may, for a
    list (the exchange workbook) that names kinds, not forms."""
    rules = rules or form_rules()
    allowed: dict[str, set[str | None]] = {kind.value: set() for kind in UnitKind}
    for rule in rules.values():
        allowed[rule.kind] |= {rules[p].kind for p in rule.parents if p in rules}
        if rule.at_top:
            allowed[rule.kind].add(None)
    return allowed


def forget_form_names(**kwargs) -> None:
    _FORM_NAMES.clear()


models.signals.post_save.connect(forget_form_names, sender=UnitForm)
models.signals.post_delete.connect(forget_form_names, sender=UnitForm)
models.signals.m2m_changed.connect(forget_form_names, sender=UnitForm.parents.through)


def latest_names(unit_ids) -> dict[int, str]:
    """The latest name of each unit (a unit dissolved since keeps its last one). One query."""
    names = {}
    rows = UnitVersion.objects.filter(unit_id__in=unit_ids).order_by("valid_from").values_list("unit_id", "name")
    for unit_id, name in rows:
        names[unit_id] = name
    return names


class Succession(models.Model):
    """A unit that ended by joining another (sáp nhập, hợp nhất): the successor carries on its
    work, and the predecessor's history up to that day is the successor's to read (its members,
    reports, ratings, under the old name). Written by the reorganisation's merger."""

    predecessor = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="successions")
    successor = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="predecessions")
    on = models.DateField("từ ngày")
    decision = models.CharField("quyết định", max_length=255, blank=True)

    class Meta:
        verbose_name = "đơn vị tiền thân"
        verbose_name_plural = "đơn vị tiền thân"
        constraints = [
            models.UniqueConstraint(fields=["predecessor", "successor"], name="succession_unique"),
        ]

    def __str__(self):
        return f"{self.predecessor} → {self.successor} ({self.on:%d/%m/%Y})"


class Term(models.Model):
    """A congress term (nhiệm kỳ) of a committee, e.g. 2020–2025."""

    committee = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="terms")
    name = models.CharField("nhiệm kỳ", max_length=32)
    starts_on = models.DateField("bắt đầu")
    ends_on = models.DateField("kết thúc", null=True, blank=True)

    class Meta:
        verbose_name = "nhiệm kỳ"
        verbose_name_plural = "nhiệm kỳ"
        ordering = ["committee", "starts_on"]
        constraints = [
            models.UniqueConstraint(fields=["committee", "starts_on"], name="term_unique_start"),
        ]

    def __str__(self):
        return f"Nhiệm kỳ {self.name}"
