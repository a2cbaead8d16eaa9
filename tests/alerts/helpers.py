"""Shared helpers for device and alert tests: an elder with contacts and a bound device,
messages in Yiyang's format, and a clock the tests move."""

from __future__ import annotations

import datetime
import itertools
import json
from decimal import Decimal
from typing import Any

from tests.conftest import World
from tests.factories import make_elder
from yiyang.devices.choices import Via
from yiyang.devices.models import Device
from yiyang.devices.services import Inbound, device_bind, device_register
from yiyang.elders.services import contact_add

# A Tuesday, 10:00 in Shanghai (daytime).
T0 = datetime.datetime(2026, 11, 24, 2, 0, tzinfo=datetime.UTC)
_serials = itertools.count(1)
_msgs = itertools.count(1)


class Clock:
    def __init__(self, at: datetime.datetime = T0) -> None:
        self.at = at

    def __call__(self) -> datetime.datetime:
        return self.at

    def advance(self, **delta: float) -> datetime.datetime:
        self.at += datetime.timedelta(**delta)
        return self.at


def admin_for(world: World, division_code: str) -> Any:
    return world.user["admin_Y" if division_code.startswith("4192") else "city_admin"]


def elder_with_contacts(world: World, community: str = "XA1a", **values: Any) -> Any:
    admin = admin_for(world, world.div[community].code)
    values.setdefault("address", "幸福路1号3单元201")
    values.setdefault("lat", Decimal("34.750000"))
    values.setdefault("lng", Decimal("113.650000"))
    values.setdefault("phones", ["13800138000"])
    elder = make_elder(admin, world.div[community], **values)
    contact_add(
        actor=admin,
        elder=elder,
        name="李强",
        relation="child",
        phones=["13900139000"],
        is_first_to_call=True,
    )
    contact_add(actor=admin, elder=elder, name="李梅", relation="child", phones=["13700137000"])
    return elder


def bound_device(
    world: World,
    elder: Any,
    kind: str = "pendant",
    vendor: str = "yiyang",
    at: datetime.datetime = T0,
    **values: Any,
) -> Device:
    admin = admin_for(world, elder.division_code)
    device = device_register(
        actor=admin,
        kind=kind,
        vendor=vendor,
        serial=f"SN{next(_serials):06d}",
        community=elder.community,
        **values,
    )
    device_bind(actor=admin, device=device, elder=elder, at=at)
    device.refresh_from_db()
    return device


def msg(
    device: Device,
    type_: str,
    *,
    ts: Any = None,
    msg_id: str | None = None,
    via: str = Via.MQTT,
    raw: bool = True,
    **fields: Any,
) -> Inbound:
    body = {
        "msg_id": msg_id or f"m{next(_msgs)}",
        "type": type_,
        "ts": ts if ts is not None else T0.isoformat(),
        **fields,
    }
    return Inbound(
        device_key=str(device.external_id),
        body=json.dumps(body).encode() if raw else body,
        via=via,
    )
