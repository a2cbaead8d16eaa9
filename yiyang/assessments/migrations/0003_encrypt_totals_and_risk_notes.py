"""Encrypt assessment totals and care-risk event notes at rest (issue 19): the columns become plain text, the existing values
are encrypted in place, then the fields become encrypted fields (no further schema change).
"""

from django.db import migrations, models

import yiyang.core.crypto


def encrypt_existing(apps, schema_editor):
    yiyang.core.crypto.migrate_encrypt(apps.get_model("assessments", "Assessment"), ["total"])
    yiyang.core.crypto.migrate_encrypt(apps.get_model("assessments", "CareRiskEvent"), ["note"])


class Migration(migrations.Migration):
    dependencies = [("assessments", "0002_builtin_instruments")]

    operations = [
        migrations.AlterField(model_name="assessment", name="total", field=models.TextField(blank=True, null=True, verbose_name="total score")),
        migrations.AlterField(model_name="careriskevent", name="note", field=models.TextField(blank=True, max_length=200, verbose_name="note")),
        migrations.RunPython(encrypt_existing, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(model_name="assessment", name="total", field=yiyang.core.crypto.EncryptedIntegerField(blank=True, null=True, verbose_name="total score")),
        migrations.AlterField(model_name="careriskevent", name="note", field=yiyang.core.crypto.EncryptedTextField(blank=True, max_length=200, verbose_name="note")),
    ]
