from __future__ import annotations

from typing import Any

from rest_framework import serializers

from yiyang.core.api.records import RecordSerializer, coordinate, ref, ref_name
from yiyang.facilities.choices import (
    CandidateSource,
    FacilityKind,
    FacilityStatus,
    FundingSource,
    Milestone,
    ReachMethod,
)
from yiyang.facilities.models import ConstructionProject, Facility, PlanScenario
from yiyang.facilities.services.facilities import FACILITY_FIELDS
from yiyang.facilities.services.projects import PROJECT_FIELDS


class FacilitySerializer(RecordSerializer[Facility]):
    organisation = ref("organisation")
    name = ref_name("organisation")
    division_code = serializers.CharField(read_only=True)
    lat = coordinate(source="organisation.lat", read_only=True, allow_null=True)
    lng = coordinate(source="organisation.lng", read_only=True, allow_null=True)
    operator = serializers.SerializerMethodField()
    service_area: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="code", many=True, read_only=True
    )

    class Meta:
        model = Facility
        fields = [
            "id",
            "organisation",
            "name",
            "division_code",
            "lat",
            "lng",
            *FACILITY_FIELDS,
            "operator",
            "service_area",
        ]
        read_only_fields = fields

    def get_operator(self, obj: Facility) -> str | None:
        operator = obj.organisation.operator
        return str(operator.external_id) if operator is not None else None


class StatusSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=FacilityStatus.choices)
    on = serializers.DateField(required=False)


class ProjectSerializer(RecordSerializer[ConstructionProject]):
    facility = ref("facility")
    facility_name = serializers.CharField(source="facility.organisation.name", read_only=True)
    kind = serializers.CharField(source="facility.kind", read_only=True)

    class Meta:
        model = ConstructionProject
        fields = [
            "id",
            "facility",
            "facility_name",
            "kind",
            "division_code",
            *PROJECT_FIELDS,
        ]
        read_only_fields = fields


class MilestoneSerializer(serializers.Serializer[Any]):
    milestone = serializers.ChoiceField(
        choices=Milestone.choices, help_text="the next milestone (开工, 竣工, 投用)"
    )
    on = serializers.DateField(required=False, help_text="the day it was reached (today)")


class CoverageQuerySerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=FacilityKind.choices)
    division = serializers.CharField(required=False, help_text="a division code: its subtree")


class GroupFiguresSerializer(serializers.Serializer[Any]):
    elders = serializers.IntegerField()
    covered = serializers.IntegerField()
    percent = serializers.FloatField(allow_null=True)


class DivisionCoverageSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    name = serializers.CharField()
    level = serializers.CharField()
    urban = serializers.BooleanField()
    groups = serializers.DictField(child=GroupFiguresSerializer())


class CoverageSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=FacilityKind.choices)
    method = serializers.ChoiceField(choices=ReachMethod.choices, allow_null=True)
    computed_at = serializers.DateTimeField(allow_null=True)
    circle_minutes = serializers.FloatField()
    without_coordinates = serializers.IntegerField(allow_null=True)
    totals = serializers.DictField(child=GroupFiguresSerializer())
    areas = serializers.DictField(child=GroupFiguresSerializer())
    divisions = DivisionCoverageSerializer(many=True)


class ScenarioSerializer(RecordSerializer[PlanScenario]):
    division = serializers.CharField(source="division.code", read_only=True)

    class Meta:
        model = PlanScenario
        fields = [
            "id",
            "name",
            "division",
            "kind",
            "sites",
            "budget",
            "cost_per_site",
            "candidate_source",
            "weights",
            "status",
            "progress",
            "saved",
            "result",
            "error",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields


class ScenarioCreateSerializer(serializers.Serializer[Any]):
    division = serializers.CharField(help_text="the division's 12-digit code")
    kind = serializers.ChoiceField(choices=FacilityKind.choices)
    candidate_source = serializers.ChoiceField(choices=CandidateSource.choices)
    sites = serializers.IntegerField(required=False, min_value=1)
    budget = serializers.DecimalField(max_digits=14, decimal_places=2, required=False)
    cost_per_site = serializers.DecimalField(max_digits=14, decimal_places=2, required=False)
    candidates = serializers.ListField(
        child=serializers.DictField(),
        required=False,
        help_text='uploaded points: [{"name", "lat", "lng"}]',
    )
    weights = serializers.DictField(child=serializers.FloatField(), required=False)
    name = serializers.CharField(required=False, allow_blank=True, max_length=120)


class ScenarioSaveSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=120)


class ScenarioBuildSerializer(serializers.Serializer[Any]):
    site = serializers.IntegerField(
        min_value=0, help_text="a chosen site's ``index`` in the result (exact or greedy)"
    )
    budget = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0)
    funding_source = serializers.ChoiceField(choices=FundingSource.choices)
    year = serializers.IntegerField(required=False, min_value=2000, max_value=2100)
    name = serializers.CharField(required=False, allow_blank=True, max_length=200)


class FacilityCreateSerializer(serializers.Serializer[Any]):
    organisation = serializers.UUIDField(help_text="the organisation this facility is")
    kind = serializers.ChoiceField(choices=FacilityKind.choices)
    status = serializers.ChoiceField(choices=FacilityStatus.choices, default=FacilityStatus.OPEN)
    planned_on = serializers.DateField(required=False, allow_null=True)
    construction_started_on = serializers.DateField(required=False, allow_null=True)
    opened_on = serializers.DateField(required=False, allow_null=True)
    beds = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    day_places = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    meals_per_day = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    opening_hours = serializers.CharField(required=False, allow_blank=True, max_length=120)
    service_area = serializers.ListField(
        child=serializers.CharField(max_length=12),
        required=False,
        help_text="community and village codes (default: where the facility stands)",
    )
