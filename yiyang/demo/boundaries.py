"""Plausible boundaries and roads for the demo city, so its maps have a basemap.

The city's outline is an irregular convex polygon inside its bounding box. Each level is
cut from its parent's cell as a Voronoi diagram of the children's centroids (a child whose
centroid lies outside its parent's cell is pulled towards the parent's middle first), so
communities tile their street, streets their district and districts the city, exactly.
Distances are measured with longitude shrunk by cos(latitude), so cells are not stretched.
The result goes through the same import service as a real city's GeoJSON file.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from yiyang.core.choices import RoadKind
from yiyang.core.geometry import point_in_ring
from yiyang.core.models import Division, DivisionBoundary
from yiyang.core.permissions import SystemActor
from yiyang.core.scoping import Scope
from yiyang.core.services import division_boundaries_import, map_roads_replace

Pt = tuple[float, float]  # (x, y) = (longitude * k, latitude)


@dataclass
class DemoBoundaries:
    created: int = 0
    existing: int = 0
    roads: int = 0


def _clip(polygon: list[Pt], a: float, b: float, c: float) -> list[Pt]:
    """Sutherland-Hodgman: the part of a convex polygon where a*x + b*y <= c."""
    out: list[Pt] = []
    for i, p in enumerate(polygon):
        q = polygon[(i + 1) % len(polygon)]
        fp, fq = a * p[0] + b * p[1] - c, a * q[0] + b * q[1] - c
        if fp <= 0:
            out.append(p)
        if (fp < 0 < fq) or (fq < 0 < fp):
            t = fp / (fp - fq)
            out.append((p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])))
    return out


def _voronoi_cells(container: list[Pt], sites: list[Pt]) -> list[list[Pt]]:
    cells = []
    for i, p in enumerate(sites):
        cell = container
        for j, q in enumerate(sites):
            if i == j or not cell:
                continue
            # |x - p|^2 <= |x - q|^2  <=>  2(q - p).x <= |q|^2 - |p|^2
            a, b = 2 * (q[0] - p[0]), 2 * (q[1] - p[1])
            cell = _clip(cell, a, b, q[0] ** 2 + q[1] ** 2 - p[0] ** 2 - p[1] ** 2)
        cells.append(cell)
    return cells


def _closed(polygon: list[Pt]) -> list[Pt]:
    return [*polygon, polygon[0]]


def _middle(polygon: list[Pt]) -> Pt:
    return (
        sum(p[0] for p in polygon) / len(polygon),
        sum(p[1] for p in polygon) / len(polygon),
    )


def _inside(rng: random.Random, site: Pt, polygon: list[Pt], used: set[Pt]) -> Pt:
    """The site itself when it lies inside the parent's cell; otherwise a random point of
    the cell (pulling outside sites towards the middle would line them up into slivers)."""
    ring = _closed(polygon)
    point = site
    xs, ys = [p[0] for p in polygon], [p[1] for p in polygon]
    for _attempt in range(1000):
        if (
            point_in_ring(point, ring)
            and min((abs(point[0] - u[0]) + abs(point[1] - u[1]) for u in used), default=1.0) > 1e-4
        ):
            break
        point = (rng.uniform(min(xs), max(xs)), rng.uniform(min(ys), max(ys)))
    else:  # a cell too small to hold another site: its middle
        point = _middle(polygon)
    used.add(point)
    return point


def _city_outline(rng: random.Random, centre: Pt, half_x: float, half_y: float) -> list[Pt]:
    """A convex, slightly irregular polygon (counter-clockwise)."""
    points = []
    for step in range(20):
        angle = 2 * math.pi * step / 20
        r = rng.uniform(0.86, 0.98)
        points.append(
            (centre[0] + r * half_x * math.cos(angle), centre[1] + r * half_y * math.sin(angle))
        )
    return _hull(points)


def _hull(points: list[Pt]) -> list[Pt]:
    """Andrew's monotone chain, counter-clockwise."""
    pts = sorted(set(points))

    def half(seq: list[Pt]) -> list[Pt]:
        chain: list[Pt] = []
        for p in seq:
            while (
                len(chain) >= 2
                and (
                    (chain[-1][0] - chain[-2][0]) * (p[1] - chain[-2][1])
                    - (chain[-1][1] - chain[-2][1]) * (p[0] - chain[-2][0])
                )
                <= 0
            ):
                chain.pop()
            chain.append(p)
        return chain

    lower, upper = half(pts), half(list(reversed(pts)))
    return lower[:-1] + upper[:-1]


def _ray_exit(polygon: list[Pt], origin: Pt, angle: float) -> float:
    """How far a ray from ``origin`` inside the polygon runs before it leaves it."""
    dx, dy = math.cos(angle), math.sin(angle)
    best = math.inf
    for i, p in enumerate(polygon):
        q = polygon[(i + 1) % len(polygon)]
        ex, ey = q[0] - p[0], q[1] - p[1]
        denominator = dx * ey - dy * ex
        if abs(denominator) < 1e-12:
            continue
        t = ((p[0] - origin[0]) * ey - (p[1] - origin[1]) * ex) / denominator
        u = ((p[0] - origin[0]) * dy - (p[1] - origin[1]) * dx) / denominator
        if t > 0 and 0 <= u <= 1:
            best = min(best, t)
    return best if best < math.inf else 0.0


