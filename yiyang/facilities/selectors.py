"""Reads of the facility network, each scoped to the actor's jurisdiction: facilities,
the active walking network, reach and coverage (counts, never names, except the list of
elders without coordinates for those who may see elders), scenarios and projects."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from yiyang.core.lookups import get_or_404
from yiyang.core.models import Division
from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.core.resources import Readable
from yiyang.core.scoping import prefix_q
from yiyang.elders.choices import DISABLED_LEVELS, ElderStatus, LivingArrangement
from yiyang.elders.models import Elder
from yiyang.facilities.choices import FacilityKind, FacilityStatus
from yiyang.facilities.coverage import Homes, hexagons, per_community, share
from yiyang.facilities.filtersets import FacilityFilterSet, ProjectFilterSet
from yiyang.facilities.models import (
    ConstructionProject,
    ConstructionTarget,
    CoverageRun,
    ElderReach,
    Facility,
    PlanScenario,
    RoadNetwork,
)
from yiyang.facilities.permissions import sees_small_counts
from yiyang.facilities.reach import Points

# The texts' rules: "每个社区至少有1个养老服务站", "每个街道至少有1个日间照料中心". A rural
# happiness home or a regional centre serving a village counts as its station; a street
# comprehensive centre counts as a day-care centre (it runs one).
STATION_RULE_KINDS = (
    FacilityKind.COMMUNITY_STATION,
    FacilityKind.HAPPINESS_HOME,
    FacilityKind.REGIONAL_CENTRE,
)
DAY_CARE_RULE_KINDS = (
    FacilityKind.DAY_CARE_CENTRE,
    FacilityKind.STREET_CENTRE,
    FacilityKind.REGIONAL_CENTRE,
)
ACTIVE_ELDER = Q(status=ElderStatus.ACTIVE)


def facility_queryset(*, actor: Actor) -> QuerySet[Facility]:
    """Every facility in the actor's jurisdiction (no permission check: for choices)."""
    return actor.scope.apply(
        Facility.objects.select_related(
            "organisation", "organisation__division", "organisation__operator"
        ),
        division_code_field="division_code",
        organisation_field="organisation_id",
    )


FACILITIES = Readable(facility_queryset, Permission.VIEW_FACILITIES, FacilityFilterSet)
facility_list = FACILITIES.list
facility_get_for_actor = FACILITIES.get


def scope_prefix(actor: Actor) -> str:
    """The division prefix coverage is computed and shown for ("" for nothing)."""
    return actor.scope.division_prefix or ""


def division_choices(*, actor: Actor, levels: tuple[str, ...]) -> QuerySet[Division]:
    prefix = actor.scope.division_prefix
    if prefix is None:
        return Division.objects.none()
    return Division.objects.filter(prefix_q("code", prefix), level__in=levels).order_by("code")


def division_get_in_scope(*, actor: Actor, code: str) -> Division:
    prefix = actor.scope.division_prefix
    division = Division.objects.filter(code=code).first()
    if division is None or prefix is None or not division.code.startswith(prefix):
        raise Http404("division")
    return division


def city_for_prefix(prefix: str) -> Division | None:
    return Division.objects.filter(level="city", code__startswith=prefix[:4]).first()


def active_network(*, city: Division) -> RoadNetwork | None:
    return RoadNetwork.objects.filter(city=city, active=True).defer("data").first()


def network_data(network: RoadNetwork) -> bytes:
    return bytes(RoadNetwork.objects.values_list("data", flat=True).get(pk=network.pk))


def open_facility_points(*, city_prefix: str, kind: str) -> Points:
    """Open facilities of a kind anywhere in the city (an elder may walk across a
    district's border), with coordinates."""
    rows = Facility.objects.filter(
        prefix_q("division_code", city_prefix),
        kind=kind,
        status=FacilityStatus.OPEN,
        organisation__lat__isnull=False,
        organisation__lng__isnull=False,
    ).values_list("organisation__lat", "organisation__lng")
    return Points.of([(float(a or 0), float(b or 0)) for a, b in rows])


def open_kinds(*, city_prefix: str) -> list[str]:
    return sorted(
        set(
            Facility.objects.filter(
                prefix_q("division_code", city_prefix),
                status=FacilityStatus.OPEN,
            ).values_list("kind", flat=True)
        )
    )


@dataclass
class HomeRows:
    ids: np.ndarray
    homes: Homes
    without_coordinates: int


def _flags(rows: list[tuple[Any, ...]], today: datetime.date) -> dict[str, np.ndarray]:
    cutoff = (
        today.replace(year=today.year - 80)
        if not (today.month == 2 and today.day == 29)
        else today.replace(year=today.year - 80, day=28)
    )
    return {
        "very_old": np.fromiter((r[4] <= cutoff for r in rows), dtype=bool, count=len(rows)),
        "living_alone": np.fromiter(
            (r[5] == LivingArrangement.ALONE for r in rows), dtype=bool, count=len(rows)
        ),
        "disabled": np.fromiter(
            (r[6] in DISABLED_LEVELS for r in rows), dtype=bool, count=len(rows)
        ),
    }


