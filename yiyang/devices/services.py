"""The devices app owns the device registry (kinds, vendors, bindings to elders and homes,
with history) and the storing of what devices send: parsing, validating through the vendor's
registered decoder, de-duplicating by the vendor's message id, storing every accepted event
durably, updating the device's state (last seen, battery, motion, door, location) and counting
every rejection by device and reason.

Ingestion is a batch operation: one transaction writes a whole batch of messages (telemetry
never costs a transaction each). The alerts app wraps :func:`device_messages_store` in the
same transaction as its rules, so an event is stored and its alert raised together, and the
MQTT gateway or the HTTP callback acknowledges only after that transaction commits.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import re
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from yiyang.core.audit import audit_record
from yiyang.core.choices import AuditAction
from yiyang.core.models import Division
from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.devices import clock
from yiyang.devices.choices import (
    CRITICAL_TYPES,
    DeviceKind,
    DeviceStatus,
    EventType,
    RejectReason,
    Via,
)
from yiyang.devices.decoders import DECODERS, DecodeError, Reading, decoder_for
from yiyang.devices.models import (
    CallbackNonce,
    Device,
    DeviceBinding,
    DeviceEvent,
    GatewayBeat,
    Rejection,
)
from yiyang.elders.choices import ElderStatus
from yiyang.elders.models import Elder

REJECTION_WINDOW = datetime.timedelta(minutes=10)

# --------------------------------------------------------------------------------------------
# The registry

# What a registration or an edit may set (the rest is the device's state or its binding).
REGISTRY_FIELDS = ("kind", "vendor", "model", "serial", "sim_iccid", "imei", "firmware",
                   "installed_on", "heartbeat_interval_seconds")  # fmt: skip
# An elder in one of these states cannot be given a device.
UNBINDABLE_ELDER_STATUSES = (ElderStatus.DECEASED, ElderStatus.DUPLICATE, ElderStatus.MOVED_OUT)
_ICCID = re.compile(r"\d{18,21}F?")
_SERIAL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]*")
EARLIEST_INSTALL = datetime.date(2000, 1, 1)


def _require_in_scope(actor: Actor, division_code: str) -> None:
    require_perm(actor, Permission.MANAGE_DEVICES)
    if not actor.scope.covers(division_code=division_code, organisation_id=None):
        raise ValidationError({"community": _("This community lies outside your jurisdiction.")})


def _require_device_in_scope(actor: Actor, device: Device) -> None:
    require_perm(actor, Permission.MANAGE_DEVICES)
    if not actor.scope.covers(division_code=device.division_code, organisation_id=None):
        raise PermissionDenied(_("This device lies outside your jurisdiction."))


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _clean_registry(values: dict[str, Any], device: Device | None) -> dict[str, Any]:
    """Check a registration or an edit; raise one ValidationError naming every bad field.
    ``device`` is the device being edited (excluded from the duplicate checks)."""
    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {}
    others = Device.objects.all() if device is None else Device.objects.exclude(pk=device.pk)
    if "kind" in values:
        cleaned["kind"] = _text(values["kind"])
        if cleaned["kind"] not in DeviceKind.values:
            errors["kind"] = _("Unknown device kind %(kind)s: use one of %(kinds)s.") % {
                "kind": repr(cleaned["kind"]), "kinds": ", ".join(DeviceKind.values),
            }  # fmt: skip
    if "vendor" in values:
        cleaned["vendor"] = _text(values["vendor"])
        if cleaned["vendor"] not in DECODERS:
            errors["vendor"] = _(
                "No decoder is registered for the vendor %(vendor)s (registered: %(known)s)."
            ) % {"vendor": repr(cleaned["vendor"]), "known": ", ".join(sorted(DECODERS))}
    for name, limit in (("model", 64), ("firmware", 32)):
        if name in values:
            cleaned[name] = _text(values[name])
            if len(cleaned[name]) > limit:
                errors[name] = _("At most %(limit)d characters.") % {"limit": limit}
    if "serial" in values:
        serial = cleaned["serial"] = _text(values["serial"])
        vendor = cleaned.get("vendor", device.vendor if device else "")
        if not serial or len(serial) > 64 or not _SERIAL.fullmatch(serial):
            errors["serial"] = _(
                "Give the serial number: 1 to 64 letters, digits and . _ : / - characters."
            )
        elif others.filter(vendor=vendor, serial=serial).exists():
            errors["serial"] = _("A device of this vendor with this serial number is registered.")
    if "imei" in values:
        imei = cleaned["imei"] = _text(values["imei"])
        if imei and not (imei.isdigit() and len(imei) in (15, 16, 17)):
            errors["imei"] = _("An IMEI has 15 to 17 digits.")
        elif imei and others.filter(imei=imei).exists():
            errors["imei"] = _("Another device is registered with this IMEI.")
    if "sim_iccid" in values:
        iccid = cleaned["sim_iccid"] = _text(values["sim_iccid"]).upper()
        if iccid and not _ICCID.fullmatch(iccid):
            errors["sim_iccid"] = _("A SIM ICCID has 18 to 21 digits, perhaps followed by F.")
        elif iccid and others.filter(sim_iccid=iccid).exists():
            errors["sim_iccid"] = _("Another device is registered with this SIM card.")
    if "installed_on" in values:
        installed = values["installed_on"]
        if isinstance(installed, str) and installed.strip():
            try:
                installed = datetime.date.fromisoformat(installed.strip())
            except ValueError:
                installed = "bad"
        elif installed == "":
            installed = None
        cleaned["installed_on"] = installed
        if installed is not None and (
            not isinstance(installed, datetime.date)
            or not EARLIEST_INSTALL <= installed <= clock.now().date() + datetime.timedelta(days=1)
        ):
            errors["installed_on"] = _(
                "Give the installation date (YYYY-MM-DD), not in the future."
            )
    if "heartbeat_interval_seconds" in values:
        interval = values["heartbeat_interval_seconds"]
        try:
            interval = int(interval) if not isinstance(interval, bool) else None
        except (TypeError, ValueError):
            interval = None
        cleaned["heartbeat_interval_seconds"] = interval
        if interval is None or not 10 <= interval <= 86400:
            errors["heartbeat_interval_seconds"] = _(
                "The heartbeat interval is a whole number of seconds from 10 to 86400 (one day)."
            )
    if errors:
        raise ValidationError(errors)
    return cleaned


def _duplicate_error(cleaned: dict[str, Any], device: Device | None) -> ValidationError:
    """After a unique constraint refused a write (another request registered the same device
    meanwhile): which field collides, in the words of :func:`_clean_registry`."""
    try:
        _clean_registry(cleaned, device)
    except ValidationError as error:
        return error
    return ValidationError({"serial": _("A device with these details was registered meanwhile.")})


@transaction.atomic
def device_register(
    *,
    actor: Actor,
    kind: str,
    vendor: str,
    serial: str,
    community: Division,
    model: str = "",
    sim_iccid: str = "",
    imei: str = "",
    firmware: str = "",
    installed_on: datetime.date | None = None,
    heartbeat_interval_seconds: int = 300,
) -> Device:
    """Add a device to a community's stock. Its external id is its ``device_id``. Every bad
    field is named in one ValidationError (unknown kind or vendor, duplicate serial, IMEI or
    SIM, a community outside the actor's jurisdiction); nothing is written then."""
    require_perm(actor, Permission.MANAGE_DEVICES)
    values = {
        "kind": kind, "vendor": vendor, "serial": serial, "model": model,
        "sim_iccid": sim_iccid, "imei": imei, "firmware": firmware,
        "installed_on": installed_on, "heartbeat_interval_seconds": heartbeat_interval_seconds,
    }  # fmt: skip
    problems: dict[str, list[str]] = {}
    try:
        cleaned = _clean_registry(values, None)
    except ValidationError as error:
        problems.update(error.message_dict)
        cleaned = {}
    if community.level != "community":
        problems["community"] = [_("Choose a community (a device belongs to a community's stock).")]
    elif not actor.scope.covers(division_code=community.code, organisation_id=None):
        problems["community"] = [_("This community lies outside your jurisdiction.")]
    if problems:
        raise ValidationError(problems)
    try:
        with transaction.atomic():
            device = Device.objects.create(
                community=community, division_code=community.code, **cleaned
            )
    except IntegrityError:
        raise _duplicate_error(cleaned, None) from None
    audit_record(
        actor=actor, action=AuditAction.CREATE, obj=device, division_code=device.division_code,
        changes={**{k: _plain(v) for k, v in cleaned.items()}, "community": community.code},
    )  # fmt: skip
    return device


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime.date) else value


