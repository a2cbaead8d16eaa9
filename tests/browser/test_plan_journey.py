"""The rostering optimiser from the dispatch board in a real browser: the provider manager
opens tomorrow's board, clicks "optimise this day", follows the run's progress until the
proposal shows (figures of both plans, the routes on the map, the timeline), accepts all of
it and sees the visits assigned on the board. Then, on another day: accepting only one
caregiver's route, and re-planning after that caregiver drops out.

The solver runs with a short time limit and an iteration cap, so the days are small and
the runs quick; the assertions follow whatever the run proposed, read from the database."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.test_visit_journey import log_in
from tests.scheduling.conftest import TOMORROW, Day
from tests.visits.conftest import Care, care  # noqa: F401 - the fixture
from yiyang.scheduling.choices import PlanRunStatus
from yiyang.scheduling.models import PlanRun
from yiyang.scheduling.services import plan_run_execute
from yiyang.visits.models import Visit

pytestmark = pytest.mark.django_db(transaction=True)
WIDE = {"width": 1280, "height": 900}


@pytest.fixture
def day(care: Care) -> Day:  # noqa: F811 - the imported fixture
    return Day(care)


@pytest.fixture
def quick(settings: Any) -> None:
    settings.SCHEDULING_TIME_LIMIT = 3
    settings.SCHEDULING_REPLAN_TIME_LIMIT = 3
    settings.SCHEDULING_MAX_ITERATIONS = 300


def five_visits(day: Day) -> list[Visit]:
    return [
        day.visit("JW03", "09:00", "10:00", elder=0),
        day.visit("JW03", "09:00", "10:30", elder=1),
        day.visit("JW03", "11:00", "12:00", elder=2),
        day.visit("JW03", "13:00", "14:00", elder=3),
        day.visit("JW03", "15:00", "16:00", elder=1),
    ]


def proposed(run: PlanRun) -> dict[str, list[str]]:
    return {
        row["id"]: (row["proposed"] or {}).get("caregivers") or [] for row in run.proposal["visits"]
    }


def on_board(page: Any, visit: Visit) -> tuple[str | None, bool]:
    """(the caregiver row the visit is in on the board's timeline, whether it is listed as
    unassigned)."""
    block = page.locator(f"#timeline [data-visit='{visit.external_id}']")
    row = (
        block.first.evaluate("b => b.closest('[data-caregiver]').dataset.caregiver")
        if block.count()
        else None
    )
    listed = page.locator(f"#unassigned tr[data-visit='{visit.external_id}']").count() > 0
    return row, listed


def test_optimise_follow_compare_and_accept_all(
    live_server: Any,
    browser: Any,
    care: Care,  # noqa: F811
    day: Day,
    quick: None,
    settings: Any,
) -> None:
    # the run waits for a worker (here: this test), so the page shows its progress first
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    visits = five_visits(day)
    base = live_server.url
    page = browser.new_page(viewport=WIDE)
    try:
        log_in(page, base, care.manager.username)
        page.goto(f"{base}/visits/board/?date={TOMORROW.isoformat()}")
        assert page.locator("#board-counts [data-count=unassigned]").inner_text() == "5"
        page.click("#optimise-day button[type=submit]")
        page.wait_for_selector("#plan-progress[hx-get]")
        run = PlanRun.objects.get()
        assert run.status == PlanRunStatus.QUEUED
        assert (run.time_limit, run.max_iterations) == (3, 300)
        assert page.locator("#plan-figures").count() == 0

        # the worker's part; the page polls and shows the proposal when the run is done
        plan_run_execute(run.pk)
        page.wait_for_selector("#plan-figures", timeout=15000)
        run.refresh_from_db()
        assert run.status == PlanRunStatus.DONE, run.error
        plan = proposed(run)
        assert all(plan[str(v.external_id)] for v in visits)

        # the figures of both plans side by side, with the difference
        row = page.locator("#plan-figures tr[data-figure=unassigned]")
        assert row.locator("[data-plan=current]").inner_text() == "5"
        assert row.locator("[data-plan=proposal]").inner_text() == "0"
        assert row.locator("[data-plan=diff]").inner_text() == "-5"
        travel = page.locator("#plan-figures tr[data-figure=travel_minutes] [data-plan=proposal]")
        assert float(travel.inner_text()) == run.proposal["proposal"]["travel_minutes"]

        # the map: one line per caregiver with a proposed route, a marker per visit
        routes = {cid for cids in plan.values() for cid in cids}
        page.wait_for_selector("#plan-map path.plan-route-new")
        assert page.locator("#plan-map path.plan-route-new").count() == len(routes)
        for visit in visits:
            marker = page.locator(f"#plan-map .plan-stop[data-visit='{visit.external_id}']")
            assert marker.count() == 1
            assert marker.get_attribute("data-route") == plan[str(visit.external_id)][0]
        assert page.locator("#plan-map .plan-stop.unplanned").count() == 0
        # today's plan on the map: no routes yet, every visit marked unplanned
        page.check("input[name=map_view][value=now]")
        page.wait_for_selector("#plan-map[data-showing=now]")
        assert page.locator("#plan-map path.plan-route-new").count() == 0
        assert page.locator("#plan-map path.plan-route-now").count() == 0
        assert page.locator("#plan-map .plan-stop.unplanned").count() == 5

        # the timeline: each visit in its proposed caregiver's row
        for visit in visits:
            cid = plan[str(visit.external_id)][0]
            block = page.locator(
                f"#plan-timeline .plan-new[data-caregiver='{cid}'] [data-visit='{visit.external_id}']"
            )
            assert block.count() == 1

        page.click("#accept-all")
        page.wait_for_selector("#plan-accepted")
        assert page.locator("#plan-refused").count() == 0
        assert page.locator("input[name=visits]").count() == 0

        page.click("#back-to-board")
        page.wait_for_selector("#timeline")
        assert page.locator("#board-counts [data-count=unassigned]").inner_text() == "0"
        for visit in visits:
            assert on_board(page, visit) == (plan[str(visit.external_id)][0], False)
            visit.refresh_from_db()
            assert visit.status == "assigned"
    finally:
        page.close()


def test_accept_one_route_then_replan_after_a_dropout(
    live_server: Any,
    browser: Any,
    care: Care,  # noqa: F811
    day: Day,
    quick: None,
) -> None:
    visits = five_visits(day)
    base = live_server.url
    page = browser.new_page(viewport=WIDE)
    try:
        log_in(page, base, care.manager.username)
        page.goto(f"{base}/visits/board/?date={TOMORROW.isoformat()}")
        page.click("#optimise-day button[type=submit]")
        # tests run background tasks at once: the proposal is there straight away
        page.wait_for_selector("#plan-figures", timeout=15000)
        run = PlanRun.objects.get()
        plan = proposed(run)
        chosen = plan[str(visits[0].external_id)][0]
        mine = [v for v in visits if chosen in plan[str(v.external_id)]]
        others = [v for v in visits if v not in mine]
        assert others, plan  # three caregivers share five visits

        # untick everything, tick one caregiver's route: its visits are ticked with it
        page.uncheck("#plan-tick-all")
        assert page.locator("input[name=visits]:checked").count() == 0
        page.check(f"input[name=caregivers][value='{chosen}']")
        ticked = page.locator("input[name=visits]:checked")
        assert sorted(ticked.evaluate_all("boxes => boxes.map(b => b.value)")) == sorted(
            str(v.external_id) for v in mine
        )
        page.click("#accept-ticked")
        page.wait_for_selector("#plan-accepted")
        run.refresh_from_db()
        assert sorted(run.accept_result["assigned"]) == sorted(str(v.external_id) for v in mine)

        page.click("#back-to-board")
        page.wait_for_selector("#timeline")
        for visit in mine:
            assert on_board(page, visit) == (chosen, False)
        for visit in others:
            assert on_board(page, visit) == (None, True)

        # the chosen caregiver drops out: re-plan the day without them
        page.click("#plans-of-day")
        page.wait_for_selector("#replan-form")
        page.select_option("#replan-form select[name=caregiver]", chosen)
        page.click("#replan-form button[type=submit]")
        page.wait_for_selector("#plan-figures", timeout=15000)
        replan = PlanRun.objects.get(kind="replan")
        assert replan.dropped_caregiver is not None
        assert str(replan.dropped_caregiver.external_id) == chosen
        assert page.locator("#plan-replan-changes").count() == 1
        again = proposed(replan)
        moved = [v for v in mine if again[str(v.external_id)]]
        assert all(chosen not in again[str(v.external_id)] for v in mine)
        # the dropped caregiver has no proposed route on the map, only today's
        page.wait_for_selector("#plan-map .plan-stop")
        assert page.locator(f"#plan-map .plan-stop[data-route='{chosen}']").count() == 0
        page.click("#accept-all")
        page.wait_for_selector("#plan-accepted")
        for visit in moved:
            visit.refresh_from_db()
            assert visit.caregiver is not None
            assert str(visit.caregiver.external_id) == again[str(visit.external_id)][0]
        assert not Visit.objects.filter(caregiver=replan.dropped_caregiver).exists()
    finally:
        page.close()
