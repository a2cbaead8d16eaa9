"""The dashboard, the command-centre screen and the report in a real browser: charts draw,
the map shows the boundaries, drill-down works for the city administrator and a street
officer, a new alert appears on the screen without a reload, and the report downloads.

With YIYANG_SCREENSHOT_DIR set, the dashboard and the screen are also photographed at 1366
and 360 px wide (for review by eye; the pictures are not kept in the repository)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

from tests.alerts.helpers import bound_device, elder_with_contacts, msg
from tests.conftest import World, build_world
from tests.factories import PASSWORD
from yiyang.alerts.services import device_messages_ingest
from yiyang.core.services import division_boundaries_import

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = os.environ.get("YIYANG_SCREENSHOT_DIR", "")


def box(west: float, south: float, east: float, north: float) -> list[list[float]]:
    return [[west, south], [east, south], [east, north], [west, north], [west, south]]


def outlines(world: World) -> None:
    """Nested rectangles: the city, its two districts side by side, streets and communities."""
    boxes = {
        "X": (113.45, 34.60, 113.85, 34.90),
        "XA": (113.45, 34.60, 113.65, 34.90),
        "XB": (113.65, 34.60, 113.85, 34.90),
        "XA1": (113.45, 34.60, 113.65, 34.75),
        "XA2": (113.45, 34.75, 113.65, 34.90),
        "XB1": (113.65, 34.60, 113.85, 34.90),
        "XA1a": (113.45, 34.60, 113.55, 34.75),
        "XA1b": (113.55, 34.60, 113.65, 34.75),
        "XA2a": (113.45, 34.75, 113.65, 34.90),
        "XB1a": (113.65, 34.60, 113.85, 34.90),
    }
    features = [
        {
            "type": "Feature",
            "properties": {"code": world.div[k].code},
            "geometry": {"type": "Polygon", "coordinates": [box(*b)]},
        }
        for k, b in boxes.items()
    ]
    division_boundaries_import(
        actor=world.user["city_admin"],
        collection={"type": "FeatureCollection", "features": features},
    )


# Waits on the maps' fetches: generous, because CI machines are shared and a miss here
# would say nothing about the page.
MAP_WAIT_MS = 20_000


def map_ready(page: Any, selector: str) -> None:
    """Wait for a map's outlines; on a miss, say what the page reported instead."""
    try:
        page.wait_for_selector(selector, timeout=MAP_WAIT_MS)
    except Exception as exc:
        state = page.evaluate(
            "() => { const m = document.getElementById('choropleth');"
            " return m ? [...m.attributes].map(a => a.name + '=' + a.value).join(' ') : 'no map'; }"
        )
        raise AssertionError(
            f"{selector} not reached; map: {state}; console: {page.errors}"
        ) from exc


def login(browser: Any, url: str, username: str, **context: Any) -> Any:
    page = browser.new_context(**context).new_page()
    page.errors = []
    page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on(
        "response",
        lambda r: r.status >= 400 and page.errors.append(f"{r.status} {r.url} {r.text()[:300]}"),
    )
    page.goto(f"{url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{url}/")
    return page


CANVAS_DRAWN = """(selector) => {
  const canvas = document.querySelector(selector + ' canvas');
  if (!canvas) return false;
  const ctx = canvas.getContext('2d');
  const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) return true;
  return false;
}"""


def charts_drawn(page: Any) -> None:
    for chart in ("pyramid", "levels", "services"):
        page.wait_for_function(CANVAS_DRAWN, arg=f'[data-chart="{chart}"]', timeout=MAP_WAIT_MS)


def shoot(page: Any, name: str) -> None:
    if not SHOTS:
        return
    Path(SHOTS).mkdir(parents=True, exist_ok=True)
    for width, height in ((1366, 768), (360, 740)):
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(600)
        page.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=name != "screen-1080")


