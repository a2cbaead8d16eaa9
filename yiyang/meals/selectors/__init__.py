"""Reads of meal assistance, each scoped to the actor, split by concern and re-exported
here so callers import ``yiyang.meals.selectors`` as before: canteens and menus, bookings
and served meals, the counter, the kitchen and food safety, reports and settlement."""

from __future__ import annotations

from yiyang.meals.selectors.bookings import (
    bookable_elder_get,
    bookable_elders,
    booking_get_for_actor,
    booking_list,
    card_get_for_actor,
    not_at_home,
    served_get_for_actor,
    served_list,
    standing_order_get_for_actor,
    standing_order_list,
    valid_cards_of,
)
from yiyang.meals.selectors.canteens import (
    bookable_dishes,
    canteen_get_for_actor,
    canteen_get_to_manage,
    canteen_list,
    canteen_queryset,
    counter_canteen_get,
    counter_dishes,
    courier_choices,
    delivery_rounds,
    dish_get,
    dishes_of,
    meal_start,
    menu_of,
)
from yiyang.meals.selectors.counter import (
    CARD_PREFIX,
    Diet,
    UnknownElderError,
    elder_diet,
    elder_identify,
)
from yiyang.meals.selectors.counter_photo import (
    counter_photo_elder,
    counter_photo_grant,
)
from yiyang.meals.selectors.reports import (
    BILLING_KIND,
    BILLING_LABEL,
    billable_meals,
    meal_report,
    organisation_runs_canteen,
)
from yiyang.meals.selectors.safety import (
    CERTIFICATE_WARN_DAYS,
    INSPECTION_EVERY_DAYS,
    SAMPLE_DAYS_CHECKED,
    SafetyGap,
    kitchen_counts,
    safety_gaps,
    safety_gaps_many,
)

__all__ = [
    "BILLING_KIND",
    "BILLING_LABEL",
    "CARD_PREFIX",
    "CERTIFICATE_WARN_DAYS",
    "INSPECTION_EVERY_DAYS",
    "SAMPLE_DAYS_CHECKED",
    "Diet",
    "SafetyGap",
    "UnknownElderError",
    "billable_meals",
    "bookable_dishes",
    "bookable_elder_get",
    "bookable_elders",
    "booking_get_for_actor",
    "booking_list",
    "canteen_get_for_actor",
    "canteen_get_to_manage",
    "canteen_list",
    "canteen_queryset",
    "card_get_for_actor",
    "counter_canteen_get",
    "counter_dishes",
    "counter_photo_elder",
    "counter_photo_grant",
    "courier_choices",
    "delivery_rounds",
    "dish_get",
    "dishes_of",
    "elder_diet",
    "elder_identify",
    "kitchen_counts",
    "meal_report",
    "meal_start",
    "menu_of",
    "not_at_home",
    "organisation_runs_canteen",
    "safety_gaps",
    "safety_gaps_many",
    "served_get_for_actor",
    "served_list",
    "standing_order_get_for_actor",
    "standing_order_list",
    "valid_cards_of",
]
