"""The members' answers to the tree's announcements (dangbo.orgs.signals), connected in
MembersConfig.ready(). Both run inside the transaction of the tree's change."""

from __future__ import annotations

import datetime

from django.db.models import Q

from dangbo.lib import vn

from .models import Stint
from .tallies import refresh_tallies, units_above


def refresh_after_tree_change(sender, *, units: list[int], **kwargs) -> None:
    """The subtree tallies of every unit a changed unit ever stood under (and its own) change with it."""
    refresh_tallies(units_above(units))


def members_still_in(sender, *, unit, on: datetime.date, **kwargs) -> str | None:
    """A unit is not dissolved while a member's stint in it runs on `on` or starts later."""
    members = Stint.unscoped.filter(unit=unit).filter(Q(end__isnull=True) | Q(end__gt=on))
    if members.exists():
        return (
            f"Không thể giải thể: còn {members.values('member').distinct().count()} đảng viên sinh hoạt "
            f"tại đây từ ngày {vn.format_date(on)} trở đi; hãy chuyển sinh hoạt trước."
        )
    return None
