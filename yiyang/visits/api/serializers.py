from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from yiyang.core.api.records import RecordSerializer, ref, ref_name
from yiyang.core.api.serializers import BlankAsNullChoiceField
from yiyang.visits.choices import ReviewStatus, VisitOutcome
from yiyang.visits.models import Order, Visit, VisitFlag, VisitPhoto


class RefSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="external_id")
    name = serializers.CharField()


class FlagSerializer(serializers.ModelSerializer):
    class Meta:
        model = VisitFlag
        fields = ["code", "detail", "explanation", "raised_at"]
        read_only_fields = fields


class PhotoSerializer(RecordSerializer):
    class Meta:
        model = VisitPhoto
        fields = ["id", "content_type", "size_bytes", "width", "height", "caption", "created_at"]
        read_only_fields = fields


class VisitSerializer(RecordSerializer):
    """A visit with its state and its flags: the answer to check-in and check-out."""

    order = ref("order")
    elder = RefSerializer(read_only=True)
    provider = RefSerializer(read_only=True)
    service = serializers.SerializerMethodField()
    caregiver = RefSerializer(read_only=True, allow_null=True)
    second_caregiver = RefSerializer(read_only=True, allow_null=True)
    address = serializers.CharField(source="elder.address", read_only=True)
    flags = FlagSerializer(many=True, read_only=True)
    delivered = serializers.BooleanField(read_only=True)
    duration_minutes = serializers.SerializerMethodField()
    rating = serializers.SerializerMethodField()
    # Blank until the visit ends: null then, never "" (outside the enum).
    outcome = BlankAsNullChoiceField(choices=VisitOutcome.choices)

    class Meta:
        model = Visit
        fields = [
            "id",
            "order",
            "elder",
            "provider",
            "service",
            "address",
            "date",
            "window_start",
            "window_end",
            "standard_minutes",
            "needs_two",
            "caregiver",
            "second_caregiver",
            "status",
            "is_late",
            "on_the_way_at",
            "check_in_at",
            "check_in_distance",
            "check_in_accuracy",
            "check_out_at",
            "check_out_distance",
            "check_out_accuracy",
            "duration_minutes",
            "tasks_done",
            "notes",
            "outcome",
            "review_status",
            "delivered",
            "flags",
            "price",
            "allowance_yuan",
            "ltc_yuan",
            "self_pay_yuan",
            "cancel_reason",
            "short_notice",
            "rating",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.DictField(child=serializers.JSONField()))
    def get_service(self, visit: Visit) -> dict[str, Any]:
        item = visit.item
        return {
            "id": str(item.external_id),
            "code": item.code,
            "name": item.name,
            "checklist": item.checklist,
            "category": item.category,
        }

    def get_duration_minutes(self, visit: Visit) -> int | None:
        if visit.check_in_at is None or visit.check_out_at is None:
            return None
        return round((visit.check_out_at - visit.check_in_at).total_seconds() / 60)

    @extend_schema_field(serializers.DictField(child=serializers.JSONField(), allow_null=True))
    def get_rating(self, visit: Visit) -> dict[str, Any] | None:
        rating = getattr(visit, "rating", None)
        if rating is None:
            return None
        return {"stars": rating.stars, "comment": rating.comment, "at": rating.at.isoformat()}


class FixSerializer(serializers.Serializer):
    """Where the phone was and when (ISO 8601 with the zone). ``sent_at`` is the phone's
    clock when it sent a queued action; ``client_action_id`` makes a re-send harmless."""

    latitude = serializers.FloatField(required=False, allow_null=True)
    longitude = serializers.FloatField(required=False, allow_null=True)
    accuracy = serializers.FloatField(required=False, allow_null=True)
    at = serializers.DateTimeField(required=False, allow_null=True)
    sent_at = serializers.DateTimeField(required=False, allow_null=True)
    client_action_id = serializers.UUIDField(required=False, allow_null=True)
    explanation = serializers.CharField(required=False, allow_blank=True, max_length=500)


