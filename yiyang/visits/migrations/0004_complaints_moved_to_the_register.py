"""Complaints made on the family page live in the city's register (supervision) since
supervision 0004 took every one of them over; the old table goes."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("visits", "0003_encrypt_visit_notes"),
        ("supervision", "0005_drop_family_complaint_link"),
    ]

    operations = [migrations.DeleteModel(name="Complaint")]
