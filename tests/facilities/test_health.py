"""The health facilities care is combined with (医养结合): organisation kinds of their own,
adopted as facilities, reached within the circle, planned as what they are, and the
migration that re-files health facilities registered as stations keeps the organisations."""

from __future__ import annotations

from decimal import Decimal

from django.apps import apps
from django.utils import translation

from tests.facilities.conftest import elder_at
from tests.factories import OrganisationFactory
from tests.indicators.conftest import compute
from yiyang.facilities.choices import CandidateSource, FacilityKind
from yiyang.facilities.models import ElderReach, Facility
from yiyang.facilities.planning import scenario_execute, scenario_site_build, scenario_start
from yiyang.facilities.services import coverage_compute, facilities_adopt, facility_register
from yiyang.organisations.choices import PROVIDER_KINDS, OrganisationKind
from yiyang.organisations.models import Organisation


def _retag():
    module = __import__(
        "yiyang.facilities.migrations.0004_health_organisations", fromlist=["retag"]
    )
    return module.retag


def test_health_kinds_have_chinese_names_and_are_providers() -> None:
    with translation.override("zh-hans"):
        assert str(OrganisationKind.HEALTH_CENTRE.label) == "社区卫生服务中心（站）/乡镇卫生院"
        assert str(OrganisationKind.VILLAGE_CLINIC.label) == "村卫生室"
    assert {OrganisationKind.HEALTH_CENTRE, OrganisationKind.VILLAGE_CLINIC} <= PROVIDER_KINDS


def test_health_organisations_become_facilities_that_count_for_reach(placed, system) -> None:
    world = placed
    d = world.div
    centre = OrganisationFactory(
        name="街XA1社区卫生服务中心",
        kind=OrganisationKind.HEALTH_CENTRE,
        division=d["XA1"],
        lat=Decimal("34.750000"),
        lng=Decimal("113.650000"),
    )
    clinic = OrganisationFactory(
        name="村XB1a卫生室",
        kind=OrganisationKind.VILLAGE_CLINIC,
        division=d["XB1a"],
        lat=Decimal("34.810000"),
        lng=Decimal("113.650000"),
    )
    facilities_adopt(actor=system)
    kinds = dict(Facility.objects.values_list("organisation__name", "kind"))
    assert kinds[centre.name] == "health_centre" and kinds[clinic.name] == "village_clinic"
    # The street's health centre serves every community of its street.
    served = Facility.objects.get(organisation=centre).service_area.values_list("code", flat=True)
    assert sorted(served) == sorted([d["XA1a"].code, d["XA1b"].code])
    near = elder_at(world, system, "XA1a", 34.752, 113.65)  # ~220 m from the centre
    far = elder_at(world, system, "XA2a", 34.79, 113.65)  # ~4.4 km from both
    coverage_compute(actor=system, division=d["X"])
    health = dict(
        ElderReach.objects.filter(kind="health_centre").values_list("elder_id", "minutes")
    )
    assert health[near.pk] is not None and health[near.pk] < 5
    assert health[far.pk] is None
    assert compute("health_circle_coverage", d["XA1a"], d["XA2a"], d["X"]) == [100, 0, 50]
    # A village clinic is no care station: the station rule is untouched by it.
    assert ElderReach.objects.filter(kind="village_clinic").count() == 2


def test_health_circle_is_empty_without_health_facilities(placed, system) -> None:
    world = placed
    elder_at(world, system, "XA1a", 34.752, 113.65)
    coverage_compute(actor=system, division=world.div["X"])
    assert compute("health_circle_coverage", world.div["XA1a"]) == [None]


def test_a_planned_clinic_is_registered_as_a_clinic(placed, system) -> None:
    world = placed
    admin = world.user["city_admin"]
    for i in range(3):
        elder_at(world, system, "XB1a", 34.81 + i * 0.0002, 113.65)
    scenario = scenario_start(
        actor=admin,
        division=world.div["X"],
        kind=FacilityKind.VILLAGE_CLINIC,
        candidate_source=CandidateSource.UPLOAD,
        sites=1,
        candidates=[{"name": "村口", "lat": 34.8101, "lng": 113.6501}],
    )
    scenario = scenario_execute(scenario.pk)
    assert scenario.status == "done", scenario.error
    project = scenario_site_build(
        actor=admin, scenario=scenario, index=0, budget=Decimal("300000"), funding_source="city"
    )
    organisation = project.facility.organisation
    assert (organisation.kind, project.facility.kind) == ("village_clinic", "village_clinic")


def test_migration_refiles_health_facilities_registered_as_stations(world, system) -> None:
    filed = OrganisationFactory(name="村XB1a卫生室", division=world.div["XB1a"])
    facility_register(actor=system, organisation=filed, kind=FacilityKind.VILLAGE_CLINIC)
    columns = ("pk", "name", "division_id", "updated_at", "operator_id", "status")
    before = list(Organisation.objects.order_by("pk").values_list(*columns))
    kinds_before = dict(Organisation.objects.values_list("pk", "kind"))
    _retag()(apps, None)
    assert list(Organisation.objects.order_by("pk").values_list(*columns)) == before
    kinds_after = dict(Organisation.objects.values_list("pk", "kind"))
    assert kinds_after.pop(filed.pk) == "village_clinic"
    assert kinds_before.pop(filed.pk) == "community_station"
    assert kinds_after == kinds_before  # every other organisation keeps its kind
    assert Facility.objects.get(organisation=filed).kind == "village_clinic"
    _retag()(apps, None)  # a second run changes nothing
    assert Organisation.objects.get(pk=filed.pk).kind == "village_clinic"
