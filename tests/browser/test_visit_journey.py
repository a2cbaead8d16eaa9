"""A caregiver's day on a 360-px phone in a real browser: set off, check in with a mocked
location, tick the checklist, add a photo, check out; one visit checked in while offline,
queued on the phone and sent with its original time when the connection returns, and a
queued action the server refuses leaves the queue with its message. Then a family member
sees the visits and rates one, and a provider manager reviews a flagged one."""

from __future__ import annotations

import datetime
import io
import time
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from PIL import Image

from tests.conftest import World, build_world
from tests.factories import PASSWORD, UserFactory, make_elder
from yiyang.core.permissions import Role, SystemActor
from yiyang.core.scoping import Scope
from yiyang.elders.services import consent_record, family_member_link
from yiyang.services import services as catalogue
from yiyang.services.models import ServiceItem
from yiyang.visits import services
from yiyang.visits.choices import FlagCode, ReviewStatus, VisitStatus
from yiyang.visits.models import Visit, VisitEvent, VisitRating

pytestmark = pytest.mark.django_db(transaction=True)
PHONE = {"width": 360, "height": 740}
HOME = {"latitude": 34.75, "longitude": 113.65, "accuracy": 12}
ALL_DAY = {"work_days": [0, 1, 2, 3, 4, 5, 6], "work_start": "00:00", "work_end": "23:59"}


def log_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}/")


def no_sideways_scroll(page: Any) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, (page.url, overflow)


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 120, 40)).save(out, "PNG")
    return out.getvalue()


def set_up(world: World) -> dict[str, Any]:
    """A provider with the city's service list, two caregivers (one is the caregiver login),
    an elder with a family member who has consent, and two of today's visits for the
    caregiver whose windows opened a few minutes ago."""
    city = world.div["X"]
    admin = SystemActor(Scope(division_prefix=city.code_prefix), username="test")
    catalogue.service_list_load(actor=admin, city=city)
    item = ServiceItem.objects.get(city=city, code="JW03")
    provider = world.org["home_care"]
    manager = UserFactory(username="manager_p", role=Role.PROVIDER_MANAGER, organisation=provider)
    catalogue.offering_set(actor=manager, provider=provider, item=item, price=item.standard_price)
    catalogue.service_areas_set(actor=manager, provider=provider, divisions=[world.div["XA1"]])
    wang = catalogue.caregiver_save(
        actor=manager,
        provider=provider,
        name="王护理",
        skills=[],
        user=world.user[Role.CAREGIVER],
        home_lat="34.751",
        home_lng="113.651",
        **ALL_DAY,
    )
    worker = world.user[Role.COMMUNITY_WORKER]
    elder = make_elder(
        worker,
        world.div["XA1a"],
        name="刘桂兰",
        address="测试路1号",
        lat=Decimal("34.750000"),
        lng=Decimal("113.650000"),
    )
    family_member_link(actor=worker, elder=elder, user=world.user[Role.FAMILY], relation="child")
    consent_record(
        actor=worker,
        elder=elder,
        purpose="family_view",
        given_by="elder",
        given_on=timezone.localdate(),
    )
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    midnight = timezone.make_aware(datetime.datetime.combine(timezone.localdate(), datetime.time()))
    visits = []
    for hour, opened in ((9, 20), (14, 10)):
        order = services.order_place(
            actor=worker,
            elder=elder,
            provider=provider,
            item=item,
            starts_on=tomorrow,
            window_start=datetime.time(hour),
            window_end=datetime.time(hour + 2),
        )
        visit = services.visit_assign(actor=manager, visit=order.visits.get(), caregivers=[wang])
        # Opened a few minutes ago, but today (just after midnight: at midnight).
        start = max(timezone.now() - datetime.timedelta(minutes=opened), midnight)
        Visit.objects.filter(pk=visit.pk).update(
            date=timezone.localdate(),
            window_start=start,
            window_end=start + datetime.timedelta(hours=2),
        )
        visits.append(visit)
    return {"elder": elder, "first": visits[0], "second": visits[1], "item": item}


