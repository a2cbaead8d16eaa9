"""A small world for meal assistance: two canteens in city X (one run by the provider
manager's operator, one by another provider), a meal-subsidy rule by age alone and one by
ability level, elders of 86 and 66."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from tests.conftest import World, build_world
from tests.factories import OrganisationFactory, UserFactory, make_elder
from yiyang.assessments.choices import EntitlementKind, EntitlementUnit
from yiyang.assessments.models import EligibilityRule
from yiyang.core.permissions import Role, SystemActor
from yiyang.core.scoping import Scope
from yiyang.facilities.choices import FacilityKind
from yiyang.facilities.services import facility_register
from yiyang.meals.models import Canteen
from yiyang.meals.services import canteen_register
from yiyang.organisations.choices import OrganisationKind

ALL_DAYS = [0, 1, 2, 3, 4, 5, 6]
ALL_MEALS = ["breakfast", "lunch", "dinner"]


@dataclass
class Meals:
    world: World
    system: SystemActor
    canteen: Canteen  # operated by world.org["operator"]: the provider manager's
    other: Canteen  # another provider's, in XA2a
    staff: Any  # the provider manager
    other_staff: Any
    old: Any  # 86, not assessed
    young: Any  # 66, not assessed
    rules: dict[str, EligibilityRule] = field(default_factory=dict)


def canteen_in(world: World, system: SystemActor, key: str, **values: Any) -> Canteen:
    org = OrganisationFactory(
        name=f"食堂{key}",
        kind=OrganisationKind.ELDERLY_CANTEEN,
        division=world.div[key],
        operator=values.pop("operator", None),
    )
    facility = facility_register(actor=system, organisation=org, kind=FacilityKind.ELDERLY_CANTEEN)
    settings = {
        "opening_days": ALL_DAYS,
        "meals": ALL_MEALS,
        "seats": 40,
        "capacity_per_meal": 100,
        "price_breakfast": Decimal("5.00"),
        "price_lunch": Decimal("15.00"),
        "price_dinner": Decimal("12.00"),
        "delivers": True,
        "delivery_fee": Decimal("2.00"),
    }
    settings.update(values)
    return canteen_register(actor=system, facility=facility, **settings)


def build_meals(world: World) -> Meals:
    system = SystemActor(Scope(division_prefix="4191"), username="test")
    canteen = canteen_in(world, system, "XA1a", operator=world.org["operator"])
    other = canteen_in(world, system, "XA2a")
    other_staff = UserFactory(
        username="canteen_other", role=Role.PROVIDER_MANAGER, organisation=other.organisation
    )
    rules = {
        "age": EligibilityRule.objects.create(
            name="80岁以上助餐补贴",
            entitlement=EntitlementKind.MEAL_SUBSIDY,
            unit=EntitlementUnit.PER_MEAL,
            amount_yuan=Decimal("5.00"),
            min_age=80,
            valid_from=datetime.date(2020, 1, 1),
        ),
        "level": EligibilityRule.objects.create(
            name="失能助餐补贴",
            entitlement=EntitlementKind.MEAL_SUBSIDY,
            unit=EntitlementUnit.PER_MEAL,
            amount_yuan=Decimal("8.00"),
            min_level=2,
            min_age=60,
            valid_from=datetime.date(2020, 1, 1),
        ),
    }
    today = timezone.localdate()
    old = make_elder(system, world.div["XA1a"], name="王老", birth=f"{today.year - 86}0101")
    young = make_elder(system, world.div["XA1a"], name="李青", birth=f"{today.year - 66}0101")
    return Meals(
        world,
        system,
        canteen,
        other,
        world.user[Role.PROVIDER_MANAGER],
        other_staff,
        old,
        young,
        rules,
    )


@pytest.fixture
def meals(world: World) -> Meals:
    return build_meals(world)


@pytest.fixture
def shared_meals(transactional_db: None) -> Meals:
    return build_meals(build_world())
