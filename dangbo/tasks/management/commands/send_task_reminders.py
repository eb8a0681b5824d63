"""Run once a day (see the README for the cron and systemd lines): new occurrences of recurring
tasks, then the reminders of tasks due soon, overdue and stalled, one digest per person. Running it
again the same day sends nothing more."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from dangbo.lib import vn
from dangbo.tasks.reminders import send


class Command(BaseCommand):
    help = "Nhắc việc hằng ngày: nhiệm vụ sắp đến hạn, quá hạn, chưa cập nhật tiến độ; báo cáo chưa gửi."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="ngày chạy (YYYY-MM-DD), mặc định hôm nay")

    def handle(self, *args, date=None, **options):
        day = timezone.localdate()
        if date:
            day = vn.parse_date(date)
            if day is None:
                raise CommandError(f"Ngày “{date}” không hợp lệ; hãy nhập theo dạng YYYY-MM-DD.")
        now = timezone.now() if day == timezone.localdate() else timezone.make_aware(
            datetime.datetime.combine(day, datetime.time(6, 0)))  # fmt: skip
        result = send(day, now)
        self.stdout.write(
            f"Ngày {vn.format_date(day)}: {result['occurrences']} nhiệm vụ định kỳ mới, {result['reminders']} lời "
            f"nhắc nhiệm vụ, {result['report_reminders']} lời nhắc báo cáo cho {result['people']} người, "
            f"{result['emails']} thư điện tử."
        )
