"""The facilities app owns the facility network: what each facility is and where it stands
in its life (planned -> under construction -> open -> suspended -> closed), what it holds,
whom it serves; the walking network; every elder's reach to the nearest open facility of
each kind; construction projects.

A facility extends an organisation one-to-one: name, place, owner, operator and licence
stay on the organisation (and its history), the facility adds the rest.
"""

from __future__ import annotations

import datetime
import logging
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiyang.core.audit import audit_record, diff, snapshot
from yiyang.core.choices import AuditAction
from yiyang.core.models import Division
from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.core.scoping import prefix_q
from yiyang.facilities import selectors
from yiyang.facilities.choices import (
    MILESTONE_ORDER,
    ORGANISATION_FACILITY_KINDS,
    STATION_KINDS,
    STATUS_FROM_ORGANISATION,
    STATUS_NEXT,
    FacilityKind,
    FacilityStatus,
    FundingSource,
    Milestone,
    ReachMethod,
    facility_kind_for,
)
from yiyang.facilities.models import (
    ConstructionProject,
    CoverageRun,
    ElderReach,
    Facility,
    PlanScenario,
    RoadNetwork,
)
from yiyang.facilities.osm import NetworkFileError, read_osm
from yiyang.facilities.reach import (
    Network,
    Points,
    Router,
    detour_reach,
    metres_per_minute,
    network_reach,
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
    **values: Any,
) -> Facility:
    """Make an organisation a facility of ``kind`` with its status, dates, capacity, hours
    and service area (by default its own community, or every community of its street)."""
    require_perm(actor, Permission.MANAGE_FACILITIES)
    values = {k: v for k, v in values.items() if k in FACILITY_FIELDS}
    values.update(kind=kind, status=status)
    if status == FacilityStatus.OPEN and not values.get("opened_on"):
        values["opened_on"] = timezone.localdate()
    if status == FacilityStatus.PLANNED and not values.get("planned_on"):
        values["planned_on"] = timezone.localdate()
    area = service_area if service_area is not None else _default_area(organisation, kind)
    errors = _errors(values=values, organisation=organisation, area=area, actor=actor)
    if Facility.objects.filter(organisation=organisation).exists():
        errors["organisation"] = _("This organisation is a facility already.")
    if errors:
        raise ValidationError(errors)
    facility = Facility.objects.create(
        organisation=organisation, division_code=organisation.division.code, **values
    )
    facility.service_area.set(area)
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=facility,
        division_code=facility.division_code,
        changes={
            **{k: [None, v] for k, v in snapshot(facility, FACILITY_FIELDS).items()},
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
    **values: Any,
) -> Facility:
    """Change a facility's kind, capacity, hours, dates or service area. Status moves
    through :func:`facility_status_set`."""
    require_perm(actor, Permission.MANAGE_FACILITIES)
    values = {k: v for k, v in values.items() if k in FACILITY_FIELDS and k != "status"}
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


# --- the walking network ---------------------------------------------------------------


def _overlap(network: Network, city: Division) -> float:
    box = (city.bbox_min_lat, city.bbox_max_lat, city.bbox_min_lng, city.bbox_max_lng)
    if None in box:
        return 1.0
    lo_lat, hi_lat, lo_lng, hi_lng = (float(v) for v in box)  # type: ignore[arg-type]
    inside = (
        (network.lat >= lo_lat)
        & (network.lat <= hi_lat)
        & (network.lng >= lo_lng)
        & (network.lng <= hi_lng)
    )
    return float(inside.mean()) if network.node_count else 0.0


@transaction.atomic
def road_network_store(
    *, actor: Actor, city: Division, network: Network, name: str, source: str
) -> RoadNetwork:
    """Make ``network`` the city's walking network, replacing the previous one (kept,
    inactive). Refused when it does not overlap the city."""
    require_perm(actor, Permission.COMPUTE_COVERAGE)
    if not actor.scope.covers_division_code(city.code):
        raise ValidationError({"city": _("This city lies outside your jurisdiction.")})
    if network.edge_count == 0:
        raise ValidationError({"file": _("The network has no walkable street.")})
    if _overlap(network, city) < 0.01:
        raise ValidationError(
            {
                "file": _("The network does not overlap %(city)s; the previous network is kept.")
                % {"city": city.name}
            }
        )
    RoadNetwork.objects.filter(city=city, active=True).update(active=False)
    stored = RoadNetwork.objects.create(
        city=city,
        name=name[:200],
        source=source,
        nodes=network.node_count,
        edges=network.edge_count,
        data=network.to_bytes(),
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=stored,
        division_code=city.code,
        changes={"nodes": network.node_count, "edges": network.edge_count, "source": source},
    )
    return stored


