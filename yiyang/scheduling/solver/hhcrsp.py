"""Reader and writer of the HHCRSP benchmark JSON (Ceschia, Di Gaspero, Rosati, Schaerf).

Instance: ``patients[{id, location, time_window, required_caregivers[{service, duration}],
synchronization{type, distance[min, max]}}]``, ``services``, ``caregivers[{id, abilities}]``,
``central_offices[{id, location}]`` and ``distances`` (rows and columns ordered office, p1..pn).
Solution: ``routes[{caregiver_id, locations[{patient, service, arrival_time,
departure_time}]}]`` where ``arrival_time`` is the start of the service.
Every problem with the data raises :class:`ProblemError` with the JSON path of the bad field.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from yiyang.scheduling.solver.model import (
    Caregiver,
    Location,
    Problem,
    ProblemError,
    Requirement,
    Route,
    Solution,
    Stop,
    Synchronisation,
    SyncKind,
    TimeWindow,
    Visit,
    Weights,
)
from yiyang.scheduling.solver.travel import MatrixTravelTime

BENCHMARK_WEIGHTS = Weights(
    travel=1.0, lateness=1.0, max_lateness=1.0, unassigned=1e6, continuity=0.0, overtime=0.0
)


def _load(path: Path | str) -> Any:
    try:
        with open(path, encoding="utf-8") as handle:
            # Trusted: a published benchmark instance the operator names on the command line.
            return json.load(handle)  # noqa: TID251
    except OSError as exc:
        raise ProblemError(str(path), f"cannot be read ({exc.strerror or exc})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ProblemError(str(path), f"is not valid JSON ({exc})") from None


def _get(obj: Any, key: str, path: str, kind: type | tuple[type, ...]) -> Any:
    if not isinstance(obj, dict):
        raise ProblemError(path, "expected an object")
    if key not in obj:
        raise ProblemError(f"{path}.{key}" if path else key, "missing")
    value = obj[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        name = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise ProblemError(f"{path}.{key}" if path else key, f"expected {name}")
    return value


def _number(value: Any, path: str) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        raise ProblemError(path, "expected a finite number")
    return float(value)


def _pair(value: Any, path: str) -> tuple[float, float]:
    if not isinstance(value, list) or len(value) != 2:
        raise ProblemError(path, "expected a list of two numbers")
    return _number(value[0], f"{path}[0]"), _number(value[1], f"{path}[1]")


def problem_from_json(data: Any, *, name: str = "") -> Problem:
    if not isinstance(data, dict):
        raise ProblemError("$", "expected an object")
    offices = _get(data, "central_offices", "", list)
    if not offices:
        raise ProblemError("central_offices", "at least one office is needed")
    office_id = str(_get(offices[0], "id", "central_offices[0]", (str, int)))
    office = Location(
        office_id,
        *_pair(
            _get(offices[0], "location", "central_offices[0]", list), "central_offices[0].location"
        ),
    )
    services = _get(data, "services", "", list)
    known_services = {
        str(_get(s, "id", f"services[{i}]", (str, int))) for i, s in enumerate(services)
    }
    caregivers = []
    seen: set[str] = set()
    for i, raw in enumerate(_get(data, "caregivers", "", list)):
        path = f"caregivers[{i}]"
        cid = str(_get(raw, "id", path, (str, int)))
        if cid in seen:
            raise ProblemError(f"{path}.id", f"duplicate caregiver {cid!r}")
        seen.add(cid)
        abilities = _get(raw, "abilities", path, list)
        for j, ability in enumerate(abilities):
            if str(ability) not in known_services:
                raise ProblemError(f"{path}.abilities[{j}]", f"unknown service {ability!r}")
        caregivers.append(Caregiver(cid, frozenset(str(a) for a in abilities), office, office))
    visits = []
    keys = [office_id]
    seen = set()
    for i, raw in enumerate(_get(data, "patients", "", list)):
        path = f"patients[{i}]"
        pid = str(_get(raw, "id", path, (str, int)))
        if pid in seen or pid == office_id:
            raise ProblemError(f"{path}.id", f"duplicate id {pid!r}")
        seen.add(pid)
        location = Location(pid, *_pair(_get(raw, "location", path, list), f"{path}.location"))
        earliest, latest = _pair(_get(raw, "time_window", path, list), f"{path}.time_window")
        requirements = []
        raw_requirements = _get(raw, "required_caregivers", path, list)
        if not 1 <= len(raw_requirements) <= 2:
            raise ProblemError(f"{path}.required_caregivers", "expected one or two entries")
        for j, req in enumerate(raw_requirements):
            rpath = f"{path}.required_caregivers[{j}]"
            service = str(_get(req, "service", rpath, (str, int)))
            if service not in known_services:
                raise ProblemError(f"{rpath}.service", f"unknown service {service!r}")
            duration = _number(_get(req, "duration", rpath, (int, float)), f"{rpath}.duration")
            if duration < 0:
                raise ProblemError(f"{rpath}.duration", "must be >= 0")
            requirements.append(Requirement(frozenset({service}), duration))
        sync = None
        if len(requirements) == 2:
            if "synchronization" not in raw:
                raise ProblemError(f"{path}.synchronization", "missing for two caregivers")
            raw_sync = raw["synchronization"]
            kind = _get(raw_sync, "type", f"{path}.synchronization", str)
            if kind == SyncKind.SIMULTANEOUS:
                sync = Synchronisation(SyncKind.SIMULTANEOUS)
            elif kind == SyncKind.SEQUENTIAL:
                low, high = _pair(
                    _get(raw_sync, "distance", f"{path}.synchronization", list),
                    f"{path}.synchronization.distance",
                )
                sync = Synchronisation(SyncKind.SEQUENTIAL, low, high)
            else:
                raise ProblemError(f"{path}.synchronization.type", f"unknown type {kind!r}")
        visits.append(Visit(pid, location, TimeWindow(earliest, latest), tuple(requirements), sync))
        keys.append(pid)
    distances = _get(data, "distances", "", list)
    for i, row in enumerate(distances):
        if not isinstance(row, list):
            raise ProblemError(f"distances[{i}]", "expected a list")
    travel = MatrixTravelTime(keys, distances)
    return Problem(tuple(visits), tuple(caregivers), travel, BENCHMARK_WEIGHTS, name)


def read_problem(path: Path | str) -> Problem:
    return problem_from_json(_load(path), name=Path(path).stem)


def solution_from_json(data: Any, problem: Problem) -> Solution:
    """Routes of a benchmark solution file; each stop's ``arrival_time`` is its start."""
    visits = {visit.id: visit for visit in problem.visits}
    routes = []
    used: set[tuple[str, int]] = set()
    for i, raw in enumerate(_get(data, "routes", "", list)):
        path = f"routes[{i}]"
        cid = str(_get(raw, "caregiver_id", path, (str, int)))
        stops = []
        raw_stops = _get(raw, "locations", path, list) if "locations" in raw else []
        for j, loc in enumerate(raw_stops):
            lpath = f"{path}.locations[{j}]"
            key_p = "patient" if isinstance(loc, dict) and "patient" in loc else "patient_id"
            key_s = "service" if isinstance(loc, dict) and "service" in loc else "service_id"
            pid = str(_get(loc, key_p, lpath, (str, int)))
            service = str(_get(loc, key_s, lpath, (str, int)))
            visit = visits.get(pid)
            if visit is None:
                raise ProblemError(f"{lpath}.{key_p}", f"unknown patient {pid!r}")
            indexes = [k for k, r in enumerate(visit.requirements) if service in r.skills]
            unused = [k for k in indexes if (pid, k) not in used]
            if not indexes:
                raise ProblemError(f"{lpath}.{key_s}", f"patient {pid!r} needs no {service!r}")
            start = _number(_get(loc, "arrival_time", lpath, (int, float)), f"{lpath}.arrival_time")
            end = _number(
                _get(loc, "departure_time", lpath, (int, float)), f"{lpath}.departure_time"
            )
            requirement = (unused or indexes)[0]
            used.add((pid, requirement))
            stops.append(Stop(pid, requirement, start, end))
        routes.append(Route(cid, tuple(stops)))
    return Solution(tuple(routes))


def read_solution(path: Path | str, problem: Problem) -> Solution:
    return solution_from_json(_load(path), problem)


def solution_to_json(solution: Solution, problem: Problem) -> dict[str, Any]:
    visits = {visit.id: visit for visit in problem.visits}
    routes = []
    for route in solution.routes:
        locations = []
        for stop in route.stops:
            requirement = visits[stop.visit_id].requirements[stop.requirement]
            locations.append(
                {
                    "patient": stop.visit_id,
                    "service": sorted(requirement.skills)[0],
                    "arrival_time": round(stop.start, 6),
                    "departure_time": round(stop.end, 6),
                }
            )
        routes.append({"caregiver_id": route.caregiver_id, "locations": locations})
    return {"routes": routes}


def write_solution(path: Path | str, solution: Solution, problem: Problem) -> None:
    Path(path).write_text(json.dumps(solution_to_json(solution, problem), indent=1) + "\n")
