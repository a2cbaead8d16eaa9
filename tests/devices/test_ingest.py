"""Ingestion: validation, de-duplication, durable storage, device state, rejections."""

from __future__ import annotations

import datetime
import json
import uuid

import pytest
from django.core.exceptions import ValidationError

from tests.alerts.helpers import T0, Clock, bound_device, elder_with_contacts, msg
from tests.conftest import World
from yiyang.devices.choices import DeviceStatus
from yiyang.devices.models import Device, DeviceBinding, DeviceEvent, Rejection
from yiyang.devices.services import (
    Inbound,
    device_messages_store,
    device_rebind,
    device_register,
    device_unbind,
)


def store(*messages: Inbound) -> list[dict[str, str]]:
    return [o.as_dict() for o in device_messages_store(messages=list(messages)).outcomes]


def test_heartbeat_is_stored_and_updates_last_seen_and_battery(world: World, clock: Clock) -> None:
    device = bound_device(world, elder_with_contacts(world))
    clock.advance(seconds=5)
    outcomes = store(msg(device, "heartbeat", msg_id="h1", battery=77))
    assert outcomes == [{"status": "accepted", "msg_id": "h1"}]
    device.refresh_from_db()
    assert (device.last_seen_at, device.battery_percent) == (clock.at, 77)
    event = DeviceEvent.objects.get()
    assert (event.type, event.msg_id, event.occurred_at, event.data) == (
        "heartbeat",
        "h1",
        T0,
        {"battery": 77.0},
    )
    assert event.elder_id == device.elder_id


def test_a_message_delivered_twice_is_stored_once(world: World, clock: Clock) -> None:
    device = bound_device(world, elder_with_contacts(world))
    first = store(msg(device, "sos", msg_id="s1"), msg(device, "sos", msg_id="s1"))
    again = store(msg(device, "sos", msg_id="s1"))
    assert [o["status"] for o in first + again] == ["accepted", "duplicate", "duplicate"]
    assert DeviceEvent.objects.filter(msg_id="s1").count() == 1


def test_the_same_message_id_on_two_devices_is_two_events(world: World, clock: Clock) -> None:
    elder = elder_with_contacts(world)
    a, b = bound_device(world, elder), bound_device(world, elder, kind="watch")
    assert [
        o["status"] for o in store(msg(a, "heartbeat", msg_id="x"), msg(b, "heartbeat", msg_id="x"))
    ] == ["accepted"] * 2


def test_epoch_seconds_and_iso_timestamps_are_both_read(world: World, clock: Clock) -> None:
    device = bound_device(world, elder_with_contacts(world))
    store(
        msg(device, "heartbeat", msg_id="e", ts=int(T0.timestamp()) - 60),
        msg(device, "heartbeat", msg_id="i", ts="2026-11-24T09:59:00+08:00"),
    )
    times = dict(DeviceEvent.objects.values_list("msg_id", "occurred_at"))
    assert times == {
        "e": T0 - datetime.timedelta(minutes=1),
        "i": T0 - datetime.timedelta(minutes=1),
    }


def test_a_vendor_format_is_read_by_its_registered_decoder(world: World, clock: Clock) -> None:
    device = bound_device(world, elder_with_contacts(world), kind="watch", vendor="anxin")
    body = {
        "seq": 991,
        "evt": "HEALTH",
        "time": int(T0.timestamp() * 1000),
        "data": {"hr": 72, "bo": 97, "bat": 60},
    }
    assert store(Inbound(str(device.external_id), json.dumps(body).encode()))[0]["status"] == (
        "accepted"
    )
    event = DeviceEvent.objects.get()
    assert (event.msg_id, event.type, event.data) == (
        "991",
        "vitals",
        {"heart_rate": 72, "spo2": 97, "battery": 60},
    )


