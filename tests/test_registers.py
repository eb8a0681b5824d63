"""Party age, Party badges (/huy-hieu/, page and Excel), the member register (mẫu 7-HSĐV, Excel) and
the printable member sheet (/dang-vien/<id>/phieu/).

Members are recorded with the actions in chibo's cell of the demo (founded 1997), or in a cell founded
by the test inside coso's committee; expected figures are computed by hand (hand-written SQL over
members_stint and members_event, a separate replay of the events; names ordered with
dangbo.lib.vn.name_sort_key), not by the code under test."""

from __future__ import annotations

import csv
import datetime
import io
import shutil
import subprocess
from urllib.parse import unquote

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangbo.accounts.models import User
from dangbo.demo.builder import REFERENCE_DAY
from dangbo.lib import vn
from dangbo.lib.http import today
from dangbo.members.actions import (
    accept_resignation,
    admit,
    exempt,
    expel,
    readmit,
    recognise,
    record_death,
    remove,
    restore,
    send_temporarily,
    transfer_in,
    transfer_out,
    transfer_within,
)
from dangbo.members.actions import timeline_of as app_timeline_of
from dangbo.members.badges import badge_list, next_occasion, occasions_between, previous_occasion
from dangbo.members.models import Member
from dangbo.orgs.actions import found_unit
from dangbo.orgs.models import Unit, UnitKind, UnitVersion
from tests.helpers import hand_path

d = datetime.date
DAY = datetime.timedelta(days=1)
BADGES = "/huy-hieu/"
REGISTER = "/dang-vien/so-danh-sach/"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NOT_FOUND = "Không tìm thấy trang"
ELSEWHERE = "Đảng bộ tỉnh Lào Cai"
# The default occasions (day, month) and badge years, written out here rather than read from settings.
DEFAULT_OCCASIONS = [(3, 2), (19, 5), (2, 9), (7, 11)]
BADGE_YEARS = [30, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90]
# An occasion of the default calendar and the one before it (chibo's cell exists on both).
OCCASION = d(2027, 9, 2)
BEFORE = d(2027, 5, 19)
AFTER = d(2027, 11, 7)
REGISTER_COLUMNS = [
    "Số TT",
    "Họ và tên khai sinh (tên gọi khác)",
    "Ngày sinh; nam, nữ; dân tộc; tôn giáo",
    "Quê quán",
    "Văn hóa, lý luận, chuyên môn nghiệp vụ, ngoại ngữ",
    "Nghề nghiệp, nơi làm việc hiện nay",
    "Ngày vào Đảng, ngày chính thức",
    "Số thẻ đảng viên, số lý lịch, Huy hiệu Đảng",
    "Bộ đội, công an, hưu trí",
    "Ngày chuyển đi, đến đảng bộ nào",
    "Ngày chuyển đến, từ đảng bộ nào",
    "Ngày từ trần, lý do",
    "Ngày ra khỏi Đảng, hình thức ra Đảng",
    "Ghi chú",
    "Chi bộ",
    "Trực thuộc",
]
BADGE_COLUMNS = [
    "Số TT",
    "Họ và tên",
    "Ngày sinh",
    "Giới tính",
    "Chi bộ",
    "Ngày vào Đảng",
    "Ngày chính thức",
    "Tuổi đảng tính từ",
    "Huy hiệu",
    "Đủ tuổi đảng ngày",
]
# Columns of the register (0-based) that record a leaving.
WENT_TO, CAME_FROM, DIED, LEFT, NOTES = 9, 10, 11, 12, 13

# --- hand computations, independent of the code under test ----------------------------------------


def hand_add_years(day: datetime.date, years: int) -> datetime.date:
    if day.month == 2 and day.day == 29 and not _leap(day.year + years):
        return d(day.year + years, 2, 28)
    return d(day.year + years, day.month, day.day)


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def hand_whole_years(start: datetime.date, on: datetime.date) -> int:
    years = on.year - start.year
    if (on.month, on.day) < (start.month, start.day):
        years -= 1
    return years


def hand_occasions(year_from: int, year_to: int) -> list[datetime.date]:
    return sorted(d(y, month, day) for y in range(year_from, year_to + 1) for day, month in DEFAULT_OCCASIONS)


def hand_previous(occasion: datetime.date) -> datetime.date:
    return max(o for o in hand_occasions(occasion.year - 1, occasion.year) if o < occasion)


def _as_date(value) -> datetime.date:
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(str(value)[:10])


def hand_counted(unit_id: int, on: datetime.date, *, status: str | None = None) -> list[int]:
    """Members holding official activity on `on` in a unit that was under `unit_id` on `on`."""
    sql = """
        SELECT s.member_id FROM members_stint s
        JOIN orgs_unitversion v ON v.unit_id = s.unit_id
             AND v.valid_from <= %s AND (v.valid_to IS NULL OR v.valid_to > %s)
        WHERE s.kind = 'official' AND s.start <= %s AND (s."end" IS NULL OR s."end" > %s)
          AND v.path LIKE %s || '%%'
    """
    params = [on, on, on, on, hand_path(unit_id, on)]
    if status:
        sql += " AND s.status = %s"
        params.append(status)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def hand_counted_in_cell(unit_id: int, on: datetime.date) -> list[int]:
    """The members of one cell on `on`: official stints open on the day in that very unit."""
    sql = """
        SELECT member_id FROM members_stint
        WHERE unit_id = %s AND kind = 'official' AND start <= %s AND ("end" IS NULL OR "end" > %s)
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [unit_id, on, on])
        return [row[0] for row in cursor.fetchall()]


def hand_left(unit_id: int, on: datetime.date) -> set[int]:
    """Members whose official stint ended between 1 January and `on` (both included) in a unit that was
    under `unit_id` on the last day of that stint, and who are not counted under `unit_id` on `on`."""
    sql = """
        SELECT DISTINCT s.member_id FROM members_stint s
        JOIN orgs_unitversion v ON v.unit_id = s.unit_id
             AND v.valid_from < s."end" AND (v.valid_to IS NULL OR v.valid_to >= s."end")
        JOIN orgs_unitversion r ON r.unit_id = %s
             AND r.valid_from < s."end" AND (r.valid_to IS NULL OR r.valid_to >= s."end")
        WHERE s.kind = 'official' AND s."end" >= %s AND s."end" <= %s AND v.path LIKE r.path || '%%'
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [unit_id, d(on.year, 1, 1), on])
        ids = {row[0] for row in cursor.fetchall()}
    return ids - set(hand_counted(unit_id, on))


STARTS = {"admission", "readmission", "restoration"}
ENDS = {"death", "removal", "expulsion", "resignation", "non_recognition"}


def hand_party_starts(member_ids, on: datetime.date) -> dict[int, datetime.date]:
    """First admission decision + every day spent out of the Party by `on`, from the active events
    (raw SQL): what the member does later does not change their party age on that day."""
    events: dict[int, list] = {}
    ids = list(member_ids)
    for chunk in range(0, len(ids), 500):
        part = ids[chunk : chunk + 500]
        sql = f"""
            SELECT member_id, kind, effective_on FROM members_event
            WHERE cancelled_at IS NULL AND effective_on <= %s AND member_id IN ({", ".join(["%s"] * len(part))})
            ORDER BY effective_on, id
        """
        with connection.cursor() as cursor:
            cursor.execute(sql, [on, *part])
            for member_id, kind, effective_on in cursor.fetchall():
                events.setdefault(member_id, []).append((kind, _as_date(effective_on)))
    starts = {}
    for member_id, rows in events.items():
        admitted, out_since, days_out = None, None, 0
        for kind, day in rows:
            if kind == "admission":
                admitted = day
            elif kind in STARTS and out_since is not None:
                days_out += (day - out_since).days
                out_since = None
            elif kind in ENDS:
                out_since = day
        if admitted is not None and out_since is None:
            starts[member_id] = admitted + datetime.timedelta(days=days_out)
    return starts


