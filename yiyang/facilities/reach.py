"""Walking reach, pure arrays in and out (no database): the walking network, snapping
points to it, and the distance from every home to the nearest facility of a kind.

With a network: one multi-source Dijkstra per facility kind (scipy's ``dijkstra`` with
every facility of the kind as a source and ``min_only=True``), never one per elder. Each
facility is a node of its own joined one-way to its nearest street node by the straight
line, so a walk may end at a facility but never passes through one. An elder's distance is
the straight line to their nearest street node plus that node's distance. Without a
network: the straight line to the nearest facility times the detour factor.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

EARTH_RADIUS_M = 6_371_008.8
FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass
class Network:
    """Nodes (latitude, longitude) and undirected edges with their length in metres."""

    lat: FloatArray
    lng: FloatArray
    u: IntArray
    v: IntArray
    length: FloatArray

    @property
    def node_count(self) -> int:
        return int(self.lat.shape[0])

    @property
    def edge_count(self) -> int:
        return int(self.u.shape[0])

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            lat=self.lat,
            lng=self.lng,
            u=self.u.astype(np.int32),
            v=self.v.astype(np.int32),
            length=self.length.astype(np.float32),
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> Network:
        with np.load(io.BytesIO(bytes(data))) as arrays:
            return cls(
                lat=arrays["lat"].astype(np.float64),
                lng=arrays["lng"].astype(np.float64),
                u=arrays["u"].astype(np.int64),
                v=arrays["v"].astype(np.int64),
                length=arrays["length"].astype(np.float64),
            )


def project(lat: FloatArray, lng: FloatArray, ref_lat: float) -> FloatArray:
    """Metres east and north of (ref_lat, 0) on a local equirectangular plane: within a
    city (tens of kilometres) the error is far below a street's width."""
    k = math.pi / 180 * EARTH_RADIUS_M
    x = np.asarray(lng, dtype=np.float64) * k * math.cos(math.radians(ref_lat))
    y = np.asarray(lat, dtype=np.float64) * k
    return np.column_stack([x, y])


def haversine_m(
    lat1: FloatArray, lng1: FloatArray, lat2: FloatArray, lng2: FloatArray
) -> FloatArray:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lng2) - np.asarray(lng1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(a)), dtype=np.float64)


@dataclass
class Points:
    lat: FloatArray
    lng: FloatArray

    @classmethod
    def of(cls, pairs: list[tuple[float, float]]) -> Points:
        array = np.asarray(pairs, dtype=np.float64).reshape(-1, 2)
        return cls(lat=array[:, 0], lng=array[:, 1])

    def __len__(self) -> int:
        return int(self.lat.shape[0])


class Router:
    """A network prepared for many queries: projected nodes, their k-d tree, and the
    street edges in both directions."""

    def __init__(self, network: Network) -> None:
        self.network = network
        self.ref_lat = float(np.mean(network.lat)) if network.node_count else 0.0
        self.xy = project(network.lat, network.lng, self.ref_lat)
        self.tree = cKDTree(self.xy)

    def snap(self, points: Points) -> tuple[IntArray, FloatArray]:
        """Each point's nearest node and the straight line to it (metres)."""
        if len(points) == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        dist, idx = self.tree.query(project(points.lat, points.lng, self.ref_lat))
        return np.asarray(idx, dtype=np.int64), np.asarray(dist, dtype=np.float64)

    def distances_from(self, sources: Points, *, limit: float) -> FloatArray:
        """Walking metres from the nearest of ``sources`` to every street node (inf beyond
        ``limit`` or unreachable): one multi-source Dijkstra."""
        n = self.network.node_count
        if len(sources) == 0:
            return np.full(n, np.inf)
        nodes, snaps = self.snap(sources)
        f = len(sources)
        net = self.network
        rows = np.concatenate([net.u, net.v, n + np.arange(f)])
        cols = np.concatenate([net.v, net.u, nodes])
        # a zero-length edge would vanish from a sparse matrix: keep it a millimetre long
        weights = np.maximum(np.concatenate([net.length, net.length, snaps]), 1e-3)
        graph = csr_matrix((weights, (rows, cols)), shape=(n + f, n + f))
        dist = dijkstra(
            graph, directed=True, indices=np.arange(n, n + f), min_only=True, limit=limit
        )
        return np.asarray(dist[:n], dtype=np.float64)

    def point_distances(
        self,
        dist_nodes: FloatArray,
        points: Points,
        *,
        limit: float,
        snapped: tuple[IntArray, FloatArray] | None = None,
    ) -> FloatArray:
        """From node distances to the points' distances (plus their way to the street);
        ``snapped`` is ``snap(points)`` when the caller has it already (one per kind)."""
        nodes, snaps = snapped if snapped is not None else self.snap(points)
        total = dist_nodes[nodes] + snaps
        total[total > limit] = np.inf
        return np.asarray(total, dtype=np.float64)


