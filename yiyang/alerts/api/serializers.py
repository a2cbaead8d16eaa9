from __future__ import annotations

from typing import Any

from rest_framework import serializers

from yiyang.alerts.choices import OPERATOR_ACTIONS, ActionResult, Outcome
from yiyang.alerts.models import Alert, AlertAction


class ElderBriefSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField(source="external_id")
    name = serializers.CharField()
    community = serializers.CharField(source="division_code")


class AlertActionSerializer(serializers.ModelSerializer[AlertAction]):
    contact = serializers.SerializerMethodField()

    class Meta:
        model = AlertAction
        fields = ["kind", "result", "contact", "note", "at", "actor_username"]

    def get_contact(self, action: AlertAction) -> str | None:
        return str(action.contact.external_id) if action.contact else None


class AlertSerializer(serializers.ModelSerializer[Alert]):
    id = serializers.UUIDField(source="external_id", read_only=True)
    elder = ElderBriefSerializer(read_only=True)
    device_id = serializers.SerializerMethodField()
    acknowledged_by = serializers.SerializerMethodField()
    # Declared, so that the schema does not carry the database's integer ranges (they
    # differ between SQLite and PostgreSQL).
    priority = serializers.IntegerField(
        read_only=True, help_text="1 critical, 2 warning, 3 technical"
    )
    event_count = serializers.IntegerField(read_only=True)
    tier = serializers.IntegerField(read_only=True)

    class Meta:
        model = Alert
        fields = [
            "id", "elder", "kind", "priority", "status", "source", "detail", "device_id",
            "event_count", "raised_at", "first_event_at", "last_event_at", "acknowledged_at",
            "acknowledged_by", "resolved_at", "outcome", "outcome_note", "tier", "escalated_at",
            "reviewed_at",
        ]  # fmt: skip

    def get_device_id(self, alert: Alert) -> str | None:
        return str(alert.device.external_id) if alert.device else None

    def get_acknowledged_by(self, alert: Alert) -> str | None:
        return alert.acknowledged_by.username if alert.acknowledged_by else None


class AlertDetailSerializer(AlertSerializer):
    actions = AlertActionSerializer(many=True, read_only=True)

    class Meta(AlertSerializer.Meta):
        fields = [*AlertSerializer.Meta.fields, "actions"]


class ActionWriteSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=[(k.value, k.label) for k in OPERATOR_ACTIONS])
    result = serializers.ChoiceField(choices=ActionResult.choices, required=False, default="")
    contact = serializers.UUIDField(required=False, allow_null=True, default=None)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class ResolveSerializer(serializers.Serializer[Any]):
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class ReviewSerializer(serializers.Serializer[Any]):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class DeviceEventSerializer(serializers.Serializer[Any]):
    """A vendor callback: one event (``device_id`` plus the vendor's payload) or
    ``{"events": [...]}``; documented here, read by the view from the raw signed body."""

    device_id = serializers.UUIDField()
    msg_id = serializers.CharField()
    type = serializers.CharField()
    ts = serializers.CharField(help_text="ISO 8601 or epoch seconds")


class EventOutcomeSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=["accepted", "duplicate", "rejected"])
    msg_id = serializers.CharField()
    reason = serializers.CharField(required=False)
    field = serializers.CharField(required=False)
    message = serializers.CharField(required=False)


class CallbackResultSerializer(serializers.Serializer[Any]):
    results = EventOutcomeSerializer(many=True)
