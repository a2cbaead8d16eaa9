"""Bookings, served meals, standing orders and meal cards, each scoped to the actor."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Q, QuerySet

from yiyang.core.filtering import narrowed
from yiyang.core.lookups import get_or_404
from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.elders.choices import ElderStatus
from yiyang.elders.models import Elder
from yiyang.meals.choices import (
    BookingStatus,
    MealMode,
)
from yiyang.meals.models import (
    Booking,
    MealCard,
    ServedMeal,
    StandingOrder,
)
from yiyang.meals.permissions import is_family
from yiyang.meals.selectors.canteens import canteen_queryset


def bookable_elders(*, actor: Actor) -> QuerySet[Elder]:
    """Elders offered in a booking form: family their linked elders, others their
    jurisdiction's active elders (a canteen's staff identify elders at the counter)."""
    require_perm(actor, Permission.BOOK_MEALS)
    queryset = Elder.objects.filter(status=ElderStatus.ACTIVE).order_by("name", "id")
    if is_family(actor):
        return actor.scope.apply(queryset, elder_field="pk")
    if actor.scope.division_prefix is None:
        return queryset.none()
    return actor.scope.apply(queryset, division_code_field="division_code")


def bookable_elder_get(*, actor: Actor, external_id: uuid.UUID | str) -> Elder:
    """An elder the actor may book for: family their linked elders (with consent), a
    canteen's staff any elder of their canteens' cities (the elder at the counter), others
    the elders of their jurisdiction."""
    require_perm(actor, Permission.BOOK_MEALS)
    queryset = Elder.objects.select_related("community")
    if is_family(actor):
        queryset = actor.scope.apply(queryset, elder_field="pk")
    elif actor.scope.division_prefix is None:
        cities = {
            code[:4]
            for code in canteen_queryset(actor=actor).values_list("division_code", flat=True)
        }
        condition = Q(pk__in=[])
        for city in cities:
            condition |= Q(division_code__startswith=city)
        queryset = queryset.filter(condition)
    else:
        queryset = actor.scope.apply(queryset, division_code_field="division_code")
    return get_or_404(queryset, external_id=external_id)


def valid_cards_of(elders: QuerySet[Elder]) -> list[tuple[Elder, MealCard | None]]:
    """Each elder with their valid meal card (None: never issued or revoked)."""
    rows = list(elders)
    cards = {
        c.elder_id: c for c in MealCard.objects.filter(elder__in=rows, revoked_on__isnull=True)
    }
    return [(elder, cards.get(elder.pk)) for elder in rows]


def card_get_for_actor(*, actor: Actor, external_id: uuid.UUID | str) -> MealCard:
    """A valid card of an elder the actor may book for (printing it)."""
    require_perm(actor, Permission.BOOK_MEALS)
    elders = bookable_elders(actor=actor)
    queryset = MealCard.objects.filter(elder__in=elders, revoked_on__isnull=True)
    return get_or_404(queryset.select_related("elder"), external_id=external_id)


def _elder_rows(
    actor: Actor, queryset: QuerySet[Any], *, worker_fields: tuple[str, ...] = ()
) -> QuerySet[Any]:
    """Rows of elders' meals in the actor's reach: family their linked elders (with consent),
    couriers the deliveries assigned to them (``worker_fields``; served meals and standing
    orders are no courier's work), a canteen's staff their canteens, officers their
    divisions."""
    return actor.scope.apply(
        queryset,
        division_code_field="division_code",
        organisation_field="canteen__organisation_id",
        elder_field="elder_id",
        worker_fields=worker_fields,
    )


def booking_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[Booking]:
    require_perm(actor, Permission.VIEW_MEALS)
    queryset = _elder_rows(
        actor,
        Booking.objects.select_related("elder", "canteen__organisation", "dish"),
        worker_fields=("courier_id",),
    )
    return narrowed(
        queryset, filters, {"day": "day", "meal": "meal", "canteen": "canteen", "status": "status"}
    )


def booking_get_for_actor(*, actor: Actor, external_id: uuid.UUID | str) -> Booking:
    return get_or_404(booking_list(actor=actor), external_id=external_id)


def served_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[ServedMeal]:
    require_perm(actor, Permission.VIEW_MEALS)
    queryset = _elder_rows(
        actor, ServedMeal.objects.select_related("elder", "canteen__organisation")
    )
    return narrowed(queryset, filters, {"day": "day", "canteen": "canteen"})


def served_get_for_actor(*, actor: Actor, external_id: uuid.UUID | str) -> ServedMeal:
    return get_or_404(served_list(actor=actor), external_id=external_id)


def standing_order_list(*, actor: Actor) -> QuerySet[StandingOrder]:
    require_perm(actor, Permission.VIEW_MEALS)
    return _elder_rows(
        actor, StandingOrder.objects.select_related("elder", "canteen__organisation", "dish")
    )


def standing_order_get_for_actor(*, actor: Actor, external_id: uuid.UUID | str) -> StandingOrder:
    return get_or_404(standing_order_list(actor=actor), external_id=external_id)


def not_at_home(*, actor: Actor) -> QuerySet[Booking]:
    """Deliveries where the elder was not at home (for the community worker to follow)."""
    return booking_list(actor=actor).filter(
        status=BookingStatus.NOT_AT_HOME, mode=MealMode.DELIVERY
    )
