"""Home-care orders and visits: delivered, on time, late, missed, flagged (with the flag
mix), by service category, and what elders and families said (ratings; complaints are
the supervision app's register, which counts them).

Visits belong to the month of their date; orders to the month they were made. A visit
counts as delivered when it was done, confirmed and, if flagged, accepted on review
(``Visit.delivered``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from yiyang.core.indicator_figures import CountOf, ShareOf, provider_counts
from yiyang.core.indicator_rows import Values, count_columns
from yiyang.core.indicators import (
    Category,
    Period,
    ProviderCompute,
    count_by_code,
    count_values,
    counts,
    divisions_key,
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
# Ratings count where the rated visit was, and for the provider that made it.
RATED_VISIT = {"code_field": "visit__division_code", "provider_field": "visit__provider_id"}


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
        in_scope = visits(period).filter(scope_q("division_code", divisions))
        return count_columns(in_scope, "division_code", CONDITIONS)

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
        return count_columns(visits(period).filter(provider_id__in=keys), "provider_id", CONDITIONS)

    table = shared(("provider_visits", period, tuple(keys)), summary)
    if name not in table:
        return provider_counts(visits(period).filter(CONDITIONS[name]), "provider_id", keys)
    return dict(table[name])


@dataclass(frozen=True)
class VisitCount:
    """The period's visits meeting ``condition`` (all of them when None), per division and,
    where ``providers``, per provider: a column of the shared grouped query."""

    condition: Q | None
    providers: bool = True
    unit: ClassVar[str] = "count"

    def __post_init__(self) -> None:
        condition_name(self.condition)

    def __call__(self, period: Period, divisions: Sequence[Division]) -> Values:
        return counts(divisions, visit_counts(period, divisions, self.condition))

    @property
    def provider_form(self) -> ProviderCompute | None:
        return self.by_provider if self.providers else None

    def by_provider(self, period: Period, providers: Sequence[Any]) -> Values:
        per_provider = provider_visit_counts(period, providers, self.condition)
        return count_values((p.pk for p in providers), per_provider)


@dataclass(frozen=True)
class VisitShare:
    """The period's visits meeting ``bottom`` (all when None) that also meet ``top``, as a
    share of those meeting ``bottom``, per division and per provider."""

    top: Q
    bottom: Q | None
    unit: ClassVar[str] = "percent"

    def __post_init__(self) -> None:
        condition_name(self.bottom)
        condition_name(self.numerator)

    @property
    def numerator(self) -> Q:
        return self.top if self.bottom is None else self.top & self.bottom

    def __call__(self, period: Period, divisions: Sequence[Division]) -> Values:
        denominator = visit_counts(period, divisions, self.bottom)
        numerator = visit_counts(period, divisions, self.numerator)
        return ratios(divisions, numerator, denominator)

    @property
    def provider_form(self) -> ProviderCompute:
        return self.by_provider

    def by_provider(self, period: Period, providers: Sequence[Any]) -> Values:
        denominator = provider_visit_counts(period, providers, self.bottom)
        numerator = provider_visit_counts(period, providers, self.numerator)
        return ratio_values((p.pk for p in providers), numerator, denominator)


def _visits(
    code: str,
    name: Any,
    definition: Any,
    order: int,
    figure: VisitCount | VisitShare,
    direction: str = "higher",
    headline: bool = False,
) -> None:
    """A home-care indicator of the period's visits (a count or a share of them)."""
    indicator(
        code=code,
        name=name,
        unit=figure.unit,
        category=Category.HOME_CARE,
        order=order,
        definition=definition,
        direction=direction,
        headline=headline,
    )(figure)


def orders(period: Period) -> QuerySet[Order]:
    """Orders and care plans placed in the period."""
    return Order.objects.filter(created_at__gte=period.start_dt(), created_at__lt=period.end_dt())


def ratings_given(period: Period) -> QuerySet[VisitRating]:
    return VisitRating.objects.filter(at__gte=period.start_dt(), at__lt=period.end_dt())


indicator(
    code="orders_placed",
    name=_("Home-care orders placed"),
    unit="count",
    category=Category.HOME_CARE,
    order=60,
    definition=_("Orders and care plans placed in the month (cancelled ones included)."),
)(CountOf(orders, provider_field="provider_id"))


_visits(
    "visits_planned",
    _("Visits planned"),
    _("Visits dated in the month and not cancelled, whatever became of them."),
    61,
    VisitCount(None),
)
_visits(
    "visits_delivered",
    _("Visits delivered"),
    _("Visits dated in the month that were done, confirmed and, if flagged, accepted on review."),
    62,
    VisitCount(DELIVERED),
    headline=True,
)
_visits(
    "visits_late",
    _("Late visits"),
    _(
        "Visits dated in the month with no check-in by VISIT_LATE_AFTER_MINUTES after the "
        "window opened."
    ),
    63,
    VisitCount(Q(is_late=True)),
    direction="lower",
)
_visits(
    "visits_missed",
    _("Missed visits"),
    _("Visits dated in the month that nobody checked in to before the window closed."),
    64,
    VisitCount(Q(status=VisitStatus.MISSED)),
    direction="lower",
)
_visits(
    "visits_on_time_share",
    _("Delivered visits on time"),
    _("Delivered visits that were not late (numerator) divided by delivered visits (denominator)."),
    65,
    VisitShare(Q(is_late=False), DELIVERED),
)
_visits(
    "visits_missed_share",
    _("Missed-visit rate"),
    _("Missed visits (numerator) divided by visits planned in the month (denominator)."),
    66,
    VisitShare(Q(status=VisitStatus.MISSED), None),
    direction="lower",
)


indicator(
    code="visits_flagged",
    name=_("Flagged visits"),
    unit="count",
    category=Category.HOME_CARE,
    order=67,
    direction="lower",
    definition=_("Visits dated in the month with at least one verification flag."),
)(
    # A visit with several flags is joined to each: count the visits, not the joins.
    CountOf(
        lambda period: visits(period).filter(flags__isnull=False),
        distinct="pk",
        provider_field="provider_id",
    )
)


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


for _n, _service_category in enumerate(ServiceCategory):
    _visits(
        f"visits_delivered_{_service_category.value}",
        joined(_("Visits delivered:"), _service_category.label),
        joined(
            _("Delivered visits in the month of this service category (the nine 助):"),
            _service_category.label,
        ),
        220 + _n,
        VisitCount(DELIVERED & Q(item__category=_service_category), providers=False),
    )


indicator(
    code="ratings_satisfied_share",
    name=_("Satisfied ratings"),
    unit="percent",
    category=Category.HOME_CARE,
    order=68,
    definition=_(
        "Ratings of 4 or 5 stars (numerator) divided by all ratings (denominator) given in "
        "the month by elders and their families."
    ),
)(ShareOf(ratings_given, Q(stars__gte=SATISFIED_STARS), **RATED_VISIT))

indicator(
    code="ratings",
    name=_("Ratings given"),
    unit="count",
    category=Category.HOME_CARE,
    order=69,
    definition=_("Ratings of visits given in the month."),
)(CountOf(ratings_given, **RATED_VISIT))
