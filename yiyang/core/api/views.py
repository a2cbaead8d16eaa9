from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from yiyang.core import services
from yiyang.core.api.serializers import AuditEventSerializer, DivisionSerializer
from yiyang.core.filtersets import AuditEventFilterSet, DivisionFilterSet
from yiyang.core.models import AuditEvent, Division
from yiyang.core.permissions import request_actor
from yiyang.core.selectors import (
    audit_event_list,
    division_get_for_actor,
    division_list,
    division_queryset,
)


class DivisionViewSet(  # the FilterSet is applied by DjangoFilterBackend
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Administrative divisions in the caller's jurisdiction."""

    serializer_class = DivisionSerializer
    lookup_field = "external_id"
    lookup_url_kwarg = "id"
    filterset_class = DivisionFilterSet
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Division]:
        if getattr(self, "swagger_fake_view", False):
            return Division.objects.none()
        return division_list(actor=request_actor(self.request))

    def get_object(self) -> Division:
        return division_get_for_actor(
            actor=request_actor(self.request), external_id=self.kwargs["id"]
        )

    def get_serializer(self, *args: Any, **kwargs: Any) -> BaseSerializer[Any]:
        serializer = super().get_serializer(*args, **kwargs)
        fields = getattr(serializer, "fields", {})
        if not getattr(self, "swagger_fake_view", False) and "parent" in fields:
            fields["parent"].queryset = division_queryset(actor=request_actor(self.request))
        return serializer

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = services.division_create(
            actor=request_actor(self.request),
            **serializer.validated_data,
        )

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = services.division_update(
            actor=request_actor(self.request),
            division=serializer.instance,
            **serializer.validated_data,
        )


class AuditEventViewSet(viewsets.ReadOnlyModelViewSet):
    """The audit log (auditors and administrators), newest first."""

    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilterSet
    lookup_field = "external_id"
    lookup_url_kwarg = "id"

    def get_queryset(self) -> QuerySet[AuditEvent]:
        if getattr(self, "swagger_fake_view", False):
            return AuditEvent.objects.none()
        return audit_event_list(actor=request_actor(self.request))

    @extend_schema(exclude=True)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)
