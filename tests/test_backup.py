"""manage.py backup and restore (dangbo.backups).

A backup taken while members are being admitted is restored into a new database (a new SQLite file,
or a new PostgreSQL database) by another process, and carries the state of one moment: every
table's row count and the overview's figures there are those the writer saw after one of its
writes, and the manifest's counts are that same moment's. A damaged archive, one of another version
or engine, and a target that already holds data are refused before anything changes; the oldest
archives beyond the newest N are deleted."""

from __future__ import annotations

import datetime
import io
import json
import shutil
import tarfile
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.db.migrations.loader import MigrationLoader

from dangbo.accounts.models import User
from dangbo.backups import archive as archives
from dangbo.demo.days import HORIZON
from dangbo.meetings import actions as meeting_actions
from dangbo.meetings.models import Meeting
from dangbo.members import actions as member_actions
from dangbo.orgs.models import Unit
from tests import elsewhere
from tests.conftest import committed_demo_back
from tests.helpers import is_vietnamese

PDF = b"%PDF-1.4 bien ban hop chi bo"
ENGINE = "sqlite" if connection.vendor == "sqlite" else "postgresql"
OTHER_ENGINE = "postgresql" if ENGINE == "sqlite" else "sqlite"


def units_of(demo: dict) -> list[int]:
    return [demo["root"], demo["coso"], demo["chibo"]]


def manifest_of(path: Path) -> dict:
    with tarfile.open(path, "r:gz") as tar:
        return json.loads(tar.extractfile(archives.MANIFEST).read())


# --- a backup while members are admitted, restored elsewhere ---------------------------------------


class Admissions(threading.Thread):
    """Admits members into chibo's cell, one committed write after another, until told to stop; after
    each write it reads the row counts and figures it left (nothing else writes meanwhile), so
    `states[i]` is the database after `i` writes."""

    def __init__(self, demo: dict, first: dict):
        super().__init__()
        self.demo, self.states, self.committed_at = demo, [first], []
        self.stop_after: int | None = None
        self.error: BaseException | None = None

    def run(self):
        try:
            khoi = User.objects.get(username="khoi")
            cell = Unit.objects.get(pk=self.demo["chibo"])
            i = 0
            while self.stop_after is None or i < self.stop_after:
                person = {"family_name": "Trần", "middle_name": "Sao", "given_name": f"Lưu {i}",
                          "sex": "F" if i % 2 else "M", "birth_date": datetime.date(1990 + i % 10, 1 + i % 12, 5)}
                member_actions.admit(khoi, person, unit=cell, effective_on=HORIZON - datetime.timedelta(days=20 + i))
                self.committed_at.append(time.monotonic())
                i += 1
                self.states.append(elsewhere.read(units_of(self.demo)))
        except BaseException as error:  # noqa: BLE001 - reported by the test's own thread
            self.error = error
        finally:
            connections.close_all()

    def writes(self) -> int:
        return len(self.committed_at)


@pytest.fixture
def committed_demo(transactional_db) -> dict:
    return committed_demo_back()


def new_database(tmp_path, file_name: str, suffix: str) -> tuple[str, str | None]:
    """An empty database beside the test's: a new SQLite file, or a new PostgreSQL database named
    after the test database with `suffix`. (its URL, the PostgreSQL name to drop)."""
    if ENGINE == "sqlite":
        return f"sqlite:///{tmp_path / (file_name + '.sqlite3')}", None
    name = f"{connection.settings_dict['NAME']}{suffix}"
    drop_database(name)
    with connection._nodb_cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    return elsewhere.database_url(connection.settings_dict | {"NAME": name}), name


def drop_database(name: str | None) -> None:
    if name:
        with connection._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def restore_target(tmp_path):
    """A new installation: a new database (a new SQLite file, a new PostgreSQL database) that
    `migrate` has made, with nothing else in it but the rows migrations write. Its URL."""
    url, name = new_database(tmp_path, "phuc-hoi", "_restore")
    done = elsewhere.run(["manage.py", "migrate", "--noinput", "-v0"], url, tmp_path / "media-trong")
    assert done.returncode == 0, done.stderr
    yield url
    drop_database(name)


