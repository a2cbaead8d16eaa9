"""Facilities: registering, editing, status, adopting organisations."""

from __future__ import annotations

import datetime
import logging
from typing import Any, TypedDict

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from typing_extensions import Unpack

from yiyang.core.audit import audit_record, created, diff, snapshot
from yiyang.core.choices import AuditAction
from yiyang.core.errors import reject_unknown_fields
from yiyang.core.models import Division
from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.facilities.choices import (
    ORGANISATION_FACILITY_KINDS,
    STATION_KINDS,
    STATUS_FROM_ORGANISATION,
    STATUS_NEXT,
    FacilityKind,
    FacilityStatus,
    facility_kind_for,
)
from yiyang.facilities.models import (
    Facility,
)
from yiyang.organisations.models import Organisation

logger = logging.getLogger(__name__)
FACILITY_FIELDS = (
    "kind",
    "status",
    "planned_on",
    "construction_started_on",
    "opened_on",
    "suspended_on",
    "closed_on",
    "beds",
    "day_places",
    "meals_per_day",
    "opening_hours",
)
# Kind and status are facility_register's own arguments; status moves through
# facility_status_set, never through an edit.
REGISTER_FIELDS = tuple(f for f in FACILITY_FIELDS if f not in ("kind", "status"))
UPDATE_FIELDS = tuple(f for f in FACILITY_FIELDS if f != "status")


class FacilityValues(TypedDict, total=False):
    """What :func:`facility_register` accepts besides kind and status (``REGISTER_FIELDS``)."""

    planned_on: datetime.date | None
    construction_started_on: datetime.date | None
    opened_on: datetime.date | None
    suspended_on: datetime.date | None
    closed_on: datetime.date | None
    beds: int | None
    day_places: int | None
    meals_per_day: int | None
    opening_hours: str


class FacilityUpdateValues(FacilityValues, total=False):
    """What :func:`facility_update` accepts besides the service area (``UPDATE_FIELDS``)."""

    kind: str


DATE_OF_STATUS = {
    FacilityStatus.PLANNED: "planned_on",
    FacilityStatus.UNDER_CONSTRUCTION: "construction_started_on",
    FacilityStatus.OPEN: "opened_on",
    FacilityStatus.SUSPENDED: "suspended_on",
    FacilityStatus.CLOSED: "closed_on",
}
REACH_BATCH = 5000


def _date_errors(values: dict[str, Any]) -> dict[str, str]:
    """Dates follow the life of a facility: planned, then started, then opened."""
    errors: dict[str, str] = {}
    planned, started, opened = (
        values.get(f) for f in ("planned_on", "construction_started_on", "opened_on")
    )
    if started and planned and started < planned:
        errors["construction_started_on"] = _("Construction cannot start before the plan.")
    if opened and started and opened < started:
        errors["opened_on"] = _(
            "A facility cannot open (%(opened)s) before its construction started (%(started)s)."
        ) % {"opened": opened, "started": started}
    elif opened and planned and opened < planned:
        errors["opened_on"] = _(
            "A facility cannot open (%(opened)s) before it was planned (%(planned)s)."
        ) % {"opened": opened, "planned": planned}
    status = values.get("status")
    if status == FacilityStatus.OPEN and not opened:
        errors["opened_on"] = _("Give the date the facility opened.")
    if status == FacilityStatus.UNDER_CONSTRUCTION and not started:
        errors["construction_started_on"] = _("Give the date construction started.")
    today = timezone.localdate()
    for name in ("construction_started_on", "opened_on", "suspended_on", "closed_on"):
        value = values.get(name)
        if value and value > today and name not in errors:
            errors[name] = _("This date lies in the future.")
    return errors


