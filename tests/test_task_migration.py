"""The migration that computes again the progress stored on split tasks (rounded down, 100% only
once every part is complete)."""

import importlib

from django.apps import apps

from dangbo.tasks.actions import rolled_up
from dangbo.tasks.models import Task

migration = importlib.import_module("dangbo.tasks.migrations.0002_progress_rounds_down")


def test_the_migration_corrects_a_split_task_stored_at_100_while_a_part_is_open(demo):
    open_parts = Task.objects.filter(subtasks__isnull=False, subtasks__completed_on__isnull=True)
    parent = open_parts.filter(completed_on__isnull=True).distinct().first()
    expected = rolled_up(parent)
    assert expected < 100
    Task.objects.filter(pk=parent.pk).update(progress=100)  # as the old rounding stored it
    done = Task.objects.exclude(completed_on=None).filter(subtasks__isnull=False).first()
    kept = done.progress if done else None

    migration.recompute(apps, None)

    assert Task.objects.get(pk=parent.pk).progress == expected
    if done:
        assert Task.objects.get(pk=done.pk).progress == kept  # a completed task keeps its 100%
