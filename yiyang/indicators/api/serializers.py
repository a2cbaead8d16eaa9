from __future__ import annotations

from typing import Any

from rest_framework import serializers

from yiyang.core.api.records import RecordSerializer, ref, ref_name
from yiyang.indicators.models import IndicatorTarget


class IndicatorSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    name = serializers.CharField()
    unit = serializers.CharField()
    unit_label = serializers.CharField()
    definition = serializers.CharField()
    direction = serializers.ChoiceField(choices=["higher", "lower"])
    levels = serializers.ListField(child=serializers.CharField())
    category = serializers.CharField()
    headline = serializers.BooleanField()
    per_provider = serializers.BooleanField(
        help_text="also computed per provider: /indicators/{code}/providers/"
    )


class _FigureSerializer(serializers.Serializer[Any]):
    """A value with the counts it was computed from, and as it is shown."""

    value = serializers.DecimalField(
        max_digits=20,
        decimal_places=4,
        allow_null=True,
        help_text="null when there is nothing to divide by",
    )
    numerator = serializers.DecimalField(max_digits=20, decimal_places=4, allow_null=True)
    denominator = serializers.DecimalField(max_digits=20, decimal_places=4, allow_null=True)
    display = serializers.CharField(help_text="the value as shown: '—' when there is none")


class IndicatorValueSerializer(_FigureSerializer):
    month = serializers.CharField(help_text="YYYY-MM")
    division = serializers.UUIDField(help_text="the division's external id")
    division_code = serializers.CharField()
    division_name = serializers.CharField()
    level = serializers.CharField()


class ProviderValueSerializer(_FigureSerializer):
    month = serializers.CharField(help_text="YYYY-MM")
    rank = serializers.IntegerField(help_text="1 is best; providers without a value last")
    provider = serializers.UUIDField(help_text="the provider's external id")
    provider_name = serializers.CharField()
    division_code = serializers.CharField(help_text="where the provider is based")


class IndicatorTargetSerializer(RecordSerializer[IndicatorTarget]):
    division = ref("division")
    division_name = ref_name("division")

    class Meta:
        model = IndicatorTarget
        fields = [
            "id",
            "code",
            "year",
            "division",
            "division_code",
            "division_name",
            "value",
            "note",
            "updated_at",
        ]
        read_only_fields = fields


class IndicatorTargetWriteSerializer(serializers.Serializer[Any]):
    """Only parses: the service checks the code, the unit, the value and the division."""

    code = serializers.CharField(max_length=64)
    year = serializers.IntegerField()
    division = serializers.CharField(help_text="the division's code or external id")
    value = serializers.CharField(max_length=40)
    unit = serializers.CharField(
        required=False, allow_blank=True, help_text="if given, must be the indicator's unit"
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=200)


class IndicatorTargetChangeSerializer(serializers.Serializer[Any]):
    value = serializers.CharField(max_length=40)
    unit = serializers.CharField(required=False, allow_blank=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=200)
