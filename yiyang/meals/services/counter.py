"""The counter: a meal handed over, with its subsidy, once per elder and meal-time in the
whole city. The rule is a unique constraint on (elder, day, meal), so two counters scanning
the same card at the same moment cannot both write; the loser is told where and when the
first meal was served. Offline records carry a client id and replay harmlessly. The write
is tried first and the constraints answer (no read before it): fewer round trips for the
common case, and no window between a check and the insert."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from yiyang.core.auditing import audit_change
from yiyang.core.choices import AuditAction
from yiyang.core.permissions import Actor, Permission, actor_user
from yiyang.elders.models import Elder
from yiyang.meals.choices import BookingStatus, Meal, MealMode
from yiyang.meals.models import Booking, Canteen, Dish, ServedMeal
from yiyang.meals.selectors import elder_diet, meal_start
from yiyang.meals.services.common import MealOrder, elder_problem, raise_if, require_canteen
from yiyang.meals.services.diet import dish_warnings
from yiyang.meals.services.subsidy import Quote, meal_quote, monthly_cap

MAX_CLOCK_AHEAD = datetime.timedelta(minutes=5)


class MealConflictError(Exception):
    """A second meal for an elder and meal-time (the API answers 409)."""

    def __init__(self, message: str, first: ServedMeal) -> None:
        super().__init__(message)
        self.message = message
        self.first = first


@dataclass
class Served:
    meal: ServedMeal
    replayed: bool = False
    warnings: list[str] = field(default_factory=list)


@dataclass
class Preview:
    elder: Elder
    quote: Quote
    warnings: list[str]
    first: ServedMeal | None


def conflict_message(first: ServedMeal) -> str:
    local = timezone.localtime(first.served_at)
    return _(
        "%(meal)s of %(day)s was already served to this elder at %(canteen)s at %(time)s: "
        "one meal per meal-time."
    ) % {
        "meal": Meal(first.meal).label,
        "day": date_format(first.day, "Y-m-d"),
        "canteen": first.canteen.organisation.name,
        "time": local.strftime("%H:%M"),
    }


def _first_served(elder: Elder, day: datetime.date, meal: str) -> ServedMeal | None:
    return (
        ServedMeal.objects.filter(elder=elder, day=day, meal=meal, voided_at__isnull=True)
        .select_related("canteen__organisation")
        .first()
    )


def _check(
    *,
    canteen: Canteen,
    elder: Elder,
    meal: str,
    mode: str,
    at: datetime.datetime,
    day: datetime.date,
    now: datetime.datetime,
) -> None:
    errors: dict[str, str] = {}
    if meal not in Meal.values:
        errors["meal"] = _("Choose breakfast, lunch or dinner.")
    elif meal not in canteen.meals:
        errors["meal"] = _("This canteen does not serve %(meal)s.") % {"meal": Meal(meal).label}
    if mode not in MealMode.values:
        errors["mode"] = _("Choose dine in, pick up or delivery.")
    if not canteen.is_active:
        errors["canteen"] = _("This canteen is not in service.")
    problem = elder_problem(elder)
    if problem:
        errors["elder"] = problem
    if at > now + MAX_CLOCK_AHEAD:
        errors["at"] = _("The time lies in the future: check the tablet's clock.")
    oldest = timezone.localdate(now) - datetime.timedelta(days=settings.MEAL_OFFLINE_MAX_DAYS)
    if day < oldest:
        errors["at"] = _("Records older than %(days)s days are not accepted.") % {
            "days": settings.MEAL_OFFLINE_MAX_DAYS
        }
    if day > timezone.localdate(now):
        errors["day"] = _("A meal cannot be served on a future day.")
    raise_if(errors)


def _replay(existing: ServedMeal, elder: Elder, canteen: Canteen) -> Served:
    if existing.elder_id != elder.pk or existing.canteen_id != canteen.pk:
        raise ValidationError({"client_id": _("This record id was already used for another meal.")})
    return Served(existing, replayed=True)


def counter_preview(
    *,
    actor: Actor,
    canteen: Canteen,
    elder: Elder,
    meal: str,
    day: datetime.date | None = None,
    mode: str = MealMode.DINE_IN,
    dish: Dish | None = None,
) -> Preview:
    """What the counter shows once an elder is identified: price after subsidy, diet
    warnings, and whether this meal-time was served already somewhere."""
    require_canteen(actor, Permission.RECORD_MEALS, canteen)
    day = day or timezone.localdate()
    quote = meal_quote(canteen=canteen, elder=elder, day=day, meal=meal, mode=mode, dish=dish)
    warnings = dish_warnings(elder_diet(elder), dish)
    problem = elder_problem(elder)
    if problem:
        warnings.insert(0, problem)
    return Preview(elder, quote, warnings, _first_served(elder, day, meal))


def meal_serve(
    *,
    actor: Actor,
    canteen: Canteen,
    elder: Elder,
    meal: str,
    mode: str = MealMode.DINE_IN,
    dish: Dish | None = None,
    at: datetime.datetime | None = None,
    client_id: uuid.UUID | None = None,
    now: datetime.datetime | None = None,
    day: datetime.date | None = None,
) -> Served:
    """Record a meal handed over at ``canteen`` (at ``at``, the tablet's time when it was
    queued offline; or on ``day``, today by default, at the meal's start for an earlier
    day). Raises MealConflictError when the elder had this meal-time already."""
    require_canteen(actor, Permission.RECORD_MEALS, canteen)
    if day is not None:
        if at is not None and timezone.localdate(at) != day:
            raise ValidationError({"date": _("The date and the time of the meal disagree.")})
        if at is None and day != timezone.localdate(now or timezone.now()) and meal in Meal.values:
            at = meal_start(day, meal)
    return serve_authorised(
        actor=actor,
        canteen=canteen,
        elder=elder,
        meal=meal,
        mode=mode,
        dish=dish,
        at=at,
        client_id=client_id,
        now=now,
    )


def serve_authorised(
    *,
    actor: Actor,
    canteen: Canteen,
    elder: Elder,
    meal: str,
    mode: str,
    dish: Dish | None,
    at: datetime.datetime | None,
    client_id: uuid.UUID | None,
    now: datetime.datetime | None,
) -> Served:
    """:func:`meal_serve` once the caller's right to serve here was checked (a courier
    delivering the canteen's booking)."""
    now = now or timezone.now()
    at = at or now
    day = timezone.localdate(at)
    _check(canteen=canteen, elder=elder, meal=meal, mode=mode, at=at, day=day, now=now)
    warnings = dish_warnings(elder_diet(elder), dish)
    order = MealOrder(canteen=canteen, elder=elder, day=day, meal=meal, mode=mode, dish=dish)
    try:
        with transaction.atomic():
            served = _write(actor, order, at, client_id, now)
    except IntegrityError:
        # No read before the write: the constraints decide (a re-sent record's client id, or
        # the meal-time served already, here or at another counter a moment ago); say which.
        if client_id is not None:
            existing = ServedMeal.objects.filter(client_id=client_id).first()
            if existing is not None:
                return _replay(existing, elder, canteen)
        first = _first_served(elder, day, meal)
        if first is None:
            raise
        raise MealConflictError(conflict_message(first), first) from None
    return Served(served, warnings=warnings)


