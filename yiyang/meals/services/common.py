"""Plumbing shared by the meal services: scope checks, money, the elder's usable status,
the meal an order or a counter record is about."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.elders.choices import ElderStatus
from yiyang.elders.models import Elder
from yiyang.meals.models import Canteen, Dish
from yiyang.meals.permissions import covers_canteen, is_family

CENT = Decimal("0.01")
# Elders who can no longer be served (the card of a deceased or moved-out elder).
UNSERVABLE = {
    ElderStatus.DECEASED: gettext_lazy("This elder is recorded as deceased."),
    ElderStatus.MOVED_OUT: gettext_lazy("This elder has moved out of the city."),
    ElderStatus.DUPLICATE: gettext_lazy("This is a duplicate record: use the elder's kept record."),
}


@dataclass(frozen=True)
class MealOrder:
    """One meal asked for: at which canteen, for whom, on which day and meal-time, dine in,
    pick up or delivery, and which dish (None: the day's default)."""

    canteen: Canteen
    elder: Elder
    day: datetime.date
    meal: str
    mode: str
    dish: Dish | None = None


def require_canteen(actor: Actor, permission: Permission, canteen: Canteen) -> None:
    """The permission, and the canteen in the actor's jurisdiction (404 otherwise)."""
    require_perm(actor, permission)
    if not covers_canteen(actor, canteen):
        raise Http404


def require_elder(actor: Actor, elder: Elder) -> None:
    """Booking for an elder: family their linked elders (with consent), others their
    jurisdiction's elders, a canteen's staff any elder at their counter."""
    if is_family(actor):
        if not actor.scope.covers_elder(elder_id=elder.pk, division_code=elder.division_code):
            raise Http404
        return
    if actor.scope.organisation_ids is not None and actor.scope.division_prefix is None:
        return  # a canteen's staff book at their own canteen (checked by the caller)
    if not actor.scope.covers(division_code=elder.division_code, organisation_id=None):
        raise Http404


def elder_problem(elder: Elder) -> str | None:
    message = UNSERVABLE.get(ElderStatus(elder.status))
    return str(message) if message else None


def money(value: Any, field: str, errors: dict[str, str]) -> Decimal | None:
    """A non-negative amount in yuan with at most two decimals, or an error on ``field``."""
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors[field] = _("Not an amount of money.")
        return None
    if not amount.is_finite() or amount < 0:
        errors[field] = _("An amount cannot be negative.")
        return None
    if amount != amount.quantize(CENT):
        errors[field] = _("At most two decimals (fen).")
        return None
    if amount >= Decimal("10000"):
        errors[field] = _("Too large for a meal.")
        return None
    return amount


def raise_if(errors: dict[str, str]) -> None:
    if errors:
        raise ValidationError(errors)
