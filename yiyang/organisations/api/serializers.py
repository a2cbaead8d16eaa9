from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from yiyang.core.api.records import RecordSerializer, coordinate, scoped_choice
from yiyang.core.api.serializers import DivisionRefSerializer
from yiyang.core.models import Division
from yiyang.organisations.choices import OrganisationKind, OrganisationStatus, Ownership
from yiyang.organisations.models import Organisation
from yiyang.organisations.services import ORGANISATION_FIELDS


class OrganisationSerializer(RecordSerializer):
    """Divisions and operators are referred to by their UUID; scope is checked by the service."""

    kind = serializers.ChoiceField(choices=OrganisationKind.choices)
    ownership = serializers.ChoiceField(choices=Ownership.choices, allow_blank=True, required=False)
    status = serializers.ChoiceField(choices=OrganisationStatus.choices, required=False)
    division = scoped_choice(
        Division,
        _("No division {value} in your jurisdiction."),
        _("Give the division's id (a UUID)."),
    )
    division_detail = DivisionRefSerializer(source="division", read_only=True)
    operator = scoped_choice(
        Organisation,
        _("No third-party operator {value} in your jurisdiction."),
        _("Give the operator's id (a UUID)."),
        allow_null=True,
        required=False,
    )
    lat = coordinate(allow_null=True, required=False)
    lng = coordinate(allow_null=True, required=False)
    total_beds = serializers.IntegerField(
        min_value=0, max_value=100000, allow_null=True, required=False
    )
    nursing_beds = serializers.IntegerField(
        min_value=0, max_value=100000, allow_null=True, required=False
    )
    occupied_beds = serializers.IntegerField(
        min_value=0, max_value=100000, allow_null=True, required=False
    )

    class Meta:
        model = Organisation
        fields = [
            "id",
            *ORGANISATION_FIELDS,
            "division_detail",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        validators: list[object] = []
