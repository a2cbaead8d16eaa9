"""An independent checker: a timed solution against its problem, and its objective.

It trusts nothing the solver computed: it recomputes travel from the problem's travel source
and checks the start times written in the solution. Hard violations make the solution
infeasible; lateness, overtime, unassigned visits and continuity are costs.
The benchmark objective is (travel + total lateness + max lateness) / 3.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from yiyang.scheduling.solver.model import (
    Caregiver,
    Location,
    Problem,
    Requirement,
    Route,
    Solution,
    Stop,
    SyncKind,
    TravelMode,
    Visit,
)

EPSILON = 1e-3


@dataclass
class Evaluation:
    travel: float = 0.0
    total_lateness: float = 0.0
    max_lateness: float = 0.0
    overtime: float = 0.0
    unassigned: int = 0
    continuity_misses: int = 0
    violations: list[str] = field(default_factory=list)

    @property
    def feasible(self) -> bool:
        return not self.violations and self.unassigned == 0

    @property
    def benchmark_cost(self) -> float:
        return (self.travel + self.total_lateness + self.max_lateness) / 3.0

    def weighted_cost(self, problem: Problem) -> float:
        w = problem.weights
        return (
            w.travel * self.travel
            + w.lateness * self.total_lateness
            + w.max_lateness * self.max_lateness
            + w.overtime * self.overtime
            + w.unassigned * self.unassigned
            + w.continuity * self.continuity_misses
        )

    def as_dict(self) -> dict[str, float | int | bool]:
        return {
            "cost": round(self.benchmark_cost, 6),
            "distance": round(self.travel, 6),
            "total_tardiness": round(self.total_lateness, 6),
            "max_tardiness": round(self.max_lateness, 6),
            "unassigned": self.unassigned,
            "feasible": self.feasible,
        }


def evaluate(problem: Problem, solution: Solution, *, epsilon: float = EPSILON) -> Evaluation:
    result = Evaluation()
    bad = result.violations.append
    index, matrices = _matrices(problem)
    visits = {visit.id: visit for visit in problem.visits}
    caregivers = {caregiver.id: caregiver for caregiver in problem.caregivers}
    done: dict[tuple[str, int], tuple[str, float]] = {}
    used_caregivers: set[str] = set()
    for r, route in enumerate(solution.routes):
        caregiver = caregivers.get(route.caregiver_id)
        if caregiver is None:
            bad(f"routes[{r}]: unknown caregiver {route.caregiver_id!r}")
            continue
        if route.caregiver_id in used_caregivers:
            bad(f"routes[{r}]: caregiver {route.caregiver_id!r} has two routes")
        used_caregivers.add(route.caregiver_id)
        if not route.stops:
            continue
        matrix = matrices[caregiver.travel_mode]
        _check_route(result, r, route, caregiver, visits, index, matrix, done, epsilon)
    _check_visits(result, problem, solution, done, epsilon)
    return result


def _matrices(problem: Problem) -> tuple[dict[str, int], dict[TravelMode, Any]]:
    """Every place of the problem numbered, and the travel matrix of each travel mode."""
    locations: dict[str, Location] = {}
    for each_visit in problem.visits:
        locations[each_visit.location.key] = each_visit.location
    for each in problem.caregivers:
        locations[each.start_location.key] = each.start_location
        locations[each.end_location.key] = each.end_location
    keys = list(locations)
    index = {key: i for i, key in enumerate(keys)}
    matrices = {}
    for mode in {each.travel_mode for each in problem.caregivers}:
        matrices[mode] = problem.travel.minutes([locations[k] for k in keys], mode)
    return index, matrices


def _check_route(
    result: Evaluation,
    r: int,
    route: Route,
    caregiver: Caregiver,
    visits: dict[str, Visit],
    index: dict[str, int],
    matrix: Any,
    done: dict[tuple[str, int], tuple[str, float]],
    epsilon: float,
) -> None:
    """One caregiver's route: its stops in order, travel and the shift."""
    bad = result.violations.append
    here = index[caregiver.start_location.key]
    ready = caregiver.shift_start
    first_departure = None
    for s, stop in enumerate(route.stops):
        where = f"routes[{r}].stops[{s}]"
        visit = visits.get(stop.visit_id)
        if visit is None or not 0 <= stop.requirement < len(visit.requirements):
            bad(f"{where}: unknown visit or requirement {stop.visit_id!r}")
            continue
        key = (visit.id, stop.requirement)
        if key in done:
            bad(f"{where}: {visit.id} requirement {stop.requirement} is done twice")
        done[key] = (caregiver.id, stop.start)
        _check_fit(result, where, caregiver, visit, visit.requirements[stop.requirement])
        there = index[visit.location.key]
        leg = matrix[here][there]
        result.travel += leg
        if first_departure is None:
            first_departure = stop.start - leg
            if first_departure < caregiver.shift_start - epsilon:
                bad(f"{where}: starts before {caregiver.id}'s shift")
        elif stop.start < ready + leg - epsilon:
            bad(f"{where}: starts at {stop.start:.3f}, cannot arrive before {ready + leg:.3f}")
        _check_times(result, where, caregiver, visit, stop, epsilon)
        ready = stop.end
        here = there
    back = matrix[here][index[caregiver.end_location.key]]
    result.travel += back
    finish = ready + back
    worked = finish - (first_departure if first_departure is not None else finish)
    if finish > caregiver.shift_end + max(0.0, caregiver.max_overtime) + epsilon:
        bad(f"routes[{r}]: {caregiver.id} is back at {finish:.3f}, after the shift allows")
    if worked > caregiver.max_working_minutes + epsilon:
        bad(f"routes[{r}]: {caregiver.id} works {worked:.3f} min, more than allowed")
    result.overtime += max(0.0, finish - caregiver.shift_end)


