"""Working-day arithmetic: Monday to Friday, except the public holidays of the city's
calendar, plus the weekend days worked in exchange (调休). Pure: the calendar comes in as
a mapping of date to "holiday" or "workday"."""

from __future__ import annotations

import datetime
from collections.abc import Mapping

HOLIDAY = "holiday"
WORKDAY = "workday"


def is_working_day(day: datetime.date, calendar: Mapping[datetime.date, str]) -> bool:
    kind = calendar.get(day)
    if kind == HOLIDAY:
        return False
    if kind == WORKDAY:
        return True
    return day.weekday() < 5


def add_working_days(
    day: datetime.date, count: int, calendar: Mapping[datetime.date, str]
) -> datetime.date:
    """The ``count``-th working day after ``day`` (``day`` itself never counts: a complaint
    received on a Friday evening and due in 1 working day is due on Monday). ``count`` 0
    gives ``day`` when it is a working day, else the next working day."""
    if count < 0:
        raise ValueError("count must not be negative")
    current = day
    if count == 0:
        while not is_working_day(current, calendar):
            current += datetime.timedelta(days=1)
        return current
    remaining = count
    while remaining:
        current += datetime.timedelta(days=1)
        if is_working_day(current, calendar):
            remaining -= 1
    return current


def working_days_between(
    start: datetime.date, end: datetime.date, calendar: Mapping[datetime.date, str]
) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when end <= start)."""
    days = 0
    current = start
    while current < end:
        current += datetime.timedelta(days=1)
        if is_working_day(current, calendar):
            days += 1
    return days
