"""Meal assistance in the demo city: every open canteen and meal point serves meals, the
demo canteen (the ``canteen`` login's) has dishes and a week's menu, and the elders of its
community ate there over the last days (through the counter's service, with subsidies)."""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from yiyang.accounts.models import User
from yiyang.core.permissions import SystemActor
from yiyang.core.scoping import Scope
from yiyang.demo.services import CITY_CODE
from yiyang.elders.choices import ElderStatus
from yiyang.elders.models import Elder
from yiyang.facilities.choices import FacilityKind, FacilityStatus
from yiyang.facilities.models import Facility
from yiyang.meals.models import Canteen, ServedMeal
from yiyang.meals.services import (
    MealConflictError,
    canteen_register,
    dish_add,
    meal_serve,
    menu_set,
)

DISHES = [
    ("红烧鸡块", "16", ["soft"], []),
    ("清蒸鲈鱼", "18", ["low_salt", "soft"], ["鱼"]),
    ("西红柿炒蛋", "10", ["soft", "vegetarian"], ["鸡蛋"]),
    ("杂粮饭", "2", ["low_sugar"], []),
    ("清炒时蔬", "8", ["low_salt", "low_sugar", "vegetarian"], []),
    ("牛肉面", "14", ["halal"], []),
]


@dataclass
class DemoMeals:
    canteens: int = 0
    served: int = 0
    existing: bool = False


def demo_meals_build(*, seed: int = 20261122, days: int = 5) -> DemoMeals:
    """Make the open canteens and meal points serve meals; fill the demo canteen."""
    if Canteen.objects.exists():
        return DemoMeals(Canteen.objects.count(), ServedMeal.objects.count(), existing=True)
    rng = random.Random(seed)
    actor = SystemActor(Scope(division_prefix=CITY_CODE[:4]), username="system:seed-demo")
    with transaction.atomic():
        facilities = Facility.objects.filter(
            kind__in=[FacilityKind.ELDERLY_CANTEEN, FacilityKind.MEAL_POINT],
            status=FacilityStatus.OPEN,
            division_code__startswith=CITY_CODE[:4],
        ).select_related("organisation")
        for facility in facilities:
            canteen_register(
                actor=actor,
                facility=facility,
                opening_days=[0, 1, 2, 3, 4, 5],
                meals=["breakfast", "lunch", "dinner"],
                seats=40,
                capacity_per_meal=120,
                delivers=True,
                price_breakfast=Decimal("5.00"),
                price_lunch=Decimal("15.00"),
                price_dinner=Decimal("12.00"),
                delivery_fee=Decimal("2.00"),
            )
    staff = User.objects.filter(username="canteen").first()
    demo = Canteen.objects.filter(organisation=staff.organisation).first() if staff else None
    served = _fill(actor, staff, demo, rng, days) if staff and demo else 0
    return DemoMeals(Canteen.objects.count(), served)


def _fill(actor: SystemActor, staff: User, canteen: Canteen, rng: random.Random, days: int) -> int:
    dishes = [
        dish_add(actor=actor, canteen=canteen, name=n, price=p, labels=lb, allergens=al)
        for n, p, lb, al in DISHES
    ]
    today = timezone.localdate()
    for offset in range(7):
        for meal in ("lunch", "dinner"):
            menu_set(
                actor=actor,
                canteen=canteen,
                day=today + datetime.timedelta(days=offset),
                meal=meal,
                dishes=rng.sample(dishes, 3),
            )
    elders = list(
        Elder.objects.filter(community__code=canteen.division_code, status=ElderStatus.ACTIVE)[:80]
    )
    served = 0
    for offset in range(days, 0, -1):
        day = today - datetime.timedelta(days=offset)
        lunch = timezone.make_aware(datetime.datetime.combine(day, datetime.time(11, 40)))
        for elder in rng.sample(elders, min(len(elders), 30)):
            try:
                meal_serve(
                    actor=staff,
                    canteen=canteen,
                    elder=elder,
                    meal="lunch",
                    at=lunch + datetime.timedelta(minutes=rng.randint(0, 60)),
                )
            except MealConflictError:
                continue
            served += 1
    return served
