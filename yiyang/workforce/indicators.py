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

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from yiyang.core.indicator_figures import Condition, ShareOf, SumOf
from yiyang.core.indicators import (
    AREA_LEVELS,
    Category,
    Indicator,
    IndicatorValue,
    Period,
    divisions_key,
    indicator,
    joined,
    ratios,
    register,
    register_breakdown,
    scope_q,
    shared,
    sum_by_code,
)
from yiyang.core.models import Division
from yiyang.services.choices import Qualification
from yiyang.services.indicators import caregiver_counts, caregivers
from yiyang.workforce.choices import LeaveReason, SkillLevel
from yiyang.workforce.models import Employment, Enrolment, SubsidyEntitlement
from yiyang.workforce.rules import TRANSFER, month_ends

CODE = "provider__division__code"
LEVEL_4_OR_ABOVE = ("1", "2", "3", "4")


def window_start(period: Period) -> datetime.date:
    """The first day of the 12 months ending with the period."""
    return datetime.date(period.end.year - 1, period.end.month, 1)


def share_of_caregivers(condition: Condition) -> ShareOf:
    """The period's caregivers meeting ``condition`` as a share of them all (as the
    indicator Caregivers counts them)."""
    return ShareOf(caregivers, condition, code_field=CODE)


def certified(period: Period) -> Q:
    """Holding an elder-care worker certificate valid on the reference day."""
    day = period.as_of
    return Q(
        Q(certificates__expires_on__isnull=True) | Q(certificates__expires_on__gte=day),
        certificates__qualification=Qualification.ELDER_CARE_WORKER,
    )


@indicator(
    code="caregiver_turnover",
    name=_("Caregiver turnover (12 months)"),
    unit="percent",
    category=Category.WORKFORCE,
    order=74,
    direction="lower",
    definition=_(
        "Caregivers who left their employer in the 12 months ending with the period "
        "(numerator; a move to another care employer is not counted) over the average "
        "headcount, the mean of the 12 month-end headcounts (denominator), x 100. Counted "
        "where the employer is registered."
    ),
)
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


indicator(
    code="caregivers_certified",
    name=_("Caregivers holding a valid certificate"),
    unit="percent",
    category=Category.WORKFORCE,
    order=75,
    definition=_(
        "Caregivers (as counted by the indicator Caregivers; denominator) holding an "
        "elder-care worker certificate valid on the reference day (numerator), x 100."
    ),
)(share_of_caregivers(certified))

indicator(
    code="caregivers_level_4_plus",
    name=_("Caregivers at skill level 4 or above"),
    unit="percent",
    category=Category.WORKFORCE,
    order=76,
    definition=_(
        "Caregivers (denominator, as counted by the indicator Caregivers) whose national "
        "occupational skill level (养老护理员, 2019 standard) is level 4 (intermediate) or "
        "higher (numerator), x 100."
    ),
)(share_of_caregivers(Q(employment__person__skill_level__in=LEVEL_4_OR_ABOVE)))


@indicator(
    code="training_hours_per_caregiver",
    name=_("Training hours per caregiver (12 months)"),
    unit="hours_per_head",
    category=Category.WORKFORCE,
    order=77,
    definition=_(
        "Training hours credited at sessions attended in the 12 months ending with the "
        "period (numerator, counted where the employer at enrolment is registered) over the "
        "caregivers counted by the indicator Caregivers (denominator); none where there are "
        "no caregivers."
    ),
)
def training_hours_per_caregiver(period: Period, divisions: Sequence[Division]) -> dict[int, Any]:
    start = window_start(period)
    attended = Enrolment.objects.filter(
        attended_at__date__gte=start, attended_at__date__lt=period.end
    )
    hours = sum_by_code(attended, CODE, divisions, "hours")
    # A mean over people: "—" where there is nobody to divide by, like a share.
    return ratios(divisions, hours, caregiver_counts(period, divisions), scale=1)


indicator(
    code="caregiver_subsidies",
    name=_("Caregiver subsidies due in the month"),
    unit="yuan",
    category=Category.WORKFORCE,
    order=78,
    definition=_(
        "Entry and post subsidies the rules entitle caregivers to for the month (one per "
        "person, kind and month), counted where the employer paying them is registered."
    ),
)(SumOf(lambda period: SubsidyEntitlement.objects.filter(month=period.start), "amount", CODE))


# ---- the skill-level mix: one share per level of the 2019 standard (and none recorded),
# all from one grouped query of the caregivers by level and employer's division.

NO_LEVEL = "none"


def _levels(period: Period, divisions: Sequence[Division]) -> dict[str, dict[str, int]]:
    rows = (
        caregivers(period)
        .filter(scope_q(CODE, divisions))
        .order_by()
        .values_list("employment__person__skill_level", CODE)
        .annotate(n=Count("pk"))
    )
    found: dict[str, dict[str, int]] = defaultdict(dict)
    for level, code, n in rows:
        by_code = found[level or NO_LEVEL]
        by_code[code] = by_code.get(code, 0) + n
    return found


def _register_level(level: str, label: Any, position: int) -> None:
    def compute(period: Period, divisions: Sequence[Division]) -> dict[int, IndicatorValue]:
        found = shared(
            ("workforce_levels", period, divisions_key(divisions)),
            lambda: _levels(period, divisions),
        )
        return ratios(divisions, found.get(level, {}), caregiver_counts(period, divisions))

    register(
        Indicator(
            code=f"caregivers_skill_{level}",
            name=joined(_("Caregivers by skill level:"), label),
            unit="percent",
            category=Category.WORKFORCE,
            order=80 + position,
            levels=AREA_LEVELS,
            direction="higher" if level != NO_LEVEL else "lower",
            definition=joined(
                _(
                    "Caregivers (denominator, as counted by the indicator Caregivers) whose "
                    "national occupational skill level (养老护理员, 2019 standard) is the one "
                    "named (numerator), x 100; the levels and none recorded add up to 100."
                ),
                label,
            ),
            compute=compute,
        )
    )


for _position, _choice in enumerate(SkillLevel):
    _register_level(_choice.value, _choice.label, _position)
_register_level(NO_LEVEL, _("no level recorded"), len(SkillLevel))


def _leavers(period: Period) -> Any:
    return Employment.objects.filter(
        left_on__gte=window_start(period), left_on__lt=period.end
    ).exclude(leave_reason="")


register_breakdown(
    family="caregiver_leavers",
    choices=LeaveReason,
    records=_leavers,
    key_field="leave_reason",
    code_field=CODE,
    name=_("Caregivers who left their employer (12 months):"),
    definition=_(
        "Caregivers whose employment ended in the 12 months ending with the period, by the "
        "reason for leaving, counted where the employer is registered (a move to another "
        "care employer is listed, though the turnover rate leaves it out):"
    ),
    category=Category.WORKFORCE,
    order=90,
)
