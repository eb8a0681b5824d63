from django.core.management.base import BaseCommand

from dangbo.demo.builder import DEMO_LOGINS, DEMO_PASSWORD, REFERENCE, build_demo
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

    def handle(self, *args, members, seed, no_logins, **options):
        if Unit.objects.exists():
            self.stdout.write("Cơ sở dữ liệu đã có dữ liệu; không nạp lại Đảng bộ mẫu.")
        else:
            kwargs = {"members": members, "logins": not no_logins}
            if seed is not None:
                kwargs["seed"] = seed
            stats = build_demo(**kwargs)
            self.stdout.write(
                f"Đã nạp Đảng bộ mẫu: {stats['units']} tổ chức, {stats['members']} hồ sơ đảng viên, "
                f"{stats['stints']} quá trình sinh hoạt."
            )
        if not no_logins:
            self.stdout.write(f"\nTài khoản mẫu (mật khẩu: {DEMO_PASSWORD}):")
            for username, description in DEMO_LOGINS:
                self.stdout.write(f"  {username:<6} {description}")
