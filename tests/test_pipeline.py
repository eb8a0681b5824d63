"""The admission pipeline (dangbo.admissions): the deadlines of a scope (`pipeline_deadlines`) and the
overview cards that show them, candidates created and edited through /ket-nap/moi/ and /ket-nap/<id>/,
the admission decision (/ket-nap/<id>/ket-nap/), and the /ket-nap/ page (tables, order, filters,
search, query count).

Members are admitted with `dangbo.members.actions.admit` into cells of the demo (mostly chibo's cell);
each test runs in a transaction that is rolled back. Working-day deadlines are computed by hand in
the comments (weekends, and the Tết days off of the workdays calendar), and once more by a day-by-day
walk over the calendar table read with hand-written SQL.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangbo.accounts.models import User
from dangbo.admissions.actions import admit_candidate
from dangbo.admissions.deadlines import pipeline_deadlines
from dangbo.admissions.models import REQUIRED_BEFORE_DECISION, Candidate
from dangbo.audit.models import AuditEntry
from dangbo.demo.builder import HORIZON, REFERENCE_DAY
from dangbo.lib import vn
from dangbo.lib.http import today
from dangbo.members.actions import admit, recognise, record_ceremony
from dangbo.members.figures import subtree_figures
from dangbo.members.models import Event, Member, MemberStatus, Stint, StintKind, UnitTally
from dangbo.orgs.models import Unit, UnitKind, UnitVersion
from tests.helpers import hand_path, is_vietnamese

d = datetime.date
DAY = datetime.timedelta(days=1)
PIPELINE = "/ket-nap/"
NEW = "/ket-nap/moi/"
NOT_FOUND = "Không tìm thấy trang"
FORBIDDEN = "Không có quyền thực hiện"
REQUIRED = "Trường này là bắt buộc."
BAD_CELL = "Chi bộ không hợp lệ hoặc ngoài phạm vi quản lý."
FIGURES = ("ceremonies", "probations", "overdue_recognitions", "certificates")
MEMBER_LISTS = ("ceremonies", "probations", "recognitions")


def candidate_url(candidate) -> str:
    return f"/ket-nap/{candidate.pk}/"


def admit_url(candidate) -> str:
    return f"/ket-nap/{candidate.pk}/ket-nap/"


# --- fixtures and helpers --------------------------------------------------------------------------


@pytest.fixture
def actor(demo) -> User:
    return User.objects.get(username="coso")


@pytest.fixture
def neighbour(demo) -> int:
    """Another attached cell directly under coso's committee, there since before 2020 and still today."""
    version = (
        UnitVersion.objects.on(today())
        .filter(parent_id=demo["coso"], kind=UnitKind.ATTACHED_CELL, valid_from__lte=d(2020, 1, 1))
        .exclude(unit_id=demo["chibo"])
        .order_by("path")
        .first()
    )
    assert version is not None
    return version.unit_id


def version(unit_id: int, on: datetime.date) -> UnitVersion:
    return UnitVersion.objects.on(on).get(unit_id=unit_id)


def hand_label(unit_id: int, on: datetime.date) -> str:
    """The unit as it stood on `on`, with its ancestors up to its grassroots organisation (the top of
    the tree only for a unit right under it)."""
    path = version(unit_id, on).path
    ids = [int(path[i : i + 8]) for i in range(0, len(path), 8)]
    above = ids[1:-1] or ids[:-1]
    return " — ".join(version(u, on).name for u in [ids[-1], *reversed(above)])


def deadlines(unit_id: int, on: datetime.date):
    return pipeline_deadlines(version(unit_id, on), on)


MEMBER_BIRTH, CANDIDATE_BIRTH, IDENTIFIED = d(1994, 4, 12), d(1998, 5, 12), d(2023, 3, 1)


def new_member(actor, cell_id: int, decided: datetime.date, ceremony: datetime.date | None = None, *,
               given="Khải", middle="Đình", family="Vũ", sex="M", birth=MEMBER_BIRTH) -> Member:  # fmt: skip
    person = dict(family_name=family, middle_name=middle, given_name=given, sex=sex, birth_date=birth)
    return admit(actor, person, unit=Unit.objects.get(pk=cell_id), effective_on=decided, ceremony_on=ceremony,
                 decision_number="12-QĐ/ĐU", issuing_body="Đảng ủy")  # fmt: skip


def on_probation_ending(actor, cell_id: int, ends: datetime.date, **names) -> Member:
    """A probationary member whose 12 months of probation end on `ends` (ceremony a year before)."""
    if (ends.month, ends.day) == (2, 29):  # no ceremony has its anniversary on 29/2 (see vn.add_years)
        ends -= DAY
    ceremony = vn.add_years(ends, -1)
    assert vn.add_years(ceremony, 1) == ends
    return new_member(actor, cell_id, ceremony - 10 * DAY, ceremony, **names)


def listed(result, person_id: int, lists=MEMBER_LISTS) -> dict:
    """{list name: row} of the lists of `result` that hold `person_id`."""
    return {name: row for name in lists for row in getattr(result, name) if row.person_id == person_id}


def new_candidate(cell_id: int, *, given="Thảo", middle="Thị Thu", family="Lương", sex="F", birth=CANDIDATE_BIRTH,
                  identified=IDENTIFIED, course=None, dossier=(), citizen_id="", member=None) -> Candidate:  # fmt: skip
    return Candidate.unscoped.create(
        family_name=family, middle_name=middle, given_name=given, sex=sex, birth_date=birth, citizen_id=citizen_id,
        cell_id=cell_id, identified_on=identified, course_passed_on=course, dossier=list(dossier), member=member,
    )  # fmt: skip


def all_counts() -> dict[str, int]:
    models = (Member, Event, Stint, UnitTally, Candidate, AuditEntry)
    manager = {Member: "unscoped", Event: "unscoped", Stint: "unscoped", Candidate: "unscoped"}
    return {m.__name__: getattr(m, manager.get(m, "objects")).count() for m in models}


# --- hand-written SQL and a day-by-day calendar walk, independent of the app ------------------------


def as_date(value) -> datetime.date | None:
    if value is None or isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value)[:10])


def hand_calendar() -> dict[datetime.date, bool]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT day, is_working_day FROM workdays_calendarday")
        return {as_date(day): bool(working) for day, working in cursor.fetchall()}


def hand_working_days(start: datetime.date, end: datetime.date, calendar: dict, stop: int | None = None) -> int:
    """Working days d with start < d <= end, walking day by day (stops counting beyond `stop`)."""
    count, day = 0, start
    while day < end and (stop is None or count <= stop):
        day += DAY
        count += calendar.get(day, day.weekday() < 5)
    return count


