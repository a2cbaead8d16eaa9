"""The scope matrix for devices and the alert centre: every role, every access path (console,
panel, stream, API list and detail, device list, outbox). Operators see their centre's elders;
providers and families see no alert at all; nothing outside a jurisdiction shows or changes."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.alerts.helpers import bound_device, elder_with_contacts
from tests.conftest import World
from tests.security.matrix import PLACES, ROLES, X_ALL, XA, denied, holds
from yiyang.alerts.models import Alert
from yiyang.alerts.services import alert_raise
from yiyang.core.permissions import Permission, Role

VISIBLE: dict[str, set[str]] = {
    Role.CITY_ADMIN: X_ALL,
    Role.DISTRICT_OFFICER: XA,
    Role.STREET_OFFICER: {"XA1a", "XA1b"},
    Role.COMMUNITY_WORKER: {"XA1a"},
    Role.PROVIDER_MANAGER: set(),
    Role.CAREGIVER: set(),
    Role.OPERATOR: X_ALL,
    Role.ASSESSOR: set(),
    Role.AUDITOR: X_ALL,
    Role.FAMILY: set(),
    Role.EVALUATOR: set(),
    Role.FINANCE_OFFICER: set(),
    Role.CANTEEN_STAFF: set(),
}


@pytest.fixture
def alerts(world: World) -> dict[str, Alert]:
    made = {}
    for place in PLACES:
        elder = elder_with_contacts(world, place, name=f"老人{place}")
        bound_device(world, elder)
        actor = world.user["admin_Y" if place == "YA1a" else "city_admin"]
        made[place] = alert_raise(
            elder=elder, kind="other", detail=f"报警{place}", source="manual", actor=actor
        )
    return made


@pytest.mark.parametrize("role", ROLES)
def test_alert_lists_show_exactly_the_jurisdiction(
    role: str, world: World, alerts: dict[str, Alert], client_for: Any
) -> None:
    client: Client = client_for(role)
    api = client.get("/api/v1/alerts/")
    page = client.get("/alerts/")
    if not holds(role, Permission.VIEW_ALERTS):
        assert (api.status_code, page.status_code) == (403, 403)
        return
    names = {row["elder"]["name"] for row in api.json()["results"]}
    assert names == {f"老人{p}" for p in VISIBLE[role]}
    text = page.content.decode()
    for place in PLACES:
        assert (f"老人{place}" in text) == (place in VISIBLE[role])


@pytest.mark.parametrize("role", ROLES)
def test_alerts_outside_are_404_and_never_change(
    role: str, world: World, alerts: dict[str, Alert], client_for: Any
) -> None:
    client: Client = client_for(role)
    for place, alert in alerts.items():
        if place in VISIBLE[role]:
            continue
        expected = denied(role, Permission.VIEW_ALERTS)
        assert client.get(f"/api/v1/alerts/{alert.external_id}/").status_code == expected
        assert client.get(f"/alerts/{alert.external_id}/panel/").status_code == expected
        assert client.post(f"/api/v1/alerts/{alert.external_id}/acknowledge/").status_code in (
            expected,
            403,
        )
        client.post(f"/alerts/{alert.external_id}/resolve/", {"outcome": "false_alarm"})
        alert.refresh_from_db()
        assert alert.status == "open"


@pytest.mark.parametrize("role", ROLES)
def test_device_lists_show_exactly_the_jurisdiction(
    role: str, world: World, alerts: dict[str, Alert], client_for: Any
) -> None:
    client: Client = client_for(role)
    api = client.get("/api/v1/devices/")
    if not holds(role, Permission.VIEW_DEVICES):
        assert api.status_code == 403
        return
    names = {row["elder"]["name"] for row in api.json()["results"]}
    assert names == {f"老人{p}" for p in VISIBLE[role]}


@pytest.mark.parametrize("role", ROLES)
def test_the_outbox_shows_only_the_jurisdiction(
    role: str, world: World, alerts: dict[str, Alert], client_for: Any
) -> None:
    response = client_for(role).get("/alerts/outbox/")
    if not holds(role, Permission.VIEW_NOTIFICATIONS):
        assert response.status_code == 403
        return
    text = response.content.decode()
    for place in PLACES:
        assert (f"老人{place}" in text) == (place in VISIBLE[role])
