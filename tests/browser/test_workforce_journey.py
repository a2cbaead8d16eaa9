"""The caregiver roster in a real browser: a provider uploads a roster with errors and sees
each rejected row; a caregiver checks in to a training session by its QR code on a 360-px
phone; the organiser records the pass, and the certificate appears on the caregiver's record
and in the dispatch rules."""

from __future__ import annotations

import csv
import datetime
import re
from pathlib import Path
from typing import Any

import pytest
import segno
from django.utils import timezone

from tests.browser.test_visit_journey import PHONE, log_in, no_sideways_scroll
from tests.conftest import build_world
from tests.factories import UserFactory, citizen_id
from yiyang.core.permissions import Role
from yiyang.services import services as catalogue
from yiyang.services.selectors import certificates_valid_on
from yiyang.workforce.models import Employment
from yiyang.workforce.services import course_create, person_adopt_caregivers, session_create

pytestmark = pytest.mark.django_db(transaction=True)


def _roster(tmp_path: Path) -> Path:
    path = tmp_path / "花名册.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["姓名", "身份证号", "技能等级", "入职日期"])
        writer.writerow(["陈护理", citizen_id("410102", "19800101", 1), "四级", "2024-03-01"])
        writer.writerow(["错级", citizen_id("410102", "19800101", 2), "六级", "2024-03-01"])
    return path


def test_roster_upload_then_qr_check_in_then_certificate(
    live_server: Any, browser: Any, tmp_path: Path
) -> None:
    world = build_world()
    provider = world.org["home_care"]
    manager = UserFactory(username="manager_p", role=Role.PROVIDER_MANAGER, organisation=provider)
    wang = catalogue.caregiver_save(
        actor=manager, provider=provider, name="王护理", user=world.user[Role.CAREGIVER]
    )
    person_adopt_caregivers()
    admin = world.user[Role.CITY_ADMIN]
    course = course_create(
        actor=admin,
        division=world.div["X"],
        name="养老护理员四级培训",
        theory_hours=8,
        practice_hours=8,
        target_level="4",
        qualification="elder_care_worker",
        certificate_valid_months=36,
    )
    start = timezone.now() - datetime.timedelta(minutes=5)
    session = session_create(
        actor=admin,
        course=course,
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=2),
        place="市培训中心",
        capacity=20,
    )
    base = live_server.url

    desk = browser.new_context(viewport={"width": 1280, "height": 900})
    page = desk.new_page()
    log_in(page, base, "manager_p")
    page.goto(f"{base}/workforce/import/")
    page.set_input_files("input[name=file]", str(_roster(tmp_path)))
    page.select_option("select[name=provider]", str(provider.external_id))
    page.click("#import-form button[type=submit]")
    errors = page.locator("#import-errors")
    assert errors.locator("tbody tr").count() == 1
    row, column, value, reason = errors.locator("tbody tr td").all_inner_texts()
    assert (row, column, value) == ("3", "技能等级", "六级") and "六级" in reason
    page.goto(f"{base}/workforce/training/sessions/{session.external_id}/")
    page.select_option("#enrol-form select[name=enrol]", label="王护理 · 居家公司P")
    page.click("#enrol-form button[type=submit]")
    assert "王护理" in page.locator("#enrolments").inner_text()
    # The QR code on the organiser's screen: what it encodes is the check-in address shown
    # under it (the same modules segno draws for that address).
    scanned = page.locator("#session-qr code").inner_text().strip()
    drawn = page.locator("#session-qr svg path").get_attribute("d")
    assert drawn == _qr_path(scanned)
    assert scanned.endswith(f"/workforce/training/checkin/{session.checkin_token}/")
    desk.close()

    phone = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
    mobile = phone.new_page()
    log_in(mobile, base, "caregiver")
    mobile.goto(scanned)  # what the phone's camera opens
    no_sideways_scroll(mobile)
    mobile.click("#checkin-form button[type=submit]")
    assert mobile.locator("#checked-in").is_visible()
    no_sideways_scroll(mobile)

    desk = browser.new_context(viewport={"width": 1280, "height": 900})
    page = desk.new_page()
    log_in(page, base, "city_admin")
    page.goto(f"{base}/workforce/training/sessions/{session.external_id}/")
    page.fill("#enrolments input[name=score]", "88")
    page.click("#enrolments form button[type=submit]")
    assert "88" in page.locator("#enrolments").inner_text()
    desk.close()

    mobile.goto(f"{base}/workforce/me/")
    certificates = mobile.locator("#certificates").inner_text()
    number = Employment.objects.get(caregiver=wang).caregiver.certificates.get().number
    assert number in certificates
    no_sideways_scroll(mobile)
    phone.close()
    held = certificates_valid_on(caregiver_ids=[wang.pk], day=timezone.localdate())
    assert "elder_care_worker" in held[wang.pk]

    # The dispatch profile the provider assigns visits from: the certificate that dispatch
    # checks, valid.
    desk = browser.new_context(viewport={"width": 1280, "height": 900})
    page = desk.new_page()
    log_in(page, base, "manager_p")
    page.goto(f"{base}/services/caregivers/{wang.external_id}/")
    rules = page.locator("#certificates li[data-qualification=elder_care_worker]")
    assert number in rules.inner_text() and "expired" not in (rules.get_attribute("class") or "")
    desk.close()


def _qr_path(url: str) -> str:
    svg = segno.make(url, error="m").svg_inline(scale=5)
    match = re.search(r' d="([^"]+)"', svg)
    assert match is not None
    return match.group(1)