def elder_homes(*, prefix: str) -> HomeRows:
    """Every active elder under ``prefix``: those with coordinates as arrays, and how many
    have none (counted apart, never dropped silently)."""
    elders = Elder.objects.filter(prefix_q("division_code", prefix), ACTIVE_ELDER)
    rows = list(
        elders.filter(lat__isnull=False, lng__isnull=False)
        .values_list(
            "pk",
            "lat",
            "lng",
            "community_id",
            "birth_date",
            "living_arrangement",
            "ability_level",
        )
        .order_by("pk")
    )
    missing = elders.filter(Q(lat__isnull=True) | Q(lng__isnull=True)).count()
    flags = _flags(rows, timezone.localdate())
    homes = Homes(
        lat=np.fromiter((float(r[1] or 0) for r in rows), dtype=np.float64, count=len(rows)),
        lng=np.fromiter((float(r[2] or 0) for r in rows), dtype=np.float64, count=len(rows)),
        community=np.fromiter((r[3] for r in rows), dtype=np.int64, count=len(rows)),
        **flags,
    )
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    return HomeRows(ids=ids, homes=homes, without_coordinates=missing)


def elders_without_coordinates(*, actor: Actor, limit: int = 200) -> QuerySet[Elder]:
    """Elders in scope with no coordinates, for correction (names for those who may see
    elders; the coverage page shows the count to everyone else)."""
    require_perm(actor, Permission.VIEW_ELDERS)
    return (
        actor.scope.apply(
            Elder.objects.filter(ACTIVE_ELDER).filter(Q(lat__isnull=True) | Q(lng__isnull=True)),
            division_code_field="division_code",
        )
        .select_related("community")
        .order_by("division_code", "name")[:limit]
    )


def latest_run(*, prefix: str) -> CoverageRun | None:
    """The newest computation that covers ``prefix`` (its own or one above it)."""
    candidates = [prefix[:n] for n in (0, 4, 6, 9, 12) if n <= len(prefix)]
    return CoverageRun.objects.filter(division_code__in=candidates).first()


def reach_homes(*, actor: Actor, kind: str) -> Homes:
    """Elders in scope with their stored walking time to the nearest open ``kind``."""
    rows = list(
        actor.scope.apply(
            ElderReach.objects.filter(kind=kind, elder__status=ElderStatus.ACTIVE),
            division_code_field="division_code",
        ).values_list(
            "minutes",
            "elder__lat",
            "elder__lng",
            "elder__community_id",
            "elder__birth_date",
            "elder__living_arrangement",
            "elder__ability_level",
        )
    )
    rows = [r for r in rows if r[1] is not None and r[2] is not None]
    flags = _flags(rows, timezone.localdate())
    return Homes(
        lat=np.fromiter((float(r[1] or 0) for r in rows), dtype=np.float64, count=len(rows)),
        lng=np.fromiter((float(r[2] or 0) for r in rows), dtype=np.float64, count=len(rows)),
        community=np.fromiter((r[3] for r in rows), dtype=np.int64, count=len(rows)),
        minutes=np.fromiter(
            (np.inf if r[0] is None else r[0] for r in rows), dtype=np.float64, count=len(rows)
        ),
        **flags,
    )


def served_communities(*, prefix: str, kinds: tuple[str, ...]) -> set[int]:
    """Communities named in the service area of an open facility of ``kinds`` (or where one
    stands): the service-area rule."""
    open_ = Facility.objects.filter(
        prefix_q("division_code", prefix[:4]), kind__in=kinds, status=FacilityStatus.OPEN
    )
    named = set(
        Facility.service_area.through.objects.filter(facility__in=open_).values_list(
            "division_id", flat=True
        )
    )
    standing = set(
        open_.filter(organisation__division__level="community").values_list(
            "organisation__division_id", flat=True
        )
    )
    return named | standing


def served_streets(*, prefix: str, kinds: tuple[str, ...]) -> set[int]:
    """Streets with an open facility of ``kinds`` standing in them or serving one of their
    communities."""
    communities = served_communities(prefix=prefix, kinds=kinds)
    streets = set(Division.objects.filter(pk__in=communities).values_list("parent_id", flat=True))
    standing = Facility.objects.filter(
        prefix_q("division_code", prefix[:4]),
        kind__in=kinds,
        status=FacilityStatus.OPEN,
        organisation__division__level="street",
    ).values_list("organisation__division_id", flat=True)
    return streets | set(standing)


