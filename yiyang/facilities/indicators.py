"""The facility network's indicators: the 15-minute circle, coverage by service area,
facilities by kind, and beds added by construction projects.

Walking times are the latest `compute-coverage` run's (the table keeps no history), so a
rebuilt past month reads today's reach. A community counts as covered by a station when an
open community-care facility lists it in its service area (a rural centre serves several
villages); this source joins the organisations app's own rule through its
``COVERAGE_SOURCES`` hook, so the station-coverage indicators use it too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.db.models import Min, Q, QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from yiyang.core.indicator_figures import CountOf, SumOf
from yiyang.core.indicators import (
    Category,
    Compute,
    IndicatorValue,
    Period,
    indicator,
    ratio,
    ratios,
    register_breakdown,
    scope_q,
)
from yiyang.core.models import Division
from yiyang.elders.choices import DISABLED_LEVELS, LivingArrangement
from yiyang.facilities.choices import FacilityKind, FacilityStatus, method_label
from yiyang.facilities.models import (
    ConstructionProject,
    ConstructionTarget,
    CoverageRun,
    ElderReach,
    Facility,
)
from yiyang.organisations.indicators import COVERAGE_SOURCES, DAY_CARE_SOURCES

# Home-and-community care an elder walks to (the 15-minute circle of the texts).
CIRCLE_KINDS = (
    FacilityKind.COMMUNITY_STATION,
    FacilityKind.DAY_CARE_CENTRE,
    FacilityKind.STREET_CENTRE,
    FacilityKind.REGIONAL_CENTRE,
    FacilityKind.HAPPINESS_HOME,
)
# The health facilities care is combined with: doctors and nurses reach elders from them.
HEALTH_KINDS = (FacilityKind.HEALTH_CENTRE, FacilityKind.VILLAGE_CLINIC)


def open_on(period: Period) -> Q:
    """Open at the period's end: open now, and opened (when a date is known) before it."""
    return Q(status=FacilityStatus.OPEN) & (
        Q(opened_on__isnull=True) | Q(opened_on__lte=period.as_of)
    )


def service_area_coverage(period: Period, divisions: Sequence[Division]) -> set[str]:
    """Communities in the service area of an open station, day-care or care centre."""
    through = Facility.service_area.through
    facilities = Facility.objects.filter(open_on(period), kind__in=CIRCLE_KINDS)
    return set(
        through.objects.filter(facility__in=facilities)
        .filter(scope_q("division__code", divisions))
        .values_list("division__code", flat=True)
    )


if service_area_coverage not in COVERAGE_SOURCES:
    COVERAGE_SOURCES.append(service_area_coverage)


def day_care_service_areas(period: Period, divisions: Sequence[Division]) -> set[str]:
    """Streets (9-digit prefixes) where an open day-care centre stands or whose
    communities are in its service area."""
    centres = Facility.objects.filter(open_on(period), kind=FacilityKind.DAY_CARE_CENTRE)
    through = Facility.service_area.through
    served = through.objects.filter(facility__in=centres).filter(
        scope_q("division__code", divisions)
    )
    placed = centres.filter(scope_q("division_code", divisions))
    codes = [*served.values_list("division__code", flat=True)]
    codes += placed.values_list("division_code", flat=True)
    return {code[:9] for code in codes}


if day_care_service_areas not in DAY_CARE_SOURCES:
    DAY_CARE_SOURCES.append(day_care_service_areas)


def reach_method_note(division: Division) -> str:
    """Which method measured the walking times behind a circle figure of ``division``: the
    latest coverage run over it (its own, or one over a division above it)."""
    prefix = division.code_prefix
    run = (
        CoverageRun.objects.filter(division_code__in=[prefix[:n] for n in (0, 4, 6, 9, 12)])
        .only("method")
        .first()
    )
    if run is None:
        return gettext("Walking times have not been computed yet (yiyang compute-coverage).")
    return gettext("Walking times by the %(method)s method.") % {"method": method_label(run.method)}


def _circle(
    divisions: Sequence[Division], group: Q | None = None, kinds: Sequence[str] = CIRCLE_KINDS
) -> tuple[dict[str, int], dict[str, int]]:
    """(elders inside the circle, elders with a computed reach) per community code, for
    every elder or one group of them, to the nearest facility of ``kinds``."""
    reach = ElderReach.objects.filter(scope_q("division_code", divisions), kind__in=kinds)
    if group is not None:
        reach = reach.filter(group)
    best = (
        reach.values("elder_id", "division_code")
        .annotate(best=Min("minutes"))
        .values_list("division_code", "best")
    )
    limit = float(settings.FACILITY_CIRCLE_MINUTES)
    inside: dict[str, int] = {}
    reached: dict[str, int] = {}
    for code, minutes in best:
        reached[code] = reached.get(code, 0) + 1
        if minutes is not None and minutes <= limit:
            inside[code] = inside.get(code, 0) + 1
    return inside, reached


def circle_share(
    group: Callable[[Period], Q] | None = None, kinds: Sequence[str] = CIRCLE_KINDS
) -> Compute:
    """Elders (of a group, or all) inside the circle of a facility of ``kinds`` over the
    elders whose walking time to one was computed."""

    def compute(period: Period, divisions: Sequence[Division]) -> dict[int, IndicatorValue]:
        inside, reached = _circle(divisions, None if group is None else group(period), kinds)
        return ratios(divisions, inside, reached)

    return compute


