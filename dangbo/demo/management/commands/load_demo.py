import datetime

from django.core.management.base import BaseCommand, CommandError

from dangbo.demo.builder import DEMO_LOGINS, DEMO_PASSWORD, REFERENCE, build_demo
from dangbo.demo.days import REFERENCE_DAY
from dangbo.lib import vn
from dangbo.lib.http import today
from dangbo.orgs.models import Unit


class Command(BaseCommand):
    help = "Nạp Đảng bộ mẫu (dữ liệu trình diễn) vào cơ sở dữ liệu trống."

    def add_arguments(self, parser):
        parser.add_argument(
            "--members",
            type=int,
            default=REFERENCE["members"],
            help="số đảng viên tại ngày 30/09/2024 (mặc định 4.466, như Đảng bộ tham chiếu)",
        )
        parser.add_argument("--seed", type=int, default=None, help="hạt giống ngẫu nhiên (mặc định cố định)")
        parser.add_argument("--no-logins", action="store_true", help="không tạo tài khoản mẫu")
        parser.add_argument(
            "--today",
            default=None,
            help="ngày hiện tại của dữ liệu mẫu, dạng YYYY-MM-DD hoặc dd/mm/yyyy (mặc định hôm nay): "
            "lịch sử được ghi đến ngày này, sau ngày này là các cuộc sinh hoạt dự kiến và nhiệm vụ chưa đến hạn",
        )

    def handle(self, *args, members, seed, no_logins, today: str | None = None, **options):
        day = _demo_day(today)
        if Unit.objects.exists():
            self.stdout.write("Cơ sở dữ liệu đã có dữ liệu; không nạp lại Đảng bộ mẫu.")
        else:
            kwargs = {"members": members, "logins": not no_logins, "today": day}
            if seed is not None:
                kwargs["seed"] = seed
            stats = build_demo(**kwargs)
            self.stdout.write(
                f"Đã nạp Đảng bộ mẫu: {stats['units']} tổ chức, {stats['members']} hồ sơ đảng viên, "
                f"{stats['stints']} quá trình sinh hoạt; dữ liệu đến ngày {vn.format_date(day)}."
            )
        if not no_logins:
            self.stdout.write(f"\nTài khoản mẫu (mật khẩu: {DEMO_PASSWORD}):")
            for username, description in DEMO_LOGINS:
                self.stdout.write(f"  {username:<6} {description}")


def _demo_day(raw: str | None) -> datetime.date:
    """The demo's "today": the day given, or the day it is loaded. After the reference day, so the
    reference figures lie in its past."""
    if not raw:
        return today()
    day = vn.parse_date(raw)
    earliest = REFERENCE_DAY + datetime.timedelta(days=60)
    if day is None or not (earliest <= day <= datetime.date(2100, 12, 31)):
        raise CommandError(f"Ngày “{raw}” không dùng được: hãy nhập một ngày từ {vn.format_date(earliest)} trở đi.")
    return day