def hand_badges(unit_id: int, occasion: datetime.date) -> set[tuple[int, int, datetime.date]]:
    """(member, years, day reached) of the official members counted under `unit_id` on `occasion` whose
    party age reaches a badge year after the previous occasion and by this one."""
    since = hand_previous(occasion)
    starts = hand_party_starts(hand_counted(unit_id, occasion, status="official"), occasion)
    due = set()
    for member_id, start in starts.items():
        for years in BADGE_YEARS:
            reached = hand_add_years(start, years)
            if since < reached <= occasion:
                due.add((member_id, years, reached))
    return due


# --- fixtures and builders ------------------------------------------------------------------------


@pytest.fixture
def actor(db):
    return User.objects.create(username="kiemthu_sodanhsach")


@pytest.fixture
def cell(demo) -> Unit:
    """chibo's cell (in coso's committee, founded 1997)."""
    return Unit.objects.get(pk=demo["chibo"])


@pytest.fixture
def test_cell(actor, demo) -> Unit:
    """A cell founded by the test in coso's committee, holding only the test's members."""
    coso = Unit.objects.get(pk=demo["coso"])
    return found_unit(actor, name="Chi bộ Kiểm thử Sổ danh sách", kind=UnitKind.ATTACHED_CELL, parent=coso,
                      on=d(2010, 1, 1))  # fmt: skip


def person(name: str, birth: datetime.date | None = None, sex: str = "M", **extra) -> dict:
    words = name.split()
    return dict(family_name=words[0], middle_name=" ".join(words[1:-1]), given_name=words[-1], sex=sex,
                birth_date=birth or d(1960, 4, 15), **extra)  # fmt: skip


def member(actor, unit, name, admitted, *, official=True, other_side="", **fields) -> Member:
    """Admitted by the decision of `admitted` (in `unit`, or outside when `other_side`), ceremony two
    weeks later, and recognised when `official`."""
    fields.setdefault("birth", vn.add_years(admitted, -25))
    m = admit(actor, person(name, **fields), unit=None if other_side else unit, effective_on=admitted,
              ceremony_on=admitted + 14 * DAY, other_side=other_side)  # fmt: skip
    if official:
        recognise(actor, m)
    return m


def veteran(actor, unit, name, admitted) -> Member:
    """Admitted before chibo's cell existed: elsewhere, then transferred into `unit` in 2000."""
    m = member(actor, unit, name, admitted, other_side=ELSEWHERE)
    transfer_in(actor, m, unit=unit, effective_on=d(2000, 1, 3), other_side=ELSEWHERE)
    return m


def timeline(m: Member):
    return app_timeline_of(Member.unscoped.get(pk=m.pk))


def due(unit_id: int, occasion: datetime.date) -> dict:
    """The app's badge list of `unit_id` at `occasion`, by member id."""
    root = UnitVersion.objects.on(occasion).get(unit_id=unit_id)
    rows = badge_list(root, occasion)
    by_member = {r.member_id: r for r in rows}
    assert len(by_member) == len(rows), "a member is listed twice"
    return by_member


def read_xlsx(content: bytes):
    """(sheet, heading lines, header titles, main rows, section title, section rows) of one of our
    workbooks: the heading, a blank line, the header, numbered rows, then a section titled in column A."""
    book = openpyxl.load_workbook(io.BytesIO(content))
    sheet = book.active
    rows = list(sheet.iter_rows(values_only=True))
    header_at = next(i for i, row in enumerate(rows) if row[0] == "Số TT")
    heading = [row[0] for row in rows[:header_at] if row[0]]
    main, section, section_title = [], [], None
    for row in rows[header_at + 1 :]:
        if isinstance(row[0], int):
            (section if section_title else main).append(row)
        elif row[0]:
            assert section_title is None, "one section only"
            section_title = row[0]
    return sheet, heading, list(rows[header_at]), main, section_title, section


def first_line(text) -> str:
    return (text or "").split("\n")[0]


def names_in_order(member_ids) -> list[str]:
    """Full names of the members in Vietnamese given-name order (then id)."""
    people = Member.unscoped.filter(pk__in=list(member_ids)).values_list("pk", "family_name", "middle_name",
                                                                           "given_name")  # fmt: skip
    ordered = sorted(people, key=lambda p: (vn.name_sort_key(p[1], p[2], p[3]), p[0]))
    return [" ".join(part for part in p[1:] if part) for p in ordered]


def get_register(client, **params):
    response = client.get(REGISTER, params)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == XLSX_TYPE
    return response


# --- party age ------------------------------------------------------------------------------------


def test_party_age_of_a_member_never_out_of_the_party(actor, cell):
    admitted = d(1998, 3, 10)
    m = member(actor, cell, "Trần Văn Tuổi", admitted)
    t = timeline(m)
    assert t.party_start == admitted
    official = hand_add_years(admitted + 14 * DAY, 1)
    assert t.official_on == official
    # The party age of a probationary member is not yet counted.
    assert t.party_age_on(admitted) is None
    assert t.party_age_on(official - DAY) is None
    for day in [official, d(2000, 3, 9), d(2000, 3, 10), d(2024, 9, 30), hand_add_years(admitted, 30) - DAY,
                hand_add_years(admitted, 30), d(2030, 1, 1)]:  # fmt: skip
        assert t.party_age_on(day) == hand_whole_years(admitted, day), day


def test_party_age_while_still_probationary_is_none(actor, cell):
    admitted = d(2024, 3, 1)
    m = member(actor, cell, "Lê Thị Dự", admitted, official=False, sex="F")
    t = timeline(m)
    assert t.official_on is None
    for day in [admitted, d(2024, 9, 30), d(2030, 1, 1)]:
        assert t.party_age_on(day) is None


# The times out of the Party below start on the admission's day of the month and avoid 29 February on
# both sides, so "the admission moved later by the days out" and "by the calendar months and days out"
# give the same day (the two readings differ otherwise; see the report of this test file).


def test_party_age_after_removal_and_readmission(actor, cell):
    admitted, removed, back = d(1998, 1, 10), d(2005, 1, 10), d(2008, 4, 20)
    m = member(actor, cell, "Phạm Văn Lại", admitted)
    remove(actor, m, effective_on=removed)
    assert timeline(m).party_start is None  # out of the Party
    readmit(actor, m, unit=cell, effective_on=back, ceremony_on=back + 15 * DAY)
    recognise(actor, m)
    t = timeline(m)
    # 3 years, 3 months and 10 days out (at least 36 months before a readmission): the start moves
    # by as much, and the probation of the readmission counts (Quy định 294-QĐ/TW, điểm 4.5.2).
    start = d(2001, 4, 20)
    assert t.party_start == start
    assert t.admitted_on == admitted  # the first admission stays the date of joining
    for day in [hand_add_years(back + 15 * DAY, 1), d(2024, 9, 30), hand_add_years(start, 30) - DAY,
                hand_add_years(start, 30)]:  # fmt: skip
        assert t.party_age_on(day) == hand_whole_years(start, day), day
    # Before the removal the party age counted from the admission; out of the Party, and on probation
    # again after the readmission, it is not counted.
    assert t.party_age_on(d(2004, 1, 10)) == hand_whole_years(admitted, d(2004, 1, 10)) == 6
    assert t.party_age_on(removed - DAY) == 6
    for day in [removed, d(2005, 9, 1), back, back + 100 * DAY]:
        assert t.party_age_on(day) is None, day


