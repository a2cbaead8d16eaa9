"""Settlement's figures for the city's catalogue: money held and withheld on the month's
statements (by the elder's division), and how many providers score a high fraud risk."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from yiyang.core.indicators import Category, Period, count_by_code, counts, indicator, sum_by_code
from yiyang.core.models import Division
from yiyang.settlement.choices import LineStatus
from yiyang.settlement.models import RiskScore, StatementLine

HIGH_RISK = 50


def _lines(period: Period) -> Any:
    return StatementLine.objects.filter(
        statement__month__gte=period.start, statement__month__lt=period.end
    )


@indicator(
    code="settlement_held_yuan", name=_("Allowance held on statements"), unit="yuan",
    category=Category.HOME_CARE, order=90, direction="lower",
    definition=_("Allowance claimed on the month's statements on lines still held for review, "
                 "by the elder's division."),
)  # fmt: skip
def held_yuan(period: Period, divisions: Sequence[Division]) -> dict[int, Any]:
    queryset = _lines(period).filter(status=LineStatus.HELD)
    return counts(divisions, sum_by_code(queryset, "division_code", divisions, F("allowance_yuan")))


@indicator(
    code="settlement_withheld_yuan", name=_("Allowance reduced or rejected"), unit="yuan",
    category=Category.HOME_CARE, order=91, direction="lower",
    definition=_("Allowance claimed on the month's statements that reviewers reduced or "
                 "rejected (claimed minus paid), by the elder's division."),
)  # fmt: skip
def withheld_yuan(period: Period, divisions: Sequence[Division]) -> dict[int, Any]:
    queryset = _lines(period).filter(Q(status=LineStatus.REDUCED) | Q(status=LineStatus.REJECTED))
    expression = F("allowance_yuan") - F("payable_yuan")
    return counts(divisions, sum_by_code(queryset, "division_code", divisions, expression))


@indicator(
    code="settlement_high_risk_providers", name=_("Providers at high fraud risk"), unit="count",
    category=Category.HOME_CARE, order=92, direction="lower",
    definition=_("Providers whose fraud risk score for the month is 50 or more (of 100), by "
                 "the provider's division."),
)  # fmt: skip
def high_risk_providers(period: Period, divisions: Sequence[Division]) -> dict[int, Any]:
    queryset = RiskScore.objects.filter(
        month__gte=period.start, month__lt=period.end, caregiver__isnull=True, score__gte=HIGH_RISK
    )
    return counts(divisions, count_by_code(queryset, "division_code", divisions))
