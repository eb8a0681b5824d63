"""The dated scope (issue 18, item 1): a member record is the scope's where the member held a stint
in a unit while that unit lay in the subtree; a member who left is shown read-only as far as the
subtree knew them; writes only where the member lay in the subtree on the day they take effect.
The same for the meetings, disciplines and ratings of a cell that moved or merged.

The demo's reorganisations are found through the ORM, not by their ids: an attached cell moved
between two grassroots committees on 01/04/2022, and on 01/07/2025 one committee merged into
another (its cells moved, it was dissolved)."""

from __future__ import annotations

import datetime

import pytest

from dangbo.accounts.models import Role, User
from dangbo.accounts.scope import HIDDEN_WHEN_FORMER, Scope
from dangbo.members.models import Event, Member, Stint
from dangbo.orgs.models import UnitKind, UnitVersion

MOVED_ON = datetime.date(2022, 4, 1)
MERGED_ON = datetime.date(2025, 7, 1)


def _moved_cells(on: datetime.date) -> list[tuple[int, int, int]]:
    """(cell, old parent, new parent) of the cells whose parent changed on `on`."""
    moved = []
    for version in UnitVersion.objects.filter(valid_from=on, kind=UnitKind.ATTACHED_CELL):
        before = UnitVersion.objects.filter(unit_id=version.unit_id, valid_to=on).first()
        if before is not None and before.parent_id != version.parent_id:
            moved.append((version.unit_id, before.parent_id, version.parent_id))
    return moved


def _joined_after(cells, on: datetime.date) -> Member:
    """A member whose only stints are in `cells` and begin on or after `on`."""
    stints = Stint.unscoped.filter(unit_id__in=cells, start__gte=on).order_by("member_id")
    for member_id in stints.values_list("member_id", flat=True).distinct():
        theirs = Stint.unscoped.filter(member_id=member_id)
        if not theirs.exclude(unit_id__in=cells).exists() and not theirs.filter(start__lt=on).exists():
            return Member.unscoped.get(pk=member_id)
    raise AssertionError("no member joined after the move")


def _stayed(cells, on: datetime.date) -> Member:
    """A member who was in one of `cells` before `on` and still is today, with a citizen ID."""
    cells = cells if isinstance(cells, list) else [cells]
    stints = Stint.unscoped.filter(unit_id__in=cells, start__lt=on, end__isnull=True, member__citizen_id__isnull=False)
    return stints.select_related("member").order_by("member_id").first().member


def _staff(unit_id: int, name: str) -> str:
    user = User(username=name, role=Role.GRASSROOTS_STAFF, unit_id=unit_id)
    user.set_password("demo")
    user.save()
    return name


@pytest.fixture
def moved(demo):
    [(cell, old, new)] = _moved_cells(MOVED_ON)
    return {"cell": cell, "old": old, "new": new}


@pytest.fixture
def merged(demo):
    moves = _moved_cells(MERGED_ON)
    assert moves, "the demo's merger moved no cell"
    [gone] = {old for _, old, _ in moves}
    [into] = {new for _, _, new in moves}
    assert UnitVersion.objects.filter(unit_id=gone).latest("valid_from").valid_to == MERGED_ON  # dissolved
    return {"cells": [cell for cell, _, _ in moves], "old": gone, "new": into}


def _exemption(client, member_id: int, on: str = "2026-11-02"):
    return client.post(f"/dang-vien/{member_id}/su-kien/exemption/", {"effective_on": on})


# --- the audit's cases ----------------------------------------------------------------------------------


def test_the_old_committee_of_a_moved_cell_cannot_open_nor_write_a_member_who_joined_it_after(moved, client):
    member = _joined_after([moved["cell"]], MOVED_ON)
    client.force_login(User.objects.get(username=_staff(moved["old"], "cu")))
    assert client.get(f"/dang-vien/{member.pk}/").status_code == 404
    assert client.get(f"/dang-vien/{member.pk}/phieu/").status_code == 404
    events = Event.unscoped.filter(member=member).count()
    assert _exemption(client, member.pk).status_code == 404
    assert Event.unscoped.filter(member=member).count() == events
    # The committee the cell moved into has the whole record, and records the exemption.
    client.force_login(User.objects.get(username=_staff(moved["new"], "moi")))
    page = client.get(f"/dang-vien/{member.pk}/")
    assert page.status_code == 200 and page.context["seen"].current
    assert _exemption(client, member.pk).status_code == 302
    assert Event.unscoped.filter(member=member).count() == events + 1


