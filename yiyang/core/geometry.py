"""Plain-Python checks of GeoJSON boundaries: rings closed, polygons valid, coordinates sane.

Boundary files are a few megabytes at most (a city's communities), so a segment sweep in
Python is quick enough and spares the platform a GEOS dependency. Coordinates are GeoJSON's
``[longitude, latitude]`` in degrees.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from typing import Any

from django.utils.translation import gettext as _

Point = tuple[float, float]
Ring = list[Point]

# Where Chinese coordinates can be (with a margin): longitude 73-136 E, latitude 3-54 N.
CHINA_LNG = (72.0, 137.0)
CHINA_LAT = (2.0, 55.0)

# Names under which files declare the coordinate systems Yiyang accepts.
CRS_NAMES = {
    "wgs84": "wgs84",
    "wgs 84": "wgs84",
    "epsg:4326": "wgs84",
    "urn:ogc:def:crs:epsg::4326": "wgs84",
    "urn:ogc:def:crs:ogc:1.3:crs84": "wgs84",
    "urn:ogc:def:crs:ogc::crs84": "wgs84",
    "crs84": "wgs84",
    "gcj02": "gcj02",
    "gcj-02": "gcj02",
    "gcj_02": "gcj02",
}


class GeometryError(ValueError):
    """A geometry that cannot be stored, with a message a person can act on."""


def crs_from_name(name: str) -> str | None:
    """``wgs84`` or ``gcj02`` for a name a file may use, else None."""
    return CRS_NAMES.get(name.strip().lower())


def _point(value: Any) -> Point:
    if (
        not isinstance(value, list | tuple)
        or len(value) < 2
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value[:2])
    ):
        raise GeometryError(_("a position is not a pair of numbers: %(value)s") % {"value": value})
    lng, lat = float(value[0]), float(value[1])
    swapped = CHINA_LNG[0] <= lat <= CHINA_LNG[1] and CHINA_LAT[0] <= lng <= CHINA_LAT[1]
    if not swapped and (abs(lng) > 180 or abs(lat) > 90):
        raise GeometryError(
            _(
                "coordinates %(lng)s, %(lat)s are not degrees of longitude and latitude (a "
                "projected system in metres?): expected WGS 84 or GCJ-02"
            )
            % {"lng": value[0], "lat": value[1]}
        )
    if not (CHINA_LNG[0] <= lng <= CHINA_LNG[1] and CHINA_LAT[0] <= lat <= CHINA_LAT[1]):
        raise GeometryError(
            _(
                "coordinates %(lng)s, %(lat)s lie outside China (longitude and latitude "
                "swapped?): expected WGS 84 or GCJ-02 as [longitude, latitude]"
            )
            % {"lng": value[0], "lat": value[1]}
        )
    return lng, lat


def _area2(ring: Sequence[Point]) -> float:
    """Twice the signed area (shoelace); the ring is closed."""
    return sum(a[0] * b[1] - b[0] * a[1] for a, b in itertools.pairwise(ring))


def _orient(a: Point, b: Point, c: Point) -> float:
    return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])


def _on_segment(a: Point, b: Point, p: Point) -> bool:
    return min(a[0], b[0]) <= p[0] <= max(a[0], b[0]) and min(a[1], b[1]) <= p[1] <= max(a[1], b[1])


def _segments_cross(a: Point, b: Point, c: Point, d: Point) -> bool:
    o1, o2, o3, o4 = _orient(a, b, c), _orient(a, b, d), _orient(c, d, a), _orient(c, d, b)
    if ((o1 > 0 > o2) or (o1 < 0 < o2)) and ((o3 > 0 > o4) or (o3 < 0 < o4)):
        return True
    return (
        (o1 == 0 and _on_segment(a, b, c))
        or (o2 == 0 and _on_segment(a, b, d))
        or (o3 == 0 and _on_segment(c, d, a))
        or (o4 == 0 and _on_segment(c, d, b))
    )


def _self_intersection(ring: Sequence[Point]) -> Point | None:
    """A point where two non-adjacent edges of a closed ring meet, or None (a sweep over x)."""
    n = len(ring) - 1
    edges = sorted(
        range(n), key=lambda i: min(ring[i][0], ring[i + 1][0])
    )  # edge i joins ring[i] and ring[i+1]
    for pos, i in enumerate(edges):
        a, b = ring[i], ring[i + 1]
        right = max(a[0], b[0])
        for j in edges[pos + 1 :]:
            c, d = ring[j], ring[j + 1]
            if min(c[0], d[0]) > right:
                break
            if abs(i - j) == 1 or abs(i - j) == n - 1:
                continue  # neighbours share a vertex
            if max(c[1], d[1]) < min(a[1], b[1]) or min(c[1], d[1]) > max(a[1], b[1]):
                continue
            if _segments_cross(a, b, c, d):
                return c
    return None


def point_in_ring(point: Point, ring: Sequence[Point]) -> bool:
    """Ray casting; points on the edge count either way."""
    x, y = point
    inside = False
    for a, b in itertools.pairwise(ring):
        if (a[1] > y) != (b[1] > y):
            cross = a[0] + (y - a[1]) * (b[0] - a[0]) / (b[1] - a[1])
            if x < cross:
                inside = not inside
    return inside


def _ring(value: Any, where: str) -> Ring:
    if not isinstance(value, list):
        raise GeometryError(_("%(where)s is not a list of positions") % {"where": where})
    points: Ring = []
    for position in value:
        point = _point(position)
        if not points or point != points[-1]:  # a repeated position adds nothing
            points.append(point)
    if len(points) < 4 or len(set(points)) < 3:
        raise GeometryError(
            _("%(where)s has %(n)d positions; a ring needs at least 4")
            % {"where": where, "n": len(value)}
        )
    if points[0] != points[-1]:
        raise GeometryError(
            _("%(where)s is not closed: its last position must repeat the first") % {"where": where}
        )
    crossing = _self_intersection(points)
    if crossing is not None:
        raise GeometryError(
            _("%(where)s crosses itself near %(lng).6f, %(lat).6f")
            % {"where": where, "lng": crossing[0], "lat": crossing[1]}
        )
    if abs(_area2(points)) < 1e-14:
        raise GeometryError(_("%(where)s encloses no area") % {"where": where})
    return points


def _polygon(value: Any, label: str) -> list[Ring]:
    if not isinstance(value, list) or not value:
        raise GeometryError(_("%(where)s has no rings") % {"where": label})
    rings = [
        _ring(r, _("the outer ring") if i == 0 else _("hole %(n)d") % {"n": i})
        for i, r in enumerate(value)
    ]
    for index, hole in enumerate(rings[1:], start=1):
        if not all(point_in_ring(p, rings[0]) for p in hole[:-1]):
            raise GeometryError(
                _("hole %(n)d lies outside the outer ring of %(where)s")
                % {"n": index, "where": label}
            )
    return rings


def validate_geometry(geometry: Any) -> dict[str, Any]:
    """A clean GeoJSON Polygon or MultiPolygon (floats, closed rings), or GeometryError."""
    if not isinstance(geometry, dict):
        raise GeometryError(_("the feature has no geometry"))
    kind = geometry.get("type")
    coordinates = geometry.get("coordinates")
    if kind == "Polygon":
        rings = _polygon(coordinates, _("the polygon"))
        return {"type": "Polygon", "coordinates": [[list(p) for p in r] for r in rings]}
    if kind == "MultiPolygon":
        if not isinstance(coordinates, list) or not coordinates:
            raise GeometryError(_("the multipolygon has no polygons"))
        polygons = [
            _polygon(p, _("polygon %(n)d") % {"n": i + 1}) for i, p in enumerate(coordinates)
        ]
        return {
            "type": "MultiPolygon",
            "coordinates": [[[list(p) for p in r] for r in poly] for poly in polygons],
        }
    raise GeometryError(
        _("a boundary is a Polygon or a MultiPolygon, not %(kind)s") % {"kind": kind or "-"}
    )


def geometry_points(geometry: dict[str, Any]) -> Iterable[Point]:
    kind, coordinates = geometry["type"], geometry["coordinates"]
    polygons = [coordinates] if kind == "Polygon" else coordinates
    if kind == "LineString":
        polygons = [[coordinates]]
    for polygon in polygons:
        for ring in polygon:
            for lng, lat, *_rest in ring:
                yield float(lng), float(lat)


def bbox(geometry: dict[str, Any]) -> tuple[float, float, float, float]:
    """(min_lng, min_lat, max_lng, max_lat)."""
    points = list(geometry_points(geometry))
    lngs = [p[0] for p in points]
    lats = [p[1] for p in points]
    return min(lngs), min(lats), max(lngs), max(lats)
