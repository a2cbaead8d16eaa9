from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from yiyang.accounts.models import User
from yiyang.core.api.records import RecordSerializer, scoped_choice
from yiyang.core.api.serializers import DivisionRefSerializer
from yiyang.core.models import Division
from yiyang.core.permissions import Role, permissions_of
from yiyang.organisations.models import Organisation


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=256, trim_whitespace=False)
    otp = serializers.RegexField(
        r"^\d{6}$",
        required=False,
        allow_blank=True,
        help_text=_("The current TOTP code, for users whose logins need a second factor."),
    )


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField()


class OrganisationRefSerializer(RecordSerializer):
    class Meta:
        model = Organisation
        fields = ["id", "name", "kind"]
        read_only_fields = fields


class UserSerializer(RecordSerializer):
    role = serializers.ChoiceField(choices=Role.choices)
    division = scoped_choice(
        Division, _("No division {value} in your jurisdiction."), allow_null=True, required=False
    )
    organisation = scoped_choice(
        Organisation,
        _("No organisation {value} in your jurisdiction."),
        allow_null=True,
        required=False,
    )
    # A user is scoped to a division, an organisation or both: the other is null.
    division_detail = DivisionRefSerializer(source="division", read_only=True, allow_null=True)
    organisation_detail = OrganisationRefSerializer(
        source="organisation", read_only=True, allow_null=True
    )
    password = serializers.CharField(
        write_only=True, required=False, trim_whitespace=False, max_length=256
    )
    permissions = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "full_name",
            "email",
            "role",
            "division",
            "division_detail",
            "organisation",
            "organisation_detail",
            "is_active",
            "password",
            "permissions",
            "last_login",
        ]
        read_only_fields = ["last_login"]
        extra_kwargs: dict[str, dict[str, Any]] = {"username": {"validators": []}}

    def get_permissions(self, user: User) -> list[str]:
        return [permission.label for permission in permissions_of(user.role)]
