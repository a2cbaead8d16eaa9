"""Targets and status: the dashboard's figures against their targets, rankings of
sub-divisions, the target register."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from yiyang.core.choices import CODE_PREFIX_LENGTH, DivisionLevel
from yiyang.core.indicators import Indicator, IndicatorValue, Period, quantise, shared_queries
from yiyang.core.models import Division
from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.core.scoping import prefix_q
from yiyang.indicators.models import IndicatorSnapshot, IndicatorTarget
from yiyang.indicators.selectors.catalogue import (
    indicator_catalogue,
    indicator_get,
    scope_check,
    sub_divisions,
    values_for,
)
from yiyang.indicators.selectors.months import current_month, month_add, month_check


class Status:
    MET = "met"
    CLOSE = "close"
    BEHIND = "behind"


STATUS_LABELS = {
    Status.MET: _("met"),
    Status.CLOSE: _("close"),
    Status.BEHIND: _("behind"),
}


@dataclass(frozen=True)
class Figure:
    """One indicator for one division this month, against its target."""

    indicator: Indicator
    division: Division
    month: datetime.date
    value: IndicatorValue
    target: Decimal | None
    status: str | None  # met / close / behind, None without a target or a value
    # (month, value) for the months before this one, oldest first.
    trend: list[tuple[datetime.date, Decimal | None]] = field(default_factory=list)
    year_ago: IndicatorValue | None = None

    @property
    def year_on_year(self) -> Decimal | None:
        """The change since the same month a year before: percentage points for shares,
        the relative change in % for everything else; None when either side is missing."""
        if self.value.value is None or self.year_ago is None or self.year_ago.value is None:
            return None
        if self.indicator.is_share:
            return quantise(self.value.value - self.year_ago.value)
        if self.year_ago.value == 0:
            return None
        return quantise((self.value.value - self.year_ago.value) * 100 / self.year_ago.value)


def ancestor_codes(division: Division) -> list[str]:
    """The division's code, then its street's, district's and city's (from the code itself:
    GB/T 2260 codes are hierarchical)."""
    length = CODE_PREFIX_LENGTH[division.level]
    return [division.code] + [division.code[:n].ljust(12, "0") for n in (9, 6, 4) if n < length]


def targets_for(
    indicators: Sequence[Indicator], division: Division, year: int
) -> dict[str, Decimal | None]:
    """Each indicator's target for the division and year, in one query: the division's own;
    for shares, rates and times (not counts) the nearest ancestor's when it has none; else
    the indicator's default (a norm), which for counts applies to the whole city only."""
    chain = ancestor_codes(division)
    rows = IndicatorTarget.objects.filter(
        code__in=[i.code for i in indicators], year=year, division_code__in=chain
    ).values_list("code", "division_code", "value")
    found = {(code, where): Decimal(value) for code, where, value in rows}
    result: dict[str, Decimal | None] = {}
    for indicator in indicators:
        reach = chain[:1] if indicator.is_additive else chain
        target = next(
            (found[(indicator.code, c)] for c in reach if (indicator.code, c) in found), None
        )
        city_wide = not indicator.is_additive or division.level == DivisionLevel.CITY
        if target is None and indicator.default_target is not None and city_wide:
            target = indicator.default_target()
        result[indicator.code] = target
    return result


def target_for(indicator: Indicator, division: Division, year: int) -> Decimal | None:
    return targets_for([indicator], division, year)[indicator.code]


def status_of(indicator: Indicator, value: Decimal | None, target: Decimal | None) -> str | None:
    """met / close / behind, by the direction and ``INDICATOR_CLOSE_PERCENT``."""
    if value is None or target is None:
        return None
    margin = abs(target) * Decimal(settings.INDICATOR_CLOSE_PERCENT) / 100
    if indicator.direction == "higher":
        if value >= target:
            return Status.MET
        return Status.CLOSE if value >= target - margin else Status.BEHIND
    if value <= target:
        return Status.MET
    return Status.CLOSE if value <= target + margin else Status.BEHIND


