"""Tags and age bands, computed from the record at query time so they are always current
(an elder turns 80 without anyone editing the record)."""

from __future__ import annotations

import datetime

from django.db.models import Q

from yiyang.elders.choices import (
    AGE_BAND_YEARS,
    DISABLED_LEVELS,
    EMPTY_NEST_ARRANGEMENTS,
    SEMI_DISABLED_LEVELS,
    EconomicStatus,
    LivingArrangement,
    Tag,
)
from yiyang.elders.models import Elder

VERY_OLD_AGE = 80


def years_before(today: datetime.date, years: int) -> datetime.date:
    """The date ``years`` years before ``today`` (28 February for a 29 February)."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


def age_on(birth_date: datetime.date, today: datetime.date) -> int:
    return (
        today.year
        - birth_date.year
        - ((today.month, today.day) < (birth_date.month, birth_date.day))
    )


def aged_at_least(years: int, today: datetime.date) -> Q:
    return Q(birth_date__lte=years_before(today, years))


def aged_below(years: int, today: datetime.date) -> Q:
    return Q(birth_date__gt=years_before(today, years))


def tag_q(tag: str, today: datetime.date) -> Q:
    conditions = {
        Tag.VERY_OLD: aged_at_least(VERY_OLD_AGE, today),
        Tag.LIVING_ALONE: Q(living_arrangement=LivingArrangement.ALONE),
        Tag.EMPTY_NEST: Q(living_arrangement__in=EMPTY_NEST_ARRANGEMENTS),
        Tag.EXTREMELY_POOR: Q(economic_status=EconomicStatus.EXTREMELY_POOR),
        Tag.MINIMUM_LIVING: Q(economic_status=EconomicStatus.MINIMUM_LIVING),
        Tag.DISABLED: Q(ability_level__in=DISABLED_LEVELS),
        Tag.SEMI_DISABLED: Q(ability_level__in=SEMI_DISABLED_LEVELS),
    }
    return conditions[Tag(tag)]


def age_band_q(band: str, today: datetime.date) -> Q:
    low, high = AGE_BAND_YEARS[band]
    condition = aged_at_least(low, today)
    if high is not None:
        condition &= aged_below(high + 1, today)
    return condition


def elder_tags(elder: Elder, today: datetime.date) -> list[str]:
    tags = []
    if age_on(elder.birth_date, today) >= VERY_OLD_AGE:
        tags.append(Tag.VERY_OLD)
    if elder.living_arrangement == LivingArrangement.ALONE:
        tags.append(Tag.LIVING_ALONE)
    if elder.living_arrangement in EMPTY_NEST_ARRANGEMENTS:
        tags.append(Tag.EMPTY_NEST)
    if elder.economic_status == EconomicStatus.EXTREMELY_POOR:
        tags.append(Tag.EXTREMELY_POOR)
    if elder.economic_status == EconomicStatus.MINIMUM_LIVING:
        tags.append(Tag.MINIMUM_LIVING)
    if elder.ability_level in DISABLED_LEVELS:
        tags.append(Tag.DISABLED)
    if elder.ability_level in SEMI_DISABLED_LEVELS:
        tags.append(Tag.SEMI_DISABLED)
    return [str(t) for t in tags]


def age_band_of(elder: Elder, today: datetime.date) -> str:
    age = age_on(elder.birth_date, today)
    for band, (low, high) in AGE_BAND_YEARS.items():
        if age >= low and (high is None or age <= high):
            return str(band)
    return ""
