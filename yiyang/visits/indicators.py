"""Home-care orders and visits: delivered, on time, late, missed, flagged (with the flag
mix), by service category, and what elders and families said (ratings; complaints are
the supervision app's register, which counts them).

Visits belong to the month of their date; orders to the month they were made. A visit
counts as delivered when it was done, confirmed and, if flagged, accepted on review
(``Visit.delivered``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from yiyang.core.indicators import (
    Category,
    Period,
    count_by_code,
    count_values,
    counts,
    divisions_key,
    for_providers,
    indicator,
    joined,
    ratio_values,
    ratios,
    register_breakdown,
    scope_q,
    shared,
)
from yiyang.core.models import Division
from yiyang.services.choices import ServiceCategory
from yiyang.visits.choices import FlagCode, ReviewStatus, VisitOutcome, VisitStatus
from yiyang.visits.models import Order, Visit, VisitFlag, VisitRating

DELIVERED = (
    Q(status=VisitStatus.CONFIRMED)
    & Q(outcome__in=["", VisitOutcome.DONE])
    & Q(review_status__in=[ReviewStatus.NONE, ReviewStatus.ACCEPTED])
)
SATISFIED_STARS = 4


def visits(period: Period) -> QuerySet[Visit]:
    """Visits dated in the period, not cancelled."""
    return Visit.objects.filter(date__gte=period.start, date__lt=period.end).exclude(
        status=VisitStatus.CANCELLED
    )


# Named conditions on the month's visits; every indicator's count is one column of one
# grouped query (shared between indicators inside ``shared_queries``).
CONDITIONS: dict[str, Q] = {"all": Q()}


def condition_name(condition: Q | None) -> str:
    if condition is None:
        return "all"
    for name, known in CONDITIONS.items():
        if known == condition:
            return name
    name = f"c{len(CONDITIONS)}"
    CONDITIONS[name] = condition
    return name


def visit_counts(
    period: Period, divisions: Sequence[Division], condition: Q | None = None
) -> dict[str, int]:
    """Visits of the period per division code meeting the condition."""
    name = condition_name(condition)

    def summary() -> dict[str, dict[str, int]]:
        columns = {
            key: Count("pk", filter=q) if q else Count("pk") for key, q in CONDITIONS.items()
        }
        rows = (
            visits(period)
            .filter(scope_q("division_code", divisions))
            .order_by()
            .values("division_code")
            .annotate(**columns)
        )
        return {key: {r["division_code"]: r[key] for r in rows if r[key]} for key in CONDITIONS}

    table = shared(("visits", period, divisions_key(divisions)), summary)
    if name not in table:  # a condition registered after the summary was taken
        return count_by_code(visits(period).filter(CONDITIONS[name]), "division_code", divisions)
    return dict(table[name])


def provider_visit_counts(
    period: Period, providers: Sequence[Any], condition: Q | None = None
) -> dict[int, int]:
    """Visits of the period per provider (pk) meeting the condition: one grouped query for
    every condition, shared like :func:`visit_counts`."""
    name = condition_name(condition)
    keys = sorted(p.pk for p in providers)

    def summary() -> dict[str, dict[int, int]]:
        columns = {
            key: Count("pk", filter=q) if q else Count("pk") for key, q in CONDITIONS.items()
        }
        rows = (
            visits(period)
            .filter(provider_id__in=keys)
            .order_by()
            .values("provider_id")
            .annotate(**columns)
        )
        return {key: {r["provider_id"]: r[key] for r in rows if r[key]} for key in CONDITIONS}

    table = shared(("provider_visits", period, tuple(keys)), summary)
    if name not in table:
        rows = (
            visits(period)
            .filter(CONDITIONS[name], provider_id__in=keys)
            .order_by()
            .values_list("provider_id")
            .annotate(n=Count("pk"))
        )
        return dict(rows)
    return dict(table[name])


def _count(
    code: str,
    name: Any,
    definition: Any,
    order: int,
    condition: Q | None,
    direction: str = "higher",
    headline: bool = False,
) -> None:
    condition_name(condition)

    def compute(period: Period, divisions: Sequence[Division]) -> dict[int, Any]:
        return counts(divisions, visit_counts(period, divisions, condition))

    indicator(
        code=code,
        name=name,
        unit="count",
        category=Category.HOME_CARE,
        order=order,
        definition=definition,
        direction=direction,
        headline=headline,
    )(compute)

    @for_providers(code)
    def by_provider(period: Period, providers: Sequence[Any]) -> dict[int, Any]:
        per_provider = provider_visit_counts(period, providers, condition)
        return count_values((p.pk for p in providers), per_provider)


def _share(
    code: str,
    name: Any,
    definition: Any,
    order: int,
    top: Q,
    bottom: Q | None,
    direction: str = "higher",
) -> None:
    condition_name(bottom)
    condition_name(top if bottom is None else top & bottom)

    def compute(period: Period, divisions: Sequence[Division]) -> dict[int, Any]:
        denominator = visit_counts(period, divisions, bottom)
        numerator = visit_counts(period, divisions, top if bottom is None else top & bottom)
        return ratios(divisions, numerator, denominator)

    indicator(
        code=code,
        name=name,
        unit="percent",
        category=Category.HOME_CARE,
        order=order,
        definition=definition,
        direction=direction,
    )(compute)

    @for_providers(code)
    def by_provider(period: Period, providers: Sequence[Any]) -> dict[int, Any]:
        denominator = provider_visit_counts(period, providers, bottom)
        numerator = provider_visit_counts(
            period, providers, top if bottom is None else top & bottom
        )
        return ratio_values((p.pk for p in providers), numerator, denominator)


@indicator(
    code="orders_placed",
    name=_("Home-care orders placed"),
    unit="count",
    category=Category.HOME_CARE,
    order=60,
    definition=_("Orders and care plans placed in the month (cancelled ones included)."),
)
def orders_placed(period: Period, divisions: Sequence[Division]) -> dict[int, Any]:
    queryset = Order.objects.filter(
        created_at__gte=period.start_dt(), created_at__lt=period.end_dt()
    )
    return counts(divisions, count_by_code(queryset, "division_code", divisions))


_count(
    "visits_planned",
    _("Visits planned"),
    _("Visits dated in the month and not cancelled, whatever became of them."),
    61,
    None,
)
_count(
    "visits_delivered",
    _("Visits delivered"),
    _("Visits dated in the month that were done, confirmed and, if flagged, accepted on review."),
    62,
    DELIVERED,
    headline=True,
)
_count(
    "visits_late",
    _("Late visits"),
    _(
        "Visits dated in the month with no check-in by VISIT_LATE_AFTER_MINUTES after the "
        "window opened."
    ),
    63,
    Q(is_late=True),
    direction="lower",
)
_count(
    "visits_missed",
    _("Missed visits"),
    _("Visits dated in the month that nobody checked in to before the window closed."),
    64,
    Q(status=VisitStatus.MISSED),
    direction="lower",
)
_share(
    "visits_on_time_share",
    _("Delivered visits on time"),
    _("Delivered visits that were not late (numerator) divided by delivered visits (denominator)."),
    65,
    Q(is_late=False),
    DELIVERED,
)
_share(
    "visits_missed_share",
    _("Missed-visit rate"),
    _("Missed visits (numerator) divided by visits planned in the month (denominator)."),
    66,
    Q(status=VisitStatus.MISSED),
    None,
    direction="lower",
)


@indicator(
    code="visits_flagged",
    name=_("Flagged visits"),
    unit="count",
    category=Category.HOME_CARE,
    order=67,
    direction="lower",
    definition=_("Visits dated in the month with at least one verification flag."),
)
def visits_flagged(period: Period, divisions: Sequence[Division]) -> dict[int, Any]:
    queryset = visits(period).filter(flags__isnull=False).distinct()
    rows = count_by_code(
        Visit.objects.filter(pk__in=queryset.values("pk")), "division_code", divisions
    )
    return counts(divisions, rows)


@for_providers("visits_flagged")
def visits_flagged_by_provider(period: Period, providers: Sequence[Any]) -> dict[int, Any]:
    keys = [p.pk for p in providers]
    rows = (
        visits(period)
        .filter(provider_id__in=keys, flags__isnull=False)
        .order_by()
        .values_list("provider_id")
        .annotate(n=Count("pk", distinct=True))
    )
    return count_values(keys, dict(rows))


def _flags(period: Period) -> QuerySet[VisitFlag]:
    """Flags raised on the period's visits (not cancelled)."""
    return VisitFlag.objects.filter(
        visit__date__gte=period.start, visit__date__lt=period.end
    ).exclude(visit__status=VisitStatus.CANCELLED)


