"""The main menu on a 360-px phone: folded behind a "Menu" button (a <details> disclosure,
keyboard operable, 44 px tall) so the page's content starts on the first screen; on a
desktop screen it is unfolded with no button."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import build_world

PASSWORD = "Browser-menu-2026"
pytestmark = pytest.mark.django_db(transaction=True)
SHOTS = Path(os.environ.get("YIYANG_SCREENSHOTS") or tempfile.gettempdir()) / "yiyang-screenshots"


def _log_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}/")


def test_the_phone_menu_folds_and_opens_by_keyboard(live_server: Any, browser: Any) -> None:
    world = build_world()
    admin = world.user["city_admin"]
    admin.set_password(PASSWORD)
    admin.save()
    SHOTS.mkdir(parents=True, exist_ok=True)
    phone = browser.new_context(viewport={"width": 360, "height": 640}, locale="zh-CN")
    page = phone.new_page()
    try:
        _log_in(page, live_server.url, admin.username)
        page.goto(f"{live_server.url}/elders/")
        summary = page.locator("#navfold > summary")
        assert summary.is_visible()
        box = summary.bounding_box()
        assert box is not None and box["height"] >= 44 and box["width"] >= 44
        links = page.locator("nav.mainnav a")
        assert links.count() >= 15
        assert not links.first.is_visible()  # folded
        heading = page.locator("main h1").bounding_box()
        assert heading is not None and heading["y"] + heading["height"] < 640, heading
        page.screenshot(path=str(SHOTS / "menu-360-folded.png"))
        # Opened with the keyboard alone; every link then is a 44-px target.
        summary.focus()
        page.keyboard.press("Enter")
        assert page.locator("#navfold").get_attribute("open") is not None
        assert links.first.is_visible()
        for index in range(links.count()):
            link_box = links.nth(index).bounding_box()
            assert link_box is not None and link_box["height"] >= 44
        page.screenshot(path=str(SHOTS / "menu-360-open.png"), full_page=True)
        page.keyboard.press("Enter")
        assert not links.first.is_visible()
    finally:
        phone.close()
    desktop = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = desktop.new_page()
    try:
        _log_in(page, live_server.url, admin.username)
        assert page.locator("nav.mainnav a").first.is_visible()
        assert not page.locator("#navfold > summary").is_visible()
        page.screenshot(path=str(SHOTS / "menu-1366.png"))
    finally:
        desktop.close()
