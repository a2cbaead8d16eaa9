"""The standing orders run in the background worker without a person: the meal scheduler
finds the days due at an injected clock and queues them, the worker books them; a second
round or a second run creates nothing twice, a cancelled day stays cancelled, and an order
placed after the run makes its day due again."""

from __future__ import annotations

import datetime
import io
import json

from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from tests.meals.conftest import Meals
from yiyang.core.permissions import Role
from yiyang.meals.choices import BookedVia, BookingStatus
from yiyang.meals.models import Booking, StandingRun
from yiyang.meals.services import booking_cancel, standing_order_place
from yiyang.meals.services.standing import (
    standing_day_book,
    standing_days_due,
    standing_days_enqueue,
)

TODAY = timezone.localdate()
EVENING = timezone.make_aware(datetime.datetime.combine(TODAY, datetime.time(20, 0)))
DAY1 = TODAY + datetime.timedelta(days=1)
DAY2 = TODAY + datetime.timedelta(days=2)
DAY3 = TODAY + datetime.timedelta(days=3)


def _lunch_every_day(meals: Meals, elder: object) -> None:
    standing_order_place(
        actor=meals.world.user[Role.COMMUNITY_WORKER],
        canteen=meals.canteen,
        elder=elder,
        meal="lunch",
        mode="dine_in",
        weekdays=[0, 1, 2, 3, 4, 5, 6],
        starts_on=TODAY,
    )


def _booked() -> list[tuple[str, datetime.date, str]]:
    return sorted(
        (b.elder.name, b.day, b.status)
        for b in Booking.objects.filter(booked_via=BookedVia.STANDING_ORDER).select_related("elder")
    )


@override_settings(MEAL_STANDING_DAYS_AHEAD=2)
def test_the_scheduler_books_the_next_days_once_at_an_injected_clock(meals: Meals) -> None:
    _lunch_every_day(meals, meals.old)
    assert standing_days_due(now=EVENING) == [(DAY1, None), (DAY2, None)]
    standing_days_enqueue([day for day, _ran in standing_days_due(now=EVENING)])
    assert _booked() == [("王老", DAY1, "booked"), ("王老", DAY2, "booked")]
    assert [(r.day, r.booked, r.skipped) for r in StandingRun.objects.order_by("day")] == [
        (DAY1, 1, 0),
        (DAY2, 1, 0),
    ]
    # The same clock again: nothing due; a run forced anyway books nothing twice.
    assert standing_days_due(now=EVENING) == []
    assert standing_day_book(day=DAY1) == {
        "day": DAY1.isoformat(),
        "booked": 0,
        "skipped": 1,
        "fell_back": 0,
    }
    assert Booking.objects.count() == 2
    # A day later the clock reaches a new day: only it is due.
    tomorrow_evening = EVENING + datetime.timedelta(days=1)
    assert [day for day, _ran in standing_days_due(now=tomorrow_evening)] == [DAY3]


@override_settings(MEAL_STANDING_DAYS_AHEAD=1)
def test_a_cancelled_day_stays_cancelled_and_a_new_order_is_booked_next_round(
    meals: Meals,
) -> None:
    _lunch_every_day(meals, meals.old)
    standing_days_enqueue([day for day, _ran in standing_days_due(now=EVENING)])
    booking = Booking.objects.get()
    booking_cancel(actor=meals.world.user[Role.COMMUNITY_WORKER], booking=booking, now=EVENING)
    # Another elder's order placed after the run: the day is due again, and the second
    # run books the new order only (the cancelled day is not booked again).
    _lunch_every_day(meals, meals.young)
    due = standing_days_due(now=EVENING)
    assert [day for day, _ran in due] == [DAY1]
    assert due[0][1] is not None
    standing_days_enqueue([DAY1])
    assert _booked() == [("李青", DAY1, BookingStatus.BOOKED), ("王老", DAY1, "cancelled")]
    assert standing_days_due(now=EVENING) == []


@override_settings(MEAL_STANDING_DAYS_AHEAD=1)
def test_the_scheduler_command_queues_each_due_day_once(meals: Meals) -> None:
    _lunch_every_day(meals, meals.old)
    out = io.StringIO()
    call_command("run-meal-scheduler", "--once", stdout=out)
    assert json.loads(out.getvalue())["queued"] == [DAY1.isoformat()]
    out = io.StringIO()
    call_command("run-meal-scheduler", "--once", stdout=out)
    assert json.loads(out.getvalue())["queued"] == []
    assert _booked() == [("王老", DAY1, "booked")]
