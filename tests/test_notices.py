"""The notifications page and the header: a reminder's addresses are links to the pages, relative;
the header shows how many notifications are unread at the cost of one query; outside development,
SITE_URL left at its default is warned of (dangbo.W001)."""

from __future__ import annotations

import lxml.html
from django.core.checks import run_checks
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dangbo.accounts.models import User
from dangbo.notices import links
from dangbo.notices.models import Notification
from dangbo.reports.models import Report
from dangbo.tasks.models import Task

NOTIFICATIONS = "/thong-bao/"


def page(response):
    assert response.status_code == 200
    return lxml.html.fromstring(response.content.decode())


def remind(username: str, text: str, read: bool = False) -> Notification:
    user = User.objects.get(username=username)
    return Notification.objects.create(user=user, title="Nhắc việc ngày 27/11/2026", text=text, link="/nhiem-vu/",
                                       read_at=timezone.now() if read else None)  # fmt: skip


def test_a_reminders_address_is_a_relative_link_to_the_page(demo, as_user):
    task = Task.objects.filter(responsible_unit_id=demo["chibo"]).first() or Task.objects.first()
    old = remind("chibo", f"- [Quá hạn] Việc cũ — Chi bộ, hạn 01/11/2026.\n  http://127.0.0.1:8000/nhiem-vu/{task.pk}/")
    new = remind("chibo", f"- [Quá hạn] {task.title} <b> — hạn 01/11/2026.\n  /nhiem-vu/{task.pk}/")
    html = page(as_user("chibo").get(NOTIFICATIONS))
    for notice in (old, new):
        row = html.get_element_by_id(f"notification-{notice.pk}")
        hrefs = [a.get("href") for a in row.iter("a")]
        assert f"/nhiem-vu/{task.pk}/" in hrefs, hrefs
        assert not any(h.startswith("http") for h in hrefs)
        assert "http://127.0.0.1:8000" not in row.text_content()
    # The task's title is text, never markup.
    assert "<b>" in html.get_element_by_id(f"notification-{new.pk}").text_content()


def test_an_emails_addresses_follow_site_url(settings):
    settings.SITE_URL = "https://dangbo.example.vn/"
    text = "- [Quá hạn] Việc — hạn 01/11/2026.\n  /nhiem-vu/31/\n- [Báo cáo] Chưa gửi.\n  /bao-cao/"
    assert links.absolute(text) == ("- [Quá hạn] Việc — hạn 01/11/2026.\n  https://dangbo.example.vn/nhiem-vu/31/\n"
                                    "- [Báo cáo] Chưa gửi.\n  https://dangbo.example.vn/bao-cao/")  # fmt: skip


def test_the_header_counts_the_unread_notifications(demo, as_user):
    user = User.objects.get(username="coso")
    Notification.objects.filter(user=user).delete()
    client = as_user("coso")
    html = page(client.get("/"))
    assert not html.xpath('//*[@id="unread-count"]'), "nothing unread, no count"
    for _ in range(3):
        remind("coso", "- Việc.\n  /nhiem-vu/")
    remind("coso", "- Việc đã đọc.", read=True)
    assert page(client.get("/")).get_element_by_id("unread-count").text_content() == "3"
    client.post(NOTIFICATIONS)  # mark all read
    assert not page(client.get("/")).xpath('//*[@id="unread-count"]')


def test_the_header_count_costs_no_query_of_its_own(demo, as_user):
    """The count rides on the query that loads the session's user: one query reads it on any page."""
    remind("khoi", "- Việc.\n  /nhiem-vu/")
    client = as_user("khoi")
    report = Report.objects.get(unit_id=demo["root"], report_type__code="thang", period="2024-09")
    for url in ("/", NOTIFICATIONS, "/bao-cao/", f"/bao-cao/{report.pk}/so-lieu.xlsx"):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        unread = [q["sql"] for q in queries if "notices_notification" in q["sql"] and '"read_at" IS NULL' in q["sql"]]
        assert len(unread) == 1 and "accounts_user" in unread[0], (url, unread)


def test_site_url_left_at_its_default_outside_development_is_warned_of(settings):
    settings.DEVELOPMENT = False
    settings.SITE_URL = settings.DEFAULT_SITE_URL
    assert [m.id for m in run_checks() if m.id == "dangbo.W001"] == ["dangbo.W001"]
    settings.SITE_URL = "https://dangbo.example.vn"
    assert "dangbo.W001" not in [m.id for m in run_checks()]
    settings.DEVELOPMENT, settings.SITE_URL = True, settings.DEFAULT_SITE_URL
    assert "dangbo.W001" not in [m.id for m in run_checks()]
