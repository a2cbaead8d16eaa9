"""The facility network's pages: the facilities on a map and in a list, the 15-minute
circle (hexagons, divisions, the texts' rules), where to build next, and construction
projects against the year's targets."""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Sum
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from yiyang.core.downloads import XLSX, download_response
from yiyang.core.models import Division
from yiyang.core.permissions import Permission, has_perm, request_actor, require_perm
from yiyang.core.web.forms import error_messages
from yiyang.core.web.lists import list_response
from yiyang.core.web.saving import action_done
from yiyang.facilities import planmap, planning, selectors, services, tasks
from yiyang.facilities.choices import (
    CandidateSource,
    FacilityKind,
    FacilityStatus,
    FundingSource,
    Group,
    Milestone,
    ScenarioStatus,
    method_label,
)
from yiyang.facilities.filtersets import FacilityFilterSet, ProjectFilterSet

KIND_COLOURS = {
    "rural_care_home": "#6d4c41",
    "public_institution": "#1565c0",
    "private_institution": "#5e35b1",
    "street_centre": "#00838f",
    "regional_centre": "#2e7d32",
    "community_station": "#c62828",
    "day_care_centre": "#ef6c00",
    "elderly_canteen": "#ad1457",
    "meal_point": "#f06292",
    "happiness_home": "#827717",
    "health_centre": "#0277bd",
    "village_clinic": "#4db6ac",
}


def _point(lat: Any, lng: Any) -> list[float] | None:
    return None if lat is None or lng is None else [float(lat), float(lng)]


@login_required
def facility_list_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    facilities = selectors.facility_list(actor=actor, filters=request.GET)
    markers = [
        {
            "at": _point(f.organisation.lat, f.organisation.lng),
            "name": f.organisation.name,
            "kind": f.kind,
            "kindLabel": f.get_kind_display(),
            "status": f.status,
            "statusLabel": f.get_status_display(),
            "colour": KIND_COLOURS.get(f.kind, "#555"),
        }
        for f in facilities[:3000]
        if f.organisation.lat is not None
    ]
    return list_response(
        request,
        "facilities/facility_list.html",
        facilities,
        {
            "filterset": FacilityFilterSet(request.GET),
            "divisions": selectors.division_choices(actor=actor, levels=("district", "street")),
            "map_data": {"markers": markers, "texts": {"status": _("Status")}},
            "kinds": [(k.value, k.label, KIND_COLOURS[k.value]) for k in FacilityKind],
            "can_cover": has_perm(actor, Permission.VIEW_COVERAGE),
            "can_plan": has_perm(actor, Permission.PLAN_FACILITIES),
            "can_manage": has_perm(actor, Permission.MANAGE_FACILITIES),
        },
    )


def _kind(request: HttpRequest) -> str:
    kind = request.GET.get("kind") or FacilityKind.COMMUNITY_STATION
    return kind if kind in FacilityKind.values else FacilityKind.COMMUNITY_STATION


@login_required
@require_POST
def coverage_compute_view(request: HttpRequest) -> HttpResponse:
    """Recompute reach and coverage for the actor's jurisdiction in the background."""
    actor = request_actor(request)
    require_perm(actor, Permission.COMPUTE_COVERAGE)
    prefix = selectors.scope_prefix(actor)
    division = selectors.division_get_in_scope(actor=actor, code=prefix.ljust(12, "0"))
    tasks.coverage_start(user=request.user, division=division)  # type: ignore[arg-type]
    messages.success(request, _("Walking times are being recomputed; reload the page shortly."))
    return redirect(f"{reverse('facilities:coverage')}?{request.GET.urlencode()}")


@login_required
@require_GET
def coverage_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    require_perm(actor, Permission.VIEW_COVERAGE)
    kind = _kind(request)
    group = request.GET.get("group") or Group.ALL
    if group not in Group.values:
        group = Group.ALL
    circle = selectors.circle_coverage(actor=actor, kind=kind)
    rules = selectors.rule_coverage(actor=actor)
    run = circle["run"]
    missing = (
        selectors.elders_without_coordinates(actor=actor)
        if has_perm(actor, Permission.VIEW_ELDERS)
        else []
    )
    return render(
        request,
        "facilities/coverage.html",
        {
            "kind": kind,
            "kind_label": FacilityKind(kind).label,
            "group": group,
            "kinds": FacilityKind.choices,
            "groups": Group.choices,
            "circle": circle,
            "rules": rules,
            "run": run,
            "method_label": method_label(run.method if run else None),
            "missing": missing,
            "can_compute": has_perm(actor, Permission.COMPUTE_COVERAGE),
            "totals": circle["totals"],
            "group_total": circle["totals"][group],
            "divisions": [
                {**row, "figures": row["groups"].get(group, {})} for row in circle["divisions"]
            ],
            # The table's rows (the map draws them all): a cell or a group of too few
            # elders for the reader's role has no figures.
            "hexagon_rows": [
                {"cell": h["cell"], "figures": (h["groups"] or {}).get(group)}
                for h in circle["hexagons"][:300]
            ],
            "min_count": settings.FACILITY_MIN_CELL_COUNT,
            "map_data": {
                "hexagons": circle["hexagons"],
                "group": group,
                "texts": {
                    "elders": _("Elders"),
                    "covered": _("Inside the circle"),
                    "few": _("Fewer than %(n)d elders: no number shown.")
                    % {"n": settings.FACILITY_MIN_CELL_COUNT},
                },
            },
        },
    )


