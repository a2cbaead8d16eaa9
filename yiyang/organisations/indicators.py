"""Institutions, beds, community facilities and canteens.

Organisations count when active and registered before the period's end. Beds are the
figures on the institution's record today (the record keeps no bed history), so a rebuilt
past month uses today's bed counts of the institutions that existed then.

Station coverage counts a community as covered when at least one active community care
facility serves it. Today that is a community station or day-care centre placed in the
community; ``COVERAGE_SOURCES`` is the hook through which a later facilities app adds the
communities its facilities' service areas reach (each source returns the codes of the
covered communities), so that a facility serving its neighbours counts for them too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import F, QuerySet
from django.utils.translation import gettext_lazy as _

from yiyang.core.choices import DivisionLevel
from yiyang.core.indicator_figures import CountOf, SumOf, SumShareOf
from yiyang.core.indicator_rows import census, covered_share, division_codes
from yiyang.core.indicators import (
    Category,
    Compute,
    IndicatorValue,
    Level,
    Number,
    Period,
    indicator,
    joined,
    ratios,
    scope_q,
    sum_by_code,
)
from yiyang.core.models import Division
from yiyang.organisations.choices import OrganisationKind, OrganisationStatus, Ownership
from yiyang.organisations.models import Organisation

STATION_KINDS = (OrganisationKind.COMMUNITY_STATION, OrganisationKind.DAY_CARE_CENTRE)
ABOVE_COMMUNITY = (Level.CITY, Level.DISTRICT, Level.STREET)

CoverageSource = Callable[[Period, Sequence[Division]], set[str]]


def stations_in_community(period: Period, divisions: Sequence[Division]) -> set[str]:
    """Communities with an active station or day-care centre of their own."""
    return set(
        active(period)
        .filter(kind__in=STATION_KINDS, division__level=DivisionLevel.COMMUNITY)
        .filter(scope_q("division__code", divisions))
        .values_list("division__code", flat=True)
    )


# Where coverage comes from; a facilities app appends its service-area source here.
COVERAGE_SOURCES: list[CoverageSource] = [stations_in_community]


def active(period: Period) -> QuerySet[Organisation]:
    return Organisation.objects.filter(
        status=OrganisationStatus.ACTIVE, created_at__lt=period.end_dt()
    )


def institutions(period: Period) -> QuerySet[Organisation]:
    return active(period).filter(kind=OrganisationKind.CARE_INSTITUTION)


def organisations_of(kind: str, **filters: Any) -> Callable[[Period], QuerySet[Organisation]]:
    """The active organisations of one kind (and ``filters``) at the period's end."""
    return lambda period: active(period).filter(kind=kind, **filters)


# Organisations carry their division's code on the division itself.
CODE = "division__code"


def elder_base(divisions: Sequence[Division]) -> dict[str, int]:
    """Census residents aged INDICATOR_ELDER_AGE+ (60 by default, or 65) per community."""
    field = "population_65_plus" if settings.INDICATOR_ELDER_AGE == 65 else "population_60_plus"
    return census(divisions, field)


def per_1000_elders(
    divisions: Sequence[Division], per_code: Mapping[str, Number]
) -> dict[int, IndicatorValue]:
    """A figure per 1,000 census residents of the base age (:func:`elder_base`)."""
    return ratios(divisions, per_code, elder_base(divisions), scale=1000)


BASE_NOTE = _(
    "The base is census residents aged 60+ (INDICATOR_ELDER_AGE=60, the default) or 65+ "
    "(INDICATOR_ELDER_AGE=65): the source texts divide by either."
)


indicator(
    code="institutions",
    name=_("Care institutions"),
    unit="count",
    category=Category.INSTITUTIONS,
    order=40,
    definition=_("Active care institutions (养老机构) registered in the division."),
)(CountOf(institutions, code_field=CODE))

indicator(
    code="institutions_public",
    name=_("Public care institutions"),
    unit="count",
    category=Category.INSTITUTIONS,
    order=41,
    definition=_("Active care institutions owned by the government (公办)."),
)(CountOf(lambda period: institutions(period).filter(ownership=Ownership.PUBLIC), code_field=CODE))

indicator(
    code="institutions_private",
    name=_("Private care institutions"),
    unit="count",
    category=Category.INSTITUTIONS,
    order=42,
    definition=_("Active care institutions in private ownership (民办)."),
)(CountOf(lambda period: institutions(period).filter(ownership=Ownership.PRIVATE), code_field=CODE))

indicator(
    code="beds",
    name=_("Beds in care institutions"),
    unit="beds",
    category=Category.INSTITUTIONS,
    order=43,
    headline=True,
    definition=_("Total beds of the active care institutions (as on their records)."),
)(SumOf(institutions, F("total_beds"), code_field=CODE))


@indicator(
    code="beds_per_1000",
    name=_("Beds per 1,000 elders"),
    unit="per_1000",
    category=Category.INSTITUTIONS,
    order=44,
    headline=True,
    definition=joined(
        _("Institution beds (numerator) per 1,000 census residents of the base age (denominator)."),
        BASE_NOTE,
    ),
)
def beds_per_1000(period: Period, divisions: Sequence[Division]) -> dict[int, Any]:
    return per_1000_elders(
        divisions, sum_by_code(institutions(period), CODE, divisions, F("total_beds"))
    )


