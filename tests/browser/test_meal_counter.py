"""The meal counter on a 360-px tablet in a real browser: a printed card's QR value is
scanned and a subsidised meal recorded; the network goes down, two more meals and a second
scan of the first elder are queued; back online the queue is sent, the two meals are
recorded and the second scan is refused with where and when, so no subsidy is granted twice.
Then a family member books a delivery, the canteen gives the round to its courier and the
courier confirms it on a phone."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest
from PIL import Image

from tests.browser.test_visit_journey import PHONE, log_in, no_sideways_scroll
from tests.conftest import build_world
from tests.factories import UserFactory, make_elder
from tests.meals.conftest import build_meals
from yiyang.core.permissions import Role
from yiyang.elders.photos import elder_photo_set
from yiyang.meals.models import ServedMeal
from yiyang.meals.services import card_value, meal_card_issue

pytestmark = pytest.mark.django_db(transaction=True)


def scan(page: Any, value: str) -> None:
    page.fill("#counter-code", value)
    page.click("#counter-record")


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (60, 80), (200, 120, 80)).save(out, "PNG")
    return out.getvalue()


def test_the_counter_records_offline_and_never_subsidises_twice(
    live_server: Any, browser: Any, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    meals = build_meals(build_world())
    worker = meals.world.user[Role.COMMUNITY_WORKER]
    # The first elder has a photo: the counter shows it to confirm whom it serves.
    elder_photo_set(actor=worker, elder=meals.old, data=_png())
    third = make_elder(meals.system, meals.world.div["XA1a"], name="赵三")
    issued = {
        e.name: meal_card_issue(actor=worker, elder=e) for e in (meals.old, meals.young, third)
    }
    cashier = UserFactory(
        username="cashier", role=Role.CANTEEN_STAFF, organisation=meals.canteen.organisation
    )
    base = live_server.url
    # What the scanner reads is what the printed card's QR code carries.
    desk = browser.new_context()
    printer = desk.new_page()
    cards: dict[str, str] = {}
    try:
        log_in(printer, base, worker.username)
        for name, card in issued.items():
            printer.goto(f"{base}/meals/cards/{card.external_id}/print/")
            qr = printer.locator("#meal-card-qr")
            assert qr.locator("svg path").count() == 1
            cards[name] = qr.get_attribute("data-value")
            assert cards[name] == card_value(card)
    finally:
        desk.close()
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
    page = context.new_page()
    try:
        log_in(page, base, cashier.username)
        page.goto(f"{base}/meals/counter/")
        no_sideways_scroll(page)
        assert page.locator("#counter-record").bounding_box()["height"] >= 48
        page.select_option("#counter-meal", "lunch")
        page.fill("#counter-code", cards["王老"])
        with page.expect_response(lambda r: "/photo/?grant=" in r.url) as photo:
            page.click("#counter-check")
        assert photo.value.status == 200
        assert photo.value.headers["content-type"] == "image/jpeg"
        page.wait_for_selector("#counter-preview .preview-name")
        assert page.locator("#counter-preview img#counter-photo").count() == 1
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


def test_a_family_member_books_a_delivery_and_the_courier_confirms_it(
    live_server: Any, browser: Any, settings: Any
) -> None:
    from django.utils import timezone

    from yiyang.elders.services import consent_record, family_member_link
    from yiyang.meals.models import Booking

    # Dinner starts at 23:59 in this city and booking closes then: today's dinner is open
    # whenever the test runs, so the courier can hand it over today.
    settings.MEAL_STARTS = {**settings.MEAL_STARTS, "dinner": "23:59"}
    meals = build_meals(build_world())
    meals.canteen.cutoff_minutes = 0
    meals.canteen.save()
    worker = meals.world.user[Role.COMMUNITY_WORKER]
    family_member_link(
        actor=worker, elder=meals.old, user=meals.world.user[Role.FAMILY], relation="child"
    )
    consent_record(
        actor=worker,
        elder=meals.old,
        purpose="family_view",
        given_by="elder",
        given_on=timezone.localdate(),
    )
    courier = UserFactory(
        username="courier",
        role=Role.CAREGIVER,
        organisation=meals.world.org["operator"],
        full_name="送餐员小李",
    )
    today = timezone.localdate().isoformat()
    base = live_server.url
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
    page = context.new_page()
    try:
        log_in(page, base, "family")
        page.goto(f"{base}/meals/book/")
        no_sideways_scroll(page)
        page.select_option("#booking-form select[name=elder]", str(meals.old.external_id))
        page.select_option("#booking-form select[name=canteen]", str(meals.canteen.external_id))
        page.fill("#booking-form input[name=day]", today)
        page.select_option("#booking-form select[name=meal]", "dinner")
        page.select_option("#booking-form select[name=mode]", "delivery")
        page.click("#booking-form button[type=submit]")
        page.wait_for_url(f"{base}/meals/")
        booking = Booking.objects.get()
        assert (booking.elder, booking.mode, booking.booked_via) == (
            meals.old,
            "delivery",
            "family",
        )
        context.clear_cookies()

        log_in(page, base, meals.staff.username)
        page.goto(
            f"{base}/meals/canteens/{meals.canteen.external_id}/rounds/?day={today}&meal=dinner"
        )
        assert "王老" in page.inner_text("#waiting")
        page.select_option("#assign-form select[name=courier]", "courier")
        page.click("#assign-form button[type=submit]")
        page.wait_for_selector(".round")
        booking.refresh_from_db()
        assert (booking.courier, booking.route_position) == (courier, 1)
        context.clear_cookies()

        log_in(page, base, "courier")
        page.goto(f"{base}/meals/deliveries/")
        no_sideways_scroll(page)
        stop = page.locator("#delivery-stops li.stop").first
        assert "王老" in stop.inner_text()
        delivered = stop.locator("button[value=delivered]")
        assert delivered.bounding_box()["height"] >= 48
        delivered.click()
        page.wait_for_selector("#delivery-stops li.st-delivered")
        booking.refresh_from_db()
        assert booking.status == "delivered" and booking.delivered_at is not None
        meal = ServedMeal.objects.get(elder=meals.old, meal="dinner")
        assert (meal.mode, meal.subsidy_yuan) == ("delivery", Decimal("5.00"))
    finally:
        context.close()
