"""Reports of meals served, and served meals as the settlement's line source."""

from __future__ import annotations

import datetime
from collections.abc import Collection
from typing import Any

from django.db.models import Count, Q, Sum
from django.db.models.functions import Substr
from django.utils.translation import gettext_lazy

from yiyang.core.models import Division
from yiyang.core.permissions import Actor
from yiyang.meals.choices import (
    BookingStatus,
    Meal,
    MealMode,
)
from yiyang.meals.models import (
    ZERO,
    Booking,
    Canteen,
    ServedMeal,
)
from yiyang.meals.selectors.bookings import _elder_rows, served_list

# Reports -------------------------------------------------------------------------------


def meal_report(*, actor: Actor, first: datetime.date, last: datetime.date) -> dict[str, Any]:
    """Meals served in a period within the actor's reach, by canteen, by district (of the
    elder) and by meal: meals, distinct elders, subsidy, delivered, late deliveries.
    Voided meals are left out. Three grouped queries."""
    served = served_list(actor=actor).filter(day__gte=first, day__lte=last, voided_at__isnull=True)
    figures = {
        "meals": Count("id"),
        "elders": Count("elder_id", distinct=True),
        "subsidy": Sum("subsidy_yuan"),
        "self_pay": Sum("self_pay_yuan"),
        "delivered": Count("id", filter=Q(mode=MealMode.DELIVERY)),
    }
    by_canteen = list(
        served.order_by()
        .values("canteen_id", "canteen__organisation__name")
        .annotate(**figures)
        .order_by("canteen__organisation__name", "canteen_id")
    )
    late = dict(
        _elder_rows(
            actor,
            Booking.objects.filter(
                day__gte=first, day__lte=last, status=BookingStatus.DELIVERED, is_late=True
            ),
        )
        .order_by()
        .values_list("canteen_id")
        .annotate(n=Count("id"))
    )
    for row in by_canteen:
        row["late"] = late.get(row["canteen_id"], 0)
    by_meal = list(served.order_by().values("meal").annotate(**figures).order_by("meal"))
    by_district = list(
        served.order_by()
        .annotate(district=Substr("division_code", 1, 6))
        .values("district")
        .annotate(**figures)
        .order_by("district")
    )
    names = {  # a district's 12-digit code is its 6-digit prefix padded with zeros
        code[:6]: name
        for code, name in Division.objects.filter(
            code__in=[r["district"].ljust(12, "0") for r in by_district]
        ).values_list("code", "name")
    }
    for row in by_district:
        row["name"] = names.get(row["district"], row["district"])
    return {
        "by_canteen": by_canteen,
        "by_meal": by_meal,
        "by_district": by_district,
        "total": served.aggregate(**figures),
    }


# Settlement ---------------------------------------------------------------------------

BILLING_KIND = "meal"
BILLING_LABEL = gettext_lazy("Served meal")


def organisation_runs_canteen(*, organisation_id: int) -> bool:
    """Whether the organisation runs a canteen or meal point (may sign a meal contract)."""
    return Canteen.objects.filter(organisation_id=organisation_id).exists()


def billable_meals(
    first: datetime.date, last: datetime.date, organisation_ids: Collection[int] | None
) -> list[dict[str, Any]]:
    """The month's served meals with a subsidy (voided ones are not) as plain rows for the
    monthly settlement's registry of line sources (settlement.sources makes them its
    lines; meals never imports settlement): the canteen's organisation bills the
    subsidy; the elder paid the self-pay at the counter."""
    queryset = ServedMeal.objects.filter(
        day__gte=first, day__lte=last, voided_at__isnull=True, subsidy_yuan__gt=0
    )
    if organisation_ids is not None:
        queryset = queryset.filter(organisation_id__in=organisation_ids)
    rows = queryset.order_by("id").values_list(
        "id",
        "elder_id",
        "division_code",
        "organisation_id",
        "day",
        "meal",
        "canteen__organisation__name",
        "price_yuan",
        "subsidy_yuan",
        "self_pay_yuan",
        "served_at",
    )
    labels = dict(Meal.choices)
    return [
        {
            "kind": BILLING_KIND,
            "source_id": pk,
            "elder_id": elder_id,
            "division_code": division,
            "provider_id": org,
            "date": day,
            "description": f"{labels.get(meal, meal)} · {canteen}",
            "price": price,
            "allowance": subsidy,
            "ltc": ZERO,
            "self_pay": self_pay,
            "start": at,
            "end": at,
        }
        for pk, elder_id, division, org, day, meal, canteen, price, subsidy, self_pay, at in (
            rows.iterator(chunk_size=5000)
        )
    ]
