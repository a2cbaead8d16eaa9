"""Reads of the city's picture, each scoped to the actor: the catalogue, values over months,
the dashboard's figures against targets, and rankings of sub-divisions.

Values come from the monthly snapshots (``IndicatorSnapshot``) where they exist and are
computed live from the records where they do not, so a page never waits on a month nobody
has snapshotted and never shows a number other than the records' own.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from yiyang.core.choices import CODE_PREFIX_LENGTH, DivisionLevel
from yiyang.core.indicators import (
    Indicator,
    IndicatorValue,
    Period,
    catalogue,
    provider_catalogue,
    provider_compute,
    quantise,
    shared_queries,
)
from yiyang.core.models import Division
from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.core.scoping import prefix_q
from yiyang.indicators.models import IndicatorSnapshot, IndicatorTarget, ProviderSnapshot
from yiyang.organisations.choices import PROVIDER_KINDS
from yiyang.organisations.models import Organisation
from yiyang.services.selectors import provider_queryset

LEVEL_ORDER: list[str] = [
    DivisionLevel.CITY,
    DivisionLevel.DISTRICT,
    DivisionLevel.STREET,
    DivisionLevel.COMMUNITY,
]


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
class Point:
    month: datetime.date
    division: Division
    value: IndicatorValue


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


# --------------------------------------------------------------------------------------
# Months


def current_month() -> datetime.date:
    return timezone.localdate().replace(day=1)


def month_parse(text: str, *, field_name: str = "month") -> datetime.date:
    """'2026-03' -> 2026-03-01, or a ValidationError naming the field."""
    try:
        day = datetime.datetime.strptime(text.strip(), "%Y-%m").date()
    except (ValueError, AttributeError):
        raise ValidationError(
            {field_name: _("“%(value)s” is not a month; write it as YYYY-MM.") % {"value": text}}
        ) from None
    return day


def month_check(month: datetime.date, *, field_name: str = "month") -> datetime.date:
    """The first day of ``month``; a month after the running one is an error."""
    month = month.replace(day=1)
    if month > current_month():
        raise ValidationError(
            {
                field_name: _("%(month)s is in the future; the latest month is %(current)s.")
                % {"month": f"{month:%Y-%m}", "current": f"{current_month():%Y-%m}"}
            }
        )
    return month


def months_between(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    months = []
    day = first.replace(day=1)
    while day <= last:
        months.append(day)
        day = (day + datetime.timedelta(days=32)).replace(day=1)
    return months


def month_add(month: datetime.date, count: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 + count
    return datetime.date(index // 12, index % 12 + 1, 1)


# --------------------------------------------------------------------------------------
# The catalogue and lookups


def indicator_catalogue() -> list[Indicator]:
    """Every registered indicator, in display order (no scope: the catalogue is public)."""
    return list(catalogue().values())


def indicator_get(code: str) -> Indicator:
    indicator = catalogue().get(code)
    if indicator is None:
        raise ValidationError({"code": _("There is no indicator “%(code)s”.") % {"code": code}})
    return indicator


def indicator_division_get(*, actor: Actor, key: str) -> Division:
    """A division of the actor's jurisdiction named by its code or its external id; an
    unknown one and one outside the jurisdiction give the same message."""
    require_perm(actor, Permission.VIEW_INDICATORS)
    key = (key or "").strip()
    queryset = actor.scope.apply(Division.objects.all(), division_code_field="code")
    division = None
    if key.isdigit():
        division = queryset.filter(code=key.ljust(12, "0")).first()
    else:
        try:
            division = queryset.filter(external_id=uuid.UUID(key)).first()
        except ValueError:
            division = None
    if division is None:
        raise ValidationError(
            {"division": _("No division “%(key)s” in your jurisdiction.") % {"key": key}}
        )
    return division


def indicator_default_division(*, actor: Actor) -> Division:
    """The top of the actor's jurisdiction (what the dashboard opens on)."""
    require_perm(actor, Permission.VIEW_INDICATORS)
    prefix = actor.scope.division_prefix
    division = Division.objects.filter(code=prefix.ljust(12, "0")).first() if prefix else None
    if division is None:
        raise Http404("division")
    return division


