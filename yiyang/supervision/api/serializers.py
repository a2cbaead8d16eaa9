from __future__ import annotations

import base64
import binascii
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers

from yiyang.core.api.records import OrganisationRef, ProviderRef, RecordSerializer, ref_name
from yiyang.supervision.choices import ComplaintCategory, ComplaintChannel
from yiyang.supervision.models import (
    Complaint,
    Inspection,
    Rating,
    Rectification,
    ServiceEvaluation,
)


class RatingSerializer(OrganisationRef, RecordSerializer):
    scheme = serializers.CharField(source="scheme.__str__", read_only=True)
    scheme_unverified = serializers.BooleanField(source="scheme.unverified", read_only=True)
    evaluator = serializers.CharField(source="evaluator.username", read_only=True, default=None)

    class Meta:
        model = Rating
        fields = [
            "id",
            "organisation",
            "organisation_name",
            "scheme",
            "scheme_unverified",
            "status",
            "applied_level",
            "evaluator",
            "total",
            "computed_level",
            "level",
            "published_on",
            "valid_until",
            "created_at",
        ]


class ScoreEntrySerializer(serializers.Serializer):
    points = serializers.DecimalField(max_digits=7, decimal_places=2)
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    photos = serializers.ListField(
        child=serializers.CharField(max_length=8_000_000),
        max_length=10,
        required=False,
        default=list,
        help_text="Photos taken on site, each a base64-encoded JPEG, PNG or WebP.",
    )

    def validate_photos(self, value: list[str]) -> list[bytes]:
        try:
            return [base64.b64decode(photo, validate=True) for photo in value]
        except (binascii.Error, ValueError) as exc:
            raise serializers.ValidationError(_("A photo is not valid base64.")) from exc


class ScoresSerializer(serializers.Serializer):
    scores = serializers.DictField(child=ScoreEntrySerializer())


class LevelResultSerializer(serializers.Serializer):
    total = serializers.DecimalField(max_digits=8, decimal_places=2)
    part_totals = serializers.DictField(
        child=serializers.DecimalField(max_digits=8, decimal_places=2)
    )
    level_by_points = serializers.IntegerField()
    level = serializers.IntegerField()
    caps = serializers.ListField(child=serializers.CharField())
    missing = serializers.ListField(child=serializers.CharField())


class RatingReviewSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class SupervisedComplaintSerializer(OrganisationRef, RecordSerializer):
    visit = serializers.UUIDField(
        source="visit.external_id", read_only=True, allow_null=True, default=None
    )
    caregiver = serializers.UUIDField(
        source="caregiver.external_id", read_only=True, allow_null=True, default=None
    )
    meal = serializers.UUIDField(
        source="meal.external_id", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Complaint
        fields = [
            "id",
            "number",
            "channel",
            "category",
            "organisation",
            "organisation_name",
            "visit",
            "caregiver",
            "meal",
            "work_order",
            "text",
            "status",
            "received_at",
            "acknowledge_by",
            "answer_by",
            "acknowledged_at",
            "answered_at",
            "closed_at",
            "answer",
            "escalation",
            "satisfied",
        ]


class SupervisedComplaintCreateSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(
        choices=[c for c in ComplaintChannel.values if c != ComplaintChannel.FAMILY_PAGE]
    )
    category = serializers.ChoiceField(
        choices=ComplaintCategory.choices, default=ComplaintCategory.SERVICE_QUALITY
    )
    organisation = serializers.UUIDField()
    text = serializers.CharField(max_length=2000)
    received_at = serializers.DateTimeField(required=False)
    work_order = serializers.CharField(max_length=40, required=False, allow_blank=True)
    caregiver_id = serializers.UUIDField(
        required=False, allow_null=True, help_text="The caregiver concerned, if any."
    )
    meal_id = serializers.UUIDField(
        required=False, allow_null=True, help_text="The served meal concerned, if any."
    )


class FamilyComplaintSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=2000)
    category = serializers.ChoiceField(
        choices=ComplaintCategory.choices, default=ComplaintCategory.SERVICE_QUALITY
    )


class SupervisedComplaintStepSerializer(serializers.Serializer):
    step = serializers.ChoiceField(choices=["acknowledge", "assign", "answer", "close", "reopen"])
    assignee = serializers.CharField(
        max_length=150, required=False, default="", help_text="username, for the assign step"
    )
    text = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    satisfied = serializers.BooleanField(required=False, allow_null=True, default=None)


class InspectionSerializer(OrganisationRef, RecordSerializer):
    class Meta:
        model = Inspection
        fields = [
            "id",
            "organisation",
            "organisation_name",
            "kind",
            "due_on",
            "status",
            "result",
            "done_at",
        ]


class RectificationSerializer(RecordSerializer):
    organisation_name = ref_name("organisation")
    severity = serializers.CharField(source="finding.severity", read_only=True)
    finding = serializers.CharField(source="finding.text", read_only=True)

    class Meta:
        model = Rectification
        fields = [
            "id",
            "organisation_name",
            "severity",
            "finding",
            "deadline",
            "status",
            "response",
            "evidence",
            "reinspection_note",
            "escalation",
        ]


class ServiceEvaluationSerializer(ProviderRef, RecordSerializer):
    evaluator = serializers.CharField(source="evaluator.username", read_only=True, default=None)

    class Meta:
        model = ServiceEvaluation
        fields = [
            "id",
            "provider",
            "provider_name",
            "year",
            "status",
            "evaluator",
            "scores",
            "total",
            "max_total",
            "scored_at",
        ]


def result_data(result: Any) -> dict[str, Any]:
    return {
        "total": result.total,
        "part_totals": result.part_totals,
        "level_by_points": result.level_by_points,
        "level": result.level,
        "caps": result.caps,
        "missing": result.missing,
    }
