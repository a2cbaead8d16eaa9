"""Reads of the device registry, scoped to the actor's jurisdiction."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import QuerySet

from yiyang.core.choices import DivisionLevel
from yiyang.core.lookups import get_or_404
from yiyang.core.models import AuditEvent, Division
from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.devices import clock
from yiyang.devices.filtersets import DeviceFilterSet
from yiyang.devices.models import (
    Device,
    DeviceBinding,
    DeviceEvent,
    GatewayBeat,
    RejectedMessage,
    Rejection,
)
from yiyang.elders.models import Elder
from yiyang.elders.selectors import elder_list, elder_queryset

DEVICE_OBJECT_TYPE = "devices.device"


def device_scoped(*, actor: Actor) -> QuerySet[Device]:
    require_perm(actor, Permission.VIEW_DEVICES)
    return actor.scope.apply(
        Device.objects.select_related("elder", "community"), division_code_field="division_code"
    )


def device_list(*, actor: Actor, filters: Any = None) -> QuerySet[Device]:
    return DeviceFilterSet(filters or {}, queryset=device_scoped(actor=actor)).qs


def device_get_for_actor(*, actor: Actor, external_id: uuid.UUID | str) -> Device:
    return get_or_404(device_scoped(actor=actor), external_id=external_id)


def device_bindings(*, device: Device) -> QuerySet[DeviceBinding]:
    """The device's binding history, newest first: who bound it to whom, when, who ended it."""
    return device.bindings.select_related("elder").order_by("-bound_at", "-id")


def device_history(*, actor: Actor, device: Device) -> QuerySet[AuditEvent]:
    """Every registry change of the device (registration, edits, bindings), newest first."""
    require_perm(actor, Permission.VIEW_DEVICES)
    return AuditEvent.objects.filter(
        object_type=DEVICE_OBJECT_TYPE, object_id=str(device.external_id)
    ).order_by("-at", "-id")


def device_communities(*, actor: Actor) -> QuerySet[Division]:
    """The communities in the actor's jurisdiction a device may be registered to."""
    require_perm(actor, Permission.MANAGE_DEVICES)
    return actor.scope.apply(
        Division.objects.filter(level=DivisionLevel.COMMUNITY), division_code_field="code"
    ).order_by("code")


def elder_for_binding(*, actor: Actor, external_id: uuid.UUID | str) -> Elder | None:
    """The elder a device is to be bound to, if the id names one in the actor's
    jurisdiction (None otherwise: the caller answers with a field error, not a 404)."""
    require_perm(actor, Permission.MANAGE_DEVICES)
    try:
        return elder_queryset(actor=actor).select_related("community").get(external_id=external_id)
    except (ObjectDoesNotExist, ValueError, TypeError, ValidationError):
        return None


def elders_to_bind(*, actor: Actor, query: str, limit: int = 20) -> list[Elder]:
    """Elders in scope matching a search (name, pinyin initials, ID number or phone)."""
    require_perm(actor, Permission.MANAGE_DEVICES)
    if not query.strip():
        return []
    return list(elder_list(actor=actor, filters={"q": query}).order_by("name", "id")[:limit])


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


def rejection_get(*, actor: Actor, pk: int | str) -> Rejection:
    """One rejection group in the actor's jurisdiction (404 otherwise, as for any other)."""
    return get_or_404(rejection_list(actor=actor), pk=pk)


def rejected_messages_of(rejection: Rejection, *, limit: int = 50) -> list[RejectedMessage]:
    """The group's latest individual messages (kept ``DEVICE_REJECTED_KEEP_DAYS``)."""
    queryset = RejectedMessage.objects.filter(
        device_key=rejection.device_key, reason=rejection.reason
    )
    return list(queryset.order_by("-received_at", "-id")[:limit])


def gateway_status(*, now: datetime.datetime | None = None) -> dict[str, Any]:
    """Whether ingestion is healthy: some gateway beat recently and is connected."""
    now = now or clock.now()
    beats = list(GatewayBeat.objects.order_by("name"))
    fresh = [
        b
        for b in beats
        if b.connected and (now - b.beat_at).total_seconds() <= settings.GATEWAY_STALE_SECONDS
    ]
    last = max((b.beat_at for b in beats), default=None)
    return {"degraded": not fresh, "gateways": beats, "last_beat_at": last}
