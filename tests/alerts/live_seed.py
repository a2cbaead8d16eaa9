"""Run in a subprocess against a live test database: seed elders with bound devices and
print their device ids as JSON. ``python -m tests.alerts.live_seed N``."""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.test_settings")

import django

django.setup()

from decimal import Decimal  # noqa: E402

from tests.factories import citizen_id, make_child, make_city  # noqa: E402
from yiyang.core.choices import DivisionLevel as L  # noqa: E402
from yiyang.core.permissions import SystemActor  # noqa: E402
from yiyang.core.scoping import Scope  # noqa: E402
from yiyang.devices.services import device_bind, device_register  # noqa: E402
from yiyang.elders.services import contact_add, elder_create  # noqa: E402


def main(count: int) -> None:
    city = make_city("4191", "城X")
    district = make_child(city, L.DISTRICT, 2, "区XA")
    street = make_child(district, L.STREET, 1, "街XA1")
    community = make_child(street, L.COMMUNITY, 1, "社区XA1a")
    actor = SystemActor(Scope(division_prefix="4191"), username="live-seed")
    ids = []
    for n in range(count):
        elder = elder_create(
            actor=actor,
            name=f"测试{n}",
            community=community,
            address=f"幸福路{n}号",
            id_number=citizen_id("419102", "19400315", n + 1),
            lat=Decimal("34.75"),
            lng=Decimal("113.65"),
        )
        contact_add(
            actor=actor,
            elder=elder,
            name="李强",
            relation="child",
            phones=["13900139000"],
            is_first_to_call=True,
        )
        device = device_register(
            actor=actor, kind="pendant", vendor="yiyang", serial=f"LIVE{n:05d}", community=community
        )
        device_bind(actor=actor, device=device, elder=elder)
        ids.append(str(device.external_id))
    print(json.dumps(ids))


if __name__ == "__main__":
    main(int(sys.argv[1]))
