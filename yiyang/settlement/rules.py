"""The hold rules of the monthly settlement, as pure functions over plain rows.

Each rule adds ``(reason, detail)`` holds to the rows it concerns; ``detail`` holds values
(dates, amounts, codes) from which the page writes the words. The set-based rules
themselves are SQL in ``services.holdrules``; these are the pieces judged in Python.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

UNAVAILABLE = ("in_hospital", "in_institution", "deceased", "moved_out")
EARTH_RADIUS_M = 6_371_008.8


@dataclass
class SourceRow:
    """One billable unit from a source, before it becomes a statement line."""

    kind: str
    source_id: int
    elder_id: int | None  # None for a payee line (a caregiver's subsidy)
    division_code: str
    provider_id: int
    date: datetime.date
    description: str
    price: Decimal
    allowance: Decimal
    ltc: Decimal
    self_pay: Decimal
    item_id: int | None = None
    caregiver_id: int | None = None
    start: datetime.datetime | None = None
    end: datetime.datetime | None = None
    person_id: int | None = None  # the caregiver paid (workforce.Person) on a payee line
    holds: dict[str, dict[str, Any]] = field(default_factory=dict)

    def hold(self, reason: str, **detail: Any) -> None:
        self.holds.setdefault(reason, detail)


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def away_from_home(
    start: datetime.datetime,
    end: datetime.datetime,
    home: tuple[float, float],
    positions: Sequence[tuple[datetime.datetime, float, float]],
    *,
    radius_m: float,
) -> tuple[datetime.datetime, int] | None:
    """The first position reported between ``start`` and ``end`` farther than ``radius_m``
    from home, as (time, metres), or None."""
    for at, lat, lng in positions:
        if start <= at <= end:
            metres = distance_m(home[0], home[1], lat, lng)
            if metres > radius_m:
                return at, round(metres)
    return None


def certificate_lapsed(
    day: datetime.date,
    certificates: Sequence[tuple[str, datetime.date | None, datetime.date | None]],
    required: str,
) -> datetime.date | None:
    """The expiry date of the caregiver's lapsed certificate when none of the relevant
    kind (the item's required qualification, else any) was valid on ``day``."""
    relevant = [c for c in certificates if not required or c[0] == required]
    if not relevant:
        return None
    for _kind, issued, expires in relevant:
        if (issued is None or issued <= day) and (expires is None or expires >= day):
            return None
    lapsed = [
        expires for _kind, _issued, expires in relevant if expires is not None and expires < day
    ]
    return max(lapsed) if lapsed else None
