"""manage.py restore ARCHIVE: put a backup archive back into an empty installation (the database of
the settings, MEDIA_ROOT). Refuses a damaged archive, one of another version or engine, and a
database that already holds dangbo data, before it changes anything."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from dangbo.backups.database import BackupError
from dangbo.backups.restore import restore_archive


class Command(BaseCommand):
    help = "Phục hồi một bản sao lưu (tệp dangbo-….tar.gz) vào một cài đặt rỗng: cơ sở dữ liệu và tệp tải lên."

    def add_arguments(self, parser):
        parser.add_argument("archive", help="tệp sao lưu dangbo-….tar.gz (tệp .sha256 đặt bên cạnh nếu có)")
        parser.add_argument("--database", default="default", help="cơ sở dữ liệu (mặc định: default)")

    def handle(self, *args, archive, database="default", **options):
        try:
            manifest = restore_archive(Path(archive), media_root=Path(settings.MEDIA_ROOT), alias=database,
                                       say=self.stdout.write)  # fmt: skip
        except (BackupError, OSError) as error:
            raise CommandError(str(error)) from None
        self.stdout.write(self.style.SUCCESS(
            f"Đã phục hồi bản sao lưu lúc {manifest['created_at']} (dangbo {manifest['version']})."
        ))  # fmt: skip
