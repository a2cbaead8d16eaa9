"""The rejected messages of one device and reason, on a page: the raw bytes as received,
shown only on request, escaped, audited and scoped."""

from __future__ import annotations

import json
from typing import Any

from tests.alerts.helpers import T0, Clock, bound_device, elder_with_contacts
from tests.conftest import World
from yiyang.alerts.services import device_messages_ingest
from yiyang.core.choices import AuditAction
from yiyang.core.models import AuditEvent
from yiyang.core.permissions import Role
from yiyang.devices.models import Rejection
from yiyang.devices.services import Inbound, readable_bytes


def poison(world: World) -> None:
    device = bound_device(world, elder_with_contacts(world))  # in XA1a
    body = json.dumps({"msg_id": "a\x00b", "type": "sos", "ts": T0.isoformat()}).encode()
    bad = b'{"msg_id": "c", "type": ["<script>"], "ts": "' + T0.isoformat().encode() + b'"}\xff'
    device_messages_ingest(
        messages=[
            Inbound(device_key=str(device.external_id), body=body),
            Inbound(device_key=str(device.external_id), body=bad),
        ]
    )


def test_bytes_are_shown_readably() -> None:
    assert readable_bytes(b"ok\n\tz") == "ok\n\tz"
    assert readable_bytes(b"a\x00b\x1b") == "a\\x00b\\x1b"
    assert readable_bytes("体温".encode() + b"\xff") == "体温\\xff"


def test_raw_contents_on_request_audited_and_escaped(
    world: World, clock: Clock, client_for: Any
) -> None:
    poison(world)
    street = client_for(Role.STREET_OFFICER)
    listing = street.get("/devices/rejections/").content.decode()
    # Groups of a known device (unknown device ids belong to no jurisdiction).
    groups = list(Rejection.objects.filter(device__isnull=False).order_by("pk"))
    assert groups and all(f"/devices/rejections/{g.pk}/" in listing for g in groups)
    for group in groups:
        url = f"/devices/rejections/{group.pk}/"
        page = street.get(url)
        assert page.status_code == 200
        # Metadata only until asked; nothing audited yet.
        assert "原始内容" in page.content.decode() and "<pre" not in page.content.decode()
        assert not AuditEvent.objects.filter(action=AuditAction.VIEW_SEALED).exists()
        shown = street.post(url).content.decode()
        assert '<pre class="raw">' in shown
        assert "<script>" not in shown  # escaped like any other text
        event = AuditEvent.objects.filter(action=AuditAction.VIEW_SEALED).latest("pk")
        assert event.actor == world.user[Role.STREET_OFFICER]
        assert event.changes["messages"] >= 1
        AuditEvent.objects.filter(action=AuditAction.VIEW_SEALED).delete()
    texts = " ".join(street.post(f"/devices/rejections/{g.pk}/").content.decode() for g in groups)
    assert "a\\u0000b" in texts  # the bytes as sent (the JSON escape the device used)


def test_other_jurisdictions_and_read_only_roles(
    world: World, clock: Clock, client_for: Any
) -> None:
    poison(world)
    group = Rejection.objects.filter(device__isnull=False).order_by("pk").first()
    assert group is not None
    url = f"/devices/rejections/{group.pk}/"
    # Another city's administrator: the same 404 as a group that does not exist.
    outsider = client_for("admin_Y")
    assert outsider.get(url).status_code == 404
    assert outsider.post(url).status_code == 404
    assert client_for(Role.CITY_ADMIN).get("/devices/rejections/999999/").status_code == 404
    # The auditor may list the messages but not unseal them.
    auditor = client_for(Role.AUDITOR)
    assert auditor.get(url).status_code == 200
    assert "显示原始内容" not in auditor.get(url).content.decode()
    assert auditor.post(url).status_code == 403
    assert not AuditEvent.objects.filter(action=AuditAction.VIEW_SEALED).exists()