register_breakdown(
    family="visit_flags",
    choices=FlagCode,
    records=_flags,
    key_field="code",
    code_field="visit__division_code",
    name=_("Visit flags:"),
    category=Category.HOME_CARE,
    order=200,
    definition=_("Flags of this kind raised on visits dated in the month:"),
)


def _category(category: ServiceCategory, order: int) -> None:
    condition = DELIVERED & Q(item__category=category)
    condition_name(condition)

    indicator(
        code=f"visits_delivered_{category.value}",
        name=joined(_("Visits delivered:"), category.label),
        unit="count",
        category=Category.HOME_CARE,
        order=order,
        definition=joined(
            _("Delivered visits in the month of this service category (the nine 助):"),
            category.label,
        ),
    )(lambda period, divisions: counts(divisions, visit_counts(period, divisions, condition)))


for _n, _service_category in enumerate(ServiceCategory):
    _category(_service_category, 220 + _n)


@indicator(
    code="ratings_satisfied_share",
    name=_("Satisfied ratings"),
    unit="percent",
    category=Category.HOME_CARE,
    order=68,
    definition=_(
        "Ratings of 4 or 5 stars (numerator) divided by all ratings (denominator) given in "
        "the month by elders and their families."
    ),
)
def ratings_satisfied_share(period: Period, divisions: Sequence[Division]) -> dict[int, Any]:
    queryset = VisitRating.objects.filter(at__gte=period.start_dt(), at__lt=period.end_dt())
    satisfied = queryset.filter(stars__gte=SATISFIED_STARS)
    return ratios(
        divisions,
        count_by_code(satisfied, "visit__division_code", divisions),
        count_by_code(queryset, "visit__division_code", divisions),
    )


