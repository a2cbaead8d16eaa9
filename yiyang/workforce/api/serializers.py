"""The workforce API's shapes: UUIDs outside, codes with their labels."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from yiyang.core.api.records import PersonRef, ProviderRef, RecordSerializer, label, ref, ref_name
from yiyang.services.choices import Qualification
from yiyang.services.models import Certificate
from yiyang.workforce.choices import LeaveReason, SkillLevel, SubsidyKind
from yiyang.workforce.models import (
    Contest,
    ContestEntry,
    Course,
    Employment,
    Enrolment,
    Person,
    SubsidyEntitlement,
    SubsidyRule,
    TrainingSession,
)
from yiyang.workforce.services.subsidies import RULE_EDITABLE


class PersonSerializer(RecordSerializer):
    skill_level_label = label("skill_level")
    education_label = label("education")

    class Meta:
        model = Person
        fields = (
            "id",
            "name",
            "sex",
            "birth_date",
            "id_number_masked",
            "education",
            "education_label",
            "skill_level",
            "skill_level_label",
            "skill_level_on",
            "health_certificate_expires_on",
        )


class EmploymentSerializer(ProviderRef, RecordSerializer):
    person = PersonSerializer(read_only=True)
    caregiver = ref("caregiver")
    leave_reason_label = label("leave_reason")

    class Meta:
        model = Employment
        fields = (
            "id",
            "person",
            "provider",
            "provider_name",
            "caregiver",
            "hired_on",
            "left_on",
            "leave_reason",
            "leave_reason_label",
        )


class LeaveSerializer(serializers.Serializer):
    left_on = serializers.DateField()
    leave_reason = serializers.ChoiceField(choices=LeaveReason.choices)


class RosterCertificateSerializer(RecordSerializer):
    caregiver = ref("caregiver")
    qualification_label = label("qualification")
    issuer = serializers.SerializerMethodField()

    class Meta:
        model = Certificate
        fields = (
            "id",
            "caregiver",
            "qualification",
            "qualification_label",
            "number",
            "issued_on",
            "expires_on",
            "issuer",
        )

    def get_issuer(self, certificate: Certificate) -> str:
        issue = getattr(certificate, "issue", None)
        return issue.issuer if issue else ""


class CourseSerializer(RecordSerializer):
    division = serializers.CharField(source="division.code", read_only=True)
    organiser = serializers.SerializerMethodField()

    class Meta:
        model = Course
        fields = (
            "id",
            "name",
            "organiser_kind",
            "organiser",
            "division",
            "theory_hours",
            "practice_hours",
            "target_level",
            "qualification",
            "certificate_valid_months",
        )

    def get_organiser(self, course: Course) -> str | None:
        return str(course.organiser.external_id) if course.organiser else None


class CourseCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    division = serializers.CharField(required=False, help_text="division code (12 digits)")
    organiser = serializers.UUIDField(required=False, help_text="a provider or school")
    school = serializers.BooleanField(default=False)
    theory_hours = serializers.DecimalField(max_digits=5, decimal_places=1)
    practice_hours = serializers.DecimalField(max_digits=5, decimal_places=1)
    target_level = serializers.ChoiceField(
        choices=SkillLevel.choices, required=False, allow_blank=True
    )
    qualification = serializers.ChoiceField(
        choices=Qualification.choices, required=False, allow_blank=True
    )
    certificate_valid_months = serializers.IntegerField(required=False, min_value=1)


class SessionSerializer(RecordSerializer):
    course = ref("course")
    course_name = ref_name("course")

    class Meta:
        model = TrainingSession
        fields = ("id", "course", "course_name", "starts_at", "ends_at", "place", "capacity")


class SessionCreateSerializer(serializers.Serializer):
    course = serializers.UUIDField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    place = serializers.CharField(max_length=200)
    capacity = serializers.IntegerField(min_value=1, max_value=10_000)


class EnrolmentSerializer(PersonRef, RecordSerializer):
    certificate = serializers.SerializerMethodField()

    class Meta:
        model = Enrolment
        fields = (
            "id",
            "person",
            "person_name",
            "status",
            "attended_at",
            "hours",
            "exam_score",
            "certificate",
        )

    def get_certificate(self, enrolment: Enrolment) -> str | None:
        return enrolment.certificate.number if enrolment.certificate else None


class EnrolSerializer(serializers.Serializer):
    person = serializers.UUIDField(required=False, help_text="omit to enrol yourself")


class CheckInSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=64, help_text="the token in the session's QR code")


class ResultSerializer(serializers.Serializer):
    enrolment = serializers.UUIDField()
    score = serializers.DecimalField(max_digits=5, decimal_places=1)
    passed = serializers.BooleanField()


class SubsidyRuleSerializer(RecordSerializer):
    kind = serializers.ChoiceField(choices=SubsidyKind.choices)

    class Meta:
        model = SubsidyRule
        fields = ("id", *RULE_EDITABLE)


class SubsidySerializer(PersonRef, RecordSerializer):
    provider = ref("provider")

    class Meta:
        model = SubsidyEntitlement
        fields = (
            "id",
            "person",
            "person_name",
            "kind",
            "month",
            "amount",
            "provider",
            "reason",
            "paid_at",
        )


class IdNumberSerializer(serializers.Serializer):
    id_number = serializers.CharField(read_only=True)


class ContestEntrySerializer(PersonRef, RecordSerializer):
    provider = serializers.UUIDField(source="provider.external_id", read_only=True, default=None)
    provider_name = serializers.CharField(source="provider.name", read_only=True, default="")

    class Meta:
        model = ContestEntry
        fields = (
            "id",
            "event",
            "person",
            "person_name",
            "provider",
            "provider_name",
            "score",
            "rank",
            "award",
        )


class ContestSerializer(RecordSerializer):
    events = serializers.ListField(child=serializers.CharField(), read_only=True)
    entries = ContestEntrySerializer(many=True, read_only=True)

    class Meta:
        model = Contest
        fields = ("id", "name", "held_on", "events", "entries")


class ContestCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    held_on = serializers.DateField()
    events = serializers.ListField(
        child=serializers.CharField(max_length=100),
        required=False,
        default=list,
        max_length=50,
        help_text="the events (赛项); once there are any, entries name one of them",
    )


class ContestEventSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)


class ContestEntryCreateSerializer(serializers.Serializer):
    event = serializers.CharField(max_length=100)
    person = serializers.UUIDField(help_text="a caregiver currently on the caller's staff")


class ContestScoreSerializer(serializers.Serializer):
    entry = serializers.UUIDField()
    score = serializers.DecimalField(max_digits=6, decimal_places=2, min_value=0, max_value=1000)


class ContestScoresSerializer(serializers.Serializer):
    event = serializers.CharField(max_length=100)
    scores = ContestScoreSerializer(many=True, allow_empty=False)
    awards = serializers.ListField(
        child=serializers.CharField(max_length=50),
        required=False,
        default=list,
        max_length=50,
        help_text="awards by rank: the first to rank 1, the second to rank 2…",
    )


class EvaluateSerializer(serializers.Serializer):
    month = serializers.DateField(help_text="any day of the month")


class RosterImportSerializer(serializers.Serializer):
    file = serializers.FileField()
    provider = serializers.UUIDField(required=False)
    dry_run = serializers.BooleanField(default=False)
    all_or_nothing = serializers.BooleanField(default=False)


class RowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    column = serializers.CharField()
    value = serializers.CharField()
    reason = serializers.CharField()


class RosterImportResultSerializer(serializers.Serializer):
    rows = serializers.IntegerField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    rejected = serializers.IntegerField()
    conflicts = serializers.IntegerField()
    written = serializers.BooleanField()
    dry_run = serializers.BooleanField()
    errors = RowErrorSerializer(many=True)  # type: ignore[assignment]


def person_record_data(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "employments": EmploymentSerializer(record["employments"], many=True).data,
        "certificates": RosterCertificateSerializer(record["certificates"], many=True).data,
        "training_hours_this_year": str(record["hours_this_year"]),
        "training_hours_required": str(record["hours_required"]),
    }
