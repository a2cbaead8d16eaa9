"""Rejected messages: kept with their bytes (capped and sealed) and counted per device
and reason."""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import Any

import orjson
from django.conf import settings

from yiyang.core import crypto
from yiyang.devices.decoders import printable
from yiyang.devices.ingest.records import Refused
from yiyang.devices.models import Device, RejectedMessage, Rejection

REJECTION_WINDOW = datetime.timedelta(minutes=10)


def count_rejections(
    rejections: list[Refused], now: datetime.datetime
) -> list[tuple[Device, str, int]]:
    """Keep each rejected message (reason, raw bytes capped and sealed) and add them up per
    (device id as sent, reason); report the devices whose count in the current ten-minute
    window crossed the alert threshold just now."""
    if not rejections:
        return []
    RejectedMessage.objects.bulk_create([_rejected_row(r, now) for r in rejections])
    grouped: dict[tuple[str, str], list[Refused]] = defaultdict(list)
    for refused in rejections:
        grouped[(refused.key, refused.error.reason)].append(refused)
    crossed: list[tuple[int, str, int]] = []
    threshold = settings.DEVICE_REJECTIONS_ALERT_THRESHOLD
    for (key, reason), items in sorted(grouped.items()):  # sorted: rows locked in one order
        last = items[-1]
        pk, error, via = last.pk, last.error, last.via
        row, _created = Rejection.objects.select_for_update().get_or_create(
            device_key=key,
            reason=reason,
            defaults={
                "device_id": pk,
                "window_started_at": now,
                "first_at": now,
                "last_at": now,
                "via": via,
            },
        )
        if row.window_started_at < now - REJECTION_WINDOW:
            row.window_started_at, row.window_count = now, 0
        before = row.window_count
        row.count += len(items)
        row.window_count += len(items)
        row.last_at = now
        row.last_detail = printable(f"{error.field}: {error.message}", 300)
        row.via = via
        row.device_id = row.device_id or pk
        row.save()
        if pk is not None and before < threshold <= row.window_count:
            crossed.append((pk, reason, row.window_count))
    if not crossed:
        return []
    devices = Device.objects.select_related("elder").in_bulk([pk for pk, _, _ in crossed])
    return [(devices[pk], reason, count) for pk, reason, count in crossed if pk in devices]


def raw_bytes(body: Any) -> bytes:
    """A message's bytes as received (an already parsed body: as JSON again)."""
    if isinstance(body, bytes | bytearray | memoryview):
        return bytes(body)
    try:
        return orjson.dumps(body)
    except (TypeError, orjson.JSONEncodeError):
        return repr(body).encode("utf-8", "replace")


def seal_raw(raw: bytes) -> str:
    """How a rejected message's bytes are written at rest: capped, then sealed (a payload
    may carry vital signs). The one place that decides it."""
    return crypto.encrypt_bytes(raw[: settings.DEVICE_REJECTED_RAW_BYTES]).decode("ascii")


def _rejected_row(refused: Refused, now: datetime.datetime) -> RejectedMessage:
    raw = raw_bytes(refused.body)
    error = refused.error
    return RejectedMessage(
        device_key=refused.key,
        device_id=refused.pk,
        reason=error.reason,
        field=printable(error.field, 64),
        detail=printable(error.message, 300),
        msg_id=refused.msg_id,
        via=refused.via,
        received_at=now,
        size=len(raw),
        raw_sealed=seal_raw(raw),
    )
