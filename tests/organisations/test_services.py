"""Organisation rules: beds, coordinates, licences, operators and jurisdiction."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from tests.conftest import World, login
from yiyang.core.models import AuditEvent
from yiyang.organisations import services
from yiyang.organisations.models import Organisation


def valid(world: World, **overrides: Any) -> dict[str, Any]:
    return {
        "name": "新颐养院",
        "kind": "care_institution",
        "ownership": "private",
        "division": world.div["XA1a"],
        "address": "测试路1号",
        "lat": Decimal("34.8"),
        "lng": Decimal("113.7"),
        "licence_number": "YL-NEW-1",
        "total_beds": 120,
        "nursing_beds": 90,
        "occupied_beds": 100,
    } | overrides


def test_street_officer_registers_an_institution_and_it_is_audited(world: World) -> None:
    org = services.organisation_create(actor=world.user["street_officer"], **valid(world))
    assert (org.total_beds, org.nursing_beds, org.occupied_beds) == (120, 90, 100)
    event = AuditEvent.objects.get(object_id=str(org.external_id))
    assert (event.action, event.actor_username, event.division_code) == (
        "create",
        "street_officer",
        "419102001001",
    )


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"occupied_beds": 121}, "occupied_beds", "cannot exceed total beds"),
        ({"nursing_beds": 200}, "nursing_beds", "cannot exceed total beds"),
        ({"total_beds": None}, "total_beds", "total number of beds"),
        ({"ownership": ""}, "ownership", "public or private"),
        ({"lat": Decimal("39.9"), "lng": Decimal("116.4")}, "lat", "outside"),
        ({"lat": Decimal("34.8"), "lng": None}, "lng", "both"),
        ({"licence_number": "LIC000000"}, "licence_number", "already registered"),
        ({"division": "XA2a"}, "division", "outside your jurisdiction"),
        ({"division": "YA1a"}, "division", "outside your jurisdiction"),
        ({"kind": "spaceship"}, "kind", "Choose the kind"),
        ({"name": "  "}, "name", "name"),
        ({"kind": "home_care_company", "ownership": "private"}, "total_beds", "Only care"),
        ({"operator": "home_care"}, "operator", "third-party operator"),
    ],
)
def test_bad_organisations_are_refused_and_nothing_is_written(
    world: World, overrides: dict[str, Any], field: str, fragment: str
) -> None:
    existing = Organisation.objects.order_by("pk").first()
    assert existing is not None
    existing.licence_number = "LIC000000"
    existing.save()
    if isinstance(overrides.get("division"), str):
        overrides["division"] = world.div[overrides["division"]]
    if isinstance(overrides.get("operator"), str):
        overrides["operator"] = world.org[overrides["operator"]]
    before = Organisation.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.organisation_create(
            actor=world.user["street_officer"], **valid(world, **overrides)
        )
    assert fragment in " ".join(exc.value.message_dict[field])
    assert Organisation.objects.count() == before


def test_bulk_create_refuses_unknown_keys_naming_the_row_and_writes_nothing(world: World) -> None:
    rows = [valid(world), valid(world, licence_number="YL-NEW-2", beds=30)]
    before = Organisation.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.organisation_create_many(actor=world.user["street_officer"], rows=rows)
    assert exc.value.message_dict == {"row 2: beds": ["beds is not a field that can be set here."]}
    assert Organisation.objects.count() == before


def test_provider_manager_edits_own_organisation_but_cannot_move_it_out(world: World) -> None:
    manager = world.user["provider_manager"]
    org = services.organisation_update(
        actor=manager, organisation=world.org["operator"], phone="0371-12345678"
    )
    assert org.phone == "0371-12345678"
    with pytest.raises(ValidationError) as exc:
        services.organisation_update(
            actor=manager, organisation=world.org["operator"], division=world.div["XB1a"]
        )
    assert "division" in exc.value.message_dict
    world.org["operator"].refresh_from_db()
    assert world.org["operator"].division == world.div["XA1a"]


def test_update_records_before_and_after(world: World) -> None:
    services.organisation_update(
        actor=world.user["district_officer"],
        organisation=world.org["station_XA1a"],
        status="suspended",
    )
    event = AuditEvent.objects.get(
        action="update", object_id=str(world.org["station_XA1a"].external_id)
    )
    assert event.changes == {"status": ["active", "suspended"]}


def post_json(client: Client, url: str, body: Any, method: str = "post") -> Any:
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")


def test_api_bad_input_gets_field_messages_never_500(world: World, client: Client) -> None:
    login(client, world.user["street_officer"])
    url = "/api/v1/organisations/"
    body = {
        "name": "院",
        "kind": "care_institution",
        "ownership": "public",
        "division": str(world.div["XA1a"].external_id),
        "total_beds": 10,
        "occupied_beds": 11,
    }
    response = post_json(client, url, body)
    assert response.status_code == 400
    assert response.json() == {"occupied_beds": ["在住床位（11）不能超过床位总数（10）。"]}
    response = client.post(
        url, data=json.dumps(body), content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.json() == {
        "occupied_beds": ["Occupied beds (11) cannot exceed total beds (10)."]
    }
    response = post_json(client, url, body | {"division": str(world.div["XA2a"].external_id)})
    assert response.status_code == 400
    assert "辖区内没有" in response.json()["division"][0]
    response = post_json(client, url, body | {"total_beds": -5})
    assert response.status_code == 400
    response = post_json(client, url, body | {"division": "not-a-uuid"})
    assert response.status_code == 400
    response = client.post(url, data="{not json", content_type="application/json")
    assert response.status_code == 400
    response = client.post(
        url, data=b"[" + b"1," * 600_000 + b"1]", content_type="application/json"
    )
    assert response.status_code == 413
    response = post_json(client, url, ["a", "list"])
    assert response.status_code == 400
    assert Organisation.objects.filter(name="院").count() == 0


def test_api_create_then_patch(world: World, client: Client) -> None:
    login(client, world.user["street_officer"])
    body = {
        "name": "新站",
        "kind": "community_station",
        "ownership": "public",
        "division": str(world.div["XA1b"].external_id),
        "lat": "34.8",
        "lng": "113.7",
    }
    response = post_json(client, "/api/v1/organisations/", body)
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["division_detail"]["code"] == "419102001002"
    response = post_json(
        client, f"/api/v1/organisations/{created['id']}/", {"status": "closed"}, method="patch"
    )
    assert response.json()["status"] == "closed"
    assert client.delete(f"/api/v1/organisations/{created['id']}/").status_code == 405


def test_page_form_shows_errors_in_the_form(world: World, client: Client) -> None:
    login(client, world.user["street_officer"])
    response = client.post(
        "/organisations/new/",
        {
            "name": "院",
            "kind": "care_institution",
            "ownership": "public",
            "status": "active",
            "division": world.div["XA1a"].pk,
            "total_beds": 10,
            "nursing_beds": 20,
        },
    )
    assert response.status_code == 200
    assert "护理型床位（20）不能超过床位总数（10）。" in response.content.decode()
    assert not Organisation.objects.filter(name="院").exists()


def test_filters_search_and_division_subtree(world: World, client: Client) -> None:
    login(client, world.user["district_officer"])

    def names(params: dict[str, object]) -> set[str]:
        rows = client.get("/api/v1/organisations/", params).json()["results"]
        return {row["name"] for row in rows}

    assert names({"division": str(world.div["XA2"].external_id)}) == {"站_XA2a"}
    assert names({"kind": "home_care_company"}) == {"居家公司P"}
    assert names({"kind": ["home_care_company", "third_party_operator"]}) == {
        "居家公司P",
        "运营商Q",
    }
    assert names({"q": "运营"}) == {"运营商Q"}
    assert names({"operator": str(world.org["operator"].external_id)}) == {"站_XA2a"}


def test_page_form_garbage_and_oversized_bodies_never_500(world: World, client: Client) -> None:
    login(client, world.user["street_officer"])
    response = client.post(
        "/organisations/new/",
        {
            "name": "院",
            "kind": "care_institution",
            "division": "999999999",
            "total_beds": "many",
            "lat": "north",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('class="errorlist"') >= 3
    huge = client.post("/organisations/new/", {"name": "x" * 2_000_000, "kind": "care_institution"})
    assert huge.status_code == 400
    for query in ("?page=abc", "?division=not-a-uuid", "?kind=spaceship", "?status=%00"):
        assert client.get(f"/organisations/{query}").status_code == 200, query
    assert not Organisation.objects.filter(name__in=["院", "x" * 2_000_000]).exists()
