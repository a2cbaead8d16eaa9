"""Alert and device lists cost the same number of queries with 1 or 10 alerts."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.alerts.helpers import bound_device, elder_with_contacts, msg
from tests.conftest import World
from yiyang.alerts.services import device_messages_ingest, notifications_deliver


def queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def add_alerts(world: World, count: int) -> None:
    for n in range(count):
        elder = elder_with_contacts(world, name=f"老人{n}")
        device = bound_device(world, elder)
        device_messages_ingest(messages=[msg(device, "sos"), msg(device, "heartbeat")])
    notifications_deliver()


@pytest.mark.parametrize(
    "url",
    [
        "/alerts/",
        "/alerts/queue/",
        "/alerts/history/",
        "/alerts/outbox/",
        "/api/v1/alerts/",
        "/api/v1/devices/",
        "/devices/",
        "/alerts/stats/",
    ],
)
def test_list_queries_do_not_grow_with_rows(url: str, world: World, client_for: Any) -> None:
    client = client_for("operator")
    add_alerts(world, 1)
    queries(client, url)  # warm the session
    few = queries(client, url)
    add_alerts(world, 9)
    assert queries(client, url) == few
    assert 0 < few <= 14
