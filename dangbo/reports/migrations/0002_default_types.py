"""The report types a committee starts with (`dangbo.reports.defaults`)."""

from django.db import migrations

from dangbo.reports import defaults


def create(apps, schema_editor):
    defaults.create(apps.get_model("reports", "ReportType"), apps.get_model("reports", "SectionSpec"))


def remove(apps, schema_editor):
    apps.get_model("reports", "ReportType").objects.filter(code__in=[t[0] for t in defaults.TYPES]).delete()


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_initial")]
    operations = [migrations.RunPython(create, remove)]