def _decimal(raw: str | None) -> Decimal | None:
    if not raw:
        return None
    try:
        return Decimal(raw.strip())
    except InvalidOperation:
        return None


def _start(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    post = request.POST
    division = None
    try:
        division = selectors.division_get_in_scope(actor=actor, code=post.get("division", ""))
    except Exception:
        messages.error(request, _("Choose a division of your jurisdiction."))
        return redirect("facilities:plan")
    candidates = None
    source = post.get("candidate_source", "")
    try:
        if source == CandidateSource.UPLOAD:
            upload = request.FILES.get("file")
            if upload is None:
                raise ValidationError({"file": _("Upload the candidate sites.")})
            city = selectors.city_for_prefix(division.code_prefix) or division
            candidates = planning.candidates_from_file(
                data=upload.read(), filename=upload.name or "", city=city
            )
        sites = post.get("sites") or ""
        scenario = planning.scenario_start(
            actor=actor,
            division=division,
            kind=post.get("kind", ""),
            candidate_source=source,
            sites=int(sites) if sites.isdigit() else None,
            budget=_decimal(post.get("budget")),
            cost_per_site=_decimal(post.get("cost_per_site")),
            candidates=candidates,
            weights={g: post.get(f"weight_{g}") or 0 for g in Group.values},
        )
    except ValidationError as exc:
        for message in _row_messages(exc):
            messages.error(request, message)
        return redirect("facilities:plan")
    return redirect("facilities:scenario", external_id=scenario.external_id)


def _row_messages(exc: ValidationError) -> list[str]:
    """The messages, each bad row of an uploaded file named by its number."""
    if not hasattr(exc, "error_dict"):
        return list(exc.messages)
    shown = []
    for key, found in exc.message_dict.items():
        row = key.split(":")[0].removeprefix("row ")
        for message in found:
            if key.startswith("row ") and row.isdigit():
                message = _("Row %(row)s: %(message)s") % {"row": row, "message": message}
            shown.append(message)
    return shown


@login_required
def plan_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    require_perm(actor, Permission.PLAN_FACILITIES)
    if request.method == "POST":
        return _start(request)
    saved = selectors.scenario_list(actor=actor).filter(saved=True)[:50]
    return render(
        request,
        "facilities/plan.html",
        {
            "kinds": FacilityKind.choices,
            "sources": CandidateSource.choices,
            "groups": Group.choices,
            "divisions": selectors.division_choices(
                actor=actor, levels=("city", "district", "street")
            ),
            # each with the method its walking times were measured by
            "saved": [(s, method_label(s.result.get("method"))) for s in saved],
        },
    )


def _scenario_post(request: HttpRequest, scenario: Any) -> HttpResponse:
    actor = request_actor(request)
    action = request.POST.get("action")
    try:
        if action == "save":
            planning.scenario_save(
                actor=actor, scenario=scenario, name=request.POST.get("name", "")
            )
            messages.success(request, _("The scenario is saved."))
        elif action == "build":
            project = planning.scenario_site_build(
                actor=actor,
                scenario=scenario,
                index=int(request.POST.get("site", "-1")),
                budget=_decimal(request.POST.get("budget")) or Decimal(0),
                funding_source=request.POST.get("funding_source", ""),
            )
            messages.success(
                request,
                _("%(name)s is planned and its project approved.")
                % {"name": project.facility.organisation.name},
            )
    except (ValidationError, ValueError) as exc:
        for message in getattr(exc, "messages", [str(exc)]):
            messages.error(request, message)
    return redirect("facilities:scenario", external_id=scenario.external_id)


@login_required
def scenario_view(request: HttpRequest, external_id: str) -> HttpResponse:
    actor = request_actor(request)
    scenario = selectors.scenario_get_for_actor(actor=actor, external_id=external_id)
    if request.method == "POST":
        return _scenario_post(request, scenario)
    result = scenario.result or {}
    working = scenario.status in (ScenarioStatus.QUEUED, ScenarioStatus.RUNNING)
    exact, greedy = result.get("exact", {}), result.get("greedy", {})
    return render(
        request,
        "facilities/scenario.html",
        {
            "scenario": scenario,
            "result": result,
            "working": working,
            "ready": scenario.status == ScenarioStatus.DONE,
            "exact": exact,
            "greedy": greedy,
            "method_label": method_label(result.get("method")),
            "gap_percent": round(100 * float(exact.get("gap", 0)), 3),
            "funding": FundingSource.choices,
            "can_build": has_perm(actor, Permission.MANAGE_PROJECTS),
            "can_export": has_perm(actor, Permission.EXPORT_DATA),
            "map_data": {
                "exact": exact.get("sites", []),
                "greedy": greedy.get("sites", []),
                "texts": {
                    "exact": _("Exact choice"),
                    "greedy": _("Greedy choice"),
                    "elders": _("Elders newly covered"),
                },
            },
        },
    )


@login_required
@require_GET
def scenario_progress_view(request: HttpRequest, external_id: str) -> HttpResponse:
    actor = request_actor(request)
    scenario = selectors.scenario_get_for_actor(actor=actor, external_id=external_id)
    if scenario.status in (ScenarioStatus.QUEUED, ScenarioStatus.RUNNING):
        return render(request, "facilities/_progress.html", {"scenario": scenario, "working": True})
    response = HttpResponse("")
    response["HX-Refresh"] = "true"
    return response


@login_required
@require_GET
def scenario_export_view(request: HttpRequest, external_id: str) -> HttpResponse:
    actor = request_actor(request)
    scenario = selectors.scenario_get_for_actor(actor=actor, external_id=external_id)
    data = planning.scenario_export(actor=actor, scenario=scenario)
    return download_response(data, f"scenario-{scenario.external_id}.xlsx", XLSX)


@login_required
@require_GET
def scenario_map_view(request: HttpRequest, external_id: str) -> HttpResponse:
    actor = request_actor(request)
    scenario = selectors.scenario_get_for_actor(actor=actor, external_id=external_id)
    png = planmap.scenario_map_png(actor=actor, scenario=scenario)
    return download_response(png, f"scenario-{scenario.external_id}.png", "image/png")


def _project_row(project: Any) -> dict[str, Any]:
    """A project with the milestone it reaches next (the button the page shows)."""
    upcoming = services.next_milestone(project)
    labels = dict(Milestone.choices)
    return {
        "p": project,
        "next": upcoming,
        "next_label": Milestone(upcoming).label if upcoming else "",
        # Milestones reached (a photo may be added for them) and the photos, by milestone.
        "reached": [
            (m.value, m.label)
            for m in Milestone
            if getattr(project, services.MILESTONE_FIELD[m]) is not None
        ],
        "photos": [(photo, labels[photo.milestone]) for photo in project.photos.all()],
    }


@login_required
@require_GET
def project_list_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    year_raw = request.GET.get("year") or ""
    year = int(year_raw) if year_raw.isdigit() else timezone.localdate().year
    filters = request.GET.copy()
    filters["year"] = str(year)
    projects = selectors.project_list(actor=actor, filters=filters)
    # Each target against the projects under its own division (a district's target counts
    # that district's projects, the city's all of them).
    done = projects.values("facility__kind", "division_code").annotate(
        n=Count("id"), beds=Sum("beds_added")
    )
    targets = []
    for t in selectors.targets_for(actor=actor, year=year):
        mine = [
            row
            for row in done
            if row["facility__kind"] == t.kind
            and row["division_code"].startswith(t.division.code_prefix)
        ]
        targets.append(
            {
                "target": t,
                "kind_label": FacilityKind(t.kind).label,
                "projects": sum(row["n"] for row in mine),
                "beds": sum(row["beds"] or 0 for row in mine),
            }
        )
    return render(
        request,
        "facilities/projects.html",
        {
            "projects": [_project_row(p) for p in projects.prefetch_related("photos")],
            "year": year,
            "targets": targets,
            "filterset": ProjectFilterSet(filters),
            "years": range(timezone.localdate().year - 3, timezone.localdate().year + 3),
            "divisions": selectors.division_choices(actor=actor, levels=("district",)),
            "today": timezone.localdate(),
            "can_manage": has_perm(actor, Permission.MANAGE_PROJECTS),
            "target_divisions": selectors.division_choices(
                actor=actor, levels=("city", "district")
            ),
            "kinds": FacilityKind.choices,
        },
    )


def _date(raw: str | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _facility_status_set(actor: Any, facility: Any, post: QueryDict) -> None:
    on = _date(post.get("on"))
    if post.get("on") and on is None:
        raise ValidationError({"on": _("Give a date as YYYY-MM-DD.")})
    services.facility_status_set(
        actor=actor, facility=facility, status=post.get("status", ""), on=on
    )


def _facility_update(actor: Any, facility: Any, post: QueryDict) -> None:
    numbers: dict[str, int | None] = {}
    for name in ("beds", "day_places", "meals_per_day"):
        raw = (post.get(name) or "").strip()
        if raw and not raw.isdigit():
            raise ValidationError({name: _("Give a whole number (0 or more).")})
        numbers[name] = int(raw) if raw else None
    wanted = {v for v in post.getlist("service_area") if v}
    try:
        area = list(
            selectors.division_choices(actor=actor, levels=("community",)).filter(
                external_id__in=wanted
            )
        )
    except (ValueError, ValidationError):
        area = []
    if len(area) != len(wanted):
        raise ValidationError(
            {"service_area": _("Some of these communities lie outside your jurisdiction.")}
        )
    services.facility_update(
        actor=actor,
        facility=facility,
        service_area=area,
        opening_hours=(post.get("opening_hours") or "").strip()[:120],
        beds=numbers["beds"],
        day_places=numbers["day_places"],
        meals_per_day=numbers["meals_per_day"],
    )


def _facility_post(request: HttpRequest, facility: Any) -> HttpResponse:
    post = request.POST
    save = _facility_status_set if post.get("action") == "status" else _facility_update
    action_done(
        request,
        partial(save, request_actor(request), facility, post),
        _("The facility is saved."),
        wording=error_messages,
    )
    return redirect("facilities:detail", external_id=facility.external_id)


@login_required
def facility_detail_view(request: HttpRequest, external_id: str) -> HttpResponse:
    actor = request_actor(request)
    facility = selectors.facility_get_for_actor(actor=actor, external_id=external_id)
    can_manage = has_perm(actor, Permission.MANAGE_FACILITIES)
    if request.method == "POST":
        require_perm(actor, Permission.MANAGE_FACILITIES)
        return _facility_post(request, facility)
    area = set(facility.service_area.values_list("pk", flat=True))
    communities = selectors.division_choices(actor=actor, levels=("community",)).filter(
        code__startswith=facility.division_code[:6]
    )
    return render(
        request,
        "facilities/facility_detail.html",
        {
            "facility": facility,
            "can_manage": can_manage,
            "next_statuses": [
                (s, FacilityStatus(s).label) for s in services.allowed_statuses(facility)
            ],
            "service_area": facility.service_area.all(),
            "communities": [(c, c.pk in area) for c in communities],
            "projects": facility.projects.all(),
            "today": timezone.localdate(),
        },
    )


@login_required
def project_milestone_view(request: HttpRequest, external_id: str) -> HttpResponse:
    actor = request_actor(request)
    project = selectors.project_get_for_actor(actor=actor, external_id=external_id)
    if request.method == "POST":
        on = _date(request.POST.get("on")) or timezone.localdate()
        milestone = partial(
            services.project_milestone,
            actor=actor,
            project=project,
            milestone=request.POST.get("milestone", ""),
            on=on,
        )
        action_done(request, milestone, _("The milestone is recorded."), wording=error_messages)
    return redirect(f"{reverse('facilities:projects')}?year={project.year}")


@login_required
@require_POST
def target_set_view(request: HttpRequest) -> HttpResponse:
    """Set a year's construction target (the form on the projects page)."""
    actor = request_actor(request)
    require_perm(actor, Permission.MANAGE_PROJECTS)
    post = request.POST
    year = int(post["year"]) if post.get("year", "").isdigit() else None
    try:
        division = selectors.division_choices(actor=actor, levels=("city", "district")).get(
            external_id=post.get("division", "")
        )
    except (Division.DoesNotExist, ValidationError, ValueError):
        messages.error(request, _("Choose the city or a district of your jurisdiction."))
        return redirect(f"{reverse('facilities:projects')}?year={year or ''}")

    def whole(name: str) -> int | None:
        text = (post.get(name) or "0").strip()
        return int(text) if text.isdigit() else None

    target = partial(
        services.construction_target_set,
        actor=actor,
        division=division,
        year=year,
        kind=post.get("kind", ""),
        facilities=whole("facilities"),
        beds=whole("beds"),
    )
    action_done(request, target, _("The target is saved."), wording=error_messages)
    return redirect(f"{reverse('facilities:projects')}?year={year or ''}")