def network_reach(
    router: Router,
    facilities: Points,
    homes: Points,
    *,
    limit: float,
    snapped: tuple[IntArray, FloatArray] | None = None,
) -> FloatArray:
    """Walking metres from every home to the nearest facility (inf beyond ``limit``).
    Pass ``snapped=router.snap(homes)`` when computing several kinds for the same homes."""
    return router.point_distances(
        router.distances_from(facilities, limit=limit), homes, limit=limit, snapped=snapped
    )


def detour_reach(facilities: Points, homes: Points, *, detour: float, limit: float) -> FloatArray:
    """Straight-line metres to the nearest facility times ``detour`` (inf beyond ``limit``)."""
    if len(homes) == 0:
        return np.zeros(0)
    if len(facilities) == 0:
        return np.full(len(homes), np.inf)
    ref = float(np.mean(homes.lat))
    tree = cKDTree(project(facilities.lat, facilities.lng, ref))
    dist, _idx = tree.query(project(homes.lat, homes.lng, ref))
    total = np.asarray(dist, dtype=np.float64) * detour
    total[total > limit] = np.inf
    return total


def metres_per_minute(speed_kmh: float) -> float:
    return speed_kmh * 1000.0 / 60.0


def distances_each(
    router: Router, sources: Points, homes: Points, *, limit: float, batch: int = 32
) -> list[NDArray[np.int64]]:
    """For each source, the homes within ``limit`` walking metres of it (one Dijkstra per
    batch of sources, each bounded by ``limit``): the covering sets of candidate sites."""
    n = router.network.node_count
    net = router.network
    home_nodes, home_snaps = router.snap(homes)
    src_nodes, src_snaps = router.snap(sources)
    graph = csr_matrix(
        (
            np.maximum(np.concatenate([net.length, net.length]), 1e-3),
            (np.concatenate([net.u, net.v]), np.concatenate([net.v, net.u])),
        ),
        shape=(n, n),
    )
    result: list[NDArray[np.int64]] = []
    for start in range(0, len(sources), batch):
        nodes = src_nodes[start : start + batch]
        snaps = src_snaps[start : start + batch]
        dist = dijkstra(graph, directed=True, indices=nodes, limit=limit)
        dist = np.atleast_2d(dist)
        for row, snap in zip(dist, snaps, strict=True):
            total = row[home_nodes] + home_snaps + snap
            result.append(np.nonzero(total <= limit)[0].astype(np.int64))
    return result


def straight_each(
    sources: Points, homes: Points, *, limit: float, detour: float
) -> list[NDArray[np.int64]]:
    """For each source, the homes within ``limit`` metres by the straight line x detour."""
    if len(homes) == 0:
        return [np.zeros(0, dtype=np.int64) for _ in range(len(sources))]
    ref = float(np.mean(homes.lat))
    tree = cKDTree(project(homes.lat, homes.lng, ref))
    found = tree.query_ball_point(project(sources.lat, sources.lng, ref), r=limit / detour)
    return [np.asarray(sorted(f), dtype=np.int64) for f in found]
