"""Realistic device traffic for the demo and the benchmark: heartbeats, vitals (now and then
out of range), motion, door, battery, rare SOS and falls, and some devices falling silent.
Sends over MQTT (QoS 1, the published topic scheme) or as signed HTTP callbacks."""

from __future__ import annotations

import json
import random
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from yiyang.devices.services import callback_signature

# What each kind of device sends besides heartbeats (type, share of its messages).
MIX: dict[str, list[tuple[str, float]]] = {
    "pendant": [("battery", 0.02), ("location", 0.05)],
    "watch": [("vitals", 0.5), ("location", 0.1), ("battery", 0.02)],
    "motion": [("motion", 0.7)],
    "door": [("door", 0.3)],
    "bed": [("bed", 0.3)],
}
ALARMS = {"pendant": ["sos"], "watch": ["sos", "sos", "fall"], "smoke": ["smoke"], "gas": ["gas"]}
# A vendor's own format (see yiyang.devices.decoders): Yiyang's is the payload as made.
ANXIN_CODES = {
    "sos": "SOS_ALARM",
    "fall": "FALL_ALARM",
    "smoke": "SMOKE_ALARM",
    "gas": "GAS_ALARM",
    "heartbeat": "HB",
    "vitals": "HEALTH",
    "motion": "PIR",
    "door": "DOOR",
    "battery": "POWER",
    "location": "GPS",
    "removed": "TAKE_OFF",
}
ANXIN_NAMES = {
    "heart_rate": "hr",
    "spo2": "bo",
    "battery": "bat",
    "lat": "la",
    "lng": "lo",
    "open": "opened",
}


@dataclass
class SimDevice:
    device_id: str
    kind: str
    vendor: str = "yiyang"
    home: tuple[float, float] | None = None  # location events only when the home is known
    silent: bool = False
    seq: int = 0


@dataclass
class Sent:
    total: int = 0
    by_type: dict[str, int] = field(default_factory=dict)
    alarms: list[tuple[str, str, float]] = field(default_factory=list)  # device, msg_id, sent


def make_payload(
    device: SimDevice,
    rng: random.Random,
    *,
    alarm_probability: float,
    now: float,
    type_: str | None = None,
) -> dict[str, Any]:
    """One message of this device: an alarm now and then, otherwise what its kind sends."""
    device.seq += 1
    msg_id = f"sim-{int(now * 1000)}-{device.seq}"
    if type_ is None:
        alarms = ALARMS.get(device.kind)
        if alarms and rng.random() < alarm_probability:
            type_ = rng.choice(alarms)
        else:
            type_ = _pick(MIX.get(device.kind, []), rng.random())
    payload: dict[str, Any] = {"msg_id": msg_id, "type": type_, "ts": round(now, 3)}
    if type_ == "vitals":
        payload["heart_rate"] = int(rng.gauss(76, 9)) if rng.random() > 0.01 else 150
        payload["spo2"] = min(100, int(rng.gauss(97, 1.5)))
    elif type_ == "door":
        payload["open"] = rng.random() < 0.5
    elif type_ == "bed":
        payload["present"] = rng.random() < 0.7
    elif type_ == "location":
        if device.home is None:
            payload["type"] = "heartbeat"
        else:  # around home (some 200 m), now and then far away (a few km)
            spread = 0.03 if rng.random() < 0.01 else 0.002
            payload["lat"] = round(device.home[0] + rng.gauss(0, spread), 6)
            payload["lng"] = round(device.home[1] + rng.gauss(0, spread), 6)
    elif type_ == "battery":
        payload["battery"] = rng.randint(20, 100)
    elif type_ == "heartbeat" and device.kind in ("pendant", "watch"):
        payload["battery"] = rng.randint(30, 100)
    return payload


def in_vendor_format(device: SimDevice, payload: dict[str, Any]) -> dict[str, Any]:
    if device.vendor != "anxin":
        return payload
    data = {
        ANXIN_NAMES.get(k, k): v for k, v in payload.items() if k not in ("msg_id", "type", "ts")
    }
    return {
        "seq": payload["msg_id"],
        "evt": ANXIN_CODES[payload["type"]],
        "time": int(payload["ts"] * 1000),
        "data": data,
    }


