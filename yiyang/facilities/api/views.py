"""The facility network's API: facilities (and their status), construction projects,
coverage of the 15-minute circle by division, and planning scenarios."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from yiyang.core.api.lookups import referenced
from yiyang.core.api.viewsets import ScopedReadViewSet, validated
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
    message = _("No such division in your jurisdiction.")
    return referenced("division", message, selectors.division_get_in_scope, actor=actor, code=code)


class FacilityViewSet(ScopedReadViewSet):
    """Facilities in the caller's jurisdiction (a facility extends an organisation)."""

    serializer_class = FacilitySerializer
    filterset_class = FacilityFilterSet
    model = Facility
    get_for_actor = staticmethod(selectors.facility_get_for_actor)

    def visible(self, actor: Actor) -> QuerySet[Facility]:
        return selectors.facility_list(actor=actor).prefetch_related("service_area")

    @extend_schema(request=FacilityCreateSerializer, responses={201: FacilitySerializer})
    def create(self, request: Request) -> Response:
        """Register an organisation of the caller's jurisdiction as a facility."""
        data = validated(request, FacilityCreateSerializer)
        actor = request_actor(request)
        organisation = referenced(
            "organisation",
            _("No such organisation in your jurisdiction."),
            organisation_get_for_actor,
            actor=actor,
            external_id=data.pop("organisation"),
        )
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
        return Response(FacilitySerializer(facility).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=StatusSerializer, responses=FacilitySerializer)
    @action(detail=True, methods=["post"])
    def status(self, request: Request, id: str) -> Response:
        """Move the facility to a status (planned -> under construction -> open ->
        suspended -> closed) on a date (today by default)."""
        data = validated(request, StatusSerializer)
        facility = services.facility_status_set(
            actor=request_actor(request),
            facility=self.get_object(),
            status=data["status"],
            on=data.get("on"),
        )
        return Response(FacilitySerializer(facility).data)


class ProjectViewSet(ScopedReadViewSet):
    """Construction projects (立项 -> 开工 -> 竣工 -> 投用) in the caller's jurisdiction."""

    serializer_class = ProjectSerializer
    filterset_class = ProjectFilterSet
    model = ConstructionProject
    get_for_actor = staticmethod(selectors.project_get_for_actor)

    def visible(self, actor: Actor) -> QuerySet[ConstructionProject]:
        return selectors.project_list(actor=actor)

    @extend_schema(request=MilestoneSerializer, responses=ProjectSerializer)
    @action(detail=True, methods=["post"])
    def milestone(self, request: Request, id: str) -> Response:
        """Record the project's next milestone (开工, 竣工, 投用) on a day (today by
        default); starting construction and putting into use move the facility too."""
        data = validated(request, MilestoneSerializer)
        project = services.project_milestone(
            actor=request_actor(request),
            project=self.get_object(),
            milestone=data["milestone"],
            on=data.get("on") or timezone.localdate(),
        )
        return Response(ProjectSerializer(project).data)


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
    get_for_actor = staticmethod(selectors.scenario_get_for_actor)

    def visible(self, actor: Actor) -> QuerySet[PlanScenario]:
        return selectors.scenario_list(actor=actor)

    @extend_schema(request=ScenarioCreateSerializer, responses={201: ScenarioSerializer})
    def create(self, request: Request) -> Response:
        data = validated(request, ScenarioCreateSerializer)
        actor = request_actor(request)
        division = _division(actor, data.pop("division"))
        scenario = planning.scenario_start(actor=actor, division=division, **data)
        return Response(ScenarioSerializer(scenario).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ScenarioSaveSerializer, responses=ScenarioSerializer)
    @action(detail=True, methods=["post"], url_path="save")
    def keep(self, request: Request, id: str) -> Response:
        """Keep a finished scenario under a name (for comparing and exporting)."""
        scenario = planning.scenario_save(
            actor=request_actor(request),
            scenario=self.get_object(),
            name=validated(request, ScenarioSaveSerializer)["name"],
        )
        return Response(ScenarioSerializer(scenario).data)

    @extend_schema(request=ScenarioBuildSerializer, responses={201: ProjectSerializer})
    @action(detail=True, methods=["post"])
    def build(self, request: Request, id: str) -> Response:
        """Plan a chosen site as a facility and approve its construction project (立项)."""
        data = validated(request, ScenarioBuildSerializer)
        project = planning.scenario_site_build(
            actor=request_actor(request), scenario=self.get_object(), index=data.pop("site"), **data
        )
        return Response(ProjectSerializer(project).data, status=status.HTTP_201_CREATED)
