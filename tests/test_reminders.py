"""The daily task reminders (dangbo.tasks.reminders and the `send_task_reminders` command).

Every test builds its own tasks, assigned by coso's committee to chibo's cell through
`dangbo.tasks.actions.assign`, with dates around a chosen day D (in the past, so that what the
actions stamp with the real clock — a task's `created_at`, a new occurrence's — is never "quiet"
on D unless a test says so). The demo's own tasks are first made already reminded of everything
(`quiet_demo`), so each run here reminds of the tests' tasks only and the expected digests can be
written out in full.

Who is reminded: the accounts of the responsible unit (chibo's cell: chibo, and an account without
an address created here) of every kind; the accounts of the assigning unit (coso's committee:
coso) of the overdue tasks too; never a viewer, an inactive account, or anyone else (khoi, xem).
"""

from __future__ import annotations

import datetime
import io
import threading
import time
from dataclasses import dataclass

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

from dangbo.accounts.models import Role, User
from dangbo.notices.models import Notification
from dangbo.orgs.models import UnitVersion
from dangbo.reports.models import Reminder, Report, Schedule
from dangbo.tasks import actions, reminders
from dangbo.tasks.models import Recurrence, Task, UpdateKind

D = datetime.date(2026, 3, 9)  # a Monday, before the demo's last day: see the module's docstring
SITE = "https://dangbo.example"
FAR = datetime.date(2100, 1, 1)


def days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


