"""Every figure of the shipped GB/T 37276-2018 scheme states its source: items gain a
``source`` (the item, its points, evidence and capping), and the shipped edition takes the
file's sources of the scheme, its parts and its levels, with each part, level and item
marked unverified where no public text of the standard confirms it. The scheme's own
wording changes only where it is still the platform's earlier one; a city's own edition is
left alone."""

from __future__ import annotations

import json
from pathlib import Path

from django.db import migrations, models

SCHEME = Path(__file__).resolve().parent.parent / "schemes" / "gbt37276-2018.json"
EARLIER = ("结构（五个等级", "Structure (five levels")


def item_sources(apps, schema_editor):  # type: ignore[no-untyped-def]
    d = json.loads(SCHEME.read_text(encoding="utf-8"))
    scheme_model = apps.get_model("supervision", "RatingScheme")
    item_model = apps.get_model("supervision", "RatingItem")
    items = {i["code"]: i for i in d["items"]}
    for scheme in scheme_model.objects.filter(code=d["code"], version=d["version"]):
        if scheme.source.startswith(EARLIER):
            scheme.source = d["source"][:500]
            scheme.parts, scheme.levels = d["parts"], d["levels"]
            scheme.save(update_fields=["source", "parts", "levels"])
        # Items were seeded (0002) before they had a source: every blank one is the file's.
        for item in item_model.objects.filter(scheme=scheme, source=""):
            shipped = items.get(item.code)
            if shipped is None:
                continue
            item.source = shipped["source"][:300]
            item.unverified = bool(shipped.get("unverified"))
            item.save(update_fields=["source", "unverified"])


class Migration(migrations.Migration):
    dependencies = [("supervision", "0008_scheme_sources_in_chinese")]

    operations = [
        migrations.AddField(
            model_name="ratingitem",
            name="source",
            field=models.CharField(blank=True, max_length=300, verbose_name="source"),
        ),
        migrations.RunPython(item_sources, migrations.RunPython.noop),
    ]
