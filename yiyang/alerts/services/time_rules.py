"""Time-based rules (the alert monitor runs these every few seconds): silent devices, no
motion in daytime, doors open at night."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import Q

from yiyang.alerts import rules
from yiyang.alerts.choices import AlertSource
from yiyang.alerts.services.elder_settings import limits_by_elder
from yiyang.alerts.services.raising import alert_raise_or_join
from yiyang.devices import clock
from yiyang.devices.choices import DeviceKind
from yiyang.devices.models import Device


def time_rules_apply(*, now: datetime.datetime | None = None) -> int:
    """Silent devices, no motion in daytime, doors open at night. Returns alerts raised."""
    now = now or clock.now()
    raised = 0
    bound = Device.objects.filter(elder__isnull=False).select_related("elder")
    silent_cut = now - datetime.timedelta(seconds=60)
    candidates = list(
        bound.filter(
            Q(last_seen_at__lt=silent_cut)
            | Q(last_seen_at__isnull=True)
            | Q(kind=DeviceKind.MOTION)
            | Q(door_open_since__isnull=False)
        )
    )
    elders = {d.elder.pk: d.elder for d in candidates if d.elder is not None}
    limits = limits_by_elder(elders)
    bound_since = _bound_since([d.pk for d in candidates])
    for device in candidates:
        elder = device.elder
        if elder is None:
            continue
        lim = limits[elder.pk]
        started = bound_since.get(device.pk, device.created_at)
        triggers = [
            rules.silence_trigger(
                device_id=str(device.external_id),
                last_seen=device.last_seen_at or started,
                interval_seconds=device.heartbeat_interval_seconds,
                now=now,
                limits=lim,
            )
        ]
        if device.kind == DeviceKind.MOTION:
            triggers.append(
                rules.no_motion_trigger(
                    elder_id=str(elder.external_id),
                    last_motion=max(device.last_motion_at or started, started),
                    now=now,
                    limits=lim,
                )
            )
        if device.door_open_since is not None:
            triggers.append(
                rules.door_trigger(
                    device_id=str(device.external_id),
                    open_since=device.door_open_since,
                    now=now,
                    limits=lim,
                )
            )
        for trigger in triggers:
            if trigger is None:
                continue
            with transaction.atomic():
                _alert, created = alert_raise_or_join(
                    elder=elder,
                    kind=trigger.kind,
                    detail=trigger.detail,
                    source=AlertSource.MONITOR,
                    dedupe_key=trigger.dedupe_key,
                    at=now,
                    now=now,
                    device=device,
                    join=False,
                )
            raised += int(created)
    return raised


def _bound_since(device_ids: list[int]) -> dict[int, datetime.datetime]:
    from yiyang.devices.models import DeviceBinding

    return dict(
        DeviceBinding.objects.filter(device_id__in=device_ids, unbound_at__isnull=True).values_list(
            "device_id", "bound_at"
        )
    )
