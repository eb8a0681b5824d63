from django.core.management.base import BaseCommand
from django.db import transaction

from dangbo.members.tallies import refresh_tallies


class Command(BaseCommand):
    help = "Tính lại bảng số liệu đảng viên theo đơn vị (dữ liệu dẫn xuất) từ quá trình sinh hoạt."

    def handle(self, *args, **options):
        with transaction.atomic():
            rows = refresh_tallies()
        self.stdout.write(f"Đã tính lại {rows} dòng số liệu.")
