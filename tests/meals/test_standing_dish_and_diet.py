"""A standing order names a dish or the day's default: the daily run books the dish when
that day's menu has it, else the default, and says so. A dish against the elder's diet is
booked (once, or standing) only when confirmed, by the page and the API alike through one
service rule, and the confirmation is audited."""

from __future__ import annotations

import datetime
import io
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from tests.conftest import login
from tests.factories import make_elder
from tests.meals.conftest import Meals
from yiyang.core.models import AuditEvent
from yiyang.core.permissions import Role
from yiyang.meals.models import Booking, Dish, StandingOrder, StandingRun
from yiyang.meals.services import (
    DietConflictError,
    booking_place,
    dish_add,
    elder_diet_set,
    menu_set,
    standing_order_place,
    standing_orders_book,
)

TODAY = timezone.localdate()
MONDAY = TODAY + datetime.timedelta(days=(7 - TODAY.weekday()) % 7 or 7)
TUESDAY = MONDAY + datetime.timedelta(days=1)


def _dishes(meals: Meals) -> tuple[Dish, Dish]:
    fish = dish_add(
        actor=meals.staff, canteen=meals.canteen, name="清蒸鱼", price="16", labels=["soft"]
    )
    peanuts = dish_add(
        actor=meals.staff,
        canteen=meals.canteen,
        name="宫保鸡丁",
        price="18",
        labels=[],
        allergens=["花生"],
    )
    # Monday's lunch has both; Tuesday's only the chicken.
    menu_set(
        actor=meals.staff, canteen=meals.canteen, day=MONDAY, meal="lunch", dishes=[fish, peanuts]
    )
    menu_set(actor=meals.staff, canteen=meals.canteen, day=TUESDAY, meal="lunch", dishes=[peanuts])
    return fish, peanuts


def _allergic(meals: Meals) -> Any:
    elder = make_elder(meals.system, meals.world.div["XA1a"], name="花", birth="19400101")
    worker = meals.world.user[Role.COMMUNITY_WORKER]
    elder_diet_set(actor=worker, elder=elder, needs=["soft"], allergies=["花生"])
    return elder


def _api(meals: Meals) -> Client:
    return login(Client(), meals.world.user[Role.COMMUNITY_WORKER])


# Standing orders with a dish ----------------------------------------------------------


def test_the_run_books_the_standing_dish_when_on_the_menu_else_the_default(meals: Meals) -> None:
    fish, _peanuts = _dishes(meals)
    order = standing_order_place(
        actor=meals.world.user[Role.COMMUNITY_WORKER],
        canteen=meals.canteen,
        elder=meals.old,
        meal="lunch",
        mode="dine_in",
        weekdays=[0, 1],
        starts_on=MONDAY,
        dish=fish,
    )
    assert order.dish == fish
    assert standing_orders_book(actor=meals.system, day=MONDAY) == {
        "booked": 1,
        "skipped": 0,
        "fell_back": 0,
    }
    assert standing_orders_book(actor=meals.system, day=TUESDAY) == {
        "booked": 1,
        "skipped": 0,
        "fell_back": 1,
    }
    rows = list(Booking.objects.order_by("day").values_list("day", "dish__name", "dish_fallback"))
    assert rows == [(MONDAY, "清蒸鱼", False), (TUESDAY, None, True)]
    fallback = AuditEvent.objects.get(object_id=str(Booking.objects.get(day=TUESDAY).external_id))
    assert fallback.changes["dish_fallback"] == [None, True]
    # The index says so, in the reader's words.
    page = login(Client(), meals.world.user[Role.COMMUNITY_WORKER]).get("/meals/")
    assert "（长期预订所选菜品不在当天菜单上）" in page.content.decode()
    assert "清蒸鱼" in page.content.decode()


def test_a_standing_order_without_a_dish_books_the_days_default(meals: Meals) -> None:
    _dishes(meals)
    standing_order_place(
        actor=meals.world.user[Role.COMMUNITY_WORKER],
        canteen=meals.canteen,
        elder=meals.old,
        meal="lunch",
        mode="dine_in",
        weekdays=[0],
        starts_on=MONDAY,
    )
    assert standing_orders_book(actor=meals.system, day=MONDAY)["fell_back"] == 0
    assert Booking.objects.values_list("dish", "dish_fallback").get() == (None, False)


def test_the_command_and_the_run_record_count_the_fallbacks(meals: Meals) -> None:
    fish, _peanuts = _dishes(meals)
    standing_order_place(
        actor=meals.world.user[Role.COMMUNITY_WORKER],
        canteen=meals.canteen,
        elder=meals.old,
        meal="lunch",
        mode="dine_in",
        weekdays=[1],
        starts_on=MONDAY,
        dish=fish,
    )
    out = io.StringIO()
    call_command("book-standing-meals", "--day", TUESDAY.isoformat(), stdout=out)
    assert out.getvalue().strip() == (
        f"{TUESDAY}: 1 booked, 0 skipped, 1 on the day's default (dish not on the menu)"
    )
    assert StandingRun.objects.values_list("booked", "fell_back").get() == (1, 1)


