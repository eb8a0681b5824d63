"""Tests of cell meetings (dangbo.meetings): who is invited (`invitees`), the plan and the minutes
(`plan_meeting`, `save_minutes`, `delete_meeting`), and whether cells kept their meetings
(`compliance`, `months_of`, `unexcused_members`).

Figures are recomputed by hand-written SQL over the tables, or from the situation the test built,
never by calling the function under test again. Compliance situations are built on the demo: one
cell's meetings are deleted, changed or added inside the test's rolled-back transaction.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from dangbo.accounts.models import User
from dangbo.audit.models import AuditEntry
from dangbo.lib.http import today
from dangbo.meetings.actions import delete_meeting, invitees, plan_meeting, save_minutes
from dangbo.meetings.compliance import compliance, months_of, unexcused_members
from dangbo.meetings.models import Attendance, Meeting, MeetingKind, Presence, Standing
from dangbo.members.actions import admit, exempt, host_temporarily, send_temporarily
from dangbo.members.models import Event, EventKind, Member, StintKind
from dangbo.orgs.models import CELL_KINDS, Unit, UnitKind, UnitVersion
from tests.helpers import hand_path, refused

d = datetime.date
TODAY = d(2026, 11, 27)  # the demo runs to this day; compliance gets it explicitly
DAY = d(2026, 11, 20)  # the day of the meetings recorded by these tests
ELSEWHERE = "Đảng bộ tỉnh Lào Cai"
TOPIC = "Chuyển đổi số trong công tác đảng"
R, T, C = MeetingKind.REGULAR, MeetingKind.THEMATIC, MeetingKind.COMBINED
PRESENT, EXCUSED, UNEXCUSED = Presence.PRESENT, Presence.EXCUSED, Presence.UNEXCUSED


# --- hand-written SQL and small helpers -----------------------------------------------------------


def rows(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def as_date(value) -> datetime.date:
    """A date read by hand-written SQL (SQLite returns the aggregate of a date column as text)."""
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)


def months_since_zero(day: datetime.date) -> int:
    return day.year * 12 + day.month - 1


def first_of(index: int) -> datetime.date:
    return d(index // 12, index % 12 + 1, 1)


def key(day: datetime.date, length: int = 1) -> int:
    """The index of the period of `length` months (aligned on January) holding `day`."""
    return months_since_zero(day) // length


def hand_members_on(cell_id: int, day: datetime.date) -> dict[int, str]:
    """{member id: standing} of the stints in the cell open on `day`."""
    found = rows(
        """SELECT member_id, kind, status FROM members_stint
           WHERE unit_id = %s AND start <= %s AND ("end" IS NULL OR "end" > %s)""",
        [cell_id, day, day],
    )
    return {member: Standing.HOSTED if kind == StintKind.TEMPORARY else status for member, kind, status in found}


def hand_order(member_ids) -> list[int]:
    ids = list(member_ids)
    marks = ", ".join(["%s"] * len(ids))
    return [pk for (pk,) in rows(f"SELECT id FROM members_member WHERE id IN ({marks}) ORDER BY sort_key, id", ids)]


def hand_totals(meeting_id: int) -> dict[str, int]:
    """The totals of the minutes, counted from the attendance rows."""
    (found,) = rows(
        """SELECT
             SUM(CASE WHEN standing = 'official' THEN 1 ELSE 0 END),
             SUM(CASE WHEN standing = 'probationary' THEN 1 ELSE 0 END),
             SUM(CASE WHEN standing = 'hosted' THEN 1 ELSE 0 END),
             SUM(CASE WHEN exempted THEN 1 ELSE 0 END),
             SUM(CASE WHEN away THEN 1 ELSE 0 END),
             SUM(CASE WHEN presence = 'present' THEN 1 ELSE 0 END),
             SUM(CASE WHEN presence = 'excused' THEN 1 ELSE 0 END),
             SUM(CASE WHEN presence = 'unexcused' THEN 1 ELSE 0 END),
             SUM(CASE WHEN NOT exempted AND NOT away THEN 1 ELSE 0 END),
             SUM(CASE WHEN NOT exempted AND NOT away AND presence = 'present' THEN 1 ELSE 0 END)
           FROM meetings_attendance WHERE meeting_id = %s""",
        [meeting_id],
    )
    names = ("official", "probationary", "hosted", "exempted", "away", "present", "excused", "unexcused",
             "required", "required_present")  # fmt: skip
    return {f"{name}_count": int(value or 0) for name, value in zip(names, found)}


def totals_on(meeting: Meeting) -> dict[str, int]:
    meeting = Meeting.unscoped.get(pk=meeting.pk)
    return {name: getattr(meeting, name) for name in hand_totals(meeting.pk)}


def attendance_of(meeting: Meeting) -> list[tuple]:
    return sorted(
        rows("SELECT member_id, presence, reason FROM meetings_attendance WHERE meeting_id = %s", [meeting.pk])
    )


def meeting_state() -> tuple:
    """A fingerprint of every meeting and attendance row: any row written, saved again (updated_at)
    or replaced (new ids) changes it."""
    return rows(
        """SELECT (SELECT COUNT(*) FROM meetings_meeting), (SELECT SUM(id) FROM meetings_meeting),
                  (SELECT MAX(updated_at) FROM meetings_meeting),
                  (SELECT COUNT(*) FROM meetings_attendance), (SELECT SUM(id) FROM meetings_attendance)"""
    )[0]


def refused_meeting(call, *, match: str | None = None) -> str:
    """tests.helpers.refused, and no meeting nor attendance row written, changed or deleted."""
    before = meeting_state()
    message = refused(call, match=match)
    assert meeting_state() == before
    return message


def version_on(unit_id: int, day: datetime.date = TODAY) -> UnitVersion:
    return UnitVersion.objects.on(day).get(unit_id=unit_id)


def row_of(table, unit_id: int):
    (row,) = [c for c in table.cells if c.unit_id == unit_id]
    return row


def held(cell_id: int, day: datetime.date, kind=R, minutes: int | None = None) -> Meeting:
    """A meeting held (written directly: compliance reads meetings, not attendance)."""
    minutes = minutes or (120 if kind == C else 90)
    topic = "" if kind == R else TOPIC
    return Meeting.unscoped.create(cell_id=cell_id, kind=kind, topic=topic, planned_on=day, held_on=day,
                                   duration_minutes=minutes)  # fmt: skip


def meetings_of(cell_id: int, first: datetime.date, end: datetime.date):
    return Meeting.unscoped.filter(cell_id=cell_id, held_on__gte=first, held_on__lt=end)


@pytest.fixture
def actor(db):
    return User.objects.create(username="kiemthu_sinhhoat")


@pytest.fixture
def chibo(demo) -> int:
    return demo["chibo"]


# --- invitees -------------------------------------------------------------------------------------


def plain_members(cell_id: int, day: datetime.date) -> list[int]:
    """Members of the cell on `day` with an official stint and no exemption or temporary transfer."""
    members = [m for m, standing in hand_members_on(cell_id, day).items() if standing != Standing.HOSTED]
    busy = set(
        Event.unscoped.filter(
            member_id__in=members, kind__in=[EventKind.EXEMPTION, EventKind.TEMPORARY_AWAY]
        ).values_list("member_id", flat=True)
    )
    return sorted(m for m in members if m not in busy)


def outside_member(actor, given_name="An"):
    """A member admitted by a committee outside our tree (who can be hosted by one of our cells)."""
    person = dict(family_name="Hoàng", middle_name="Văn", given_name=given_name, sex="M", birth_date=d(1975, 2, 3))
    return admit(actor, person, unit=None, effective_on=d(2010, 5, 4), other_side=ELSEWHERE)


@pytest.fixture
def situation(actor, chibo):
    """chibo's cell on DAY with one member exempted, one away outside the tree and one hosted."""
    plain = plain_members(chibo, DAY)
    assert len(plain) >= 6, plain
    exempted, away, *others = plain
    exempt(actor, Member.unscoped.get(pk=exempted), effective_on=d(2026, 11, 2))
    send_temporarily(actor, Member.unscoped.get(pk=away), effective_on=d(2026, 11, 2), ends_on=d(2027, 5, 2),
                     other_side=ELSEWHERE)  # fmt: skip
    guest = outside_member(actor)
    host_temporarily(actor, guest, unit=Unit.objects.get(pk=chibo), effective_on=d(2026, 11, 2),
                     ends_on=d(2027, 5, 2), other_side=ELSEWHERE)  # fmt: skip
    return dict(cell=chibo, exempted=exempted, away=away, hosted=guest.pk, others=others)