RADIALS = ["人民路", "建设路", "解放路", "文化路", "黄河路", "中州大道", "农业路", "金水路"]


def _roads(rng: random.Random, outline: list[Pt], centre: Pt, k: float) -> list[dict[str, object]]:
    def lnglat(p: Pt) -> list[float]:
        return [round(p[0] / k, 6), round(p[1], 6)]

    roads: list[dict[str, object]] = []
    for name, radius, kind in (
        ("一环路", 0.05, RoadKind.ARTERIAL),
        ("绕城高速", 0.16, RoadKind.EXPRESSWAY),
    ):
        ring = [
            (centre[0] + radius * math.cos(a), centre[1] + radius * 0.9 * math.sin(a))
            for a in (2 * math.pi * s / 48 for s in range(49))
        ]
        roads.append({"name": name, "kind": kind, "coordinates": [lnglat(p) for p in ring]})
    for index, name in enumerate(RADIALS):
        angle = 2 * math.pi * index / len(RADIALS) + rng.uniform(-0.15, 0.15)
        length = _ray_exit(outline, centre, angle) * 0.98
        bend = rng.uniform(-0.08, 0.08)
        points = [
            (
                centre[0] + length * f * math.cos(angle + bend * f),
                centre[1] + length * f * math.sin(angle + bend * f),
            )
            for f in (i / 10 for i in range(11))
        ]
        kind = RoadKind.EXPRESSWAY if index % 4 == 0 else RoadKind.ARTERIAL
        roads.append({"name": name, "kind": kind, "coordinates": [lnglat(p) for p in points]})
    # A street grid in the old town, inside the inner ring.
    for step in range(-4, 5):
        offset = step * 0.011
        half = math.sqrt(max(0.0, 0.05**2 - offset**2))
        roads.append(
            {
                "name": "",
                "kind": RoadKind.LOCAL,
                "coordinates": [
                    lnglat((centre[0] + offset, centre[1] - half * 0.9)),
                    lnglat((centre[0] + offset, centre[1] + half * 0.9)),
                ],
            }
        )
        roads.append(
            {
                "name": "",
                "kind": RoadKind.LOCAL,
                "coordinates": [
                    lnglat((centre[0] - half, centre[1] + offset * 0.9)),
                    lnglat((centre[0] + half, centre[1] + offset * 0.9)),
                ],
            }
        )
    return roads


def demo_boundaries_build(*, city_code: str, seed: int = 20261122) -> DemoBoundaries:
    """Generate and store boundaries for every division of the city, and its roads."""
    result = DemoBoundaries()
    result.existing = DivisionBoundary.objects.filter(
        division_code__startswith=city_code[:4]
    ).count()
    city = Division.objects.filter(code=city_code).first()
    if city is None or result.existing:
        return result
    rng = random.Random(seed)
    k = math.cos(math.radians(float(city.centroid_lat or 35)))
    divisions = list(Division.objects.filter(code__startswith=city_code[:4]).order_by("code"))
    children: dict[int | None, list[Division]] = {}
    for division in divisions:
        children.setdefault(division.parent_id, []).append(division)

    def site(division: Division) -> Pt:
        return (float(division.centroid_lng or 0) * k, float(division.centroid_lat or 0))

    centre = site(city)
    half_x = (float(city.bbox_max_lng or 0) - float(city.bbox_min_lng or 0)) / 2 * k or 0.4
    half_y = (float(city.bbox_max_lat or 0) - float(city.bbox_min_lat or 0)) / 2 or 0.4
    outline = _city_outline(rng, centre, half_x, half_y)
    cells: dict[int, list[Pt]] = {city.pk: outline}
    queue = [city]
    while queue:
        parent = queue.pop(0)
        kids = children.get(parent.pk, [])
        used: set[Pt] = set()
        sites = [_inside(rng, site(kid), cells[parent.pk], used) for kid in kids]
        kid_cells = _voronoi_cells(cells[parent.pk], sites)
        for kid, cell in zip(kids, kid_cells, strict=True):
            cells[kid.pk] = cell
            queue.append(kid)
    features = [
        {
            "type": "Feature",
            "properties": {"code": division.code, "name": division.name},
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [[round(x / k, 6), round(y, 6)] for x, y in _closed(_tidy(cells[division.pk]))]
                ],
            },
        }
        for division in divisions
        if len(_tidy(cells.get(division.pk, []))) >= 3
    ]
    actor = SystemActor(scope=Scope(division_prefix=city_code[:4]), username="system:seed-demo")
    imported = division_boundaries_import(
        actor=actor,
        collection={"type": "FeatureCollection", "features": features},
        source="demo (Voronoi)",
    )
    result.created = imported.created
    result.roads = map_roads_replace(
        actor=actor, division=city, roads=_roads(rng, outline, centre, k)
    )
    return result


def _tidy(polygon: list[Pt]) -> list[Pt]:
    """Drop vertices that repeat (after rounding to the stored 6 decimals)."""
    out: list[Pt] = []
    for p in polygon:
        q = (round(p[0], 7), round(p[1], 7))
        if not out or (abs(q[0] - out[-1][0]) > 2e-5 or abs(q[1] - out[-1][1]) > 2e-5):
            out.append(q)
    while (
        len(out) > 1 and abs(out[0][0] - out[-1][0]) <= 2e-5 and abs(out[0][1] - out[-1][1]) <= 2e-5
    ):
        out.pop()
    return out
