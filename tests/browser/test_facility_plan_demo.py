"""Where to build next for the demo city itself, in a real browser: the demo city, its
registry, boundaries and facility network are built once for the module (the same build
functions `yiyang demo` runs, with the demo's own walking network), the city administrator
asks for two new day-care centres on grid candidates, the chosen sites are drawn on the
vector basemap beside the greedy ones, the scenario is saved and a chosen site starts a
construction project."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.test_journeys import PASSWORD, log_in
from yiyang.demo.boundaries import demo_boundaries_build
from yiyang.demo.facilities import demo_facilities_build
from yiyang.demo.services import CITY_CODE, demo_city_build, demo_elders_build
from yiyang.facilities.models import ConstructionProject, Facility, PlanScenario

pytestmark = pytest.mark.django_db(transaction=True)
SITES = 2
WAIT_MS = 20_000


def demo_city() -> None:
    """The demo as `yiyang demo` builds it, smaller: the live server's tests flush the
    database after each test, so the module's one journey builds it once, here."""
    demo_city_build(seed=5, password=PASSWORD)
    demo_elders_build(count=400, seed=5)
    demo_boundaries_build(city_code=CITY_CODE, seed=5)
    built = demo_facilities_build(seed=5)
    assert built.created and built.method == "network"


def test_a_plan_for_the_demo_city_saves_and_starts_a_project(
    live_server: Any, browser: Any
) -> None:
    demo_city()
    base = live_server.url
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        log_in(page, base, "city_admin")
        page.goto(f"{base}/facilities/plan/")
        page.select_option("select[name=division]", CITY_CODE)
        page.select_option("select[name=kind]", "day_care_centre")
        page.fill("input[name=sites]", str(SITES))
        page.check("input[name=candidate_source][value=grid]")
        page.click("#plan-start")
        page.wait_for_selector("#plan-compare", timeout=WAIT_MS)
        scenario = PlanScenario.objects.get()
        assert scenario.status == "done", scenario.error
        result = scenario.result
        assert result["method"] == "network" and result["outside"] > 0
        assert page.locator("#plan-gap").inner_text().startswith("0")
        # The chosen sites on the map, on the demo's own basemap (no tile server).
        page.wait_for_selector("#plan-map path.plan-site-exact", timeout=WAIT_MS)
        assert page.locator("#plan-map path.plan-site-exact").count() == SITES
        assert page.locator("#plan-map path.plan-site-greedy").count() == SITES
        page.wait_for_selector("#plan-map[data-basemap-features]", timeout=WAIT_MS)
        assert int(page.get_attribute("#plan-map", "data-basemap-features") or 0) > 10
        names = page.locator("#plan-sites tr[data-site] td:nth-child(2)").all_inner_texts()
        assert names == [s["name"] for s in result["exact"]["sites"]]
        elders = page.locator('#plan-compare td[data-plan="exact"]').inner_text()
        assert int(elders.replace(",", "")) == result["exact"]["elders"] > 0

        page.fill("#plan-keep input[name=name]", "日间照料 2027")
        page.click("#plan-save")
        page.wait_for_selector("#plan-saved-name")
        first = result["exact"]["sites"][0]
        page.click(f'#plan-sites tr[data-site="{first["index"]}"] button[type=submit]')
        page.wait_for_selector("#plan-keep .project")
        project = ConstructionProject.objects.get(scenario=scenario)
        facility = Facility.objects.select_related("organisation").get(pk=project.facility_id)
        assert (facility.status, facility.kind) == ("planned", "day_care_centre")
        assert facility.division_code.startswith(CITY_CODE[:4])
        assert facility.organisation.name in page.locator("#plan-keep .project").inner_text()
        page.goto(f"{base}/facilities/plan/")
        assert page.locator("#plan-saved tr[data-scenario]").count() == 1
    finally:
        page.close()
