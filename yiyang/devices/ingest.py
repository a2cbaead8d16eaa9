"""Device ingestion, the hot path: parse, validate, de-duplicate and store a batch of device
messages, then update each device's state once.

Written for throughput (issue 6: 100,000 devices, 5,000 messages a second on two cores):

- payloads are parsed with orjson and decoded by the vendor's registered decoder into plain
  records (:class:`Accepted`), never model instances;
- the batch's devices are read in one query, as tuples;
- duplicates are dropped in memory per batch, then by the database's unique constraint on
  (device, msg_id): on PostgreSQL the events are ``COPY``-ed into a temporary staging table
  and moved with one ``INSERT ... SELECT ... ON CONFLICT DO NOTHING RETURNING``; elsewhere
  (SQLite in the tests and the demo) one multi-row ``INSERT ... ON CONFLICT DO NOTHING
  RETURNING`` per 500 events;
- each device's state (last seen, battery, motion, door, location) is written once per batch
  with its latest values: on PostgreSQL ``COPY`` plus one ``UPDATE ... FROM`` (rows found by
  primary key and locked in id order, so concurrent gateways never deadlock), elsewhere one
  prepared UPDATE per device.

The caller owns the transaction: the alerts app's :func:`device_messages_ingest` runs this,
the rules and :func:`device_state_write` in one, and the gateway acknowledges only after it
committed.
"""

from __future__ import annotations

import datetime
import json
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import orjson
from django.conf import settings
from django.db import connection

from yiyang.core import crypto, safejson
from yiyang.devices import clock
from yiyang.devices.choices import CRITICAL_TYPES, EventType, RejectReason, Via
from yiyang.devices.decoders import DECODERS, DecodeError, Reading, printable
from yiyang.devices.models import Device, DeviceEvent, RejectedMessage, Rejection, event_data_stored
from yiyang.elders.models import Elder

REJECTION_WINDOW = datetime.timedelta(minutes=10)
# SQLite allows 32,766 parameters a statement: 8 columns x 500 rows stays far below.
GENERIC_CHUNK = 500


@dataclass
class Inbound:
    """One message as it arrived: the device id it names (MQTT topic or HTTP payload) and
    its body, raw bytes or an already parsed JSON value. ``vendor``: the vendor whose key
    signed it (HTTP callbacks); the device must be that vendor's."""

    device_key: str
    body: bytes | Any
    via: str = Via.MQTT
    vendor: str = ""


@dataclass
class Refused:
    """A rejected message on its way to the rejection counts and the rejection log."""

    key: str  # the device id as sent, printable, at most 64 characters
    pk: int | None
    error: DecodeError
    via: str
    body: Any
    msg_id: str = ""


@dataclass
class Outcome:
    status: str  # accepted | duplicate | rejected
    reason: str = ""
    field: str = ""
    message: str = ""
    msg_id: str = ""

    def as_dict(self) -> dict[str, str]:
        data = {"status": self.status, "msg_id": self.msg_id}
        if self.status == "rejected":
            data.update(reason=self.reason, field=self.field, message=self.message)
        return data


class DeviceRef:
    """What ingestion and the event rules read of a device and its elder (one row)."""

    __slots__ = (
        "elder_division_code",
        "elder_external_id",
        "elder_id",
        "elder_lat",
        "elder_lng",
        "elder_name",
        "external_id",
        "pk",
        "vendor",
    )

    def __init__(self, row: tuple[Any, ...]) -> None:
        (
            self.pk,
            external_id,
            self.vendor,
            self.elder_id,
            elder_external_id,
            self.elder_division_code,
            self.elder_lat,
            self.elder_lng,
            self.elder_name,
        ) = row
        self.external_id = str(external_id)
        self.elder_external_id = str(elder_external_id) if elder_external_id else ""


class Accepted:
    """One event newly stored in this batch."""

    __slots__ = ("data", "device", "msg_id", "occurred_at", "type", "via")

    def __init__(self, device: DeviceRef, reading: Reading, via: str) -> None:
        self.device = device
        self.msg_id = reading.msg_id
        self.type = reading.type
        self.occurred_at = reading.occurred_at
        self.data = reading.data
        self.via = via


@dataclass
class DeviceState:
    """The latest state of one device in a batch. ``door``: 0 no door event, 1 closed,
    2 open (keep an earlier opening time), 3 opened again after a close in this batch."""

    pk: int
    seen: datetime.datetime
    battery: int | None = None
    motion: datetime.datetime | None = None
    door: int = 0
    door_at: datetime.datetime | None = None
    lat: float | None = None
    lng: float | None = None


