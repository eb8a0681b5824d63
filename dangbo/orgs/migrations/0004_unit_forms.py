"""The forms of party organisation become data, each with where it may sit; the five forms of the
statute are made here, under their kinds' codes, with the statute's rules (DOMAIN §2). A province
adds its own (Đảng bộ thành phố, huyện, xã …) and their rules in the back office."""

import django.db.models.deletion
from django.db import migrations, models


# (code, name, at the top, may sit under, order)
STATUTE = [
    ("superior", "Đảng bộ cấp trên cơ sở", True, [], 10),
    ("grassroots_committee", "Đảng bộ cơ sở", False, ["superior"], 20),
    ("grassroots_cell", "Chi bộ cơ sở", False, ["superior"], 30),
    ("sub_committee", "Đảng bộ bộ phận", False, ["grassroots_committee"], 40),
    ("attached_cell", "Chi bộ trực thuộc", False, ["grassroots_committee", "sub_committee"], 50),
]


def make_statute_forms(apps, schema_editor):
    UnitForm = apps.get_model("orgs", "UnitForm")
    for code, name, at_top, _, order in STATUTE:
        UnitForm.objects.update_or_create(code=code, defaults={"name": name, "kind": code, "at_top": at_top,
                                                               "order": order})
    for code, _, _, parents, _ in STATUTE:
        UnitForm.objects.get(code=code).parents.add(*parents)


class Migration(migrations.Migration):

    dependencies = [
        ('orgs', '0003_unit_codes'),
    ]

    operations = [
        migrations.CreateModel(
            name='UnitForm',
            fields=[
                ('code', models.SlugField(max_length=32, primary_key=True, serialize=False, verbose_name='mã')),
                ('name', models.CharField(max_length=128, unique=True, verbose_name='tên loại')),
                ('kind', models.CharField(choices=[('superior', 'Đảng bộ cấp trên cơ sở'), ('grassroots_committee', 'Đảng bộ cơ sở'), ('grassroots_cell', 'Chi bộ cơ sở'), ('sub_committee', 'Đảng bộ bộ phận'), ('attached_cell', 'Chi bộ trực thuộc')], max_length=32, verbose_name='cấp theo Điều lệ')),
                ('at_top', models.BooleanField(default=False, verbose_name='có thể đứng đầu cây')),
                ('order', models.PositiveSmallIntegerField(default=0, verbose_name='thứ tự')),
                ('parents', models.ManyToManyField(blank=True, related_name='children', to='orgs.unitform', verbose_name='được đặt dưới')),
            ],
            options={
                'verbose_name': 'loại tổ chức',
                'verbose_name_plural': 'loại tổ chức',
                'ordering': ['order', 'name'],
            },
        ),
        migrations.AddField(
            model_name='unitversion',
            name='form',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='orgs.unitform', verbose_name='loại tổ chức'),
        ),
        migrations.RunPython(make_statute_forms, migrations.RunPython.noop),
    ]
