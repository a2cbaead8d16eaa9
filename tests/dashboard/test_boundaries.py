"""Division boundaries: the import's checks, the demo city's Voronoi cells."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.conftest import World
from yiyang.core.geometry import point_in_ring
from yiyang.core.models import AuditEvent, Division, DivisionBoundary, MapRoad
from yiyang.core.services import division_boundaries_import
from yiyang.demo.boundaries import demo_boundaries_build
from yiyang.demo.services import CITY_CODE, demo_city_build

SQUARE = [[113.6, 34.7], [113.7, 34.7], [113.7, 34.8], [113.6, 34.8], [113.6, 34.7]]


def feature(code: str, ring: list[list[float]] | None = None, **geometry: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {"code": code},
        "geometry": geometry or {"type": "Polygon", "coordinates": [ring or SQUARE]},
    }


def collection(*features: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features), **extra}


def rejected(world: World, data: dict[str, Any], **kwargs: Any) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        division_boundaries_import(actor=world.user["city_admin"], collection=data, **kwargs)
    assert DivisionBoundary.objects.count() == 0
    return caught.value.messages


def test_a_valid_file_is_stored_with_its_box_and_audited(world: World) -> None:
    data = collection(feature(world.div["XA"].code), feature(world.div["XA1"].code[:9]))
    result = division_boundaries_import(
        actor=world.user["city_admin"], collection=data, source="x.geojson"
    )
    assert (result.created, result.updated, result.crs) == (2, 0, "wgs84")
    stored = DivisionBoundary.objects.get(division=world.div["XA1"])
    assert (stored.level, stored.min_lng, stored.max_lat) == ("street", 113.6, 34.8)
    event = AuditEvent.objects.get(object_type="core.divisionboundary")
    assert event.changes == {"created": 2, "updated": 0, "crs": "wgs84"}
    again = division_boundaries_import(actor=world.user["city_admin"], collection=data)
    assert (again.created, again.updated) == (0, 2)


def test_an_open_ring_is_named(world: World) -> None:
    messages = rejected(world, collection(feature(world.div["XA"].code, SQUARE[:-1])))
    assert messages == [
        f"feature 1 ({world.div['XA'].code}): the outer ring is not closed: its last "
        "position must repeat the first"
    ]


def test_a_bow_tie_crosses_itself(world: World) -> None:
    bow_tie = [[113.6, 34.7], [113.7, 34.8], [113.7, 34.7], [113.6, 34.8], [113.6, 34.7]]
    (message,) = rejected(world, collection(feature(world.div["XA"].code, bow_tie)))
    assert "the outer ring crosses itself near" in message


def test_a_hole_outside_and_a_point_and_a_line_are_refused(world: World) -> None:
    hole = [[113.8, 34.7], [113.9, 34.7], [113.9, 34.8], [113.8, 34.7]]
    messages = rejected(
        world,
        collection(
            feature(world.div["XA"].code, type="Polygon", coordinates=[SQUARE, hole]),
            feature(world.div["XB"].code, type="Point", coordinates=[113.6, 34.7]),
            feature(
                world.div["XA1"].code,
                type="Polygon",
                coordinates=[[[113.6, 34.7], [113.7, 34.7], [113.6, 34.7]]],
            ),
        ),
    )
    assert messages == [
        f"feature 1 ({world.div['XA'].code}): hole 1 lies outside the outer ring of the polygon",
        f"feature 2 ({world.div['XB'].code}): a boundary is a Polygon or a MultiPolygon, not Point",
        f"feature 3 ({world.div['XA1'].code}): the outer ring has 3 positions; a ring needs at least 4",
    ]


def test_unknown_codes_and_other_cities_and_duplicates(world: World) -> None:
    messages = rejected(
        world,
        collection(
            feature("419199000000"),
            feature(world.div["YA"].code),
            feature(""),
            feature(world.div["XA"].code),
            feature(world.div["XA"].code),
        ),
    )
    assert messages == [
        "feature 1 (419199000000): no such division in your jurisdiction",
        f"feature 2 ({world.div['YA'].code}): no such division in your jurisdiction",
        "feature 3 (-): no division code in its properties",
        f"feature 5 ({world.div['XA'].code}): the division appears twice in the file",
    ]


def test_projected_and_swapped_coordinates_say_what_was_expected(world: World) -> None:
    metres = [[12650000, 4130000], [12660000, 4130000], [12660000, 4140000], [12650000, 4130000]]
    swapped = [[34.7, 113.6], [34.7, 113.7], [34.8, 113.7], [34.7, 113.6]]
    messages = rejected(
        world,
        collection(feature(world.div["XA"].code, metres), feature(world.div["XB"].code, swapped)),
    )
    assert messages[0].endswith("(a projected system in metres?): expected WGS 84 or GCJ-02")
    assert messages[1].endswith("expected WGS 84 or GCJ-02 as [longitude, latitude]")


def test_a_declared_coordinate_system_other_than_wgs84_or_gcj02_is_refused(world: World) -> None:
    web_mercator = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}}
    assert rejected(world, collection(feature(world.div["XA"].code), crs=web_mercator)) == [
        "The file's coordinate system is urn:ogc:def:crs:EPSG::3857; Yiyang accepts WGS 84 "
        "(EPSG:4326, CRS84) or GCJ-02. Convert the file first."
    ]
    gcj = {"type": "name", "properties": {"name": "GCJ-02"}}
    assert rejected(world, collection(feature(world.div["XA"].code), crs=gcj), crs="wgs84") == [
        "The file says GCJ-02 but WGS 84 was expected."
    ]
    result = division_boundaries_import(
        actor=world.user["city_admin"],
        collection=collection(feature(world.div["XA"].code), crs=gcj),
    )
    assert result.crs == "gcj02"


def test_not_geojson_and_no_features(world: World) -> None:
    assert rejected(world, {"type": "Topology"}) == ["The file is not a GeoJSON FeatureCollection."]
    assert rejected(world, collection()) == ["The file has no features."]
    assert rejected(world, []) == ["The file is not a GeoJSON object."]  # type: ignore[arg-type]


def test_only_those_who_manage_divisions_import_within_their_jurisdiction(world: World) -> None:
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        division_boundaries_import(
            actor=world.user["district_officer"],
            collection=collection(feature(world.div["XA"].code)),
        )
    with pytest.raises(ValidationError):
        division_boundaries_import(
            actor=world.user["admin_Y"], collection=collection(feature(world.div["XA"].code))
        )


def test_command_imports_and_rejects_with_exit_2(world: World, tmp_path: Path) -> None:
    good = tmp_path / "good.geojson"
    good.write_text(
        json.dumps(
            collection(
                {
                    **feature(world.div["XA"].code[:6]),
                    "properties": {"adcode": world.div["XA"].code[:6]},
                }
            )
        )
    )
    call_command("import-boundaries", str(good), "--language", "en")
    assert DivisionBoundary.objects.filter(division=world.div["XA"]).exists()
    bad = tmp_path / "bad.geojson"
    bad.write_text(json.dumps(collection(feature(world.div["XB"].code), feature("419100990000"))))
    with pytest.raises(CommandError) as caught:
        call_command("import-boundaries", str(bad), "--language", "en")
    assert caught.value.returncode == 2
    assert "Nothing was imported." in str(caught.value)
    assert "feature 2 (419100990000): no such division in your jurisdiction" in str(caught.value)
    assert not DivisionBoundary.objects.filter(division=world.div["XB"]).exists()
    broken = tmp_path / "broken.geojson"
    broken.write_text("{not json")
    with pytest.raises(CommandError, match="is not JSON"):
        call_command("import-boundaries", str(broken))


@pytest.mark.django_db
def test_demo_cells_tile_their_parents_and_hold_their_centroids() -> None:
    demo_city_build(seed=7)
    built = demo_boundaries_build(city_code=CITY_CODE, seed=7)
    divisions = Division.objects.filter(code__startswith=CITY_CODE[:4])
    assert built.created == divisions.count()
    assert built.roads == MapRoad.objects.count() > 10
    boundaries = {b.division_code: b for b in DivisionBoundary.objects.all()}
    inside = 0
    for division in divisions.filter(level="community"):
        ring = [tuple(p) for p in boundaries[division.code].geometry["coordinates"][0]]
        centroid = (float(division.centroid_lng or 0), float(division.centroid_lat or 0))
        inside += point_in_ring(centroid, ring)
        parent_ring = [
            tuple(p) for p in boundaries[division.parent.code].geometry["coordinates"][0]
        ]
        middle = (
            sum(p[0] for p in ring[:-1]) / (len(ring) - 1),
            sum(p[1] for p in ring[:-1]) / (len(ring) - 1),
        )
        assert point_in_ring(middle, parent_ring)
    assert inside > divisions.filter(level="community").count() * 0.5
    assert demo_boundaries_build(city_code=CITY_CODE, seed=7).existing == built.created
