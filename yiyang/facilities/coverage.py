"""Coverage arithmetic, pure (arrays in, counts out): elders inside the circle per hexagon
and per division, with the k-anonymity rule applied to hexagons."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import h3
import numpy as np
from h3.api import basic_int
from numpy.typing import NDArray

HEX_RESOLUTION = 8  # about 0.74 km² a hexagon, edge about 460 m
GROUPS = ("all", "very_old", "living_alone", "disabled")


@dataclass
class Homes:
    """Elders with coordinates, as parallel arrays (one row per elder)."""

    lat: NDArray[np.float64]
    lng: NDArray[np.float64]
    community: NDArray[np.int64]
    very_old: NDArray[np.bool_]
    living_alone: NDArray[np.bool_]
    disabled: NDArray[np.bool_]
    minutes: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))

    def __len__(self) -> int:
        return int(self.lat.shape[0])

    def group(self, name: str) -> NDArray[np.bool_]:
        if name == "all":
            return np.ones(len(self), dtype=bool)
        return np.asarray(getattr(self, name), dtype=bool)


def hex_ids(
    lat: NDArray[np.float64], lng: NDArray[np.float64], resolution: int = HEX_RESOLUTION
) -> NDArray[np.uint64]:
    """Each point's H3 cell as a 64-bit integer (the integer API: no string per point)."""
    cell = basic_int.latlng_to_cell
    return np.fromiter(
        map(cell, lat.tolist(), lng.tolist(), [resolution] * len(lat)),
        dtype=np.uint64,
        count=len(lat),
    )


def hex_cells(
    lat: NDArray[np.float64], lng: NDArray[np.float64], resolution: int = HEX_RESOLUTION
) -> list[str]:
    return [
        h3.latlng_to_cell(a, b, resolution) for a, b in zip(lat.tolist(), lng.tolist(), strict=True)
    ]


def hexagons(
    homes: Homes,
    covered: NDArray[np.bool_],
    *,
    min_count: int,
    show_small: bool,
    resolution: int = HEX_RESOLUTION,
) -> list[dict[str, Any]]:
    """One entry per hexagon holding elders: its outline, and per group the elders and
    those inside the circle. Unless ``show_small`` (k-anonymity for roles below the
    district), a hexagon of fewer than ``min_count`` elders carries no number, and in a
    larger one a group of fewer than ``min_count`` (the weighted views: the very old,
    living alone, disabled) carries none either (``None`` for that group)."""
    if len(homes) == 0:
        return []
    ids, inverse = np.unique(hex_ids(homes.lat, homes.lng, resolution), return_inverse=True)
    names = np.asarray([h3.int_to_str(int(i)) for i in ids.tolist()])
    result = []
    counts = {g: np.bincount(inverse, weights=homes.group(g), minlength=len(names)) for g in GROUPS}
    inside = {
        g: np.bincount(inverse, weights=homes.group(g) & covered, minlength=len(names))
        for g in GROUPS
    }
    for i, name in enumerate(names.tolist()):
        total = int(counts["all"][i])
        small = total < min_count
        entry: dict[str, Any] = {
            "cell": name,
            "outline": [[round(a, 6), round(b, 6)] for a, b in h3.cell_to_boundary(name)],
            "small": small,
        }
        if small and not show_small:
            entry["share"] = None
            entry["groups"] = None
        else:
            entry["share"] = round(float(inside["all"][i]) / total, 3) if total else None
            entry["groups"] = {
                g: (
                    {"elders": int(counts[g][i]), "covered": int(inside[g][i])}
                    if show_small or counts[g][i] >= min_count
                    else None
                )
                for g in GROUPS
            }
        result.append(entry)
    return result


def per_community(homes: Homes, covered: NDArray[np.bool_]) -> dict[int, dict[str, dict[str, int]]]:
    """Community id -> group -> elders and elders inside the circle."""
    if len(homes) == 0:
        return {}
    ids, inverse = np.unique(homes.community, return_inverse=True)
    out: dict[int, dict[str, dict[str, int]]] = {int(c): {} for c in ids.tolist()}
    for g in GROUPS:
        mask = homes.group(g)
        total = np.bincount(inverse, weights=mask, minlength=len(ids))
        inside = np.bincount(inverse, weights=mask & covered, minlength=len(ids))
        for i, c in enumerate(ids.tolist()):
            out[int(c)][g] = {"elders": int(total[i]), "covered": int(inside[i])}
    return out


def share(covered: int, total: int) -> float | None:
    return round(100.0 * covered / total, 1) if total else None
