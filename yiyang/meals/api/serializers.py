"""Serializers of the meals API: parse input, render output; the services decide."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from yiyang.core.api.records import ElderRef, RecordSerializer, coordinate, ref, ref_name
from yiyang.meals.choices import Meal, MealMode
from yiyang.meals.models import Booking, Canteen, ServedMeal, StandingOrder
from yiyang.meals.services.canteens import CANTEEN_FIELDS


class CanteenSerializer(RecordSerializer[Canteen]):
    name = ref_name("organisation")
    kind = serializers.CharField(source="facility.kind", read_only=True)
    division_code = serializers.CharField(read_only=True)
    kitchen = serializers.UUIDField(source="kitchen.external_id", read_only=True, allow_null=True)

    class Meta:
        model = Canteen
        fields = ["id", "name", "kind", "division_code", "kitchen", *CANTEEN_FIELDS]
        read_only_fields = fields


class ElderRefSerializer(serializers.Serializer[Any]):
    """Who is at the counter: one of the elder's id, the meal card's QR value, the ID
    number (typed or swiped) or a phone number."""

    elder = serializers.UUIDField(required=False)
    card = serializers.CharField(required=False, max_length=64, trim_whitespace=True)
    id_number = serializers.CharField(required=False, max_length=32, trim_whitespace=True)
    phone = serializers.CharField(required=False, max_length=32, trim_whitespace=True)


class CounterSerializer(ElderRefSerializer):
    canteen = serializers.UUIDField()
    meal = serializers.ChoiceField(choices=Meal.choices)
    mode = serializers.ChoiceField(choices=MealMode.choices, default=MealMode.DINE_IN)
    dish = serializers.UUIDField(required=False, allow_null=True)


class ServeSerializer(CounterSerializer):
    """A meal served. ``date`` is the meal's day (today by default); ``at`` is when (an
    offline record's own time; now by default; its local date is the meal's day);
    ``client_id`` makes a re-sent record harmless."""

    date = serializers.DateField(required=False)
    at = serializers.DateTimeField(required=False)
    client_id = serializers.UUIDField(required=False, allow_null=True)


class ServedMealSerializer(ElderRef, RecordSerializer[ServedMeal]):
    canteen = ref("canteen")
    canteen_name = serializers.CharField(source="canteen.organisation.name", read_only=True)
    price = serializers.DecimalField(source="price_yuan", max_digits=9, decimal_places=2)
    subsidy = serializers.DecimalField(source="subsidy_yuan", max_digits=9, decimal_places=2)
    self_pay = serializers.DecimalField(source="self_pay_yuan", max_digits=9, decimal_places=2)

    class Meta:
        model = ServedMeal
        fields = [
            "id",
            "elder",
            "elder_name",
            "canteen",
            "canteen_name",
            "day",
            "meal",
            "mode",
            "served_at",
            "price",
            "subsidy",
            "self_pay",
            "recorded_offline",
            "client_id",
            "voided_at",
            "void_reason",
        ]
        read_only_fields = fields


class VoidSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=200, help_text="why the meal is voided")


class ServeResultSerializer(ServedMealSerializer):
    replayed = serializers.BooleanField(read_only=True)
    warnings = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta(ServedMealSerializer.Meta):
        fields = [*ServedMealSerializer.Meta.fields, "replayed", "warnings"]
        read_only_fields = fields


class ConflictSerializer(serializers.Serializer[Any]):
    detail = serializers.CharField()
    first = ServedMealSerializer()


class PreviewSerializer(serializers.Serializer[Any]):
    elder = serializers.UUIDField()
    name = serializers.CharField()
    id_number = serializers.CharField(help_text="masked")
    price = serializers.DecimalField(max_digits=9, decimal_places=2)
    subsidy = serializers.DecimalField(max_digits=9, decimal_places=2)
    self_pay = serializers.DecimalField(max_digits=9, decimal_places=2)
    subsidy_reasons = serializers.ListField(child=serializers.CharField())
    warnings = serializers.ListField(child=serializers.CharField())
    already_served = serializers.CharField(allow_blank=True)
    photo = serializers.CharField(
        allow_null=True,
        help_text="The address of the elder's photo for this counter's page, with a "
        "short-lived grant (the same grant works at /api/v1/meals/canteens/{id}/elders/"
        "{elder}/photo/); each view is in the access log; null when there is no photo.",
    )


class BookingSerializer(ElderRef, RecordSerializer[Booking]):
    canteen = ref("canteen")
    dish = serializers.CharField(source="dish.name", read_only=True, allow_null=True)

    class Meta:
        model = Booking
        fields = [
            "id",
            "elder",
            "elder_name",
            "canteen",
            "day",
            "meal",
            "mode",
            "dish",
            "status",
            "booked_via",
            "route_position",
            "delivered_at",
            "is_late",
            "dish_fallback",
        ]
        read_only_fields = fields


class BookingCreateSerializer(serializers.Serializer[Any]):
    elder = serializers.UUIDField()
    canteen = serializers.UUIDField()
    day = serializers.DateField()
    meal = serializers.ChoiceField(choices=Meal.choices)
    mode = serializers.ChoiceField(choices=MealMode.choices, default=MealMode.DINE_IN)
    dish = serializers.UUIDField(required=False, allow_null=True)
    confirm_diet_conflict = serializers.BooleanField(
        default=False,
        help_text="Book a dish that conflicts with the elder's diet needs or allergies "
        "(without it such a booking is refused with 400 naming the conflicts).",
    )


class BookingResultSerializer(BookingSerializer):
    warnings = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta(BookingSerializer.Meta):
        fields = [*BookingSerializer.Meta.fields, "warnings"]
        read_only_fields = fields


class DeliverySerializer(serializers.Serializer[Any]):
    delivered = serializers.BooleanField(help_text="false: the elder was not at home")
    at = serializers.DateTimeField(required=False)
    latitude = coordinate(required=False)
    longitude = coordinate(required=False)


class StandingOrderSerializer(ElderRef, RecordSerializer[StandingOrder]):
    canteen = ref("canteen")
    dish = serializers.UUIDField(
        source="dish.external_id",
        read_only=True,
        allow_null=True,
        help_text="null: the day's default",
    )
    dish_name = serializers.CharField(source="dish.name", read_only=True, allow_null=True)

    class Meta:
        model = StandingOrder
        fields = [
            "id",
            "elder",
            "elder_name",
            "canteen",
            "meal",
            "mode",
            "dish",
            "dish_name",
            "weekdays",
            "starts_on",
            "ends_on",
            "is_active",
        ]
        read_only_fields = fields


class StandingOrderCreateSerializer(serializers.Serializer[Any]):
    """A booking repeated every week on ``weekdays`` (0 = Monday) from ``starts_on``."""

    elder = serializers.UUIDField()
    canteen = serializers.UUIDField()
    meal = serializers.ChoiceField(choices=Meal.choices)
    mode = serializers.ChoiceField(choices=MealMode.choices, default=MealMode.DINE_IN)
    weekdays = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6), min_length=1, max_length=7
    )
    starts_on = serializers.DateField()
    ends_on = serializers.DateField(required=False, allow_null=True)
    dish = serializers.UUIDField(
        required=False,
        allow_null=True,
        help_text="A dish of the canteen's menu, booked on each day whose menu has it "
        "(other days: the day's default); empty: the day's default.",
    )
    confirm_diet_conflict = serializers.BooleanField(default=False)