def test_invitees_are_the_cell_members_of_the_day_sorted_by_given_name(situation):
    people = invitees(situation["cell"], DAY)
    expected = hand_members_on(situation["cell"], DAY)
    assert {p.member.pk: p.standing for p in people} == expected
    assert len(people) == len(expected)  # nobody twice
    assert [p.member.pk for p in people] == hand_order(expected)
    assert [p.member.sort_key for p in people] == sorted(p.member.sort_key for p in people)


def test_invitees_flag_the_exempted_the_away_and_the_hosted(situation):
    people = {p.member.pk: p for p in invitees(situation["cell"], DAY)}
    exempted, away, guest = people[situation["exempted"]], people[situation["away"]], people[situation["hosted"]]
    assert (exempted.exempted, exempted.away, exempted.required) == (True, False, False)
    assert (away.exempted, away.away, away.required) == (False, True, False)
    assert guest.standing == Standing.HOSTED
    assert (guest.exempted, guest.away, guest.required) == (False, False, True)
    for pk in situation["others"]:
        assert (people[pk].exempted, people[pk].away, people[pk].required) == (False, False, True)
        assert people[pk].standing in (Standing.OFFICIAL, Standing.PROBATIONARY)


def test_invitees_before_the_events_see_none_of_them(situation):
    """The day before the exemption, the transfer away and the hosting, nobody is flagged."""
    day = d(2026, 11, 1)
    people = invitees(situation["cell"], day)
    assert situation["hosted"] not in [p.member.pk for p in people]
    assert {p.member.pk for p in people} == set(hand_members_on(situation["cell"], day))
    assert not any(p.exempted or p.away for p in people if p.member.pk in (situation["exempted"], situation["away"]))


def test_a_member_sent_to_another_of_our_cells_is_away_at_home_and_hosted_there(actor, demo, chibo):
    host = (
        UnitVersion.objects.on(DAY).filter(parent_id=demo["coso"], kind__in=CELL_KINDS).exclude(unit_id=chibo)
        .order_by("unit_id").first()
    )  # fmt: skip
    pk = plain_members(chibo, DAY)[0]
    send_temporarily(actor, Member.unscoped.get(pk=pk), unit=Unit.objects.get(pk=host.unit_id),
                     effective_on=d(2026, 10, 1), ends_on=d(2027, 4, 1))  # fmt: skip
    at_home = {p.member.pk: p for p in invitees(chibo, DAY)}
    there = {p.member.pk: p for p in invitees(host.unit_id, DAY)}
    assert at_home[pk].away and not at_home[pk].required
    assert there[pk].standing == Standing.HOSTED and there[pk].required
    assert set(there) == set(hand_members_on(host.unit_id, DAY))


def test_an_exempted_member_hosted_temporarily_is_not_required(actor, chibo):
    guest = outside_member(actor, given_name="Bình")
    host_temporarily(actor, guest, unit=Unit.objects.get(pk=chibo), effective_on=d(2026, 11, 2),
                     ends_on=d(2027, 5, 2), other_side=ELSEWHERE)  # fmt: skip
    exempt(actor, guest, effective_on=d(2026, 11, 3))
    (person,) = [p for p in invitees(chibo, DAY) if p.member.pk == guest.pk]
    assert person.standing == Standing.HOSTED
    assert person.exempted and not person.required


def test_invitees_match_the_stints_in_every_cell_with_temporary_transfers(demo):
    """Over the demo: every cell hosting someone, and every home cell of someone away, on the first
    day of each temporary transfer — standings from the stints, flags from the events."""
    days = rows(
        """SELECT member_id, effective_on, unit_id FROM members_event
           WHERE kind IN ('temporary_away', 'temporary_hosted') AND cancelled_at IS NULL ORDER BY id"""
    )
    assert days
    checked, flagged = 0, {"away": 0, "hosted": 0}
    for member_id, day, unit_id in days:
        cells = {unit_id} if unit_id else set()
        cells |= {u for (u,) in rows(
            """SELECT unit_id FROM members_stint WHERE member_id = %s AND kind = 'official'
               AND start <= %s AND ("end" IS NULL OR "end" > %s)""", [member_id, day, day])}  # fmt: skip
        for cell in cells:
            people = invitees(cell, day)
            expected = hand_members_on(cell, day)
            assert {p.member.pk: p.standing for p in people} == expected, (cell, day)
            assert [p.member.pk for p in people] == hand_order(expected)
            ids = [p.member.pk for p in people]
            marks = ", ".join(["%s"] * len(ids))
            away = {m for (m,) in rows(
                f"""SELECT member_id FROM members_event WHERE kind = 'temporary_away' AND cancelled_at IS NULL
                    AND effective_on <= %s AND ends_on > %s AND member_id IN ({marks})""",
                [day, day, *ids])}  # fmt: skip
            exempted = {m for (m,) in rows(
                f"""SELECT member_id FROM members_event WHERE kind = 'exemption' AND cancelled_at IS NULL
                    AND effective_on <= %s AND (ends_on IS NULL OR ends_on > %s) AND member_id IN ({marks})""",
                [day, day, *ids])}  # fmt: skip
            hosted = {p.member.pk for p in people if p.standing == Standing.HOSTED}
            assert {p.member.pk for p in people if p.away} == away - hosted
            assert {p.member.pk for p in people if p.exempted} == exempted
            checked += 1
            flagged["away"] += len(away - hosted)
            flagged["hosted"] += len(hosted)
    assert checked >= len(days)  # at least one cell for each transfer
    assert flagged["away"] and flagged["hosted"]


