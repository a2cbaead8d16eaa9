"""The HTTP callback (HMAC, timestamp, replay window) and the alerts and devices APIs."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.test import Client

from tests.alerts.helpers import Clock, bound_device, elder_with_contacts
from tests.conftest import World, token_for
from tests.factories import UserFactory
from yiyang.alerts.models import Alert
from yiyang.devices.models import DeviceEvent, Rejection
from yiyang.devices.services import callback_signature

SECRET = "demo-vendor-secret"


def post(
    body: bytes,
    *,
    vendor: str = "yiyang",
    ts: int | None = None,
    secret: str = SECRET,
    signature: str | None = None,
) -> Any:
    stamp = str(ts if ts is not None else int(time.time()))
    return Client().post(
        "/api/v1/device-events/",
        data=body,
        content_type="application/json",
        HTTP_X_YIYANG_VENDOR=vendor,
        HTTP_X_YIYANG_TIMESTAMP=stamp,
        HTTP_X_YIYANG_SIGNATURE=signature or callback_signature(secret, stamp, body),
    )


@pytest.fixture
def device(world: World) -> Any:
    return bound_device(world, elder_with_contacts(world))


def sos_body(device: Any, msg_id: str = "cb-1") -> bytes:
    return json.dumps(
        {
            "device_id": str(device.external_id),
            "msg_id": msg_id,
            "type": "sos",
            "ts": int(time.time()),
        }
    ).encode()


def test_a_signed_callback_is_stored_and_raises_the_alert(device: Any) -> None:
    response = post(sos_body(device))
    assert response.status_code == 200
    assert response.json() == {"results": [{"status": "accepted", "msg_id": "cb-1"}]}
    assert Alert.objects.get().kind == "sos"
    assert DeviceEvent.objects.get().via == "http"


def test_a_batch_answers_each_event(device: Any) -> None:
    now = int(time.time())
    body = json.dumps(
        {
            "events": [
                {
                    "device_id": str(device.external_id),
                    "msg_id": "a",
                    "type": "heartbeat",
                    "ts": now,
                },
                {
                    "device_id": str(device.external_id),
                    "msg_id": "b",
                    "type": "vitals",
                    "heart_rate": 900,
                    "ts": now,
                },
                {"device_id": "nope", "msg_id": "c", "type": "sos", "ts": now},
            ]
        }
    ).encode()
    results = post(body).json()["results"]
    assert [(r["status"], r.get("reason"), r.get("field")) for r in results] == [
        ("accepted", None, None),
        ("rejected", "invalid_value", "heart_rate"),
        ("rejected", "unknown_device", "device_id"),
    ]


def test_a_redelivered_event_is_a_duplicate_not_an_error(device: Any) -> None:
    post(sos_body(device))
    time.sleep(1.01)  # a new timestamp: a new signature, the same message
    assert post(sos_body(device)).json()["results"][0]["status"] == "duplicate"
    assert Alert.objects.get().event_count == 1


@pytest.mark.parametrize(
    ("kwargs", "reason", "field"),
    [
        ({"secret": "wrong"}, "bad_signature", "X-Yiyang-Signature"),
        ({"vendor": "nobody"}, "bad_signature", "X-Yiyang-Vendor"),
        ({"ts": int(time.time()) - 3600}, "stale_timestamp", "X-Yiyang-Timestamp"),
        ({"ts": int(time.time()) + 3600}, "future_timestamp", "X-Yiyang-Timestamp"),
        ({"signature": "00" * 32}, "bad_signature", "X-Yiyang-Signature"),
    ],
)
def test_unsigned_or_stale_callbacks_are_refused(
    device: Any, kwargs: dict[str, Any], reason: str, field: str
) -> None:
    response = post(sos_body(device), **kwargs)
    assert response.status_code == 401
    assert (response.json()["reason"], response.json()["field"]) == (reason, field)
    assert Alert.objects.count() == 0
    assert Rejection.objects.get().reason == reason


def test_a_replayed_request_is_refused(device: Any) -> None:
    stamp = int(time.time())
    body = sos_body(device)  # the very same bytes twice (the body holds a time too)
    assert post(body, ts=stamp).status_code == 200
    replay = post(body, ts=stamp)
    assert (replay.status_code, replay.json()["reason"]) == (401, "replayed")


def test_malformed_and_oversized_bodies_are_refused_with_a_reason(device: Any) -> None:
    bad = post(b"{nope")
    assert (bad.status_code, bad.json()["reason"]) == (400, "malformed")
    empty = post(b'{"events": []}')
    assert (empty.status_code, empty.json()["field"]) == (400, "events")
    huge = post(b"[" + b"1," * (5 * 1024 * 1024) + b"1]")
    assert (huge.status_code, huge.json()["reason"]) == (413, "too_large")
    assert DeviceEvent.objects.count() == 0


def token_client(world: World, role: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {token_for(world.user[role])}")


def test_open_alerts_for_an_operator_token(world: World, clock: Clock) -> None:
    from yiyang.alerts.services import alert_raise

    inside = elder_with_contacts(world)
    outside = elder_with_contacts(world, "YA1a", name="外城老人")
    operator = world.user["operator"]
    a = alert_raise(elder=inside, kind="other", detail="x", source="manual", actor=operator)
    alert_raise(
        elder=outside, kind="other", detail="y", source="manual", actor=world.user["admin_Y"]
    )
    api = token_client(world, "operator")
    rows = api.get("/api/v1/alerts/?status=open").json()["results"]
    assert [
        (r["id"], r["elder"]["name"], r["kind"], r["priority"], r["status"], r["acknowledged_at"])
        for r in rows
    ] == [(str(a.external_id), inside.name, "other", 2, "open", None)]
    assert rows[0]["raised_at"].startswith("2026-11-24")
    assert api.post(f"/api/v1/alerts/{a.external_id}/acknowledge/").status_code == 200
    assert api.get("/api/v1/alerts/?status=open").json()["results"] == []
    acked = api.get("/api/v1/alerts/?status=acknowledged").json()["results"][0]
    assert acked["acknowledged_by"] == "operator"
    logged = api.post(
        f"/api/v1/alerts/{a.external_id}/actions/",
        {"kind": "called_elder", "result": "reached"},
        content_type="application/json",
    )
    assert logged.status_code == 201
    bad = api.post(
        f"/api/v1/alerts/{a.external_id}/resolve/",
        {"outcome": "x"},
        content_type="application/json",
    )
    assert (bad.status_code, list(bad.json())) == (400, ["outcome"])
    done = api.post(
        f"/api/v1/alerts/{a.external_id}/resolve/",
        {"outcome": "advice_by_phone"},
        content_type="application/json",
    )
    assert done.json()["status"] == "resolved"


def test_providers_see_no_alerts_and_auditors_only_read(world: World, clock: Clock) -> None:
    from yiyang.alerts.services import alert_raise

    alert = alert_raise(
        elder=elder_with_contacts(world),
        kind="other",
        detail="x",
        source="manual",
        actor=world.user["operator"],
    )
    for role in ("caregiver", "provider_manager", "family"):
        assert token_client(world, role).get("/api/v1/alerts/").status_code == 403
    auditor = token_client(world, "auditor")
    assert len(auditor.get("/api/v1/alerts/").json()["results"]) == 1
    assert auditor.post(f"/api/v1/alerts/{alert.external_id}/acknowledge/").status_code == 403
    world.user["operator_Y"] = UserFactory(
        username="operator_y", role="operator", division=world.div["Y"]
    )
    other_city = token_client(world, "operator_Y")
    assert other_city.get(f"/api/v1/alerts/{alert.external_id}/").status_code == 404
    assert other_city.get("/api/v1/alerts/").json()["results"] == []
    assert other_city.post(f"/api/v1/alerts/{alert.external_id}/acknowledge/").status_code == 404


def test_devices_list_shows_the_device_id(world: World, device: Any) -> None:
    rows = token_client(world, "operator").get("/api/v1/devices/").json()["results"]
    assert [(r["device_id"], r["kind"], r["elder"]["name"]) for r in rows] == [
        (str(device.external_id), "pendant", device.elder.name)
    ]
    world.user["operator_Y"] = UserFactory(
        username="operator_y", role="operator", division=world.div["Y"]
    )
    assert token_client(world, "operator_Y").get("/api/v1/devices/").json()["results"] == []
    assert token_client(world, "caregiver").get("/api/v1/devices/").status_code == 403


def test_a_database_outage_answers_503_and_stores_nothing(device: Any, monkeypatch: Any) -> None:
    from django import db

    from yiyang.alerts import services

    def down(**kwargs: Any) -> None:
        raise db.OperationalError("connection refused")

    monkeypatch.setattr(services, "device_messages_ingest", down)
    response = post(sos_body(device))
    assert (response.status_code, response.json()["reason"], response["Retry-After"]) == (
        503,
        "unavailable",
        "5",
    )
    assert Alert.objects.count() == 0


def test_a_time_filter_with_an_odd_zone_offset_is_not_a_server_error(client_for) -> None:
    answer = client_for("operator").get("/api/v1/alerts/?raised_after=7867-10-23T11:21:55%2B21:31")
    assert answer.status_code in (200, 400)


def test_the_audit_log_time_filter_takes_an_odd_zone_offset(client_for) -> None:
    answer = client_for("city_admin").get("/api/v1/audit-events/?since=2026-10-23T11:21:55%2B21:31")
    assert answer.status_code in (200, 400)