@indicator(
    code="ratings",
    name=_("Ratings given"),
    unit="count",
    category=Category.HOME_CARE,
    order=69,
    definition=_("Ratings of visits given in the month."),
)
def ratings(period: Period, divisions: Sequence[Division]) -> dict[int, Any]:
    queryset = VisitRating.objects.filter(at__gte=period.start_dt(), at__lt=period.end_dt())
    return counts(divisions, count_by_code(queryset, "visit__division_code", divisions))


def _provider_counts(queryset: QuerySet[Any], field: str, keys: list[int]) -> dict[int, int]:
    rows = (
        queryset.filter(**{f"{field}__in": keys})
        .order_by()
        .values_list(field)
        .annotate(n=Count("pk"))
    )
    return dict(rows)


@for_providers("orders_placed")
def orders_placed_by_provider(period: Period, providers: Sequence[Any]) -> dict[int, Any]:
    keys = [p.pk for p in providers]
    queryset = Order.objects.filter(
        created_at__gte=period.start_dt(), created_at__lt=period.end_dt()
    )
    return count_values(keys, _provider_counts(queryset, "provider_id", keys))


@for_providers("ratings_satisfied_share")
def ratings_satisfied_by_provider(period: Period, providers: Sequence[Any]) -> dict[int, Any]:
    keys = [p.pk for p in providers]
    queryset = VisitRating.objects.filter(at__gte=period.start_dt(), at__lt=period.end_dt())
    satisfied = queryset.filter(stars__gte=SATISFIED_STARS)
    return ratio_values(
        keys,
        _provider_counts(satisfied, "visit__provider_id", keys),
        _provider_counts(queryset, "visit__provider_id", keys),
    )


@for_providers("ratings")
def ratings_by_provider(period: Period, providers: Sequence[Any]) -> dict[int, Any]:
    keys = [p.pk for p in providers]
    queryset = VisitRating.objects.filter(at__gte=period.start_dt(), at__lt=period.end_dt())
    return count_values(keys, _provider_counts(queryset, "visit__provider_id", keys))
