"""Restoring an archive into an empty installation: everything is checked before anything changes
(the archive's checksums, its format, engine and migrations, the emptiness of the database and of
the uploads folder); then the database, the uploaded files, the row counts against the manifest,
and the migrations the archive predates."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from django.core.management import call_command
from django.db import DatabaseError, connections

from dangbo.lib import vn

from . import archive as archives
from . import database
from .database import BackupError


def _check_empty(alias: str, media_root: Path) -> None:
    settings_dict = connections[alias].settings_dict
    exists = True
    if database.engine_of(alias) == database.SQLITE:
        exists = Path(str(settings_dict["NAME"])).exists()
    try:
        found = database.existing_data(alias) if exists else {}
    except DatabaseError as error:
        raise BackupError(
            f"Không kết nối được cơ sở dữ liệu “{settings_dict['NAME']}” ({error}). Với PostgreSQL, hãy tạo "
            "trước một cơ sở dữ liệu rỗng (createdb) rồi phục hồi vào đó. Không có gì bị thay đổi."
        ) from None
    if found:
        held = ", ".join(f"{vn.format_number(count)} {label}" for label, count in found.items())
        raise BackupError(
            f"Cơ sở dữ liệu “{settings_dict['NAME']}” đã có dữ liệu dangbo ({held}): chỉ phục hồi vào một cài đặt "
            "rỗng, để không ghi đè dữ liệu đang có. Hãy phục hồi vào một cơ sở dữ liệu mới (PostgreSQL: createdb; "
            "SQLite: một tệp chưa có), hoặc tự sao lưu rồi xóa cơ sở dữ liệu cũ trước. Không có gì bị thay đổi."
        )
    if media_root.is_dir() and any(path.is_file() for path in media_root.rglob("*")):
        raise BackupError(
            f"Thư mục tệp tải lên {media_root} (MEDIA_ROOT) đã có tệp: chỉ phục hồi vào một thư mục rỗng. "
            "Không có gì bị thay đổi."
        )


def _put_media(folder: Path, media_root: Path) -> int:
    source = folder / archives.MEDIA
    count = 0
    if not source.is_dir():
        return 0
    for path in sorted(source.rglob("*")):
        if path.is_file():
            target = media_root / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(path, target)
            count += 1
    return count


def restore_archive(path: Path, *, media_root: Path, alias: str = "default",
                    say: Callable[[str], None] = print) -> dict:  # fmt: skip
    """Restore the archive at `path`; its manifest."""
    with tempfile.TemporaryDirectory(prefix="dangbo-restore-") as work:
        opened = archives.open_archive(path, Path(work))
        manifest = opened.manifest
        if opened.whole_checked:
            say(f"Mã SHA-256 của cả tệp khớp với {archives.checksum_path(path).name}.")
        else:
            say(f"Không có tệp {archives.checksum_path(path).name} bên cạnh: chỉ kiểm tra được từng tệp bên trong.")
        say(f"Mã SHA-256 của {vn.format_number(len(manifest['files']))} tệp bên trong đều khớp.")
        missing = archives.check_compatible(manifest, alias)
        _check_empty(alias, media_root)

        engine = database.ENGINE_LABELS[manifest["engine"]]
        database.load(alias, opened.folder / manifest["database"])
        say(f"Đã phục hồi cơ sở dữ liệu {engine} “{connections[alias].settings_dict['NAME']}”.")
        files = _put_media(opened.folder, media_root)
        say(f"Đã phục hồi {vn.format_number(files)} tệp tải lên vào {media_root}.")

    counts = database.current_counts(alias)
    expected = manifest["row_counts"]
    wrong = [(table, expected.get(table), counts.get(table)) for table in sorted(set(expected) | set(counts))
             if expected.get(table) != counts.get(table)]  # fmt: skip
    if wrong:
        listed = "; ".join(f"{table}: cần {want}, có {got}" for table, want, got in wrong[:5])
        raise BackupError(f"Đã phục hồi nhưng số dòng không khớp với bản kê của bản sao lưu: {listed}.")
    say(f"Số dòng của {vn.format_number(len(counts))} bảng khớp với bản kê "
        f"({vn.format_number(sum(counts.values()))} dòng).")  # fmt: skip
    if missing:
        say(f"Bản sao lưu thiếu {vn.format_number(len(missing))} bước chuyển đổi của phiên bản này: đang chạy migrate.")
        call_command("migrate", database=alias, interactive=False, verbosity=0)
        say("Đã chuyển đổi cơ sở dữ liệu lên phiên bản đang chạy.")
    return manifest