@dataclass
class Stored:
    outcomes: list[Outcome]
    events: list[Accepted] = field(default_factory=list)
    # Devices whose rejections crossed the alert threshold in this batch: (device, reason).
    bad_streams: list[tuple[Device, str, int]] = field(default_factory=list)
    # Device state not yet written (``write_state=False``): :func:`device_state_write`.
    state: list[DeviceState] = field(default_factory=list)


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

    inserted = _insert_events(candidates, now, messages)
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


# --------------------------------------------------------------------------------------------
# Events

_EVENT_COLUMNS = (
    "device_id",
    "msg_id",
    "type",
    "occurred_at",
    "received_at",
    "via",
    "data",
    "elder_id",
)
_STAGE = "yiyang_event_stage"


def _insert_events(
    candidates: dict[tuple[int, str], tuple[int, Reading, DeviceRef]],
    now: datetime.datetime,
    messages: Sequence[Inbound],
) -> set[tuple[int, str]]:
    """Insert the batch's events, skipping those stored before (the unique constraint on
    (device, msg_id) decides, also against another gateway storing the same message just
    now). Returns the (device pk, msg_id) pairs inserted."""
    if not candidates:
        return set()
    if connection.vendor == "postgresql":
        return _insert_events_postgresql(candidates, now, messages)
    return _insert_events_generic(candidates, now, messages)


def _insert_events_postgresql(
    candidates: dict[tuple[int, str], tuple[int, Reading, DeviceRef]],
    now: datetime.datetime,
    messages: Sequence[Inbound],
) -> set[tuple[int, str]]:
    table = connection.ops.quote_name(DeviceEvent._meta.db_table)
    columns = ", ".join(_EVENT_COLUMNS)
    dumps = orjson.dumps
    with connection.cursor() as cursor:
        # A temporary table lives as long as the connection; ON COMMIT DELETE ROWS empties
        # it without catalogue churn or WAL.
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {_STAGE} (device_id bigint, "
            "msg_id varchar(64), type varchar(16), occurred_at timestamptz, "
            "received_at timestamptz, via varchar(8), data jsonb, elder_id bigint) "
            "ON COMMIT DELETE ROWS"
        )
        with cursor.cursor.copy(f"COPY {_STAGE} ({columns}) FROM STDIN") as copy:
            write = copy.write_row
            for (pk, msg_id), (i, reading, device) in candidates.items():
                data = dumps(event_data_stored(reading.data)).decode()
                write(
                    (
                        pk,
                        msg_id,
                        reading.type,
                        reading.occurred_at,
                        now,
                        messages[i].via,
                        data,
                        device.elder_id,
                    )
                )
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {_STAGE} "  # noqa: S608
            "ON CONFLICT (device_id, msg_id) DO NOTHING RETURNING device_id, msg_id"
        )
        inserted = set(cursor.fetchall())
        # Several batches in one transaction (tests, the demo) must not see each other's.
        cursor.execute(f"DELETE FROM {_STAGE}")  # noqa: S608
    return inserted


def _insert_events_generic(
    candidates: dict[tuple[int, str], tuple[int, Reading, DeviceRef]],
    now: datetime.datetime,
    messages: Sequence[Inbound],
) -> set[tuple[int, str]]:
    ops = connection.ops
    table = ops.quote_name(DeviceEvent._meta.db_table)
    received = ops.adapt_datetimefield_value(now)
    rows = [
        (
            pk,
            msg_id,
            reading.type,
            ops.adapt_datetimefield_value(reading.occurred_at),
            received,
            messages[i].via,
            json.dumps(event_data_stored(reading.data)),
            device.elder_id,
        )
        for (pk, msg_id), (i, reading, device) in candidates.items()
    ]
    inserted: set[tuple[int, str]] = set()
    one = "(" + ", ".join(["%s"] * len(_EVENT_COLUMNS)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), GENERIC_CHUNK):
            chunk = rows[start : start + GENERIC_CHUNK]
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(_EVENT_COLUMNS)}) "  # noqa: S608
                f"VALUES {', '.join([one] * len(chunk))} "
                "ON CONFLICT (device_id, msg_id) DO NOTHING RETURNING device_id, msg_id",
                [value for row in chunk for value in row],
            )
            inserted.update((pk, msg_id) for pk, msg_id in cursor.fetchall())
    return inserted


# --------------------------------------------------------------------------------------------
# Device state


