"""Technical alerts close themselves when their cause goes away (the controllable clock):
a silent device that speaks again, a charged battery, a device sending good data again, a
device unbound from the elder. They stay in the history, and never count as unanswered."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from tests.alerts.helpers import T0, Clock, bound_device, elder_with_contacts, msg
from tests.conftest import World
from yiyang.alerts.models import Alert, AlertChange
from yiyang.alerts.selectors import alert_list, alert_stats
from yiyang.alerts.services import (
    alert_acknowledge,
    alert_resolve,
    device_messages_ingest,
    monitor_tick,
    technical_alerts_autoresolve,
)
from yiyang.core.models import AuditEvent
from yiyang.devices.services import Inbound, device_unbind


def ingest(clock: Clock, *messages: Inbound) -> None:
    device_messages_ingest(messages=list(messages))


def now_ts(clock: Clock) -> str:
    return clock.at.isoformat()


@pytest.fixture
def device(world: World, clock: Clock) -> Any:
    return bound_device(world, elder_with_contacts(world))


def test_a_silent_device_that_speaks_again_closes_its_alert(device: Any, clock: Clock) -> None:
    device_messages_ingest(messages=[msg(device, "heartbeat", ts=now_ts(clock))])
    clock.advance(seconds=901)
    assert monitor_tick()["raised"] == 1
    alert = Alert.objects.get()
    assert (alert.kind, alert.status) == ("device_silent", "open")
    clock.advance(seconds=30)
    assert monitor_tick()["auto_resolved"] == 0  # still silent
    clock.advance(seconds=30)
    device_messages_ingest(messages=[msg(device, "heartbeat", ts=now_ts(clock))])
    result = monitor_tick()
    assert (result["raised"], result["auto_resolved"]) == (0, 1)
    alert.refresh_from_db()
    assert (alert.status, alert.outcome, alert.resolved_by, alert.escalate_at) == (
        "resolved",
        "auto_resolved",
        None,
        None,
    )
    assert alert.resolved_at == T0 + datetime.timedelta(seconds=961)
    assert alert.outcome_note == "The device was heard from again at 11-24 10:16:01."
    assert AlertChange.objects.filter(alert=alert, change="resolved").count() == 1
    event = AuditEvent.objects.get(object_type="alerts.alert", changes__outcome="auto_resolved")
    assert event.actor_username == "alert-monitor"
    assert monitor_tick()["auto_resolved"] == 0  # once


def test_an_auto_resolved_alert_stays_in_the_history(
    device: Any, clock: Clock, world: World
) -> None:
    clock.advance(seconds=901)
    monitor_tick()
    device_messages_ingest(messages=[msg(device, "heartbeat", ts=now_ts(clock))])
    monitor_tick()
    history = alert_list(actor=world.user["operator"], filters={"outcome": "auto_resolved"})
    assert [(a.kind, a.status) for a in history] == [("device_silent", "resolved")]
    # Silent again later: a new alert, not the old one reopened.
    clock.advance(seconds=901)
    monitor_tick()
    assert list(Alert.objects.order_by("id").values_list("status", flat=True)) == [
        "resolved",
        "open",
    ]


def test_a_charged_battery_closes_the_low_battery_alert(device: Any, clock: Clock) -> None:
    device_messages_ingest(messages=[msg(device, "heartbeat", battery=9, ts=now_ts(clock))])
    alert = Alert.objects.get()
    assert alert.kind == "low_battery"
    clock.advance(minutes=1)
    device_messages_ingest(messages=[msg(device, "heartbeat", battery=15, ts=now_ts(clock))])
    assert technical_alerts_autoresolve() == 0  # 15% is still the alert level
    clock.advance(minutes=1)
    device_messages_ingest(messages=[msg(device, "heartbeat", battery=80, ts=now_ts(clock))])
    assert technical_alerts_autoresolve() == 1
    alert.refresh_from_db()
    assert (alert.status, alert.outcome) == ("resolved", "auto_resolved")
    assert alert.outcome_note == "The battery is back at 80% (alert at 15% or less)."


def test_a_device_sending_good_data_again_closes_the_bad_stream_alert(
    device: Any, clock: Clock, settings: Any
) -> None:
    settings.DEVICE_REJECTIONS_ALERT_THRESHOLD = 3
    ingest(clock, *[msg(device, "vitals", heart_rate=900, ts=now_ts(clock)) for _ in range(3)])
    alert = Alert.objects.get()
    assert alert.kind == "bad_stream"
    clock.advance(minutes=1)
    ingest(clock, msg(device, "heartbeat", ts=now_ts(clock)))
    assert technical_alerts_autoresolve() == 0  # good data, but not quiet long enough yet
    clock.advance(minutes=5)
    ingest(clock, msg(device, "vitals", heart_rate=900, ts=now_ts(clock)))  # bad again
    clock.advance(minutes=9)
    ingest(clock, msg(device, "heartbeat", ts=now_ts(clock)))
    assert technical_alerts_autoresolve() == 0  # 9 min since the last bad message
    clock.advance(minutes=1)
    assert technical_alerts_autoresolve() == 1
    alert.refresh_from_db()
    assert (alert.status, alert.outcome) == ("resolved", "auto_resolved")
    assert alert.outcome_note.startswith("No rejected message since 11-24 10:06:00")


def test_an_unbound_device_closes_its_technical_alert(
    device: Any, clock: Clock, world: World
) -> None:
    clock.advance(seconds=901)
    monitor_tick()
    device_unbind(actor=world.user["city_admin"], device=device, reason="回收")
    assert technical_alerts_autoresolve() == 1
    alert = Alert.objects.get()
    assert alert.outcome_note == "The device no longer serves this elder (unbound)."


def test_an_alert_an_operator_closed_is_left_alone(device: Any, clock: Clock, world: World) -> None:
    device_messages_ingest(messages=[msg(device, "heartbeat", battery=9, ts=now_ts(clock))])
    alert = Alert.objects.get()
    alert_resolve(alert=alert, actor=world.user["operator"], outcome="device_fixed")
    device_messages_ingest(messages=[msg(device, "heartbeat", battery=90, ts=now_ts(clock))])
    assert technical_alerts_autoresolve() == 0
    alert.refresh_from_db()
    assert (alert.outcome, alert.resolved_by) == ("device_fixed", world.user["operator"])


def test_an_acknowledged_alert_closes_itself_too(device: Any, clock: Clock, world: World) -> None:
    device_messages_ingest(messages=[msg(device, "heartbeat", battery=9, ts=now_ts(clock))])
    alert = Alert.objects.get()
    alert_acknowledge(alert=alert, actor=world.user["operator"])
    device_messages_ingest(messages=[msg(device, "heartbeat", battery=90, ts=now_ts(clock))])
    assert technical_alerts_autoresolve() == 1
    alert.refresh_from_db()
    assert (alert.status, alert.outcome, alert.acknowledged_by) == (
        "resolved",
        "auto_resolved",
        world.user["operator"],
    )


def test_operators_cannot_choose_the_automatic_outcome(
    device: Any, clock: Clock, world: World
) -> None:
    from django.core.exceptions import ValidationError

    device_messages_ingest(messages=[msg(device, "sos", ts=now_ts(clock))])
    with pytest.raises(ValidationError):
        alert_resolve(
            alert=Alert.objects.get(), actor=world.user["operator"], outcome="auto_resolved"
        )


def test_unanswered_alerts_that_closed_themselves_do_not_count_against_the_targets(
    device: Any, clock: Clock, world: World
) -> None:
    clock.advance(seconds=901)
    monitor_tick()
    clock.advance(minutes=10)  # nobody answered the technical alert
    device_messages_ingest(messages=[msg(device, "heartbeat", ts=now_ts(clock))])
    monitor_tick()
    device_messages_ingest(messages=[msg(device, "sos", ts=now_ts(clock))])
    clock.advance(seconds=20)
    alert_acknowledge(alert=Alert.objects.get(kind="sos"), actor=world.user["operator"])
    month = alert_stats(actor=world.user["operator"], now=clock.at).months[0]
    assert (month.count, month.answered, month.within_target, month.auto_resolved) == (1, 1, 1, 1)


def test_history_and_statistics_pages_show_alerts_that_closed_themselves(
    device: Any, clock: Clock, world: World
) -> None:
    from django.test import Client

    from tests.conftest import login

    clock.advance(seconds=901)
    monitor_tick()
    device_messages_ingest(messages=[msg(device, "heartbeat", ts=now_ts(clock))])
    monitor_tick()
    client = login(Client(), world.user["operator"])
    client.cookies["django_language"] = "en"
    page = client.get("/alerts/history/", {"outcome": "auto_resolved"}).content.decode()
    assert "Resolved by itself" in page and "The device was heard from again" in page
    assert "Resolved by themselves" in client.get("/alerts/stats/").content.decode()