@transaction.atomic
def device_update(*, actor: Actor, device: Device, **values: Any) -> Device:
    """Correct a device's registry details (any of :data:`REGISTRY_FIELDS`); the audit log
    keeps who changed what from what to what."""
    _require_device_in_scope(actor, device)
    unknown = set(values) - set(REGISTRY_FIELDS)
    if unknown:
        raise ValidationError(
            {name: _("This field cannot be changed here.") for name in sorted(unknown)}
        )
    device = Device.objects.select_for_update().get(pk=device.pk)
    cleaned = _clean_registry(values, device)
    before = {name: _plain(getattr(device, name)) for name in cleaned}
    for name, value in cleaned.items():
        setattr(device, name, value)
    after = {name: _plain(getattr(device, name)) for name in cleaned}
    changes = {name: [before[name], after[name]] for name in cleaned if before[name] != after[name]}
    if not changes:
        return device
    try:
        with transaction.atomic():
            device.save(update_fields=[*changes, "updated_at"])
    except IntegrityError:
        raise _duplicate_error(cleaned, device) from None
    audit_record(
        actor=actor, action=AuditAction.UPDATE, obj=device, division_code=device.division_code,
        changes=changes,
    )  # fmt: skip
    return device


def _check_bindable(actor: Actor, device: Device, elder: Elder) -> Elder:
    """The elder as the database has it now (status and community), if bindable."""
    elder = Elder.objects.get(pk=elder.pk)
    if device.status == DeviceStatus.RETIRED:
        raise ValidationError({"device": _("A retired device cannot be bound.")})
    if not actor.scope.covers(division_code=elder.division_code, organisation_id=None):
        raise ValidationError({"elder": _("This elder lies outside your jurisdiction.")})
    if elder.status in UNBINDABLE_ELDER_STATUSES:
        raise ValidationError(
            {"elder": _("The elder's record says: %(status)s. A device cannot be bound.")
             % {"status": elder.get_status_display()}}
        )  # fmt: skip
    return elder


