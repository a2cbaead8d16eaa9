"""Every caregiver registered before the roster becomes a person with one open employment.

Nothing of the caregiver changes (dispatch, the optimiser and visits keep their foreign
keys to ``services.Caregiver``): the person takes the name and sex, the employment starts
on the day the caregiver was registered and ends on it for those already marked ``left``
(their real leaving day was never kept). ID numbers, birth dates and education were never
asked for; they stay empty until the provider imports its roster (matched by name within
the provider, see ``services.roster``).
"""

from __future__ import annotations

from typing import Any

from django.db import migrations


def adopt(apps: Any, schema_editor: Any) -> None:
    Caregiver = apps.get_model("services", "Caregiver")
    Division = apps.get_model("core", "Division")
    Person = apps.get_model("workforce", "Person")
    Employment = apps.get_model("workforce", "Employment")
    cities = {d.code[:4]: d for d in Division.objects.filter(level="city")}
    adopted = Employment.objects.values_list("caregiver_id", flat=True)
    for caregiver in (
        Caregiver.objects.exclude(pk__in=adopted).select_related("provider__division").iterator()
    ):
        city = cities.get(caregiver.provider.division.code[:4])
        if city is None:
            continue
        person = Person.objects.create(city=city, name=caregiver.name, sex=caregiver.sex)
        day = caregiver.created_at.date()
        Employment.objects.create(
            person=person,
            provider_id=caregiver.provider_id,
            caregiver=caregiver,
            hired_on=day,
            left_on=day if caregiver.status == "left" else None,
            leave_reason="other" if caregiver.status == "left" else "",
        )


class Migration(migrations.Migration):
    dependencies = [
        ("workforce", "0001_initial"),
        ("services", "0001_initial"),
    ]

    operations = [migrations.RunPython(adopt, migrations.RunPython.noop)]
