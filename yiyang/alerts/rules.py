"""The rules: which device events and which silences become alerts. Pure decisions over
values (the services load the rows and write the alerts), so each rule is tested alone."""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext as _

from yiyang.alerts.choices import AlertKind
from yiyang.devices.choices import EventType

EVENT_KINDS: dict[str, str] = {
    EventType.SOS: AlertKind.SOS,
    EventType.FALL: AlertKind.FALL,
    EventType.SMOKE: AlertKind.SMOKE,
    EventType.GAS: AlertKind.GAS,
    EventType.REMOVED: AlertKind.DEVICE_REMOVED,
}
# The thresholds an elder's settings may override, each with its plausible range
# (inclusive): a value outside it is a typing error, not a care decision.
THRESHOLD_RANGES: dict[str, tuple[int, int]] = {
    "heart_rate_low": (30, 100),
    "heart_rate_high": (80, 220),
    "spo2_low": (70, 99),
    "sustained_seconds": (30, 3600),
    "no_motion_hours": (1, 16),
    "day_starts_hour": (0, 23),
    "day_ends_hour": (1, 24),
    "door_open_minutes": (1, 240),
    "safe_zone_metres": (50, 50000),
}
OVERRIDABLE = tuple(THRESHOLD_RANGES)


@dataclass(frozen=True)
class Trigger:
    kind: str
    detail: str
    # Events with the same key while an alert is active join it.
    dedupe_key: str


def thresholds(division_code: str, overrides: Any = None) -> dict[str, int]:
    """City defaults (settings), the city's own values, then the elder's overrides."""
    values = dict(settings.ALERT_THRESHOLDS)
    values.update(settings.ALERT_CITY_THRESHOLDS.get(division_code[:4], {}))
    if overrides is not None:
        for name in OVERRIDABLE:
            value = getattr(overrides, name, None)
            if value is not None:
                values[name] = value
    return values


def threshold_problems(values: dict[str, int], given: set[str]) -> dict[str, str]:
    """What is wrong with a set of effective thresholds taken together (each value already
    in its range); each problem is reported on a field the caller ``given``."""
    problems: dict[str, str] = {}

    def report(message: str, *fields: str) -> None:
        for name in fields:
            if name in given:
                problems.setdefault(name, message)
                return
        problems.setdefault(fields[0], message)

    low, high = values["heart_rate_low"], values["heart_rate_high"]
    if low >= high:
        report(
            _("The heart-rate lower limit (%(low)d) must be below the upper limit (%(high)d).")
            % {"low": low, "high": high},
            "heart_rate_low",
            "heart_rate_high",
        )
    starts, ends = values["day_starts_hour"], values["day_ends_hour"]
    if starts >= ends:
        report(
            _("The day must start (%(starts)d h) before it ends (%(ends)d h).")
            % {"starts": starts, "ends": ends},
            "day_starts_hour",
            "day_ends_hour",
        )
    elif ends - starts >= 24:
        report(
            _("A day of 24 hours leaves no night for the door rule."),
            "day_starts_hour",
            "day_ends_hour",
        )
    elif values["no_motion_hours"] > ends - starts:
        report(
            _("%(hours)d hours without motion never fit in a day of %(day)d hours.")
            % {"hours": values["no_motion_hours"], "day": ends - starts},
            "no_motion_hours",
            "day_starts_hour",
            "day_ends_hour",
        )
    return problems


def event_trigger(
    *, device_id: str, event_type: str, data: dict[str, Any], limits: dict[str, int]
) -> Trigger | None:
    """The alert one event raises by itself (alarms, removal, low battery), if any."""
    kind = EVENT_KINDS.get(event_type)
    if kind is not None:
        return Trigger(kind, _describe(event_type, data), f"device:{device_id}:{kind}")
    battery = data.get("battery")
    if battery is not None and battery <= limits["low_battery_percent"]:
        return Trigger(
            AlertKind.LOW_BATTERY,
            _("Battery at %(percent)d%%") % {"percent": battery},
            f"device:{device_id}:{AlertKind.LOW_BATTERY}",
        )
    return None


def _describe(event_type: str, data: dict[str, Any]) -> str:
    parts = [str(EventType(event_type).label)]
    if data.get("lat") is not None:
        parts.append(f"{data['lat']:.5f},{data['lng']:.5f}")
    if data.get("ppm") is not None:
        parts.append(f"{data['ppm']:g} ppm")
    return " · ".join(parts)


def vital_out_of_range(metric: str, value: float, limits: dict[str, int]) -> bool:
    if metric == "heart_rate":
        return not limits["heart_rate_low"] <= value <= limits["heart_rate_high"]
    return value < limits["spo2_low"]