def device_state(events: list[Accepted], now: datetime.datetime) -> list[DeviceState]:
    """Each device's latest values in the batch (events applied in order of time)."""
    by_device: dict[int, list[Accepted]] = defaultdict(list)
    for event in events:
        by_device[event.device.pk].append(event)
    states = []
    for pk, batch in by_device.items():
        state = DeviceState(pk=pk, seen=now)
        if len(batch) > 1:
            batch.sort(key=lambda e: e.occurred_at)
        for event in batch:
            data, kind = event.data, event.type
            if "battery" in data:
                state.battery = int(data["battery"])
            if kind == EventType.MOTION or (kind == EventType.BED and data.get("present") is False):
                if state.motion is None or event.occurred_at > state.motion:
                    state.motion = event.occurred_at
            elif kind == EventType.DOOR:
                if data["open"]:
                    if state.door in (0, 1):
                        state.door, state.door_at = (2 if state.door == 0 else 3), event.occurred_at
                else:
                    state.door, state.door_at = 1, None
            if data.get("lat") is not None:
                state.lat, state.lng = round(data["lat"], 6), round(data["lng"], 6)
        states.append(state)
    return states


_STATE_STAGE = "yiyang_state_stage"


def device_state_write(states: list[DeviceState]) -> None:
    """Write the devices' state, one row each. Called last in the transaction: device rows
    stay locked only until it commits."""
    if not states:
        return
    states = sorted(states, key=lambda s: s.pk)
    if connection.vendor == "postgresql":
        _state_write_postgresql(states)
    else:
        _state_write_generic(states)


def _state_write_postgresql(states: list[DeviceState]) -> None:
    table = connection.ops.quote_name(Device._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {_STATE_STAGE} (id bigint, seen timestamptz, "
            "battery smallint, motion timestamptz, door smallint, door_at timestamptz, "
            "lat numeric(9, 6), lng numeric(9, 6)) ON COMMIT DELETE ROWS"
        )
        with cursor.cursor.copy(
            f"COPY {_STATE_STAGE} (id, seen, battery, motion, door, door_at, lat, lng) FROM STDIN"
        ) as copy:
            write = copy.write_row
            for s in states:
                write((s.pk, s.seen, s.battery, s.motion, s.door, s.door_at, s.lat, s.lng))
        # A nested loop over the staged rows in id order: each device row is found by its
        # primary key (the planner, knowing nothing of a temporary table, would hash the whole
        # device table) and locked in id order, so that two gateways updating overlapping
        # devices never deadlock.
        cursor.execute("SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off")
        cursor.execute(
            f"UPDATE {table} AS d SET "  # noqa: S608
            "last_seen_at = GREATEST(d.last_seen_at, v.seen), "
            "battery_percent = COALESCE(v.battery, d.battery_percent), "
            "last_motion_at = GREATEST(d.last_motion_at, v.motion), "
            "door_open_since = CASE v.door WHEN 1 THEN NULL "
            "WHEN 2 THEN COALESCE(d.door_open_since, v.door_at) WHEN 3 THEN v.door_at "
            "ELSE d.door_open_since END, "
            "last_lat = COALESCE(v.lat, d.last_lat), last_lng = COALESCE(v.lng, d.last_lng) "
            f"FROM (SELECT * FROM {_STATE_STAGE} ORDER BY id) AS v WHERE d.id = v.id"
        )
        cursor.execute("RESET enable_hashjoin; RESET enable_mergejoin")
        cursor.execute(f"DELETE FROM {_STATE_STAGE}")  # noqa: S608


def _state_write_generic(states: list[DeviceState]) -> None:
    ops = connection.ops
    table = ops.quote_name(Device._meta.db_table)
    sql = (
        f"UPDATE {table} SET "  # noqa: S608
        "last_seen_at = CASE WHEN last_seen_at IS NULL OR last_seen_at < %s THEN %s "
        "ELSE last_seen_at END, "
        "battery_percent = COALESCE(%s, battery_percent), "
        "last_motion_at = CASE WHEN %s IS NULL THEN last_motion_at "
        "WHEN last_motion_at IS NULL OR last_motion_at < %s THEN %s ELSE last_motion_at END, "
        "door_open_since = CASE %s WHEN 1 THEN NULL WHEN 2 THEN COALESCE(door_open_since, %s) "
        "WHEN 3 THEN %s ELSE door_open_since END, "
        "last_lat = COALESCE(%s, last_lat), last_lng = COALESCE(%s, last_lng) WHERE id = %s"
    )
    rows = []
    for s in states:
        seen = ops.adapt_datetimefield_value(s.seen)
        motion = ops.adapt_datetimefield_value(s.motion)
        door_at = ops.adapt_datetimefield_value(s.door_at)
        lat = ops.adapt_decimalfield_value(_decimal(s.lat), 9, 6)
        lng = ops.adapt_decimalfield_value(_decimal(s.lng), 9, 6)
        rows.append(
            (
                seen,
                seen,
                s.battery,
                motion,
                motion,
                motion,
                s.door,
                door_at,
                door_at,
                lat,
                lng,
                s.pk,
            )
        )
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _decimal(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(value))


# --------------------------------------------------------------------------------------------
# Rejections


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