def _pick(mix: list[tuple[str, float]], roll: float) -> str:
    acc = 0.0
    for name, share in mix:
        acc += share
        if roll < acc:
            return name
    return "heartbeat"


def topic_of(device_id: str) -> str:
    return f"yiyang/v1/devices/{device_id}/events"


class MqttSender:
    def __init__(self, url: str, client_id: str) -> None:
        from urllib.parse import urlparse

        import paho.mqtt.client as mqtt

        parsed = urlparse(url)
        self.client = mqtt.Client(
            callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=mqtt.MQTTv5,
        )
        self.client.max_inflight_messages_set(2000)
        self.client.max_queued_messages_set(0)
        self.client.connect(parsed.hostname or "127.0.0.1", parsed.port or 1883, keepalive=30)
        self.client.loop_start()

    def send(self, device_id: str, payload: dict[str, Any]) -> None:
        self.client.publish(topic_of(device_id), json.dumps(payload), qos=1)

    def close(self) -> None:
        time.sleep(0.5)
        self.client.disconnect()
        self.client.loop_stop()


class HttpSender:
    """Each vendor's cloud calls back with its own secret."""

    def __init__(self, url: str, secrets: dict[str, str], vendors: dict[str, str]) -> None:
        self.url = url.rstrip("/") + "/api/v1/device-events/"
        self.secrets, self.vendors = secrets, vendors

    def send(self, device_id: str, payload: dict[str, Any]) -> None:
        vendor = self.vendors.get(device_id, "yiyang")
        secret = self.secrets.get(vendor, "")
        body = json.dumps({"device_id": device_id, **payload}).encode()
        timestamp = str(int(time.time()))
        request = urllib.request.Request(  # noqa: S310 - the configured server's URL
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "X-Yiyang-Vendor": vendor,
                "X-Yiyang-Timestamp": timestamp,
                "X-Yiyang-Signature": callback_signature(secret, timestamp, body),
            },
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - our URL
            response.read()

    def close(self) -> None:
        return None


def simulate(
    *,
    devices: list[SimDevice],
    rate: float,
    duration: float,
    send: Callable[[str, dict[str, Any]], None],
    alarm_probability: float = 0.001,
    silent_fraction: float = 0.0,
    seed: int = 1,
    on_alarm: Callable[[str, str, float], None] | None = None,
    warm_up: bool = False,
) -> Sent:
    """Send ``rate`` messages a second spread over the devices for ``duration`` seconds.
    With ``warm_up``, every talking device first sends one heartbeat (switched on)."""
    rng = random.Random(seed)  # noqa: S311 - simulated traffic, not security
    for device in rng.sample(devices, int(len(devices) * silent_fraction)):
        device.silent = True
    talking = [d for d in devices if not d.silent] or devices
    rng.shuffle(talking)
    sent = Sent()
    if warm_up:
        for device in talking:
            first = "motion" if device.kind == "motion" else "heartbeat"
            payload = make_payload(device, rng, alarm_probability=0, now=time.time(), type_=first)
            send(device.device_id, in_vendor_format(device, payload))
            sent.total += 1
    start = time.monotonic()
    index, base = 0, sent.total
    while True:
        elapsed = time.monotonic() - start
        if elapsed >= duration:
            break
        due = base + int(elapsed * rate) + 1
        while sent.total < due:
            device = talking[index % len(talking)]
            index += 1
            payload = make_payload(
                device, rng, alarm_probability=alarm_probability, now=time.time()
            )
            send(device.device_id, in_vendor_format(device, payload))
            sent.total += 1
            sent.by_type[payload["type"]] = sent.by_type.get(payload["type"], 0) + 1
            if payload["type"] in ("sos", "fall"):
                sent.alarms.append((device.device_id, payload["msg_id"], time.time()))
                if on_alarm is not None:
                    on_alarm(device.device_id, payload["msg_id"], time.time())
        time.sleep(min(0.01, max(0.0, ((sent.total - base) / rate) - (time.monotonic() - start))))
    return sent
