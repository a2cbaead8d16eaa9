"""What a run stores: the proposal, visit by visit, with the figures of both plans."""

from __future__ import annotations

from typing import Any

from yiyang.scheduling import wording
from yiyang.scheduling.dispatchcheck import dispatch_check
from yiyang.scheduling.planning.day import (
    LEFT_AS_THEY_ARE,
    DayProblem,
)
from yiyang.scheduling.planning.figures import current_solution, figures
from yiyang.scheduling.planning.solving import DaySolution
from yiyang.scheduling.solver.model import Solution


def proposal_json(dp: DayProblem, solved: DaySolution) -> dict[str, Any]:
    """What a run stores: per visit the current and proposed caregiver(s) and start, the
    figures of both plans, and why each visit left out could not be planned."""
    current = current_solution(dp)
    current_starts = _first_starts(current)
    proposed = _proposed(solved.solution)
    proposed_starts = _first_starts(solved.solution)
    reasons = _reasons(dp, solved)
    current_assignment = {vid: dp.current(vid) for vid in dp.visits}
    rows = [
        _row(dp, vid, proposed.get(vid), reasons, current_starts, proposed_starts)
        for vid in dp.visits
    ]
    refusals = dispatch_check(dp, _row_plan(rows), proposed_starts)  # codes, worded by pages
    for row in rows:
        row["refusals"] = refusals.get(row["id"], []) if row["changed"] else []
    rows.sort(key=lambda r: (r["window"][0], r["id"]))
    return {
        "visits": rows,
        "caregivers": _caregiver_shifts(dp),
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


def _first_starts(solution: Solution) -> dict[str, float]:
    """Each visit's start in a plan (the first caregiver's, for a double-up)."""
    starts: dict[str, float] = {}
    for route in solution.routes:
        for stop in route.stops:
            starts.setdefault(stop.visit_id, stop.start)
    return starts


def _proposed(solution: Solution) -> dict[str, list[str]]:
    """Visit -> its caregivers in a plan; the order of the two caregivers of a double-up
    follows the requirement index."""
    parts: dict[str, list[tuple[int, str]]] = {}
    for route in solution.routes:
        for stop in route.stops:
            parts.setdefault(stop.visit_id, []).append((stop.requirement, route.caregiver_id))
    return {vid: [cid for _r, cid in sorted(found)] for vid, found in parts.items()}


def _reasons(dp: DayProblem, solved: DaySolution) -> dict[str, tuple[str, dict[str, Any]]]:
    """Visit -> (code, parameters): why it was left out of the problem or of the plan."""
    reasons: dict[str, tuple[str, dict[str, Any]]] = dict(dp.skipped)
    for item in solved.solution.unassigned:
        if item.visit_id in dp.fixed:
            continue
        if item.visit_id in solved.clash_excluded:
            reasons[item.visit_id] = (wording.DOUBLE_BOOKED, {})
        else:
            reasons[item.visit_id] = (str(item.reason), {})
    return reasons


def _row(
    dp: DayProblem,
    vid: str,
    new_caregivers: list[str] | None,
    reasons: dict[str, tuple[str, dict[str, Any]]],
    current_starts: dict[str, float],
    proposed_starts: dict[str, float],
) -> dict[str, Any]:
    """One visit of the proposal: today's and the proposed caregivers and start, whether
    that is a change, and why it is left out (refusals are added afterwards)."""
    visit = dp.visits[vid]
    first, last = dp.windows[vid]
    now_caregivers = dp.current(vid)
    code, params = reasons.get(vid, ("", {}))
    if vid in dp.fixed or (vid in dp.kept and new_caregivers is None):
        new_caregivers = now_caregivers  # under way, or kept when re-planning
        code = ""
    # a visit with a caregiver today that the proposal leaves out is a change (accepting
    # unassigns it), unless it was not planned at all; after a dropout, the dropped
    # caregiver's visits always leave them
    dropping = (
        new_caregivers is None
        and bool(now_caregivers)
        and (code not in LEFT_AS_THEY_ARE or dp.dropped_key in now_caregivers)
    )
    changed = vid not in dp.fixed and (
        dropping
        or (new_caregivers is not None and sorted(new_caregivers) != sorted(now_caregivers))
    )
    return {
        "id": vid,
        "window": [first, last],
        "duration": visit.standard_minutes,
        "needs_two": visit.needs_two,
        "status": visit.status,
        "fixed": vid in dp.fixed,
        "current": {"caregivers": now_caregivers, "start": _round(current_starts.get(vid))},
        "proposed": (
            {"caregivers": new_caregivers, "start": _round(proposed_starts.get(vid))}
            if new_caregivers
            else None
        ),
        "changed": changed,
        "unassigned": wording.reason(code, params) if code else None,
    }


def _caregiver_shifts(dp: DayProblem) -> list[dict[str, Any]]:
    """Each caregiver's shift on the day (None when off)."""
    shifts = {c.id: c for c in dp.problem.caregivers}
    return [
        {
            "id": key,
            "shift": (
                [shifts[key].shift_start, shifts[key].shift_end]
                if shifts[key].shift_end > shifts[key].shift_start
                else None
            ),
        }
        for key in dp.caregivers
    ]


def _row_plan(rows: list[dict[str, Any]]) -> dict[str, list[str] | None]:
    return {r["id"]: (r["proposed"] or {}).get("caregivers") for r in rows}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
