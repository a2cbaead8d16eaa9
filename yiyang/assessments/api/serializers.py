from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from yiyang.assessments.choices import (
    AssessmentReason,
    EntitlementKind,
    EntitlementUnit,
    RequestedVia,
    RiskEventKind,
)
from yiyang.assessments.models import Assessment, CareRiskEvent, EligibilityRule
from yiyang.assessments.services.eligibility import RULE_FIELDS
from yiyang.core.api.records import RecordSerializer
from yiyang.core.models import AuditEvent
from yiyang.elders.choices import EconomicStatus


class PersonRefSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="external_id")
    name = serializers.CharField(source="__str__")


class AssessmentSerializer(RecordSerializer):
    """An assessment: workflow, totals and levels. Answers only on the detail, and only for
    those who may see them (``answers`` is null otherwise)."""

    elder = serializers.SerializerMethodField()
    instrument = serializers.SerializerMethodField()
    assessor = PersonRefSerializer(read_only=True, allow_null=True)
    second_assessor = PersonRefSerializer(read_only=True, allow_null=True)
    level_name = serializers.SerializerMethodField()

    class Meta:
        model = Assessment
        fields = [
            "id",
            "elder",
            "instrument",
            "reason",
            "status",
            "requested_via",
            "request_note",
            "assessor",
            "second_assessor",
            "scheduled_at",
            "place",
            "answered_items",
            "total",
            "preliminary_level",
            "final_level",
            "level_name",
            "return_reason",
            "submitted_at",
            "finalised_at",
            "valid_until",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.DictField(child=serializers.CharField()))
    def get_elder(self, assessment: Assessment) -> dict[str, str]:
        return {"id": str(assessment.elder.external_id), "name": assessment.elder.name}

    @extend_schema_field(serializers.DictField(child=serializers.CharField()))
    def get_instrument(self, assessment: Assessment) -> dict[str, str]:
        return {"code": assessment.instrument.code, "version": assessment.instrument.version}

    def get_level_name(self, assessment: Assessment) -> str:
        if assessment.final_level is None:
            return ""
        levels = {b["level"]: b["name"] for b in assessment.instrument.definition.get("levels", [])}
        if not levels:
            schemes = assessment.instrument.definition.get("band_schemes", {})
            for scheme in schemes.values():
                levels |= {b["level"]: b["name"] for b in scheme["bands"]}
        return str(levels.get(assessment.final_level, ""))


class AssessmentDetailSerializer(AssessmentSerializer):
    answers = serializers.SerializerMethodField()
    result = serializers.SerializerMethodField()

    class Meta(AssessmentSerializer.Meta):
        fields = [*AssessmentSerializer.Meta.fields, "answers", "result"]
        read_only_fields = fields

    @extend_schema_field(serializers.DictField(allow_null=True))
    def get_answers(self, assessment: Assessment) -> dict[str, Any] | None:
        revealed = self.context.get("answers")
        return revealed.as_dict() if revealed is not None else None

    @extend_schema_field(serializers.DictField(allow_null=True))
    def get_result(self, assessment: Assessment) -> dict[str, Any] | None:
        """The stored result as the caller may see it (``services.assessment_health_reveal``
        has already withheld the grounds of the change rules from roles without health
        access)."""
        result = self.context.get("result")
        return dict(result) if result is not None else None


class AssessmentRequestSerializer(serializers.Serializer):
    elder = serializers.UUIDField()
    reason = serializers.ChoiceField(choices=AssessmentReason.choices)
    instrument = serializers.CharField(default="GB/T 42195-2022", max_length=40)
    requested_via = serializers.ChoiceField(
        choices=RequestedVia.choices,
        default=RequestedVia.COMMUNITY_WORKER,
        help_text="Who asks; `automatic` is the platform's own and cannot be given.",
    )
    note = serializers.CharField(default="", allow_blank=True, max_length=200)

    def validate_requested_via(self, value: str) -> str:
        if value == RequestedVia.AUTOMATIC:
            raise serializers.ValidationError(_("Only the platform requests automatically."))
        return value


