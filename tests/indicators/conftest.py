"""Hand-made records for indicator tests, written straight to the tables (the indicators
read records; how records are made is tested by their own apps)."""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal
from typing import Any

from django.utils import timezone

from yiyang.core.indicators import IndicatorValue, Period, catalogue
from yiyang.core.models import Division
from yiyang.elders.models import Elder

_seq = itertools.count(1)


def years_ago(years: int, today: datetime.date | None = None) -> datetime.date:
    today = today or timezone.localdate()
    return today.replace(year=today.year - years, day=1) - datetime.timedelta(days=1)


def elder(community: Division, age: int = 70, **values: Any) -> Elder:
    n = next(_seq)
    values.setdefault("birth_date", years_ago(age))
    return Elder.objects.create(
        name=f"老人{n}",
        name_initials="LR",
        id_number_ciphertext="x",
        id_number_hash=f"h{n}",
        id_number_masked="x",
        sex="female",
        community=community,
        division_code=community.code,
        **values,
    )


def this_month() -> Period:
    return Period.of(timezone.localdate())


def compute(code: str, *divisions: Division, period: Period | None = None) -> list[Any]:
    """The indicator's values for the divisions, in the order given (None shown as None)."""
    values = catalogue()[code].compute(period or this_month(), list(divisions))
    return [plain(values[d.pk]) for d in divisions]


def plain(value: IndicatorValue) -> Any:
    if value.value is None:
        return None
    return int(value.value) if value.value == value.value.to_integral_value() else value.value


def dec(text: str) -> Decimal:
    return Decimal(text)


def service_item(city: Division, code: str = "JW03", category: str = "cleaning") -> Any:
    from yiyang.services.models import ServiceItem

    return ServiceItem.objects.create(
        city=city,
        category=category,
        code=code,
        name=code,
        unit="visit",
        standard_minutes=60,
        standard_price=Decimal("50.00"),
    )


def visit(person: Elder, provider: Any, item: Any, day: datetime.date, **values: Any) -> Any:
    """A visit (and its one-off order) on ``day`` from 10:00 to 12:00."""
    from yiyang.visits.models import Order, Visit

    money = {
        "price": Decimal(50),
        "allowance_yuan": Decimal(0),
        "ltc_yuan": Decimal(0),
        "self_pay_yuan": Decimal(50),
    }
    order = Order.objects.create(
        elder=person,
        division_code=person.division_code,
        provider=provider,
        item=item,
        kind="one_off",
        placed_via="community_worker",
        starts_on=day,
        ends_on=day,
        window_start=datetime.time(10),
        window_end=datetime.time(12),
        **money,
    )
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))
    values.setdefault("status", "confirmed")
    return Visit.objects.create(
        order=order,
        elder=person,
        division_code=person.division_code,
        provider=provider,
        item=item,
        date=day,
        window_start=start,
        window_end=start + datetime.timedelta(hours=2),
        standard_minutes=60,
        **money,
        **values,
    )
