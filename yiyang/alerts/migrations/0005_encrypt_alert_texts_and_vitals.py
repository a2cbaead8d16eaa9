"""Encrypt alert details and notes, notification messages and breached vital signs at rest (issue 19): the columns become plain text, the existing values
are encrypted in place, then the fields become encrypted fields (no further schema change).
"""

from django.db import migrations, models

import yiyang.core.crypto


def encrypt_existing(apps, schema_editor):
    yiyang.core.crypto.migrate_encrypt(apps.get_model("alerts", "Alert"), ["detail", "outcome_note", "review_note"])
    yiyang.core.crypto.migrate_encrypt(apps.get_model("alerts", "AlertAction"), ["note"])
    yiyang.core.crypto.migrate_encrypt(apps.get_model("alerts", "Notification"), ["message"])
    yiyang.core.crypto.migrate_encrypt(apps.get_model("alerts", "VitalsBreach"), ["last_value"])


class Migration(migrations.Migration):
    dependencies = [("alerts", "0004_thresholds_contact_email_auto_resolved")]

    operations = [
        migrations.AlterField(model_name="alert", name="detail", field=models.TextField(blank=True, max_length=300, verbose_name="detail")),
        migrations.AlterField(model_name="alert", name="outcome_note", field=models.TextField(blank=True, max_length=500, verbose_name="outcome note")),
        migrations.AlterField(model_name="alert", name="review_note", field=models.TextField(blank=True, max_length=500, verbose_name="review note")),
        migrations.AlterField(model_name="alertaction", name="note", field=models.TextField(blank=True, max_length=500, verbose_name="note")),
        migrations.AlterField(model_name="notification", name="message", field=models.TextField(verbose_name="message")),
        migrations.AlterField(model_name="vitalsbreach", name="last_value", field=models.TextField()),
        migrations.RunPython(encrypt_existing, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(model_name="alert", name="detail", field=yiyang.core.crypto.EncryptedTextField(blank=True, max_length=300, verbose_name="detail")),
        migrations.AlterField(model_name="alert", name="outcome_note", field=yiyang.core.crypto.EncryptedTextField(blank=True, max_length=500, verbose_name="outcome note")),
        migrations.AlterField(model_name="alert", name="review_note", field=yiyang.core.crypto.EncryptedTextField(blank=True, max_length=500, verbose_name="review note")),
        migrations.AlterField(model_name="alertaction", name="note", field=yiyang.core.crypto.EncryptedTextField(blank=True, max_length=500, verbose_name="note")),
        migrations.AlterField(model_name="notification", name="message", field=yiyang.core.crypto.EncryptedTextField(verbose_name="message")),
        migrations.AlterField(model_name="vitalsbreach", name="last_value", field=yiyang.core.crypto.EncryptedFloatField()),
    ]
