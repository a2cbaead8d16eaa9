"""List pages and list APIs run a fixed number of queries, whatever the page holds."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.conftest import World, login
from tests.factories import OrganisationFactory


def queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


@pytest.mark.parametrize(
    "url",
    [
        "/organisations/",
        "/api/v1/organisations/",
        "/api/v1/divisions/",
        "/divisions/?q=4191",
        "/accounts/users/",
        "/api/v1/users/",
        "/audit/",
        "/api/v1/audit-events/",
    ],
)
def test_list_queries_do_not_grow_with_rows(url: str, world: World, client: Client) -> None:
    login(client, world.user["city_admin"])
    queries(client, url)  # warm the session
    few = queries(client, url)
    for index in range(30):
        OrganisationFactory(
            division=world.div["XA1a"], operator=world.org["operator"] if index % 2 else None
        )
    many = queries(client, url)
    assert many == few
    assert 0 < few <= 12
