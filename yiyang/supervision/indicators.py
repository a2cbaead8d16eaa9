"""Supervision's figures in the city's catalogue: star-rated institutions against the
targets (10 five-star, 20 four-star, 20 three-star in the source texts), inspections done
against plan, open and overdue rectifications, fire-safety compliance, complaints received,
answered in time and closed with the complainant satisfied, evaluation scores.

Stock figures (levels in force, open rectifications) are read at the period's last day;
complaints belong to the month they were received; inspections count from 1 January of the
period's year to its end (the plan is yearly).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import F, Q, QuerySet
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from yiyang.core.indicator_figures import CountOf, ShareOf, SumShareOf
from yiyang.core.indicator_rows import count_share
from yiyang.core.indicators import Category, Period, indicator
from yiyang.core.models import Division
from yiyang.organisations.choices import OrganisationStatus
from yiyang.organisations.models import Organisation
from yiyang.supervision.choices import (
    EvaluationStatus,
    InspectionKind,
    InspectionResult,
    InspectionStatus,
    RatingChange,
    RatingStatus,
)
from yiyang.supervision.models import (
    Complaint,
    Inspection,
    Rating,
    RatingEvent,
    Rectification,
    ServiceEvaluation,
)

RATED = Category.INSTITUTIONS


def levels_in_force(period: Period) -> QuerySet[Rating]:
    """Published ratings valid at the period's last day and not suspended by then."""
    day = period.as_of
    suspended = RatingEvent.objects.filter(change=RatingChange.SUSPENDED, at__date__lte=day).values(
        "rating_id"
    )
    return Rating.objects.filter(
        status__in=[RatingStatus.PUBLISHED, RatingStatus.SUSPENDED],
        published_on__lte=day,
        valid_until__gte=day,
    ).exclude(pk__in=suspended)


def institutions(period: Period) -> QuerySet[Organisation]:
    return Organisation.objects.filter(
        kind__in=settings.SUPERVISION_INSPECTED_KINDS, status=OrganisationStatus.ACTIVE
    )


def _year_start(period: Period) -> datetime.date:
    return datetime.date(period.as_of.year, 1, 1)


@indicator(
    code="institutions_rated_3_plus_share",
    name=_("Institutions rated three stars or more"),
    unit="percent",
    category=RATED,
    order=140,
    definition=_(
        "Active care institutions whose published star level in force at the "
        "period's end is 3 or more (numerator), divided by active care institutions "
        "(denominator)."
    ),
)
def rated_3_plus(period: Period, divisions: Sequence[Division]) -> dict[int, Any]:
    return count_share(
        divisions,
        levels_in_force(period).filter(level__gte=3),
        institutions(period),
        denominator_code_field="division__code",
    )


def _level_count(level: int, target: int, order: int) -> None:
    indicator(
        code=f"institutions_{level}_star",
        unit="count",
        category=RATED,
        order=order,
        name=format_lazy(_("Institutions at {level} stars"), level=level),
        definition=format_lazy(
            _(
                "Care institutions whose published star level in force at "
                "the period's end is exactly {level}."
            ),
            level=level,
        ),
        default_target=lambda: Decimal(target),
    )(CountOf(lambda period: levels_in_force(period).filter(level=level)))


_level_count(5, 10, 141)
_level_count(4, 20, 142)
_level_count(3, 20, 143)


def inspections_due(period: Period) -> QuerySet[Inspection]:
    """Inspections due from 1 January to the period's end, not cancelled."""
    due = Inspection.objects.filter(due_on__gte=_year_start(period), due_on__lte=period.as_of)
    return due.exclude(status=InspectionStatus.CANCELLED)


def fire_inspections_done(period: Period) -> QuerySet[Inspection]:
    return Inspection.objects.filter(
        kind=InspectionKind.FIRE,
        status=InspectionStatus.DONE,
        done_at__date__gte=_year_start(period),
        done_at__date__lte=period.as_of,
    )


indicator(
    code="inspections_done_share",
    name=_("Safety inspections done against plan"),
    unit="percent",
    category=RATED,
    order=144,
    definition=_(
        "Inspections due from 1 January to the period's end that were done "
        "(numerator), divided by the inspections due in that span (denominator)."
    ),
)(ShareOf(inspections_due, Q(status=InspectionStatus.DONE)))

indicator(
    code="fire_safety_compliance",
    name=_("Fire-safety compliance"),
    unit="percent",
    category=RATED,
    order=145,
    default_target=lambda: Decimal(100),
    definition=_(
        "Fire-safety inspections done from 1 January to the period's end that "
        "passed (numerator), divided by those done (denominator)."
    ),
)(ShareOf(fire_inspections_done, Q(result=InspectionResult.PASSED)))


