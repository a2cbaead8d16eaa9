from __future__ import annotations

from rest_framework import serializers

from yiyang.core.api.records import RecordSerializer, ref, ref_name
from yiyang.services.choices import Language, Qualification, Skill
from yiyang.services.models import Caregiver, Certificate, ServiceItem, ServiceOffering
from yiyang.services.services import CAREGIVER_INPUT_FIELDS, ITEM_FIELDS


class ServiceItemSerializer(RecordSerializer):
    # Declared, so that the schema is the same on SQLite and PostgreSQL.
    standard_minutes = serializers.IntegerField(min_value=5, max_value=720)
    city = serializers.CharField(source="city.code", read_only=True)

    class Meta:
        model = ServiceItem
        fields = ["id", "city", *ITEM_FIELDS]


class CertificateSerializer(RecordSerializer):
    class Meta:
        model = Certificate
        fields = ["id", "qualification", "number", "issued_on", "expires_on"]


class CaregiverSerializer(RecordSerializer):
    provider = ref("provider")
    certificates = CertificateSerializer(many=True, read_only=True)
    phone = serializers.CharField(source="phone_masked", read_only=True)

    class Meta:
        model = Caregiver
        # the profile's columns as the service takes them (the phone shown masked)
        fields = [
            "id",
            "provider",
            *(name for name in CAREGIVER_INPUT_FIELDS if name != "user"),
            "certificates",
        ]
        read_only_fields = fields


class CaregiverWriteSerializer(serializers.Serializer):
    provider = serializers.UUIDField(required=False)
    name = serializers.CharField(max_length=50, required=False)
    sex = serializers.CharField(
        max_length=8, required=False, allow_blank=True, help_text="male or female"
    )
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    skills = serializers.ListField(
        child=serializers.ChoiceField(choices=Skill.choices), required=False
    )
    languages = serializers.ListField(
        child=serializers.ChoiceField(choices=Language.choices), required=False
    )
    work_days = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6), required=False, max_length=7
    )
    work_start = serializers.TimeField(required=False)
    work_end = serializers.TimeField(required=False)
    max_minutes_per_day = serializers.IntegerField(min_value=30, max_value=720, required=False)
    home_lat = serializers.DecimalField(9, 6, required=False, allow_null=True)
    home_lng = serializers.DecimalField(9, 6, required=False, allow_null=True)
    travel_mode = serializers.CharField(max_length=8, required=False)
    status = serializers.CharField(max_length=10, required=False)


class CertificateWriteSerializer(serializers.Serializer):
    qualification = serializers.ChoiceField(choices=Qualification.choices)
    number = serializers.CharField(max_length=40, required=False, allow_blank=True)
    issued_on = serializers.DateField(required=False, allow_null=True)
    expires_on = serializers.DateField(required=False, allow_null=True)


class OfferingSerializer(RecordSerializer):
    provider = ref("provider")
    service = ref("item")
    service_name = ref_name("item")

    class Meta:
        model = ServiceOffering
        fields = ["id", "provider", "service", "service_name", "price", "is_active"]
        read_only_fields = fields


class OfferingWriteSerializer(serializers.Serializer):
    provider = serializers.UUIDField()
    service = serializers.UUIDField()
    price = serializers.DecimalField(8, 2, min_value=0)
    is_active = serializers.BooleanField(default=True)


class ServiceAreasSerializer(serializers.Serializer):
    provider = serializers.UUIDField()
    divisions = serializers.ListField(
        child=serializers.CharField(max_length=12),
        max_length=200,
        help_text="Division codes; each covers everything under it.",
    )
