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
from django.db.models import Count, F, Q, QuerySet
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from yiyang.core.indicator_rows import count_each, count_share, sum_share
from yiyang.core.indicators import (
    Category,
    Period,
    count_values,
    for_providers,
    indicator,
)
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
    def compute(period: Period, divisions: Sequence[Division]) -> dict[int, Any]:
        return count_each(divisions, levels_in_force(period).filter(level=level))

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
    )(compute)


_level_count(5, 10, 141)
_level_count(4, 20, 142)
_level_count(3, 20, 143)


@indicator(
    code="inspections_done_share",
    name=_("Safety inspections done against plan"),
    unit="percent",
    category=RATED,
    order=144,
    definition=_(
        "Inspections due from 1 January to the period's end that were done "
        "(numerator), divided by the inspections due in that span (denominator)."
    ),
)
def inspections_done(period: Period, divisions: Sequence[Division]) -> dict[int, Any]:
    due = Inspection.objects.filter(due_on__gte=_year_start(period), due_on__lte=period.as_of)
    due = due.exclude(status=InspectionStatus.CANCELLED)
    return count_share(divisions, due.filter(status=InspectionStatus.DONE), due)


@indicator(
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
)
def fire_compliance(period: Period, divisions: Sequence[Division]) -> dict[int, Any]:
    done = Inspection.objects.filter(
        kind=InspectionKind.FIRE,
        status=InspectionStatus.DONE,
        done_at__date__gte=_year_start(period),
        done_at__date__lte=period.as_of,
    )
    return count_share(divisions, done.filter(result=InspectionResult.PASSED), done)


@indicator(
    code="rectifications_overdue",
    name=_("Overdue rectification orders"),
    unit="count",
    category=RATED,
    order=146,
    direction="lower",
    definition=_("Rectification orders open at the period's end whose deadline had passed."),
)
def rectifications_overdue(period: Period, divisions: Sequence[Division]) -> dict[int, Any]:
    day = period.as_of
    open_then = Rectification.objects.filter(created_at__date__lte=day, deadline__lt=day).filter(
        Q(closed_at__isnull=True) | Q(closed_at__date__gt=day)
    )
    return count_each(divisions, open_then)


@indicator(
    code="rectifications_open",
    name=_("Open rectification orders"),
    unit="count",
    category=RATED,
    order=146,
    direction="lower",
    definition=_(
        "Rectification orders made by the period's end and not closed by then, overdue or not."
    ),
)
def rectifications_open(period: Period, divisions: Sequence[Division]) -> dict[int, Any]:
    day = period.as_of
    open_then = Rectification.objects.filter(created_at__date__lte=day).filter(
        Q(closed_at__isnull=True) | Q(closed_at__date__gt=day)
    )
    return count_each(divisions, open_then)


@indicator(
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
)
def rectifications_closed(period: Period, divisions: Sequence[Division]) -> dict[int, Any]:
    made = Rectification.objects.filter(
        created_at__date__gte=_year_start(period), created_at__date__lte=period.as_of
    )
    top = made.filter(closed_at__isnull=False, closed_at__date__lte=period.as_of)
    return count_share(divisions, top, made)


def complaints(period: Period) -> QuerySet[Complaint]:
    return Complaint.objects.filter(
        received_at__gte=period.start_dt(), received_at__lt=period.end_dt()
    )


@indicator(
    code="complaints_received",
    name=_("Complaints received"),
    unit="count",
    category=Category.HOME_CARE,
    order=147,
    direction="lower",
    definition=_("Complaints entered in the register in the month, from every channel."),
)
def complaints_received(period: Period, divisions: Sequence[Division]) -> dict[int, Any]:
    return count_each(divisions, complaints(period))


@indicator(
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
)
def complaints_on_time(period: Period, divisions: Sequence[Division]) -> dict[int, Any]:
    received = complaints(period)
    top = received.filter(answered_at__isnull=False, answered_at__lte=F("answer_by"))
    return count_share(divisions, top, received)


@indicator(
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
)
def complaints_satisfied(period: Period, divisions: Sequence[Division]) -> dict[int, Any]:
    closed = Complaint.objects.filter(
        closed_at__gte=period.start_dt(), closed_at__lt=period.end_dt(), satisfied__isnull=False
    )
    return count_share(divisions, closed.filter(satisfied=True), closed)


@indicator(
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
)
def visit_complaints(period: Period, divisions: Sequence[Division]) -> dict[int, Any]:
    return count_each(divisions, complaints(period).filter(visit__isnull=False))


@for_providers("complaints")
def visit_complaints_by_provider(period: Period, providers: Sequence[Any]) -> dict[int, Any]:
    keys = [p.pk for p in providers]
    rows = (
        complaints(period)
        .filter(visit__isnull=False, organisation_id__in=keys)
        .order_by()
        .values_list("organisation_id")
        .annotate(n=Count("pk"))
    )
    return count_values(keys, dict(rows))


@indicator(
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
)
def evaluation_score(period: Period, divisions: Sequence[Division]) -> dict[int, Any]:
    scored = ServiceEvaluation.objects.filter(
        year=period.as_of.year, status=EvaluationStatus.SCORED, scored_at__lt=period.end_dt()
    )
    return sum_share(divisions, scored, F("total"), F("max_total"))
