"""The device registry: registering a device and correcting its details, in the
actor's jurisdiction."""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from typing import Any, TypedDict

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from typing_extensions import Unpack

from yiyang.core.auditing import audit_change
from yiyang.core.choices import AuditAction
from yiyang.core.errors import reject_unknown_fields
from yiyang.core.models import Division
from yiyang.core.permissions import Actor, Permission, require_perm
from yiyang.devices import clock
from yiyang.devices.choices import DeviceKind
from yiyang.devices.decoders import DECODERS
from yiyang.devices.models import Device

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


class DeviceValues(TypedDict, total=False):
    """What :func:`device_update` accepts (``REGISTRY_FIELDS``); dates and intervals may
    come as text, as a spreadsheet gives them."""

    kind: str
    vendor: str
    model: str
    serial: str
    sim_iccid: str
    imei: str
    firmware: str
    installed_on: datetime.date | str | None
    heartbeat_interval_seconds: int | str


_ICCID = re.compile(r"\d{18,21}F?")


_SERIAL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]*")


EARLIEST_INSTALL = datetime.date(2000, 1, 1)


def _require_in_scope(actor: Actor, division_code: str) -> None:
    require_perm(actor, Permission.MANAGE_DEVICES)
    if not actor.scope.covers(division_code=division_code, organisation_id=None):
        raise ValidationError({"community": _("This community lies outside your jurisdiction.")})


def require_device_in_scope(actor: Actor, device: Device) -> None:
    require_perm(actor, Permission.MANAGE_DEVICES)
    if not actor.scope.covers(division_code=device.division_code, organisation_id=None):
        raise PermissionDenied(_("This device lies outside your jurisdiction."))


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _clean_registry(values: Mapping[str, Any], device: Device | None) -> dict[str, Any]:
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
    created = {**{k: _plain(v) for k, v in cleaned.items()}, "community": community.code}
    audit_change(actor, AuditAction.CREATE, device, created)
    return device


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime.date) else value


@transaction.atomic
def device_update(*, actor: Actor, device: Device, **values: Unpack[DeviceValues]) -> Device:
    """Correct a device's registry details (any of :data:`REGISTRY_FIELDS`); the audit log
    keeps who changed what from what to what."""
    require_device_in_scope(actor, device)
    reject_unknown_fields(values, REGISTRY_FIELDS)
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
    audit_change(actor, AuditAction.UPDATE, device, changes)
    return device
