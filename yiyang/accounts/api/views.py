from __future__ import annotations

from typing import Any

from axes.exceptions import AxesBackendPermissionDenied
from django.conf import settings
from django.contrib.auth import authenticate
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import api_view, permission_classes, throttle_classes
from rest_framework.exceptions import APIException, AuthenticationFailed
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle

from yiyang.accounts import services
from yiyang.accounts.api.serializers import (
    TokenRequestSerializer,
    TokenResponseSerializer,
    UserSerializer,
)
from yiyang.accounts.choices import LOCKED_STATUS
from yiyang.accounts.models import User
from yiyang.accounts.selectors import UserFilterSet, user_get_for_actor, user_list
from yiyang.core.api.registers import ScopedRegisterViewSet
from yiyang.core.api.viewsets import validated
from yiyang.core.clientip import client_ip
from yiyang.core.permissions import Actor
from yiyang.core.selectors import division_queryset
from yiyang.organisations.selectors import organisation_queryset


class LockedOut(APIException):
    status_code = LOCKED_STATUS
    default_detail = _lazy("Too many failed logins: this account is locked for a while.")
    default_code = "locked_out"


class TokenThrottle(AnonRateThrottle):
    """Token requests per client address. The address is the one every lockout and audit
    record uses (:func:`yiyang.core.clientip.client_ip`), never a header the client chose;
    the rate is read at each request from ``TOKEN_THROTTLE_RATE``."""

    scope = "token"

    def get_rate(self) -> str | None:
        return str(settings.TOKEN_THROTTLE_RATE)

    def get_ident(self, request: Request) -> str:
        return client_ip(request._request) or "unknown"


@extend_schema(
    request=TokenRequestSerializer,
    responses={200: TokenResponseSerializer},
    auth=[],
    summary="Exchange a username and password (and TOTP code) for an API token",
)
@api_view(["POST"])
@permission_classes([AllowAny])
@throttle_classes([TokenThrottle])
def token_view(request: Request) -> Response:
    data = validated(request, TokenRequestSerializer)
    try:
        user = authenticate(
            request._request,  # axes counts failures per (username, address)
            username=data["username"],
            password=data["password"],
        )
    except AxesBackendPermissionDenied:
        raise LockedOut from None
    if getattr(request._request, "axes_locked_out", False):
        raise LockedOut
    if user is None or not user.is_active:
        raise AuthenticationFailed(_("Wrong username or password."))
    key = services.api_token_issue(user=user, otp=data.get("otp") or None)
    return Response({"token": key}, status=status.HTTP_200_OK)


@extend_schema(responses={200: UserSerializer}, summary="The caller's own account")
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def me_view(request: Request) -> Response:
    return Response(UserSerializer(request.user).data)


class UserViewSet(ScopedRegisterViewSet):
    """Users whose scope lies in the administrator's jurisdiction. Deactivate, never delete."""

    serializer_class = UserSerializer
    filterset_class = UserFilterSet

    model = User
    list_selector = staticmethod(user_list)
    get_for_actor = staticmethod(user_get_for_actor)

    create_service = staticmethod(services.user_create)
    update_service = staticmethod(services.user_update)
    step_target = "user"

    choice_fields = ("division", "organisation")

    def field_choices(self, actor: Actor, instance: Any) -> dict[str, QuerySet[Any]]:
        return {
            "division": division_queryset(actor=actor),
            "organisation": organisation_queryset(actor=actor),
        }

    def service_input(self, data: dict[str, Any], *, created: bool) -> dict[str, Any]:
        # No password given: none on a new login, the old one kept on a change.
        return {**data, "password": data.get("password", "" if created else None)}
