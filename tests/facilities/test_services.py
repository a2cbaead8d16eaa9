from __future__ import annotations

import datetime
from decimal import Decimal

import numpy as np
import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from tests.facilities.conftest import elder_at, facility_at
from tests.factories import OrganisationFactory
from yiyang.core.permissions import SystemActor
from yiyang.core.scoping import Scope
from yiyang.demo.streets import grid_network
from yiyang.facilities import selectors
from yiyang.facilities.choices import FacilityKind, FacilityStatus, FundingSource, Milestone
from yiyang.facilities.models import ElderReach, Facility, RoadNetwork
from yiyang.facilities.services import (
    coverage_compute,
    facility_register,
    facility_status_set,
    project_milestone,
    project_start,
    road_network_import,
    road_network_store,
)
from yiyang.organisations.choices import OrganisationKind
from yiyang.organisations.models import Organisation


def _adopt_migration():
    module = __import__("yiyang.facilities.migrations.0002_adopt_organisations", fromlist=["adopt"])
    return module.adopt


def test_migration_makes_facilities_of_existing_organisations_and_keeps_them(world):
    before = list(
        Organisation.objects.order_by("pk").values_list(
            "pk", "name", "kind", "updated_at", "operator_id"
        )
    )
    _adopt_migration()(apps, None)
    after = list(
        Organisation.objects.order_by("pk").values_list(
            "pk", "name", "kind", "updated_at", "operator_id"
        )
    )
    assert after == before
    kinds = dict(Facility.objects.values_list("organisation__name", "kind"))
    assert kinds == {
        "站_XA1a": "community_station",
        "站_XA1b": "community_station",
        "站_XA2a": "community_station",
        "站_XB1a": "community_station",
        "站_YA1a": "community_station",
        "院XA1a": "public_institution",
    }
    station = Facility.objects.get(organisation=world.org["station_XA2a"])
    assert list(station.service_area.values_list("code", flat=True)) == [world.div["XA2a"].code]
    assert station.organisation.operator == world.org["operator"]
    assert Facility.objects.get(organisation=world.org["institution_XA1a"]).beds == 100
    _adopt_migration()(apps, None)  # a second run adds nothing
    assert Facility.objects.count() == 6


def test_service_area_outside_the_district_is_refused(world, system):
    organisation = OrganisationFactory(
        division=world.div["XA1"], kind=OrganisationKind.DAY_CARE_CENTRE
    )
    with pytest.raises(ValidationError) as caught:
        facility_register(
            actor=system,
            organisation=organisation,
            kind=FacilityKind.DAY_CARE_CENTRE,
            service_area=[world.div["XA1a"], world.div["XB1a"]],
        )
    assert "村XB1a" in caught.value.message_dict["service_area"][0]
    assert not Facility.objects.exists()


def test_a_centre_serves_several_communities_of_its_district(world, system):
    organisation = OrganisationFactory(
        division=world.div["XA1"], kind=OrganisationKind.DAY_CARE_CENTRE
    )
    facility = facility_register(
        actor=system,
        organisation=organisation,
        kind=FacilityKind.REGIONAL_CENTRE,
        service_area=[world.div["XA1a"], world.div["XA2a"]],
    )
    assert sorted(facility.service_area.values_list("code", flat=True)) == sorted(
        [world.div["XA1a"].code, world.div["XA2a"].code]
    )


def test_a_facility_cannot_open_before_its_construction_started(world, system):
    today = timezone.localdate()
    organisation = OrganisationFactory(division=world.div["XA1a"])
    with pytest.raises(ValidationError) as caught:
        facility_register(
            actor=system,
            organisation=organisation,
            kind=FacilityKind.COMMUNITY_STATION,
            status=FacilityStatus.OPEN,
            construction_started_on=today - datetime.timedelta(days=3),
            opened_on=today - datetime.timedelta(days=10),
        )
    assert list(caught.value.message_dict) == ["opened_on"]
    assert not Facility.objects.exists()


def test_status_moves_by_the_allowed_steps(world, system):
    facility = facility_at(world, system, "XA1a", 34.75, 113.65, status=FacilityStatus.PLANNED)
    with pytest.raises(ValidationError):
        facility_status_set(actor=system, facility=facility, status=FacilityStatus.SUSPENDED)
    facility_status_set(actor=system, facility=facility, status=FacilityStatus.UNDER_CONSTRUCTION)
    facility_status_set(actor=system, facility=facility, status=FacilityStatus.OPEN)
    facility.refresh_from_db()
    assert facility.status == "open" and facility.opened_on == timezone.localdate()


