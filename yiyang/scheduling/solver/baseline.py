"""An OR-Tools routing baseline for comparison: the general-purpose model, default search.

Each task (one caregiver's part of a visit) is a routing node; skills restrict the vehicles;
the time dimension carries windows with a soft upper bound (lateness at weight 1, on the same
scale as travel); synchronisation is added as constraints on the time cumul variables.
OR-Tools' routing cannot express the maximum-lateness term, so it optimises travel plus total
lateness, and the result is scored by the same evaluator as ours. Start times are the
earliest ones for its routes (as for our solver), falling back to OR-Tools' own cumul values.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from yiyang.scheduling.solver.compiled import SIMULTANEOUS, Compiled, compile_problem
from yiyang.scheduling.solver.model import Problem, Route, Solution, Stop
from yiyang.scheduling.solver.search import schedule_routes

SCALE = 1000


@dataclass
class BaselineResult:
    solution: Solution | None
    seconds: float
    status: str


def solve_with_ortools(problem: Problem, *, time_limit: float) -> BaselineResult:
    began = time.perf_counter()
    c = compile_problem(problem)
    model = _model(c)
    assignment, status = _search(model, time_limit, began)
    if assignment is None:
        return BaselineResult(None, time.perf_counter() - began, status)
    routes, cumul = _routes(model, assignment, c.n_caregivers)
    earliest = schedule_routes(c, routes)
    if earliest is not None:
        cumul = earliest
    solution_routes = []
    for v, caregiver in enumerate(problem.caregivers):
        stops = tuple(
            Stop(
                problem.visits[c.task_visit[t]].id,
                c.task_requirement[t],
                cumul[t],
                cumul[t] + c.duration[t],
            )
            for t in routes[v]
        )
        solution_routes.append(Route(caregiver.id, stops))
    return BaselineResult(Solution(tuple(solution_routes)), time.perf_counter() - began, status)


@dataclass
class _Model:
    manager: Any
    routing: Any
    dimension: Any
    callbacks: tuple[Callable[[int, int], int], ...]  # kept alive while the model is used


def _model(c: Compiled) -> _Model:
    """The routing model: tasks as nodes, depots, travel as arc cost, the time dimension
    with soft window ends, allowed vehicles and synchronisation constraints."""
    from ortools.constraint_solver import pywrapcp

    n_tasks, n_vehicles = c.n_tasks, c.n_caregivers
    starts = list(c.start_node)
    ends = list(c.end_node)
    # routing node i < n_tasks is task i; then one node per distinct depot location
    depots = sorted(set(starts) | set(ends))
    depot_node = {loc: n_tasks + j for j, loc in enumerate(depots)}
    locations = [c.node[t] for t in range(n_tasks)] + depots
    manager = pywrapcp.RoutingIndexManager(
        len(locations), n_vehicles, [depot_node[s] for s in starts], [depot_node[e] for e in ends]
    )
    routing = pywrapcp.RoutingModel(manager)
    matrix = c.matrix[0]
    travel = [[round(matrix[a][b] * SCALE) for b in locations] for a in locations]
    service = [round(c.duration[t] * SCALE) for t in range(n_tasks)] + [0] * len(depots)

    def travel_cb(i: int, j: int) -> int:
        return travel[manager.IndexToNode(i)][manager.IndexToNode(j)]

    def time_cb(i: int, j: int) -> int:
        a, b = manager.IndexToNode(i), manager.IndexToNode(j)
        return service[a] + travel[a][b]

    travel_index = routing.RegisterTransitCallback(travel_cb)
    routing.SetArcCostEvaluatorOfAllVehicles(travel_index)
    time_index = routing.RegisterTransitCallback(time_cb)
    horizon = round((max(c.closes, default=0) + 10_000) * SCALE)
    routing.AddDimension(time_index, horizon, horizon, False, "time")
    dimension = routing.GetDimensionOrDie("time")
    model = _Model(manager, routing, dimension, (travel_cb, time_cb))
    _constrain(model, c)
    for v in range(n_vehicles):
        routing.AddVariableMinimizedByFinalizer(dimension.CumulVar(routing.Start(v)))
    return model


def _constrain(model: _Model, c: Compiled) -> None:
    """Each task's window (soft end), allowed vehicles, and its synchronisation."""
    manager, routing, dimension = model.manager, model.routing, model.dimension
    solver = routing.solver()
    for t in range(c.n_tasks):
        index = manager.NodeToIndex(t)
        dimension.CumulVar(index).SetMin(round(c.opens[t] * SCALE))
        dimension.SetCumulVarSoftUpperBound(index, round(c.closes[t] * SCALE), 1)
        routing.VehicleVar(index).SetValues(c.allowed[t])
        p = c.partner[t]
        if p > t:
            ia, ib = index, manager.NodeToIndex(p)
            solver.Add(routing.VehicleVar(ia) != routing.VehicleVar(ib))
            a_cumul, b_cumul = dimension.CumulVar(ia), dimension.CumulVar(ib)
            if c.kind[t] == SIMULTANEOUS:
                solver.Add(a_cumul == b_cumul)
            else:
                first, second = (a_cumul, b_cumul) if c.is_first[t] else (b_cumul, a_cumul)
                solver.Add(second - first >= round(c.min_gap[t] * SCALE))
                solver.Add(second - first <= round(c.max_gap[t] * SCALE))


def _search(model: _Model, time_limit: float, began: float) -> tuple[Any, str]:
    """Guided local search from each first-solution strategy in turn until one finds a
    solution or the time is up: (assignment or None, status)."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    strategies = routing_enums_pb2.FirstSolutionStrategy
    assignment = None
    status = "no solution found"
    # the first strategy often finds nothing with synchronisation: try the others in turn
    for strategy in (
        strategies.PARALLEL_CHEAPEST_INSERTION,
        strategies.PATH_CHEAPEST_ARC,
        strategies.LOCAL_CHEAPEST_INSERTION,
        strategies.GLOBAL_CHEAPEST_ARC,
    ):
        remaining = time_limit - (time.perf_counter() - began)
        if remaining < 0.2:
            break
        parameters = pywrapcp.DefaultRoutingSearchParameters()
        parameters.first_solution_strategy = strategy
        parameters.local_search_metaheuristic = (
            routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
        )
        parameters.time_limit.FromMilliseconds(int(remaining * 1000))
        assignment = model.routing.SolveWithParameters(parameters)
        if assignment is not None:
            status = "solved"
            break
    return assignment, status


def _routes(
    model: _Model, assignment: Any, n_vehicles: int
) -> tuple[list[list[int]], dict[int, float]]:
    """Each vehicle's tasks in order, and OR-Tools' own start (cumul) of each task."""
    manager, routing, dimension = model.manager, model.routing, model.dimension
    routes: list[list[int]] = []
    cumul: dict[int, float] = {}
    for v in range(n_vehicles):
        index = routing.Start(v)
        route = []
        index = assignment.Value(routing.NextVar(index))
        while not routing.IsEnd(index):
            t = manager.IndexToNode(index)
            route.append(t)
            cumul[t] = assignment.Min(dimension.CumulVar(index)) / SCALE
            index = assignment.Value(routing.NextVar(index))
        routes.append(route)
    return routes, cumul
