"""Poison messages: each message ends as exactly one stored event or one stored rejection
(reason and raw bytes kept), whatever it holds, and never takes its batch down with it."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import DataError
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.alerts.helpers import T0, Clock, bound_device, elder_with_contacts, msg
from tests.conftest import World
from yiyang.alerts.models import Alert
from yiyang.alerts.services import device_messages_ingest
from yiyang.core import crypto
from yiyang.devices.decoders import DECODERS, Decoder, Reading
from yiyang.devices.ingest import store as ingest_store
from yiyang.devices.models import DeviceEvent, RejectedMessage, Rejection
from yiyang.devices.services import Inbound, callback_signature


def ingest_all(*messages: Inbound) -> list[dict[str, str]]:
    return [o.as_dict() for o in device_messages_ingest(messages=list(messages)).outcomes]


def raw(device: Any, body: Any) -> Inbound:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Inbound(device_key=str(device.external_id), body=data)


def test_a_type_given_as_a_list_or_an_object_is_rejected_with_its_bytes(
    world: World, clock: Clock
) -> None:
    device = bound_device(world, elder_with_contacts(world))
    listed = raw(device, {"msg_id": "a", "type": ["sos"], "ts": T0.isoformat()})
    mapped = raw(device, {"msg_id": "b", "type": {"x": 1}, "ts": T0.isoformat()})
    good = msg(device, "sos", msg_id="c")
    outcomes = ingest_all(listed, mapped, good)
    assert [(o["status"], o.get("reason")) for o in outcomes] == [
        ("rejected", "unknown_type"),
        ("rejected", "unknown_type"),
        ("accepted", None),
    ]
    kept = RejectedMessage.objects.order_by("id")
    assert [(r.reason, r.field, r.msg_id) for r in kept] == [
        ("unknown_type", "type", "a"),
        ("unknown_type", "type", "b"),
    ]
    first = kept[0]
    assert crypto.decrypt_bytes(first.raw_sealed.encode()) == listed.body
    assert first.size == len(listed.body)
    assert Alert.objects.get().kind == "sos"


def test_the_bytes_kept_of_a_large_rejected_message_are_capped(world: World, clock: Clock) -> None:
    device = bound_device(world, elder_with_contacts(world))
    cap = django_settings.DEVICE_REJECTED_RAW_BYTES
    body = {"msg_id": "big", "type": ["sos"], "ts": T0.isoformat(), "pad": "x" * (2 * cap)}
    padded = raw(device, body)
    assert cap < len(padded.body) <= django_settings.DEVICE_MAX_PAYLOAD_BYTES
    (outcome,) = ingest_all(padded)
    assert (outcome["status"], outcome.get("reason")) == ("rejected", "unknown_type")
    kept = RejectedMessage.objects.get()
    assert crypto.decrypt_bytes(kept.raw_sealed.encode()) == padded.body[:cap]
    assert kept.size == len(padded.body)


def test_control_characters_in_ids_are_rejected_and_stored_printable(
    world: World, clock: Clock
) -> None:
    device = bound_device(world, elder_with_contacts(world))
    nul = raw(device, {"msg_id": "x\u0000y", "type": "sos", "ts": T0.isoformat()})
    bad_key = Inbound(device_key="abc\u0000def\n", body=b'{"msg_id": "1"}')
    long_id = raw(device, {"msg_id": "m" * 65, "type": "sos", "ts": T0.isoformat()})
    outcomes = ingest_all(nul, bad_key, long_id, msg(device, "heartbeat", msg_id="ok"))
    assert [(o["status"], o.get("reason")) for o in outcomes] == [
        ("rejected", "invalid_value"),
        ("rejected", "unknown_device"),
        ("rejected", "invalid_value"),
        ("accepted", None),
    ]
    keys = set(RejectedMessage.objects.values_list("device_key", flat=True))
    assert keys == {str(device.external_id), "abc\ufffddef\ufffd"}
    assert RejectedMessage.objects.get(detail__contains="control").msg_id == "x\ufffdy"
    assert DeviceEvent.objects.get().msg_id == "ok"


def test_a_nested_payload_is_malformed_not_a_crash(world: World, clock: Clock) -> None:
    device = bound_device(world, elder_with_contacts(world))
    deep = b'{"a":' * 500 + b"1" + b"}" * 500
    outcomes = ingest_all(raw(device, deep))
    assert (outcomes[0]["status"], outcomes[0]["reason"]) == ("rejected", "malformed")


class _Buggy(Decoder):
    vendor = "buggy"

    def decode(self, payload: Any) -> Reading:
        if payload.get("boom"):
            raise ZeroDivisionError("a bug in a plug-in decoder")
        return Reading(msg_id=str(payload["msg_id"]), type="heartbeat", occurred_at=T0)


@pytest.fixture
def buggy() -> Any:
    DECODERS["buggy"] = _Buggy()
    yield
    del DECODERS["buggy"]


def test_any_exception_in_a_decoder_rejects_that_message_alone(
    world: World, clock: Clock, buggy: Any
) -> None:
    device = bound_device(world, elder_with_contacts(world))
    device.vendor = "buggy"
    device.save(update_fields=["vendor"])
    outcomes = ingest_all(
        raw(device, {"msg_id": "1"}),
        raw(device, {"msg_id": "2", "boom": 1}),
        raw(device, {"msg_id": "3"}),
    )
    assert [(o["status"], o.get("reason")) for o in outcomes] == [
        ("accepted", None),
        ("rejected", "unreadable"),
        ("accepted", None),
    ]
    assert RejectedMessage.objects.get().detail == "ZeroDivisionError: a bug in a plug-in decoder"


def test_a_message_the_database_refuses_is_found_by_halving_not_one_by_one(
    world: World, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    device = bound_device(world, elder_with_contacts(world))
    real = ingest_store.events_insert
    batches: list[int] = []

    def insert(candidates: Any, now: Any, messages: Any) -> Any:
        batches.append(len(candidates))
        if any(reading.msg_id == "poison" for _i, reading, _d in candidates.values()):
            raise DataError("invalid byte sequence")
        return real(candidates, now, messages)

    monkeypatch.setattr(ingest_store, "events_insert", insert)
    messages = [msg(device, "heartbeat", msg_id=f"h{n}") for n in range(15)]
    messages.insert(9, msg(device, "sos", msg_id="poison"))
    outcomes = ingest_all(*messages)
    assert [o["status"] for o in outcomes] == ["accepted"] * 9 + ["rejected"] + ["accepted"] * 6
    assert outcomes[9]["reason"] == "unstorable"
    assert DeviceEvent.objects.count() == 15
    assert RejectedMessage.objects.get().reason == "unstorable"
    # 16 messages: the whole, then halves down to the poison alone (depth first): nine
    # transactions in all, where retrying one by one would take seventeen.
    assert batches == [16, 8, 8, 4, 2, 1, 1, 2, 4]


# --------------------------------------------------------------------------------------------
# A fuzz of every JSON shape through the decoders and the storage

_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=80
) | st.sampled_from(["sos", "heartbeat", "vitals", "door", "", "\u0000", "SOS_ALARM"])
_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _text
)
_json = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4),
    max_leaves=12,
)
_fields = st.fixed_dictionaries(
    {},
    optional={
        "msg_id": _json,
        "type": _json,
        "ts": _json | st.just(T0.isoformat()),
        "heart_rate": _json,
        "spo2": _json,
        "battery": _json,
        "lat": _json,
        "lng": _json,
        "open": _json,
        "ppm": _json,
        "seq": _json,
        "evt": _json,
        "time": _json,
        "data": _json,
    },
)
_payload = _fields | _json | st.binary(max_size=64).map(lambda b: ("bytes", b))


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    payloads=st.lists(_payload, min_size=1, max_size=6), vendor=st.sampled_from(["yiyang", "anxin"])
)
def test_every_json_shape_ends_as_exactly_one_event_or_one_rejection(
    fuzz_device: Any, payloads: list[Any], vendor: str
) -> None:
    fuzz_device.vendor = vendor
    fuzz_device.save(update_fields=["vendor"])
    messages: list[Inbound] = []
    for payload in payloads:
        if isinstance(payload, tuple):
            body: Any = payload[1]
        elif isinstance(payload, dict | list) and len(messages) % 2:
            body = payload  # already parsed, as the HTTP callback passes it
        else:
            body = json.dumps(payload).encode()
        messages.append(Inbound(device_key=str(fuzz_device.external_id), body=body))
    events, rejected = DeviceEvent.objects.count(), RejectedMessage.objects.count()
    outcomes = device_messages_ingest(messages=messages).outcomes
    statuses = [o.status for o in outcomes]
    assert len(statuses) == len(messages)
    assert set(statuses) <= {"accepted", "duplicate", "rejected"}
    assert DeviceEvent.objects.count() - events == statuses.count("accepted")
    assert RejectedMessage.objects.count() - rejected == statuses.count("rejected")


@pytest.fixture
def fuzz_device(world: World, clock: Clock) -> Any:
    return bound_device(world, elder_with_contacts(world))


# --------------------------------------------------------------------------------------------
# Vendor binding (security issue, item 3)


def _signed(body: bytes, vendor: str, secret: str) -> Any:
    stamp = str(int(time.time()))
    return Client().post(
        "/api/v1/device-events/",
        data=body,
        content_type="application/json",
        HTTP_X_YIYANG_VENDOR=vendor,
        HTTP_X_YIYANG_TIMESTAMP=stamp,
        HTTP_X_YIYANG_SIGNATURE=callback_signature(secret, stamp, body),
    )


def test_a_vendor_cannot_speak_for_another_vendors_device(world: World) -> None:
    elder = elder_with_contacts(world)
    theirs = bound_device(world, elder, vendor="yiyang")
    body = json.dumps(
        {
            "device_id": str(theirs.external_id),
            "seq": 7,
            "evt": "SOS_ALARM",
            "time": int(time.time() * 1000),
            "msg_id": "forged",
            "type": "sos",
            "ts": int(time.time()),
        }
    ).encode()
    response = _signed(body, "anxin", "demo-anxin-secret")
    assert response.status_code == 200
    (result,) = response.json()["results"]
    assert (result["status"], result["reason"], result["field"]) == (
        "rejected",
        "wrong_vendor",
        "device_id",
    )
    assert result["message"] == "signed by vendor 'anxin'; the device is 'yiyang''s"
    assert DeviceEvent.objects.count() == 0 and Alert.objects.count() == 0
    kept = RejectedMessage.objects.get()
    assert (kept.reason, kept.via, kept.device_id) == ("wrong_vendor", "http", theirs.pk)
    assert Rejection.objects.get().reason == "wrong_vendor"
    # The same event signed by the device's own vendor is taken.
    assert _signed(body, "yiyang", "demo-vendor-secret").json()["results"][0]["status"] == (
        "accepted"
    )


def test_unknown_device_ids_are_kept_printable(world: World, clock: Clock) -> None:
    key = str(uuid.uuid4())
    outcomes = ingest_all(Inbound(device_key=key, body=b'{"msg_id": "z"}'))
    assert outcomes[0]["reason"] == "unknown_device"
    assert RejectedMessage.objects.get().device_key == key
