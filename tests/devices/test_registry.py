"""Device registry management: registering, correcting, binding, unbinding and rebinding,
with history, clear errors and jurisdiction scope (services, API and pages)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from tests.alerts.helpers import T0, Clock, bound_device, elder_with_contacts
from tests.conftest import World, login, token_for
from yiyang.core.models import AuditEvent
from yiyang.devices.models import Device, DeviceBinding
from yiyang.devices.services import (
    device_bind,
    device_rebind,
    device_register,
    device_unbind,
    device_update,
)
from yiyang.elders.services import elder_update


def register(world: World, actor: str = "community_worker", **values: Any) -> Device:
    values.setdefault("kind", "pendant")
    values.setdefault("vendor", "yiyang")
    values.setdefault("serial", "SN-1")
    values.setdefault("community", world.div["XA1a"])
    return device_register(actor=world.user[actor], **values)


def api(world: World, role: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {token_for(world.user[role])}")


def page_client(world: World, role: str) -> Client:
    client = login(Client(), world.user[role])
    client.cookies["django_language"] = "en"
    return client


# --- services ---------------------------------------------------------------------------


def test_a_community_worker_registers_a_device_with_every_detail(world: World) -> None:
    device = register(
        world,
        model="YY-S1",
        imei="861234567890123",
        sim_iccid="89860012345678901234",
        firmware="1.4.2",
        installed_on=datetime.date(2026, 11, 1),
        heartbeat_interval_seconds=600,
    )
    device.refresh_from_db()
    assert (device.kind, device.vendor, device.serial, device.imei, device.sim_iccid) == (
        "pendant",
        "yiyang",
        "SN-1",
        "861234567890123",
        "89860012345678901234",
    )
    assert (device.status, device.division_code, device.heartbeat_interval_seconds) == (
        "in_stock",
        world.div["XA1a"].code,
        600,
    )
    event = AuditEvent.objects.get(object_type="devices.device", action="create")
    assert (event.actor_username, event.changes["serial"], event.changes["installed_on"]) == (
        "community_worker",
        "SN-1",
        "2026-11-01",
    )


def test_duplicates_of_serial_imei_and_sim_are_refused_by_field(world: World) -> None:
    register(world, imei="861234567890123", sim_iccid="89860012345678901234")
    with pytest.raises(ValidationError) as error:
        register(world, imei="861234567890123", sim_iccid="89860012345678901234")
    assert set(error.value.message_dict) == {"serial", "imei", "sim_iccid"}
    # The same serial of another vendor is another device.
    register(world, vendor="anxin")
    assert Device.objects.count() == 2


def test_bad_values_are_each_named_and_nothing_is_written(world: World) -> None:
    with pytest.raises(ValidationError) as error:
        register(
            world,
            kind="toaster",
            vendor="nobody",
            serial="has space",
            imei="12ab",
            sim_iccid="123",
            installed_on=datetime.date(2099, 1, 1),
            heartbeat_interval_seconds=5,
            community=world.div["XA1"],
        )
    assert set(error.value.message_dict) == {
        "kind",
        "vendor",
        "serial",
        "imei",
        "sim_iccid",
        "installed_on",
        "heartbeat_interval_seconds",
        "community",
    }
    assert Device.objects.count() == 0 and AuditEvent.objects.count() == 0


def test_registration_outside_the_jurisdiction_or_without_the_role_is_refused(
    world: World,
) -> None:
    with pytest.raises(ValidationError) as error:
        register(world, community=world.div["XA1b"])  # the worker's community is XA1a
    assert set(error.value.message_dict) == {"community"}
    for role in ("operator", "auditor", "provider_manager"):
        with pytest.raises(PermissionDenied):
            register(world, role)


def test_an_edit_keeps_who_changed_what_from_what_to_what(world: World) -> None:
    device = register(world, firmware="1.0")
    device_update(
        actor=world.user["street_officer"],
        device=device,
        firmware="1.1",
        heartbeat_interval_seconds=120,
        model="YY-S1",
    )
    device.refresh_from_db()
    assert (device.firmware, device.heartbeat_interval_seconds) == ("1.1", 120)
    event = AuditEvent.objects.get(object_type="devices.device", action="update")
    assert event.actor_username == "street_officer"
    assert event.changes == {
        "firmware": ["1.0", "1.1"],
        "heartbeat_interval_seconds": [300, 120],
        "model": ["", "YY-S1"],
    }


def test_an_edit_refuses_a_duplicate_and_unknown_fields(world: World) -> None:
    register(world, imei="861234567890123")
    other = register(world, serial="SN-2")
    with pytest.raises(ValidationError) as error:
        device_update(
            actor=world.user["community_worker"],
            device=other,
            imei="861234567890123",
            serial="SN-1",
        )
    assert set(error.value.message_dict) == {"imei", "serial"}
    with pytest.raises(ValidationError) as error:
        device_update(actor=world.user["community_worker"], device=other, status="retired")
    assert set(error.value.message_dict) == {"status"}
    other.refresh_from_db()
    assert (other.serial, other.imei) == ("SN-2", "")


def test_binding_unbinding_and_rebinding_keep_the_history(world: World, clock: Clock) -> None:
    worker = world.user["community_worker"]
    first = elder_with_contacts(world)
    second = elder_with_contacts(world, name="周桂兰")
    device = register(world)
    device_bind(actor=worker, device=device, elder=first, home_address="幸福路1号")
    clock.advance(days=2)
    device_unbind(actor=worker, device=device, reason="住院")
    clock.advance(days=3)
    device_bind(actor=worker, device=device, elder=first)
    clock.advance(days=1)
    device_rebind(
        actor=world.user["street_officer"], device=device, elder=second, reason="换给邻居"
    )
    rows = list(DeviceBinding.objects.filter(device=device).order_by("bound_at"))
    day = datetime.timedelta(days=1)
    assert [
        (
            b.elder.name,
            b.home_address,
            b.bound_at,
            b.bound_by_username,
            b.unbound_at,
            b.unbound_by_username,
            b.reason,
        )
        for b in rows
    ] == [
        ("张秀英", "幸福路1号", T0, "community_worker", T0 + 2 * day, "community_worker", "住院"),
        (
            "张秀英",
            "幸福路1号3单元201",
            T0 + 5 * day,
            "community_worker",
            T0 + 6 * day,
            "street_officer",
            "换给邻居",
        ),
        ("周桂兰", "幸福路1号3单元201", T0 + 6 * day, "street_officer", None, "", ""),
    ]
    device.refresh_from_db()
    assert (device.elder, device.status) == (second, "active")
    moves = [
        e.changes["elder"]
        for e in AuditEvent.objects.filter(object_type="devices.device", action="update").order_by(
            "id"
        )
    ]
    f, s = str(first.external_id), str(second.external_id)
    assert moves == [[None, f], [f, None], [None, f], [f, s]]


def test_binding_a_bound_device_is_refused_until_unbound(world: World, clock: Clock) -> None:
    worker = world.user["community_worker"]
    first, second = elder_with_contacts(world), elder_with_contacts(world, name="周桂兰")
    device = register(world)
    device_bind(actor=worker, device=device, elder=first)
    with pytest.raises(ValidationError) as error:
        device_bind(actor=worker, device=device, elder=second)
    assert set(error.value.message_dict) == {"device"}
    with pytest.raises(ValidationError) as error:
        device_rebind(actor=worker, device=device, elder=first)
    assert set(error.value.message_dict) == {"elder"}
    assert DeviceBinding.objects.filter(device=device).count() == 1


def test_no_binding_to_a_deceased_or_out_of_scope_elder(world: World, clock: Clock) -> None:
    worker = world.user["community_worker"]
    device = register(world)
    gone = elder_with_contacts(world)
    elder_update(
        actor=world.user["city_admin"],
        elder=gone,
        status="deceased",
        deceased_on=datetime.date(2026, 11, 20),
    )
    elsewhere = elder_with_contacts(world, "XA1b", name="赵大爷")
    for elder in (gone, elsewhere):
        with pytest.raises(ValidationError) as error:
            device_bind(actor=worker, device=device, elder=elder)
        assert set(error.value.message_dict) == {"elder"}
    with pytest.raises(ValidationError):
        device_unbind(actor=worker, device=device)  # not bound
    assert DeviceBinding.objects.count() == 0


def test_a_device_outside_the_jurisdiction_cannot_be_managed(world: World, clock: Clock) -> None:
    device = bound_device(world, elder_with_contacts(world, "XA1b", name="赵大爷"))
    worker = world.user["community_worker"]
    with pytest.raises(PermissionDenied):
        device_update(actor=worker, device=device, firmware="2")
    with pytest.raises(PermissionDenied):
        device_unbind(actor=worker, device=device)


# --- API --------------------------------------------------------------------------------


def test_the_api_registers_edits_binds_unbinds_and_rebinds(world: World, clock: Clock) -> None:
    client = api(world, "community_worker")
    created = client.post(
        "/api/v1/devices/",
        {
            "kind": "watch",
            "vendor": "anxin",
            "serial": "AX-9",
            "imei": "861234567890123",
            "community": world.div["XA1a"].code,
            "installed_on": "2026-11-01",
            "heartbeat_interval_seconds": 600,
        },
        content_type="application/json",
    )
    assert created.status_code == 201
    body = created.json()
    assert (body["kind"], body["serial"], body["status"], body["elder"]) == (
        "watch",
        "AX-9",
        "in_stock",
        None,
    )
    url = f"/api/v1/devices/{body['device_id']}/"
    edited = client.patch(url, {"firmware": "2.0"}, content_type="application/json")
    assert (edited.status_code, edited.json()["firmware"]) == (200, "2.0")

    elder = elder_with_contacts(world)
    bound = client.post(
        f"{url}bind/", {"elder": str(elder.external_id)}, content_type="application/json"
    )
    assert bound.status_code == 201
    assert (bound.json()["elder"], bound.json()["bound_by"]) == (
        str(elder.external_id),
        "community_worker",
    )
    again = client.post(
        f"{url}bind/", {"elder": str(elder.external_id)}, content_type="application/json"
    )
    assert (again.status_code, list(again.json())) == (400, ["device"])

    other = elder_with_contacts(world, name="周桂兰")
    moved = client.post(
        f"{url}rebind/",
        {"elder": str(other.external_id), "reason": "换人"},
        content_type="application/json",
    )
    assert moved.status_code == 201
    unbound = client.post(f"{url}unbind/", {"reason": "回收"}, content_type="application/json")
    assert (unbound.status_code, unbound.json()["elder"], unbound.json()["status"]) == (
        200,
        None,
        "in_stock",
    )
    history = client.get(f"{url}bindings/").json()["results"]
    assert [(h["elder_name"], h["reason"], h["unbound_by"]) for h in history] == [
        ("周桂兰", "回收", "community_worker"),
        ("张秀英", "换人", "community_worker"),
    ]


def test_the_api_answers_bad_input_with_the_field_and_never_a_500(
    world: World, clock: Clock
) -> None:
    client = api(world, "community_worker")
    bad = client.post(
        "/api/v1/devices/",
        {
            "kind": "toaster",
            "vendor": "nobody",
            "serial": "",
            "community": "x",
        },
        content_type="application/json",
    )
    assert bad.status_code == 400 and {"kind", "serial"} <= set(bad.json())
    unknown_vendor = client.post(
        "/api/v1/devices/",
        {
            "kind": "pendant",
            "vendor": "nobody",
            "serial": "S",
            "community": world.div["XA1a"].code,
        },
        content_type="application/json",
    )
    assert (unknown_vendor.status_code, list(unknown_vendor.json())) == (400, ["vendor"])
    outside = client.post(
        "/api/v1/devices/",
        {
            "kind": "pendant",
            "vendor": "yiyang",
            "serial": "S",
            "community": world.div["YA1a"].code,
        },
        content_type="application/json",
    )
    assert (outside.status_code, list(outside.json())) == (400, ["community"])
    device = register(world)
    url = f"/api/v1/devices/{device.external_id}/"
    far = elder_with_contacts(world, "YA1a", name="外城老人")
    for elder_id in (str(far.external_id), "not-a-uuid"):
        answer = client.post(f"{url}bind/", {"elder": elder_id}, content_type="application/json")
        assert (answer.status_code, list(answer.json())) == (400, ["elder"])
    assert (
        client.patch(
            url, {"heartbeat_interval_seconds": 1}, content_type="application/json"
        ).status_code
        == 400
    )
    assert client.post(f"{url}unbind/", {}, content_type="application/json").status_code == 400
    assert Device.objects.count() == 1 and DeviceBinding.objects.count() == 0


def test_the_api_refuses_roles_without_the_permission(world: World, clock: Clock) -> None:
    device = register(world)
    operator = api(world, "operator")
    url = f"/api/v1/devices/{device.external_id}/"
    assert (
        operator.patch(url, {"firmware": "x"}, content_type="application/json").status_code == 403
    )
    assert api(world, "caregiver").get(url).status_code == 403
    # Outside the jurisdiction the device does not exist.
    outsider = api(world, "worker_YA1a")
    assert (
        outsider.patch(url, {"firmware": "x"}, content_type="application/json").status_code == 404
    )


# --- pages ------------------------------------------------------------------------------


def test_pages_register_edit_bind_and_unbind(world: World, clock: Clock) -> None:
    client = page_client(world, "community_worker")
    assert "Register a device" in client.get("/devices/").content.decode()
    form = client.get("/devices/new/")
    assert form.status_code == 200
    created = client.post(
        "/devices/new/",
        {
            "kind": "pendant",
            "vendor": "yiyang",
            "serial": "P-1",
            "community": world.div["XA1a"].code,
            "heartbeat_interval_seconds": "300",
        },
    )
    assert created.status_code == 302
    device = Device.objects.get(serial="P-1")
    base = f"/devices/{device.external_id}"
    assert (
        client.post(
            f"{base}/edit/",
            {
                "kind": "pendant",
                "vendor": "yiyang",
                "serial": "P-1",
                "firmware": "3.1",
                "heartbeat_interval_seconds": "300",
            },
        ).status_code
        == 302
    )
    elder = elder_with_contacts(world)
    search = client.get(f"{base}/bind/", {"q": "张秀英"}).content.decode()
    assert "张秀英" in search and f"elder={elder.external_id}" in search
    chosen = client.get(f"{base}/bind/", {"q": "张秀英", "elder": str(elder.external_id)})
    assert 'id="bind-form"' in chosen.content.decode()
    assert client.post(f"{base}/bind/", {"elder": str(elder.external_id)}).status_code == 302
    detail = client.get(f"{base}/").content.decode()
    assert "张秀英" in detail and "community_worker" in detail and "3.1" in detail
    assert client.post(f"{base}/unbind/", {"reason": "回收"}).status_code == 302
    device.refresh_from_db()
    assert (device.firmware, device.elder, device.status) == ("3.1", None, "in_stock")


def test_page_forms_show_the_reason_and_write_nothing(world: World, clock: Clock) -> None:
    client = page_client(world, "community_worker")
    register(world, imei="861234567890123")
    page = client.post(
        "/devices/new/",
        {
            "kind": "pendant",
            "vendor": "yiyang",
            "serial": "SN-1",
            "imei": "861234567890123",
            "community": world.div["XA1a"].code,
            "heartbeat_interval_seconds": "300",
        },
    )
    text = page.content.decode()
    assert page.status_code == 200 and "IMEI" in text and "has-error" in text
    device = Device.objects.get()
    gone = elder_with_contacts(world)
    elder_update(
        actor=world.user["city_admin"],
        elder=gone,
        status="deceased",
        deceased_on=datetime.date(2026, 11, 20),
    )
    refused = client.post(f"/devices/{device.external_id}/bind/", {"elder": str(gone.external_id)})
    assert refused.status_code == 200 and "form-errors" in refused.content.decode()
    assert Device.objects.count() == 1 and DeviceBinding.objects.count() == 0


def test_management_pages_need_the_permission(world: World, clock: Clock) -> None:
    device = register(world)
    operator = page_client(world, "operator")
    assert operator.get("/devices/new/").status_code == 403
    assert operator.get(f"/devices/{device.external_id}/edit/").status_code == 403
    assert operator.post(f"/devices/{device.external_id}/unbind/").status_code == 403
    assert "Register a device" not in operator.get("/devices/").content.decode()


def test_the_binding_history_costs_the_same_queries_however_long(
    world: World, clock: Clock
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    worker = world.user["community_worker"]
    device = register(world)
    elders = [elder_with_contacts(world, name=f"老人{n}") for n in range(6)]
    client = api(world, "community_worker")
    url = f"/api/v1/devices/{device.external_id}/bindings/"

    def count() -> int:
        with CaptureQueriesContext(connection) as context:
            assert client.get(url).status_code == 200
        return len(context.captured_queries)

    device_bind(actor=worker, device=device, elder=elders[0])
    count()  # warm the token cache
    one = count()
    for elder in elders[1:]:
        clock.advance(hours=1)
        device_rebind(actor=worker, device=device, elder=elder)
    assert count() == one
    page = page_client(world, "community_worker")
    page.get(f"/devices/{device.external_id}/")  # warm the session
    with CaptureQueriesContext(connection) as few:
        page.get(f"/devices/{device.external_id}/")
    clock.advance(hours=1)
    device_unbind(actor=worker, device=device)
    with CaptureQueriesContext(connection) as more:
        page.get(f"/devices/{device.external_id}/")
    assert len(more.captured_queries) == len(few.captured_queries)
