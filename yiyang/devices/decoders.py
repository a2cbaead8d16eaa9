"""Vendor payload formats as registered decoders: a new vendor is a new class here (or in a
plug-in module that registers one), never a new branch in the ingestion service.

A decoder turns one vendor payload (already parsed JSON) into a :class:`Reading` in Yiyang's
own terms, or raises :class:`DecodeError` naming the reason and the field.
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from yiyang.devices.choices import EventType, RejectReason

# Plausible ranges: values outside them are sensor faults or forgeries, not emergencies.
RANGES: dict[str, tuple[float, float]] = {
    "heart_rate": (20, 250),
    "spo2": (50, 100),
    "battery": (0, 100),
    "lat": (-90, 90),
    "lng": (-180, 180),
    "ppm": (0, 100000),
}


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def printable(value: Any, limit: int | None = None) -> str:
    """``value`` as text without control characters (NUL included) or lone surrogates,
    cut to ``limit`` characters: safe for any text column and any log."""
    text = _CONTROL.sub("\ufffd", value if isinstance(value, str) else str(value))
    return text if limit is None else text[:limit]


class DecodeError(Exception):
    def __init__(self, reason: str, field: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Reading:
    msg_id: str
    type: str
    occurred_at: datetime.datetime
    data: dict[str, Any] = field(default_factory=dict)


class Decoder:
    """Base class: subclasses set ``vendor`` and implement :meth:`decode`."""

    vendor: ClassVar[str]

    def decode(self, payload: Any) -> Reading:  # pragma: no cover - abstract
        raise NotImplementedError


DECODERS: dict[str, Decoder] = {}


def register(cls: type[Decoder]) -> type[Decoder]:
    DECODERS[cls.vendor] = cls()
    return cls


def decoder_for(vendor: str) -> Decoder:
    try:
        return DECODERS[vendor]
    except KeyError:
        raise DecodeError(
            RejectReason.UNKNOWN_DEVICE, "vendor", f"no decoder for {vendor!r}"
        ) from None


def parse_timestamp(value: Any, *, name: str = "ts", scale: float = 1.0) -> datetime.datetime:
    """ISO 8601 (with an offset; a naive one is read in the server's time zone) or epoch
    seconds (``scale`` converts other units, e.g. 0.001 for milliseconds)."""
    if isinstance(value, bool) or value is None or value == "":
        raise DecodeError(RejectReason.MISSING_FIELD, name, f"{name} is required")
    if isinstance(value, int | float):
        seconds = float(value) * scale
        if not math.isfinite(seconds) or not 0 < seconds < 4102444800:  # before 2100
            raise DecodeError(RejectReason.INVALID_VALUE, name, f"{name} {value!r} is not a time")
        return datetime.datetime.fromtimestamp(seconds, tz=datetime.UTC)
    if isinstance(value, str):
        try:
            parsed = parse_datetime(value.strip())
        except ValueError:
            parsed = None
        if parsed is None:
            try:
                return parse_timestamp(float(value), name=name, scale=scale)
            except (ValueError, DecodeError):
                pass
            raise DecodeError(
                RejectReason.INVALID_VALUE, name, f"{name} {value[:40]!r} is not ISO 8601"
            )
        if timezone.is_naive(parsed):
            parsed = timezone.make_aware(parsed)
        return parsed
    raise DecodeError(RejectReason.INVALID_VALUE, name, f"{name} must be a string or a number")


def number(
    payload: dict[str, Any], key: str, *, name: str | None = None, required: bool = False
) -> float | None:
    """A numeric field within its plausible range (``RANGES[name]``), or None when absent."""
    name = name or key
    value = payload.get(key)
    if value is None:
        if required:
            raise DecodeError(RejectReason.MISSING_FIELD, key, f"{key} is required")
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise DecodeError(RejectReason.INVALID_VALUE, key, f"{key} must be a number")
    low, high = RANGES[name]
    if not low <= value <= high:
        raise DecodeError(
            RejectReason.INVALID_VALUE, key, f"{key} {value} is outside {low:g}..{high:g}"
        )
    return float(value)


def boolean(payload: dict[str, Any], key: str) -> bool:
    value = payload.get(key)
    if not isinstance(value, bool):
        reason = RejectReason.MISSING_FIELD if value is None else RejectReason.INVALID_VALUE
        raise DecodeError(reason, key, f"{key} must be true or false")
    return value


def message_id(value: Any, key: str = "msg_id") -> str:
    if isinstance(value, bool) or value is None or value == "":
        raise DecodeError(RejectReason.MISSING_FIELD, key, f"{key} is required")
    if not isinstance(value, str | int):
        raise DecodeError(RejectReason.INVALID_VALUE, key, f"{key} must be a string or integer")
    text = str(value)
    if len(text) > 64:
        raise DecodeError(RejectReason.INVALID_VALUE, key, f"{key} is longer than 64 characters")
    if printable(text) != text:
        raise DecodeError(RejectReason.INVALID_VALUE, key, f"{key} holds control characters")
    return text


def _vitals(p: dict[str, Any]) -> dict[str, Any]:
    data = {
        name: value for name in ("heart_rate", "spo2") if (value := number(p, name)) is not None
    }
    if not data:
        raise DecodeError(RejectReason.MISSING_FIELD, "heart_rate", "heart_rate or spo2 needed")
    return data


def _location(p: dict[str, Any], *, required: bool) -> dict[str, Any]:
    lat, lng = number(p, "lat", required=required), number(p, "lng", required=required)
    if (lat is None) != (lng is None):
        raise DecodeError(
            RejectReason.MISSING_FIELD, "lng" if lng is None else "lat", "lat and lng come together"
        )
    return {"lat": lat, "lng": lng} if lat is not None else {}


# The fields each event type carries in Yiyang's own format, validated.
TYPE_FIELDS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    EventType.SOS: lambda p: _location(p, required=False),
    EventType.FALL: lambda p: _location(p, required=False),
    EventType.SMOKE: lambda p: {"ppm": v} if (v := number(p, "ppm")) is not None else {},
    EventType.GAS: lambda p: {"ppm": v} if (v := number(p, "ppm")) is not None else {},
    EventType.HEARTBEAT: lambda p: {},
    EventType.VITALS: _vitals,
    EventType.MOTION: lambda p: {},
    EventType.DOOR: lambda p: {"open": boolean(p, "open")},
    EventType.BATTERY: lambda p: {"battery": number(p, "battery", required=True)},
    EventType.LOCATION: lambda p: _location(p, required=True),
    EventType.REMOVED: lambda p: {},
    EventType.BED: lambda p: {"present": boolean(p, "present")},
}


def typed_reading(
    *,
    msg_id: str,
    type_: Any,
    ts: datetime.datetime,
    fields: dict[str, Any],
    type_key: str = "type",
) -> Reading:
    if not isinstance(type_, str) or type_ not in TYPE_FIELDS:
        raise DecodeError(
            RejectReason.UNKNOWN_TYPE, type_key, f"unknown type {printable(type_, 32)!r}"
        )
    data = TYPE_FIELDS[type_](fields)
    battery = number(fields, "battery")
    if battery is not None:
        data["battery"] = battery
    return Reading(msg_id=msg_id, type=str(type_), occurred_at=ts, data=data)


def _require_object(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise DecodeError(RejectReason.MALFORMED, "payload", "the payload must be a JSON object")
    return payload


@register
class YiyangDecoder(Decoder):
    """Yiyang's own format (the published MQTT interface): ``msg_id``, ``type``, ``ts`` (ISO
    8601 or epoch seconds) and the type's fields at the top level."""

    vendor = "yiyang"

    def decode(self, payload: Any) -> Reading:
        p = _require_object(payload)
        return typed_reading(
            msg_id=message_id(p.get("msg_id")),
            type_=p.get("type"),
            ts=parse_timestamp(p.get("ts")),
            fields=p,
        )