def test_project_milestones_open_the_facility(world, system):
    today = timezone.localdate()
    facility = facility_at(
        world,
        system,
        "XA1a",
        34.75,
        113.65,
        kind=FacilityKind.PUBLIC_INSTITUTION,
        status=FacilityStatus.PLANNED,
        planned_on=today - datetime.timedelta(days=40),
        beds=0,
    )
    project = project_start(
        actor=system,
        facility=facility,
        year=today.year,
        budget=Decimal("1000000"),
        funding_source=FundingSource.CITY,
        approved_on=today - datetime.timedelta(days=30),
        beds_added=120,
    )
    with pytest.raises(ValidationError):
        project_milestone(actor=system, project=project, milestone=Milestone.IN_USE, on=today)
    for days, milestone in (
        (20, Milestone.STARTED),
        (5, Milestone.COMPLETED),
        (1, Milestone.IN_USE),
    ):
        project_milestone(
            actor=system,
            project=project,
            milestone=milestone,
            on=today - datetime.timedelta(days=days),
        )
    facility.refresh_from_db()
    assert facility.status == "open" and facility.beds == 120
    assert facility.construction_started_on == today - datetime.timedelta(days=20)


def test_coverage_by_detour_counts_elders_without_coordinates_apart(placed, system):
    world = placed
    facility_at(world, system, "XA1a", 34.75, 113.65)
    near = elder_at(world, system, "XA1a", 34.754, 113.65)  # ~445 m -> x1.3 -> ~8.7 min
    far = elder_at(world, system, "XA2a", 34.79, 113.65)  # ~4.4 km -> beyond 60 min? no: 86 min
    elder_at(world, system, "XA1b", None, None)
    run = coverage_compute(actor=system, division=world.div["X"])
    assert run.method == "detour" and run.elders == 2 and run.without_coordinates == 1
    minutes = dict(ElderReach.objects.values_list("elder_id", "minutes"))
    assert minutes[near.pk] == pytest.approx(444.8 * 1.3 / (4000 / 60), abs=0.05)
    assert minutes[far.pk] is None


def test_coverage_by_the_network_when_the_city_has_one(placed, system):
    world = placed
    network = grid_network(rows=40, cols=20, origin=(34.745, 113.64), seed=1)
    road_network_store(
        actor=system, city=world.div["X"], network=network, name="grid", source="synthetic"
    )
    facility_at(world, system, "XA1a", 34.75, 113.65)
    elder_at(world, system, "XA1a", 34.754, 113.652)
    run = coverage_compute(actor=system, division=world.div["X"])
    assert run.method == "network"
    reach = ElderReach.objects.get()
    assert reach.method == "network" and 6 < reach.minutes < 15


def test_bad_network_files_are_refused_and_the_previous_network_kept(world, system, tmp_path):
    good = grid_network(rows=5, cols=5, origin=(34.75, 113.65))
    road_network_store(
        actor=system, city=world.div["X"], network=good, name="g", source="synthetic"
    )
    bad = tmp_path / "city.osm.pbf"
    bad.write_bytes(b"not osm at all")
    with pytest.raises(ValidationError) as caught:
        road_network_import(actor=system, city=world.div["X"], path=bad)
    assert "not an OpenStreetMap file" in caught.value.messages[0]
    elsewhere = tmp_path / "elsewhere.osm"
    elsewhere.write_text(
        '<?xml version="1.0"?><osm version="0.6"><node id="1" lat="10.0" lon="10.0"/>'
        '<node id="2" lat="10.001" lon="10.0"/><way id="3"><nd ref="1"/><nd ref="2"/>'
        '<tag k="highway" v="footway"/></way></osm>'
    )
    with pytest.raises(ValidationError) as caught:
        road_network_import(actor=system, city=world.div["X"], path=elsewhere)
    assert "does not overlap" in caught.value.messages[0]
    assert list(RoadNetwork.objects.filter(active=True).values_list("name", flat=True)) == ["g"]


def test_osm_file_imports_its_walkable_ways(world, system, tmp_path):
    path = tmp_path / "city.osm"
    path.write_text(
        '<?xml version="1.0"?><osm version="0.6"><node id="1" lat="34.75" lon="113.65"/>'
        '<node id="2" lat="34.751" lon="113.65"/><node id="3" lat="34.752" lon="113.65"/>'
        '<way id="4"><nd ref="1"/><nd ref="2"/><tag k="highway" v="residential"/></way>'
        '<way id="5"><nd ref="2"/><nd ref="3"/><tag k="highway" v="motorway"/></way></osm>'
    )
    network = road_network_import(actor=system, city=world.div["X"], path=path)
    assert (network.nodes, network.edges, network.source) == (2, 1, "osm")


