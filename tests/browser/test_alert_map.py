"""The alert panel's map in a real browser: Leaflet (vendored, no CDN) draws the elder's
home, where the alarm came from and the device, and nothing is fetched from elsewhere."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.alerts.helpers import bound_device, elder_with_contacts, msg
from tests.conftest import build_world
from tests.factories import PASSWORD
from yiyang.alerts.models import Alert
from yiyang.alerts.services import device_messages_ingest

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_panel_maps_home_alarm_and_device(live_server: Any, browser: Any) -> None:
    world = build_world()
    elder = elder_with_contacts(world, name="王秀英")
    watch = bound_device(world, elder, kind="watch")
    device_messages_ingest(messages=[msg(watch, "sos", lat=34.7612, lng=113.6634, ts=time.time())])
    alert = Alert.objects.get()
    page = browser.new_page()
    elsewhere: list[str] = []
    page.on(
        "request",
        lambda request: (
            None
            if request.url.startswith(live_server.url) or request.url.startswith("data:")
            else elsewhere.append(request.url)
        ),
    )
    try:
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", "operator")
        page.fill("#id_password", PASSWORD)
        page.click("main form button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        page.goto(f"{live_server.url}/alerts/?alert={alert.external_id}")
        page.wait_for_selector("#alert-map path[data-kind=alarm]", timeout=5000)
        kinds = page.eval_on_selector_all(
            "#alert-map path.leaflet-interactive", "els => els.map(e => e.dataset.kind).sort()"
        )
        assert kinds == ["alarm", "device", "home"]
        tooltips = page.locator("#alert-map .leaflet-tooltip").all_inner_texts()
        assert any("幸福路1号3单元201" in text for text in tooltips)
        # Both points are in view: the map fitted itself to them.
        inside = page.evaluate(
            """() => { const map = document.getElementById('alert-map').yiyangMap;
                       const b = map.getBounds();
                       return b.contains([34.75, 113.65]) && b.contains([34.7612, 113.6634]); }"""
        )
        assert inside is True
        assert elsewhere == []
    finally:
        page.close()
