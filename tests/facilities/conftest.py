"""A small world for the facility network: communities at known places, elders around
them, and helpers to make facilities."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.conftest import World
from tests.factories import OrganisationFactory, make_elder
from yiyang.core.permissions import SystemActor
from yiyang.core.scoping import Scope
from yiyang.facilities.choices import FacilityKind
from yiyang.facilities.models import Facility
from yiyang.facilities.services import facility_register

# Community centres about 2.2 km apart, north to south.
PLACES = {
    "XA1a": (34.75, 113.65),
    "XA1b": (34.77, 113.65),
    "XA2a": (34.79, 113.65),
    "XB1a": (34.81, 113.65),
}


@pytest.fixture
def system() -> SystemActor:
    return SystemActor(Scope(division_prefix="4191"), username="test")


@pytest.fixture
def placed(world: World) -> World:
    for key, (lat, lng) in PLACES.items():
        division = world.div[key]
        division.centroid_lat, division.centroid_lng = Decimal(str(lat)), Decimal(str(lng))
        division.save()
    return world


def elder_at(
    world: World, actor: Any, key: str, lat: float | None, lng: float | None, **values: Any
) -> Any:
    extra = {} if lat is None else {"lat": Decimal(f"{lat:.6f}"), "lng": Decimal(f"{lng:.6f}")}
    return make_elder(actor, world.div[key], **extra, **values)


def facility_at(
    world: World,
    actor: Any,
    key: str,
    lat: float,
    lng: float,
    kind: str = FacilityKind.COMMUNITY_STATION,
    **values: Any,
) -> Facility:
    organisation = OrganisationFactory(
        division=world.div[key], lat=Decimal(f"{lat:.6f}"), lng=Decimal(f"{lng:.6f}")
    )
    return facility_register(actor=actor, organisation=organisation, kind=kind, **values)
