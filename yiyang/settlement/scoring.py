"""The fraud risk score of a provider or a caregiver for a month, factor by factor.

Each factor turns a share or a rate of the month's evidence into 0..1 (reaching 1 at a
level that is plainly abnormal), times its weight; the score is their sum, 0..100. The
factors are kept with their numbers so the page explains the score in words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from yiyang.settlement.choices import RiskFactor as F

# factor: (weight, the value at which the factor counts in full)
WEIGHTS: dict[str, tuple[int, float]] = {
    F.FLAG_SHARE: (20, 0.30),
    F.TOO_SHORT: (15, 0.20),
    F.OUT_OF_RANGE: (15, 0.20),
    F.SAME_SPOT: (15, 0.20),
    F.LONG_DAYS: (10, 0.20),
    F.MONTH_END: (10, 1.00),
    F.RATINGS: (5, 1.00),
    F.COMPLAINTS: (10, 0.05),
}


@dataclass
class Evidence:
    """Counts of one provider's or caregiver's month."""

    visits: int = 0
    flagged: int = 0
    too_short: int = 0
    out_of_range: int = 0
    same_spot: int = 0
    long_or_fast: int = 0
    month_end: int = 0
    month_end_days: int = 3
    days_in_month: int = 30
    ratings: list[int] = field(default_factory=list)
    complaints: int = 0


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def factors(e: Evidence) -> list[dict[str, Any]]:
    """Every factor with its value (a share, an excess or a rate), numerator, denominator
    and points."""
    expected = e.month_end_days / e.days_in_month
    end_share = _share(e.month_end, e.visits)
    low_ratings = (5 - sum(e.ratings) / len(e.ratings)) / 4 if e.ratings else 0.0
    raw = {
        F.FLAG_SHARE: (_share(e.flagged, e.visits), e.flagged, e.visits),
        F.TOO_SHORT: (_share(e.too_short, e.visits), e.too_short, e.visits),
        F.OUT_OF_RANGE: (_share(e.out_of_range, e.visits), e.out_of_range, e.visits),
        F.SAME_SPOT: (_share(e.same_spot, e.visits), e.same_spot, e.visits),
        F.LONG_DAYS: (_share(e.long_or_fast, e.visits), e.long_or_fast, e.visits),
        # The excess over an even spread: 1.0 means twice as many as expected.
        F.MONTH_END: (
            max(0.0, end_share / expected - 1) if e.visits else 0.0,
            e.month_end,
            e.visits,
        ),
        F.RATINGS: (low_ratings, len(e.ratings), 0),
        F.COMPLAINTS: (_share(e.complaints, e.visits), e.complaints, e.visits),
    }
    found = []
    for code, (value, numerator, denominator) in raw.items():
        weight, full = WEIGHTS[code]
        points = Decimal(str(weight * min(1.0, value / full))).quantize(
            Decimal("0.1"), ROUND_HALF_UP
        )
        found.append(
            {
                "code": str(code),
                "value": round(value, 4),
                "numerator": numerator,
                "denominator": denominator,
                "weight": weight,
                "points": str(points),
            }
        )
    return found


def score(found: list[dict[str, Any]]) -> Decimal:
    return sum((Decimal(f["points"]) for f in found), Decimal("0.0"))
