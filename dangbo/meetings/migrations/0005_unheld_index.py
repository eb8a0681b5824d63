from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("meetings", "0004_minutes_approved_count"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="meeting",
            index=models.Index(condition=models.Q(held_on__isnull=True), fields=["planned_on"], name="meeting_unheld"),
        ),
        migrations.AddIndex(
            model_name="meeting",
            index=models.Index(fields=["cell", "planned_on", "held_on"], name="meeting_cell_planned_held"),
        ),
        migrations.RemoveIndex(model_name="meeting", name="meeting_cell_planned"),
    ]
