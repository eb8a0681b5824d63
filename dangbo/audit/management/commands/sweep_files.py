"""Run once a day (or after a crash): remove the files under MEDIA_ROOT that no row refers to.

A rolled-back write takes its file back (lib/storage.py), but a process killed mid-write cannot: its
file stays without a row. Only files older than an hour are removed, so an upload whose transaction
is still running is never taken."""

import datetime
import os
import time
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import models


def referenced_files() -> set[str]:
    """The names stored in every file field of every model."""
    names = set()
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, models.FileField):
                manager = model._base_manager
                names.update(manager.exclude(**{field.name: ""}).values_list(field.name, flat=True).iterator())
    return names


def orphans(root: Path, keep: set[str], older_than: datetime.timedelta) -> list[Path]:
    """Files under `root` not named in `keep` and last written more than `older_than` ago."""
    limit = time.time() - older_than.total_seconds()
    found = []
    for folder, _, files in os.walk(root):
        for file in files:
            path = Path(folder) / file
            if path.relative_to(root).as_posix() not in keep and path.stat().st_mtime < limit:
                found.append(path)
    return sorted(found)


class Command(BaseCommand):
    help = "Xóa các tệp trong thư mục tải lên (MEDIA_ROOT) không còn dữ liệu nào dùng đến, đã ghi quá một giờ."

    def add_arguments(self, parser):
        parser.add_argument("--minutes", type=int, default=60, help="chỉ xóa tệp ghi cách đây hơn chừng ấy phút")
        parser.add_argument("--dry-run", action="store_true", help="chỉ liệt kê, không xóa")

    def handle(self, *args, minutes=60, dry_run=False, **options):
        root = Path(settings.MEDIA_ROOT)
        if not root.is_dir():
            self.stdout.write(f"Không có thư mục {root}.")
            return
        found = orphans(root, referenced_files(), datetime.timedelta(minutes=max(minutes, 0)))
        for path in found:
            self.stdout.write(str(path.relative_to(root)))
            if not dry_run:
                path.unlink(missing_ok=True)
        verb = "Sẽ xóa" if dry_run else "Đã xóa"
        self.stdout.write(f"{verb} {len(found)} tệp không còn dữ liệu nào dùng đến.")
