"""Caregivers against the norm, and certificates about to expire.

Caregivers count where their provider is registered, when active at the period's end and
registered before it (caregivers who left are marked ``left``; their leaving date is not
kept, so a rebuilt past month leaves out everyone who has left since).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from yiyang.core.indicator_figures import CountOf
from yiyang.core.indicators import (
    Category,
    IndicatorValue,
    Period,
    count_by_code,
    indicator,
    joined,
    quantise,
    rollup,
)
from yiyang.core.models import Division
from yiyang.organisations.indicators import BASE_NOTE, elder_base, per_1000_elders
from yiyang.services.choices import CaregiverStatus
from yiyang.services.models import Caregiver, Certificate

EXPIRY_DAYS = 30


def caregivers(period: Period) -> QuerySet[Caregiver]:
    return Caregiver.objects.filter(
        created_at__lt=period.end_dt(),
        status__in=[CaregiverStatus.ACTIVE, CaregiverStatus.ON_LEAVE],
    )


# Caregivers count where their provider is registered.
CODE = "provider__division__code"


def caregiver_counts(period: Period, divisions: Sequence[Division]) -> dict[str, int]:
    return count_by_code(caregivers(period), CODE, divisions)


def certificates_expiring_soon(period: Period) -> QuerySet[Certificate]:
    """Certificates of active caregivers expiring in the 30 days after the reference day."""
    day = period.as_of
    return Certificate.objects.filter(
        caregiver__in=caregivers(period).filter(status=CaregiverStatus.ACTIVE),
        expires_on__gte=day,
        expires_on__lte=day + datetime.timedelta(days=EXPIRY_DAYS),
    )


def norm() -> Decimal:
    return Decimal(settings.CAREGIVER_NORM_PER_1000)


indicator(
    code="caregivers",
    name=_("Caregivers"),
    unit="people",
    category=Category.WORKFORCE,
    order=70,
    headline=True,
    definition=_(
        "Caregivers (养老护理员) employed by the providers registered in the division, "
        "active or on leave."
    ),
)(CountOf(caregivers, code_field=CODE))


@indicator(
    code="caregivers_per_1000",
    name=_("Caregivers per 1,000 elders"),
    unit="per_1000",
    category=Category.WORKFORCE,
    order=71,
    definition=joined(
        _(
            "Caregivers (numerator) per 1,000 census residents of the base age (denominator), "
            "against the norm CAREGIVER_NORM_PER_1000 (5 by default)."
        ),
        BASE_NOTE,
    ),
    default_target=norm,
)
def caregivers_per_1000(period: Period, divisions: Sequence[Division]) -> dict[int, Any]:
    return per_1000_elders(divisions, caregiver_counts(period, divisions))


@indicator(
    code="caregiver_gap",
    name=_("Caregivers short of the norm"),
    unit="people",
    category=Category.WORKFORCE,
    order=72,
    direction="lower",
    definition=_(
        "Caregivers the norm asks for (CAREGIVER_NORM_PER_1000 per 1,000 census residents of "
        "the base age, rounded up; the denominator) minus the caregivers there are (the "
        "numerator); 0 when the norm is met."
    ),
    default_target=lambda: Decimal(0),
)
def caregiver_gap(period: Period, divisions: Sequence[Division]) -> dict[int, Any]:
    have = rollup(divisions, caregiver_counts(period, divisions))
    base = rollup(divisions, elder_base(divisions))
    result = {}
    for division in divisions:
        needed = (base[division.pk] * norm() / 1000).to_integral_value(rounding="ROUND_CEILING")
        gap = max(Decimal(0), needed - have[division.pk])
        result[division.pk] = IndicatorValue(quantise(gap), have[division.pk], needed)
    return result


indicator(
    code="certificates_expiring",
    name=_("Caregiver certificates expiring within 30 days"),
    unit="count",
    category=Category.WORKFORCE,
    order=73,
    direction="lower",
    definition=_(
        "Certificates of active caregivers that expire in the 30 days after the reference "
        "day (the month's last day, or today for the running month)."
    ),
)(CountOf(certificates_expiring_soon, code_field=f"caregiver__{CODE}"))
