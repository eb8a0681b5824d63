"""Uploaded files follow their transaction: a write that fails after storing its file leaves no file
on disk, a deletion rolled back keeps the file, and `sweep_files` removes the files no row names."""

import io
import os
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction

from dangbo.accounts.models import User
from dangbo.demo.builder import REFERENCE_DAY
from dangbo.meetings import actions as meeting_actions
from dangbo.meetings.models import Material, Meeting
from dangbo.members import actions as member_actions
from dangbo.members.models import Member, Stint, StintKind
from dangbo.targets import actions as target_actions
from dangbo.targets.models import Target
from dangbo.tasks import actions as task_actions
from dangbo.tasks.models import OPEN_STATUSES, Task

PDF = b"%PDF-1.4 tai lieu"


class Boom(Exception):
    pass


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def khoi(demo):
    return User.objects.get(username="khoi")


def files_under(root) -> list:
    return sorted(p for p in root.rglob("*") if p.is_file())


def upload(name="quyet-dinh.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def _material(demo, khoi):
    meeting = Meeting.unscoped.filter(cell_id=demo["chibo"]).order_by("pk").first()
    return meeting_actions.add_material(khoi, meeting, upload()).file


def _scan(demo, khoi):
    stint = Stint.unscoped.filter(unit_id=demo["chibo"], kind=StintKind.OFFICIAL, end__isnull=True).order_by("pk")[0]
    member = Member.unscoped.get(pk=stint.member_id)
    event = member_actions.exempt(khoi, member, effective_on=max(stint.start, REFERENCE_DAY), scan=upload())
    return event.scan


def _attachment(demo, khoi):
    task = Task.objects.work().with_status(REFERENCE_DAY).filter(status__in=OPEN_STATUSES).order_by("pk").first()
    return task_actions.log_progress(khoi, task, None, "Đã triển khai", attachment=upload()).attachment


def _evidence(demo, khoi):
    target = Target.objects.order_by("pk").first()
    data = {"as_of": REFERENCE_DAY, "value": 90, "note": "", "evidence": upload()}
    return target_actions.enter_value(khoi, target, demo["root"], data).evidence


# Each action that stores a file, and the module whose audit call comes after the file is stored.
WRITES = {
    "meeting material": (_material, meeting_actions),
    "event scan": (_scan, member_actions),
    "task attachment": (_attachment, task_actions),
    "target evidence": (_evidence, target_actions),
}


@pytest.mark.parametrize("write", WRITES)
def test_a_write_that_fails_after_storing_its_file_leaves_no_file(media, demo, khoi, monkeypatch, write):
    action, module = WRITES[write]
    stored = []

    def fail(actor, action, target, *args, **kwargs):
        # The row and its file are written; the audit entry, last in the action, fails.
        stored.extend(path.read_bytes() for path in files_under(media))
        raise Boom

    monkeypatch.setattr(module, "record", fail)
    with pytest.raises(Boom):
        action(demo, khoi)
    assert stored == [PDF]  # it was on disk inside the transaction
    assert files_under(media) == []


@pytest.mark.parametrize("write", WRITES)
def test_a_write_rolled_back_by_the_transaction_around_it_leaves_no_file(media, demo, khoi, write):
    action, _ = WRITES[write]
    with pytest.raises(Boom):
        with transaction.atomic():
            file = action(demo, khoi)
            assert (media / file.name).read_bytes() == PDF  # readable until the rollback
            raise Boom
    assert files_under(media) == []


@pytest.mark.parametrize("write", WRITES)
def test_a_committed_write_keeps_its_file(media, demo, khoi, django_capture_on_commit_callbacks, write):
    action, _ = WRITES[write]
    with django_capture_on_commit_callbacks(execute=True):
        file = action(demo, khoi)
    assert files_under(media) == [media / file.name]


def test_a_deletion_rolled_back_keeps_the_files(media, demo, khoi, django_capture_on_commit_callbacks):
    meeting = meeting_actions.plan_meeting(khoi, Meeting(cell_id=demo["chibo"], kind="regular",
                                                         planned_on=REFERENCE_DAY, place="Hội trường"))  # fmt: skip
    meeting_id = meeting.pk
    with django_capture_on_commit_callbacks(execute=True):
        material = meeting_actions.add_material(khoi, meeting, upload())
    with pytest.raises(Boom):
        with transaction.atomic():
            meeting_actions.delete_meeting(khoi, meeting)
            raise Boom
    assert Material.objects.filter(pk=material.pk).exists()
    assert files_under(media) == [media / material.file.name]
    with django_capture_on_commit_callbacks(execute=True):
        meeting_actions.delete_meeting(khoi, Meeting.unscoped.get(pk=meeting_id))
    assert files_under(media) == []


def _age(path, hours: float):
    then = time.time() - hours * 3600
    os.utime(path, (then, then))


def test_the_sweep_removes_old_orphans_and_keeps_referenced_and_recent_files(
    media, demo, khoi, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        kept = media / _material(demo, khoi).name
    orphan = media / "events" / "9" / "mat-hang.pdf"
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(PDF)
    recent = media / "materials" / "dang-tai.pdf"
    recent.parent.mkdir(parents=True, exist_ok=True)
    recent.write_bytes(PDF)
    _age(kept, 5)
    _age(orphan, 2)
    _age(recent, 0.5)  # an upload whose transaction may still be running
    out = io.StringIO()
    call_command("sweep_files", stdout=out)
    assert files_under(media) == sorted([kept, recent])
    assert "Đã xóa 1 tệp" in out.getvalue()
    # Told a shorter age, it takes the recent orphan too; a dry run removes nothing.
    call_command("sweep_files", "--minutes", "10", "--dry-run", stdout=io.StringIO())
    assert recent.exists()
    call_command("sweep_files", "--minutes", "10", stdout=io.StringIO())
    assert files_under(media) == [kept]
