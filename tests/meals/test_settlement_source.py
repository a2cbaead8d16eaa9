"""Served meals reach the monthly settlement through its registry of line sources: each
subsidised, not voided meal of the month becomes a payable line of the canteen's
organisation under its meal-only contract (the subsidy is what the city pays), billed once; the home-care allowance
cap does not hold meal lines (the counter applies the meal subsidy's own cap)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from tests.meals.conftest import Meals
from yiyang.core.permissions import Role
from yiyang.meals.selectors import BILLING_KIND
from yiyang.meals.services import meal_serve, served_meal_void
from yiyang.settlement import services as settlement
from yiyang.settlement.choices import LineStatus
from yiyang.settlement.models import StatementLine
from yiyang.settlement.sources import SOURCES


def _last_month_day(day: int) -> datetime.datetime:
    first = timezone.localdate().replace(day=1)
    last_month = (first - datetime.timedelta(days=1)).replace(day=day)
    return timezone.make_aware(datetime.datetime.combine(last_month, datetime.time(11, 45)))


def test_served_meals_are_a_registered_source_of_settlement_lines(meals: Meals) -> None:
    assert BILLING_KIND in SOURCES
    world = meals.world
    at = _last_month_day(10)
    kept = meal_serve(
        actor=meals.staff, canteen=meals.canteen, elder=meals.old, meal="lunch", at=at, now=at
    ).meal
    wrong = meal_serve(
        actor=meals.staff, canteen=meals.canteen, elder=meals.old, meal="dinner", at=at, now=at
    ).meal
    served_meal_void(actor=meals.staff, served=wrong, reason="扫错", now=at)
    meal_serve(
        actor=meals.staff, canteen=meals.canteen, elder=meals.young, meal="lunch", at=at, now=at
    )  # no subsidy: nothing to bill
    city = world.div["X"]
    finance = world.user[Role.FINANCE_OFFICER]
    month = at.date().replace(day=1)
    line = settlement.budget_line_create(
        actor=finance,
        city=city,
        source="city",
        year=month.year,
        purpose="meals",
        name="助餐补贴",
        amount_yuan="100000.00",
    )
    settlement.contract_create(
        actor=world.user[Role.DISTRICT_OFFICER],
        number="ZC-001",
        buyer=world.div["XA"],
        provider=meals.canteen.organisation,
        budget_line=line,
        starts_on=month - datetime.timedelta(days=30),
        ends_on=month + datetime.timedelta(days=90),
        cap_yuan="50000.00",
        prices={},
        areas=[world.div["XA1"]],
        scope="meals",
    )
    result = settlement.settle_month(actor=finance, month=month)
    lines = list(StatementLine.objects.filter(source_kind=BILLING_KIND))
    assert [(x.source_id, x.allowance_yuan, x.self_pay_yuan, x.status) for x in lines] == [
        (kept.pk, Decimal("5.00"), Decimal("10.00"), LineStatus.PAYABLE),
    ]
    assert lines[0].payable_yuan == Decimal("5.00")
    assert result.lines >= 1
    # Settled again (a draft is rebuilt): still one line for the meal.
    settlement.settle_month(actor=finance, month=month)
    assert StatementLine.objects.filter(source_kind=BILLING_KIND).count() == 1
