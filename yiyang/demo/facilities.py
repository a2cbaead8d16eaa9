"""Demo facility network: the demo city's facility-like organisations become facilities,
a few kinds the register does not hold are added (regional centres serving several villages,
rural happiness homes, meal points) with the health facilities care is combined with (health
centres, village clinics), the city gets its own synthetic walking network
(``yiyang.demo.streets``), a new canteen is planned with its construction project and the
year's targets, and every elder's reach is computed, all through the facilities services."""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from yiyang.core.models import Division
from yiyang.core.permissions import SystemActor
from yiyang.core.scoping import Scope
from yiyang.demo.services import CENTRE, CITY_CODE
from yiyang.demo.streets import city_street_network
from yiyang.facilities.choices import FacilityKind, FacilityStatus, FundingSource
from yiyang.facilities.models import ConstructionTarget, Facility
from yiyang.facilities.reach import Network
from yiyang.facilities.services import (
    coverage_compute,
    facilities_adopt,
    facility_register,
    project_start,
    road_network_store,
)
from yiyang.organisations.choices import OrganisationKind as K
from yiyang.organisations.choices import OrganisationStatus, Ownership
from yiyang.organisations.models import Organisation
from yiyang.organisations.services import organisation_create


@dataclass
class DemoFacilities:
    created: bool = False
    facilities: int = 0
    nodes: int = 0
    edges: int = 0
    method: str = ""
    seconds: float = 0.0


def _point(rng: random.Random, division: Division, spread: float) -> tuple[Decimal, Decimal]:
    lat = float(division.centroid_lat or CENTRE[0]) + rng.uniform(-spread, spread)
    lng = float(division.centroid_lng or CENTRE[1]) + rng.uniform(-spread, spread)
    return Decimal(f"{lat:.6f}"), Decimal(f"{lng:.6f}")


def _add(
    rng: random.Random,
    actor: SystemActor,
    division: Division,
    org_kind: str,
    name: str,
    kind: str,
    area: list[Division],
    **extra: Any,
) -> Facility:
    lat, lng = _point(rng, division, 0.004)
    organisation = organisation_create(
        actor=actor,
        name=name,
        kind=org_kind,
        division=division,
        lat=lat,
        lng=lng,
        ownership=Ownership.PUBLIC,
        status=OrganisationStatus.ACTIVE,
    )
    return facility_register(
        actor=actor,
        organisation=organisation,
        kind=kind,
        service_area=area,
        opening_hours="08:00-18:00",
        **extra,
    )


def _network(
    seed: int, communities: list[Division], streets: list[Division], districts: list[Division]
) -> Network:
    def at(d: Division) -> tuple[float, float]:
        return float(d.centroid_lat or CENTRE[0]), float(d.centroid_lng or CENTRE[1])

    areas = [(*at(c), 1100.0 if c.is_urban else 800.0) for c in communities]
    areas += [(*at(s), 900.0) for s in streets]
    by_pk = {d.pk: d for d in streets + districts}
    roads = [(at(c), at(by_pk[c.parent_id])) for c in communities if c.parent_id in by_pk]
    roads += [(at(s), at(by_pk[s.parent_id])) for s in streets if s.parent_id in by_pk]
    roads += [(at(d), CENTRE) for d in districts]
    return city_street_network(areas=areas, roads=roads, seed=seed)


def _division_ids(kind: str) -> set[int]:
    return set(
        Facility.objects.filter(kind=kind).values_list("organisation__division_id", flat=True)
    )


def _extra_facilities(
    rng: random.Random, actor: SystemActor, streets: list[Division], communities: list[Division]
) -> None:
    """Kinds the register does not hold: a regional centre in each township serving its first
    villages, happiness homes in half the villages without a station, meal points in a
    third of the urban communities without a canteen."""
    stationed = _division_ids(FacilityKind.COMMUNITY_STATION)
    canteens = _division_ids(FacilityKind.ELDERLY_CANTEEN)
    for street in streets:
        villages = [c for c in communities if c.parent_id == street.pk]
        if not street.is_urban:
            _add(
                rng,
                actor,
                street,
                K.DAY_CARE_CENTRE,
                f"{street.name}区域性养老服务中心",
                FacilityKind.REGIONAL_CENTRE,
                villages[:4],
                beds=40,
                day_places=30,
            )
            for village in villages:
                if village.pk not in stationed and rng.random() < 0.5:
                    _add(
                        rng,
                        actor,
                        village,
                        K.COMMUNITY_STATION,
                        f"{village.name}互助幸福院",
                        FacilityKind.HAPPINESS_HOME,
                        [village],
                        day_places=15,
                    )
            continue
        for community in villages:
            if community.pk not in canteens and rng.random() < 0.3:
                _add(
                    rng,
                    actor,
                    community,
                    K.ELDERLY_CANTEEN,
                    f"{community.name}助餐点",
                    FacilityKind.MEAL_POINT,
                    [community],
                    meals_per_day=80,
                )


