"""The demo's orders and care plans, with their visits and payer split."""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field
from typing import Any

from yiyang.core.clock import clock_at
from yiyang.core.models import Division
from yiyang.core.permissions import SystemActor
from yiyang.core.scoping import Scope
from yiyang.demo.visits.data import PLAN_SHAPES, _aware, _t
from yiyang.elders.choices import ElderStatus
from yiyang.elders.models import Elder
from yiyang.organisations.models import Organisation
from yiyang.services.models import Caregiver, ServiceItem
from yiyang.visits.models import (
    Order,
    Visit,
)
from yiyang.visits.services import order_place


def _elders_for(rng: random.Random, area: Division, used: set[int], count: int) -> list[Elder]:
    elders = [
        e
        for e in Elder.objects.only(
            "id",
            "name",
            "lat",
            "lng",
            "division_code",
            "community_id",
            "ability_level",
            "economic_status",
            "status",
            "status_changed_on",
            "deceased_on",
            "birth_date",
        )
        .filter(
            division_code__startswith=area.code_prefix,
            status=ElderStatus.ACTIVE,
            lat__isnull=False,
            lng__isnull=False,
        )
        .order_by("id")
        if e.pk not in used
    ]
    # Elders assessed with a loss of ability come first: they are who home care is for.
    rng.shuffle(elders)
    elders.sort(key=lambda e: e.ability_level in ("", "intact"))
    chosen = elders[:count]
    used.update(e.pk for e in chosen)
    return chosen


def _plan_item(rng: random.Random, elder: Elder, offered: list[str]) -> str:
    heavy = elder.ability_level in ("severe", "complete")
    weights = {
        "ZY01": 3,
        "ZY02": 4 if heavy else 0,
        "ZJ01": 3,
        "ZJ02": 1,
        "HL01": 4 if heavy else 2,
        "HL02": 1 if heavy else 0,
        "HL03": 2,
        "ZYI03": 1,
        "JW01": 2,
        "JW03": 2,
        "ZC01": 2,
        "ZC02": 1,
        "KF02": 1,
        "ZX01": 1,
        "ZYI02": 1,
        "ZY03": 1,
    }
    choices = [c for c in offered if weights.get(c, 0) > 0 and c in PLAN_SHAPES]
    return rng.choices(choices, [weights[c] for c in choices])[0]


@dataclass
class _Plan:
    """An order to place (as the community worker or the call centre would have, a few
    days before it starts), then its visits and their regular caregivers."""

    order: dict[str, Any]
    placer: str
    placed_at: datetime.datetime
    item: ServiceItem
    elder: Elder
    placed: Order | None = None
    visits: list[Visit] = field(default_factory=list)
    regular: list[Caregiver] = field(default_factory=list)


def _plan(
    rng: random.Random,
    elder: Elder,
    provider: Organisation,
    item: ServiceItem,
    dates: tuple[datetime.date, datetime.date],
    weekdays: list[int],
    window: tuple[datetime.time, datetime.time],
) -> _Plan:
    starts_on, ends_on = dates
    placer = rng.choice(["community_worker"] * 3 + ["operator"])
    placed_at = _aware(starts_on - datetime.timedelta(days=rng.randint(1, 6)), _t("10:00"))
    order = {
        "elder": elder,
        "provider": provider,
        "item": item,
        "starts_on": starts_on,
        "ends_on": ends_on,
        "weekdays": weekdays,
        "window_start": window[0],
        "window_end": window[1],
        "note": rng.choice(["", "", "老人听力不好，请多敲几次门。", "楼道无电梯，住六楼。"]),
    }
    return _Plan(order=order, placer=placer, placed_at=placed_at, item=item, elder=elder)


def _place(plans: list[_Plan], city_prefix: str) -> None:
    """Place the orders through ``order_place``, each with the clock at the moment it was
    placed (so that its first date lies ahead, as the service requires): the payer split,
    the visits and the audit row are the service's own."""
    scope = Scope(division_prefix=city_prefix)
    placers = {
        role: SystemActor(scope, username=role, role=role)
        for role in ("community_worker", "operator")
    }
    for plan in sorted(plans, key=lambda p: p.placed_at):
        with clock_at(plan.placed_at):
            plan.placed = order_place(actor=placers[plan.placer], **plan.order)
    by_order = {p.placed.pk: p for p in plans if p.placed is not None}
    for visit in (
        Visit.objects.filter(order_id__in=list(by_order))
        .select_related("elder", "item")
        .order_by("window_start", "elder_id", "id")
    ):
        by_order[visit.order_id].visits.append(visit)
