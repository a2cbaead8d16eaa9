"""The scope matrix for the elder registry: every role, every access path (page, search,
API, export, history, access log). Outside the jurisdiction: 404 (403 without the
permission at all), absent from lists, searches, counts and exports, never changed, and
no sensitive field revealed or logged."""

from __future__ import annotations

import io
import json
from collections.abc import Callable

import pytest
from django.test import Client
from openpyxl import load_workbook

from tests.conftest import World
from tests.exporting import exported
from tests.factories import citizen_id, make_elder
from tests.security.matrix import PLACES, ROLES, X_ALL, XA, denied, holds
from yiyang.core.permissions import Permission, Role
from yiyang.elders.models import AccessLog, Elder
from yiyang.elders.services import elder_reveal

VISIBLE: dict[str, set[str]] = {
    Role.CITY_ADMIN: X_ALL,
    Role.DISTRICT_OFFICER: XA,
    Role.STREET_OFFICER: {"XA1a", "XA1b"},
    Role.COMMUNITY_WORKER: {"XA1a"},
    Role.PROVIDER_MANAGER: set(),
    Role.CAREGIVER: set(),
    Role.OPERATOR: X_ALL,
    Role.ASSESSOR: XA,
    Role.AUDITOR: X_ALL,
    Role.FAMILY: set(),
    Role.EVALUATOR: set(),
    Role.FINANCE_OFFICER: set(),
    Role.CANTEEN_STAFF: set(),
}


@pytest.fixture
def elders(world: World) -> dict[str, Elder]:
    made: dict[str, Elder] = {}
    for number, place in enumerate(PLACES, start=1):
        creator = world.user["admin_Y" if place == "YA1a" else "city_admin"]
        community = world.div[place]
        made[place] = make_elder(  # type: ignore[assignment]
            creator,
            community,
            name=f"老人{place}",
            phones=[f"1380000{number:04d}"],
            id_number=citizen_id(community.code[:6], "19400315", number),
        )
    return made


@pytest.mark.parametrize("role", ROLES)
def test_elders_page_search_detail_edit(
    role: str, world: World, elders: dict[str, Elder], client_for: Callable[[str], Client]
) -> None:
    client = client_for(role)
    visible = VISIBLE[role]
    listing = client.get("/elders/")
    if not holds(role, Permission.VIEW_ELDERS):
        assert listing.status_code == 403
    else:
        assert listing.status_code == 200
        page = listing.content.decode()
        for place in PLACES:
            assert (f"老人{place}" in page) == (place in visible), place
    for place, elder in elders.items():
        from yiyang.elders.sensitive import elder_id_number

        number = elder_id_number(elder)
        found = client.get("/elders/", {"q": number})
        if found.status_code == 200:
            assert (str(elder.external_id) in found.content.decode()) == (place in visible)
        detail = client.get(f"/elders/{elder.external_id}/")
        expected = 200 if place in visible else denied(role, Permission.VIEW_ELDERS)
        assert detail.status_code == expected, place
        if place not in visible:
            assert number not in detail.content.decode()
        history = client.get(f"/elders/{elder.external_id}/history/")
        assert history.status_code == expected, place
        edit = client.post(
            f"/elders/{elder.external_id}/edit/", {"name": "改名", "address": "外区"}
        )
        elder.refresh_from_db()
        if place not in visible:
            assert edit.status_code == denied(role, Permission.MANAGE_ELDERS), place
            assert elder.name == f"老人{place}", place
    # Nothing outside the scope was revealed, so nothing outside was logged.
    for log in AccessLog.objects.filter(actor_username=role):
        assert {e.division_code[:4] for e in log.entries.all()} <= {"4191"}
        places = {p for p, e in elders.items() if log.elders.filter(pk=e.pk).exists()}
        assert places <= visible


@pytest.mark.parametrize("role", ROLES)
def test_elders_api(
    role: str, world: World, elders: dict[str, Elder], client_for: Callable[[str], Client]
) -> None:
    client = client_for(role)
    visible = VISIBLE[role]
    response = client.get("/api/v1/elders/?page_size=100")
    if not holds(role, Permission.VIEW_ELDERS):
        assert response.status_code == 403
    else:
        body = response.json()
        assert {row["name"] for row in body["results"]} == {f"老人{p}" for p in visible}
        assert body["count"] == len(visible)
        for row in body["results"]:
            assert "*" in row["id_number"]  # lists are always masked
    for place, elder in elders.items():
        detail = client.get(f"/api/v1/elders/{elder.external_id}/")
        expected = 200 if place in visible else denied(role, Permission.VIEW_ELDERS)
        assert detail.status_code == expected, place
        patch = client.patch(
            f"/api/v1/elders/{elder.external_id}/",
            data=json.dumps({"address": "外区"}),
            content_type="application/json",
        )
        elder.refresh_from_db()
        if place not in visible:
            assert patch.status_code == denied(role, Permission.VIEW_ELDERS), place
            assert elder.address != "外区"
    # A division filter outside the scope finds nothing.
    filtered = client.get(f"/api/v1/elders/?division={world.div['YA'].code}")
    if filtered.status_code == 200:
        assert filtered.json()["count"] == 0


@pytest.mark.parametrize("role", ROLES)
def test_elders_export(
    role: str, world: World, elders: dict[str, Elder], client_for: Callable[[str], Client]
) -> None:
    client = client_for(role)
    response = exported(client, "/elders/export/")
    if not holds(role, Permission.EXPORT_DATA):
        assert response.status_code == 403
        return
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    names = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert names == {f"老人{p}" for p in VISIBLE[role]}
    ids = [str(row[1]) for row in sheet.iter_rows(min_row=2, values_only=True)]
    if holds(role, Permission.SEE_ID_NUMBERS):
        assert all("*" not in value for value in ids)
        log = AccessLog.objects.get(actor_username=role, action="export")
        assert log.elder_count == len(VISIBLE[role])
    else:
        assert all("*" in value for value in ids)  # the auditor exports masked data
        assert not AccessLog.objects.filter(actor_username=role).exists()


@pytest.mark.parametrize("role", ROLES)
def test_access_log_is_scoped(
    role: str, world: World, elders: dict[str, Elder], client_for: Callable[[str], Client]
) -> None:
    elder_reveal(actor=world.user["community_worker"], elder=elders["XA1a"])
    elder_reveal(actor=world.user["worker_YA1a"], elder=elders["YA1a"])
    client = client_for(role)
    page = client.get("/elders/access-log/")
    api = client.get("/api/v1/access-log/")
    if not holds(role, Permission.VIEW_ACCESS_LOG):
        assert (page.status_code, api.status_code) == (403, 403)
        return
    assert page.status_code == api.status_code == 200
    usernames = {row["username"] for row in api.json()["results"]}
    assert usernames == {"community_worker"}  # city Y's access is not city X's business
    assert "worker_ya1a" not in page.content.decode()
    by_elder = client.get(f"/api/v1/access-log/?elder={elders['YA1a'].external_id}")
    assert by_elder.json()["count"] == 0
