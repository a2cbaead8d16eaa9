"""A provider's day as a solver problem, the current plan as a solution, and the proposal.

Reads the database, writes nothing (the services store its result); minutes from midnight.

- A caregiver's abilities are their skills plus the qualifications of their certificates
  valid on the day (``q:<qualification>``); a visit needs its item's skill and qualification,
  once per caregiver (a double-up visit has two requirements that start together).
- A visit's window bounds its *start*: from ``window_start`` to ``window_end`` minus the
  standard duration, so that it ends inside the window.
- The dispatch rules that do not depend on the rest of the plan (working hours covering the
  whole window, a visit done that day at an overlapping time) exclude the caregiver. Every
  planned visit must end inside its window. Each proposal is then run through the dispatch
  rules themselves (``visits.dispatching.judge``: overlap with travel, hours a day, ...) at
  its planned starts, and the day
  solved again without what they refuse; what they still refuse when time is up is left
  out and explained, so accepting goes through ``visit_assign`` without refusals. The
  solver's own working minutes are not limited: a day spans the working hours, gaps
  included; getting home after them is overtime.
- Visits under way (on the way, checked in) stay with their caregivers; visits done,
  cancelled or missed are not planned.
"""

from __future__ import annotations

import dataclasses
import datetime
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils import timezone

from yiyang.organisations.models import Organisation
from yiyang.scheduling import wording
from yiyang.scheduling.dispatchcheck import assignment_of as assignment_of
from yiyang.scheduling.dispatchcheck import dispatch_check, refused
from yiyang.scheduling.solver import evaluate, solve
from yiyang.scheduling.solver.model import (
    Caregiver as SolverCaregiver,
)
from yiyang.scheduling.solver.model import (
    Location,
    Problem,
    Requirement,
    Route,
    Solution,
    Stop,
    Synchronisation,
    SyncKind,
    TimeWindow,
    TravelMode,
    Unassigned,
    UnassignedReason,
    Weights,
)
from yiyang.scheduling.solver.model import Visit as SolverVisit
from yiyang.scheduling.solver.travel import GreatCircleTravelTime
from yiyang.services.choices import CaregiverStatus
from yiyang.services.models import Caregiver
from yiyang.services.selectors import active_caregivers, certificates_valid_on
from yiyang.visits import dispatching
from yiyang.visits.choices import DONE_STATUSES, VisitStatus
from yiyang.visits.models import Visit

# visits not given to the solver: a proposal leaves their caregivers as they are
LEFT_AS_THEY_ARE = ("no_location", "window_too_short", "no_skill", "outside_hours")
PLANNED_STATUSES = (VisitStatus.SCHEDULED, VisitStatus.ASSIGNED)
UNDER_WAY_STATUSES = (VisitStatus.ON_THE_WAY, VisitStatus.CHECKED_IN)
# A missed continuity costs as much as this many minutes of travel; keeping a visit with its
# current caregiver when re-planning costs much more to break.
CONTINUITY_WEIGHT = 60.0
KEEP_WEIGHT = 500.0
CLASH_ROUNDS = 4
# The visits app counts a double booking when the services cannot be fitted one after the
# other inside their windows, so the solver plans the real visits, each ending inside its
# window. Set HOLD_WHOLE_WINDOW for a rule refusing any overlap of windows: each visit then
# holds its caregiver for its whole window, starting at most OCCUPANCY_SLACK minutes late.
HOLD_WHOLE_WINDOW = False
OCCUPANCY_SLACK = 30.0
# Getting home after the end of the working hours is allowed up to this long, as overtime
# (weighted; the dispatch rules ask only that the visit window lies within the hours).
MAX_OVERTIME = 180.0
# the travel the dispatch rules count (one set of figures for both)
TRAVEL = GreatCircleTravelTime(
    circuity=dispatching.CIRCUITY,
    speeds_kmh={TravelMode(k): v for k, v in dispatching.TRAVEL_SPEEDS_KMH.items()},
)


