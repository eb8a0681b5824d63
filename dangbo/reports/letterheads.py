"""The heading and signature of a unit's documents on a day (Hướng dẫn 36-HD/VPTW): what its
`Letterhead` sets, the rest from its name and place in the tree on that day."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from dangbo.orgs.models import CELL_KINDS, UnitKind, UnitVersion

from .models import Letterhead


@dataclass
class Heading:
    superior_name: str  # top left, first line
    issuer_name: str  # top left, second line, bold, with a "*" under it
    symbol: str  # of the issuer, after the slash of the number-symbol
    place: str
    authority: str  # T/M BAN THƯỜNG VỤ
    signer_title: str
    signer_name: str
    recipients: list[str]


def _issuer(name: str) -> str:
    """A committee issues in the name of its executive committee: "Đảng bộ X" -> "Đảng ủy X"."""
    if name.lower().startswith("đảng bộ"):
        return "Đảng ủy" + name[len("đảng bộ") :]
    return name


def locality_of(unit_id: int, day: datetime.date) -> str:
    """The place name (địa danh) of a unit's documents on `day`: its letterhead's, else the nearest
    committee's above it that sets one ("" when none does). One query, then one per level climbed."""
    places = dict(Letterhead.objects.exclude(place="").values_list("unit_id", "place"))
    seen = set()
    while unit_id is not None and unit_id not in seen:
        if unit_id in places:
            return places[unit_id]
        seen.add(unit_id)
        unit_id = UnitVersion.objects.on(day).filter(unit_id=unit_id).values_list("parent_id", flat=True).first()
    return ""


def letterhead_of(unit_id: int, day: datetime.date) -> Heading:
    """Three queries, and `locality_of`'s when the unit sets no place of its own."""
    version = UnitVersion.objects.on(day).filter(unit_id=unit_id).first()
    parent = None
    if version is not None and version.parent_id:
        parent = UnitVersion.objects.on(day).filter(unit_id=version.parent_id).first()
    own = Letterhead.objects.filter(unit_id=unit_id).first() or Letterhead(unit_id=unit_id)
    name = version.name if version else ""
    is_cell = version is not None and version.kind in CELL_KINDS
    top = version is not None and version.kind == UnitKind.SUPERIOR
    above = parent.name if parent else name
    return Heading(
        superior_name=(own.superior_name or above).upper(),
        issuer_name=(own.issuer_name or _issuer(name)).upper(),
        symbol=own.symbol or ("CB" if is_cell else "ĐU"),
        # The place-date line names a locality: the letterhead's, else the nearest committee's above.
        place=own.place or (locality_of(version.parent_id, day) if version is not None and version.parent_id else ""),
        authority=own.authority or ("T/M CHI BỘ" if is_cell else ("T/M BAN THƯỜNG VỤ" if top else "T/M ĐẢNG ỦY")),
        signer_title=own.signer_title or "BÍ THƯ",
        signer_name=own.signer_name,
        recipients=[line.strip() for line in own.recipients.splitlines() if line.strip()]
        or ([f"- {parent.name} (để báo cáo)," if parent else "- Cấp ủy cấp trên (để báo cáo),", "- Lưu."]),
    )
