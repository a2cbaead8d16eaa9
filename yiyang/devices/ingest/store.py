"""Storing a batch: parse, decode through the vendor's decoder, validate, de-duplicate,
then insert the events, the devices' state and the rejections."""

from __future__ import annotations

import datetime
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

import orjson
from django.conf import settings
from django.db import connection

from yiyang.core import safejson
from yiyang.devices import clock
from yiyang.devices.choices import CRITICAL_TYPES, EventType, RejectReason
from yiyang.devices.decoders import DECODERS, DecodeError, Reading, printable
from yiyang.devices.ingest.events import events_insert
from yiyang.devices.ingest.records import Accepted, DeviceRef, Inbound, Outcome, Refused, Stored
from yiyang.devices.ingest.rejections import count_rejections
from yiyang.devices.ingest.state import device_state, device_state_write
from yiyang.devices.models import Device
from yiyang.elders.models import Elder


class _FloodGate:
    """Messages per device per minute, counted in this process (each gateway process
    guards its own share of the traffic)."""

    def __init__(self) -> None:
        self.minute: int = -1
        self.counts: dict[int, int] = defaultdict(int)

    def admit(self, device_pk: int, now: datetime.datetime) -> bool:
        minute = int(now.timestamp() // 60)
        if minute != self.minute:
            self.minute, self.counts = minute, defaultdict(int)
        self.counts[device_pk] += 1
        return self.counts[device_pk] <= settings.DEVICE_MAX_MESSAGES_PER_MINUTE


FLOOD_GATE = _FloodGate()


_REF_COLUMNS = (
    "pk",
    "external_id",
    "vendor",
    "elder_id",
    "elder__external_id",
    "elder__division_code",
    "elder__lat",
    "elder__lng",
    "elder__name",
)


def _device_refs(keys: set[str]) -> dict[str, DeviceRef]:
    """The devices named in a batch (canonical device ids), with their elder, as tuples."""
    if not keys:
        return {}
    if connection.vendor == "postgresql":
        # One array parameter and text ids: no per-value work in Django or psycopg.
        devices = connection.ops.quote_name(Device._meta.db_table)
        elders = connection.ops.quote_name(Elder._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT d.id, d.external_id::text, d.vendor, d.elder_id, e.external_id::text, "  # noqa: S608
                f"e.division_code, e.lat, e.lng, e.name FROM {devices} d LEFT JOIN {elders} e "
                "ON e.id = d.elder_id WHERE d.external_id = ANY(%s::uuid[])",
                ["{" + ",".join(keys) + "}"],
            )
            rows: Any = cursor.fetchall()
    else:
        rows = Device.objects.filter(external_id__in=keys).values_list(*_REF_COLUMNS)
    refs = [DeviceRef(row) for row in rows]
    return {ref.external_id: ref for ref in refs}


def _canonical(key: str) -> str | None:
    """The device id in its canonical form (lower case, hyphens), or None if it is none."""
    try:
        return str(uuid.UUID(key))
    except (ValueError, TypeError, AttributeError):
        return None


def messages_store(
    *, messages: Sequence[Inbound], now: datetime.datetime | None = None, write_state: bool = True
) -> Stored:
    """Validate, de-duplicate and store a batch (inside the caller's transaction). Returns
    one outcome per message, in order, and the events newly stored. Every message ends as
    one stored event (or a duplicate of one) or one stored rejection: any failure to read
    a message, anticipated or not, rejects that message alone."""
    now = now or clock.now()
    outcomes: list[Outcome | None] = [None] * len(messages)
    rejections: list[Refused] = []

    def reject(i: int, key: str, pk: int | None, error: DecodeError, msg_id: str = "") -> None:
        msg_id = printable(msg_id, 64)
        outcomes[i] = Outcome("rejected", error.reason, error.field, error.message, msg_id)
        message = messages[i]
        rejections.append(Refused(printable(key, 64), pk, error, message.via, message.body, msg_id))

    parsed = _parse_all(messages, reject)
    devices = _device_refs({key for _, key, _ in parsed})
    candidates: dict[tuple[int, str], tuple[int, Reading, DeviceRef]] = {}
    for i, key, payload in parsed:
        device = devices.get(key)
        if device is None:
            reject(
                i,
                key,
                None,
                DecodeError(RejectReason.UNKNOWN_DEVICE, "device_id", f"no device {key}"),
            )
            continue
        try:
            reading = _decode(device, payload, messages[i].vendor, now)
        except DecodeError as error:
            reject(i, key, device.pk, error, _msg_id_of(payload))
            continue
        except Exception as exc:
            reject(i, key, device.pk, _unreadable(exc), _msg_id_of(payload))
            continue
        pair = (device.pk, reading.msg_id)
        if pair in candidates:
            outcomes[i] = Outcome("duplicate", msg_id=reading.msg_id)
            continue
        candidates[pair] = (i, reading, device)

    inserted = events_insert(candidates, now, messages)
    accepted: list[Accepted] = []
    for pair, (i, reading, device) in candidates.items():
        if pair in inserted:
            outcomes[i] = Outcome("accepted", msg_id=reading.msg_id)
            accepted.append(Accepted(device, reading, messages[i].via))
        else:
            outcomes[i] = Outcome("duplicate", msg_id=reading.msg_id)
    state = device_state(accepted, now)
    if write_state:
        device_state_write(state)
        state = []
    bad_streams = count_rejections(rejections, now)
    return Stored(
        outcomes=[o or Outcome("rejected") for o in outcomes],
        events=accepted,
        bad_streams=bad_streams,
        state=state,
    )


def _parse_all(
    messages: Sequence[Inbound], reject: Callable[[int, str, int | None, DecodeError], None]
) -> list[tuple[int, str, Any]]:
    """Each readable message's index, canonical device id and JSON value; the others are
    rejected."""
    parsed: list[tuple[int, str, Any]] = []
    keys: dict[str, str | None] = {}
    for i, message in enumerate(messages):
        try:
            key_text = message.device_key
            if key_text in keys:
                key = keys[key_text]
            else:
                key = keys[key_text] = _canonical(key_text)
            body = _parse(message.body)
            if key is None:
                raise DecodeError(
                    RejectReason.UNKNOWN_DEVICE, "device_id", "device_id is not a device id"
                )
        except DecodeError as error:
            reject(i, str(message.device_key), None, error)
            continue
        except Exception as exc:
            reject(i, str(message.device_key), None, _unreadable(exc))
            continue
        parsed.append((i, key, body))
    return parsed


def _parse(body: Any) -> Any:
    """The message's JSON value: raw bytes parsed (size- and depth-bounded), or as given."""
    if not isinstance(body, bytes | bytearray | memoryview):
        return body
    max_bytes = settings.DEVICE_MAX_PAYLOAD_BYTES
    if len(body) > max_bytes:
        raise DecodeError(
            RejectReason.TOO_LARGE, "payload", f"{len(body)} bytes, more than {max_bytes}"
        )
    try:
        return safejson.loads(body)
    except safejson.JSONError as exc:
        raise DecodeError(RejectReason.MALFORMED, "payload", str(exc)[:200]) from None


def _decode(device: DeviceRef, payload: Any, vendor: str, now: datetime.datetime) -> Reading:
    """The device's reading, or DecodeError: wrong signer, no decoder, unbound device,
    implausible time, flood, or anything the database could not store."""
    if vendor and vendor != device.vendor:
        raise DecodeError(
            RejectReason.WRONG_VENDOR,
            "device_id",
            f"signed by vendor {printable(vendor, 32)!r}; the device is {device.vendor!r}'s",
        )
    decoder = DECODERS.get(device.vendor)
    if decoder is None:
        raise DecodeError(
            RejectReason.UNKNOWN_DEVICE, "vendor", f"no decoder for {device.vendor!r}"
        )
    reading = decoder.decode(payload)
    _check_storable(reading)
    if device.elder_id is None:
        raise DecodeError(
            RejectReason.UNBOUND_DEVICE, "device_id", "the device is bound to no elder"
        )
    at = reading.occurred_at
    if at > now + datetime.timedelta(seconds=settings.DEVICE_MAX_CLOCK_SKEW_SECONDS):
        raise DecodeError(
            RejectReason.FUTURE_TIMESTAMP, "ts", f"{at.isoformat()} lies in the future"
        )
    if at < now - datetime.timedelta(seconds=settings.DEVICE_MAX_EVENT_AGE_SECONDS):
        raise DecodeError(RejectReason.STALE_TIMESTAMP, "ts", f"{at.isoformat()} is too old")
    if reading.type not in CRITICAL_TYPES and not FLOOD_GATE.admit(device.pk, now):
        limit = settings.DEVICE_MAX_MESSAGES_PER_MINUTE
        raise DecodeError(RejectReason.FLOOD, "device_id", f"more than {limit} a minute")
    return reading


_EVENT_TYPES = frozenset(EventType.values)


def _check_storable(reading: Reading) -> None:
    """What a decoder (ours or a plug-in's) returned must fit the event table exactly: a
    printable message id of at most 64 characters, a known type, an aware time, and data
    that is a JSON object without NUL characters (PostgreSQL's jsonb refuses them)."""
    msg_id = reading.msg_id
    if not isinstance(msg_id, str) or not 0 < len(msg_id) <= 64 or printable(msg_id) != msg_id:
        raise DecodeError(
            RejectReason.INVALID_VALUE, "msg_id", "msg_id must be 1 to 64 printable characters"
        )
    if not isinstance(reading.type, str) or reading.type not in _EVENT_TYPES:
        raise DecodeError(RejectReason.UNKNOWN_TYPE, "type", "unknown type")
    at = reading.occurred_at
    if not isinstance(at, datetime.datetime) or at.tzinfo is None:
        raise DecodeError(RejectReason.INVALID_VALUE, "ts", "the time has no offset")
    if not isinstance(reading.data, dict):
        raise DecodeError(RejectReason.INVALID_VALUE, "payload", "data must be an object")
    try:
        text = orjson.dumps(reading.data)
    except (TypeError, orjson.JSONEncodeError) as exc:
        raise DecodeError(RejectReason.INVALID_VALUE, "payload", f"data: {exc}"[:200]) from None
    if b"\\u0000" in text or len(text) > settings.DEVICE_MAX_PAYLOAD_BYTES:
        raise DecodeError(RejectReason.INVALID_VALUE, "payload", "data cannot be stored")


def _unreadable(exc: BaseException) -> DecodeError:
    return DecodeError(
        RejectReason.UNREADABLE, "payload", printable(f"{type(exc).__name__}: {exc}", 200)
    )


def _msg_id_of(payload: Any) -> str:
    if not isinstance(payload, dict):
        return ""
    value = payload.get("msg_id", payload.get("seq", ""))
    return value if isinstance(value, str) else str(value) if isinstance(value, int) else ""
