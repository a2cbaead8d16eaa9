"""The scope matrix for the caregiver roster: every role against a caregiver employed in
each place, through the API list, a person's record and the page. A provider sees its own
staff (and those of the stations it operates), a district or street its providers' staff;
outside is 404 (403 without the permission), never shown."""

from __future__ import annotations

import datetime
import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from tests.conftest import World, login, token_for
from tests.exporting import content, exported
from tests.factories import citizen_id
from tests.security.matrix import PLACES, ROLES, X_ALL, denied, holds
from yiyang.core.permissions import Permission, Role
from yiyang.services.models import Caregiver, Certificate
from yiyang.workforce.identity import id_fields
from yiyang.workforce.models import Employment, Person
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
            provider=world.org[f"station_{place}"],
            name=f"护理员{place}",
            work_start=datetime.time(8),
            work_end=datetime.time(17),
        )
    person_adopt_caregivers()
    for seq, person in enumerate(Person.objects.order_by("pk"), start=1):
        number = citizen_id("410102", "19800101", seq)
        Person.objects.filter(pk=person.pk).update(**id_fields(number))
    for caregiver in Caregiver.objects.all():
        Certificate.objects.create(
            caregiver=caregiver, qualification="elder_care_worker", number=f"Z{caregiver.name[3:]}"
        )
    return {
        e.caregiver.name[3:]: e
        for e in Employment.objects.select_related("caregiver", "provider__division")
    }


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


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_full_id_numbers_certificates_and_export_matrix(
    role: str, world: World, staff: dict[str, Employment]
) -> None:
    """Full ID numbers only for roles allowed to see them, inside their scope; certificates
    and the .xlsx export carry only the roster the role sees."""
    api = Client(HTTP_AUTHORIZATION=f"Token {token_for(world.user[role])}")
    page = login(Client(), world.user[role])
    visible = VISIBLE.get(role, set())

    for place in PLACES:
        person = staff[place].person
        if place not in visible:
            expected = denied(role, Permission.VIEW_CAREGIVERS)
        else:
            expected = 200 if holds(role, Permission.SEE_ID_NUMBERS) else 403
        url = f"/workforce/people/{person.external_id}/id-number/"
        assert page.post(url).status_code == expected, place
        assert api.post(f"/api/v1{url}").status_code == expected, place

    certificates = api.get("/api/v1/workforce/certificates/?page_size=100")
    export = exported(page, "/workforce/export/")
    if holds(role, Permission.VIEW_CAREGIVERS):
        numbers = {row["number"][1:] for row in certificates.json()["results"]}
        assert numbers == visible
    else:
        assert certificates.status_code == 403
    if holds(role, Permission.VIEW_CAREGIVERS) and (
        holds(role, Permission.EXPORT_DATA) or holds(role, Permission.IMPORT_ROSTER)
    ):
        data = content(export)
        rows = list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
        assert {row[0][3:] for row in rows[1:]} == visible
    else:
        assert export.status_code == 403
