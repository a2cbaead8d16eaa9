"""Providers: the indicators that have a provider form, per provider."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from yiyang.core.indicators import (
    Indicator,
    IndicatorValue,
    Period,
    provider_catalogue,
    provider_compute,
    shared_queries,
)
from yiyang.core.models import Division
from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.core.scoping import prefix_q
from yiyang.indicators.models import ProviderSnapshot
from yiyang.indicators.selectors.catalogue import indicator_get, scope_check
from yiyang.indicators.selectors.months import current_month, month_check
from yiyang.organisations.choices import PROVIDER_KINDS
from yiyang.organisations.models import Organisation
from yiyang.services.selectors import provider_queryset


@dataclass(frozen=True)
class ProviderFigure:
    provider: Organisation
    value: IndicatorValue


def provider_indicator_catalogue() -> list[Indicator]:
    return list(provider_catalogue().values())


def provider_scope(*, actor: Actor, division: Division | None = None) -> QuerySet[Organisation]:
    """Providers (organisations offering services) the actor may see: a provider's staff
    their own, officers those based in their jurisdiction (or under ``division``)."""
    require_perm(actor, Permission.VIEW_PROVIDER_FIGURES)
    queryset = provider_queryset(actor=actor).filter(
        kind__in=PROVIDER_KINDS, offerings__isnull=False
    )
    if division is not None:
        scope_check(actor, division)
        queryset = queryset.filter(prefix_q("division__code", division.code_prefix))
    return queryset.distinct().select_related("division")


def provider_values(
    indicator: Indicator, month: datetime.date, providers: Sequence[Organisation]
) -> dict[int, IndicatorValue]:
    """One month's provider values: snapshots first, the rest computed live."""
    compute = provider_compute(indicator.code)
    if compute is None or not providers:
        return {}
    found = {
        pk: IndicatorValue(value, numerator, denominator)
        for pk, value, numerator, denominator in ProviderSnapshot.objects.filter(
            code=indicator.code, month=month, provider__in=[p.pk for p in providers]
        ).values_list("provider_id", "value", "numerator", "denominator")
    }
    missing = [p for p in providers if p.pk not in found]
    if missing:
        found.update(compute(Period.of(month), missing))
    return found


def provider_ranking(
    *,
    actor: Actor,
    code: str,
    division: Division | None = None,
    month: datetime.date | None = None,
) -> list[ProviderFigure]:
    """The providers in scope ranked by the indicator's provider form, best first;
    providers with no value ("—") last. An indicator without one is a clear error."""
    indicator = indicator_get(code)
    if provider_compute(code) is None:
        raise ValidationError(
            {"code": _("“%(code)s” is not computed per provider.") % {"code": code}}
        )
    month = month_check(month or current_month())
    providers = list(provider_scope(actor=actor, division=division).order_by("name", "pk"))
    values = provider_values(indicator, month, providers)
    figures = [ProviderFigure(p, values.get(p.pk, IndicatorValue(None))) for p in providers]
    reverse = indicator.direction == "higher"

    def key(figure: ProviderFigure) -> tuple[int, Decimal]:
        value = figure.value.value
        if value is None:
            return (1, Decimal(0))
        return (0, -value if reverse else value)

    return sorted(figures, key=key)


@dataclass(frozen=True)
class OwnFigure:
    indicator: Indicator
    value: IndicatorValue
    previous: IndicatorValue


@dataclass(frozen=True)
class OwnFigures:
    provider: Organisation
    month: datetime.date
    previous_month: datetime.date
    figures: list[OwnFigure]


def _provider_months(
    indicators: Sequence[Indicator],
    months: Sequence[datetime.date],
    providers: Sequence[Organisation],
) -> dict[tuple[str, datetime.date], dict[int, IndicatorValue]]:
    """Every (indicator, month) value of the providers: one read of the snapshots, the
    rest computed live with the families' grouped queries shared."""
    found: dict[tuple[str, datetime.date], dict[int, IndicatorValue]] = {
        (i.code, m): {} for i in indicators for m in months
    }
    rows = ProviderSnapshot.objects.filter(
        code__in=[i.code for i in indicators],
        month__in=list(months),
        provider__in=[p.pk for p in providers],
    ).values_list("code", "month", "provider_id", "value", "numerator", "denominator")
    for code, month, pk, value, numerator, denominator in rows:
        found[(code, month)][pk] = IndicatorValue(value, numerator, denominator)
    with shared_queries():
        for (code, month), values in found.items():
            compute = provider_compute(code)
            missing = [p for p in providers if p.pk not in values]
            if compute is not None and missing:
                values.update(compute(Period.of(month), missing))
    return found


def own_provider_figures(*, actor: Actor, month: datetime.date | None = None) -> list[OwnFigures]:
    """A provider's own figures for its staff: every indicator with a provider form for
    each organisation the actor belongs to, this month beside the month before. Nobody
    else's: an actor not scoped to organisations gets none (officers rank providers on the
    dashboard)."""
    require_perm(actor, Permission.VIEW_PROVIDER_FIGURES)
    own = actor.scope.organisation_ids
    if own is None:
        return []
    month = month_check(month or current_month())
    before = (month - datetime.timedelta(days=1)).replace(day=1)
    providers = list(
        provider_queryset(actor=actor)
        .filter(pk__in=sorted(own), kind__in=PROVIDER_KINDS)
        .select_related("division")
        .order_by("name", "pk")
    )
    if not providers:
        return []
    indicators = provider_indicator_catalogue()
    found = _provider_months(indicators, (month, before), providers)
    now = {i.code: found[(i.code, month)] for i in indicators}
    then = {i.code: found[(i.code, before)] for i in indicators}
    empty = IndicatorValue(None)
    return [
        OwnFigures(
            provider=p,
            month=month,
            previous_month=before,
            figures=[
                OwnFigure(i, now[i.code].get(p.pk, empty), then[i.code].get(p.pk, empty))
                for i in indicators
            ],
        )
        for p in providers
    ]
