from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("ratings", "0006_scheme_labels"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="memberrating",
            index=models.Index(
                condition=models.Q(exempted=False, proposed_level=""),
                fields=["period", "proposed_level", "exempted"],
                name="memberrating_unproposed",
            ),
        ),
        migrations.AddIndex(
            model_name="memberrating",
            index=models.Index(
                condition=models.Q(decided_level="", exempted=False),
                fields=["period", "decided_level", "exempted"],
                name="memberrating_undecided",
            ),
        ),
    ]