def test_the_committee_merged_into_another_cannot_open_members_who_joined_its_units_after(merged, client):
    member = _joined_after(merged["cells"], MERGED_ON)
    client.force_login(User.objects.get(username=_staff(merged["old"], "sapnhap")))
    assert client.get(f"/dang-vien/{member.pk}/").status_code == 404
    assert client.get(f"/dang-vien/{member.pk}/phieu/").status_code == 404
    assert _exemption(client, member.pk).status_code == 404
    client.force_login(User.objects.get(username=_staff(merged["new"], "tiepnhan")))
    assert client.get(f"/dang-vien/{member.pk}/").status_code == 200


def test_a_member_of_a_moved_cell_is_read_only_for_the_old_committee_up_to_the_move(moved, client):
    member = _stayed(moved["cell"], MOVED_ON)
    client.force_login(User.objects.get(username=_staff(moved["old"], "cu")))
    for url in (f"/dang-vien/{member.pk}/", f"/dang-vien/{member.pk}/phieu/"):
        page = client.get(url)
        assert page.status_code == 200
        seen = page.context["seen"]
        assert not seen.current and seen.until == MOVED_ON
        text = page.content.decode()
        assert member.citizen_id not in text and "chuyển khỏi phạm vi quản lý" in text
        assert all(e.effective_on <= MOVED_ON for e in page.context["events"])
    page = client.get(f"/dang-vien/{member.pk}/")
    assert all(s.start < MOVED_ON and s.end is not None and s.end <= MOVED_ON for s in page.context["stints"])
    assert not page.context["records"] and "Ghi nhận sự kiện mới" not in page.content.decode()
    assert page.context["on"] < MOVED_ON  # the date picker stops on the last day known
    events = Event.unscoped.filter(member=member).count()
    refused = _exemption(client, member.pk)
    assert refused.status_code == 400 and "chỉ để xem" in refused.content.decode()
    refused = _exemption(client, member.pk, on="2021-06-01")  # a day the cell was still theirs
    assert refused.status_code == 400
    assert Event.unscoped.filter(member=member).count() == events
    # The new committee sees the whole record, citizen ID included.
    client.force_login(User.objects.get(username=_staff(moved["new"], "moi")))
    page = client.get(f"/dang-vien/{member.pk}/")
    assert page.context["seen"].current and member.citizen_id in page.content.decode()
    # ... but records nothing dated before the cell moved in.
    assert _exemption(client, member.pk, on="2021-06-01").status_code == 400
    assert Event.unscoped.filter(member=member).count() == events


def test_chibo_sees_her_former_members_read_only_without_their_later_cell(as_user, demo):
    scope = Scope(unit_id=demo["chibo"], sees_people=True)
    former = [m for m in scope.members_visible() if not scope.member_or_404(m.pk).current]
    assert len(former) == 4
    client = as_user("chibo")
    for member in former:
        until = scope.member_or_404(member.pk).until
        later_cells = set(Stint.unscoped.filter(member=member, start__gte=until).values_list("unit_id", flat=True))
        assert later_cells - {demo["chibo"]}, "they went on to another cell"
        page = client.get(f"/dang-vien/{member.pk}/")
        assert page.status_code == 200
        assert page.context["member"].citizen_id is None
        if member.citizen_id:
            assert member.citizen_id not in page.content.decode()
        assert not {s.unit_id for s in page.context["stints"]} & (later_cells - {demo["chibo"]})
        assert all(e.unit_name is None for e in page.context["events"] if e.effective_on == until)
        assert all(getattr(page.context["member"], name) in ("", None) for name in HIDDEN_WHEN_FORMER)
        sheet = client.get(f"/dang-vien/{member.pk}/phieu/")
        assert sheet.status_code == 200 and sheet.context["member"].citizen_id is None


# --- meetings, disciplines and ratings of the moved cell ----------------------------------------------


