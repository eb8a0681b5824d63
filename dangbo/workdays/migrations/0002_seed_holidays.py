"""Load the official days off of 2020–2026 (and a provisional 2027) from holidays_data.

Runs once per database. Later corrections and new years are made in the back office; see the
docstring of dangbo.workdays.holidays_data. The reverse removes exactly the days this loaded.
"""

from django.db import migrations

from dangbo.workdays.holidays_data import HOLIDAYS


def load(apps, schema_editor):
    CalendarDay = apps.get_model("workdays", "CalendarDay")
    CalendarDay.objects.bulk_create(
        CalendarDay(day=day, name=name, is_working_day=is_working_day) for day, name, is_working_day in HOLIDAYS
    )


def unload(apps, schema_editor):
    CalendarDay = apps.get_model("workdays", "CalendarDay")
    CalendarDay.objects.filter(day__in=[day for day, _, _ in HOLIDAYS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("workdays", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(load, unload),
    ]
