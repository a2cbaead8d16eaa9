"""The visits API: orders and care plans, visits and their verification, scoped to the
caller (a caregiver sees only their visits, a family member only their elder's with consent,
a provider only its own)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import parsers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from yiyang.core.api.viewsets import ScopedReadViewSet, answer, step_action, validated
from yiyang.core.display import caregiver_name
from yiyang.core.permissions import Actor, request_actor
from yiyang.elders.models import Elder
from yiyang.services.selectors import service_item_get
from yiyang.visits import dispatch_facts, selectors, services
from yiyang.visits.api.serializers import (
    AssignSerializer,
    CancelReasonSerializer,
    CandidateSerializer,
    CheckOutSerializer,
    CorrectSerializer,
    ExplainSerializer,
    FixSerializer,
    OrderCreatedSerializer,
    OrderCreateSerializer,
    OrderSerializer,
    PhotoSerializer,
    PhotoUploadSerializer,
    RateSerializer,
    SetOffSerializer,
    VisitReviewSerializer,
    VisitSerializer,
)
from yiyang.visits.dispatching import order_warning
from yiyang.visits.filtersets import VisitFilterSet
from yiyang.visits.models import Order, Visit, VisitFlag


def _fix(data: dict[str, Any]) -> services.Fix:
    return services.Fix(
        latitude=data.get("latitude"),
        longitude=data.get("longitude"),
        accuracy=data.get("accuracy"),
        at=data.get("at"),
        sent_at=data.get("sent_at"),
        client_action_id=data.get("client_action_id"),
    )


class VisitViewSet(ScopedReadViewSet):
    """Visits the caller may see. ``?date=YYYY-MM-DD`` lists one day."""

    serializer_class = VisitSerializer
    filterset_class = VisitFilterSet
    model = Visit
    get_for_actor = staticmethod(selectors.visit_get_for_actor)
    step_target = "visit"

    def visible(self, actor: Actor) -> QuerySet[Visit]:
        return (
            selectors.visit_queryset(actor=actor)
            # Four joins: with eight, PostgreSQL spent more time planning than running.
            .select_related("elder", "item", "provider", "caregiver")
            .prefetch_related(
                "second_caregiver",
                "order",
                "rating",
                Prefetch("flags", queryset=VisitFlag.objects.order_by("id")),
            )
            .order_by("window_start", "id")
        )

    def step_answer(self, visit: Visit, code: int = status.HTTP_200_OK) -> Response:
        """The visit read afresh through the caller's scope (its flags as they are now)."""
        fresh = self.get_queryset().get(pk=visit.pk) if code != 204 else visit
        return Response(VisitSerializer(fresh).data, status=code)

    @extend_schema(request=FixSerializer, responses={200: VisitSerializer})
    @action(detail=True, methods=["post"], url_path="check-in")
    def check_in(self, request: Request, id: str) -> Response:
        """Check in with the phone's location: ``{"latitude", "longitude", "accuracy",
        "at"}``. The answer is the visit with its state and ``flags``."""
        data = validated(request, FixSerializer)
        return self.transition(
            services.visit_check_in, fix=_fix(data), explanation=data.get("explanation", "")
        )

    @extend_schema(request=CheckOutSerializer, responses={200: VisitSerializer})
    @action(detail=True, methods=["post"], url_path="check-out")
    def check_out(self, request: Request, id: str) -> Response:
        """Check out with location, the checklist ticked, notes and the outcome."""
        data = validated(request, CheckOutSerializer)
        return self.transition(
            services.visit_check_out,
            fix=_fix(data),
            tasks_done=data.get("tasks_done", []),
            notes=data.get("notes", ""),
            outcome=data["outcome"],
            explanation=data.get("explanation", ""),
        )

    @extend_schema(request=SetOffSerializer, responses={200: VisitSerializer})
    @action(detail=True, methods=["post"], url_path="set-off")
    def set_off(self, request: Request, id: str) -> Response:
        """The caregiver is on the way (no location is taken)."""
        data = validated(request, SetOffSerializer)
        return self.transition(
            services.visit_set_off, at=data.get("at"), client_action_id=data.get("client_action_id")
        )

    @extend_schema(request=AssignSerializer, responses={200: VisitSerializer})
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, id: str) -> Response:
        """Assign caregiver(s); a conflict answers 400 with each reason and its code."""
        data = validated(request, AssignSerializer)
        actor = request_actor(request)
        visit = self.get_object()
        ids = [str(c) for c in data["caregivers"]]
        chosen = selectors.visit_caregivers_get(actor=actor, visit=visit, external_ids=ids)
        if chosen is None:
            message = _("No caregiver of this provider with id %(ids)s.")
            raise ValidationError({"caregivers": message % {"ids": ", ".join(ids)}})
        return self.step_answer(services.visit_assign(actor=actor, visit=visit, caregivers=chosen))

    unassign = step_action(services.visit_unassign, answer=VisitSerializer)

    @extend_schema(responses={200: CandidateSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def suggestions(self, request: Request, id: str) -> Response:
        """The provider's caregivers, those who may take the visit first: the one who served
        the elder before, then the nearest; the others with their reasons."""
        candidates = selectors.dispatch_candidates(
            actor=request_actor(request), visit=self.get_object()
        )
        return Response(
            [
                {
                    "caregiver": {
                        "id": str(c.caregiver.external_id),
                        "name": c.caregiver.name,
                        "label": caregiver_name(c.caregiver),
                    },
                    "ok": c.ok,
                    "problems": [{"code": code, "reason": r} for code, r in c.problems],
                    "distance_m": round(c.distance_m) if c.distance_m is not None else None,
                    "served_before": c.served_before,
                }
                for c in candidates
            ]
        )

    @extend_schema(request=CancelReasonSerializer, responses={200: VisitSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, id: str) -> Response:
        data = validated(request, CancelReasonSerializer)
        return self.transition(services.visit_cancel, reason=data["reason"])

    @extend_schema(request=ExplainSerializer, responses={200: VisitSerializer})
    @action(detail=True, methods=["post"])
    def explain(self, request: Request, id: str) -> Response:
        """The caregiver explains a flag."""
        data = validated(request, ExplainSerializer)
        visit = self.get_object()
        services.visit_flag_explain(
            actor=request_actor(request),
            visit=visit,
            code=data["code"],
            explanation=data["explanation"],
        )
        return self.step_answer(visit)

    @extend_schema(request=VisitReviewSerializer, responses={200: VisitSerializer})
    @action(detail=True, methods=["post"])
    def review(self, request: Request, id: str) -> Response:
        """Accept or reject a flagged visit, with the reason."""
        data = validated(request, VisitReviewSerializer)
        return self.transition(
            services.visit_review, decision=data["decision"], reason=data["reason"]
        )

    @extend_schema(request=CorrectSerializer, responses={200: VisitSerializer})
    @action(detail=True, methods=["post"])
    def correct(self, request: Request, id: str) -> Response:
        """Correct the times by hand, with the editor's attestation (flagged ``edited``)."""
        data = validated(request, CorrectSerializer)
        return self.transition(
            services.visit_correct,
            check_in_at=data["check_in_at"],
            check_out_at=data["check_out_at"],
            reason=data["reason"],
            attestation=data["attestation"],
        )

    @extend_schema(request=RateSerializer, responses={200: VisitSerializer})
    @action(detail=True, methods=["post"])
    def rate(self, request: Request, id: str) -> Response:
        data = validated(request, RateSerializer)
        visit = self.get_object()
        services.visit_rate(
            actor=request_actor(request),
            visit=visit,
            stars=data["stars"],
            comment=data.get("comment", ""),
        )
        return self.step_answer(visit)

    @extend_schema(
        methods=["GET"],
        request=None,
        responses={200: PhotoSerializer(many=True)},
    )
    @extend_schema(
        methods=["POST"],
        request={"multipart/form-data": PhotoUploadSerializer},
        responses={201: PhotoSerializer},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        parser_classes=[parsers.MultiPartParser, parsers.FormParser],
    )
    def photos(self, request: Request, id: str) -> Response:
        """The visit's photos; a caregiver adds one (JPEG, PNG or WebP, size-limited)."""
        visit = self.get_object()
        if request.method == "GET":
            return self.paginated(PhotoSerializer, visit.photos.order_by("created_at", "id"))
        upload = validated(request, PhotoUploadSerializer)
        limit = settings.VISIT_PHOTO_MAX_BYTES
        photo = services.visit_photo_add(
            actor=request_actor(request),
            visit=visit,
            data=upload["photo"].read(limit + 1),
            caption=upload.get("caption", ""),
        )
        return answer(PhotoSerializer, photo, created=True)

    @extend_schema(
        parameters=[OpenApiParameter("photo_id", OpenApiTypes.UUID, OpenApiParameter.PATH)],
        responses={(200, "image/jpeg"): OpenApiTypes.BINARY},
    )
    @action(detail=True, methods=["get"], url_path=r"photos/(?P<photo_id>[^/.]+)")
    def photo(self, request: Request, id: str, photo_id: str) -> FileResponse:
        """One photo's image, to whoever may see the visit."""
        visit = self.get_object()
        photo = selectors.visit_photo_get(
            actor=request_actor(request), visit=visit, external_id=photo_id
        )
        return FileResponse(photo.image.open("rb"), content_type=photo.content_type)

    @extend_schema(responses={200: VisitSerializer(many=True)})
    @action(detail=False, methods=["get"], url_path="review-queue")
    def review_queue(self, request: Request) -> Response:
        """Flagged visits awaiting a decision, oldest first, with the list's filters."""
        visits = self.filter_queryset(selectors.review_queue(actor=request_actor(request)))
        return self.paginated(VisitSerializer, visits)


class OrderViewSet(ScopedReadViewSet):
    """Orders and care plans in the caller's scope."""

    serializer_class = OrderSerializer
    model = Order
    get_for_actor = staticmethod(selectors.order_get_for_actor)
    step_target = "order"

    def visible(self, actor: Actor) -> QuerySet[Order]:
        return selectors.order_list(actor=actor, filters=self.request.query_params.dict())

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, description="active, cancelled or ended"),
            OpenApiParameter("elder", OpenApiTypes.UUID),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=OrderCreateSerializer, responses={201: OrderCreatedSerializer})
    def create(self, request: Request) -> Response:
        """Place an order for one visit, or a care plan (``weekdays`` and ``ends_on``)."""
        actor = request_actor(request)
        data = validated(request, OrderCreateSerializer)
        elder = _elder_for(actor, data["elder"])
        provider = _get_or_error(
            selectors.order_provider_queryset(actor=actor), data["provider"], "provider"
        )
        item = service_item_get(actor=actor, external_id=data["service"])
        order = services.order_place(
            actor=actor,
            elder=elder,
            provider=provider,
            item=item,
            starts_on=data["starts_on"],
            ends_on=data.get("ends_on"),
            weekdays=data.get("weekdays") or [],
            window_start=data["window_start"],
            window_end=data["window_end"],
            allowance_yuan=data.get("allowance_yuan"),
            ltc_yuan=data.get("ltc_yuan"),
            self_pay_yuan=data.get("self_pay_yuan"),
            split_reason=data.get("split_reason", ""),
            relation=data.get("relation", ""),
            note=data.get("note", ""),
        )
        unstaffed = dispatch_facts.order_unstaffed_days(order)
        data = {
            **OrderSerializer(order).data,
            "warnings": [order_warning(order, unstaffed)] if unstaffed else [],
        }
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CancelReasonSerializer, responses={200: OrderSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, id: str) -> Response:
        """Cancel the order and its visits not yet started."""
        reason = validated(request, CancelReasonSerializer)["reason"]
        return self.transition(services.order_cancel, reason=reason)


def _get_or_error(queryset: QuerySet[Any], external_id: Any, field: str) -> Any:
    found = queryset.filter(external_id=external_id).first()
    if found is None:
        raise ValidationError({field: _("Not found: %(id)s.") % {"id": external_id}})
    return found


def _elder_for(actor: Any, external_id: Any) -> Elder:
    """The order's elder by the one rule of :func:`selectors.order_elder_get`; in a request
    body an elder out of reach is a field error, as any unknown id there is."""
    try:
        return selectors.order_elder_get(actor=actor, external_id=external_id)
    except Http404:
        raise ValidationError(
            {"elder": _("No elder with this id that you may order for.")}
        ) from None
