"""The kitchen's counts and what is missing in a canteen's food-safety records."""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from yiyang.meals.choices import (
    ACTIVE_BOOKING,
    InspectionResult,
    SafetyKind,
)
from yiyang.meals.models import (
    Booking,
    Canteen,
    FoodSafetyRecord,
    HealthCertificate,
)

INSPECTION_EVERY_DAYS = 183  # "safety inspections at least twice a year"
SAMPLE_DAYS_CHECKED = 7
CERTIFICATE_WARN_DAYS = 30


# The kitchen and food safety -------------------------------------------------------------


def kitchen_counts(*, canteen: Canteen, day: datetime.date) -> dict[str, Any]:
    """What the kitchen cooks for a day: bookings per meal, per dish, per meal point and
    mode (a central kitchen counts its meal points' bookings too)."""
    points = [canteen.pk, *canteen.meal_points.values_list("pk", flat=True)]
    rows = Booking.objects.filter(
        canteen_id__in=points, day=day, status__in=ACTIVE_BOOKING
    ).values_list("meal", "dish__name", "canteen__organisation__name", "mode")
    per_meal: Counter[str] = Counter()
    per_dish: Counter[tuple[str, str]] = Counter()
    per_point: Counter[tuple[str, str, str]] = Counter()
    for meal, dish, point, mode in rows:
        per_meal[meal] += 1
        per_dish[(meal, dish or "")] += 1
        per_point[(meal, point, mode)] += 1
    return {
        "per_meal": dict(per_meal),
        "per_dish": sorted(per_dish.items()),
        "per_point": sorted(per_point.items()),
    }


@dataclass
class SafetyGap:
    code: str
    message: str


def safety_gaps(*, canteen: Canteen, today: datetime.date | None = None) -> list[SafetyGap]:
    """What is missing in a canteen's food-safety records (see :func:`safety_gaps_many`)."""
    return safety_gaps_many(canteens=[canteen], today=today)[canteen.pk]


def safety_gaps_many(
    *, canteens: list[Canteen], today: datetime.date | None = None
) -> dict[int, list[SafetyGap]]:
    """What is missing in each canteen's food-safety records, in four queries whatever the
    number of canteens (the page shows one, the indicator counts a city's): a sample
    retained each opening day of the last week, today's storage temperature, valid health
    certificates, an inspection within half a year (and its result)."""
    today = today or timezone.localdate()
    start = today - datetime.timedelta(days=SAMPLE_DAYS_CHECKED - 1)
    ids = [c.pk for c in canteens]
    recent = FoodSafetyRecord.objects.filter(canteen_id__in=ids, day__gte=start, day__lte=today)
    sampled = set(recent.filter(kind=SafetyKind.SAMPLE).values_list("canteen_id", "day"))
    measured = set(
        recent.filter(kind=SafetyKind.TEMPERATURE, day=today).values_list("canteen_id", flat=True)
    )
    certificates: dict[int, list[HealthCertificate]] = {i: [] for i in ids}
    for cert in HealthCertificate.objects.filter(canteen_id__in=ids).order_by("expires_on", "id"):
        certificates[cert.canteen_id].append(cert)
    last: dict[int, tuple[datetime.date, str]] = {}
    for canteen_id, day, result in (
        FoodSafetyRecord.objects.filter(
            canteen_id__in=ids, kind=SafetyKind.INSPECTION, day__lte=today
        )
        .order_by("canteen_id", "-day", "-at")
        .values_list("canteen_id", "day", "result")
    ):
        last.setdefault(canteen_id, (day, result))
    return {
        c.pk: _gaps(c, today, start, sampled, c.pk in measured, certificates[c.pk], last.get(c.pk))
        for c in canteens
    }


def _gaps(
    canteen: Canteen,
    today: datetime.date,
    start: datetime.date,
    sampled: set[tuple[int, datetime.date]],
    measured: bool,
    certificates: list[HealthCertificate],
    last: tuple[datetime.date, str] | None,
) -> list[SafetyGap]:
    gaps: list[SafetyGap] = []
    for offset in range(SAMPLE_DAYS_CHECKED):
        day = start + datetime.timedelta(days=offset)
        if day.weekday() in canteen.opening_days and (canteen.pk, day) not in sampled:
            gaps.append(SafetyGap("sample", _("No sample retained on %(day)s.") % {"day": day}))
    if today.weekday() in canteen.opening_days and not measured:
        gaps.append(SafetyGap("temperature", _("No storage temperature recorded today.")))
    if not certificates:
        gaps.append(SafetyGap("certificate", _("No health certificate of kitchen staff.")))
    for cert in certificates:
        values = {"name": cert.staff_name, "day": cert.expires_on}
        if cert.expires_on < today:
            message = _("%(name)s's health certificate expired on %(day)s.") % values
            gaps.append(SafetyGap("certificate", message))
        elif cert.expires_on <= today + datetime.timedelta(days=CERTIFICATE_WARN_DAYS):
            message = _("%(name)s's health certificate expires on %(day)s.") % values
            gaps.append(SafetyGap("certificate_expiring", message))
    if last is None or last[0] < today - datetime.timedelta(days=INSPECTION_EVERY_DAYS):
        gaps.append(SafetyGap("inspection", _("No inspection in the last six months.")))
    elif last[1] == InspectionResult.FAILED:
        gaps.append(SafetyGap("inspection", _("The last inspection failed.")))
    return gaps
