"""Solving a day: rounds against the dispatch rules that depend on the rest of the plan."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from yiyang.scheduling import wording
from yiyang.scheduling.dispatchcheck import refused
from yiyang.scheduling.planning.day import (
    CLASH_ROUNDS,
    DayProblem,
    _occupancy,
)
from yiyang.scheduling.planning.figures import _timed
from yiyang.scheduling.solver import solve
from yiyang.scheduling.solver.model import (
    Problem,
    Route,
    Solution,
    Unassigned,
    UnassignedReason,
)
from yiyang.scheduling.solver.model import Visit as SolverVisit


def _excluding(problem: Problem, extra: dict[str, set[str]]) -> Problem:
    visits = tuple(
        SolverVisit(
            id=v.id,
            location=v.location,
            window=v.window,
            requirements=v.requirements,
            sync=v.sync,
            max_lateness=v.max_lateness,
            preferred_caregivers=v.preferred_caregivers,
            excluded_caregivers=v.excluded_caregivers | frozenset(extra.get(v.id, ())),
            gender_preference=v.gender_preference,
        )
        if v.id in extra
        else v
        for v in problem.visits
    )
    return Problem(visits, problem.caregivers, problem.travel, problem.weights, problem.name)


@dataclass
class DaySolution:
    solution: Solution
    problem: Problem  # with the clash exclusions added
    iterations: int
    seconds: float
    notes: list[dict[str, Any]]
    clash_excluded: dict[str, set[str]] = field(default_factory=dict)


def solve_day(
    dp: DayProblem,
    *,
    time_limit: float,
    seed: int = 0,
    max_iterations: int | None = None,
    progress: Callable[[float], None] | None = None,
    workers: int = 1,
) -> DaySolution:
    """Solve, then solve again while the proposal breaks a dispatch rule that depends on the
    rest of the plan (each round excludes the offending caregivers). Another round starts
    only when the time left can hold its first plan; whatever still breaks a rule at the
    end is taken out of the proposal and explained, so accepting it is never refused."""
    began = time.perf_counter()
    occupancy = dp.occupancy or _occupancy(dp)
    problem = occupancy
    extra: dict[str, set[str]] = {}
    iterations = 0
    notes: list[dict[str, Any]] = []
    result = None
    first_plan = 0.0  # seconds until the first plan of a round is known (an estimate)
    found: dict[str, set[str]] = {}
    for round_ in range(CLASH_ROUNDS):
        left = time_limit - (time.perf_counter() - began)
        if round_ and left < max(first_plan * 1.5, 0.05 * time_limit):
            break
        share = left * (0.85 if round_ == 0 else 0.5) if round_ < CLASH_ROUNDS - 1 else left
        round_began = time.perf_counter()
        seen: list[float] = []

        def tick(_iteration: int, _cost: float, seen: list[float] = seen) -> None:
            now = time.perf_counter()
            if not seen:
                seen.append(now)
            if progress is not None:
                progress(min(0.99, (now - began) / max(time_limit, 1e-6)))

        result = solve(
            problem,
            time_limit=max(0.0, share),
            seed=seed,
            max_iterations=max_iterations,
            progress=tick,
            workers=workers,
        )
        round_end = time.perf_counter()
        first_plan = max(first_plan, (seen[0] if seen else round_end) - round_began)
        iterations += result.iterations
        notes = wording.solver_notes(result.notes)
        solution = _retimed(dp, result.solution)
        found = refused(dp, solution)
        if not found:
            break
        for vid, cids in found.items():
            extra.setdefault(vid, set()).update(cids)
        problem = _excluding(occupancy, extra)
    assert result is not None
    left_over = refused(dp, solution) if found else {}
    if left_over:
        solution = _without(solution, set(left_over))
        for vid, cids in left_over.items():
            extra.setdefault(vid, set()).update(cids)
    if progress is not None:
        progress(1.0)
    real = _excluding(dp.problem, extra)
    return DaySolution(solution, real, iterations, time.perf_counter() - began, notes, extra)


def _retimed(dp: DayProblem, planned: Solution) -> Solution:
    """The solver's routes timed on the real durations (they differ from the solver's own
    times only with ``HOLD_WHOLE_WINDOW``)."""
    routes = {
        r.caregiver_id: [(s.visit_id, s.requirement) for s in r.stops] for r in planned.routes
    }
    return _timed(dp.problem, routes, list(planned.unassigned))


def _without(solution: Solution, visit_ids: set[str]) -> Solution:
    """The solution with these visits taken out (unassigned, explained as double-booked)."""
    routes = tuple(
        Route(r.caregiver_id, tuple(s for s in r.stops if s.visit_id not in visit_ids))
        for r in solution.routes
    )
    unassigned = solution.unassigned + tuple(
        Unassigned(vid, UnassignedReason.NO_FEASIBLE_INSERTION, "double booked")
        for vid in sorted(visit_ids)
    )
    return Solution(routes, unassigned)