def hand_add_years(day: datetime.date, years: int) -> datetime.date:
    if (day.month, day.day) == (2, 29):
        try:
            return d(day.year + years, 2, 29)
        except ValueError:
            return d(day.year + years, 2, 28)
    return d(day.year + years, day.month, day.day)


def hand_deadline_counts(unit_id: int, on: datetime.date) -> dict[str, int]:
    """The four figures of the cards, recomputed from the tables with hand-written SQL."""
    path = hand_path(unit_id, on)
    probationary_sql = """
        SELECT e.member_id, e.effective_on, e.ceremony_on, e.id FROM members_event e
        WHERE e.kind IN ('admission', 'readmission') AND e.cancelled_at IS NULL AND e.member_id IN (
            SELECT s.member_id FROM members_stint s
            JOIN orgs_unitversion v ON v.unit_id = s.unit_id
                 AND v.valid_from <= %s AND (v.valid_to IS NULL OR v.valid_to > %s)
            WHERE s.kind = 'official' AND s.status = 'probationary'
              AND s.start <= %s AND (s."end" IS NULL OR s."end" > %s) AND v.path LIKE %s
        )
    """
    certificates_sql = """
        SELECT c.course_passed_on FROM admissions_candidate c
        JOIN orgs_unitversion v ON v.unit_id = c.cell_id
             AND v.valid_from <= %s AND (v.valid_to IS NULL OR v.valid_to > %s)
        WHERE c.member_id IS NULL AND c.course_passed_on IS NOT NULL AND v.path LIKE %s
    """
    with connection.cursor() as cursor:
        cursor.execute(probationary_sql, [on, on, on, on, path + "%"])
        admissions = cursor.fetchall()
        cursor.execute(certificates_sql, [on, on, path + "%"])
        certificates = [as_date(row[0]) for row in cursor.fetchall()]
    latest = {}
    for member_id, effective_on, ceremony_on, _pk in sorted(admissions, key=lambda r: (r[0], as_date(r[1]), r[3])):
        latest[member_id] = (as_date(effective_on), as_date(ceremony_on))
    calendar = hand_calendar()
    counts = dict.fromkeys(FIGURES, 0)
    for _decided, ceremony in latest.values():
        if ceremony is None:
            counts["ceremonies"] += 1
            continue
        ends = hand_add_years(ceremony, 1)
        if on < ends <= on + 60 * DAY:
            counts["probations"] += 1
        elif ends <= on and hand_working_days(ends, on, calendar, stop=30) > 30:
            counts["overdue_recognitions"] += 1
    counts["certificates"] = sum(1 for passed in certificates if hand_add_years(passed, 5) <= on + 90 * DAY)
    return counts


def cards(response) -> dict[str, int]:
    html = response.content.decode()
    found = {key: int(value.replace(".", "")) for key, value in re.findall(r'data-figure="(\w+)">([\d.]+)<', html)}
    return {key: found[key] for key in FIGURES}


# --- deadlines: the ceremony ---------------------------------------------------------------------


CEREMONY_CASES = {
    # Decision on Friday 2/2/2024. Counting from Monday 5/2 (the decision day is not counted):
    #   5, 6, 7/2 ......................................... 3   (8–9/2 and 12–14/2: Tết Giáp Thìn)
    #   15, 16/2 .......................................... 5
    #   19–23/2, 26/2–1/3, 4–8/3, 11–15/3 ................. 25
    #   18–22/3 ........................................... 30  → due Friday 22/3/2024 (15/3 without Tết)
    # The first working day after it is Monday 25/3.
    "friday 2/2/2024": (d(2024, 2, 2), d(2024, 3, 22), d(2024, 3, 25)),
    # Decision on Wednesday 7/2/2024, the last working day before Tết. Counting from Thursday 8/2:
    #   8–9/2, 12–14/2 .................................... 0   (Tết)
    #   15, 16/2 .......................................... 2
    #   19–23/2, 26/2–1/3, 4–8/3, 11–15/3, 18–22/3 ........ 27
    #   25, 26, 27/3 ...................................... 30  → due Wednesday 27/3/2024
    # The day after, Thursday 28/3, is a working day: overdue from then.
    "wednesday 7/2/2024": (d(2024, 2, 7), d(2024, 3, 27), d(2024, 3, 28)),
}


@pytest.mark.parametrize("case", CEREMONY_CASES)
def test_ceremony_due_30_working_days_after_a_decision_before_tet_2024(actor, demo, case):
    decided, due, late = CEREMONY_CASES[case]
    assert hand_working_days(decided, due, hand_calendar()) == 30
    member = new_member(actor, demo["chibo"], decided)
    on_decision = listed(deadlines(demo["chibo"], decided), member.pk)
    assert set(on_decision) == {"ceremonies"}
    row = on_decision["ceremonies"]
    assert (row.since, row.due, row.overdue) == (decided, due, False)
    assert row.name == "Vũ Đình Khải"
    assert (row.unit_id, row.unit_name) == (demo["chibo"], hand_label(demo["chibo"], decided))
    # On the due date the ceremony is still in time; from the next working day it is overdue.
    assert listed(deadlines(demo["chibo"], due), member.pk)["ceremonies"].overdue is False
    assert listed(deadlines(demo["chibo"], due - DAY), member.pk)["ceremonies"].overdue is False
    late_row = listed(deadlines(demo["chibo"], late), member.pk)["ceremonies"]
    assert (late_row.due, late_row.overdue) == (due, True)


def test_ceremony_overdue_the_day_after_the_due_date(actor, demo):
    decided, due, _ = CEREMONY_CASES["wednesday 7/2/2024"]
    member = new_member(actor, demo["chibo"], decided)
    assert listed(deadlines(demo["chibo"], due), member.pk)["ceremonies"].overdue is False
    assert listed(deadlines(demo["chibo"], due + DAY), member.pk)["ceremonies"].overdue is True
    # The committee above sees the same row.
    assert listed(deadlines(demo["coso"], due + DAY), member.pk)["ceremonies"].overdue is True


def test_ceremony_recorded_leaves_the_ceremony_list(actor, demo):
    member = new_member(actor, demo["chibo"], d(2024, 2, 7))
    assert "ceremonies" in listed(deadlines(demo["chibo"], d(2024, 4, 1)), member.pk)
    record_ceremony(actor, member, d(2024, 3, 1))
    assert listed(deadlines(demo["chibo"], d(2024, 4, 1)), member.pk) == {}
    # The probation (ceremony 1/3/2024) ends on 1/3/2025: listed 60 days ahead.
    row = listed(deadlines(demo["chibo"], d(2025, 1, 15)), member.pk)["probations"]
    assert (row.since, row.due) == (d(2024, 3, 1), d(2025, 3, 1))


