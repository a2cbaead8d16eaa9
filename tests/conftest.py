"""Shared fixtures: a small world of two cities, users of every role, logged-in clients.

City X (4191) has districts XA and XB; XA has streets XA1 and XA2. City Y (4192) lies
outside every user's scope, so it is the "outside" for the scope matrix.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client
from django.utils import translation
from django_otp import DEVICE_ID_SESSION_KEY
from hypothesis import HealthCheck, settings

from tests.factories import OrganisationFactory, UserFactory, confirmed_totp, make_child, make_city
from yiyang.accounts.models import User
from yiyang.core.choices import DivisionLevel as L
from yiyang.core.models import Division
from yiyang.core.permissions import Role
from yiyang.organisations.choices import OrganisationKind as K
from yiyang.organisations.choices import Ownership
from yiyang.organisations.models import Organisation

# Property tests run on a shared 2-core machine beside other workers: the time a test takes
# there says nothing about the code, so neither Hypothesis's deadline nor its "input
# generation is slow" check may fail a run (the examples and the shrinking stay the same).
settings.register_profile("yiyang", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("yiyang")

# Tests that do not depend on DATABASE_URL run in the SQLite pass only (docs/adr/0008): the
# demo is built on the embedded default in production too, browser journeys exercise pages
# whose queries the unit tests cover on both databases, and the live gateway tests run out
# of process on a SQLite file of their own, and the language walks read the words of pages
# whose queries the page tests cover on both databases (docs/adr/0008).
ONCE_DIRECTORIES = ("tests/demo/", "tests/browser/", "tests/language/")
# A test that reaches no database fixture (pure rules, the solver, parsers, templates' words)
# cannot behave differently on PostgreSQL: it runs in the SQLite pass only as well.
# (`django_db_blocker` is not one: pytest-django's autouse fixtures request it for every test.)
DATABASE_FIXTURES = frozenset({"db", "transactional_db", "django_db_setup", "live_server"})


def uses_database(item: pytest.Item) -> bool:
    if item.get_closest_marker("django_db"):
        return True
    return bool(DATABASE_FIXTURES.intersection(getattr(item, "fixturenames", ())))


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    on_postgres = os.environ.get("DATABASE_URL", "").startswith(("postgres:", "postgresql:"))
    kept, dropped = [], []
    for item in items:
        path = str(item.fspath)
        if (
            item.get_closest_marker("mqtt")
            or any(d in path for d in ONCE_DIRECTORIES)
            or not uses_database(item)
        ):
            item.add_marker(pytest.mark.once)
        (dropped if on_postgres and item.get_closest_marker("once") else kept).append(item)
        # The browser and live-broker pass runs on parallel workers (`--dist loadgroup`):
        # a browser file stays on one worker (its module fixtures are built once), and the
        # live-broker cases run one after another on one worker, so that no two streams of
        # 10,000 SOS share the two cores while the kill tests time restarts.
        # A test that names its own group (a long walk split in halves) keeps it.
        if item.get_closest_marker("xdist_group"):
            continue
        if item.get_closest_marker("mqtt"):
            item.add_marker(pytest.mark.xdist_group("live-broker"))
        elif "tests/browser/" in path:
            item.add_marker(pytest.mark.xdist_group(path))
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    django_db_modify_db_settings_parallel_suffix: None,
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Browser journeys on SQLite use a database file, not the default in-memory one. The
    in-memory test database is one connection that Django's live server shares between its
    request threads, so a page's concurrent requests (the page, its map outlines, its
    basemap; each saving the session) step on each other's transactions and one of them
    fails at random (seen as a 400 from the session middleware). A file gives each request
    its own connection, with WAL and a busy timeout, as in production."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    browser = any("tests/browser/" in str(item.fspath) for item in request.session.items)
    if database["ENGINE"] == "django.db.backends.sqlite3" and browser:
        folder = tmp_path_factory.mktemp("sqlite")
        database.setdefault("TEST", {})["NAME"] = str(folder / "test_yiyang.sqlite3")


@dataclass
class World:
    div: dict[str, Division] = field(default_factory=dict)
    org: dict[str, Organisation] = field(default_factory=dict)
    user: dict[str, User] = field(default_factory=dict)


def build_world() -> World:
    w = World()
    d = w.div
    d["X"] = make_city("4191", "城X")
    d["XA"] = make_child(d["X"], L.DISTRICT, 2, "区XA")
    d["XB"] = make_child(d["X"], L.DISTRICT, 21, "县XB", is_urban=False)
    d["XA1"] = make_child(d["XA"], L.STREET, 1, "街XA1")
    d["XA2"] = make_child(d["XA"], L.STREET, 2, "街XA2")
    d["XB1"] = make_child(d["XB"], L.STREET, 1, "镇XB1", is_urban=False)
    d["XA1a"] = make_child(d["XA1"], L.COMMUNITY, 1, "社区XA1a", population_60_plus=1000)
    d["XA1b"] = make_child(d["XA1"], L.COMMUNITY, 2, "社区XA1b", population_60_plus=800)
    d["XA2a"] = make_child(d["XA2"], L.COMMUNITY, 1, "社区XA2a", population_60_plus=900)
    d["XB1a"] = make_child(d["XB1"], L.COMMUNITY, 201, "村XB1a", is_urban=False)
    d["Y"] = make_city("4192", "城Y")
    d["YA"] = make_child(d["Y"], L.DISTRICT, 2, "区YA")
    d["YA1"] = make_child(d["YA"], L.STREET, 1, "街YA1")
    d["YA1a"] = make_child(d["YA1"], L.COMMUNITY, 1, "社区YA1a")
    o = w.org
    for key in ("XA1a", "XA1b", "XA2a", "XB1a", "YA1a"):
        o[f"station_{key}"] = OrganisationFactory(name=f"站_{key}", division=d[key])
    o["operator"] = OrganisationFactory(
        name="运营商Q", kind=K.THIRD_PARTY_OPERATOR, division=d["XA1a"], ownership=Ownership.PRIVATE
    )
    o["station_XA2a"].operator = o["operator"]
    o["station_XA2a"].save()
    o["home_care"] = OrganisationFactory(
        name="居家公司P", kind=K.HOME_CARE_COMPANY, division=d["XA1b"], ownership=Ownership.PRIVATE
    )
    o["home_YA"] = OrganisationFactory(
        name="居家公司YA", kind=K.HOME_CARE_COMPANY, division=d["YA1a"], ownership=Ownership.PRIVATE
    )
    o["institution_XA1a"] = OrganisationFactory(
        name="院XA1a",
        kind=K.CARE_INSTITUTION,
        division=d["XA1a"],
        ownership=Ownership.PUBLIC,
        total_beds=100,
        nursing_beds=70,
        occupied_beds=80,
    )
    u = w.user
    scopes: dict[str, dict[str, Any]] = {
        Role.CITY_ADMIN: {"division": d["X"]},
        Role.DISTRICT_OFFICER: {"division": d["XA"]},
        Role.STREET_OFFICER: {"division": d["XA1"]},
        Role.COMMUNITY_WORKER: {"division": d["XA1a"]},
        Role.PROVIDER_MANAGER: {"organisation": o["operator"]},
        Role.CAREGIVER: {"organisation": o["home_care"]},
        Role.OPERATOR: {"division": d["X"]},
        Role.ASSESSOR: {"division": d["XA"]},
        Role.AUDITOR: {"division": d["X"]},
        Role.FAMILY: {},
        Role.EVALUATOR: {"division": d["X"]},
        Role.FINANCE_OFFICER: {"division": d["X"]},
        # Repointed to a canteen by the meal tests; no other app lets this role in.
        Role.CANTEEN_STAFF: {"organisation": o["station_XA1a"]},
    }
    for role, scope in scopes.items():
        u[role] = UserFactory(username=str(role), role=role, **scope)
    u["admin_Y"] = UserFactory(username="admin_y", role=Role.CITY_ADMIN, division=d["Y"])
    u["worker_YA1a"] = UserFactory(
        username="worker_ya1a", role=Role.COMMUNITY_WORKER, division=d["YA1a"]
    )
    return w


@pytest.fixture(autouse=True)
def fresh_meal_rules() -> None:
    """The counter caches the eligibility rules for a few seconds; a test's rules are rolled
    back without a signal, so each test starts without the previous test's copy."""
    from yiyang.meals.services.subsidy import forget_rules

    forget_rules()