def test_invitees_use_at_most_three_queries_whatever_the_size_of_the_cell(demo, chibo):
    (largest,) = rows(
        """SELECT unit_id FROM members_stint WHERE start <= %s AND ("end" IS NULL OR "end" > %s)
           GROUP BY unit_id ORDER BY COUNT(*) DESC, unit_id LIMIT 1""",
        [DAY, DAY],
    )[0]
    assert len(hand_members_on(largest, DAY)) > 2 * len(hand_members_on(chibo, DAY))
    for cell in (chibo, largest):
        with CaptureQueriesContext(connection) as queries:
            people = invitees(cell, DAY)
            for person in people:
                person.member.full_name, person.required  # noqa: B018 - nothing lazy left to load
        assert people
        assert len(queries) <= 3, (cell, [q["sql"] for q in queries])


# --- minutes --------------------------------------------------------------------------------------


def planned(actor, cell_id: int, day: datetime.date, kind=R, topic="") -> Meeting:
    return plan_meeting(actor, Meeting(cell_id=cell_id, kind=kind, topic=topic, planned_on=day))


def first_answers(situation) -> dict[int, tuple[str, str]]:
    """The exempted member came, the one away did not; of the others, one excused, one not."""
    first, second, excused, unexcused, *rest = situation["others"]
    answers = {
        situation["exempted"]: (PRESENT, ""),
        situation["away"]: (EXCUSED, "Sinh hoạt tạm thời nơi khác"),
        situation["hosted"]: (PRESENT, "lý do không cần khi có mặt"),
        first: (PRESENT, ""),
        second: (PRESENT, ""),
        excused: (EXCUSED, "  Đi công tác  "),
        unexcused: (UNEXCUSED, ""),
    }
    answers.update({pk: (PRESENT, "") for pk in rest})
    return answers


def minutes(actor, meeting, answers, **fields):
    values = dict(held_on=DAY, duration_minutes=95, chair_id=None, secretary_id=None, place="Phòng họp chi bộ")
    return save_minutes(actor, meeting, attendance=answers, **{**values, **fields})


def test_minutes_totals_are_counted_from_the_attendance_rows(actor, situation):
    meeting = planned(actor, situation["cell"], DAY)
    answers = first_answers(situation)
    chair, secretary = situation["others"][:2]
    minutes(actor, meeting, answers, chair_id=chair, secretary_id=secretary)

    totals = totals_on(meeting)
    assert totals == hand_totals(meeting.pk)
    standings = hand_members_on(situation["cell"], DAY)
    assert totals["official_count"] == sum(s == Standing.OFFICIAL for s in standings.values())
    assert totals["probationary_count"] == sum(s == Standing.PROBATIONARY for s in standings.values())
    assert totals["hosted_count"] == 1
    assert (totals["exempted_count"], totals["away_count"]) == (1, 1)
    absent = 3  # away, excused, unexcused
    assert totals["present_count"] == len(standings) - absent
    assert (totals["excused_count"], totals["unexcused_count"]) == (2, 1)
    assert totals["required_count"] == len(standings) - 2  # less the exempted and the away
    assert totals["required_present_count"] == len(standings) - absent - 1  # less the exempted who came

    saved = Meeting.unscoped.get(pk=meeting.pk)
    assert (saved.held_on, saved.duration_minutes, saved.chair_id, saved.secretary_id) == (DAY, 95, chair, secretary)
    assert saved.month_index == months_since_zero(DAY)
    answered = {member: (presence, reason) for member, presence, reason in attendance_of(meeting)}
    assert answered[situation["hosted"]] == (PRESENT, "")  # no reason kept for someone present
    assert answered[situation["others"][2]] == (EXCUSED, "Đi công tác")
    (flags,) = rows("SELECT standing, exempted, away FROM meetings_attendance WHERE meeting_id = %s AND member_id = %s",
                    [meeting.pk, situation["exempted"]])  # fmt: skip
    assert (flags[0], bool(flags[1]), bool(flags[2])) == (standings[situation["exempted"]], True, False)


def test_saving_the_minutes_again_replaces_the_attendance(actor, situation):
    meeting = planned(actor, situation["cell"], DAY)
    first = first_answers(situation)
    minutes(actor, meeting, first)
    second = {pk: (PRESENT, "") for pk in first} | {situation["away"]: (UNEXCUSED, "")}
    minutes(actor, meeting, second, duration_minutes=120)

    people = hand_members_on(situation["cell"], DAY)
    assert attendance_of(meeting) == sorted((pk, *answer) for pk, answer in second.items())
    (count, distinct) = rows(
        "SELECT COUNT(*), COUNT(DISTINCT member_id) FROM meetings_attendance WHERE meeting_id = %s", [meeting.pk]
    )[0]
    assert count == distinct == len(people)
    totals = totals_on(meeting)
    assert totals == hand_totals(meeting.pk)
    assert (totals["present_count"], totals["excused_count"], totals["unexcused_count"]) == (len(people) - 1, 0, 1)
    assert Meeting.unscoped.get(pk=meeting.pk).duration_minutes == 120


def test_minutes_are_audited_with_the_attendance_before_and_after(actor, situation):
    meeting = planned(actor, situation["cell"], DAY)
    mark = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first()
    first = first_answers(situation)
    minutes(actor, meeting, first)
    after_first = [list(row) for row in attendance_of(meeting)]
    second = {pk: (PRESENT, "") for pk in first}
    minutes(actor, meeting, second, duration_minutes=100)

    entries = list(AuditEntry.objects.filter(pk__gt=mark).order_by("pk"))
    assert [e.action for e in entries] == ["save_minutes", "save_minutes"]
    one, two = entries
    for entry in entries:
        assert (entry.actor, entry.target_type, entry.target_id) == (actor, "meetings.meeting", str(meeting.pk))
    assert one.before["held_on"] is None
    assert one.after["held_on"] == DAY.isoformat()
    assert one.after["duration_minutes"] == 95
    assert one.after["attendance"] == after_first
    assert two.before["attendance"] == after_first
    assert two.before["duration_minutes"] == 95
    assert two.after["duration_minutes"] == 100
    assert two.after["attendance"] == [[pk, PRESENT, ""] for pk in sorted(second)]
    assert two.after["present_count"] == len(second)


