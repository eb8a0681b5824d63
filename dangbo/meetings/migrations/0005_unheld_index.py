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
    ]
