"""A storm of alarms: alerts raised in batches (a few statements whatever their number),
incident grouping exact within a batch and between gateways writing at the same moment."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from tests.alerts.helpers import Clock, bound_device, elder_with_contacts, msg
from tests.conftest import World, build_world
from yiyang.alerts.models import Alert, AlertChange, Notification
from yiyang.alerts.services import device_messages_ingest
from yiyang.core.models import AuditEvent
from yiyang.devices.services import Inbound


def test_a_batch_of_sos_from_many_devices_raises_one_alert_each_in_few_queries(
    world: World, clock: Clock
) -> None:
    elder = elder_with_contacts(world)
    devices = [bound_device(world, elder) for _ in range(4)]
    others = [
        bound_device(world, elder_with_contacts(world, community="XA1b", name=f"老人{n}"))
        for n in range(20)
    ]
    small = [msg(d, "sos") for d in devices]
    with CaptureQueriesContext(connection) as few:
        device_messages_ingest(messages=small)
    large = [msg(d, "sos") for d in others]
    with CaptureQueriesContext(connection) as many:
        device_messages_ingest(messages=large)
    # The same statements for 20 alerts as for 4: nothing is done per alert.
    assert len(many.captured_queries) == len(few.captured_queries)
    assert Alert.objects.filter(kind="sos").count() == 24
    assert AlertChange.objects.filter(change="raised").count() == 24
    assert AuditEvent.objects.filter(object_type="alerts.alert").count() == 24

    # The first contact of each elder and the community's workers (XA1a has one, XA1b none).
    def told(device: Any) -> list[str]:
        return sorted(
            Notification.objects.filter(alert__device=device).values_list(
                "recipient_kind", flat=True
            )
        )

    assert told(devices[0]) == ["community", "contact"]
    assert told(others[0]) == ["contact"]


def test_repeated_sos_of_one_device_in_a_batch_and_after_join_one_alert(
    world: World, clock: Clock
) -> None:
    device = bound_device(world, elder_with_contacts(world))
    device_messages_ingest(messages=[msg(device, "sos"), msg(device, "sos")])
    clock.advance(seconds=10)
    device_messages_ingest(messages=[msg(device, "sos")])
    alert = Alert.objects.get()
    assert (alert.kind, alert.status, alert.event_count) == ("sos", "open", 3)
    assert list(AlertChange.objects.order_by("id").values_list("change", flat=True)) == [
        "raised",
        "joined",
    ]


@pytest.fixture
def shared_world(transactional_db: None) -> World:
    return build_world()


def _gateway(messages: list[Inbound], start: threading.Barrier, errors: list[Any]) -> None:
    try:
        start.wait(10)
        device_messages_ingest(messages=messages)
    except Exception as exc:
        errors.append(exc)
    finally:
        connections.close_all()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrency needs PostgreSQL")
def test_two_gateways_with_sos_of_the_same_elders_at_once_make_one_alert_each(
    shared_world: World, clock: Clock
) -> None:
    """Two gateways receive two SOS of each of 30 elders at the same moment (in opposite
    orders, to provoke lock-order deadlocks): one alert per elder, counting both."""
    devices = [
        bound_device(shared_world, elder_with_contacts(shared_world, name=f"老人{n}"))
        for n in range(30)
    ]
    for _round in range(3):
        first = [msg(d, "sos") for d in devices]
        second = [msg(d, "sos") for d in reversed(devices)]
        start = threading.Barrier(2)
        errors: list[Any] = []
        threads = [
            threading.Thread(target=_gateway, args=(batch, start, errors))
            for batch in (first, second)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert errors == []
    alerts = Alert.objects.filter(kind="sos")
    assert alerts.count() == 30
    assert sorted(set(alerts.values_list("event_count", flat=True))) == [6]
    assert AlertChange.objects.filter(change="raised").count() == 30