def _write(
    actor: Actor,
    order: MealOrder,
    at: datetime.datetime,
    client_id: uuid.UUID | None,
    now: datetime.datetime,
) -> ServedMeal:
    canteen, elder, day, meal, mode = order.canteen, order.elder, order.day, order.meal, order.mode
    if monthly_cap() is not None:  # the cap spans meal-times: one elder's meals in turn
        Elder.objects.select_for_update().filter(pk=elder.pk).first()
    quote = meal_quote(canteen=canteen, elder=elder, day=day, meal=meal, mode=mode, dish=order.dish)
    booking = Booking.objects.filter(
        elder=elder, day=day, meal=meal, canteen=canteen, status=BookingStatus.BOOKED
    ).first()
    served = ServedMeal.objects.create(
        elder=elder,
        canteen=canteen,
        day=day,
        meal=meal,
        mode=mode,
        served_at=at,
        price_yuan=quote.price,
        subsidy_yuan=quote.subsidy,
        self_pay_yuan=quote.self_pay,
        subsidy_rule=quote.rule,
        booking=booking,
        client_id=client_id,
        recorded_offline=(now - at) > MAX_CLOCK_AHEAD,
        recorded_by=actor_user(actor),
        recorded_by_username=actor.username,
        division_code=elder.division_code,
        canteen_division_code=canteen.division_code,
        organisation_id=canteen.organisation_id,
    )
    if booking is not None:
        Booking.objects.filter(pk=booking.pk).update(status=BookingStatus.SERVED)
    audit_change(
        actor, AuditAction.CREATE, served, _changes(served), division_code=elder.division_code
    )
    return served


def _changes(served: ServedMeal) -> dict[str, Any]:
    return {
        "canteen": [None, str(served.canteen.external_id)],
        "day": [None, served.day.isoformat()],
        "meal": [None, served.meal],
        "price_yuan": [None, str(served.price_yuan)],
        "subsidy_yuan": [None, str(served.subsidy_yuan)],
        "self_pay_yuan": [None, str(served.self_pay_yuan)],
    }


VOID_MAX_DAYS = 7


@transaction.atomic
def served_meal_void(
    *, actor: Actor, served: ServedMeal, reason: str, now: datetime.datetime | None = None
) -> ServedMeal:
    """Void a meal recorded by mistake (the wrong elder scanned, the wrong meal-time): the
    record stays with who voided it, when and why; its subsidy no longer counts (monthly
    cap, settlement, indicators) and the meal-time is open again. Only the canteen that
    recorded it, within VOID_MAX_DAYS; an audit record keeps the amounts reversed."""
    require_canteen(actor, Permission.RECORD_MEALS, served.canteen)
    now = now or timezone.now()
    locked = ServedMeal.objects.select_for_update().get(pk=served.pk)
    errors: dict[str, str] = {}
    if locked.voided_at is not None:
        errors["served"] = _("This meal was voided already.")
    elif locked.day < timezone.localdate(now) - datetime.timedelta(days=VOID_MAX_DAYS):
        errors["served"] = _("A meal older than %(days)s days can no longer be voided.") % {
            "days": VOID_MAX_DAYS
        }
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = _("Say why the meal is voided.")
    elif len(reason) > 200:
        errors["reason"] = _("At most 200 characters.")
    raise_if(errors)
    locked.voided_at, locked.void_reason = now, reason
    locked.voided_by_username = actor.username
    locked.save(update_fields=["voided_at", "void_reason", "voided_by_username", "updated_at"])
    if locked.booking_id is not None:
        Booking.objects.filter(pk=locked.booking_id, status=BookingStatus.SERVED).update(
            status=BookingStatus.BOOKED
        )
    audit_change(
        actor,
        AuditAction.UPDATE,
        locked,
        {
            "voided": [None, reason],
            "subsidy_yuan": [str(locked.subsidy_yuan), "0.00"],
            "self_pay_yuan": [str(locked.self_pay_yuan), "0.00"],
        },
    )
    return locked
