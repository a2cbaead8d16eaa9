"""Ability assessment: the share of registered elders with a valid assessment, the level
mix by GB/T 42195-2022, assessments finalised and assessments overdue.

An elder counts as assessed in a month when a final GB/T 42195 assessment was finalised
before the month's end and was still valid on its reference day. The level mix counts
each elder's assessment in force (the latest final one) by its final level.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext_lazy as _

from yiyang.assessments.choices import AssessmentStatus
from yiyang.assessments.models import Assessment
from yiyang.assessments.scoring import ENGINE_GBT42195
from yiyang.core.indicator_figures import CountOf, ShareOf
from yiyang.core.indicators import Category, Period, indicator, joined
from yiyang.elders.choices import AbilityLevel
from yiyang.elders.indicators import registered

FINALISED = (AssessmentStatus.FINAL, AssessmentStatus.SUPERSEDED)


def finalised(period: Period) -> QuerySet[Assessment]:
    return Assessment.objects.filter(
        instrument__engine=ENGINE_GBT42195,
        status__in=FINALISED,
        finalised_at__lt=period.end_dt(),
    )


def valid(period: Period) -> QuerySet[Assessment]:
    return finalised(period).filter(valid_until__gte=period.as_of)


def in_force(period: Period) -> QuerySet[Assessment]:
    """Each elder's latest final assessment as of the period's end."""
    later = finalised(period).filter(
        elder=OuterRef("elder"), finalised_at__gt=OuterRef("finalised_at")
    )
    return finalised(period).filter(~Exists(later))


indicator(
    code="assessed_share",
    name=_("Registered elders with a valid assessment"),
    unit="percent",
    category=Category.ASSESSMENT,
    order=30,
    headline=True,
    definition=_(
        "Registered elders with a final GB/T 42195-2022 ability assessment still valid on the "
        "reference day (numerator) divided by registered elders (denominator)."
    ),
)(ShareOf(registered, lambda period: Exists(valid(period).filter(elder=OuterRef("pk")))))


def _level(index: int, level: AbilityLevel) -> None:
    indicator(
        code=f"assessed_level_{index}",
        name=joined(_("Assessed elders:"), level.label),
        unit="people",
        category=Category.ASSESSMENT,
        order=31 + index,
        definition=joined(
            _("Elders whose assessment in force (the latest final one) found this level:"),
            level.label,
        ),
    )(CountOf(lambda period: in_force(period).filter(final_level=index)))


for _index, _level_choice in enumerate(AbilityLevel):
    _level(_index, _level_choice)


indicator(
    code="assessments_finalised",
    name=_("Assessments finalised"),
    unit="count",
    category=Category.ASSESSMENT,
    order=36,
    definition=_("GB/T 42195-2022 assessments finalised in the month."),
)(CountOf(lambda period: finalised(period).filter(finalised_at__gte=period.start_dt())))

indicator(
    code="assessments_overdue",
    name=_("Assessments overdue"),
    unit="count",
    category=Category.ASSESSMENT,
    order=37,
    direction="lower",
    definition=_(
        "Elders whose assessment in force had expired by the reference day (re-assessment overdue)."
    ),
)(CountOf(lambda period: in_force(period).filter(valid_until__lt=period.as_of)))
