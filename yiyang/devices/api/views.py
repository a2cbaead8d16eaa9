from __future__ import annotations

from django.db.models import QuerySet
from rest_framework import mixins, viewsets

from yiyang.core.permissions import request_actor
from yiyang.devices.api.serializers import DeviceSerializer
from yiyang.devices.filtersets import DeviceFilterSet
from yiyang.devices.models import Device
from yiyang.devices.selectors import device_get_for_actor, device_scoped


class DeviceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Devices in the caller's jurisdiction. ``device_id`` is what a device names itself by on
    MQTT (``yiyang/v1/devices/{device_id}/events``) and in vendor callbacks."""

    serializer_class = DeviceSerializer
    filterset_class = DeviceFilterSet
    lookup_field = "external_id"
    lookup_url_kwarg = "id"

    def get_queryset(self) -> QuerySet[Device]:
        if getattr(self, "swagger_fake_view", False):
            return Device.objects.none()
        return device_scoped(actor=request_actor(self.request))

    def get_object(self) -> Device:
        return device_get_for_actor(
            actor=request_actor(self.request), external_id=self.kwargs["id"]
        )
