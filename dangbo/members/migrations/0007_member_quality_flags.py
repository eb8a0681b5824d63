from django.db import migrations, models


def flag_every_member(apps, schema_editor):
    from dangbo.members.quality import refresh_quality_flags

    refresh_quality_flags()


class Migration(migrations.Migration):

    dependencies = [
        ("members", "0006_member_name_birth"),
    ]

    operations = [
        migrations.AddField(
            model_name="member",
            name="quality_flags",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        migrations.AddIndex(
            model_name="member",
            index=models.Index(
                condition=models.Q(("quality_flags__gt", 0)), fields=["quality_flags"], name="member_flagged"
            ),
        ),
        migrations.RunPython(flag_every_member, migrations.RunPython.noop),
    ]