def dashboard_figures(
    *,
    actor: Actor,
    division: Division,
    month: datetime.date | None = None,
    codes: Sequence[str] | None = None,
    trend_months: int | None = None,
) -> list[Figure]:
    """Every indicator computed at the division's level (or those named), with its target,
    status, the trend of the months before and the same month a year earlier."""
    scope_check(actor, division)
    month = month_check(month or current_month())
    count = settings.INDICATOR_TREND_MONTHS if trend_months is None else trend_months
    trend_range = [month_add(month, -i) for i in range(count, 0, -1)]
    year_ago = month_add(month, -12)
    months = sorted({*trend_range, year_ago, month})
    chosen = [
        indicator
        for indicator in indicator_catalogue()
        if division.level in indicator.levels and (codes is None or indicator.code in codes)
    ]
    with shared_queries():
        history = _history(chosen, months, division)
    targets = targets_for(chosen, division, month.year)
    figures = []
    for indicator in chosen:
        values = history[indicator.code]
        value = values.get(month, IndicatorValue(None))
        target = targets[indicator.code]
        figures.append(
            Figure(
                indicator=indicator,
                division=division,
                month=month,
                value=value,
                target=target,
                status=status_of(indicator, value.value, target),
                trend=[(m, values[m].value if m in values else None) for m in trend_range],
                year_ago=values.get(year_ago),
            )
        )
    return figures


def _history(
    indicators: Sequence[Indicator], months: Sequence[datetime.date], division: Division
) -> dict[str, dict[datetime.date, IndicatorValue]]:
    """The months' values from snapshots (one query); months without one are computed live
    only for the latest month (history is what the snapshots hold: rebuild a past month to
    fill it)."""
    history: dict[str, dict[datetime.date, IndicatorValue]] = {i.code: {} for i in indicators}
    if not indicators:
        return history
    rows = IndicatorSnapshot.objects.filter(
        code__in=list(history),
        division=division,
        month__gte=min(months),
        month__lte=max(months),
    ).values_list("code", "month", "value", "numerator", "denominator")
    for code, m, v, n, d in rows:
        history[code][m] = IndicatorValue(v, n, d)
    latest = max(months)
    for indicator in indicators:
        if latest not in history[indicator.code]:
            computed = indicator.compute(Period.of(latest), [division])
            history[indicator.code][latest] = computed[division.pk]
    return history


def division_ranking(
    *, actor: Actor, code: str, parent: Division, month: datetime.date | None = None
) -> list[tuple[Division, IndicatorValue]]:
    """The parent's sub-divisions ranked by the indicator, best first; divisions with no
    value ("—") last."""
    indicator = indicator_get(code)
    scope_check(actor, parent)
    month = month_check(month or current_month())
    children = list(sub_divisions(parent))
    if children and children[0].level not in indicator.levels:
        return [(child, IndicatorValue(None)) for child in children]
    values = values_for(indicator, month, children)
    rows = [(child, values.get(child.pk, IndicatorValue(None))) for child in children]
    reverse = indicator.direction == "higher"

    def key(row: tuple[Division, IndicatorValue]) -> tuple[int, Decimal, str]:
        value = row[1].value
        if value is None:
            return (1, Decimal(0), row[0].code)
        return (0, -value if reverse else value, row[0].code)

    return sorted(rows, key=key)


def target_list(*, actor: Actor, year: int | None = None) -> QuerySet[IndicatorTarget]:
    """Targets of the divisions in the actor's jurisdiction and of the divisions above it
    (a district officer reads the city's targets that apply to the district)."""
    require_perm(actor, Permission.VIEW_INDICATORS)
    prefix = actor.scope.division_prefix
    if prefix is None:
        return IndicatorTarget.objects.none()
    above = [prefix[:n].ljust(12, "0") for n in (4, 6, 9) if n < len(prefix)]
    queryset = IndicatorTarget.objects.filter(
        prefix_q("division_code", prefix) | Q(division_code__in=above)
    ).select_related("division")
    if year is not None:
        queryset = queryset.filter(year=year)
    return queryset


def target_get_for_actor(*, actor: Actor, external_id: uuid.UUID | str) -> IndicatorTarget:
    try:
        return target_list(actor=actor).get(external_id=external_id)
    except (IndicatorTarget.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("target") from exc
