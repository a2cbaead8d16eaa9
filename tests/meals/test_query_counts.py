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


def test_recording_a_meal_at_the_counter_takes_a_fixed_small_number_of_queries(
    meals: Meals,
) -> None:
    """The counter's hot path (the lunch-hour benchmark): the session and its user, the
    canteen, the card with its elder and diet, the booking, the insert and its audit record,
    the session's idle-timeout refresh; the eligibility rules come from a short cache."""
    import uuid

    from tests.factories import UserFactory
    from yiyang.core.permissions import Role
    from yiyang.meals.services import card_value, meal_card_issue

    cashier = UserFactory(
        username="cashier", role=Role.CANTEEN_STAFF, organisation=meals.canteen.organisation
    )
    worker = meals.world.user[Role.COMMUNITY_WORKER]
    client = login(Client(), cashier)
    client.get("/meals/counter/")  # the session's first request settles its flags
    elders = (meals.old, meals.young, make_elder(meals.system, meals.world.div["XA1a"], name="丙"))
    cards = [card_value(meal_card_issue(actor=worker, elder=e)) for e in elders]
    counts = []
    for card in cards:
        body = {
            "canteen": str(meals.canteen.external_id),
            "meal": "lunch",
            "card": card,
            "client_id": str(uuid.uuid4()),
        }
        with CaptureQueriesContext(connection) as queries:
            answer = client.post("/api/v1/meals/served/", body, content_type="application/json")
        assert answer.status_code == 201, answer.json()
        counts.append(len([q for q in queries if "SAVEPOINT" not in q["sql"]]))
    # session, user, canteen, card+elder+diet, booking, insert, audit, session update; the
    # rules are read by the first record only.
    assert counts == [9, 8, 8], [q["sql"][:90] for q in queries.captured_queries]
