"""Standing orders placed and ended on the page and through the API, bookings cancelled
from the index, food-safety records and the canteen's settings entered on its pages."""

from __future__ import annotations

import datetime
from typing import Any

from django.test import Client
from django.utils import timezone

from tests.conftest import login
from tests.meals.conftest import Meals
from yiyang.core.permissions import Role
from yiyang.meals.models import Booking, FoodSafetyRecord, HealthCertificate, StandingOrder
from yiyang.meals.selectors import safety_gaps
from yiyang.meals.services import standing_orders_book


def _next(weekday: int) -> datetime.date:
    day = timezone.localdate() + datetime.timedelta(days=1)
    while day.weekday() != weekday:
        day += datetime.timedelta(days=1)
    return day


def test_a_standing_order_from_the_booking_page_books_its_weekdays(
    meals: Meals, client_for: Any
) -> None:
    worker = client_for(Role.COMMUNITY_WORKER)
    monday = _next(0)
    response = worker.post(
        "/meals/book/",
        {
            "elder": str(meals.old.external_id),
            "canteen": str(meals.canteen.external_id),
            "day": monday.isoformat(),
            "meal": "lunch",
            "mode": "dine_in",
            "weekdays": ["0", "2", "4"],
        },
    )
    assert response.status_code == 302
    order = StandingOrder.objects.get()
    assert (order.weekdays, order.starts_on, order.ends_on) == ([0, 2, 4], monday, None)
    assert Booking.objects.count() == 0  # the daily run books each day
    actor = meals.system
    assert standing_orders_book(actor=actor, day=monday) == {
        "booked": 1,
        "skipped": 0,
        "fell_back": 0,
    }
    assert standing_orders_book(actor=actor, day=monday + datetime.timedelta(days=1)) == {
        "booked": 0,
        "skipped": 0,
        "fell_back": 0,
    }
    assert "standing-orders" in worker.get("/meals/").content.decode()
    ended = worker.post(f"/meals/bookings/{order.external_id}/cancel/", {"what": "standing"})
    assert ended.status_code == 302
    order.refresh_from_db()
    assert order.is_active is False
    assert standing_orders_book(actor=actor, day=monday + datetime.timedelta(days=2)) == {
        "booked": 0,
        "skipped": 0,
        "fell_back": 0,
    }
    # The booked Monday is cancelled from the index, before its cutoff.
    booking = Booking.objects.get()
    assert worker.post(f"/meals/bookings/{booking.external_id}/cancel/").status_code == 302
    booking.refresh_from_db()
    assert booking.status == "cancelled"


def test_standing_orders_through_the_api(meals: Meals, client_for: Any) -> None:
    worker = client_for(Role.COMMUNITY_WORKER)
    body = {
        "elder": str(meals.old.external_id),
        "canteen": str(meals.canteen.external_id),
        "meal": "lunch",
        "mode": "delivery",
        "weekdays": [0, 1, 2, 3, 4],
        "starts_on": timezone.localdate().isoformat(),
    }
    url = "/api/v1/meals/standing-orders/"
    created = worker.post(url, body, content_type="application/json")
    assert created.status_code == 201, created.json()
    assert created.json()["weekdays"] == [0, 1, 2, 3, 4]
    bad = worker.post(url, {**body, "weekdays": [7]}, content_type="application/json")
    assert bad.status_code == 400 and "weekdays" in bad.json()
    backwards = {**body, "ends_on": (timezone.localdate() - datetime.timedelta(days=1)).isoformat()}
    assert "ends_on" in worker.post(url, backwards, content_type="application/json").json()
    assert [o["id"] for o in worker.get(url).json()["results"]] == [created.json()["id"]]
    stop = worker.post(f"{url}{created.json()['id']}/stop/", content_type="application/json")
    assert stop.json()["is_active"] is False
    assert StandingOrder.objects.count() == 1
    assert client_for(Role.CAREGIVER).get(url).json()["results"] == []


def test_food_safety_records_entered_on_the_canteen_page_close_the_gaps(meals: Meals) -> None:
    staff = login(Client(), meals.staff)
    url = f"/meals/canteens/{meals.canteen.external_id}/safety/"
    today = timezone.localdate()
    before = {g.code for g in safety_gaps(canteen=meals.canteen, today=today)}
    assert {"sample", "temperature", "certificate", "inspection"} <= before
    assert (
        "safety-forms"
        in staff.get(f"/meals/canteens/{meals.canteen.external_id}/").content.decode()
    )
    staff.post(url, {"kind": "temperature", "recorded_by_name": "", "temperature_c": "x"})
    assert FoodSafetyRecord.objects.count() == 0  # refused: who and a number are missing
    staff.post(
        url,
        {
            "kind": "temperature",
            "recorded_by_name": "张师傅",
            "temperature_c": "3.5",
            "place": "冷藏柜",
        },
    )
    staff.post(url, {"kind": "inspection", "recorded_by_name": "市场监管所", "result": "passed"})
    staff.post(
        url,
        {
            "kind": "certificate",
            "staff_name": "张师傅",
            "number": "J-1",
            "expires_on": (today + datetime.timedelta(days=300)).isoformat(),
        },
    )
    for offset in range(7):
        FoodSafetyRecord.objects.create(
            canteen=meals.canteen,
            kind="sample",
            day=today - datetime.timedelta(days=offset),
            at=timezone.now(),
            recorded_by_name="张师傅",
            meal="lunch",
        )
    assert HealthCertificate.objects.get().staff_name == "张师傅"
    assert safety_gaps(canteen=meals.canteen, today=today) == []
    assert login(Client(), meals.other_staff).post(url, {"kind": "sample"}).status_code == 404


def test_the_canteen_settings_page(meals: Meals) -> None:
    staff = login(Client(), meals.staff)
    url = f"/meals/canteens/{meals.canteen.external_id}/edit/"
    assert staff.get(url).status_code == 200
    form = {
        "opening_days": ["0", "1", "2", "3", "4"],
        "meals": ["lunch"],
        "seats": "30",
        "capacity_per_meal": "80",
        "cutoff_minutes": "90",
        "price_breakfast": "0",
        "price_lunch": "12.50",
        "price_dinner": "0",
        "delivery_fee": "3",
        "delivers": "on",
        "subsidy_accepted": "on",
        "is_active": "on",
    }
    hours = staff.post(url, {**form, "opens_at": "14:00", "closes_at": "10:00"})
    assert hours.status_code == 200 and "canteen-errors" in hours.content.decode()
    negative = staff.post(url, {**form, "price_lunch": "-1"})
    assert negative.status_code == 200 and "canteen-errors" in negative.content.decode()
    meals.canteen.refresh_from_db()
    assert str(meals.canteen.price_lunch) == "15.00"
    assert staff.post(url, {**form, "opens_at": "07:00", "closes_at": "19:30"}).status_code == 302
    meals.canteen.refresh_from_db()
    assert (str(meals.canteen.opens_at), str(meals.canteen.closes_at)) == ("07:00:00", "19:30:00")
    assert (meals.canteen.opening_days, meals.canteen.meals, str(meals.canteen.price_lunch)) == (
        [0, 1, 2, 3, 4],
        ["lunch"],
        "12.50",
    )
    assert login(Client(), meals.other_staff).get(url).status_code == 404