class ScheduleSerializer(serializers.Serializer):
    assessor = serializers.UUIDField()
    second_assessor = serializers.UUIDField(required=False, allow_null=True, default=None)
    scheduled_at = serializers.DateTimeField()
    place = serializers.CharField(max_length=200)


class AnswersSerializer(serializers.Serializer):
    """Item answers (points per item code) and the facts of the change rules. On a save any
    subset will do; on submit every item must be answered."""

    answers = serializers.DictField(child=serializers.IntegerField(allow_null=True), required=False)
    coma = serializers.BooleanField(required=False)
    diagnoses = serializers.ListField(
        child=serializers.CharField(max_length=10), required=False, max_length=100
    )
    risk_events_30d = serializers.DictField(
        child=serializers.IntegerField(min_value=0, max_value=99), required=False
    )


class PreviewSerializer(serializers.Serializer):
    instrument = serializers.CharField(max_length=40)
    answers = serializers.DictField(child=serializers.JSONField())
    coma = serializers.BooleanField(default=False)
    diagnoses = serializers.ListField(
        child=serializers.CharField(max_length=10), default=list, max_length=100
    )
    risk_events_30d = serializers.DictField(
        child=serializers.IntegerField(min_value=0, max_value=99), default=dict
    )

    def get_fields(self) -> dict[str, serializers.Field]:
        # ``partial`` names an attribute of every serializer, so it cannot be declared.
        fields = super().get_fields()
        fields["partial"] = serializers.BooleanField(
            default=False,
            help_text="Score a half-filled form (the running score): unanswered items count "
            "0 instead of being an error.",
        )
        return fields


class PreviewResultSerializer(serializers.Serializer):
    domain_totals = serializers.DictField(child=serializers.IntegerField())
    total = serializers.IntegerField()
    preliminary_level = serializers.IntegerField()
    final_level = serializers.IntegerField()
    applied_rules = serializers.ListField(child=serializers.DictField())
    band = serializers.CharField()
    answered = serializers.IntegerField()
    items = serializers.IntegerField()


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=1000)


class RiskEventSerializer(RecordSerializer):
    elder = serializers.UUIDField(write_only=True)
    kind = serializers.ChoiceField(choices=RiskEventKind.choices)

    class Meta:
        model = CareRiskEvent
        fields = ["id", "elder", "kind", "occurred_on", "note", "created_at"]
        read_only_fields = ["id", "created_at"]


class EligibilityRuleSerializer(RecordSerializer):
    entitlement = serializers.ChoiceField(choices=EntitlementKind.choices)
    unit = serializers.ChoiceField(choices=EntitlementUnit.choices)
    economic_statuses = serializers.ListField(
        child=serializers.ChoiceField(choices=EconomicStatus.choices), required=False
    )
    min_level = serializers.IntegerField(min_value=0, max_value=4, required=False)
    max_level = serializers.IntegerField(min_value=0, max_value=4, required=False)
    min_age = serializers.IntegerField(min_value=0, max_value=120, required=False)

    class Meta:
        model = EligibilityRule
        fields = ["id", *RULE_FIELDS]


class EntitlementSerializer(serializers.Serializer):
    rule = serializers.UUIDField(source="rule.external_id")
    name = serializers.CharField(source="rule.name")
    entitlement = serializers.CharField(source="rule.entitlement")
    amount_yuan = serializers.DecimalField(
        source="rule.amount_yuan", max_digits=9, decimal_places=2, allow_null=True
    )
    unit = serializers.CharField(source="rule.unit")
    reasons = serializers.ListField(child=serializers.CharField())


class AssessmentHistorySerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_username")

    class Meta:
        model = AuditEvent
        fields = ["at", "actor", "action", "changes"]
        read_only_fields = fields
