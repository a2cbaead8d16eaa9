"""Supervision in a real browser: an institution applies for a star rating, the evaluator
scores it on site on a tablet (landscape 1024×768, then portrait 768×1024) with a photo,
the district reviews, the city publishes, and the level appears on the public page; a
complaint registered by the call centre passes its deadlines and escalates to the city
(the escalation command run as of a later moment: no sleeping)."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone

from tests.browser.test_visit_journey import log_in, no_sideways_scroll, png
from tests.conftest import build_world
from tests.factories import UserFactory
from tests.supervision.conftest import FULL
from tests.supervision.test_pages import facility_for
from yiyang.core.permissions import Role
from yiyang.supervision.models import Complaint, EvidencePhoto, Rating
from yiyang.supervision.selectors import active_scheme
from yiyang.supervision.services import rating_scheme_load

pytestmark = pytest.mark.django_db(transaction=True)

LANDSCAPE = {"width": 1024, "height": 768}
PORTRAIT = {"width": 768, "height": 1024}
EVIDENCE = {"E2", "F3", "M1", "M3"}
SCHEME = Path(__file__).resolve().parents[2] / "yiyang/supervision/schemes/gbt37276-2018.json"


def _step(browser: Any, base: str, username: str, path: str, button: str) -> None:
    """Log in on a desk, open a page and press one of its buttons."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    log_in(page, base, username)
    page.goto(f"{base}{path}")
    page.click(button)
    page.wait_for_selector("ul.messages li.success")
    context.close()


def _score_on_a_tablet(browser: Any, base: str, rating: Rating, photo: Path) -> None:
    tablet = browser.new_context(viewport=LANDSCAPE, is_mobile=True, has_touch=True)
    page = tablet.new_page()
    log_in(page, base, "evaluator")
    page.goto(f"{base}/supervision/ratings/{rating.external_id}/")
    page.click("a.btn:has-text('现场评分')")
    no_sideways_scroll(page)
    # The scheme's figures are flagged: the page's notice and each of the 14 items.
    assert page.locator("p[data-unverified]").count() == 1
    assert page.locator("legend [data-unverified]").count() == 14
    # First save: half the items, F3 with a photo taken on site.
    codes = list(FULL)
    for code in codes[:7]:
        page.fill(f"input[name=points_{code}]", str(FULL[code]))
        if code in EVIDENCE and code != "F3":
            page.fill(f"textarea[name=note_{code}]", "现场核查")
    page.set_input_files("input[name=photos_F3]", str(photo))
    page.click(".score-actions button.primary")
    page.wait_for_selector("ul.messages li.success")
    assert "1000" not in page.locator("#running").inner_text()
    page.set_viewport_size(PORTRAIT)  # the evaluator turns the tablet
    no_sideways_scroll(page)
    for code in codes[7:]:
        page.fill(f"input[name=points_{code}]", str(FULL[code]))
        if code in EVIDENCE:
            page.fill(f"textarea[name=note_{code}]", "现场核查")
    page.click("button[name=finish]")
    page.wait_for_selector("ul.messages li.success")
    running = page.locator("#running").inner_text()
    assert "1000" in running and "5★" in running
    assert page.locator("#item-F3 a[data-photo]").count() == 1
    tablet.close()


def test_apply_score_review_publish_and_a_complaint_escalates(
    live_server: Any, browser: Any, tmp_path: Path
) -> None:
    if active_scheme("care_institution") is None:  # seeded by a migration a flush removed
        definition = json.loads(SCHEME.read_text(encoding="utf-8"))
        rating_scheme_load(definition=definition)
    world = build_world()
    institution = world.org["institution_XA1a"]
    UserFactory(username="manager_inst", role=Role.PROVIDER_MANAGER, organisation=institution)
    facility_for(institution, beds=100, opening_hours="全天")
    photo = tmp_path / "现场.png"
    photo.write_bytes(png())
    base = live_server.url

    # The institution applies for five stars.
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    log_in(page, base, "manager_inst")
    page.goto(f"{base}/supervision/ratings/")
    page.select_option("select[name=level]", "5")
    page.click("form[action$='/ratings/apply/'] button[type=submit]")
    page.wait_for_selector("ul.messages li.success")
    rating = Rating.objects.get(organisation=institution)
    assert rating.status == "submitted"
    context.close()

    # The district assigns the evaluator, who scores on site on a tablet.
    _step(
        browser,
        base,
        "district_officer",
        f"/supervision/ratings/{rating.external_id}/",
        "form:has(input[value=assign]) button[type=submit]",
    )
    rating.refresh_from_db()
    assert rating.status == "scoring"
    _score_on_a_tablet(browser, base, rating, photo)
    rating.refresh_from_db()
    assert (rating.status, rating.total, rating.computed_level) == ("scored", 1000, 5)
    assert EvidencePhoto.objects.filter(item_score__rating=rating).count() == 1

    # The district reviews, the city publishes.
    _step(
        browser,
        base,
        "district_officer",
        f"/supervision/ratings/{rating.external_id}/",
        "button[value=approve]",
    )
    _step(
        browser,
        base,
        "city_admin",
        f"/supervision/ratings/{rating.external_id}/",
        "button[value=publish]",
    )
    rating.refresh_from_db()
    assert (rating.status, rating.level) == ("published", 5)

    # The level is on the public page, for anyone, on a phone.
    cache.clear()
    public = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    visitor = public.new_page()
    visitor.goto(f"{base}/public/")
    row = visitor.locator("article.public-entry", has_text="院XA1a")
    assert row.locator("[data-field=level]").inner_text() == "5"
    no_sideways_scroll(visitor)
    public.close()

    # The call centre registers a complaint; its deadlines pass and it escalates.
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    log_in(page, base, "operator")
    page.goto(f"{base}/supervision/complaints/")
    page.select_option("select[name=channel]", "call_centre")
    page.select_option("select[name=organisation]", label="院XA1a")
    page.fill("textarea[name=text]", "夜间无人值守")
    page.click("form[action$='/complaints/new/'] button[type=submit]")
    page.wait_for_selector("ul.messages li.success")
    complaint = Complaint.objects.get(text="夜间无人值守")
    late = complaint.answer_by + datetime.timedelta(days=30)
    call_command("escalate-overdue", "--now", timezone.localtime(late).isoformat())
    page.goto(f"{base}/supervision/complaints/?escalated=1")
    row = page.locator("tr", has_text=complaint.number)
    assert "已升级至市级" in row.inner_text()
    page.goto(f"{base}/supervision/complaints/{complaint.external_id}/")
    assert "已升级至市级" in page.locator("dl.facts").inner_text()
    complaint.refresh_from_db()
    assert complaint.escalation == 2
    context.close()
