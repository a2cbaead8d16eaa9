"""The device registry, bindings to elders and their homes, and every event devices send.

A device's ``external_id`` is its ``device_id`` on the wire (MQTT topic and HTTP payloads).
Every accepted event is stored as a :class:`DeviceEvent` before it is acknowledged; the pair
(device, vendor message id) is unique, which is what makes at-least-once delivery safe.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yiyang.core.crypto import PartlySealedJSONField, seal_parts
from yiyang.core.model_mixins import (
    optional_coordinate,
    optional_link,
    scope_code,
    status_field,
    username_copy,
)
from yiyang.core.models import BaseModel, Division
from yiyang.devices.choices import DeviceKind, DeviceStatus, EventType, RejectReason, Via
from yiyang.elders.models import Elder


class Device(BaseModel):
    kind = models.CharField(_("kind"), max_length=16, choices=DeviceKind.choices)
    # The registered decoder that reads this device's payloads (yiyang.devices.decoders).
    vendor = models.CharField(_("vendor"), max_length=32)
    model = models.CharField(_("model"), max_length=64, blank=True)
    serial = models.CharField(_("serial number"), max_length=64)
    sim_iccid = models.CharField(_("SIM ICCID"), max_length=22, blank=True)
    imei = models.CharField(_("IMEI"), max_length=17, blank=True)
    firmware = models.CharField(_("firmware"), max_length=32, blank=True)
    installed_on = models.DateField(_("installed on"), null=True, blank=True)
    status = status_field(DeviceStatus.IN_STOCK, max_length=16)
    # The community whose stock the device belongs to, then the bound elder's community:
    # jurisdiction scope is one prefix match on the copied code.
    community = models.ForeignKey(
        Division, verbose_name=_("community"), on_delete=models.PROTECT, related_name="+"
    )
    division_code = scope_code()
    elder = optional_link(Elder, _("elder"), related_name="devices")
    home_address = models.CharField(_("home address"), max_length=200, blank=True)
    heartbeat_interval_seconds = models.PositiveIntegerField(
        _("heartbeat interval (seconds)"), default=300
    )
    battery_percent = models.PositiveSmallIntegerField(_("battery (%)"), null=True, blank=True)
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True)
    # State the time-based rules read (kept here so that they need no event scan).
    last_motion_at = models.DateTimeField(null=True, blank=True)
    door_open_since = models.DateTimeField(null=True, blank=True)
    last_lat = optional_coordinate()
    last_lng = optional_coordinate()

    class Meta:
        ordering = ["division_code", "kind", "serial"]
        verbose_name = _("device")
        verbose_name_plural = _("devices")
        constraints = [
            models.UniqueConstraint(fields=["vendor", "serial"], name="device_vendor_serial"),
            # One device per IMEI and per SIM card (the registry refuses duplicates first,
            # with a clearer message; these guard against two registrations at once).
            models.UniqueConstraint(
                fields=["imei"], condition=~Q(imei=""), name="device_imei_once"
            ),
            models.UniqueConstraint(
                fields=["sim_iccid"], condition=~Q(sim_iccid=""), name="device_sim_once"
            ),
        ]
        indexes = [
            models.Index(fields=["division_code", "kind"], name="device_division_kind"),
            models.Index(
                fields=["last_seen_at"], name="device_bound_seen", condition=Q(elder__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.serial}"


class DeviceBinding(BaseModel):
    """Which elder (and home) a device served, from when to when: the binding history."""

    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="bindings")
    elder = models.ForeignKey(Elder, on_delete=models.PROTECT, related_name="+")
    home_address = models.CharField(_("home address"), max_length=200, blank=True)
    bound_at = models.DateTimeField(_("bound at"))
    unbound_at = models.DateTimeField(_("unbound at"), null=True, blank=True)
    bound_by_username = username_copy()
    unbound_by_username = username_copy()
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["device", "-bound_at", "-id"]
        verbose_name = _("device binding")
        verbose_name_plural = _("device bindings")
        constraints = [
            models.UniqueConstraint(
                fields=["device"], condition=Q(unbound_at__isnull=True), name="device_one_binding"
            )
        ]

    def __str__(self) -> str:
        return f"{self.device_id} -> {self.elder_id}"


# The members of a decoded payload that are health data: encrypted at rest, together, under
# one key of the stored JSON; the rest (battery, position, door, presence) stays plain.
HEALTH_PAYLOAD_KEYS = ("heart_rate", "spo2")


def event_data_stored(data: dict[str, Any]) -> dict[str, Any]:
    """The stored form of a decoded payload (its health members sealed). Writers that bypass
    the ORM (the ingest's COPY and multi-row INSERT) store this; reading the field opens it."""
    return seal_parts(data, HEALTH_PAYLOAD_KEYS)


class DeviceEvent(models.Model):
    """One accepted message, exactly as decoded, stored before it is acknowledged (its
    health members encrypted: ``HEALTH_PAYLOAD_KEYS``)."""

    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="events")
    msg_id = models.CharField(max_length=64)
    type = models.CharField(max_length=16, choices=EventType.choices)
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField()
    via = models.CharField(max_length=8, choices=Via.choices)
    data = PartlySealedJSONField(default=dict, blank=True, sealed_keys=HEALTH_PAYLOAD_KEYS)
    # The elder the device served when the event arrived (bindings change).
    elder = models.ForeignKey(Elder, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["device", "msg_id"], name="device_event_once")
        ]
        indexes = [models.Index(fields=["device", "-occurred_at"], name="device_event_recent")]

    def __str__(self) -> str:
        return f"{self.device_id} {self.type} {self.msg_id}"


