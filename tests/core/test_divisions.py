"""Division rules: 12-digit hierarchical codes, parents of the right level, jurisdiction."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from tests.conftest import World, login
from yiyang.core import services
from yiyang.core.models import AuditEvent, Division


def create(world: World, **values: object) -> Division:
    return services.division_create(actor=world.user["city_admin"], **values)


def errors_of(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return exc.value.message_dict


def test_create_community_under_street_is_audited(world: World) -> None:
    division = create(
        world,
        code="419102001003",
        name="新社区",
        level="community",
        parent=world.div["XA1"],
        population_60_plus=1200,
    )
    assert division.code_prefix == "419102001003"
    event = AuditEvent.objects.get(object_id=str(division.external_id))
    assert event.action == "create"
    assert event.actor_username == "city_admin"
    assert event.changes["code"] == [None, "419102001003"]


@pytest.mark.parametrize(
    ("values", "field", "fragment"),
    [
        ({"code": "41910200100", "level": "community", "parent": "XA1"}, "code", "12 digits"),
        ({"code": "41910200100a", "level": "community", "parent": "XA1"}, "code", "12 digits"),
        ({"code": "419102001001", "level": "community", "parent": "XA1"}, "code", "already in use"),
        (
            {"code": "419102003001", "level": "community", "parent": "XA1"},
            "code",
            "parent's digits",
        ),
        ({"code": "419102001009", "level": "community", "parent": "XA"}, "parent", "street"),
        ({"code": "419102009000", "level": "street", "parent": "XA1a"}, "parent", "district"),
        ({"code": "419102009001", "level": "street", "parent": "XA"}, "code", "followed by zeros"),
        ({"code": "419102001009", "level": "community", "parent": None}, "parent", "must have"),
        ({"code": "419102001009", "level": "town", "parent": "XA1"}, "level", "Choose a level"),
        ({"code": "419202001009", "level": "community", "parent": "YA1"}, "parent", "outside"),
    ],
)
def test_bad_divisions_are_refused_with_field_messages(
    world: World, values: dict[str, object], field: str, fragment: str
) -> None:
    parent = values.pop("parent")
    before = Division.objects.count()
    with pytest.raises(ValidationError) as exc:
        create(world, name="坏", parent=world.div[parent] if parent else None, **values)
    assert field in errors_of(exc)
    assert fragment in " ".join(errors_of(exc)[field])
    assert Division.objects.count() == before


def test_code_and_level_are_fixed_once_children_exist(world: World) -> None:
    with pytest.raises(ValidationError) as exc:
        services.division_update(
            actor=world.user["city_admin"], division=world.div["XA1"], code="419102005000"
        )
    assert "code" in errors_of(exc)


def test_bulk_create_names_each_bad_row_and_writes_nothing(world: World) -> None:
    rows = [
        {"code": "419102001005", "name": "好", "level": "community", "parent": world.div["XA1"]},
        {"code": "419102001005", "name": "重复", "level": "community", "parent": world.div["XA1"]},
        {"code": "12", "name": "短", "level": "community", "parent": world.div["XA1"]},
    ]
    before = Division.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.division_create_many(actor=world.user["city_admin"], rows=rows)
    assert set(errors_of(exc)) == {"row 2: code", "row 3: code"}
    assert Division.objects.count() == before


def test_bulk_create_refuses_unknown_keys_naming_the_row_and_writes_nothing(world: World) -> None:
    rows = [
        {"code": "419102001005", "name": "好", "level": "community", "parent": world.div["XA1"]},
        {
            "code": "419102001006",
            "name": "错",
            "level": "community",
            "parent": world.div["XA1"],
            "population": 5,
        },
    ]
    before = Division.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.division_create_many(actor=world.user["city_admin"], rows=rows)
    assert errors_of(exc) == {
        "row 2: population": ["population is not a field that can be set here."]
    }
    assert Division.objects.count() == before


def test_centroid_outside_the_city_is_refused(world: World) -> None:
    with pytest.raises(ValidationError) as exc:
        create(
            world,
            code="419102001007",
            name="远",
            level="community",
            parent=world.div["XA1"],
            centroid_lat=Decimal("39.9"),
            centroid_lng=Decimal("116.4"),
        )
    assert "outside" in errors_of(exc)["centroid_lat"][0]


def test_api_create_division_bad_input_is_400_not_500(world: World, client) -> None:  # type: ignore[no-untyped-def]
    login(client, world.user["city_admin"])
    response = client.post(
        "/api/v1/divisions/",
        data=json.dumps(
            {
                "code": "419102001001",
                "name": "重复",
                "level": "community",
                "parent": str(world.div["XA1"].external_id),
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == ["行政区划代码 419102001001 已被使用。"]
    response = client.post(
        "/api/v1/divisions/",
        data=json.dumps(
            {
                "code": "419102001008",
                "name": "新",
                "level": "community",
                "parent": str(world.div["YA1"].external_id),
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "辖区内没有" in response.json()["parent"][0]


def test_divisions_api_filters_by_level_and_parent(world: World, client) -> None:  # type: ignore[no-untyped-def]
    login(client, world.user["district_officer"])
    body = client.get("/api/v1/divisions/", {"level": "street"}).json()
    assert [row["code"] for row in body["results"]] == ["419102001000", "419102002000"]
    body = client.get("/api/v1/divisions/", {"parent": str(world.div["XA1"].external_id)}).json()
    assert [row["name"] for row in body["results"]] == ["社区XA1a", "社区XA1b"]
    assert client.get("/api/v1/divisions/", {"level": "planet"}).status_code == 400
