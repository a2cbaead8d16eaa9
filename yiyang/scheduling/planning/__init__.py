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

The package: ``day`` (the problem's records and constants), ``build`` (the day from the
database), ``solving`` (rounds against the dispatch rules), ``figures`` (the current plan
and a plan's figures) and ``proposal`` (what a run stores).
"""

from yiyang.scheduling.dispatchcheck import assignment_of, dispatch_check, refused
from yiyang.scheduling.planning.build import build_day
from yiyang.scheduling.planning.day import (
    CLASH_ROUNDS,
    CONTINUITY_WEIGHT,
    HOLD_WHOLE_WINDOW,
    KEEP_WEIGHT,
    LEFT_AS_THEY_ARE,
    MAX_OVERTIME,
    OCCUPANCY_SLACK,
    PLANNED_STATUSES,
    TRAVEL,
    UNDER_WAY_STATUSES,
    DayProblem,
    clock,
)
from yiyang.scheduling.planning.figures import current_solution, figures
from yiyang.scheduling.planning.proposal import proposal_json
from yiyang.scheduling.planning.solving import DaySolution, solve_day

__all__ = [
    "CLASH_ROUNDS",
    "CONTINUITY_WEIGHT",
    "HOLD_WHOLE_WINDOW",
    "KEEP_WEIGHT",
    "LEFT_AS_THEY_ARE",
    "MAX_OVERTIME",
    "OCCUPANCY_SLACK",
    "PLANNED_STATUSES",
    "TRAVEL",
    "UNDER_WAY_STATUSES",
    "DayProblem",
    "DaySolution",
    "assignment_of",
    "build_day",
    "clock",
    "current_solution",
    "dispatch_check",
    "figures",
    "proposal_json",
    "refused",
    "solve_day",
]
