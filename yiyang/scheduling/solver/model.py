"""The rostering problem, independent of Django: visits, caregivers, travel, weights.

Times are minutes from the start of the planning day (floats). A visit has one or two
*requirements* (a skill and a duration each); two requirements mean two caregivers, and the
visit's synchronisation says whether they start together (``simultaneous``) or one after the
other with a gap between the two starts in ``[min_gap, max_gap]`` (``sequential``).
The time window bounds the *start* of each service: starting before ``window.earliest`` is
impossible (the caregiver waits), starting after ``window.latest`` is lateness (soft, weighted),
bounded by ``max_lateness`` when one is given (hard).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from yiyang.scheduling.solver.travel import TravelTimeSource


class ProblemError(ValueError):
    """A problem or solution that cannot be used; ``path`` names the bad field."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


class SyncKind(StrEnum):
    SIMULTANEOUS = "simultaneous"
    SEQUENTIAL = "sequential"


class TravelMode(StrEnum):
    WALK = "walk"
    BICYCLE = "bicycle"
    SCOOTER = "scooter"
    CAR = "car"
    TRANSIT = "transit"


class Gender(StrEnum):
    FEMALE = "female"
    MALE = "male"


class UnassignedReason(StrEnum):
    NO_SKILL = "no_caregiver_with_skill"
    WINDOW_IMPOSSIBLE = "window_impossible"
    SHIFT_TOO_SHORT = "shift_too_short"
    SEQUENTIAL_GAP_IMPOSSIBLE = "sequential_gap_impossible"
    NO_FEASIBLE_INSERTION = "no_feasible_insertion"


@dataclass(frozen=True)
class Location:
    """A place; ``key`` identifies it in a given travel matrix, lat/lon feed the others."""

    key: str
    lat: float = 0.0
    lon: float = 0.0


@dataclass(frozen=True)
class TimeWindow:
    earliest: float
    latest: float


@dataclass(frozen=True)
class Requirement:
    """One caregiver's part of a visit: every skill in ``skills`` is needed."""

    skills: frozenset[str]
    duration: float


@dataclass(frozen=True)
class Synchronisation:
    kind: SyncKind
    min_gap: float = 0.0
    max_gap: float = 0.0


@dataclass(frozen=True)
class Visit:
    id: str
    location: Location
    window: TimeWindow
    requirements: tuple[Requirement, ...]
    sync: Synchronisation | None = None
    max_lateness: float | None = None
    preferred_caregivers: frozenset[str] = frozenset()
    excluded_caregivers: frozenset[str] = frozenset()
    gender_preference: Gender | None = None


@dataclass(frozen=True)
class Break:
    """The caregiver does no service inside [start, end); travel may cross it."""

    start: float
    end: float


@dataclass(frozen=True)
class Caregiver:
    """Works from ``shift_start``; back at the end location by ``shift_end``, or later by at most
    ``max_overtime`` minutes (overtime, weighted); never more than ``max_working_minutes``
    from leaving the start location to arriving at the end location."""

    id: str
    skills: frozenset[str]
    start_location: Location
    end_location: Location
    shift_start: float = 0.0
    shift_end: float = math.inf
    max_overtime: float = 0.0
    max_working_minutes: float = math.inf
    breaks: tuple[Break, ...] = ()
    travel_mode: TravelMode = TravelMode.CAR
    gender: Gender | None = None


@dataclass(frozen=True)
class Weights:
    """Objective weights; the benchmark uses 1/1/1 on travel, lateness and max lateness."""

    travel: float = 1.0
    lateness: float = 1.0
    max_lateness: float = 1.0
    unassigned: float = 100_000.0
    continuity: float = 0.0
    overtime: float = 10.0


@dataclass(frozen=True)
class Problem:
    visits: tuple[Visit, ...]
    caregivers: tuple[Caregiver, ...]
    travel: TravelTimeSource
    weights: Weights = field(default_factory=Weights)
    name: str = ""


@dataclass(frozen=True)
class Stop:
    """Caregiver serves requirement ``requirement`` of visit ``visit_id`` from ``start``."""

    visit_id: str
    requirement: int
    start: float
    end: float


@dataclass(frozen=True)
class Route:
    caregiver_id: str
    stops: tuple[Stop, ...]


@dataclass(frozen=True)
class Unassigned:
    visit_id: str
    reason: UnassignedReason
    detail: str


@dataclass(frozen=True)
class Solution:
    routes: tuple[Route, ...]
    unassigned: tuple[Unassigned, ...] = ()
