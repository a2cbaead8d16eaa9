"""The meal subsidy at the point of sale: which rule applies (the assessments app's
entitlements decide it, never a second set of rules), how much of the price it covers, and
the monthly cap when the city sets one."""

from __future__ import annotations

import calendar
import datetime
import time
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import Sum

from yiyang.assessments.choices import EntitlementKind, EntitlementUnit
from yiyang.assessments.models import EligibilityRule
from yiyang.assessments.services import entitlements_for
from yiyang.elders.models import Elder
from yiyang.meals.choices import MealMode
from yiyang.meals.models import ZERO, Canteen, Dish, ServedMeal


@dataclass
class Quote:
    """What a meal costs this elder here: price, the subsidy and the self-pay."""

    price: Decimal
    subsidy: Decimal
    self_pay: Decimal
    rule: EligibilityRule | None = None
    reasons: list[str] = field(default_factory=list)
    capped: bool = False


# The counter reads the eligibility rules on every meal; they change a few times a year.
# Each process keeps them for RULES_TTL seconds, and forgets them at once when a rule is
# saved or deleted in this process (receivers in apps.py); another process sees a change
# within RULES_TTL.
RULES_TTL = 30.0
_rules_cache: tuple[float, list[EligibilityRule]] | None = None


def active_rules() -> list[EligibilityRule]:
    """The eligibility rules in force, read at most every RULES_TTL seconds."""
    global _rules_cache
    cached = _rules_cache
    if cached is not None and time.monotonic() - cached[0] < RULES_TTL:
        return cached[1]
    rules = list(EligibilityRule.objects.filter(is_active=True).order_by("id"))
    _rules_cache = (time.monotonic(), rules)
    return rules


def forget_rules(**_kwargs: object) -> None:
    """Drop the cached rules (a rule was saved or deleted)."""
    global _rules_cache
    _rules_cache = None


def meal_subsidy_rule(
    *, elder: Elder, day: datetime.date, rules: list[EligibilityRule] | None = None
) -> tuple[EligibilityRule | None, list[str]]:
    """The per-meal meal-subsidy entitlement with the largest amount, and why it applies."""
    best: tuple[EligibilityRule | None, list[str]] = (None, [])
    if rules is None:
        rules = active_rules()
    for found in entitlements_for(elder=elder, today=day, rules=rules):
        rule = found.rule
        if (
            rule.entitlement != EntitlementKind.MEAL_SUBSIDY
            or rule.unit != EntitlementUnit.PER_MEAL
        ):
            continue
        if rule.amount_yuan is None:
            continue
        if best[0] is None or rule.amount_yuan > (best[0].amount_yuan or ZERO):
            best = (rule, found.reasons)
    return best


def monthly_cap() -> Decimal | None:
    cap = settings.MEAL_SUBSIDY_MONTHLY_CAP_YUAN
    return None if cap in (None, "") else Decimal(str(cap))


def _month_end(day: datetime.date) -> datetime.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def subsidy_spent(*, elder: Elder, day: datetime.date) -> Decimal:
    """The meal subsidy the elder received in the calendar month of ``day``."""
    total = ServedMeal.objects.filter(
        elder=elder, day__gte=day.replace(day=1), day__lte=_month_end(day), voided_at__isnull=True
    ).aggregate(total=Sum("subsidy_yuan"))["total"]
    return Decimal(total or ZERO)


def meal_price(*, canteen: Canteen, meal: str, mode: str, dish: Dish | None = None) -> Decimal:
    price = dish.price if dish is not None and dish.price is not None else canteen.price_of(meal)
    if mode == MealMode.DELIVERY:
        price += canteen.delivery_fee
    return Decimal(price)


def meal_quote(
    *,
    canteen: Canteen,
    elder: Elder,
    day: datetime.date,
    meal: str,
    mode: str = MealMode.DINE_IN,
    dish: Dish | None = None,
    rules: list[EligibilityRule] | None = None,
) -> Quote:
    """Price, subsidy and self-pay of one meal. The subsidy is the entitlement's amount,
    never more than the price, and never beyond the monthly cap (when set)."""
    price = meal_price(canteen=canteen, meal=meal, mode=mode, dish=dish)
    rule: EligibilityRule | None = None
    reasons: list[str] = []
    if canteen.subsidy_accepted:
        rule, reasons = meal_subsidy_rule(elder=elder, day=day, rules=rules)
    subsidy = min(rule.amount_yuan or ZERO, price) if rule is not None else ZERO
    capped = False
    cap = monthly_cap()
    if cap is not None and subsidy > 0:
        left = max(cap - subsidy_spent(elder=elder, day=day), ZERO)
        if left < subsidy:
            subsidy, capped = left, True
    if subsidy == 0:
        rule = None
    return Quote(price, subsidy, price - subsidy, rule, reasons, capped)
