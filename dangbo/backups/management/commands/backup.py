"""manage.py backup [--keep N] [--dir FOLDER]: one archive of the database and the uploaded files
(dangbo.backups.archive), then the oldest archives beyond the newest N are deleted. Safe to run
while dangbo serves: the database is copied as of one moment."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from dangbo.backups import archive, database
from dangbo.lib import vn


class Command(BaseCommand):
    help = "Sao lưu cơ sở dữ liệu và các tệp tải lên vào một tệp dangbo-NGÀY-GIỜ.tar.gz, giữ lại N bản mới nhất."

    def add_arguments(self, parser):
        parser.add_argument("--keep", type=int, default=None,
                            help=f"số bản sao lưu giữ lại (mặc định BACKUP_KEEP = {settings.BACKUP_KEEP})")
        parser.add_argument("--dir", default=None,
                            help=f"thư mục ghi bản sao lưu (mặc định BACKUP_DIR = {settings.BACKUP_DIR})")
        parser.add_argument("--database", default="default", help="cơ sở dữ liệu (mặc định: default)")  # fmt: skip

    def handle(self, *args, keep=None, dir=None, **options):
        directory = Path(dir or settings.BACKUP_DIR)
        try:
            written = archive.write_backup(directory, keep=settings.BACKUP_KEEP if keep is None else keep,
                                           alias=options["database"])  # fmt: skip
        except (database.BackupError, OSError) as error:
            raise CommandError(str(error)) from None
        manifest = written.manifest
        counts = manifest["row_counts"]
        self.stdout.write(self.style.SUCCESS(f"Đã ghi bản sao lưu {written.path}"))
        self.stdout.write(
            f"  {vn.format_number(written.size / 1024 / 1024, 1)} MB: cơ sở dữ liệu "
            f"{database.ENGINE_LABELS[manifest['engine']]} ({vn.format_number(len(counts))} bảng, "
            f"{vn.format_number(sum(counts.values()))} dòng), {vn.format_number(manifest['media_files'])} tệp tải lên."
        )
        self.stdout.write(f"  Mã kiểm tra SHA-256 của cả tệp: {archive.checksum_path(written.path)}")
        if written.removed:
            names = ", ".join(path.name for path in written.removed)
            self.stdout.write(f"Đã xóa {vn.format_number(len(written.removed))} bản sao lưu cũ: {names}.")
        kept = len(archive.archives_in(directory))
        self.stdout.write(f"Thư mục {directory} giữ {vn.format_number(kept)} bản sao lưu.")
