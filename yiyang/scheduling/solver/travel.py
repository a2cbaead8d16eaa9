"""Travel-time sources: a given matrix, great-circle distance, or an HTTP table service.

Every source answers ``minutes(locations, mode)`` with a square matrix of travel minutes in
the order of ``locations``. The HTTP source (OSRM's ``/table`` API shape) falls back to the
great-circle estimate when the service fails or times out, and records why in ``notes``.
"""

from __future__ import annotations

import math
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from yiyang.core import safejson
from yiyang.scheduling.solver.model import Location, ProblemError, TravelMode

EARTH_RADIUS_KM = 6371.0088

# Door-to-door speeds in km/h, already net of parking and lifts; circuity turns the
# great-circle distance into a street distance (about 1.3 in dense Chinese cities).
DEFAULT_SPEEDS_KMH: dict[TravelMode, float] = {
    TravelMode.WALK: 4.5,
    TravelMode.BICYCLE: 12.0,
    TravelMode.SCOOTER: 20.0,
    TravelMode.CAR: 25.0,
    TravelMode.TRANSIT: 15.0,
}


class TravelTimeSource(Protocol):
    notes: list[str]

    def minutes(self, locations: Sequence[Location], mode: TravelMode) -> list[list[float]]: ...


@dataclass
class MatrixTravelTime:
    """A matrix given by key: ``matrix[key_a][key_b]`` minutes, the same for every mode."""

    keys: Sequence[str]
    matrix: Sequence[Sequence[float]]
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        n = len(self.keys)
        if len(self.matrix) != n:
            raise ProblemError("distances", f"expected {n} rows, found {len(self.matrix)}")
        for i, row in enumerate(self.matrix):
            if len(row) != n:
                raise ProblemError(f"distances[{i}]", f"expected {n} columns, found {len(row)}")
            for j, value in enumerate(row):
                if not isinstance(value, int | float) or isinstance(value, bool):
                    raise ProblemError(f"distances[{i}][{j}]", "not a number")
                if not math.isfinite(value) or value < 0:
                    raise ProblemError(f"distances[{i}][{j}]", "must be finite and >= 0")
        self._index: Mapping[str, int] = {key: i for i, key in enumerate(self.keys)}

    def minutes(self, locations: Sequence[Location], mode: TravelMode) -> list[list[float]]:
        try:
            rows = [self._index[loc.key] for loc in locations]
        except KeyError as exc:
            raise ProblemError("travel", f"location {exc.args[0]!r} is not in the matrix") from None
        return [[float(self.matrix[a][b]) for b in rows] for a in rows]


def great_circle_km(a: Location, b: Location) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


@dataclass
class GreatCircleTravelTime:
    """Great-circle distance x ``circuity`` at the mode's speed."""

    circuity: float = 1.3
    speeds_kmh: Mapping[TravelMode, float] = field(default_factory=lambda: DEFAULT_SPEEDS_KMH)
    notes: list[str] = field(default_factory=list)

    def minutes(self, locations: Sequence[Location], mode: TravelMode) -> list[list[float]]:
        speed = self.speeds_kmh[mode]
        factor = self.circuity / speed * 60.0
        return (great_circle_matrix_km(locations) * factor).tolist()


def great_circle_matrix_km(locations: Sequence[Location]) -> np.ndarray:
    """``great_circle_km`` between every two locations, vectorised (a 600-place day took
    6 s in a Python loop per travel mode; issue 22's time to a first plan)."""
    lat = np.radians(np.array([loc.lat for loc in locations], dtype=np.float64))
    lon = np.radians(np.array([loc.lon for loc in locations], dtype=np.float64))
    h = (
        np.sin((lat[None, :] - lat[:, None]) / 2) ** 2
        + np.cos(lat[:, None])
        * np.cos(lat[None, :])
        * np.sin((lon[None, :] - lon[:, None]) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(h)))


@dataclass
class HttpTableTravelTime:
    """An OSRM-style ``GET {base_url}/table/v1/{profile}/{lon,lat;...}`` service.

    Any failure (timeout, HTTP error, malformed answer) falls back to ``fallback`` and appends
    a note saying so; planning never waits longer than ``timeout_seconds`` per request.
    """

    base_url: str
    timeout_seconds: float = 5.0
    profiles: Mapping[TravelMode, str] = field(
        default_factory=lambda: {
            TravelMode.WALK: "foot",
            TravelMode.BICYCLE: "bike",
            TravelMode.SCOOTER: "bike",
            TravelMode.CAR: "car",
            TravelMode.TRANSIT: "car",
        }
    )
    fallback: GreatCircleTravelTime = field(default_factory=GreatCircleTravelTime)
    notes: list[str] = field(default_factory=list)

    def minutes(self, locations: Sequence[Location], mode: TravelMode) -> list[list[float]]:
        coordinates = ";".join(f"{loc.lon:.6f},{loc.lat:.6f}" for loc in locations)
        url = f"{self.base_url.rstrip('/')}/table/v1/{self.profiles[mode]}/{coordinates}"
        if not url.startswith(("http://", "https://")):
            raise ProblemError("travel.base_url", "must be an http(s) URL")
        try:
            with urllib.request.urlopen(url, timeout=self.timeout_seconds) as response:  # noqa: S310
                # Another server's answer: read with a depth limit (a table is 3 deep).
                body = safejson.loads(response.read(), max_depth=8)
            durations = body["durations"]
            n = len(locations)
            if len(durations) != n or any(len(row) != n for row in durations):
                raise ValueError("matrix shape does not match the locations")
            return [[float(value) / 60.0 for value in row] for row in durations]
        except (OSError, urllib.error.URLError, ValueError, KeyError, TypeError) as exc:
            self.notes.append(
                f"travel service {self.base_url} failed for {mode} ({exc.__class__.__name__}: "
                f"{exc}); used great-circle x {self.fallback.circuity} instead"
            )
            return self.fallback.minutes(locations, mode)