def service_area_errors(*, division: Division, area: list[Division]) -> dict[str, str]:
    """A facility serves communities and villages of its own district only."""
    outside = [d for d in area if d.code[:6] != division.code[:6]]
    not_communities = [d for d in area if d.level != "community"]
    if not_communities:
        return {
            "service_area": _("A service area names communities and villages: %(names)s are not.")
            % {"names": "、".join(d.name for d in not_communities)}
        }
    if outside:
        return {
            "service_area": _("These lie outside the facility's district: %(names)s.")
            % {"names": "、".join(d.name for d in outside)}
        }
    return {}


def _errors(
    *, values: dict[str, Any], organisation: Organisation, area: list[Division] | None, actor: Actor
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if values.get("kind") not in FacilityKind.values:
        errors["kind"] = _("Choose the kind of facility.")
    if values.get("status") not in FacilityStatus.values:
        errors["status"] = _("Choose a status.")
    for name in ("beds", "day_places", "meals_per_day"):
        value = values.get(name)
        if value is not None and value < 0:
            errors[name] = _("A capacity cannot be negative.")
    if not actor.scope.covers(
        division_code=organisation.division.code, organisation_id=organisation.pk
    ):
        errors["organisation"] = _("This organisation lies outside your jurisdiction.")
    if area is not None:
        errors.update(service_area_errors(division=organisation.division, area=area))
    errors.update(_date_errors(values))
    return errors


def _default_area(organisation: Organisation, kind: str) -> list[Division]:
    division = organisation.division
    if division.level == "community":
        return [division]
    if division.level == "street" and kind not in STATION_KINDS:
        return list(Division.objects.filter(parent=division, level="community"))
    return []


@transaction.atomic
def facility_register(
    *,
    actor: Actor,
    organisation: Organisation,
    kind: str,
    status: str = FacilityStatus.OPEN,
    service_area: list[Division] | None = None,
    **values: Unpack[FacilityValues],
) -> Facility:
    """Make an organisation a facility of ``kind`` with its status, dates, capacity, hours
    and service area (by default its own community, or every community of its street)."""
    require_perm(actor, Permission.MANAGE_FACILITIES)
    reject_unknown_fields(values, REGISTER_FIELDS)
    row: dict[str, Any] = {**values, "kind": kind, "status": status}
    if status == FacilityStatus.OPEN and not row.get("opened_on"):
        row["opened_on"] = timezone.localdate()
    if status == FacilityStatus.PLANNED and not row.get("planned_on"):
        row["planned_on"] = timezone.localdate()
    area = service_area if service_area is not None else _default_area(organisation, kind)
    errors = _errors(values=row, organisation=organisation, area=area, actor=actor)
    if Facility.objects.filter(organisation=organisation).exists():
        errors["organisation"] = _("This organisation is a facility already.")
    if errors:
        raise ValidationError(errors)
    facility = Facility.objects.create(
        organisation=organisation, division_code=organisation.division.code, **row
    )
    facility.service_area.set(area)
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=facility,
        division_code=facility.division_code,
        changes={
            **created(facility, FACILITY_FIELDS),
            "service_area": [None, sorted(d.code for d in area)],
        },
    )
    return facility


@transaction.atomic
def facility_update(
    *,
    actor: Actor,
    facility: Facility,
    service_area: list[Division] | None = None,
    **values: Unpack[FacilityUpdateValues],
) -> Facility:
    """Change a facility's kind, capacity, hours, dates or service area. Status moves
    through :func:`facility_status_set`."""
    require_perm(actor, Permission.MANAGE_FACILITIES)
    reject_unknown_fields(values, UPDATE_FIELDS)
    before = snapshot(facility, FACILITY_FIELDS)
    before_area = sorted(facility.service_area.values_list("code", flat=True))
    merged = {name: getattr(facility, name) for name in FACILITY_FIELDS} | values
    errors = _errors(
        values=merged, organisation=facility.organisation, area=service_area, actor=actor
    )
    if errors:
        raise ValidationError(errors)
    for name, value in values.items():
        setattr(facility, name, value)
    facility.save()
    changes: dict[str, Any] = diff(before, snapshot(facility, FACILITY_FIELDS))
    if service_area is not None:
        facility.service_area.set(service_area)
        after_area = sorted(d.code for d in service_area)
        if after_area != before_area:
            changes["service_area"] = [before_area, after_area]
    if changes:
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=facility,
            division_code=facility.division_code,
            changes=changes,
        )
    return facility