# --- deadlines: probations ending soon ----------------------------------------------------------


@pytest.mark.parametrize("days, shown", [(1, True), (59, True), (60, True), (61, False)])
def test_probation_ending_within_60_days(actor, demo, days, shown):
    on = REFERENCE_DAY  # Monday 30/9/2024
    ends = on + days * DAY
    member = on_probation_ending(actor, demo["chibo"], ends)
    found = listed(deadlines(demo["chibo"], on), member.pk)
    if shown:
        assert set(found) == {"probations"}
        row = found["probations"]
        assert (row.since, row.due, row.overdue) == (vn.add_years(ends, -1), ends, False)
    else:
        assert found == {}
    # Counted in the figures exactly when listed.
    assert (member.pk in {r.person_id for r in deadlines(demo["coso"], on).probations}) == shown


def test_probation_ending_today_moves_to_the_recognitions(actor, demo):
    on = REFERENCE_DAY
    member = on_probation_ending(actor, demo["chibo"], on)
    found = listed(deadlines(demo["chibo"], on), member.pk)
    assert set(found) == {"recognitions"}
    assert found["recognitions"].overdue is False


# --- deadlines: recognition -------------------------------------------------------------------------


# Probation ends Wednesday 11/2/2026 (ceremony 11/2/2025). The 30th working day after it:
#   12, 13/2 .............................................. 2   (16–20/2: Tết Bính Ngọ)
#   23–27/2, 2–6/3, 9–13/3, 16–20/3, 23–27/3 .............. 27
#   30, 31/3, 1/4 ......................................... 30  → Wednesday 1/4/2026
# "More than 30 working days" from Thursday 2/4/2026, a working day.
ENDS_2026, DUE_2026 = d(2026, 2, 11), d(2026, 4, 1)


def test_recognition_overdue_beyond_30_working_days_across_tet_2026(actor, demo):
    assert hand_working_days(ENDS_2026, DUE_2026, hand_calendar()) == 30
    member = on_probation_ending(actor, demo["chibo"], ENDS_2026)
    assert set(listed(deadlines(demo["chibo"], ENDS_2026 - DAY), member.pk)) == {"probations"}
    for on in (ENDS_2026, DUE_2026 - DAY, DUE_2026):
        result = deadlines(demo["chibo"], on)
        row = listed(result, member.pk)["recognitions"]
        assert (row.since, row.due, row.overdue) == (ENDS_2026, DUE_2026, False), on
        assert member.pk not in {r.person_id for r in result.overdue_recognitions}
    result = deadlines(demo["chibo"], DUE_2026 + DAY)
    row = listed(result, member.pk)["recognitions"]
    assert (row.due, row.overdue) == (DUE_2026, True)
    assert member.pk in {r.person_id for r in result.overdue_recognitions}
    assert result.counts()["overdue_recognitions"] == len(result.overdue_recognitions) >= 1


def test_recognised_members_leave_every_list(actor, demo):
    late = on_probation_ending(actor, demo["chibo"], ENDS_2026, given="Lâm")
    on = DUE_2026 + 5 * DAY
    assert "recognitions" in listed(deadlines(demo["chibo"], on), late.pk)
    before = deadlines(demo["coso"], on).counts()
    event = recognise(actor, late)
    assert event.effective_on == ENDS_2026
    result = deadlines(demo["chibo"], on)
    assert listed(result, late.pk) == {}
    after = deadlines(demo["coso"], on).counts()
    assert after["overdue_recognitions"] == before["overdue_recognitions"] - 1
    # Also from the probations list, on a day before the end of their probation.
    assert listed(deadlines(demo["chibo"], ENDS_2026 + 20 * DAY), late.pk) == {}


# Probation ends Friday 10/1/2025 (ceremony 10/1/2024). The 30th working day after it:
#   13–17/1, 20–24/1 ..................................... 10  (27–31/1: Tết Ất Tỵ, the whole week)
#   3–7/2, 10–14/2, 17–21/2, 24–28/2 ..................... 30  → Friday 28/2/2025
# The 31st working day is Monday 3/3/2025.
ENDS_2025, DUE_2025, DAY_31_2025 = d(2025, 1, 10), d(2025, 2, 28), d(2025, 3, 3)


def test_recognition_across_tet_2025(actor, demo):
    calendar = hand_calendar()
    assert hand_working_days(ENDS_2025, DUE_2025, calendar) == 30
    assert hand_working_days(ENDS_2025, DAY_31_2025, calendar) == 31
    member = on_probation_ending(actor, demo["chibo"], ENDS_2025)
    row = listed(deadlines(demo["chibo"], DUE_2025), member.pk)["recognitions"]
    assert (row.due, row.overdue) == (DUE_2025, False)
    # Without Tết, 30 working days would have ended on Friday 21/2: not overdue on 24/2 across Tết.
    assert listed(deadlines(demo["chibo"], d(2025, 2, 24)), member.pk)["recognitions"].overdue is False
    assert listed(deadlines(demo["chibo"], DAY_31_2025), member.pk)["recognitions"].overdue is True


def test_recognition_not_overdue_on_the_weekend_after_the_30th_working_day(actor, demo):
    calendar = hand_calendar()
    saturday = d(2025, 3, 1)
    assert hand_working_days(ENDS_2025, saturday, calendar) == 30  # not more than 30
    member = on_probation_ending(actor, demo["chibo"], ENDS_2025)
    assert listed(deadlines(demo["chibo"], saturday), member.pk)["recognitions"].overdue is False


# --- deadlines: awareness certificates ------------------------------------------------------------


@pytest.mark.parametrize(
    "offset, shown, overdue",
    [(-400, True, True), (-1, True, True), (0, True, True), (1, True, False), (89, True, False),
     (90, True, False), (91, False, False), (700, False, False)],
)  # fmt: skip
def test_certificates_expiring_within_90_days_or_expired(demo, offset, shown, overdue):
    on = REFERENCE_DAY
    expires = on + offset * DAY
    passed = vn.add_years(expires, -5)
    candidate = new_candidate(demo["chibo"], course=passed, identified=passed - 30 * DAY)
    assert candidate.certificate_expires_on == expires
    found = listed(deadlines(demo["chibo"], on), candidate.pk, lists=("certificates",))
    if shown:
        row = found["certificates"]
        assert (row.since, row.due, row.overdue) == (passed, expires, overdue)
        assert row.name == "Lương Thị Thu Thảo"
        assert row.unit_id == demo["chibo"]
    else:
        assert found == {}


