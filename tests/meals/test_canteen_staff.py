"""The canteen-staff role: runs the counter of its own canteen, and nothing else (not the
other canteens its operator runs, not menus or rounds, not other apps)."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import Http404
from django.test import Client

from tests.conftest import login
from tests.factories import UserFactory
from tests.meals.conftest import Meals, canteen_in
from yiyang.core.permissions import Role
from yiyang.meals.services import meal_serve


@pytest.fixture
def counter_staff(meals: Meals) -> Any:
    return UserFactory(
        username="cashier", role=Role.CANTEEN_STAFF, organisation=meals.canteen.organisation
    )


def test_canteen_staff_record_at_their_own_canteen_only(meals: Meals, counter_staff: Any) -> None:
    # A second canteen run by the same operator as the first: out of the cashier's reach.
    sister = canteen_in(meals.world, meals.system, "XA1b", operator=meals.world.org["operator"])
    served = meal_serve(actor=counter_staff, canteen=meals.canteen, elder=meals.old, meal="lunch")
    assert served.meal.recorded_by_username == "cashier"
    with pytest.raises(Http404):
        meal_serve(actor=counter_staff, canteen=sister, elder=meals.young, meal="lunch")
    with pytest.raises(Http404):
        meal_serve(actor=counter_staff, canteen=meals.other, elder=meals.young, meal="lunch")


def test_canteen_staff_pages(meals: Meals, counter_staff: Any) -> None:
    client = login(Client(), counter_staff)
    counter = client.get("/meals/counter/")
    assert counter.status_code == 200
    assert "食堂XA1a" in counter.content.decode()
    assert client.get("/meals/served/").status_code == 200
    assert 'id="home-counter"' in client.get("/").content.decode()
    for url in (
        f"/meals/canteens/{meals.canteen.external_id}/menu/",
        f"/meals/canteens/{meals.canteen.external_id}/rounds/",
        "/meals/book/",
        "/meals/cards/",
        "/elders/",
        "/api/v1/elders/",
    ):
        assert client.get(url).status_code == 403, url
    assert client.get(f"/meals/canteens/{meals.other.external_id}/").status_code == 404
