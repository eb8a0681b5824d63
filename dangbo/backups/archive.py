"""One backup archive: dangbo-YYYYMMDD-HHMMSS.tar.gz, with a .sha256 file beside it.

Inside: the database (database.sqlite3, or database.pgdump in pg_dump's custom format), the uploaded
files under media/, and manifest.json — the format and dangbo's version, the database engine, the
migrations applied, the row count of every table (read from the same moment as the copy) and the
SHA-256 of every other member. The .sha256 file holds the checksum of the whole archive, in the
format `sha256sum -c` reads. A restore checks both before it changes anything."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tarfile
import tempfile
import tomllib
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from . import database
from .database import BackupError

FORMAT = 1
MANIFEST = "manifest.json"
MEDIA = "media"
NAME = re.compile(r"^dangbo-(\d{8}-\d{6})(?:-(\d+))?\.tar\.gz$")
CHUNK = 1024 * 1024


class ArchiveRefused(BackupError):
    """An archive that must not be restored (damaged, of another version or engine)."""


def dangbo_version() -> str:
    try:
        with open(Path(settings.BASE_DIR) / "pyproject.toml", "rb") as file:
            return tomllib.load(file)["project"]["version"]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "không rõ"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def checksum_path(archive: Path) -> Path:
    return archive.with_name(archive.name + ".sha256")


def code_migrations() -> set[tuple[str, str]]:
    """Every migration the running code has, (app, name)."""
    return set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)


# --- writing --------------------------------------------------------------------------------------


@dataclass
class Written:
    path: Path
    manifest: dict
    size: int
    removed: list[Path] = field(default_factory=list)


def _archive_name(directory: Path) -> Path:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    path, number = directory / f"dangbo-{stamp}.tar.gz", 1
    while path.exists() or checksum_path(path).exists():  # two backups within one second
        number += 1
        path = directory / f"dangbo-{stamp}-{number}.tar.gz"
    return path


def _media_files(root: Path) -> list[tuple[str, Path]]:
    """(member name, path) of every uploaded file, in a stable order."""
    if not root.is_dir():
        return []
    found = []
    for folder, folders, files in os.walk(root):
        folders.sort()
        for name in sorted(files):
            path = Path(folder) / name
            if path.is_file() and not path.is_symlink():
                found.append((f"{MEDIA}/{path.relative_to(root).as_posix()}", path))
    return found


def _add(tar: tarfile.TarFile, member: str, path: Path) -> dict | None:
    """Add one file, hashing what was added; None when it disappeared meanwhile (a file deleted by a
    transaction committed after the database's snapshot)."""
    try:
        file = open(path, "rb")
    except FileNotFoundError:
        return None
    with file:
        digest = hashlib.sha256()
        while chunk := file.read(CHUNK):
            digest.update(chunk)
        size = file.tell()
        file.seek(0)
        info = tar.gettarinfo(arcname=member, fileobj=file)
        info.size = size
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        tar.addfile(info, file)
    return {"sha256": digest.hexdigest(), "size": size}


def write_backup(directory: Path, *, keep: int, alias: str = "default") -> Written:
    """Write one archive into `directory` and keep the newest `keep` archives there."""
    if keep < 1:
        raise BackupError("Số bản sao lưu giữ lại (--keep) phải từ 1 trở lên.")
    directory.mkdir(parents=True, exist_ok=True)
    engine = database.engine_of(alias)
    created_at = timezone.localtime()
    path = _archive_name(directory)
    partial = path.with_name(f".{path.name}.partial")
    with tempfile.TemporaryDirectory(prefix=".dangbo-backup-", dir=directory) as work:
        db_member = database.DATABASE_MEMBER[engine]
        db_file = Path(work) / db_member
        snapshot = database.dump(alias, db_file)
        try:
            files = {}
            with tarfile.open(partial, "w:gz", compresslevel=6) as tar:
                files[db_member] = _add(tar, db_member, db_file)
                for member, media_path in _media_files(Path(settings.MEDIA_ROOT)):
                    if (added := _add(tar, member, media_path)) is not None:
                        files[member] = added
                manifest = {
                    "format": FORMAT,
                    "application": "dangbo",
                    "version": dangbo_version(),
                    "created_at": created_at.isoformat(),
                    "engine": engine,
                    "database": db_member,
                    "migrations": snapshot.migrations,
                    "latest_migrations": {app: names[-1] for app, names in snapshot.migrations.items()},
                    "row_counts": snapshot.counts,
                    "media_files": len(files) - 1,
                    "files": files,
                }
                data = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mtime, info.mode = len(data), int(created_at.timestamp()), 0o644
                tar.addfile(info, io.BytesIO(data))
            digest = sha256_of(partial)
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
    sidecar = checksum_path(path)
    sidecar.with_name(f".{sidecar.name}.partial").write_text(f"{digest}  {path.name}\n")
    os.replace(sidecar.with_name(f".{sidecar.name}.partial"), sidecar)
    return Written(path=path, manifest=manifest, size=path.stat().st_size, removed=prune(directory, keep))


def archives_in(directory: Path) -> list[Path]:
    """The archives of `directory`, oldest first (by the time in their names)."""
    found = []
    for path in directory.iterdir() if directory.is_dir() else []:
        if match := NAME.match(path.name):
            found.append(((match[1], int(match[2] or 1)), path))
    return [path for _, path in sorted(found)]


def prune(directory: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` archives (and their checksum files); what was deleted."""
    removed = []
    for path in archives_in(directory)[:-keep]:
        path.unlink(missing_ok=True)
        checksum_path(path).unlink(missing_ok=True)
        removed.append(path)
    return removed


# --- reading --------------------------------------------------------------------------------------


@dataclass
class Opened:
    manifest: dict
    folder: Path
    whole_checked: bool


def _refuse_damaged(archive: Path, why: str) -> ArchiveRefused:
    return ArchiveRefused(f"Tệp sao lưu {archive.name} bị hỏng, không phục hồi: {why}. Không có gì bị thay đổi.")


def open_archive(archive: Path, into: Path) -> Opened:
    """Check `archive` and unpack it into the folder `into`: the checksum of the whole file (when its
    .sha256 file is beside it), then the manifest and the checksum of every member."""
    if not archive.is_file():
        raise ArchiveRefused(f"Không có tệp {archive}.")
    sidecar = checksum_path(archive)
    whole_checked = sidecar.is_file()
    if whole_checked:
        expected = (sidecar.read_text().split() or [""])[0].lower()
        if sha256_of(archive) != expected:
            raise _refuse_damaged(archive, f"mã SHA-256 của cả tệp không khớp với {sidecar.name}")
    try:
        with tarfile.open(archive, "r:gz") as tar:
            members = tar.getmembers()
            for member in members:
                if not member.isfile():
                    raise _refuse_damaged(archive, f"có mục lạ “{member.name}”")
            tar.extractall(into, filter="data")
    except (tarfile.TarError, EOFError, zlib.error, OSError) as error:
        raise _refuse_damaged(archive, f"không đọc được tệp nén ({error})") from None
    try:
        manifest = json.loads((into / MANIFEST).read_text(encoding="utf-8"))
        listed = manifest["files"]
    except (OSError, ValueError, KeyError, TypeError):
        raise _refuse_damaged(archive, f"thiếu hoặc hỏng {MANIFEST}") from None
    if manifest.get("application") != "dangbo" or manifest.get("format") != FORMAT:
        raise ArchiveRefused(
            f"Tệp {archive.name} có định dạng sao lưu {manifest.get('format')!r}, phiên bản dangbo đang chạy chỉ "
            f"đọc định dạng {FORMAT}: hãy phục hồi bằng phiên bản dangbo {manifest.get('version', 'đã tạo ra nó')}. "
            "Không có gì bị thay đổi."
        )
    present = {member.name for member in members} - {MANIFEST}
    if present != set(listed):
        extra = sorted(present ^ set(listed))[:3]
        raise _refuse_damaged(archive, f"các tệp bên trong không khớp với danh sách ({', '.join(extra)})")
    for member, expected in listed.items():
        path = into / member
        if path.stat().st_size != expected["size"] or sha256_of(path) != expected["sha256"]:
            raise _refuse_damaged(archive, f"mã SHA-256 của {member} không khớp")
    return Opened(manifest=manifest, folder=into, whole_checked=whole_checked)


def check_compatible(manifest: dict, alias: str = "default") -> list[tuple[str, str]]:
    """Refuse an archive of another engine or of a dangbo whose migrations this code does not have;
    the code's migrations the archive lacks (the restored database is then migrated up to them)."""
    engine = database.engine_of(alias)
    if manifest["engine"] != engine:
        raise ArchiveRefused(
            f"Bản sao lưu là của {database.ENGINE_LABELS.get(manifest['engine'], manifest['engine'])}, cơ sở dữ "
            f"liệu đang cấu hình là {database.ENGINE_LABELS[engine]}: không phục hồi sang hệ quản trị khác. Để "
            "chuyển dữ liệu giữa SQLite và PostgreSQL, hãy dùng sổ trao đổi (xuất rồi nhập tệp Excel). "
            "Không có gì bị thay đổi."
        )
    archived = {(app, name) for app, names in manifest["migrations"].items() for name in names}
    code = code_migrations()
    unknown = sorted(archived - code)
    if unknown:
        names = ", ".join(f"{app}.{name}" for app, name in unknown[:5])
        raise ArchiveRefused(
            f"Bản sao lưu được tạo bởi một phiên bản dangbo khác ({manifest.get('version')}), có những bước chuyển "
            f"đổi cơ sở dữ liệu mà mã nguồn đang chạy không có: {names}. Hãy cài đúng phiên bản đã tạo bản sao lưu "
            "rồi phục hồi. Không có gì bị thay đổi."
        )
    return sorted(code - archived)
