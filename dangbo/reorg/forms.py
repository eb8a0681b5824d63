"""The forms of the reorganisation pages: each gathers the decision (number, signing date, issuing
body), the effective date and the operation's own choices, and turns them into the keyword
arguments of its plan and action (`arguments`)."""

from __future__ import annotations

from django import forms

from dangbo.lib.forms import Meaning, date_field
from dangbo.lib.http import today
from dangbo.members.models import Stint
from dangbo.orgs.labels import labelled_choices
from dangbo.orgs.models import CELL_KINDS, UnitVersion, form_rules

from .plan import Decision, NewUnit

NEW = "new"
SPLIT_WAYS = 3  # destinations a split form offers


def unit_choices(scope, *, below: bool = True, kinds=None) -> list[tuple[int, str]]:
    """The units of the scope today (strictly below its own unit when `below`), labelled."""
    day = today()
    root = scope.root_on(day)
    units = scope.units_on(day)
    if below and root is not None:
        units = units.exclude(unit_id=root.unit_id)
    if kinds:
        units = units.filter(kind__in=kinds)
    return labelled_choices(units.order_by("path"), day)


class DecisionForm(forms.Form):
    decision_number = forms.CharField(label="Số quyết định", max_length=64)
    signed_on = date_field("Ngày ký quyết định", meaning=Meaning.FACT)
    issuing_body = forms.CharField(label="Cơ quan ban hành", max_length=255,
                                   help_text="Ví dụ: Ban Thường vụ Đảng ủy Khối.")  # fmt: skip
    effective_on = date_field("Ngày hiệu lực")

    def __init__(self, scope, *args, **kwargs):
        self.scope = scope
        super().__init__(*args, **kwargs)
        # The decision's fields first: the operation's own follow.
        order = ["decision_number", "signed_on", "issuing_body", "effective_on"]
        self.order_fields(order + [name for name in self.fields if name not in order])

    def common(self) -> dict:
        data = self.cleaned_data
        decision = Decision(data["decision_number"].strip(), data["signed_on"], data["issuing_body"].strip())
        return {"on": data["effective_on"], "decision": decision}


class _KnownUnits:
    """Accepts, besides the units listed (today's), any unit that ever lay in the scope: one
    dissolved since, chosen on a page drawn before, is refused by the plan with its reason; a unit
    never in the scope is an invalid choice (the view answers 404)."""

    known: frozenset = frozenset()

    def valid_value(self, value):
        try:
            return int(value) in self.known or super().valid_value(value)
        except (TypeError, ValueError):
            return super().valid_value(value)


class UnitField(_KnownUnits, forms.TypedChoiceField):
    pass


class UnitsField(_KnownUnits, forms.TypedMultipleChoiceField):
    pass


def known_units(scope) -> frozenset:
    return frozenset(scope.units_ever().values_list("unit_id", flat=True))


def _unit_field(label, choices, required=True, empty="— Chọn —", known=frozenset()) -> UnitField:
    field = UnitField(label=label, choices=[("", empty), *choices], coerce=int, required=required, empty_value=None)
    field.known = known
    return field


class MergeForm(DecisionForm):
    def __init__(self, scope, *args, **kwargs):
        super().__init__(scope, *args, **kwargs)
        units = unit_choices(scope)
        known = known_units(scope)
        self.fields["sources"] = UnitsField(
            label="Các tổ chức hợp nhất (cùng loại)", choices=units, coerce=int,
            help_text="Giữ phím Ctrl để chọn nhiều tổ chức.", widget=forms.SelectMultiple(attrs={"size": 10}),
        )  # fmt: skip
        self.fields["sources"].known = known
        self.fields["receiver"] = UnitField(
            label="Đơn vị nhận", choices=[(NEW, "Thành lập tổ chức mới (điền bên dưới)"), *units], coerce=str,
        )  # fmt: skip
        self.fields["receiver"].known = known
        self.fields["new_name"] = forms.CharField(label="Tên tổ chức mới", max_length=255, required=False)
        self.fields["new_form"] = forms.ChoiceField(
            label="Loại tổ chức mới", required=False,
            choices=[("", "— Chọn —"), *((code, rule.name) for code, rule in form_rules().items())],
        )  # fmt: skip
        self.fields["new_parent"] = _unit_field("Trực thuộc (tổ chức mới)", unit_choices(scope, below=False),
                                                required=False)  # fmt: skip

    def clean(self):
        data = super().clean()
        if data.get("receiver") == NEW:
            for name, message in (("new_name", "Hãy nhập tên tổ chức mới."), ("new_form", "Hãy chọn loại tổ chức."),
                                  ("new_parent", "Hãy chọn tổ chức cấp trên.")):  # fmt: skip
                if not data.get(name):
                    self.add_error(name, message)
        return data

    def arguments(self) -> dict:
        data = self.cleaned_data
        receiver = data["receiver"]
        receiver = NewUnit(data["new_name"], data["new_form"], data["new_parent"]) if receiver == NEW else int(receiver)
        return {**self.common(), "sources": data["sources"], "receiver": receiver}


class RenameForm(DecisionForm):
    def __init__(self, scope, *args, **kwargs):
        super().__init__(scope, *args, **kwargs)
        self.fields["unit"] = _unit_field("Tổ chức", unit_choices(scope), known=known_units(scope))
        self.fields["name"] = forms.CharField(label="Tên mới", max_length=255)

    def arguments(self) -> dict:
        return {**self.common(), "unit": self.cleaned_data["unit"], "name": self.cleaned_data["name"]}


