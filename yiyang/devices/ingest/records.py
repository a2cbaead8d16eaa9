"""The records of the ingestion path: a message as it arrived, its outcome, a stored
event, a device as ingestion reads it, its pending state and a batch's result."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from yiyang.devices.choices import Via
from yiyang.devices.decoders import DecodeError, Reading
from yiyang.devices.models import Device


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
