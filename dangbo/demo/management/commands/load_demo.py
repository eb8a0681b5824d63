import datetime
import time

from django.core.management.base import BaseCommand, CommandError

from dangbo.demo.builder import DEMO_LOGINS, DEMO_PASSWORD, REFERENCE, build_demo
from dangbo.demo.city import CITY_LOGINS, build_city
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
        parser.add_argument(
            "--city",
            action="store_true",
            help="nạp cả Đảng bộ thành phố Hải Phòng (trước và sau 01/07/2025) với Đảng bộ mẫu là một đảng bộ khối",
        )
        parser.add_argument(
            "--scale",
            type=float,
            default=1.0,
            help="với --city: tỉ lệ số đảng viên so với thành phố thật (mặc định 1: 243.544 đảng viên tại 30/09/2025)",
        )
        parser.add_argument("--seed", type=int, default=None, help="hạt giống ngẫu nhiên (mặc định cố định)")
        parser.add_argument("--no-logins", action="store_true", help="không tạo tài khoản mẫu")
        parser.add_argument(
            "--today",
            default=None,
            help="ngày hiện tại của dữ liệu mẫu, dạng YYYY-MM-DD hoặc dd/mm/yyyy (mặc định hôm nay): "
            "lịch sử được ghi đến ngày này, sau ngày này là các cuộc sinh hoạt dự kiến và nhiệm vụ chưa đến hạn",
        )

    def handle(self, *args, members, seed, no_logins, today: str | None = None, city=False, scale=1.0, **options):
        day = _demo_day(today)
        if city and not scale > 0:
            raise CommandError("Tỉ lệ phải lớn hơn 0.")
        if Unit.objects.exists():
            self.stdout.write("Cơ sở dữ liệu đã có dữ liệu; không nạp lại Đảng bộ mẫu.")
        elif city:
            started = time.monotonic()
            stats = build_city(scale=scale, logins=not no_logins, today=day)
            self.stdout.write(
                f"Đã nạp Đảng bộ thành phố mẫu: {vn.format_number(stats['units'])} tổ chức ngoài Đảng bộ mẫu, "
                f"{vn.format_number(stats['members'])} hồ sơ đảng viên, {vn.format_number(stats['stints'])} quá trình "
                f"sinh hoạt; dữ liệu đến ngày {vn.format_date(day)}; "
                f"mất {vn.format_number(round(time.monotonic() - started))} giây."
            )
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
            for username, description in DEMO_LOGINS + (CITY_LOGINS if city else []):
                self.stdout.write(f"  {username:<7} {description}")


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
