"""The scheduled run: on the 1st (or the first round after it) settle the month before for
every city, in the background worker."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django_tasks import task

from yiyang.core.models import Division
from yiyang.core.permissions import SystemActor
from yiyang.core.scoping import Scope
from yiyang.settlement.models import Contract, Statement
from yiyang.settlement.services.settle import month_bounds, settle_month


def previous_month(today: datetime.date | None = None) -> datetime.date:
    first = (today or timezone.localdate()).replace(day=1)
    return (first - datetime.timedelta(days=1)).replace(day=1)


def settlement_due(today: datetime.date | None = None) -> datetime.date | None:
    """The month before, when a contract was in force in it and it has no statement yet."""
    month = previous_month(today)
    first, last = month_bounds(month)
    live = Contract.objects.filter(starts_on__lte=last, ends_on__gte=first).exists()
    if live and not Statement.objects.filter(month=first).exists():
        return month
    return None


@task()
def settle_month_task(month: str) -> dict[str, Any]:
    """Settle ``month`` (YYYY-MM-DD) for every city; a city with nothing to do is noted."""
    day = datetime.date.fromisoformat(month)
    done: dict[str, Any] = {}
    for city in Division.objects.filter(level="city"):
        actor = SystemActor(Scope(division_prefix=city.code_prefix), username="settlement")
        try:
            result = settle_month(actor=actor, month=day)
        except ValidationError as exc:
            done[city.code] = exc.messages
            continue
        done[city.code] = {
            "statements": len(result.statements),
            "lines": result.lines,
            "held": result.held,
        }
    return done
