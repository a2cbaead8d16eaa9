"""The counter API: 201 with the split, 200 for a re-sent offline record, 409 with where
and when for a second meal of the meal-time anywhere in the city, 400 for bad cards; scope."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.test import Client
from django.utils import timezone

from tests.conftest import login
from tests.meals.conftest import Meals
from yiyang.core.permissions import Role
from yiyang.meals.models import Booking, ServedMeal
from yiyang.meals.services import meal_card_issue

URL = "/api/v1/meals/served/"


def post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, body, content_type="application/json")


def test_the_counter_records_a_subsidised_meal_by_card(meals: Meals) -> None:
    card = meal_card_issue(actor=meals.world.user[Role.COMMUNITY_WORKER], elder=meals.old)
    staff = login(Client(), meals.staff)
    body = {"canteen": str(meals.canteen.external_id), "meal": "lunch", "card": f"YYMC:{card.code}"}
    preview = post(staff, URL + "preview/", body)
    assert preview.status_code == 200
    assert (preview.json()["subsidy"], preview.json()["self_pay"]) == ("5.00", "10.00")
    response = post(staff, URL, {**body, "client_id": str(uuid.uuid4())})
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["price"], data["subsidy"], data["self_pay"]) == ("15.00", "5.00", "10.00")
    assert data["elder_name"] == "王老"
    assert data["replayed"] is False


def test_a_resent_record_answers_200_and_a_second_meal_409(meals: Meals) -> None:
    staff = login(Client(), meals.staff)
    other = login(Client(), meals.other_staff)
    at = (timezone.now() - datetime.timedelta(minutes=30)).isoformat()
    body = {
        "canteen": str(meals.canteen.external_id),
        "meal": "lunch",
        "elder": str(meals.old.external_id),
        "client_id": str(uuid.uuid4()),
        "at": at,
    }
    assert post(staff, URL, body).status_code == 201
    again = post(staff, URL, body)
    assert (again.status_code, again.json()["replayed"]) == (200, True)
    elsewhere = post(
        other,
        URL,
        {**body, "canteen": str(meals.other.external_id), "client_id": str(uuid.uuid4())},
    )
    assert elsewhere.status_code == 409
    assert "食堂XA1a" in elsewhere.json()["detail"]
    assert elsewhere.json()["first"]["canteen_name"] == "食堂XA1a"
    assert ServedMeal.objects.count() == 1


def test_bad_cards_and_numbers_answer_400_naming_the_field(meals: Meals) -> None:
    staff = login(Client(), meals.staff)
    base = {"canteen": str(meals.canteen.external_id), "meal": "lunch"}
    for extra, field in (
        ({"card": "YYMC:DEADBEEF"}, "card"),
        ({"card": "not a card!"}, "card"),
        ({"id_number": "110101"}, "id_number"),
        ({"phone": "12"}, "phone"),
        ({}, "card"),
    ):
        response = post(staff, URL, {**base, **extra})
        assert response.status_code == 400, (extra, response.content)
        assert field in response.json()
    bad_meal = post(staff, URL, {**base, "meal": "supper", "elder": str(meals.old.external_id)})
    assert bad_meal.status_code == 400
    assert ServedMeal.objects.count() == 0


def test_only_a_canteens_staff_record_there(meals: Meals, client_for: Any) -> None:
    body = {
        "canteen": str(meals.other.external_id),
        "meal": "lunch",
        "elder": str(meals.old.external_id),
    }
    assert post(login(Client(), meals.staff), URL, body).status_code == 404
    assert post(client_for(Role.COMMUNITY_WORKER), URL, body).status_code == 403
    assert post(client_for(Role.FAMILY), URL, body).status_code == 403
    assert ServedMeal.objects.count() == 0


def test_served_lists_are_scoped(meals: Meals, client_for: Any) -> None:
    from yiyang.meals.services import meal_serve

    meal_serve(actor=meals.staff, canteen=meals.canteen, elder=meals.old, meal="lunch")
    seen = {
        key: len(client_for(key).get(URL).json()["results"])
        for key in (
            Role.CITY_ADMIN,
            Role.COMMUNITY_WORKER,
            Role.PROVIDER_MANAGER,
            "admin_Y",
            "worker_YA1a",
            Role.FAMILY,
            Role.CAREGIVER,
        )
    }
    assert seen == {
        Role.CITY_ADMIN: 1,
        Role.COMMUNITY_WORKER: 1,
        Role.PROVIDER_MANAGER: 1,
        "admin_Y": 0,
        "worker_YA1a": 0,
        Role.FAMILY: 0,
        Role.CAREGIVER: 0,
    }
    assert len(login(Client(), meals.other_staff).get(URL).json()["results"]) == 0


def test_a_community_worker_books_and_cancels_through_the_api(
    meals: Meals, client_for: Any
) -> None:
    worker = client_for(Role.COMMUNITY_WORKER)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = post(
        worker,
        "/api/v1/meals/bookings/",
        {
            "elder": str(meals.old.external_id),
            "canteen": str(meals.canteen.external_id),
            "day": tomorrow.isoformat(),
            "meal": "lunch",
            "mode": "delivery",
        },
    )
    assert response.status_code == 201, response.json()
    booking_id = response.json()["id"]
    cancelled = post(worker, f"/api/v1/meals/bookings/{booking_id}/cancel/", {})
    assert cancelled.json()["status"] == "cancelled"
    assert Booking.objects.get().status == "cancelled"


def test_a_family_member_books_a_delivery_and_the_courier_confirms(
    meals: Meals, client_for: Any
) -> None:
    from tests.factories import UserFactory
    from yiyang.elders.services import consent_record, family_member_link

    worker = meals.world.user[Role.COMMUNITY_WORKER]
    family_member_link(
        actor=worker, elder=meals.old, user=meals.world.user[Role.FAMILY], relation="child"
    )
    consent_record(
        actor=worker,
        elder=meals.old,
        purpose="family_view",
        given_by="elder",
        given_on=timezone.localdate(),
    )
    family = client_for(Role.FAMILY)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    body = {
        "elder": str(meals.old.external_id),
        "canteen": str(meals.canteen.external_id),
        "day": tomorrow.isoformat(),
        "meal": "lunch",
        "mode": "delivery",
    }
    response = post(family, "/api/v1/meals/bookings/", body)
    assert response.status_code == 201, response.json()
    assert response.json()["booked_via"] == "family"
    # Not for an elder they are not linked to.
    other = post(family, "/api/v1/meals/bookings/", {**body, "elder": str(meals.young.external_id)})
    assert other.status_code == 404
    from yiyang.meals.services import delivery_round_assign

    courier = UserFactory(
        username="courier", role=Role.CAREGIVER, organisation=meals.world.org["operator"]
    )
    delivery_round_assign(
        actor=meals.staff, canteen=meals.canteen, day=tomorrow, meal="lunch", courier=courier
    )
    booking_id = response.json()["id"]
    courier_client = login(Client(), courier)
    listed = courier_client.get("/api/v1/meals/bookings/").json()["results"]
    assert [b["id"] for b in listed] == [booking_id]
    # Tomorrow's meal cannot be handed over today: the service says so.
    early = post(
        courier_client, f"/api/v1/meals/bookings/{booking_id}/deliver/", {"delivered": True}
    )
    assert early.status_code == 400
    missed = post(
        courier_client, f"/api/v1/meals/bookings/{booking_id}/deliver/", {"delivered": False}
    )
    assert missed.json()["status"] == "not_at_home"
    assert Booking.objects.get().status == "not_at_home"


def test_the_counter_takes_a_date_today_by_default(meals: Meals) -> None:
    client = login(Client(), meals.staff)
    body = {
        "canteen": str(meals.canteen.external_id),
        "meal": "lunch",
        "elder": str(meals.old.external_id),
    }
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    earlier = post(client, "/api/v1/meals/served/", {**body, "date": yesterday.isoformat()})
    assert earlier.status_code == 201, earlier.json()
    assert earlier.json()["day"] == yesterday.isoformat()
    assert earlier.json()["subsidy"] == "5.00"
    today = post(client, "/api/v1/meals/served/", body)
    assert today.json()["day"] == timezone.localdate().isoformat()
    clash = post(
        client,
        "/api/v1/meals/served/",
        {
            **body,
            "meal": "dinner",
            "date": yesterday.isoformat(),
            "at": timezone.now().isoformat(),
        },
    )
    assert clash.status_code == 400 and "date" in clash.json()
    future = post(
        client,
        "/api/v1/meals/served/",
        {
            **body,
            "meal": "dinner",
            "date": (timezone.localdate() + datetime.timedelta(days=1)).isoformat(),
        },
    )
    assert future.status_code == 400
