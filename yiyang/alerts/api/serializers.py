from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.text import format_lazy
from rest_framework import serializers

from yiyang.alerts.choices import (
    OPERATOR_ACTIONS,
    OPERATOR_OUTCOMES,
    THRESHOLD_LABELS,
    ActionResult,
)
from yiyang.alerts.models import Alert, AlertAction
from yiyang.alerts.rules import THRESHOLD_RANGES
from yiyang.core.api.records import RecordSerializer


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


class AlertSerializer(RecordSerializer[Alert]):
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
            "id",
            "elder",
            "kind",
            "priority",
            "status",
            "source",
            "detail",
            "device_id",
            "event_count",
            "raised_at",
            "first_event_at",
            "last_event_at",
            "acknowledged_at",
            "acknowledged_by",
            "resolved_at",
            "outcome",
            "outcome_note",
            "tier",
            "escalated_at",
            "reviewed_at",
        ]

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
    outcome = serializers.ChoiceField(choices=[(o.value, o.label) for o in OPERATOR_OUTCOMES])
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


def _help(name: str) -> Any:
    label, unit = THRESHOLD_LABELS[name]
    low, high = THRESHOLD_RANGES[name]
    return format_lazy("{} ({}; {}–{})", label, unit, low, high)


# Declared field by field (integers with explicit ranges), so that the schema is the same on
# SQLite and PostgreSQL.
def _value(name: str) -> serializers.IntegerField:
    return serializers.IntegerField(read_only=True, help_text=_help(name))


def _override(name: str) -> serializers.IntegerField:
    return serializers.IntegerField(read_only=True, allow_null=True, help_text=_help(name))


def _setting(name: str) -> serializers.IntegerField:
    low, high = THRESHOLD_RANGES[name]
    return serializers.IntegerField(
        required=False, allow_null=True, min_value=low, max_value=high, help_text=_help(name)
    )


def _per_threshold(
    name: str, field: Callable[[str], serializers.Field[Any, Any, Any, Any]], doc: str
) -> type[serializers.Serializer[Any]]:
    """A serializer named ``name`` with one ``field(threshold)`` per threshold of the rules,
    in the rules' order (``doc`` is its description in the schema)."""
    fields = {threshold: field(threshold) for threshold in THRESHOLD_RANGES}
    namespace = {"__doc__": doc, "__module__": __name__, **fields}
    return type(name, (serializers.Serializer,), namespace)


ThresholdValuesSerializer = _per_threshold(
    "ThresholdValuesSerializer", _value, "Each threshold's value."
)
ThresholdOverridesSerializer = _per_threshold(
    "ThresholdOverridesSerializer",
    _override,
    "The elder's own values (null: the city default applies).",
)
ThresholdsUpdateSerializer = _per_threshold(
    "ThresholdsUpdateSerializer",
    _setting,
    "Set a threshold for this elder (a whole number in its range) or return it to\n"
    "the city default (null). Thresholds not sent stay as they are.",
)


class ElderThresholdsSerializer(serializers.Serializer[Any]):
    """The thresholds of the alert rules for one elder: the city's defaults, the elder's own
    values (null: none) and what the rules use."""

    elder = serializers.UUIDField()
    defaults = ThresholdValuesSerializer()
    overrides = ThresholdOverridesSerializer()
    effective = ThresholdValuesSerializer()
