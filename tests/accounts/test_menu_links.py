"""Every link in every role's main menu opens (200): a menu never offers a page that
answers 403, and a caregiver's menu has no organisations list."""

from __future__ import annotations

import pytest

from tests.conftest import World, login
from yiyang.core.permissions import Role


@pytest.mark.parametrize("role", list(Role))
def test_every_menu_link_of_every_role_opens(world: World, role: Role, client) -> None:
    login(client, world.user[role])
    home = client.get("/")
    assert home.status_code == 200
    links = [item["url"] for item in home.context["nav_items"]]
    assert links, role
    refused = {}
    for url in links:
        status = client.get(url).status_code
        if status != 200:
            refused[url] = status
    assert not refused, (role, refused)


def test_a_caregivers_menu_has_no_organisations_list(world: World, client) -> None:
    login(client, world.user[Role.CAREGIVER])
    links = [item["url"] for item in client.get("/").context["nav_items"]]
    assert "/organisations/" not in links
    login(client, world.user[Role.PROVIDER_MANAGER])
    assert "/organisations/" in [item["url"] for item in client.get("/").context["nav_items"]]
