"""Reads of the device registry, scoped to the actor's jurisdiction."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import QuerySet
from django.http import Http404

from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.devices import clock
from yiyang.devices.filtersets import DeviceFilterSet
from yiyang.devices.models import Device, DeviceBinding, DeviceEvent, GatewayBeat, Rejection


def device_scoped(*, actor: Actor) -> QuerySet[Device]:
    require_perm(actor, Permission.VIEW_DEVICES)
    return actor.scope.apply(
        Device.objects.select_related("elder", "community"), division_code_field="division_code"
    )


def device_list(*, actor: Actor, filters: Any = None) -> QuerySet[Device]:
    return DeviceFilterSet(filters or {}, queryset=device_scoped(actor=actor)).qs


def device_get_for_actor(*, actor: Actor, external_id: uuid.UUID | str) -> Device:
    try:
        return device_scoped(actor=actor).get(external_id=external_id)
    except (ObjectDoesNotExist, ValueError, TypeError, ValidationError) as exc:
        raise Http404("device") from exc


def device_bindings(*, device: Device) -> QuerySet[DeviceBinding]:
    return device.bindings.select_related("elder")


def device_recent_events(*, device: Device, limit: int = 20) -> list[DeviceEvent]:
    return list(device.events.order_by("-occurred_at", "-id")[:limit])


def elder_devices(*, elder: Any) -> QuerySet[Device]:
    return Device.objects.filter(elder=elder).order_by("kind", "serial")


def rejection_list(*, actor: Actor) -> QuerySet[Rejection]:
    """Rejections of devices in the actor's jurisdiction (unknown devices: city-wide
    roles only, as they belong to no one's jurisdiction)."""
    require_perm(actor, Permission.VIEW_DEVICES)
    in_scope = actor.scope.apply(
        Rejection.objects.filter(device__isnull=False), division_code_field="device__division_code"
    )
    return in_scope.select_related("device").order_by("-last_at")


def gateway_status(*, now: datetime.datetime | None = None) -> dict[str, Any]:
    """Whether ingestion is healthy: some gateway beat recently and is connected."""
    now = now or clock.now()
    beats = list(GatewayBeat.objects.order_by("name"))
    fresh = [
        b for b in beats
        if b.connected and (now - b.beat_at).total_seconds() <= settings.GATEWAY_STALE_SECONDS
    ]  # fmt: skip
    last = max((b.beat_at for b in beats), default=None)
    return {"degraded": not fresh, "gateways": beats, "last_beat_at": last}
