"""The star level from item scores: pure, no Django. Every figure the pages show comes
from here (the evaluator's running total, the review, publication).

A level is reached when the total reaches the level's minimum and every part reaches the
level's share of that part's maximum; the highest level reached wins. A capping item
scored below its ``cap_below`` holds the level at its ``cap_level`` at most.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class Item:
    code: str
    part: str
    max_points: Decimal
    evidence_required: bool = False
    cap_level: int | None = None
    cap_below: Decimal | None = None


@dataclass(frozen=True)
class Threshold:
    level: int
    min_total: Decimal
    min_part_share: Decimal  # 0..1 of each part's maximum


@dataclass(frozen=True)
class LevelResult:
    total: Decimal
    part_totals: dict[str, Decimal]
    level_by_points: int  # 0: no level reached
    level: int
    caps: list[str] = field(default_factory=list)  # codes of the capping items that applied
    missing: list[str] = field(default_factory=list)  # items without a score

    @property
    def complete(self) -> bool:
        return not self.missing


def compute_level(
    *,
    items: Sequence[Item],
    thresholds: Sequence[Threshold],
    part_max: Mapping[str, Decimal],
    scores: Mapping[str, Decimal],
) -> LevelResult:
    """Total, part totals and level of a set of item scores (missing items count 0 and
    are listed, so a running total can be shown before the evaluation is complete)."""
    part_totals = {part: Decimal(0) for part in part_max}
    missing = []
    caps: list[str] = []
    cap = None
    for item in items:
        points = scores.get(item.code)
        if points is None:
            missing.append(item.code)
            points = Decimal(0)
        part_totals[item.part] = part_totals.get(item.part, Decimal(0)) + points
        if item.cap_level is not None and item.cap_below is not None and points < item.cap_below:
            caps.append(item.code)
            cap = item.cap_level if cap is None else min(cap, item.cap_level)
    total = sum(part_totals.values(), Decimal(0))
    reached = 0
    for threshold in sorted(thresholds, key=lambda t: t.level):
        parts_ok = all(
            part_totals.get(part, Decimal(0)) >= threshold.min_part_share * maximum
            for part, maximum in part_max.items()
        )
        if total >= threshold.min_total and parts_ok:
            reached = threshold.level
    level = reached if cap is None else min(reached, cap)
    return LevelResult(
        total=total,
        part_totals=part_totals,
        level_by_points=reached,
        level=level,
        caps=caps if cap is not None and cap < reached else [],
        missing=missing,
    )