@pytest.fixture(autouse=True)
def english_outside_requests() -> Iterator[None]:
    """Services called directly by tests speak English (pages and the API choose per request)."""
    with translation.override("en"):
        yield


@pytest.fixture
def world(db: None) -> World:
    return build_world()


def login(client: Client, user: User) -> Client:
    """Log in, completing two-factor authentication when the user's role needs it."""
    client.force_login(user)
    from yiyang.accounts.services import user_needs_otp

    if user_needs_otp(user):
        device = user.totpdevice_set.filter(confirmed=True).first() or confirmed_totp(user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def token_for(user: User) -> str:
    """An API token for ``user``, with a valid TOTP code when the user's role needs one (as a
    real client sends it); the device's replay guard is reset so a test may ask twice."""
    from django_otp.oath import totp

    from yiyang.accounts.services import api_token_issue, user_needs_otp

    code = None
    if user_needs_otp(user):
        device = user.totpdevice_set.filter(confirmed=True).first() or confirmed_totp(user)
        device.last_t = -1
        device.throttling_failure_count = 0
        device.save(update_fields=["last_t", "throttling_failure_count"])
        code = str(totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits))
        code = code.zfill(device.digits)
    return api_token_issue(user=user, otp=code)


@pytest.fixture
def client_for(world: World) -> Any:
    def make(role_or_key: str) -> Client:
        return login(Client(), world.user[role_or_key])

    return make
