"""A provider's staff read their own organisation's figures (every indicator with a provider
form, this month beside the month before) on their home page and through the API, and
nobody else's; the scope matrix of the per-provider figures for every role."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from tests.conftest import World, login
from tests.factories import UserFactory
from tests.indicators.test_providers import month_of_two_providers
from tests.security.matrix import ROLES, holds
from yiyang.core.indicators import provider_catalogue
from yiyang.core.permissions import Permission, Role
from yiyang.indicators.selectors import own_provider_figures, provider_ranking

URL = "/api/v1/indicators/visits_delivered/providers/"


def manager_of(provider: Any) -> Any:
    return UserFactory(
        username=f"manager_{provider.pk}", role=Role.PROVIDER_MANAGER, organisation=provider
    )


def test_a_provider_manager_reads_their_own_figures(world: World) -> None:
    p, _q = month_of_two_providers(world)
    [block] = own_provider_figures(actor=manager_of(p))
    assert block.provider == p
    assert [f.indicator.code for f in block.figures] == list(provider_catalogue())
    now = {f.indicator.code: f.value.value for f in block.figures}
    assert (now["visits_planned"], now["visits_delivered"], now["visits_missed"]) == (4, 3, 1)
    assert (now["visits_flagged"], now["complaints"], now["ratings"]) == (1, 1, 2)
    assert now["visits_on_time_share"] == Decimal("66.67")
    # Nothing happened the month before: counts are 0, shares have nothing to divide by.
    before = {f.indicator.code: f.previous for f in block.figures}
    assert before["visits_delivered"].value == 0
    assert before["ratings_satisfied_share"].display == "—"


def test_the_home_page_shows_the_own_organisation_only(world: World, client_for: Any) -> None:
    p, q = month_of_two_providers(world)
    html = login(Client(), manager_of(p)).get("/").content.decode()
    assert f'data-provider="{p.external_id}"' in html and "本机构指标" in html
    assert q.name not in html
    row = re.search(r'<tr data-indicator="visits_delivered">.*?</tr>', html, re.S)
    assert row is not None and 'data-month="now">3 <small>' in row.group(0)
    # The world's provider manager (a third-party operator) sees the organisations it
    # runs, never P.
    shown = [b.provider for b in client_for(Role.PROVIDER_MANAGER).get("/").context["own_figures"]]
    assert world.org["operator"] in shown and p not in shown and q not in shown


def test_the_api_ranks_a_provider_manager_alone(world: World) -> None:
    p, _q = month_of_two_providers(world)
    manager = manager_of(p)
    assert [f.provider for f in provider_ranking(actor=manager, code="visits_delivered")] == [p]
    client = login(Client(), manager)
    rows = client.get(URL).json()
    assert [(r["provider_name"], r["display"]) for r in rows] == [(p.name, "3")]
    # Divisions are the officers' view: a provider manager cannot ask for one.
    assert client.get(f"{URL}?division={world.div['X'].code}").status_code == 403
    assert client.get("/dashboard/").status_code == 403


# Who sees which of P (based in XA1b) and Q (based in XB1a) through the API.
SEES = {
    Role.CITY_ADMIN: {"P", "Q"},
    Role.DISTRICT_OFFICER: {"P"},
    Role.STREET_OFFICER: {"P"},
    Role.COMMUNITY_WORKER: set(),  # XA1a: neither is based there
    Role.OPERATOR: {"P", "Q"},
    Role.AUDITOR: {"P", "Q"},
    Role.PROVIDER_MANAGER: set(),  # the operator's manager: neither P nor Q
}


@pytest.mark.parametrize("role", ROLES)
def test_scope_matrix_of_provider_figures(world: World, client_for: Any, role: str) -> None:
    p, q = month_of_two_providers(world)
    response = client_for(role).get(URL)
    if not holds(role, Permission.VIEW_PROVIDER_FIGURES):
        assert response.status_code == 403
        with pytest.raises(PermissionDenied):
            own_provider_figures(actor=world.user[role])
        return
    assert response.status_code == 200
    names = {r["provider_name"] for r in response.json()}
    assert names == {{"P": p.name, "Q": q.name}[k] for k in SEES[role]}
    own = own_provider_figures(actor=world.user[role])
    if role == Role.PROVIDER_MANAGER:
        assert {b.provider for b in own} <= {world.org["operator"], world.org["station_XA2a"]}
    else:
        assert own == []  # officers rank providers on the dashboard instead
