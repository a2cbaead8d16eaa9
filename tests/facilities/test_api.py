from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.facilities.conftest import elder_at, facility_at
from yiyang.facilities.services import coverage_compute


def api(world, role):
    client = APIClient()
    client.force_authenticate(world.user[role])
    return client


@pytest.fixture
def covered(placed, system):
    facility_at(placed, system, "XA1a", 34.75, 113.65)
    facility_at(placed, system, "XB1a", 34.81, 113.65)
    for i in range(6):
        elder_at(placed, system, "XA1a", 34.7501 + i * 0.0001, 113.6501)
    elder_at(placed, system, "XB1a", 34.81, 113.65)
    coverage_compute(actor=system, division=placed.div["X"])
    return placed


def test_facilities_api_is_scoped(covered):
    everything = api(covered, "city_admin").get("/api/v1/facilities/").json()
    mine = api(covered, "community_worker").get("/api/v1/facilities/").json()
    assert everything["count"] == 2 and mine["count"] == 1
    assert mine["results"][0]["service_area"] == [covered.div["XA1a"].code]


def test_status_through_the_api(covered):
    client = api(covered, "city_admin")
    facility = client.get("/api/v1/facilities/").json()["results"][0]
    response = client.post(f"/api/v1/facilities/{facility['id']}/status/", {"status": "suspended"})
    assert response.status_code == 200 and response.json()["status"] == "suspended"
    refused = client.post(f"/api/v1/facilities/{facility['id']}/status/", {"status": "planned"})
    assert refused.status_code == 400


def test_coverage_by_division(covered):
    data = (
        api(covered, "city_admin")
        .get("/api/v1/coverage/", {"kind": "community_station", "division": covered.div["XA"].code})
        .json()
    )
    assert data["method"] == "detour"
    assert data["totals"]["all"] == {"elders": 7, "covered": 7, "percent": 100.0}
    assert {r["code"] for r in data["divisions"]} == {
        covered.div["XA"].code,
        covered.div["XA1"].code,
        covered.div["XA1a"].code,
    }
    outside = api(covered, "district_officer").get(
        "/api/v1/coverage/", {"kind": "community_station", "division": covered.div["XB"].code}
    )
    assert outside.status_code == 400


def test_coverage_api_refuses_providers(covered):
    response = api(covered, "provider_manager").get("/api/v1/coverage/", {"kind": "meal_point"})
    assert response.status_code == 403


def test_scenarios_through_the_api(covered, django_capture_on_commit_callbacks):
    client = api(covered, "district_officer")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/plan-scenarios/",
            {
                "division": covered.div["XA"].code,
                "kind": "meal_point",
                "sites": 1,
                "candidate_source": "grid",
            },
            format="json",
        )
    assert response.status_code == 201, response.json()
    scenario = client.get(f"/api/v1/plan-scenarios/{response.json()['id']}/").json()
    assert scenario["status"] == "done"
    assert scenario["result"]["exact"]["elders"] == 6
    assert scenario["result"]["exact"]["gap"] == 0.0
    foreign = client.post(
        "/api/v1/plan-scenarios/",
        {
            "division": covered.div["XB"].code,
            "kind": "meal_point",
            "sites": 1,
            "candidate_source": "grid",
        },
        format="json",
    )
    assert foreign.status_code == 400
    assert api(covered, "street_officer").get("/api/v1/plan-scenarios/").status_code == 403


def test_register_a_facility_through_the_api(covered):
    from tests.factories import OrganisationFactory

    organisation = OrganisationFactory(division=covered.div["XA1"], kind="day_care_centre")
    client = api(covered, "district_officer")
    refused = client.post(
        "/api/v1/facilities/",
        {
            "organisation": str(organisation.external_id),
            "kind": "regional_centre",
            "service_area": [covered.div["XA1a"].code, covered.div["XB1a"].code],
        },
        format="json",
    )
    assert refused.status_code == 400
    made = client.post(
        "/api/v1/facilities/",
        {
            "organisation": str(organisation.external_id),
            "kind": "regional_centre",
            "service_area": [covered.div["XA1a"].code, covered.div["XA2a"].code],
            "day_places": 30,
        },
        format="json",
    )
    assert made.status_code == 201, made.json()
    assert sorted(made.json()["service_area"]) == sorted(
        [covered.div["XA1a"].code, covered.div["XA2a"].code]
    )
    again = client.post(
        "/api/v1/facilities/",
        {"organisation": str(organisation.external_id), "kind": "day_care_centre"},
        format="json",
    )
    assert again.status_code == 400
    early = api(covered, "district_officer").post(
        "/api/v1/facilities/",
        {
            "organisation": str(OrganisationFactory(division=covered.div["XA1b"]).external_id),
            "kind": "community_station",
            "status": "open",
            "construction_started_on": "2026-03-01",
            "opened_on": "2026-02-01",
        },
        format="json",
    )
    assert early.status_code == 400
    assert "opened_on" in str(early.json())


def test_save_a_scenario_build_a_site_and_record_its_milestones(
    covered, django_capture_on_commit_callbacks
):
    client = api(covered, "district_officer")
    with django_capture_on_commit_callbacks(execute=True):
        made = client.post(
            "/api/v1/plan-scenarios/",
            {
                "division": covered.div["XA"].code,
                "kind": "meal_point",
                "sites": 1,
                "candidate_source": "grid",
            },
            format="json",
        ).json()
    url = f"/api/v1/plan-scenarios/{made['id']}"
    assert client.post(f"{url}/save/", {"name": ""}, format="json").status_code == 400
    kept = client.post(f"{url}/save/", {"name": "助餐点 A"}, format="json")
    assert kept.status_code == 200 and (kept.json()["saved"], kept.json()["name"]) == (
        True,
        "助餐点 A",
    )
    site = client.get(f"{url}/").json()["result"]["exact"]["sites"][0]
    order = {"budget": "200000", "funding_source": "district"}
    refused = client.post(f"{url}/build/", {"site": 999, **order}, format="json")
    assert refused.status_code == 400 and "site" in refused.json()
    built = client.post(f"{url}/build/", {"site": site["index"], **order}, format="json")
    assert built.status_code == 201, built.json()
    project = built.json()
    assert (project["kind"], project["budget"], project["funding_source"]) == (
        "meal_point",
        "200000.00",
        "district",
    )
    facility = client.get(f"/api/v1/facilities/{project['facility']}/").json()
    assert facility["status"] == "planned"
    step = f"/api/v1/construction-projects/{project['id']}/milestone/"
    early = client.post(step, {"milestone": "in_use"}, format="json")
    assert early.status_code == 400 and "milestone" in early.json()
    started = client.post(step, {"milestone": "started"}, format="json")
    assert started.status_code == 200 and started.json()["started_on"] is not None
    assert client.get(f"/api/v1/facilities/{project['facility']}/").json()["status"] == (
        "under_construction"
    )
    # The auditor sees the project but records nothing; another city finds no scenario.
    assert api(covered, "auditor").post(step, {"milestone": "completed"}).status_code == 403
    other = api(covered, "admin_Y").post(f"{url}/build/", {"site": 0, **order}, format="json")
    assert other.status_code == 404
