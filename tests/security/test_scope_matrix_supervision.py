"""The scope matrix of the supervision records: every role, ratings, complaints,
inspections, rectification orders and evaluations of purchased services through the API
lists and the detail pages. Evaluators reach only the rating and the evaluation assigned
to them; roles without the permission get 403."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client

from tests.conftest import World, login
from tests.factories import OrganisationFactory
from tests.security.matrix import ROLES
from yiyang.core.permissions import Permission, Role
from yiyang.organisations.choices import OrganisationKind
from yiyang.supervision.models import (
    Complaint,
    EvaluationTemplate,
    Finding,
    Inspection,
    Rating,
    RatingScheme,
    Rectification,
    ServiceEvaluation,
)

PLACES = ["XA1a", "XB1a", "YA1a"]
BOTH = {"XA1a", "XB1a"}
SEEN = {
    "ratings": {Role.CITY_ADMIN: BOTH, Role.DISTRICT_OFFICER: {"XA1a"},
                Role.STREET_OFFICER: {"XA1a"}, Role.AUDITOR: BOTH, Role.EVALUATOR: {"XB1a"}},
    "complaints": {Role.CITY_ADMIN: BOTH, Role.DISTRICT_OFFICER: {"XA1a"},
                   Role.STREET_OFFICER: {"XA1a"}, Role.COMMUNITY_WORKER: {"XA1a"},
                   Role.OPERATOR: BOTH, Role.AUDITOR: BOTH},
    "inspections": {Role.CITY_ADMIN: BOTH, Role.DISTRICT_OFFICER: {"XA1a"},
                    Role.STREET_OFFICER: {"XA1a"}, Role.AUDITOR: BOTH},
    "evaluations": {Role.CITY_ADMIN: BOTH, Role.DISTRICT_OFFICER: {"XA1a"},
                    Role.STREET_OFFICER: {"XA1a"}, Role.AUDITOR: BOTH, Role.EVALUATOR: {"XB1a"}},
    "rectifications": {Role.CITY_ADMIN: BOTH, Role.DISTRICT_OFFICER: {"XA1a"},
                       Role.STREET_OFFICER: {"XA1a"}, Role.AUDITOR: BOTH},
}  # fmt: skip
PERMISSION = {
    "ratings": Permission.VIEW_RATINGS,
    "complaints": Permission.VIEW_COMPLAINTS,
    "inspections": Permission.VIEW_INSPECTIONS,
    "evaluations": Permission.VIEW_RATINGS,
    "rectifications": Permission.VIEW_INSPECTIONS,
}


@pytest.fixture
def records(world: World) -> dict[str, dict[str, str]]:
    scheme = RatingScheme.objects.get(code="gbt37276")
    now = datetime.datetime.now(datetime.UTC)
    names: dict[str, dict[str, str]] = {kind: {} for kind in PERMISSION}
    template = EvaluationTemplate.objects.get(is_active=True)
    for place in PLACES:
        org = OrganisationFactory(
            name=f"院{place}", kind=OrganisationKind.CARE_INSTITUTION, division=world.div[place]
        )
        code = org.division.code
        rating = Rating.objects.create(
            organisation=org,
            division_code=code,
            scheme=scheme,
            status="scoring",
            evaluator=world.user[Role.EVALUATOR] if place == "XB1a" else None,
        )
        complaint = Complaint.objects.create(
            number=f"TS{place}",
            channel="walk_in",
            organisation=org,
            division_code=code,
            text="x",
            received_at=now,
            acknowledge_by=now,
            answer_by=now,
        )
        inspection = Inspection.objects.create(
            organisation=org, division_code=code, kind="fire", due_on=now.date()
        )
        names["ratings"][str(rating.external_id)] = place
        names["complaints"][str(complaint.external_id)] = place
        names["inspections"][str(inspection.external_id)] = place
        finding = Finding.objects.create(inspection=inspection, severity="major", text="x")
        rectification = Rectification.objects.create(
            finding=finding, organisation=org, division_code=code, deadline=now.date()
        )
        names["rectifications"][str(rectification.external_id)] = place
        evaluation = ServiceEvaluation.objects.create(
            provider=org,
            division_code=code,
            year=2026,
            template=template,
            max_total=100,
            evaluator=world.user[Role.EVALUATOR] if place == "XB1a" else None,
        )
        names["evaluations"][str(evaluation.external_id)] = place
    return names


@pytest.mark.parametrize(
    "kind", ["ratings", "complaints", "inspections", "evaluations", "rectifications"]
)
@pytest.mark.parametrize("role", ROLES)
def test_api_lists_hold_exactly_what_lies_in_scope(
    world: World, records: dict[str, dict[str, str]], role: str, kind: str
) -> None:
    client = login(Client(), world.user[role])
    response = client.get(f"/api/v1/supervision/{kind}/")
    if role not in PERMISSION[kind].roles:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    seen = {records[kind][row["id"]] for row in response.json()["results"]}
    assert seen == SEEN[kind].get(role, set()), (role, kind)


@pytest.mark.parametrize("role", ROLES)
def test_detail_pages_outside_scope_are_404(
    world: World, records: dict[str, dict[str, str]], role: str
) -> None:
    client = login(Client(), world.user[role])
    for kind, url in (
        ("ratings", "/supervision/ratings/{}/"),
        ("complaints", "/supervision/complaints/{}/"),
        ("evaluations", "/supervision/evaluations/{}/"),
    ):
        for external_id, place in records[kind].items():
            status = client.get(url.format(external_id)).status_code
            if role not in PERMISSION[kind].roles:
                assert status == 403, (role, kind, place)
            else:
                expected = 200 if place in SEEN[kind].get(role, set()) else 404
                assert status == expected, (role, kind, place)