def road_network_import(*, actor: Actor, city: Division, path: str | Path) -> RoadNetwork:
    """Read an OpenStreetMap extract and make its walkable ways the city's network. A file
    that is not OSM, holds no walkable way or lies elsewhere is refused with the reason,
    and the previous network stays."""
    require_perm(actor, Permission.COMPUTE_COVERAGE)
    try:
        network = read_osm(path)
    except NetworkFileError as exc:
        raise ValidationError({"file": str(exc)}) from exc
    return road_network_store(
        actor=actor, city=city, network=network, name=Path(path).name, source="osm"
    )


# --- reach and coverage ------------------------------------------------------------------


def _router(city: Division) -> tuple[Router | None, RoadNetwork | None]:
    stored = selectors.active_network(city=city)
    if stored is None:
        return None, None
    return Router(Network.from_bytes(selectors.network_data(stored))), stored


@transaction.atomic
def coverage_compute(*, actor: Actor, division: Division | None = None) -> CoverageRun:
    """Walking time from every active elder's home (in ``division`` or the actor's whole
    jurisdiction) to the nearest open facility of each kind the city has, by the walking
    network when the city has one, else the straight line times the detour factor; stored
    in bulk, replacing the previous figures of those elders."""
    require_perm(actor, Permission.COMPUTE_COVERAGE)
    prefix = division.code_prefix if division is not None else selectors.scope_prefix(actor)
    if actor.scope.division_prefix is None or not prefix.startswith(actor.scope.division_prefix):
        raise ValidationError({"division": _("This division lies outside your jurisdiction.")})
    city = selectors.city_for_prefix(prefix)
    if city is None:
        raise ValidationError({"division": _("No city is registered here.")})
    started = time.perf_counter()
    speed = metres_per_minute(float(settings.FACILITY_WALKING_SPEED_KMH))
    limit = float(settings.FACILITY_REACH_MAX_MINUTES) * speed
    detour = float(settings.FACILITY_DETOUR_FACTOR)
    router, stored = _router(city)
    method = ReachMethod.NETWORK if router is not None else ReachMethod.DETOUR
    homes = selectors.elder_homes(prefix=prefix)
    points = Points(lat=homes.homes.lat, lng=homes.homes.lng)
    ElderReach.objects.filter(prefix_q("division_code", prefix)).delete()
    codes = dict(
        Division.objects.filter(pk__in=np.unique(homes.homes.community).tolist()).values_list(
            "pk", "code"
        )
    )
    division_codes = [codes[int(c)] for c in homes.homes.community.tolist()]
    kinds = selectors.open_kinds(city_prefix=city.code[:4])
    snapped = router.snap(points) if router is not None else None
    for kind in kinds:
        facilities = selectors.open_facility_points(city_prefix=city.code[:4], kind=kind)
        if router is not None:
            metres = network_reach(router, facilities, points, limit=limit, snapped=snapped)
        else:
            metres = detour_reach(facilities, points, detour=detour, limit=limit)
        minutes = metres / speed
        rows = [
            ElderReach(
                elder_id=int(pk),
                kind=kind,
                division_code=code,
                minutes=None if not np.isfinite(m) else round(float(m), 2),
                method=method,
            )
            for pk, code, m in zip(
                homes.ids.tolist(), division_codes, minutes.tolist(), strict=True
            )
        ]
        ElderReach.objects.bulk_create(rows, batch_size=REACH_BATCH)
    run = CoverageRun.objects.create(
        division_code=prefix,
        method=method,
        network=stored,
        elders=len(homes.homes),
        without_coordinates=homes.without_coordinates,
        seconds=round(time.perf_counter() - started, 2),
        walking_speed_kmh=float(settings.FACILITY_WALKING_SPEED_KMH),
        circle_minutes=float(settings.FACILITY_CIRCLE_MINUTES),
        detour_factor=detour,
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=run,
        division_code=prefix,
        changes={
            "method": method,
            "elders": len(homes.homes),
            "kinds": kinds,
            "without_coordinates": homes.without_coordinates,
        },
    )
    return run


# --- construction projects -----------------------------------------------------------------

MILESTONE_FIELD = {
    Milestone.APPROVED: "approved_on",
    Milestone.STARTED: "started_on",
    Milestone.COMPLETED: "completed_on",
    Milestone.IN_USE: "in_use_on",
}
PROJECT_FIELDS = (
    "year",
    "budget",
    "funding_source",
    "approved_on",
    "started_on",
    "completed_on",
    "in_use_on",
    "beds_added",
    "places_added",
)


