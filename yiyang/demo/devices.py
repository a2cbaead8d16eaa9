"""Demo devices and alert history: pendants (and some watches of a second vendor, and home
sensors) bound to elders who live alone first, and three months of alerts answered, handled,
resolved and reviewed, all written through the same services and ingestion path as live
traffic (with the services' clock set to the past)."""

from __future__ import annotations

import datetime
import itertools
import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.db.models import Case, IntegerField, Value, When
from django.utils import timezone

from yiyang.accounts.models import User
from yiyang.alerts.choices import Outcome
from yiyang.alerts.models import Alert
from yiyang.alerts.services import (
    alert_acknowledge,
    alert_action_log,
    alert_raise,
    alert_resolve,
    alert_review,
    device_messages_ingest,
)
from yiyang.core.permissions import SystemActor
from yiyang.core.scoping import Scope
from yiyang.devices import clock
from yiyang.devices.models import Device
from yiyang.devices.services import Inbound, device_bind, device_register
from yiyang.elders.choices import LivingArrangement
from yiyang.elders.models import Elder

CITY_PREFIX = "4191"
HISTORY_DAYS = 90
# Kinds of past alerts and their weights (the rest of the mix of a real centre: mostly SOS
# presses, many of them accidental).
HISTORY_KINDS = [
    ("sos", 60),
    ("fall", 15),
    ("smoke", 4),
    ("gas", 2),
    ("removed", 10),
    ("battery", 9),
]
OUTCOMES = [
    (Outcome.FALSE_ALARM, 45),
    (Outcome.ADVICE_BY_PHONE, 20),
    (Outcome.ASSISTED_AT_HOME, 20),
    (Outcome.TAKEN_TO_HOSPITAL, 10),
    (Outcome.DEVICE_FIXED, 5),
]


@dataclass
class DemoDevices:
    created: int = 0
    existing: int = 0
    alerts: int = 0


def _fixed(at: datetime.datetime) -> Callable[[], datetime.datetime]:
    return lambda: at


def _weighted(rng: random.Random, items: Sequence[tuple[str, int]]) -> str:
    return rng.choices([k for k, _ in items], weights=[w for _, w in items])[0]


