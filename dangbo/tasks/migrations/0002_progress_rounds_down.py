"""The progress stored on tasks split among sub-tasks, computed again by the rule of
`tasks.actions.rolled_up`: the mean rounded down, and 100% only once every sub-task is complete.
It was rounded to the nearest, so a task whose parts stood at 95, 79 and 95 among sixty done read
100%. Deepest tasks first, so a parent reads its sub-tasks' corrected progress."""

from django.db import migrations


def recompute(apps, schema_editor):
    Task = apps.get_model("tasks", "Task")
    parents = set(Task.objects.exclude(parent=None).values_list("parent_id", flat=True))

    def depth_of(task_id, parent_of):
        steps = 0
        while parent_of.get(task_id) is not None:
            task_id, steps = parent_of[task_id], steps + 1
        return steps

    parent_of = dict(Task.objects.values_list("pk", "parent_id"))
    depth = {pk: depth_of(pk, parent_of) for pk in parents}
    for pk in sorted(parents, key=lambda pk: -depth[pk]):
        parent = Task.objects.get(pk=pk)
        if parent.completed_on is not None:
            continue
        parts = list(Task.objects.filter(parent_id=pk).values_list("progress", "completed_on"))
        shares = [100 if done is not None else progress for progress, done in parts]
        mean = sum(shares) // len(shares)
        progress = mean if all(done is not None for _, done in parts) else min(mean, 99)
        if progress != parent.progress:
            Task.objects.filter(pk=pk).update(progress=progress)


class Migration(migrations.Migration):
    dependencies = [("tasks", "0001_initial")]
    operations = [migrations.RunPython(recompute, migrations.RunPython.noop)]
