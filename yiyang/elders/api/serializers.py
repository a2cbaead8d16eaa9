from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from yiyang.core.api.records import RecordSerializer, coordinate, scoped_choice
from yiyang.core.api.serializers import BlankAsNullChoiceField, DivisionRefSerializer
from yiyang.core.models import Division
from yiyang.elders.choices import (
    ETHNICITY_CHOICES,
    AbilityLevel,
    ChronicCondition,
    EconomicStatus,
    ElderStatus,
    InsuranceType,
    LivingArrangement,
    MaritalStatus,
    Relation,
    Sex,
)
from yiyang.elders.models import AccessLog, Consent, Elder, ElderContact, ImportJob
from yiyang.elders.selectors import ACCESS_LOG_COLUMNS
from yiyang.elders.tags import age_band_of, age_on, elder_tags


class ElderListSerializer(RecordSerializer):
    """An elder in a list: sensitive fields always masked."""

    id_number = serializers.CharField(source="id_number_masked", read_only=True)
    phones = serializers.CharField(source="phones_masked", read_only=True)
    community = DivisionRefSerializer(read_only=True)
    age = serializers.SerializerMethodField()
    age_band = serializers.SerializerMethodField()
    tags = serializers.SerializerMethodField()
    # Blank until an assessment is final: null then, never "" (outside the enum).
    ability_level = BlankAsNullChoiceField(choices=AbilityLevel.choices)

    class Meta:
        model = Elder
        fields = [
            "id",
            "name",
            "name_initials",
            "id_number",
            "sex",
            "birth_date",
            "age",
            "age_band",
            "tags",
            "phones",
            "community",
            "address",
            "living_arrangement",
            "economic_status",
            "ability_level",
            "status",
        ]
        read_only_fields = fields

    def get_age(self, elder: Elder) -> int:
        return age_on(elder.birth_date, timezone.localdate())

    def get_age_band(self, elder: Elder) -> str:
        return age_band_of(elder, timezone.localdate())

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_tags(self, elder: Elder) -> list[str]:
        return elder_tags(elder, timezone.localdate())


class ContactSerializer(RecordSerializer):
    phones = serializers.SerializerMethodField()

    class Meta:
        model = ElderContact
        fields = ["id", "name", "relation", "phones", "is_first_to_call", "position"]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_phones(self, contact: ElderContact) -> list[str]:
        revealed = self.context.get("contact_phones", {})
        if contact.pk in revealed:
            return list(revealed[contact.pk])
        return [p for p in contact.phones_masked.split(", ") if p]


class ConsentSerializer(RecordSerializer):
    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = Consent
        fields = [
            "id",
            "purpose",
            "recipient",
            "given_by",
            "guardian_name",
            "given_on",
            "evidence",
            "recorded_by_username",
            "withdrawn_on",
            "withdrawal_reason",
            "is_active",
        ]
        read_only_fields = fields


class HealthSerializer(serializers.Serializer[Any]):
    chronic_conditions = serializers.ListField(child=serializers.CharField())
    disability_certificate = serializers.CharField()
    family_doctor = serializers.CharField()


