"""Safe alarm handling in a real browser: the page says sound is off until the first click,
then a new critical alarm beeps; resolving without choosing an outcome is impossible."""

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


def test_operator_hears_critical_alarms_and_must_choose_an_outcome(
    live_server: Any, browser: Any
) -> None:
    world = build_world()
    device = bound_device(world, elder_with_contacts(world, name="赵桂英"))
    page = browser.new_page()
    try:
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", "operator")
        page.fill("#id_password", PASSWORD)
        page.click("main form button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        page.goto(f"{live_server.url}/alerts/")
        page.wait_for_selector("#live-state.on", timeout=5000)
        page.click("h1")  # the shift's first click: the browser now lets the page play sound
        page.wait_for_selector("body[data-sound=on]", timeout=2000)
        assert page.locator("#sound-state").is_hidden()

        device_messages_ingest(messages=[msg(device, "sos", ts=time.time())])
        page.wait_for_selector(".alert-row.p1.open >> text=赵桂英", timeout=2000)
        page.wait_for_selector("body[data-beeps]", timeout=2000)

        page.click(".alert-row.p1 >> text=赵桂英")
        page.wait_for_selector("#alert-panel #handle")
        page.click("#resolve")  # no outcome chosen: the browser refuses to submit
        assert page.locator("#outcome:invalid").count() == 1
        assert Alert.objects.get().status == "open"
        page.select_option("#outcome", "false_alarm")
        page.click("#resolve")
        page.wait_for_selector("#alert-status >> text=已处置")
        assert Alert.objects.get().outcome == "false_alarm"
    finally:
        page.close()