def test_certificates_of_admitted_or_uncertified_candidates_are_not_listed(actor, demo):
    on = REFERENCE_DAY
    member = new_member(actor, demo["chibo"], d(2020, 3, 2), d(2020, 3, 20))
    admitted = new_candidate(demo["chibo"], course=d(2019, 6, 1), member=member)
    uncertified = new_candidate(demo["chibo"], given="Tâm")
    expired = new_candidate(demo["chibo"], given="Tuấn", middle="Anh", sex="M", course=d(2019, 6, 1))
    ids = {row.person_id for row in deadlines(demo["chibo"], on).certificates}
    assert expired.pk in ids
    assert admitted.pk not in ids and uncertified.pk not in ids


def test_certificate_of_29_february_expiring_in_90_days_is_listed(demo):
    candidate = new_candidate(demo["chibo"], course=d(2020, 2, 29), identified=d(2020, 1, 6))
    on = d(2024, 11, 30)
    assert candidate.certificate_expires_on == d(2025, 2, 28) == on + 90 * DAY
    assert candidate.pk in {row.person_id for row in deadlines(demo["chibo"], d(2024, 12, 1)).certificates}
    assert candidate.pk in {row.person_id for row in deadlines(demo["chibo"], on).certificates}


def test_rows_are_sorted_by_due_date(actor, demo):
    on = REFERENCE_DAY
    for given, days in (("Yến", 40), ("An", 10), ("Bình", 25)):
        on_probation_ending(actor, demo["chibo"], on + days * DAY, given=given)
    rows = deadlines(demo["chibo"], on).probations
    assert [r.name.split()[-1] for r in rows if r.name.startswith("Vũ Đình")] == ["An", "Bình", "Yến"]
    assert [r.due for r in rows] == sorted(r.due for r in rows)


# --- deadlines: scope ---------------------------------------------------------------------------------


def test_deadlines_stay_in_scope(actor, demo, outsider, neighbour):
    _, elsewhere = outsider
    on = d(2026, 6, 10)
    decided = d(2026, 6, 1)
    assert version(elsewhere, decided) and version(neighbour, decided)
    outside = new_member(actor, elsewhere, decided, given="Ngoại")
    next_door = new_member(actor, neighbour, decided, given="Bên")
    certificate = new_candidate(elsewhere, course=vn.add_years(on + 10 * DAY, -5), identified=d(2021, 1, 4))
    coso = deadlines(demo["coso"], on)
    assert outside.pk not in {r.person_id for r in coso.ceremonies}
    assert certificate.pk not in {r.person_id for r in coso.certificates}
    assert next_door.pk in {r.person_id for r in coso.ceremonies}
    chibo = deadlines(demo["chibo"], on)
    assert next_door.pk not in {r.person_id for r in chibo.ceremonies}
    root = deadlines(demo["root"], on)
    assert {outside.pk, next_door.pk} <= {r.person_id for r in root.ceremonies}
    assert certificate.pk in {r.person_id for r in root.certificates}
    assert outside.pk in {r.person_id for r in deadlines(elsewhere, on).ceremonies}


# --- the overview cards -------------------------------------------------------------------------------


def add_one_of_each(actor, cell_id: int, on: datetime.date) -> None:
    """A ceremony due, a probation ending in a month, a recognition long overdue, a certificate expiring."""
    new_member(actor, cell_id, on - 10 * DAY, given="Cường")
    on_probation_ending(actor, cell_id, on + 30 * DAY, given="Dũng")
    on_probation_ending(actor, cell_id, on - 70 * DAY, given="Đức")
    new_candidate(cell_id, course=vn.add_years(on + 30 * DAY, -5), identified=d(2019, 1, 7))


@pytest.mark.parametrize("on", [REFERENCE_DAY, d(2025, 7, 1), HORIZON])  # a Monday, a Tuesday, a Friday
def test_overview_cards_match_the_deadlines_and_a_hand_count(as_user, actor, demo, on):
    add_one_of_each(actor, demo["chibo"], on)
    pages = [("khoi", "/", "root"), ("coso", "/", "coso"), ("chibo", "/", "chibo"), ("xem", "/", "root"),
             ("khoi", f"/to-chuc/{demo['coso']}/", "coso")]  # fmt: skip
    for username, url, key in pages:
        response = as_user(username).get(url, {"date": on.isoformat()})
        assert response.status_code == 200
        shown = cards(response)
        assert shown == pipeline_deadlines(version(demo[key], on), on).counts(), (username, url)
        assert shown == hand_deadline_counts(demo[key], on), (username, url)
        assert all(shown[figure] >= 1 for figure in FIGURES), shown
    # chibo's cell has no deadline of its own on these days: exactly the four added.
    assert cards(as_user("chibo").get("/", {"date": on.isoformat()})) == dict.fromkeys(FIGURES, 1)


def test_overview_cards_link_to_the_pipeline_except_for_the_viewer(as_user, demo):
    html = as_user("coso").get("/", {"date": HORIZON.isoformat()}).content.decode()
    assert 'href="/ket-nap/#ceremonies"' in html and 'href="/ket-nap/#certificates"' in html
    html = as_user("xem").get("/", {"date": HORIZON.isoformat()}).content.decode()
    assert 'id="pipeline-deadlines"' in html
    assert "/ket-nap/" not in html


# --- candidates: the form -------------------------------------------------------------------------------


def form_data(cell_id: int, **changes) -> dict:
    data = {
        "family_name": "Lương", "middle_name": "Thị Thu", "given_name": "Thảo", "sex": "F",
        "birth_date": "12/05/1998", "citizen_id": "001198012345", "ethnicity": "Kinh", "religion": "Không",
        "home_town": "Xã Hải Hậu, tỉnh Nam Định", "residence": "Phường Ba Đình, Hà Nội", "education": "12/12",
        "qualification": "Cử nhân Luật", "occupation": "Công chức", "workplace": "Văn phòng Sở Tư pháp",
        "cell": cell_id, "identified_on": "2025-03-10", "course_passed_on": "", "note": "Đoàn viên ưu tú",
    }  # fmt: skip
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.parametrize("username, cell", [("chibo", "chibo"), ("coso", "chibo"), ("coso", "neighbour")])
def test_create_a_candidate(as_user, demo, neighbour, username, cell):
    cell_id = neighbour if cell == "neighbour" else demo[cell]
    client = as_user(username)
    response = client.get(NEW)
    assert response.status_code == 200
    assert 'id="candidate-form"' in response.content.decode()
    before = Candidate.unscoped.count()
    response = client.post(NEW, form_data(cell_id))
    assert response.status_code == 302
    assert Candidate.unscoped.count() == before + 1
    candidate = Candidate.unscoped.latest("pk")
    assert response.url == candidate_url(candidate)
    assert (candidate.full_name, candidate.cell_id) == ("Lương Thị Thu Thảo", cell_id)
    assert candidate.birth_date == CANDIDATE_BIRTH
    assert (candidate.citizen_id, candidate.identified_on) == ("001198012345", d(2025, 3, 10))
    assert candidate.stage == "identified"
    assert candidate.search_name == "luong thi thu thao"
    entry = AuditEntry.objects.filter(target_type="admissions.candidate", target_id=str(candidate.pk)).get()
    assert (entry.action, entry.actor.username, entry.before) == ("create_candidate", username, None)
    assert entry.after["given_name"] == "Thảo" and entry.after["cell_id"] == cell_id
    page = client.get(response.url, follow=True)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Lương Thị Thu Thảo" in html and "Đã lưu hồ sơ quần chúng ưu tú Lương Thị Thu Thảo." in html


