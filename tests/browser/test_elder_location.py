"""Every elder located: a community worker registers an elder without touching the map, the
address register places the home; the elder list shows no one left unlocated by it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.browser.test_journeys import PASSWORD, log_in
from tests.factories import citizen_id
from yiyang.accounts.models import User
from yiyang.demo.services import demo_city_build
from yiyang.elders.choices import LocationSource
from yiyang.elders.geocoding import address_key, division_names
from yiyang.elders.models import AddressPoint, Elder

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_elder_registered_without_coordinates_is_located_from_the_register(
    live_server: Any, browser: Any
) -> None:
    demo_city_build(seed=5, password=PASSWORD)
    worker = User.objects.select_related("division__parent__parent__parent").get(
        username="community_worker"
    )
    community = worker.division
    assert community is not None
    building = f"{community.name}7号楼"
    AddressPoint.objects.create(
        community=community,
        division_code=community.code,
        address=building,
        key=address_key(building, division_names(community)),
        lat=Decimal("34.812345"),
        lng=Decimal("113.612345"),
    )
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    try:
        log_in(page, live_server.url, "community_worker")
        page.goto(f"{live_server.url}/elders/new/")
        page.wait_for_selector("#location-map.leaflet-container")
        # The two number boxes sit folded below the map.
        assert not page.is_visible("#elder-form input[name=lat]")
        page.fill("#elder-form input[name=name]", "定位测试")
        page.fill(
            "#elder-form input[name=id_number]", citizen_id(community.code[:6], "19450601", 8)
        )
        page.select_option(
            "#elder-form select[name=community]",
            label=f"{community.parent.name} / {community.name}",
        )
        page.fill("#elder-form input[name=address]", f"{community.name}7栋2单元301室")
        page.press("#elder-form input[name=address]", "Tab")
        # The picker shows where the register puts it, without filling the boxes.
        # A locator wait (an expression string would need the page to allow eval).
        page.locator("#location-status", has_text="地址库").wait_for()
        assert page.locator(".leaflet-marker-icon").count() == 1
        assert page.input_value("#elder-form input[name=lat]") == ""
        page.click("#elder-form button[type=submit]")
        page.wait_for_url(f"{live_server.url}/elders/*/")
        assert "北纬 34.8123°" in page.inner_text("#coordinates")
        assert "地址库" in page.inner_text("#location-source")
    finally:
        page.close()
    elder = Elder.objects.get(name="定位测试")
    assert (elder.lat, elder.lng, elder.location_source) == (
        Decimal("34.812345"),
        Decimal("113.612345"),
        LocationSource.REGISTER,
    )
