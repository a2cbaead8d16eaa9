"""Canteens and meal points (a facility that serves meals), their dishes and menus."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any, TypedDict

from django.db import transaction
from django.utils.translation import gettext as _
from typing_extensions import Unpack

from yiyang.core.audit import audit_record, created
from yiyang.core.auditing import audit_change, update_audited
from yiyang.core.choices import AuditAction
from yiyang.core.errors import reject_unknown_fields
from yiyang.core.models import Division
from yiyang.core.permissions import Actor, Permission
from yiyang.facilities.choices import FacilityKind
from yiyang.facilities.models import Facility
from yiyang.meals.choices import DietLabel, Meal
from yiyang.meals.models import Canteen, Dish, MenuItem
from yiyang.meals.services.common import money, raise_if, require_canteen

CANTEEN_KINDS = (FacilityKind.ELDERLY_CANTEEN, FacilityKind.MEAL_POINT)
CANTEEN_FIELDS = (
    "opening_days",
    "opens_at",
    "closes_at",
    "meals",
    "seats",
    "capacity_per_meal",
    "delivers",
    "cutoff_minutes",
    "price_breakfast",
    "price_lunch",
    "price_dinner",
    "delivery_fee",
    "subsidy_accepted",
    "is_active",
    "is_kitchen",
)
MONEY_FIELDS = ("price_breakfast", "price_lunch", "price_dinner", "delivery_fee")


class CanteenValues(TypedDict, total=False):
    """What :func:`canteen_register` and :func:`canteen_update` accept (``CANTEEN_FIELDS``)."""

    opening_days: list[int]
    opens_at: datetime.time | None
    closes_at: datetime.time | None
    meals: list[str]
    seats: int
    capacity_per_meal: int
    delivers: bool
    cutoff_minutes: int
    price_breakfast: Decimal | str
    price_lunch: Decimal | str
    price_dinner: Decimal | str
    delivery_fee: Decimal | str
    subsidy_accepted: bool
    is_active: bool
    is_kitchen: bool


def _canteen_errors(values: dict[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    days = values.get("opening_days", [])
    if not isinstance(days, list) or any(not isinstance(d, int) or not 0 <= d <= 6 for d in days):
        errors["opening_days"] = _("Opening days are weekdays, Monday (0) to Sunday (6).")
    meals = values.get("meals", [])
    if not isinstance(meals, list) or any(m not in Meal.values for m in meals):
        errors["meals"] = _("Meals are breakfast, lunch or dinner.")
    for name in MONEY_FIELDS:
        if name in values:
            values[name] = money(values[name], name, errors)
            if values[name] is None and name not in errors:
                errors[name] = _("Enter an amount.")
    opens, closes = values.get("opens_at"), values.get("closes_at")
    hours = [t for t in (opens, closes) if t is not None]
    if any(not isinstance(t, datetime.time) for t in hours):
        errors["opens_at"] = _("Opening hours are times of day (HH:MM).")
    elif len(hours) == 1:
        errors["closes_at"] = _("Give both the opening and the closing time, or neither.")
    elif opens is not None and closes is not None and opens >= closes:
        errors["closes_at"] = _("The canteen closes after it opens.")
    for name in ("seats", "capacity_per_meal", "cutoff_minutes"):
        value = values.get(name, 0)
        if not isinstance(value, int) or value < 0:
            errors[name] = _("A whole number, not negative.")
    return errors


@transaction.atomic
def canteen_register(
    *,
    actor: Actor,
    facility: Facility,
    kitchen: Canteen | None = None,
    delivery_area: list[Division] | None = None,
    **values: Unpack[CanteenValues],
) -> Canteen:
    """Make a facility (an elderly canteen or a meal point) serve meals: days, meals,
    seats and capacity, prices, cutoff, delivery area, the central kitchen supplying it."""
    canteen = Canteen(
        facility=facility,
        organisation=facility.organisation,
        division_code=facility.division_code,
        kitchen=kitchen,
    )
    require_canteen(actor, Permission.MANAGE_CANTEENS, canteen)
    reject_unknown_fields(values, CANTEEN_FIELDS)
    cleaned: dict[str, Any] = dict(values)
    errors = _canteen_errors(cleaned)
    if facility.kind not in CANTEEN_KINDS:
        errors["facility"] = _("Only an elderly canteen or a meal point serves meals.")
    if Canteen.objects.filter(facility=facility).exists():
        errors["facility"] = _("This facility serves meals already.")
    if kitchen is not None and not kitchen.is_kitchen:
        errors["kitchen"] = _("The supplier must be a central kitchen.")
    raise_if(errors)
    for name, value in cleaned.items():
        setattr(canteen, name, value)
    canteen.save()
    area = delivery_area if delivery_area is not None else list(facility.service_area.all())
    canteen.delivery_area.set(area)
    audit_change(
        actor,
        AuditAction.CREATE,
        canteen,
        created(canteen, CANTEEN_FIELDS),
    )
    return canteen


@transaction.atomic
def canteen_update(*, actor: Actor, canteen: Canteen, **values: Unpack[CanteenValues]) -> Canteen:
    """Change a canteen's days, meals, capacity, prices, cutoff or state."""
    require_canteen(actor, Permission.MANAGE_CANTEENS, canteen)
    reject_unknown_fields(values, CANTEEN_FIELDS)
    merged = {name: getattr(canteen, name) for name in CANTEEN_FIELDS} | values
    raise_if(_canteen_errors(merged))
    update_audited(actor, canteen, {name: merged[name] for name in values}, CANTEEN_FIELDS)
    return canteen