def next_milestone(project: ConstructionProject) -> str | None:
    """The milestone a project reaches next (one place: page buttons and the guard)."""
    for milestone in MILESTONE_ORDER:
        if getattr(project, MILESTONE_FIELD[milestone]) is None:
            return str(milestone)
    return None


@transaction.atomic
def project_start(
    *,
    actor: Actor,
    facility: Facility,
    year: int,
    budget: Decimal,
    funding_source: str,
    approved_on: datetime.date,
    beds_added: int = 0,
    places_added: int = 0,
    scenario: PlanScenario | None = None,
) -> ConstructionProject:
    """Approve (立项) building a planned facility."""
    require_perm(actor, Permission.MANAGE_PROJECTS)
    errors: dict[str, str] = {}
    if facility.status != FacilityStatus.PLANNED:
        errors["facility"] = _("Only a planned facility gets a construction project.")
    if not actor.scope.covers(
        division_code=facility.division_code, organisation_id=facility.organisation_id
    ):
        errors["facility"] = _("This facility lies outside your jurisdiction.")
    if budget is None or Decimal(budget) < 0:
        errors["budget"] = _("Give the budget (0 or more).")
    if funding_source not in FundingSource.values:
        errors["funding_source"] = _("Choose a funding source.")
    if not 2000 <= int(year) <= 2100:
        errors["year"] = _("Give a year between 2000 and 2100.")
    if beds_added < 0 or places_added < 0:
        errors["beds_added"] = _("A capacity cannot be negative.")
    if errors:
        raise ValidationError(errors)
    project = ConstructionProject.objects.create(
        facility=facility,
        division_code=facility.division_code,
        year=year,
        budget=budget,
        funding_source=funding_source,
        approved_on=approved_on,
        beds_added=beds_added,
        places_added=places_added,
        scenario=scenario,
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=project,
        division_code=project.division_code,
        changes={k: [None, v] for k, v in snapshot(project, PROJECT_FIELDS).items()},
    )
    return project


@transaction.atomic
def project_milestone(
    *, actor: Actor, project: ConstructionProject, milestone: str, on: datetime.date
) -> ConstructionProject:
    """Record the next milestone (开工, 竣工, 投用) on its date; starting construction and
    putting into use move the facility's status too."""
    require_perm(actor, Permission.MANAGE_PROJECTS)
    expected = next_milestone(project)
    if milestone != expected:
        raise ValidationError(
            {
                "milestone": _("The next milestone is %(m)s.")
                % {"m": Milestone(expected).label if expected else _("none (the project is done)")}
            }
        )
    previous = [getattr(project, MILESTONE_FIELD[m]) for m in MILESTONE_ORDER]
    last = max(d for d in previous if d is not None)
    if on < last:
        raise ValidationError(
            {"on": _("A milestone cannot come before the one before it (%(d)s).") % {"d": last}}
        )
    if on > timezone.localdate():
        raise ValidationError({"on": _("This date lies in the future.")})
    before = snapshot(project, PROJECT_FIELDS)
    setattr(project, MILESTONE_FIELD[Milestone(milestone)], on)
    project.save()
    facility = project.facility
    if milestone == Milestone.STARTED and facility.status == FacilityStatus.PLANNED:
        facility_status_set(
            actor=actor, facility=facility, status=FacilityStatus.UNDER_CONSTRUCTION, on=on
        )
    if milestone == Milestone.IN_USE and facility.status in (
        FacilityStatus.PLANNED,
        FacilityStatus.UNDER_CONSTRUCTION,
    ):
        if facility.status == FacilityStatus.PLANNED:
            facility_status_set(
                actor=actor,
                facility=facility,
                status=FacilityStatus.UNDER_CONSTRUCTION,
                on=project.started_on or on,
            )
        facility_status_set(actor=actor, facility=facility, status=FacilityStatus.OPEN, on=on)
        if project.beds_added and facility.kind in (
            FacilityKind.RURAL_CARE_HOME,
            FacilityKind.PUBLIC_INSTITUTION,
            FacilityKind.PRIVATE_INSTITUTION,
        ):
            facility.beds = (facility.beds or 0) + project.beds_added
            facility.save(update_fields=["beds", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=project,
        division_code=project.division_code,
        changes=diff(before, snapshot(project, PROJECT_FIELDS)),
    )
    return project