class CheckOutSerializer(FixSerializer):
    tasks_done = serializers.ListField(child=serializers.CharField(max_length=100), required=False)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    outcome = serializers.ChoiceField(choices=VisitOutcome.choices, default=VisitOutcome.DONE)


class SetOffSerializer(serializers.Serializer):
    at = serializers.DateTimeField(required=False, allow_null=True)
    client_action_id = serializers.UUIDField(required=False, allow_null=True)


class AssignSerializer(serializers.Serializer):
    caregivers = serializers.ListField(child=serializers.UUIDField(), min_length=1, max_length=2)


class CandidateSerializer(serializers.Serializer):
    caregiver = RefSerializer()
    ok = serializers.BooleanField()
    problems = serializers.ListField(child=serializers.DictField(child=serializers.CharField()))
    distance_m = serializers.FloatField(allow_null=True)
    served_before = serializers.IntegerField()


class CancelReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


class VisitReviewSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=[ReviewStatus.ACCEPTED, ReviewStatus.REJECTED])
    reason = serializers.CharField(max_length=300)


class ExplainSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=20)
    explanation = serializers.CharField(max_length=500)


class CorrectSerializer(serializers.Serializer):
    check_in_at = serializers.DateTimeField()
    check_out_at = serializers.DateTimeField()
    reason = serializers.CharField(max_length=300)
    attestation = serializers.BooleanField()


class PhotoUploadSerializer(serializers.Serializer):
    photo = serializers.FileField()
    caption = serializers.CharField(required=False, allow_blank=True, max_length=200)


class RateSerializer(serializers.Serializer):
    stars = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=500)


class OrderSerializer(RecordSerializer):
    elder = RefSerializer(read_only=True)
    provider = RefSerializer(read_only=True)
    service = ref_name("item")
    visit_count = serializers.SerializerMethodField()

    class Meta:
        model = Order
        fields = [
            "id",
            "elder",
            "provider",
            "service",
            "kind",
            "placed_via",
            "relation",
            "starts_on",
            "ends_on",
            "weekdays",
            "window_start",
            "window_end",
            "price",
            "allowance_yuan",
            "ltc_yuan",
            "self_pay_yuan",
            "split_reason",
            "note",
            "status",
            "cancel_reason",
            "created_at",
            "visit_count",
        ]
        read_only_fields = fields

    def get_visit_count(self, order: Order) -> int:
        return order.visits.count()


class OrderWarningSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="unstaffed_window")
    params = serializers.DictField()
    message = serializers.CharField()


class OrderCreatedSerializer(OrderSerializer):
    """The order placed, with ``warnings``: ``unstaffed_window`` when no caregiver of the
    provider works the window on some of its weekdays (the order is still placed)."""

    warnings = OrderWarningSerializer(many=True, read_only=True)

    class Meta(OrderSerializer.Meta):
        fields = [*OrderSerializer.Meta.fields, "warnings"]
        read_only_fields = fields


class OrderCreateSerializer(serializers.Serializer):
    elder = serializers.UUIDField()
    provider = serializers.UUIDField()
    service = serializers.UUIDField(help_text="The service item's id.")
    starts_on = serializers.DateField()
    ends_on = serializers.DateField(required=False, allow_null=True)
    weekdays = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6),
        required=False,
        max_length=7,
        help_text="0 = Monday ... 6 = Sunday; empty for a single visit.",
    )
    window_start = serializers.TimeField()
    window_end = serializers.TimeField()
    allowance_yuan = serializers.DecimalField(
        8,
        2,
        required=False,
        allow_null=True,
        help_text="Omit the three shares: they are computed from the price and the elder's "
        "entitlement. Shares that differ are an officer's override and need split_reason.",
    )
    ltc_yuan = serializers.DecimalField(8, 2, required=False, allow_null=True)
    self_pay_yuan = serializers.DecimalField(8, 2, required=False, allow_null=True)
    split_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=300,
        help_text="Why an officer changes the computed payer split (required then).",
    )
    relation = serializers.CharField(required=False, allow_blank=True, max_length=32)
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)

    def validate_starts_on(self, value: Any) -> Any:
        return value or timezone.localdate()