@transaction.atomic
def dish_add(
    *,
    actor: Actor,
    canteen: Canteen,
    name: str,
    price: Any = None,
    labels: list[str] | None = None,
    allergens: list[str] | None = None,
) -> Dish:
    """A dish of the canteen (or kitchen) with its price and labels."""
    require_canteen(actor, Permission.MANAGE_CANTEENS, canteen)
    errors: dict[str, str] = {}
    amount = money(price, "price", errors)
    labels = sorted(set(labels or []))
    if set(labels) - set(DietLabel.values):
        errors["labels"] = _("Unknown label.")
    if not name.strip() or len(name) > 100:
        errors["name"] = _("Name the dish (at most 100 characters).")
    raise_if(errors)
    dish = Dish.objects.create(
        canteen=canteen,
        name=name.strip(),
        price=amount,
        labels=labels,
        allergens=[a.strip() for a in (allergens or []) if a.strip()],
    )
    audit_record(
        actor=actor, action=AuditAction.CREATE, obj=dish, division_code=canteen.division_code
    )
    return dish


@transaction.atomic
def menu_set(
    *, actor: Actor, canteen: Canteen, day: datetime.date, meal: str, dishes: list[Dish]
) -> list[MenuItem]:
    """The dishes of one day's meal (replacing what was there): a weekly menu is seven."""
    require_canteen(actor, Permission.MANAGE_CANTEENS, canteen)
    errors: dict[str, str] = {}
    if meal not in canteen.meals:
        errors["meal"] = _("This canteen does not serve this meal.")
    if any(d.canteen_id != canteen.pk for d in dishes):
        errors["dishes"] = _("A dish of another canteen.")
    raise_if(errors)
    MenuItem.objects.filter(canteen=canteen, day=day, meal=meal).delete()
    items = MenuItem.objects.bulk_create(
        [MenuItem(canteen=canteen, day=day, meal=meal, dish=d) for d in dishes]
    )
    audit_change(
        actor,
        AuditAction.UPDATE,
        canteen,
        {
            "menu": [
                None,
                {"day": day.isoformat(), "meal": meal, "dishes": [d.name for d in dishes]},
            ]
        },
    )
    return items