def _meeting(cell: int, before: bool):
    from dangbo.meetings.models import Meeting

    meetings = Meeting.unscoped.filter(cell_id=cell, held_on__isnull=False)
    if before:
        return meetings.filter(held_on__lt=MOVED_ON).order_by("-held_on").first()
    return meetings.filter(held_on__gte=MOVED_ON).order_by("held_on").first()


@pytest.mark.parametrize("before", [True, False])
def test_the_meetings_of_a_moved_cell_belong_to_the_committee_it_had_on_their_day(moved, client, before):
    meeting = _meeting(moved["cell"], before)
    holder, other = (moved["old"], moved["new"]) if before else (moved["new"], moved["old"])
    client.force_login(User.objects.get(username=_staff(holder, "giu")))
    for url in (f"/sinh-hoat/{meeting.pk}/", f"/sinh-hoat/{meeting.pk}/bien-ban/"):
        assert client.get(url).status_code == 200, url
    listed = client.get("/sinh-hoat/", {"cell": moved["cell"], "month": meeting.held_on.strftime("%Y-%m")})
    assert meeting in list(listed.context["page"])
    client.force_login(User.objects.get(username=_staff(other, "khac")))
    for url in (f"/sinh-hoat/{meeting.pk}/", f"/sinh-hoat/{meeting.pk}/bien-ban/",
                f"/sinh-hoat/{meeting.pk}/bien-ban.docx", f"/sinh-hoat/{meeting.pk}/ghi-bien-ban/"):  # fmt: skip
        assert client.get(url).status_code == 404, url
    assert client.post(f"/sinh-hoat/{meeting.pk}/xoa/").status_code == 404
    listed = client.get("/sinh-hoat/", {"cell": moved["cell"], "month": meeting.held_on.strftime("%Y-%m")})
    assert meeting not in list(listed.context["page"])
    # Each member's attendance of the cell: only the meetings held while it was theirs.
    page = client.get(f"/sinh-hoat/chi-bo/{moved['cell']}/", {"from": meeting.held_on.strftime("%Y-%m"),
                                                              "to": meeting.held_on.strftime("%Y-%m")})  # fmt: skip
    assert page.status_code == 200 and page.context["meetings"] == 0


def test_the_new_committee_cannot_plan_a_meeting_of_the_moved_cell_before_it_moved_in(moved, client):
    from dangbo.meetings.models import Meeting

    client.force_login(User.objects.get(username=_staff(moved["new"], "moi")))
    count = Meeting.unscoped.count()
    plan = {"cell": moved["cell"], "kind": "regular", "planned_time": "08:00", "place": "Hội trường",
            "agenda": "Nội dung"}  # fmt: skip
    page = client.post("/sinh-hoat/moi/", {**plan, "planned_on": "2022-03-15"})
    assert page.status_code == 400 and "không thuộc phạm vi" in page.content.decode()
    assert Meeting.unscoped.count() == count
    assert client.post("/sinh-hoat/moi/", {**plan, "planned_on": "2026-12-21"}).status_code == 302
    assert Meeting.unscoped.count() == count + 1


def test_disciplines_follow_the_unit_on_the_day_of_the_decision(moved, client):
    from dangbo.ratings.models import Discipline, DisciplineForm

    member = _stayed(moved["cell"], MOVED_ON)
    def decision(number, day, **about):
        return Discipline.unscoped.create(form=DisciplineForm.REPRIMAND, decided_on=day, decision=f"{number}-QĐ/ĐU",
                                          body="Đảng ủy", **about)  # fmt: skip

    before = decision(1, datetime.date(2021, 5, 4), member=member)
    after = decision(2, datetime.date(2023, 5, 4), member=member)
    on_cell = decision(3, datetime.date(2023, 6, 1), unit_id=moved["cell"])
    for unit, theirs, name in ((moved["old"], {before}, "cu"), (moved["new"], {after, on_cell}, "moi")):
        client.force_login(User.objects.get(username=_staff(unit, name)))
        listed = set(client.get("/xep-loai/ky-luat/").context["page"].object_list)
        assert listed & {before, after, on_cell} == theirs
        for other in {before, after, on_cell} - theirs:
            deleted = client.post("/xep-loai/ky-luat/", {"action": "delete", "discipline": other.pk, "reason": "Nhầm"})
            assert deleted.status_code == 404
    # The old committee sees the member read-only: the decision taken after the move is not on the page.
    client.force_login(User.objects.get(username="cu"))
    page = client.get(f"/dang-vien/{member.pk}/")
    assert before in page.context["disciplines"] and after not in page.context["disciplines"]
    count = Discipline.unscoped.count()
    refused = client.post("/xep-loai/ky-luat/", {
        "action": "record", "dang-vien": member.pk, "form": DisciplineForm.REPRIMAND, "decided_on": "2021-06-01",
        "decision": "4-QĐ/ĐU", "body": "Đảng ủy", "reason": "Vi phạm"})  # fmt: skip
    assert refused.status_code == 400 and Discipline.unscoped.count() == count


