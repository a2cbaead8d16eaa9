"""The map picture: outlines and markers land where their coordinates say."""

from __future__ import annotations

import io

from PIL import Image

from yiyang.facilities.mapimage import (
    HEIGHT,
    WIDTH,
    Marker,
    Outline,
    _Frame,
    outlines_from_geojson,
    render_png,
)

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[113.0, 34.0], [114.0, 34.0], [114.0, 35.0], [113.0, 35.0], [113.0, 34.0]]],
}


def test_geojson_rings_are_read_as_lat_lng() -> None:
    outline = outlines_from_geojson("city", SQUARE)
    assert outline.rings[0][:2] == [(34.0, 113.0), (34.0, 114.0)]
    multi = outlines_from_geojson(
        "district", {"type": "MultiPolygon", "coordinates": [SQUARE["coordinates"]] * 2}
    )
    assert len(multi.rings) == 2


def test_markers_are_drawn_at_their_place() -> None:
    outline = outlines_from_geojson("city", SQUARE)
    red = (200, 40, 40)
    centre = Marker(34.5, 113.5, red, label="1", radius=14)
    corner = Marker(34.05, 113.95, (40, 100, 200), radius=8)
    png = render_png(
        title="新建选址：日间照料中心",
        subtitle="2 处",
        outlines=[outline],
        markers=[centre, corner],
        legend=[(red, "精确解")],
    )
    image = Image.open(io.BytesIO(png)).convert("RGB")
    assert image.size == (WIDTH, HEIGHT)
    frame = _Frame([p for ring in outline.rings for p in ring] + [(34.5, 113.5), (34.05, 113.95)])
    x, y = frame(34.5, 113.5)
    # Just off the label's centre (the digit is white): the marker's red.
    assert image.getpixel((int(x) - 10, int(y))) == red
    x, y = frame(34.05, 113.95)
    assert image.getpixel((int(x), int(y))) == (40, 100, 200)
    # The west edge of the outline is drawn (dark), the middle of the sea of nothing is not.
    x, y = frame(34.7, 113.0)
    assert max(image.getpixel((int(x), int(y)))) < 120


def test_no_points_still_gives_a_picture() -> None:
    png = render_png(title="—", subtitle="", outlines=[], markers=[], legend=[])
    assert png[:4] == b"\x89PNG"
    assert Outline("city", []).rings == []
