"""Meal assistance in the city's catalogue: meals served (and delivered, late), the share
subsidised, the subsidy spent, distinct elders served, and the communities a canteen
delivers to.

Meals belong to the month of their day and to the elder's community (where the elder
lives, whichever canteen served them), so a district's figure counts its own elders.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from yiyang.core.choices import DivisionLevel
from yiyang.core.indicator_figures import CountOf, SumOf
from yiyang.core.indicator_rows import count_columns, covered_share, division_codes
from yiyang.core.indicators import (
    Category,
    Compute,
    IndicatorValue,
    Period,
    counts,
    divisions_key,
    indicator,
    ratios,
    scope_q,
    shared,
)
from yiyang.core.models import Division
from yiyang.meals.choices import BookingStatus, MealMode
from yiyang.meals.models import Booking, Canteen, ServedMeal
from yiyang.meals.selectors import safety_gaps_many


def served(period: Period) -> QuerySet[ServedMeal]:
    return ServedMeal.objects.filter(
        day__gte=period.start, day__lt=period.end, voided_at__isnull=True
    )


# The meals every count of the month is a column of: all, subsidised, delivered.
MEAL_COLUMNS: dict[str, Q | None] = {
    "all": None,
    "subsidised": Q(subsidy_yuan__gt=0),
    "delivered": Q(mode=MealMode.DELIVERY),
}


def _counts(period: Period, divisions: Sequence[Division]) -> dict[str, dict[str, int]]:
    """One grouped query for every meal count of the month, per elder's community code."""

    def compute() -> dict[str, dict[str, int]]:
        in_scope = served(period).filter(scope_q("division_code", divisions))
        return count_columns(in_scope, "division_code", MEAL_COLUMNS)

    return shared(("meals", period, divisions_key(divisions)), compute)


def meal_count(key: str) -> Compute:
    """The meals of one column of :func:`_counts` in each division."""

    def compute(period: Period, divisions: Sequence[Division]) -> dict[int, IndicatorValue]:
        return counts(divisions, _counts(period, divisions)[key])

    return compute


def meal_share(key: str) -> Compute:
    """The meals of one column of :func:`_counts` as a share of all meals served."""

    def compute(period: Period, divisions: Sequence[Division]) -> dict[int, IndicatorValue]:
        found = _counts(period, divisions)
        return ratios(divisions, found[key], found["all"])

    return compute


def late_deliveries(period: Period) -> QuerySet[Booking]:
    return Booking.objects.filter(
        day__gte=period.start, day__lt=period.end, status=BookingStatus.DELIVERED, is_late=True
    )


def canteens_opened(period: Period) -> QuerySet[Canteen]:
    """Canteens whose facility opened from 1 January of the period's year to its end."""
    end = period.as_of
    return Canteen.objects.filter(facility__opened_on__year=end.year, facility__opened_on__lte=end)


indicator(
    code="meals_served",
    name=_("Meals served to elders"),
    unit="count",
    category=Category.HOME_CARE,
    order=95,
    headline=True,
    definition=_(
        "Meals handed over at a canteen counter or delivered (老年助餐) in the "
        "period, counted where the elder lives."
    ),
)(meal_count("all"))

indicator(
    code="meals_subsidised_share",
    name=_("Meals with a meal subsidy"),
    unit="percent",
    category=Category.HOME_CARE,
    order=96,
    definition=_(
        "Meals served with a meal subsidy (numerator) over all meals served "
        "(denominator) in the period."
    ),
)(meal_share("subsidised"))

indicator(
    code="meals_delivered_share",
    name=_("Meals delivered to the home"),
    unit="percent",
    category=Category.HOME_CARE,
    order=97,
    definition=_("Meals delivered (numerator) over all meals served (denominator)."),
)(meal_share("delivered"))

indicator(
    code="meals_subsidy_spent",
    name=_("Meal subsidy spent"),
    unit="yuan",
    category=Category.HOME_CARE,
    order=98,
    definition=_("Meal subsidies granted at the counter or on delivery in the period."),
)(SumOf(served, "subsidy_yuan"))

indicator(
    code="meals_elders_served",
    name=_("Elders served meals"),
    unit="people",
    category=Category.HOME_CARE,
    order=99,
    definition=_("Distinct elders served at least one meal in the period."),
)(CountOf(served, distinct="elder_id"))

indicator(
    code="meals_late_deliveries",
    name=_("Late meal deliveries"),
    unit="count",
    category=Category.HOME_CARE,
    order=100,
    direction="lower",
    definition=_(
        "Deliveries handed over later than the meal's start plus "
        "YIYANG_MEAL_LATE_DELIVERY_MINUTES (60) in the period."
    ),
)(CountOf(late_deliveries))


@indicator(
    code="meals_canteen_coverage",
    name=_("Communities a canteen serves"),
    unit="percent",
    category=Category.COMMUNITY,
    order=56,
    definition=_(
        "Communities in the delivery area of at least one canteen or meal point "
        "in service (numerator) over all communities (denominator)."
    ),
)
def meals_canteen_coverage(period: Period, divisions: Sequence[Division]) -> dict[int, Any]:
    codes = division_codes(divisions, DivisionLevel.COMMUNITY)
    through = Canteen.delivery_area.through
    covered = set(
        through.objects.filter(canteen__is_active=True, canteen__created_at__date__lte=period.as_of)
        .filter(scope_q("division__code", divisions))
        .values_list("division__code", flat=True)
    )
    return covered_share(divisions, codes, covered)


indicator(
    code="meals_canteens_opened",
    name=_("Canteens and meal points opened this year"),
    unit="count",
    category=Category.COMMUNITY,
    order=57,
    definition=_(
        "Canteens and meal points serving meals whose facility opened between 1 "
        "January of the period's year and its end (the texts' target: 50 a year)."
    ),
)(CountOf(canteens_opened))


@indicator(
    code="meals_safety_complete",
    name=_("Canteens with complete food-safety records"),
    unit="percent",
    category=Category.COMMUNITY,
    order=58,
    definition=_(
        "Canteens and meal points in service with no gap in their food-safety "
        "records at the period's end: a sample retained (留样) each opening day of "
        "the last week, that day's storage temperature, valid health certificates "
        "and an inspection passed within six months (numerator), over all of them."
    ),
)
def meals_safety_complete(period: Period, divisions: Sequence[Division]) -> dict[int, Any]:
    canteens = list(
        Canteen.objects.filter(scope_q("division_code", divisions), is_active=True).only(
            "id", "division_code", "opening_days"
        )
    )
    gaps = safety_gaps_many(canteens=canteens, today=period.as_of)
    complete: dict[str, int] = {}
    total: dict[str, int] = {}
    for canteen in canteens:
        total[canteen.division_code] = total.get(canteen.division_code, 0) + 1
        if not gaps[canteen.pk]:
            complete[canteen.division_code] = complete.get(canteen.division_code, 0) + 1
    return ratios(divisions, complete, total)
