"""The meals API: canteens, the counter (``POST /meals/served/``: 201 with price, subsidy
and self-pay; 200 for a re-sent offline record; 409 for a second meal of the meal-time
anywhere in the city), bookings and delivery confirmation, all scoped to the caller."""

from __future__ import annotations

import datetime
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from yiyang.core.permissions import request_actor
from yiyang.elders.models import Elder
from yiyang.meals import selectors, services
from yiyang.meals.api.serializers import (
    BookingCreateSerializer,
    BookingResultSerializer,
    BookingSerializer,
    CanteenSerializer,
    ConflictSerializer,
    CounterSerializer,
    DeliverySerializer,
    PreviewSerializer,
    ServedMealSerializer,
    ServeResultSerializer,
    ServeSerializer,
    StandingOrderCreateSerializer,
    StandingOrderSerializer,
    VoidSerializer,
)
from yiyang.meals.models import Booking, Canteen, Dish, ServedMeal, StandingOrder


def _valid(serializer_class: type, request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _elder(canteen: Canteen, data: dict[str, Any]) -> Elder:
    """The elder named by card, ID number, phone or id; a bad one is a 400 on its field."""
    given = [k for k in ("card", "id_number", "phone", "elder") if data.get(k)]
    try:
        return selectors.elder_identify(canteen=canteen, **{k: str(data[k]) for k in given})
    except selectors.UnknownElderError as exc:
        raise ValidationError({given[0] if given else "card": str(exc)}) from None


def _dish(canteen: Canteen, data: dict[str, Any], message: str) -> Dish | None:
    """The chosen dish of the canteen's (or its kitchen's) dishes; another is a 400."""
    try:
        return selectors.dish_get(canteen=canteen, external_id=data.get("dish"))
    except Http404:
        raise ValidationError({"dish": message}) from None


def _photo_url(request: Request, canteen: Canteen, elder: Elder) -> str | None:
    """Where the counter shows the elder's photo: a grant for this staff member, this
    canteen and this elder rides along (the elder was just identified here)."""
    if not elder.photo:
        return None
    grant = selectors.counter_photo_grant(
        actor=request_actor(request), canteen=canteen, elder=elder
    )
    path = reverse("meals:counter-photo", args=[canteen.external_id, elder.external_id])
    return f"{path}?{urlencode({'grant': grant})}"


def _counter(request: Request, serializer_class: type) -> tuple[dict[str, Any], Canteen, Elder]:
    data = _valid(serializer_class, request)
    actor = request_actor(request)
    canteen = selectors.counter_canteen_get(actor=actor, external_id=data["canteen"])
    return data, canteen, _elder(canteen, data)


class CanteenViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Canteens and meal points the caller may see."""

    serializer_class = CanteenSerializer
    lookup_field = "external_id"
    lookup_url_kwarg = "id"

    def get_queryset(self) -> QuerySet[Canteen]:
        if getattr(self, "swagger_fake_view", False):
            return Canteen.objects.none()
        return selectors.canteen_list(actor=request_actor(self.request))

    def get_object(self) -> Canteen:
        return selectors.canteen_get_for_actor(
            actor=request_actor(self.request), external_id=self.kwargs["id"]
        )


class ServedMealViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Meals served: the counter records them; lists are scoped (a canteen's staff their
    canteens, officers their elders, family their linked elders)."""

    serializer_class = ServedMealSerializer
    lookup_field = "external_id"
    lookup_url_kwarg = "id"

    def get_queryset(self) -> QuerySet[ServedMeal]:
        if getattr(self, "swagger_fake_view", False):
            return ServedMeal.objects.none()
        day = self.request.query_params.get("day")
        filters = {"day": day} if day and _is_date(day) else {}
        return selectors.served_list(actor=request_actor(self.request), filters=filters)

    @extend_schema(parameters=[OpenApiParameter("day", OpenApiTypes.DATE, description="one day")])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=ServeSerializer,
        responses={201: ServeResultSerializer, 200: ServeResultSerializer, 409: ConflictSerializer},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Record a meal at the counter. Name the elder by ``card`` (the QR value),
        ``id_number``, ``phone`` or ``elder``. 409 when the meal-time was served already."""
        data, canteen, elder = _counter(request, ServeSerializer)
        dish = selectors.dish_get(canteen=canteen, external_id=data.get("dish"))
        try:
            served = services.meal_serve(
                actor=request_actor(request),
                canteen=canteen,
                elder=elder,
                meal=data["meal"],
                mode=data["mode"],
                dish=dish,
                at=data.get("at"),
                client_id=data.get("client_id"),
                day=data.get("date"),
            )
        except services.MealConflictError as conflict:
            body = {"detail": conflict.message, "first": ServedMealSerializer(conflict.first).data}
            return Response(body, status=status.HTTP_409_CONFLICT)
        served.meal.replayed = served.replayed  # type: ignore[attr-defined]
        served.meal.warnings = served.warnings  # type: ignore[attr-defined]
        code = status.HTTP_200_OK if served.replayed else status.HTTP_201_CREATED
        return Response(ServeResultSerializer(served.meal).data, status=code)

    @extend_schema(request=VoidSerializer, responses={200: ServedMealSerializer})
    @action(detail=True, methods=["post"])
    def void(self, request: Request, id: str) -> Response:
        """Void a meal recorded by mistake (with the reason): its subsidy no longer counts
        and the meal-time is open again. Audited; only the canteen that recorded it."""
        data = _valid(VoidSerializer, request)
        actor = request_actor(request)
        served = selectors.served_get_for_actor(actor=actor, external_id=id)
        voided = services.served_meal_void(actor=actor, served=served, reason=data["reason"])
        return Response(ServedMealSerializer(voided).data)

    @extend_schema(request=CounterSerializer, responses={200: PreviewSerializer})
    @action(detail=False, methods=["post"])
    def preview(self, request: Request) -> Response:
        """What the counter shows before recording: name, price after subsidy, diet
        warnings, and whether the meal-time was served already somewhere."""
        data, canteen, elder = _counter(request, CounterSerializer)
        dish = selectors.dish_get(canteen=canteen, external_id=data.get("dish"))
        preview = services.counter_preview(
            actor=request_actor(request),
            canteen=canteen,
            elder=elder,
            meal=data["meal"],
            mode=data["mode"],
            dish=dish,
        )
        quote = preview.quote
        body = {
            "elder": elder.external_id,
            "name": elder.name,
            "id_number": elder.id_number_masked,
            "price": quote.price,
            "subsidy": quote.subsidy,
            "self_pay": quote.self_pay,
            "subsidy_reasons": quote.reasons,
            "warnings": preview.warnings,
            "already_served": services.conflict_message(preview.first) if preview.first else "",
            "photo": _photo_url(request, canteen, elder),
        }
        return Response(PreviewSerializer(body).data)


def _is_date(text: str) -> bool:
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        return False
    return True


class BookingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Meal bookings the caller may see (couriers: their deliveries, in route order)."""

    serializer_class = BookingSerializer
    lookup_field = "external_id"
    lookup_url_kwarg = "id"

    def get_queryset(self) -> QuerySet[Booking]:
        if getattr(self, "swagger_fake_view", False):
            return Booking.objects.none()
        day = self.request.query_params.get("day")
        filters = {"day": day} if day and _is_date(day) else {}
        return selectors.booking_list(actor=request_actor(self.request), filters=filters).order_by(
            "day", "meal", "route_position", "id"
        )

    def get_object(self) -> Booking:
        return selectors.booking_get_for_actor(
            actor=request_actor(self.request), external_id=self.kwargs["id"]
        )

    @extend_schema(request=BookingCreateSerializer, responses={201: BookingResultSerializer})
    def create(self, request: Request) -> Response:
        """Book a meal for an elder (cutoff, capacity and delivery area are checked)."""
        data = _valid(BookingCreateSerializer, request)
        actor = request_actor(request)
        elder = selectors.bookable_elder_get(actor=actor, external_id=data["elder"])
        canteen = selectors.canteen_get_for_actor(actor=actor, external_id=data["canteen"])
        dish = _dish(canteen, data, _("This dish is not on the menu for that meal."))
        booked = services.booking_place(
            actor=actor,
            canteen=canteen,
            elder=elder,
            day=data["day"],
            meal=data["meal"],
            mode=data["mode"],
            dish=dish,
            confirm_diet_conflict=data["confirm_diet_conflict"],
        )
        booked.booking.warnings = booked.warnings  # type: ignore[attr-defined]
        return Response(
            BookingResultSerializer(booked.booking).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=None, responses={200: BookingSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, id: str) -> Response:
        """Cancel before the canteen's cutoff."""
        booking = services.booking_cancel(actor=request_actor(request), booking=self.get_object())
        return Response(BookingSerializer(booking).data)

    @extend_schema(request=DeliverySerializer, responses={200: BookingSerializer})
    @action(detail=True, methods=["post"])
    def deliver(self, request: Request, id: str) -> Response:
        """The courier confirms: delivered (time, place) or the elder not at home."""
        data = _valid(DeliverySerializer, request)
        try:
            booking = services.delivery_confirm(
                actor=request_actor(request),
                booking=self.get_object(),
                delivered=data["delivered"],
                at=data.get("at"),
                lat=data.get("latitude"),
                lng=data.get("longitude"),
            )
        except services.MealConflictError as conflict:
            return Response({"detail": conflict.message}, status=status.HTTP_409_CONFLICT)
        return Response(BookingSerializer(booking).data)


class StandingOrderViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Standing orders (lunch every weekday): booked day by day ahead of the cutoff."""

    serializer_class = StandingOrderSerializer
    lookup_field = "external_id"
    lookup_url_kwarg = "id"

    def get_queryset(self) -> QuerySet[StandingOrder]:
        if getattr(self, "swagger_fake_view", False):
            return StandingOrder.objects.none()
        return selectors.standing_order_list(actor=request_actor(self.request)).order_by("id")

    def get_object(self) -> StandingOrder:
        return selectors.standing_order_get_for_actor(
            actor=request_actor(self.request), external_id=self.kwargs["id"]
        )

    @extend_schema(request=StandingOrderCreateSerializer, responses={201: StandingOrderSerializer})
    def create(self, request: Request) -> Response:
        """Place a standing order for an elder (the canteen's days and area are checked)."""
        data = _valid(StandingOrderCreateSerializer, request)
        actor = request_actor(request)
        elder = selectors.bookable_elder_get(actor=actor, external_id=data["elder"])
        canteen = selectors.canteen_get_for_actor(actor=actor, external_id=data["canteen"])
        order = services.standing_order_place(
            actor=actor,
            canteen=canteen,
            elder=elder,
            meal=data["meal"],
            mode=data["mode"],
            weekdays=data["weekdays"],
            starts_on=data["starts_on"],
            ends_on=data.get("ends_on"),
            dish=_dish(canteen, data, _("This dish is not one of this canteen's dishes.")),
            confirm_diet_conflict=data["confirm_diet_conflict"],
        )
        return Response(StandingOrderSerializer(order).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: StandingOrderSerializer})
    @action(detail=True, methods=["post"])
    def stop(self, request: Request, id: str) -> Response:
        """End the standing order (days already booked stay booked)."""
        order = services.standing_order_stop(actor=request_actor(request), order=self.get_object())
        return Response(StandingOrderSerializer(order).data)
