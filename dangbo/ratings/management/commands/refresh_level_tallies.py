from django.core.management.base import BaseCommand

from dangbo.ratings.models import refresh_level_tallies


class Command(BaseCommand):
    help = "Tính lại bảng tổng hợp kết quả xếp loại đảng viên theo chi bộ (sau khi ghi hàng loạt)."

    def handle(self, *args, **options):
        written = refresh_level_tallies()
        self.stdout.write(f"Đã tính lại {written} dòng tổng hợp (đợt đánh giá, chi bộ).")