indicator(
    code="circle_coverage",
    note=reach_method_note,
    name=_("Elders within the 15-minute circle"),
    unit="percent",
    category=Category.COMMUNITY,
    order=58,
    headline=True,
    definition=_(
        "Registered elders whose home lies within the circle's walking minutes "
        "(YIYANG_CIRCLE_MINUTES, 15) of an open community station, day-care centre, care "
        "centre or rural happiness home (numerator), over the elders whose walking time was "
        "computed by the latest coverage run (denominator; elders without coordinates are "
        "left out and listed on the coverage page)."
    ),
)(circle_share())

indicator(
    code="health_circle_coverage",
    note=reach_method_note,
    name=_("Elders within 15 minutes of a health facility"),
    unit="percent",
    category=Category.COMMUNITY,
    order=58,
    definition=_(
        "Registered elders whose home lies within the circle's walking minutes "
        "(YIYANG_CIRCLE_MINUTES, 15) of an open community or township health centre or "
        "village clinic, from where doctors and nurses reach them (numerator), over the "
        "elders whose walking time to such a facility the latest coverage run computed "
        "(denominator; none while no health facility is open)."
    ),
)(circle_share(kinds=HEALTH_KINDS))


def _very_old(period: Period) -> Q:
    end = period.as_of
    cutoff = end.replace(year=end.year - 80, day=28 if (end.month, end.day) == (2, 29) else end.day)
    return Q(elder__birth_date__lte=cutoff)


# The groups a plan may weight (facilities.choices.Group), each with its own circle figure.
CIRCLE_GROUPS: list[tuple[str, Any, Any]] = [
    ("very_old", _("Elders aged 80+ within the 15-minute circle"), _very_old),
    (
        "living_alone",
        _("Elders living alone within the 15-minute circle"),
        lambda period: Q(elder__living_arrangement=LivingArrangement.ALONE),
    ),
    (
        "disabled",
        _("Disabled elders within the 15-minute circle"),
        lambda period: Q(elder__ability_level__in=DISABLED_LEVELS),
    ),
]


def _circle_group(code: str, name: Any, condition: Any, order: int) -> None:
    indicator(
        code=f"circle_coverage_{code}",
        note=reach_method_note,
        name=name,
        unit="percent",
        category=Category.COMMUNITY,
        order=order,
        definition=_(
            "The 15-minute circle's coverage for one group the plans may weight: elders of "
            "the group within the circle (numerator) over the group's elders whose walking "
            "time the latest coverage run computed (denominator)."
        ),
    )(circle_share(condition))


for _n, (_code, _name, _condition) in enumerate(CIRCLE_GROUPS):
    _circle_group(_code, _name, _condition, 58)


def open_facilities(period: Period) -> QuerySet[Facility]:
    return Facility.objects.filter(open_on(period))


indicator(
    code="facilities_open",
    name=_("Open facilities of the care network"),
    unit="count",
    category=Category.COMMUNITY,
    order=59,
    definition=_(
        "Facilities of every kind (care homes, centres, stations, canteens, meal "
        "points, happiness homes, health stations) open at the period's end."
    ),
)(CountOf(open_facilities))


# The network by kind (open at the period's end) and by status (as the register holds it
# when computed; a month's snapshot keeps the status of its end).
register_breakdown(
    family="facilities_open",
    choices=FacilityKind,
    records=open_facilities,
    key_field="kind",
    code_field="division_code",
    name=_("Open facilities:"),
    definition=_("Facilities open at the period's end, of this kind:"),
    category=Category.COMMUNITY,
    order=59,
    direction="higher",
)
register_breakdown(
    family="facilities_status",
    choices=FacilityStatus,
    records=lambda period: Facility.objects.all(),
    key_field="status",
    code_field="division_code",
    name=_("Facilities by status:"),
    definition=_(
        "Facilities of every kind in the register with this status when the figure was "
        "computed (a month's snapshot keeps the status at its end):"
    ),
    category=Category.COMMUNITY,
    order=59,
    direction="higher",
)


def _projects_in_use(period: Period) -> Any:
    """Construction projects put into use from 1 January of the period's year to its end."""
    end = period.as_of
    return ConstructionProject.objects.filter(in_use_on__year=end.year, in_use_on__lte=end)


indicator(
    code="beds_added_this_year",
    name=_("Beds added by construction this year"),
    unit="beds",
    category=Category.INSTITUTIONS,
    order=49,
    definition=_(
        "Beds of construction projects put into use (投用) from 1 January of the "
        "period's year to its end."
    ),
)(SumOf(_projects_in_use, "beds_added"))


TARGET_LEVELS = ("city", "district")


@indicator(
    code="construction_target_progress",
    name=_("Construction against the year's targets"),
    unit="percent",
    category=Category.COMMUNITY,
    order=60,
    levels=TARGET_LEVELS,
    definition=_(
        "New facilities put into use (投用) by construction projects this year, of the kinds "
        "the division has a target for (numerator), over the new facilities its targets for "
        "the year ask for (denominator; the targets set on the projects page for the city "
        "or the district itself)."
    ),
)
def construction_target_progress(period: Period, divisions: Sequence[Division]) -> dict[int, Any]:
    year = period.as_of.year
    targets: dict[int, dict[str, int]] = {}
    for division_id, kind, asked in ConstructionTarget.objects.filter(
        year=year, division__in=divisions
    ).values_list("division_id", "kind", "facilities"):
        targets.setdefault(division_id, {})[kind] = asked
    done = list(_projects_in_use(period).values_list("division_code", "facility__kind"))
    values: dict[int, Any] = {}
    for division in divisions:
        wanted = targets.get(division.pk, {})
        made = sum(
            1 for code, kind in done if kind in wanted and code.startswith(division.code_prefix)
        )
        values[division.pk] = ratio(made, sum(wanted.values()))
    return values