# --- bad input, refused with nothing written ------------------------------------------------------


def latest_founded_cell() -> tuple[int, datetime.date]:
    """The cell of the demo founded last (after 2020), with its foundation day."""
    (found,) = rows(
        """SELECT unit_id, MIN(valid_from) FROM orgs_unitversion WHERE kind IN ('grassroots_cell', 'attached_cell')
           GROUP BY unit_id HAVING MIN(valid_from) > %s ORDER BY MIN(valid_from) DESC, unit_id LIMIT 1""",
        [d(2020, 12, 31)],
    )
    return found[0], as_date(found[1])


def dissolved_cell() -> tuple[int, datetime.date]:
    """A cell of the demo dissolved (its last version ends), with the day it ended."""
    (found,) = rows(
        """SELECT unit_id, MAX(valid_to) FROM orgs_unitversion v WHERE kind IN ('grassroots_cell', 'attached_cell')
           AND NOT EXISTS (SELECT 1 FROM orgs_unitversion w WHERE w.unit_id = v.unit_id AND w.valid_to IS NULL)
           GROUP BY unit_id ORDER BY unit_id LIMIT 1"""
    )
    return found[0], as_date(found[1])


def test_planning_before_the_cell_was_founded_is_refused(actor, demo):
    cell, founded = latest_founded_cell()
    assert founded > d(2020, 12, 31)
    day = founded - datetime.timedelta(days=10)
    refused_meeting(lambda: planned(actor, cell, day), match=f"không tồn tại vào ngày {day:%d/%m/%Y}")
    assert planned(actor, cell, founded).cell_id == cell  # from its foundation day it can


def test_planning_after_the_cell_was_dissolved_is_refused(actor, demo):
    cell, ended = dissolved_cell()
    refused_meeting(lambda: planned(actor, cell, ended), match=f"không tồn tại vào ngày {ended:%d/%m/%Y}")
    refused_meeting(lambda: planned(actor, cell, d(2026, 11, 10)), match="không tồn tại")


def test_minutes_of_a_day_the_cell_did_not_exist_are_refused(actor, demo):
    cell, ended = dissolved_cell()
    last_day = ended - datetime.timedelta(days=1)
    meeting = planned(actor, cell, last_day)
    message = f"không tồn tại vào ngày {ended:%d/%m/%Y}"
    refused_meeting(lambda: minutes(actor, meeting, {}, held_on=ended), match=message)
    young, founded = latest_founded_cell()
    meeting = planned(actor, young, founded + datetime.timedelta(days=10))
    day = founded - datetime.timedelta(days=1)
    refused_meeting(lambda: minutes(actor, meeting, {}, held_on=day), match="không tồn tại")


def test_planning_for_a_unit_that_is_not_a_cell_is_refused(actor, demo):
    message = refused_meeting(lambda: planned(actor, demo["coso"], DAY), match="Sinh hoạt chi bộ do chi bộ tổ chức")
    assert UnitKind.GRASSROOTS_COMMITTEE.label in message
    refused_meeting(lambda: planned(actor, demo["root"], DAY), match=UnitKind.SUPERIOR.label)


@pytest.mark.parametrize("kind", [T, C])
@pytest.mark.parametrize("topic", ["", "   "])
def test_a_thematic_meeting_needs_a_topic(actor, chibo, kind, topic):
    refused_meeting(lambda: planned(actor, chibo, DAY, kind, topic), match="phải có tên chuyên đề")
    assert planned(actor, chibo, DAY, kind, TOPIC).topic == TOPIC


def test_materials_sent_after_the_meeting_are_refused(actor, chibo):
    meeting = Meeting(cell_id=chibo, planned_on=DAY, materials_sent_on=DAY + datetime.timedelta(days=1))
    refused_meeting(lambda: plan_meeting(actor, meeting), match="Ngày gửi tài liệu phải trước ngày họp")


def test_attendance_of_someone_not_in_the_cell_is_refused(actor, situation, outsider):
    _, other_cell = outsider
    stranger = sorted(hand_members_on(other_cell, DAY))[0]
    assert stranger not in hand_members_on(situation["cell"], DAY)
    meeting = planned(actor, situation["cell"], DAY)
    answers = first_answers(situation) | {stranger: (PRESENT, "")}
    refused_meeting(lambda: minutes(actor, meeting, answers), match="không sinh hoạt tại chi bộ vào ngày 20/11/2026")


@pytest.mark.parametrize("duration", [0, -30, None, 12 * 60 + 1])
def test_a_duration_that_is_not_a_positive_time_is_refused(actor, situation, duration):
    meeting = planned(actor, situation["cell"], DAY)
    refused_meeting(lambda: minutes(actor, meeting, first_answers(situation), duration_minutes=duration),
                    match="Thời lượng")  # fmt: skip


def test_minutes_of_a_meeting_not_yet_held_are_refused(actor, situation):
    tomorrow = today() + datetime.timedelta(days=1)
    meeting = planned(actor, situation["cell"], tomorrow)
    refused_meeting(lambda: minutes(actor, meeting, first_answers(situation), held_on=tomorrow), match="chưa đến")
    refused_meeting(lambda: minutes(actor, meeting, first_answers(situation), held_on=None), match="Hãy nhập ngày họp")


def test_an_invitee_missing_from_the_attendance_is_refused(actor, situation):
    meeting = planned(actor, situation["cell"], DAY)
    answers = first_answers(situation)
    del answers[situation["hosted"]]
    refused_meeting(lambda: minutes(actor, meeting, answers), match="Chưa điểm danh: Hoàng Văn An")


@pytest.mark.parametrize("reason", ["", "   "])
def test_an_excused_absence_needs_a_reason(actor, situation, reason):
    meeting = planned(actor, situation["cell"], DAY)
    answers = first_answers(situation) | {situation["hosted"]: (EXCUSED, reason)}
    refused_meeting(lambda: minutes(actor, meeting, answers), match="Hãy ghi lý do vắng của Hoàng Văn An")


def test_an_unknown_presence_is_refused(actor, situation):
    meeting = planned(actor, situation["cell"], DAY)
    answers = first_answers(situation) | {situation["hosted"]: ("late", "")}
    refused_meeting(lambda: minutes(actor, meeting, answers), match="Hãy chọn có mặt hay vắng")


