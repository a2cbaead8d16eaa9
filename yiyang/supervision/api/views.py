"""The supervision API: ratings (evaluators score their assigned ones), the complaint
register, inspections and rectification orders. Every read goes through the selectors."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from yiyang.core.api.lookups import pop_reference
from yiyang.core.api.viewsets import ScopedReadViewSet, answer, step_action, validated
from yiyang.core.permissions import Actor, request_actor
from yiyang.organisations.selectors import organisation_get_for_actor
from yiyang.supervision import selectors, services
from yiyang.supervision.api.serializers import (
    FamilyComplaintSerializer,
    InspectionSerializer,
    LevelResultSerializer,
    RatingReviewSerializer,
    RatingSerializer,
    RectificationSerializer,
    ScoresSerializer,
    ServiceEvaluationSerializer,
    SupervisedComplaintCreateSerializer,
    SupervisedComplaintSerializer,
    SupervisedComplaintStepSerializer,
    result_data,
)
from yiyang.supervision.models import (
    Complaint,
    Inspection,
    Rating,
    Rectification,
    ServiceEvaluation,
)
from yiyang.visits.selectors import visit_get_for_actor


def _params(request: Request, *names: str) -> dict[str, str]:
    """The list's filters from the query string ("" for one not given)."""
    return {name: request.query_params.get(name, "") for name in names}


# The complaint register's steps: each step's service, and the service's keywords with the
# fields of the body they come from.
_COMPLAINT_STEPS: dict[str, tuple[Any, dict[str, str]]] = {
    "acknowledge": (services.complaint_acknowledge, {}),
    "assign": (services.complaint_assign, {"assignee": "assignee", "note": "text"}),
    "answer": (services.complaint_answer, {"answer": "text"}),
    "close": (services.complaint_close, {"satisfied": "satisfied"}),
    "reopen": (services.complaint_reopen, {"reason": "text"}),
}


class RatingViewSet(ScopedReadViewSet):
    """Star ratings: an evaluator sees only those assigned to them."""

    serializer_class = RatingSerializer
    model = Rating
    get_for_actor = staticmethod(selectors.rating_get_for_actor)
    step_target = "rating"

    def visible(self, actor: Actor) -> QuerySet[Any]:
        return selectors.rating_list(actor=actor, filters=_params(self.request, "status"))

    @extend_schema(request=None, responses={200: LevelResultSerializer})
    @action(detail=True, methods=["get"])
    def result(self, request: Request, id: str) -> Response:
        """The total, part totals and level computed from the item scores so far."""
        return Response(result_data(services.rating_result(self.get_object())))

    @extend_schema(request=ScoresSerializer, responses={200: LevelResultSerializer})
    @action(detail=True, methods=["post"])
    def scores(self, request: Request, id: str) -> Response:
        """Record item scores (the assigned evaluator): ``{"scores": {"E1": {"points": 28,
        "note": "...", "photos": [base64 JPEG]}}}``; refused whole on any bad score."""
        data = validated(request, ScoresSerializer)
        result = services.rating_score(
            actor=request_actor(request), rating=self.get_object(), scores=data["scores"]
        )
        return Response(result_data(result))

    finish = step_action(services.rating_finish_scoring, answer=RatingSerializer)

    @extend_schema(request=RatingReviewSerializer, responses={200: RatingSerializer})
    @action(detail=True, methods=["post"])
    def review(self, request: Request, id: str) -> Response:
        data = validated(request, RatingReviewSerializer)
        return self.transition(services.rating_review, approve=data["approve"], note=data["note"])

    publish = step_action(services.rating_publish, answer=RatingSerializer)


