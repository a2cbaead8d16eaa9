"""An ability assessment in a real browser, on a phone: the assessor fills the form screen
by screen and watches the running score, submits; a reviewer finalises; the elder's level
and entitlements follow."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from tests.conftest import build_world
from tests.factories import PASSWORD, make_elder
from yiyang.assessments import services
from yiyang.assessments.models import Assessment
from yiyang.assessments.selectors import instrument_current
from yiyang.elders.models import Elder

pytestmark = pytest.mark.django_db(transaction=True)
PHONE = {"width": 390, "height": 844}


def log_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}/")


def no_sideways_scroll(page: Any) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, (page.url, overflow)


def test_an_assessment_on_a_phone_from_form_to_entitlements(
    live_server: Any, browser: Any, tmp_path: Any
) -> None:
    # The instruments are loaded by a data migration, which a transactional test flushes.
    if instrument_current(code=services.GBT42195) is None:
        services.instruments_load_builtin()
    world = build_world()
    elder: Elder = make_elder(world.user["city_admin"], world.div["XA1a"], name="赵玉珍")  # type: ignore[assignment]
    services.eligibility_rule_create(
        actor=world.user["city_admin"],
        name="居家服务补贴",
        entitlement="home_care_allowance",
        amount_yuan="300",
        unit="per_month",
        min_level=1,
        max_level=4,
        valid_from=datetime.date(2020, 1, 1),
    )
    assessment = services.assessment_request(
        actor=world.user["community_worker"], elder=elder, reason="first"
    )
    services.assessment_schedule(
        actor=world.user["community_worker"],
        assessment=assessment,
        assessor=world.user["assessor"],
        scheduled_at=timezone.now(),
        place="家中",
    )
    instrument = instrument_current(code=services.GBT42195)
    assert instrument is not None
    # Every item at full marks except three: a total of 80, level 1 (mild).
    lowered = {"B.1.3": 0, "B.2.4": 0, "B.4.3": 1}
    base = live_server.url
    detail = f"{base}/assessments/{assessment.external_id}/"

    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    try:
        log_in(page, base, "assessor")
        page.goto(detail)
        page.click("#open-form")
        page.wait_for_selector('#assessment-form-page[data-step="B.1"]')
        no_sideways_scroll(page)
        # The narrowest phones the city's assessors use: 360 px, still no sideways scroll.
        page.set_viewport_size({"width": 360, "height": 740})
        for step in ("B.1", "B.3", "facts", "summary"):
            page.goto(f"{base}/assessments/{assessment.external_id}/form/?step={step}")
            no_sideways_scroll(page)
        page.goto(f"{base}/assessments/{assessment.external_id}/form/?step=facts")
        page.screenshot(path=str(tmp_path / "form-facts-360.png"), full_page=True)
        page.set_viewport_size(PHONE)
        page.goto(f"{base}/assessments/{assessment.external_id}/form/?step=B.1")
        # Options are large tap targets.
        box = page.locator('label.option[data-item="B.1.1"][data-points="4"]').bounding_box()
        assert box is not None and box["height"] >= 48
        expected_total = 0
        answered = 0
        for domain in instrument.definition["domains"]:
            page.wait_for_selector(f'#assessment-form-page[data-step="{domain["code"]}"]')
            no_sideways_scroll(page)
            for item in domain["items"]:
                points = lowered.get(item["code"], max(o["points"] for o in item["options"]))
                page.locator(
                    f'label.option[data-item="{item["code"]}"][data-points="{points}"]'
                ).tap()
                expected_total += points
                answered += 1
                # The running score follows every answer (scored by the platform).
                page.wait_for_function(
                    "([total, answered]) => document.getElementById('running-total').textContent"
                    " === String(total) && document.getElementById('answered-count').textContent"
                    " === String(answered)",
                    arg=[expected_total, answered],
                )
            if domain["code"] == "B.1":
                page.screenshot(path=str(tmp_path / "form-b1-390.png"), full_page=False)
            page.click("#next-screen")
        # The screen of the change-rule facts, then the summary.
        page.wait_for_selector('#assessment-form-page[data-step="facts"]')
        no_sideways_scroll(page)
        page.locator('label.option[data-fact="coma"][data-value="no"]').tap()
        page.click("#next-screen")
        page.wait_for_selector('#assessment-form-page[data-step="summary"]')
        assert page.inner_text("#running-total") == "80"
        assert page.inner_text("#answered-count") == "26"
        # Half-way save and resume: a reload of an earlier screen shows the saved answers.
        page.goto(f"{base}/assessments/{assessment.external_id}/form/?step=B.2")
        assert page.locator('input[name="B.2.4"][value="0"]').is_checked()
        page.goto(f"{base}/assessments/{assessment.external_id}/form/?step=summary")
        page.click("#submit-assessment")
        page.wait_for_url(detail)
        assert page.get_attribute("#assessment-status", "data-status") == "submitted"
    finally:
        context.close()

    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    try:
        log_in(page, base, "district_officer")
        page.goto(f"{base}/assessments/elders/{elder.external_id}/")
        assert page.get_attribute("#level-now", "data-level") == ""
        assert page.locator("#no-entitlements").count() == 1
        page.goto(detail)
        no_sideways_scroll(page)
        page.screenshot(path=str(tmp_path / "detail-390.png"), full_page=True)
        assert "80" in page.inner_text("#result-total")
        page.click("#finalise")
        page.wait_for_selector('#assessment-status[data-status="final"]')
        page.goto(f"{base}/assessments/elders/{elder.external_id}/")
        no_sideways_scroll(page)
        assert page.get_attribute("#level-now", "data-level") == "mild"
        entitlements = page.inner_text("#entitlements")
        assert "居家服务补贴" in entitlements and "300.00" in entitlements
        assert page.locator("#trend svg circle").count() == 1
        page.screenshot(path=str(tmp_path / "elder-390.png"), full_page=True)
        page.goto(f"{detail}report/")
        no_sideways_scroll(page)
        page.screenshot(path=str(tmp_path / "report-390.png"), full_page=True)
    finally:
        context.close()
    elder.refresh_from_db()
    assert elder.ability_level == "mild"
    assert Assessment.objects.get(pk=assessment.pk).final_level == 1
