"""Settlement's figures for the city's catalogue: money held and withheld on the month's
statements (by the elder's division), how many providers score a high fraud risk, and the
caregivers' subsidies paid (by the employer's division)."""

from __future__ import annotations

from typing import Any

from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from yiyang.core.indicator_figures import CountOf, SumOf
from yiyang.core.indicators import Category, Period, indicator
from yiyang.settlement.choices import PAYEE_KINDS, LineStatus, StatementStatus
from yiyang.settlement.models import RiskScore, StatementLine

HIGH_RISK = 50


def _lines(period: Period) -> Any:
    """The month's lines for elders' services (caregivers' subsidies are counted apart)."""
    return StatementLine.objects.filter(
        statement__month__gte=period.start, statement__month__lt=period.end
    ).exclude(source_kind__in=PAYEE_KINDS)


def _lines_cut(period: Period) -> Any:
    """The month's lines that reviewers reduced or rejected."""
    return _lines(period).filter(Q(status=LineStatus.REDUCED) | Q(status=LineStatus.REJECTED))


def _providers_at_high_risk(period: Period) -> Any:
    """The providers' (not the caregivers') risk scores of the month at or over HIGH_RISK."""
    return RiskScore.objects.filter(
        month__gte=period.start, month__lt=period.end, caregiver__isnull=True, score__gte=HIGH_RISK
    )


def _subsidies_paid(period: Period) -> Any:
    return StatementLine.objects.filter(
        statement__month__gte=period.start,
        statement__month__lt=period.end,
        statement__status=StatementStatus.PAID,
        source_kind__in=PAYEE_KINDS,
        payable_yuan__gt=0,
    )


indicator(
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
)(SumOf(lambda period: _lines(period).filter(status=LineStatus.HELD), F("allowance_yuan")))

indicator(
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
)(SumOf(_lines_cut, F("allowance_yuan") - F("payable_yuan")))

indicator(
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
)(CountOf(_providers_at_high_risk))

indicator(
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
)(SumOf(_subsidies_paid, F("payable_yuan")))

indicator(
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
)(CountOf(_subsidies_paid, distinct="person_id"))
