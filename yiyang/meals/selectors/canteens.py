"""Canteens in the actor's reach, their menus and dishes, couriers and delivery rounds."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from yiyang.accounts.models import User
from yiyang.core.lookups import get_or_404
from yiyang.core.permissions import Actor, Permission, Role, require_perm
from yiyang.elders.models import Elder
from yiyang.meals.choices import (
    ACTIVE_BOOKING,
    BookingStatus,
    MealMode,
)
from yiyang.meals.models import (
    Booking,
    Canteen,
    Dish,
    MenuItem,
)
from yiyang.meals.permissions import covers_canteen, is_family


def canteen_queryset(*, actor: Actor) -> QuerySet[Canteen]:
    """Canteens in the actor's jurisdiction (no permission check: for choices). Family
    logins see the canteens of their linked elders' districts (where they may book)."""
    base = Canteen.objects.select_related("organisation", "facility", "kitchen__organisation")
    if is_family(actor):
        codes = actor.scope.apply(Elder.objects.all(), elder_field="pk").values_list(
            "division_code", flat=True
        )
        districts = sorted({code[:6] for code in codes})
        if not districts:
            return base.none()
        condition = Q()
        for district in districts:
            condition |= Q(division_code__startswith=district)
        return base.filter(condition, is_active=True)
    return actor.scope.apply(
        base, division_code_field="division_code", organisation_field="organisation_id"
    )


def canteen_list(*, actor: Actor) -> QuerySet[Canteen]:
    require_perm(actor, Permission.VIEW_MEALS)
    return canteen_queryset(actor=actor)


def canteen_get_for_actor(*, actor: Actor, external_id: uuid.UUID | str) -> Canteen:
    require_perm(actor, Permission.VIEW_MEALS)
    return get_or_404(canteen_queryset(actor=actor), external_id=external_id)


def canteen_get_to_manage(*, actor: Actor, external_id: uuid.UUID | str) -> Canteen:
    """A canteen the actor manages (its menu, rounds, staff): the permission, then the
    canteen in the actor's jurisdiction (404 otherwise)."""
    require_perm(actor, Permission.MANAGE_CANTEENS)
    canteen = canteen_get_for_actor(actor=actor, external_id=external_id)
    if not covers_canteen(actor, canteen):
        raise Http404
    return canteen


def counter_canteen_get(*, actor: Actor, external_id: uuid.UUID | str) -> Canteen:
    """A canteen whose counter the actor runs (403 for a role that records no meals, 404
    for a canteen outside their organisation), checked before any elder is looked up."""
    require_perm(actor, Permission.RECORD_MEALS)
    return get_or_404(canteen_queryset(actor=actor), external_id=external_id)


def dish_get(*, canteen: Canteen, external_id: uuid.UUID | str | None) -> Dish | None:
    if not external_id:
        return None
    return get_or_404(dishes_of(canteen=canteen), external_id=external_id)


def menu_of(*, canteen: Canteen, start: datetime.date, days: int = 7) -> QuerySet[MenuItem]:
    """A canteen's menu for ``days`` days from ``start`` (a meal point shows its kitchen's)."""
    source = canteen.kitchen or canteen
    return (
        MenuItem.objects.filter(
            canteen=source, day__gte=start, day__lt=start + datetime.timedelta(days=days)
        )
        .select_related("dish")
        .order_by("day", "meal", "dish__name")
    )


def counter_dishes(*, canteens: list[Canteen], day: datetime.date) -> list[dict[str, Any]]:
    """The dishes on each canteen's menu for a day (a meal point's come from its kitchen),
    for the counter's dish choice: one query whatever the number of canteens."""
    source = {c.pk: (c.kitchen_id or c.pk) for c in canteens}
    items = (
        MenuItem.objects.filter(canteen_id__in=set(source.values()), day=day)
        .select_related("dish")
        .order_by("meal", "dish__name")
    )
    by_source: dict[int, list[MenuItem]] = {}
    for item in items:
        by_source.setdefault(item.canteen_id, []).append(item)
    return [
        {
            "canteen": c.external_id,
            "meal": item.meal,
            "id": item.dish.external_id,
            "name": item.dish.name,
        }
        for c in canteens
        for item in by_source.get(source[c.pk], [])
    ]


def bookable_dishes(
    *, canteens: list[Canteen], start: datetime.date, days: int = 7
) -> list[dict[str, Any]]:
    """The dishes a booking may choose: each canteen's menu (a meal point's from its
    kitchen) for ``days`` days from ``start``, with their labels, in one query."""
    source = {c.pk: (c.kitchen_id or c.pk) for c in canteens}
    items = (
        MenuItem.objects.filter(
            canteen_id__in=set(source.values()),
            day__gte=start,
            day__lt=start + datetime.timedelta(days=days),
            dish__is_active=True,
        )
        .select_related("dish")
        .order_by("day", "meal", "dish__name")
    )
    by_source: dict[int, list[MenuItem]] = {}
    for item in items:
        by_source.setdefault(item.canteen_id, []).append(item)
    return [
        {"canteen": c, "day": item.day, "meal": item.meal, "dish": item.dish}
        for c in canteens
        for item in by_source.get(source[c.pk], [])
    ]


def dishes_of(*, canteen: Canteen) -> QuerySet[Dish]:
    return Dish.objects.filter(canteen=canteen.kitchen or canteen, is_active=True)


def courier_choices(*, canteen: Canteen) -> QuerySet[User]:
    """Who may carry a canteen's deliveries: the active caregivers and managers of the
    canteen's organisation or of the operator running it."""
    orgs = [canteen.organisation_id]
    if canteen.organisation.operator_id:
        orgs.append(canteen.organisation.operator_id)
    return User.objects.filter(
        organisation_id__in=orgs,
        is_active=True,
        role__in=[Role.CAREGIVER, Role.PROVIDER_MANAGER],
    ).order_by("full_name", "username")


def delivery_rounds(*, canteen: Canteen, day: datetime.date, meal: str) -> dict[str, Any]:
    """A meal-time's delivery bookings: those waiting for a courier, and each courier's
    round in route order."""
    rows = (
        Booking.objects.filter(
            canteen=canteen, day=day, meal=meal, mode=MealMode.DELIVERY, status__in=ACTIVE_BOOKING
        )
        .select_related("elder", "courier")
        .order_by("courier_id", "route_position", "id")
    )
    waiting = [b for b in rows if b.courier_id is None and b.status == BookingStatus.BOOKED]
    rounds: dict[Any, list[Booking]] = {}
    for booking in rows:
        if booking.courier_id is not None:
            rounds.setdefault(booking.courier, []).append(booking)
    return {"waiting": waiting, "rounds": list(rounds.items())}


def meal_start(day: datetime.date, meal: str) -> datetime.datetime:
    hours, minutes = (int(part) for part in settings.MEAL_STARTS[meal].split(":"))
    naive = datetime.datetime.combine(day, datetime.time(hours, minutes))
    return timezone.make_aware(naive)