def test_the_ratings_of_a_moved_cell_belong_to_the_committee_it_had_at_the_rounds_end(moved):
    from dangbo.ratings.models import MemberRating, PeriodKind, RatingPeriod
    from dangbo.ratings.views import _round_rows

    old, new = Scope(unit_id=moved["old"], sees_people=True), Scope(unit_id=moved["new"], sees_people=True)
    for year, holder, other in ((2021, old, new), (2023, new, old)):
        period = RatingPeriod.objects.get(kind=PeriodKind.YEAR, year=year)
        ratings = set(MemberRating.unscoped.filter(period=period, cell_id=moved["cell"]))
        assert ratings
        assert ratings <= set(_round_rows(holder, period, None))
        assert not ratings & set(_round_rows(other, period, None))


# --- the rule in queries and in Python agree -------------------------------------------------------------


def test_the_visible_set_and_the_member_check_agree_on_the_reorganised_committees(moved, merged, demo):
    for unit in (moved["old"], moved["new"], merged["old"], merged["new"], demo["chibo"], demo["coso"]):
        scope = Scope(unit_id=unit, sees_people=True)
        visible = set(scope.members_visible().values_list("pk", flat=True))
        assert visible
        ever = set(Stint.unscoped.filter(unit__versions__path__startswith=UnitVersion.objects.filter(unit_id=unit)
                                         .earliest("valid_from").path).values_list("member_id", flat=True))  # fmt: skip
        for member_id in ever | visible:
            try:
                scope.member_or_404(member_id)
            except Exception:
                assert member_id not in visible
            else:
                assert member_id in visible


def test_a_member_page_costs_a_few_queries(moved, client, django_assert_max_num_queries):
    member = _stayed(moved["cell"], MOVED_ON)
    client.force_login(User.objects.get(username=_staff(moved["old"], "cu")))
    with django_assert_max_num_queries(20):
        assert client.get(f"/dang-vien/{member.pk}/").status_code == 200


def test_the_register_of_a_day_before_the_move_leaves_out_what_the_members_who_left_may_have_changed(moved, client):
    from tests.test_registers import read_xlsx

    member = _stayed(moved["cell"], MOVED_ON)
    Member.unscoped.filter(pk=member.pk).update(workplace="Sở Kế hoạch và Đầu tư mới", qualification="Thạc sĩ mới")
    client.force_login(User.objects.get(username=_staff(moved["old"], "cu")))
    response = client.get("/dang-vien/so-danh-sach/", {"date": "2021-06-30"})
    assert response.status_code == 200
    _, _, _, main, _, _ = read_xlsx(response.content)
    theirs = [row for row in main if row[1].split("\n")[0] == member.full_name]
    assert theirs, "listed: the cell was the committee's on that day"
    assert not any("mới" in str(cell) for row in theirs for cell in row)
    # The committee holding the member today lists what it knows.
    client.force_login(User.objects.get(username=_staff(moved["new"], "moi")))
    _, _, _, main, _, _ = read_xlsx(client.get("/dang-vien/so-danh-sach/", {"date": "2026-06-30"}).content)
    assert any("Sở Kế hoạch và Đầu tư mới" in str(cell) for row in main for cell in row)