class Rejection(models.Model):
    """Counted rejections per device (or unknown device id) and reason, with the last one."""

    device_key = models.CharField(max_length=64)  # the device id as sent (may be unknown)
    device = models.ForeignKey(Device, null=True, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=24, choices=RejectReason.choices)
    count = models.PositiveIntegerField(default=0)
    # Rejections since ``window_started_at``: a persistent bad stream raises an alert.
    window_count = models.PositiveIntegerField(default=0)
    window_started_at = models.DateTimeField()
    first_at = models.DateTimeField()
    last_at = models.DateTimeField()
    last_detail = models.CharField(max_length=300, blank=True)
    via = models.CharField(max_length=8, choices=Via.choices)

    class Meta:
        ordering = ["-last_at"]
        constraints = [
            models.UniqueConstraint(fields=["device_key", "reason"], name="rejection_once")
        ]

    def __str__(self) -> str:
        return f"{self.device_key} {self.reason} x{self.count}"


class RejectedMessage(models.Model):
    """One rejected message: why, and its raw bytes (capped at
    ``DEVICE_REJECTED_RAW_BYTES``, sealed like health data: a payload may carry vital
    signs) for diagnosis. Every message ends as exactly one event or one of these; kept
    for ``DEVICE_REJECTED_KEEP_DAYS``."""

    SEALED_FIELDS = ("raw_sealed",)

    device_key = models.CharField(max_length=64)  # the device id as sent, printable only
    device = models.ForeignKey(Device, null=True, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=24, choices=RejectReason.choices)
    field = models.CharField(max_length=64, blank=True)
    detail = models.CharField(max_length=300, blank=True)
    msg_id = models.CharField(max_length=64, blank=True)
    via = models.CharField(max_length=8, choices=Via.choices)
    received_at = models.DateTimeField(db_index=True)
    size = models.PositiveIntegerField(default=0)  # bytes as received, before the cap
    raw_sealed = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["device_key", "-received_at"], name="rejected_by_key")]

    def __str__(self) -> str:
        return f"{self.device_key} {self.reason}"


class CallbackNonce(models.Model):
    """Signatures of accepted HTTP callbacks inside the replay window (pruned after it)."""

    vendor = models.CharField(max_length=32)
    signature = models.CharField(max_length=64, unique=True)
    signed_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.vendor} {self.signature[:8]}"


class GatewayBeat(models.Model):
    """The last sign of life of each ingestion process and what it has done since start."""

    name = models.CharField(max_length=100, unique=True)
    beat_at = models.DateTimeField()
    started_at = models.DateTimeField()
    connected = models.BooleanField(default=False)
    accepted = models.PositiveBigIntegerField(default=0)
    duplicates = models.PositiveBigIntegerField(default=0)
    rejected = models.PositiveBigIntegerField(default=0)
    # The error standing now ("" once its cause went away) and since when.
    last_error = models.CharField(max_length=300, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name


class GatewayError(models.Model):
    """The history of an ingestion process's errors: when each arose and when it cleared."""

    name = models.CharField(max_length=100)
    error = models.CharField(max_length=300)
    started_at = models.DateTimeField()
    cleared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["name", "-started_at"], name="gateway_error_recent")]

    def __str__(self) -> str:
        return f"{self.name} {self.error[:40]}"
