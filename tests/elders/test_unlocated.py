"""The data-quality list of elders without a map location: scoped like every elder list,
counted on the community worker's home page; the picker's lookup and the import page."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.conftest import World
from tests.factories import make_elder
from yiyang.elders.choices import ElderStatus, LocationSource
from yiyang.elders.geocoding import address_key
from yiyang.elders.models import AddressPoint
from yiyang.elders.selectors import elders_unlocated, elders_unlocated_count


def _elders(world: World) -> dict[str, Any]:
    admin = world.user["city_admin"]
    made = {
        "none_a": make_elder(admin, world.div["XA1a"], name="甲无址"),
        "approx_a": make_elder(admin, world.div["XA1a"], name="乙社区", address="99号平房"),
        "placed_a": make_elder(admin, world.div["XA1a"], name="丙定位", lat="34.76", lng="113.66"),
        "none_b": make_elder(admin, world.div["XA1b"], name="丁无址"),
        "gone_a": make_elder(admin, world.div["XA1a"], name="戊迁出", status=ElderStatus.MOVED_OUT),
        "none_y": make_elder(world.user["admin_Y"], world.div["YA1a"], name="己外市"),
    }
    assert made["approx_a"].location_source == LocationSource.COMMUNITY
    return made


def test_the_list_is_scoped_to_the_jurisdiction(world: World) -> None:
    _elders(world)
    worker = [e.name for e in elders_unlocated(actor=world.user["community_worker"])]
    assert worker == ["甲无址", "乙社区"]
    street = [e.name for e in elders_unlocated(actor=world.user["street_officer"])]
    assert street == ["甲无址", "丁无址", "乙社区"]
    only_missing = elders_unlocated(actor=world.user["street_officer"], approximate=False)
    assert [e.name for e in only_missing] == ["甲无址", "丁无址"]
    assert [e.name for e in elders_unlocated(actor=world.user["worker_YA1a"])] == ["己外市"]
    count = elders_unlocated_count(actor=world.user["community_worker"])
    assert (count.missing, count.approximate, count.total) == (1, 1, 2)


def test_the_page_and_the_home_page_count(world: World, client_for: Any) -> None:
    made = _elders(world)
    client = client_for("community_worker")
    page = client.get("/elders/unlocated/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "甲无址" in text and "乙社区" in text and "丁无址" not in text and "己外市" not in text
    assert f"/elders/{made['none_a'].external_id}/edit/#location-picker" in text
    home = client.get("/").content.decode()
    assert 'id="unlocated-count"' in home and 'href="/elders/unlocated/"' in home


def test_the_picker_lookup_finds_the_register_entry(world: World, client_for: Any) -> None:
    community = world.div["XA1a"]
    AddressPoint.objects.create(
        community=community,
        division_code=community.code,
        address="3号楼",
        key=address_key("3号楼"),
        lat=Decimal("34.761"),
        lng=Decimal("113.661"),
    )
    client = client_for("community_worker")
    found = client.get(
        "/elders/locate/", {"community": str(community.external_id), "address": "3栋201室"}
    ).json()
    assert (found["lat"], found["lng"], found["source"]) == (34.761, 113.661, "register")
    outside = {"community": str(world.div["XA1b"].external_id), "address": "3号楼"}
    assert client.get("/elders/locate/", outside).status_code == 404
    assert client_for("caregiver").get("/elders/locate/", outside).status_code == 403


def test_the_import_page_lists_every_problem(world: World, client_for: Any) -> None:
    code = world.div["XA1a"].code
    upload = SimpleUploadedFile(
        "register.csv",
        f"社区,地址,纬度,经度\n{code},1号楼,34.76,113.66\n{code},,34.7,113.6\n".encode(),
    )
    page = client_for("district_officer").post("/elders/addresses/import/", {"file": upload})
    assert page.status_code == 400
    assert "address-import-errors" in page.content.decode()
    assert not AddressPoint.objects.exists()
    assert client_for("community_worker").get("/elders/addresses/import/").status_code == 403


def test_the_list_runs_the_same_queries_however_many_rows(world: World, client_for: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    admin = world.user["city_admin"]
    client = client_for("street_officer")

    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            assert client.get("/elders/unlocated/").status_code == 200
        return len(context.captured_queries)

    make_elder(admin, world.div["XA1a"], name="一")
    queries()  # warm the session
    few = queries()
    for index in range(12):
        make_elder(admin, world.div["XA1b" if index % 2 else "XA1a"], address=f"{index}号平房")
    assert queries() == few