def morning(day: datetime.date) -> datetime.datetime:
    """06:00 in Hà Nội: the `now` the command uses for a day given with --date."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(6, 0)))


def at(day: datetime.date, hour: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, 0)))


def dmy(day: datetime.date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


# --- fixtures ------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def pinned_settings(settings):
    """The periods the expectations below are written for, whatever the environment says."""
    settings.TASK_DUE_SOON_DAYS = 7
    settings.TASK_STALLED_DAYS = 14
    settings.TASK_OVERDUE_REPEAT_DAYS = 7
    settings.SITE_URL = SITE
    settings.DEFAULT_FROM_EMAIL = "dangbo <khong-tra-loi@dangbo.local>"
    return settings


def quiet_tasks() -> None:
    """Every task that exists now is already reminded of everything: due soon for its deadline,
    overdue as late as can be, stalled for its latest follow-up; and no report is asked for (the
    reports' reminders in the digest are tested at the end)."""
    Schedule.objects.update(active=False)
    Task.objects.update(
        due_soon_reminded_for=F("due_on"),
        overdue_reminded_on=FAR,
        stalled_reminded_for=Coalesce("last_update_at", "created_at"),
    )


@pytest.fixture
def quiet_demo(demo):
    quiet_tasks()
    assert reminders.due(D, morning(D)) == []
    return demo


@dataclass
class People:
    khoi: User
    xem: User
    coso: User
    chibo: User
    chibo_without_email: User
    chibo_viewer: User
    coso_viewer: User
    chibo_inactive: User
    coso_unit: int
    chibo_unit: int


def make_people(demo: dict) -> People:
    def account(username, role, unit, email, active=True):
        user = User(username=username, role=role, unit_id=unit, email=email, is_active=active,
                    last_name="Nguyễn Văn", first_name=username.title())  # fmt: skip
        user.set_password("demo")
        user.save()
        return user

    return People(
        khoi=User.objects.get(username="khoi"),
        xem=User.objects.get(username="xem"),
        coso=User.objects.get(username="coso"),
        chibo=User.objects.get(username="chibo"),
        chibo_without_email=account("chibo_giay", Role.CELL_SECRETARY, demo["chibo"], ""),
        chibo_viewer=account("chibo_xem", Role.VIEWER, demo["chibo"], "chibo_xem@dangbo.local"),
        coso_viewer=account("coso_xem", Role.VIEWER, demo["coso"], "coso_xem@dangbo.local"),
        chibo_inactive=account("chibo_nghi", Role.CELL_SECRETARY, demo["chibo"], "chibo_nghi@dangbo.local", False),
        coso_unit=demo["coso"],
        chibo_unit=demo["chibo"],
    )


@pytest.fixture
def people(quiet_demo) -> People:
    return make_people(quiet_demo)


def cell_name(people: People) -> str:
    """The cell as the reminders name it: with the committee it belongs to (orgs.labels)."""
    version = UnitVersion.objects.filter(unit_id=people.chibo_unit).latest("valid_from")
    return f"{version.name} — {UnitVersion.objects.filter(unit_id=version.parent_id).latest('valid_from').name}"


def make_task(people: People, title: str, starts_on, due_on, *, created_at=None, last_update_at=None, progress=0,
              day=D, **fields) -> Task:  # fmt: skip
    """A task of chibo's cell assigned by coso's committee on `day`, then given the follow-up
    dates a test needs (created in the morning of its start day unless said otherwise)."""
    head = actions.head_choices(people.chibo_unit, day)[0][0][0]
    values = {"title": title, "responsible_unit": people.chibo_unit, "head": head,
              "expected_result": f"Báo cáo kết quả: {title.lower()}", "starts_on": starts_on, "due_on": due_on,
              **fields}  # fmt: skip
    task = actions.assign(people.coso, people.coso_unit, actions.Assignment(values, []), day)
    Task.objects.filter(pk=task.pk).update(
        created_at=created_at or at(starts_on, 9), last_update_at=last_update_at, progress=progress
    )
    task.refresh_from_db()
    return task


def notified_since(mark: int) -> dict[str, list[Notification]]:
    result = {}
    for notice in Notification.objects.filter(pk__gt=mark).select_related("user").order_by("pk"):
        result.setdefault(notice.user.username, []).append(notice)
    return result


def last_notification() -> int:
    return Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def link(task: Task) -> str:
    """The task's address in an email: after SITE_URL."""
    return f"{SITE}/nhiem-vu/{task.pk}/"


def path(task: Task) -> str:
    """The task's address in a notification: the path, relative, shown as a link."""
    return f"/nhiem-vu/{task.pk}/"


@dataclass
class Spread:
    overdue: Task
    due_soon: Task
    stalled: Task
    quiet: list[Task]  # open, but nothing due on D


def spread(people: People, prefix: str = "") -> Spread:
    """On D: one task overdue (2 days), one due soon (in 3 days), one stalled (no follow-up since
    17/02, 20 days), and open tasks that are none of these."""
    overdue = make_task(people, f"{prefix}Báo cáo sơ kết quý I", D - days(30), D - days(2),
                        last_update_at=at(D - days(3), 10), progress=40)  # fmt: skip
    due_soon = make_task(people, f"{prefix}Rà soát hồ sơ chuyển sinh hoạt", D - days(10), D + days(3))
    stalled = make_task(people, f"{prefix}Xây dựng mô hình dân vận khéo", D - days(40), D + days(30),
                        last_update_at=at(D - days(20), 10), progress=30)  # fmt: skip
    quiet = [
        make_task(people, f"{prefix}Nhiệm vụ mới giao", D - days(5), D + days(30)),
        make_task(people, f"{prefix}Nhiệm vụ chưa bắt đầu", D + days(1), D + days(4), created_at=at(D - days(2), 9)),
        make_task(people, f"{prefix}Nhiệm vụ còn 8 ngày", D - days(3), D + days(8)),
        make_task(
            people,
            f"{prefix}Nhiệm vụ có theo dõi 13 ngày trước",
            D - days(30),
            D + days(30),
            last_update_at=at(D - days(13), 10),
        ),  # fmt: skip
    ]
    return Spread(overdue, due_soon, stalled, quiet)


# --- one digest per person --------------------------------------------------------------------------


def test_each_person_gets_one_digest_of_every_item_and_one_email(people, mailoutbox):
    tasks = spread(people)
    name = cell_name(people)
    mark = last_notification()

    result = reminders.send(D, morning(D))

    assert result == {"occurrences": 0, "reminders": 3, "report_reminders": 0, "people": 3, "emails": 2}
    notified = notified_since(mark)
    # The responsible unit's accounts (with or without an address) and the assigning unit's; nobody else.
    assert sorted(notified) == ["chibo", "chibo_giay", "coso"]
    assert all(len(notices) == 1 for notices in notified.values())
    def cell_lines(address):
        return [
            f"- [Quá hạn] Báo cáo sơ kết quý I — {name}, hạn 07/03/2026, quá hạn 2 ngày.\n  {address(tasks.overdue)}",
            f"- [Sắp đến hạn] Rà soát hồ sơ chuyển sinh hoạt — {name}, hạn 12/03/2026.\n  {address(tasks.due_soon)}",
            f"- [Chưa cập nhật tiến độ] Xây dựng mô hình dân vận khéo — {name}, hạn 08/04/2026, tiến độ 30%, "
            f"chưa cập nhật từ 17/02/2026.\n  {address(tasks.stalled)}",
        ]

    cell_title = "Nhắc việc ngày 09/03/2026: 1 quá hạn, 1 sắp đến hạn, 1 chưa cập nhật tiến độ"
    for username in ("chibo", "chibo_giay"):
        (notice,) = notified[username]
        assert notice.title == cell_title
        assert notice.text == "\n".join(cell_lines(path))
        assert notice.link == "/nhiem-vu/"
        assert notice.read_at is None
    (notice,) = notified["coso"]
    assert notice.title == "Nhắc việc ngày 09/03/2026: 1 quá hạn"
    assert notice.text == cell_lines(path)[0]

    # One email to each account with an address, the same digest.
    assert sorted(m.to[0] for m in mailoutbox) == ["chibo@dangbo.local", "coso@dangbo.local"]
    by_address = {m.to[0]: m for m in mailoutbox}
    chibo_mail, coso_mail = by_address["chibo@dangbo.local"], by_address["coso@dangbo.local"]
    assert chibo_mail.to == ["chibo@dangbo.local"]
    assert chibo_mail.subject == f"[dangbo] {cell_title}"
    assert chibo_mail.from_email == "dangbo <khong-tra-loi@dangbo.local>"
    assert chibo_mail.body == "Kính gửi Phạm Thị Lan,\n\n" + "\n".join(cell_lines(link)) + "\n"
    for task in (tasks.overdue, tasks.due_soon, tasks.stalled):
        assert task.title in chibo_mail.body
        assert link(task) in chibo_mail.body
    assert coso_mail.subject == "[dangbo] Nhắc việc ngày 09/03/2026: 1 quá hạn"
    assert coso_mail.body == f"Kính gửi Lê Văn Minh,\n\n{cell_lines(link)[0]}\n"
    assert tasks.due_soon.title not in coso_mail.body
    for task in tasks.quiet:
        assert task.title not in chibo_mail.body

    # The claims are on the rows.
    claimed = {t.pk: t for t in Task.objects.filter(pk__in=[tasks.overdue.pk, tasks.due_soon.pk, tasks.stalled.pk])}
    assert claimed[tasks.overdue.pk].overdue_reminded_on == D
    assert claimed[tasks.due_soon.pk].due_soon_reminded_for == D + days(3)
    assert claimed[tasks.stalled.pk].stalled_reminded_for == at(D - days(20), 10)
    assert (
        not Task.objects.filter(pk__in=[t.pk for t in tasks.quiet])
        .exclude(due_soon_reminded_for=None, overdue_reminded_on=None, stalled_reminded_for=None)
        .exists()
    )


def test_viewers_inactive_accounts_and_other_units_get_nothing(people, mailoutbox):
    spread(people)
    mark = last_notification()
    reminders.send(D, morning(D))
    notified = notified_since(mark)
    for user in (people.khoi, people.xem, people.chibo_viewer, people.coso_viewer, people.chibo_inactive):
        assert user.username not in notified
        assert not Notification.objects.filter(user=user, pk__gt=mark).exists()
    addresses = {m.to[0] for m in mailoutbox}
    for address in ("khoi@dangbo.local", "xem@dangbo.local", "chibo_xem@dangbo.local", "coso_xem@dangbo.local",
                    "chibo_nghi@dangbo.local"):  # fmt: skip
        assert address not in addresses


def test_the_assigning_unit_is_reminded_of_overdue_tasks_only(people, mailoutbox):
    make_task(people, "Sắp đến hạn thôi", D - days(10), D + days(7))
    make_task(people, "Lâu chưa cập nhật thôi", D - days(40), D + days(40), last_update_at=at(D - days(15), 10))
    mark = last_notification()
    result = reminders.send(D, morning(D))
    assert result["reminders"] == 2
    notified = notified_since(mark)
    assert sorted(notified) == ["chibo", "chibo_giay"]
    assert notified["chibo"][0].title == "Nhắc việc ngày 09/03/2026: 1 sắp đến hạn, 1 chưa cập nhật tiến độ"
    assert [m.to for m in mailoutbox] == [["chibo@dangbo.local"]]


def test_the_due_soon_window_ends_exactly_after_the_set_number_of_days(people, settings):
    last_day = make_task(people, "Hạn đúng 7 ngày nữa", D - days(2), D + days(settings.TASK_DUE_SOON_DAYS))
    today = make_task(people, "Hạn chính hôm nay", D - days(2), D)
    make_task(people, "Hạn 8 ngày nữa", D - days(2), D + days(settings.TASK_DUE_SOON_DAYS + 1))
    due = {(i.kind, i.task.pk) for i in reminders.due(D, morning(D))}
    assert due == {("due_soon", last_day.pk), ("due_soon", today.pk)}


def test_the_stalled_period_counts_from_the_last_follow_up_or_the_assignment(people, settings):
    quiet = settings.TASK_STALLED_DAYS
    never_updated = make_task(people, "Giao lâu, chưa cập nhật lần nào", D - days(40), D + days(40),
                              created_at=morning(D) - days(quiet) - datetime.timedelta(minutes=1))  # fmt: skip
    make_task(people, "Giao vừa đủ 14 ngày", D - days(40), D + days(40), created_at=morning(D) - days(quiet))
    make_task(people, "Có cập nhật gần đây", D - days(40), D + days(40), last_update_at=morning(D) - days(quiet - 1))
    due = {(i.kind, i.task.pk) for i in reminders.due(D, morning(D))}
    assert due == {("stalled", never_updated.pk)}


def test_the_stalled_line_gives_the_day_of_the_last_follow_up_in_vietnam(people, mailoutbox):
    """20:00 UTC on 16/02 is 03:00 on 17/02 in Hà Nội, the day the follow-up log shows."""
    task = make_task(people, "Cập nhật lúc nửa đêm", D - days(40), D + days(30),
                     last_update_at=datetime.datetime(2026, 2, 16, 20, 0, tzinfo=datetime.UTC))  # fmt: skip
    mark = last_notification()
    reminders.send(D, morning(D))
    (notice,) = notified_since(mark)["chibo"]
    assert f"hạn 08/04/2026, tiến độ 0%, chưa cập nhật từ 17/02/2026.\n  {path(task)}" in notice.text
    assert "chưa cập nhật từ 17/02/2026" in mailoutbox[0].body


# --- once ------------------------------------------------------------------------------------------


def test_sending_twice_the_same_day_sends_nothing_more(people, mailoutbox):
    spread(people)
    first = reminders.send(D, morning(D))
    assert first["reminders"] == 3
    notices, emails = Notification.objects.count(), len(mailoutbox)
    second = reminders.send(D, morning(D))
    assert second == {"occurrences": 0, "reminders": 0, "report_reminders": 0, "people": 0, "emails": 0}
    later_that_day = reminders.send(D, at(D, 18))
    assert later_that_day["reminders"] == 0
    assert Notification.objects.count() == notices
    assert len(mailoutbox) == emails


def test_the_command_twice_the_same_day_sends_nothing_more(people, mailoutbox):
    spread(people)
    out = io.StringIO()
    call_command("send_task_reminders", "--date", D.isoformat(), stdout=out)
    assert out.getvalue() == (
        "Ngày 09/03/2026: 0 nhiệm vụ định kỳ mới, 3 lời nhắc nhiệm vụ, "
        "0 lời nhắc báo cáo cho 3 người, 2 thư điện tử.\n"
    )
    notices = Notification.objects.count()
    assert len(mailoutbox) == 2
    again = io.StringIO()
    call_command("send_task_reminders", "--date", D.isoformat(), stdout=again)
    assert again.getvalue() == (
        "Ngày 09/03/2026: 0 nhiệm vụ định kỳ mới, 0 lời nhắc nhiệm vụ, "
        "0 lời nhắc báo cáo cho 0 người, 0 thư điện tử.\n"
    )
    assert Notification.objects.count() == notices
    assert len(mailoutbox) == 2


def test_the_demo_already_sent_the_reminders_of_its_last_day(demo, mailoutbox):
    """The demo ran the reminders for 27/11/2026 when it loaded: the command for that day sends nothing."""
    coso = User.objects.get(username="coso")
    (demo_digest,) = Notification.objects.filter(user=coso, title__startswith="Nhắc việc ngày 27/11/2026: ")
    assert "[Quá hạn] Tổng hợp ý kiến đóng góp dự thảo văn kiện Đại hội Đảng bộ thành phố" in demo_digest.text
    assert not Notification.objects.filter(user__username="xem").exists()
    notices = Notification.objects.count()
    out = io.StringIO()
    call_command("send_task_reminders", "--date", "2026-11-27", stdout=out)
    assert out.getvalue() == (
        "Ngày 27/11/2026: 0 nhiệm vụ định kỳ mới, 0 lời nhắc nhiệm vụ, "
        "0 lời nhắc báo cáo cho 0 người, 0 thư điện tử.\n"
    )
    assert Notification.objects.count() == notices
    assert mailoutbox == []


def test_an_overdue_task_is_reminded_again_after_the_repeat_period(people, mailoutbox, settings):
    repeat = settings.TASK_OVERDUE_REPEAT_DAYS
    task = make_task(people, "Báo cáo quá hạn", D - days(30), D - days(2), last_update_at=at(D - days(1), 10))
    assert reminders.send(D, morning(D))["reminders"] == 1
    mark = last_notification()
    for day in (D + days(1), D + days(repeat - 1)):
        assert reminders.send(day, morning(day))["reminders"] == 0, day
    assert last_notification() == mark
    again = D + days(repeat)
    result = reminders.send(again, morning(again))
    assert result == {"occurrences": 0, "reminders": 1, "report_reminders": 0, "people": 3, "emails": 2}
    notified = notified_since(mark)
    assert sorted(notified) == ["chibo", "chibo_giay", "coso"]
    assert notified["coso"][0].title == f"Nhắc việc ngày {dmy(again)}: 1 quá hạn"
    assert f"hạn 07/03/2026, quá hạn {repeat + 2} ngày." in notified["coso"][0].text
    assert Task.objects.get(pk=task.pk).overdue_reminded_on == again
    assert reminders.send(again, morning(again))["reminders"] == 0
    assert len(mailoutbox) == 4


def test_a_new_deadline_after_an_approved_extension_is_a_new_due_soon_reminder(people, mailoutbox):
    task = make_task(people, "Hoàn thiện hồ sơ đề nghị khen thưởng", D - days(10), D + days(3))
    assert reminders.send(D, morning(D))["reminders"] == 1
    tomorrow = D + days(1)
    assert reminders.send(tomorrow, morning(tomorrow))["reminders"] == 0

    # Refused: the deadline stands, nothing new.
    extension = actions.request_extension(people.chibo, task, D + days(5), "Chờ ý kiến của cấp ủy.")
    actions.decide_extension(people.coso, extension, approve=False, note="Đề nghị hoàn thành đúng hạn.")
    assert reminders.send(tomorrow, morning(tomorrow))["reminders"] == 0

    # Approved: a new deadline, a new reminder — once.
    extension = actions.request_extension(people.chibo, task, D + days(6), "Chờ ý kiến của cấp ủy.")
    actions.decide_extension(people.coso, extension, approve=True)
    mark = last_notification()
    assert reminders.send(tomorrow, morning(tomorrow))["reminders"] == 1
    (notice,) = notified_since(mark)["chibo"]
    assert notice.title == "Nhắc việc ngày 10/03/2026: 1 sắp đến hạn"
    assert f"[Sắp đến hạn] Hoàn thiện hồ sơ đề nghị khen thưởng — {cell_name(people)}, hạn 15/03/2026." in notice.text
    assert Task.objects.get(pk=task.pk).due_soon_reminded_for == D + days(6)
    assert reminders.send(tomorrow, morning(tomorrow))["reminders"] == 0
    assert len(mailoutbox) == 2  # chibo twice (the assigning unit is not told of due soon tasks)


def test_a_stalled_task_is_reminded_again_only_after_a_new_follow_up_and_a_new_quiet_period(people, settings):
    quiet = settings.TASK_STALLED_DAYS
    task = make_task(people, "Tuyên truyền nghị quyết", D - days(40), D + days(90),
                     last_update_at=at(D - days(20), 10))  # fmt: skip
    assert [i.kind for i in reminders.due(D, morning(D))] == ["stalled"]
    assert reminders.send(D, morning(D))["reminders"] == 1
    # Still no follow-up: not again, however long it stays quiet.
    for day in (D + days(3), D + days(quiet), D + days(2 * quiet)):
        assert reminders.send(day, morning(day))["reminders"] == 0, day

    # A follow-up on D+30 at 10:00 (the log and the task's date set to that day).
    update = actions.log_progress(people.chibo, task, 50, "Đã tổ chức hội nghị.")
    followed_up = at(D + days(30), 10)
    type(update).objects.filter(pk=update.pk).update(at=followed_up)
    Task.objects.filter(pk=task.pk).update(last_update_at=followed_up)
    before_quiet = D + days(30 + quiet)  # 06:00, four hours short of the quiet period
    assert reminders.send(before_quiet, morning(before_quiet))["reminders"] == 0
    after_quiet = before_quiet + days(1)
    result = reminders.send(after_quiet, morning(after_quiet))
    assert result["reminders"] == 1
    assert Task.objects.get(pk=task.pk).stalled_reminded_for == followed_up
    later = after_quiet + days(quiet)
    assert reminders.send(later, morning(later))["reminders"] == 0


# --- the claim ---------------------------------------------------------------------------------------


def test_a_claim_succeeds_once(people, mailoutbox):
    tasks = spread(people)
    now = morning(D)
    for kind, task in (("overdue", tasks.overdue), ("due_soon", tasks.due_soon), ("stalled", tasks.stalled)):
        assert reminders.claim(kind, task.pk, D, now) is True, kind
        assert reminders.claim(kind, task.pk, D, now) is False, kind
    # Not due of that kind: nothing to claim.
    assert reminders.claim("due_soon", tasks.overdue.pk, D, now) is False
    assert reminders.claim("stalled", tasks.overdue.pk, D, now) is False
    assert reminders.claim("overdue", tasks.due_soon.pk, D, now) is False
    for task in tasks.quiet:
        for kind in ("overdue", "due_soon", "stalled"):
            assert reminders.claim(kind, task.pk, D, now) is False, (kind, task.title)
    # Everything due was claimed: the run sends nothing.
    mark = last_notification()
    assert reminders.send(D, now)["reminders"] == 0
    assert last_notification() == mark
    assert mailoutbox == []


def ensure_demo() -> dict:
    """A transactional test flushes the database when it ends; get the demo back if one already did."""
    from tests.conftest import committed_demo_back

    return committed_demo_back()


def race(work, count: int = 2) -> list:
    """Run `work()` in `count` threads that start together, each on its own connection."""
    from django.db import connections

    barrier = threading.Barrier(count, timeout=10)
    outcomes = [None] * count

    def run(index):
        try:
            barrier.wait()
            outcomes[index] = ("value", work())
        except Exception as error:  # noqa: BLE001 - the outcome is the test's
            outcomes[index] = ("error", error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent transactions: PostgreSQL only")
def test_two_runs_at_the_same_moment_claim_each_reminder_once(transactional_db, mailoutbox):
    """Two threads claim the same reminder at once, each in its own transaction kept open a moment
    after its update: the other's update waits for the row, then finds the reminder no longer due.
    Then two whole runs at once: one digest per person in all."""
    demo = ensure_demo()
    quiet_tasks()
    people = make_people(demo)
    tasks = spread(people)
    now = morning(D)

    for kind, task in (("overdue", tasks.overdue), ("due_soon", tasks.due_soon), ("stalled", tasks.stalled)):

        def claim_and_hold(kind=kind, task=task):
            with transaction.atomic():
                won = reminders.claim(kind, task.pk, D, now)
                time.sleep(0.3)
            return won

        outcomes = race(claim_and_hold)
        assert sorted(outcomes) == [("value", False), ("value", True)], (kind, outcomes)
    row = Task.objects.get(pk=tasks.stalled.pk)
    assert row.stalled_reminded_for == at(D - days(20), 10)

    # Two whole runs at once, on tasks not yet claimed.
    others = spread(people, prefix="Lần hai: ")
    mark = last_notification()
    outcomes = race(lambda: reminders.send(D, now))
    assert all(kind == "value" for kind, _ in outcomes), outcomes
    assert sum(result["reminders"] for _, result in outcomes) == 3
    assert sorted(result["reminders"] for _, result in outcomes) == [0, 3]
    notified = notified_since(mark)
    assert sorted(notified) == ["chibo", "chibo_giay", "coso"]
    assert all(len(notices) == 1 for notices in notified.values())
    assert others.stalled.title in notified["chibo"][0].text
    assert sorted(m.to[0] for m in mailoutbox) == ["chibo@dangbo.local", "coso@dangbo.local"]


# --- what is never reminded ----------------------------------------------------------------------


def test_completed_tasks_are_never_reminded(people, mailoutbox):
    late = make_task(people, "Đã xong nhưng trễ", D - days(30), D - days(5))
    soon = make_task(people, "Đã xong trước hạn", D - days(20), D + days(2))
    old = make_task(people, "Đã xong từ lâu", D - days(60), D + days(30))
    actions.complete(people.chibo, late, D - days(1), "Đã gửi báo cáo.", day=D)
    actions.complete(people.chibo, soon, D - days(1), "Đã gửi báo cáo.", day=D)
    actions.complete(people.chibo, old, D - days(40), "Đã gửi báo cáo.", day=D - days(40))
    # Their follow-up long ago, as if completed then.
    Task.objects.filter(pk__in=[late.pk, soon.pk, old.pk]).update(last_update_at=at(D - days(40), 10))
    for task in (late, soon, old):
        for kind in ("overdue", "due_soon", "stalled"):
            assert reminders.claim(kind, task.pk, D, morning(D)) is False, (kind, task.title)
    mark = last_notification()
    assert reminders.send(D, morning(D)) == {
        "occurrences": 0, "reminders": 0, "report_reminders": 0, "people": 0, "emails": 0,
    }
    assert last_notification() == mark
    assert mailoutbox == []

    # Returned by the assigning unit: open again, and overdue.
    actions.send_back(people.coso, late, "Báo cáo chưa đủ số liệu, đề nghị bổ sung.")
    assert [(i.kind, i.task.pk) for i in reminders.due(D, morning(D))] == [("overdue", late.pk)]


def make_series(people: People, title: str, starts_on, first_due_on, ends_on) -> Task:
    """A monthly series assigned the day before it starts (so no occurrence yet), its first deadline
    set as the demo sets it, and its row quiet for months (as if it could be stalled)."""
    series = make_task(people, title, starts_on, ends_on, day=starts_on - days(1), recurrence=Recurrence.MONTHLY,
                       created_at=at(starts_on - days(60), 9))  # fmt: skip
    assert not series.occurrences.exists()
    Task.objects.filter(pk=series.pk).update(first_due_on=first_due_on)
    series.refresh_from_db()
    return series


def test_the_command_generates_a_series_occurrences_once_and_never_reminds_the_series(people, mailoutbox):
    series = make_series(people, "Báo cáo tình hình tư tưởng", datetime.date(2026, 2, 1), datetime.date(2026, 2, 25),
                         datetime.date(2026, 7, 31))  # fmt: skip
    out = io.StringIO()
    call_command("send_task_reminders", "--date", "2026-03-09", stdout=out)
    # By 09/03 the periods 01/02–25/02 and 26/02–25/03 have started; the first is overdue.
    assert out.getvalue() == (
        "Ngày 09/03/2026: 2 nhiệm vụ định kỳ mới, 1 lời nhắc nhiệm vụ, "
        "0 lời nhắc báo cáo cho 3 người, 2 thư điện tử.\n"
    )
    occurrences = list(series.occurrences.order_by("due_on"))
    assert [(o.title, o.starts_on, o.due_on, o.first_due_on) for o in occurrences] == [
        ("Báo cáo tình hình tư tưởng (tháng 02/2026)", datetime.date(2026, 2, 1), datetime.date(2026, 2, 25),
         datetime.date(2026, 2, 25)),
        ("Báo cáo tình hình tư tưởng (tháng 03/2026)", datetime.date(2026, 2, 26), datetime.date(2026, 3, 25),
         datetime.date(2026, 3, 25)),
    ]  # fmt: skip
    for o in occurrences:
        assert (o.responsible_unit_id, o.assigned_by_unit_id, o.head_id, o.recurrence) == (
            people.chibo_unit, people.coso_unit, series.head_id, "")  # fmt: skip
        assert list(o.updates.values_list("kind", flat=True)) == [UpdateKind.ASSIGNED]
    chibo_mail = next(m for m in mailoutbox if m.to == ["chibo@dangbo.local"])
    assert "[Quá hạn] Báo cáo tình hình tư tưởng (tháng 02/2026)" in chibo_mail.body
    assert f"{SITE}/nhiem-vu/{series.pk}/" not in chibo_mail.body
    # The series itself: never claimed.
    series.refresh_from_db()
    assert (series.due_soon_reminded_for, series.overdue_reminded_on, series.stalled_reminded_for) == (None, None, None)

    again = io.StringIO()
    call_command("send_task_reminders", "--date", "2026-03-09", stdout=again)
    assert again.getvalue() == (
        "Ngày 09/03/2026: 0 nhiệm vụ định kỳ mới, 0 lời nhắc nhiệm vụ, "
        "0 lời nhắc báo cáo cho 0 người, 0 thư điện tử.\n"
    )
    assert series.occurrences.count() == 2

    # The next period starts on 26/03: its occurrence then, once.
    assert reminders.send(datetime.date(2026, 3, 25), morning(datetime.date(2026, 3, 25)))["occurrences"] == 0
    assert reminders.send(datetime.date(2026, 3, 26), morning(datetime.date(2026, 3, 26)))["occurrences"] == 1
    assert reminders.send(datetime.date(2026, 3, 26), at(datetime.date(2026, 3, 26), 18))["occurrences"] == 0
    assert list(series.occurrences.order_by("due_on").values_list("title", flat=True))[-1] == (
        "Báo cáo tình hình tư tưởng (tháng 04/2026)"
    )
    assert series.occurrences.count() == 3


def test_a_series_row_is_never_reminded_even_when_its_end_is_near_or_past(people, mailoutbox):
    ending = make_series(people, "Báo cáo tuần", datetime.date(2026, 1, 5), datetime.date(2026, 1, 12),
                         D + days(3))  # fmt: skip
    ended = make_series(people, "Báo cáo tháng", datetime.date(2025, 10, 1), datetime.date(2025, 10, 25),
                        D - days(5))  # fmt: skip
    reminders.send(D, morning(D))  # generates the occurrences
    for series in (ending, ended):
        assert series.occurrences.exists()
        for occurrence in series.occurrences.all():
            done = min(occurrence.due_on, D)
            actions.complete(people.chibo, occurrence, done, "Đã gửi báo cáo.", day=done)
        for kind in ("overdue", "due_soon", "stalled"):
            assert reminders.claim(kind, series.pk, D, morning(D)) is False, (kind, series.title)
    later = D + days(1)
    mark = last_notification()
    assert reminders.send(later, morning(later))["reminders"] == 0
    assert last_notification() == mark


def test_a_series_assigned_with_its_first_deadline_recurs_from_it(people):
    """As the new-task page assigns a monthly series: the first period's deadline is the one given
    (`first_due_on`), each next one a month later, up to the series' end."""
    head = actions.head_choices(people.chibo_unit, D)[0][0][0]
    fields = {"title": "Báo cáo công tác đảng hằng tháng", "responsible_unit": people.chibo_unit, "head": head,
              "expected_result": "Báo cáo gửi đảng ủy", "starts_on": datetime.date(2026, 1, 1),
              "due_on": datetime.date(2026, 12, 31), "recurrence": Recurrence.MONTHLY,
              "first_due_on": datetime.date(2026, 1, 20)}  # fmt: skip
    series = actions.assign(people.coso, people.coso_unit, actions.Assignment(fields, []), D)
    series.refresh_from_db()
    assert series.first_due_on == datetime.date(2026, 1, 20)
    assert list(series.occurrences.order_by("due_on").values_list("due_on", flat=True)) == [
        datetime.date(2026, 1, 20), datetime.date(2026, 2, 20), datetime.date(2026, 3, 20)
    ]  # fmt: skip


# --- the command's date ---------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["2026-02-30", "31/02/2026", "hôm qua", "2026-3"])
def test_a_bad_date_is_refused_in_vietnamese_and_sends_nothing(people, mailoutbox, text):
    spread(people)
    mark = last_notification()
    with pytest.raises(CommandError) as error:
        call_command("send_task_reminders", "--date", text, stdout=io.StringIO())
    assert str(error.value) == f"Ngày “{text}” không hợp lệ; hãy nhập theo dạng YYYY-MM-DD."
    assert last_notification() == mark
    assert mailoutbox == []
    assert not Task.objects.exclude(overdue_reminded_on=FAR).exclude(overdue_reminded_on=None).exists()


# --- reports in the digest ---------------------------------------------------------------------------


def test_reports_not_sent_are_reminded_in_the_digest_once(people, mailoutbox):
    """The monthly report of 02/2026 is due on 05/03/2026: on 09/03 every grassroots organisation
    that has not sent it is reminded (coso among them: the demo has no report of that month), and
    khoi's committee is told how many are missing; a second run the same day sends nothing."""
    Schedule.objects.filter(report_type__code="thang").update(active=True)
    expected = UnitVersion.objects.on(datetime.date(2026, 2, 28)).filter(
        parent_id=people.khoi.unit_id, kind__in=["grassroots_committee", "grassroots_cell"]
    )
    sent = Report.objects.filter(period="2026-02", report_type__code="thang", first_sent_at__isnull=False)
    missing = expected.exclude(unit_id__in=sent.values("unit_id")).count()
    assert missing == expected.count() > 0  # nobody sent 02/2026 in the demo
    mark = last_notification()

    result = reminders.send(D, morning(D))

    assert result["report_reminders"] == missing + 1  # each unit, and the committee's summary
    coso = Notification.objects.filter(pk__gt=mark, user=people.coso).get()
    assert "1 báo cáo chưa gửi" in coso.title
    assert "Chưa gửi báo cáo tháng kỳ 02/2026 (quá hạn 4 ngày)" in coso.text
    khoi = Notification.objects.filter(pk__gt=mark, user=people.khoi).get()
    assert f"{missing}/{expected.count()} đơn vị chưa gửi báo cáo tháng kỳ 02/2026 (hạn 05/03/2026)" in khoi.text
    assert not Notification.objects.filter(pk__gt=mark, user=people.xem).exists()  # viewers do not act
    assert Reminder.objects.filter(period="2026-02", kind="overdue").count() == missing

    again = last_notification()
    assert reminders.send(D, morning(D))["report_reminders"] == 0
    assert last_notification() == again


def test_a_report_sent_is_not_reminded(people):
    from dangbo.reports import actions as report_actions
    from dangbo.reports.models import ReportType

    Schedule.objects.filter(report_type__code="thang").update(active=True)
    monthly = ReportType.objects.get(code="thang")
    report = report_actions.open_report(people.coso, people.coso_unit, monthly, "2026-02", today=D)
    report_actions.send(people.coso, report, now=morning(datetime.date(2026, 3, 6)))
    mark = last_notification()

    reminders.send(D, morning(D))

    assert not Notification.objects.filter(pk__gt=mark, user=people.coso).exists()
    assert not Reminder.objects.filter(unit_id=people.coso_unit, period="2026-02").exists()
