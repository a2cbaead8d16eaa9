"""Health facilities registered before the organisation register had health kinds (a
planned clinic or health centre from "where to build next" was filed as a community care
station) take the organisation kind that says what they are. The organisation rows, their
links and their history stay as they are: only ``kind`` changes, and only for those.

Without this a planned village clinic would count as the village's care station."""

from django.db import migrations

ORGANISATION_KIND = {"health_centre": "health_centre", "village_clinic": "village_clinic"}


def retag(apps, schema_editor):
    Organisation = apps.get_model("organisations", "Organisation")
    Facility = apps.get_model("facilities", "Facility")
    for facility_kind, organisation_kind in ORGANISATION_KIND.items():
        ids = Facility.objects.filter(
            kind=facility_kind, organisation__kind="community_station"
        ).values_list("organisation_id", flat=True)
        Organisation.objects.filter(pk__in=list(ids)).update(kind=organisation_kind)


def untag(apps, schema_editor):
    Organisation = apps.get_model("organisations", "Organisation")
    Organisation.objects.filter(kind__in=sorted(set(ORGANISATION_KIND.values()))).update(
        kind="community_station"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("facilities", "0003_project_photos"),
        ("organisations", "0002_health_kinds"),
    ]

    operations = [migrations.RunPython(retag, untag)]
