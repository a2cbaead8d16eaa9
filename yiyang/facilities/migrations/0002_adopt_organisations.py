"""Every existing facility-like organisation becomes a facility (one-to-one, so the
organisation, its links and its history stay as they are): its kind from the organisation's
kind and ownership, its status from the organisation's status, its beds from the
organisation's total beds, and its service area from where it stands (its community, or
every community of its street)."""

from django.db import migrations

from yiyang.facilities.choices import (
    ORGANISATION_FACILITY_KINDS,
    STATUS_FROM_ORGANISATION,
    facility_kind_for,
)


def adopt(apps, schema_editor):
    Organisation = apps.get_model("organisations", "Organisation")
    Facility = apps.get_model("facilities", "Facility")
    Division = apps.get_model("core", "Division")
    done = set(Facility.objects.values_list("organisation_id", flat=True))
    organisations = Organisation.objects.filter(
        kind__in=sorted(ORGANISATION_FACILITY_KINDS)
    ).select_related("division")
    communities_of: dict[int, list[int]] = {}
    for pk, parent in Division.objects.filter(level="community").values_list("pk", "parent_id"):
        communities_of.setdefault(parent, []).append(pk)
    for organisation in organisations.iterator():
        if organisation.pk in done:
            continue
        kind = facility_kind_for(
            organisation_kind=organisation.kind, ownership=organisation.ownership,
            name=organisation.name,
        )
        status = STATUS_FROM_ORGANISATION.get(organisation.status, "open")
        facility = Facility.objects.create(
            organisation=organisation, kind=kind, status=status,
            division_code=organisation.division.code,
            opened_on=organisation.created_at.date() if status == "open" else None,
            beds=organisation.total_beds,
        )
        division = organisation.division
        if division.level == "community":
            facility.service_area.set([division.pk])
        elif division.level == "street":
            facility.service_area.set(communities_of.get(division.pk, []))


class Migration(migrations.Migration):
    dependencies = [
        ("facilities", "0001_facility_network"),
        ("organisations", "0001_initial"),
    ]

    operations = [migrations.RunPython(adopt, migrations.RunPython.noop)]
