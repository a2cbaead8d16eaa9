from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from tests.facilities.conftest import elder_at, facility_at
from yiyang.facilities.choices import CandidateSource, FacilityKind, FacilityStatus
from yiyang.facilities.models import ConstructionProject, Facility
from yiyang.facilities.planning import (
    candidates_from_file,
    scenario_execute,
    scenario_save,
    scenario_site_build,
    scenario_start,
)


def test_candidate_file_rows_with_errors_are_named(world):
    data = "名称,纬度,经度\nA,34.75,113.65\nB,abc,113.6\nC,34.75,113.65\nD,10,10\n".encode()
    with pytest.raises(ValidationError) as caught:
        candidates_from_file(data=data, filename="sites.csv", city=world.div["X"])
    assert sorted(caught.value.message_dict) == ["row 3: lat", "row 4: lat", "row 5: lat"]
    assert "row 2" in caught.value.message_dict["row 4: lat"][0]


def test_more_sites_than_candidates_is_refused(world):
    with pytest.raises(ValidationError) as caught:
        scenario_start(
            actor=world.user["city_admin"],
            division=world.div["X"],
            kind=FacilityKind.ELDERLY_CANTEEN,
            candidate_source=CandidateSource.UPLOAD,
            sites=3,
            candidates=[{"name": "A", "lat": 34.75, "lng": 113.65}],
        )
    assert list(caught.value.message_dict) == ["sites"]


def test_budget_pays_for_sites(world):
    scenario = scenario_start(
        actor=world.user["city_admin"],
        division=world.div["X"],
        kind=FacilityKind.ELDERLY_CANTEEN,
        candidate_source=CandidateSource.GRID,
        budget=Decimal("2500000"),
        cost_per_site=Decimal("800000"),
    )
    assert scenario.sites == 3


def test_plan_chooses_sites_and_a_site_becomes_a_project(placed, system):
    world = placed
    facility_at(world, system, "XA1a", 34.75, 113.65, kind=FacilityKind.ELDERLY_CANTEEN)
    elder_at(world, system, "XA1a", 34.7502, 113.65)  # covered already
    for i in range(3):
        elder_at(world, system, "XA2a", 34.79 + i * 0.0003, 113.65)
    elder_at(world, system, "XB1a", 34.81, 113.65)
    admin = world.user["city_admin"]
    candidates = [
        {"name": "北", "lat": 34.7905, "lng": 113.65},
        {"name": "远", "lat": 34.81, "lng": 113.6505},
        {"name": "旧", "lat": 34.7501, "lng": 113.65},
    ]
    scenario = scenario_start(
        actor=admin,
        division=world.div["X"],
        kind=FacilityKind.ELDERLY_CANTEEN,
        candidate_source=CandidateSource.UPLOAD,
        sites=1,
        candidates=candidates,
        weights={"all": 1},
    )
    scenario = scenario_execute(scenario.pk)
    assert scenario.status == "done", scenario.error
    result = scenario.result
    assert (result["method"], result["already_covered"], result["outside"]) == ("detour", 1, 4)
    assert [(s["name"], s["elders"]) for s in result["exact"]["sites"]] == [("北", 3)]
    assert result["exact"]["optimal"] is True and result["exact"]["gap"] == 0.0
    assert [s["name"] for s in result["greedy"]["sites"]] == ["北"]
    scenario_save(actor=admin, scenario=scenario, name="食堂 2027")
    project = scenario_site_build(
        actor=admin, scenario=scenario, index=0, budget=Decimal("600000"), funding_source="city"
    )
    facility = Facility.objects.get(pk=project.facility_id)
    assert facility.status == FacilityStatus.PLANNED and facility.kind == "elderly_canteen"
    assert facility.organisation.division == world.div["XA2a"]
    assert ConstructionProject.objects.get().scenario == scenario