@pytest.mark.parametrize("role", ["chair_id", "secretary_id"])
def test_the_chair_and_the_secretary_must_be_present(actor, situation, outsider, role):
    meeting = planned(actor, situation["cell"], DAY)
    answers = first_answers(situation)
    stranger = sorted(hand_members_on(outsider[1], DAY))[0]
    for nobody in (situation["away"], situation["others"][3], stranger):  # excused, unexcused, not invited
        call = lambda pk=nobody: minutes(actor, meeting, answers, **{role: pk})  # noqa: E731
        refused_meeting(call, match="phải là đảng viên có mặt tại buổi sinh hoạt")


def test_a_refused_correction_keeps_the_minutes_already_saved(actor, situation):
    meeting = planned(actor, situation["cell"], DAY)
    minutes(actor, meeting, first_answers(situation))
    saved, totals = attendance_of(meeting), totals_on(meeting)
    answers = first_answers(situation)
    del answers[situation["others"][0]]
    refused_meeting(lambda: minutes(actor, meeting, answers, duration_minutes=150), match="Chưa điểm danh")
    assert attendance_of(meeting) == saved
    assert totals_on(meeting) == totals
    assert Meeting.unscoped.get(pk=meeting.pk).duration_minutes == 95


# --- plan and delete ------------------------------------------------------------------------------


def test_a_planned_meeting_is_audited_and_can_be_deleted(actor, chibo):
    mark = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first()
    meeting = planned(actor, chibo, d(2026, 12, 15), C, TOPIC)
    pk = meeting.pk
    assert Meeting.unscoped.get(pk=pk).created_by == actor
    delete_meeting(actor, meeting)
    assert rows("SELECT COUNT(*) FROM meetings_meeting WHERE id = %s", [pk]) == [(0,)]
    entries = list(AuditEntry.objects.filter(pk__gt=mark).order_by("pk"))
    assert [(e.action, e.target_id) for e in entries] == [("plan_meeting", str(pk)), ("delete_meeting", str(pk))]
    planned_entry, deleted = entries
    assert planned_entry.before is None and planned_entry.after["kind"] == C
    assert deleted.actor == actor
    assert deleted.before["planned_on"] == "2026-12-15"
    assert deleted.before["cell_id"] == chibo
    assert deleted.after is None


# Meetings carry times (planned_time, started_at): their audit snapshots must hold them too.


def test_a_plan_of_the_demo_can_be_deleted(actor, chibo):
    meeting = Meeting.unscoped.filter(cell_id=chibo, held_on=None).order_by("planned_on").first()
    assert meeting.planned_time is not None  # the demo plans every meeting at 8:00 or 14:00
    pk = meeting.pk
    delete_meeting(actor, meeting)
    assert not Meeting.unscoped.filter(pk=pk).exists()
    entry = AuditEntry.objects.get(action="delete_meeting", target_id=str(pk))
    assert entry.before["planned_time"] == meeting.planned_time.isoformat()


def test_a_plan_with_a_time_is_audited(actor, chibo):
    meeting = plan_meeting(actor, Meeting(cell_id=chibo, planned_on=d(2026, 12, 15), planned_time=datetime.time(14)))
    entry = AuditEntry.objects.get(action="plan_meeting", target_id=str(meeting.pk))
    assert entry.after["planned_time"] == "14:00:00"


def test_minutes_with_a_starting_time_are_audited(actor, situation):
    meeting = planned(actor, situation["cell"], DAY)
    minutes(actor, meeting, first_answers(situation), started_at=datetime.time(8, 30))
    assert Meeting.unscoped.get(pk=meeting.pk).started_at == datetime.time(8, 30)
    entry = AuditEntry.objects.get(action="save_minutes", target_id=str(meeting.pk))
    assert entry.after["started_at"] == "08:30:00"


def test_a_held_meeting_cannot_be_deleted(actor, chibo):
    meeting = Meeting.unscoped.filter(cell_id=chibo).exclude(held_on=None).order_by("-held_on").first()
    attendance = attendance_of(meeting)
    assert attendance
    refused_meeting(lambda: delete_meeting(actor, meeting), match="không thể xóa")
    assert attendance_of(meeting) == attendance
    assert not AuditEntry.objects.filter(action="delete_meeting", target_id=str(meeting.pk)).exists()


def test_changing_a_plan_is_audited_with_before_and_after(actor, chibo):
    meeting = planned(actor, chibo, d(2026, 12, 15))
    meeting.planned_on, meeting.place = d(2026, 12, 17), "Hội trường cơ quan"
    plan_meeting(actor, meeting)
    entry = AuditEntry.objects.filter(target_type="meetings.meeting", target_id=str(meeting.pk)).order_by("-pk").first()
    assert entry.action == "change_meeting"
    assert (entry.before["planned_on"], entry.after["planned_on"]) == ("2026-12-15", "2026-12-17")
    assert entry.after["place"] == "Hội trường cơ quan"


# --- compliance: controlled situations on chibo's cell ---------------------------------------------

YEAR = (d(2025, 1, 1), d(2025, 12, 1))  # first and last month


def chibo_row(chibo, first=YEAR[0], last=YEAR[1], today=TODAY, *, grid=False):
    table = compliance(version_on(chibo), first, last, today)
    assert [c.unit_id for c in table.cells] == [chibo]
    row = row_of(table, chibo)
    if grid:
        months_of([row], table)
    return row


def only_regular_month(cell_id: int, year: int) -> datetime.date:
    """A month of `year` in which the cell held only regular meetings."""
    for month in range(1, 13):
        start = d(year, month, 1)
        kinds = set(meetings_of(cell_id, start, first_of(months_since_zero(start) + 1)).values_list("kind", flat=True))
        if kinds == {R}:
            return start
    raise AssertionError("no month with only regular meetings")


def test_chibo_keeps_every_meeting_of_2025(chibo):
    row = chibo_row(chibo, grid=True)
    assert row.owed_regular == [key(d(2025, m, 1)) for m in range(1, 13)]
    assert row.owed_thematic == [key(d(2025, m, 1), 3) for m in (1, 4, 7, 10)]
    assert (row.held_regular, row.held_thematic, row.short) == (12, 4, 0)
    assert row.complies and row.gaps == 0
    assert (row.missing_regular, row.missing_thematic) == ([], [])
    assert row.meetings == meetings_of(chibo, d(2025, 1, 1), d(2026, 1, 1)).count()


def test_a_month_without_a_regular_meeting_is_missing(chibo):
    month = only_regular_month(chibo, 2025)
    deleted, _ = meetings_of(chibo, month, first_of(months_since_zero(month) + 1)).delete()
    assert deleted
    row = chibo_row(chibo, grid=True)
    assert not row.complies
    assert (row.held_regular, row.held_thematic, row.gaps) == (11, 4, 1)
    assert row.missing_regular == [key(month)]
    assert row.missing_thematic == []