BAD_INPUT = {
    "cccd 11 digits": ({"citizen_id": "00119801234"}, "Số căn cước công dân gồm đúng 12 chữ số.", "00119801234"),
    "cccd with letters": ({"citizen_id": "00119801234a"}, "Số căn cước công dân gồm đúng 12 chữ số.", None),
    "no given name": ({"given_name": ""}, REQUIRED, None),
    "no family name": ({"family_name": "  "}, REQUIRED, None),
    "no birth date": ({"birth_date": ""}, REQUIRED, None),
    "bad birth date": ({"birth_date": "31/02/1998"}, "Ngày không hợp lệ", "31/02/1998"),
    "born in 9999": ({"birth_date": "31/12/9999"}, "Ngày sinh phải trước", "31/12/9999"),
    "born in year 1": ({"birth_date": "01/01/0001"}, "Ngày sinh không được trước 01/01/1900.", "01/01/0001"),
    "followed in 9999": ({"identified_on": "9999-12-31"}, "Ngày chi bộ phân công theo dõi không được sau hôm nay.",
                         None),
    "no cell": ({"cell": ""}, REQUIRED, None),
    "followed before the cell existed": (
        {"identified_on": "01/01/1990"},
        "Chi bộ theo dõi phải là một chi bộ đang hoạt động vào ngày phân công theo dõi.",
        None,
    ),
    "future certificate": ({"course_passed_on": "01/01/2099"},
                           "Ngày cấp giấy chứng nhận lớp nhận thức về Đảng không được sau hôm nay.", None),
}  # fmt: skip


@pytest.mark.parametrize("case", BAD_INPUT)
@pytest.mark.parametrize("username", ["chibo", "coso"])
def test_bad_candidate_input_is_refused_and_kept(as_user, demo, username, case):
    changes, message, typed = BAD_INPUT[case]
    client = as_user(username)
    before = all_counts()
    response = client.post(NEW, form_data(demo["chibo"], **changes))
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert is_vietnamese(message)
    assert all_counts() == before
    # What was typed stays in the form.
    kept = ['value="Phường Ba Đình, Hà Nội"', 'value="Cử nhân Luật"', f'<option value="{demo["chibo"]}" selected>']
    if "cell" in changes:
        kept.pop()
    if typed:
        kept.append(f'value="{typed}"')
    for value in kept:
        assert value in html, value


@pytest.mark.parametrize("username, target", [("chibo", "neighbour"), ("chibo", "outsider"), ("coso", "outsider")])
def test_a_cell_outside_the_scope_is_refused(as_user, demo, neighbour, outsider, username, target):
    cell_id = neighbour if target == "neighbour" else outsider[1]
    before = all_counts()
    response = as_user(username).post(NEW, form_data(cell_id))
    assert response.status_code == 400
    html = response.content.decode()
    assert BAD_CELL in html
    assert 'value="Lương"' in html
    assert all_counts() == before


def test_the_cell_choices_are_the_cells_of_the_scope(as_user, demo, neighbour, outsider):
    chibo = dict(as_user("chibo").get(NEW).context["form"].fields["cell"].choices)
    assert set(chibo) - {""} == {demo["chibo"]}
    coso = dict(as_user("coso").get(NEW).context["form"].fields["cell"].choices)
    assert {demo["chibo"], neighbour} <= set(coso) and outsider[1] not in coso


def test_editing_the_stage_is_audited(as_user, demo):
    candidate = new_candidate(demo["chibo"], citizen_id="001198012345", identified=d(2025, 3, 10))
    client = as_user("chibo")
    response = client.get(candidate_url(candidate))
    assert response.status_code == 200
    assert "Đã xác định, chi bộ theo dõi" in response.content.decode()
    # Course passed; the forms ticked in any order are kept in the order of the guide.
    dossier = ["8-KNĐ", "1-KNĐ", "6-KNĐ", "2-KNĐ", "5-KNĐ", "3-KNĐ"]
    response = client.post(candidate_url(candidate), form_data(demo["chibo"], course_passed_on="20/06/2025",
                                                               dossier=dossier))  # fmt: skip
    assert response.status_code == 302
    candidate.refresh_from_db()
    assert candidate.course_passed_on == d(2025, 6, 20)
    assert candidate.dossier == REQUIRED_BEFORE_DECISION
    assert candidate.stage == "dossier"
    entry = AuditEntry.objects.filter(target_type="admissions.candidate", target_id=str(candidate.pk)).latest("pk")
    assert (entry.action, entry.actor.username) == ("update_candidate", "chibo")
    assert (entry.before["course_passed_on"], entry.after["course_passed_on"]) == (None, "2025-06-20")
    assert (entry.before["dossier"], entry.after["dossier"]) == ([], REQUIRED_BEFORE_DECISION)
    html = client.get(candidate_url(candidate)).content.decode()
    assert "Đã hoàn thiện hồ sơ" in html
    assert 'value="2025-06-20"' in html
    # Unticking a form moves the candidate back a stage, audited as well.
    response = client.post(candidate_url(candidate), form_data(demo["chibo"], course_passed_on="20/06/2025",
                                                               dossier=dossier[1:]))  # fmt: skip
    assert response.status_code == 302
    candidate.refresh_from_db()
    assert candidate.stage == "course" and candidate.missing_forms == ["8-KNĐ"]
    entry = AuditEntry.objects.filter(target_type="admissions.candidate", target_id=str(candidate.pk)).latest("pk")
    assert "8-KNĐ" in entry.before["dossier"] and "8-KNĐ" not in entry.after["dossier"]


