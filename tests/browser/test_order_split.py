"""The order form in a real browser: choosing the service shows its price, the elder's
entitlement and the computed payer split at once (htmx, under the page's policy), and the
community worker types no amounts."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest

from tests.visits.conftest import Care
from tests.visits.conftest import care as care  # the fixture
from yiyang.core.permissions import Role
from yiyang.elders.models import Elder
from yiyang.visits.models import Order

PASSWORD = "Browser-order-2026"
pytestmark = pytest.mark.django_db(transaction=True)


def test_the_order_form_shows_the_split_live(live_server: Any, browser: Any, care: Care) -> None:
    from playwright.sync_api import expect

    Elder.objects.filter(pk=care.elder.pk).update(ability_level="severe")
    worker = care.world.user[Role.COMMUNITY_WORKER]
    worker.set_password(PASSWORD)
    worker.save()
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    try:
        base = live_server.url
        page.goto(f"{base}/accounts/login/")
        page.fill("#id_username", worker.username)
        page.fill("#id_password", PASSWORD)
        page.click("main form button[type=submit]")
        page.wait_for_url(f"{base}/")
        page.goto(f"{base}/visits/orders/new/?elder={care.elder.external_id}")
        assert page.locator("input[name=allowance_yuan]").count() == 0
        page.select_option("#id_provider", str(care.provider.pk))
        page.select_option("#id_item", str(care.items["ZY01"].pk))
        expect(page.locator("[data-split=price]")).to_contain_text("80", timeout=10000)
        expect(page.locator("[data-split=ltc]")).to_contain_text("48")
        expect(page.locator("[data-split=self-pay]")).to_contain_text("32")
        shot = Path(tempfile.gettempdir()) / "yiyang-screenshots" / "order-form-360.png"
        shot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shot), full_page=True)
        page.select_option("#id_item", str(care.items["JW03"].pk))
        expect(page.locator("[data-split=ltc]")).to_contain_text("0.00", timeout=10000)
        page.click("button.primary")
        page.wait_for_url(f"{base}/visits/orders/*/")
        assert Order.objects.get().item == care.items["JW03"]
    finally:
        context.close()
