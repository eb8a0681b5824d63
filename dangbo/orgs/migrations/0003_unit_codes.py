from django.db import migrations


def fill_codes(apps, schema_editor):
    """Every unit gets a code (the exchange workbook names units by code): DV and its id."""
    Unit = apps.get_model("orgs", "Unit")
    for unit in Unit.objects.filter(code__isnull=True).only("id"):
        unit.code = f"DV{unit.pk:05d}"
        unit.save(update_fields=["code"])


class Migration(migrations.Migration):
    dependencies = [("orgs", "0002_covering_indexes")]

    operations = [migrations.RunPython(fill_codes, migrations.RunPython.noop)]