@register
class AnxinDecoder(Decoder):
    """A vendor cloud's format: ``seq``, event code ``evt``, ``time`` in epoch milliseconds,
    fields under ``data`` with the vendor's names (``hr``, ``bo``, ``bat``)."""

    vendor = "anxin"
    CODES: ClassVar[dict[str, str]] = {
        "SOS_ALARM": EventType.SOS,
        "FALL_ALARM": EventType.FALL,
        "SMOKE_ALARM": EventType.SMOKE,
        "GAS_ALARM": EventType.GAS,
        "HB": EventType.HEARTBEAT,
        "HEALTH": EventType.VITALS,
        "PIR": EventType.MOTION,
        "DOOR": EventType.DOOR,
        "POWER": EventType.BATTERY,
        "GPS": EventType.LOCATION,
        "TAKE_OFF": EventType.REMOVED,
    }
    NAMES: ClassVar[dict[str, str]] = {
        "hr": "heart_rate",
        "bo": "spo2",
        "bat": "battery",
        "la": "lat",
        "lo": "lng",
        "opened": "open",
    }

    def decode(self, payload: Any) -> Reading:
        p = _require_object(payload)
        data = p.get("data") or {}
        if not isinstance(data, dict):
            raise DecodeError(RejectReason.INVALID_VALUE, "data", "data must be an object")
        fields = {self.NAMES.get(str(key), str(key)): value for key, value in data.items()}
        code = p.get("evt")
        return typed_reading(
            msg_id=message_id(p.get("seq"), "seq"),
            type_=self.CODES.get(code, code) if isinstance(code, str) else code,
            ts=parse_timestamp(p.get("time"), name="time", scale=0.001),
            fields=fields,
            type_key="evt",
        )
