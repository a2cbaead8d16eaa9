"""Where to build next in a real browser: the district officer asks for one new day-care
centre on grid candidates, the covering model runs (inline: the test settings' task backend
is immediate), the chosen site shows on the map beside the greedy one, the scenario is saved
and the site is planned as a facility with its construction project."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.test_visit_journey import log_in
from tests.conftest import build_world
from tests.facilities.conftest import PLACES, elder_at, facility_at
from yiyang.core.permissions import SystemActor
from yiyang.core.scoping import Scope
from yiyang.facilities.models import ConstructionProject, Facility, PlanScenario
from yiyang.facilities.services import coverage_compute

pytestmark = pytest.mark.django_db(transaction=True)


def test_plan_see_sites_save_and_start_a_project(live_server: Any, browser: Any) -> None:
    from decimal import Decimal

    world = build_world()
    for key, (lat, lng) in PLACES.items():
        world.div[key].centroid_lat, world.div[key].centroid_lng = (
            Decimal(str(lat)),
            Decimal(str(lng)),
        )
        world.div[key].save()
    system = SystemActor(Scope(division_prefix="4191"), username="test")
    facility_at(world, system, "XA1a", 34.75, 113.65)
    for i in range(5):
        elder_at(world, system, "XA2a", 34.79 + i * 0.0002, 113.65)
        elder_at(world, system, "XA1a", 34.75 + i * 0.0002, 113.65)
    coverage_compute(actor=system, division=world.div["X"])
    base = live_server.url
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        log_in(page, base, "district_officer")
        page.goto(f"{base}/facilities/plan/")
        page.select_option("select[name=division]", world.div["XA"].code)
        page.select_option("select[name=kind]", "day_care_centre")
        page.fill("input[name=sites]", "1")
        page.check("input[name=candidate_source][value=grid]")
        page.click("#plan-start")
        page.wait_for_selector("#plan-compare")
        scenario = PlanScenario.objects.get()
        assert scenario.status == "done", scenario.error
        assert page.locator("#plan-gap").inner_text().startswith("0")
        page.wait_for_selector("#plan-map path.plan-site-exact")
        assert page.locator("#plan-map path.plan-site-exact").count() == 1
        assert page.locator("#plan-map path.plan-site-greedy").count() == 1
        assert page.locator("#plan-sites tr[data-site]").count() == 1

        page.fill("#plan-keep input[name=name]", "日照 2027")
        page.click("#plan-save")
        page.wait_for_selector("#plan-saved-name")
        page.click("#plan-sites tr[data-site] button[type=submit]")
        page.wait_for_selector("#plan-keep .project")
        project = ConstructionProject.objects.get()
        assert project.scenario == scenario
        assert Facility.objects.get(pk=project.facility_id).status == "planned"
        page.goto(f"{base}/facilities/plan/")
        assert page.locator("#plan-saved tr[data-scenario]").count() == 1
    finally:
        page.close()
