"""The operator console in a real browser: a simulated SOS appears within a second without a
reload, the operator acknowledges, logs a call and resolves; an unacknowledged alert
escalates on screen."""

from __future__ import annotations

import datetime
import time
from typing import Any

import pytest

from tests.alerts.helpers import bound_device, elder_with_contacts, msg
from tests.conftest import build_world
from tests.factories import PASSWORD
from yiyang.alerts.models import Alert
from yiyang.alerts.services import alerts_escalate, device_messages_ingest

pytestmark = pytest.mark.django_db(transaction=True)


def test_sos_to_resolution_and_escalation(live_server: Any, browser: Any) -> None:
    world = build_world()
    elder = elder_with_contacts(world, name="王秀英")
    device = bound_device(world, elder)
    page = browser.new_page()
    try:
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", "operator")
        page.fill("#id_password", PASSWORD)
        page.click("main form button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        page.click("nav.mainnav >> text=报警中心")
        page.wait_for_selector("#live-state.on", timeout=5000)
        assert page.locator(".alert-row").count() == 0

        # A simulated SOS, through the same ingestion service the gateway calls.
        device_messages_ingest(messages=[msg(device, "sos", ts=time.time())])
        started = time.monotonic()
        page.wait_for_selector(".alert-row.p1.open >> text=王秀英", timeout=1000)
        assert time.monotonic() - started < 1.0
        assert "按下SOS键" in page.locator("#queue").inner_text()

        page.click(".alert-row.p1 >> text=王秀英")
        page.wait_for_selector("#alert-panel")
        assert "立即致电老年人" in page.locator("#script").inner_text()
        contacts = page.locator("#contacts li").all_inner_texts()
        assert contacts[0].startswith("李强") and contacts[1].startswith("李梅")
        page.click("#ack")
        page.wait_for_selector("#alert-status >> text=已受理")
        page.click("#called-elder-reached")
        page.wait_for_selector("#action-log >> text=已致电老年人")
        page.select_option("#outcome", "assisted_at_home")
        page.click("#resolve")
        page.wait_for_selector("#alert-status >> text=已处置")
        assert page.locator("#alert-outcome").inner_text() == "上门协助处理"
        alert = Alert.objects.get()
        assert (alert.status, alert.outcome, alert.acknowledged_by.username) == (
            "resolved",
            "assisted_at_home",
            "operator",
        )

        # A second alert nobody acknowledges: after 60 s the monitor escalates it, and the
        # console shows it without a reload.
        page.goto(f"{live_server.url}/alerts/")
        page.wait_for_selector("#live-state.on", timeout=5000)
        device_messages_ingest(messages=[msg(device, "fall", ts=time.time())])
        page.wait_for_selector(".alert-row.p1.open >> text=检测到跌倒", timeout=1000)
        assert alerts_escalate(now=datetime.datetime.now(datetime.UTC)) == 0
        later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=61)
        assert alerts_escalate(now=later) == 1
        page.wait_for_selector(".alert-row .badge.escalated", timeout=1000)
    finally:
        page.close()
