"""The facility network's indicators on hand-made records with known answers."""

from __future__ import annotations

from django.utils import timezone

from tests.conftest import World
from tests.facilities.conftest import facility_at
from tests.indicators.conftest import compute, dec, elder
from yiyang.core.permissions import SystemActor
from yiyang.core.scoping import Scope
from yiyang.facilities.choices import FacilityKind as K
from yiyang.facilities.choices import FacilityStatus, ReachMethod
from yiyang.facilities.models import ConstructionProject, ElderReach
from yiyang.facilities.services import facility_status_set
from yiyang.organisations.choices import OrganisationStatus
from yiyang.organisations.models import Organisation

SYSTEM = SystemActor(Scope(division_prefix="4191"), username="test")


def reach(person, kind: str, minutes: float | None) -> None:
    ElderReach.objects.create(
        elder=person,
        kind=kind,
        division_code=person.division_code,
        minutes=minutes,
        method=ReachMethod.DETOUR,
    )


def test_circle_coverage_takes_the_nearest_care_facility_within_the_minutes(
    world: World,
) -> None:
    d = world.div
    near, far, none = elder(d["XA1a"]), elder(d["XA1a"]), elder(d["XA1a"])
    other = elder(d["XA1b"])
    reach(near, K.DAY_CARE_CENTRE, 30)
    reach(near, K.COMMUNITY_STATION, 5)  # the nearest of the care kinds counts
    reach(far, K.COMMUNITY_STATION, 20)
    reach(far, K.ELDERLY_CANTEEN, 3)  # a canteen is not a care facility of the circle
    reach(none, K.COMMUNITY_STATION, None)  # nothing within reach at all
    reach(other, K.REGIONAL_CENTRE, 15)  # exactly at the limit is inside
    assert compute("circle_coverage", d["XA1a"], d["XA1b"], d["XA1"], d["XB1"]) == [
        dec("33.33"),
        100,
        50,
        None,
    ]


def test_a_service_area_covers_the_communities_it_names(world: World) -> None:
    d = world.div
    # Without the world's own stations, only what the facilities below reach counts.
    Organisation.objects.update(status=OrganisationStatus.CLOSED)
    assert compute("station_coverage", d["XA1"], d["XA2"]) == [0, 0]
    # A day-care centre standing in XA1a serves XA1b too: both are covered.
    facility_at(
        world,
        SYSTEM,
        "XA1a",
        34.75,
        113.65,
        kind=K.DAY_CARE_CENTRE,
        service_area=[d["XA1a"], d["XA1b"]],
    )
    # A station still being planned covers nothing yet.
    planned = facility_at(
        world,
        SYSTEM,
        "XA2a",
        34.70,
        113.60,
        kind=K.COMMUNITY_STATION,
        status=FacilityStatus.PLANNED,
        service_area=[d["XA2a"]],
    )
    Organisation.objects.filter(pk=planned.organisation_id).update(
        status=OrganisationStatus.PENDING
    )
    assert compute("station_coverage", d["XA1"], d["XA2"], d["XA"]) == [100, 0, dec("66.67")]
    assert compute("facilities_open", d["XA"], d["XA1"], d["XA2"]) == [1, 1, 0]


def test_beds_added_this_year_counts_projects_put_into_use(world: World) -> None:
    d = world.div
    today = timezone.localdate()
    home = facility_at(world, SYSTEM, "XA1a", 34.75, 113.65, kind=K.PUBLIC_INSTITUTION)
    values = {"facility": home, "budget": 1, "funding_source": "city", "approved_on": today}
    ConstructionProject.objects.create(
        division_code=d["XA1a"].code, year=today.year, beds_added=40, in_use_on=today, **values
    )
    ConstructionProject.objects.create(
        division_code=d["XA1b"].code,
        year=today.year - 1,
        beds_added=25,
        in_use_on=today.replace(year=today.year - 1),
        **values,
    )
    ConstructionProject.objects.create(
        division_code=d["XA1b"].code, year=today.year, beds_added=60, **values
    )  # not in use yet
    assert compute("beds_added_this_year", d["XA1"], d["XA1a"], d["XA1b"]) == [40, 40, 0]


def test_circle_coverage_for_each_weighted_group(world: World) -> None:
    d = world.div
    old_alone = elder(d["XA1a"], age=85, living_arrangement="alone")
    old = elder(d["XA1a"], age=81)
    disabled = elder(d["XA1a"], age=70, ability_level="severe")
    young = elder(d["XA1a"], age=65)
    reach(old_alone, K.COMMUNITY_STATION, 10)  # inside
    reach(old, K.COMMUNITY_STATION, 40)  # outside
    reach(disabled, K.COMMUNITY_STATION, 5)  # inside
    reach(young, K.COMMUNITY_STATION, 5)
    assert compute("circle_coverage_very_old", d["XA1a"], d["XB1"]) == [50, None]
    assert compute("circle_coverage_living_alone", d["XA1a"]) == [100]
    assert compute("circle_coverage_disabled", d["XA1a"]) == [100]
    assert compute("circle_coverage", d["XA1a"]) == [75]


def test_facilities_by_kind_and_by_status(world: World) -> None:
    d = world.div
    facility_at(world, SYSTEM, "XA1a", 34.75, 113.65)
    facility_at(world, SYSTEM, "XA2a", 34.79, 113.65)
    facility_at(world, SYSTEM, "XB1a", 34.81, 113.65, kind=K.HAPPINESS_HOME)
    facility_at(
        world, SYSTEM, "XA1b", 34.77, 113.65, kind=K.ELDERLY_CANTEEN, status=FacilityStatus.PLANNED
    )
    closed = facility_at(world, SYSTEM, "XA1b", 34.771, 113.65)
    facility_status_set(actor=SYSTEM, facility=closed, status=FacilityStatus.CLOSED)
    at = (d["XA1"], d["XA"], d["XB"], d["X"])
    assert compute("facilities_open_community_station", *at) == [1, 2, 0, 2]
    assert compute("facilities_open_happiness_home", *at) == [0, 0, 1, 1]
    assert compute("facilities_open_elderly_canteen", *at) == [0, 0, 0, 0]
    assert compute("facilities_status_planned", *at) == [1, 1, 0, 1]
    assert compute("facilities_status_closed", *at) == [1, 1, 0, 1]
    assert compute("facilities_status_open", *at) == [1, 2, 1, 3]
    # the kinds add up to the open facilities, the statuses to all of them
    assert (
        sum(compute(f"facilities_open_{k.value}", d["X"])[0] for k in K)
        == compute("facilities_open", d["X"])[0]
    )
    assert sum(compute(f"facilities_status_{s.value}", d["X"])[0] for s in FacilityStatus) == 5
