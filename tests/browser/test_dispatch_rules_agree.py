"""One set of dispatch rules in a real browser: accepting the optimiser's whole plan and
dispatching by hand refuse the same assignment with the same words, naming the same
conflicting visit.

The optimiser plans tomorrow; then, before the plan is accepted, the dispatcher gives the
caregiver the plan chose for a 09:00 visit another visit at 09:00 by hand. Accepting the
whole plan refuses that one visit (the others are applied), and the assign page, asked to
give the same visit to the same caregiver, refuses it with the very same sentence."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.test_visit_journey import log_in
from tests.scheduling.conftest import TOMORROW, Day
from tests.visits.conftest import Care, care  # noqa: F401 - the fixture
from yiyang.scheduling.models import PlanRun
from yiyang.services.models import Caregiver
from yiyang.visits import services as dispatch

pytestmark = pytest.mark.django_db(transaction=True)
WIDE = {"width": 1280, "height": 900}


@pytest.fixture
def day(care: Care) -> Day:  # noqa: F811 - the imported fixture
    return Day(care)


@pytest.fixture
def quick(settings: Any) -> None:
    settings.SCHEDULING_TIME_LIMIT = 3
    settings.SCHEDULING_MAX_ITERATIONS = 300  # capped by iterations, not the clock


def test_accepting_a_plan_and_dispatching_by_hand_refuse_alike(
    live_server: Any,
    browser: Any,
    care: Care,  # noqa: F811
    day: Day,
    quick: None,
) -> None:
    tight = day.visit("JW03", "09:00", "09:30", elder=0)  # 30 minutes: starts 09:00 sharp
    others = [
        day.visit("JW03", "11:00", "12:00", elder=1),
        day.visit("JW03", "14:00", "15:00", elder=2),
    ]
    base = live_server.url
    page = browser.new_page(viewport=WIDE)
    try:
        log_in(page, base, care.manager.username)
        page.goto(f"{base}/visits/board/?date={TOMORROW.isoformat()}")
        page.click("#optimise-day button[type=submit]")
        page.wait_for_selector("#plan-figures", timeout=15000)
        run = PlanRun.objects.get()
        rows = {row["id"]: row for row in run.proposal["visits"]}
        chosen_id = rows[str(tight.external_id)]["proposed"]["caregivers"][0]
        chosen = Caregiver.objects.get(external_id=chosen_id)

        # meanwhile, by hand: the same caregiver gets another visit at 09:00
        blocker = day.visit("JW03", "09:00", "09:30", elder=3)
        dispatch.visit_assign(actor=care.manager, visit=blocker, caregivers=[chosen])

        page.click("#accept-all")
        page.wait_for_selector("#plan-accepted")
        run.refresh_from_db()
        assert list(run.accept_result["refused"]) == [str(tight.external_id)]
        (stored,) = run.accept_result["refused"][str(tight.external_id)]
        assert (stored["code"], stored["conflict"]) == ("double_booking", str(blocker.external_id))
        assert sorted(run.accept_result["assigned"]) == sorted(str(v.external_id) for v in others)
        item = page.locator(f"#plan-refused li[data-visit='{tight.external_id}']")
        plan_words = re.sub(r"^.*?[:：]\s*", "", item.inner_text(), count=1).strip()
        assert "09:00" in plan_words and "老人2" in plan_words  # names the blocking visit

        # by hand: the same visit to the same caregiver, on the assign page
        page.goto(f"{base}/visits/{tight.external_id}/assign/")
        for box in page.locator("input[name=caregivers]:checked").all():
            box.uncheck()  # the suggestion may be ticked
        page.check(f"input[name=caregivers][value='{chosen.external_id}']")
        page.click("#assign-form button[type=submit]")
        page.wait_for_selector(".errorlist, .form-errors")
        hand_words = page.locator("#assign-form .errorlist").first.inner_text().strip()
        assert hand_words == plan_words
        # the candidate list says the same of that caregiver
        reason = page.locator(f"#candidates tr[data-caregiver='{chosen.external_id}'] .problem")
        assert reason.first.inner_text().strip() == plan_words
        assert reason.first.get_attribute("data-code") == "double_booking"
    finally:
        page.close()
