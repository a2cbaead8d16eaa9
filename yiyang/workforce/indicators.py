"""The workforce's contribution to the city's catalogue.

Already defined by ``yiyang/services/indicators.py`` and not repeated here: the number of
caregivers (``caregivers``), caregivers per 1,000 elders against ``CAREGIVER_NORM_PER_1000``
(``caregivers_per_1000``), the gap in people against that norm (``caregiver_gap``) and the
certificates expiring within 30 days (``certificates_expiring``). The shares below divide by
the same caregivers (``services.indicators.caregivers``: active or on leave, registered
before the period's end), so every figure of the category counts the same people.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yiyang.core.indicators import (
    Category,
    IndicatorValue,
    Period,
    count_by_code,
    counts,
    indicator,
    ratios,
    rollup,
    scope_q,
    sum_by_code,
)
from yiyang.core.models import Division
from yiyang.services.choices import Qualification
from yiyang.services.indicators import caregiver_counts, caregivers
from yiyang.workforce.models import Employment, Enrolment, SubsidyEntitlement
from yiyang.workforce.rules import TRANSFER, month_ends

CODE = "provider__division__code"
LEVEL_4_OR_ABOVE = ("1", "2", "3", "4")


def window_start(period: Period) -> datetime.date:
    """The first day of the 12 months ending with the period."""
    return datetime.date(period.end.year - 1, period.end.month, 1)


@indicator(
    code="caregiver_turnover", name=_("Caregiver turnover (12 months)"), unit="percent",
    category=Category.WORKFORCE, order=74, direction="lower",
    definition=_(
        "Caregivers who left their employer in the 12 months ending with the period "
        "(numerator; a move to another care employer is not counted) over the average "
        "headcount, the mean of the 12 month-end headcounts (denominator), x 100. Counted "
        "where the employer is registered."
    ),
)  # fmt: skip
def caregiver_turnover(period: Period, divisions: Sequence[Division]) -> dict[int, Any]:
    start = window_start(period)
    ends = month_ends(start, 12)
    rows = (
        Employment.objects.filter(scope_q(CODE, divisions), hired_on__lte=ends[-1])
        .filter(Q(left_on__isnull=True) | Q(left_on__gte=start))
        .values_list(CODE, "hired_on", "left_on", "leave_reason")
    )
    leavers: dict[str, int] = defaultdict(int)
    heads: dict[str, Decimal] = defaultdict(Decimal)
    for code, hired, left, reason in rows.iterator():
        months = sum(hired <= day and (left is None or left >= day) for day in ends)
        heads[code] += Decimal(months) / 12
        if left is not None and start <= left <= ends[-1] and reason != TRANSFER:
            leavers[code] += 1
    return ratios(divisions, leavers, heads)


@indicator(
    code="caregivers_certified", name=_("Caregivers holding a valid certificate"),
    unit="percent", category=Category.WORKFORCE, order=75,
    definition=_(
        "Caregivers (as counted by the indicator Caregivers; denominator) holding an "
        "elder-care worker certificate valid on the reference day (numerator), x 100."
    ),
)  # fmt: skip
def caregivers_certified(period: Period, divisions: Sequence[Division]) -> dict[int, Any]:
    day = period.as_of
    certified = (
        caregivers(period)
        .filter(
            Q(certificates__expires_on__isnull=True) | Q(certificates__expires_on__gte=day),
            certificates__qualification=Qualification.ELDER_CARE_WORKER,
        )
        .distinct()
    )
    return ratios(divisions, count_by_code(certified, "provider__division__code", divisions),
                  caregiver_counts(period, divisions))  # fmt: skip


@indicator(
    code="caregivers_level_4_plus", name=_("Caregivers at skill level 4 or above"),
    unit="percent", category=Category.WORKFORCE, order=76,
    definition=_(
        "Caregivers (denominator, as counted by the indicator Caregivers) whose national "
        "occupational skill level (养老护理员, 2019 standard) is level 4 (intermediate) or "
        "higher (numerator), x 100."
    ),
)  # fmt: skip
def caregivers_level_4_plus(period: Period, divisions: Sequence[Division]) -> dict[int, Any]:
    skilled = caregivers(period).filter(employment__person__skill_level__in=LEVEL_4_OR_ABOVE)
    return ratios(divisions, count_by_code(skilled, "provider__division__code", divisions),
                  caregiver_counts(period, divisions))  # fmt: skip


@indicator(
    code="training_hours_per_caregiver", name=_("Training hours per caregiver (12 months)"),
    unit="hours", category=Category.WORKFORCE, order=77,
    definition=_(
        "Training hours credited at sessions attended in the 12 months ending with the "
        "period (numerator, counted where the employer at enrolment is registered) over the "
        "caregivers counted by the indicator Caregivers (denominator)."
    ),
)  # fmt: skip
def training_hours_per_caregiver(period: Period, divisions: Sequence[Division]) -> dict[int, Any]:
    start = window_start(period)
    attended = Enrolment.objects.filter(
        attended_at__date__gte=start, attended_at__date__lt=period.end
    )
    hours = sum_by_code(attended, CODE, divisions, "hours")
    top = rollup(divisions, hours)
    bottom = rollup(divisions, caregiver_counts(period, divisions))
    # An hours figure, not a share: a division without caregivers has 0 hours per head
    # (the catalogue shows "—" only for shares and rates).
    return {
        d.pk: IndicatorValue(
            (top[d.pk] / bottom[d.pk]).quantize(Decimal("0.01")) if bottom[d.pk] else Decimal(0),
            top[d.pk], bottom[d.pk],
        )
        for d in divisions
    }  # fmt: skip


@indicator(
    code="caregiver_subsidies", name=_("Caregiver subsidies due in the month"), unit="yuan",
    category=Category.WORKFORCE, order=78,
    definition=_(
        "Entry and post subsidies the rules entitle caregivers to for the month (one per "
        "person, kind and month), counted where the employer paying them is registered."
    ),
)  # fmt: skip
def caregiver_subsidies(period: Period, divisions: Sequence[Division]) -> dict[int, Any]:
    due = SubsidyEntitlement.objects.filter(month=period.start)
    return counts(divisions, sum_by_code(due, CODE, divisions, "amount"))
