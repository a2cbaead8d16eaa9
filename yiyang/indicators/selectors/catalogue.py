"""The catalogue and lookups, and indicator values: snapshots where taken, the records
where not."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from yiyang.core.choices import DivisionLevel
from yiyang.core.indicators import Indicator, IndicatorValue, Period, catalogue
from yiyang.core.models import Division
from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.core.scoping import prefix_q
from yiyang.indicators.models import IndicatorSnapshot
from yiyang.indicators.selectors.months import current_month, month_check, months_between

LEVEL_ORDER: list[str] = [
    DivisionLevel.CITY,
    DivisionLevel.DISTRICT,
    DivisionLevel.STREET,
    DivisionLevel.COMMUNITY,
]


@dataclass(frozen=True)
class Point:
    month: datetime.date
    division: Division
    value: IndicatorValue


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


def scope_check(actor: Actor, division: Division) -> None:
    require_perm(actor, Permission.VIEW_INDICATORS)
    if not actor.scope.covers_division_code(division.code):
        raise Http404("division")


def sub_divisions(division: Division, level: str | None = None) -> QuerySet[Division]:
    """The divisions one level below (or at ``level``, any depth below) a division."""
    queryset = Division.objects.filter(prefix_q("code", division.code_prefix))
    if level is None:
        return queryset.filter(parent=division).order_by("code")
    return queryset.filter(level=level).order_by("code")


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
    scope_check(actor, division)
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
