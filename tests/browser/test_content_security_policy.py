"""Pages under the Content-Security-Policy in a real browser: each renders and reports no
violation (the autouse fixture in conftest.py fails the test on any), the API docs included."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import build_world
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

PAGES = [
    "/",
    "/elders/",
    "/divisions/",
    "/organisations/",
    "/accounts/users/",
    "/audit/",
    "/elders/import/",
    "/alerts/",
    "/alerts/stats/",
    "/assessments/",
]


def test_pages_and_the_api_docs_run_under_the_policy(live_server: Any, browser: Any) -> None:
    build_world()
    page = browser.new_page()
    try:
        page.goto(f"{live_server.url}/api/v1/docs/")
        page.wait_for_selector(".swagger-ui .info", timeout=15000)
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", "city_admin")
        page.fill("#id_password", PASSWORD)
        page.click("main form button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        for path in PAGES:
            response = page.goto(f"{live_server.url}{path}")
            assert response is not None and response.status == 200, path
            assert "script-src 'self'" in response.headers["content-security-policy"], path
            assert response.headers["cache-control"] == "no-store", path
    finally:
        page.close()
