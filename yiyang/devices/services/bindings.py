"""Binding a device to an elder and a home, rebinding and unbinding it, with history."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from yiyang.core.auditing import audit_change
from yiyang.core.choices import AuditAction
from yiyang.core.permissions import Actor
from yiyang.devices import clock
from yiyang.devices.choices import DeviceStatus
from yiyang.devices.models import Device, DeviceBinding
from yiyang.devices.services.registry import require_device_in_scope
from yiyang.elders.choices import ElderStatus
from yiyang.elders.models import Elder

# An elder in one of these states cannot be given a device.
UNBINDABLE_ELDER_STATUSES = (ElderStatus.DECEASED, ElderStatus.DUPLICATE, ElderStatus.MOVED_OUT)


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
    changes = {
        "elder": [str(previous.elder.external_id) if previous else None, str(elder.external_id)],
        "home_address": [previous.home_address if previous else None, address],
        **({"reason": reason[:200]} if reason else {}),
    }
    _save_device(actor, device, DeviceStatus.ACTIVE, changes)
    return binding


def _save_device(actor: Actor, device: Device, status: str, changes: dict[str, Any]) -> None:
    """Save a device whose binding changed: its new status, no door left open (a door
    sensor's state belongs to the home it watched), and the audit row."""
    device.status = status
    device.door_open_since = None
    device.save()
    audit_change(actor, AuditAction.UPDATE, device, changes)


def _locked(device: Device) -> tuple[Device, DeviceBinding | None]:
    """The device locked for this transaction, and its binding in force (with its elder)."""
    device = Device.objects.select_for_update().get(pk=device.pk)
    current = device.bindings.select_related("elder").filter(unbound_at__isnull=True).first()
    return device, current


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
    require_device_in_scope(actor, device)
    at = at or clock.now()
    device, current = _locked(device)
    elder = _check_bindable(actor, device, elder)
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
    require_device_in_scope(actor, device)
    at = at or clock.now()
    device, current = _locked(device)
    elder = _check_bindable(actor, device, elder)
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
    require_device_in_scope(actor, device)
    device, current = _locked(device)
    if current is None:
        raise ValidationError({"device": _("The device is not bound to anyone.")})
    reason = (reason or "").strip()
    if len(reason) > 200:
        raise ValidationError({"reason": _("At most %(limit)d characters.") % {"limit": 200}})
    _end_binding(actor, device, current, reason, at or clock.now())
    device.elder = None
    changes = {"elder": [str(current.elder.external_id), None], "reason": reason}
    _save_device(actor, device, DeviceStatus.IN_STOCK, changes)
    return device
