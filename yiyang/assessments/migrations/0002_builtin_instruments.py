"""Store the instruments shipped with the platform: GB/T 42195-2022 and the Barthel Index.

Later editions or local variants are loaded with `yiyang load-instrument FILE.json`."""

import json
from pathlib import Path

from django.db import migrations

INSTRUMENTS = Path(__file__).resolve().parent.parent / "instruments"


def load(apps, schema_editor):  # type: ignore[no-untyped-def]
    import uuid

    Instrument = apps.get_model("assessments", "Instrument")
    for path in sorted(INSTRUMENTS.glob("*.json")):
        definition = json.loads(path.read_text(encoding="utf-8"))
        if Instrument.objects.filter(
            code=definition["code"], version=definition["version"]
        ).exists():
            continue
        Instrument.objects.create(
            external_id=uuid.uuid4(), code=definition["code"], version=definition["version"],
            title=definition["title"], engine=definition["engine"], definition=definition,
            is_active=True,
        )


class Migration(migrations.Migration):
    dependencies = [("assessments", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
