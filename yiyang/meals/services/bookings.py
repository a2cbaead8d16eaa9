"""Bookings and standing orders: a day and meal-time at a canteen, dine in, pick up or
delivery; booked by the elder at the counter, a family member, a community worker or the
call centre; closed at the canteen's cutoff and at its capacity; cancelled before cutoff."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiyang.core.auditing import audit_change
from yiyang.core.choices import AuditAction
from yiyang.core.permissions import Actor, Permission, Role, actor_user, require_perm
from yiyang.elders.models import Elder
from yiyang.meals.choices import ACTIVE_BOOKING, BookedVia, BookingStatus, Meal, MealMode
from yiyang.meals.models import Booking, Canteen, Dish, MenuItem, StandingOrder
from yiyang.meals.permissions import covers_canteen, is_family
from yiyang.meals.selectors import elder_diet, meal_start
from yiyang.meals.services.common import MealOrder, elder_problem, raise_if, require_elder
from yiyang.meals.services.diet import diet_conflict_confirmed, dish_warnings

VIA_OF_ROLE = {
    Role.FAMILY: BookedVia.FAMILY,
    Role.COMMUNITY_WORKER: BookedVia.COMMUNITY_WORKER,
    Role.STREET_OFFICER: BookedVia.COMMUNITY_WORKER,
    Role.OPERATOR: BookedVia.CALL_CENTRE,
    Role.PROVIDER_MANAGER: BookedVia.COUNTER,
}


@dataclass
class Booked:
    booking: Booking
    warnings: list[str] = field(default_factory=list)


def cutoff_of(canteen: Canteen, day: datetime.date, meal: str) -> datetime.datetime:
    """When booking (and cancelling) a meal-time at this canteen closes."""
    return meal_start(day, meal) - datetime.timedelta(minutes=canteen.cutoff_minutes)


def _errors(order: MealOrder, now: datetime.datetime | None) -> dict[str, str]:
    """Why this booking cannot be taken (``now`` None: a standing order's, no cutoff)."""
    canteen, elder, day, meal, mode = order.canteen, order.elder, order.day, order.meal, order.mode
    dish = order.dish
    errors: dict[str, str] = {}
    if meal not in Meal.values or meal not in canteen.meals:
        errors["meal"] = _("This canteen does not serve this meal.")
    if mode not in MealMode.values:
        errors["mode"] = _("Choose dine in, pick up or delivery.")
    if not canteen.is_active:
        errors["canteen"] = _("This canteen is not in service.")
    elif day.weekday() not in canteen.opening_days:
        errors["day"] = _("The canteen is closed on that day.")
    problem = elder_problem(elder)
    if problem:
        errors["elder"] = problem
    if "meal" not in errors and now is not None and now >= cutoff_of(canteen, day, meal):
        errors["day"] = _("Booking for this meal closed at %(time)s.") % {
            "time": timezone.localtime(cutoff_of(canteen, day, meal)).strftime("%Y-%m-%d %H:%M")
        }
    if mode == MealMode.DELIVERY and not errors.get("mode"):
        if not canteen.delivers:
            errors["mode"] = _("This canteen does not deliver.")
        elif not canteen.delivery_area.filter(pk=elder.community_id).exists():
            errors["mode"] = _("The elder's address lies outside this canteen's delivery area.")
    if (
        dish is not None
        and not MenuItem.objects.filter(
            canteen=canteen.kitchen or canteen, day=day, meal=meal, dish=dish
        ).exists()
    ):
        errors["dish"] = _("This dish is not on the menu for that meal.")
    return errors


def _take(
    *,
    actor: Actor,
    order: MealOrder,
    via: str,
    standing: StandingOrder | None = None,
    dish_fallback: bool = False,
    confirmed: dict[str, Any] | None = None,
) -> Booking:
    """Write one booking, the canteen row locked so that capacity holds under concurrency;
    ``confirmed``: the diet conflict the booker confirmed (audited with the booking)."""
    canteen, elder, day, meal, mode = order.canteen, order.elder, order.day, order.meal, order.mode
    Canteen.objects.select_for_update().filter(pk=canteen.pk).first()
    taken = Booking.objects.filter(
        canteen=canteen, day=day, meal=meal, status__in=ACTIVE_BOOKING
    ).count()
    if canteen.capacity_per_meal and taken >= canteen.capacity_per_meal:
        raise ValidationError({"day": _("The canteen is fully booked for this meal.")})
    try:
        with transaction.atomic():
            booking = Booking.objects.create(
                elder=elder,
                canteen=canteen,
                day=day,
                meal=meal,
                mode=mode,
                dish=order.dish,
                booked_via=via,
                standing_order=standing,
                dish_fallback=dish_fallback,
                booked_by=actor_user(actor),
                division_code=elder.division_code,
            )
    except IntegrityError:
        raise ValidationError(
            {"meal": _("This elder already has a booking for this meal.")}
        ) from None
    changes: dict[str, Any] = {
        "day": [None, day.isoformat()],
        "meal": [None, meal],
        "mode": [None, mode],
    }
    if order.dish is not None:
        changes["dish"] = [None, str(order.dish.external_id)]
    if dish_fallback:
        changes["dish_fallback"] = [None, True]
    if confirmed is not None:
        changes["diet_conflict_confirmed"] = [None, confirmed]
    audit_change(actor, AuditAction.CREATE, booking, changes, division_code=elder.division_code)
    return booking


@transaction.atomic
def booking_place(
    *,
    actor: Actor,
    canteen: Canteen,
    elder: Elder,
    day: datetime.date,
    meal: str,
    mode: str = MealMode.DINE_IN,
    dish: Dish | None = None,
    confirm_diet_conflict: bool = False,
    now: datetime.datetime | None = None,
) -> Booked:
    """Book a meal; returns the booking and the diet warnings of the chosen dish. A dish
    against the elder's diet is booked only with ``confirm_diet_conflict`` (else
    DietConflictError naming the conflicts, nothing written); the confirmation is
    audited with the booking."""
    require_perm(actor, Permission.BOOK_MEALS)
    require_elder(actor, elder)
    own_counter = is_family(actor) or actor.scope.division_prefix is not None
    if not own_counter and not covers_canteen(actor, canteen):
        raise ValidationError({"canteen": _("You book only at your own canteen.")})
    now = now or timezone.now()
    order = MealOrder(canteen=canteen, elder=elder, day=day, meal=meal, mode=mode, dish=dish)
    raise_if(_errors(order, now))
    confirmed = diet_conflict_confirmed(elder=elder, dish=dish, confirmed=confirm_diet_conflict)
    via = VIA_OF_ROLE.get(Role(actor.role), BookedVia.COMMUNITY_WORKER)
    booking = _take(actor=actor, order=order, via=via, confirmed=confirmed)
    return Booked(booking, dish_warnings(elder_diet(elder), dish))


@transaction.atomic
def booking_cancel(
    *, actor: Actor, booking: Booking, now: datetime.datetime | None = None
) -> Booking:
    """Cancel a booking before the canteen's cutoff."""
    require_perm(actor, Permission.BOOK_MEALS)
    require_elder(actor, booking.elder)
    now = now or timezone.now()
    if booking.status != BookingStatus.BOOKED:
        raise ValidationError({"status": _("Only a booked meal can be cancelled.")})
    cutoff = cutoff_of(booking.canteen, booking.day, booking.meal)
    if now >= cutoff:
        raise ValidationError(
            {
                "status": _("Cancelling closed at %(time)s.")
                % {"time": timezone.localtime(cutoff).strftime("%Y-%m-%d %H:%M")}
            }
        )
    booking.status = BookingStatus.CANCELLED
    booking.save(update_fields=["status", "updated_at"])
    audit_change(
        actor,
        AuditAction.UPDATE,
        booking,
        {"status": [BookingStatus.BOOKED, BookingStatus.CANCELLED]},
    )
    return booking