def _health_facilities(
    rng: random.Random, actor: SystemActor, streets: list[Division], communities: list[Division]
) -> None:
    """The health side of 医养结合: a community health service centre in every urban street
    and a township health centre in every township, each serving the street's communities,
    and a clinic in two villages of three."""
    for street in streets:
        villages = [c for c in communities if c.parent_id == street.pk]
        suffix = "社区卫生服务中心" if street.is_urban else "卫生院"
        _add(
            rng,
            actor,
            street,
            K.HEALTH_CENTRE,
            f"{street.name}{suffix}",
            FacilityKind.HEALTH_CENTRE,
            villages,
        )
        if street.is_urban:
            continue
        for village in villages:
            if rng.random() < 2 / 3:
                _add(
                    rng,
                    actor,
                    village,
                    K.VILLAGE_CLINIC,
                    f"{village.name}卫生室",
                    FacilityKind.VILLAGE_CLINIC,
                    [village],
                )


def _planned_canteen(
    rng: random.Random, actor: SystemActor, city: Division, communities: list[Division]
) -> None:
    """A new canteen planned this year with its approved project, and the year's targets."""
    today = timezone.localdate()
    canteens = _division_ids(FacilityKind.ELDERLY_CANTEEN) | _division_ids(FacilityKind.MEAL_POINT)
    target = next(c for c in communities if c.is_urban and c.pk not in canteens)
    planned = _add(
        rng,
        actor,
        target,
        K.ELDERLY_CANTEEN,
        f"{target.name}老年食堂(新建)",
        FacilityKind.ELDERLY_CANTEEN,
        [target],
        status=FacilityStatus.PLANNED,
        planned_on=today - datetime.timedelta(days=30),
        meals_per_day=200,
    )
    Organisation.objects.filter(pk=planned.organisation_id).update(
        status=OrganisationStatus.PENDING
    )
    project_start(
        actor=actor,
        facility=planned,
        year=today.year,
        budget=Decimal("800000.00"),
        funding_source=FundingSource.LOTTERY,
        approved_on=today - datetime.timedelta(days=20),
    )
    for kind, count, beds in (
        (FacilityKind.ELDERLY_CANTEEN, 50, 0),
        (FacilityKind.REGIONAL_CENTRE, 4, 160),
        (FacilityKind.PUBLIC_INSTITUTION, 2, 500),
    ):
        ConstructionTarget.objects.create(
            division=city, year=today.year, kind=kind, facilities=count, beds=beds
        )


def demo_facilities_build(*, seed: int = 20261122) -> DemoFacilities:
    """Build the demo facility network once (nothing when facilities exist already)."""
    prefix = CITY_CODE[:4]
    city = Division.objects.filter(code=CITY_CODE).first()
    existing = Facility.objects.filter(division_code__startswith=prefix)
    if city is None or existing.filter(organisation__name__contains="幸福院").exists():
        return DemoFacilities(facilities=existing.count())
    rng = random.Random(seed + 13)
    actor = SystemActor(Scope(division_prefix=prefix), username="system:seed-demo")
    divisions = list(Division.objects.filter(code__startswith=prefix).order_by("code"))
    districts = [d for d in divisions if d.level == "district"]
    streets = [d for d in divisions if d.level == "street"]
    communities = [d for d in divisions if d.level == "community"]
    with transaction.atomic():
        facilities_adopt(actor=actor)
        _extra_facilities(rng, actor, streets, communities)
        _health_facilities(rng, actor, streets, communities)
        _planned_canteen(rng, actor, city, communities)
        network = _network(seed, communities, streets, districts)
        road_network_store(
            actor=actor,
            city=city,
            network=network,
            name="颐和市 synthetic streets",
            source="synthetic",
        )
    run = coverage_compute(actor=actor, division=city)
    return DemoFacilities(
        created=True,
        facilities=existing.count(),
        nodes=network.node_count,
        edges=network.edge_count,
        method=run.method,
        seconds=run.seconds,
    )