class ElderDetailSerializer(ElderListSerializer):
    """One elder. Sensitive fields are unmasked where the caller's role may see them (and
    that view is written to the access log); ``revealed`` names them."""

    id_number = serializers.SerializerMethodField()  # type: ignore[assignment]
    phones = serializers.SerializerMethodField()  # type: ignore[assignment]
    insurance_number = serializers.SerializerMethodField()
    health = serializers.SerializerMethodField()
    revealed = serializers.SerializerMethodField()
    contacts = serializers.SerializerMethodField()
    consents = ConsentSerializer(many=True, read_only=True)

    class Meta(ElderListSerializer.Meta):
        fields = [
            *ElderListSerializer.Meta.fields,
            "ethnicity",
            "lat",
            "lng",
            "location_source",
            "marital_status",
            "insurance_type",
            "insurance_number",
            "health",
            "status_changed_on",
            "deceased_on",
            "contacts",
            "consents",
            "revealed",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def _revealed(self) -> Any:
        return self.context.get("revealed")

    def get_id_number(self, elder: Elder) -> str:
        revealed = self._revealed()
        return revealed.id_number if revealed is not None else elder.id_number_masked

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_phones(self, elder: Elder) -> list[str]:
        revealed = self._revealed()
        if revealed is not None and "phones" in revealed.fields:
            return list(revealed.phones)
        return [p for p in elder.phones_masked.split(", ") if p]

    def get_insurance_number(self, elder: Elder) -> str:
        revealed = self._revealed()
        if revealed is not None and "insurance_number" in revealed.fields:
            return str(revealed.insurance_number)
        return "***" if elder.insurance_number_ciphertext else ""

    @extend_schema_field(HealthSerializer(allow_null=True))
    def get_health(self, elder: Elder) -> dict[str, Any] | None:
        revealed = self._revealed()
        if revealed is not None and revealed.health is not None:
            return dict(revealed.health.as_dict())
        return None

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_revealed(self, elder: Elder) -> list[str]:
        revealed = self._revealed()
        return list(revealed.fields) if revealed is not None else []

    @extend_schema_field(ContactSerializer(many=True))
    def get_contacts(self, elder: Elder) -> list[dict[str, Any]]:
        revealed = self._revealed()
        context = {"contact_phones": revealed.contact_phones if revealed is not None else {}}
        contacts = elder.contacts.filter(is_active=True)
        return list(ContactSerializer(contacts, many=True, context=context).data)


class ElderWriteSerializer(serializers.Serializer[Any]):
    """Create or change an elder. Sex and birth date may be omitted (the ID number says)."""

    name = serializers.CharField(max_length=50)
    id_number = serializers.CharField(max_length=40)
    sex = serializers.ChoiceField(choices=Sex.choices, required=False)
    birth_date = serializers.DateField(required=False, allow_null=True)
    ethnicity = serializers.ChoiceField(choices=ETHNICITY_CHOICES, required=False, allow_blank=True)
    phones = serializers.ListField(
        child=serializers.CharField(max_length=30), required=False, max_length=5
    )
    community = scoped_choice(
        Division,
        _("No community {value} in your jurisdiction."),
        _("Give the community's id (a UUID)."),
    )
    address = serializers.CharField(max_length=200, required=False, allow_blank=True)
    lat = coordinate(allow_null=True, required=False)
    lng = coordinate(allow_null=True, required=False)
    living_arrangement = serializers.ChoiceField(
        choices=LivingArrangement.choices, required=False, allow_blank=True
    )
    marital_status = serializers.ChoiceField(
        choices=MaritalStatus.choices, required=False, allow_blank=True
    )
    economic_status = serializers.ChoiceField(choices=EconomicStatus.choices, required=False)
    insurance_type = serializers.ChoiceField(
        choices=InsuranceType.choices, required=False, allow_blank=True
    )
    insurance_number = serializers.CharField(max_length=40, required=False, allow_blank=True)
    chronic_conditions = serializers.ListField(
        child=serializers.ChoiceField(choices=ChronicCondition.choices),
        required=False,
        max_length=30,
    )
    disability_certificate = serializers.CharField(max_length=40, required=False, allow_blank=True)
    family_doctor = serializers.CharField(max_length=120, required=False, allow_blank=True)
    status = serializers.ChoiceField(
        choices=[c for c in ElderStatus.choices if c[0] != ElderStatus.DUPLICATE], required=False
    )
    deceased_on = serializers.DateField(required=False, allow_null=True)


class ContactWriteSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=50)
    relation = serializers.ChoiceField(choices=Relation.choices)
    phones = serializers.ListField(child=serializers.CharField(max_length=30), max_length=5)
    is_first_to_call = serializers.BooleanField(required=False, default=False)


class HistorySerializer(serializers.Serializer[Any]):
    at = serializers.DateTimeField()
    username = serializers.CharField(source="actor_username")
    action = serializers.CharField()
    changes = serializers.SerializerMethodField()
    ip_address = serializers.IPAddressField(allow_null=True)

    @extend_schema_field(serializers.DictField())
    def get_changes(self, event: Any) -> dict[str, Any]:
        return {k: v for k, v in event.changes.items() if not k.startswith("_")}


class AccessLogSerializer(RecordSerializer):
    username = serializers.CharField(source="actor_username", read_only=True)
    role = serializers.CharField(source="actor_role", read_only=True)

    class Meta:
        model = AccessLog
        fields = list(ACCESS_LOG_COLUMNS)
        read_only_fields = fields


class ImportJobSerializer(RecordSerializer):
    percent = serializers.IntegerField(read_only=True)

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "filename",
            "dry_run",
            "status",
            "percent",
            "total_rows",
            "processed_rows",
            "created_count",
            "updated_count",
            "unchanged_count",
            "rejected_count",
            "duplicate_count",
            "message",
            "warnings",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields


class ImportUploadSerializer(serializers.Serializer[Any]):
    file = serializers.FileField()
    dry_run = serializers.BooleanField(required=False, default=False)


class FamilyLinkSerializer(serializers.Serializer):
    """Link a family-member login (by username) to the elder, or unlink it."""

    username = serializers.CharField(max_length=150)
    relation = serializers.ChoiceField(choices=Relation.choices)
    active = serializers.BooleanField(default=True)
