"""A name search counts its matches only up to a cap: past it the list says "more than"."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import World
from tests.elders.test_pages import client_of, make, page, profile_url
from yiyang.core.web.pagination import CappedPaginator
from yiyang.elders.models import Elder

pytestmark = pytest.mark.django_db


def test_capped_paginator_counts_up_to_the_cap(world: World) -> None:
    for n in range(5):
        make(world, name=f"王秀英{n}")
    elders = Elder.objects.order_by("id")
    assert CappedPaginator(elders, 2, cap=10).count == 5
    capped = CappedPaginator(elders, 2, cap=3)
    assert capped.count == 3 and capped.capped and capped.num_pages == 2
    exact = CappedPaginator(elders, 2, cap=5)
    assert exact.count == 5 and not exact.capped


def test_search_list_says_more_than_the_cap(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("yiyang.elders.web.views.SEARCH_COUNT_CAP", 2)
    found = [make(world, name=f"张秀英{n}") for n in range(3)]
    other = make(world, name="赵同住")
    client = client_of(world, "community_worker", english=True)
    with CaptureQueriesContext(connection) as queries:
        html = page(client, "/elders/", q="秀英")
    assert 'id="count-capped"' in html and "More than 2 records" in html
    assert profile_url(found[0]) in html and profile_url(other) not in html
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert any("LIMIT 3" in sql.upper() for sql in counts), counts
    # Without a search the list counts exactly.
    html = page(client, "/elders/")
    assert 'id="count-capped"' not in html and "4 records" in html


def test_deep_pages_by_deferred_join_match_plain_paging(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.core.paginator import Paginator

    from yiyang.core.web.pagination import ListPaginator

    for n in range(7):
        make(world, name=f"李{n}")
    elders = Elder.objects.select_related("community").order_by("name", "id")
    monkeypatch.setattr(ListPaginator, "deferred_after", 2)
    deferred, plain = ListPaginator(elders, 2), Paginator(elders, 2)
    for number in range(1, plain.num_pages + 1):
        assert list(deferred.page(number).object_list) == list(plain.page(number).object_list)
    with CaptureQueriesContext(connection) as queries:
        rows = list(deferred.page(3).object_list)
    assert [r.community.code for r in rows]  # the page's rows keep their related rows
    assert len(queries.captured_queries) == 2  # the keys, then the rows (count cached)


def test_elder_page_links_to_the_alert_settings_for_those_who_see_alerts(world: World) -> None:
    elder = make(world, name="周提醒")
    worker = client_of(world, "community_worker")
    html = page(worker, profile_url(elder))
    assert f'href="/alerts/elders/{elder.external_id}/"' in html
    assert worker.get(f"/alerts/elders/{elder.external_id}/").status_code == 200
    assessor = client_of(world, "assessor")  # may see the elder, not the alerts
    assert 'id="elder-alerts-link"' not in page(assessor, profile_url(elder))