class ComplaintViewSet(ScopedReadViewSet):
    """The city's complaint register."""

    serializer_class = SupervisedComplaintSerializer
    model = Complaint
    get_for_actor = staticmethod(selectors.complaint_get_for_actor)
    step_target = "complaint"

    def visible(self, actor: Actor) -> QuerySet[Any]:
        params = _params(self.request, "status", "escalated", "q")
        return selectors.complaint_list(actor=actor, filters=params)

    @extend_schema(
        request=SupervisedComplaintCreateSerializer, responses={201: SupervisedComplaintSerializer}
    )
    def create(self, request: Request) -> Response:
        """Register a complaint from the call centre, a walk-in or a 12345 work order."""
        data = validated(request, SupervisedComplaintCreateSerializer)
        actor = request_actor(request)
        organisation = pop_reference(data, "organisation", organisation_get_for_actor, actor=actor)
        complaint = services.complaint_register(actor=actor, organisation=organisation, **data)
        return answer(SupervisedComplaintSerializer, complaint, created=True)

    @extend_schema(
        request=FamilyComplaintSerializer, responses={201: SupervisedComplaintSerializer}
    )
    @action(detail=False, methods=["post"], url_path=r"family/(?P<visit>[0-9a-fA-F-]{36})")
    def family(self, request: Request, visit: str) -> Response:
        """A family member complains about a visit to their elder (the family page's path)."""
        data = validated(request, FamilyComplaintSerializer)
        actor = request_actor(request)
        complaint = services.complaint_from_family(
            actor=actor,
            visit=visit_get_for_actor(actor=actor, external_id=visit),
            text=data["text"],
            category=data["category"],
        )
        return answer(SupervisedComplaintSerializer, complaint, created=True)

    @extend_schema(
        request=SupervisedComplaintStepSerializer, responses={200: SupervisedComplaintSerializer}
    )
    @action(detail=True, methods=["post"])
    def step(self, request: Request, id: str) -> Response:
        """Acknowledge, assign (``assignee``: a username; ``text``: a note), answer
        (``text``), close (``satisfied``) or reopen (``text``)."""
        data = validated(request, SupervisedComplaintStepSerializer)
        service, fields = _COMPLAINT_STEPS[data["step"]]
        return self.transition(service, **{name: data[field] for name, field in fields.items()})


class InspectionViewSet(ScopedReadViewSet):
    """Safety inspections in the actor's jurisdiction (the same reach as the pages)."""

    serializer_class = InspectionSerializer
    model = Inspection
    list_selector = staticmethod(selectors.inspection_queryset)
    get_for_actor = staticmethod(selectors.inspection_get_for_actor)


class RectificationViewSet(ScopedReadViewSet):
    """Rectification orders from inspection findings, in the actor's jurisdiction."""

    serializer_class = RectificationSerializer
    model = Rectification
    list_selector = staticmethod(selectors.rectification_queryset)
    get_for_actor = staticmethod(selectors.rectification_get_for_actor)


class ServiceEvaluationViewSet(ScopedReadViewSet):
    """Yearly third-party evaluations of purchased services: an evaluator sees only those
    assigned to them, a provider its own."""

    serializer_class = ServiceEvaluationSerializer
    model = ServiceEvaluation
    get_for_actor = staticmethod(selectors.evaluation_get_for_actor)

    def visible(self, actor: Actor) -> QuerySet[ServiceEvaluation]:
        return selectors.evaluation_queryset(actor=actor).order_by("-year", "id")


@extend_schema(exclude=True)
class LegacyComplaintRedirect(APIView):
    """The addresses of the family-page complaints before the register took them over
    (``/api/v1/complaints/``, ``/api/v1/complaints/{old id}/answer/``,
    ``/api/v1/visits/{id}/complain/``): permanent redirects to the register's resources
    (308 keeps a POST). An old id is looked up in the caller's scope; 404 otherwise."""

    def _target(self, request: Request, **kwargs: Any) -> str:
        if "visit" in kwargs:
            return f"/api/v1/supervision/complaints/family/{kwargs['visit']}/"
        if "legacy" not in kwargs:
            return "/api/v1/supervision/complaints/"
        complaint = (
            selectors.complaint_queryset(actor=request_actor(request))
            .filter(legacy_external_id=kwargs["legacy"])
            .first()
        )
        if complaint is None:
            raise Http404
        suffix = "step/" if kwargs.get("answer") else ""
        return f"/api/v1/supervision/complaints/{complaint.external_id}/{suffix}"

    def get(self, request: Request, **kwargs: Any) -> HttpResponse:
        return HttpResponsePermanentRedirect(self._target(request, **kwargs))

    def post(self, request: Request, **kwargs: Any) -> HttpResponse:
        response = HttpResponsePermanentRedirect(self._target(request, **kwargs))
        response.status_code = 308
        return response