def test_a_caregivers_day_then_family_rating_then_review(live_server: Any, browser: Any) -> None:
    world = build_world()
    data = set_up(world)
    first: Visit = data["first"]
    second: Visit = data["second"]
    base = live_server.url

    # --- the caregiver, on a phone -----------------------------------------------------
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
    context.grant_permissions(["geolocation"], origin=base)
    context.set_geolocation(HOME)
    page = context.new_page()
    # A check-out minutes after check-in asks first (window.confirm): the caregiver
    # confirms, and the question is kept to be checked below.
    asked: list[str] = []
    page.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    try:
        log_in(page, base, "caregiver")
        page.goto(f"{base}/visits/my-day/")
        cards = page.locator("#my-visits a.visit-card")
        assert cards.count() == 2
        assert "刘桂兰" in cards.first.inner_text()
        no_sideways_scroll(page)
        # Touch targets: the cards are at least 48 px high, the type at least 16 px.
        assert cards.first.bounding_box()["height"] >= 48
        size = page.evaluate(
            "parseFloat(getComputedStyle(document.querySelector('.visit-card .who')).fontSize)"
        )
        assert size >= 16

        cards.first.click()
        page.wait_for_url(f"{base}/visits/{first.external_id}/")
        assert page.locator("#map-link").get_attribute("href").startswith("https://uri.amap.com/")
        page.click("#set-off")
        page.wait_for_selector("[data-visit-app][data-status='on_the_way']")
        first.refresh_from_db()
        assert first.status == VisitStatus.ON_THE_WAY
        button = page.locator("#check-in")
        assert button.bounding_box()["height"] >= 48
        no_sideways_scroll(page)
        button.click()
        page.wait_for_selector("[data-visit-app][data-status='checked_in'] #check-out")
        first.refresh_from_db()
        assert first.status == VisitStatus.CHECKED_IN
        assert first.check_in_distance is not None and first.check_in_distance < 200
        assert first.check_in_accuracy == 12

        # The checklist, a photo, then check out.
        tasks = list(data["item"].checklist)
        for task in tasks[:2]:
            page.check(f"#checklist input[value='{task}']")
        page.set_input_files(
            "#photo", files=[{"name": "visit.png", "mimeType": "image/png", "buffer": png()}]
        )
        page.wait_for_selector("#photos .photo-chip")
        assert first.photos.count() == 1
        # The photo is added without leaving the page: the ticks stay.
        for task in tasks[:2]:
            assert page.is_checked(f"#checklist input[value='{task}']")
        page.fill("#notes", "老人精神好")
        page.click("#check-out")
        page.wait_for_selector("#checked-out-at")
        assert asked and "分钟" in asked[0]  # "only N minutes since check-in …"
        first.refresh_from_db()
        assert first.status in (VisitStatus.CHECKED_OUT, VisitStatus.CONFIRMED)
        assert first.tasks_done == tasks[:2]
        assert first.notes == "老人精神好"
        # A visit of a minute is flagged too short: shown with a field to explain it.
        assert first.flags.filter(code=FlagCode.TOO_SHORT).exists()
        page.wait_for_selector("#flags li[data-code='too_short']")
        page.fill("#flags form.explain textarea", "老人要去医院，提前结束")
        page.click("#flags form.explain button")
        page.wait_for_selector("#flags .explanation")
        assert first.flags.get(code=FlagCode.TOO_SHORT).explanation == "老人要去医院，提前结束"

        # --- the second visit, checked in without a connection ----------------------------
        page.goto(f"{base}/visits/{second.external_id}/")
        context.set_offline(True)
        tapped = timezone.now()
        page.click("#check-in")
        banner = page.locator("#queue-banner")
        banner.wait_for(state="visible")
        assert banner.get_attribute("data-count") == "1"
        assert Visit.objects.get(pk=second.pk).check_in_at is None
        time.sleep(3)  # the connection stays down for a while
        back_online = timezone.now()
        context.set_offline(False)
        page.wait_for_selector("#checked-in-at", timeout=30000)
        assert page.locator("#queue-banner").is_hidden()
        assert page.evaluate("window.localStorage.getItem('yiyang.visit-queue.v1')") == "[]"
        second.refresh_from_db()
        assert second.status == VisitStatus.CHECKED_IN
        assert second.check_in_at is not None
        # Recorded with the time of the tap, not the time it reached the server.
        assert tapped - datetime.timedelta(seconds=2) <= second.check_in_at
        assert second.check_in_at <= back_online - datetime.timedelta(seconds=2)
        event = VisitEvent.objects.get(visit=second, kind="check_in")
        assert event.client_action_id is not None

        # A queued action the server refuses (no note for "not at home") leaves the queue
        # with the server's message; nothing is recorded.
        context.set_offline(True)
        page.select_option("#outcome", "not_home")
        page.click("#check-out")
        banner.wait_for(state="visible")
        context.set_offline(False)
        page.wait_for_selector(".visit-status.error", timeout=30000)
        assert page.locator("#queue-banner").is_hidden()
        assert page.evaluate("window.localStorage.getItem('yiyang.visit-queue.v1')") == "[]"
        assert Visit.objects.get(pk=second.pk).status == VisitStatus.CHECKED_IN
    finally:
        context.close()

    # --- the family member sees the visits and rates one --------------------------------
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
    page = context.new_page()
    try:
        log_in(page, base, "family")
        page.goto(f"{base}/family/")
        no_sideways_scroll(page)
        done = page.locator(f".family-visit[data-visit='{first.external_id}']")
        assert "王护理" in done.inner_text()
        assert tasks[0] in done.inner_text()
        done.locator("form.rate input[value='5']").check()
        done.locator("form.rate input[name=comment]").fill("很细心")
        done.locator("form.rate button[type=submit]").click()
        page.wait_for_selector(f".family-visit[data-visit='{first.external_id}'] [data-stars='5']")
        rating = VisitRating.objects.get(visit=first)
        assert (rating.stars, rating.comment) == (5, "很细心")
    finally:
        context.close()

    # --- the provider manager reviews the flagged visit ---------------------------------
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        log_in(page, base, "manager_p")
        page.goto(f"{base}/visits/board/")
        assert page.locator(f".tl-block[data-visit='{first.external_id}']").count() == 1
        page.goto(f"{base}/visits/review/")
        card = page.locator(f".review-item[data-visit='{first.external_id}']")
        assert "老人要去医院，提前结束" in card.inner_text()
        card.locator("input[value='accepted']").check()
        card.locator("input[name$='-reason']").fill("家属确认提前结束")
        card.locator("button[type=submit]").click()
        page.wait_for_selector("#queue-empty")
        first.refresh_from_db()
        assert first.review_status == ReviewStatus.ACCEPTED
        assert first.status == VisitStatus.CONFIRMED
    finally:
        context.close()
