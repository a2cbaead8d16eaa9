"""Tiny hand-made problems on a line: location ``x`` is ``x`` minutes from location 0."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from yiyang.scheduling.solver.model import (
    Caregiver,
    Location,
    Problem,
    Requirement,
    Synchronisation,
    SyncKind,
    TimeWindow,
    Visit,
    Weights,
)
from yiyang.scheduling.solver.travel import MatrixTravelTime

BENCHMARK_WEIGHTS = Weights(unassigned=1e6, overtime=0.0)


def shared_hhcrsp() -> Path:
    root = Path(__file__).resolve().parents[2]
    shared = Path(os.environ.get("YIYANG_SHARED_DIR", root / ".." / "shared"))
    return (shared / "bench" / "hhcrsp").resolve()


def office() -> Location:
    return Location("office")


def at(x: float) -> Location:
    return Location(f"x{x:g}")


def visit(
    vid: str,
    x: float,
    window: tuple[float, float] = (0, 1000),
    skills: tuple[str, ...] = ("care",),
    duration: float = 10,
    **extra: Any,
) -> Visit:
    requirements = tuple(Requirement(frozenset({s}), duration) for s in skills)
    return Visit(vid, at(x), TimeWindow(*window), requirements, **extra)


def double(
    vid: str,
    x: float,
    kind: SyncKind,
    window: tuple[float, float] = (0, 1000),
    gap: tuple[float, float] = (0, 0),
    skills: tuple[str, str] = ("care", "care"),
    duration: float = 10,
    **extra: Any,
) -> Visit:
    return replace(
        visit(vid, x, window, skills, duration, **extra),
        sync=Synchronisation(kind, gap[0], gap[1]),
    )


def caregiver(cid: str, skills: tuple[str, ...] = ("care",), **extra: Any) -> Caregiver:
    return Caregiver(cid, frozenset(skills), office(), office(), **extra)


def problem(
    visits: list[Visit], caregivers: list[Caregiver], weights: Weights = BENCHMARK_WEIGHTS
) -> Problem:
    """Travel on a line: the office is at 0, ``at(x)`` at x; minutes = distance."""
    points = {"office": 0.0}
    for v in visits:
        points[v.location.key] = float(v.location.key[1:])
    keys = list(points)
    matrix = [[abs(points[a] - points[b]) for b in keys] for a in keys]
    return Problem(tuple(visits), tuple(caregivers), MatrixTravelTime(keys, matrix), weights)


def write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data))
    return path


def tiny_instance() -> dict[str, Any]:
    """A benchmark-format instance: three patients, one simultaneous, two caregivers."""
    return {
        "patients": [
            {
                "id": "p1",
                "location": [1, 0],
                "time_window": [0, 100],
                "required_caregivers": [{"service": "s1", "duration": 10}],
            },
            {
                "id": "p2",
                "location": [2, 0],
                "time_window": [30, 60],
                "required_caregivers": [
                    {"service": "s1", "duration": 5},
                    {"service": "s2", "duration": 5},
                ],
                "synchronization": {"type": "simultaneous"},
            },
            {
                "id": "p3",
                "location": [3, 0],
                "time_window": [0, 200],
                "required_caregivers": [
                    {"service": "s1", "duration": 10},
                    {"service": "s2", "duration": 10},
                ],
                "synchronization": {"type": "sequential", "distance": [15, 30]},
            },
        ],
        "services": [{"id": "s1", "default_duration": 10}, {"id": "s2", "default_duration": 10}],
        "caregivers": [{"id": "c1", "abilities": ["s1"]}, {"id": "c2", "abilities": ["s1", "s2"]}],
        "central_offices": [{"id": "d", "location": [0, 0]}],
        "distances": [[0, 1, 2, 3], [1, 0, 1, 2], [2, 1, 0, 1], [3, 2, 1, 0]],
    }