def test_dashboard_drill_down_report_and_live_screen(
    live_server: Any, browser: Any, settings: Any
) -> None:
    settings.YIYANG_2FA_REQUIRED_ROLES = []  # the city administrator logs in as in the demo
    world = build_world()
    outlines(world)
    elder = elder_with_contacts(world, name="王秀英")
    device = bound_device(world, elder)
    url = live_server.url

    page = login(browser, url, "city_admin", accept_downloads=True)
    try:
        page.click("nav.mainnav >> text=数据看板")
        page.wait_for_url(f"{url}/dashboard/")
        assert page.locator("h1").inner_text().startswith("城X")
        charts_drawn(page)
        map_ready(page, '#choropleth[data-boundaries="2"]')
        map_ready(page, "#choropleth[data-basemap-features]")
        assert int(page.get_attribute("#choropleth", "data-basemap-features")) >= 10
        assert page.locator("#choropleth path.leaflet-interactive").count() == 2
        shoot(page, "dashboard")
        page.set_viewport_size({"width": 1366, "height": 768})

        # Drill down by clicking a district on the map, then a street by its link, and back.
        page.locator("#choropleth path.leaflet-interactive").first.click(force=True)
        page.wait_for_selector("h1 >> text=区XA", timeout=MAP_WAIT_MS)
        map_ready(page, '#choropleth[data-boundaries="2"]')
        page.click(f'nav.drill a[data-drill="{world.div["XA1"].code}"]')
        page.wait_for_selector("h1 >> text=街XA1")
        charts_drawn(page)
        page.click("nav.crumbs >> text=城X")
        page.wait_for_selector("h1 >> text=城X")

        # The monthly report downloads as a PDF.
        with page.expect_download() as download:
            page.click('[data-report="pdf"]')
        assert download.value.suggested_filename.endswith(".pdf")
        assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
        # And as a workbook, one sheet per table.
        with page.expect_download() as workbook:
            page.click('[data-report="xlsx"]')
        assert workbook.value.suggested_filename.endswith(".xlsx")
        assert Path(workbook.value.path()).read_bytes().startswith(b"PK")
    finally:
        page.context.close()

    street = login(browser, url, "street_officer")
    try:
        street.goto(f"{url}/dashboard/")
        assert street.locator("h1").inner_text().startswith("街XA1")
        charts_drawn(street)
        map_ready(street, '#choropleth[data-boundaries="2"]')
        assert street.locator("nav.crumbs a").count() == 0  # nothing above the street
        street.click(f'nav.drill a[data-drill="{world.div["XA1a"].code}"]')
        street.wait_for_selector("h1 >> text=社区XA1a")
        street.click("nav.crumbs >> text=街XA1")
        street.wait_for_selector("h1 >> text=街XA1")
    finally:
        street.context.close()

    screen = login(browser, url, "operator", viewport={"width": 1920, "height": 1080})
    try:
        screen.goto(f"{url}/dashboard/screen/")
        screen.wait_for_selector("#screen-map[data-open-alerts]", timeout=MAP_WAIT_MS)
        screen.wait_for_selector("#screen-map[data-basemap-features]", timeout=MAP_WAIT_MS)
        no_scroll = screen.evaluate(
            "() => [document.documentElement.scrollHeight <= innerHeight,"
            " document.documentElement.scrollWidth <= innerWidth]"
        )
        assert no_scroll == [True, True]
        assert screen.locator("[data-alert]").count() == 0
        if SHOTS:
            screen.screenshot(path=f"{SHOTS}/screen-1920.png")
        time.sleep(0.5)  # the event stream is open
        screen.evaluate("() => { window.sameDocument = true; }")  # gone on any reload
        device_messages_ingest(messages=[msg(device, "sos", ts=time.time())])
        screen.wait_for_selector("[data-alert] >> text=按下SOS键", timeout=MAP_WAIT_MS)
        assert screen.evaluate("() => window.sameDocument === true")
        screen.wait_for_selector('#screen-map[data-open-alerts="1"]', timeout=MAP_WAIT_MS)
        assert screen.locator('[data-visits="planned"]').inner_text() == "0"
        shoot(screen, "screen")
    finally:
        screen.context.close()