def _end_binding(
    actor: Actor, device: Device, current: DeviceBinding, reason: str, at: datetime.datetime
) -> None:
    if at < current.bound_at:
        raise ValidationError({"at": _("A binding cannot end before it began.")})
    current.unbound_at = at
    current.unbound_by_username = str(getattr(actor, "username", ""))[:150]
    current.reason = reason[:200]
    current.save(update_fields=["unbound_at", "unbound_by_username", "reason", "updated_at"])


def _start_binding(
    actor: Actor, device: Device, elder: Elder, home_address: str, at: datetime.datetime,
    previous: DeviceBinding | None, reason: str,
) -> DeviceBinding:  # fmt: skip
    address = (home_address or "").strip() or elder.address
    if len(address) > 200:
        raise ValidationError({"home_address": _("At most %(limit)d characters.") % {"limit": 200}})
    binding = DeviceBinding.objects.create(
        device=device, elder=elder, home_address=address, bound_at=at,
        bound_by_username=str(getattr(actor, "username", ""))[:150],
    )  # fmt: skip
    device.elder = elder
    device.home_address = address
    device.community_id = elder.community_id
    device.division_code = elder.division_code
    device.status = DeviceStatus.ACTIVE
    device.door_open_since = None
    device.save()
    audit_record(
        actor=actor, action=AuditAction.UPDATE, obj=device, division_code=device.division_code,
        changes={
            "elder": [str(previous.elder.external_id) if previous else None,
                      str(elder.external_id)],
            "home_address": [previous.home_address if previous else None, address],
            **({"reason": reason[:200]} if reason else {}),
        },
    )  # fmt: skip
    return binding


@transaction.atomic
def device_bind(
    *,
    actor: Actor,
    device: Device,
    elder: Elder,
    home_address: str = "",
    at: datetime.datetime | None = None,
) -> DeviceBinding:
    """Bind a device in stock to an elder and their home (by default the elder's address).
    A device bound to someone must be unbound first, or moved with :func:`device_rebind`;
    the elder must lie in the actor's jurisdiction and be alive and registered here."""
    _require_device_in_scope(actor, device)
    at = at or clock.now()
    device = Device.objects.select_for_update().get(pk=device.pk)
    elder = _check_bindable(actor, device, elder)
    current = device.bindings.select_related("elder").filter(unbound_at__isnull=True).first()
    if current is not None:
        raise ValidationError(
            {"device": _("The device is bound to %(name)s since %(date)s: unbind it first, "
                         "or rebind it.")
             % {"name": current.elder.name, "date": current.bound_at.date().isoformat()}}
        )  # fmt: skip
    return _start_binding(actor, device, elder, home_address, at, None, "")