def test_a_combined_meeting_is_both_the_regular_and_the_thematic_one(chibo):
    quarter, end = d(2025, 4, 1), d(2025, 7, 1)
    meetings_of(chibo, quarter, end).delete()
    held(chibo, d(2025, 4, 8))
    held(chibo, d(2025, 5, 8))
    june = held(chibo, d(2025, 6, 9), C)
    row = chibo_row(chibo, grid=True)
    assert row.complies and (row.held_regular, row.held_thematic) == (12, 4)

    Meeting.unscoped.filter(pk=june.pk).update(kind=T, duration_minutes=90)  # thematic only: June has no regular
    row = chibo_row(chibo, grid=True)
    assert (row.missing_regular, row.missing_thematic) == ([key(d(2025, 6, 1))], [])

    Meeting.unscoped.filter(pk=june.pk).update(kind=R)  # regular only: the quarter has no thematic
    row = chibo_row(chibo, grid=True)
    assert (row.missing_regular, row.missing_thematic) == ([], [key(quarter, 3)])
    assert not row.complies and row.gaps == 1


@pytest.mark.parametrize(
    "kind, minutes, too_short",
    [(R, 89, True), (R, 90, False), (T, 89, True), (T, 90, False), (C, 119, True), (C, 120, False)],
)
def test_a_meeting_shorter_than_the_rule_breaks_compliance(chibo, kind, minutes, too_short):
    held(chibo, d(2025, 6, 20), kind, minutes)
    row = chibo_row(chibo)
    assert row.short == (1 if too_short else 0)
    assert row.complies is not too_short
    assert row.gaps == 0


def test_the_month_in_progress_and_later_months_are_never_owed(chibo):
    first, last = d(2026, 7, 1), d(2027, 3, 1)
    meetings_of(chibo, d(2026, 11, 1), d(2027, 1, 1)).delete()  # nothing in November nor December
    row = chibo_row(chibo, first, last, grid=True)
    assert row.owed_regular == [key(d(2026, m, 1)) for m in (7, 8, 9, 10)]
    assert row.owed_thematic == [key(first, 3)]
    assert row.complies and row.missing_regular == []
    # Still true on the last day of November; from 1 December, November is owed and missing.
    assert chibo_row(chibo, first, last, d(2026, 11, 30)).complies
    row = chibo_row(chibo, first, last, d(2026, 12, 1), grid=True)
    assert row.owed_regular[-1] == key(d(2026, 11, 1))
    assert row.missing_regular == [key(d(2026, 11, 1))]
    assert not row.complies


def test_a_quarter_only_partly_inside_the_period_is_not_owed(chibo):
    # The thematic meetings of the first and last quarters of 2025 become regular ones.
    for start, end in ((d(2025, 1, 1), d(2025, 4, 1)), (d(2025, 10, 1), d(2026, 1, 1))):
        assert meetings_of(chibo, start, end).exclude(kind=R).update(kind=R, topic="")
    row = chibo_row(chibo, d(2025, 2, 1), d(2025, 11, 1), grid=True)
    assert row.owed_thematic == [key(d(2025, m, 1), 3) for m in (4, 7)]
    assert row.owed_regular == [key(d(2025, m, 1)) for m in range(2, 12)]
    assert row.complies and row.held_thematic == 2
    row = chibo_row(chibo, grid=True)  # the whole year owes them
    assert row.missing_thematic == [key(d(2025, 1, 1), 3), key(d(2025, 10, 1), 3)]
    assert not row.complies


