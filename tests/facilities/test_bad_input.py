"""Every "Bad input" case of the facility network: a clear message naming the field and the
reason, and nothing written (no row, no audit event, the previous state kept)."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from tests.facilities.conftest import facility_at
from tests.factories import OrganisationFactory
from yiyang.core.models import AuditEvent
from yiyang.demo.streets import grid_network
from yiyang.facilities.choices import CandidateSource, FacilityKind, FacilityStatus
from yiyang.facilities.models import Facility, PlanScenario, RoadNetwork
from yiyang.facilities.planning import candidates_from_file, scenario_start
from yiyang.facilities.services import (
    facility_register,
    facility_status_set,
    facility_update,
    road_network_import,
    road_network_store,
)
from yiyang.organisations.choices import OrganisationKind, Ownership
from yiyang.organisations.models import Organisation


@pytest.fixture
def kept(world, system):
    """The city's current walking network, which a refused file must leave active."""
    good = grid_network(rows=5, cols=5, origin=(34.75, 113.65))
    road_network_store(actor=system, city=world.div["X"], network=good, name="g", source="x")
    return AuditEvent.objects.count()


def _refused(world, system, path) -> str:
    with pytest.raises(ValidationError) as caught:
        road_network_import(actor=system, city=world.div["X"], path=path)
    assert list(caught.value.message_dict) == ["file"]
    return caught.value.message_dict["file"][0]


def test_an_empty_network_file_is_refused_and_the_network_kept(world, system, kept, tmp_path):
    empty = tmp_path / "city.osm.pbf"
    empty.write_bytes(b"")
    message = _refused(world, system, empty)
    assert "city.osm.pbf" in message and "previous network is kept" in message
    no_ways = tmp_path / "nodes.osm"
    no_ways.write_text(
        '<?xml version="1.0"?><osm version="0.6"><node id="1" lat="34.75" lon="113.65"/></osm>'
    )
    assert "holds no walkable way" in _refused(world, system, no_ways)
    assert list(RoadNetwork.objects.values_list("name", "active")) == [("g", True)]
    assert AuditEvent.objects.count() == kept


def test_the_command_says_why_and_exits_2(world, kept, tmp_path):
    wrong = tmp_path / "city.osm.pbf"
    wrong.write_text("name,lat,lng\n")
    with pytest.raises(CommandError) as caught:
        call_command("import-road-network", str(wrong), "--city", world.div["X"].code)
    assert caught.value.returncode == 2
    assert "is not an OpenStreetMap file" in str(caught.value)
    assert RoadNetwork.objects.filter(active=True).get().name == "g"


def test_candidate_file_without_a_coordinate_column_is_refused(world):
    with pytest.raises(ValidationError) as caught:
        candidates_from_file(data=b"name,lat\nA,34.75\n", filename="a.csv", city=world.div["X"])
    assert "lng" in caught.value.message_dict["file"][0]
    with pytest.raises(ValidationError) as caught:
        candidates_from_file(data=b"", filename="a.csv", city=world.div["X"])
    assert caught.value.message_dict["file"] == ["The file is empty."]
    with pytest.raises(ValidationError) as caught:
        candidates_from_file(data=b"PK\x03\x04broken", filename="a.xlsx", city=world.div["X"])
    assert caught.value.message_dict["file"] == ["This is not a readable .xlsx file."]


def test_a_bad_candidate_upload_on_the_page_writes_nothing(world, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for("city_admin")
    upload = SimpleUploadedFile("sites.csv", "名称,纬度,经度\nA,34.75,113.65\nB,1,1\n".encode())
    response = client.post(
        "/facilities/plan/",
        {
            "division": world.div["X"].code,
            "kind": "elderly_canteen",
            "sites": "1",
            "candidate_source": "upload",
            "weight_all": "1",
            "file": upload,
        },
        follow=True,
    )
    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]]
    assert any(m.startswith("第3行：") and "之外" in m for m in shown), shown
    assert not PlanScenario.objects.exists()


def test_more_sites_than_register_buildings_is_refused_before_running(world):
    audited = AuditEvent.objects.count()
    public = Organisation.objects.filter(
        division__code__startswith="4191", ownership=Ownership.PUBLIC, lat__isnull=False
    ).count()
    with pytest.raises(ValidationError) as caught:
        scenario_start(
            actor=world.user["city_admin"],
            division=world.div["X"],
            kind=FacilityKind.DAY_CARE_CENTRE,
            candidate_source=CandidateSource.ORGANISATIONS,
            sites=public + 1,
        )
    assert caught.value.message_dict["sites"] == [
        f"{public + 1} new sites but only {public} candidates."
    ]
    assert not PlanScenario.objects.exists() and AuditEvent.objects.count() == audited


def test_a_service_area_outside_the_district_is_refused_on_edit(world, system):
    facility = facility_at(world, system, "XA1a", 34.75, 113.65)
    audited = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as caught:
        facility_update(actor=system, facility=facility, service_area=[world.div["XB1a"]])
    assert "村XB1a" in caught.value.message_dict["service_area"][0]
    assert list(facility.service_area.values_list("code", flat=True)) == [world.div["XA1a"].code]
    assert AuditEvent.objects.count() == audited


def test_a_planned_facility_cannot_open_before_its_construction_started(world, system):
    today = timezone.localdate()
    facility = facility_at(
        world,
        system,
        "XA1a",
        34.75,
        113.65,
        status=FacilityStatus.PLANNED,
        planned_on=today - datetime.timedelta(days=30),
    )
    facility_status_set(
        actor=system,
        facility=facility,
        status=FacilityStatus.UNDER_CONSTRUCTION,
        on=today - datetime.timedelta(days=5),
    )
    audited = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as caught:
        facility_status_set(
            actor=system,
            facility=facility,
            status=FacilityStatus.OPEN,
            on=today - datetime.timedelta(days=8),
        )
    assert list(caught.value.message_dict) == ["opened_on"]
    assert "before its construction started" in caught.value.message_dict["opened_on"][0]
    facility.refresh_from_db()
    assert (facility.status, facility.opened_on) == ("under_construction", None)
    assert AuditEvent.objects.count() == audited


def test_a_facility_cannot_be_registered_open_before_it_was_planned(world, system):
    today = timezone.localdate()
    organisation = OrganisationFactory(
        division=world.div["XA1a"], kind=OrganisationKind.DAY_CARE_CENTRE
    )
    with pytest.raises(ValidationError) as caught:
        facility_register(
            actor=system,
            organisation=organisation,
            kind=FacilityKind.DAY_CARE_CENTRE,
            planned_on=today - datetime.timedelta(days=3),
            opened_on=today - datetime.timedelta(days=9),
        )
    assert "before it was planned" in caught.value.message_dict["opened_on"][0]
    assert not Facility.objects.filter(organisation=organisation).exists()


def test_candidate_coordinates_that_are_not_finite_numbers_are_named(world):
    # "nan" parses as a decimal and comparing it raised: the row is named like any other
    data = "名称,纬度,经度\nA,nan,113.65\nB,34.75,inf\nC,34.75,113.65\n".encode()
    with pytest.raises(ValidationError) as caught:
        candidates_from_file(data=data, filename="sites.csv", city=world.div["X"])
    assert caught.value.message_dict == {
        "row 2: lat": ["Latitude and longitude must be numbers."],
        "row 3: lat": ["Latitude and longitude must be numbers."],
    }
