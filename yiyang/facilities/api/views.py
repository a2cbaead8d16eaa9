"""The facility network's API: facilities (and their status), construction projects,
coverage of the 15-minute circle by division, and planning scenarios."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from yiyang.core.api.lookups import in_reach, pop_reference
from yiyang.core.api.viewsets import ScopedReadViewSet, answer, validated
from yiyang.core.permissions import Actor, request_actor
from yiyang.facilities import planning, selectors, services
from yiyang.facilities.api.serializers import (
    CoverageQuerySerializer,
    CoverageSerializer,
    FacilityCreateSerializer,
    FacilitySerializer,
    MilestoneSerializer,
    ProjectSerializer,
    ScenarioBuildSerializer,
    ScenarioCreateSerializer,
    ScenarioSaveSerializer,
    ScenarioSerializer,
    StatusSerializer,
)
from yiyang.facilities.filtersets import FacilityFilterSet, ProjectFilterSet
from yiyang.facilities.models import ConstructionProject, Facility, PlanScenario
from yiyang.organisations.selectors import organisation_get_for_actor


def _division(actor: Any, code: Any) -> Any:
    return in_reach("division", selectors.division_get_in_scope, actor=actor, code=code)


class FacilityViewSet(ScopedReadViewSet):
    """Facilities in the caller's jurisdiction (a facility extends an organisation)."""

    serializer_class = FacilitySerializer
    filterset_class = FacilityFilterSet
    model = Facility
    get_for_actor = staticmethod(selectors.facility_get_for_actor)
    step_target = "facility"

    def visible(self, actor: Actor) -> QuerySet[Facility]:
        return selectors.facility_list(actor=actor).prefetch_related("service_area")

    @extend_schema(request=FacilityCreateSerializer, responses={201: FacilitySerializer})
    def create(self, request: Request) -> Response:
        """Register an organisation of the caller's jurisdiction as a facility."""
        data = validated(request, FacilityCreateSerializer)
        actor = request_actor(request)
        organisation = pop_reference(data, "organisation", organisation_get_for_actor, actor=actor)
        codes = data.pop("service_area", None)
        area = None
        if codes is not None:
            area = list(
                selectors.division_choices(actor=actor, levels=("community",)).filter(
                    code__in=codes
                )
            )
            if len(area) != len(set(codes)):
                raise ValidationError(
                    {"service_area": _("Some of these communities lie outside your jurisdiction.")}
                )
        facility = services.facility_register(
            actor=actor, organisation=organisation, service_area=area, **data
        )
        return answer(FacilitySerializer, facility, created=True)

    @extend_schema(request=StatusSerializer, responses=FacilitySerializer)
    @action(detail=True, methods=["post"])
    def status(self, request: Request, id: str) -> Response:
        """Move the facility to a status (planned -> under construction -> open ->
        suspended -> closed) on a date (today by default)."""
        data = validated(request, StatusSerializer)
        return self.transition(
            services.facility_status_set, status=data["status"], on=data.get("on")
        )


class ProjectViewSet(ScopedReadViewSet):
    """Construction projects (立项 -> 开工 -> 竣工 -> 投用) in the caller's jurisdiction."""

    serializer_class = ProjectSerializer
    filterset_class = ProjectFilterSet
    model = ConstructionProject
    list_selector = staticmethod(selectors.project_list)
    get_for_actor = staticmethod(selectors.project_get_for_actor)
    step_target = "project"

    @extend_schema(request=MilestoneSerializer, responses=ProjectSerializer)
    @action(detail=True, methods=["post"])
    def milestone(self, request: Request, id: str) -> Response:
        """Record the project's next milestone (开工, 竣工, 投用) on a day (today by
        default); starting construction and putting into use move the facility too."""
        data = validated(request, MilestoneSerializer)
        return self.transition(
            services.project_milestone,
            milestone=data["milestone"],
            on=data.get("on") or timezone.localdate(),
        )


class CoverageView(APIView):
    """The 15-minute circle for one facility kind in the caller's jurisdiction: elders and
    elders inside the circle per group (all, very old, living alone, disabled), urban and
    rural, per district, street and community; and the method that produced the figures."""

    @extend_schema(parameters=[CoverageQuerySerializer], responses=CoverageSerializer)
    def get(self, request: Request) -> Response:
        query = CoverageQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        actor = request_actor(request)
        circle = selectors.circle_coverage(actor=actor, kind=query.validated_data["kind"])
        code = query.validated_data.get("division") or ""
        prefix = ""
        if code:
            prefix = _division(actor, code).code_prefix
        rows = [r for r in circle["divisions"] if r["division"].code.startswith(prefix)]
        run = circle["run"]
        data = {
            "kind": circle["kind"],
            "method": run.method if run else None,
            "computed_at": run.created_at if run else None,
            "circle_minutes": circle["circle_minutes"],
            "without_coordinates": run.without_coordinates if run else None,
            "totals": circle["totals"],
            "areas": circle["areas"],
            "divisions": [
                {
                    "code": r["division"].code,
                    "name": r["division"].name,
                    "level": r["level"],
                    "urban": r["urban"],
                    "groups": r["groups"],
                }
                for r in rows
            ],
        }
        return Response(CoverageSerializer(data).data)


class ScenarioViewSet(ScopedReadViewSet):
    """Where to build next: start a scenario (it runs in the background; follow
    ``progress``), then read the exact and the greedy choice."""

    serializer_class = ScenarioSerializer
    model = PlanScenario
    list_selector = staticmethod(selectors.scenario_list)
    get_for_actor = staticmethod(selectors.scenario_get_for_actor)
    step_target = "scenario"

    @extend_schema(request=ScenarioCreateSerializer, responses={201: ScenarioSerializer})
    def create(self, request: Request) -> Response:
        data = validated(request, ScenarioCreateSerializer)
        actor = request_actor(request)
        division = _division(actor, data.pop("division"))
        scenario = planning.scenario_start(actor=actor, division=division, **data)
        return answer(ScenarioSerializer, scenario, created=True)

    @extend_schema(request=ScenarioSaveSerializer, responses=ScenarioSerializer)
    @action(detail=True, methods=["post"], url_path="save")
    def keep(self, request: Request, id: str) -> Response:
        """Keep a finished scenario under a name (for comparing and exporting)."""
        scenario = self.get_object()
        name = validated(request, ScenarioSaveSerializer)["name"]
        return self.transition(planning.scenario_save, target=scenario, name=name)

    @extend_schema(request=ScenarioBuildSerializer, responses={201: ProjectSerializer})
    @action(detail=True, methods=["post"])
    def build(self, request: Request, id: str) -> Response:
        """Plan a chosen site as a facility and approve its construction project (立项)."""
        data = validated(request, ScenarioBuildSerializer)
        project = planning.scenario_site_build(
            actor=self.actor, scenario=self.get_object(), index=data.pop("site"), **data
        )
        return answer(ProjectSerializer, project, created=True)
