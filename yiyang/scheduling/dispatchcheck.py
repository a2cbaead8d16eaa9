"""The optimiser's plans checked by the dispatch rules themselves
(``visits.dispatching.judge``, what ``visit_assign`` asks), each visit at its planned start
against the rest of the plan and the visits already done that day."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from yiyang.scheduling.solver.model import Solution
from yiyang.visits import dispatching
from yiyang.visits.dispatch_facts import caregiver_workers, visit_booking, visit_need

if TYPE_CHECKING:
    from yiyang.scheduling.planning import DayProblem


def problems(
    dp: DayProblem, plan: dict[str, list[str] | None], starts: dict[str, float] | None = None
) -> dict[str, list[dispatching.Refusal]]:
    """Visit -> the refusals of the dispatch rules (``dispatching.judge``, what
    ``visit_assign`` asks) for its caregivers in ``plan`` at its start in ``starts``,
    against the rest of the plan and the visits already done."""
    starts = starts or {}
    pk_of = {key: c.pk for key, c in dp.caregivers.items()}
    days: dict[int, list[dispatching.Booking]] = {}
    for visit in dp.done_visits:
        for pk in (visit.caregiver_id, visit.second_caregiver_id):
            if pk:
                days.setdefault(pk, []).append(visit_booking(visit))
    for vid, cids in plan.items():
        booking = visit_booking(dp.visits[vid], start=starts.get(vid))
        for cid in cids or ():
            days.setdefault(pk_of[cid], []).append(booking)
    workers = {w.id: w for w in caregiver_workers(list(dp.caregivers.values()), dp.day)}
    found: dict[str, list[dispatching.Refusal]] = {}
    for vid, cids in plan.items():
        if not cids or vid in dp.fixed:
            continue
        verdict = dispatching.judge(
            visit_need(dp.visits[vid]), [workers[c] for c in cids], days, at=starts.get(vid)
        )
        if not verdict.ok:
            found[vid] = verdict.refusals
    return found


def dispatch_check(
    dp: DayProblem, plan: dict[str, list[str] | None], starts: dict[str, float] | None = None
) -> dict[str, list[dict[str, Any]]]:
    """Each proposed assignment run through the dispatch rules themselves against the rest
    of the proposal and the visits already done: the refusals (code, parameters, the visit
    in the way) ``visit_assign`` would give. Proposals are checked so before they are
    stored, so this is empty unless the rules changed; the page shows what it finds."""
    return {
        vid: [r.as_dict() for r in refusals] for vid, refusals in problems(dp, plan, starts).items()
    }


def starts_of(solution: Solution) -> dict[str, float]:
    return {s.visit_id: s.start for r in solution.routes for s in r.stops}


def assignment_of(solution: Solution) -> dict[str, list[str]]:
    """Visit -> its caregivers (in requirement order) in a solution."""
    parts: dict[str, list[tuple[int, str]]] = {}
    for route in solution.routes:
        for stop in route.stops:
            parts.setdefault(stop.visit_id, []).append((stop.requirement, route.caregiver_id))
    return {vid: [cid for _r, cid in sorted(found)] for vid, found in parts.items()}


def refused(dp: DayProblem, solution: Solution) -> dict[str, set[str]]:
    """Visit -> caregivers the dispatch rules refuse for it in this solution, with the visits
    under way and those kept when re-planning at their caregivers."""
    placed = assignment_of(solution)
    plan: dict[str, list[str] | None] = dict(placed)
    for vid in dp.fixed | dp.kept:
        if vid not in plan:
            plan[vid] = dp.current(vid)
    return {
        vid: {c for r in refused for c in plan[vid] or () if r.caregiver_id in (c, "")}
        for vid, refused in problems(dp, plan, starts_of(solution)).items()
        if vid not in dp.fixed and (vid not in dp.kept or vid in placed)
    }
