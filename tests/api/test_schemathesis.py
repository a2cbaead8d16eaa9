"""The API answers as its published schema says (issue 19, item 9): schemathesis generates
requests for every operation of docs/openapi.yaml, the token endpoint included; every
response must have a documented status code and content type, a body matching the schema
of that status, and never a 5xx.

Three roles with different scopes call (a city administrator, a street officer, a provider
manager). The property-based cases (hypothesis' generate phase) and the schema's own
examples go as each of the three; the coverage cases (boundary and invalid values
schemathesis derives from each parameter, many per operation and mostly refused by
validation before any scope applies) go to one role each, in turn, which sends about a
third of the requests while every role still meets every operation.

The token endpoint is anonymous: its cases go once, without a token. Fuzzing it fails a
login at every case, so for this test the lockout thresholds are out of reach (the fuzz
sees the endpoint, not the lockout page after 20 tries) and the accounts the roles use are
never named (their tokens are issued by the service before any request); the token
throttle's counts, kept in the process's cache beyond the test's transaction, are cleared
before and after so that they cannot reach another test on the same worker.

Bounded for CI: a few deterministic examples per operation (``derandomize``), one small
world per operation with a record of each kind, so that lists and details carry real rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from django.core.cache import cache
from django.test import override_settings
from django_otp.oath import totp
from hypothesis import HealthCheck, Phase, settings
from schemathesis.generation.meta import TestPhase

from config.wsgi import application
from tests.conftest import build_world
from tests.factories import confirmed_totp
from tests.inprocess import in_process_requests
from yiyang.accounts.models import User
from yiyang.accounts.services import api_token_issue, user_needs_otp
from yiyang.core.permissions import Role

SCHEMA = schemathesis.openapi.from_file(
    (Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml").read_text(encoding="utf-8")
)
SCHEMA.app = application

ROLES = ("city_admin", "street_officer", "provider_manager")
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]


def _token(user: User) -> str:
    if not user_needs_otp(user):
        return api_token_issue(user=user)
    device = confirmed_totp(user)
    return api_token_issue(user=user, otp=f"{totp(device.bin_key):06d}")


TOKEN_PATH = "/api/v1/auth/token/"
# Out of reach of any fuzz run: the lockout answers 429 after this many failures.
NO_LOCKOUT = {
    "AXES_FAILURE_LIMIT": 1_000_000,
    "LOGIN_FAILURE_LIMIT_PER_USERNAME": 1_000_000,
    "LOGIN_FAILURE_LIMIT_PER_ADDRESS": 1_000_000,
}


@dataclass
class Callers:
    tokens: dict[str, str]
    coverage_cases: int = 0

    def headers_for(self, case: schemathesis.Case) -> list[dict[str, str]]:
        """The Authorization headers to send the case with: none for the anonymous token
        endpoint, one role in turn for a coverage case, every role otherwise."""
        if case.path == TOKEN_PATH:
            return [{}]
        roles: tuple[str, ...] = ROLES
        if case.meta is not None and case.meta.phase.name == TestPhase.COVERAGE:
            roles = (ROLES[self.coverage_cases % len(ROLES)],)
            self.coverage_cases += 1
        return [{"Authorization": f"Token {self.tokens[role]}"} for role in roles]


@pytest.fixture
def callers(db: None) -> Iterator[Callers]:
    world = build_world()
    cache.clear()  # the token throttle's counts of earlier tests on this worker
    try:
        with in_process_requests(), override_settings(**NO_LOCKOUT):
            yield Callers({role: _token(world.user[role]) for role in ROLES})
    finally:
        cache.clear()  # nor this test's counts a later one


@SCHEMA.parametrize()
@settings(
    max_examples=5,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: bounded time, a failure as found
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_every_operation_answers_as_documented(case: schemathesis.Case, callers: Callers) -> None:
    for headers in callers.headers_for(case):
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS)


def test_a_good_login_on_the_token_endpoint_answers_as_documented(db: None) -> None:
    """The fuzz only ever fails to log in: a good login (with and without a second factor)
    is checked against the schema here, as a separate user the other tests never use."""
    from tests.factories import PASSWORD, UserFactory

    operation = SCHEMA[TOKEN_PATH]["POST"]
    plain = UserFactory(username="schema_plain", role=Role.PROVIDER_MANAGER)
    guarded = UserFactory(username="schema_guarded", role=Role.AUDITOR)
    code = f"{totp(confirmed_totp(guarded).bin_key):06d}"
    assert not user_needs_otp(plain) and user_needs_otp(guarded)
    for body in (
        {"username": plain.username, "password": PASSWORD},
        {"username": guarded.username, "password": PASSWORD, "otp": code},
    ):
        case = operation.Case(body=body, media_type="application/json")
        with in_process_requests():
            response = case.call()
        assert response.status_code == 200, response.text
        case.validate_response(response, checks=CHECKS)


def test_coverage_cases_go_to_one_role_in_turn_and_the_others_to_every_role() -> None:
    from types import SimpleNamespace

    def case(phase: TestPhase, path: str = "/api/v1/elders/") -> Any:
        return SimpleNamespace(path=path, meta=SimpleNamespace(phase=SimpleNamespace(name=phase)))

    callers = Callers({role: role for role in ROLES})
    sent = [callers.headers_for(case(TestPhase.COVERAGE)) for _ in range(4)]
    assert [h["Authorization"] for [h] in sent] == [
        "Token city_admin",
        "Token street_officer",
        "Token provider_manager",
        "Token city_admin",
    ]
    for phase in (TestPhase.FUZZING, TestPhase.EXAMPLES):
        assert len(callers.headers_for(case(phase))) == len(ROLES)
    assert callers.headers_for(case(TestPhase.FUZZING, TOKEN_PATH)) == [{}]  # anonymous
