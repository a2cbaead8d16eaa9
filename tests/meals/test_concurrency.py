"""Two counters record the same elder at the same moment, on PostgreSQL: the unique
constraint lets one through and tells the other where the first meal was served."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections

from tests.meals.conftest import Meals
from yiyang.meals.models import ServedMeal
from yiyang.meals.services import MealConflictError, meal_serve

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrency needs PostgreSQL"
)


def _counter(kwargs: dict[str, Any], start: threading.Barrier, out: list[Any]) -> None:
    try:
        start.wait(10)
        out.append(meal_serve(**kwargs))
    except Exception as exc:
        out.append(exc)
    finally:
        connections.close_all()


def test_two_counters_scanning_one_card_at_once_serve_one_subsidised_meal(
    shared_meals: Meals,
) -> None:
    m = shared_meals
    for meal in ("breakfast", "lunch", "dinner"):
        start = threading.Barrier(2)
        out: list[Any] = []
        threads = [
            threading.Thread(
                target=_counter,
                args=(
                    {"actor": actor, "canteen": canteen, "elder": m.old, "meal": meal},
                    start,
                    out,
                ),
            )
            for actor, canteen in ((m.staff, m.canteen), (m.other_staff, m.other))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        conflicts = [r for r in out if isinstance(r, MealConflictError)]
        assert len(out) == 2
        assert len(conflicts) == 1, out
    assert ServedMeal.objects.filter(elder=m.old).count() == 3