def _q(qualification: str) -> str:
    return f"q:{qualification}"


def _minute(moment: datetime.datetime, day: datetime.date) -> float:
    local = timezone.localtime(moment)
    return (local.date() - day).days * 1440 + local.hour * 60 + local.minute + local.second / 60


def _time_minutes(value: datetime.time) -> float:
    return value.hour * 60 + value.minute


def clock(minutes: float | None) -> str:
    """``HH:MM`` of a minute of the day (empty for None)."""
    if minutes is None:
        return ""
    whole = round(minutes)
    return f"{whole // 60:02d}:{whole % 60:02d}"


@dataclass
class DayProblem:
    """The solver problem of one provider's day, with the records behind its ids."""

    provider: Organisation
    day: datetime.date
    problem: Problem
    visits: dict[str, Visit]  # every visit of the day that is planned or under way
    caregivers: dict[str, Caregiver]
    fixed: set[str] = field(default_factory=set)  # under way: keep their caregivers
    kept: set[str] = field(default_factory=set)  # re-planning: not to be moved
    # id -> (code, parameters): words at display time (``wording``)
    skipped: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    previous: dict[int, int] = field(default_factory=dict)  # elder pk -> caregiver pk
    windows: dict[str, tuple[float, float]] = field(default_factory=dict)  # the full window
    booked: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    minutes_left: dict[str, float] = field(default_factory=dict)  # service minutes still free
    notes: list[dict[str, Any]] = field(default_factory=list)  # codes (``wording``)
    now_minute: float | None = None
    occupancy: Problem | None = None  # what the solver plans on (see ``_occupancy``)
    as_planned: Problem | None = None  # today's plan is measured on this one
    dropped_key: str | None = None
    done_visits: list[Visit] = field(default_factory=list)

    def current(self, vid: str) -> list[str]:
        visit = self.visits[vid]
        ids = {c.pk: key for key, c in self.caregivers.items()}
        return [ids[pk] for pk in (visit.caregiver_id, visit.second_caregiver_id) if pk in ids]


