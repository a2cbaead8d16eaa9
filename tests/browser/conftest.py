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
            _watch_policy(browser)
            yield browser
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


# Content-Security-Policy violations any page reports on the console during a test: the
# journeys fail if a template or script needs inline code or styles the policy forbids.
CSP_VIOLATIONS: list[str] = []


def _listen(page: Any) -> Any:
    def on_console(message: Any) -> None:
        if "Content Security Policy" in message.text:
            CSP_VIOLATIONS.append(f"{page.url}: {message.text}")

    page.on("console", on_console)
    return page


def _watch_policy(browser: Any) -> None:
    new_page, new_context = browser.new_page, browser.new_context

    def page_with_listener(*args: Any, **kwargs: Any) -> Any:
        return _listen(new_page(*args, **kwargs))

    def context_with_listener(*args: Any, **kwargs: Any) -> Any:
        context = new_context(*args, **kwargs)
        context.on("page", _listen)
        return context

    browser.new_page = page_with_listener
    browser.new_context = context_with_listener


@pytest.fixture(autouse=True)
def _no_policy_violations() -> Iterator[None]:
    CSP_VIOLATIONS.clear()
    yield
    assert CSP_VIOLATIONS == []


@pytest.fixture(autouse=True)
def _password_logins(settings: Any) -> None:
    """The journeys log in through the form with a password, as the demo does (two-factor
    authentication off); two-factor itself is tested in tests/accounts and tests/security."""
    settings.YIYANG_2FA_REQUIRED_ROLES = []


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
