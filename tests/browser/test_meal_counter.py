"""The meal counter on a 360-px tablet in a real browser: a printed card's QR value is
scanned and a subsidised meal recorded; the network goes down, two more meals and a second
scan of the first elder are queued; back online the queue is sent, the two meals are
recorded and the second scan is refused with where and when, so no subsidy is granted twice."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.browser.test_visit_journey import PHONE, log_in, no_sideways_scroll
from tests.conftest import build_world
from tests.factories import make_elder
from tests.meals.conftest import build_meals
from yiyang.core.permissions import Role
from yiyang.meals.models import ServedMeal
from yiyang.meals.services import card_value, meal_card_issue

pytestmark = pytest.mark.django_db(transaction=True)


def scan(page: Any, value: str) -> None:
    page.fill("#counter-code", value)
    page.click("#counter-record")


def test_the_counter_records_offline_and_never_subsidises_twice(
    live_server: Any, browser: Any
) -> None:
    meals = build_meals(build_world())
    worker = meals.world.user[Role.COMMUNITY_WORKER]
    third = make_elder(meals.system, meals.world.div["XA1a"], name="赵三")
    cards = {e.name: card_value(meal_card_issue(actor=worker, elder=e))
             for e in (meals.old, meals.young, third)}  # fmt: skip
    base = live_server.url
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
    page = context.new_page()
    try:
        log_in(page, base, meals.staff.username)
        page.goto(f"{base}/meals/counter/")
        no_sideways_scroll(page)
        assert page.locator("#counter-record").bounding_box()["height"] >= 48
        page.select_option("#counter-meal", "lunch")
        page.fill("#counter-code", cards["王老"])
        page.click("#counter-check")
        page.wait_for_selector("#counter-preview .preview-name")
        assert "王老" in page.inner_text("#counter-preview")
        assert "5.00" in page.inner_text("#counter-preview .preview-money")
        page.click("#counter-record")
        page.wait_for_selector("#counter-status.ok")
        first = ServedMeal.objects.get()
        assert (first.elder, first.subsidy_yuan) == (meals.old, Decimal("5.00"))

        context.set_offline(True)
        for name in ("李青", "赵三", "王老"):
            scan(page, cards[name])
        banner = page.locator("#counter-queue")
        banner.wait_for(state="visible")
        assert banner.get_attribute("data-count") == "3"
        assert ServedMeal.objects.count() == 1

        context.set_offline(False)
        banner.wait_for(state="hidden", timeout=30000)
        assert page.evaluate("window.localStorage.getItem('yiyang.meal-queue.v1')") == "[]"
        served = ServedMeal.objects.order_by("id")
        assert [m.elder.name for m in served] == ["王老", "李青", "赵三"]
        assert sum(1 for m in served if m.elder == meals.old) == 1
        assert all(m.client_id is not None for m in served)
        refused = page.locator("#counter-log li.refused")
        assert refused.count() == 1
        assert "食堂XA1a" in refused.inner_text()
    finally:
        context.close()
