"""Encrypt the vital signs in stored device event payloads at rest (issue 19): the columns become plain text, the existing values
are encrypted in place, then the fields become encrypted fields (no further schema change).
"""

from django.db import migrations, models

import yiyang.core.crypto


def encrypt_existing(apps, schema_editor):
    yiyang.core.crypto.migrate_encrypt(
        apps.get_model("devices", "DeviceEvent"), [], sealed_json=("heart_rate", "spo2")
    )


class Migration(migrations.Migration):
    dependencies = [("devices", "0002_device_imei_sim_once")]

    operations = [

        migrations.RunPython(encrypt_existing, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(model_name="deviceevent", name="data", field=yiyang.core.crypto.PartlySealedJSONField(blank=True, default=dict, sealed_keys=("heart_rate", "spo2"))),
    ]
