"""The day's problem: its records, constants and the minute helpers (see the package)."""

from __future__ import annotations

import dataclasses
import datetime
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from yiyang.organisations.models import Organisation
from yiyang.scheduling.solver.model import (
    Problem,
    Requirement,
    TimeWindow,
    TravelMode,
)
from yiyang.scheduling.solver.model import Visit as SolverVisit
from yiyang.scheduling.solver.travel import GreatCircleTravelTime
from yiyang.services.models import Caregiver
from yiyang.visits import dispatching
from yiyang.visits.choices import VisitStatus
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
                id=v.id,
                location=v.location,
                window=TimeWindow(begin, begin),
                requirements=tuple(Requirement(r.skills, hold) for r in v.requirements),
                sync=v.sync,
                max_lateness=None if pinned else OCCUPANCY_SLACK,
                preferred_caregivers=v.preferred_caregivers,
                excluded_caregivers=v.excluded_caregivers,
            )
        )
    p = dp.problem
    return Problem(tuple(visits), p.caregivers, p.travel, p.weights, p.name)
