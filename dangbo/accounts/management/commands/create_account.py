"""manage.py create_account --unit CODE [--role ROLE] [--name "Họ và tên"] [--username NAME]: the first
account of a new install (after its tree is imported with `import_workbook`), or any account made
from the command line. It goes through the same action as the bulk creation page: a one-time
password printed once, to be changed at the first sign-in, and an audit entry (with no actor)."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from dangbo.accounts.actions import ROLES_BY_KIND, Wanted, create_listed_accounts
from dangbo.accounts.models import Role
from dangbo.lib.http import today
from dangbo.orgs.models import UnitVersion


class Command(BaseCommand):
    help = "Tạo một tài khoản cho một đơn vị, với mật khẩu dùng một lần (phải đổi khi đăng nhập lần đầu)."

    def add_arguments(self, parser):
        parser.add_argument("--unit", required=True, help="mã đơn vị (cột Mã của sheet Tổ chức)")
        parser.add_argument(
            "--role",
            default=Role.SUPERIOR_STAFF,
            choices=[role.value for role in Role],
            help="vai trò (mặc định superior_staff: cán bộ Đảng ủy cấp trên cơ sở)",
        )
        parser.add_argument("--name", default="", help="họ và tên người dùng tài khoản")
        parser.add_argument("--username", default="", help="tên đăng nhập (mặc định: theo mã đơn vị)")

    def handle(self, *args, unit, role, name, username, **options):
        version = UnitVersion.objects.on(today()).select_related("unit").filter(unit__code=unit.strip()).first()
        if version is None:
            raise CommandError(
                f"Không có đơn vị nào mã “{unit}” vào hôm nay. Nhập cây tổ chức trước (import_workbook)."
            )
        if role not in ROLES_BY_KIND.get(version.kind, set()):
            raise CommandError(
                f"Đơn vị “{version.name}” ({version.get_kind_display()}) không có vai trò {Role(role).label}."
            )
        try:
            [issued] = create_listed_accounts(None, [Wanted(version, role, name.strip(), username.strip().lower())])
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(
            f"Đã tạo tài khoản {issued.username} ({issued.role}, {issued.unit}).\n"
            f"Mật khẩu dùng một lần: {issued.password}\n"
            "Người dùng phải đổi mật khẩu khi đăng nhập lần đầu"
            " (và bật đăng nhập hai bước nếu vai trò bắt buộc)."
        )
