from django.core.management.base import BaseCommand
from django.db import transaction

from dangbo.meetings.cell_years import refresh


class Command(BaseCommand):
    help = "Tính lại bảng tổng hợp sinh hoạt theo năm của các chi bộ (sau khi đổi MEETING_RULES)."

    def handle(self, *args, **options):
        with transaction.atomic():
            written = refresh()
        self.stdout.write(f"Đã tính lại {written} dòng tổng hợp (chi bộ, năm).")
