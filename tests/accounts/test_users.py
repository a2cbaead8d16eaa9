"""User administration: roles tied to the right kind of scope, password rules, the audit."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from tests.conftest import World, login
from yiyang.accounts.models import User
from yiyang.accounts.services import user_create, user_update
from yiyang.core.models import AuditEvent


def create(world: World, **values: Any) -> User:
    values.setdefault("password", "Long-enough-pass-42")
    return user_create(actor=world.user["city_admin"], **values)


def test_create_street_officer_and_audit(world: World) -> None:
    user = create(world, username="new_officer", role="street_officer", division=world.div["XA2"])
    assert user.check_password("Long-enough-pass-42")
    assert user.scope.division_prefix == "419102002"
    event = AuditEvent.objects.get(action="create", object_id=str(user.external_id))
    assert event.changes["role"] == [None, "street_officer"]
    assert "password" not in event.changes


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"role": "street_officer", "division": "XA"}, "division"),
        ({"role": "street_officer"}, "division"),
        ({"role": "caregiver"}, "organisation"),
        ({"role": "caregiver", "organisation": "station_YA1a"}, "organisation"),
        ({"role": "district_officer", "division": "YA"}, "division"),
        ({"role": "family", "division": "XA1a"}, "division"),
        ({"role": "emperor"}, "role"),
        ({"role": "family", "password": "123"}, "password"),
        ({"role": "family", "password": "password123"}, "password"),
        ({"role": "family", "username": "Street_Officer"}, "username"),
    ],
)
def test_bad_users_are_refused(world: World, values: dict[str, Any], field: str) -> None:
    values.setdefault("username", "someone")
    for key in ("division",):
        if key in values:
            values[key] = world.div[values[key]]
    if "organisation" in values:
        values["organisation"] = world.org[values["organisation"]]
    before = User.objects.count()
    with pytest.raises(ValidationError) as exc:
        create(world, **values)
    assert field in exc.value.message_dict
    assert User.objects.count() == before


def test_role_change_is_audited_and_admin_cannot_demote_self(world: World) -> None:
    target = world.user["community_worker"]
    user_update(
        actor=world.user["city_admin"],
        user=target,
        role="street_officer",
        division=world.div["XA1"],
    )
    event = AuditEvent.objects.get(action="update", object_id=str(target.external_id))
    assert event.changes["role"] == ["community_worker", "street_officer"]
    with pytest.raises(ValidationError):
        user_update(actor=world.user["city_admin"], user=world.user["city_admin"], is_active=False)


def test_user_pages_create_and_list(world: World, client: Client) -> None:
    login(client, world.user["city_admin"])
    response = client.post(
        "/accounts/users/new/",
        {
            "username": "nurse1",
            "full_name": "护士一",
            "role": "caregiver",
            "organisation": world.org["home_care"].pk,
            "is_active": "on",
            "password": "short",
        },
    )
    assert response.status_code == 200
    assert not User.objects.filter(username="nurse1").exists()
    response = client.post(
        "/accounts/users/new/",
        {
            "username": "nurse1",
            "full_name": "护士一",
            "role": "caregiver",
            "organisation": world.org["home_care"].pk,
            "is_active": "on",
            "password": "A-much-longer-secret-7",
        },
    )
    assert response.status_code == 302
    assert "nurse1" in client.get("/accounts/users/", {"q": "nurse"}).content.decode()
    assert client.get("/accounts/roles/").status_code == 200
