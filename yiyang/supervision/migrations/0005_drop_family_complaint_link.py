"""The register's complaints no longer point at the retired family-page model (their old
public id stays in ``legacy_external_id``, copied by 0004)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("supervision", "0004_register_takes_over_family_complaints")]

    operations = [migrations.RemoveField(model_name="complaint", name="legacy")]