def test_party_age_during_the_first_period_of_a_readmitted_member(actor, cell):
    """The latest recognition does not hide the party age of the first official period."""
    admitted, removed, back = d(1998, 1, 10), d(2003, 3, 1), d(2006, 6, 15)
    m = member(actor, cell, "Phạm Văn Trước", admitted)
    remove(actor, m, effective_on=removed)
    readmit(actor, m, unit=cell, effective_on=back, ceremony_on=back + 15 * DAY)
    recognise(actor, m)
    day = d(2002, 1, 10)  # official since 24/01/1999, in the Party until 01/03/2003
    assert timeline(m).party_age_on(day) == hand_whole_years(admitted, day) == 4


def test_party_age_after_expulsion_and_restoration(actor, cell):
    admitted, expelled, restored = d(2001, 5, 5), d(2010, 5, 5), d(2011, 8, 20)
    m = member(actor, cell, "Hoàng Văn Phục", admitted)
    official = timeline(m).official_on
    expel(actor, m, effective_on=expelled)
    restore(actor, m, unit=cell, effective_on=restored)
    t = timeline(m)
    assert t.status == "official" and t.official_on == official  # restoration gives back the status
    start = admitted + (restored - expelled)
    assert t.party_start == start
    for day in [restored, d(2024, 9, 30), d(2029, 12, 31)]:
        assert t.party_age_on(day) == hand_whole_years(start, day), day


def test_party_age_of_a_member_admitted_elsewhere(actor, cell):
    """The transfer in does not move the start: party age counts from the admission decision."""
    admitted = d(1985, 11, 20)
    m = member(actor, cell, "Ngô Văn Xa", admitted, other_side=ELSEWHERE)
    transfer_in(actor, m, unit=cell, effective_on=d(2001, 4, 2), other_side=ELSEWHERE)
    t = timeline(m)
    assert t.party_start == admitted
    assert t.party_age_on(d(2024, 9, 30)) == hand_whole_years(admitted, d(2024, 9, 30)) == 38


def test_the_sheet_shows_the_party_age_of_today(as_user, actor, cell):
    admitted = d(1998, 1, 10)
    m = member(actor, cell, "Đinh Văn Phiếu", admitted)
    remove(actor, m, effective_on=d(2005, 1, 10))
    readmit(actor, m, unit=cell, effective_on=d(2008, 4, 20), ceremony_on=d(2008, 4, 30))
    recognise(actor, m)
    start = d(2001, 4, 20)  # 3 years, 3 months and 10 days out
    response = as_user("coso").get(f"/dang-vien/{m.pk}/phieu/")
    assert response.context["party_age"] == hand_whole_years(start, today())
    assert f"tuổi đảng: {hand_whole_years(start, today())} năm" in response.content.decode()


# --- occasions ------------------------------------------------------------------------------------


def test_occasions_between_uses_the_default_calendar():
    assert occasions_between(d(2026, 1, 1), d(2026, 12, 31)) == [d(2026, 2, 3), d(2026, 5, 19), d(2026, 9, 2),
                                                                 d(2026, 11, 7)]  # fmt: skip
    # Both ends are included; nothing outside.
    assert occasions_between(d(2026, 5, 19), d(2026, 9, 2)) == [d(2026, 5, 19), d(2026, 9, 2)]
    assert occasions_between(d(2026, 5, 20), d(2026, 9, 1)) == []
    # Across a year end.
    assert occasions_between(d(2026, 11, 7), d(2027, 2, 3)) == [d(2026, 11, 7), d(2027, 2, 3)]
    assert occasions_between(d(2026, 11, 8), d(2027, 2, 2)) == []
    assert occasions_between(d(2025, 9, 1), d(2027, 2, 3)) == hand_occasions(2025, 2027)[2:9]


@pytest.mark.parametrize(
    "day, expected",
    [
        (d(2026, 1, 1), d(2026, 2, 3)),
        (d(2026, 2, 3), d(2026, 2, 3)),
        (d(2026, 2, 4), d(2026, 5, 19)),
        (d(2026, 9, 2), d(2026, 9, 2)),
        (d(2026, 11, 7), d(2026, 11, 7)),
        (d(2026, 11, 8), d(2027, 2, 3)),
        (d(2026, 12, 31), d(2027, 2, 3)),
    ],
)
def test_next_occasion(day, expected):
    assert next_occasion(day) == expected


@pytest.mark.parametrize(
    "occasion, expected",
    [
        (d(2027, 2, 3), d(2026, 11, 7)),
        (d(2026, 5, 19), d(2026, 2, 3)),
        (d(2026, 9, 2), d(2026, 5, 19)),
        (d(2026, 11, 7), d(2026, 9, 2)),
    ],
)
def test_previous_occasion(occasion, expected):
    assert previous_occasion(occasion) == expected == hand_previous(occasion)


def test_overriding_the_occasions_changes_them(settings, actor, cell):
    # A member whose 30 years fall on 01/01/2027: due at 03/02/2027 with the default calendar.
    m = member(actor, cell, "Vũ Văn Lịch", d(1997, 1, 1))
    assert m.pk in due(cell.pk, d(2027, 2, 3))
    settings.BADGE_OCCASIONS = [(7, 11), (19, 5)]  # unsorted on purpose
    assert occasions_between(d(2026, 1, 1), d(2027, 12, 31)) == [d(2026, 5, 19), d(2026, 11, 7), d(2027, 5, 19),
                                                                 d(2027, 11, 7)]  # fmt: skip
    assert next_occasion(d(2026, 11, 28)) == d(2027, 5, 19)
    assert previous_occasion(d(2027, 5, 19)) == d(2026, 11, 7)
    assert previous_occasion(d(2026, 11, 7)) == d(2026, 5, 19)
    listed = due(cell.pk, d(2027, 5, 19))
    assert m.pk in listed and listed[m.pk].reached_on == d(2027, 1, 1)
    settings.BADGE_OCCASIONS = [(1, 12)]  # one occasion a year: the window is the whole year
    assert previous_occasion(d(2027, 12, 1)) == d(2026, 12, 1)
    assert m.pk in due(cell.pk, d(2027, 12, 1))
    assert m.pk not in due(cell.pk, d(2026, 12, 1))


# --- who is due a badge ---------------------------------------------------------------------------


