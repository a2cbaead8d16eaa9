"""The problem flattened into index arrays for the search, plus the up-front explanations.

A *task* is one caregiver's part of one visit (a visit with two requirements has two tasks).
Visits that no caregiver can ever do are explained here and kept out of the search.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from yiyang.scheduling.solver.model import (
    Caregiver,
    Location,
    Problem,
    ProblemError,
    Requirement,
    SyncKind,
    UnassignedReason,
    Visit,
)

NONE, SIMULTANEOUS, SEQUENTIAL = 0, 1, 2


@dataclass
class Compiled:
    problem: Problem
    visit_tasks: list[list[int]] = field(default_factory=list)
    task_visit: list[int] = field(default_factory=list)
    task_requirement: list[int] = field(default_factory=list)
    node: list[int] = field(default_factory=list)
    duration: list[float] = field(default_factory=list)
    opens: list[float] = field(default_factory=list)
    closes: list[float] = field(default_factory=list)
    hard_latest: list[float] = field(default_factory=list)
    partner: list[int] = field(default_factory=list)
    is_first: list[bool] = field(default_factory=list)
    kind: list[int] = field(default_factory=list)
    min_gap: list[float] = field(default_factory=list)
    max_gap: list[float] = field(default_factory=list)
    allowed: list[list[int]] = field(default_factory=list)
    preferred: list[frozenset[int] | None] = field(default_factory=list)
    start_node: list[int] = field(default_factory=list)
    end_node: list[int] = field(default_factory=list)
    shift_start: list[float] = field(default_factory=list)
    shift_end: list[float] = field(default_factory=list)
    hard_end: list[float] = field(default_factory=list)
    max_work: list[float] = field(default_factory=list)
    breaks: list[list[tuple[float, float]]] = field(default_factory=list)
    matrix: list[list[list[float]]] = field(default_factory=list)
    explained: dict[int, tuple[UnassignedReason, str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def n_tasks(self) -> int:
        return len(self.task_visit)

    @property
    def n_caregivers(self) -> int:
        return len(self.start_node)


def _able(caregiver: Caregiver, visit: Visit, requirement: Requirement) -> bool:
    return (
        requirement.skills <= caregiver.skills
        and caregiver.id not in visit.excluded_caregivers
        and (visit.gender_preference is None or caregiver.gender == visit.gender_preference)
        and caregiver.shift_end > caregiver.shift_start
    )


def compile_problem(problem: Problem) -> Compiled:
    c = Compiled(problem)
    ids: set[str] = set()
    for i, visit in enumerate(problem.visits):
        if visit.id in ids:
            raise ProblemError(f"visits[{i}].id", f"duplicate visit {visit.id!r}")
        ids.add(visit.id)
        if not 1 <= len(visit.requirements) <= 2:
            raise ProblemError(f"visits[{i}].requirements", "expected one or two")
        if len(visit.requirements) == 2 and visit.sync is None:
            raise ProblemError(f"visits[{i}].sync", "two caregivers need a synchronisation")
    locations: dict[str, Location] = {}
    for visit in problem.visits:
        locations.setdefault(visit.location.key, visit.location)
    for caregiver in problem.caregivers:
        locations.setdefault(caregiver.start_location.key, caregiver.start_location)
        locations.setdefault(caregiver.end_location.key, caregiver.end_location)
        if caregiver.shift_end <= caregiver.shift_start:
            c.notes.append(f"caregiver {caregiver.id} has no shift (end <= start); not planned")
    keys = list(locations)
    index = {key: i for i, key in enumerate(keys)}
    by_mode: dict[str, list[list[float]]] = {}
    for caregiver in problem.caregivers:
        if caregiver.travel_mode not in by_mode:
            by_mode[caregiver.travel_mode] = problem.travel.minutes(
                [locations[k] for k in keys], caregiver.travel_mode
            )
        c.matrix.append(by_mode[caregiver.travel_mode])
        c.start_node.append(index[caregiver.start_location.key])
        c.end_node.append(index[caregiver.end_location.key])
        c.shift_start.append(caregiver.shift_start)
        c.shift_end.append(caregiver.shift_end)
        c.hard_end.append(caregiver.shift_end + max(0.0, caregiver.max_overtime))
        c.max_work.append(caregiver.max_working_minutes)
        c.breaks.append(sorted((b.start, b.end) for b in caregiver.breaks))
    c.notes.extend(problem.travel.notes)
    caregiver_index = {cg.id: k for k, cg in enumerate(problem.caregivers)}

    for v, visit in enumerate(problem.visits):
        reason = _explain(problem, visit, c, index)
        if reason is not None:
            c.explained[v] = reason
            c.visit_tasks.append([])
            continue
        tasks = []
        for r, requirement in enumerate(visit.requirements):
            t = len(c.task_visit)
            tasks.append(t)
            c.task_visit.append(v)
            c.task_requirement.append(r)
            c.node.append(index[visit.location.key])
            c.duration.append(requirement.duration)
            c.opens.append(visit.window.earliest)
            c.closes.append(visit.window.latest)
            c.hard_latest.append(
                math.inf if visit.max_lateness is None else visit.window.latest + visit.max_lateness
            )
            c.allowed.append(
                [k for k, cg in enumerate(problem.caregivers) if _able(cg, visit, requirement)]
            )
            c.preferred.append(
                frozenset(caregiver_index[p] for p in visit.preferred_caregivers
                          if p in caregiver_index) or None
            )  # fmt: skip
            c.is_first.append(r == 0)
            sync = visit.sync
            c.kind.append(
                NONE if sync is None or len(visit.requirements) == 1
                else SIMULTANEOUS if sync.kind == SyncKind.SIMULTANEOUS else SEQUENTIAL
            )  # fmt: skip
            c.min_gap.append(sync.min_gap if sync else 0.0)
            c.max_gap.append(sync.max_gap if sync else 0.0)
            c.partner.append(-1)
        if len(tasks) == 2:
            c.partner[tasks[0]], c.partner[tasks[1]] = tasks[1], tasks[0]
        c.visit_tasks.append(tasks)
    return c


def _explain(
    problem: Problem, visit: Visit, c: Compiled, index: dict[str, int]
) -> tuple[UnassignedReason, str] | None:
    window = visit.window
    if window.latest < window.earliest:
        return (
            UnassignedReason.WINDOW_IMPOSSIBLE,
            f"the window closes ({window.latest}) before it opens ({window.earliest})",
        )
    if visit.max_lateness is not None and visit.max_lateness < 0:
        return UnassignedReason.WINDOW_IMPOSSIBLE, "the allowed lateness is negative"
    sync = visit.sync
    if sync is not None and sync.kind == SyncKind.SEQUENTIAL and sync.min_gap > sync.max_gap:
        return (
            UnassignedReason.SEQUENTIAL_GAP_IMPOSSIBLE,
            f"the minimum gap {sync.min_gap} exceeds the maximum gap {sync.max_gap}",
        )
    latest_hard = math.inf if visit.max_lateness is None else window.latest + visit.max_lateness
    node = index[visit.location.key]
    capable: list[list[int]] = []
    fitting: list[list[tuple[int, float, float]]] = []
    for requirement in visit.requirements:
        able = [k for k, cg in enumerate(problem.caregivers) if _able(cg, visit, requirement)]
        if not able:
            skills = ", ".join(sorted(requirement.skills))
            return UnassignedReason.NO_SKILL, f"no caregiver has the skill(s) {skills}"
        capable.append(able)
        fits = []
        for k in able:
            matrix = c.matrix[k]
            first = max(window.earliest, c.shift_start[k] + matrix[c.start_node[k]][node])
            back = matrix[node][c.end_node[k]]
            last = min(latest_hard, c.hard_end[k] - requirement.duration - back)
            there = matrix[c.start_node[k]][node]
            if first <= last and there + requirement.duration + back <= c.max_work[k]:
                fits.append((k, first, last))
        if not fits:
            return (
                UnassignedReason.SHIFT_TOO_SHORT,
                f"no capable caregiver's shift can reach the visit within its window "
                f"and serve {requirement.duration:g} min",
            )
        fitting.append(fits)
    if len(visit.requirements) == 2:
        if len({k for k, _, _ in fitting[0]} | {k for k, _, _ in fitting[1]}) < 2:
            return UnassignedReason.NO_SKILL, "it needs two different capable caregivers"
        if sync is not None and sync.kind == SyncKind.SEQUENTIAL:
            earliest_first = min(first for _, first, _ in fitting[0])
            latest_second = max(last for _, _, last in fitting[1])
            if earliest_first + sync.min_gap > latest_second:
                return (
                    UnassignedReason.SEQUENTIAL_GAP_IMPOSSIBLE,
                    f"the second service cannot start {sync.min_gap:g} min after the first "
                    f"within the window and the shifts",
                )
        if sync is not None and sync.kind == SyncKind.SIMULTANEOUS:
            both = max(min(f for _, f, _ in fitting[0]), min(f for _, f, _ in fitting[1]))
            if both > min(max(last for _, _, last in fitting[0]),
                          max(last for _, _, last in fitting[1])):  # fmt: skip
                return (
                    UnassignedReason.SHIFT_TOO_SHORT,
                    "no two capable caregivers are on shift at the same time within the window",
                )
    return None
