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
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from yiyang.core.api.viewsets import (
    ScopedReadViewSet,
    ScopedViewSet,
    answer,
    step_action,
    validated,
)
from yiyang.core.permissions import Actor, request_actor
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


def _elder_and_canteen(actor: Actor, data: dict[str, Any]) -> tuple[Elder, Canteen]:
    """The elder a booking is for (one the caller may book for) and the canteen it is at."""
    elder = selectors.bookable_elder_get(actor=actor, external_id=data["elder"])
    canteen = selectors.canteen_get_for_actor(actor=actor, external_id=data["canteen"])
    return elder, canteen


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


def _counter(request: Request, serializer_class: type) -> tuple[dict[str, Any], dict[str, Any]]:
    """The counter's request body and the meal it asks about, as the counter services take
    it: the canteen whose counter the caller runs, the elder identified there, the meal-time,
    the mode and the dish (one of the canteen's dishes, or none)."""
    data = validated(request, serializer_class)
    actor = request_actor(request)
    canteen = selectors.counter_canteen_get(actor=actor, external_id=data["canteen"])
    elder = _elder(canteen, data)
    dish = selectors.dish_get(canteen=canteen, external_id=data.get("dish"))
    meal = {"canteen": canteen, "elder": elder, "meal": data["meal"], "mode": data["mode"]}
    return data, {**meal, "dish": dish}


class CanteenViewSet(ScopedReadViewSet):
    """Canteens and meal points the caller may see."""

    serializer_class = CanteenSerializer
    model = Canteen
    list_selector = staticmethod(selectors.canteen_list)
    get_for_actor = staticmethod(selectors.canteen_get_for_actor)


class ServedMealViewSet(mixins.ListModelMixin, ScopedViewSet):
    """Meals served: the counter records them; lists are scoped (a canteen's staff their
    canteens, officers their elders, family their linked elders)."""

    serializer_class = ServedMealSerializer
    model = ServedMeal

    def visible(self, actor: Actor) -> QuerySet[ServedMeal]:
        return selectors.served_list(actor=actor, filters=_day_filters(self.request))

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
        data, meal = _counter(request, ServeSerializer)
        try:
            served = services.meal_serve(
                actor=request_actor(request),
                **meal,
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
        data = validated(request, VoidSerializer)
        actor = request_actor(request)
        served = selectors.served_get_for_actor(actor=actor, external_id=id)
        voided = services.served_meal_void(actor=actor, served=served, reason=data["reason"])
        return Response(ServedMealSerializer(voided).data)

    @extend_schema(request=CounterSerializer, responses={200: PreviewSerializer})
    @action(detail=False, methods=["post"])
    def preview(self, request: Request) -> Response:
        """What the counter shows before recording: name, price after subsidy, diet
        warnings, and whether the meal-time was served already somewhere."""
        _, meal = _counter(request, CounterSerializer)
        preview = services.counter_preview(actor=request_actor(request), **meal)
        canteen, elder = meal["canteen"], meal["elder"]
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


def _day_filters(request: Request) -> dict[str, str]:
    """The list's one filter, ``?day=YYYY-MM-DD``; anything else lists every day."""
    day = request.query_params.get("day")
    return {"day": day} if day and _is_date(day) else {}


class BookingViewSet(ScopedReadViewSet):
    """Meal bookings the caller may see (couriers: their deliveries, in route order)."""

    serializer_class = BookingSerializer
    model = Booking
    get_for_actor = staticmethod(selectors.booking_get_for_actor)
    step_target = "booking"

    def visible(self, actor: Actor) -> QuerySet[Booking]:
        bookings = selectors.booking_list(actor=actor, filters=_day_filters(self.request))
        return bookings.order_by("day", "meal", "route_position", "id")

    @extend_schema(request=BookingCreateSerializer, responses={201: BookingResultSerializer})
    def create(self, request: Request) -> Response:
        """Book a meal for an elder (cutoff, capacity and delivery area are checked)."""
        data = validated(request, BookingCreateSerializer)
        actor = self.actor
        elder, canteen = _elder_and_canteen(actor, data)
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
        return answer(BookingResultSerializer, booked.booking, created=True)

    cancel = step_action(
        services.booking_cancel, answer=BookingSerializer, doc="Cancel before the canteen's cutoff."
    )

    @extend_schema(request=DeliverySerializer, responses={200: BookingSerializer})
    @action(detail=True, methods=["post"])
    def deliver(self, request: Request, id: str) -> Response:
        """The courier confirms: delivered (time, place) or the elder not at home."""
        data = validated(request, DeliverySerializer)
        try:
            return self.transition(
                services.delivery_confirm,
                delivered=data["delivered"],
                at=data.get("at"),
                lat=data.get("latitude"),
                lng=data.get("longitude"),
            )
        except services.MealConflictError as conflict:
            return Response({"detail": conflict.message}, status=status.HTTP_409_CONFLICT)


class StandingOrderViewSet(ScopedReadViewSet):
    """Standing orders (lunch every weekday): booked day by day ahead of the cutoff."""

    serializer_class = StandingOrderSerializer
    model = StandingOrder
    get_for_actor = staticmethod(selectors.standing_order_get_for_actor)
    step_target = "order"

    def visible(self, actor: Actor) -> QuerySet[StandingOrder]:
        return selectors.standing_order_list(actor=actor).order_by("id")

    @extend_schema(request=StandingOrderCreateSerializer, responses={201: StandingOrderSerializer})
    def create(self, request: Request) -> Response:
        """Place a standing order for an elder (the canteen's days and area are checked)."""
        data = validated(request, StandingOrderCreateSerializer)
        actor = self.actor
        elder, canteen = _elder_and_canteen(actor, data)
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
        return answer(StandingOrderSerializer, order, created=True)

    stop = step_action(
        services.standing_order_stop,
        answer=StandingOrderSerializer,
        doc="End the standing order (days already booked stay booked).",
    )