@pytest.mark.parametrize("years", [30, 45])
def test_the_anniversary_falls_in_the_window(actor, cell, years):
    """Reached after the previous occasion and on or before this one: listed; one day later: not."""
    make = member if years == 30 else veteran  # 45 years ago chibo's cell did not exist yet
    on_the_day = make(actor, cell, "Trần Văn Đúng", hand_add_years(OCCASION, -years))
    day_after_previous = make(actor, cell, "Lê Văn Sớm", hand_add_years(BEFORE, -years) + DAY)
    at_previous = make(actor, cell, "Phạm Văn Trước", hand_add_years(BEFORE, -years))
    one_day_late = make(actor, cell, "Hồ Văn Muộn", hand_add_years(OCCASION, -years) + DAY)
    listed = due(cell.pk, OCCASION)
    for m in (on_the_day, day_after_previous):
        row = listed[m.pk]
        assert (row.years, row.party_start, row.admitted_on) == (years, m.admitted_on, m.admitted_on)
        assert row.reached_on == hand_add_years(m.admitted_on, years)
        assert BEFORE < row.reached_on <= OCCASION
        assert row.name == m.full_name and row.unit_id == cell.pk
    assert listed[on_the_day.pk].reached_on == OCCASION
    assert at_previous.pk not in listed
    assert one_day_late.pk not in listed
    # Each is proposed at exactly one occasion.
    assert due(cell.pk, BEFORE)[at_previous.pk].reached_on == BEFORE
    assert due(cell.pk, AFTER)[one_day_late.pk].reached_on == OCCASION + DAY
    assert on_the_day.pk not in due(cell.pk, AFTER)


def test_a_member_admitted_elsewhere_45_years_ago(actor, cell):
    m = veteran(actor, cell, "Ngô Văn Bốn", d(1982, 9, 2))
    row = due(cell.pk, OCCASION)[m.pk]
    assert (row.years, row.reached_on, row.party_start) == (45, OCCASION, d(1982, 9, 2))
    # 40 years were reached on 02/09/2022: proposed then, for the 40-year badge.
    assert due(cell.pk, d(2022, 9, 2))[m.pk].years == 40
    assert m.pk not in due(cell.pk, d(2022, 11, 7))


def test_time_out_of_the_party_delays_the_badge_by_exactly_that_time(actor, cell):
    admitted = d(1997, 6, 1)  # 30 years on 01/06/2027: due at 02/09/2027 without time out
    steady = member(actor, cell, "Trần Văn Đều", admitted)
    away = member(actor, cell, "Trần Văn Gián", admitted)
    removed, back = d(2005, 6, 1), d(2008, 9, 9)  # 3 years, 3 months and 8 days out
    remove(actor, away, effective_on=removed)
    readmit(actor, away, unit=cell, effective_on=back, ceremony_on=back + 10 * DAY)
    recognise(actor, away)
    listed = due(cell.pk, OCCASION)
    assert listed[steady.pk].reached_on == d(2027, 6, 1)
    assert away.pk not in listed
    assert away.pk not in due(cell.pk, d(2030, 9, 2))  # 30 years on 09/09/2030
    row = due(cell.pk, d(2030, 11, 7))[away.pk]
    assert (row.reached_on, row.party_start) == (d(2030, 9, 9), d(2000, 9, 9))
    assert row.years == 30 and row.admitted_on == admitted


def test_a_probationary_member_is_not_listed(actor, cell):
    m = member(actor, cell, "Đỗ Văn Chờ", d(1997, 7, 1), official=False)
    assert m.pk not in due(cell.pk, OCCASION)
    recognise(actor, m)  # the same member, recognised: now listed
    assert due(cell.pk, OCCASION)[m.pk].years == 30


def test_a_readmitted_member_on_probation_again_is_not_listed(actor, cell):
    m = member(actor, cell, "Đỗ Văn Lần", d(1997, 1, 5))
    remove(actor, m, effective_on=d(2022, 1, 5))
    readmit(actor, m, unit=cell, effective_on=d(2025, 4, 1), ceremony_on=d(2025, 4, 15))
    start = d(2000, 4, 1)  # 3 years, 2 months and 27 days out
    occasion = d(2030, 5, 19)  # 30 years reached on 01/04/2030, after 03/02/2030
    assert m.pk not in due(cell.pk, occasion)
    recognise(actor, m)  # recognised on 15/04/2026
    assert due(cell.pk, occasion)[m.pk].reached_on == hand_add_years(start, 30) == d(2030, 4, 1)


def readmitted_on_probation(actor, cell) -> Member:
    """30 years of party age on 01/03/2021, removed on 07/04/2022, readmitted on 02/12/2025 (36 months
    and more after) and on probation again until 10/12/2026, after today."""
    m = veteran(actor, cell, "Đỗ Văn Trở", d(1991, 3, 1))
    remove(actor, m, effective_on=d(2022, 4, 7))
    readmit(actor, m, unit=cell, effective_on=d(2025, 12, 2), ceremony_on=d(2025, 12, 10))
    return m


def test_a_member_readmitted_since_is_listed_at_an_occasion_when_official(actor, cell):
    """The list of an occasion reads the party age on that day, not after the latest event."""
    m = readmitted_on_probation(actor, cell)
    row = due(cell.pk, d(2021, 5, 19))[m.pk]
    assert (row.years, row.reached_on, row.party_start) == (30, d(2021, 3, 1), d(1991, 3, 1))
    assert m.pk not in due(cell.pk, d(2026, 9, 2))  # on probation again: not counted
    recognise(actor, m)  # effective 10/12/2026; 3 years, 7 months and 25 days out of the Party
    row = due(cell.pk, d(2034, 11, 7))[m.pk]
    assert (row.years, row.reached_on, row.party_start) == (40, d(2034, 10, 26), d(1994, 10, 26))


def test_a_member_removed_since_is_listed_at_an_occasion_when_official(actor, cell):
    m = veteran(actor, cell, "Đỗ Văn Xóa", d(1991, 3, 1))
    remove(actor, m, effective_on=d(2022, 4, 7))
    assert due(cell.pk, d(2021, 5, 19))[m.pk].years == 30


def test_the_member_page_explains_the_party_age_of_a_readmitted_member_on_probation(as_user, actor, cell):
    m = readmitted_on_probation(actor, cell)
    page = as_user("coso").get(f"/dang-vien/{m.pk}/")
    assert page.context["party_age"] is None
    note = ("— (dự bị sau khi kết nạp lại ngày 02/12/2025: được công nhận chính thức thì tuổi đảng tính từ "
            "ngày kết nạp lần đầu 01/03/1991, trừ thời gian ra khỏi Đảng, theo Quy định 294-QĐ/TW, điểm 4.5.2)")
    assert note in page.content.decode()
    assert note in as_user("coso").get(f"/dang-vien/{m.pk}/phieu/").content.decode()
    # On a day when they were official, the page shows the party age of that day.
    before = as_user("coso").get(f"/dang-vien/{m.pk}/", {"date": "2021-05-19"}).content.decode()
    assert "30 năm (tại ngày 19/05/2021)" in before and "dự bị sau khi kết nạp lại" not in before


@pytest.mark.parametrize("leaving", ["death", "transfer_out", "removal", "resignation"])
def test_a_member_who_left_is_not_listed(actor, cell, demo, leaving):
    m = member(actor, cell, "Bùi Văn Rời", d(1997, 7, 2))
    assert m.pk in due(cell.pk, OCCASION) and m.pk in due(demo["root"], OCCASION)
    day = d(2026, 6, 1)
    if leaving == "death":
        record_death(actor, m, effective_on=day, note="Bệnh nặng")
    elif leaving == "transfer_out":
        transfer_out(actor, m, effective_on=day, other_side=ELSEWHERE)
    elif leaving == "removal":
        remove(actor, m, effective_on=day)
    else:
        accept_resignation(actor, m, effective_on=day)
    assert m.pk not in due(cell.pk, OCCASION)
    assert m.pk not in due(demo["root"], OCCASION)