def test_an_unknown_dossier_form_is_refused(as_user, demo):
    candidate = new_candidate(demo["chibo"], identified=d(2025, 3, 10))
    before = all_counts()
    response = as_user("coso").post(candidate_url(candidate), form_data(demo["chibo"], dossier=["9-KNĐ"]))
    assert response.status_code == 400
    assert all_counts() == before
    candidate.refresh_from_db()
    assert candidate.dossier == []


def test_candidates_outside_the_scope_are_404(as_user, demo, neighbour, outsider):
    in_chibo = new_candidate(demo["chibo"])
    next_door = new_candidate(neighbour, given="Hạnh")
    username, _ = outsider
    client = as_user(username)
    for candidate in (in_chibo, next_door):
        url = candidate_url(candidate)
        assert client.get(url).status_code == 404
        response = client.post(url, form_data(outsider[1], given_name="Đổi"))
        assert response.status_code == 404
        assert NOT_FOUND in response.content.decode()
        # The decision is refused to a cell secretary's role before any lookup: the same 403 for a
        # candidate that does not exist, so nothing leaks.
        assert client.post(admit_url(candidate), decision()).status_code == 403
    assert client.post("/ket-nap/987654321/ket-nap/", decision()).status_code == 403
    chibo = as_user("chibo")
    assert chibo.get(candidate_url(next_door)).status_code == 404
    assert chibo.get(candidate_url(in_chibo)).status_code == 200
    assert as_user("coso").get(candidate_url(next_door)).status_code == 200
    assert Candidate.unscoped.get(pk=in_chibo.pk).given_name == "Thảo"


def test_viewer_gets_404_on_the_pipeline(as_user, demo):
    candidate = new_candidate(demo["chibo"])
    client = as_user("xem")
    for url in (PIPELINE, NEW, candidate_url(candidate), admit_url(candidate)):
        response = client.get(url)
        assert response.status_code == 404, url
        assert NOT_FOUND in response.content.decode()
    assert client.post(NEW, form_data(demo["chibo"])).status_code == 404


# --- the admission decision ---------------------------------------------------------------------------


DECIDED, CONSIDERED, COURSE = d(2025, 3, 3), d(2025, 2, 20), d(2024, 6, 1)
# 30 working days after Monday 3/3/2025: 4–7/3, 10–14/3, 17–21/3, 24–28/3, 31/3–4/4 (24), Monday 7/4 is
# Giỗ Tổ Hùng Vương, 8–11/4 (28), 14, 15/4 (30) → Tuesday 15/4/2025.
CEREMONY_DUE = d(2025, 4, 15)


def ready(cell_id: int, **changes) -> Candidate:
    fields = dict(course=COURSE, dossier=REQUIRED_BEFORE_DECISION, citizen_id="001198012345", identified=d(2023, 3, 1))
    return new_candidate(cell_id, **(fields | changes))


def decision(**changes) -> dict:
    data = {"decision_number": "15-QĐ/ĐU", "decided_on": DECIDED.isoformat(), "issuing_body": "Đảng ủy Sở Tài chính",
            "cell_considered_on": CONSIDERED.isoformat(), "ceremony_on": ""}  # fmt: skip
    return data | changes