def test_a_backup_taken_during_writes_restores_elsewhere_to_one_moment(committed_demo, restore_target, tmp_path,
                                                                        settings):  # fmt: skip
    demo = committed_demo
    settings.MEDIA_ROOT = tmp_path / "media"
    meeting = Meeting.unscoped.filter(cell_id=demo["chibo"]).order_by("pk").first()
    upload = SimpleUploadedFile("bien-ban.pdf", PDF, content_type="application/pdf")
    material = meeting_actions.add_material(User.objects.get(username="khoi"), meeting, upload)

    writer = Admissions(demo, elsewhere.read(units_of(demo)))
    writer.start()
    while writer.writes() < 2 and writer.is_alive():
        time.sleep(0.05)
    out = io.StringIO()
    started = time.monotonic()
    call_command("backup", dir=str(tmp_path / "sao-luu"), keep=3, stdout=out)
    finished = time.monotonic()
    writer.stop_after = writer.writes() + 2
    writer.join(timeout=120)
    assert writer.error is None, writer.error
    assert not writer.is_alive()

    # Writes went on while the backup ran, and before and after it.
    assert any(started < moment < finished for moment in writer.committed_at), (started, finished)
    (path,) = (tmp_path / "sao-luu").glob("dangbo-*.tar.gz")
    assert f"Đã ghi bản sao lưu {path}" in out.getvalue() and is_vietnamese(out.getvalue())
    manifest = manifest_of(path)
    assert manifest["engine"] == ENGINE and manifest["media_files"] == 1

    # The manifest's counts are those of one moment the writer left: after its k-th write.
    counted = manifest["row_counts"]
    moments = [i for i, state in enumerate(writer.states)
               if state["counts"] == {table: counted.get(table) for table in state["counts"]}]
    assert len(moments) == 1, moments
    (k,) = moments
    assert 2 <= k <= len(writer.states) - 3, (k, len(writer.states))
    # The writes changed the figures, so comparing them tells one moment from another.
    assert writer.states[0]["figures"] != writer.states[-1]["figures"]
    assert writer.states[k]["figures"] != writer.states[k + 1]["figures"]

    # Restored by another process into a new database and a new uploads folder.
    media = tmp_path / "media-phuc-hoi"
    done = elsewhere.run(["manage.py", "restore", str(path)], restore_target, media)
    assert done.returncode == 0, done.stderr
    assert "Số dòng của" in done.stdout and "khớp với bản kê" in done.stdout, done.stdout
    assert is_vietnamese(done.stdout)
    assert (media / material.file.name).read_bytes() == PDF

    # Every table and every figure of the restored database are those of that moment.
    read = elsewhere.run(["-m", "tests.elsewhere", *map(str, units_of(demo))], restore_target, media)
    assert read.returncode == 0, read.stderr
    restored = json.loads(read.stdout)
    assert restored["counts"] == writer.states[k]["counts"]
    assert restored["figures"] == writer.states[k]["figures"]
    assert len(restored["figures"]) == len(units_of(demo)) * len(elsewhere.DATES)

    # Once restored, the installation is not empty any more: a second restore is refused.
    again = elsewhere.run(["manage.py", "restore", str(path)], restore_target, tmp_path / "media-trong")
    assert again.returncode != 0
    assert "đã có dữ liệu dangbo" in again.stderr, again.stderr


@pytest.fixture
def older_installation(db, tmp_path):
    """A database behind the code (members.0008 and the migrations that depend on it unapplied): its URL."""
    url, name = new_database(tmp_path, "cu", "_older")
    for args in (["migrate", "--noinput"], ["migrate", "members", "0007", "--noinput"]):
        done = elsewhere.run(["manage.py", *args, "-v0"], url, tmp_path / "media-cu")
        assert done.returncode == 0, done.stderr
    yield url
    drop_database(name)


