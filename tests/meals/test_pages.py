"""The meal pages render for the roles that use them (Chinese first), and stay scoped."""

from __future__ import annotations

import datetime
from typing import Any

from django.test import Client
from django.utils import timezone

from tests.conftest import login
from tests.meals.conftest import Meals
from yiyang.core.permissions import Role
from yiyang.meals.models import Booking
from yiyang.meals.services import meal_serve


def test_the_counter_page_lists_only_the_staffs_canteens(meals: Meals) -> None:
    page = login(Client(), meals.staff).get("/meals/counter/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "食堂XA1a" in body and "食堂XA2a" not in body
    assert "meals/counter.js" in body
    assert "<script>" not in body.replace('<script type="application/json"', "")


def test_the_counter_page_is_refused_to_other_roles(meals: Meals, client_for: Any) -> None:
    assert client_for(Role.COMMUNITY_WORKER).get("/meals/counter/").status_code == 403


def test_index_and_canteen_pages(meals: Meals, client_for: Any) -> None:
    meal_serve(actor=meals.staff, canteen=meals.canteen, elder=meals.old, meal="lunch")
    for role in (Role.CITY_ADMIN, Role.COMMUNITY_WORKER, Role.PROVIDER_MANAGER, Role.FAMILY):
        assert client_for(role).get("/meals/").status_code == 200
    staff = login(Client(), meals.staff)
    page = staff.get(f"/meals/canteens/{meals.canteen.external_id}/")
    assert page.status_code == 200
    assert "kitchen-counts" in page.content.decode()
    assert staff.get(f"/meals/canteens/{meals.other.external_id}/").status_code == 404


def test_a_community_worker_books_on_the_page(meals: Meals, client_for: Any) -> None:
    worker = client_for(Role.COMMUNITY_WORKER)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    assert worker.get("/meals/book/").status_code == 200
    response = worker.post("/meals/book/", {
        "elder": str(meals.old.external_id), "canteen": str(meals.canteen.external_id),
        "day": tomorrow.isoformat(), "meal": "lunch", "mode": "dine_in",
    })  # fmt: skip
    assert response.status_code == 302
    assert Booking.objects.get().elder == meals.old
    bad = worker.post("/meals/book/", {
        "elder": str(meals.old.external_id), "canteen": str(meals.canteen.external_id),
        "day": "", "meal": "lunch", "mode": "dine_in",
    })  # fmt: skip
    assert bad.status_code == 200 and "booking-errors" in bad.content.decode()


def test_a_community_worker_issues_and_prints_a_meal_card(meals: Meals, client_for: Any) -> None:
    from yiyang.meals.models import MealCard

    worker = client_for(Role.COMMUNITY_WORKER)
    page = worker.get("/meals/cards/")
    assert page.status_code == 200 and "王老" in page.content.decode()
    response = worker.post("/meals/cards/", {"elder": str(meals.old.external_id)})
    card = MealCard.objects.get(elder=meals.old)
    assert response.status_code == 302
    printed = worker.get(response["Location"])
    assert f"YYMC:{card.code}" in printed.content.decode()
    assert client_for(Role.PROVIDER_MANAGER).get("/meals/cards/").status_code == 403
