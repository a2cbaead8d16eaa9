"""The demo city's walking network: a jittered grid of streets around each community and
street centre, joined by country roads from each village to its township and from each
township to its county (so the network method runs in the demo, the tests and the
benchmark without an OpenStreetMap download).

Points sit on one lattice (about 130 m apart), so the grids of neighbouring communities
merge into one street pattern; each point is moved a little and a few street segments are
left out, so that walks are not plain Manhattan distances.
"""

from __future__ import annotations

import math

import numpy as np

from yiyang.facilities.reach import EARTH_RADIUS_M, Network, haversine_m

SPACING_M = 130.0
DROP_SHARE = 0.08  # street segments left out of the grid
JITTER_SHARE = 0.25  # of the spacing, each way


def _steps(spacing_m: float, ref_lat: float) -> tuple[float, float]:
    dlat = spacing_m / (math.pi / 180 * EARTH_RADIUS_M)
    return dlat, dlat / math.cos(math.radians(ref_lat))


def lattice_network(
    cells: np.ndarray,
    *,
    origin: tuple[float, float],
    spacing_m: float = SPACING_M,
    seed: int = 0,
    drop_share: float = DROP_SHARE,
    keep: np.ndarray | None = None,
) -> Network:
    """A network over lattice ``cells`` (an (n, 2) array of integer row, column): a street
    between every two neighbouring cells, ``drop_share`` of them left out (never those in
    ``keep``, the country roads), each point jittered."""
    rng = np.random.default_rng(seed)
    cells = np.unique(np.asarray(cells, dtype=np.int64).reshape(-1, 2), axis=0)
    width = int(cells[:, 1].max() - cells[:, 1].min() + 3)
    low = cells.min(axis=0)
    keys = (cells[:, 0] - low[0] + 1) * width + (cells[:, 1] - low[1] + 1)  # sorted (unique)
    us, vs = [], []
    for step in (width, 1):  # the neighbour above, the neighbour to the right
        at = np.searchsorted(keys, keys + step)
        at_clipped = np.minimum(at, len(keys) - 1)
        found = keys[at_clipped] == keys + step
        us.append(np.nonzero(found)[0])
        vs.append(at_clipped[found])
    u, v = np.concatenate(us), np.concatenate(vs)
    dropped = rng.random(len(u)) < drop_share
    if keep is not None and len(keep):
        kept = np.isin(keys[u], _keys(keep, low, width)) & np.isin(keys[v], _keys(keep, low, width))
        dropped &= ~kept
    u, v = u[~dropped], v[~dropped]
    dlat, dlng = _steps(spacing_m, origin[0])
    jitter = rng.uniform(-JITTER_SHARE, JITTER_SHARE, size=cells.shape)
    lat = origin[0] + (cells[:, 0] + jitter[:, 0]) * dlat
    lng = origin[1] + (cells[:, 1] + jitter[:, 1]) * dlng
    length = haversine_m(lat[u], lng[u], lat[v], lng[v])
    return Network(lat=lat, lng=lng, u=u, v=v, length=length)


def _keys(cells: np.ndarray, low: np.ndarray, width: int) -> np.ndarray:
    return (cells[:, 0] - low[0] + 1) * width + (cells[:, 1] - low[1] + 1)


def _cell(
    point: tuple[float, float], origin: tuple[float, float], steps: tuple[float, float]
) -> tuple[int, int]:
    return round((point[0] - origin[0]) / steps[0]), round((point[1] - origin[1]) / steps[1])


def _disc(centre: tuple[int, int], radius: int) -> np.ndarray:
    i, j = np.mgrid[-radius : radius + 1, -radius : radius + 1]
    inside = i * i + j * j <= radius * radius
    return np.column_stack([i[inside] + centre[0], j[inside] + centre[1]])


def _road(a: tuple[int, int], b: tuple[int, int]) -> np.ndarray:
    """Lattice cells along a road from ``a`` to ``b``: first along the row, then the column."""
    rows = np.arange(min(a[0], b[0]), max(a[0], b[0]) + 1)
    cols = np.arange(min(a[1], b[1]), max(a[1], b[1]) + 1)
    first = np.column_stack([rows, np.full(len(rows), b[1])])
    second = np.column_stack([np.full(len(cols), a[0]), cols])
    return np.concatenate([first, second])


def city_street_network(
    *,
    areas: list[tuple[float, float, float]],
    roads: list[tuple[tuple[float, float], tuple[float, float]]],
    seed: int = 0,
    spacing_m: float = SPACING_M,
) -> Network:
    """Street grids over discs (``areas``: latitude, longitude, radius in metres) joined by
    ``roads`` (pairs of points)."""
    origin = (min(a[0] for a in areas), min(a[1] for a in areas))
    steps = _steps(spacing_m, origin[0])
    parts = [
        _disc(_cell((lat, lng), origin, steps), max(1, round(r / spacing_m)))
        for lat, lng, r in areas
    ]
    road_cells = [_road(_cell(a, origin, steps), _cell(b, origin, steps)) for a, b in roads]
    keep = np.concatenate(road_cells) if road_cells else np.zeros((0, 2), dtype=np.int64)
    cells = np.concatenate([*parts, keep])
    return lattice_network(cells, origin=origin, spacing_m=spacing_m, seed=seed, keep=keep)


def grid_network(
    *,
    rows: int,
    cols: int,
    origin: tuple[float, float],
    seed: int = 0,
    spacing_m: float = SPACING_M,
) -> Network:
    """A plain jittered grid of ``rows`` x ``cols`` points (the benchmark's city)."""
    i, j = np.mgrid[0:rows, 0:cols]
    return lattice_network(
        np.column_stack([i.ravel(), j.ravel()]), origin=origin, spacing_m=spacing_m, seed=seed
    )
