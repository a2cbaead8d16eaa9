"""The demo city's facility network: its own walking network, so reach uses the network
method; the kinds the register lacks; a planned canteen with its project."""

from __future__ import annotations

import pytest

from yiyang.demo.facilities import demo_facilities_build
from yiyang.demo.services import demo_city_build, demo_elders_build
from yiyang.elders.models import Elder
from yiyang.facilities.models import ConstructionProject, CoverageRun, ElderReach, Facility


@pytest.mark.django_db
def test_demo_network_reaches_by_the_network_method() -> None:
    demo_city_build(seed=3)
    demo_elders_build(count=200, seed=3)
    built = demo_facilities_build(seed=3)
    assert built.created is True and built.method == "network"
    assert built.nodes > 10_000
    kinds = set(Facility.objects.values_list("kind", flat=True))
    assert {
        "community_station",
        "day_care_centre",
        "regional_centre",
        "meal_point",
        "public_institution",
        "rural_care_home",
        "health_centre",
        "village_clinic",
    } <= kinds
    # The health facilities are organisations of their own kinds, and reach counts them.
    assert set(
        Facility.objects.filter(kind__in=["health_centre", "village_clinic"]).values_list(
            "organisation__kind", flat=True
        )
    ) == {"health_centre", "village_clinic"}
    assert ConstructionProject.objects.get().facility.status == "planned"
    run = CoverageRun.objects.get()
    active = Elder.objects.filter(status="active").count()
    assert run.elders + run.without_coordinates == active > 150
    assert set(ElderReach.objects.values_list("method", flat=True)) == {"network"}
    assert ElderReach.objects.filter(kind="health_centre").count() == run.elders
    assert demo_facilities_build(seed=3).created is False
