"""Bookings: cutoff, capacity, delivery area, cancellation, standing orders; diet
warnings; delivery rounds and confirmation; food-safety gaps."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.factories import UserFactory, make_elder
from tests.meals.conftest import Meals
from yiyang.core.permissions import Role
from yiyang.meals.choices import BookingStatus
from yiyang.meals.models import Booking, ServedMeal
from yiyang.meals.selectors import kitchen_counts, not_at_home, safety_gaps
from yiyang.meals.services import (
    booking_cancel,
    booking_place,
    canteen_update,
    certificate_add,
    delivery_confirm,
    delivery_round_assign,
    dish_add,
    elder_diet_set,
    menu_set,
    safety_record_add,
    standing_order_place,
    standing_orders_book,
)


def at(day: datetime.date, hhmm: str) -> datetime.datetime:
    hours, minutes = map(int, hhmm.split(":"))
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hours, minutes)))


TOMORROW = timezone.localdate() + datetime.timedelta(days=1)


def test_booking_closes_at_the_canteens_cutoff(meals: Meals) -> None:
    worker = meals.world.user[Role.COMMUNITY_WORKER]
    # Lunch starts 11:30, the cutoff is 120 minutes before: 09:30.
    booked = booking_place(
        actor=worker,
        canteen=meals.canteen,
        elder=meals.old,
        day=TOMORROW,
        meal="lunch",
        now=at(TOMORROW, "09:29"),
    )
    assert booked.booking.booked_via == "community_worker"
    with pytest.raises(ValidationError) as caught:
        booking_place(
            actor=worker,
            canteen=meals.canteen,
            elder=meals.young,
            day=TOMORROW,
            meal="lunch",
            now=at(TOMORROW, "09:30"),
        )
    assert "closed at" in caught.value.message_dict["day"][0]
    with pytest.raises(ValidationError):
        booking_cancel(actor=worker, booking=booked.booking, now=at(TOMORROW, "10:00"))
    booking_cancel(actor=worker, booking=booked.booking, now=at(TOMORROW, "09:00"))
    assert Booking.objects.get().status == BookingStatus.CANCELLED


def test_booking_beyond_capacity_or_twice_is_refused(meals: Meals) -> None:
    worker = meals.world.user[Role.COMMUNITY_WORKER]
    canteen_update(actor=meals.system, canteen=meals.canteen, capacity_per_meal=1)
    now = at(TOMORROW, "06:00")
    booking_place(
        actor=worker, canteen=meals.canteen, elder=meals.old, day=TOMORROW, meal="lunch", now=now
    )
    with pytest.raises(ValidationError) as full:
        booking_place(
            actor=worker,
            canteen=meals.canteen,
            elder=meals.young,
            day=TOMORROW,
            meal="lunch",
            now=now,
        )
    assert "fully booked" in full.value.message_dict["day"][0]
    with pytest.raises(ValidationError) as twice:
        booking_place(
            actor=worker, canteen=meals.other, elder=meals.old, day=TOMORROW, meal="lunch", now=now
        )
    assert "already has a booking" in twice.value.message_dict["meal"][0]


def test_delivery_outside_the_area_is_refused(meals: Meals) -> None:
    worker = meals.world.user[Role.COMMUNITY_WORKER]
    far = make_elder(meals.system, meals.world.div["XA1b"], name="远")
    street = meals.world.user[Role.STREET_OFFICER]
    with pytest.raises(ValidationError) as caught:
        booking_place(
            actor=street,
            canteen=meals.canteen,
            elder=far,
            day=TOMORROW,
            meal="lunch",
            mode="delivery",
            now=at(TOMORROW, "06:00"),
        )
    assert "outside this canteen's delivery area" in caught.value.message_dict["mode"][0]
    # A worker cannot book for an elder outside their community at all.
    from django.http import Http404

    with pytest.raises(Http404):
        booking_place(actor=worker, canteen=meals.canteen, elder=far, day=TOMORROW, meal="lunch")


def test_a_negative_price_is_refused(meals: Meals) -> None:
    with pytest.raises(ValidationError) as caught:
        dish_add(actor=meals.staff, canteen=meals.canteen, name="红烧肉", price="-1")
    assert caught.value.message_dict == {"price": ["An amount cannot be negative."]}
    with pytest.raises(ValidationError):
        canteen_update(actor=meals.staff, canteen=meals.canteen, price_lunch="-3")


def test_standing_orders_book_each_weekday_once(meals: Meals) -> None:
    worker = meals.world.user[Role.COMMUNITY_WORKER]
    monday = TOMORROW + datetime.timedelta(days=(7 - TOMORROW.weekday()) % 7)
    standing_order_place(
        actor=worker,
        canteen=meals.canteen,
        elder=meals.old,
        meal="lunch",
        mode="dine_in",
        weekdays=[0, 1, 2, 3, 4],
        starts_on=monday,
    )
    assert standing_orders_book(actor=meals.system, day=monday) == {
        "booked": 1,
        "skipped": 0,
        "fell_back": 0,
    }
    assert standing_orders_book(actor=meals.system, day=monday) == {
        "booked": 0,
        "skipped": 1,
        "fell_back": 0,
    }
    saturday = monday + datetime.timedelta(days=5)
    assert standing_orders_book(actor=meals.system, day=saturday) == {
        "booked": 0,
        "skipped": 0,
        "fell_back": 0,
    }
    booking = Booking.objects.get()
    assert (booking.day, booking.booked_via) == (monday, "standing_order")


def test_a_diabetic_elder_with_an_allergy_is_warned_of_the_dish(meals: Meals) -> None:
    worker = meals.world.user[Role.COMMUNITY_WORKER]
    diabetic = make_elder(
        meals.system, meals.world.div["XA1a"], name="糖", chronic_conditions=["E10-E14"]
    )
    elder_diet_set(actor=worker, elder=diabetic, needs=["soft"], allergies=["花生"])
    dish = dish_add(
        actor=meals.staff,
        canteen=meals.canteen,
        name="宫保鸡丁",
        price="16",
        labels=["soft"],
        allergens=["花生"],
    )
    menu_set(actor=meals.staff, canteen=meals.canteen, day=TOMORROW, meal="lunch", dishes=[dish])
    booked = booking_place(
        actor=worker,
        canteen=meals.canteen,
        elder=diabetic,
        day=TOMORROW,
        meal="lunch",
        dish=dish,
        confirm_diet_conflict=True,
        now=at(TOMORROW, "06:00"),
    )
    assert booked.warnings == [
        "宫保鸡丁 is not Low sugar (diabetic).",
        "宫保鸡丁 contains 花生 (allergy).",
    ]


def test_kitchen_counts_per_meal_and_dish(meals: Meals) -> None:
    worker = meals.world.user[Role.COMMUNITY_WORKER]
    now = at(TOMORROW, "06:00")
    for elder in (meals.old, meals.young):
        booking_place(
            actor=worker, canteen=meals.canteen, elder=elder, day=TOMORROW, meal="lunch", now=now
        )
    counts = kitchen_counts(canteen=meals.canteen, day=TOMORROW)
    assert counts["per_meal"] == {"lunch": 2}
    assert counts["per_point"] == [(("lunch", "食堂XA1a", "dine_in"), 2)]


def test_a_courier_delivers_late_and_finds_someone_not_at_home(
    meals: Meals, settings: object
) -> None:
    today = timezone.localdate() - datetime.timedelta(days=1)  # its evening has passed
    worker = meals.world.user[Role.COMMUNITY_WORKER]
    courier = UserFactory(
        username="courier", role=Role.CAREGIVER, organisation=meals.world.org["operator"]
    )
    for elder in (meals.old, meals.young):
        booking_place(
            actor=worker,
            canteen=meals.canteen,
            elder=elder,
            day=today,
            meal="dinner",
            mode="delivery",
            now=at(today, "06:00"),
        )
    stops = delivery_round_assign(
        actor=meals.staff, canteen=meals.canteen, day=today, meal="dinner", courier=courier
    )
    assert [b.route_position for b in stops] == [1, 2]
    first, second = stops
    delivered = delivery_confirm(
        actor=courier,
        booking=first,
        delivered=True,
        at=at(today, "18:30"),
        lat=Decimal("34.75"),
        lng=Decimal("113.65"),
    )
    assert (delivered.status, delivered.is_late) == ("delivered", True)
    served = ServedMeal.objects.get()
    assert (served.mode, served.price_yuan) == ("delivery", Decimal("14.00"))
    delivery_confirm(actor=courier, booking=second, delivered=False, at=at(today, "17:20"))
    assert [b.elder for b in not_at_home(actor=worker)] == [second.elder]


def test_food_safety_gaps_show_what_is_missing(meals: Meals) -> None:
    today = timezone.localdate()
    gaps = {g.code for g in safety_gaps(canteen=meals.canteen, today=today)}
    assert gaps == {"sample", "temperature", "certificate", "inspection"}
    for offset in range(7):
        safety_record_add(
            actor=meals.staff,
            canteen=meals.canteen,
            kind="sample",
            recorded_by_name="厨师长",
            day=today - datetime.timedelta(days=offset),
        )
    safety_record_add(
        actor=meals.staff,
        canteen=meals.canteen,
        kind="temperature",
        recorded_by_name="厨师长",
        temperature_c="4.0",
    )
    safety_record_add(
        actor=meals.staff,
        canteen=meals.canteen,
        kind="inspection",
        recorded_by_name="市监局",
        result="passed",
    )
    certificate_add(
        actor=meals.staff,
        canteen=meals.canteen,
        staff_name="张厨",
        expires_on=today + datetime.timedelta(days=10),
    )
    assert [g.code for g in safety_gaps(canteen=meals.canteen, today=today)] == [
        "certificate_expiring"
    ]
    with pytest.raises(ValidationError):
        safety_record_add(
            actor=meals.staff,
            canteen=meals.canteen,
            kind="temperature",
            recorded_by_name="x",
            temperature_c="hot",
        )
