"""The gateway's heartbeat and the history of its errors."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.db import transaction

from yiyang.devices import clock
from yiyang.devices.decoders import printable
from yiyang.devices.models import GatewayBeat, GatewayError


def gateway_beat(
    *,
    name: str,
    started_at: datetime.datetime,
    connected: bool,
    accepted: int = 0,
    duplicates: int = 0,
    rejected: int = 0,
    last_error: str = "",
    last_error_since: datetime.datetime | None = None,
    episodes: Sequence[tuple[str, datetime.datetime, datetime.datetime]] = (),
    now: datetime.datetime | None = None,
) -> None:
    """Record that an ingestion process is alive (the console's degraded banner reads it)
    and the error standing now ("" when none), which arose at ``last_error_since``. An error
    that changed or went away is closed in the history (:class:`GatewayError`) with when it
    cleared; ``episodes`` are errors that went away (text, since, cleared): one a beat has
    already recorded as standing (same text and start) is closed at its true end, any other
    is added as it was. So one outage is one row however the beats fall around it."""
    now = now or clock.now()
    last_error = printable(last_error, 300)
    with transaction.atomic():
        for text, began, cleared in episodes:
            text = printable(text, 300)
            closed = GatewayError.objects.filter(
                name=name, error=text, started_at=began, cleared_at__isnull=True
            ).update(cleared_at=cleared)
            if not closed:
                GatewayError.objects.create(
                    name=name, error=text, started_at=began, cleared_at=cleared
                )
        beat = GatewayBeat.objects.select_for_update().filter(name=name).first()
        before = beat.last_error if beat is not None else ""
        since = beat.last_error_at if beat is not None else None
        if before != last_error:
            if before:
                GatewayError.objects.filter(name=name, cleared_at__isnull=True).update(
                    cleared_at=now
                )
            since = None
            if last_error:
                since = last_error_since or now
                GatewayError.objects.create(name=name, error=last_error, started_at=since)
        GatewayBeat.objects.update_or_create(
            name=name,
            defaults={
                "beat_at": now,
                "started_at": started_at,
                "connected": connected,
                "accepted": accepted,
                "duplicates": duplicates,
                "rejected": rejected,
                "last_error": last_error,
                "last_error_at": since,
            },
        )
