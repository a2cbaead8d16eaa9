"""Property-based fuzzing of the API from its own OpenAPI schema (schemathesis): whatever a
caller sends, the answer is never a 5xx and always matches the documented schema."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from config.wsgi import application
from tests.conftest import build_world
from yiyang.accounts.services import api_token_issue

SCHEMA = schemathesis.openapi.from_file(
    (Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml").read_text(encoding="utf-8")
)
SCHEMA.app = application  # call the WSGI app in-process


@pytest.fixture
def street_officer_token(db: None) -> Iterator[str]:
    world = build_world()
    # Like Django's test client: keep the test's connection (and transaction) open across
    # in-process WSGI requests instead of closing it at the end of each.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield api_token_issue(user=world.user["street_officer"])
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@SCHEMA.exclude(path="/api/v1/auth/token/").parametrize()
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_never_fails_with_a_server_error(
    case: schemathesis.Case, street_officer_token: str
) -> None:
    response = case.call(
        headers={"Authorization": f"Token {street_officer_token}"}, app=application
    )
    assert response.status_code < 500, response.text[:500]
    case.validate_response(response, checks=[schemathesis.checks.not_a_server_error])
