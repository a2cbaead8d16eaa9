"""What the registry contributes to the city's picture: census residents and registered
elders (two different figures, named as such), age bands and the special groups.

Registered elders are counted at the period's last day (or today for the running month):
records created by then, aged 60+ on that day, not duplicates, not deceased or moved out by
then. The records' current attributes (living arrangement, economic status, ability level)
are used, so a rebuilt past month reflects today's knowledge of those attributes.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from yiyang.core.indicator_rows import census, count_columns
from yiyang.core.indicators import (
    Category,
    Compute,
    IndicatorValue,
    Period,
    counts,
    divisions_key,
    indicator,
    joined,
    ratios,
    scope_q,
    shared,
)
from yiyang.core.models import Division
from yiyang.elders.choices import AgeBand, ElderStatus, Tag
from yiyang.elders.models import Elder
from yiyang.elders.tags import age_band_q, aged_at_least, tag_q

ELDER_AGE = 60


def registered(period: Period) -> QuerySet[Elder]:
    """Elders on the registry at the period's reference day, aged 60+ then."""
    day = period.as_of
    gone = Q(status=ElderStatus.DECEASED) & (Q(deceased_on__isnull=True) | Q(deceased_on__lte=day))
    moved = Q(status=ElderStatus.MOVED_OUT) & (
        Q(status_changed_on__isnull=True) | Q(status_changed_on__lte=day)
    )
    return (
        Elder.objects.filter(created_at__lt=period.end_dt())
        .exclude(status=ElderStatus.DUPLICATE)
        .exclude(gone | moved)
        .filter(aged_at_least(ELDER_AGE, day))
    )


# The groups of registered elders the indicators count, as conditions on the reference day;
# inside ``shared_queries`` all are counted in one grouped query.
GROUPS: dict[str, Callable[[datetime.date], Q]] = {"all": lambda day: Q()}
GROUPS.update({f"tag:{t.value}": partial(tag_q, t.value) for t in Tag})
GROUPS.update({f"band:{b.value}": partial(age_band_q, b.value) for b in AgeBand})


def registered_counts(
    period: Period, divisions: Sequence[Division], group: str = "all"
) -> dict[str, int]:
    """Registered elders of a group (``GROUPS``) per division code."""

    def summary() -> dict[str, dict[str, int]]:
        day = period.as_of
        elders = registered(period).filter(scope_q("division_code", divisions))
        return count_columns(elders, "division_code", {n: q(day) for n, q in GROUPS.items()})

    return dict(shared(("elders", period, divisions_key(divisions)), summary)[group])


def registered_group(group: str) -> Compute:
    """The registered elders of a group (``GROUPS``) in each division."""

    def compute(period: Period, divisions: Sequence[Division]) -> dict[int, IndicatorValue]:
        return counts(divisions, registered_counts(period, divisions, group))

    return compute


def census_by_age(divisions: Sequence[Division], age: int) -> dict[str, int]:
    field = {60: "population_60_plus", 65: "population_65_plus", 80: "population_80_plus"}[age]
    return census(divisions, field)


def census_of_age(age: int) -> Compute:
    """Census residents aged ``age`` or over in each division."""

    def compute(period: Period, divisions: Sequence[Division]) -> dict[int, IndicatorValue]:
        return counts(divisions, census_by_age(divisions, age))

    return compute


CENSUS_NOTE = _(
    "Census residents (常住人口) from the statistics bureau, summed over the division's "
    "communities. Not the registry: registered elders are a separate figure."
)


# The census figures: age, name, what counts, order (the 60+ figure is a headline).
CENSUS_FIGURES: list[tuple[int, Any, Any, int]] = [
    (
        60,
        _("Residents aged 60+ (census)"),
        _("Number of residents aged 60 or over by the census."),
        10,
    ),
    (
        65,
        _("Residents aged 65+ (census)"),
        _("Number of residents aged 65 or over by the census."),
        11,
    ),
    (
        80,
        _("Residents aged 80+ (census)"),
        _("Number of residents aged 80 or over by the census."),
        12,
    ),
]
for _age, _name, _what, _order in CENSUS_FIGURES:
    indicator(
        code=f"census_{_age}_plus",
        name=_name,
        unit="people",
        category=Category.POPULATION,
        order=_order,
        headline=_age == 60,
        definition=joined(_what, CENSUS_NOTE),
    )(census_of_age(_age))


