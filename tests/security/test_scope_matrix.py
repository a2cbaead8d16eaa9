"""The scope matrix: for every role, every object type and every access path (page, API,
export), a user reaches exactly what lies in their scope. Outside it: 404 on reads and
writes (403 where the role holds no such permission at all), absent from lists, searches,
counts, exports and form choices, and never changed."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from tests.conftest import World
from yiyang.core.audit import audit_record
from yiyang.core.choices import AuditAction
from yiyang.core.models import AuditEvent
from yiyang.core.permissions import Permission, Role

ROLES = [str(role) for role in Role]
X_ALL_ORGS = {
    "station_XA1a", "station_XA1b", "station_XA2a", "station_XB1a", "operator", "home_care",
    "institution_XA1a",
}  # fmt: skip
XA_ORGS = X_ALL_ORGS - {"station_XB1a"}
ALL_ORGS = X_ALL_ORGS | {"station_YA1a", "home_YA"}

VISIBLE_ORGS: dict[str, set[str]] = {
    Role.CITY_ADMIN: X_ALL_ORGS,
    Role.DISTRICT_OFFICER: XA_ORGS,
    Role.STREET_OFFICER: {
        "station_XA1a",
        "station_XA1b",
        "operator",
        "home_care",
        "institution_XA1a",
    },
    Role.COMMUNITY_WORKER: {"station_XA1a", "operator", "institution_XA1a"},
    Role.PROVIDER_MANAGER: {"operator", "station_XA2a"},
    Role.CAREGIVER: {"home_care"},
    Role.OPERATOR: X_ALL_ORGS,
    Role.ASSESSOR: XA_ORGS,
    Role.AUDITOR: X_ALL_ORGS,
    Role.FAMILY: set(),
    Role.EVALUATOR: set(),
    Role.FINANCE_OFFICER: set(),
    Role.CANTEEN_STAFF: set(),
}

X_DIVS = {"X", "XA", "XB", "XA1", "XA2", "XB1", "XA1a", "XA1b", "XA2a", "XB1a"}
XA_DIVS = {"XA", "XA1", "XA2", "XA1a", "XA1b", "XA2a"}
ALL_DIVS = X_DIVS | {"Y", "YA", "YA1", "YA1a"}
VISIBLE_DIVS: dict[str, set[str]] = {
    Role.CITY_ADMIN: X_DIVS,
    Role.DISTRICT_OFFICER: XA_DIVS,
    Role.STREET_OFFICER: {"XA1", "XA1a", "XA1b"},
    Role.COMMUNITY_WORKER: {"XA1a"},
    Role.PROVIDER_MANAGER: set(),
    Role.CAREGIVER: set(),
    Role.OPERATOR: X_DIVS,
    Role.ASSESSOR: XA_DIVS,
    Role.AUDITOR: X_DIVS,
    Role.FAMILY: set(),
    Role.EVALUATOR: set(),
    Role.FINANCE_OFFICER: set(),
    Role.CANTEEN_STAFF: set(),
}

ALL_USERS = set(ROLES) | {"admin_Y", "worker_YA1a"}
X_USERS = set(ROLES)  # family has no place: seen by city-level administrators of city X
VISIBLE_USERS: dict[str, set[str]] = {role: set() for role in ROLES} | {
    Role.CITY_ADMIN: X_USERS,
    Role.AUDITOR: X_USERS,
}

EVENTS = {"evt_XA1a": "XA1a", "evt_XB1a": "XB1a", "evt_YA1a": "YA1a"}
VISIBLE_EVENTS: dict[str, set[str]] = {role: set() for role in ROLES} | {
    Role.CITY_ADMIN: {"evt_XA1a", "evt_XB1a"},
    Role.AUDITOR: {"evt_XA1a", "evt_XB1a"},
}


def holds(role: str, permission: Permission) -> bool:
    return role in permission.roles


def denied(role: str, permission: Permission) -> int:
    """The status for an object out of reach: 404 if the role may see such objects at all."""
    return 404 if holds(role, permission) else 403


def api_names(client: Client, url: str) -> tuple[int, set[str], int | None]:
    response = client.get(url)
    if response.status_code != 200:
        return response.status_code, set(), None
    body = response.json()
    names = {
        row.get("name") or row.get("username") or row.get("object_repr") for row in body["results"]
    }
    return 200, names, body["count"]


def csv_text(response: Any) -> str:
    return b"".join(response.streaming_content).decode("utf-8-sig")


# ---------------------------------------------------------------- organisations


@pytest.mark.parametrize("role", ROLES)
def test_organisations_page(role: str, world: World, client_for: Callable[[str], Client]) -> None:
    client = client_for(role)
    visible = VISIBLE_ORGS[role]
    listing = client.get("/organisations/")
    if not holds(role, Permission.VIEW_ORGANISATIONS):
        assert listing.status_code == 403
    else:
        assert listing.status_code == 200
        page = listing.content.decode()
        for key in ALL_ORGS:
            assert (world.org[key].name in page) == (key in visible), key
        assert f"{len(visible)} " in page  # the record count shows only what is in scope
    for key in ALL_ORGS:
        org = world.org[key]
        # Search by the exact name finds it only when in scope.
        found = client.get("/organisations/", {"q": org.name})
        if found.status_code == 200:
            assert (str(org.external_id) in found.content.decode()) == (key in visible), key
        detail = client.get(f"/organisations/{org.external_id}/")
        expected = 200 if key in visible else denied(role, Permission.VIEW_ORGANISATIONS)
        assert detail.status_code == expected, key
        before = (org.name, org.status)
        edit = client.post(
            f"/organisations/{org.external_id}/edit/",
            {
                "name": "改名",
                "kind": org.kind,
                "division": str(org.division.pk),
                "status": "closed",
            },
        )
        org.refresh_from_db()
        if key not in visible:
            assert edit.status_code == denied(role, Permission.MANAGE_ORGANISATIONS), key
            assert (org.name, org.status) == before, key


@pytest.mark.parametrize("role", ROLES)
def test_organisations_api(role: str, world: World, client_for: Callable[[str], Client]) -> None:
    client = client_for(role)
    visible = VISIBLE_ORGS[role]
    status, names, count = api_names(client, "/api/v1/organisations/?page_size=500")
    if not holds(role, Permission.VIEW_ORGANISATIONS):
        assert status == 403
    else:
        assert names == {world.org[key].name for key in visible}
        assert count == len(visible)
    for key in ALL_ORGS:
        org = world.org[key]
        status, names, _ = api_names(client, f"/api/v1/organisations/?q={org.name}")
        assert (org.name in names) == (key in visible), key
        detail = client.get(f"/api/v1/organisations/{org.external_id}/")
        expected = 200 if key in visible else denied(role, Permission.VIEW_ORGANISATIONS)
        assert detail.status_code == expected, key
        patch = client.patch(
            f"/api/v1/organisations/{org.external_id}/",
            data=json.dumps({"name": "改名"}),
            content_type="application/json",
        )
        org.refresh_from_db()
        if key not in visible:
            assert patch.status_code == denied(role, Permission.VIEW_ORGANISATIONS), key
            assert org.name != "改名", key
    # Filtering by a division outside the scope finds nothing (no leak through filters).
    status, names, count = api_names(
        client, f"/api/v1/organisations/?division={world.div['YA'].external_id}"
    )
    assert names == set()


@pytest.mark.parametrize("role", ROLES)
def test_organisations_export(role: str, world: World, client_for: Callable[[str], Client]) -> None:
    client = client_for(role)
    response = client.get("/organisations/export.csv")
    if not holds(role, Permission.EXPORT_DATA):
        assert response.status_code == 403
        return
    assert response.status_code == 200
    text = csv_text(response)
    for key in ALL_ORGS:
        assert (world.org[key].name in text) == (key in VISIBLE_ORGS[role]), key
    assert len(text.strip().splitlines()) == 1 + len(VISIBLE_ORGS[role])
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT, actor_username=role).count() == 1


# ---------------------------------------------------------------- divisions


@pytest.mark.parametrize("role", ROLES)
def test_divisions_page(role: str, world: World, client_for: Callable[[str], Client]) -> None:
    client = client_for(role)
    visible = VISIBLE_DIVS[role]
    tree = client.get("/divisions/")
    if not holds(role, Permission.VIEW_DIVISIONS):
        assert tree.status_code == 403
    else:
        page = tree.content.decode()
        for key in ALL_DIVS - visible:
            assert f">{world.div[key].name}<" not in page, key
        assert page.count("<li") >= 1
    for key in ALL_DIVS:
        division = world.div[key]
        found = client.get("/divisions/", {"q": division.code})
        if found.status_code == 200:
            assert (f">{division.name}<" in found.content.decode()) == (key in visible), key
        for suffix in ("", "children/", "edit/"):
            response = client.get(f"/divisions/{division.external_id}/{suffix}")
            if key not in visible:
                permission = Permission.MANAGE_DIVISIONS if suffix else Permission.VIEW_DIVISIONS
                if suffix == "children/":
                    permission = Permission.VIEW_DIVISIONS
                assert response.status_code == denied(role, permission), (key, suffix)
            elif suffix != "edit/":
                assert response.status_code == 200, (key, suffix)
        before = division.name
        client.post(f"/divisions/{division.external_id}/edit/", {"name": "改名"})
        division.refresh_from_db()
        if key not in visible:
            assert division.name == before


@pytest.mark.parametrize("role", ROLES)
def test_divisions_api(role: str, world: World, client_for: Callable[[str], Client]) -> None:
    client = client_for(role)
    visible = VISIBLE_DIVS[role]
    status, names, count = api_names(client, "/api/v1/divisions/?page_size=500")
    if not holds(role, Permission.VIEW_DIVISIONS):
        assert status == 403
    else:
        assert names == {world.div[key].name for key in visible}
        assert count == len(visible)
    for key in ALL_DIVS:
        division = world.div[key]
        detail = client.get(f"/api/v1/divisions/{division.external_id}/")
        expected = 200 if key in visible else denied(role, Permission.VIEW_DIVISIONS)
        assert detail.status_code == expected, key
        patch = client.patch(
            f"/api/v1/divisions/{division.external_id}/",
            data=json.dumps({"name": "改名"}),
            content_type="application/json",
        )
        division.refresh_from_db()
        if key not in visible:
            assert patch.status_code == denied(role, Permission.VIEW_DIVISIONS), key
            assert division.name != "改名"
    # Filtering by a parent outside the scope finds nothing.
    status, names, _ = api_names(client, f"/api/v1/divisions/?parent={world.div['YA'].external_id}")
    assert names == set()


@pytest.mark.parametrize("role", ROLES)
def test_divisions_export(role: str, world: World, client_for: Callable[[str], Client]) -> None:
    response = client_for(role).get("/divisions/export.csv")
    if not holds(role, Permission.EXPORT_DATA):
        assert response.status_code == 403
        return
    text = csv_text(response)
    for key in ALL_DIVS:
        row = f",{world.div[key].code},{world.div[key].name},"
        assert (row in text) == (key in VISIBLE_DIVS[role]), key


# ---------------------------------------------------------------- users


@pytest.mark.parametrize("role", ROLES)
def test_users_page_api_export(
    role: str, world: World, client_for: Callable[[str], Client]
) -> None:
    client = client_for(role)
    visible = VISIBLE_USERS[role]
    status, names, count = api_names(client, "/api/v1/users/?page_size=500")
    if holds(role, Permission.VIEW_USERS):
        assert names == {world.user[key].username for key in visible}
        assert count == len(visible)
        page = client.get("/accounts/users/").content.decode()
        for key in ALL_USERS:
            assert (f">{world.user[key].username}<" in page) == (key in visible), key
    else:
        assert status == 403
        assert client.get("/accounts/users/").status_code == 403
    for key in ALL_USERS:
        target = world.user[key]
        for url in (
            f"/accounts/users/{target.external_id}/",
            f"/api/v1/users/{target.external_id}/",
        ):
            expected = 200 if key in visible else denied(role, Permission.VIEW_USERS)
            assert client.get(url).status_code == expected, (key, url)
        before = target.role
        client.patch(
            f"/api/v1/users/{target.external_id}/",
            data=json.dumps({"role": "city_admin"}),
            content_type="application/json",
        )
        client.post(f"/accounts/users/{target.external_id}/edit/", {"role": "city_admin"})
        target.refresh_from_db()
        if key not in visible:
            assert target.role == before, key
            for action in ("reset-2fa", "unlock"):
                response = client.post(f"/accounts/users/{target.external_id}/{action}/")
                assert response.status_code == denied(role, Permission.VIEW_USERS), (key, action)
    export = client.get("/accounts/users/export.csv")
    if holds(role, Permission.EXPORT_DATA) and holds(role, Permission.VIEW_USERS):
        text = csv_text(export)
        for key in ALL_USERS:
            assert (f",{world.user[key].username}," in text) == (key in visible), key
    else:
        assert export.status_code == 403


# ---------------------------------------------------------------- audit events


@pytest.mark.parametrize("role", ROLES)
def test_audit_events(role: str, world: World, client_for: Callable[[str], Client]) -> None:
    for name, division_key in EVENTS.items():
        audit_record(
            actor=None,
            action=AuditAction.UPDATE,
            object_type="test.thing",
            object_repr=name,
            division_code=world.div[division_key].code,
        )
    client = client_for(role)
    visible = VISIBLE_EVENTS[role]
    status, names, _ = api_names(client, "/api/v1/audit-events/?object_type=test.thing")
    page = client.get("/audit/", {"object_type": "test.thing"})
    export = client.get("/audit/export.csv", {"object_type": "test.thing"})
    if not holds(role, Permission.VIEW_AUDIT_LOG):
        assert (status, page.status_code, export.status_code) == (403, 403, 403)
        return
    assert names == visible
    text = page.content.decode()
    exported = csv_text(export)
    for name in EVENTS:
        assert (name in text) == (name in visible), name
        assert (name in exported) == (name in visible), name


# ---------------------------------------------------------------- form choices


@pytest.mark.parametrize("role", ROLES)
def test_form_choices_offer_nothing_outside(
    role: str, world: World, client_for: Callable[[str], Client]
) -> None:
    """No leak through the choices of forms (the page's autocomplete)."""
    client = client_for(role)
    for url, permission in (
        ("/organisations/new/", Permission.CREATE_ORGANISATIONS),
        ("/accounts/users/new/", Permission.MANAGE_USERS),
        ("/divisions/new/", Permission.MANAGE_DIVISIONS),
        ("/organisations/", Permission.VIEW_ORGANISATIONS),
    ):
        response = client.get(url)
        if not holds(role, permission):
            assert response.status_code == 403, url
            continue
        page = response.content.decode()
        for key in ("Y", "YA", "YA1", "YA1a"):
            assert world.div[key].name not in page, (url, key)
        assert world.org["home_YA"].name not in page, url
