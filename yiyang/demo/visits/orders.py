"""The demo's orders and care plans, with their visits and payer split."""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field
from decimal import Decimal

from yiyang.accounts.models import User
from yiyang.core.models import Division
from yiyang.demo.visits.data import PLAN_SHAPES, _aware, _t
from yiyang.elders.choices import ElderStatus, Relation
from yiyang.elders.models import Elder
from yiyang.organisations.models import Organisation
from yiyang.services.models import Caregiver, ServiceItem
from yiyang.visits.choices import (
    OrderStatus,
    PlacedVia,
)
from yiyang.visits.models import (
    Order,
    Visit,
)
from yiyang.visits.services import monthly_allowance, plan_dates
from yiyang.visits.services.payers import ltc_covers, shares_of


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


def _split(
    price: Decimal, monthly: Decimal | None, per_month: int, covered: bool
) -> tuple[Decimal, ...]:
    """The one rule's shares (``visits.services.payers``), with the elder's monthly
    entitlement spread over the month's visits of about three orders (the bulk build
    cannot count what earlier orders used, as the order service does)."""
    room = (monthly / per_month).quantize(Decimal("1"), "ROUND_FLOOR") if monthly else Decimal(0)
    return shares_of(price.quantize(Decimal("0.01")), covered, room)


_ALLOWANCE: dict[int, Decimal | None] = {}


@dataclass
class _Plan:
    order: Order
    item: ServiceItem
    elder: Elder
    visits: list[Visit] = field(default_factory=list)
    regular: list[Caregiver] = field(default_factory=list)


def _plan(
    rng: random.Random,
    elder: Elder,
    provider: Organisation,
    item: ServiceItem,
    starts_on: datetime.date,
    ends_on: datetime.date,
    weekdays: list[int],
    start: datetime.time,
    end: datetime.time,
    prices: dict[tuple[int, int], Decimal],
    users: dict[str, User],
    kind: str,
) -> _Plan:
    price = prices[(provider.pk, item.pk)]
    dates = plan_dates(starts_on=starts_on, ends_on=ends_on, weekdays=weekdays)
    per_month = max(1, round(len(dates) * 30 / max((ends_on - starts_on).days + 1, 30)))
    if elder.pk not in _ALLOWANCE:
        _ALLOWANCE[elder.pk] = monthly_allowance(elder, starts_on) if elder.ability_level else None
    monthly = _ALLOWANCE[elder.pk]
    allowance, ltc, self_pay = _split(price, monthly, per_month * 3, ltc_covers(elder, item))
    via = rng.choice([PlacedVia.COMMUNITY_WORKER] * 3 + [PlacedVia.FAMILY, PlacedVia.CALL_CENTRE])
    placer = {
        PlacedVia.COMMUNITY_WORKER: "community_worker",
        PlacedVia.FAMILY: "",
        PlacedVia.CALL_CENTRE: "operator",
    }[via]
    placed_at = _aware(starts_on - datetime.timedelta(days=rng.randint(1, 6)), _t("10:00"))
    order = Order(
        elder=elder,
        division_code=elder.division_code,
        provider=provider,
        item=item,
        kind=kind,
        placed_via=via,
        placed_by=users.get(placer),
        placed_by_username=placer,
        relation=Relation.CHILD if via == PlacedVia.FAMILY else "",
        starts_on=starts_on,
        ends_on=ends_on,
        weekdays=weekdays,
        window_start=start,
        window_end=end,
        price=price,
        allowance_yuan=allowance,
        ltc_yuan=ltc,
        self_pay_yuan=self_pay,
        note=rng.choice(["", "", "老人听力不好，请多敲几次门。", "楼道无电梯，住六楼。"]),
        status=OrderStatus.ACTIVE,
        created_at=placed_at,
        updated_at=placed_at,
    )
    plan = _Plan(order=order, item=item, elder=elder)
    for day in dates:
        plan.visits.append(
            Visit(
                elder=elder,
                division_code=elder.division_code,
                provider=provider,
                item=item,
                date=day,
                window_start=_aware(day, start),
                window_end=_aware(day, end),
                standard_minutes=item.standard_minutes,
                needs_two=item.two_caregivers,
                price=price,
                allowance_yuan=allowance,
                ltc_yuan=ltc,
                self_pay_yuan=self_pay,
                created_at=placed_at,
                updated_at=placed_at,
            )
        )
    return plan
