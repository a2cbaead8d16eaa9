"""Browser tests: Playwright driving Debian's Chromium (/usr/bin/chromium) against the live
server. Skipped when Chromium is missing, unless YIYANG_REQUIRE_BROWSER=1 (CI), where a
missing browser is a failure."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path(os.environ.get("YIYANG_CHROMIUM", "/usr/bin/chromium"))
ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        if os.environ.get("YIYANG_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package")
        pytest.skip(f"{CHROMIUM} is missing: `apt-get install -y chromium` to run browser tests")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
    # between browser steps are ordinary synchronous code.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=ARGS, headless=True
            )
            yield browser
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def _read_uncommitted(sender: Any, connection: Any, **kwargs: Any) -> None:
    """The live server's threads share the in-memory test database through SQLite's shared
    cache, where a reader's table lock makes a concurrent writer fail at once (no busy
    timeout). Readers that take no table locks let a page's long-lived event stream run
    beside its form posts, as they do on a file database or PostgreSQL."""
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA read_uncommitted = 1")


@pytest.fixture(autouse=True)
def _shared_cache_readers() -> Iterator[None]:
    from django.db.backends.signals import connection_created

    connection_created.connect(_read_uncommitted)
    try:
        yield
    finally:
        connection_created.disconnect(_read_uncommitted)
