"""The facility lists run a fixed number of queries, whatever the page holds."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import login
from tests.facilities.conftest import facility_at
from tests.test_query_counts import queries
from yiyang.facilities.choices import FacilityKind


@pytest.mark.parametrize(
    "url",
    [
        "/facilities/",
        "/api/v1/facilities/",
        "/facilities/projects/",
        "/api/v1/construction-projects/",
    ],
)
def test_facility_lists_do_not_grow_with_rows(url, world, system, client: Client) -> None:
    login(client, world.user["city_admin"])
    facility_at(world, system, "XA1a", 34.75, 113.65)
    queries(client, url)  # warm the session
    few = queries(client, url)
    for index in range(12):
        facility_at(
            world, system, "XA1b", 34.77, 113.65 + index * 0.001, kind=FacilityKind.MEAL_POINT
        )
    many = queries(client, url)
    assert many == few
    assert 0 < few <= 14
