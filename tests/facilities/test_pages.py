from __future__ import annotations

import pytest
from django.urls import reverse

from tests.facilities.conftest import elder_at, facility_at
from yiyang.elders.models import Elder
from yiyang.facilities.choices import FacilityKind
from yiyang.facilities.models import PlanScenario
from yiyang.facilities.services import coverage_compute


@pytest.fixture
def covered(placed, system):
    facility_at(placed, system, "XA1a", 34.75, 113.65)
    facility_at(placed, system, "XA2a", 34.79, 113.65, kind=FacilityKind.ELDERLY_CANTEEN)
    for i in range(6):
        elder_at(placed, system, "XA1a", 34.7501 + i * 0.0001, 113.6501)
    elder_at(placed, system, "XA1b", None, None)
    coverage_compute(actor=system, division=placed.div["X"])
    return placed


def test_facility_list_and_map(covered, client_for):
    response = client_for("city_admin").get(reverse("facilities:list"))
    assert response.status_code == 200
    assert response.content.decode().count('data-facility="') == 2
    assert b'id="facility-map-data"' in response.content
    assert b"<script>" not in response.content  # data through json_script only


def test_facility_list_is_scoped(covered, client_for):
    response = client_for("community_worker").get(reverse("facilities:list"))
    assert response.content.decode().count('data-facility="') == 1


def test_coverage_page_says_the_method_and_counts_the_missing(covered, client_for):
    response = client_for("district_officer").get(reverse("facilities:coverage"))
    page = response.content.decode()
    assert response.status_code == 200
    assert ('id="coverage-method"' in page and "Straight line" in page) or "直线" in page
    assert 'id="coverage-missing-count"' in page
    assert 'data-group="all"><td>' in page
    # the elder without coordinates is listed by name for correction, linked to the record
    missing = Elder.objects.get(lat__isnull=True)
    assert [e.pk for e in response.context["missing"]] == [missing.pk]
    assert f'href="/elders/{missing.external_id}/">{missing.name}</a>' in page


def test_coverage_page_refuses_providers(covered, client_for):
    assert client_for("provider_manager").get(reverse("facilities:coverage")).status_code == 403


def test_plan_runs_and_saves(covered, client_for, django_capture_on_commit_callbacks):
    client = client_for("city_admin")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("facilities:plan"),
            {
                "division": covered.div["X"].code,
                "kind": "day_care_centre",
                "sites": "1",
                "candidate_source": "grid",
                "weight_all": "1",
                "weight_very_old": "0",
                "weight_living_alone": "0",
                "weight_disabled": "0",
            },
        )
    scenario = PlanScenario.objects.get()
    assert response.status_code == 302
    assert scenario.status == "done", scenario.error
    page = client.get(reverse("facilities:scenario", args=[scenario.external_id]))
    assert b'id="plan-gap"' in page.content
    client.post(
        reverse("facilities:scenario", args=[scenario.external_id]), {"action": "save", "name": "A"}
    )
    scenario.refresh_from_db()
    assert scenario.saved is True
    export = client.get(reverse("facilities:scenario-export", args=[scenario.external_id]))
    assert export.status_code == 200 and export.content[:2] == b"PK"
    # The map as an image: a PNG, audited like the workbook; another city's administrator
    # gets the same 404 as for a scenario that does not exist.
    url = reverse("facilities:scenario-map", args=[scenario.external_id])
    picture = client.get(url)
    assert picture.status_code == 200 and picture.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert picture["Content-Type"] == "image/png"
    assert client_for("admin_Y").get(url).status_code == 404


def test_projects_page(covered, client_for):
    assert client_for("city_admin").get(reverse("facilities:projects")).status_code == 200


def test_facility_page_changes_status_and_service_area(covered, client_for):
    from yiyang.facilities.models import Facility

    facility = Facility.objects.get(kind="community_station")
    client = client_for("district_officer")
    url = reverse("facilities:detail", args=[facility.external_id])
    assert client.get(url).status_code == 200
    client.post(url, {"action": "status", "status": "suspended", "on": ""})
    facility.refresh_from_db()
    assert facility.status == "suspended"
    client.post(
        url,
        {
            "action": "edit",
            "beds": "",
            "day_places": "20",
            "meals_per_day": "",
            "opening_hours": "8-17",
            "service_area": [
                str(covered.div["XA1a"].external_id),
                str(covered.div["XA1b"].external_id),
            ],
        },
    )
    facility.refresh_from_db()
    assert facility.day_places == 20
    assert facility.service_area.count() == 2
    outside = client.post(
        url, {"action": "edit", "service_area": [str(covered.div["XB1a"].external_id)]}
    )
    assert outside.status_code == 302
    assert facility.service_area.count() == 2  # a village outside the district is not offered
    assert (
        client_for("community_worker").post(url, {"action": "status", "status": "open"}).status_code
        == 403
    )


def test_project_milestone_from_the_page(covered, client_for, system):
    import datetime
    from decimal import Decimal

    from django.utils import timezone

    from yiyang.facilities.services import project_start

    today = timezone.localdate()
    facility = facility_at(
        covered,
        system,
        "XA1b",
        34.77,
        113.65,
        status="planned",
        planned_on=today - datetime.timedelta(days=9),
    )
    project = project_start(
        actor=system,
        facility=facility,
        year=today.year,
        budget=Decimal(1),
        funding_source="city",
        approved_on=today - datetime.timedelta(days=5),
    )
    client = client_for("district_officer")
    page = client.get(reverse("facilities:projects")).content.decode()
    assert f'data-project="{project.external_id}"' in page
    client.post(
        reverse("facilities:project-milestone", args=[project.external_id]),
        {"milestone": "started", "on": today.isoformat()},
    )
    project.refresh_from_db()
    facility.refresh_from_db()
    assert project.started_on == today and facility.status == "under_construction"


def test_recompute_from_the_coverage_page(covered, client_for, django_capture_on_commit_callbacks):
    from yiyang.facilities.models import CoverageRun

    before = CoverageRun.objects.count()
    client = client_for("district_officer")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("facilities:coverage-compute"))
    assert response.status_code == 302
    run = CoverageRun.objects.first()
    assert CoverageRun.objects.count() == before + 1 and run.division_code == "419102"
    assert (
        client_for("street_officer").post(reverse("facilities:coverage-compute")).status_code == 403
    )