@transaction.atomic
def device_rebind(
    *,
    actor: Actor,
    device: Device,
    elder: Elder,
    home_address: str = "",
    reason: str = "",
    at: datetime.datetime | None = None,
) -> DeviceBinding:
    """Move a device from the elder it serves to another (or bind it, if it serves no one),
    in one step: the old binding ends and the new one begins at the same moment."""
    _require_device_in_scope(actor, device)
    at = at or clock.now()
    device = Device.objects.select_for_update().get(pk=device.pk)
    elder = _check_bindable(actor, device, elder)
    current = device.bindings.select_related("elder").filter(unbound_at__isnull=True).first()
    if current is not None and current.elder_id == elder.pk:
        raise ValidationError({"elder": _("The device is already bound to this elder.")})
    if current is not None:
        _end_binding(actor, device, current, reason.strip() or _("rebound"), at)
    return _start_binding(actor, device, elder, home_address, at, current, reason.strip())


@transaction.atomic
def device_unbind(
    *, actor: Actor, device: Device, reason: str = "", at: datetime.datetime | None = None
) -> Device:
    """End the device's binding; it goes back to its community's stock."""
    _require_device_in_scope(actor, device)
    device = Device.objects.select_for_update().get(pk=device.pk)
    current = device.bindings.select_related("elder").filter(unbound_at__isnull=True).first()
    if current is None:
        raise ValidationError({"device": _("The device is not bound to anyone.")})
    reason = (reason or "").strip()
    if len(reason) > 200:
        raise ValidationError({"reason": _("At most %(limit)d characters.") % {"limit": 200}})
    _end_binding(actor, device, current, reason, at or clock.now())
    device.elder = None
    device.status = DeviceStatus.IN_STOCK
    device.door_open_since = None
    device.save()
    audit_record(
        actor=actor, action=AuditAction.UPDATE, obj=device, division_code=device.division_code,
        changes={"elder": [str(current.elder.external_id), None], "reason": reason},
    )  # fmt: skip
    return device


# --------------------------------------------------------------------------------------------
# Ingestion


@dataclass
class Inbound:
    """One message as it arrived: the device id it names (MQTT topic or HTTP payload) and
    its body, raw bytes or an already parsed JSON value."""

    device_key: str
    body: bytes | Any
    via: str = Via.MQTT


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


@dataclass
class Stored:
    outcomes: list[Outcome]
    events: list[DeviceEvent] = field(default_factory=list)
    # Devices whose rejections crossed the alert threshold in this batch: (device, reason).
    bad_streams: list[tuple[Device, str, int]] = field(default_factory=list)


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


# What ingestion and the rules read of a device and its elder (an elder row is wide: loading
# it whole for every message of a batch costs more than the rest of the batch).
INGEST_FIELDS = (
    "id", "external_id", "kind", "vendor", "elder_id", "division_code", "last_seen_at",
    "battery_percent", "last_motion_at", "door_open_since", "last_lat", "last_lng",
    "heartbeat_interval_seconds", "elder__id", "elder__external_id", "elder__division_code",
    "elder__community_id", "elder__name", "elder__lat", "elder__lng",
)  # fmt: skip


def _parse(message: Inbound) -> Any:
    body = message.body
    if isinstance(body, bytes | bytearray | memoryview):
        raw = bytes(body)
        if len(raw) > settings.DEVICE_MAX_PAYLOAD_BYTES:
            raise DecodeError(
                RejectReason.TOO_LARGE, "payload",
                f"{len(raw)} bytes, more than {settings.DEVICE_MAX_PAYLOAD_BYTES}",
            )  # fmt: skip
        try:
            return json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise DecodeError(RejectReason.MALFORMED, "payload", f"not JSON: {exc}"[:200]) from None
    return body


def _device_uuid(key: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(key))
    except (ValueError, TypeError, AttributeError):
        return None


