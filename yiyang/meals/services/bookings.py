"""Bookings and standing orders: a day and meal-time at a canteen, dine in, pick up or
delivery; booked by the elder at the counter, a family member, a community worker or the
call centre; closed at the canteen's cutoff and at its capacity; cancelled before cutoff."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from yiyang.core.audit import audit_record
from yiyang.core.choices import AuditAction
from yiyang.core.permissions import Actor, Permission, Role, actor_user, require_perm
from yiyang.elders.models import Elder
from yiyang.meals.choices import ACTIVE_BOOKING, BookedVia, BookingStatus, Meal, MealMode
from yiyang.meals.models import Booking, Canteen, Dish, MenuItem, StandingOrder
from yiyang.meals.permissions import covers_canteen, is_family
from yiyang.meals.selectors import elder_diet, meal_start
from yiyang.meals.services.common import elder_problem, raise_if, require_elder
from yiyang.meals.services.diet import dish_warnings

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


def _errors(
    canteen: Canteen,
    elder: Elder,
    day: datetime.date,
    meal: str,
    mode: str,
    dish: Dish | None,
    now: datetime.datetime | None,
) -> dict[str, str]:
    """Why this booking cannot be taken (``now`` None: a standing order's, no cutoff)."""
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
    canteen: Canteen,
    elder: Elder,
    day: datetime.date,
    meal: str,
    mode: str,
    dish: Dish | None,
    via: str,
    standing: StandingOrder | None = None,
) -> Booking:
    """Write one booking, the canteen row locked so that capacity holds under concurrency."""
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
                dish=dish,
                booked_via=via,
                standing_order=standing,
                booked_by=actor_user(actor),
                division_code=elder.division_code,
            )
    except IntegrityError:
        raise ValidationError(
            {"meal": _("This elder already has a booking for this meal.")}
        ) from None
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=booking,
        division_code=elder.division_code,
        changes={"day": [None, day.isoformat()], "meal": [None, meal], "mode": [None, mode]},
    )
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
    now: datetime.datetime | None = None,
) -> Booked:
    """Book a meal; returns the booking and the diet warnings of the chosen dish."""
    require_perm(actor, Permission.BOOK_MEALS)
    require_elder(actor, elder)
    own_counter = is_family(actor) or actor.scope.division_prefix is not None
    if not own_counter and not covers_canteen(actor, canteen):
        raise ValidationError({"canteen": _("You book only at your own canteen.")})
    now = now or timezone.now()
    raise_if(_errors(canteen, elder, day, meal, mode, dish, now))
    via = VIA_OF_ROLE.get(Role(actor.role), BookedVia.COMMUNITY_WORKER)
    booking = _take(
        actor=actor,
        canteen=canteen,
        elder=elder,
        day=day,
        meal=meal,
        mode=mode,
        dish=dish,
        via=via,
    )
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
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=booking,
        division_code=booking.division_code,
        changes={"status": [BookingStatus.BOOKED, BookingStatus.CANCELLED]},
    )
    return booking


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
) -> StandingOrder:
    """A booking repeated on weekdays (lunch every weekday), booked day by day by
    :func:`standing_orders_book`."""
    require_perm(actor, Permission.BOOK_MEALS)
    require_elder(actor, elder)
    errors = _errors(canteen, elder, starts_on, meal, mode, None, None)
    errors.pop("day", None)
    if not weekdays or any(not isinstance(d, int) or not 0 <= d <= 6 for d in weekdays):
        errors["weekdays"] = _("Choose weekdays (Monday to Sunday).")
    elif not set(weekdays) & set(canteen.opening_days):
        errors["weekdays"] = _("The canteen is closed on every chosen weekday.")
    if ends_on is not None and ends_on < starts_on:
        errors["ends_on"] = _("The end lies before the start.")
    raise_if(errors)
    order = StandingOrder.objects.create(
        elder=elder,
        canteen=canteen,
        meal=meal,
        mode=mode,
        weekdays=sorted(set(weekdays)),
        starts_on=starts_on,
        ends_on=ends_on,
        division_code=elder.division_code,
        placed_by=actor_user(actor),
    )
    audit_record(
        actor=actor, action=AuditAction.CREATE, obj=order, division_code=order.division_code
    )
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
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=order,
        division_code=order.division_code,
        changes={"is_active": [True, False]},
    )
    return order


def standing_orders_book(*, actor: Actor, day: datetime.date) -> dict[str, int]:
    """Book ``day`` for every standing order in force (run daily, before the cutoffs).
    Idempotent: a day already booked is skipped; so are closed days, full canteens and
    elders no longer served. Each booking is its own transaction."""
    orders = StandingOrder.objects.filter(is_active=True, starts_on__lte=day).select_related(
        "canteen", "elder"
    )
    result = {"booked": 0, "skipped": 0}
    for order in orders:
        if (order.ends_on and order.ends_on < day) or day.weekday() not in order.weekdays:
            continue
        # A day this order booked already is never booked again, even when the booking
        # was cancelled since (the elder's choice stands through a second run).
        taken = Booking.objects.filter(elder=order.elder, day=day, meal=order.meal).filter(
            ~Q(status=BookingStatus.CANCELLED) | Q(standing_order=order)
        )
        if taken.exists() or _errors(
            order.canteen, order.elder, day, order.meal, order.mode, None, None
        ):
            result["skipped"] += 1
            continue
        try:
            with transaction.atomic():
                _take(
                    actor=actor,
                    canteen=order.canteen,
                    elder=order.elder,
                    day=day,
                    meal=order.meal,
                    mode=order.mode,
                    dish=None,
                    via=BookedVia.STANDING_ORDER,
                    standing=order,
                )
        except ValidationError:
            result["skipped"] += 1
            continue
        result["booked"] += 1
    return result