# --- a permission matrix over the merged committee ------------------------------------------------------
# (persona, record) -> what the page and a write answer: "in" the whole record, writable; "former"
# read-only; "out" 404. The persona "old" is the committee that merged into "new" on 01/07/2025.

MATRIX = {
    ("old", "joined_after"): "out", ("new", "joined_after"): "in",
    ("old", "stayed"): "former", ("new", "stayed"): "in",
    ("old", "meeting_before"): "in", ("new", "meeting_before"): "out",
    ("old", "meeting_after"): "out", ("new", "meeting_after"): "in",
}  # fmt: skip


@pytest.mark.parametrize("persona, record", list(MATRIX))
def test_the_merged_committee_matrix(merged, client, persona, record):
    from dangbo.meetings.models import Meeting

    expected = MATRIX[(persona, record)]
    client.force_login(User.objects.get(username=_staff(merged[persona], f"to_{persona}")))
    if record.startswith("meeting"):
        meetings = Meeting.unscoped.filter(cell_id__in=merged["cells"], held_on__isnull=False)
        if record == "meeting_before":
            meeting = meetings.filter(held_on__lt=MERGED_ON).order_by("-held_on").first()
        else:
            meeting = meetings.filter(held_on__gte=MERGED_ON).order_by("held_on").first()
        for url in (f"/sinh-hoat/{meeting.pk}/", f"/sinh-hoat/{meeting.pk}/bien-ban/"):
            assert client.get(url).status_code == (200 if expected == "in" else 404), url
        return
    if record == "joined_after":
        member = _joined_after(merged["cells"], MERGED_ON)
    else:
        member = _stayed(merged["cells"], MERGED_ON)
    events = Event.unscoped.filter(member=member).count()
    page, sheet = client.get(f"/dang-vien/{member.pk}/"), client.get(f"/dang-vien/{member.pk}/phieu/")
    posted = _exemption(client, member.pk)
    if expected == "out":
        assert (page.status_code, sheet.status_code, posted.status_code) == (404, 404, 404)
    elif expected == "former":
        assert (page.status_code, sheet.status_code, posted.status_code) == (200, 200, 400)
        assert member.citizen_id not in page.content.decode() + sheet.content.decode()
        assert page.context["seen"].until == MERGED_ON
    else:
        assert (page.status_code, sheet.status_code, posted.status_code) == (200, 200, 302)
        assert member.citizen_id is None or member.citizen_id in page.content.decode()
    assert Event.unscoped.filter(member=member).count() == events + (expected == "in")


def test_the_list_of_a_day_before_the_move_shows_members_who_left_as_the_old_committee_knew_them(moved, client):
    member = _stayed(moved["cell"], MOVED_ON)
    client.force_login(User.objects.get(username=_staff(moved["old"], "cu")))
    page = client.get("/dang-vien/", {"date": "2021-06-30", "unit": moved["cell"]})
    [listed] = [s.member for s in page.context["page"] if s.member_id == member.pk]
    assert listed.citizen_id is None and listed.theory_level == ""
    client.force_login(User.objects.get(username=_staff(moved["new"], "moi")))
    page = client.get("/dang-vien/", {"date": "2023-06-30", "unit": moved["cell"]})
    [listed] = [s.member for s in page.context["page"] if s.member_id == member.pk]
    assert listed.citizen_id == member.citizen_id


def test_member_writable_or_404_says_who_may_write_on_which_day(moved):
    from django.core.exceptions import ValidationError
    from django.http import Http404

    member = _stayed(moved["cell"], MOVED_ON)
    newcomer = _joined_after([moved["cell"]], MOVED_ON)
    old, new = Scope(unit_id=moved["old"], sees_people=True), Scope(unit_id=moved["new"], sees_people=True)
    assert new.member_writable_or_404(member.pk, datetime.date(2023, 1, 2)).current
    with pytest.raises(ValidationError):  # the cell was not theirs yet
        new.member_writable_or_404(member.pk, datetime.date(2022, 3, 31))
    with pytest.raises(ValidationError):  # read-only: the member left them with the cell
        old.member_writable_or_404(member.pk, datetime.date(2022, 3, 31))
    with pytest.raises(Http404):
        old.member_writable_or_404(newcomer.pk, datetime.date(2024, 6, 1))