def _check_time(reading: Reading, now: datetime.datetime) -> None:
    skew = datetime.timedelta(seconds=settings.DEVICE_MAX_CLOCK_SKEW_SECONDS)
    if reading.occurred_at > now + skew:
        raise DecodeError(RejectReason.FUTURE_TIMESTAMP, "ts",
                          f"{reading.occurred_at.isoformat()} lies in the future")  # fmt: skip
    if reading.occurred_at < now - datetime.timedelta(
        seconds=settings.DEVICE_MAX_EVENT_AGE_SECONDS
    ):
        raise DecodeError(RejectReason.STALE_TIMESTAMP, "ts",
                          f"{reading.occurred_at.isoformat()} is too old")  # fmt: skip


def device_messages_store(
    *, messages: Sequence[Inbound], now: datetime.datetime | None = None
) -> Stored:
    """Validate, de-duplicate and store a batch of device messages (call inside a
    transaction: the alerts app's ingestion service does). Returns one outcome per message,
    in order, and the events newly stored, each with its ``device`` loaded."""
    now = now or clock.now()
    outcomes: list[Outcome | None] = [None] * len(messages)
    rejections: list[tuple[str, Device | None, DecodeError, str]] = []

    def reject(
        i: int, key: str, device: Device | None, error: DecodeError, msg_id: str = ""
    ) -> None:
        outcomes[i] = Outcome("rejected", error.reason, error.field, error.message, msg_id)
        rejections.append((key[:64], device, error, messages[i].via))

    parsed: dict[int, Any] = {}
    keys: dict[int, uuid.UUID] = {}
    for i, message in enumerate(messages):
        try:
            parsed[i] = _parse(message)
        except DecodeError as error:
            reject(i, str(message.device_key), None, error)
            continue
        key = _device_uuid(message.device_key)
        if key is None:
            not_an_id = DecodeError(
                RejectReason.UNKNOWN_DEVICE, "device_id", "device_id is not a device id"
            )
            reject(i, str(message.device_key), None, not_an_id)
            continue
        keys[i] = key
    devices = {
        d.external_id: d
        for d in Device.objects.filter(external_id__in=set(keys.values()))
        .select_related("elder")
        .only(*INGEST_FIELDS)
    }
    candidates: dict[tuple[int, str], tuple[int, Reading, Device]] = {}
    for i, key in keys.items():
        device = devices.get(key)
        if device is None:
            reject(i, str(key), None, DecodeError(
                RejectReason.UNKNOWN_DEVICE, "device_id", f"no device {key}"))  # fmt: skip
            continue
        try:
            reading = decoder_for(device.vendor).decode(parsed[i])
            if device.elder_id is None:
                raise DecodeError(RejectReason.UNBOUND_DEVICE, "device_id",
                                  "the device is bound to no elder")  # fmt: skip
            _check_time(reading, now)
            if reading.type not in CRITICAL_TYPES and not FLOOD_GATE.admit(device.pk, now):
                limit = settings.DEVICE_MAX_MESSAGES_PER_MINUTE
                raise DecodeError(RejectReason.FLOOD, "device_id", f"more than {limit} a minute")
        except DecodeError as error:
            msg_id = str(parsed[i].get("msg_id", "")) if isinstance(parsed[i], dict) else ""
            reject(i, str(key), device, error, msg_id[:64])
            continue
        pair = (device.pk, reading.msg_id)
        if pair in candidates:
            outcomes[i] = Outcome("duplicate", msg_id=reading.msg_id)
            continue
        candidates[pair] = (i, reading, device)

    existing: set[tuple[int, str]] = set()
    if candidates:
        device_ids = {pk for pk, _ in candidates}
        msg_ids = {msg for _, msg in candidates}
        existing = set(
            DeviceEvent.objects.filter(device_id__in=device_ids, msg_id__in=msg_ids).values_list(
                "device_id", "msg_id"
            )
        )
    fresh: list[tuple[int, DeviceEvent]] = []
    for pair, (i, reading, device) in candidates.items():
        if pair in existing:
            outcomes[i] = Outcome("duplicate", msg_id=reading.msg_id)
            continue
        event = DeviceEvent(
            device=device, msg_id=reading.msg_id, type=reading.type,
            occurred_at=reading.occurred_at, received_at=now, via=messages[i].via,
            data=reading.data, elder_id=device.elder_id,
        )  # fmt: skip
        fresh.append((i, event))
    stored = _insert_events([event for _, event in fresh])
    for i, event in fresh:
        outcomes[i] = Outcome(
            "accepted" if id(event) in stored else "duplicate", msg_id=event.msg_id
        )
    accepted = [event for _, event in fresh if id(event) in stored]
    _update_device_state(accepted, now)
    bad_streams = _count_rejections(rejections, now)
    return Stored(
        outcomes=[o or Outcome("rejected") for o in outcomes],
        events=accepted,
        bad_streams=bad_streams,
    )