REGISTERED_NOTE = _(
    "Counted on the month's last day (today for the running month): elders on the registry "
    "aged 60 or over that day, leaving out duplicates and those deceased or moved out."
)


indicator(
    code="registered_elders",
    name=_("Registered elders"),
    unit="people",
    category=Category.POPULATION,
    order=13,
    headline=True,
    definition=joined(_("Number of elders on the platform's registry."), REGISTERED_NOTE),
)(registered_group("all"))


@indicator(
    code="registration_share",
    name=_("Registered elders as a share of census residents 60+"),
    unit="percent",
    category=Category.POPULATION,
    order=14,
    definition=_(
        "Registered elders (numerator) divided by census residents aged 60+ (denominator). "
        "Shows how much of the elderly population the registry reaches; '—' where the "
        "census figure is missing."
    ),
)
def registration_share(period: Period, divisions: Sequence[Division]) -> dict[int, Any]:
    return ratios(divisions, registered_counts(period, divisions), census_by_age(divisions, 60))


def _registered(
    code: str, group: str, label: Any, definition: Any, order: int, category: str
) -> None:
    """The indicator counting the registered elders of one of ``GROUPS``."""
    indicator(
        code=code,
        name=label,
        unit="people",
        category=category,
        order=order,
        definition=definition,
    )(registered_group(group))


IN_BAND = joined(_("Registered elders in this age band on the reference day."), REGISTERED_NOTE)


def _band(code: str, band: str, label: Any, order: int) -> None:
    _registered(code, f"band:{band}", label, IN_BAND, order, Category.POPULATION)


_band("registered_60_69", "60-69", _("Registered elders aged 60-69"), 15)
_band("registered_70_79", "70-79", _("Registered elders aged 70-79"), 16)
_band("registered_80_89", "80-89", _("Registered elders aged 80-89"), 17)
_band("registered_90_plus", "90+", _("Registered elders aged 90+"), 18)


def _group(code: str, tag: str, label: Any, definition: Any, order: int) -> None:
    _registered(code, f"tag:{tag}", label, definition, order, Category.SPECIAL_GROUPS)


_group(
    "elders_very_old",
    Tag.VERY_OLD,
    _("Very old elders (80+, registered)"),
    _("Registered elders aged 80 or over on the reference day (高龄)."),
    20,
)
_group(
    "elders_living_alone",
    Tag.LIVING_ALONE,
    _("Elders living alone"),
    _("Registered elders whose living arrangement is 'living alone' (独居)."),
    21,
)
_group(
    "elders_empty_nest",
    Tag.EMPTY_NEST,
    _("Empty-nest elders"),
    _(
        "Registered elders living without their children (空巢): those living alone plus "
        "those living with their spouse only."
    ),
    22,
)
_group(
    "elders_disabled",
    Tag.DISABLED,
    _("Disabled elders (失能)"),
    _(
        "Registered elders whose final ability assessment (GB/T 42195-2022) found a severe "
        "or complete loss of ability. Elders never assessed are not counted."
    ),
    23,
)
_group(
    "elders_semi_disabled",
    Tag.SEMI_DISABLED,
    _("Semi-disabled elders (半失能)"),
    _(
        "Registered elders whose final ability assessment found a mild or moderate loss of "
        "ability. Counted apart from the disabled."
    ),
    24,
)
_group(
    "elders_extremely_poor",
    Tag.EXTREMELY_POOR,
    _("Extremely poor elders (特困)"),
    _("Registered elders supported as extremely poor (特困供养)."),
    25,
)
_group(
    "elders_minimum_living",
    Tag.MINIMUM_LIVING,
    _("Elders on the minimum-living allowance"),
    _("Registered elders whose household receives the minimum-living allowance (低保)."),
    26,
)