def _check_scope(actor: Actor, division: Division) -> None:
    require_perm(actor, Permission.VIEW_INDICATORS)
    if not actor.scope.covers_division_code(division.code):
        raise Http404("division")


def sub_divisions(division: Division, level: str | None = None) -> QuerySet[Division]:
    """The divisions one level below (or at ``level``, any depth below) a division."""
    queryset = Division.objects.filter(prefix_q("code", division.code_prefix))
    if level is None:
        return queryset.filter(parent=division).order_by("code")
    return queryset.filter(level=level).order_by("code")


# --------------------------------------------------------------------------------------
# Values: snapshots where taken, the records where not


def values_for(
    indicator: Indicator, month: datetime.date, divisions: Sequence[Division]
) -> dict[int, IndicatorValue]:
    """One month's values for the divisions: snapshots first, the rest computed live."""
    if not divisions:
        return {}
    found: dict[int, IndicatorValue] = {}
    rows = IndicatorSnapshot.objects.filter(
        code=indicator.code, month=month, division__in=[d.pk for d in divisions]
    ).values_list("division_id", "value", "numerator", "denominator")
    for pk, value, numerator, denominator in rows:
        found[pk] = IndicatorValue(value, numerator, denominator)
    missing = [d for d in divisions if d.pk not in found]
    if missing:
        found.update(indicator.compute(Period.of(month), missing))
    return found


def values_over_months(
    indicator: Indicator, months: Sequence[datetime.date], divisions: Sequence[Division]
) -> dict[tuple[datetime.date, int], IndicatorValue]:
    """Values for every (month, division) pair, in one snapshot query plus live
    computation of the pairs that have none."""
    if not months or not divisions:
        return {}
    found: dict[tuple[datetime.date, int], IndicatorValue] = {}
    rows = IndicatorSnapshot.objects.filter(
        code=indicator.code,
        month__gte=min(months),
        month__lte=max(months),
        division__in=[d.pk for d in divisions],
    ).values_list("month", "division_id", "value", "numerator", "denominator")
    for month, pk, value, numerator, denominator in rows:
        found[(month, pk)] = IndicatorValue(value, numerator, denominator)
    for month in months:
        missing = [d for d in divisions if (month, d.pk) not in found]
        if missing:
            for pk, computed in indicator.compute(Period.of(month), missing).items():
                found[(month, pk)] = computed
    return found


def indicator_values(
    *,
    actor: Actor,
    code: str,
    division: Division,
    level: str | None = None,
    month_from: datetime.date | None = None,
    month_to: datetime.date | None = None,
) -> list[Point]:
    """The indicator for ``division`` (or for every division at ``level`` below it) in each
    month from ``month_from`` to ``month_to`` (default: the running month)."""
    indicator = indicator_get(code)
    _check_scope(actor, division)
    last = month_check(month_to or current_month(), field_name="to")
    first = month_check(month_from or last, field_name="from")
    if first > last:
        raise ValidationError({"from": _("The first month comes after the last.")})
    if len(months_between(first, last)) > 120:
        raise ValidationError({"from": _("Ask for at most 120 months at a time.")})
    if level:
        if level not in LEVEL_ORDER:
            raise ValidationError({"level": _("Unknown level “%(level)s”.") % {"level": level}})
        if LEVEL_ORDER.index(level) < LEVEL_ORDER.index(division.level):
            raise ValidationError({"level": _("The level must be below the division's.")})
        divisions = list(sub_divisions(division, level)) if level != division.level else [division]
    else:
        divisions = [division]
    if level and level not in indicator.levels:
        raise ValidationError({"level": _("This indicator is not computed at that level.")})
    months = months_between(first, last)
    values = values_over_months(indicator, months, divisions)
    return [
        Point(month, d, values.get((month, d.pk), IndicatorValue(None)))
        for month in months
        for d in divisions
    ]


# --------------------------------------------------------------------------------------
# Targets and status


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
    _check_scope(actor, division)
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
    _check_scope(actor, parent)
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


# --------------------------------------------------------------------------------------
# Providers: the indicators that have a provider form, per provider


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
        _check_scope(actor, division)
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