def rule_coverage(*, actor: Actor) -> dict[str, Any]:
    """The texts' two rules in the actor's jurisdiction, urban and rural apart: communities
    with a station, streets with a day-care centre, and the lists of those without."""
    require_perm(actor, Permission.VIEW_COVERAGE)
    prefix = scope_prefix(actor)
    if actor.scope.division_prefix is None:
        return {
            "communities": {},
            "streets": {},
            "uncovered_communities": [],
            "uncovered_streets": [],
        }
    with_station = served_communities(prefix=prefix, kinds=STATION_RULE_KINDS)
    with_day_care = served_streets(prefix=prefix, kinds=DAY_CARE_RULE_KINDS)
    divisions = Division.objects.filter(prefix_q("code", prefix))
    result: dict[str, Any] = {"communities": {}, "streets": {}}
    uncovered: dict[str, list[Division]] = {"community": [], "street": []}
    for level, served, key in (
        ("community", with_station, "communities"),
        ("street", with_day_care, "streets"),
    ):
        rows = list(divisions.filter(level=level).select_related("parent"))
        for group, urban in (("urban", True), ("rural", False)):
            part = [d for d in rows if d.is_urban == urban]
            done = sum(1 for d in part if d.pk in served)
            result[key][group] = {
                "total": len(part),
                "covered": done,
                "percent": share(done, len(part)),
            }
        uncovered[level] = [d for d in rows if d.pk not in served]
    result["uncovered_communities"] = uncovered["community"]
    result["uncovered_streets"] = uncovered["street"]
    return result


def circle_coverage(*, actor: Actor, kind: str) -> dict[str, Any]:
    """The 15-minute circle for ``kind`` in the actor's jurisdiction: per group the elders
    and those inside, per community, street and district (urban and rural apart), and the
    hexagon layer with the k-anonymity rule."""
    require_perm(actor, Permission.VIEW_COVERAGE)
    circle = float(settings.FACILITY_CIRCLE_MINUTES)
    homes = reach_homes(actor=actor, kind=kind)
    covered = homes.minutes <= circle
    by_community = per_community(homes, covered)
    divisions = {d.pk: d for d in Division.objects.filter(pk__in=list(by_community))}
    rollup: dict[str, dict[str, dict[str, int]]] = {}
    for pk, groups in by_community.items():
        division = divisions.get(pk)
        if division is None:
            continue
        for level_len in (6, 9, 12):
            code = division.code[:level_len].ljust(12, "0")
            target = rollup.setdefault(code, {})
            for g, numbers in groups.items():
                slot = target.setdefault(g, {"elders": 0, "covered": 0})
                slot["elders"] += numbers["elders"]
                slot["covered"] += numbers["covered"]
    names = {d.code: d for d in Division.objects.filter(code__in=list(rollup))}
    rows = []
    for code in sorted(rollup):
        division = names.get(code)
        if division is None:
            continue
        groups = rollup[code]
        rows.append(
            {
                "division": division,
                "level": division.level,
                "urban": division.is_urban,
                "groups": {
                    g: {**n, "percent": share(n["covered"], n["elders"])} for g, n in groups.items()
                },
            }
        )
    totals: dict[str, dict[str, Any]] = {}
    for g in ("all", "very_old", "living_alone", "disabled"):
        m = homes.group(g)
        n, c = int(m.sum()), int((m & covered).sum())
        totals[g] = {"elders": n, "covered": c, "percent": share(c, n)}
    urban_ids = {pk for pk, d in divisions.items() if d.is_urban}
    is_urban = np.isin(homes.community, list(urban_ids))
    by_area = {}
    for area, mask in (("urban", is_urban), ("rural", ~is_urban)):
        n, c = int(mask.sum()), int((mask & covered).sum())
        by_area[area] = {"elders": n, "covered": c, "percent": share(c, n)}
    return {
        "kind": kind,
        "circle_minutes": circle,
        "totals": totals,
        "areas": by_area,
        "divisions": rows,
        "hexagons": hexagons(
            homes,
            covered,
            min_count=int(settings.FACILITY_MIN_CELL_COUNT),
            show_small=sees_small_counts(actor),
        ),
        "run": latest_run(prefix=scope_prefix(actor)),
    }


def scenario_queryset(*, actor: Actor) -> QuerySet[PlanScenario]:
    return actor.scope.apply(
        PlanScenario.objects.select_related("division"), division_code_field="division__code"
    )


def scenario_list(*, actor: Actor) -> QuerySet[PlanScenario]:
    require_perm(actor, Permission.PLAN_FACILITIES)
    return scenario_queryset(actor=actor)


def scenario_get_for_actor(*, actor: Actor, external_id: uuid.UUID | str) -> PlanScenario:
    require_perm(actor, Permission.PLAN_FACILITIES)
    return get_or_404(scenario_queryset(actor=actor), external_id=external_id)


def project_queryset(*, actor: Actor) -> QuerySet[ConstructionProject]:
    return actor.scope.apply(
        ConstructionProject.objects.select_related(
            "facility", "facility__organisation", "facility__organisation__division"
        ),
        division_code_field="division_code",
        organisation_field="facility__organisation_id",
    )


PROJECTS = Readable(project_queryset, Permission.VIEW_FACILITIES, ProjectFilterSet)
project_list = PROJECTS.list
project_get_for_actor = PROJECTS.get


def targets_for(*, actor: Actor, year: int) -> QuerySet[ConstructionTarget]:
    return actor.scope.apply(
        ConstructionTarget.objects.filter(year=year).select_related("division"),
        division_code_field="division__code",
    )
