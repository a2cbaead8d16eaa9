"""Reach on a small hand-made network with known shortest paths, and the detour fallback."""

from __future__ import annotations

import math

import numpy as np

from yiyang.facilities.reach import (
    Network,
    Points,
    Router,
    detour_reach,
    distances_each,
    haversine_m,
    network_reach,
)

# A ladder of 5 nodes 0.001° of latitude apart (about 111.2 m) on one meridian, plus a
# long detour: node 0 - 1 - 2 - 3 - 4 in a line, and node 5 off to the east joined to 0 and 4.
LAT0, LNG0, STEP = 34.0, 113.0, 0.001


def ladder() -> Network:
    lat = np.array([LAT0 + i * STEP for i in range(5)] + [LAT0 + 2 * STEP])
    lng = np.array([LNG0] * 5 + [LNG0 + 0.01])
    u = np.array([0, 1, 2, 3, 0, 5])
    v = np.array([1, 2, 3, 4, 5, 4])
    return Network(lat=lat, lng=lng, u=u, v=v, length=haversine_m(lat[u], lng[u], lat[v], lng[v]))


SEGMENT = float(
    haversine_m(np.array([LAT0]), np.array([LNG0]), np.array([LAT0 + STEP]), np.array([LNG0]))[0]
)


def test_nearest_facility_along_the_street():
    router = Router(ladder())
    facility = Points.of([(LAT0, LNG0)])  # at node 0
    homes = Points.of([(LAT0 + 3 * STEP, LNG0), (LAT0 + 4 * STEP, LNG0)])
    metres = network_reach(router, facility, homes, limit=10_000)
    assert np.allclose(metres, [3 * SEGMENT, 4 * SEGMENT], atol=0.01)


def test_multi_source_takes_the_nearer_facility():
    router = Router(ladder())
    facilities = Points.of([(LAT0, LNG0), (LAT0 + 4 * STEP, LNG0)])
    homes = Points.of([(LAT0 + i * STEP, LNG0) for i in range(5)])
    metres = network_reach(router, facilities, homes, limit=10_000)
    assert np.allclose(metres, [0, SEGMENT, 2 * SEGMENT, SEGMENT, 0], atol=0.01)


def test_cut_street_makes_the_walk_take_the_detour():
    network = ladder()
    keep = ~((network.u == 1) & (network.v == 2))  # the street between nodes 1 and 2 is gone
    cut = Network(
        lat=network.lat,
        lng=network.lng,
        u=network.u[keep],
        v=network.v[keep],
        length=network.length[keep],
    )
    router = Router(cut)
    metres = network_reach(
        router, Points.of([(LAT0, LNG0)]), Points.of([(LAT0 + 2 * STEP, LNG0)]), limit=10_000
    )
    detour = network.length[4] + network.length[5] + 2 * SEGMENT  # 0 -> 5 -> 4 -> 3 -> 2
    assert math.isclose(metres[0], detour, abs_tol=0.01)


def test_home_off_the_street_adds_its_straight_way_to_the_nearest_node():
    router = Router(ladder())
    home = Points.of([(LAT0 + STEP, LNG0 + 0.0005)])  # east of node 1
    metres = network_reach(router, Points.of([(LAT0, LNG0)]), home, limit=10_000)
    off = float(
        haversine_m(
            np.array([LAT0 + STEP]),
            np.array([LNG0]),
            np.array([LAT0 + STEP]),
            np.array([LNG0 + 0.0005]),
        )[0]
    )
    assert math.isclose(metres[0], SEGMENT + off, rel_tol=1e-3)


def test_beyond_the_limit_is_out_of_reach():
    router = Router(ladder())
    metres = network_reach(
        router, Points.of([(LAT0, LNG0)]), Points.of([(LAT0 + 4 * STEP, LNG0)]), limit=2 * SEGMENT
    )
    assert np.isinf(metres[0])


def test_no_facility_means_no_reach():
    router = Router(ladder())
    metres = network_reach(router, Points.of([]), Points.of([(LAT0, LNG0)]), limit=10_000)
    assert np.isinf(metres[0])


def test_detour_is_the_straight_line_times_the_factor():
    facility = Points.of([(LAT0, LNG0)])
    homes = Points.of([(LAT0 + 3 * STEP, LNG0)])
    metres = detour_reach(facility, homes, detour=1.3, limit=10_000)
    assert math.isclose(metres[0], 3 * SEGMENT * 1.3, rel_tol=1e-3)
    assert np.isinf(detour_reach(facility, homes, detour=1.3, limit=100)[0])
    assert np.isinf(detour_reach(Points.of([]), homes, detour=1.3, limit=10_000)[0])


def test_covering_sets_of_each_candidate():
    router = Router(ladder())
    homes = Points.of([(LAT0 + i * STEP, LNG0) for i in range(5)])
    sets = distances_each(
        router, Points.of([(LAT0, LNG0), (LAT0 + 4 * STEP, LNG0)]), homes, limit=SEGMENT * 1.5
    )
    assert [s.tolist() for s in sets] == [[0, 1], [3, 4]]


def test_network_round_trips_through_bytes():
    network = ladder()
    again = Network.from_bytes(network.to_bytes())
    assert again.node_count == 6 and again.edge_count == 6
    assert np.allclose(again.length, network.length, atol=0.01)
