from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from yiyang.core import services
from yiyang.core.api.registers import ScopedRegisterViewSet
from yiyang.core.api.serializers import AuditEventSerializer, DivisionSerializer
from yiyang.core.api.viewsets import ScopedReadViewSet
from yiyang.core.filtersets import AuditEventFilterSet, DivisionFilterSet
from yiyang.core.models import AuditEvent, Division
from yiyang.core.permissions import Actor
from yiyang.core.selectors import (
    audit_event_list,
    division_get_for_actor,
    division_list,
    division_queryset,
)


class DivisionViewSet(ScopedRegisterViewSet):  # the FilterSet is applied by DjangoFilterBackend
    """Administrative divisions in the caller's jurisdiction."""

    serializer_class = DivisionSerializer
    filterset_class = DivisionFilterSet

    model = Division
    list_selector = staticmethod(division_list)
    get_for_actor = staticmethod(division_get_for_actor)

    create_service = staticmethod(services.division_create)
    update_service = staticmethod(services.division_update)
    step_target = "division"

    choice_fields = ("parent",)

    def field_choices(self, actor: Actor, instance: Any) -> dict[str, QuerySet[Any]]:
        return {"parent": division_queryset(actor=actor)}


class AuditEventViewSet(ScopedReadViewSet):
    """The audit log (auditors and administrators), newest first."""

    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilterSet

    model = AuditEvent
    list_selector = staticmethod(audit_event_list)

    @extend_schema(exclude=True)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)
