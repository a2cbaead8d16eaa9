"""One answer per object, whichever door: for every role and every object of the scope
matrix's world, the page and the API either both show the object or both refuse it.

A disagreement means the access rule is decided twice (docs/adr/0007)."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import World
from tests.security.matrix import PLACES, ROLES
from tests.security.test_scope_matrix_visits import visits  # noqa: F401 - the shared fixture
from yiyang.services.models import Caregiver
from yiyang.visits.models import Visit

pytestmark = pytest.mark.django_db


def _pairs(world: World, visits: dict[str, Visit]) -> list[tuple[str, str, str]]:  # noqa: F811
    """(what, page URL, API URL) for every object of the world."""
    pairs: list[tuple[str, str, str]] = []
    for place in PLACES:
        visit = visits[place]
        elder, order = visit.elder, visit.order
        pairs += [
            (
                f"visit {place}",
                f"/visits/{visit.external_id}/",
                f"/api/v1/visits/{visit.external_id}/",
            ),
            (
                f"order {place}",
                f"/visits/orders/{order.external_id}/",
                f"/api/v1/orders/{order.external_id}/",
            ),
            (
                f"elder {place}",
                f"/elders/{elder.external_id}/",
                f"/api/v1/elders/{elder.external_id}/",
            ),
        ]
    for key, organisation in world.org.items():
        uid = organisation.external_id
        pairs.append(
            (f"organisation {key}", f"/organisations/{uid}/", f"/api/v1/organisations/{uid}/")
        )
    for key, division in world.div.items():
        uid = division.external_id
        pairs.append((f"division {key}", f"/divisions/{uid}/", f"/api/v1/divisions/{uid}/"))
    for caregiver in Caregiver.objects.all():
        uid = caregiver.external_id
        pairs.append(
            (
                f"caregiver {caregiver.name}",
                f"/services/caregivers/{uid}/",
                f"/api/v1/caregivers/{uid}/",
            )
        )
    return pairs


@pytest.mark.parametrize("role", ROLES)
def test_page_and_api_agree_on_every_object(
    role: str,
    world: World,
    visits: dict[str, Visit],  # noqa: F811
    client_for,
) -> None:
    client: Client = client_for(role)
    disagreements, shown = [], set()
    for what, page_url, api_url in _pairs(world, visits):
        page = client.get(page_url).status_code
        api = client.get(api_url).status_code
        assert page in (200, 403, 404), (what, page_url, page)
        assert api in (200, 403, 404), (what, api_url, api)
        if (page == 200) != (api == 200):
            disagreements.append(f"{what}: page {page}, API {api}")
        elif page == 200:
            shown.add(what.split()[0])
    assert disagreements == []
    # Not vacuous: each role reaches the kinds of object its work needs, by both doors.
    assert shown == REACHED[role]


REACHED = {
    "city_admin": {"visit", "order", "elder", "organisation", "division", "caregiver"},
    "district_officer": {"visit", "order", "elder", "organisation", "division", "caregiver"},
    "street_officer": {"visit", "order", "elder", "organisation", "division", "caregiver"},
    "community_worker": {"visit", "order", "elder", "organisation", "division"},
    "provider_manager": {"visit", "order", "organisation", "caregiver"},
    "caregiver": {"visit", "organisation"},
    "operator": {"visit", "order", "elder", "organisation", "division"},
    "assessor": {"elder", "organisation", "division"},
    "auditor": {"visit", "order", "elder", "organisation", "division", "caregiver"},
    "family": {"visit", "order"},
    "finance_officer": set(),
    "canteen_staff": set(),
    "evaluator": set(),
}