def vitals_trigger(
    *,
    elder_id: str,
    metric: str,
    value: float,
    since: datetime.datetime,
    at: datetime.datetime,
    limits: dict[str, int],
) -> Trigger | None:
    """A vital sign out of range continuously from ``since`` to ``at``, long enough."""
    if (at - since).total_seconds() < limits["sustained_seconds"]:
        return None
    minutes = int((at - since).total_seconds() // 60)
    if metric == "heart_rate":
        kind = AlertKind.HEART_RATE
        detail = _("Heart rate %(value)d/min for %(minutes)d min (range %(low)d–%(high)d)") % {
            "value": value,
            "minutes": minutes,
            "low": limits["heart_rate_low"],
            "high": limits["heart_rate_high"],
        }
    else:
        kind = AlertKind.SPO2
        detail = _("SpO2 %(value)d%% for %(minutes)d min (below %(low)d%%)") % {
            "value": value,
            "minutes": minutes,
            "low": limits["spo2_low"],
        }
    return Trigger(kind, detail, f"elder:{elder_id}:{kind}")


def distance_metres(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance (haversine)."""
    r = 6371000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def safe_zone_trigger(
    *,
    elder_id: str,
    home: tuple[float, float] | None,
    lat: float,
    lng: float,
    limits: dict[str, int],
) -> Trigger | None:
    if home is None:
        return None
    distance = distance_metres(home[0], home[1], lat, lng)
    if distance <= limits["safe_zone_metres"]:
        return None
    return Trigger(
        AlertKind.LEFT_SAFE_ZONE,
        _("%(distance)d m from home (safe zone %(radius)d m)")
        % {"distance": distance, "radius": limits["safe_zone_metres"]},
        f"elder:{elder_id}:{AlertKind.LEFT_SAFE_ZONE}",
    )


def _local(at: datetime.datetime) -> datetime.datetime:
    return at.astimezone(ZoneInfo(str(settings.TIME_ZONE)))


def is_daytime(at: datetime.datetime, limits: dict[str, int]) -> bool:
    hour = _local(at).hour
    return limits["day_starts_hour"] <= hour < limits["day_ends_hour"]


def daytime_seconds_between(
    start: datetime.datetime, end: datetime.datetime, limits: dict[str, int]
) -> float:
    """How much of [start, end) falls in the daytime hours (local time)."""
    if end <= start:
        return 0.0
    total = 0.0
    local_start, local_end = _local(start), _local(end)
    day = local_start.date()
    while day <= local_end.date():
        tz = local_start.tzinfo
        opens = datetime.datetime.combine(day, datetime.time(limits["day_starts_hour"]), tz)
        closes = datetime.datetime.combine(day, datetime.time(0), tz) + datetime.timedelta(
            hours=limits["day_ends_hour"]
        )
        overlap = (min(closes, local_end) - max(opens, local_start)).total_seconds()
        total += max(overlap, 0.0)
        day += datetime.timedelta(days=1)
    return total


def no_motion_trigger(
    *,
    elder_id: str,
    last_motion: datetime.datetime,
    now: datetime.datetime,
    limits: dict[str, int],
) -> Trigger | None:
    """No movement at home for N daytime hours (nights do not count: the elder sleeps)."""
    if not is_daytime(now, limits):
        return None
    quiet = daytime_seconds_between(last_motion, now, limits)
    if quiet < limits["no_motion_hours"] * 3600:
        return None
    return Trigger(
        AlertKind.NO_MOTION,
        _("No movement for %(hours).1f daytime hours (since %(since)s)")
        % {"hours": quiet / 3600, "since": _local(last_motion).strftime("%m-%d %H:%M")},
        f"elder:{elder_id}:{AlertKind.NO_MOTION}",
    )


def door_trigger(
    *,
    device_id: str,
    open_since: datetime.datetime,
    now: datetime.datetime,
    limits: dict[str, int],
) -> Trigger | None:
    """The door open for N minutes while it is night."""
    if is_daytime(now, limits):
        return None
    minutes = (now - open_since).total_seconds() / 60
    if minutes < limits["door_open_minutes"]:
        return None
    return Trigger(
        AlertKind.DOOR_OPEN_NIGHT,
        _("Door open for %(minutes)d min at night") % {"minutes": minutes},
        f"device:{device_id}:{AlertKind.DOOR_OPEN_NIGHT}",
    )


def silence_trigger(
    *,
    device_id: str,
    last_seen: datetime.datetime,
    interval_seconds: int,
    now: datetime.datetime,
    limits: dict[str, int],
) -> Trigger | None:
    """No message for the given number of heartbeat intervals."""
    allowed = interval_seconds * limits["missed_heartbeats"]
    silent = (now - last_seen).total_seconds()
    if silent < allowed:
        return None
    return Trigger(
        AlertKind.DEVICE_SILENT,
        _("No message for %(minutes)d min (heartbeat every %(interval)d s)")
        % {"minutes": silent // 60, "interval": interval_seconds},
        f"device:{device_id}:{AlertKind.DEVICE_SILENT}",
    )
