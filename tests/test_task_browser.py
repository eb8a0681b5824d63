"""A task from assignment to evaluation, in Debian's Chromium through Playwright (the pattern of
tests/test_browser.py; Playwright's own browser download is not used).

khoi assigns a task to coso's committee on /nhiem-vu/moi/; coso finds it in his unit's list, logs
progress and reports it done; khoi grades it beyond requirement; the completion statistics then
count it for coso's committee. Skipped, with a clear reason, where Chromium is not installed."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone

from dangbo.accounts.models import User
from dangbo.orgs.models import UnitVersion
from dangbo.tasks.figures import Completion, subtree_completion
from dangbo.tasks.models import Grade, Priority, Source, Task, UpdateKind
from tests.conftest import CHROMIUM
from tests.helpers import from_menu, log_in, log_out

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM, reason="Chromium không có trên máy: apt-get install -y chromium"),
]


def dmy(day: datetime.date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def submit(page, form):
    """Click the form's submit button and return the response the browser ends on."""
    with page.expect_navigation() as navigation:
        form.locator('button[type="submit"]').click()
    return navigation.value


def number(text: str) -> int:
    """'1.234 (81,5%)' -> 1234."""
    return int(text.strip().split(" ")[0].replace(".", ""))


def test_a_task_assigned_reported_done_graded_and_counted(browser_page, demo_live):
    from playwright.sync_api import expect

    demo, url = demo_live
    page = browser_page
    today = timezone.localdate()  # the server's day (Asia/Ho_Chi_Minh)
    starts_on, due_on = today - datetime.timedelta(days=2), today + datetime.timedelta(days=10)
    period = (datetime.date(due_on.year, 1, 1), datetime.date(due_on.year, 12, 31))
    root = UnitVersion.objects.on(today).get(unit_id=demo["root"])
    coso_name = UnitVersion.objects.on(today).get(unit_id=demo["coso"]).name
    coso_label = f"{coso_name} — {root.name}"  # with what it belongs to; cut short in the list's column
    coso_short = coso_label if len(coso_label) <= 42 else coso_label[:41].rstrip() + "…"
    khoi, coso = User.objects.get(username="khoi"), User.objects.get(username="coso")

    # The figures of coso's committee before, as the statistics read them.
    _, rows = subtree_completion(root, *period, today)
    before = next((c for version, c in rows if version.unit_id == demo["coso"]), Completion())

    title = "Tổng hợp kết quả thực hiện Chỉ thị 35-CT/TW — kiểm thử trình duyệt"
    assert not Task.objects.filter(title=title).exists()

    # --- khoi assigns the task to coso's committee.
    log_in(page, url, "khoi", "/nhiem-vu/moi/")
    expect(page.locator("h1")).to_have_text("Giao nhiệm vụ")
    choose = page.locator("#choose-unit")
    choose.get_by_label("Đơn vị chủ trì").select_option(str(demo["coso"]))
    choose.get_by_role("button", name="Chọn").click()
    page.wait_for_url(re.compile(rf"/nhiem-vu/moi/\?responsible_unit={demo['coso']}"))
    form = page.locator("#task-form")
    expect(form.get_by_label("Đơn vị chủ trì *", exact=True)).to_have_value(str(demo["coso"]))
    heads = form.get_by_label("Người đứng đầu chịu trách nhiệm *", exact=True).locator("option")
    assert heads.count() > 1  # "— Chọn người đứng đầu —" and the members of the committee
    head_option = heads.nth(1)
    head_id, head_name = int(head_option.get_attribute("value")), head_option.inner_text().strip()
    form.get_by_label("Tên nhiệm vụ *", exact=True).fill(title)
    form.get_by_label("Nội dung, yêu cầu", exact=True).fill("Tổng hợp, đánh giá kết quả trong toàn đảng bộ.")
    form.get_by_label("Nguồn giao *", exact=True).select_option(Source.PLAN.value)
    form.get_by_label("Số văn bản (ví dụ 125-TB/ĐUK)", exact=True).fill("30-KH/ĐUK")
    form.get_by_label("Ngày văn bản", exact=True).fill(starts_on.isoformat())
    form.get_by_label("Người đứng đầu chịu trách nhiệm *", exact=True).select_option(str(head_id))
    form.get_by_label("Kết quả, sản phẩm cụ thể *", exact=True).fill("Báo cáo tổng hợp gửi Đảng ủy Khối")
    form.get_by_label("Ngày bắt đầu *", exact=True).fill(starts_on.isoformat())
    form.get_by_label("Thời hạn hoàn thành *", exact=True).fill(due_on.isoformat())
    form.get_by_label("Mức ưu tiên *", exact=True).select_option(Priority.HIGH.value)
    assert submit(page, form).status == 200
    page.wait_for_url(re.compile(r"/nhiem-vu/\d+/$"))
    task_id = int(re.search(r"/nhiem-vu/(\d+)/$", page.url)[1])
    task_path = f"/nhiem-vu/{task_id}/"
    expect(page.get_by_role("status")).to_have_text(f"Đã giao nhiệm vụ “{title}”.")
    expect(page.locator("h1")).to_have_text(title)
    status = page.locator("main p .task-status")
    expect(status).to_have_text("Đang thực hiện")
    expect(page.locator("#progress")).to_have_text("0%")
    expect(page.locator("#responsible")).to_have_text(coso_label)
    expect(page.locator("#head")).to_have_text(head_name)
    expect(page.locator("#due")).to_have_text(dmy(due_on))
    # khoi assigned it: he neither reports on it nor grades it yet.
    for form_id in ("#progress-form", "#complete-form", "#grade-form"):
        expect(page.locator(form_id)).to_have_count(0)
    task = Task.objects.get(pk=task_id)
    assert task.title == title
    assert (task.assigned_by_unit_id, task.responsible_unit_id, task.assigned_by_id, task.head_id) == (
        demo["root"], demo["coso"], khoi.pk, head_id)  # fmt: skip
    assert (task.starts_on, task.due_on, task.first_due_on) == (starts_on, due_on, due_on)
    assert (task.source, task.source_number, task.source_date, task.priority) == (
        Source.PLAN, "30-KH/ĐUK", starts_on, Priority.HIGH)  # fmt: skip
    assert (task.progress, task.completed_on, task.grade, task.recurrence) == (0, None, "", "")
    assert list(task.updates.values_list("kind", flat=True)) == [UpdateKind.ASSIGNED]
    log_out(page)

    # --- coso finds it in his unit's tasks, logs progress, reports it done.
    log_in(page, url, "coso")
    from_menu(page, "Nhiệm vụ", "Danh sách nhiệm vụ")
    page.wait_for_url(f"{url}/nhiem-vu/")
    expect(page.locator("nav.tabs a.current")).to_have_text("Nhiệm vụ đơn vị chủ trì")
    filters = page.locator("main form.filters")
    filters.get_by_label("Tìm theo tên nhiệm vụ").fill(title)
    filters.get_by_role("button", name="Lọc").click()
    page.wait_for_url(re.compile(r"/nhiem-vu/\?xem=cua-don-vi&q="))
    expect(page.locator("#tasks tbody tr")).to_have_count(1)
    row = page.locator(f"#task-{task_id}")
    expect(row.locator("td")).to_have_text(
        [f"{title} ưu tiên cao", coso_short, head_name, root.name, dmy(due_on), "0%", "Đang thực hiện"]
    )
    row.get_by_role("link", name=title).click()
    page.wait_for_url(f"{url}{task_path}")
    expect(page.locator("#grade-form")).to_have_count(0)  # the assigning unit grades, not coso

    form = page.locator("#progress-form")
    form.get_by_label("Tiến độ (%)", exact=True).fill("60")
    form.get_by_label("Nội dung đã thực hiện", exact=True).fill("Đã tổng hợp báo cáo của 60% chi bộ.")
    assert submit(page, form).status == 200
    page.wait_for_url(f"{url}{task_path}")
    expect(page.get_by_role("status")).to_have_text("Đã ghi nhận tiến độ.")
    expect(page.locator("#progress")).to_have_text("60%")
    expect(status).to_have_text("Đang thực hiện")
    progress_row = page.locator("#log tbody tr").filter(has_text="Cập nhật tiến độ")
    expect(progress_row).to_have_count(1)
    expect(progress_row).to_contain_text("Đã tổng hợp báo cáo của 60% chi bộ.")
    expect(progress_row.locator("td").nth(3)).to_have_text("60%")
    task.refresh_from_db()
    assert task.progress == 60 and task.completed_on is None and task.last_update_at is not None
    update = task.updates.get(kind=UpdateKind.PROGRESS)
    assert (update.progress, update.note, update.by_id) == (60, "Đã tổng hợp báo cáo của 60% chi bộ.", coso.pk)

    form = page.locator("#complete-form")
    expect(form.get_by_label("Ngày hoàn thành *", exact=True)).to_have_value(today.isoformat())
    form.get_by_label("Ngày hoàn thành *", exact=True).fill(today.isoformat())
    form.get_by_label("Kết quả, sản phẩm đã đạt *", exact=True).fill("Đã gửi báo cáo tổng hợp số 12-BC/ĐU.")
    assert submit(page, form).status == 200
    page.wait_for_url(f"{url}{task_path}")
    expect(page.get_by_role("status")).to_have_text("Đã báo cáo hoàn thành nhiệm vụ.")
    expect(status).to_have_text("Hoàn thành đúng hạn")
    expect(page.locator("#progress")).to_have_text("100%")
    expect(page.locator("main p").filter(has=page.locator(".task-status"))).to_contain_text("chờ đơn vị giao đánh giá")
    expect(page.locator('dt:text-is("Hoàn thành") + dd')).to_have_text(
        f"ngày {dmy(today)}: Đã gửi báo cáo tổng hợp số 12-BC/ĐU."
    )
    for form_id in ("#progress-form", "#complete-form", "#extension-form"):
        expect(page.locator(form_id)).to_have_count(0)
    task.refresh_from_db()
    assert (task.completed_on, task.completion_report, task.progress, task.grade) == (
        today, "Đã gửi báo cáo tổng hợp số 12-BC/ĐU.", 100, "")  # fmt: skip
    assert task.updates.get(kind=UpdateKind.COMPLETED).by_id == coso.pk
    log_out(page)

    # --- khoi opens the task and grades it beyond requirement.
    log_in(page, url, "khoi", task_path)
    expect(status).to_have_text("Hoàn thành đúng hạn")
    form = page.locator("#grade-form")
    expect(page.locator("main p.muted").filter(has_text="Hoàn thành đúng hạn (")).to_have_text(
        f"Hoàn thành đúng hạn ({dmy(today)}, thời hạn {dmy(due_on)})."
    )
    form.get_by_label("Đánh giá *", exact=True).select_option(label="Vượt yêu cầu")
    form.get_by_label("Nhận xét", exact=True).fill("Báo cáo đầy đủ, có số liệu so sánh.")
    assert submit(page, form).status == 200
    page.wait_for_url(f"{url}{task_path}")
    expect(page.get_by_role("status")).to_have_text("Đã đánh giá kết quả nhiệm vụ.")
    expect(page.locator("#grade")).to_have_text("Vượt yêu cầu")
    expect(status).to_have_text("Hoàn thành đúng hạn")
    expect(page.locator("#grade-form")).to_have_count(0)
    graded_row = page.locator("#log tbody tr").filter(has_text="Đánh giá kết quả")
    expect(graded_row).to_contain_text("Vượt yêu cầu, hoàn thành đúng hạn. Báo cáo đầy đủ, có số liệu so sánh.")
    task.refresh_from_db()
    assert (task.grade, task.graded_by_id) == (Grade.BEYOND, khoi.pk)
    assert task.graded_at is not None
    assert list(task.updates.values_list("kind", flat=True)) == [
        UpdateKind.ASSIGNED, UpdateKind.PROGRESS, UpdateKind.COMPLETED, UpdateKind.GRADED]  # fmt: skip

    # --- the statistics of the year of the deadline: one more on time and beyond for coso's committee.
    from_menu(page, "Nhiệm vụ", "Danh sách nhiệm vụ")
    page.wait_for_url(f"{url}/nhiem-vu/")
    page.get_by_role("link", name="Thống kê hoàn thành").click()
    page.wait_for_url(f"{url}/nhiem-vu/thong-ke/")
    expect(page.locator("h1")).to_have_text("Thống kê hoàn thành nhiệm vụ")
    filters = page.locator("main form.filters")
    filters.get_by_label("Từ ngày").fill(period[0].isoformat())
    filters.get_by_label("Đến ngày").fill(period[1].isoformat())
    filters.get_by_role("button", name="Xem").click()
    page.wait_for_url(f"{url}/nhiem-vu/thong-ke/?from={period[0].isoformat()}&to={period[1].isoformat()}")
    row = page.locator("#units tbody tr").filter(has=page.locator(f'a[href^="?unit={demo["coso"]}&"]'))
    expect(row).to_have_count(1)
    cells = row.locator("td").all_inner_texts()
    assert cells[0] == coso_name
    after = Completion(counted=number(cells[1]), on_time=number(cells[2]), beyond=number(cells[4]))
    assert (after.counted, after.on_time, after.beyond) == (before.counted + 1, before.on_time + 1, before.beyond + 1)
    assert number(cells[3]) == before.late
