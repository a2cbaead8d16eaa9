"""The optimiser's API: start a run ("optimise this day"), follow its progress and read its
proposal, accept all or some of it, and re-plan a day after a caregiver drops out."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from yiyang.core.api.viewsets import answer
from yiyang.core.permissions import request_actor
from yiyang.scheduling import selectors, services
from yiyang.scheduling.api.serializers import (
    AcceptResultSerializer,
    AcceptSerializer,
    PlanRunCreateSerializer,
    PlanRunSerializer,
    ReplanSerializer,
)
from yiyang.scheduling.models import PlanRun
from yiyang.services.selectors import provider_get_for_actor


def _data(serializer_class: type, request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class PlanRunViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Runs of the rostering optimiser over a provider's day (provider managers)."""

    serializer_class = PlanRunSerializer
    lookup_field = "external_id"
    lookup_url_kwarg = "id"

    def get_queryset(self) -> QuerySet[PlanRun]:
        if getattr(self, "swagger_fake_view", False):
            return PlanRun.objects.none()
        return selectors.plan_run_list(actor=request_actor(self.request))

    def get_object(self) -> PlanRun:
        return selectors.plan_run_get_for_actor(
            actor=request_actor(self.request), external_id=self.kwargs["id"]
        )

    def _provider(self, request: Request, external_id: Any) -> Any:
        try:
            return provider_get_for_actor(actor=request_actor(request), external_id=external_id)
        except Http404:
            raise ValidationError({"provider": _("No such provider.")}) from None

    def _created(self, run: PlanRun) -> Response:
        run.refresh_from_db()  # when tasks run at once, the run is already done
        return answer(PlanRunSerializer, run, created=True)

    @extend_schema(request=PlanRunCreateSerializer, responses={201: PlanRunSerializer})
    def create(self, request: Request) -> Response:
        """Optimise a day: the run is queued and works in the background; follow it with
        ``GET /plan-runs/{id}/`` (``progress`` 0-100, then ``proposal``)."""
        data = _data(PlanRunCreateSerializer, request)
        run = services.plan_run_start(
            actor=request_actor(request),
            provider=self._provider(request, data["provider"]),
            day=data["date"],
            time_limit=data["time_limit"],
            seed=data["seed"],
        )
        return self._created(run)

    @extend_schema(request=ReplanSerializer, responses={201: PlanRunSerializer})
    @action(detail=False, methods=["post"])
    def replan(self, request: Request) -> Response:
        """Re-plan the rest of a day after a caregiver dropped out: the others keep their
        visits; only the dropped caregiver's (and unassigned) visits move."""
        data = _data(ReplanSerializer, request)
        actor = request_actor(request)
        provider = self._provider(request, data["provider"])
        caregiver = selectors.provider_caregiver(provider=provider, external_id=data["caregiver"])
        if caregiver is None:
            raise ValidationError({"caregiver": _("No caregiver of this provider with this id.")})
        run = services.replan_after_dropout(
            actor=actor,
            provider=provider,
            day=data["date"],
            caregiver=caregiver,
            time_limit=data["time_limit"],
            seed=data["seed"],
        )
        return self._created(run)

    @extend_schema(request=AcceptSerializer, responses={200: AcceptResultSerializer})
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, id: str) -> Response:
        """Accept the proposal for all visits or the listed ones; each goes through the
        dispatch rules, and the refused ones are listed with their reasons."""
        data = _data(AcceptSerializer, request)
        result = services.plan_accept(
            actor=request_actor(request), run=self.get_object(), visit_ids=data.get("visits")
        )
        refused = {
            vid: [{**r, "message": services.accept_refusal_text(r)} for r in found]
            for vid, found in result.refused.items()
        }
        return Response(
            {
                "assigned": result.assigned,
                "unchanged": result.unchanged,
                "refused": refused,
                "unassigned": result.unassigned,
            }
        )