def test_a_cell_founded_in_the_period_owes_nothing_before_its_first_full_month(demo):
    cell, founded = latest_founded_cell()
    assert founded.day != 1  # founded within a month: that month is not owed
    parent = version_on(cell).parent_id
    first, last = d(founded.year, 1, 1), d(2026, 10, 1)
    held(cell, founded)  # a meeting on its first day counts for nothing owed
    table = compliance(version_on(parent), first, last, TODAY)
    row = row_of(table, cell)
    months_of([row], table)
    first_owed = months_since_zero(founded) + 1
    assert row.owed_regular == list(range(first_owed, months_since_zero(last) + 1))
    first_quarter = -(-first_owed // 3)
    assert row.owed_thematic == list(range(first_quarter, key(d(2026, 7, 1), 3) + 1))
    sql = "SELECT kind, held_on FROM meetings_meeting WHERE cell_id = %s AND held_on < %s"
    meetings = rows(sql, [cell, d(2026, 11, 1)])
    assert row.held_regular == len({key(day) for kind, day in meetings if kind in (R, C)} & set(row.owed_regular))
    assert row.held_thematic == len({key(day, 3) for kind, day in meetings if kind in (T, C)} & set(row.owed_thematic))
    assert row.missing_regular == [k for k in row.owed_regular if k not in {key(day) for kind, day in meetings
                                                                             if kind in (R, C)}]  # fmt: skip


def test_thematic_meetings_every_six_months_by_setting(chibo, settings):
    settings.MEETING_RULES = {**settings.MEETING_RULES, "thematic_months": 6}
    # 2025's first half has two combined meetings; without the first, the half still has one.
    first_half = meetings_of(chibo, d(2025, 1, 1), d(2025, 7, 1)).exclude(kind=R).order_by("held_on")
    assert first_half.count() >= 2
    first_half.filter(pk=first_half[0].pk).update(kind=R, topic="")
    row = chibo_row(chibo, grid=True)
    assert row.owed_thematic == [key(d(2025, 1, 1), 6), key(d(2025, 7, 1), 6)]
    assert row.complies and row.held_thematic == 2
    first_half.update(kind=R, topic="")
    row = chibo_row(chibo, grid=True)
    assert row.missing_thematic == [key(d(2025, 1, 1), 6)]
    assert not row.complies


def test_a_longer_minimum_by_setting_makes_more_meetings_short(chibo, settings):
    settings.MEETING_RULES = {**settings.MEETING_RULES, "min_minutes": 100, "min_minutes_combined": 130}
    (short,) = rows(
        """SELECT COUNT(*) FROM meetings_meeting WHERE cell_id = %s AND held_on >= %s AND held_on < %s
           AND ((kind = 'combined' AND duration_minutes < 130) OR (kind <> 'combined' AND duration_minutes < 100))""",
        [chibo, d(2025, 1, 1), d(2026, 1, 1)],
    )[0]
    assert short > 0
    row = chibo_row(chibo)
    assert row.short == short and not row.complies


# --- compliance: the whole demo against a hand computation -----------------------------------------


def held_meetings(first, end) -> dict[int, list[tuple]]:
    """{cell: [(kind, held_on, minutes, required, required present)]} of the meetings held in [first, end)."""
    found = defaultdict(list)
    for cell, *meeting in rows(
        """SELECT cell_id, kind, held_on, duration_minutes, required_count, required_present_count
           FROM meetings_meeting WHERE held_on >= %s AND held_on < %s""",
        [first, end],
    ):
        found[cell].append(tuple(meeting))
    return found


def merged(intervals) -> list[list]:
    lived = []
    for a, b in sorted(intervals):
        if lived and lived[-1][1] is None:
            continue
        if lived and lived[-1][1] >= a:
            lived[-1][1] = None if b is None else max(lived[-1][1], b)
        else:
            lived.append([a, b])
    return lived


def hand_compliance(root_id, root_day, first, last, today, rules, meetings=None) -> dict[int, dict]:
    """Per cell lying under the root at some time in [first, last month]: the periods owed and held,
    the short meetings and the attendance sums — from the unit versions and the meeting rows."""
    path = hand_path(root_id, root_day)
    end = first_of(months_since_zero(last) + 1)
    meetings = held_meetings(first, end) if meetings is None else meetings
    spans = defaultdict(list)
    for unit, start, stop in rows(
        """SELECT unit_id, valid_from, valid_to FROM orgs_unitversion
           WHERE path LIKE %s AND kind IN ('grassroots_cell', 'attached_cell')""",
        [path + "%"],
    ):
        spans[unit].append((start, stop))
    cells = {u: s for u, s in spans.items() if any(a < end and (b is None or b > first) for a, b in s)}
    limit = {C: rules["min_minutes_combined"], R: rules["min_minutes"], T: rules["min_minutes"]}
    result = {}
    for cell, intervals in cells.items():
        lived = merged(intervals)

        def owed(length, lived=lived):
            keys = []
            for k in range(months_since_zero(first) // length, months_since_zero(last) // length + 1):
                start, stop = first_of(k * length), first_of(k * length + length)
                whole = any(a <= start and (b is None or b >= stop) for a, b in lived)
                if start >= first and stop <= end and stop <= today and whole:
                    keys.append(k)
            return keys

        # Meetings held while the cell lay under the root (a moved cell's others belong elsewhere).
        own = [m for m in meetings.get(cell, []) if any(a <= m[1] and (b is None or m[1] < b) for a, b in lived)]
        regular = {months_since_zero(day) // rules["regular_months"] for kind, day, *_ in own if kind in (R, C)}
        thematic = {months_since_zero(day) // rules["thematic_months"] for kind, day, *_ in own if kind in (T, C)}
        owed_regular, owed_thematic = owed(rules["regular_months"]), owed(rules["thematic_months"])
        row = dict(
            owed_regular=owed_regular,
            owed_thematic=owed_thematic,
            held_regular=len(regular & set(owed_regular)),
            held_thematic=len(thematic & set(owed_thematic)),
            missing_regular=[k for k in owed_regular if k not in regular],
            missing_thematic=[k for k in owed_thematic if k not in thematic],
            short=sum(1 for kind, _, minutes, *_ in own if minutes is not None and minutes < limit[kind]),
            meetings=len(own),
            required=sum(m[3] for m in own),
            required_present=sum(m[4] for m in own),
        )
        row["complies"] = not row["missing_regular"] and not row["missing_thematic"] and row["short"] == 0
        result[cell] = row
    return result


def as_dict(row) -> dict:
    names = ("owed_regular", "owed_thematic", "held_regular", "held_thematic", "missing_regular", "missing_thematic",
             "short", "meetings", "required", "required_present")  # fmt: skip
    return {**{name: getattr(row, name) for name in names}, "complies": row.complies}


def moved_cells() -> list[tuple]:
    """(cell, parent before, parent after, day) of every cell of the demo that changed parent."""
    return rows(
        """SELECT a.unit_id, a.parent_id, b.parent_id, b.valid_from FROM orgs_unitversion a
           JOIN orgs_unitversion b ON b.unit_id = a.unit_id AND b.valid_from = a.valid_to
           WHERE a.kind IN ('grassroots_cell', 'attached_cell') AND a.parent_id <> b.parent_id
           ORDER BY b.valid_from, a.unit_id"""
    )


def roots_of_the_demo(demo) -> list[tuple[int, datetime.date]]:
    """(unit, a day it existed): the whole demo, coso's committee, and the committees that gave or
    received a cell when the cell moved (one of them was merged away)."""
    roots = {(demo["root"], TODAY), (demo["coso"], TODAY)}
    moves = moved_cells()
    for _, before, after, day in (moves[0], moves[-1]):
        roots |= {(before, day - datetime.timedelta(days=1)), (after, day)}
    return sorted(roots)


PERIODS = {
    "term": (d(2020, 10, 1), d(2024, 9, 1), TODAY),
    "after_reference": (d(2024, 10, 1), d(2026, 10, 1), TODAY),
    "mid_quarter_to_now": (d(2024, 11, 1), d(2026, 11, 1), TODAY),
    "year_2022": (d(2022, 1, 1), d(2022, 12, 1), TODAY),
    "year_2025_seen_in_august": (d(2025, 1, 1), d(2025, 12, 1), d(2025, 8, 15)),
    "month_in_progress": (d(2026, 11, 1), d(2026, 12, 1), TODAY),
}
RULES = {
    "default": {},
    "half_years": {"thematic_months": 6},
    "two_months": {"regular_months": 2, "thematic_months": 6},
    "longer": {"min_minutes": 100, "min_minutes_combined": 130},
}


@pytest.mark.parametrize("rules", RULES.values(), ids=RULES.keys())
@pytest.mark.parametrize("period", PERIODS.values(), ids=PERIODS.keys())
def test_compliance_of_the_demo_matches_a_hand_computation(demo, settings, period, rules):
    settings.MEETING_RULES = {**settings.MEETING_RULES, **rules}
    first, last, today_ = period
    meetings = held_meetings(first, first_of(months_since_zero(last) + 1))
    seen = 0
    for root_id, day in roots_of_the_demo(demo):
        table = compliance(version_on(root_id, day), first, last, today_)
        months_of(table.cells, table)
        expected = hand_compliance(root_id, day, first, last, today_, settings.MEETING_RULES, meetings)
        assert {c.unit_id: as_dict(c) for c in table.cells} == expected, (root_id, day)
        complying = sum(1 for row in expected.values() if row["complies"])
        assert table.complying == complying
        assert table.rate == (Decimal(complying) * 100 / len(expected) if expected else None)
        seen += len(expected)
    assert seen > 400


def test_the_demo_has_cells_that_moved_and_cells_founded_in_the_periods(demo, settings):
    """The situations the comparison above relies on: cells that lived in a subtree for part of a
    period only, moved in 2022 and when a committee was merged on 01/07/2025."""
    moves = moved_cells()
    assert {day for *_, day in moves} >= {d(2022, 4, 1), d(2025, 7, 1)}
    cell, before, after, day = moves[0]
    first, last = d(day.year, 1, 1), d(day.year, 12, 1)
    arrived = hand_compliance(after, day, first, last, TODAY, settings.MEETING_RULES)[cell]
    left = hand_compliance(before, day - datetime.timedelta(days=1), first, last, TODAY, settings.MEETING_RULES)
    assert arrived["owed_regular"] == list(range(key(day), key(last) + 1))
    assert left[cell]["owed_regular"] == list(range(key(first), key(day)))
    young, founded = latest_founded_cell()
    assert first_of(key(founded)) < founded  # founded within a month


# --- the demo's calibration -----------------------------------------------------------------------


def test_every_cell_kept_its_meetings_over_the_term_to_the_reference_day(demo, reference_day):
    table = compliance(version_on(demo["root"]), d(2020, 10, 1), d(2024, 9, 1), TODAY)
    (cells,) = rows(
        """SELECT COUNT(DISTINCT unit_id) FROM orgs_unitversion WHERE kind IN ('grassroots_cell', 'attached_cell')
           AND valid_from < %s AND (valid_to IS NULL OR valid_to > %s)""",
        [d(2024, 10, 1), d(2020, 10, 1)],
    )[0]
    assert len(table.cells) == cells
    assert table.rate == 100
    assert all(c.complies and c.short == 0 and c.gaps == 0 for c in table.cells)
    assert table.months[0] == d(2020, 10, 1) and table.months[-1] == d(2024, 9, 1) and len(table.months) == 48
    assert reference_day < d(2024, 10, 1)


def test_after_the_reference_day_some_cells_miss_meetings_or_hold_short_ones(demo):
    table = compliance(version_on(demo["root"]), d(2024, 10, 1), d(2026, 10, 1), TODAY)
    assert table.rate < 100
    assert any(c.gaps > 0 for c in table.cells)
    (short,) = rows(
        """SELECT COUNT(*) FROM meetings_meeting WHERE held_on >= %s AND held_on < %s
           AND ((kind = 'combined' AND duration_minutes < 120) OR (kind <> 'combined' AND duration_minutes < 90))""",
        [d(2024, 10, 1), d(2026, 11, 1)],
    )[0]
    assert short > 0
    assert sum(c.short for c in table.cells) == short
    # The cells that do not comply come first.
    flags = [c.complies for c in table.cells]
    assert flags == sorted(flags)


def test_members_absent_without_reason_three_times_in_2025(demo):
    cells = [u for (u,) in rows("SELECT DISTINCT unit_id FROM orgs_unitversion WHERE kind IN "
                                "('grassroots_cell', 'attached_cell')")]  # fmt: skip
    found = unexcused_members(cells, d(2025, 1, 1), d(2026, 1, 1))
    assert found
    expected = rows(
        """SELECT a.member_id, COUNT(*) FROM meetings_attendance a JOIN meetings_meeting m ON m.id = a.meeting_id
           WHERE a.presence = 'unexcused' AND m.held_on >= %s AND m.held_on < %s
           GROUP BY a.member_id HAVING COUNT(*) >= 3""",
        [d(2025, 1, 1), d(2026, 1, 1)],
    )
    assert sorted(found) == sorted((member, 2025, n) for member, n in expected)
    for member, year, n in found:
        (count,) = rows(
            """SELECT COUNT(*) FROM meetings_attendance a JOIN meetings_meeting m ON m.id = a.meeting_id
               WHERE a.member_id = %s AND a.presence = 'unexcused' AND m.held_on >= %s AND m.held_on < %s""",
            [member, d(year, 1, 1), d(year + 1, 1, 1)],
        )[0]
        assert (year, n) == (2025, count) and n >= 3


def test_absences_are_counted_by_calendar_year(demo, chibo):
    """Two absences in December and one in January are not three in a year; a third in December is."""
    members = sorted(hand_members_on(chibo, d(2023, 12, 1)))
    (member,) = rows(
        f"""SELECT m.id FROM members_member m WHERE m.id IN ({", ".join(["%s"] * len(members))})
            AND NOT EXISTS (SELECT 1 FROM meetings_attendance a JOIN meetings_meeting g ON g.id = a.meeting_id
                            WHERE a.member_id = m.id AND a.presence = 'unexcused' AND g.held_on >= %s)
            ORDER BY m.id LIMIT 1""",
        [*members, d(2023, 1, 1)],
    )[0]

    def absent(day):
        meeting = held(chibo, day)
        Attendance.unscoped.create(meeting=meeting, member_id=member, standing=Standing.OFFICIAL, presence=UNEXCUSED)
        # The totals follow the rows, as save_minutes keeps them.
        Meeting.unscoped.filter(pk=meeting.pk).update(unexcused_count=F("unexcused_count") + 1)

    for day in (d(2023, 12, 18), d(2023, 12, 22), d(2024, 1, 19)):
        absent(day)
    assert member not in [m for m, _, _ in unexcused_members([chibo], d(2023, 1, 1), d(2025, 1, 1))]
    absent(d(2023, 12, 27))
    assert (member, 2023, 3) in unexcused_members([chibo], d(2023, 1, 1), d(2025, 1, 1))
    # Only the meetings of the cells and the period asked about count.
    assert member not in [m for m, _, _ in unexcused_members([chibo], d(2023, 12, 20), d(2025, 1, 1))]
    assert member not in [m for m, _, _ in unexcused_members([demo["coso"]], d(2023, 1, 1), d(2025, 1, 1))]


def test_chibo_has_meetings_planned_after_today(demo, chibo):
    plans = Meeting.unscoped.filter(cell_id=chibo, held_on=None)
    assert plans.filter(planned_on__gt=today()).exists()
    assert not plans.filter(planned_on__lte=today()).exists()
    assert all(m.present_count == 0 and m.duration_minutes is None for m in plans)


# --- query counts ---------------------------------------------------------------------------------


def test_compliance_uses_a_constant_number_of_queries(demo, chibo):
    counts = []
    roots = [version_on(demo["root"]), version_on(demo["coso"]), version_on(chibo)]
    for root in roots:
        for first, last, today_ in PERIODS.values():
            with CaptureQueriesContext(connection) as queries:
                table = compliance(root, first, last, today_)
                [(c.complies, c.gaps, c.attendance_rate) for c in table.cells]
            assert table.cells
            counts.append(len(queries))
    # At most 4 whatever the subtree and period (3 when no cell was founded, dissolved or moved
    # within the period: nothing to read meeting by meeting).
    assert max(counts) <= 4 and min(counts) >= 3, counts
    table = compliance(roots[0], *PERIODS["after_reference"])
    with CaptureQueriesContext(connection) as queries:
        months_of(table.cells, table)
    assert len(queries) == 1