REFUSALS = {
    "17 at the cell's consideration": (
        {"birth": vn.add_years(CONSIDERED, -18) + DAY}, {},
        "phải từ đủ 18 tuổi đến đủ 60 tuổi (tính theo tháng); Lương Thị Thu Thảo khi đó 17 tuổi 11 tháng",
    ),
    "61 at the cell's consideration": (
        {"birth": vn.add_years(CONSIDERED, -61)}, {},
        "phải từ đủ 18 tuổi đến đủ 60 tuổi (tính theo tháng); Lương Thị Thu Thảo khi đó 61 tuổi 0 tháng",
    ),
    "60 and a month at the cell's consideration": (
        {"birth": vn.add_months(CONSIDERED, -(60 * 12 + 1))}, {},
        "Lương Thị Thu Thảo khi đó 60 tuổi 1 tháng",
    ),
    "certificate expired on the decision day": (
        {"course": vn.add_years(DECIDED, -5)}, {}, "Giấy chứng nhận lớp nhận thức về Đảng đã hết hạn ngày 03/03/2025"
    ),
    "certificate expired before the decision": ({"course": d(2019, 6, 1)}, {}, "đã hết hạn ngày 01/06/2024"),
    "no certificate": ({"course": None}, {}, "Chưa có giấy chứng nhận học lớp bồi dưỡng nhận thức về Đảng."),
    "certificate after the cell's consideration": (
        {"course": CONSIDERED + DAY}, {},
        "Giấy chứng nhận lớp nhận thức về Đảng cấp ngày 21/02/2025, sau ngày chi bộ xét kết nạp: chi bộ chỉ xét khi "
        "đã có giấy chứng nhận.",
    ),
    "decision in the future": (
        {}, {"decided_on": (today() + 10 * DAY).isoformat()},
        f"Ngày quyết định ({vn.format_date(today() + 10 * DAY)}) chưa đến: chỉ ghi nhận quyết định đã ban hành",
    ),
    "dossier incomplete": (
        {"dossier": [c for c in REQUIRED_BEFORE_DECISION if c != "8-KNĐ"]}, {}, "Hồ sơ kết nạp còn thiếu: 8-KNĐ."
    ),
    "considered after the decision": (
        {}, {"cell_considered_on": (DECIDED + DAY).isoformat()},
        "Ngày chi bộ xét đề nghị kết nạp phải trước hoặc cùng ngày quyết định",
    ),
    "no decision number": ({}, {"decision_number": ""}, REQUIRED),
    "no cell consideration": ({}, {"cell_considered_on": ""}, REQUIRED),
    "ceremony before the decision": (
        {}, {"ceremony_on": (DECIDED - DAY).isoformat()}, "Lễ kết nạp không thể trước ngày quyết định kết nạp."
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", REFUSALS)
def test_admission_refused(as_user, demo, case):
    candidate_changes, decision_changes, message = REFUSALS[case]
    candidate = ready(demo["chibo"], **candidate_changes)
    before = all_counts()
    response = as_user("coso").post(admit_url(candidate), decision(**decision_changes))
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert is_vietnamese(message)
    assert all_counts() == before
    candidate.refresh_from_db()
    assert candidate.member_id is None
    assert 'value="15-QĐ/ĐU"' in html or "decision_number" in decision_changes  # the typed decision is kept
    assert 'id="admit-form"' in html


@pytest.mark.parametrize(
    "changes",
    [{"birth": vn.add_years(CONSIDERED, -18)}, {"birth": vn.add_years(CONSIDERED, -60)},
     {"course": vn.add_years(DECIDED, -5) + DAY}, {"course": CONSIDERED}],
    ids=["18 that day", "60 that day", "certificate valid one more day", "certificate on the day considered"],
)  # fmt: skip
def test_admission_accepted_at_the_limits(as_user, demo, changes):
    candidate = ready(demo["chibo"], **changes)
    response = as_user("coso").post(admit_url(candidate), decision())
    assert response.status_code == 302
    candidate.refresh_from_db()
    assert candidate.member_id is not None


def test_cell_secretary_cannot_admit(as_user, demo):
    candidate = ready(demo["chibo"])
    before = all_counts()
    client = as_user("chibo")
    response = client.post(admit_url(candidate), decision())
    assert response.status_code == 403
    assert FORBIDDEN in response.content.decode()
    assert all_counts() == before
    # The candidate page offers chibo no admission form.
    assert 'id="admit-form"' not in client.get(candidate_url(candidate)).content.decode()
    assert 'id="admit-form"' in as_user("coso").get(candidate_url(candidate)).content.decode()


def test_admission_accepted(as_user, actor, demo):
    candidate = ready(demo["chibo"])
    coso_then = version(demo["coso"], DECIDED)
    cell_path = version(demo["chibo"], DECIDED).path
    figures_before = subtree_figures(coso_then, DECIDED)[cell_path]
    eve_before = subtree_figures(coso_then, DECIDED - DAY)[cell_path]
    before = all_counts()
    client = as_user("coso")
    response = client.post(admit_url(candidate), decision())
    assert response.status_code == 302
    candidate.refresh_from_db()
    member = Member.unscoped.get(pk=candidate.member_id)
    assert response.url == f"/dang-vien/{member.pk}/"
    after = all_counts()
    assert after["Member"] == before["Member"] + 1
    assert after["Event"] == before["Event"] + 1
    assert after["Stint"] == before["Stint"] + 1
    assert after["Candidate"] == before["Candidate"]
    # The member is the candidate.
    fields = ("family_name", "middle_name", "given_name", "sex", "birth_date", "citizen_id", "home_town")
    assert [getattr(member, f) for f in fields] == [getattr(candidate, f) for f in fields]
    assert (member.admitted_on, member.official_on) == (DECIDED, None)
    # One admission event into the candidate's cell, with the decision.
    event = Event.unscoped.get(member=member)
    assert (event.kind, event.unit_id, event.effective_on) == ("admission", demo["chibo"], DECIDED)
    assert (event.ceremony_on, event.decision_number, event.decided_on) == (None, "15-QĐ/ĐU", DECIDED)
    assert event.issuing_body == "Đảng ủy Sở Tài chính"
    stint = Stint.unscoped.get(member=member)
    assert (stint.unit_id, stint.kind, stint.status, stint.start, stint.end) == (
        demo["chibo"], StintKind.OFFICIAL, MemberStatus.PROBATIONARY, DECIDED, None,
    )  # fmt: skip
    # The candidate is linked and their dossier holds the decision (9-KNĐ).
    assert candidate.dossier == [*REQUIRED_BEFORE_DECISION, "9-KNĐ"]
    assert candidate.stage == "admitted"
    actions = list(AuditEntry.objects.order_by("-pk").values_list("action", flat=True)[:3])
    assert sorted(actions) == ["admit_candidate", "create_member", "event_admission"]
    entry = AuditEntry.objects.get(action="admit_candidate", target_id=str(candidate.pk))
    assert (entry.before["member_id"], entry.after["member_id"]) == (None, member.pk)
    # Counted in the cell from the decision date, not the day before.
    figures = subtree_figures(coso_then, DECIDED)[cell_path]
    assert figures["total"] == figures_before["total"] + 1
    assert figures["probationary"] == figures_before["probationary"] + 1
    assert figures["female"] == figures_before["female"] + 1
    assert subtree_figures(coso_then, DECIDED - DAY)[cell_path] == eve_before
    assert subtree_figures(version(demo["chibo"], DECIDED), DECIDED)[cell_path]["total"] == figures["total"]
    # The success message, on the member's page.
    html = client.get(response.url).content.decode()
    assert "Đã ghi nhận kết nạp Lương Thị Thu Thảo ngày 03/03/2025." in html
    # The ceremony is due within 30 working days; listed until it is recorded.
    for on in (DECIDED, CEREMONY_DUE, CEREMONY_DUE + 30 * DAY):
        row = listed(deadlines(demo["chibo"], on), member.pk)["ceremonies"]
        assert (row.since, row.due, row.overdue) == (DECIDED, CEREMONY_DUE, on > CEREMONY_DUE)
    record_ceremony(actor, member, d(2025, 3, 26))
    assert listed(deadlines(demo["chibo"], d(2025, 4, 20)), member.pk) == {}
    # The candidate page now leads to the member; a second decision is refused.
    assert client.get(candidate_url(candidate)).url == f"/dang-vien/{member.pk}/"
    before = all_counts()
    response = client.post(admit_url(candidate), decision())
    assert response.status_code == 400
    assert "Người này đã được kết nạp." in response.content.decode()
    assert all_counts() == before


def test_admission_with_the_ceremony_held(as_user, demo):
    candidate = ready(demo["chibo"])
    response = as_user("khoi").post(admit_url(candidate), decision(ceremony_on="2025-03-20"))
    assert response.status_code == 302
    candidate.refresh_from_db()
    event = Event.unscoped.get(member_id=candidate.member_id)
    assert event.ceremony_on == d(2025, 3, 20)
    assert listed(deadlines(demo["chibo"], d(2025, 3, 25)), candidate.member_id) == {}
    assert "probations" in listed(deadlines(demo["chibo"], d(2026, 2, 1)), candidate.member_id)


def test_admission_refused_for_a_citizen_id_already_held_by_a_member(as_user, demo):
    taken = Member.unscoped.exclude(citizen_id=None).values_list("citizen_id", flat=True).first()
    candidate = ready(demo["chibo"], citizen_id=taken)
    before = all_counts()
    response = as_user("coso").post(admit_url(candidate), decision())
    assert response.status_code == 400
    assert "Số căn cước công dân này đã có trong hồ sơ một đảng viên khác." in response.content.decode()
    assert all_counts() == before


# --- /ket-nap/: tables, order, filters, search, query count -------------------------------------------


def test_pipeline_page_shows_the_four_tables(as_user, actor, demo):
    on = today()
    member = new_member(actor, demo["chibo"], on - 3 * DAY, given="Khánh")
    candidate = new_candidate(demo["chibo"], course=vn.add_years(on + 20 * DAY, -5), identified=d(2020, 3, 2))
    for username, key in (("khoi", "root"), ("coso", "coso"), ("chibo", "chibo")):
        response = as_user(username).get(PIPELINE)
        assert response.status_code == 200, username
        html = response.content.decode()
        expected = pipeline_deadlines(version(demo[key], on), on)
        assert response.context["deadlines"].counts() == expected.counts()
        for table in ("ceremonies", "probations", "recognitions", "certificates"):
            assert f'id="{table}"' in html
            rows = getattr(expected, table)
            caption = re.search(rf'id="{table}">\s*<caption>[^<]*\((\d+)\)</caption>', html)
            assert caption and int(caption.group(1)) == len(rows), table
        assert f'href="/dang-vien/{member.pk}/">Vũ Đình Khánh</a>' in html
        assert f'href="/ket-nap/{candidate.pk}/">Lương Thị Thu Thảo</a>' in html
        assert 'id="candidates"' in html


ORDERED_NAMES = [  # given name first, in the Vietnamese alphabet and tone order
    ("Phạm", "Văn", "An"), ("Lê", "Bảo", "Anh"), ("Trần", "Thị", "Ánh"), ("Hồ", "Ngọc", "Ân"),
    ("Mai", "Tiến", "Dũng"), ("Bùi", "Minh", "Đức"), ("Lý", "Thị", "Uyên"), ("Tô", "Thị", "Ưng"),
]  # fmt: skip


def test_candidates_sorted_by_given_name(as_user, demo, neighbour):
    created = [
        new_candidate(demo["chibo"] if i % 2 else neighbour, family=f, middle=m, given=g)
        for i, (f, m, g) in enumerate(reversed(ORDERED_NAMES))
    ]
    rows = list(as_user("coso").get(PIPELINE).context["page"].paginator.object_list)
    keys = [vn.name_sort_key(c.family_name, c.middle_name, c.given_name) for c in rows]
    assert keys == sorted(keys)
    mine = [c.full_name for c in rows if c.pk in {x.pk for x in created}]
    assert mine == [" ".join(parts) for parts in ORDERED_NAMES]  # e.g. Dũng < Đức, Uyên < Ưng
    # The cell column shows each candidate's cell.
    names = {c.pk: c.cell_name for c in rows}
    assert names[created[0].pk] == hand_label(neighbour, today())


def test_filter_by_stage(as_user, actor, demo):
    new_candidate(demo["chibo"], given="Nhất")
    new_candidate(demo["chibo"], given="Nhì", course=d(2025, 1, 6))
    new_candidate(demo["chibo"], given="Ba", course=d(2025, 1, 6), dossier=REQUIRED_BEFORE_DECISION)
    admitted = ready(demo["chibo"], given="Tư")
    admit_candidate(actor, admitted, decided_on=DECIDED, cell_considered_on=CONSIDERED)
    client = as_user("chibo")
    everyone = client.get(PIPELINE).context["page"].paginator.count
    total = 0
    for stage in ("identified", "course", "dossier", "admitted"):
        response = client.get(PIPELINE, {"stage": stage})
        rows = list(response.context["page"].paginator.object_list)
        assert rows, stage
        assert all(c.stage == stage for c in rows), stage
        assert f'<option value="{stage}" selected>' in response.content.decode()
        total += len(rows)
    assert total == everyone
    given = [c.given_name for c in client.get(PIPELINE, {"stage": "admitted"}).context["page"].object_list]
    assert "Tư" in given and "Ba" not in given


def test_unknown_stage_is_ignored(as_user, demo):
    client = as_user("coso")
    everyone = client.get(PIPELINE).context["page"].paginator.count
    assert everyone > 0
    assert client.get(PIPELINE, {"stage": "bogus"}).context["page"].paginator.count == everyone


@pytest.mark.parametrize("q", ["thao", "THẢO", "luong thu", "Lương Thị Thu Thảo", "  thi   THAO "])
def test_search_without_diacritics(as_user, demo, q):
    mine = new_candidate(demo["chibo"])
    other = new_candidate(demo["chibo"], family="Trần", middle="Văn", given="Hào", sex="M")
    rows = list(as_user("coso").get(PIPELINE, {"q": q}).context["page"].paginator.object_list)
    assert mine.pk in {c.pk for c in rows}
    assert other.pk not in {c.pk for c in rows}
    assert all(all(vn.fold(w) in c.search_name for w in q.split()) for c in rows)


def test_search_matches_the_start_of_words_and_stays_in_scope(as_user, demo, neighbour):
    mine = new_candidate(demo["chibo"])
    next_door = new_candidate(neighbour, given="Thảo", middle="Phương", family="Đỗ")
    found = {c.pk for c in as_user("coso").get(PIPELINE, {"q": "hao"}).context["page"].object_list}
    assert mine.pk not in found and next_door.pk not in found
    found = {c.pk for c in as_user("chibo").get(PIPELINE, {"q": "thao"}).context["page"].object_list}
    assert mine.pk in found and next_door.pk not in found
    found = {c.pk for c in as_user("coso").get(PIPELINE, {"q": "do thao"}).context["page"].object_list}
    assert next_door.pk in found and mine.pk not in found
    html = as_user("coso").get(PIPELINE, {"q": "xyzzy"}).content.decode()
    assert "Không có quần chúng ưu tú nào." in html


def pipeline_queries(client, **params) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(PIPELINE, params)
    assert response.status_code == 200
    return len(queries)


def test_pipeline_query_count_does_not_grow(as_user, actor, demo, neighbour):
    on = today()
    # At least one row in every table first, so that no query is skipped for an empty list.
    add_one_of_each(actor, demo["chibo"], on)
    counts = {}
    for username in ("coso", "khoi"):
        counts[username] = pipeline_queries(as_user(username))
    shown = as_user("coso").get(PIPELINE).context["page"].paginator.count
    for i, cell in enumerate([demo["chibo"], neighbour] * 4):
        new_member(actor, cell, on - (i + 1) * DAY, given=f"Thêm{i}")
        on_probation_ending(actor, cell, on - (40 + i) * DAY, given=f"Xét{i}")
        new_candidate(cell, given=f"Mới{i}", course=vn.add_years(on + i * DAY, -5), identified=d(2020, 3, 2),
                      dossier=REQUIRED_BEFORE_DECISION[: i % 7])  # fmt: skip
    assert as_user("coso").get(PIPELINE).context["page"].paginator.count == shown + 8
    for username in ("coso", "khoi"):
        client = as_user(username)
        assert pipeline_queries(client) == counts[username], username
        assert pipeline_queries(client, q="moi", stage="course") == counts[username], username
    # (The cells of the deadlines and of the candidates named with what they belong to: one query each.)
    assert max(counts.values()) <= 14, counts
