"""Shared plumbing of the supervision services: audit, scope guard, deadlines."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from yiyang.core.audit import audit_record
from yiyang.core.permissions import Actor
from yiyang.supervision.selectors import calendar_overrides
from yiyang.supervision.workdays import add_working_days


def audit(actor: Actor, action: str, obj: Any, division_code: str, changes: dict[str, Any]) -> None:
    audit_record(actor=actor, action=action, obj=obj, division_code=division_code, changes=changes)


def require_in_scope(actor: Actor, *, division_code: str, organisation_id: int | None) -> None:
    if not actor.scope.covers(division_code=division_code, organisation_id=organisation_id):
        raise PermissionDenied("scope")


def end_of_day(day: datetime.date) -> datetime.datetime:
    """The last second of a day in the city's time zone: a deadline "by day D"."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(23, 59, 59)))


def working_deadline(start: datetime.datetime, working_days: int) -> datetime.datetime:
    """The end of the ``working_days``-th working day after ``start``'s local date."""
    day = timezone.localdate(start)
    return end_of_day(add_working_days(day, working_days, calendar_overrides()))
