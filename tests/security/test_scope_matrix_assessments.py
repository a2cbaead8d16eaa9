"""The scope matrix for assessments: every role, every path (API list, detail, actions,
entitlements, risk events, page list). An assessor sees only what is assigned to them;
outside the jurisdiction is 404 (403 without the permission), never changed."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import timezone

from tests.conftest import World
from tests.factories import UserFactory, citizen_id, make_elder
from tests.security.matrix import PLACES, ROLES, X_ALL, denied, holds
from yiyang.assessments import services
from yiyang.assessments.models import Assessment, CareRiskEvent
from yiyang.core.permissions import Permission, Role

VISIBLE: dict[str, set[str]] = {
    Role.CITY_ADMIN: X_ALL,
    Role.DISTRICT_OFFICER: {"XA1a", "XA1b", "XA2a"},
    Role.STREET_OFFICER: {"XA1a", "XA1b"},
    Role.COMMUNITY_WORKER: {"XA1a"},
    Role.PROVIDER_MANAGER: set(),
    Role.CAREGIVER: set(),
    Role.OPERATOR: set(),
    # Assigned to them: XA1a and XA2a (XA1b went to a colleague of the same district).
    Role.ASSESSOR: {"XA1a", "XA2a"},
    Role.AUDITOR: X_ALL,
    Role.FAMILY: set(),
    Role.EVALUATOR: set(),
    Role.FINANCE_OFFICER: set(),
    Role.CANTEEN_STAFF: set(),
}


@pytest.fixture
def assessments(world: World) -> dict[str, Assessment]:
    colleague = UserFactory(username="assessor_xa", role=Role.ASSESSOR, division=world.div["XA"])
    assessor_xb = UserFactory(username="assessor_xb", role=Role.ASSESSOR, division=world.div["XB"])
    assessor_y = UserFactory(username="assessor_y", role=Role.ASSESSOR, division=world.div["YA"])
    made: dict[str, Assessment] = {}
    for number, place in enumerate(PLACES, start=1):
        admin = world.user["admin_Y" if place == "YA1a" else "city_admin"]
        community = world.div[place]
        elder = make_elder(
            admin,
            community,
            name=f"老人{place}",
            id_number=citizen_id(community.code[:6], "19400315", number),
        )
        assessor = {
            "XA1b": colleague,
            "XB1a": assessor_xb,
            "YA1a": assessor_y,
        }.get(place, world.user["assessor"])
        assessment = services.assessment_request(actor=admin, elder=elder, reason="first")
        made[place] = services.assessment_schedule(
            actor=admin,
            assessment=assessment,
            assessor=assessor,
            scheduled_at=timezone.now(),
            place="家中",
        )
    return made


@pytest.mark.parametrize("role", ROLES)
def test_assessments_api(
    role: str,
    world: World,
    assessments: dict[str, Assessment],
    client_for: Callable[[str], Client],
) -> None:
    client = client_for(role)
    visible = VISIBLE[role]
    listing = client.get("/api/v1/assessments/?page_size=100")
    if not holds(role, Permission.VIEW_ASSESSMENTS):
        assert listing.status_code == 403
    else:
        names = {row["elder"]["name"] for row in listing.json()["results"]}
        assert names == {f"老人{p}" for p in visible}
        assert listing.json()["count"] == len(visible)
    for place, assessment in assessments.items():
        url = f"/api/v1/assessments/{assessment.external_id}/"
        expected = 200 if place in visible else denied(role, Permission.VIEW_ASSESSMENTS)
        assert client.get(url).status_code == expected, place
        cancel = client.post(
            url + "cancel/", data=json.dumps({"reason": "x"}), content_type="application/json"
        )
        if place not in visible:
            assert cancel.status_code in (403, 404), place
            assessment.refresh_from_db()
            assert assessment.status == "scheduled", place
        entitled = client.get(f"/api/v1/entitlements/{assessment.elder.external_id}/")
        if place not in visible and role != Role.ASSESSOR:
            assert entitled.status_code in (403, 404), place
    due = client.get("/api/v1/assessments/due/")
    assert due.status_code == (200 if holds(role, Permission.VIEW_ASSESSMENTS) else 403)


@pytest.mark.parametrize("role", ROLES)
def test_requests_and_risk_events_outside_are_refused(
    role: str,
    world: World,
    assessments: dict[str, Assessment],
    client_for: Callable[[str], Client],
) -> None:
    client = client_for(role)
    outside = assessments["YA1a"].elder
    response = client.post(
        "/api/v1/risk-events/",
        data=json.dumps(
            {
                "elder": str(outside.external_id),
                "kind": "fall",
                "occurred_on": timezone.localdate().isoformat(),
            }
        ),
        content_type="application/json",
    )
    assert response.status_code in (403, 404)
    assert not CareRiskEvent.objects.exists()
    request = client.post(
        "/api/v1/assessments/",
        data=json.dumps({"elder": str(outside.external_id), "reason": "routine"}),
        content_type="application/json",
    )
    assert request.status_code in (403, 404)
    assert Assessment.objects.filter(elder=outside).count() == 1


@pytest.mark.parametrize("role", ROLES)
def test_assessments_page(
    role: str,
    world: World,
    assessments: dict[str, Assessment],
    client_for: Callable[[str], Client],
) -> None:
    client = client_for(role)
    page = client.get("/assessments/")
    if not holds(role, Permission.VIEW_ASSESSMENTS):
        assert page.status_code == 403
        return
    assert page.status_code == 200
    text = page.content.decode()
    for place in PLACES:
        assert (f"老人{place}" in text) == (place in VISIBLE[role]), place
