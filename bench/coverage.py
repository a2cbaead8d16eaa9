"""The 15-minute circle at city scale, and the covering model.

Part 1, reach and coverage: 900,000 elders over a synthetic walking network of at least
200,000 nodes (a jittered grid, ``yiyang.demo.streets.grid_network``), the walking time to
the nearest open facility of each of six kinds (one multi-source Dijkstra per kind), the
share inside the circle per community and per H3 hexagon. Target: under 60 s.

Part 2, where to build next: a maximal covering location problem with 20,000 demand cells,
500 candidate sites and k = 10, solved by HiGHS to proven optimality (target: under 30 s),
with the greedy choice's coverage beside it.

No database: the same pure functions the services call. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("YIYANG_MODE", "test")

import h3
import highspy
import scipy
from scipy.sparse import csr_matrix
from scipy.spatial import cKDTree

from bench.machine import machine as machine_info
from yiyang.demo.streets import grid_network
from yiyang.facilities import mclp
from yiyang.facilities.coverage import Homes, hexagons, per_community
from yiyang.facilities.reach import Points, Router, network_reach

ORIGIN = (34.55, 113.40)
KINDS = {
    "community_station": 2400,
    "day_care_centre": 180,
    "elderly_canteen": 600,
    "meal_point": 900,
    "public_institution": 90,
    "health_centre": 300,
}
SPEED = 4000 / 60  # metres a minute
CIRCLE = 15 * SPEED
LIMIT = 60 * SPEED


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def reach_part(*, elders: int, side: int, seed: int) -> dict[str, object]:
    rng = np.random.default_rng(seed)
    started = time.perf_counter()
    network = grid_network(rows=side, cols=side, origin=ORIGIN, seed=seed)
    built = time.perf_counter() - started
    lat_lo, lat_hi = network.lat.min(), network.lat.max()
    lng_lo, lng_hi = network.lng.min(), network.lng.max()
    homes = Points(lat=rng.uniform(lat_lo, lat_hi, elders), lng=rng.uniform(lng_lo, lng_hi, elders))
    t0 = time.perf_counter()
    router = Router(network)
    timings: dict[str, float] = {"router": time.perf_counter() - t0}
    t = time.perf_counter()
    snapped = router.snap(homes)  # once for every kind, as compute-coverage does
    timings["snap_homes"] = time.perf_counter() - t
    shares = {}
    covered_any = None
    for kind, count in KINDS.items():
        t = time.perf_counter()
        sites = Points(
            lat=rng.uniform(lat_lo, lat_hi, count), lng=rng.uniform(lng_lo, lng_hi, count)
        )
        metres = network_reach(router, sites, homes, limit=LIMIT, snapped=snapped)
        inside = metres <= CIRCLE
        shares[kind] = round(float(inside.mean()) * 100, 1)
        timings[kind] = time.perf_counter() - t
        if kind == "community_station":
            covered_any = inside
        log(f"{kind}: {timings[kind]:.2f} s, {shares[kind]} % inside")
    t = time.perf_counter()
    # 3,000 communities: a square lattice of cells over the city
    cells = 55
    row = np.clip(((homes.lat - lat_lo) / (lat_hi - lat_lo) * cells).astype(int), 0, cells - 1)
    col = np.clip(((homes.lng - lng_lo) / (lng_hi - lng_lo) * cells).astype(int), 0, cells - 1)
    flags = rng.random((3, elders))
    table = Homes(
        lat=homes.lat,
        lng=homes.lng,
        community=row * cells + col,
        very_old=flags[0] < 0.18,
        living_alone=flags[1] < 0.12,
        disabled=flags[2] < 0.08,
    )
    communities = per_community(table, covered_any)
    timings["per_community"] = time.perf_counter() - t
    t = time.perf_counter()
    hexes = hexagons(table, covered_any, min_count=5, show_small=False)
    timings["hexagons"] = time.perf_counter() - t
    total = time.perf_counter() - t0
    return {
        "elders": elders,
        "nodes": network.node_count,
        "edges": network.edge_count,
        "network_build_seconds": round(built, 2),
        "kinds": len(KINDS),
        "facilities": sum(KINDS.values()),
        "inside_percent": shares,
        "communities": len(communities),
        "hexagons": len(hexes),
        "seconds": {k: round(v, 2) for k, v in timings.items()},
        "reach_and_coverage_seconds": round(total, 2),
        "target_seconds": 60,
        "within_target": total < 60,
    }


def mclp_part(*, cells: int, candidates: int, k: int, seed: int) -> dict[str, object]:
    rng = np.random.default_rng(seed)
    # demand cells over a 30 km x 30 km city, denser towards the centre; weights = elders
    side = 30_000.0
    xy = np.clip(rng.normal(side / 2, side / 5, (cells, 2)), 0, side)
    weights = rng.poisson(45, cells).astype(float) + 1
    # candidates where the elders are (the hard case: their circles overlap heavily)
    sites = xy[rng.choice(cells, candidates, replace=False)] + rng.normal(0, 300, (candidates, 2))
    found = cKDTree(xy).query_ball_point(sites, r=CIRCLE)
    rows = np.concatenate([np.asarray(f, dtype=np.int64) for f in found])
    cols = np.repeat(np.arange(candidates), [len(f) for f in found])
    cover = csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(cells, candidates))
    greedy = mclp.greedy(cover, weights, k)
    exact = mclp.solve(cover, weights, k, time_limit=120)
    return {
        "cells": cells,
        "candidates": candidates,
        "k": k,
        "pairs": int(cover.nnz),
        "total_weight": float(weights.sum()),
        "exact_covered": exact.covered,
        "exact_optimal": exact.optimal,
        "gap": exact.gap,
        "exact_seconds": round(exact.seconds, 2),
        "status": exact.status,
        "units_after_merging": int(exact.extra.get("units", 0)),
        "bb_nodes": int(exact.extra.get("nodes", 0)),
        "greedy_covered": greedy.covered,
        "greedy_seconds": round(greedy.seconds, 3),
        "greedy_short_by_percent": round(100 * (exact.covered - greedy.covered) / exact.covered, 3),
        "target_seconds": 30,
        "within_target": exact.optimal and exact.seconds < 30,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--elders", type=int, default=900_000)
    parser.add_argument("--side", type=int, default=460, help="grid side: side² nodes")
    parser.add_argument("--cells", type=int, default=20_000)
    parser.add_argument("--candidates", type=int, default=500)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--skip-reach", action="store_true", help="the covering model only")
    args = parser.parse_args()
    result = {
        "benchmark": "coverage",
        "machine": machine_info(
            numpy=np.__version__,
            scipy=scipy.__version__,
            highspy=highspy.Highs().version() if hasattr(highspy.Highs(), "version") else "",
            h3=h3.__version__,
        ),
        "reach": None
        if args.skip_reach
        else reach_part(elders=args.elders, side=args.side, seed=args.seed),
        "mclp": mclp_part(cells=args.cells, candidates=args.candidates, k=args.k, seed=args.seed),
    }
    result["machine"]["load_average_after"] = os.getloadavg()
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
