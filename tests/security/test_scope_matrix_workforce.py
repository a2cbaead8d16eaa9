"""The scope matrix for the caregiver roster: every role against a caregiver employed in
each place, through the API list, a person's record and the page. A provider sees its own
staff (and those of the stations it operates), a district or street its providers' staff;
outside is 404 (403 without the permission), never shown."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client

from tests.conftest import World, login, token_for
from tests.security.matrix import PLACES, ROLES, X_ALL, denied, holds
from yiyang.core.permissions import Permission, Role
from yiyang.services.models import Caregiver
from yiyang.workforce.models import Employment
from yiyang.workforce.services import person_adopt_caregivers

VISIBLE: dict[str, set[str]] = {
    Role.CITY_ADMIN: X_ALL,
    Role.DISTRICT_OFFICER: {"XA1a", "XA1b", "XA2a"},
    Role.STREET_OFFICER: {"XA1a", "XA1b"},
    Role.PROVIDER_MANAGER: {"XA2a"},  # the station its organisation operates
    Role.AUDITOR: X_ALL,
}


@pytest.fixture
def staff(world: World) -> dict[str, Employment]:
    for place in PLACES:
        Caregiver.objects.create(
            provider=world.org[f"station_{place}"], name=f"护理员{place}",
            work_start=datetime.time(8), work_end=datetime.time(17),
        )  # fmt: skip
    person_adopt_caregivers()
    return {e.caregiver.name[3:]: e
            for e in Employment.objects.select_related("caregiver", "provider__division")}  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_roster_scope_matrix(role: str, world: World, staff: dict[str, Employment]) -> None:
    api = Client(HTTP_AUTHORIZATION=f"Token {token_for(world.user[role])}")
    page = login(Client(), world.user[role])
    visible = VISIBLE.get(role, set())

    listing = api.get("/api/v1/workforce/employments/?page_size=100")
    if holds(role, Permission.VIEW_CAREGIVERS):
        names = {row["person"]["name"][3:] for row in listing.json()["results"]}
        assert names == visible
    else:
        assert listing.status_code == 403
    for place in PLACES:
        person = staff[place].person
        expected = 200 if place in visible else denied(role, Permission.VIEW_CAREGIVERS)
        assert api.get(f"/api/v1/workforce/people/{person.external_id}/").status_code == expected
        assert page.get(f"/workforce/people/{person.external_id}/").status_code == expected
