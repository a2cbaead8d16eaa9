"""The scope matrix for meal assistance: every role against a canteen, a served meal and a
booking in each place, through the API. A canteen's staff see their canteen's meals, a
community worker their community's elders, family their consenting elder's; the counter
records only at the staff's own canteen; outside is 404 (403 without the permission)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tests.conftest import World
from tests.factories import UserFactory, make_elder
from tests.meals.conftest import canteen_in
from tests.security.matrix import PLACES, ROLES, X_ALL, XA, denied, holds
from yiyang.core.permissions import Permission, Role, SystemActor
from yiyang.core.scoping import Scope
from yiyang.elders.services import consent_record, family_member_link
from yiyang.meals.models import Booking, Canteen, ServedMeal
from yiyang.meals.services import meal_serve

SERVED: dict[str, set[str]] = {
    Role.CITY_ADMIN: X_ALL,
    Role.DISTRICT_OFFICER: XA,
    Role.STREET_OFFICER: {"XA1a", "XA1b"},
    Role.COMMUNITY_WORKER: {"XA1a"},
    Role.PROVIDER_MANAGER: {"XA2a"},  # the canteen its operator runs
    Role.CAREGIVER: set(),  # couriers see their deliveries only
    Role.OPERATOR: X_ALL,
    Role.AUDITOR: X_ALL,
    Role.FAMILY: {"XA1a"},  # linked, with consent
    Role.CANTEEN_STAFF: {"XA1a"},  # the counter staff of canteen XA1a: that canteen only
}
CANTEENS = {**SERVED, Role.FAMILY: XA}  # family: the canteens of their elder's district


@pytest.fixture
def places(world: World) -> dict[str, Any]:
    found: dict[str, Any] = {}
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    for place in PLACES:
        city = "Y" if place == "YA1a" else "X"
        system = SystemActor(Scope(division_prefix=world.div[city].code_prefix), username="t")
        operator = world.org["operator"] if place == "XA2a" else None
        canteen = canteen_in(world, system, place, operator=operator)
        staff = (
            world.user[Role.PROVIDER_MANAGER]
            if place == "XA2a"
            else UserFactory(
                username=f"canteen_{place}",
                role=Role.PROVIDER_MANAGER,
                organisation=canteen.organisation,
            )
        )
        elder = make_elder(system, world.div[place], name=f"老人{place}")
        meal_serve(actor=staff, canteen=canteen, elder=elder, meal="breakfast")
        Booking.objects.create(
            elder=elder,
            canteen=canteen,
            day=tomorrow,
            meal="lunch",
            mode="dine_in",
            booked_via="counter",
            division_code=elder.division_code,
        )
        found[place] = {"canteen": canteen, "elder": elder}
        if place == "XA1a":
            counter = world.user[Role.CANTEEN_STAFF]
            counter.organisation = canteen.organisation
            counter.save(update_fields=["organisation"])
    elder = found["XA1a"]["elder"]
    worker = world.user[Role.COMMUNITY_WORKER]
    family_member_link(actor=worker, elder=elder, user=world.user[Role.FAMILY], relation="child")
    consent_record(
        actor=worker,
        elder=elder,
        purpose="family_view",
        given_by="elder",
        given_on=timezone.localdate(),
    )
    return found


def _names(answer: Any, key: str) -> set[str]:
    return {row[key] for row in answer.json()["results"]}


@pytest.mark.parametrize("role", ROLES)
def test_served_meals_and_bookings_lists_show_exactly_what_is_in_reach(
    role: str, places: dict[str, Any], client_for: Any
) -> None:
    client: Client = client_for(role)
    for url in ("/api/v1/meals/served/", "/api/v1/meals/bookings/"):
        answer = client.get(url)
        if not holds(role, Permission.VIEW_MEALS):
            assert answer.status_code == 403
            continue
        assert answer.status_code == 200
        assert _names(answer, "elder_name") == {f"老人{p}" for p in SERVED[role]}, url


@pytest.mark.parametrize("role", ROLES)
def test_canteen_list_and_detail(role: str, places: dict[str, Any], client_for: Any) -> None:
    client: Client = client_for(role)
    answer = client.get("/api/v1/meals/canteens/")
    if not holds(role, Permission.VIEW_MEALS):
        assert answer.status_code == 403
        return
    assert _names(answer, "name") == {f"食堂{p}" for p in CANTEENS[role]}
    for place in PLACES:
        canteen: Canteen = places[place]["canteen"]
        detail = client.get(f"/api/v1/meals/canteens/{canteen.external_id}/")
        expected = 200 if place in CANTEENS[role] else denied(role, Permission.VIEW_MEALS)
        assert detail.status_code == expected, place


@pytest.mark.parametrize("role", ROLES)
def test_the_counter_records_only_at_the_staffs_own_canteen(
    role: str, places: dict[str, Any], client_for: Any
) -> None:
    client: Client = client_for(role)
    for place in PLACES:
        body = {
            "canteen": str(places[place]["canteen"].external_id),
            "meal": "lunch",
            "elder": str(places[place]["elder"].external_id),
        }
        answer = client.post("/api/v1/meals/served/", body, content_type="application/json")
        own = (role, place) in {(Role.PROVIDER_MANAGER, "XA2a"), (Role.CANTEEN_STAFF, "XA1a")}
        assert answer.status_code == (201 if own else denied(role, Permission.RECORD_MEALS)), place


@pytest.mark.parametrize("role", ROLES)
def test_voiding_a_meal_only_at_the_canteen_that_served_it(
    role: str, places: dict[str, Any], client_for: Any
) -> None:
    client: Client = client_for(role)
    for place in PLACES:
        served = ServedMeal.objects.get(elder=places[place]["elder"])
        answer = client.post(
            f"/api/v1/meals/served/{served.external_id}/void/",
            {"reason": "扫错了"},
            content_type="application/json",
        )
        own = (role, place) in {(Role.PROVIDER_MANAGER, "XA2a"), (Role.CANTEEN_STAFF, "XA1a")}
        if own:
            assert answer.status_code == 200, place
            assert answer.json()["void_reason"] == "扫错了"
        elif place in SERVED.get(role, set()) and holds(role, Permission.VIEW_MEALS):
            assert answer.status_code == 403, place  # seen, but not theirs to void
        else:
            assert answer.status_code == denied(role, Permission.VIEW_MEALS), place
        served.refresh_from_db()
        assert (served.voided_at is not None) == own, place


@pytest.mark.parametrize("role", ROLES)
def test_menu_and_rounds_pages_are_for_the_canteens_managers(
    role: str, places: dict[str, Any], client_for: Any
) -> None:
    client: Client = client_for(role)
    for place in PLACES:
        canteen = places[place]["canteen"]
        for page in ("menu", "rounds"):
            answer = client.get(f"/meals/canteens/{canteen.external_id}/{page}/")
            managed = place in CANTEENS.get(role, set()) and role != Role.FAMILY
            if not holds(role, Permission.MANAGE_CANTEENS):
                assert answer.status_code == 403, (place, page)
            else:
                assert answer.status_code == (200 if managed else 404), (place, page)


# The elder's photo: at the counter (its own scope) and through the registry's API --------

COUNTER_OWN = {(Role.PROVIDER_MANAGER, "XA2a"), (Role.CANTEEN_STAFF, "XA1a")}


@pytest.fixture
def photos(places: dict[str, Any], world: World, settings: Any, tmp_path: Any) -> dict[str, Any]:
    """Each place's elder (served breakfast at the place's canteen today) with a photo."""
    import io

    from PIL import Image

    from yiyang.elders.photos import elder_photo_set

    settings.MEDIA_ROOT = tmp_path
    for place in PLACES:
        out = io.BytesIO()
        Image.new("RGB", (30, 40), (200, 120, 80)).save(out, "PNG")
        admin = world.user["admin_Y" if place == "YA1a" else "city_admin"]
        elder_photo_set(actor=admin, elder=places[place]["elder"], data=out.getvalue())
    return places


@pytest.mark.parametrize("role", ROLES)
def test_the_counter_photo_only_for_the_staffs_own_canteen_and_its_elders(
    role: str, photos: dict[str, Any], client_for: Any
) -> None:
    from yiyang.elders.models import AccessLog

    client: Client = client_for(role)
    for place in PLACES:
        canteen, elder = photos[place]["canteen"], photos[place]["elder"]
        url = f"/meals/counter/{canteen.external_id}/elders/{elder.external_id}/photo/"
        own = (role, place) in COUNTER_OWN
        expected = 200 if own else denied(role, Permission.RECORD_MEALS)
        assert client.get(url).status_code == expected, place
        api = f"/api/v1/meals/canteens/{canteen.external_id}/elders/{elder.external_id}/photo/"
        assert client.get(api).status_code == expected, place
        # At their own canteen, an elder neither booked, served nor identified there: 404.
        for other in PLACES:
            if other != place and own:
                stranger = photos[other]["elder"].external_id
                path = f"/meals/counter/{canteen.external_id}/elders/{stranger}/photo/"
                assert client.get(path).status_code == 404, (place, other)
    seen = AccessLog.objects.filter(fields=["photo"], actor_role=role).count()
    assert seen == 2 * sum(1 for place in PLACES if (role, place) in COUNTER_OWN)


@pytest.mark.parametrize("role", ROLES)
def test_the_photo_api_follows_the_registrys_scope(
    role: str, photos: dict[str, Any], client_for: Any
) -> None:
    from tests.security.test_scope_matrix_elders import VISIBLE

    client: Client = client_for(role)
    for place in PLACES:
        url = f"/api/v1/elders/{photos[place]['elder'].external_id}/photo/"
        seen = place in VISIBLE[role]
        got = client.get(url)
        assert got.status_code == (200 if seen else denied(role, Permission.VIEW_ELDERS)), place
        # An empty upload: a 400 on ``photo`` for whoever may change it, nothing written.
        put = client.put(url, b"", content_type="multipart/form-data; boundary=x")
        if seen:
            expected = 400 if holds(role, Permission.MANAGE_ELDERS) else 403
        else:
            expected = denied(role, Permission.VIEW_ELDERS)
        assert put.status_code == expected, place
        assert photos[place]["elder"].__class__.objects.get(pk=photos[place]["elder"].pk).photo
