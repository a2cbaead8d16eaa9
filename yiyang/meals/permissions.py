"""Who may act on which canteen or elder in meal assistance (one place, read by pages, the
API and the services)."""

from __future__ import annotations

from yiyang.core.permissions import Actor
from yiyang.meals.models import Canteen


def covers_canteen(actor: Actor, canteen: Canteen) -> bool:
    """Whether the canteen lies in the actor's jurisdiction (a canteen's staff: their
    organisation or one it operates; officers: their divisions)."""
    return actor.scope.covers(
        division_code=canteen.division_code, organisation_id=canteen.organisation_id
    )


def same_city(canteen: Canteen, division_code: str) -> bool:
    """The once-per-meal-time rule and the meal card are city-wide: a counter serves any
    elder of its city (GB/T 2260: the first four digits)."""
    return canteen.division_code[:4] == division_code[:4]


def is_family(actor: Actor) -> bool:
    """Whether the actor reaches elders by relation (a family member's linked elders), not
    by place: the scope says so (core.scoping)."""
    return actor.scope.elder_ids is not None
