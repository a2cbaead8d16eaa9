"""Each rule: it fires when it must, and not when it must not."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from tests.alerts.helpers import T0, Clock, bound_device, elder_with_contacts, msg
from tests.conftest import World
from yiyang.alerts.models import Alert, ElderAlertSettings
from yiyang.alerts.services import device_messages_ingest, monitor_tick
from yiyang.devices.services import Inbound


def ingest(*messages: Inbound) -> None:
    device_messages_ingest(messages=list(messages))


def alerts() -> list[tuple[str, int, int]]:
    return list(Alert.objects.order_by("id").values_list("kind", "priority", "event_count"))


def at(minutes: float) -> str:
    return (T0 + datetime.timedelta(minutes=minutes)).isoformat()


@pytest.fixture
def setup(world: World, clock: Clock) -> Any:
    elder = elder_with_contacts(world)
    return elder, bound_device(world, elder)


@pytest.mark.parametrize(
    ("event", "kind"), [("sos", "sos"), ("fall", "fall"), ("smoke", "smoke"), ("gas", "gas")]
)
def test_alarms_raise_a_critical_alert(setup: Any, event: str, kind: str) -> None:
    elder, device = setup
    ingest(msg(device, event))
    alert = Alert.objects.get()
    assert (alert.kind, alert.priority, alert.status, alert.elder, alert.device) == (
        kind,
        1,
        "open",
        elder,
        device,
    )


@pytest.mark.parametrize(
    "event",
    [
        ("heartbeat", {}),
        ("vitals", {"heart_rate": 80, "spo2": 97}),
        ("motion", {}),
        ("door", {"open": True}),
        ("battery", {"battery": 60}),
        ("location", {"lat": 34.751, "lng": 113.651}),
        ("bed", {"present": True}),
    ],
)
def test_ordinary_telemetry_raises_nothing(setup: Any, event: tuple[str, dict]) -> None:
    _elder, device = setup
    ingest(msg(device, event[0], **event[1]))
    assert alerts() == []


def test_repeated_presses_join_one_alert_until_it_is_resolved(
    world: World, setup: Any, clock: Clock
) -> None:
    from yiyang.alerts.services import alert_resolve

    _elder, device = setup
    ingest(msg(device, "sos"), msg(device, "sos"))
    ingest(msg(device, "sos"))
    assert alerts() == [("sos", 1, 3)]
    alert_resolve(alert=Alert.objects.get(), actor=world.user["operator"], outcome="false_alarm")
    ingest(msg(device, "sos"))
    assert alerts() == [("sos", 1, 3), ("sos", 1, 1)]


def test_a_fall_and_an_sos_are_two_incidents(setup: Any) -> None:
    _elder, device = setup
    ingest(msg(device, "sos"), msg(device, "fall"))
    assert sorted(alerts()) == [("fall", 1, 1), ("sos", 1, 1)]


def test_heart_rate_out_of_range_for_five_minutes_warns(setup: Any) -> None:
    _elder, device = setup
    ingest(msg(device, "vitals", heart_rate=150, ts=at(-10)))
    ingest(msg(device, "vitals", heart_rate=155, ts=at(-7)))
    assert alerts() == []
    ingest(msg(device, "vitals", heart_rate=160, ts=at(-5)))
    assert alerts() == [("heart_rate", 2, 1)]


def test_a_normal_reading_ends_the_breach(setup: Any) -> None:
    _elder, device = setup
    ingest(
        msg(device, "vitals", heart_rate=150, ts=at(-10)),
        msg(device, "vitals", heart_rate=80, ts=at(-7)),
    )
    ingest(msg(device, "vitals", heart_rate=150, ts=at(-4)))
    ingest(msg(device, "vitals", heart_rate=150, ts=at(0)))
    assert alerts() == []


def test_low_oxygen_sustained_warns(setup: Any) -> None:
    _elder, device = setup
    ingest(msg(device, "vitals", spo2=85, ts=at(-6)), msg(device, "vitals", spo2=86, ts=at(0)))
    assert alerts() == [("spo2", 2, 1)]


def test_per_elder_threshold_overrides_the_city_default(setup: Any) -> None:
    elder, device = setup
    ElderAlertSettings.objects.create(elder=elder, heart_rate_high=170)
    ingest(
        msg(device, "vitals", heart_rate=160, ts=at(-10)),
        msg(device, "vitals", heart_rate=160, ts=at(0)),
    )
    assert alerts() == []


def test_city_thresholds_override_the_defaults(setup: Any, settings: Any) -> None:
    _elder, device = setup
    settings.ALERT_CITY_THRESHOLDS = {"4191": {"heart_rate_high": 100}}
    ingest(
        msg(device, "vitals", heart_rate=110, ts=at(-10)),
        msg(device, "vitals", heart_rate=110, ts=at(0)),
    )
    assert alerts() == [("heart_rate", 2, 1)]


def test_leaving_the_safe_zone_warns(setup: Any) -> None:
    _elder, device = setup
    ingest(msg(device, "location", lat=34.755, lng=113.655))  # ~700 m
    assert alerts() == []
    ingest(msg(device, "location", lat=34.80, lng=113.65))  # ~5.6 km
    assert alerts() == [("left_safe_zone", 2, 1)]


def test_low_battery_and_removal_are_technical(setup: Any) -> None:
    _elder, device = setup
    ingest(msg(device, "battery", battery=40))
    assert alerts() == []
    ingest(msg(device, "heartbeat", battery=9), msg(device, "removed"))
    assert sorted(alerts()) == [("device_removed", 3, 1), ("low_battery", 3, 1)]


def test_a_silent_device_raises_its_own_alert(setup: Any, clock: Clock) -> None:
    _elder, device = setup  # heartbeat every 300 s, three missed beats allowed
    ingest(msg(device, "heartbeat"))
    clock.advance(seconds=899)
    monitor_tick()
    assert alerts() == []
    clock.advance(seconds=2)
    monitor_tick()
    monitor_tick()
    assert alerts() == [("device_silent", 3, 1)]


def test_a_device_that_never_spoke_after_binding_is_silent_too(setup: Any, clock: Clock) -> None:
    clock.advance(seconds=901)
    monitor_tick()
    assert [a[0] for a in alerts()] == ["device_silent"]


def test_no_motion_for_four_daytime_hours_warns(world: World, clock: Clock) -> None:
    elder = elder_with_contacts(world)
    sensor = bound_device(world, elder, kind="motion", heartbeat_interval_seconds=86400)
    ingest(msg(sensor, "motion", ts=at(0)))  # 10:00 local
    clock.advance(hours=3, minutes=59)
    monitor_tick()
    assert alerts() == []
    clock.advance(minutes=2)
    monitor_tick()
    assert alerts() == [("no_motion", 2, 1)]


def test_night_hours_do_not_count_as_no_motion(world: World, clock: Clock) -> None:
    elder = elder_with_contacts(world)
    sensor = bound_device(world, elder, kind="motion", heartbeat_interval_seconds=86400)
    # Last movement 20:30 the evening before; now 08:30: only 1.5 daytime hours passed.
    clock.at = datetime.datetime(2026, 11, 25, 0, 30, tzinfo=datetime.UTC)
    ingest(msg(sensor, "motion", ts="2026-11-24T20:30:00+08:00"))
    monitor_tick()
    assert alerts() == []


def test_a_door_left_open_at_night_warns(world: World, clock: Clock) -> None:
    elder = elder_with_contacts(world)
    door = bound_device(world, elder, kind="door", heartbeat_interval_seconds=86400)
    clock.at = datetime.datetime(2026, 11, 24, 15, 0, tzinfo=datetime.UTC)  # 23:00 local
    ingest(msg(door, "door", open=True, ts=clock.at.isoformat()))
    clock.advance(minutes=14)
    monitor_tick()
    assert alerts() == []
    clock.advance(minutes=2)
    monitor_tick()
    assert alerts() == [("door_open_night", 2, 1)]


def test_a_door_closed_again_or_open_by_day_is_fine(world: World, clock: Clock) -> None:
    elder = elder_with_contacts(world)
    door = bound_device(world, elder, kind="door", heartbeat_interval_seconds=86400)
    ingest(msg(door, "door", open=True, ts=at(0)))  # 10:00 local, open for an hour by day
    clock.advance(hours=1)
    monitor_tick()
    clock.at = datetime.datetime(2026, 11, 24, 15, 0, tzinfo=datetime.UTC)
    ingest(
        msg(door, "door", open=True, ts=clock.at.isoformat()),
        msg(door, "door", open=False, ts=clock.at.isoformat()),
    )
    clock.advance(minutes=30)
    monitor_tick()
    assert alerts() == []


def test_a_persistent_bad_stream_becomes_a_technical_alert(setup: Any, settings: Any) -> None:
    settings.DEVICE_REJECTIONS_ALERT_THRESHOLD = 20
    _elder, device = setup
    ingest(*[msg(device, "vitals", heart_rate=900) for _ in range(19)])
    assert alerts() == []
    ingest(*[msg(device, "vitals", heart_rate=900) for _ in range(5)])
    assert alerts() == [("bad_stream", 3, 1)]
