"""Where to build next: a scenario (a facility kind, k new sites or a budget with a cost per
site, candidate sites, weights per group) solved in the background as a maximal covering
location problem, exactly (HiGHS, with its optimality gap) and greedily side by side; saved,
compared, exported; a chosen site becomes a planned facility with its construction project.

Demand is every active elder of the scenario's division with coordinates who is not yet
within the circle of an open facility of the kind, weighted
``all + very_old·[80+] + living_alone·[alone] + disabled·[disabled]``.
"""

from __future__ import annotations

import io
import logging
import time
from decimal import Decimal
from typing import Any

import h3
import numpy as np
import openpyxl
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task
from scipy.sparse import csr_matrix

from yiyang.core.audit import audit_record
from yiyang.core.cells import safe_row
from yiyang.core.choices import AuditAction
from yiyang.core.models import Division
from yiyang.core.permissions import Actor, Permission, actor_user, require_perm
from yiyang.core.scoping import prefix_q
from yiyang.facilities import mclp, selectors, services
from yiyang.facilities.candidates import MAX_CANDIDATES
from yiyang.facilities.candidates import candidates_from_file as candidates_from_file
from yiyang.facilities.choices import (
    CandidateSource,
    FacilityKind,
    FacilityStatus,
    Group,
    ReachMethod,
    ScenarioStatus,
    method_label,
)
from yiyang.facilities.models import ConstructionProject, Facility, PlanScenario
from yiyang.facilities.reach import (
    Network,
    Points,
    Router,
    detour_reach,
    distances_each,
    metres_per_minute,
    network_reach,
    straight_each,
)
from yiyang.organisations.choices import OrganisationKind, OrganisationStatus, Ownership
from yiyang.organisations.models import Organisation
from yiyang.organisations.services import organisation_create

logger = logging.getLogger(__name__)
MAX_SITES = 50
GRID_RESOLUTION = 8
# The organisation kind a planned facility is registered as (the register's vocabulary).
ORGANISATION_KIND_OF = {
    FacilityKind.RURAL_CARE_HOME: OrganisationKind.CARE_INSTITUTION,
    FacilityKind.PUBLIC_INSTITUTION: OrganisationKind.CARE_INSTITUTION,
    FacilityKind.PRIVATE_INSTITUTION: OrganisationKind.CARE_INSTITUTION,
    FacilityKind.STREET_CENTRE: OrganisationKind.DAY_CARE_CENTRE,
    FacilityKind.REGIONAL_CENTRE: OrganisationKind.DAY_CARE_CENTRE,
    FacilityKind.DAY_CARE_CENTRE: OrganisationKind.DAY_CARE_CENTRE,
    FacilityKind.COMMUNITY_STATION: OrganisationKind.COMMUNITY_STATION,
    FacilityKind.HAPPINESS_HOME: OrganisationKind.COMMUNITY_STATION,
    FacilityKind.ELDERLY_CANTEEN: OrganisationKind.ELDERLY_CANTEEN,
    FacilityKind.MEAL_POINT: OrganisationKind.ELDERLY_CANTEEN,
    FacilityKind.HEALTH_CENTRE: OrganisationKind.HEALTH_CENTRE,
    FacilityKind.VILLAGE_CLINIC: OrganisationKind.VILLAGE_CLINIC,
}
# --- starting and running a scenario -----------------------------------------------------


def _weights(raw: dict[str, Any] | None) -> dict[str, float]:
    weights = {"all": 1.0, "very_old": 0.0, "living_alone": 0.0, "disabled": 0.0}
    for key, value in (raw or {}).items():
        if key not in weights:
            raise ValidationError({"weights": _("Unknown group: %(g)s.") % {"g": key}})
        try:
            weights[key] = float(value)
        except (TypeError, ValueError) as exc:
            raise ValidationError({"weights": _("A weight is a number.")}) from exc
        if not 0 <= weights[key] <= 100:
            raise ValidationError({"weights": _("A weight is between 0 and 100.")})
    if sum(weights.values()) <= 0:
        raise ValidationError({"weights": _("Give at least one group a weight above 0.")})
    return weights


