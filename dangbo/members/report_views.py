"""Lists users print or exchange: the member register (Excel), the badge list (page and Excel) and
the printable member sheet."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from dangbo.accounts.scope import scope_for
from dangbo.audit.log import record_read
from dangbo.lib import vn, xlsx
from dangbo.lib.http import date_from_request, id_param, today

from .actions import ordered
from .badges import badge_list, next_occasion, occasions_between, previous_occasion
from .events import replay
from .registers import register_workbook
from .views import clip_stints, known_day, known_events, name_events


def _unit(request, scope, on):
    """The unit of `?unit=` in the scope on `on`, else the scope's own unit (404 outside)."""
    unit_id = id_param(request.GET.get("unit"))
    return scope.unit_on_or_404(unit_id, on) if unit_id else scope.root_on(on)


@login_required
def register(request):
    scope = scope_for(request, people=True)
    on, _ = date_from_request(request)
    unit = _unit(request, scope, on)
    if unit is None:
        return render(request, "404.html", status=404)
    content = register_workbook(unit, on, scope)
    record_read(request, "register_download", unit.unit, note=f"Sổ danh sách ngày {vn.format_date(on)}",
                unit=unit.unit_id)  # fmt: skip
    return xlsx.response(content, f"Sổ danh sách đảng viên {unit.name} {on:%d-%m-%Y}.xlsx")


BADGE_COLUMNS = [
    ("Số TT", 6), ("Họ và tên", 26), ("Ngày sinh", 12), ("Giới tính", 9), ("Chi bộ", 30), ("Ngày vào Đảng", 13),
    ("Ngày chính thức", 13), ("Tuổi đảng tính từ", 14), ("Huy hiệu", 12), ("Đủ tuổi đảng ngày", 14),
]  # fmt: skip


@login_required
def badges(request):
    scope = scope_for(request, people=True)
    choices = occasions_between(previous_occasion(today()), datetime.date(today().year + 1, 12, 31))
    chosen = vn.parse_date(request.GET.get("dip", ""))
    occasion = chosen if chosen in choices else next_occasion(today())
    unit = _unit(request, scope, occasion)
    rows = badge_list(unit, occasion) if unit is not None else []
    if request.GET.get("xuat") == "xlsx" and unit is not None:
        sex = {"M": "Nam", "F": "Nữ"}
        table = [
            [i, r.name, r.birth_date, sex.get(r.sex, ""), r.unit_name, r.admitted_on, r.official_on, r.party_start,
             f"Huy hiệu {r.years} năm tuổi Đảng", r.reached_on]
            for i, r in enumerate(rows, 1)
        ]  # fmt: skip
        content = xlsx.workbook(
            sheet_title="Huy hiệu Đảng",
            heading=[
                unit.name.upper(),
                f"DANH SÁCH ĐẢNG VIÊN ĐỀ NGHỊ TẶNG HUY HIỆU ĐẢNG ĐỢT {vn.format_date(occasion)}",
                f"{vn.format_number(len(rows))} đảng viên",
            ],
            columns=BADGE_COLUMNS,
            rows=table,
        )  # fmt: skip
        record_read(request, "badges_download", unit.unit, note=f"Đợt {vn.format_date(occasion)}", unit=unit.unit_id)
        return xlsx.response(content, f"Huy hiệu Đảng {unit.name} {occasion:%d-%m-%Y}.xlsx")
    context = {"unit": unit, "occasion": occasion, "choices": choices, "rows": rows,
               "since": previous_occasion(occasion), "years": settings.BADGE_YEARS}  # fmt: skip
    return render(request, "members/badges.html", context)


@login_required
def member_sheet(request, member_id: int):
    """The member sheet (Phiếu đảng viên, mẫu 2-HSĐV) laid out for printing."""
    scope = scope_for(request, people=True)
    seen = scope.member_or_404(member_id)
    member = seen.shown_member()
    on = known_day(seen, today())
    events = known_events(seen, member.events.active().order_by("effective_on", "pk"))
    timeline = replay(ordered(e for e in events if seen.knew(e.effective_on)))
    name_events(seen, events)
    if not seen.current:  # the party dates as of the day they left
        member.admitted_on, member.official_on = timeline.admitted_on or member.admitted_on, timeline.official_on
    context = {
        "member": member,
        "seen": seen,
        "on": today(),
        "timeline": timeline,
        "party_age": timeline.party_age_on(on),
        "readmission_probation": timeline.readmission_probation_on(on),
        "events": events,
        "printed_by": request.user,
    }
    # Placed where the member stood last as the scope knew them, as the record's opening is.
    stints = clip_stints(seen, seen.member.stints.order_by("start", "kind"))
    record_read(request, "member_sheet", seen.member, unit=stints[-1].unit_id if stints else None)
    return render(request, "members/sheet.html", context)
