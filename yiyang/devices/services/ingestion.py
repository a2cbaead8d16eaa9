"""Ingestion: the hot path lives in :mod:`yiyang.devices.ingest` (parsing, decoding,
COPY, state); these are its entry points for the alerts app and the callbacks."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.db import transaction

from yiyang.devices import clock, ingest
from yiyang.devices.decoders import DecodeError, printable

# The ingestion path's records and flood gate, under the names callers import from here.
FLOOD_GATE = ingest.FLOOD_GATE
REJECTION_WINDOW = ingest.REJECTION_WINDOW
Accepted = ingest.Accepted
DeviceRef = ingest.DeviceRef
DeviceState = ingest.DeviceState
Inbound = ingest.Inbound
Outcome = ingest.Outcome
Stored = ingest.Stored


def device_messages_store(
    *, messages: Sequence[Inbound], now: datetime.datetime | None = None, write_state: bool = True
) -> Stored:
    """Validate, de-duplicate and store a batch of device messages (call inside a
    transaction: the alerts app's ingestion service does). Returns one outcome per message,
    in order, and the events newly stored. With ``write_state=False`` the devices' new state
    is returned in ``Stored.state`` for :func:`device_state_write`, to be written last in the
    transaction (device rows then stay locked only until the commit)."""
    return ingest.messages_store(messages=messages, now=now, write_state=write_state)


def device_state_write(states: list[DeviceState]) -> None:
    """Write the device state a batch left pending (``write_state=False``)."""
    ingest.device_state_write(states)


def rejections_record(
    *,
    device_key: str,
    reason: str,
    detail: str,
    via: str,
    body: bytes = b"",
    field: str = "request",
    now: datetime.datetime | None = None,
) -> None:
    """Count and keep a rejection of a whole request (bad signature, replay, oversized
    body), with its bytes (capped)."""
    error = DecodeError(reason, field, detail)
    with transaction.atomic():
        ingest.count_rejections(
            [ingest.Refused(printable(device_key, 64), None, error, via, body)],
            now or clock.now(),
        )


def device_messages_reject(
    *, messages: Sequence[Inbound], reason: str, detail: str, now: datetime.datetime | None = None
) -> list[Outcome]:
    """Store these messages as rejections (the ingestion could not store them, for a reason
    no validation foresaw): each is then answered and acknowledged, never retried forever."""
    now = now or clock.now()
    error = DecodeError(reason, "payload", printable(detail, 300))
    refused = [
        ingest.Refused(printable(m.device_key, 64), None, error, m.via, m.body) for m in messages
    ]
    with transaction.atomic():
        ingest.count_rejections(refused, now)
    return [Outcome("rejected", error.reason, error.field, error.message) for _m in messages]
