"""The simulator: its payloads pass the real decoders; the command drives the HTTP callback."""

from __future__ import annotations

import json
import random
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from tests.alerts.helpers import bound_device, elder_with_contacts
from tests.conftest import build_world
from yiyang.alerts.simulator import SimDevice, in_vendor_format, make_payload, simulate
from yiyang.devices.decoders import decoder_for
from yiyang.devices.models import DeviceEvent, Rejection


@pytest.mark.parametrize("vendor", ["yiyang", "anxin"])
@pytest.mark.parametrize("kind", ["pendant", "watch", "motion", "door", "smoke"])
def test_every_simulated_payload_decodes(kind: str, vendor: str) -> None:
    rng = random.Random(3)
    device = SimDevice("d", kind, vendor)
    types = set()
    for n in range(400):
        payload = make_payload(device, rng, alarm_probability=0.05, now=1_790_000_000 + n)
        reading = decoder_for(vendor).decode(
            json.loads(json.dumps(in_vendor_format(device, payload)))
        )
        types.add(reading.type)
    assert "heartbeat" in types
    assert ({"sos"} <= types) == (kind in ("pendant", "watch"))


def test_simulate_keeps_the_rate_and_warms_up_every_device() -> None:
    sent: list[tuple[str, dict[str, Any]]] = []
    devices = [SimDevice(f"d{n}", "pendant") for n in range(10)]
    result = simulate(
        devices=devices, rate=200, duration=0.5, warm_up=True, send=lambda d, p: sent.append((d, p))
    )
    assert {d for d, _ in sent[:10]} == {f"d{n}" for n in range(10)}
    assert 10 + 90 <= result.total <= 10 + 101
    assert len({(d, p["msg_id"]) for d, p in sent}) == len(sent)  # unique per device


@pytest.mark.django_db(transaction=True)
def test_the_command_sends_signed_callbacks(live_server: Any) -> None:
    world = build_world()
    elder = elder_with_contacts(world)
    bound_device(world, elder)
    bound_device(world, elder, kind="watch", vendor="anxin")
    out = StringIO()
    call_command(
        "simulate-devices",
        "--via",
        "http",
        "--url",
        live_server.url,
        "--devices",
        "5",
        "--rate",
        "20",
        "--duration",
        "1",
        "--warm-up",
        stdout=out,
    )
    sent = json.loads(out.getvalue())["sent"]
    assert sent >= 20
    assert DeviceEvent.objects.count() == sent
    assert set(DeviceEvent.objects.values_list("via", flat=True)) == {"http"}
    assert not Rejection.objects.exists()