def demo_devices_build(*, elders: int = 200, seed: int = 20261122) -> DemoDevices:
    """Bind devices to ``elders`` demo elders and write the alert history. Does nothing when
    the demo city has devices."""
    existing = Device.objects.filter(division_code__startswith=CITY_PREFIX).count()
    if existing or elders <= 0:
        return DemoDevices(existing=existing)
    rng = random.Random(seed)
    actor = SystemActor(Scope(division_prefix=CITY_PREFIX), username="seed-demo")
    chosen = list(
        Elder.objects.filter(division_code__startswith=CITY_PREFIX, status="active")
        .annotate(
            alone=Case(
                When(living_arrangement=LivingArrangement.ALONE, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("alone", "id")[:elders]
    )
    start = timezone.now() - datetime.timedelta(days=HISTORY_DAYS + 1)
    serials = itertools.count(1)
    devices: list[Device] = []
    for n, elder in enumerate(chosen):
        kinds = [("pendant", "yiyang", 300)]
        if n % 3 == 0:
            kinds.append(("watch", "anxin", 300))
        if n % 5 == 0:
            kinds += [
                ("door", "yiyang", 3600),
                ("motion", "yiyang", 3600),
                ("smoke", "yiyang", 3600),
            ]
        for kind, vendor, interval in kinds:
            device = device_register(
                actor=actor,
                kind=kind,
                vendor=vendor,
                serial=f"YY{next(serials):07d}",
                community=elder.community,
                model="YY-S1" if vendor == "yiyang" else "AX-W2",
                imei=f"86{rng.randrange(10**12, 10**13)}" if kind in ("pendant", "watch") else "",
                firmware="1.4.2",
                installed_on=start.date(),
                heartbeat_interval_seconds=interval,
            )
            device_bind(actor=actor, device=device, elder=elder, at=start)
            device.refresh_from_db()
            devices.append(device)
    alerts = _history(rng, [d for d in devices if d.kind in ("pendant", "watch")])
    return DemoDevices(created=len(devices), alerts=alerts)


def _history_body(
    rng: random.Random, device: Device, kind: str, at: datetime.datetime, msg_id: str
) -> dict[str, object]:
    """A past event's message as the device's vendor sends it."""
    body: dict[str, object] = {
        "msg_id": msg_id,
        "type": kind,
        "ts": at.isoformat(),
    }
    if kind == "battery":
        body["battery"] = rng.randint(3, 14)
    if device.vendor == "anxin":  # the second vendor's format
        codes = {
            "sos": "SOS_ALARM",
            "fall": "FALL_ALARM",
            "smoke": "SMOKE_ALARM",
            "gas": "GAS_ALARM",
            "removed": "TAKE_OFF",
            "battery": "POWER",
        }
        body = {
            "seq": body["msg_id"],
            "evt": codes[kind],
            "time": int(at.timestamp() * 1000),
            "data": {"bat": body["battery"]} if "battery" in body else {},
        }
    return body


def _history_handle(
    rng: random.Random,
    alert: Alert,
    at: datetime.datetime,
    reviewed: bool,
    operator: User,
    reviewer: User,
) -> None:
    """An operator's handling of a past alert (acknowledged, a call, resolved), reviewed
    the day after when ``reviewed``."""
    # Answer times: most within 30 s, a tail past the 60 s target, rarely past 180 s.
    answer = min(rng.lognormvariate(3.0, 0.6), 400)
    t = at + datetime.timedelta(seconds=answer)
    with clock.use(_fixed(t)):
        alert_acknowledge(alert=alert, actor=operator)
    t += datetime.timedelta(seconds=rng.randint(10, 60))
    with clock.use(_fixed(t)):
        result = rng.choice(["reached", "reached", "no_answer"])
        alert_action_log(alert=alert, actor=operator, kind="called_elder", result=result)
    t += datetime.timedelta(seconds=rng.randint(30, 600))
    with clock.use(_fixed(t)):
        alert_resolve(alert=alert, actor=operator, outcome=_weighted(rng, OUTCOMES))
    if reviewed:
        t += datetime.timedelta(days=1)
        with clock.use(_fixed(t)):
            alert_review(alert=alert, actor=reviewer, note="抽查：处置规范")


def _history(rng: random.Random, devices: list[Device]) -> int:
    operator = User.objects.filter(username="operator").first()
    reviewer = User.objects.filter(username="city_admin").first()
    if operator is None or reviewer is None or not devices:
        return 0
    now = timezone.now()
    count = 0
    seq = itertools.count(1)
    for day in range(HISTORY_DAYS, 0, -1):
        for _ in range(rng.randint(1, 5)):
            at = (now - datetime.timedelta(days=day)).replace(
                hour=rng.randint(6, 22), minute=rng.randint(0, 59), second=rng.randint(0, 59)
            )
            device = rng.choice(devices)
            kind = _weighted(rng, HISTORY_KINDS)
            body = _history_body(rng, device, kind, at, f"hist-{next(seq)}")
            with clock.use(_fixed(at)):
                stored = device_messages_ingest(
                    messages=[Inbound(str(device.external_id), json.dumps(body).encode())]
                )
            if stored.outcomes[0].status != "accepted":
                continue
            alert = Alert.objects.filter(device=device).order_by("-id").first()
            if alert is None or alert.status != "open":
                continue
            count += 1
            _history_handle(rng, alert, at, day > 3, operator, reviewer)
    # One still open and one a caregiver raised at a visit, so the console is not empty.
    device = devices[0]
    device_messages_ingest(
        messages=[
            Inbound(
                str(device.external_id),
                json.dumps(
                    {"msg_id": "demo-open-1", "type": "sos", "ts": now.isoformat(), "battery": 71}
                ).encode()
                if device.vendor == "yiyang"
                else b"{}",
            )
        ]
    )
    caregiver = User.objects.filter(username="caregiver").first()
    if caregiver is not None and device.elder is not None:
        alert_raise(
            elder=device.elder,
            kind="found_unwell",
            detail="上门时发现老人头晕乏力",
            source="visit",
            actor=caregiver,
        )
    return count
