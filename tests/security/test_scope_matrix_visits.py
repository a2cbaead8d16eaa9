"""The scope matrix for home-care visits: every role against a visit in each place, through
the API list, the detail, its photos and the orders list. A caregiver sees only their own
visits, a family member only their consenting elder's, a provider only its own orders;
outside is 404 (403 without the permission), never shown."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone
from PIL import Image

from tests.conftest import World
from tests.factories import UserFactory, make_elder
from tests.security.matrix import PLACES, ROLES, X_ALL, denied
from yiyang.core.permissions import Permission, Role, SystemActor
from yiyang.core.scoping import Scope
from yiyang.elders.services import consent_record, family_member_link
from yiyang.services import services as catalogue
from yiyang.services.models import ServiceItem
from yiyang.visits import services
from yiyang.visits.models import Visit

VISIBLE: dict[str, set[str]] = {
    Role.CITY_ADMIN: X_ALL,
    Role.DISTRICT_OFFICER: {"XA1a", "XA1b", "XA2a"},
    Role.STREET_OFFICER: {"XA1a", "XA1b"},
    Role.COMMUNITY_WORKER: {"XA1a"},
    Role.PROVIDER_MANAGER: {"XA2a"},  # its operated station serves XA2a
    Role.CAREGIVER: {"XA1a"},  # assigned to that one only
    Role.OPERATOR: X_ALL,
    Role.ASSESSOR: set(),
    Role.AUDITOR: X_ALL,
    Role.FAMILY: {"XA1a"},  # linked, with consent
    Role.EVALUATOR: set(),
    Role.FINANCE_OFFICER: set(),
    Role.CANTEEN_STAFF: set(),
}
PROVIDER_OF = {
    "XA1a": "home_care", "XA1b": "home_care", "XA2a": "station_XA2a",
    "XB1a": "station_XB1a", "YA1a": "home_YA",
}  # fmt: skip


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (20, 20)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def visits(world: World) -> dict[str, Visit]:
    found: dict[str, Visit] = {}
    items: dict[str, ServiceItem] = {}
    for city in ("X", "Y"):
        admin = SystemActor(Scope(division_prefix=world.div[city].code_prefix), username="t")
        catalogue.service_list_load(actor=admin, city=world.div[city])
        items[city] = ServiceItem.objects.get(city=world.div[city], code="JW03")
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    for place in PLACES:
        org = world.org[PROVIDER_OF[place]]
        manager = (
            world.user[Role.PROVIDER_MANAGER]
            if place == "XA2a"
            else UserFactory(username=f"mgr_{place}", role=Role.PROVIDER_MANAGER, organisation=org)
        )
        city = "Y" if place == "YA1a" else "X"
        catalogue.offering_set(actor=manager, provider=org, item=items[city], price="20")
        catalogue.service_areas_set(actor=manager, provider=org, divisions=[world.div[place]])
        login = world.user[Role.CAREGIVER] if place == "XA1a" else None
        caregiver = catalogue.caregiver_save(
            actor=manager,
            provider=org,
            name=f"护理员{place}",
            user=login,
            work_days=list(range(7)),
            work_start="00:00",
            work_end="23:59",
        )
        elder = make_elder(
            SystemActor(Scope(division_prefix=world.div[city].code_prefix), username="t"),
            world.div[place],
            name=f"老人{place}",
        )
        placer = UserFactory(
            username=f"cw_{place}", role=Role.COMMUNITY_WORKER, division=world.div[place]
        )
        order = services.order_place(
            actor=placer,
            elder=elder,
            provider=org,
            item=items[city],
            starts_on=tomorrow,
            window_start=datetime.time(10),
            window_end=datetime.time(12),
            self_pay_yuan=Decimal(20),
        )
        visit = services.visit_assign(
            actor=manager, visit=order.visits.get(), caregivers=[caregiver]
        )
        found[place] = visit
    elder = found["XA1a"].elder
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


@pytest.mark.parametrize("role", ROLES)
def test_visit_list_shows_exactly_the_visits_in_reach(
    role: str, visits: dict[str, Visit], client_for
) -> None:
    client: Client = client_for(role)
    day = visits["XA1a"].date.isoformat()
    answer = client.get(f"/api/v1/visits/?date={day}")
    if role in (Role.ASSESSOR, Role.FINANCE_OFFICER, Role.EVALUATOR, Role.CANTEEN_STAFF):
        assert answer.status_code == 403
        return
    assert answer.status_code == 200
    shown = {row["elder"]["name"] for row in answer.json()["results"]}
    assert shown == {f"老人{place}" for place in VISIBLE[role]}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("place", PLACES)
def test_visit_detail_and_photos(
    role: str, place: str, visits: dict[str, Visit], client_for
) -> None:
    client: Client = client_for(role)
    visit = visits[place]
    detail = client.get(f"/api/v1/visits/{visit.external_id}/")
    photos = client.get(f"/api/v1/visits/{visit.external_id}/photos/")
    if place in VISIBLE[role]:
        assert (detail.status_code, photos.status_code) == (200, 200)
        assert detail.json()["id"] == str(visit.external_id)
    else:
        expected = denied(role, Permission.VIEW_VISITS)
        assert (detail.status_code, photos.status_code) == (expected, expected)


@pytest.mark.parametrize("role", ROLES)
def test_orders_list(role: str, visits: dict[str, Visit], client_for) -> None:
    answer = client_for(role).get("/api/v1/orders/")
    if role in (Role.ASSESSOR, Role.FINANCE_OFFICER, Role.EVALUATOR, Role.CANTEEN_STAFF):
        assert answer.status_code == 403
        return
    assert answer.status_code == 200
    shown = {row["elder"]["name"] for row in answer.json()["results"]}
    expected = set() if role == Role.CAREGIVER else {f"老人{p}" for p in VISIBLE[role]}
    assert shown == expected


def test_a_photo_is_served_only_within_reach(
    visits: dict[str, Visit], world: World, client_for
) -> None:
    visit = visits["XA1a"]
    Visit.objects.filter(pk=visit.pk).update(
        status="checked_in", check_in_at=timezone.now(), window_start=timezone.now()
    )
    visit.refresh_from_db()
    photo = services.visit_photo_add(actor=world.user[Role.CAREGIVER], visit=visit, data=png())
    url = f"/api/v1/visits/{visit.external_id}/photos/{photo.external_id}/"
    assert client_for(Role.FAMILY).get(url).status_code == 200
    assert client_for(Role.CAREGIVER).get(url)["Content-Type"] == "image/jpeg"
    assert client_for(Role.PROVIDER_MANAGER).get(url).status_code == 404
    assert client_for("admin_Y").get(url).status_code == 404
    other = visits["XA1b"]
    wrong = f"/api/v1/visits/{other.external_id}/photos/{photo.external_id}/"
    assert client_for(Role.CITY_ADMIN).get(wrong).status_code == 404