def build_day(
    *,
    provider: Organisation,
    day: datetime.date,
    now: datetime.datetime | None = None,
    dropped: Caregiver | None = None,
) -> DayProblem:
    """The problem of ``provider``'s ``day``. With ``dropped``, the re-planning problem: the
    dropped caregiver does nothing, every other caregiver keeps their visits, and only the
    dropped caregiver's and the unassigned visits are placed."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    now_minute = _minute(now, day) if day == today else None
    all_visits = list(
        Visit.objects.filter(provider=provider, date=day)
        .exclude(status__in=(VisitStatus.CANCELLED, VisitStatus.MISSED))
        .select_related("elder", "item")
        .order_by("window_start", "id")
    )  # fmt: skip
    planned = [v for v in all_visits if v.status in PLANNED_STATUSES + UNDER_WAY_STATUSES]
    done = [v for v in all_visits if v.status in DONE_STATUSES]
    done_visits = done
    in_use = {pk for v in planned for pk in (v.caregiver_id, v.second_caregiver_id) if pk}
    busy_now = {
        pk for v in planned if v.status in UNDER_WAY_STATUSES
        for pk in (v.caregiver_id, v.second_caregiver_id) if pk
    }  # fmt: skip
    caregivers = list(
        Caregiver.objects.filter(
            Q(pk__in=active_caregivers(provider_id=provider.pk).values("pk")) | Q(pk__in=in_use)
        ).order_by("name", "id")
    )  # fmt: skip
    certificates = certificates_valid_on(caregiver_ids=[c.pk for c in caregivers], day=day)
    dp = DayProblem(
        provider=provider, day=day, problem=None,  # type: ignore[arg-type]
        visits={str(v.external_id): v for v in planned},
        caregivers={str(c.external_id): c for c in caregivers}, now_minute=now_minute,
    )  # fmt: skip
    key_of = {c.pk: key for key, c in dp.caregivers.items()}

    # what each caregiver has already done that day: it still counts for the dispatch rules
    done_minutes: dict[str, float] = {}
    for visit in done:
        for pk in (visit.caregiver_id, visit.second_caregiver_id):
            if pk in key_of:
                window = (_minute(visit.window_start, day), _minute(visit.window_end, day))
                dp.booked.setdefault(key_of[pk], []).append(window)
                done_minutes[key_of[pk]] = done_minutes.get(key_of[pk], 0) + visit.standard_minutes

    # continuity: who served each elder before
    elder_ids = {v.elder_id for v in planned}
    served: dict[int, set[int]] = {}
    for elder_id, main_pk, second_pk in (
        Visit.objects.filter(elder_id__in=elder_ids, status__in=DONE_STATUSES, date__lt=day)
        .order_by("elder_id", "-date", "-window_start")
        .values_list("elder_id", "caregiver_id", "second_caregiver_id")
    ):  # fmt: skip
        if elder_id not in dp.previous and main_pk:
            dp.previous[elder_id] = main_pk
        served.setdefault(elder_id, set()).update(pk for pk in (main_pk, second_pk) if pk)

    # caregivers: abilities, shifts, home bases
    coords = [
        (float(v.elder.lat), float(v.elder.lng))
        for v in planned if v.elder.lat is not None and v.elder.lng is not None
    ]  # fmt: skip
    centre = (
        (sum(a for a, _b in coords) / len(coords), sum(b for _a, b in coords) / len(coords))
        if coords else (0.0, 0.0)
    )  # fmt: skip
    solver_caregivers = []
    abilities: dict[str, frozenset[str]] = {}
    hours: dict[str, tuple[float, float] | None] = {}
    for key, c in dp.caregivers.items():
        held = certificates.get(c.pk, {})
        skills = frozenset(c.skills or ()) | frozenset(
            _q(q) for q, expiry in held.items() if expiry is None or expiry >= day
        )
        abilities[key] = skills
        working = (
            day.weekday() in (c.work_days or []) and c.status == CaregiverStatus.ACTIVE
            and c != dropped
            and c.work_end > c.work_start
        )  # fmt: skip
        shift = (_time_minutes(c.work_start), _time_minutes(c.work_end)) if working else None
        hours[key] = shift
        dp.minutes_left[key] = max(0.0, c.max_minutes_per_day - done_minutes.get(key, 0))
        start, end = shift if shift else (0.0, 0.0)
        if shift and now_minute is not None and c.pk not in busy_now:
            start = max(start, min(now_minute, end))
        if c.home_lat is not None and c.home_lng is not None:
            home = Location(f"home:{key}", float(c.home_lat), float(c.home_lng))
        else:
            home = Location(f"home:{key}", *centre)
            dp.notes.append(wording.note(wording.NOTE_NO_HOME, caregiver=key))
        if not shift:
            dp.notes.append(wording.note(wording.NOTE_NOT_WORKING, caregiver=key))
        mode = c.travel_mode if c.travel_mode in TravelMode.__members__.values() else "car"
        solver_caregivers.append(
            SolverCaregiver(
                id=key, skills=skills, start_location=home, end_location=home,
                shift_start=start, shift_end=end, max_overtime=MAX_OVERTIME if shift else 0.0,
                travel_mode=TravelMode(mode),
            )
        )  # fmt: skip

    dropped_key = str(dropped.external_id) if dropped is not None else None
    dp.dropped_key = dropped_key
    dp.done_visits = done_visits
    solver_visits = []
    for vid, visit in dp.visits.items():
        item = visit.item
        first, last = _minute(visit.window_start, day), _minute(visit.window_end, day)
        dp.windows[vid] = (first, last)
        duration = float(visit.standard_minutes)
        needs = frozenset(
            ([item.required_skill] if item.required_skill else [])
            + ([_q(item.required_qualification)] if item.required_qualification else [])
        )
        current = dp.current(vid)
        under_way = visit.status in UNDER_WAY_STATUSES
        if under_way:
            dp.fixed.add(vid)
        elif dropped_key is not None and current and dropped_key not in current:
            dp.kept.add(vid)
        if visit.elder.lat is None or visit.elder.lng is None:
            dp.skipped[vid] = (wording.NO_LOCATION, {})
            continue
        if under_way:
            start_at = visit.check_in_at or visit.on_the_way_at or visit.window_start
            begin = max(first, _minute(start_at, day))
            fixed_window = TimeWindow(begin, begin)
            remaining: float = duration
            if visit.check_in_at is not None and now_minute is not None:
                remaining = max(1.0, duration - max(0.0, now_minute - begin))
            excluded = frozenset(k for k in dp.caregivers if k not in current)
            requirements = tuple(Requirement(frozenset(), remaining) for _k in current) or (
                Requirement(frozenset(), remaining),
            )
            solver_visits.append(
                SolverVisit(
                    id=vid, location=Location(f"elder:{visit.elder_id}", float(visit.elder.lat),
                                              float(visit.elder.lng)),
                    window=fixed_window, requirements=requirements,
                    sync=Synchronisation(SyncKind.SIMULTANEOUS) if len(requirements) == 2
                    else None,
                    excluded_caregivers=excluded,
                )
            )  # fmt: skip
            continue
        if last - first < duration:
            dp.skipped[vid] = (
                wording.WINDOW_TOO_SHORT,
                {"start": first, "end": last, "window": last - first, "duration": duration},
            )
            continue
        capable = [k for k in dp.caregivers if needs <= abilities[k]]
        if not capable:
            dp.skipped[vid] = (
                wording.NO_SKILL,
                {"needs": sorted(n.removeprefix("q:") for n in needs)},
            )
            continue
        # the rules that hold whatever else is planned (the service fits in hours and window)
        allowed = [
            k for k in capable if hours[k] is not None
            and max(first, hours[k][0]) + duration <= min(last, hours[k][1])  # type: ignore[index]
            and not any(a < last and first < b for a, b in dp.booked.get(k, ()))
        ]  # fmt: skip
        if len([k for k in allowed if k != dropped_key]) < (2 if visit.needs_two else 1):
            dp.skipped[vid] = (
                wording.OUTSIDE_HOURS,
                {"start": first, "end": last, "two": bool(visit.needs_two)},
            )
            continue
        earliest = first if now_minute is None else max(first, now_minute)
        latest = last - duration
        if vid in dp.kept:
            allowed = [k for k in allowed if k in current] or allowed
        preferred: set[str] = set()
        if dropped_key is not None:
            preferred = {k for k in current if k != dropped_key}
        if not preferred:
            preferred = {key_of[pk] for pk in served.get(visit.elder_id, ()) if pk in key_of}
        requirement = Requirement(needs, duration)
        solver_visits.append(
            SolverVisit(
                id=vid,
                location=Location(
                    f"elder:{visit.elder_id}", float(visit.elder.lat), float(visit.elder.lng)
                ),
                window=TimeWindow(earliest, max(earliest, latest)),
                requirements=(requirement, requirement) if visit.needs_two else (requirement,),
                sync=Synchronisation(SyncKind.SIMULTANEOUS) if visit.needs_two else None,
                preferred_caregivers=frozenset(preferred),
                excluded_caregivers=frozenset(k for k in dp.caregivers if k not in allowed),
            )
        )
    weights = Weights(
        travel=1.0, lateness=1.0, max_lateness=1.0, unassigned=100_000.0,
        continuity=KEEP_WEIGHT if dropped is not None else CONTINUITY_WEIGHT, overtime=10.0,
    )  # fmt: skip
    dp.problem = Problem(
        visits=tuple(solver_visits), caregivers=tuple(solver_caregivers),
        travel=TRAVEL, weights=weights,
        name=f"{provider.pk}:{day.isoformat()}",
    )  # fmt: skip
    dp.occupancy = _occupancy(dp)
    # today's plan is measured with every caregiver who has visits in it at work in their
    # usual hours (the dropped one included, and one no longer active or not on duty)
    in_plan = {key_of[pk] for pk in in_use if pk in key_of}
    restored = []
    for solver_cg in dp.problem.caregivers:
        c = dp.caregivers[solver_cg.id]
        off = solver_cg.shift_end <= solver_cg.shift_start
        if off and solver_cg.id in in_plan and c.work_end > c.work_start:
            solver_cg = dataclasses.replace(
                solver_cg, shift_start=_time_minutes(c.work_start),
                shift_end=_time_minutes(c.work_end), max_overtime=MAX_OVERTIME,
            )  # fmt: skip
        restored.append(solver_cg)
    dp.as_planned = dataclasses.replace(dp.problem, caregivers=tuple(restored))
    return dp


def _occupancy(dp: DayProblem) -> Problem:
    """The problem the solver works on. By default the real one, with every planned visit
    ending inside its window (hard): the dispatch rules let one caregiver have visits in
    overlapping windows when the services fit one after the other. With
    ``HOLD_WHOLE_WINDOW``, each visit instead holds its caregiver from the opening of its
    window to its end, starting at most ``OCCUPANCY_SLACK`` minutes late (for rules that
    refuse any two visits in overlapping windows)."""
    visits = []
    for v in dp.problem.visits:
        pinned = v.id in dp.fixed or v.id in dp.kept
        if not HOLD_WHOLE_WINDOW:
            visits.append(v if pinned else dataclasses.replace(v, max_lateness=0.0))
            continue
        begin = v.window.earliest
        last = dp.windows[v.id][1]
        hold = max(last - begin, max(r.duration for r in v.requirements))
        visits.append(
            SolverVisit(
                id=v.id, location=v.location, window=TimeWindow(begin, begin),
                requirements=tuple(Requirement(r.skills, hold) for r in v.requirements),
                sync=v.sync, max_lateness=None if pinned else OCCUPANCY_SLACK,
                preferred_caregivers=v.preferred_caregivers,
                excluded_caregivers=v.excluded_caregivers,
            )
        )  # fmt: skip
    p = dp.problem
    return Problem(tuple(visits), p.caregivers, p.travel, p.weights, p.name)


# --- solving ---------------------------------------------------------------------------------


def _excluding(problem: Problem, extra: dict[str, set[str]]) -> Problem:
    visits = tuple(
        SolverVisit(
            id=v.id, location=v.location, window=v.window, requirements=v.requirements,
            sync=v.sync, max_lateness=v.max_lateness,
            preferred_caregivers=v.preferred_caregivers,
            excluded_caregivers=v.excluded_caregivers | frozenset(extra.get(v.id, ())),
            gender_preference=v.gender_preference,
        )
        if v.id in extra else v
        for v in problem.visits
    )  # fmt: skip
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
            problem, time_limit=max(0.0, share), seed=seed, max_iterations=max_iterations,
            progress=tick, workers=workers,
        )  # fmt: skip
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


# --- the current plan, and the figures of a plan --------------------------------------------


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
        Route(key, tuple(
            Stop(vid, r, starts[(vid, r)],
                 starts[(vid, r)] + in_problem[vid].requirements[r].duration)
            for vid, r in routes.get(key, [])
        ))
        for key in cg
    ]  # fmt: skip
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


def proposal_json(dp: DayProblem, solved: DaySolution) -> dict[str, Any]:
    """What a run stores: per visit the current and proposed caregiver(s) and start, the
    figures of both plans, and why each visit left out could not be planned."""
    current = current_solution(dp)
    current_starts: dict[str, float] = {}
    for route in current.routes:
        for stop in route.stops:
            current_starts.setdefault(stop.visit_id, stop.start)
    # the order of the two caregivers of a double-up follows the requirement index
    parts: dict[str, list[tuple[int, str]]] = {}
    proposed_starts: dict[str, float] = {}
    for route in solved.solution.routes:
        for stop in route.stops:
            parts.setdefault(stop.visit_id, []).append((stop.requirement, route.caregiver_id))
            proposed_starts.setdefault(stop.visit_id, stop.start)
    proposed = {vid: [cid for _r, cid in sorted(found)] for vid, found in parts.items()}
    reasons: dict[str, tuple[str, dict[str, Any]]] = dict(dp.skipped)
    for item in solved.solution.unassigned:
        if item.visit_id in dp.fixed:
            continue
        if item.visit_id in solved.clash_excluded:
            reasons[item.visit_id] = (wording.DOUBLE_BOOKED, {})
        else:
            reasons[item.visit_id] = (str(item.reason), {})
    current_assignment = {vid: dp.current(vid) for vid in dp.visits}
    rows: list[dict[str, Any]] = []
    for vid, visit in dp.visits.items():
        first, last = dp.windows[vid]
        now_caregivers = current_assignment[vid]
        new_caregivers = proposed.get(vid)
        code, params = reasons.get(vid, ("", {}))
        if vid in dp.fixed or (vid in dp.kept and new_caregivers is None):
            new_caregivers = now_caregivers  # under way, or kept when re-planning
            code = ""
        # a visit with a caregiver today that the proposal leaves out is a change (accepting
        # unassigns it), unless it was not planned at all; after a dropout, the dropped
        # caregiver's visits always leave them
        dropping = (
            new_caregivers is None and bool(now_caregivers)
            and (code not in LEFT_AS_THEY_ARE or dp.dropped_key in now_caregivers)
        )  # fmt: skip
        changed = vid not in dp.fixed and (
            dropping
            or (new_caregivers is not None and sorted(new_caregivers) != sorted(now_caregivers))
        )
        rows.append({
            "id": vid, "window": [first, last], "duration": visit.standard_minutes,
            "needs_two": visit.needs_two, "status": visit.status, "fixed": vid in dp.fixed,
            "current": {"caregivers": now_caregivers, "start": _round(current_starts.get(vid))},
            "proposed": (
                {"caregivers": new_caregivers, "start": _round(proposed_starts.get(vid))}
                if new_caregivers else None
            ),
            "changed": changed,
            "unassigned": wording.reason(code, params) if code else None,
        })  # fmt: skip
    refusals = dispatch_check(dp, _row_plan(rows), proposed_starts)  # codes, worded by pages
    for row in rows:
        row["refusals"] = refusals.get(row["id"], []) if row["changed"] else []
    rows.sort(key=lambda r: (r["window"][0], r["id"]))
    shifts = {c.id: c for c in dp.problem.caregivers}
    return {
        "visits": rows,
        "caregivers": [
            {
                "id": key,
                "shift": (
                    [shifts[key].shift_start, shifts[key].shift_end]
                    if shifts[key].shift_end > shifts[key].shift_start
                    else None
                ),
            }
            for key in dp.caregivers
        ],
        "current": figures(dp, dp.as_planned or dp.problem, current, current_assignment),
        "proposal": figures(
            dp, solved.problem, solved.solution, {vid: proposed.get(vid, []) for vid in dp.visits}
        ),
        "unassigned": [
            {"visit": vid, **wording.reason(code, params)}
            for vid, (code, params) in sorted(reasons.items())
        ],
        "notes": dp.notes + solved.notes,
        "iterations": solved.iterations,
        "seconds": round(solved.seconds, 2),
    }


def _row_plan(rows: list[dict[str, Any]]) -> dict[str, list[str] | None]:
    return {r["id"]: (r["proposed"] or {}).get("caregivers") for r in rows}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
