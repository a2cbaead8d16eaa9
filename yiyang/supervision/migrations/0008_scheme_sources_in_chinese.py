"""The shipped GB/T 37276-2018 scheme's sources (of the scheme, its parts and its level
thresholds) as the schemes page shows them: in Chinese, from the scheme file. Only the
stored edition still holding the platform's first (English) wording changes; a city's
own edition is left alone."""

from __future__ import annotations

import json
from pathlib import Path

from django.db import migrations

SCHEME = Path(__file__).resolve().parent.parent / "schemes" / "gbt37276-2018.json"


def chinese_sources(apps, schema_editor):  # type: ignore[no-untyped-def]
    d = json.loads(SCHEME.read_text(encoding="utf-8"))
    scheme_model = apps.get_model("supervision", "RatingScheme")
    for scheme in scheme_model.objects.filter(code=d["code"], version=d["version"]):
        if not scheme.source.startswith("Structure (five levels"):
            continue
        scheme.source = d["source"][:500]
        scheme.parts, scheme.levels = d["parts"], d["levels"]
        scheme.save(update_fields=["source", "parts", "levels"])


class Migration(migrations.Migration):
    dependencies = [("supervision", "0007_complaint_caregiver_meal")]

    operations = [migrations.RunPython(chinese_sources, migrations.RunPython.noop)]
