"""Encrypt visit notes and order notes at rest (issue 19): the columns become plain text, the existing values
are encrypted in place, then the fields become encrypted fields (no further schema change).
"""

from django.db import migrations, models

import yiyang.core.crypto


def encrypt_existing(apps, schema_editor):
    yiyang.core.crypto.migrate_encrypt(apps.get_model("visits", "Order"), ["note"])
    yiyang.core.crypto.migrate_encrypt(apps.get_model("visits", "Visit"), ["notes"])


class Migration(migrations.Migration):
    dependencies = [("visits", "0002_flag_no_second_check_in")]

    operations = [
        migrations.AlterField(model_name="order", name="note", field=models.TextField(blank=True, max_length=500, verbose_name="note")),
        migrations.AlterField(model_name="visit", name="notes", field=models.TextField(blank=True, verbose_name="notes")),
        migrations.RunPython(encrypt_existing, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(model_name="order", name="note", field=yiyang.core.crypto.EncryptedTextField(blank=True, max_length=500, verbose_name="note")),
        migrations.AlterField(model_name="visit", name="notes", field=yiyang.core.crypto.EncryptedTextField(blank=True, verbose_name="notes")),
    ]
