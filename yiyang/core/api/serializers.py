from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from yiyang.core.api.records import RecordSerializer, coordinate, scoped_choice
from yiyang.core.choices import DivisionLevel
from yiyang.core.models import AuditEvent, Division
from yiyang.core.services import DIVISION_EDITABLE_FIELDS


class DivisionRefSerializer(RecordSerializer):
    class Meta:
        model = Division
        fields = ["id", "code", "name", "level"]
        read_only_fields = fields


class DivisionSerializer(RecordSerializer):
    level = serializers.ChoiceField(choices=DivisionLevel.choices)
    parent = scoped_choice(  # type: ignore[assignment]
        Division,
        _("No division {value} in your jurisdiction."),
        _("Give the parent's id (a UUID)."),
        allow_null=True,
        required=False,
    )
    population_60_plus = serializers.IntegerField(min_value=0, max_value=50_000_000, required=False)
    centroid_lat = coordinate(allow_null=True, required=False)
    centroid_lng = coordinate(allow_null=True, required=False)

    class Meta:
        model = Division
        fields = ["id", *DIVISION_EDITABLE_FIELDS, "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]
        # Uniqueness is checked by the service, with the code in the message.
        extra_kwargs: dict[str, dict[str, Any]] = {"code": {"validators": []}}


class AuditEventSerializer(RecordSerializer):
    username = serializers.CharField(source="actor_username")

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "at",
            "username",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "changes",
            "ip_address",
        ]
        read_only_fields = fields


class BlankAsNullChoiceField(serializers.ChoiceField):
    """A read-only choice that may be unset: the model stores "" (blank), the API answers
    null, and the schema says the enum or null (never an empty string outside the enum)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("read_only", True)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> Any:
        if value in ("", None):
            return None
        return super().to_representation(value)
