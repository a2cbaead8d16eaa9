"""The order of a courier's delivery round: an open travelling-salesman path from the
canteen through every door, solved with OR-Tools' routing solver over the rostering
optimiser's travel model (great-circle distance x circuity at scooter speed). Pure
computation: the delivery service reads the bookings and writes the positions."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from yiyang.scheduling.solver.model import Location, TravelMode
from yiyang.scheduling.solver.travel import GreatCircleTravelTime

# A round is a few dozen doors: at most a second of guided local search is plenty, and
# the first solution (cheapest arc) already stands when the limit strikes.
TIME_LIMIT_MS = 1000
SCALE = 100  # OR-Tools wants integer costs: hundredths of a minute


def travel_minutes(points: Sequence[tuple[float, float]]) -> list[list[float]]:
    """Minutes between every pair of points (lat, lng) on a courier's scooter."""
    locations = [Location(str(i), lat, lng) for i, (lat, lng) in enumerate(points)]
    return GreatCircleTravelTime().minutes(locations, TravelMode.SCOOTER)


def round_order(
    start: tuple[float, float],
    stops: Sequence[tuple[float, float]],
    time_limit_ms: int = TIME_LIMIT_MS,
) -> tuple[list[int], float]:
    """The indices of ``stops`` in visiting order from ``start`` (the round ends at the
    last door: no return leg), and the round's travel minutes."""
    if not stops:
        return [], 0.0
    minutes = travel_minutes([start, *stops])
    n = len(minutes)
    # Node n is a dummy end reached from anywhere at no cost: the path is open.
    cost = [[round(minutes[i][j] * SCALE) for j in range(n)] + [0] for i in range(n)]
    cost.append([0] * (n + 1))
    manager = pywrapcp.RoutingIndexManager(n + 1, 1, [0], [n])
    routing = pywrapcp.RoutingModel(manager)

    def arc(i: int, j: int) -> int:
        return cost[manager.IndexToNode(i)][manager.IndexToNode(j)]

    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitCallback(arc))
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    # Guided local search runs until the limit: short for a short round.
    params.time_limit.FromMilliseconds(min(time_limit_ms, 200 + 40 * len(stops)))
    solution = routing.SolveWithParameters(params)
    if solution is None:  # never for an open path without constraints; kept honest
        return list(range(len(stops))), _length(minutes, list(range(len(stops))))
    order: list[int] = []
    index = routing.Start(0)
    while not routing.IsEnd(index):
        node = manager.IndexToNode(index)
        if 0 < node < n:
            order.append(node - 1)
        index = solution.Value(routing.NextVar(index))
    return order, _length(minutes, order)


def _length(minutes: list[list[float]], order: list[int]) -> float:
    path = [0, *(i + 1 for i in order)]
    return sum(minutes[a][b] for a, b in itertools.pairwise(path))
