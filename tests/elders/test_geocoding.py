"""The address register: normalised keys, the geocoder's matching and fall-back, every write
path storing where the coordinates came from, and the register's import (all or nothing)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from tests.conftest import World
from tests.factories import make_elder
from yiyang.core.models import AuditEvent
from yiyang.elders import services
from yiyang.elders.address_import import address_register_import
from yiyang.elders.choices import LocationSource
from yiyang.elders.geocoding import (
    Geocoder,
    address_key,
    candidate_keys,
    division_names,
    normalise,
)
from yiyang.elders.models import AddressPoint, Elder


def point(world: World, address: str, lat: str, lng: str, community: str = "XA1a") -> Any:
    division = world.div[community]
    return AddressPoint.objects.create(
        community=division,
        division_code=division.code,
        address=address,
        key=address_key(address, division_names(division)),
        lat=Decimal(lat),
        lng=Decimal(lng),
    )


def test_normalise_folds_width_punctuation_and_building_words() -> None:
    assert normalise("３栋 ２单元-1502室") == "3号楼2单元1502室"
    assert normalise("三号楼") == "3号楼"
    assert normalise("十二组") == "12组"


def test_address_key_drops_division_names_in_front() -> None:
    names = ["社区xa1a", "街xa1", "区xa", "城x"]
    assert address_key("城X区XA 街XA1社区XA1a 3幢", names) == "3号楼"


def test_candidate_keys_longest_first() -> None:
    assert candidate_keys("3号楼2单元1502室") == ["3号楼2单元1502室", "3号楼2单元", "3号楼"]
    assert candidate_keys("5组12号") == ["5组12号", "5组"]


def test_locate_matches_the_building_within_the_elders_community(world: World) -> None:
    point(world, "社区XA1a 3号楼", "34.761000", "113.661000")
    point(world, "3号楼", "34.701000", "113.601000", community="XA1b")
    found = Geocoder().locate(world.div["XA1a"], "城X区XA社区XA1a3栋2单元1502室")
    assert (found.lat, found.lng, found.source) == (
        Decimal("34.761000"),
        Decimal("113.661000"),
        LocationSource.REGISTER,
    )
    assert found.matched == "社区XA1a 3号楼"


def test_locate_falls_back_to_the_community_centre_then_nowhere(world: World) -> None:
    community = world.div["XA1a"]
    found = Geocoder().locate(community, "社区XA1a 99号楼")
    assert (found.lat, found.lng, found.source) == (
        Decimal("34.75"),
        Decimal("113.65"),
        LocationSource.COMMUNITY,
    )
    assert Geocoder().locate(community, "  ").source == LocationSource.NONE
    community.centroid_lat = community.centroid_lng = None
    assert Geocoder().locate(community, "社区XA1a 99号楼").source == LocationSource.NONE


def test_prefetch_reads_a_batch_in_one_query(world: World, django_assert_num_queries: Any) -> None:
    point(world, "1号楼", "34.761000", "113.661000")
    point(world, "2号楼", "34.762000", "113.662000")
    community = world.div["XA1a"]  # its parents are loaded: the names cost no query
    geocoder = Geocoder()
    with django_assert_num_queries(1):
        geocoder.prefetch([(community, "1号楼101室"), (community, "2号楼3单元")])
        assert geocoder.locate(community, "1号楼101室").lat == Decimal("34.761000")
        assert geocoder.locate(community, "2号楼3单元").lat == Decimal("34.762000")


def test_create_without_coordinates_is_located_from_the_register(world: World) -> None:
    point(world, "3号楼", "34.761000", "113.661000")
    elder = make_elder(world.user["city_admin"], world.div["XA1a"], address="社区XA1a3号楼101室")
    elder.refresh_from_db()
    assert (elder.lat, elder.lng, elder.location_source) == (
        Decimal("34.761000"),
        Decimal("113.661000"),
        LocationSource.REGISTER,
    )


def test_given_coordinates_are_kept_as_entered(world: World) -> None:
    point(world, "3号楼", "34.761000", "113.661000")
    elder = make_elder(
        world.user["city_admin"],
        world.div["XA1a"],
        address="3号楼101室",
        lat="34.770000",
        lng="113.670000",
    )
    elder.refresh_from_db()
    assert (elder.lat, elder.location_source) == (Decimal("34.770000"), LocationSource.ENTERED)


def test_a_new_address_is_located_again_unless_coordinates_come_with_it(world: World) -> None:
    point(world, "3号楼", "34.761000", "113.661000")
    point(world, "4号楼", "34.762000", "113.662000")
    admin = world.user["city_admin"]
    elder = make_elder(admin, world.div["XA1a"], address="3号楼101室")
    services.elder_update(
        actor=admin, elder=elder, address="4号楼202室", lat=elder.lat, lng=elder.lng
    )
    elder.refresh_from_db()
    assert (elder.lat, elder.location_source) == (Decimal("34.762000"), LocationSource.REGISTER)
    services.elder_update(actor=admin, elder=elder, phones=["13800138000"])
    elder.refresh_from_db()
    assert elder.location_source == LocationSource.REGISTER
    services.elder_update(actor=admin, elder=elder, lat="34.780000", lng="113.680000")
    elder.refresh_from_db()
    assert (elder.lat, elder.location_source) == (Decimal("34.780000"), LocationSource.ENTERED)


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "addresses.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_import_writes_nothing_when_a_row_is_wrong(world: World, tmp_path: Path) -> None:
    code = world.div["XA1a"].code
    path = _csv(
        tmp_path,
        (
            "社区,地址,纬度,经度\n"
            f"{code},1号楼,34.761,113.661\n"
            f"{code},2号楼,abc,113.662\n"
            "999999999999,3号楼,34.76,113.66\n"
            f"{code},1栋,34.761,113.661\n"
            f"{code},4号楼,10.0,113.66\n"
        ),
    )
    result = address_register_import(actor=world.user["city_admin"], path=path)
    assert not result.written
    assert AddressPoint.objects.count() == 0
    assert [(e.row, e.column) for e in result.errors] == [
        (3, "纬度"),
        (4, "社区"),
        (5, "地址"),
        (6, "纬度"),
    ]
    assert "Not a number" in result.errors[0].reason
    assert "row 2" in result.errors[2].reason
    assert "outside 城X" in result.errors[3].reason


def test_import_adds_and_moves_and_relocates_approximate_elders(
    world: World, tmp_path: Path
) -> None:
    admin = world.user["city_admin"]
    point(world, "1号楼", "34.700000", "113.600000")
    elder = make_elder(admin, world.div["XA1a"], address="2号楼3单元")
    assert elder.location_source == LocationSource.COMMUNITY
    code = world.div["XA1a"].code
    path = _csv(
        tmp_path,
        f"社区,地址,纬度,经度\n{code},1号楼,34.761,113.661\n社区XA1a,2号楼,34.762,113.662\n",
    )
    result = address_register_import(actor=admin, path=path)
    assert (result.written, result.created, result.moved, result.relocated) == (True, 1, 1, 1)
    elder.refresh_from_db()
    assert (elder.lat, elder.location_source) == (Decimal("34.762000"), LocationSource.REGISTER)
    assert (
        AuditEvent.objects.filter(object_type="elders.addresspoint", action="import").count() == 1
    )
    history = AuditEvent.objects.filter(
        object_type="elders.elder", object_id=str(elder.external_id)
    )
    assert history.filter(changes__location_source=["community", "register"]).count() == 1


def test_import_dry_run_counts_without_writing(world: World, tmp_path: Path) -> None:
    code = world.div["XA1a"].code
    path = _csv(tmp_path, f"community,address,lat,lng\n{code},1号楼,34.761,113.661\n")
    result = address_register_import(actor=world.user["city_admin"], path=path, dry_run=True)
    assert (result.written, result.created) == (False, 1)
    assert AddressPoint.objects.count() == 0


def test_import_is_scoped_and_needs_the_permission(world: World, tmp_path: Path) -> None:
    other = world.div["YA1a"].code
    path = _csv(tmp_path, f"社区,地址,纬度,经度\n{other},1号楼,34.761,113.661\n")
    result = address_register_import(actor=world.user["district_officer"], path=path)
    assert [(e.row, e.column) for e in result.errors] == [(2, "社区")]
    with pytest.raises(PermissionDenied):
        address_register_import(actor=world.user["community_worker"], path=path)
    assert not Elder.objects.exists()
