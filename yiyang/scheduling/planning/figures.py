"""The current plan as a timed solution, and the figures of a plan."""

from __future__ import annotations

import math
from typing import Any

from yiyang.scheduling.planning.day import (
    DayProblem,
)
from yiyang.scheduling.solver import evaluate
from yiyang.scheduling.solver.model import (
    Problem,
    Route,
    Solution,
    Stop,
    Unassigned,
    UnassignedReason,
)


def current_solution(dp: DayProblem) -> Solution:
    """Today's plan as a timed solution: each caregiver's visits in window order, each started
    as early as travel and the window allow (a double-up when both are there)."""
    problem = dp.as_planned or dp.problem
    in_problem = {v.id: v for v in problem.visits}
    routes: dict[str, list[tuple[str, int]]] = {}
    unassigned: list[Unassigned] = []
    for v in problem.visits:
        current = dp.current(v.id)
        if len(current) < len(v.requirements):
            unassigned.append(Unassigned(v.id, UnassignedReason.NO_FEASIBLE_INSERTION, ""))
            continue
        for r, key in enumerate(current[: len(v.requirements)]):
            routes.setdefault(key, []).append((v.id, r))
    for key in routes:
        routes[key].sort(key=lambda s: (in_problem[s[0]].window.earliest, s[0]))
    return _timed(problem, routes, unassigned)


def _timed(
    problem: Problem, routes: dict[str, list[tuple[str, int]]], unassigned: list[Unassigned]
) -> Solution:
    """Routes (each caregiver's visits in order) timed on the real problem: each visit starts
    as early as travel and its window allow, a double-up when both caregivers are there."""
    in_problem = {v.id: v for v in problem.visits}
    cg = {c.id: c for c in problem.caregivers}
    matrices: dict[str, Any] = {}
    minimum: dict[str, float] = {}
    starts: dict[tuple[str, int], float] = {}
    for _round in range(6):
        changed = False
        for key, stops in routes.items():
            c = cg[key]
            places = [c.start_location] + [in_problem[vid].location for vid, _r in stops]
            if key not in matrices:
                matrices[key] = problem.travel.minutes(places, c.travel_mode)
            matrix = matrices[key]
            ready = c.shift_start if math.isfinite(c.shift_start) else 0.0
            for i, (vid, r) in enumerate(stops):
                v = in_problem[vid]
                arrive = ready + matrix[i][i + 1] if i else ready + matrix[0][1]
                start = max(arrive, v.window.earliest, minimum.get(vid, -math.inf))
                starts[(vid, r)] = start
                ready = start + v.requirements[r].duration
        for v in problem.visits:
            if len(v.requirements) == 2 and (v.id, 0) in starts and (v.id, 1) in starts:
                both = max(starts[(v.id, 0)], starts[(v.id, 1)])
                if minimum.get(v.id) != both and starts[(v.id, 0)] != starts[(v.id, 1)]:
                    minimum[v.id] = both
                    changed = True
        if not changed:
            break
    solution_routes = [
        Route(
            key,
            tuple(
                Stop(
                    vid,
                    r,
                    starts[(vid, r)],
                    starts[(vid, r)] + in_problem[vid].requirements[r].duration,
                )
                for vid, r in routes.get(key, [])
            ),
        )
        for key in cg
    ]
    return Solution(tuple(solution_routes), tuple(unassigned))


def _continuity(dp: DayProblem, assignment: dict[str, list[str]]) -> tuple[int, int]:
    """(kept, of): visits whose elder's previous done visit had a caregiver, and how many go
    to that caregiver again."""
    pk_of = {key: c.pk for key, c in dp.caregivers.items()}
    kept = total = 0
    for vid, visit in dp.visits.items():
        before = dp.previous.get(visit.elder_id)
        if before is None:
            continue
        total += 1
        if before in {pk_of[k] for k in assignment.get(vid, [])}:
            kept += 1
    return kept, total


def figures(
    dp: DayProblem, problem: Problem, solution: Solution, assignment: dict[str, list[str]]
) -> dict[str, Any]:
    """Travel, lateness, unassigned visits, continuity kept and overtime of a plan, computed
    by the independent evaluator with the same travel source for both plans. The visits left
    out of the problem count as unassigned when they have no caregiver now (accepting a
    proposal leaves them as they are)."""
    evaluation = evaluate(problem, solution)
    kept, total = _continuity(dp, assignment)
    left_out = sum(
        len(dp.current(vid)) < (2 if dp.visits[vid].needs_two else 1) for vid in dp.skipped
    )
    return {
        "travel_minutes": round(evaluation.travel, 1),
        "lateness_minutes": round(evaluation.total_lateness, 1),
        "max_lateness_minutes": round(evaluation.max_lateness, 1),
        "unassigned": evaluation.unassigned + left_out,
        "continuity_kept": kept,
        "continuity_of": total,
        "overtime_minutes": round(evaluation.overtime, 1),
        "rule_breaks": len(evaluation.violations),
    }