def site_count(*, sites: int | None, budget: Decimal | None, cost: Decimal | None) -> int:
    """k: given, or how many sites the budget pays for."""
    if sites:
        return int(sites)
    if budget is not None and cost:
        return int(Decimal(budget) // Decimal(cost))
    return 0


@task()
def scenario_task(scenario_id: int) -> None:
    scenario_execute(scenario_id)


def _site_errors(
    *,
    k: int,
    sites: int | None,
    budget: Decimal | None,
    cost_per_site: Decimal | None,
    candidate_source: str,
    candidates: list[dict[str, Any]] | None,
    kind: str,
    prefix: str,
) -> dict[str, str]:
    """k must be 1 to MAX_SITES and no more than the candidates there are: counted now
    for uploaded points and the register's buildings (grid cells depend on the run)."""
    errors: dict[str, str] = {}
    if budget is not None and not sites and not cost_per_site:
        errors["cost_per_site"] = _("Give the cost per site with the budget.")
    elif k < 1:
        errors["sites"] = _(
            "Give the number of new sites (1 or more), or a budget that pays for at least one."
        )
    elif k > MAX_SITES:
        errors["sites"] = _("At most %(n)d new sites at once.") % {"n": MAX_SITES}
    available = None
    if candidate_source == CandidateSource.UPLOAD:
        if not candidates:
            errors["file"] = _("Upload the candidate sites.")
        available = len(candidates or [])
    elif candidate_source == CandidateSource.ORGANISATIONS and kind:
        available = min(_organisation_candidates(kind, prefix).count(), MAX_CANDIDATES)
    if available is not None and not errors and k > available:
        errors["sites"] = _("%(k)d new sites but only %(n)d candidates.") % {
            "k": k,
            "n": available,
        }
    return errors


@transaction.atomic
def scenario_start(
    *,
    actor: Actor,
    division: Division,
    kind: str,
    candidate_source: str,
    sites: int | None = None,
    budget: Decimal | None = None,
    cost_per_site: Decimal | None = None,
    candidates: list[dict[str, Any]] | None = None,
    weights: dict[str, Any] | None = None,
    name: str = "",
) -> PlanScenario:
    """Queue a planning run; its ``progress`` moves to 100 and ``result`` is filled."""
    require_perm(actor, Permission.PLAN_FACILITIES)
    errors: dict[str, str] = {}
    if not actor.scope.covers_division_code(division.code):
        errors["division"] = _("This division lies outside your jurisdiction.")
    if kind not in FacilityKind.values:
        errors["kind"] = _("Choose the kind of facility.")
    if candidate_source not in CandidateSource.values:
        errors["candidate_source"] = _("Choose where the candidate sites come from.")
    k = site_count(sites=sites, budget=budget, cost=cost_per_site)
    errors.update(
        _site_errors(
            k=k,
            sites=sites,
            budget=budget,
            cost_per_site=cost_per_site,
            candidate_source=candidate_source,
            candidates=candidates,
            kind=kind if "kind" not in errors else "",
            prefix=division.code_prefix,
        )
    )
    try:
        clean_weights = _weights(weights)
    except ValidationError as exc:
        errors.update({key: " ".join(v) for key, v in exc.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    scenario = PlanScenario.objects.create(
        name=name[:120],
        division=division,
        kind=kind,
        sites=k,
        budget=budget,
        cost_per_site=cost_per_site,
        candidate_source=candidate_source,
        candidates=candidates or [],
        weights=clean_weights,
        created_by=actor_user(actor),
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=scenario,
        division_code=division.code,
        changes={"kind": kind, "sites": k, "candidates": candidate_source},
    )
    transaction.on_commit(lambda: scenario_task.enqueue(scenario.pk))
    return scenario


def _organisation_candidates(kind: str, prefix: str) -> QuerySet[Organisation]:
    """Public buildings of the register under ``prefix`` with a point, open or planned,
    that are not a facility of ``kind`` already."""
    taken = Facility.objects.filter(kind=kind).values("organisation_id")
    return (
        Organisation.objects.filter(
            prefix_q("division__code", prefix),
            ownership=Ownership.PUBLIC,
            lat__isnull=False,
            lng__isnull=False,
        )
        .exclude(pk__in=taken)
        .exclude(status=OrganisationStatus.CLOSED)
    )


def _candidates(scenario: PlanScenario, prefix: str, uncovered: Points) -> list[dict[str, Any]]:
    if scenario.candidate_source == CandidateSource.UPLOAD:
        return list(scenario.candidates)
    if scenario.candidate_source == CandidateSource.ORGANISATIONS:
        rows = _organisation_candidates(scenario.kind, prefix).order_by("pk")
        return [
            {
                "name": o.name,
                "lat": float(o.lat or 0),
                "lng": float(o.lng or 0),
                "organisation": str(o.external_id),
            }
            for o in rows[:MAX_CANDIDATES]
        ]
    # grid: the centres of the hexagons holding the most elders still outside the circle
    cells: dict[str, int] = {}
    for a, b in zip(uncovered.lat.tolist(), uncovered.lng.tolist(), strict=True):
        cell = h3.latlng_to_cell(a, b, GRID_RESOLUTION)
        cells[cell] = cells.get(cell, 0) + 1
    best = sorted(cells, key=lambda c: (-cells[c], c))[:MAX_CANDIDATES]
    return [
        {
            "name": _("Grid cell %(c)s") % {"c": c[-6:]},
            "lat": round(h3.cell_to_latlng(c)[0], 6),
            "lng": round(h3.cell_to_latlng(c)[1], 6),
        }
        for c in best
    ]


def _choice_json(
    choice: mclp.Choice, cover: csr_matrix, candidates: list[dict[str, Any]], counts: np.ndarray
) -> dict[str, Any]:
    """Sites in the order of marginal gain, each with the weight and the elders it newly
    covers (elders counted one each)."""
    cols = cover.tocsc()
    taken = np.zeros(cover.shape[0], dtype=bool)
    sites = []
    for j, gain in zip(choice.sites, choice.gains, strict=True):
        members = cols.indices[cols.indptr[j] : cols.indptr[j + 1]]
        fresh = members[~taken[members]]
        taken[fresh] = True
        sites.append(
            {
                **candidates[j],
                "index": j,
                "gain": round(gain, 3),
                "elders": int(counts[fresh].sum()),
            }
        )
    return {
        "sites": sites,
        "covered_weight": round(choice.covered, 3),
        "elders": int(counts[taken].sum()),
        "optimal": choice.optimal,
        "gap": round(choice.gap, 6),
        "bound": round(choice.bound, 3),
        "seconds": round(choice.seconds, 3),
        "status": choice.status,
    }


def _solve(scenario: PlanScenario, progress: Any) -> dict[str, Any]:
    prefix = scenario.division.code_prefix
    city = selectors.city_for_prefix(prefix)
    speed = metres_per_minute(float(settings.FACILITY_WALKING_SPEED_KMH))
    circle = float(settings.FACILITY_CIRCLE_MINUTES) * speed
    detour = float(settings.FACILITY_DETOUR_FACTOR)
    stored = selectors.active_network(city=city) if city else None
    router = Router(Network.from_bytes(selectors.network_data(stored))) if stored else None
    homes = selectors.elder_homes(prefix=prefix)
    every = Points(lat=homes.homes.lat, lng=homes.homes.lng)
    existing = selectors.open_facility_points(city_prefix=prefix[:4], kind=scenario.kind)
    if router is not None:
        reach = network_reach(router, existing, every, limit=circle)
    else:
        reach = detour_reach(existing, every, detour=detour, limit=circle)
    outside = ~np.isfinite(reach)
    progress(0.2)
    w = scenario.weights
    weight = (
        w.get("all", 1.0)
        + w.get("very_old", 0.0) * homes.homes.very_old
        + w.get("living_alone", 0.0) * homes.homes.living_alone
        + w.get("disabled", 0.0) * homes.homes.disabled
    )
    weight = np.broadcast_to(np.asarray(weight, dtype=np.float64), (len(homes.homes),))[outside]
    demand = Points(lat=homes.homes.lat[outside], lng=homes.homes.lng[outside])
    candidates = _candidates(scenario, prefix, demand)
    if scenario.sites and scenario.sites > len(candidates):
        raise ValueError(
            _("%(k)d new sites but only %(n)d candidates.")
            % {"k": scenario.sites, "n": len(candidates)}
        )
    sites = Points.of([(c["lat"], c["lng"]) for c in candidates])
    if router is not None:
        sets = distances_each(router, sites, demand, limit=circle)
    else:
        sets = straight_each(sites, demand, limit=circle, detour=detour)
    progress(0.4)
    rows = np.concatenate(sets) if sets else np.zeros(0, dtype=np.int64)
    cols = np.repeat(np.arange(len(sets)), [len(s) for s in sets])
    cover = csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(demand), len(candidates)))
    k = int(scenario.sites or 0)
    greedy = mclp.greedy(cover, weight, k)
    exact = mclp.solve(cover, weight, k, time_limit=float(settings.FACILITY_PLAN_TIME_LIMIT))
    ones = np.ones(len(demand))
    return {
        "method": ReachMethod.NETWORK if router is not None else ReachMethod.DETOUR,
        "elders": len(homes.homes),
        "without_coordinates": homes.without_coordinates,
        "already_covered": int((~outside).sum()),
        "outside": int(outside.sum()),
        "outside_weight": round(float(weight.sum()), 3),
        "k": k,
        "candidates": candidates,
        "exact": _choice_json(exact, cover, candidates, ones),
        "greedy": _choice_json(greedy, cover, candidates, ones),
        "circle_minutes": float(settings.FACILITY_CIRCLE_MINUTES),
    }


def scenario_execute(scenario_id: int) -> PlanScenario:
    """Run a queued scenario; a failure marks it failed with its message, never raises."""
    scenario = PlanScenario.objects.select_related("division").get(pk=scenario_id)
    if scenario.status not in (ScenarioStatus.QUEUED, ScenarioStatus.RUNNING):
        return scenario
    PlanScenario.objects.filter(pk=scenario.pk).update(status=ScenarioStatus.RUNNING, progress=1)

    def progress(share: float) -> None:
        PlanScenario.objects.filter(pk=scenario.pk).update(progress=int(share * 100))

    started = time.perf_counter()
    try:
        scenario.result = _solve(scenario, progress)
        scenario.result["seconds"] = round(time.perf_counter() - started, 2)
        scenario.status = ScenarioStatus.DONE
    except Exception as exc:  # a failed run is shown, never a crashed worker
        logger.exception("planning scenario %s failed", scenario.pk)
        scenario.status = ScenarioStatus.FAILED
        scenario.error = str(exc)[:500]
    scenario.progress = 100
    scenario.finished_at = timezone.now()
    scenario.save(
        update_fields=["result", "status", "error", "progress", "finished_at", "updated_at"]
    )
    return scenario


@transaction.atomic
def scenario_save(*, actor: Actor, scenario: PlanScenario, name: str) -> PlanScenario:
    """Keep a scenario under a name, for comparing and exporting."""
    require_perm(actor, Permission.PLAN_FACILITIES)
    if scenario.status != ScenarioStatus.DONE:
        raise ValidationError({"scenario": _("Only a finished scenario is saved.")})
    if not name.strip():
        raise ValidationError({"name": _("Give the scenario a name.")})
    scenario.name, scenario.saved = name.strip()[:120], True
    scenario.save(update_fields=["name", "saved", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=scenario,
        division_code=scenario.division.code,
        changes={"saved": [False, True]},
    )
    return scenario


def _community_near(division: Division, lat: float, lng: float) -> Division | None:
    communities = Division.objects.filter(
        prefix_q("code", division.code_prefix), level="community", centroid_lat__isnull=False
    )
    best, best_d = None, float("inf")
    for c in communities:
        d = (float(c.centroid_lat) - lat) ** 2 + (float(c.centroid_lng or 0) - lng) ** 2  # type: ignore[arg-type]
        if d < best_d:
            best, best_d = c, d
    return best


@transaction.atomic
def scenario_site_build(
    *,
    actor: Actor,
    scenario: PlanScenario,
    index: int,
    budget: Decimal,
    funding_source: str,
    year: int | None = None,
    name: str = "",
) -> ConstructionProject:
    """Register a chosen site as a planned facility (a pending organisation in the nearest
    community) and approve its construction project (立项)."""
    require_perm(actor, Permission.MANAGE_PROJECTS)
    chosen = {
        s["index"]: s
        for which in ("exact", "greedy")
        for s in scenario.result.get(which, {}).get("sites", [])
    }
    site = chosen.get(index)
    if site is None:
        raise ValidationError({"site": _("This site is not among the chosen ones.")})
    community = _community_near(scenario.division, site["lat"], site["lng"])
    if community is None:
        raise ValidationError({"site": _("No community lies near this site.")})
    kind = FacilityKind(scenario.kind)
    org_kind = ORGANISATION_KIND_OF[kind]
    extra: dict[str, Any] = {}
    if org_kind == OrganisationKind.CARE_INSTITUTION:
        extra = {"total_beds": 0}
    organisation = organisation_create(
        actor=actor,
        name=(name or f"{site['name']}{kind.label}")[:200],
        kind=org_kind,
        division=community,
        lat=Decimal(f"{site['lat']:.6f}"),
        lng=Decimal(f"{site['lng']:.6f}"),
        ownership=Ownership.PUBLIC,
        status=OrganisationStatus.PENDING,
        **extra,
    )
    facility = services.facility_register(
        actor=actor,
        organisation=organisation,
        kind=kind,
        status=FacilityStatus.PLANNED,
        service_area=[community],
    )
    today = timezone.localdate()
    return services.project_start(
        actor=actor,
        facility=facility,
        year=year or today.year,
        budget=budget,
        funding_source=funding_source,
        approved_on=today,
        scenario=scenario,
    )


def scenario_export(*, actor: Actor, scenario: PlanScenario) -> bytes:
    """The scenario as a workbook: the question, then each choice's sites with their gains."""
    require_perm(actor, Permission.EXPORT_DATA)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = _("Scenario")[:31]
    result = scenario.result
    sheet.append(safe_row([_("Facility kind"), str(FacilityKind(scenario.kind).label)]))
    sheet.append(safe_row([_("New sites"), scenario.sites]))
    sheet.append(safe_row([_("Elders outside the circle"), result.get("outside")]))
    sheet.append(safe_row([_("Distance method"), method_label(result.get("method"))]))
    for which, title in (("exact", _("Exact choice")), ("greedy", _("Greedy choice"))):
        part = result.get(which, {})
        sheet.append([])
        sheet.append(safe_row([title, _("Optimality gap"), part.get("gap")]))
        sheet.append(
            safe_row(
                [
                    _("Site"),
                    _("Latitude"),
                    _("Longitude"),
                    _("Weight newly covered"),
                    _("Elders newly covered"),
                ]
            )
        )
        for site in part.get("sites", []):
            # Site names come from uploaded candidate files: never let one run as a formula.
            sheet.append(
                safe_row([site["name"], site["lat"], site["lng"], site["gain"], site["elders"]])
            )
    audit_record(
        actor=actor,
        action=AuditAction.EXPORT,
        obj=scenario,
        division_code=scenario.division.code,
        changes={},
    )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def group_labels() -> dict[str, str]:
    return {g.value: str(g.label) for g in Group}
