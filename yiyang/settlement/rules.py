"""The hold rules of the monthly settlement, as pure functions over plain rows.

Each rule adds ``(reason, detail)`` holds to the rows it concerns; ``detail`` holds values
(dates, amounts, codes) from which the page writes the words. The rules look at rows of
any source (visits now, meals later) except where a rule needs a visit's times.
"""

from __future__ import annotations

import datetime
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from yiyang.settlement.choices import HoldReason

UNAVAILABLE = ("in_hospital", "in_institution", "deceased", "moved_out")
EARTH_RADIUS_M = 6_371_008.8


@dataclass
class SourceRow:
    """One billable unit from a source, before it becomes a statement line."""

    kind: str
    source_id: int
    elder_id: int
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
    holds: dict[str, dict[str, Any]] = field(default_factory=dict)

    def hold(self, reason: str, **detail: Any) -> None:
        self.holds.setdefault(reason, detail)


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def status_on(timeline: Sequence[tuple[datetime.date, str]], day: datetime.date) -> str:
    """The registry status in force on ``day`` from a timeline of (effective date, status)
    sorted by date; the first entry is the status before any recorded change."""
    current = timeline[0][1] if timeline else "active"
    for since, status in timeline:
        if since <= day:
            current = status
        else:
            break
    return current


def hold_unavailable(
    rows: Iterable[SourceRow], timelines: dict[int, list[tuple[datetime.date, str]]]
) -> None:
    for row in rows:
        status = status_on(timelines.get(row.elder_id, []), row.date)
        if status in UNAVAILABLE:
            row.hold(HoldReason.ELDER_UNAVAILABLE, status=status)


def _overlaps(a: SourceRow, b: SourceRow) -> bool:
    if a.start is None or b.start is None:
        return a.date == b.date
    a_end, b_end = a.end or a.start, b.end or b.start
    return (a.start < b_end and b.start < a_end) or a.start == b.start


def hold_duplicates(rows: Iterable[SourceRow]) -> None:
    """The same service for the same elder at an overlapping time: every copy after the
    first (by start, then id) is held, naming the first."""
    groups: dict[tuple[str, int, int | None, datetime.date], list[SourceRow]] = defaultdict(list)
    for row in rows:
        groups[(row.kind, row.elder_id, row.item_id, row.date)].append(row)
    for group in groups.values():
        if len(group) < 2:
            continue
        group.sort(
            key=lambda r: (
                r.start or datetime.datetime.min.replace(tzinfo=datetime.UTC),
                r.source_id,
            )
        )
        for i, later in enumerate(group[1:], start=1):
            for earlier in group[:i]:
                if _overlaps(earlier, later):
                    later.hold(HoldReason.DUPLICATE, of=earlier.source_id, kind=earlier.kind)
                    break


def hold_allowance(rows: Iterable[SourceRow], entitlement: Callable[[int], Decimal | None]) -> None:
    """Lines whose allowance takes the elder's month past the entitlement are held (in
    date order; the lines within the entitlement stay payable)."""
    by_elder: dict[int, list[SourceRow]] = defaultdict(list)
    for row in rows:
        if row.allowance > 0:
            by_elder[row.elder_id].append(row)
    for elder_id, elder_rows in by_elder.items():
        monthly = entitlement(elder_id)
        limit = monthly if monthly is not None else Decimal("0.00")
        used = Decimal("0.00")
        elder_rows.sort(
            key=lambda r: (
                r.date,
                r.start or datetime.datetime.min.replace(tzinfo=datetime.UTC),
                r.source_id,
            )
        )
        for row in elder_rows:
            used += row.allowance
            if used > limit:
                row.hold(HoldReason.ALLOWANCE_EXCEEDED, limit=str(limit), total=str(used))


@dataclass(frozen=True)
class Stay:
    """When a caregiver was at a visit (for the overlap rule)."""

    visit_id: int
    caregiver_id: int
    start: datetime.datetime
    end: datetime.datetime


def overlapping_visits(stays: Iterable[Stay]) -> dict[int, int]:
    """Visit id -> the id of another visit the same caregiver was checked in at meanwhile."""
    by_caregiver: dict[int, list[Stay]] = defaultdict(list)
    for stay in stays:
        by_caregiver[stay.caregiver_id].append(stay)
    found: dict[int, int] = {}
    for caregiver_stays in by_caregiver.values():
        caregiver_stays.sort(key=lambda s: (s.start, s.visit_id))
        latest: Stay | None = None
        for stay in caregiver_stays:
            if latest is not None and stay.start < latest.end and stay.visit_id != latest.visit_id:
                found.setdefault(stay.visit_id, latest.visit_id)
                found.setdefault(latest.visit_id, stay.visit_id)
            if latest is None or stay.end > latest.end:
                latest = stay
    return found


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
