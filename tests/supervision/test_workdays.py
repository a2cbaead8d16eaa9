"""Working-day arithmetic across weekends, public holidays and worked weekend days."""

from __future__ import annotations

import datetime

import pytest

from yiyang.supervision.workdays import (
    HOLIDAY,
    WORKDAY,
    add_working_days,
    is_working_day,
    working_days_between,
)

d = datetime.date
# Spring Festival 2025 (国办发明电〔2024〕12号): 28 Jan - 4 Feb off, Sun 26 Jan and Sat 8 Feb worked.
SPRING = {d(2025, 1, 26): WORKDAY, d(2025, 2, 8): WORKDAY} | dict.fromkeys(
    (d(2025, 1, 28), d(2025, 1, 29), d(2025, 1, 30), d(2025, 1, 31), d(2025, 2, 3), d(2025, 2, 4)),
    HOLIDAY,
)


@pytest.mark.parametrize(
    ("start", "count", "expected"),
    [
        (d(2025, 3, 3), 1, d(2025, 3, 4)),  # Monday + 1 = Tuesday
        (d(2025, 3, 7), 1, d(2025, 3, 10)),  # Friday + 1 = Monday
        (d(2025, 3, 8), 1, d(2025, 3, 10)),  # Saturday + 1 = Monday
        (d(2025, 3, 9), 0, d(2025, 3, 10)),  # Sunday, 0 days: the next working day
        (d(2025, 3, 3), 0, d(2025, 3, 3)),
        (d(2025, 3, 3), 15, d(2025, 3, 24)),  # three weeks of weekdays
        (d(2025, 1, 24), 1, d(2025, 1, 26)),  # Friday + 1 = the worked Sunday
        (d(2025, 1, 27), 1, d(2025, 2, 5)),  # the day before the festival + 1 = after it
        (d(2025, 1, 27), 2, d(2025, 2, 6)),
        (d(2025, 2, 7), 1, d(2025, 2, 8)),  # Friday + 1 = the worked Saturday
        (d(2025, 1, 27), 15, d(2025, 2, 24)),  # 5-8 Feb (Sat worked), then 2 weeks, +1
    ],
)
def test_add_working_days(start: datetime.date, count: int, expected: datetime.date) -> None:
    assert add_working_days(start, count, SPRING) == expected


def test_weekend_and_holiday_rules() -> None:
    assert not is_working_day(d(2025, 1, 28), SPRING)  # a Tuesday off
    assert is_working_day(d(2025, 1, 26), SPRING)  # a Sunday worked
    assert not is_working_day(d(2025, 3, 8), SPRING)


def test_working_days_between() -> None:
    assert working_days_between(d(2025, 1, 27), d(2025, 2, 5), SPRING) == 1
    assert working_days_between(d(2025, 3, 7), d(2025, 3, 10), {}) == 1
    assert working_days_between(d(2025, 3, 10), d(2025, 3, 7), {}) == 0


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        add_working_days(d(2025, 3, 3), -1, {})