def test_the_api_places_a_standing_order_with_a_dish_and_refuses_another_canteens(
    meals: Meals,
) -> None:
    fish, _peanuts = _dishes(meals)
    elsewhere = dish_add(actor=meals.other_staff, canteen=meals.other, name="饺子", price="10")
    body = {
        "elder": str(meals.old.external_id),
        "canteen": str(meals.canteen.external_id),
        "meal": "lunch",
        "weekdays": [0, 1],
        "starts_on": MONDAY.isoformat(),
    }
    client = _api(meals)
    url = "/api/v1/meals/standing-orders/"
    bad = client.post(url, {**body, "dish": str(elsewhere.external_id)}, "application/json")
    assert bad.status_code == 400
    assert bad.json() == {"dish": ["此菜品不是本食堂的菜品。"]}
    assert not StandingOrder.objects.exists()
    good = client.post(url, {**body, "dish": str(fish.external_id)}, "application/json")
    assert good.status_code == 201, good.json()
    assert (good.json()["dish"], good.json()["dish_name"]) == (str(fish.external_id), "清蒸鱼")
    default = client.post(url, {**body, "meal": "dinner"}, "application/json")
    assert default.status_code == 201, default.json()
    assert (default.json()["dish"], default.json()["dish_name"]) == (None, None)


# Diet conflicts need confirmation ------------------------------------------------------


def test_the_service_refuses_an_unconfirmed_conflict_and_writes_nothing(meals: Meals) -> None:
    _fish, peanuts = _dishes(meals)
    elder = _allergic(meals)
    with pytest.raises(DietConflictError) as caught:
        booking_place(
            actor=meals.world.user[Role.COMMUNITY_WORKER],
            canteen=meals.canteen,
            elder=elder,
            day=MONDAY,
            meal="lunch",
            dish=peanuts,
            now=timezone.make_aware(datetime.datetime.combine(TODAY, datetime.time(6))),
        )
    assert caught.value.conflicts == ["宫保鸡丁 is not Soft.", "宫保鸡丁 contains 花生 (allergy)."]
    assert list(caught.value.message_dict) == ["confirm_diet_conflict"]
    assert not Booking.objects.exists()


def test_the_api_asks_to_confirm_a_diet_conflict_then_books_and_audits_it(meals: Meals) -> None:
    _fish, peanuts = _dishes(meals)
    elder = _allergic(meals)
    body = {
        "elder": str(elder.external_id),
        "canteen": str(meals.canteen.external_id),
        "day": MONDAY.isoformat(),
        "meal": "lunch",
        "dish": str(peanuts.external_id),
    }
    client = _api(meals)
    refused = client.post("/api/v1/meals/bookings/", body, "application/json")
    assert refused.status_code == 400
    assert refused.json() == {
        "confirm_diet_conflict": [
            "所选菜品与这位老年人的饮食要求冲突，确认后才能预订。",
            "宫保鸡丁 不是软食。",
            "宫保鸡丁 含有花生（过敏）。",
        ]
    }
    assert not Booking.objects.exists()
    confirmed = client.post(
        "/api/v1/meals/bookings/", {**body, "confirm_diet_conflict": True}, "application/json"
    )
    assert confirmed.status_code == 201, confirmed.json()
    booking = Booking.objects.get()
    assert booking.dish == peanuts
    event = AuditEvent.objects.get(object_id=str(booking.external_id))
    assert event.changes["diet_conflict_confirmed"] == [
        None,
        {"dish": str(peanuts.external_id), "needs": ["soft"], "allergies": 1},
    ]
    assert "花生" not in str(event.changes)  # the allergy itself is health data


def test_a_dish_without_conflict_needs_no_confirmation_on_the_api(meals: Meals) -> None:
    fish, _peanuts = _dishes(meals)
    body = {
        "elder": str(_allergic(meals).external_id),
        "canteen": str(meals.canteen.external_id),
        "day": MONDAY.isoformat(),
        "meal": "lunch",
        "dish": str(fish.external_id),
    }
    booked = _api(meals).post("/api/v1/meals/bookings/", body, "application/json")
    assert booked.status_code == 201, booked.json()
    event = AuditEvent.objects.get(object_id=str(Booking.objects.get().external_id))
    assert "diet_conflict_confirmed" not in event.changes


def test_a_standing_order_with_a_conflicting_dish_needs_confirmation_too(meals: Meals) -> None:
    _fish, peanuts = _dishes(meals)
    elder = _allergic(meals)
    body = {
        "elder": str(elder.external_id),
        "canteen": str(meals.canteen.external_id),
        "meal": "lunch",
        "weekdays": [1],
        "starts_on": MONDAY.isoformat(),
        "dish": str(peanuts.external_id),
    }
    client = _api(meals)
    refused = client.post("/api/v1/meals/standing-orders/", body, "application/json")
    assert refused.status_code == 400
    assert "confirm_diet_conflict" in str(refused.json())
    assert not StandingOrder.objects.exists()
    placed = client.post(
        "/api/v1/meals/standing-orders/",
        {**body, "confirm_diet_conflict": True},
        "application/json",
    )
    assert placed.status_code == 201
    event = AuditEvent.objects.get(object_id=placed.json()["id"])
    assert event.changes["diet_conflict_confirmed"][1]["allergies"] == 1


def test_the_page_shows_the_conflicts_then_books_a_confirmed_standing_order(
    meals: Meals, client_for: Any
) -> None:
    _fish, peanuts = _dishes(meals)
    elder = _allergic(meals)
    worker = client_for(Role.COMMUNITY_WORKER)
    form = {
        "elder": str(elder.external_id),
        "canteen": str(meals.canteen.external_id),
        "day": MONDAY.isoformat(),
        "meal": "lunch",
        "mode": "dine_in",
        "dish": str(peanuts.external_id),
        "weekdays": ["1"],
    }
    first = worker.post("/meals/book/", form)
    assert first.status_code == 200
    assert "宫保鸡丁 含有花生（过敏）。" in first.content.decode()
    assert not StandingOrder.objects.exists()
    assert worker.post("/meals/book/", {**form, "confirm": "1"}).status_code == 302
    assert StandingOrder.objects.get().dish == peanuts