def test_a_member_moved_to_another_cell_is_listed_there(actor, cell, test_cell, demo):
    m = member(actor, cell, "Bùi Văn Chuyển", d(1997, 7, 3))
    transfer_within(actor, m, unit=test_cell, effective_on=d(2026, 6, 1))
    assert m.pk not in due(cell.pk, OCCASION)
    assert due(test_cell.pk, OCCASION)[m.pk].unit_name == "Chi bộ Kiểm thử Sổ danh sách — Đảng bộ Sở Tài chính"
    assert due(demo["coso"], OCCASION)[m.pk].unit_id == test_cell.pk


def test_the_list_is_sorted_by_badge_then_vietnamese_given_name(actor, cell, demo):
    thirty = hand_add_years(OCCASION, -30) - 10 * DAY
    forty_five = hand_add_years(OCCASION, -45) - 10 * DAY
    names = ["Trần Văn Phúc", "Lê Thị Ơn", "Nguyễn Văn Vân", "Phạm Thị Ước", "Hồ Văn Dũng", "Đỗ Văn Đức",
             "An Văn Bình", "Bình Văn An", "Lê Văn Anh", "Lê Văn Ánh", "Lê Văn Ân"]  # fmt: skip
    mine = [member(actor, cell, name, thirty) for name in names]
    mine.append(veteran(actor, cell, "Trần Văn Yên", forty_five))
    for unit_id in (cell.pk, demo["root"]):
        root = UnitVersion.objects.on(OCCASION).get(unit_id=unit_id)
        rows = badge_list(root, OCCASION)
        people = {m.pk: m for m in Member.unscoped.filter(pk__in=[r.member_id for r in rows])}

        def key(row, people=people):
            p = people[row.member_id]
            return -row.years, vn.name_sort_key(p.family_name, p.middle_name, p.given_name), row.member_id

        assert len(rows) > len(mine) if unit_id == demo["root"] else len(rows) >= len(mine)
        assert [r.member_id for r in rows] == [r.member_id for r in sorted(rows, key=key)]
    cell_rows = badge_list(UnitVersion.objects.on(OCCASION).get(unit_id=cell.pk), OCCASION)
    ours = {m.pk for m in mine}
    assert [r.name for r in cell_rows if r.member_id in ours] == [
        "Trần Văn Yên",  # 45 years first
        "Bình Văn An", "Lê Văn Anh", "Lê Văn Ánh", "Lê Văn Ân", "An Văn Bình", "Hồ Văn Dũng", "Đỗ Văn Đức",
        "Lê Thị Ơn", "Trần Văn Phúc", "Phạm Thị Ước", "Nguyễn Văn Vân",
    ]  # fmt: skip


def test_coso_list_stays_in_coso_committee(demo):
    outside = 0
    for occasion in hand_occasions(2024, 2027):
        coso = due(demo["coso"], occasion)
        everyone = due(demo["root"], occasion)
        counted = set(hand_counted(demo["coso"], occasion))
        assert set(coso) <= counted, occasion
        assert set(coso) <= set(everyone)
        assert {m for m in everyone if m not in coso} <= set(everyone) - counted
        outside += len(set(everyone) - set(coso))
    assert outside > 0  # the whole committee does hold members due outside coso's


@pytest.mark.parametrize("scope_key", ["root", "coso"])
def test_badge_list_matches_an_independent_replay_of_the_demo(demo, scope_key):
    total = 0
    for occasion in hand_occasions(2024, 2027):
        app = {(r.member_id, r.years, r.reached_on) for r in due(demo[scope_key], occasion).values()}
        assert app == hand_badges(demo[scope_key], occasion), occasion
        total += len(app)
    assert total > (50 if scope_key == "root" else 5)


# --- the badges page ------------------------------------------------------------------------------


@pytest.fixture
def due_next(actor, cell) -> Member:
    """A member of chibo's cell whose 30 years fall on the next occasion after today."""
    return member(actor, cell, "Nguyễn Văn Huy", hand_add_years(next_occasion(today()), -30))


@pytest.mark.parametrize("username", ["khoi", "coso", "chibo"])
def test_badges_page_lists_the_next_occasion(as_user, demo, due_next, username):
    response = as_user(username).get(BADGES)
    assert response.status_code == 200
    occasion = response.context["occasion"]
    assert occasion == next_occasion(today()) == min(o for o in hand_occasions(today().year, today().year + 1)
                                                     if o >= today())  # fmt: skip
    rows = response.context["rows"]
    assert rows and due_next.pk in [r.member_id for r in rows]
    html = response.content.decode()
    assert html.count("data-years=") == len(rows)
    assert "Nguyễn Văn Huy" in html
    scope_key = {"khoi": "root", "coso": "coso", "chibo": "chibo"}[username]
    expected = hand_badges(demo[scope_key], occasion)
    assert {(r.member_id, r.years, r.reached_on) for r in rows} == expected
    # Rows appear in the list's order.
    positions = [html.index(f'href="/dang-vien/{r.member_id}/"') for r in rows]
    assert positions == sorted(positions)


def test_badges_page_for_khoi_holds_the_demo_members_due(as_user, demo):
    response = as_user("khoi").get(BADGES)
    rows = response.context["rows"]
    occasion = response.context["occasion"]
    assert len(rows) == len(hand_badges(demo["root"], occasion)) > 0


def test_badges_page_chooses_an_occasion(as_user, due_next):
    client = as_user("coso")
    choices = client.get(BADGES).context["choices"]
    assert choices[0] == previous_occasion(today()) == hand_previous(today()) and len(choices) >= 5
    assert choices == [o for o in hand_occasions(today().year - 1, today().year + 1) if o >= choices[0]]
    chosen = choices[2]
    response = client.get(BADGES, {"dip": chosen.isoformat()})
    assert response.context["occasion"] == chosen
    assert response.context["since"] == choices[1]
    assert f'<option value="{chosen.isoformat()}" selected>' in response.content.decode()
    assert due_next.pk not in [r.member_id for r in response.context["rows"]]
    # A day that is not an offered occasion falls back to the next one.
    for bad in ["2027-02-04", "2020-02-03", "abc", "2027-13-45"]:
        assert client.get(BADGES, {"dip": bad}).context["occasion"] == next_occasion(today()), bad


def test_badges_page_of_a_sub_unit(as_user, demo, cell, due_next):
    response = as_user("coso").get(BADGES, {"unit": cell.pk})
    assert response.status_code == 200
    assert response.context["unit"].unit_id == cell.pk
    assert {r.unit_id for r in response.context["rows"]} == {cell.pk}