def _insert_events(events: list[DeviceEvent]) -> set[int]:
    """Insert in bulk; when another process stored one of them meanwhile, row by row (the
    unique constraint decides which are duplicates). Returns the ``id()`` of those stored."""
    if not events:
        return set()
    try:
        with transaction.atomic():
            DeviceEvent.objects.bulk_create(events, batch_size=1000)
        return {id(event) for event in events}
    except IntegrityError:
        pass
    stored: set[int] = set()
    for event in events:
        event.pk = None
        try:
            with transaction.atomic():
                event.save(force_insert=True)
            stored.add(id(event))
        except IntegrityError:
            continue
    return stored


def _update_device_state(events: list[DeviceEvent], now: datetime.datetime) -> None:
    """Last seen, battery, motion, door and location of each device, one bulk update."""
    by_device: dict[int, list[DeviceEvent]] = defaultdict(list)
    for event in events:
        by_device[event.device_id].append(event)
    devices = []
    for batch in by_device.values():
        device = batch[0].device
        device.last_seen_at = max(device.last_seen_at or now, now)
        for event in sorted(batch, key=lambda e: e.occurred_at):
            if "battery" in event.data:
                device.battery_percent = int(event.data["battery"])
            if event.type == EventType.MOTION or (
                event.type == EventType.BED and event.data.get("present") is False
            ):
                device.last_motion_at = max(device.last_motion_at or event.occurred_at,
                                            event.occurred_at)  # fmt: skip
            if event.type == EventType.DOOR:
                if event.data["open"]:
                    device.door_open_since = device.door_open_since or event.occurred_at
                else:
                    device.door_open_since = None
            if "lat" in event.data and event.data.get("lat") is not None:
                device.last_lat = round(event.data["lat"], 6)
                device.last_lng = round(event.data["lng"], 6)
        devices.append(device)
    if devices:
        _write_device_state(devices)


STATE_COLUMNS = ("last_seen_at", "battery_percent", "last_motion_at", "door_open_since",
                 "last_lat", "last_lng")  # fmt: skip


def _write_device_state(devices: list[Device]) -> None:
    """One prepared UPDATE per device, sent as one batch (``executemany``: pipelined by
    psycopg 3). ``bulk_update`` builds a CASE per column and row and costs ~10 ms a device in
    Python alone; this costs ~0.1 ms. Ordered by id, so concurrent gateways lock rows in the
    same order and never deadlock."""
    ops = connection.ops
    table = Device._meta.db_table
    assignments = ", ".join(f"{connection.ops.quote_name(c)} = %s" for c in STATE_COLUMNS)
    sql = f"UPDATE {ops.quote_name(table)} SET {assignments} WHERE id = %s"  # noqa: S608
    rows = [
        (
            ops.adapt_datetimefield_value(d.last_seen_at), d.battery_percent,
            ops.adapt_datetimefield_value(d.last_motion_at),
            ops.adapt_datetimefield_value(d.door_open_since),
            ops.adapt_decimalfield_value(d.last_lat, 9, 6),
            ops.adapt_decimalfield_value(d.last_lng, 9, 6), d.pk,
        )
        for d in sorted(devices, key=lambda d: d.pk)
    ]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _count_rejections(
    rejections: list[tuple[str, Device | None, DecodeError, str]], now: datetime.datetime
) -> list[tuple[Device, str, int]]:
    """Add up rejections per (device id as sent, reason); report the devices whose count in
    the current ten-minute window crossed the alert threshold just now."""
    grouped: dict[tuple[str, str], list[tuple[Device | None, DecodeError, str]]] = defaultdict(list)
    for key, device, error, via in rejections:
        grouped[(key, error.reason)].append((device, error, via))
    crossed: list[tuple[Device, str, int]] = []
    threshold = settings.DEVICE_REJECTIONS_ALERT_THRESHOLD
    for (key, reason), items in grouped.items():
        device, error, via = items[-1]
        row, _created = Rejection.objects.select_for_update().get_or_create(
            device_key=key, reason=reason,
            defaults={"device": device, "window_started_at": now, "first_at": now,
                      "last_at": now, "via": via},
        )  # fmt: skip
        if row.window_started_at < now - REJECTION_WINDOW:
            row.window_started_at, row.window_count = now, 0
        before = row.window_count
        row.count += len(items)
        row.window_count += len(items)
        row.last_at = now
        row.last_detail = f"{error.field}: {error.message}"[:300]
        row.via = via
        row.device = row.device or device
        row.save()
        if device is not None and before < threshold <= row.window_count:
            crossed.append((device, reason, row.window_count))
    return crossed