BAD = [
    (lambda d: Inbound(str(d.external_id), b"{not json"), "malformed", "payload"),
    (lambda d: Inbound(str(d.external_id), b"[1, 2]"), "malformed", "payload"),
    (lambda d: Inbound(str(d.external_id), b"x" * (10 * 1024 * 1024)), "too_large", "payload"),
    (
        lambda d: Inbound(str(uuid.uuid4()), b'{"msg_id":"1","type":"sos","ts":0}'),
        "unknown_device",
        "device_id",
    ),
    (
        lambda d: Inbound("../../etc", b'{"msg_id":"1","type":"sos","ts":0}'),
        "unknown_device",
        "device_id",
    ),
    (
        lambda d: msg(d, "sos", ts=(T0 + datetime.timedelta(hours=1)).isoformat()),
        "future_timestamp",
        "ts",
    ),
    (
        lambda d: msg(d, "sos", ts=(T0 - datetime.timedelta(days=365)).isoformat()),
        "stale_timestamp",
        "ts",
    ),
    (lambda d: msg(d, "vitals", heart_rate=900), "invalid_value", "heart_rate"),
    (lambda d: msg(d, "vitals", spo2="high"), "invalid_value", "spo2"),
    (lambda d: msg(d, "vitals"), "missing_field", "heart_rate"),
    (lambda d: msg(d, "location", lat=95, lng=113), "invalid_value", "lat"),
    (lambda d: msg(d, "door"), "missing_field", "open"),
    (lambda d: msg(d, "teleport"), "unknown_type", "type"),
    (lambda d: msg(d, "sos", ts="yesterday"), "invalid_value", "ts"),
    (
        lambda d: Inbound(str(d.external_id), json.dumps({"type": "sos", "ts": 1}).encode()),
        "missing_field",
        "msg_id",
    ),
]


@pytest.mark.parametrize(("make", "reason", "field"), BAD)
def test_bad_input_is_rejected_with_a_reason_and_counted(
    world: World, clock: Clock, make: object, reason: str, field: str
) -> None:
    device = bound_device(world, elder_with_contacts(world))
    message = make(device)  # type: ignore[operator]
    result = device_messages_store(messages=[message, message])
    assert [(o.status, o.reason, o.field) for o in result.outcomes] == [
        ("rejected", reason, field)
    ] * 2
    assert DeviceEvent.objects.count() == 0
    rejection = Rejection.objects.get()
    assert (rejection.reason, rejection.count, rejection.device_key) == (
        reason,
        2,
        message.device_key[:64],
    )


def test_a_device_bound_to_no_elder_is_rejected(world: World, clock: Clock) -> None:
    elder = elder_with_contacts(world)
    device = bound_device(world, elder)
    device_unbind(actor=world.user["city_admin"], device=device, reason="returned")
    assert store(msg(device, "sos"))[0]["reason"] == "unbound_device"


def test_a_flood_is_cut_but_never_an_alarm(world: World, clock: Clock, settings: object) -> None:
    settings.DEVICE_MAX_MESSAGES_PER_MINUTE = 100  # type: ignore[attr-defined]
    device = bound_device(world, elder_with_contacts(world))
    flood = [msg(device, "heartbeat") for _ in range(10_000)] + [msg(device, "sos", msg_id="S")]
    outcomes = device_messages_store(messages=flood).outcomes
    assert sum(o.status == "accepted" for o in outcomes) == 101
    assert outcomes[-1].status == "accepted"
    assert Rejection.objects.get(reason="flood").count == 9_900
    assert DeviceEvent.objects.filter(type="sos").count() == 1


def test_binding_history_is_kept_when_a_device_moves(world: World, clock: Clock) -> None:
    admin = world.user["city_admin"]
    first, second = elder_with_contacts(world), elder_with_contacts(world, "XA2a", name="周桂兰")
    device = bound_device(world, first)
    device_rebind(actor=admin, device=device, elder=second, at=T0 + datetime.timedelta(days=1))
    device.refresh_from_db()
    assert (device.elder, device.division_code, device.status) == (
        second,
        second.division_code,
        DeviceStatus.ACTIVE,
    )
    history = list(DeviceBinding.objects.filter(device=device).order_by("bound_at"))
    assert [(b.elder, b.unbound_at) for b in history] == [
        (first, T0 + datetime.timedelta(days=1)),
        (second, None),
    ]


def test_registration_names_each_bad_field(world: World) -> None:
    with pytest.raises(ValidationError) as error:
        device_register(
            actor=world.user["city_admin"],
            kind="toaster",
            vendor="nobody",
            serial="",
            community=world.div["XA1"],
            imei="12ab",
            heartbeat_interval_seconds=1,
        )
    assert set(error.value.message_dict) == {
        "kind",
        "vendor",
        "serial",
        "imei",
        "community",
        "heartbeat_interval_seconds",
    }
    assert Device.objects.count() == 0
