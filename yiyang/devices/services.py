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
import re
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from yiyang.core import crypto
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
from yiyang.devices.decoders import DECODERS, DecodeError, printable
from yiyang.devices.models import (
    CallbackNonce,
    Device,
    DeviceBinding,
    GatewayBeat,
    GatewayError,
    RejectedMessage,
    Rejection,
)
from yiyang.elders.choices import ElderStatus
from yiyang.elders.models import Elder

REJECTION_WINDOW = datetime.timedelta(minutes=10)

# --------------------------------------------------------------------------------------------
# The registry

# What a registration or an edit may set (the rest is the device's state or its binding).
REGISTRY_FIELDS = (
    "kind",
    "vendor",
    "model",
    "serial",
    "sim_iccid",
    "imei",
    "firmware",
    "installed_on",
    "heartbeat_interval_seconds",
)
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
                "kind": repr(cleaned["kind"]),
                "kinds": ", ".join(DeviceKind.values),
            }
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
        "kind": kind,
        "vendor": vendor,
        "serial": serial,
        "model": model,
        "sim_iccid": sim_iccid,
        "imei": imei,
        "firmware": firmware,
        "installed_on": installed_on,
        "heartbeat_interval_seconds": heartbeat_interval_seconds,
    }
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
        actor=actor,
        action=AuditAction.CREATE,
        obj=device,
        division_code=device.division_code,
        changes={**{k: _plain(v) for k, v in cleaned.items()}, "community": community.code},
    )
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
        actor=actor,
        action=AuditAction.UPDATE,
        obj=device,
        division_code=device.division_code,
        changes=changes,
    )
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
            {
                "elder": _("The elder's record says: %(status)s. A device cannot be bound.")
                % {"status": elder.get_status_display()}
            }
        )
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
    actor: Actor,
    device: Device,
    elder: Elder,
    home_address: str,
    at: datetime.datetime,
    previous: DeviceBinding | None,
    reason: str,
) -> DeviceBinding:
    address = (home_address or "").strip() or elder.address
    if len(address) > 200:
        raise ValidationError({"home_address": _("At most %(limit)d characters.") % {"limit": 200}})
    binding = DeviceBinding.objects.create(
        device=device,
        elder=elder,
        home_address=address,
        bound_at=at,
        bound_by_username=str(getattr(actor, "username", ""))[:150],
    )
    device.elder = elder
    device.home_address = address
    device.community_id = elder.community_id
    device.division_code = elder.division_code
    device.status = DeviceStatus.ACTIVE
    device.door_open_since = None
    device.save()
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=device,
        division_code=device.division_code,
        changes={
            "elder": [
                str(previous.elder.external_id) if previous else None,
                str(elder.external_id),
            ],
            "home_address": [previous.home_address if previous else None, address],
            **({"reason": reason[:200]} if reason else {}),
        },
    )
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
            {
                "device": _(
                    "The device is bound to %(name)s since %(date)s: unbind it first, or rebind it."
                )
                % {"name": current.elder.name, "date": current.bound_at.date().isoformat()}
            }
        )
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
        actor=actor,
        action=AuditAction.UPDATE,
        obj=device,
        division_code=device.division_code,
        changes={"elder": [str(current.elder.external_id), None], "reason": reason},
    )
    return device


# --------------------------------------------------------------------------------------------
# Ingestion: the hot path lives in yiyang.devices.ingest (parsing, decoding, COPY, state).

FLOOD_GATE = ingest.FLOOD_GATE
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


# --------------------------------------------------------------------------------------------
# HTTP callbacks of vendor clouds


