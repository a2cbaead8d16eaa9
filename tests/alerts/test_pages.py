"""The console, its panel and one-click actions, the live stream, statistics, outbox, devices."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client

from tests.alerts.helpers import T0, Clock, bound_device, elder_with_contacts, msg
from tests.conftest import World
from yiyang.alerts.models import Alert
from yiyang.alerts.services import alert_raise, device_messages_ingest, notifications_deliver
from yiyang.elders.models import AccessLog


@pytest.fixture
def sos(world: World, clock: Clock) -> Alert:
    elder = elder_with_contacts(world)
    device = bound_device(world, elder)
    device_messages_ingest(messages=[msg(device, "heartbeat", battery=64), msg(device, "sos")])
    return Alert.objects.get()


def test_the_console_lists_the_queue_in_chinese(client_for: Any, sos: Alert) -> None:
    page = client_for("operator").get("/alerts/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "报警中心" in text
    assert "SOS" in text and sos.elder.name in text
    assert 'data-critical-open="' + str(sos.external_id) in text


def test_the_panel_shows_profile_contacts_in_order_script_and_events(
    client_for: Any, sos: Alert
) -> None:
    text = client_for("operator").get(f"/alerts/?alert={sos.external_id}").content.decode()
    assert text.index("李强") < text.index("李梅")
    assert "13900139000" in text  # the operator sees contacts' phones unmasked (and it is logged)
    assert "13800138000" in text
    assert "幸福路1号3单元201" in text
    assert "通话脚本" in text
    assert AccessLog.objects.filter(actor_username="operator").count() == 1


def test_one_click_acknowledge_log_and_resolve(client_for: Any, sos: Alert) -> None:
    operator = client_for("operator")
    base = f"/alerts/{sos.external_id}"
    assert operator.post(f"{base}/acknowledge/").status_code == 302
    operator.post(f"{base}/actions/", {"kind": "called_elder", "result": "no_answer"})
    contact = sos.elder.contacts.get(name="李强")
    operator.post(
        f"{base}/actions/",
        {"kind": "called_contact", "result": "reached", "contact": str(contact.external_id)},
    )
    operator.post(f"{base}/resolve/", {"outcome": "assisted_at_home", "note": "家属已到"})
    sos.refresh_from_db()
    assert (sos.status, sos.outcome) == ("resolved", "assisted_at_home")
    assert [a.kind for a in sos.actions.all()] == ["called_elder", "called_contact"]


def test_a_bad_action_shows_the_reason_and_changes_nothing(client_for: Any, sos: Alert) -> None:
    operator = client_for("operator")
    page = operator.post(f"/alerts/{sos.external_id}/resolve/", {"outcome": "nope"}, follow=True)
    assert "outcome" in page.content.decode()
    operator.post(
        f"/alerts/{sos.external_id}/actions/",
        {"kind": "called_contact", "result": "reached", "contact": "zzz"},
    )
    sos.refresh_from_db()
    assert (sos.status, sos.actions.count()) == ("open", 0)


def test_the_stream_sends_changes_in_scope(client_for: Any, sos: Alert, world: World) -> None:
    response = client_for("operator").get("/alerts/stream/?after=0")
    assert response["Content-Type"] == "text/event-stream"
    chunks = response.streaming_content
    first = b"".join(next(chunks) for _ in range(2)).decode()
    assert "retry: 1000" in first
    assert f'"alert": "{sos.external_id}"' in first and '"change": "raised"' in first
    response.close()


def test_the_stream_shows_nothing_of_another_city(
    client_for: Any, sos: Alert, world: World
) -> None:
    from tests.conftest import login
    from tests.factories import UserFactory

    outsider = UserFactory(username="op_y", role="operator", division=world.div["Y"])
    response = login(Client(), outsider).get("/alerts/stream/?after=0")
    chunks = response.streaming_content
    text = b"".join(next(chunks) for _ in range(2)).decode()
    assert str(sos.external_id) not in text
    response.close()


def test_providers_and_families_cannot_open_the_console(client_for: Any, sos: Alert) -> None:
    for role in ("caregiver", "provider_manager", "family"):
        client = client_for(role)
        assert client.get("/alerts/").status_code == 403
        assert client.get(f"/alerts/{sos.external_id}/panel/").status_code == 403
        assert client.get("/alerts/stream/").status_code == 403


def test_auditors_read_but_cannot_act(client_for: Any, sos: Alert) -> None:
    auditor = client_for("auditor")
    assert auditor.get(f"/alerts/?alert={sos.external_id}").status_code == 200
    auditor.post(f"/alerts/{sos.external_id}/acknowledge/")
    sos.refresh_from_db()
    assert sos.status == "open"


def test_statistics_against_the_answer_targets(client_for: Any, world: World, clock: Clock) -> None:
    from yiyang.alerts.selectors import alert_stats
    from yiyang.alerts.services import alert_acknowledge

    operator = world.user["operator"]
    for seconds in (10, 30, 59, 90, 200):
        alert = alert_raise(
            elder=elder_with_contacts(world),
            kind="other",
            detail="x",
            source="manual",
            actor=operator,
        )
        clock.advance(seconds=seconds)
        alert_acknowledge(alert=alert, actor=operator)
        clock.at = T0
    alert_raise(
        elder=elder_with_contacts(world), kind="other", detail="x", source="manual", actor=operator
    )
    stats = alert_stats(actor=operator, now=T0 + datetime.timedelta(minutes=5))
    month = stats.months[0]
    assert (stats.open, stats.acknowledged) == (1, 5)
    assert (month.label, month.count, month.answered, month.within_target, month.within_limit) == (
        "2026-11",
        6,
        5,
        3,
        4,
    )
    assert month.median_ack == 59
    assert stats.oldest_open_seconds == 300
    page = client_for("operator").get("/alerts/stats/").content.decode()
    assert "50.0%" in page and "66.7%" in page


def test_the_outbox_lists_notifications_and_attempts(client_for: Any, sos: Alert) -> None:
    notifications_deliver()
    page = client_for("operator").get("/alerts/outbox/").content.decode()
    assert "李强" in page and "community_worker" in page and "in the outbox" in page


def test_device_pages(client_for: Any, sos: Alert) -> None:
    client = client_for("community_worker")
    listing = client.get("/devices/").content.decode()
    assert sos.device.serial in listing
    detail = client.get(f"/devices/{sos.device.external_id}/").content.decode()
    assert str(sos.device.external_id) in detail and sos.elder.name in detail
    assert client_for("caregiver").get("/devices/").status_code == 403


def test_redis_wakes_a_waiting_stream_at_once(settings: Any) -> None:
    import socket
    import threading
    import time

    from yiyang.alerts import bus

    try:
        socket.create_connection(("127.0.0.1", 6379), 1).close()
    except OSError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    settings.ALERT_EVENT_BUS = "redis"
    waiting = bus.wait_for_changes(deadline=time.monotonic() + 20)
    threading.Timer(0.5, bus._publish).start()
    started = time.monotonic()
    next(waiting)  # subscribes, then blocks until the publish (the poll timeout is 5 s)
    if time.monotonic() - started < 0.4:  # woken by the subscription's own start: wait again
        next(waiting)
    assert 0.4 <= time.monotonic() - started < 2.0
    waiting.close()


def test_the_panel_maps_the_home_and_where_the_alarm_came_from(
    client_for: Any, world: World, clock: Clock
) -> None:
    import json
    import re

    elder = elder_with_contacts(world)
    watch = bound_device(world, elder, kind="watch")
    device_messages_ingest(
        messages=[msg(watch, "sos", lat=34.7612, lng=113.6634, ts=clock.at.isoformat())]
    )
    alert = Alert.objects.get()
    client = client_for("operator")
    client.cookies["django_language"] = "en"
    text = client.get(f"/alerts/?alert={alert.external_id}").content.decode()
    assert "vendor/leaflet-1.9.4/leaflet.js" in text and "alerts/alert_map.js" in text
    assert 'id="alert-map"' in text and "//unpkg" not in text and "cdn" not in text.lower()
    data = json.loads(re.search(r'id="alert-map-data"[^>]*>(.*?)</script>', text).group(1))
    assert data["home"] == {"lat": 34.75, "lng": 113.65, "label": "幸福路1号3单元201"}
    assert (data["alarm"]["lat"], data["alarm"]["lng"]) == (34.7612, 113.6634)
    assert [(d["lat"], d["lng"], d["alerting"]) for d in data["devices"]] == [
        (34.7612, 113.6634, True)
    ]
    assert f"/alerts/elders/{elder.external_id}/" in text


def test_the_panel_says_when_no_location_is_known(
    client_for: Any, world: World, clock: Clock
) -> None:
    # No address and no coordinates: nothing to geocode from, so no location at all.
    elder = elder_with_contacts(world, lat=None, lng=None, address="")
    alert_raise(
        elder=elder, kind="other", detail="x", source="manual", actor=world.user["operator"]
    )
    alert = Alert.objects.get()
    text = client_for("operator").get(f"/alerts/{alert.external_id}/panel/").content.decode()
    assert 'id="no-location"' in text and 'id="alert-map"' not in text
