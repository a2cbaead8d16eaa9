"""Meal indicators: counted where the elder lives, shares over all meals served."""

from __future__ import annotations

from decimal import Decimal

from tests.indicators.conftest import compute
from tests.meals.conftest import Meals
from yiyang.meals.services import meal_serve


def test_meals_served_subsidised_share_and_spend(meals: Meals) -> None:
    meal_serve(actor=meals.staff, canteen=meals.canteen, elder=meals.old, meal="lunch")
    meal_serve(actor=meals.other_staff, canteen=meals.other, elder=meals.young, meal="lunch")
    d = meals.world.div
    assert compute("meals_served", d["X"])[0] == 2
    assert compute("meals_served", d["XA2a"])[0] == 0  # the other canteen's place
    assert compute("meals_subsidised_share", d["XA1a"])[0] == Decimal("50.0")
    assert compute("meals_subsidy_spent", d["X"])[0] == Decimal("5.00")
    assert compute("meals_elders_served", d["XA"])[0] == 2
    assert compute("meals_canteens_opened", d["X"])[0] == 2
    assert compute("meals_canteen_coverage", d["XA1"])[0] == Decimal("50.0")
