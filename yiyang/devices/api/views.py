from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from yiyang.core.api.viewsets import ScopedReadViewSet, answer, validated
from yiyang.core.permissions import request_actor
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
    list_selector = staticmethod(device_scoped)
    get_for_actor = staticmethod(device_get_for_actor)
    step_target = "device"

    def step_answer(self, device: Device) -> Response:
        """The device read afresh through the caller's scope."""
        fresh = device_get_for_actor(actor=self.actor, external_id=device.external_id)
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
        response = self.step_answer(device)
        response.status_code = status.HTTP_201_CREATED
        return response

    @extend_schema(request=DeviceUpdateSerializer, responses={200: DeviceSerializer})
    def partial_update(self, request: Request, id: str) -> Response:
        """Correct a device's registry details (send only the fields that change)."""
        data = validated(request, DeviceUpdateSerializer, partial=True)
        return self.transition(services.device_update, **data)

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
        return self._bound(services.device_bind, BindSerializer)

    @extend_schema(request=RebindSerializer, responses={201: BindingSerializer})
    @action(detail=True, methods=["post"])
    def rebind(self, request: Request, id: str) -> Response:
        """Move a device to another elder in one step (the old binding ends with ``reason``)."""
        return self._bound(services.device_rebind, RebindSerializer)

    def _bound(self, service: Any, body: type[BindSerializer]) -> Response:
        """The device bound by ``service`` to the elder and home the body names."""
        device = self.get_object()
        data = validated(self.request, body)
        data["elder"] = self._elder(data["elder"])
        binding = service(actor=self.actor, device=device, **data)
        return answer(BindingSerializer, binding, created=True)

    @extend_schema(request=UnbindSerializer, responses={200: DeviceSerializer})
    @action(detail=True, methods=["post"])
    def unbind(self, request: Request, id: str) -> Response:
        """End the device's binding; it goes back to its community's stock."""
        reason = validated(request, UnbindSerializer)["reason"]
        return self.transition(services.device_unbind, reason=reason)

    @extend_schema(request=None, responses={200: BindingSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def bindings(self, request: Request, id: str) -> Response:
        """The binding history, newest first: to whom, from when to when, by whom, why."""
        return self.paginated(BindingSerializer, device_bindings(device=self.get_object()))
