"""The exception rules of visit verification, as pure functions over plain facts.

The check-in/check-out services and the monthly scan both call these, so a visit is flagged
the same way whichever path sees it first. Each rule returns ``(code, detail)`` pairs; a
flag is never a block: the visit goes on and a person reviews it.
"""

from __future__ import annotations

import datetime
import itertools
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _

EARTH_RADIUS_M = 6_371_008.8
UNAVAILABLE = ("in_hospital", "in_institution", "deceased")


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres (haversine), to the decimetre: a phone's fix is good
    to metres, and more digits would only be noise in the stored record."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return round(2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a))), 1)


def location_errors(
    latitude: float | None, longitude: float | None, accuracy: float | None, *, max_accuracy: float
) -> dict[str, str]:
    """Field errors for a phone's reported position; an unusable one is refused outright
    (asking for a fresh fix), an imprecise but usable one is taken with its accuracy."""
    errors: dict[str, str] = {}
    if latitude is None or longitude is None:
        errors["latitude"] = _(
            "The phone sent no location. Allow location for this site and try again."
        )
        return errors
    if not (math.isfinite(latitude) and -90 <= latitude <= 90):
        errors["latitude"] = _("Latitude must be between -90 and 90.")
    if not (math.isfinite(longitude) and -180 <= longitude <= 180):
        errors["longitude"] = _("Longitude must be between -180 and 180.")
    if not errors and abs(latitude) < 1e-6 and abs(longitude) < 1e-6:
        errors["latitude"] = _("The location 0, 0 is not a real position (no GPS fix yet).")
    if accuracy is None or not math.isfinite(accuracy) or accuracy <= 0:
        errors["accuracy"] = _("The location's accuracy in metres is missing.")
    elif accuracy > max_accuracy:
        errors["accuracy"] = _(
            "The location is only accurate to %(accuracy)d m (at most %(limit)d m is usable): "
            "wait for a better fix, outdoors or by a window."
        ) % {"accuracy": accuracy, "limit": max_accuracy}
    return errors


@dataclass(frozen=True)
class Facts:
    """What the rules need of one visit."""

    visit_id: int
    caregiver_ids: tuple[int, ...]
    standard_minutes: int
    check_in_at: datetime.datetime | None
    check_out_at: datetime.datetime | None
    in_lat: float | None = None
    in_lng: float | None = None
    out_lat: float | None = None
    out_lng: float | None = None
    in_distance: float | None = None
    out_distance: float | None = None
    outcome: str = ""
    elder_status: str = "active"
    elder_status_since: datetime.date | None = None
    date: datetime.date | None = None


def _minutes(delta: datetime.timedelta) -> int:
    return round(delta.total_seconds() / 60)


def single_visit_flags(
    facts: Facts, *, radius_m: float, too_short_percent: int
) -> list[tuple[str, str]]:
    """The rules that look at one visit alone."""
    flags: list[tuple[str, str]] = []
    # Texts are translated only for a flag raised: the scan runs this on every visit.
    for at_check_in, dist in ((True, facts.in_distance), (False, facts.out_distance)):
        if dist is not None and dist > radius_m:
            label = _("Check-in") if at_check_in else _("Check-out")
            flags.append(
                (
                    "out_of_range",
                    _("%(what)s %(distance)d m from the elder's address (allowed %(radius)d m).")
                    % {"what": label, "distance": dist, "radius": radius_m},
                )
            )
    if facts.check_out_at is not None and facts.check_in_at is None:
        flags.append(("no_check_in", _("Checked out without a check-in.")))
    if (
        facts.check_in_at is not None
        and facts.check_out_at is not None
        and facts.outcome in ("", "done")
    ):
        minutes = _minutes(facts.check_out_at - facts.check_in_at)
        if minutes * 100 < facts.standard_minutes * too_short_percent:
            flags.append(
                (
                    "too_short",
                    _("Lasted %(minutes)d min; the standard is %(standard)d min.")
                    % {"minutes": minutes, "standard": facts.standard_minutes},
                )
            )
    day = facts.date
    if (
        day is not None
        and facts.elder_status in UNAVAILABLE
        and (facts.elder_status_since is None or facts.elder_status_since <= day)
        and (facts.check_in_at is not None or facts.check_out_at is not None)
    ):
        flags.append(
            (
                "elder_unavailable",
                _("The registry records the elder as %(status)s since %(since)s.")
                % {"status": facts.elder_status, "since": facts.elder_status_since or "-"},
            )
        )
    return flags


def _interval(f: Facts) -> tuple[datetime.datetime, datetime.datetime] | None:
    """When the caregiver was at the visit; one still checked in counts as lasting its
    standard duration (so checking in elsewhere meanwhile is an overlap)."""
    start = f.check_in_at or f.check_out_at
    if start is None:
        return None
    end = f.check_out_at or start + datetime.timedelta(minutes=f.standard_minutes)
    return start, max(start, end)


def cross_visit_flags(
    visits: Iterable[Facts], *, max_speed_kmh: float
) -> dict[int, list[tuple[str, str]]]:
    """Rules across one caregiver's visits: two visits at once, and travel between
    consecutive visits faster than plausible. Returns flags by visit id."""
    by_caregiver: dict[int, list[Facts]] = defaultdict(list)
    for facts in visits:
        if _interval(facts) is None:
            continue
        for cid in facts.caregiver_ids:
            by_caregiver[cid].append(facts)
    found: dict[int, list[tuple[str, str]]] = defaultdict(list)
    seen: set[tuple[int, str]] = set()

    def add(visit_id: int, code: str, detail: str) -> None:
        if (visit_id, code) not in seen:
            seen.add((visit_id, code))
            found[visit_id].append((code, detail))

    for day_visits in by_caregiver.values():
        spans = {f.visit_id: _interval(f) for f in day_visits}
        ordered: Sequence[Facts] = sorted(day_visits, key=lambda f: spans[f.visit_id])  # type: ignore[arg-type, return-value]
        latest_end: tuple[datetime.datetime, Facts] | None = None
        for prev, cur in itertools.pairwise(ordered):
            p_end = spans[prev.visit_id][1]  # type: ignore[index]
            c_start = spans[cur.visit_id][0]  # type: ignore[index]
            if latest_end is None or p_end > latest_end[0]:
                latest_end = (p_end, prev)
            if c_start < latest_end[0]:
                other = latest_end[1]
                add(cur.visit_id, "overlap", _("Overlaps another visit of the same caregiver."))
                add(other.visit_id, "overlap", _("Overlaps another visit of the same caregiver."))
                continue
            here = (
                (cur.in_lat, cur.in_lng) if cur.in_lat is not None else (cur.out_lat, cur.out_lng)
            )
            there = (
                (prev.out_lat, prev.out_lng)
                if prev.out_lat is not None
                else (prev.in_lat, prev.in_lng)
            )
            if None in here or None in there:
                continue
            metres = distance_m(there[0], there[1], here[0], here[1])  # type: ignore[arg-type]
            seconds = (c_start - p_end).total_seconds()
            if metres < 1000:
                continue
            speed = metres / 1000 / max(seconds / 3600, 1 / 3600)
            if speed > max_speed_kmh:
                add(
                    cur.visit_id,
                    "impossible_travel",
                    _("%(km).1f km from the previous visit in %(minutes)d min (%(speed)d km/h).")
                    % {"km": metres / 1000, "minutes": seconds // 60, "speed": speed},
                )
    return found
