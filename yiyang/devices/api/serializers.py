from __future__ import annotations

from typing import Any

from rest_framework import serializers

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
            "device_id", "kind", "vendor", "model", "serial", "imei", "sim_iccid", "firmware",
            "installed_on", "status", "community", "elder", "home_address",
            "heartbeat_interval_seconds", "battery_percent", "last_seen_at",
        ]  # fmt: skip

    def get_elder(self, device: Device) -> dict[str, Any] | None:
        if device.elder is None:
            return None
        return {"id": str(device.elder.external_id), "name": device.elder.name}


class BindingSerializer(serializers.ModelSerializer[DeviceBinding]):
    elder = serializers.UUIDField(source="elder.external_id", read_only=True)

    class Meta:
        model = DeviceBinding
        fields = ["elder", "home_address", "bound_at", "unbound_at", "reason"]
