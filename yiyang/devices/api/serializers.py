from __future__ import annotations

from typing import Any

from rest_framework import serializers

from yiyang.core.api.records import ElderRef
from yiyang.devices.choices import DeviceKind
from yiyang.devices.models import Device, DeviceBinding


class DeviceSerializer(serializers.ModelSerializer[Device]):
    device_id = serializers.UUIDField(source="external_id", read_only=True)
    elder = serializers.SerializerMethodField()
    community = serializers.CharField(source="community.code", read_only=True)
    # Declared: the model's ranges depend on the database and would make the schema differ.
    heartbeat_interval_seconds = serializers.IntegerField(read_only=True)
    battery_percent = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = Device
        fields = [
            "device_id",
            "kind",
            "vendor",
            "model",
            "serial",
            "imei",
            "sim_iccid",
            "firmware",
            "installed_on",
            "status",
            "community",
            "elder",
            "home_address",
            "heartbeat_interval_seconds",
            "battery_percent",
            "last_seen_at",
        ]

    def get_elder(self, device: Device) -> dict[str, Any] | None:
        if device.elder is None:
            return None
        return {"id": str(device.elder.external_id), "name": device.elder.name}


class DeviceUpdateSerializer(serializers.Serializer[Any]):
    """A correction of a device's registry details: send only what changes. The registry
    checks every field (a registered vendor, no duplicate serial, IMEI or SIM) and names
    each bad one."""

    kind = serializers.ChoiceField(choices=DeviceKind.choices, required=False)
    vendor = serializers.CharField(
        required=False, max_length=32, help_text="a vendor with a registered payload decoder"
    )
    model = serializers.CharField(required=False, allow_blank=True, max_length=64)
    serial = serializers.CharField(required=False, max_length=64)
    sim_iccid = serializers.CharField(required=False, allow_blank=True, max_length=22)
    imei = serializers.CharField(required=False, allow_blank=True, max_length=17)
    firmware = serializers.CharField(required=False, allow_blank=True, max_length=32)
    installed_on = serializers.DateField(required=False, allow_null=True)
    heartbeat_interval_seconds = serializers.IntegerField(
        required=False, min_value=10, max_value=86400
    )


class DeviceCreateSerializer(DeviceUpdateSerializer):
    """A new device in a community's stock (``community``: its 12-digit code)."""

    kind = serializers.ChoiceField(choices=DeviceKind.choices)
    vendor = serializers.CharField(
        max_length=32, help_text="a vendor with a registered payload decoder"
    )
    serial = serializers.CharField(max_length=64)
    community = serializers.CharField(max_length=12, help_text="the community's 12-digit code")


class BindSerializer(serializers.Serializer[Any]):
    elder = serializers.UUIDField(help_text="the elder's id")
    home_address = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=200,
        help_text="where the device is installed (default: the elder's address)",
    )


class RebindSerializer(BindSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


class UnbindSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


class BindingSerializer(ElderRef, serializers.ModelSerializer[DeviceBinding]):
    bound_by = serializers.CharField(source="bound_by_username", read_only=True)
    unbound_by = serializers.CharField(source="unbound_by_username", read_only=True)

    class Meta:
        model = DeviceBinding
        fields = [
            "elder",
            "elder_name",
            "home_address",
            "bound_at",
            "bound_by",
            "unbound_at",
            "unbound_by",
            "reason",
        ]
