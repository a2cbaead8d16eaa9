"""Standing orders (lunch every weekday): placed and stopped by those who book, and booked
day by day by the daily run. An order may name a dish or leave it to the day's default;
a day whose menu lacks the named dish is booked with the default, and says so."""

from __future__ import annotations

import datetime
from dataclasses import replace
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from yiyang.core.auditing import audit_change
from yiyang.core.choices import AuditAction
from yiyang.core.permissions import Actor, Permission, actor_user, require_perm
from yiyang.elders.models import Elder
from yiyang.meals.choices import BookedVia, BookingStatus
from yiyang.meals.models import Booking, Canteen, Dish, MenuItem, StandingOrder
from yiyang.meals.services.bookings import _errors, _take
from yiyang.meals.services.common import MealOrder, raise_if, require_elder
from yiyang.meals.services.diet import diet_conflict_confirmed


def _order_errors(
    canteen: Canteen,
    elder: Elder,
    meal: str,
    mode: str,
    dish: Dish | None,
    weekdays: list[int],
    starts_on: datetime.date,
    ends_on: datetime.date | None,
) -> dict[str, str]:
    errors = _errors(
        MealOrder(canteen=canteen, elder=elder, day=starts_on, meal=meal, mode=mode), None
    )
    errors.pop("day", None)
    if not weekdays or any(not isinstance(d, int) or not 0 <= d <= 6 for d in weekdays):
        errors["weekdays"] = _("Choose weekdays (Monday to Sunday).")
    elif not set(weekdays) & set(canteen.opening_days):
        errors["weekdays"] = _("The canteen is closed on every chosen weekday.")
    if ends_on is not None and ends_on < starts_on:
        errors["ends_on"] = _("The end lies before the start.")
    if dish is not None and (
        dish.canteen_id != (canteen.kitchen_id or canteen.pk) or not dish.is_active
    ):
        errors["dish"] = _("This dish is not one of this canteen's dishes.")
    return errors


@transaction.atomic
def standing_order_place(
    *,
    actor: Actor,
    canteen: Canteen,
    elder: Elder,
    meal: str,
    mode: str,
    weekdays: list[int],
    starts_on: datetime.date,
    ends_on: datetime.date | None = None,
    dish: Dish | None = None,
    confirm_diet_conflict: bool = False,
) -> StandingOrder:
    """A booking repeated on weekdays (lunch every weekday), booked day by day by
    :func:`standing_orders_book`. ``dish`` None: the day's default. A dish against the
    elder's diet needs ``confirm_diet_conflict``, as a single booking does."""
    require_perm(actor, Permission.BOOK_MEALS)
    require_elder(actor, elder)
    raise_if(_order_errors(canteen, elder, meal, mode, dish, weekdays, starts_on, ends_on))
    confirmed = diet_conflict_confirmed(elder=elder, dish=dish, confirmed=confirm_diet_conflict)
    order = StandingOrder.objects.create(
        elder=elder,
        canteen=canteen,
        meal=meal,
        mode=mode,
        dish=dish,
        weekdays=sorted(set(weekdays)),
        starts_on=starts_on,
        ends_on=ends_on,
        division_code=elder.division_code,
        placed_by=actor_user(actor),
    )
    changes: dict[str, list[Any]] = {"dish": [None, str(dish.external_id) if dish else None]}
    if confirmed is not None:
        changes["diet_conflict_confirmed"] = [None, confirmed]
    audit_change(actor, AuditAction.CREATE, order, changes)
    return order


@transaction.atomic
def standing_order_stop(*, actor: Actor, order: StandingOrder) -> StandingOrder:
    """End a standing order: no more days are booked from it (days booked stay booked and
    are cancelled one by one, before their cutoff)."""
    require_perm(actor, Permission.BOOK_MEALS)
    require_elder(actor, order.elder)
    if not order.is_active:
        raise ValidationError({"standing_order": _("This standing order has ended already.")})
    order.is_active = False
    order.save(update_fields=["is_active", "updated_at"])
    audit_change(actor, AuditAction.UPDATE, order, {"is_active": [True, False]})
    return order


def standing_dish(order: StandingOrder, day: datetime.date) -> tuple[Dish | None, bool]:
    """The dish to book for ``day`` and whether it fell back: the order's dish when it is
    on that day's menu for the meal (and still served), else the day's default (None)."""
    dish = order.dish
    if dish is None:
        return None, False
    on_menu = (
        dish.is_active
        and MenuItem.objects.filter(
            canteen=order.canteen.kitchen_id or order.canteen_id,
            day=day,
            meal=order.meal,
            dish=dish,
        ).exists()
    )
    return (dish, False) if on_menu else (None, True)


def standing_orders_book(*, actor: Actor, day: datetime.date) -> dict[str, int]:
    """Book ``day`` for every standing order in force (run daily, before the cutoffs).
    Idempotent: a day already booked is skipped; so are closed days, full canteens and
    elders no longer served. A named dish off that day's menu is booked as the day's
    default (``fell_back`` counts them; the booking says so). Each booking is its own
    transaction."""
    orders = StandingOrder.objects.filter(is_active=True, starts_on__lte=day).select_related(
        "canteen", "elder", "dish"
    )
    result = {"booked": 0, "skipped": 0, "fell_back": 0}
    for order in orders:
        if (order.ends_on and order.ends_on < day) or day.weekday() not in order.weekdays:
            continue
        # A day this order booked already is never booked again, even when the booking
        # was cancelled since (the elder's choice stands through a second run).
        taken = Booking.objects.filter(elder=order.elder, day=day, meal=order.meal).filter(
            ~Q(status=BookingStatus.CANCELLED) | Q(standing_order=order)
        )
        wanted = MealOrder(
            canteen=order.canteen, elder=order.elder, day=day, meal=order.meal, mode=order.mode
        )
        if taken.exists() or _errors(wanted, None):
            result["skipped"] += 1
            continue
        dish, fell_back = standing_dish(order, day)
        try:
            with transaction.atomic():
                _take(
                    actor=actor,
                    order=replace(wanted, dish=dish),
                    via=BookedVia.STANDING_ORDER,
                    standing=order,
                    dish_fallback=fell_back,
                )
        except ValidationError:
            result["skipped"] += 1
            continue
        result["booked"] += 1
        result["fell_back"] += int(fell_back)
    return result
