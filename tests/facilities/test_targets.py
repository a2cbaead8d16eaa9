"""The year's construction targets: set on the projects page by the city or a district,
audited, checked, and each compared with the projects under its own division."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from tests.conftest import World
from tests.facilities.conftest import facility_at
from yiyang.core.models import AuditEvent
from yiyang.core.permissions import Role
from yiyang.facilities.models import ConstructionProject, ConstructionTarget
from yiyang.facilities.services import construction_target_set

YEAR = timezone.localdate().year
URL = reverse("facilities:target-set")


def post(client: Any, division: Any, **values: Any) -> Any:
    data = {
        "year": YEAR,
        "division": division.external_id,
        "kind": "elderly_canteen",
        "facilities": 5,
        "beds": 0,
        **values,
    }
    return client.post(URL, data)


def test_set_change_and_remove_a_target(world: World, client_for: Any) -> None:
    city = client_for(Role.CITY_ADMIN)
    assert post(city, world.div["X"], facilities=50).status_code == 302
    target = ConstructionTarget.objects.get()
    assert (target.division, target.year, target.kind, target.facilities) == (
        world.div["X"],
        YEAR,
        "elderly_canteen",
        50,
    )
    post(city, world.div["X"], facilities=40, beds=10)
    target.refresh_from_db()
    assert (target.facilities, target.beds) == (40, 10)
    changes = AuditEvent.objects.filter(object_type="facilities.constructiontarget")
    assert [e.changes.get("facilities") for e in changes.order_by("pk")] == [[None, 50], [50, 40]]
    post(city, world.div["X"], facilities=0, beds=0)
    assert not ConstructionTarget.objects.exists()
    assert changes.count() == 3


def test_refusals_write_nothing(world: World, client_for: Any) -> None:
    actor = world.user[Role.DISTRICT_OFFICER]  # district XA
    cases = [
        ({"division": world.div["XA"], "year": YEAR + 40}, "year"),
        ({"division": world.div["XA"], "kind": "palace"}, "kind"),
        ({"division": world.div["XA"], "facilities": -1}, "facilities"),
        ({"division": world.div["XA"], "beds": None}, "beds"),
        ({"division": world.div["XB"]}, "division"),  # another district
        ({"division": world.div["XA1"]}, "division"),  # a street
    ]
    for values, field in cases:
        arguments = {"year": YEAR, "kind": "elderly_canteen", "facilities": 1, "beds": 0, **values}
        with pytest.raises(ValidationError) as caught:
            construction_target_set(actor=actor, **arguments)
        assert field in caught.value.message_dict
    assert not ConstructionTarget.objects.exists()
    # Through the page: a message, nothing saved; roles without the right are refused.
    response = post(client_for(Role.DISTRICT_OFFICER), world.div["X"])
    assert response.status_code == 302 and not ConstructionTarget.objects.exists()
    assert post(client_for(Role.STREET_OFFICER), world.div["XA"]).status_code == 403


def test_each_target_counts_its_own_divisions_projects(
    placed: World, system: Any, client_for: Any
) -> None:
    a = facility_at(placed, system, "XA1a", 34.75, 113.65, kind="elderly_canteen")
    b = facility_at(placed, system, "XB1a", 34.70, 113.70, kind="elderly_canteen")
    for facility in (a, b):
        ConstructionProject.objects.create(
            facility=facility,
            division_code=facility.division_code,
            year=YEAR,
            budget=Decimal(100000),
            funding_source="city",
            approved_on=timezone.localdate(),
        )
    city = client_for(Role.CITY_ADMIN)
    post(city, placed.div["X"], facilities=50)
    post(city, placed.div["XA"], facilities=3)
    page = city.get(reverse("facilities:projects") + f"?year={YEAR}").content.decode()
    section = page[page.index('id="project-targets"') :]
    rows = section[: section.index("</table>")].split("<tr>")[2:]
    assert len(rows) == 2
    city_row = next(r for r in rows if "城X" in r)
    district_row = next(r for r in rows if "区XA" in r)
    assert "<td>2</td><td>50</td>" in city_row  # both projects against the city's 50
    assert "<td>1</td><td>3</td>" in district_row  # XA's one project against its 3
