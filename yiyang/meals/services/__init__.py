"""The meals app owns meal assistance (老年助餐): canteens and meal points (facilities that
serve meals; a central kitchen supplies meal points), dishes and menus, elders' diet needs
and meal cards, bookings and standing orders with cutoffs and capacity, the counter (a meal
served with its subsidy, once per elder and meal-time city-wide, offline records replayed
once), delivery rounds and confirmation, and food-safety records.

Served meals (``ServedMeal``) are the lines settlement bills: price, subsidy and self-pay
in Decimal yuan, the eligibility rule that granted the subsidy, the canteen's organisation.
"""

from yiyang.meals.services.bookings import (
    Booked,
    booking_cancel,
    booking_place,
    cutoff_of,
)
from yiyang.meals.services.canteens import (
    CANTEEN_FIELDS,
    canteen_register,
    canteen_update,
    dish_add,
    menu_set,
)
from yiyang.meals.services.counter import (
    MealConflictError,
    Preview,
    Served,
    conflict_message,
    counter_preview,
    meal_serve,
    served_meal_void,
)
from yiyang.meals.services.counter_photo import counter_photo_read
from yiyang.meals.services.delivery import delivery_confirm, delivery_round_assign, route_order
from yiyang.meals.services.diet import (
    DietConflictError,
    card_value,
    diet_conflict_confirmed,
    dish_warnings,
    elder_diet_set,
    meal_card_issue,
)
from yiyang.meals.services.safety import certificate_add, safety_record_add
from yiyang.meals.services.standing_orders import (
    standing_dish,
    standing_order_place,
    standing_order_stop,
    standing_orders_book,
)
from yiyang.meals.services.subsidy import Quote, meal_quote, meal_subsidy_rule

__all__ = [
    "CANTEEN_FIELDS",
    "Booked",
    "DietConflictError",
    "MealConflictError",
    "Preview",
    "Quote",
    "Served",
    "booking_cancel",
    "booking_place",
    "canteen_register",
    "canteen_update",
    "card_value",
    "certificate_add",
    "conflict_message",
    "counter_photo_read",
    "counter_preview",
    "cutoff_of",
    "delivery_confirm",
    "delivery_round_assign",
    "diet_conflict_confirmed",
    "dish_add",
    "dish_warnings",
    "elder_diet_set",
    "meal_card_issue",
    "meal_quote",
    "meal_serve",
    "meal_subsidy_rule",
    "menu_set",
    "route_order",
    "safety_record_add",
    "served_meal_void",
    "standing_dish",
    "standing_order_place",
    "standing_order_stop",
    "standing_orders_book",
]