def test_an_archive_older_than_the_code_is_restored_then_migrated(older_installation, restore_target, tmp_path):
    folder = tmp_path / "sao-luu-cu"
    done = elsewhere.run(["manage.py", "backup", f"--dir={folder}"], older_installation, tmp_path / "media-cu")
    assert done.returncode == 0, done.stderr
    (path,) = folder.glob("dangbo-*.tar.gz")
    assert manifest_of(path)["latest_migrations"]["members"] == "0007_member_quality_flags"

    done = elsewhere.run(["manage.py", "restore", str(path)], restore_target, tmp_path / "media-moi")
    assert done.returncode == 0, done.stderr
    # members.0008 and every migration that depends on it, which `migrate members 0007` unapplied.
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    behind = len(graph.backwards_plan(("members", "0008_attribute_changes")))
    assert f"Bản sao lưu thiếu {behind} bước chuyển đổi của phiên bản này: đang chạy migrate." in done.stdout, (
        done.stdout
    )
    check = elsewhere.run(["manage.py", "migrate", "--check", "-v0"], restore_target, tmp_path / "media-moi")
    assert check.returncode == 0, check.stdout + check.stderr


# --- one archive of the session's demo, for the refusals ------------------------------------------


@pytest.fixture(scope="module")
def demo_archive(django_db_setup, django_db_blocker, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("sao-luu")
    media = tmp_path_factory.mktemp("media")
    (media / "tai-lieu").mkdir()
    (media / "tai-lieu" / "quyet-dinh.pdf").write_bytes(PDF)
    kept, settings.MEDIA_ROOT = settings.MEDIA_ROOT, media
    try:
        with django_db_blocker.unblock():
            call_command("backup", dir=str(folder), stdout=io.StringIO())
    finally:
        settings.MEDIA_ROOT = kept
    (path,) = folder.glob("dangbo-*.tar.gz")
    return path


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def copy_of(archive: Path, folder: Path) -> Path:
    target = folder / archive.name
    shutil.copy(archive, target)
    shutil.copy(archives.checksum_path(archive), archives.checksum_path(target))
    return target


def repacked(archive: Path, folder: Path, change) -> Path:
    """A well-formed archive (checksum file included) whose content `change(folder, manifest)` altered."""
    work = folder / "mo"
    with tarfile.open(archive, "r:gz") as tar:
        tar.extractall(work, filter="data")
    manifest = json.loads((work / archives.MANIFEST).read_text())
    change(work, manifest)
    (work / archives.MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False))
    target = folder / archive.name
    with tarfile.open(target, "w:gz", compresslevel=1) as tar:
        for member in [*manifest["files"], archives.MANIFEST]:
            tar.add(work / member, arcname=member)
    archives.checksum_path(target).write_text(f"{archives.sha256_of(target)}  {target.name}\n")
    return target


def refused(path: Path) -> str:
    with pytest.raises(CommandError) as error:
        call_command("restore", str(path), stdout=io.StringIO())
    message = str(error.value)
    assert is_vietnamese(message) and "Không có gì bị thay đổi" in message, message
    return message


@pytest.fixture
def unchanged(demo, media):
    """Asserts, after the test, that the database and the uploads folder are as they were."""
    before = elsewhere.table_counts()
    yield
    assert elsewhere.table_counts() == before
    assert not media.exists() or not any(media.rglob("*"))


def test_the_manifest_lists_the_migrations_the_counts_and_every_file(demo, demo_archive):
    manifest = manifest_of(demo_archive)
    assert manifest["format"] == archives.FORMAT and manifest["engine"] == ENGINE
    assert datetime.datetime.fromisoformat(manifest["created_at"]).tzinfo is not None
    loader = MigrationLoader(connection)
    leaves = {app: name for app, name in loader.graph.leaf_nodes() if app in manifest["latest_migrations"]}
    assert manifest["latest_migrations"] == leaves and "members" in leaves
    counts = elsewhere.table_counts()
    assert {table: manifest["row_counts"][table] for table in counts} == counts
    assert counts["members_member"] > 1000
    assert set(manifest["files"]) == {manifest["database"], "media/tai-lieu/quyet-dinh.pdf"}
    with tarfile.open(demo_archive, "r:gz") as tar:
        for member, listed in manifest["files"].items():
            data = tar.extractfile(member).read()
            assert len(data) == listed["size"]
            assert archives.hashlib.sha256(data).hexdigest() == listed["sha256"]
    line = archives.checksum_path(demo_archive).read_text()
    assert line == f"{archives.sha256_of(demo_archive)}  {demo_archive.name}\n"


