from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from yiyang.core.api.viewsets import ScopedReadViewSet, validated
from yiyang.core.permissions import Actor, request_actor
from yiyang.devices import services
from yiyang.devices.api.serializers import (
    BindingSerializer,
    BindSerializer,
    DeviceCreateSerializer,
    DeviceSerializer,
    DeviceUpdateSerializer,
    RebindSerializer,
    UnbindSerializer,
)
from yiyang.devices.filtersets import DeviceFilterSet
from yiyang.devices.models import Device
from yiyang.devices.selectors import (
    device_bindings,
    device_communities,
    device_get_for_actor,
    device_scoped,
    elder_for_binding,
)
from yiyang.elders.models import Elder


class DeviceViewSet(ScopedReadViewSet):
    """Devices in the caller's jurisdiction. ``device_id`` is what a device names itself by on
    MQTT (``yiyang/v1/devices/{device_id}/events``) and in vendor callbacks. Community
    workers and officers register devices, correct them, and bind them to elders of their
    jurisdiction (unbind, rebind), every change kept in the binding history and audit log."""

    serializer_class = DeviceSerializer
    filterset_class = DeviceFilterSet
    http_method_names = ["get", "post", "patch", "head", "options"]
    model = Device
    get_for_actor = staticmethod(device_get_for_actor)

    def visible(self, actor: Actor) -> QuerySet[Device]:
        return device_scoped(actor=actor)

    def _device(self, device: Device) -> Response:
        fresh = device_get_for_actor(
            actor=request_actor(self.request), external_id=device.external_id
        )
        return Response(DeviceSerializer(fresh).data)

    @extend_schema(request=DeviceCreateSerializer, responses={201: DeviceSerializer})
    def create(self, request: Request) -> Response:
        """Register a device in a community's stock."""
        actor = request_actor(request)
        data = validated(request, DeviceCreateSerializer)
        code = data.pop("community")
        community = device_communities(actor=actor).filter(code=code).first()
        if community is None:
            raise ValidationError(
                {"community": _("No community with this code in your jurisdiction.")}
            )
        device = services.device_register(actor=actor, community=community, **data)
        response = self._device(device)
        response.status_code = status.HTTP_201_CREATED
        return response

    @extend_schema(request=DeviceUpdateSerializer, responses={200: DeviceSerializer})
    def partial_update(self, request: Request, id: str) -> Response:
        """Correct a device's registry details (send only the fields that change)."""
        data = validated(request, DeviceUpdateSerializer, partial=True)
        device = services.device_update(
            actor=request_actor(request), device=self.get_object(), **data
        )
        return self._device(device)

    def _elder(self, value: Any) -> Elder:
        elder = elder_for_binding(actor=request_actor(self.request), external_id=value)
        if elder is None:
            raise ValidationError({"elder": _("No elder with this id in your jurisdiction.")})
        return elder

    @extend_schema(request=BindSerializer, responses={201: BindingSerializer})
    @action(detail=True, methods=["post"])
    def bind(self, request: Request, id: str) -> Response:
        """Bind a device in stock to an elder and their home. A device bound to someone is
        refused: unbind it first, or use ``rebind``."""
        device = self.get_object()
        data = validated(request, BindSerializer)
        binding = services.device_bind(
            actor=request_actor(request),
            device=device,
            elder=self._elder(data["elder"]),
            home_address=data["home_address"],
        )
        return Response(BindingSerializer(binding).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RebindSerializer, responses={201: BindingSerializer})
    @action(detail=True, methods=["post"])
    def rebind(self, request: Request, id: str) -> Response:
        """Move a device to another elder in one step (the old binding ends with ``reason``)."""
        device = self.get_object()
        data = validated(request, RebindSerializer)
        binding = services.device_rebind(
            actor=request_actor(request),
            device=device,
            elder=self._elder(data["elder"]),
            home_address=data["home_address"],
            reason=data["reason"],
        )
        return Response(BindingSerializer(binding).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=UnbindSerializer, responses={200: DeviceSerializer})
    @action(detail=True, methods=["post"])
    def unbind(self, request: Request, id: str) -> Response:
        """End the device's binding; it goes back to its community's stock."""
        reason = validated(request, UnbindSerializer)["reason"]
        device = services.device_unbind(
            actor=request_actor(request), device=self.get_object(), reason=reason
        )
        return self._device(device)

    @extend_schema(request=None, responses={200: BindingSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def bindings(self, request: Request, id: str) -> Response:
        """The binding history, newest first: to whom, from when to when, by whom, why."""
        return self.paginated(BindingSerializer, device_bindings(device=self.get_object()))
