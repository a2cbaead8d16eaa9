"""One answer per object, whichever door: for every role and every object of the scope
matrices' worlds (visits, orders, elders, organisations, divisions, caregivers, assessments,
alerts, devices, facilities, canteens, statements, supervision records, workforce people),
the page and the API either both show the object or both refuse it.

A disagreement means the access rule is decided twice (docs/adr/0007)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.conftest import World
from tests.facilities.conftest import facility_at
from tests.security.matrix import PLACES, ROLES
from tests.security.test_scope_matrix_alerts import alerts  # noqa: F401 - shared fixtures
from tests.security.test_scope_matrix_assessments import assessments  # noqa: F401
from tests.security.test_scope_matrix_meals import places  # noqa: F401
from tests.security.test_scope_matrix_settlement import books, both  # noqa: F401
from tests.security.test_scope_matrix_supervision import records  # noqa: F401
from tests.security.test_scope_matrix_visits import visits  # noqa: F401
from tests.security.test_scope_matrix_workforce import staff  # noqa: F401
from yiyang.alerts.models import Alert
from yiyang.assessments.models import Assessment
from yiyang.core.permissions import SystemActor
from yiyang.core.scoping import Scope
from yiyang.devices.models import DeviceBinding
from yiyang.services.models import Caregiver
from yiyang.settlement.models import Statement
from yiyang.visits.models import Visit
from yiyang.workforce.models import Employment

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
    disagreements, shown = _compare(client_for(role), _pairs(world, visits))
    assert disagreements == []
    # Not vacuous: each role reaches the kinds of object its work needs, by both doors.
    assert shown == REACHED[role]


def _compare(client: Client, pairs: list[tuple[str, str, str]]) -> tuple[list[str], set[str]]:
    """The objects on which page and API disagree, and the kinds both doors showed."""
    disagreements, shown = [], set()
    for what, page_url, api_url in pairs:
        page = client.get(page_url).status_code
        api = client.get(api_url).status_code
        assert page in (200, 403, 404), (what, page_url, page)
        assert api in (200, 403, 404), (what, api_url, api)
        if (page == 200) != (api == 200):
            disagreements.append(f"{what}: page {page}, API {api}")
        elif page == 200:
            shown.add(what.split()[0])
    return disagreements, shown


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


@pytest.mark.parametrize("role", ROLES)
def test_page_and_api_agree_on_assessments_alerts_and_devices(
    role: str,
    assessments: dict[str, Assessment],  # noqa: F811
    alerts: dict[str, Alert],  # noqa: F811
    client_for,
) -> None:
    pairs = []
    for place in PLACES:
        uid = assessments[place].external_id
        pairs.append((f"assessment {place}", f"/assessments/{uid}/", f"/api/v1/assessments/{uid}/"))
        alert = alerts[place]
        uid = alert.external_id
        pairs.append((f"alert {place}", f"/alerts/{uid}/panel/", f"/api/v1/alerts/{uid}/"))
        for binding in DeviceBinding.objects.filter(elder=alert.elder).select_related("device"):
            uid = binding.device.external_id
            pairs.append((f"device {place}", f"/devices/{uid}/", f"/api/v1/devices/{uid}/"))
    disagreements, shown = _compare(client_for(role), pairs)
    assert disagreements == []
    assert shown == REACHED_MORE[role] & KINDS[_kind_of(pairs)]


@pytest.mark.parametrize("role", ROLES)
def test_page_and_api_agree_on_supervision_records(
    role: str,
    records: dict[str, dict[str, str]],  # noqa: F811
    client_for,
) -> None:
    pairs = [
        (f"{kind} {place}", f"/supervision/{kind}/{uid}/", f"/api/v1/supervision/{kind}/{uid}/")
        for kind, made in records.items()
        if kind != "rectifications"
        for uid, place in made.items()
    ]
    # A rectification has no page of its own: it is handled on its inspection's page.
    inspection_of = {place: uid for uid, place in records["inspections"].items()}
    pairs += [
        (
            f"rectifications {place}",
            f"/supervision/inspections/{inspection_of[place]}/",
            f"/api/v1/supervision/rectifications/{uid}/",
        )
        for uid, place in records["rectifications"].items()
    ]
    disagreements, shown = _compare(client_for(role), pairs)
    assert disagreements == []
    assert shown == REACHED_MORE[role] & KINDS[_kind_of(pairs)]


@pytest.mark.parametrize("role", ROLES)
def test_page_and_api_agree_on_workforce_canteens_and_facilities(
    role: str,
    world: World,
    staff: dict[str, Employment],  # noqa: F811
    places: dict[str, Any],  # noqa: F811
    client_for,
) -> None:
    pairs = []
    for key, employment in staff.items():
        uid = employment.person.external_id
        pairs.append(
            (f"person {key}", f"/workforce/people/{uid}/", f"/api/v1/workforce/people/{uid}/")
        )
    system = SystemActor(Scope(division_prefix=""), username="t")
    for place in PLACES:
        uid = places[place]["canteen"].external_id
        pairs.append(
            (f"canteen {place}", f"/meals/canteens/{uid}/", f"/api/v1/meals/canteens/{uid}/")
        )
        facility = facility_at(world, system, place, 34.75, 113.65)
        uid = facility.external_id
        pairs.append((f"facility {place}", f"/facilities/{uid}/", f"/api/v1/facilities/{uid}/"))
    disagreements, shown = _compare(client_for(role), pairs)
    assert disagreements == []
    assert shown == REACHED_MORE[role] & KINDS[_kind_of(pairs)]


@pytest.mark.parametrize("role", ROLES)
def test_page_and_api_agree_on_statements(
    role: str,
    both: tuple[Statement, Statement],  # noqa: F811
    client_for,
) -> None:
    pairs = [
        (
            f"statement {n}",
            f"/settlement/statements/{s.external_id}/",
            f"/api/v1/statements/{s.external_id}/",
        )
        for n, s in enumerate(both)
    ]
    disagreements, shown = _compare(client_for(role), pairs)
    assert disagreements == []
    assert shown == REACHED_MORE[role] & KINDS[_kind_of(pairs)]


def _kind_of(pairs: list[tuple[str, str, str]]) -> str:
    return next(kind for kind, members in KINDS.items() if pairs[0][0].split()[0] in members)


KINDS = {
    "registry": {"assessment", "alert", "device"},
    "supervision": {"ratings", "complaints", "inspections", "evaluations", "rectifications"},
    "network": {"person", "canteen", "facility"},
    "money": {"statement"},
}
SUPERVISORS = {"ratings", "complaints", "inspections", "evaluations", "rectifications"}
# What each role reaches, by both doors, in the other matrices' worlds: the same reach as
# those matrices' own tables (a change of reach shows here as well as there).
REACHED_MORE: dict[str, set[str]] = {
    "city_admin": {"assessment", "alert", "device", "person", "canteen", "facility", "statement"}
    | SUPERVISORS,
    "district_officer": {"assessment", "alert", "device", "person", "canteen", "facility"}
    | {"statement"}
    | SUPERVISORS,
    "street_officer": {"assessment", "alert", "device", "person", "canteen", "facility"}
    | {"statement"}
    | SUPERVISORS,
    "community_worker": {"assessment", "alert", "device", "canteen", "facility", "complaints"},
    "provider_manager": {"canteen", "person"},
    "caregiver": set(),
    "operator": {"alert", "device", "canteen", "facility", "complaints"},
    "assessor": {"assessment", "facility"},
    "auditor": {"assessment", "alert", "device", "person", "canteen", "facility", "statement"}
    | SUPERVISORS,
    "family": {"canteen"},
    "evaluator": {"ratings", "evaluations"},
    "finance_officer": {"statement"},
    "canteen_staff": {"canteen"},
}