def test_a_damaged_archive_is_refused_and_nothing_changes(demo_archive, tmp_path, unchanged):
    damaged = copy_of(demo_archive, tmp_path)
    data = bytearray(damaged.read_bytes())
    data[len(data) // 2] ^= 0xFF
    damaged.write_bytes(bytes(data))
    assert "mã SHA-256 của cả tệp không khớp" in refused(damaged)

    # Without its checksum file, the compressed stream or a member's checksum gives it away.
    archives.checksum_path(damaged).unlink()
    assert "bị hỏng" in refused(damaged)

    # Cut short (a copy that stopped half-way).
    short = tmp_path / "ngan" / demo_archive.name
    short.parent.mkdir()
    short.write_bytes(demo_archive.read_bytes()[: demo_archive.stat().st_size // 3])
    assert "bị hỏng" in refused(short)


def test_a_member_whose_checksum_does_not_match_is_refused(demo_archive, tmp_path, unchanged):
    def alter(folder, manifest):
        with open(folder / manifest["database"], "r+b") as file:
            file.seek(5000)
            file.write(b"\x00\x01\x02")

    message = refused(repacked(demo_archive, tmp_path, alter))
    assert "mã SHA-256 của database" in message


def test_an_archive_of_another_version_or_engine_is_refused(demo_archive, tmp_path, unchanged):
    def newer(folder, manifest):
        manifest["migrations"]["members"].append("0099_tuong_lai")
        manifest["version"] = "9.0.0"

    message = refused(repacked(demo_archive, tmp_path / "moi", newer))
    assert "phiên bản dangbo khác" in message and "members.0099_tuong_lai" in message

    def other_format(folder, manifest):
        manifest["format"] = archives.FORMAT + 1

    assert "định dạng sao lưu" in refused(repacked(demo_archive, tmp_path / "dinh-dang", other_format))

    def other_engine(folder, manifest):
        manifest["engine"] = OTHER_ENGINE

    message = refused(repacked(demo_archive, tmp_path / "he-quan-tri", other_engine))
    assert "không phục hồi sang hệ quản trị khác" in message and "sổ trao đổi" in message


def test_restoring_over_a_database_with_data_is_refused(demo_archive, tmp_path, unchanged):
    message = refused(copy_of(demo_archive, tmp_path))
    assert "đã có dữ liệu dangbo" in message and "tài khoản" in message and "đảng viên" in message


def test_only_the_newest_archives_are_kept(demo, demo_archive, tmp_path, media, settings):
    folder = tmp_path / "sao-luu"
    folder.mkdir()
    older = [folder / f"dangbo-2026010{day}-020000.tar.gz" for day in (1, 2, 3)]
    for path in older:
        shutil.copy(demo_archive, path)
        archives.checksum_path(path).write_text("0  x\n")
    others = [folder / "ghi-chu.txt", folder / "dangbo-ban-rieng.tar.gz"]
    for path in others:
        path.write_text("không phải bản sao lưu tự động")
    settings.BACKUP_DIR, settings.BACKUP_KEEP = folder, 2

    out = io.StringIO()
    call_command("backup", stdout=out)
    kept = archives.archives_in(folder)
    assert kept[0] == older[2] and len(kept) == 2
    assert archives.NAME.match(kept[1].name) and kept[1] != older[2]
    assert all(not path.exists() and not archives.checksum_path(path).exists() for path in older[:2])
    assert all(path.exists() for path in [*others, archives.checksum_path(older[2]), archives.checksum_path(kept[1])])
    assert f"Đã xóa 2 bản sao lưu cũ: {older[0].name}, {older[1].name}." in out.getvalue()

    # The next one takes the place of the oldest of the two.
    call_command("backup", keep=2, stdout=io.StringIO())
    newest = archives.archives_in(folder)
    assert len(newest) == 2 and newest[0] == kept[1] and not older[2].exists()
