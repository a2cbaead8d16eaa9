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
from collections.abc import Sequence

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from yiyang.core.audit import audit_record
from yiyang.core.choices import AuditAction
from yiyang.core.models import Division
from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.devices import clock, ingest
from yiyang.devices.choices import (
    DeviceKind,
    DeviceStatus,
    RejectReason,
)
from yiyang.devices.decoders import DECODERS, DecodeError
from yiyang.devices.models import (
    CallbackNonce,
    Device,
    DeviceBinding,
    GatewayBeat,
)
from yiyang.elders.models import Elder

REJECTION_WINDOW = datetime.timedelta(minutes=10)

# --------------------------------------------------------------------------------------------
# The registry


def _require_in_scope(actor: Actor, division_code: str) -> None:
    require_perm(actor, Permission.MANAGE_DEVICES)
    if not actor.scope.covers(division_code=division_code, organisation_id=None):
        raise ValidationError({"community": _("This community lies outside your jurisdiction.")})


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
    """Add a device to a community's stock. Its external id is its ``device_id``."""
    _require_in_scope(actor, community.code)
    errors: dict[str, str] = {}
    if kind not in DeviceKind.values:
        errors["kind"] = _("Unknown device kind.")
    if vendor not in DECODERS:
        errors["vendor"] = _("No decoder is registered for this vendor.")
    serial = (serial or "").strip()
    if not serial or len(serial) > 64:
        errors["serial"] = _("Give a serial number of at most 64 characters.")
    elif Device.objects.filter(vendor=vendor, serial=serial).exists():
        errors["serial"] = _("This vendor's device with this serial number is registered.")
    if imei and not (imei.isdigit() and len(imei) in (15, 16, 17)):
        errors["imei"] = _("An IMEI has 15 to 17 digits.")
    if community.level != "community":
        errors["community"] = _("Choose a community.")
    if not 10 <= heartbeat_interval_seconds <= 86400:
        errors["heartbeat_interval_seconds"] = _("Between 10 seconds and one day.")
    if errors:
        raise ValidationError(errors)
    device = Device.objects.create(
        kind=kind, vendor=vendor, serial=serial, community=community,
        division_code=community.code, model=model, sim_iccid=sim_iccid, imei=imei,
        firmware=firmware, installed_on=installed_on,
        heartbeat_interval_seconds=heartbeat_interval_seconds,
    )  # fmt: skip
    audit_record(
        actor=actor, action=AuditAction.CREATE, obj=device, division_code=device.division_code,
        changes={"kind": kind, "vendor": vendor, "serial": serial},
    )  # fmt: skip
    return device


@transaction.atomic
def device_bind(
    *,
    actor: Actor,
    device: Device,
    elder: Elder,
    home_address: str = "",
    at: datetime.datetime | None = None,
) -> DeviceBinding:
    """Bind a device to an elder and their home (ending any current binding first)."""
    _require_in_scope(actor, device.division_code)
    _require_in_scope(actor, elder.division_code)
    at = at or clock.now()
    device = Device.objects.select_for_update().get(pk=device.pk)
    if device.status == DeviceStatus.RETIRED:
        raise ValidationError({"device": _("A retired device cannot be bound.")})
    current = device.bindings.filter(unbound_at__isnull=True).first()
    if current is not None:
        current.unbound_at = at
        current.unbound_by_username = str(getattr(actor, "username", ""))
        current.reason = current.reason or _("rebound")
        current.save(update_fields=["unbound_at", "unbound_by_username", "reason", "updated_at"])
    address = home_address or elder.address
    binding = DeviceBinding.objects.create(
        device=device, elder=elder, home_address=address, bound_at=at,
        bound_by_username=str(getattr(actor, "username", "")),
    )  # fmt: skip
    device.elder = elder
    device.home_address = address
    device.community_id = elder.community_id
    device.division_code = elder.division_code
    device.status = DeviceStatus.ACTIVE
    device.save()
    audit_record(
        actor=actor, action=AuditAction.UPDATE, obj=device, division_code=device.division_code,
        changes={"elder": [None, str(elder.external_id)], "home_address": address},
    )  # fmt: skip
    return binding


@transaction.atomic
def device_unbind(
    *, actor: Actor, device: Device, reason: str = "", at: datetime.datetime | None = None
) -> Device:
    """End the device's binding; it goes back to its community's stock."""
    _require_in_scope(actor, device.division_code)
    device = Device.objects.select_for_update().get(pk=device.pk)
    current = device.bindings.filter(unbound_at__isnull=True).first()
    if current is None:
        raise ValidationError({"device": _("The device is not bound to anyone.")})
    current.unbound_at = at or clock.now()
    current.unbound_by_username = str(getattr(actor, "username", ""))
    current.reason = reason[:200]
    current.save(update_fields=["unbound_at", "unbound_by_username", "reason", "updated_at"])
    before = str(device.elder.external_id) if device.elder else None
    device.elder = None
    device.status = DeviceStatus.IN_STOCK
    device.door_open_since = None
    device.save()
    audit_record(
        actor=actor, action=AuditAction.UPDATE, obj=device, division_code=device.division_code,
        changes={"elder": [before, None], "reason": reason[:200]},
    )  # fmt: skip
    return device


# --------------------------------------------------------------------------------------------
# Ingestion: the hot path lives in yiyang.devices.ingest (parsing, decoding, COPY, state).

FLOOD_GATE = ingest.FLOOD_GATE
Accepted = ingest.Accepted
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
    *, device_key: str, reason: str, detail: str, via: str, now: datetime.datetime | None = None
) -> None:
    """Count a rejection of a whole request (bad signature, replay, oversized body)."""
    with transaction.atomic():
        ingest.count_rejections(
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
