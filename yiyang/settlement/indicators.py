"""Settlement's figures for the city's catalogue: money held and withheld on the month's
statements (by the elder's division), how many providers score a high fraud risk, and the
caregivers' subsidies paid (by the employer's division)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Count, F, Q
from django.utils.translation import gettext_lazy as _

from yiyang.core.indicator_rows import count_each, sum_each
from yiyang.core.indicators import (
    Category,
    Period,
    counts,
    indicator,
    scope_q,
)
from yiyang.core.models import Division
from yiyang.settlement.choices import PAYEE_KINDS, LineStatus, StatementStatus
from yiyang.settlement.models import RiskScore, StatementLine

HIGH_RISK = 50


def _lines(period: Period) -> Any:
    """The month's lines for elders' services (caregivers' subsidies are counted apart)."""
    return StatementLine.objects.filter(
        statement__month__gte=period.start, statement__month__lt=period.end
    ).exclude(source_kind__in=PAYEE_KINDS)


def _subsidies_paid(period: Period) -> Any:
    return StatementLine.objects.filter(
        statement__month__gte=period.start,
        statement__month__lt=period.end,
        statement__status=StatementStatus.PAID,
        source_kind__in=PAYEE_KINDS,
        payable_yuan__gt=0,
    )


@indicator(
    code="settlement_held_yuan",
    name=_("Allowance held on statements"),
    unit="yuan",
    category=Category.HOME_CARE,
    order=90,
    direction="lower",
    definition=_(
        "Allowance claimed on the month's statements on lines still held for review, "
        "by the elder's division."
    ),
)
def held_yuan(period: Period, divisions: Sequence[Division]) -> dict[int, Any]:
    return sum_each(divisions, _lines(period).filter(status=LineStatus.HELD), F("allowance_yuan"))


@indicator(
    code="settlement_withheld_yuan",
    name=_("Allowance reduced or rejected"),
    unit="yuan",
    category=Category.HOME_CARE,
    order=91,
    direction="lower",
    definition=_(
        "Allowance claimed on the month's statements that reviewers reduced or "
        "rejected (claimed minus paid), by the elder's division."
    ),
)
def withheld_yuan(period: Period, divisions: Sequence[Division]) -> dict[int, Any]:
    queryset = _lines(period).filter(Q(status=LineStatus.REDUCED) | Q(status=LineStatus.REJECTED))
    return sum_each(divisions, queryset, F("allowance_yuan") - F("payable_yuan"))


@indicator(
    code="settlement_high_risk_providers",
    name=_("Providers at high fraud risk"),
    unit="count",
    category=Category.HOME_CARE,
    order=92,
    direction="lower",
    definition=_(
        "Providers whose fraud risk score for the month is 50 or more (of 100), by "
        "the provider's division."
    ),
)
def high_risk_providers(period: Period, divisions: Sequence[Division]) -> dict[int, Any]:
    queryset = RiskScore.objects.filter(
        month__gte=period.start, month__lt=period.end, caregiver__isnull=True, score__gte=HIGH_RISK
    )
    return count_each(divisions, queryset)


@indicator(
    code="caregiver_subsidies_paid",
    name=_("Caregiver subsidies paid for the month"),
    unit="yuan",
    category=Category.WORKFORCE,
    order=79,
    definition=_(
        "Caregivers' entry and post subsidies for the month on statements the "
        "treasury has paid (what was paid after review), by the division of the "
        "employer they were paid through."
    ),
)
def caregiver_subsidies_paid(period: Period, divisions: Sequence[Division]) -> dict[int, Any]:
    return sum_each(divisions, _subsidies_paid(period), F("payable_yuan"))


@indicator(
    code="caregiver_subsidies_paid_people",
    name=_("Caregivers paid a subsidy for the month"),
    unit="people",
    category=Category.WORKFORCE,
    order=79,
    definition=_(
        "Caregivers with an entry or post subsidy for the month on statements the "
        "treasury has paid, each once, by the division of the employer they were "
        "paid through."
    ),
)
def caregiver_subsidies_paid_people(
    period: Period, divisions: Sequence[Division]
) -> dict[int, Any]:
    rows = (
        _subsidies_paid(period)
        .filter(scope_q("division_code", divisions))
        .order_by()
        .values_list("division_code")
        .annotate(n=Count("person_id", distinct=True))
    )
    return counts(divisions, dict(rows))