def test_service_area_rule_counts_communities_and_streets(world, system):
    facility_at(world, system, "XA1a", 34.75, 113.65)  # a station serving its community
    organisation = OrganisationFactory(
        division=world.div["XA2"], kind=OrganisationKind.DAY_CARE_CENTRE
    )
    facility_register(actor=system, organisation=organisation, kind=FacilityKind.DAY_CARE_CENTRE)
    closed = facility_at(world, system, "XA1b", 34.77, 113.65)
    facility_status_set(actor=system, facility=closed, status=FacilityStatus.CLOSED)
    result = selectors.rule_coverage(actor=world.user["city_admin"])
    assert result["communities"]["urban"] == {"total": 3, "covered": 1, "percent": 33.3}
    assert result["communities"]["rural"] == {"total": 1, "covered": 0, "percent": 0.0}
    assert result["streets"]["urban"] == {"total": 2, "covered": 1, "percent": 50.0}
    assert [d.name for d in result["uncovered_streets"]] == ["街XA1", "镇XB1"]


def test_small_hexagons_show_no_number_below_the_district(placed, system):
    world = placed
    facility_at(world, system, "XA1a", 34.75, 113.65)
    for i in range(3):  # three elders in one hexagon
        elder_at(world, system, "XA1a", 34.7501 + i * 0.0001, 113.6501)
    coverage_compute(actor=system, division=world.div["X"])
    street = selectors.circle_coverage(
        actor=world.user["street_officer"], kind=FacilityKind.COMMUNITY_STATION
    )
    assert [h["small"] for h in street["hexagons"]] == [True]
    assert street["hexagons"][0]["groups"] is None and street["hexagons"][0]["share"] is None
    district = selectors.circle_coverage(
        actor=world.user["district_officer"], kind=FacilityKind.COMMUNITY_STATION
    )
    assert district["hexagons"][0]["groups"]["all"] == {"elders": 3, "covered": 3}
    assert district["totals"]["all"] == {"elders": 3, "covered": 3, "percent": 100.0}


def test_a_small_group_in_a_larger_hexagon_shows_no_number_below_the_district(placed, system):
    world = placed
    facility_at(world, system, "XA1a", 34.75, 113.65)
    for i in range(6):  # six elders in one hexagon, one of them 80 or older
        birth = "19300101" if i == 0 else "19550101"
        elder_at(world, system, "XA1a", 34.7501 + i * 0.0001, 113.6501, birth=birth)
    coverage_compute(actor=system, division=world.div["X"])
    street = selectors.circle_coverage(
        actor=world.user["street_officer"], kind=FacilityKind.COMMUNITY_STATION
    )
    [cell] = street["hexagons"]
    assert cell["small"] is False
    assert cell["groups"] == {
        "all": {"elders": 6, "covered": 6},
        "very_old": None,
        "living_alone": None,
        "disabled": None,
    }
    district = selectors.circle_coverage(
        actor=world.user["district_officer"], kind=FacilityKind.COMMUNITY_STATION
    )
    assert district["hexagons"][0]["groups"]["very_old"] == {"elders": 1, "covered": 1}


def test_facility_scope(world, system):
    inside = facility_at(world, system, "XA1a", 34.75, 113.65)
    other = facility_at(world, system, "XA2a", 34.79, 113.65)
    outside = facility_at(world, SystemActor(Scope(division_prefix="4192")), "YA1a", 34.75, 113.65)
    worker = world.user["community_worker"]
    assert list(selectors.facility_list(actor=worker)) == [inside]
    with pytest.raises(Http404):
        selectors.facility_get_for_actor(actor=worker, external_id=other.external_id)
    assert outside not in selectors.facility_list(actor=world.user["city_admin"])


def test_coverage_compute_needs_the_permission_and_the_scope(world):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        coverage_compute(actor=world.user["street_officer"], division=world.div["XA1"])
    with pytest.raises(ValidationError):
        coverage_compute(actor=world.user["district_officer"], division=world.div["XB"])


def test_homes_arrays_match_the_registry(placed, system):
    elder_at(placed, system, "XA1a", 34.75, 113.65, birth="19300101")
    rows = selectors.elder_homes(prefix="4191")
    assert rows.homes.very_old.tolist() == [True]
    assert np.allclose(rows.homes.lat, [34.75])