def allowed_statuses(facility: Facility) -> tuple[str, ...]:
    """The statuses a facility may move to now (the page's buttons, the service's guard)."""
    return STATUS_NEXT.get(facility.status, ())


@transaction.atomic
def facility_status_set(
    *, actor: Actor, facility: Facility, status: str, on: datetime.date | None = None
) -> Facility:
    """Move a facility to ``status`` on ``on`` (today by default)."""
    require_perm(actor, Permission.MANAGE_FACILITIES)
    on = on or timezone.localdate()
    if status not in allowed_statuses(facility):
        raise ValidationError(
            {
                "status": _("A facility that is %(now)s cannot become %(next)s.")
                % {
                    "now": FacilityStatus(facility.status).label,
                    "next": FacilityStatus(status).label
                    if status in FacilityStatus.values
                    else status,
                }
            }
        )
    field = DATE_OF_STATUS[FacilityStatus(status)]
    merged = {name: getattr(facility, name) for name in FACILITY_FIELDS} | {
        "status": status,
        field: on,
    }
    errors = _date_errors(merged)
    if not actor.scope.covers(
        division_code=facility.division_code, organisation_id=facility.organisation_id
    ):
        errors["status"] = _("This facility lies outside your jurisdiction.")
    if errors:
        raise ValidationError(errors)
    before = snapshot(facility, FACILITY_FIELDS)
    facility.status = status
    setattr(facility, field, on)
    facility.save(update_fields=["status", field, "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=facility,
        division_code=facility.division_code,
        changes=diff(before, snapshot(facility, FACILITY_FIELDS)),
    )
    return facility


@transaction.atomic
def facilities_adopt(*, actor: Actor) -> int:
    """Make every facility-like organisation in the actor's scope that is not one yet a
    facility (the data migration's rule, for organisations registered since)."""
    require_perm(actor, Permission.MANAGE_FACILITIES)
    organisations = actor.scope.apply(
        Organisation.objects.filter(
            kind__in=sorted(ORGANISATION_FACILITY_KINDS), facility__isnull=True
        ).select_related("division"),
        division_code_field="division__code",
        organisation_field="pk",
    )
    streets: dict[int, list[Division]] = {}
    for community in Division.objects.filter(level="community"):
        streets.setdefault(community.parent_id or 0, []).append(community)
    created = []
    areas = []
    today = timezone.localdate()
    for organisation in organisations:
        kind = facility_kind_for(
            organisation_kind=organisation.kind,
            ownership=organisation.ownership,
            name=organisation.name,
        )
        status = STATUS_FROM_ORGANISATION.get(organisation.status, FacilityStatus.OPEN)
        if kind is None:
            continue
        created.append(
            Facility(
                organisation=organisation,
                kind=kind,
                status=status,
                division_code=organisation.division.code,
                beds=organisation.total_beds,
                opened_on=today if status == FacilityStatus.OPEN else None,
                planned_on=today if status == FacilityStatus.PLANNED else None,
            )
        )
        division = organisation.division
        areas.append(
            [division]
            if division.level == "community"
            else streets.get(division.pk, [])
            if division.level == "street"
            else []
        )
    facilities = Facility.objects.bulk_create(created, batch_size=500)
    through = Facility.service_area.through
    through.objects.bulk_create(
        [
            through(facility_id=f.pk, division_id=d.pk)
            for f, area in zip(facilities, areas, strict=True)
            for d in area
        ],
        batch_size=1000,
    )
    if facilities:
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            object_type="facilities.facility",
            object_repr=f"{len(facilities)} facilities",
            changes={"count": len(facilities)},
        )
    return len(facilities)