def rectifications_open(period: Period) -> QuerySet[Rectification]:
    """Rectification orders made by the period's end and not closed by then."""
    day = period.as_of
    return Rectification.objects.filter(created_at__date__lte=day).filter(
        Q(closed_at__isnull=True) | Q(closed_at__date__gt=day)
    )


def rectifications_made(period: Period) -> QuerySet[Rectification]:
    """Rectification orders made from 1 January to the period's end."""
    return Rectification.objects.filter(
        created_at__date__gte=_year_start(period), created_at__date__lte=period.as_of
    )


indicator(
    code="rectifications_overdue",
    name=_("Overdue rectification orders"),
    unit="count",
    category=RATED,
    order=146,
    direction="lower",
    definition=_("Rectification orders open at the period's end whose deadline had passed."),
)(CountOf(lambda period: rectifications_open(period).filter(deadline__lt=period.as_of)))

indicator(
    code="rectifications_open",
    name=_("Open rectification orders"),
    unit="count",
    category=RATED,
    order=146,
    direction="lower",
    definition=_(
        "Rectification orders made by the period's end and not closed by then, overdue or not."
    ),
)(CountOf(rectifications_open))

indicator(
    code="rectifications_closed_share",
    name=_("Rectification orders closed"),
    unit="percent",
    category=RATED,
    order=146,
    definition=_(
        "Rectification orders made from 1 January to the period's end and closed after "
        "re-inspection by the period's end (numerator), divided by the orders made in "
        "that span (denominator)."
    ),
)(
    ShareOf(
        rectifications_made,
        lambda period: Q(closed_at__isnull=False, closed_at__date__lte=period.as_of),
    )
)


def complaints(period: Period) -> QuerySet[Complaint]:
    return Complaint.objects.filter(
        received_at__gte=period.start_dt(), received_at__lt=period.end_dt()
    )


def complaints_closed_with_answer(period: Period) -> QuerySet[Complaint]:
    """Complaints closed in the period with the complainant's answer recorded."""
    return Complaint.objects.filter(
        closed_at__gte=period.start_dt(), closed_at__lt=period.end_dt(), satisfied__isnull=False
    )


indicator(
    code="complaints_received",
    name=_("Complaints received"),
    unit="count",
    category=Category.HOME_CARE,
    order=147,
    direction="lower",
    definition=_("Complaints entered in the register in the month, from every channel."),
)(CountOf(complaints))

indicator(
    code="complaints_answered_on_time_share",
    name=_("Complaints answered in time"),
    unit="percent",
    category=Category.HOME_CARE,
    order=148,
    definition=_(
        "Complaints received in the month and answered by their deadline in "
        "working days (numerator), divided by complaints received in the month "
        "(denominator); one still open counts against the share."
    ),
)(ShareOf(complaints, Q(answered_at__isnull=False, answered_at__lte=F("answer_by"))))

indicator(
    code="complaints_satisfied_share",
    name=_("Complainants satisfied at closure"),
    unit="percent",
    category=Category.HOME_CARE,
    order=148,
    definition=_(
        "Complaints closed in the month whose complainant said they were satisfied "
        "(numerator), divided by complaints closed in the month with the complainant's "
        "answer recorded (denominator); a closure without an answer counts in neither."
    ),
)(ShareOf(complaints_closed_with_answer, Q(satisfied=True)))

indicator(
    code="complaints",
    name=_("Complaints"),
    unit="count",
    category=Category.HOME_CARE,
    order=69,
    direction="lower",
    definition=_(
        "Complaints about visits received in the month (the register's complaints "
        "concerning a visit, from the family page or any other channel)."
    ),
)(
    CountOf(
        lambda period: complaints(period).filter(visit__isnull=False),
        provider_field="organisation_id",
    )
)


def evaluations_scored(period: Period) -> QuerySet[ServiceEvaluation]:
    """Evaluations of the period's year scored by its end."""
    return ServiceEvaluation.objects.filter(
        year=period.as_of.year, status=EvaluationStatus.SCORED, scored_at__lt=period.end_dt()
    )


indicator(
    code="service_evaluation_score",
    name=_("Evaluation score of purchased services"),
    unit="percent",
    category=Category.HOME_CARE,
    order=149,
    definition=_(
        "Points given by third-party evaluators in the period's year, up to its end "
        "(numerator), divided by the points the evaluated providers could have had "
        "(denominator), by the provider's division."
    ),
)(SumShareOf(evaluations_scored, F("total"), F("max_total")))