def callback_signature(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over ``<timestamp>.<body>``, hex: what a vendor sends and we check."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def callback_verify(
    *,
    vendor: str,
    timestamp: str,
    signature: str,
    body: bytes,
    now: datetime.datetime | None = None,
) -> None:
    """Check a vendor callback's signature, timestamp and that it was not seen before;
    remember its signature for the replay window. Raises :class:`DecodeError`."""
    now = now or clock.now()
    secret = settings.DEVICE_VENDOR_SECRETS.get(vendor)
    if not secret or vendor not in DECODERS:
        raise DecodeError(RejectReason.BAD_SIGNATURE, "X-Yiyang-Vendor", "unknown vendor")
    try:
        signed_at = datetime.datetime.fromtimestamp(int(timestamp), tz=datetime.UTC)
    except (ValueError, TypeError, OverflowError, OSError):
        raise DecodeError(
            RejectReason.MISSING_FIELD, "X-Yiyang-Timestamp", "epoch seconds required"
        ) from None
    expected = callback_signature(secret, timestamp, body)
    if not hmac.compare_digest(expected, (signature or "").strip().lower()):
        raise DecodeError(RejectReason.BAD_SIGNATURE, "X-Yiyang-Signature", "signature mismatch")
    window = datetime.timedelta(seconds=settings.DEVICE_CALLBACK_WINDOW_SECONDS)
    if signed_at > now + window:
        raise DecodeError(
            RejectReason.FUTURE_TIMESTAMP, "X-Yiyang-Timestamp", "timestamp lies in the future"
        )
    if signed_at < now - window:
        raise DecodeError(
            RejectReason.STALE_TIMESTAMP,
            "X-Yiyang-Timestamp",
            "timestamp outside the replay window",
        )
    with transaction.atomic():
        CallbackNonce.objects.filter(signed_at__lt=now - 2 * window).delete()
        try:
            with transaction.atomic():
                CallbackNonce.objects.create(vendor=vendor, signature=expected, signed_at=signed_at)
        except IntegrityError:
            raise DecodeError(
                RejectReason.REPLAYED, "X-Yiyang-Signature", "this request was received before"
            ) from None


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


def rejected_messages_prune(*, now: datetime.datetime | None = None) -> int:
    """Drop rejected messages older than ``DEVICE_REJECTED_KEEP_DAYS`` (the counts stay)."""
    now = now or clock.now()
    cut = now - datetime.timedelta(days=settings.DEVICE_REJECTED_KEEP_DAYS)
    deleted, _by_model = RejectedMessage.objects.filter(received_at__lt=cut).delete()
    return deleted


# --------------------------------------------------------------------------------------------
# Rejected messages: their raw bytes, for diagnosis


def readable_bytes(raw: bytes) -> str:
    """Bytes as a person can read them: UTF-8 where it decodes, every other byte and every
    control character (NUL, escape…) as ``\\xNN``; line breaks and tabs kept."""
    text = raw.decode("utf-8", "backslashreplace")
    return "".join(
        ch if ch in "\n\t" or (ord(ch) >= 0x20 and ord(ch) != 0x7F) else f"\\x{ord(ch):02x}"
        for ch in text
    )


def rejected_raw_reveal(
    *, actor: Actor, rejection: Rejection, messages: Sequence[RejectedMessage]
) -> list[dict[str, Any]]:
    """The messages' raw bytes unsealed for someone diagnosing a device (a payload may
    carry vital signs, so each reveal is in the audit log, like any full view)."""
    require_perm(actor, Permission.MANAGE_DEVICES)
    if rejection.device is not None:
        _require_device_in_scope(actor, rejection.device)
    shown = []
    for message in messages:
        try:
            raw = crypto.decrypt_bytes(message.raw_sealed.encode("ascii"))
            text, readable = readable_bytes(raw), True
        except (crypto.DecryptionError, UnicodeError):
            text, readable = "", False
        shown.append(
            {
                "message": message,
                "text": text,
                "readable": readable,
                "capped": message.size > settings.DEVICE_REJECTED_RAW_BYTES,
            }
        )
    audit_record(
        actor=actor,
        action=AuditAction.VIEW_SEALED,
        obj=rejection.device,
        object_type="devices.rejectedmessage",
        object_repr=rejection.device_key[:255],
        division_code=rejection.device.division_code if rejection.device else "",
        changes={"reason": rejection.reason, "messages": len(shown)},
    )
    return shown
