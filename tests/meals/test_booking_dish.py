"""Choosing a dish when booking: the page offers the menu of the canteen's days and
meals, a dish that conflicts with the elder's diet is shown with its warnings and booked
only once confirmed, a dish off the menu is refused on its field; the API alike."""

from __future__ import annotations

import datetime
from typing import Any

from django.test import Client
from django.utils import timezone

from tests.conftest import login
from tests.factories import make_elder
from tests.meals.conftest import Meals
from yiyang.core.permissions import Role
from yiyang.meals.models import Booking, Dish
from yiyang.meals.services import dish_add, elder_diet_set, menu_set

TOMORROW = timezone.localdate() + datetime.timedelta(days=1)


def _menu(meals: Meals) -> tuple[Dish, Dish]:
    soft = dish_add(
        actor=meals.staff,
        canteen=meals.canteen,
        name="清蒸鱼",
        price="16",
        labels=["soft", "low_salt"],
    )
    peanuts = dish_add(
        actor=meals.staff,
        canteen=meals.canteen,
        name="宫保鸡丁",
        price="18",
        labels=[],
        allergens=["花生"],
    )
    menu_set(
        actor=meals.staff, canteen=meals.canteen, day=TOMORROW, meal="lunch", dishes=[soft, peanuts]
    )
    return soft, peanuts


def _form(meals: Meals, elder: Any, dish: Dish | None, **extra: str) -> dict[str, str]:
    return {
        "elder": str(elder.external_id),
        "canteen": str(meals.canteen.external_id),
        "day": TOMORROW.isoformat(),
        "meal": "lunch",
        "mode": "dine_in",
        "dish": str(dish.external_id) if dish else "",
        **extra,
    }


def test_the_booking_page_offers_the_menu_and_books_the_chosen_dish(
    meals: Meals, client_for: Any
) -> None:
    soft, _peanuts = _menu(meals)
    worker = client_for(Role.COMMUNITY_WORKER)
    page = worker.get("/meals/book/").content.decode()
    assert f'value="{soft.external_id}" data-canteen="{meals.canteen.external_id}"' in page
    assert f'data-day="{TOMORROW.isoformat()}" data-meal="lunch"' in page
    assert "12-" in page and "午餐 · 清蒸鱼 · 低盐、软食 · ¥16.00" in page
    response = worker.post("/meals/book/", _form(meals, meals.old, soft))
    assert response.status_code == 302
    booking = Booking.objects.get()
    assert (booking.elder, booking.dish) == (meals.old, soft)
    index = worker.get("/meals/").content.decode()
    assert "<td>清蒸鱼</td>" in index


def test_a_dish_against_the_elders_diet_waits_for_confirmation(
    meals: Meals, client_for: Any
) -> None:
    _soft, peanuts = _menu(meals)
    worker_user = meals.world.user[Role.COMMUNITY_WORKER]
    allergic = make_elder(meals.system, meals.world.div["XA1a"], name="花", birth="19400101")
    elder_diet_set(actor=worker_user, elder=allergic, needs=["soft"], allergies=["花生"])
    worker = client_for(Role.COMMUNITY_WORKER)
    first = worker.post("/meals/book/", _form(meals, allergic, peanuts))
    assert first.status_code == 200
    page = first.content.decode()
    assert 'id="dish-warnings"' in page
    assert "宫保鸡丁 不是软食。" in page and "宫保鸡丁 含有花生（过敏）。" in page
    assert not Booking.objects.exists()
    confirmed = worker.post("/meals/book/", _form(meals, allergic, peanuts, confirm="1"))
    assert confirmed.status_code == 302
    assert Booking.objects.get().dish == peanuts


def test_a_dish_off_the_menu_is_refused_on_its_field(meals: Meals, client_for: Any) -> None:
    soft, _peanuts = _menu(meals)
    elsewhere = dish_add(actor=meals.other_staff, canteen=meals.other, name="饺子", price="10")
    worker = client_for(Role.COMMUNITY_WORKER)
    wrong_canteen = worker.post("/meals/book/", _form(meals, meals.old, elsewhere))
    assert wrong_canteen.status_code == 200
    assert "该菜品不在此餐次的菜单上。" in wrong_canteen.content.decode()
    wrong_meal = worker.post("/meals/book/", {**_form(meals, meals.old, soft), "meal": "dinner"})
    assert "该菜品不在此餐次的菜单上。" in wrong_meal.content.decode()
    assert not Booking.objects.exists()


def test_the_api_books_a_dish_and_refuses_another_canteens(meals: Meals) -> None:
    soft, peanuts = _menu(meals)
    elsewhere = dish_add(actor=meals.other_staff, canteen=meals.other, name="饺子", price="10")
    worker = login(Client(), meals.world.user[Role.COMMUNITY_WORKER])
    body = {
        "elder": str(meals.old.external_id),
        "canteen": str(meals.canteen.external_id),
        "day": TOMORROW.isoformat(),
        "meal": "lunch",
    }
    bad = worker.post(
        "/api/v1/meals/bookings/",
        {**body, "dish": str(elsewhere.external_id)},
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert "dish" in str(bad.json())
    assert not Booking.objects.exists()
    good = worker.post(
        "/api/v1/meals/bookings/",
        {**body, "dish": str(peanuts.external_id)},
        content_type="application/json",
    )
    assert good.status_code == 201, good.json()
    assert good.json()["dish"] == "宫保鸡丁"
    assert Booking.objects.get().dish == peanuts
    assert soft != peanuts
