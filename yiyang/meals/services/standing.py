"""The standing orders' daily run in the background worker: the meal scheduler
(``yiyang run-meal-scheduler``) asks what is due and queues it; the worker
(``yiyang db_worker``) books each due day from the standing orders in force.

What is due is read from the database, so a restart or two schedulers queue nothing twice
for long, and a day queued twice is booked once (``standing_orders_book`` is idempotent):
a day is due when no run has booked it yet, or when a standing order was placed or
changed since its last run (an order placed at noon is booked for tomorrow that round)."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db.models import Max
from django.utils import timezone
from django_tasks import task

from yiyang.core.permissions import SystemActor
from yiyang.core.scoping import Scope
from yiyang.meals.models import StandingOrder, StandingRun
from yiyang.meals.services.standing_orders import standing_orders_book

SYSTEM_USERNAME = "system:standing-meals"


Due = tuple[datetime.date, datetime.datetime | None]


def standing_days_due(*, now: datetime.datetime | None = None) -> list[Due]:
    """The days the standing orders should book now, each with the time of its last run
    (None: never run): each of the next ``MEAL_STANDING_DAYS_AHEAD`` days (from tomorrow)
    never run, or run before the latest change to a standing order. Two queries."""
    today = timezone.localtime(now or timezone.now()).date()
    days = [
        today + datetime.timedelta(days=n)
        for n in range(1, max(1, settings.MEAL_STANDING_DAYS_AHEAD) + 1)
    ]
    ran = dict(StandingRun.objects.filter(day__in=days).values_list("day", "ran_at"))
    changed = StandingOrder.objects.aggregate(at=Max("updated_at"))["at"]
    return [
        (day, ran.get(day))
        for day in days
        if day not in ran or (changed is not None and changed >= ran[day])
    ]


def standing_day_book(
    *, day: datetime.date, now: datetime.datetime | None = None
) -> dict[str, Any]:
    """Book ``day`` from every standing order in force and note the run (its time is
    taken before booking, so an order changed during the run makes the day due again)."""
    started = now or timezone.now()
    actor = SystemActor(Scope(division_prefix=""), username=SYSTEM_USERNAME)
    result = standing_orders_book(actor=actor, day=day)
    StandingRun.objects.update_or_create(
        day=day,
        defaults={
            "ran_at": started,
            "booked": result["booked"],
            "skipped": result["skipped"],
            "fell_back": result["fell_back"],
        },
    )
    return {"day": day.isoformat(), **result}


@task()
def standing_day_task(day: str) -> dict[str, Any]:
    """The worker's job: book one day (YYYY-MM-DD) from the standing orders."""
    return standing_day_book(day=datetime.date.fromisoformat(day))


def standing_days_enqueue(days: list[datetime.date]) -> None:
    """Queue days for the worker."""
    for day in days:
        standing_day_task.enqueue(day.isoformat())