class MoveForm(DecisionForm):
    def __init__(self, scope, *args, **kwargs):
        super().__init__(scope, *args, **kwargs)
        known = known_units(scope)
        self.fields["unit"] = _unit_field("Tổ chức chuyển đi (cùng các tổ chức trực thuộc)", unit_choices(scope),
                                          known=known)  # fmt: skip
        self.fields["parent"] = _unit_field("Chuyển về trực thuộc", unit_choices(scope, below=False), known=known)

    def arguments(self) -> dict:
        return {**self.common(), "unit": self.cleaned_data["unit"], "parent": self.cleaned_data["parent"]}


class DissolveForm(DecisionForm):
    def __init__(self, scope, *args, **kwargs):
        super().__init__(scope, *args, **kwargs)
        units, known = unit_choices(scope), known_units(scope)
        self.fields["unit"] = _unit_field("Tổ chức giải thể", units, known=known)
        self.fields["receiver"] = _unit_field(
            "Đơn vị nhận các tổ chức trực thuộc và đảng viên", units, required=False,
            empty="Không có (tổ chức không còn tổ chức trực thuộc, đảng viên)", known=known,
        )  # fmt: skip

    def arguments(self) -> dict:
        return {**self.common(), "unit": self.cleaned_data["unit"], "receiver": self.cleaned_data["receiver"]}


def _cell_members(cell_id: int) -> list[tuple[int, str]]:
    """The members holding an official stint in the cell today or later, by name."""
    stints = (Stint.unscoped.filter(unit_id=cell_id, kind="official", end__isnull=True)
              .select_related("member").order_by("member__sort_key"))  # fmt: skip
    return [(s.member_id, s.member.full_name) for s in stints]


class TransferForm(DecisionForm):
    """Chuyển sinh hoạt hàng loạt from `cell` (a version of the scope's)."""

    def __init__(self, scope, cell: UnitVersion, *args, **kwargs):
        super().__init__(scope, *args, **kwargs)
        self.cell = cell
        self.fields["members"] = forms.TypedMultipleChoiceField(
            label=f"Đảng viên chuyển đi từ {cell.name}", choices=_cell_members(cell.unit_id), coerce=int,
            widget=forms.CheckboxSelectMultiple,
        )  # fmt: skip
        cells = [c for c in unit_choices(scope, kinds=CELL_KINDS) if c[0] != cell.unit_id]
        self.fields["to"] = _unit_field("Chi bộ đến", cells, known=known_units(scope))

    def arguments(self) -> dict:
        data = self.cleaned_data
        return {**self.common(), "cell": self.cell.unit_id, "to": data["to"], "member_ids": data["members"]}


class SplitForm(DecisionForm):
    """Chia tách `source`: up to SPLIT_WAYS destinations, each an existing unit or a new one (of
    the source's form, under the same parent); where each sub-unit and member goes."""

    def __init__(self, scope, source: UnitVersion, *args, **kwargs):
        super().__init__(scope, *args, **kwargs)
        self.source = source
        known = known_units(scope)
        same_kind = [c for c in unit_choices(scope, kinds=[source.kind]) if c[0] != source.unit_id]
        ways = [("", "Ở lại tổ chức cũ")] + [(str(i), f"Đơn vị nhận {i + 1}") for i in range(SPLIT_WAYS)]
        for i in range(SPLIT_WAYS):
            self.fields[f"dest_{i}"] = _unit_field(f"Đơn vị nhận {i + 1}: tổ chức có sẵn", same_kind, required=False,
                                                   empty="— Thành lập mới (nhập tên) —", known=known)  # fmt: skip
            self.fields[f"name_{i}"] = forms.CharField(label=f"Đơn vị nhận {i + 1}: tên tổ chức mới", max_length=255,
                                                       required=False)  # fmt: skip
        self.fields["keep"] = forms.BooleanField(label="Giữ lại tổ chức cũ (không giải thể)", required=False)
        self.placed = []
        day = today()
        for child in UnitVersion.objects.on(day).filter(parent_id=source.unit_id).order_by("name"):
            self.fields[f"unit_{child.unit_id}"] = forms.ChoiceField(label=child.name, choices=ways, required=False)
            self.placed.append(f"unit_{child.unit_id}")
        if source.kind in CELL_KINDS:
            for member_id, name in _cell_members(source.unit_id):
                self.fields[f"member_{member_id}"] = forms.ChoiceField(label=f"Đảng viên {name}", choices=ways,
                                                                       required=False)  # fmt: skip
                self.placed.append(f"member_{member_id}")

    def placement_fields(self):
        return [self[name] for name in self.placed]

    def head_fields(self):
        return [self[name] for name in self.fields if name not in self.placed]

    def arguments(self) -> dict | None:
        data = self.cleaned_data
        destinations, index = [], {}
        for i in range(SPLIT_WAYS):
            if data.get(f"dest_{i}"):
                index[str(i)] = len(destinations)
                destinations.append(data[f"dest_{i}"])
            elif data.get(f"name_{i}", "").strip():
                index[str(i)] = len(destinations)
                destinations.append(NewUnit(data[f"name_{i}"], self.source.form_code, self.source.parent_id))
        children, members = {}, {}
        for name in self.placed:
            way = data.get(name)
            if not way:
                continue
            if way not in index:
                self.add_error(name, f"Đơn vị nhận {int(way) + 1} chưa được chọn hoặc đặt tên.")
                return None
            kind, _, pk = name.partition("_")
            (children if kind == "unit" else members)[int(pk)] = index[way]
        return {**self.common(), "source": self.source.unit_id, "destinations": destinations, "children": children,
                "members": members, "keep": data.get("keep", False)}  # fmt: skip