def _check_fit(
    result: Evaluation, where: str, caregiver: Caregiver, visit: Visit, requirement: Requirement
) -> None:
    """Whether the caregiver may do the visit (skills, exclusions, gender), and continuity."""
    bad = result.violations.append
    if not requirement.skills <= caregiver.skills:
        bad(f"{where}: {caregiver.id} lacks {sorted(requirement.skills - caregiver.skills)}")
    if caregiver.id in visit.excluded_caregivers:
        bad(f"{where}: {caregiver.id} is excluded by {visit.id}")
    if visit.gender_preference is not None and caregiver.gender != visit.gender_preference:
        bad(f"{where}: {visit.id} asks for a {visit.gender_preference} caregiver")
    if visit.preferred_caregivers and caregiver.id not in visit.preferred_caregivers:
        result.continuity_misses += 1


def _check_times(
    result: Evaluation, where: str, caregiver: Caregiver, visit: Visit, stop: Stop, epsilon: float
) -> None:
    """A stop's times against its window, duration and the caregiver's breaks; lateness."""
    bad = result.violations.append
    requirement = visit.requirements[stop.requirement]
    if stop.start < visit.window.earliest - epsilon:
        bad(f"{where}: starts before the window opens ({visit.window.earliest})")
    if stop.end < stop.start + requirement.duration - epsilon:
        bad(f"{where}: ends before its duration has elapsed")
    for pause in caregiver.breaks:
        if stop.start < pause.end - epsilon and stop.end > pause.start + epsilon:
            bad(f"{where}: overlaps {caregiver.id}'s break")
    lateness = max(0.0, stop.start - visit.window.latest)
    if visit.max_lateness is not None and lateness > visit.max_lateness + epsilon:
        bad(f"{where}: {lateness:.3f} min late, more than {visit.max_lateness}")
    result.total_lateness += lateness
    result.max_lateness = max(result.max_lateness, lateness)


def _check_visits(
    result: Evaluation,
    problem: Problem,
    solution: Solution,
    done: dict[tuple[str, int], tuple[str, float]],
    epsilon: float,
) -> None:
    """Every visit done or explained, and the synchronisation of its two services."""
    bad = result.violations.append
    skipped = {item.visit_id for item in solution.unassigned}
    for each_visit in problem.visits:
        vid, sync = each_visit.id, each_visit.sync
        starts = [done.get((vid, k)) for k in range(len(each_visit.requirements))]
        if any(start is None for start in starts):
            if vid not in skipped:
                missing = [k for k, start in enumerate(starts) if start is None]
                bad(f"visit {vid}: requirement(s) {missing} not done and not explained")
            result.unassigned += 1
            continue
        if sync is None:
            continue
        (c0, t0), (c1, t1) = starts[0], starts[1]  # type: ignore[misc]
        if sync.kind == SyncKind.SIMULTANEOUS:
            if c0 == c1:
                bad(f"visit {vid}: one caregiver cannot do both simultaneous services")
            if abs(t0 - t1) > epsilon:
                bad(f"visit {vid}: simultaneous services start at {t0} and {t1}")
        else:
            gap = t1 - t0
            if gap < sync.min_gap - epsilon or gap > sync.max_gap + epsilon:
                window = f"[{sync.min_gap}, {sync.max_gap}]"
                bad(f"visit {vid}: sequential gap {gap:.3f} outside {window}")
