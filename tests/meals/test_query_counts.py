"""The meal lists answer in a fixed number of queries, whatever their length."""

from __future__ import annotations

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.conftest import login
from tests.factories import make_elder
from tests.meals.conftest import Meals
from yiyang.meals.services import meal_serve


def _count(client: Client, url: str) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_served_and_canteen_lists_do_not_grow_with_rows(meals: Meals) -> None:
    staff = login(Client(), meals.staff)
    meal_serve(actor=meals.staff, canteen=meals.canteen, elder=meals.old, meal="lunch")
    urls = (
        "/api/v1/meals/served/",
        "/api/v1/meals/canteens/",
        "/api/v1/meals/bookings/",
        "/meals/",
    )
    before = {url: _count(staff, url) for url in urls}
    for n in range(5):
        elder = make_elder(meals.system, meals.world.div["XA1a"], name=f"老{n}")
        meal_serve(actor=meals.staff, canteen=meals.canteen, elder=elder, meal="lunch")
    after = {url: _count(staff, url) for url in urls}
    assert after == before
