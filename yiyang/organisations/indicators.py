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

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import F, QuerySet
from django.utils.translation import gettext_lazy as _

from yiyang.core.choices import DivisionLevel
from yiyang.core.indicators import (
    Category,
    IndicatorValue,
    Level,
    Period,
    count_by_code,
    counts,
    indicator,
    joined,
    ratio,
    ratios,
    rollup,
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


def org_counts(
    period: Period, divisions: Sequence[Division], queryset: QuerySet[Organisation]
) -> dict[int, IndicatorValue]:
    return counts(divisions, count_by_code(queryset, "division__code", divisions))


def elder_base(divisions: Sequence[Division]) -> dict[str, int]:
    """Census residents aged INDICATOR_ELDER_AGE+ (60 by default, or 65) per community."""
    field = "population_65_plus" if settings.INDICATOR_ELDER_AGE == 65 else "population_60_plus"
    rows = Division.objects.filter(
        scope_q("code", divisions), level=DivisionLevel.COMMUNITY
    ).values_list("code", field)
    return {code: n for code, n in rows if n}


BASE_NOTE = _(
    "The base is census residents aged 60+ (INDICATOR_ELDER_AGE=60, the default) or 65+ "
    "(INDICATOR_ELDER_AGE=65): the source texts divide by either."
)


@indicator(
    code="institutions",
    name=_("Care institutions"),
    unit="count",
    category=Category.INSTITUTIONS,
    order=40,
    definition=_("Active care institutions (养老机构) registered in the division."),
)
def institutions_total(period: Period, divisions: Sequence[Division]) -> dict[int, Any]:
    return org_counts(period, divisions, institutions(period))


@indicator(
    code="institutions_public",
    name=_("Public care institutions"),
    unit="count",
    category=Category.INSTITUTIONS,
    order=41,
    definition=_("Active care institutions owned by the government (公办)."),
)
def institutions_public(period: Period, divisions: Sequence[Division]) -> dict[int, Any]:
    return org_counts(period, divisions, institutions(period).filter(ownership=Ownership.PUBLIC))


@indicator(
    code="institutions_private",
    name=_("Private care institutions"),
    unit="count",
    category=Category.INSTITUTIONS,
    order=42,
    definition=_("Active care institutions in private ownership (民办)."),
)
def institutions_private(period: Period, divisions: Sequence[Division]) -> dict[int, Any]:
    return org_counts(period, divisions, institutions(period).filter(ownership=Ownership.PRIVATE))


def beds(period: Period, divisions: Sequence[Division], field: str) -> dict[str, Any]:
    return sum_by_code(institutions(period), "division__code", divisions, F(field))


@indicator(
    code="beds",
    name=_("Beds in care institutions"),
    unit="beds",
    category=Category.INSTITUTIONS,
    order=43,
    headline=True,
    definition=_("Total beds of the active care institutions (as on their records)."),
)
def beds_total(period: Period, divisions: Sequence[Division]) -> dict[int, Any]:
    return counts(divisions, beds(period, divisions, "total_beds"))


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
    return ratios(
        divisions, beds(period, divisions, "total_beds"), elder_base(divisions), scale=1000
    )


@indicator(
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
)
def nursing_bed_share(period: Period, divisions: Sequence[Division]) -> dict[int, Any]:
    return ratios(
        divisions, beds(period, divisions, "nursing_beds"), beds(period, divisions, "total_beds")
    )


def occupancy(period: Period, divisions: Sequence[Division], urban: bool | None) -> Any:
    queryset = institutions(period).filter(total_beds__gt=0, occupied_beds__isnull=False)
    if urban is not None:
        queryset = queryset.filter(division__is_urban=urban)
    occupied = sum_by_code(queryset, "division__code", divisions, F("occupied_beds"))
    total = sum_by_code(queryset, "division__code", divisions, F("total_beds"))
    return ratios(divisions, occupied, total)


OCCUPANCY = _(
    "Occupied beds (numerator) divided by beds (denominator) of active care institutions "
    "that report occupancy."
)


@indicator(
    code="occupancy",
    name=_("Bed occupancy"),
    unit="percent",
    category=Category.INSTITUTIONS,
    order=46,
    definition=OCCUPANCY,
)
def occupancy_all(period: Period, divisions: Sequence[Division]) -> dict[int, Any]:
    return dict(occupancy(period, divisions, None))


@indicator(
    code="occupancy_urban",
    name=_("Bed occupancy, urban"),
    unit="percent",
    category=Category.INSTITUTIONS,
    order=47,
    definition=joined(OCCUPANCY, _("Only institutions in urban divisions.")),
)
def occupancy_urban(period: Period, divisions: Sequence[Division]) -> dict[int, Any]:
    return dict(occupancy(period, divisions, True))


@indicator(
    code="occupancy_rural",
    name=_("Bed occupancy, rural"),
    unit="percent",
    category=Category.INSTITUTIONS,
    order=48,
    definition=joined(OCCUPANCY, _("Only institutions in rural divisions (villages, towns).")),
)
def occupancy_rural(period: Period, divisions: Sequence[Division]) -> dict[int, Any]:
    return dict(occupancy(period, divisions, False))


def coverage(
    period: Period, divisions: Sequence[Division], urban: bool | None
) -> dict[int, IndicatorValue]:
    communities = Division.objects.filter(scope_q("code", divisions), level=DivisionLevel.COMMUNITY)
    if urban is not None:
        communities = communities.filter(is_urban=urban)
    codes = list(communities.values_list("code", flat=True))
    covered: set[str] = set()
    for source in COVERAGE_SOURCES:
        covered |= source(period, divisions)
    return ratios(
        divisions, {code: 1 for code in codes if code in covered}, dict.fromkeys(codes, 1)
    )


COVERAGE = _(
    "Communities served by at least one active community care station or day-care centre "
    "(numerator) divided by all communities (denominator). A facility counts for every "
    "community it serves, not only the one it stands in."
)


@indicator(
    code="station_coverage",
    name=_("Communities with a care station"),
    unit="percent",
    category=Category.COMMUNITY,
    order=50,
    headline=True,
    definition=COVERAGE,
)
def station_coverage(period: Period, divisions: Sequence[Division]) -> dict[int, Any]:
    return coverage(period, divisions, None)


@indicator(
    code="station_coverage_urban",
    name=_("Urban communities with a care station"),
    unit="percent",
    category=Category.COMMUNITY,
    order=51,
    definition=joined(COVERAGE, _("Urban communities only; the target is 100%.")),
    default_target=lambda: Decimal(100),
)
def station_coverage_urban(period: Period, divisions: Sequence[Division]) -> dict[int, Any]:
    return coverage(period, divisions, True)


@indicator(
    code="station_coverage_rural",
    name=_("Rural villages with a care station"),
    unit="percent",
    category=Category.COMMUNITY,
    order=52,
    definition=joined(COVERAGE, _("Rural villages only; the target is 90%.")),
    default_target=lambda: Decimal(90),
)
def station_coverage_rural(period: Period, divisions: Sequence[Division]) -> dict[int, Any]:
    return coverage(period, divisions, False)


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
    streets = list(
        Division.objects.filter(scope_q("code", divisions), level=DivisionLevel.STREET).values_list(
            "code", flat=True
        )
    )
    with_centre: set[str] = set()
    for source in DAY_CARE_SOURCES:
        with_centre |= source(period, divisions)
    top = rollup(divisions, {s: 1 for s in streets if s[:9] in with_centre})
    bottom = rollup(divisions, dict.fromkeys(streets, 1))
    return {d.pk: ratio(top[d.pk], bottom[d.pk]) for d in divisions}


@indicator(
    code="community_stations",
    name=_("Community care stations"),
    unit="count",
    category=Category.COMMUNITY,
    order=54,
    definition=_("Active community care stations (社区养老服务站) in the division."),
)
def community_stations(period: Period, divisions: Sequence[Division]) -> dict[int, Any]:
    queryset = active(period).filter(kind=OrganisationKind.COMMUNITY_STATION)
    return org_counts(period, divisions, queryset)


@indicator(
    code="canteens",
    name=_("Elderly canteens"),
    unit="count",
    category=Category.COMMUNITY,
    order=55,
    definition=_("Active elderly canteens (老年食堂) in the division."),
)
def canteens(period: Period, divisions: Sequence[Division]) -> dict[int, Any]:
    queryset = active(period).filter(kind=OrganisationKind.ELDERLY_CANTEEN)
    return org_counts(period, divisions, queryset)