def rejections_record(
    *, device_key: str, reason: str, detail: str, via: str, now: datetime.datetime | None = None
) -> None:
    """Count a rejection of a whole request (bad signature, replay, oversized body)."""
    with transaction.atomic():
        _count_rejections(
            [(device_key[:64], None, DecodeError(reason, "request", detail), via)],
            now or clock.now(),
        )


# --------------------------------------------------------------------------------------------
# HTTP callbacks of vendor clouds


def callback_signature(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over ``<timestamp>.<body>``, hex: what a vendor sends and we check."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def callback_verify(
    *, vendor: str, timestamp: str, signature: str, body: bytes,
    now: datetime.datetime | None = None,
) -> None:  # fmt: skip
    """Check a vendor callback's signature, timestamp and that it was not seen before;
    remember its signature for the replay window. Raises :class:`DecodeError`."""
    now = now or clock.now()
    secret = settings.DEVICE_VENDOR_SECRETS.get(vendor)
    if not secret or vendor not in DECODERS:
        raise DecodeError(RejectReason.BAD_SIGNATURE, "X-Yiyang-Vendor", "unknown vendor")
    try:
        signed_at = datetime.datetime.fromtimestamp(int(timestamp), tz=datetime.UTC)
    except (ValueError, TypeError, OverflowError, OSError):
        raise DecodeError(RejectReason.MISSING_FIELD, "X-Yiyang-Timestamp",
                          "epoch seconds required") from None  # fmt: skip
    expected = callback_signature(secret, timestamp, body)
    if not hmac.compare_digest(expected, (signature or "").strip().lower()):
        raise DecodeError(RejectReason.BAD_SIGNATURE, "X-Yiyang-Signature", "signature mismatch")
    window = datetime.timedelta(seconds=settings.DEVICE_CALLBACK_WINDOW_SECONDS)
    if signed_at > now + window:
        raise DecodeError(RejectReason.FUTURE_TIMESTAMP, "X-Yiyang-Timestamp",
                          "timestamp lies in the future")  # fmt: skip
    if signed_at < now - window:
        raise DecodeError(RejectReason.STALE_TIMESTAMP, "X-Yiyang-Timestamp",
                          "timestamp outside the replay window")  # fmt: skip
    with transaction.atomic():
        CallbackNonce.objects.filter(signed_at__lt=now - 2 * window).delete()
        try:
            with transaction.atomic():
                CallbackNonce.objects.create(vendor=vendor, signature=expected, signed_at=signed_at)
        except IntegrityError:
            raise DecodeError(RejectReason.REPLAYED, "X-Yiyang-Signature",
                              "this request was received before") from None  # fmt: skip


# --------------------------------------------------------------------------------------------
# The gateway's heartbeat


def gateway_beat(
    *,
    name: str,
    started_at: datetime.datetime,
    connected: bool,
    accepted: int = 0,
    duplicates: int = 0,
    rejected: int = 0,
    last_error: str = "",
    now: datetime.datetime | None = None,
) -> None:
    """Record that an ingestion process is alive (the console's degraded banner reads it)."""
    GatewayBeat.objects.update_or_create(
        name=name,
        defaults={
            "beat_at": now or clock.now(), "started_at": started_at, "connected": connected,
            "accepted": accepted, "duplicates": duplicates, "rejected": rejected,
            "last_error": last_error[:300],
        },
    )  # fmt: skip