indicator(
    code="nursing_bed_share",
    name=_("Nursing-type beds as a share of beds"),
    unit="percent",
    category=Category.INSTITUTIONS,
    order=45,
    headline=True,
    definition=_(
        "Nursing-type beds (护理型床位, numerator) divided by all beds (denominator) of the "
        "active care institutions. The national target is at least 70%."
    ),
    default_target=lambda: Decimal(70),
)(SumShareOf(institutions, F("nursing_beds"), F("total_beds"), code_field=CODE))


def occupancy(urban: bool | None) -> SumShareOf:
    """Occupied beds over beds of the institutions that report occupancy (in urban or in
    rural divisions only, or in all)."""

    def reporting(period: Period) -> QuerySet[Organisation]:
        queryset = institutions(period).filter(total_beds__gt=0, occupied_beds__isnull=False)
        if urban is not None:
            queryset = queryset.filter(division__is_urban=urban)
        return queryset

    return SumShareOf(reporting, F("occupied_beds"), F("total_beds"), code_field=CODE)


OCCUPANCY = _(
    "Occupied beds (numerator) divided by beds (denominator) of active care institutions "
    "that report occupancy."
)


# The occupancy figures: code, name, the sentence the definition adds, urban (True), rural
# (False) or all institutions (None), and order.
OCCUPANCY_FIGURES: list[tuple[str, Any, Any, bool | None, int]] = [
    ("occupancy", _("Bed occupancy"), None, None, 46),
    (
        "occupancy_urban",
        _("Bed occupancy, urban"),
        _("Only institutions in urban divisions."),
        True,
        47,
    ),
    (
        "occupancy_rural",
        _("Bed occupancy, rural"),
        _("Only institutions in rural divisions (villages, towns)."),
        False,
        48,
    ),
]
for _code, _name, _only, _urban, _order in OCCUPANCY_FIGURES:
    indicator(
        code=_code,
        name=_name,
        unit="percent",
        category=Category.INSTITUTIONS,
        order=_order,
        definition=OCCUPANCY if _only is None else joined(OCCUPANCY, _only),
    )(occupancy(_urban))


def coverage(urban: bool | None) -> Compute:
    """Communities (urban or rural only, or all) covered by a source of
    ``COVERAGE_SOURCES`` as a share of all of them."""

    def compute(period: Period, divisions: Sequence[Division]) -> dict[int, IndicatorValue]:
        only = {} if urban is None else {"is_urban": urban}
        codes = division_codes(divisions, DivisionLevel.COMMUNITY, **only)
        covered: set[str] = set()
        for source in COVERAGE_SOURCES:
            covered |= source(period, divisions)
        return covered_share(divisions, codes, covered)

    return compute


COVERAGE = _(
    "Communities served by at least one active community care station or day-care centre "
    "(numerator) divided by all communities (denominator). A facility counts for every "
    "community it serves, not only the one it stands in."
)


indicator(
    code="station_coverage",
    name=_("Communities with a care station"),
    unit="percent",
    category=Category.COMMUNITY,
    order=50,
    headline=True,
    definition=COVERAGE,
)(coverage(None))


indicator(
    code="station_coverage_urban",
    name=_("Urban communities with a care station"),
    unit="percent",
    category=Category.COMMUNITY,
    order=51,
    definition=joined(COVERAGE, _("Urban communities only; the target is 100%.")),
    default_target=lambda: Decimal(100),
)(coverage(True))


indicator(
    code="station_coverage_rural",
    name=_("Rural villages with a care station"),
    unit="percent",
    category=Category.COMMUNITY,
    order=52,
    definition=joined(COVERAGE, _("Rural villages only; the target is 90%.")),
    default_target=lambda: Decimal(90),
)(coverage(False))


def day_care_in_street(period: Period, divisions: Sequence[Division]) -> set[str]:
    """Streets (9-digit code prefixes) with an active day-care centre placed in them."""
    return {
        code[:9]
        for code in active(period)
        .filter(kind=OrganisationKind.DAY_CARE_CENTRE)
        .filter(scope_q("division__code", divisions))
        .values_list("division__code", flat=True)
    }


# Where a street's day-care centre comes from; the facilities app adds the streets its
# day-care centres' service areas reach (a centre may serve the next street's communities).
DAY_CARE_SOURCES: list[CoverageSource] = [day_care_in_street]


@indicator(
    code="streets_with_day_care",
    name=_("Streets with a day-care centre"),
    unit="percent",
    category=Category.COMMUNITY,
    order=53,
    levels=ABOVE_COMMUNITY,
    definition=_(
        "Streets and townships with at least one active day-care centre (日间照料中心) in them "
        "or serving one of their communities (numerator) divided by all streets and "
        "townships (denominator)."
    ),
)
def streets_with_day_care(period: Period, divisions: Sequence[Division]) -> dict[int, Any]:
    streets = division_codes(divisions, DivisionLevel.STREET)
    with_centre: set[str] = set()
    for source in DAY_CARE_SOURCES:
        with_centre |= source(period, divisions)
    return covered_share(divisions, streets, {s for s in streets if s[:9] in with_centre})


indicator(
    code="community_stations",
    name=_("Community care stations"),
    unit="count",
    category=Category.COMMUNITY,
    order=54,
    definition=_("Active community care stations (社区养老服务站) in the division."),
)(CountOf(organisations_of(OrganisationKind.COMMUNITY_STATION), code_field=CODE))

indicator(
    code="canteens",
    name=_("Elderly canteens"),
    unit="count",
    category=Category.COMMUNITY,
    order=55,
    definition=_("Active elderly canteens (老年食堂) in the division."),
)(CountOf(organisations_of(OrganisationKind.ELDERLY_CANTEEN), code_field=CODE))
