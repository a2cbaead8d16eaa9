"""Voiding a meal recorded by mistake: kept with who, when and why, audited; its subsidy
no longer counts (monthly cap, settlement, indicators) and the meal-time is open again."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from tests.meals.conftest import Meals
from yiyang.core.models import AuditEvent
from yiyang.meals.choices import BookingStatus
from yiyang.meals.models import Booking, ServedMeal
from yiyang.meals.selectors import billable_meals
from yiyang.meals.services import meal_serve, served_meal_void
from yiyang.meals.services.subsidy import subsidy_spent


def test_a_voided_meal_frees_the_meal_time_and_its_subsidy(meals: Meals, settings: object) -> None:
    settings.MEAL_SUBSIDY_MONTHLY_CAP_YUAN = "5"  # type: ignore[attr-defined]
    wrong = meal_serve(actor=meals.staff, canteen=meals.canteen, elder=meals.old, meal="lunch").meal
    assert wrong.subsidy_yuan == Decimal("5.00")
    voided = served_meal_void(actor=meals.staff, served=wrong, reason="扫错了卡")
    assert (voided.void_reason, voided.voided_by_username) == ("扫错了卡", meals.staff.username)
    assert subsidy_spent(elder=meals.old, day=timezone.localdate()) == Decimal("0.00")
    # The right record for the same meal-time, at another canteen, gets the subsidy again.
    again = meal_serve(actor=meals.other_staff, canteen=meals.other, elder=meals.old, meal="lunch")
    assert again.meal.subsidy_yuan == Decimal("5.00")
    assert ServedMeal.objects.filter(elder=meals.old).count() == 2
    today = timezone.localdate()
    billed = billable_meals(today.replace(day=1), today, None)
    assert [row["source_id"] for row in billed] == [again.meal.pk]
    event = AuditEvent.objects.get(object_id=str(wrong.external_id), action="update")
    assert event.changes["voided"] == [None, "扫错了卡"]
    assert event.changes["subsidy_yuan"] == ["5.00", "0.00"]


def test_voiding_needs_a_reason_once_and_the_canteen_that_served(meals: Meals) -> None:
    served = meal_serve(
        actor=meals.staff, canteen=meals.canteen, elder=meals.old, meal="lunch"
    ).meal
    with pytest.raises(ValidationError) as caught:
        served_meal_void(actor=meals.staff, served=served, reason="  ")
    assert set(caught.value.message_dict) == {"reason"}
    with pytest.raises(Http404):
        served_meal_void(actor=meals.other_staff, served=served, reason="不是我们的")
    served_meal_void(actor=meals.staff, served=served, reason="重复")
    with pytest.raises(ValidationError) as twice:
        served_meal_void(actor=meals.staff, served=served, reason="再来一次")
    assert set(twice.value.message_dict) == {"served"}
    served.refresh_from_db()
    assert served.void_reason == "重复"


def test_an_old_meal_cannot_be_voided(meals: Meals) -> None:
    served = meal_serve(
        actor=meals.staff, canteen=meals.canteen, elder=meals.old, meal="lunch"
    ).meal
    later = timezone.now() + datetime.timedelta(days=8)
    with pytest.raises(ValidationError):
        served_meal_void(actor=meals.staff, served=served, reason="太晚了", now=later)
    served.refresh_from_db()
    assert served.voided_at is None


def test_a_booked_meal_voided_is_booked_again(meals: Meals) -> None:
    today = timezone.localdate()
    booking = Booking.objects.create(
        elder=meals.old,
        canteen=meals.canteen,
        day=today,
        meal="dinner",
        mode="dine_in",
        booked_via="counter",
        division_code=meals.old.division_code,
    )
    served = meal_serve(actor=meals.staff, canteen=meals.canteen, elder=meals.old, meal="dinner")
    booking.refresh_from_db()
    assert (served.meal.booking, booking.status) == (booking, BookingStatus.SERVED)
    served_meal_void(actor=meals.staff, served=served.meal, reason="错了")
    booking.refresh_from_db()
    assert booking.status == BookingStatus.BOOKED


def test_the_api_voids_and_answers_400_without_a_reason(meals: Meals) -> None:
    from django.test import Client

    from tests.conftest import login

    served = meal_serve(
        actor=meals.staff, canteen=meals.canteen, elder=meals.old, meal="lunch"
    ).meal
    client = login(Client(), meals.staff)
    url = f"/api/v1/meals/served/{served.external_id}/void/"
    assert client.post(url, {}, content_type="application/json").status_code == 400
    answer = client.post(url, {"reason": "扫错"}, content_type="application/json")
    assert answer.status_code == 200
    assert answer.json()["voided_at"] is not None
    again = client.post(url, {"reason": "扫错"}, content_type="application/json")
    assert again.status_code == 400 and "served" in again.json()