def test_badges_page_refuses_viewers_and_units_out_of_scope(as_user, demo, outsider, due_next):
    response = as_user("xem").get(BADGES)
    assert response.status_code == 404
    assert NOT_FOUND in response.content.decode()
    _, other_cell = outsider
    for username, unit_id in [("coso", other_cell), ("chibo", demo["coso"]), ("chibo", demo["root"])]:
        response = as_user(username).get(BADGES, {"unit": unit_id})
        assert response.status_code == 404, (username, unit_id)
        assert "Nguyễn Văn Huy" not in response.content.decode()
        response = as_user(username).get(BADGES, {"unit": unit_id, "xuat": "xlsx"})
        assert response.status_code == 404, (username, unit_id)
    assert as_user("xem").get(BADGES, {"xuat": "xlsx"}).status_code == 404


def test_badges_excel_export(as_user, demo, due_next):
    client = as_user("khoi")
    page = client.get(BADGES)
    rows = page.context["rows"]
    occasion = page.context["occasion"]
    response = client.get(BADGES, {"xuat": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_TYPE
    disposition = response["Content-Disposition"]
    root_name = UnitVersion.objects.on(occasion).get(unit_id=demo["root"]).name
    prefix = "filename*=UTF-8''"
    assert disposition.startswith("attachment; filename=")
    encoded = disposition[disposition.index(prefix) + len(prefix) :]
    assert unquote(encoded) == f"Huy hiệu Đảng {root_name} {occasion:%d-%m-%Y}.xlsx"
    sheet, heading, header, table, section_title, _ = read_xlsx(response.content)
    assert header == BADGE_COLUMNS
    assert section_title is None
    assert heading[0] == root_name.upper()
    assert heading[1] == f"DANH SÁCH ĐẢNG VIÊN ĐỀ NGHỊ TẶNG HUY HIỆU ĐẢNG ĐỢT {occasion:%d/%m/%Y}"
    assert heading[2] == f"{len(rows)} đảng viên"
    assert len(table) == len(rows) > 0
    assert [r[0] for r in table] == list(range(1, len(rows) + 1))
    assert [r[1] for r in table] == [r.name for r in rows]
    row = next(r for r in table if r[1] == "Nguyễn Văn Huy")
    assert row[8] == "Huy hiệu 30 năm tuổi Đảng"
    assert row[3] == "Nam"
    expected = hand_badges(demo["root"], occasion)
    assert len(expected) == len(table)
    # Dates are real date cells shown the Vietnamese way.
    header_at = next(i for i, r in enumerate(sheet.iter_rows(values_only=True), 1) if r[0] == "Số TT")
    for line in range(header_at + 1, header_at + 1 + len(table)):
        for column in (3, 6, 8, 10):
            cell = sheet.cell(row=line, column=column)
            assert isinstance(cell.value, datetime.datetime), (line, column, cell.value)
            assert cell.is_date and cell.number_format == "dd/mm/yyyy"
    line = header_at + 1 + [r[1] for r in table].index("Nguyễn Văn Huy")
    assert sheet.cell(row=line, column=10).value.date() == occasion
    assert sheet.cell(row=line, column=6).value.date() == due_next.admitted_on


def test_excel_download_names_the_file_in_ascii_too(as_user, due_next):
    disposition = as_user("khoi").get(BADGES, {"xuat": "xlsx"})["Content-Disposition"]
    assert 'filename="' in disposition


# --- the register (mẫu 7-HSĐV) --------------------------------------------------------------------


def test_register_of_the_whole_committee(as_user, demo):
    response = get_register(as_user("khoi"), date=REFERENCE_DAY.isoformat())
    root = UnitVersion.objects.on(REFERENCE_DAY).get(unit_id=demo["root"])
    disposition = response["Content-Disposition"]
    prefix = "filename*=UTF-8''"
    assert disposition.startswith('attachment; filename="so danh sach dang vien ')
    encoded = disposition[disposition.index(prefix) + len(prefix) :]
    assert unquote(encoded) == f"Sổ danh sách đảng viên {root.name} 30-09-2024.xlsx"
    _, heading, header, rows, section_title, gone = read_xlsx(response.content)
    assert header == REGISTER_COLUMNS
    assert heading == [
        root.name.upper(),
        "SỔ DANH SÁCH ĐẢNG VIÊN",
        "(Mẫu 7-HSĐV) · Tại ngày 30/09/2024 · 4.466 đảng viên",
    ]
    assert len(rows) == 4466  # the reference figure
    assert [r[0] for r in rows] == list(range(1, 4467))
    expected = hand_counted(demo["root"], REFERENCE_DAY)
    assert len(expected) == 4466
    assert [first_line(r[1]) for r in rows] == names_in_order(expected)
    assert section_title == "Đảng viên chuyển đi, từ trần, ra khỏi Đảng từ 01/01/2024"
    left = hand_left(demo["root"], REFERENCE_DAY)
    assert len(gone) == len(left) > 0
    assert [r[0] for r in gone] == list(range(1, len(gone) + 1))
    assert [first_line(r[1]) for r in gone] == names_in_order(left)


def test_register_rows_carry_the_member_record(as_user, demo, test_cell, actor):
    m = member(actor, test_cell, "Trương Thị Ghi", d(2015, 3, 2), sex="F", birth=d(1990, 7, 9),
               other_name="Bé", home_town="Xã Hòa An, tỉnh Cao Bằng", occupation="Sĩ quan quân đội",
               workplace="Bộ Chỉ huy quân sự", card_number="12345678", background_number="000777")  # fmt: skip
    _, _, _, rows, _, _ = read_xlsx(get_register(as_user("coso"), unit=test_cell.pk, date="2024-09-30").content)
    assert len(rows) == 1
    row = rows[0]
    assert row[1] == "Trương Thị Ghi\n(Bé)"
    assert row[2].split("\n")[:2] == ["09/07/1990", "Nữ"]
    assert row[3] == "Xã Hòa An, tỉnh Cao Bằng"
    assert row[5] == "Sĩ quan quân đội\nBộ Chỉ huy quân sự"
    assert row[6] == f"02/03/2015\n{m.official_on:%d/%m/%Y}" == "02/03/2015\n16/03/2016"
    assert row[7].split("\n")[:2] == ["12345678", "000777"]
    assert row[8] == "Quân đội"
    assert row[WENT_TO] == row[DIED] == row[LEFT] is None


@pytest.mark.parametrize("username", ["chibo", "coso", "khoi"])
def test_register_of_chibo_cell_matches_hand_sql(as_user, demo, username):
    scope_key = "chibo"
    params = {"date": REFERENCE_DAY.isoformat()}
    if username != "chibo":
        params["unit"] = demo[scope_key]
    _, heading, _, rows, _, _ = read_xlsx(get_register(as_user(username), **params).content)
    expected = hand_counted_in_cell(demo[scope_key], REFERENCE_DAY)
    assert 0 < len(rows) == len(expected)
    assert [first_line(r[1]) for r in rows] == names_in_order(expected)
    assert heading[0] == UnitVersion.objects.on(REFERENCE_DAY).get(unit_id=demo[scope_key]).name.upper()


def test_register_of_other_cells_and_dates_matches_hand_sql(as_user, demo):
    cells = list(
        UnitVersion.objects.on(d(2023, 6, 30)).filter(kind=UnitKind.ATTACHED_CELL).order_by("path")
        .values_list("unit_id", flat=True)[::60]
    )  # fmt: skip
    client = as_user("khoi")
    for unit_id in cells:
        for day in (d(2023, 6, 30), REFERENCE_DAY):
            _, _, _, rows, _, _ = read_xlsx(get_register(client, unit=unit_id, date=day.isoformat()).content)
            expected = hand_counted_in_cell(unit_id, day)
            assert [first_line(r[1]) for r in rows] == names_in_order(expected), (unit_id, day)


def test_register_second_part_lists_who_left_since_new_year(as_user, actor, demo, test_cell, cell):
    day = REFERENCE_DAY
    went = member(actor, test_cell, "Trần Văn An", d(2012, 3, 1))
    transfer_out(actor, went, effective_on=d(2024, 3, 1), other_side="Đảng bộ tỉnh Yên Bái")
    died = member(actor, test_cell, "Lê Thị Bình", d(2012, 3, 2), sex="F")
    record_death(actor, died, effective_on=d(2024, 5, 2), note="Bệnh nặng")
    removed = member(actor, test_cell, "Phạm Văn Cường", d(2012, 3, 3))
    remove(actor, removed, effective_on=d(2024, 6, 3))
    moved = member(actor, test_cell, "Đỗ Thị Dung", d(2012, 3, 4), sex="F")
    transfer_within(actor, moved, unit=cell, effective_on=d(2024, 7, 4))
    expelled = member(actor, test_cell, "Vũ Văn Em", d(2012, 3, 5))
    expel(actor, expelled, effective_on=d(2024, 1, 1))  # on 1 January: still this year
    last_year = member(actor, test_cell, "Hồ Văn Cũ", d(2012, 3, 6))
    transfer_out(actor, last_year, effective_on=d(2023, 12, 31), other_side=ELSEWHERE)
    arrived = member(actor, None, "Ngô Văn Giang", d(2010, 5, 5), other_side="Đảng bộ tỉnh Hà Giang")
    transfer_in(actor, arrived, unit=test_cell, effective_on=d(2024, 2, 1), other_side="Đảng bộ tỉnh Hà Giang")
    member(actor, test_cell, "Vũ Thị Hoa", d(2024, 4, 1), official=False, sex="F")
    leaves_later = member(actor, test_cell, "Lý Văn Khánh", d(2012, 3, 7))
    transfer_out(actor, leaves_later, effective_on=day + DAY, other_side=ELSEWHERE)

    _, _, _, rows, section_title, gone = read_xlsx(
        get_register(as_user("coso"), unit=test_cell.pk, date=day.isoformat()).content
    )
    assert [first_line(r[1]) for r in rows] == ["Ngô Văn Giang", "Vũ Thị Hoa", "Lý Văn Khánh"]
    by_name = {first_line(r[1]): r for r in rows}
    assert by_name["Ngô Văn Giang"][CAME_FROM] == "01/02/2024\nĐảng bộ tỉnh Hà Giang"
    assert by_name["Vũ Thị Hoa"][NOTES] == "Dự bị"
    assert by_name["Lý Văn Khánh"][WENT_TO] is None  # leaves after the day
    assert section_title == "Đảng viên chuyển đi, từ trần, ra khỏi Đảng từ 01/01/2024"
    assert [r[0] for r in gone] == [1, 2, 3, 4, 5]
    assert [first_line(r[1]) for r in gone] == ["Trần Văn An", "Lê Thị Bình", "Phạm Văn Cường", "Đỗ Thị Dung",
                                                "Vũ Văn Em"]  # fmt: skip
    gone = {first_line(r[1]): r for r in gone}
    version = UnitVersion.objects.on(day).get(unit_id=cell.pk)
    # A cell named with what it belongs to (orgs.labels): here, right under its committee.
    cell_name = f"{version.name} — {UnitVersion.objects.on(day).get(unit_id=version.parent_id).name}"
    expected = {
        "Trần Văn An": {WENT_TO: "01/03/2024\nĐảng bộ tỉnh Yên Bái"},
        "Lê Thị Bình": {DIED: "02/05/2024\nBệnh nặng"},
        "Phạm Văn Cường": {LEFT: "03/06/2024\nXóa tên"},
        "Đỗ Thị Dung": {WENT_TO: f"04/07/2024\n{cell_name}"},
        "Vũ Văn Em": {LEFT: "01/01/2024\nKhai trừ"},
    }
    for name, filled in expected.items():
        for column in (WENT_TO, DIED, LEFT):
            assert gone[name][column] == filled.get(column), (name, column, gone[name][column])
    # coso's register: Dung moved inside the committee, so she is counted there and has not left it.
    _, _, _, rows, _, gone = read_xlsx(get_register(as_user("coso"), date=day.isoformat()).content)
    counted = [first_line(r[1]) for r in rows]
    left = [first_line(r[1]) for r in gone]
    assert "Đỗ Thị Dung" in counted and "Đỗ Thị Dung" not in left
    assert {"Trần Văn An", "Lê Thị Bình", "Phạm Văn Cường", "Vũ Văn Em"} <= set(left)
    assert "Hồ Văn Cũ" not in left and "Hồ Văn Cũ" not in counted


def test_register_second_part_of_coso_matches_hand_sql(as_user, demo):
    client = as_user("khoi")
    for day in (d(2023, 12, 31), REFERENCE_DAY):
        _, _, _, rows, _, gone = read_xlsx(get_register(client, unit=demo["coso"], date=day.isoformat()).content)
        expected = hand_left(demo["coso"], day)
        assert [first_line(r[1]) for r in gone] == names_in_order(expected), day
        assert [first_line(r[1]) for r in rows] == names_in_order(hand_counted(demo["coso"], day)), day
    assert expected  # the demo has members who left coso's committee in 2024


def merged_committees() -> tuple[int, int, datetime.date]:
    """(merged, receiver, day) of the demo's merger: cells that changed parent on that day."""
    moved = UnitVersion.objects.filter(kind=UnitKind.ATTACHED_CELL, valid_from=d(2025, 7, 1)).first()
    if moved is None:
        pytest.fail("the demo should move cells from one committee to another on 01/07/2025")
    before = UnitVersion.objects.get(unit_id=moved.unit_id, valid_to=moved.valid_from)
    return before.parent_id, moved.parent_id, moved.valid_from


def test_register_second_part_follows_the_tree_of_that_time(as_user, demo):
    merged, receiver, _ = merged_committees()
    expected = hand_left(receiver, REFERENCE_DAY)
    elsewhere = hand_left(merged, REFERENCE_DAY)
    if not elsewhere:
        pytest.fail("the merged committee should have members who left in 2024")
    _, _, _, _, _, gone = read_xlsx(
        get_register(as_user("khoi"), unit=receiver, date=REFERENCE_DAY.isoformat()).content
    )
    assert [first_line(r[1]) for r in gone] == names_in_order(expected)


def test_register_does_not_note_an_exemption_of_a_member_who_died(as_user, actor, test_cell):
    m = member(actor, test_cell, "Lê Văn Miễn", d(2012, 3, 1))
    exempt(actor, m, effective_on=d(2020, 1, 6))
    record_death(actor, m, effective_on=d(2024, 8, 1), note="Tuổi cao")
    _, _, _, _, _, gone = read_xlsx(get_register(as_user("coso"), unit=test_cell.pk, date="2024-09-30").content)
    assert [first_line(r[1]) for r in gone] == ["Lê Văn Miễn"]
    assert gone[0][DIED] == "01/08/2024\nTuổi cao"
    assert "Miễn sinh hoạt" not in (gone[0][NOTES] or "")


def test_register_notes_exemption_and_temporary_activity(as_user, actor, test_cell):
    exempted = member(actor, test_cell, "Lê Văn Nghỉ", d(2012, 3, 1))
    exempt(actor, exempted, effective_on=d(2023, 1, 6))
    away = member(actor, test_cell, "Lê Văn Xa", d(2012, 3, 2))
    send_temporarily(actor, away, effective_on=d(2024, 6, 1), ends_on=d(2025, 6, 1), other_side=ELSEWHERE)
    _, _, _, rows, _, _ = read_xlsx(get_register(as_user("coso"), unit=test_cell.pk, date="2024-09-30").content)
    notes = {first_line(r[1]): r[NOTES] for r in rows}
    assert notes == {"Lê Văn Nghỉ": "Miễn công tác và sinh hoạt đảng từ 06/01/2023",
                     "Lê Văn Xa": "Sinh hoạt tạm thời ở nơi khác đến ngày 01/06/2025"}  # fmt: skip


def test_register_scope(as_user, demo, outsider):
    _, other_cell = outsider
    day = {"date": REFERENCE_DAY.isoformat()}
    for username, unit_id in [("coso", other_cell), ("chibo", demo["coso"]), ("chibo", demo["root"])]:
        response = as_user(username).get(REGISTER, {"unit": unit_id, **day})
        assert response.status_code == 404, (username, unit_id)
        assert NOT_FOUND in response.content.decode()
    assert as_user("xem").get(REGISTER, day).status_code == 404
    # chibo, without ?unit=, gets their own cell and nothing of the rest of coso's committee.
    _, heading, _, rows, _, _ = read_xlsx(get_register(as_user("chibo"), **day).content)
    own = hand_counted_in_cell(demo["chibo"], REFERENCE_DAY)
    assert len(rows) == len(own) < len(hand_counted(demo["coso"], REFERENCE_DAY))
    assert heading[0] == UnitVersion.objects.on(REFERENCE_DAY).get(unit_id=demo["chibo"]).name.upper()
    # A unit that did not exist on the day is not found either.
    late = UnitVersion.objects.filter(valid_from__gt=REFERENCE_DAY, path__startswith=hand_path(demo["coso"],
                                      REFERENCE_DAY)).first()  # fmt: skip
    assert late is not None
    assert as_user("coso").get(REGISTER, {"unit": late.unit_id, **day}).status_code == 404


def test_anonymous_users_are_sent_to_login(client, demo):
    for url in (REGISTER, BADGES):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith("/dang-nhap/"), url


# --- LibreOffice opens the files ------------------------------------------------------------------


def test_libreoffice_opens_the_register_and_the_badge_list(as_user, demo, due_next, tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        pytest.skip("LibreOffice không có trên máy (apt-get install -y libreoffice-calc): bỏ qua kiểm tra mở tệp.")
    client = as_user("coso")
    register = get_register(client, unit=demo["chibo"], date=REFERENCE_DAY.isoformat()).content
    badges = client.get(BADGES, {"xuat": "xlsx"})
    assert badges.status_code == 200
    (tmp_path / "so_danh_sach.xlsx").write_bytes(register)
    (tmp_path / "huy_hieu.xlsx").write_bytes(badges.content)
    out = tmp_path / "csv"
    result = subprocess.run(
        [soffice, f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless", "--norestore",
         "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76", "--outdir", str(out),
         str(tmp_path / "so_danh_sach.xlsx"), str(tmp_path / "huy_hieu.xlsx")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    register_csv = (out / "so_danh_sach.csv").read_text(encoding="utf-8")
    badges_csv = (out / "huy_hieu.csv").read_text(encoding="utf-8")
    expected = names_in_order(hand_counted_in_cell(demo["chibo"], REFERENCE_DAY))
    lines = list(csv.reader(io.StringIO(register_csv)))
    names = [first_line(line[1]) for line in lines if line and line[0].isdigit()]
    assert names == expected
    assert "SỔ DANH SÁCH ĐẢNG VIÊN" in register_csv
    assert "Nguyễn Văn Huy" in badges_csv
    badge_lines = [line for line in csv.reader(io.StringIO(badges_csv)) if line and line[0].isdigit()]
    assert len(badge_lines) == len(client.get(BADGES).context["rows"])
    # The dates come out as dates in the Vietnamese format.
    huy = next(line for line in badge_lines if line[1] == "Nguyễn Văn Huy")
    assert huy[5] == f"{hand_add_years(next_occasion(today()), -30):%d/%m/%Y}"


# --- the member sheet -----------------------------------------------------------------------------


def sheet_url(m: Member) -> str:
    return f"/dang-vien/{m.pk}/phieu/"


def test_member_sheet(as_user, actor, cell, test_cell):
    m = member(actor, cell, "Nguyễn Thị Hường Phiếu", d(2001, 8, 19), sex="F")
    transfer_within(actor, m, unit=test_cell, effective_on=d(2015, 1, 5), decision_number="12-QĐ/ĐU")
    for username in ("khoi", "coso"):
        response = as_user(username).get(sheet_url(m))
        assert response.status_code == 200, username
        html = response.content.decode()
        assert "PHIẾU ĐẢNG VIÊN" in html
        assert "NGUYỄN THỊ HƯỜNG PHIẾU" in html
        assert "Ngày vào Đảng: 19/08/2001" in html
        assert f"ngày chính thức: {m.official_on:%d/%m/%Y}" in html
        for text in ("Kết nạp", "Công nhận đảng viên chính thức", "Chuyển sinh hoạt chính thức trong Đảng bộ",
                     "Chi bộ Kiểm thử Sổ danh sách", "12-QĐ/ĐU", "05/01/2015"):  # fmt: skip
            assert text in html, text
        assert html.index("19/08/2001") < html.index("05/01/2015")


def test_member_sheet_is_hidden_outside_the_scope(as_user, actor, cell, outsider):
    m = member(actor, cell, "Hoàng Văn Kín", d(2001, 8, 19))
    username, _ = outsider
    for who in (username, "xem"):
        response = as_user(who).get(sheet_url(m))
        assert response.status_code == 404, who
        assert "HOÀNG VĂN KÍN" not in response.content.decode()
    assert as_user("chibo").get(sheet_url(m)).status_code == 200  # chibo's own cell


def test_member_sheet_queries_do_not_grow_with_events(as_user, actor, cell, test_cell):
    few = member(actor, cell, "Trần Văn Ít", d(2001, 8, 19))
    many = member(actor, cell, "Trần Văn Nhiều", d(2001, 8, 19))
    for year in range(2011, 2021, 3):
        transfer_within(actor, many, unit=test_cell, effective_on=d(year, 2, 1))
        transfer_within(actor, many, unit=cell, effective_on=d(year + 1, 2, 1))
    send_temporarily(actor, many, effective_on=d(2022, 1, 1), ends_on=d(2022, 7, 1), other_side=ELSEWHERE)
    exempt(actor, many, effective_on=d(2023, 1, 1))
    assert many.events.count() >= few.events.count() + 10
    client = as_user("coso")
    counts = []
    for m in (few, many):
        client.get(sheet_url(m))  # warm the session
        with CaptureQueriesContext(connection) as queries:
            response = client.get(sheet_url(m))
        assert response.status_code == 200
        assert response.content.decode().count("<tr><td>") == m.events.count()
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
