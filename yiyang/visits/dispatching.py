"""The dispatch rules: may these caregivers take this visit, and if not, why.

One function, :func:`judge`, answers for the manual assignment (``visit_assign``, the assign
page, the API), for the optimiser's proposals (``scheduling.planning``) and for accepting a
proposal. It works on plain facts (no queries; ``selectors.dispatch_conflicts`` loads them),
so the optimiser can ask it about a whole hypothetical day.

A caregiver's day is a sequence of bookings in the order of their planned starts (the
visits under way or done sit at their real times). A visit fits a caregiver when it can be
inserted into that sequence so that it starts inside its booking window and their working
hours, after the previous booking plus the travel from it, and early enough that every later
booking still starts in time (a booking already late without the new visit is not its
fault). Travel is the great-circle distance times ``CIRCUITY`` at the caregiver's speed, the
same figures the optimiser plans with (``TRAVEL_SPEEDS_KMH``).

A refusal is a :class:`Refusal`: a code, the caregiver, parameters and the conflicting visit;
its words are made at display time (:func:`refusal_text`) in the reader's language.
Minutes are minutes from the visit's local midnight.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

CIRCUITY = 1.3
TRAVEL_SPEEDS_KMH = {"walk": 4.5, "bicycle": 12.0, "scooter": 20.0, "car": 25.0, "transit": 15.0}
TOLERANCE = 1.0  # minutes: a proposal's start is rounded; a minute either way is the same
EARTH_RADIUS_KM = 6371.0088

# refusal codes (stored in accept results and answered by the API)
INACTIVE = "inactive"
OTHER_PROVIDER = "other_provider"
MISSING_SKILL = "missing_skill"
MISSING_QUALIFICATION = "missing_qualification"
EXPIRED_CERTIFICATE = "expired_certificate"
DAY_OFF = "day_off"
OUTSIDE_HOURS = "outside_hours"
DOUBLE_BOOKING = "double_booking"
HOURS_EXCEEDED = "hours_exceeded"
CAREGIVER_COUNT = "caregiver_count"
NOT_TOGETHER = "not_together"
CODES = (
    INACTIVE,
    OTHER_PROVIDER,
    MISSING_SKILL,
    MISSING_QUALIFICATION,
    EXPIRED_CERTIFICATE,
    DAY_OFF,
    OUTSIDE_HOURS,
    DOUBLE_BOOKING,
    HOURS_EXCEEDED,
    CAREGIVER_COUNT,
    NOT_TOGETHER,
)


@dataclass(frozen=True)
class Refusal:
    """One reason a caregiver may not take a visit. ``params`` hold codes, numbers and
    names (never sentences); ``conflict`` is the external id of the visit in the way."""

    code: str
    caregiver: str  # the caregiver's name, as the refusal names them
    params: dict[str, Any] = field(default_factory=dict)
    conflict: str | None = None
    caregiver_id: str = ""  # external id

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "caregiver": self.caregiver,
            "caregiver_id": self.caregiver_id,
            "params": dict(self.params),
            "conflict": self.conflict,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Refusal:
        return cls(
            code=data["code"],
            caregiver=data.get("caregiver", ""),
            params=dict(data.get("params") or {}),
            conflict=data.get("conflict"),
            caregiver_id=data.get("caregiver_id", ""),
        )


@dataclass(frozen=True)
class Booking:
    """A visit as it occupies a caregiver: where, when it may start (``earliest`` to
    ``latest``, minutes), how long, and the key that orders it in the day."""

    id: str
    earliest: float
    latest: float
    duration: float
    order: float
    lat: float | None = None
    lng: float | None = None
    fixed: bool = False  # under way or done: it happened (or happens) at its real time
    minutes: int = 0  # counted towards the caregiver's minutes a day
    service: str = ""
    elder: str = ""


@dataclass(frozen=True)
class Need:
    """The visit asked about, with what it needs."""

    booking: Booking
    weekday: int
    date: str  # ISO date
    provider_id: int
    skill: str = ""
    qualification: str = ""
    needs_two: bool = False


@dataclass(frozen=True)
class Worker:
    """A caregiver's facts for the rules."""

    pk: int
    id: str
    name: str
    status: str
    provider_id: int
    skills: frozenset[str]
    certificates: dict[str, str | None]  # qualification -> ISO expiry (None: none)
    work_days: frozenset[int]
    work_start: float
    work_end: float
    max_minutes: int
    travel_mode: str = "car"


@dataclass
class Verdict:
    """What the rules say about some caregivers for one visit."""

    refusals: list[Refusal] = field(default_factory=list)
    start: float | None = None  # the planned start when they may take it

    @property
    def ok(self) -> bool:
        return not self.refusals

    def for_caregiver(self, caregiver_id: str) -> list[Refusal]:
        return [r for r in self.refusals if r.caregiver_id in (caregiver_id, "")]


def travel_minutes(a: Booking, b: Booking, mode: str) -> float:
    """Minutes from one booking's place to another's (0 when either has no map position)."""
    if None in (a.lat, a.lng, b.lat, b.lng):
        return 0.0
    lat1, lon1, lat2, lon2 = map(math.radians, (a.lat, a.lng, b.lat, b.lng))  # type: ignore[arg-type]
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    km = 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))
    return km * CIRCUITY / TRAVEL_SPEEDS_KMH.get(mode, TRAVEL_SPEEDS_KMH["car"]) * 60.0


def clock(minutes: float | None) -> str:
    if minutes is None:
        return ""
    whole = round(minutes)
    return f"{whole // 60:02d}:{whole % 60:02d}"


# --- a caregiver's day ----------------------------------------------------------------------


@dataclass
class Timing:
    """A day timed as early as possible: each booking's start, and its latest start that
    keeps every later booking in time."""

    bookings: list[Booking]
    starts: list[float]
    latest: list[float]
    travel: list[float]  # travel before each booking (0 for the first)

    def late(self, i: int, worker: Worker) -> bool:
        return self.starts[i] > _upper(self.bookings[i], worker) + 1e-6


def _lower(b: Booking, w: Worker) -> float:
    return b.earliest if b.fixed else max(b.earliest, w.work_start)


def _upper(b: Booking, w: Worker) -> float:
    return b.earliest if b.fixed else min(b.latest, w.work_end - b.duration)


def time_day(bookings: Sequence[Booking], worker: Worker) -> Timing:
    """The day in its order, each booking started as early as its window, the working hours
    and the previous booking (with travel) allow; booking already late stay late."""
    ordered = sorted(bookings, key=lambda b: (b.order, b.earliest, b.id))
    starts: list[float] = []
    travel: list[float] = []
    for i, b in enumerate(ordered):
        gap = travel_minutes(ordered[i - 1], b, worker.travel_mode) if i else 0.0
        ready = starts[i - 1] + ordered[i - 1].duration + gap if i else -math.inf
        travel.append(gap)
        starts.append(b.earliest if b.fixed else max(_lower(b, worker), ready))
    latest = [0.0] * len(ordered)
    for i in range(len(ordered) - 1, -1, -1):
        b = ordered[i]
        bound = _upper(b, worker)
        if i + 1 < len(ordered):
            bound = min(bound, latest[i + 1] - travel[i + 1] - b.duration)
        latest[i] = max(starts[i], bound)  # never blame a later visit already late
    return Timing(ordered, starts, latest, travel)


@dataclass
class Fit:
    position: int
    start: float  # earliest start there
    latest: float
    before: Booking | None
    after: Booking | None
    travel_before: float
    travel_after: float


def _fit(timing: Timing, b: Booking, worker: Worker, position: int) -> Fit:
    mode = worker.travel_mode
    before = timing.bookings[position - 1] if position else None
    after = timing.bookings[position] if position < len(timing.bookings) else None
    gap_in = travel_minutes(before, b, mode) if before else 0.0
    gap_out = travel_minutes(b, after, mode) if after else 0.0
    ready = timing.starts[position - 1] + before.duration + gap_in if before else -math.inf
    start = max(_lower(b, worker), ready)
    latest = _upper(b, worker)
    if after is not None:
        latest = min(latest, timing.latest[position] - gap_out - b.duration)
    return Fit(position, start, latest, before, after, gap_in, gap_out)


def _position(timing: Timing, key: float) -> int:
    return sum(1 for b in timing.bookings if (b.order, b.earliest) <= (key, key))


def fits(timing: Timing, b: Booking, worker: Worker, at: float | None) -> list[Fit]:
    """Where the visit may go in the day: the places that work (with ``at``: the one place
    that start time puts it, when it works), best first; empty when none does."""
    if at is not None:
        fit = _fit(timing, b, worker, _position(timing, at))
        ok = fit.start <= at + TOLERANCE and at <= fit.latest + TOLERANCE
        return [dataclasses_replace(fit, start=max(fit.start, at))] if ok else []
    found = [_fit(timing, b, worker, p) for p in range(len(timing.bookings) + 1)]
    return sorted((f for f in found if f.start <= f.latest + 1e-6), key=lambda f: f.start)


def dataclasses_replace(fit: Fit, **changes: Any) -> Fit:
    return Fit(**{**fit.__dict__, **changes})


def _booking_params(other: Booking, start: float, travel: float) -> dict[str, Any]:
    return {
        "service": other.service,
        "elder": other.elder,
        "start": clock(start),
        "end": clock(start + other.duration),
        "travel": round(travel),
    }


def _clash(timing: Timing, b: Booking, worker: Worker, at: float | None) -> Refusal:
    """Why the visit fits nowhere: named by the booking it runs into where it would go by
    its start (``at``) or its window."""
    fit = _fit(timing, b, worker, _position(timing, b.earliest if at is None else at))
    start = fit.start if at is None else max(fit.start, at)
    pushed = at is not None and fit.start > at + TOLERANCE
    if fit.before is not None and (start > _upper(b, worker) + 1e-6 or pushed):
        other = fit.before
        params = _booking_params(other, timing.starts[fit.position - 1], fit.travel_before)
        return Refusal(DOUBLE_BOOKING, worker.name, params, other.id, worker.id)
    # it would make a later booking late: the first one that would be
    ready = start + b.duration
    prev = b
    for i in range(fit.position, len(timing.bookings)):
        other = timing.bookings[i]
        gap = travel_minutes(prev, other, worker.travel_mode)
        begin = other.earliest if other.fixed else max(_lower(other, worker), ready + gap)
        if begin > max(_upper(other, worker), timing.starts[i]) + 1e-6 or (
            other.fixed and (ready + gap > other.earliest + 1e-6)
        ):
            params = _booking_params(other, timing.starts[i], gap if prev is b else 0.0)
            return Refusal(DOUBLE_BOOKING, worker.name, params, other.id, worker.id)
        ready, prev = begin + other.duration, other
    other = fit.after or fit.before or b
    return Refusal(
        DOUBLE_BOOKING, worker.name, _booking_params(other, start, 0.0), other.id, worker.id
    )


# --- the rules -------------------------------------------------------------------------------


def _standing(need: Need, w: Worker) -> list[Refusal]:
    """The rules that do not depend on the rest of the day."""
    found = []
    if w.status != "active":
        found.append(Refusal(INACTIVE, w.name, {"status": w.status}, None, w.id))
    if w.provider_id != need.provider_id:
        found.append(Refusal(OTHER_PROVIDER, w.name, {}, None, w.id))
    if need.skill and need.skill not in w.skills:
        found.append(Refusal(MISSING_SKILL, w.name, {"skill": need.skill}, None, w.id))
    if need.qualification:
        if need.qualification not in w.certificates:
            found.append(
                Refusal(
                    MISSING_QUALIFICATION, w.name, {"qualification": need.qualification}, None, w.id
                )
            )
        else:
            expiry = w.certificates[need.qualification]
            if expiry is not None and expiry < need.date:
                found.append(
                    Refusal(
                        EXPIRED_CERTIFICATE,
                        w.name,
                        {"qualification": need.qualification, "date": expiry},
                        None,
                        w.id,
                    )
                )
    b = need.booking
    hours = {
        "work_start": clock(w.work_start),
        "work_end": clock(w.work_end),
        "window_start": clock(b.earliest),
        "window_end": clock(b.latest + b.duration),
    }
    if need.weekday not in w.work_days:
        found.append(Refusal(DAY_OFF, w.name, {"weekday": need.weekday, **hours}, None, w.id))
    elif max(b.earliest, w.work_start) > min(b.latest, w.work_end - b.duration) + 1e-6:
        found.append(
            Refusal(OUTSIDE_HOURS, w.name, {**hours, "duration": round(b.duration)}, None, w.id)
        )
    return found


def standing_refusals(need: Need, worker: Worker) -> list[Refusal]:
    """The rules that hold whatever else the caregiver does that day (the optimiser leaves
    out the caregivers these refuse before it plans)."""
    return _standing(need, worker)


def judge(
    need: Need,
    workers: Sequence[Worker],
    days: dict[int, list[Booking]],
    *,
    at: float | None = None,
) -> Verdict:
    """The dispatch rules for ``need`` and these caregivers, each with their day
    (``days``: caregiver pk -> the other visits they have that day). With ``at`` the visit
    is to start then (a proposal's start); without, as early as their days allow."""
    verdict = Verdict()
    wanted = 2 if need.needs_two else 1
    if len({w.pk for w in workers}) != wanted:
        verdict.refusals.append(
            Refusal(CAREGIVER_COUNT, "", {"needed": wanted, "given": len(workers)})
        )
        return verdict
    intervals: dict[int, list[Fit]] = {}
    for w in workers:
        found = _standing(need, w)
        day = [o for o in days.get(w.pk, []) if o.id != need.booking.id]
        booked = sum(o.minutes for o in day) + need.booking.minutes
        if booked > w.max_minutes:
            found.append(
                Refusal(
                    HOURS_EXCEEDED, w.name, {"total": booked, "limit": w.max_minutes}, None, w.id
                )
            )
        if not any(r.code in (DAY_OFF, OUTSIDE_HOURS) for r in found):
            timing = time_day(day, w)
            places = fits(timing, need.booking, w, at)
            if places:
                intervals[w.pk] = places
            else:
                found.append(_clash(timing, need.booking, w, at))
        verdict.refusals.extend(found)
    if verdict.refusals:
        return verdict
    verdict.start = _together(need, workers, intervals, verdict)
    return verdict


def _together(
    need: Need, workers: Sequence[Worker], intervals: dict[int, list[Fit]], verdict: Verdict
) -> float | None:
    """The common start of every caregiver (two for a double-up: both must be there at
    once), or None with a refusal."""
    if len(workers) == 1:
        return intervals[workers[0].pk][0].start
    a, b = (intervals[w.pk] for w in workers)
    best = None
    for fa in a:
        for fb in b:
            start = max(fa.start, fb.start)
            if start <= min(fa.latest, fb.latest) + 1e-6 and (best is None or start < best):
                best = start
    if best is None:
        first, second = workers
        verdict.refusals.append(
            Refusal(
                NOT_TOGETHER,
                first.name,
                {
                    "other": second.name,
                    "first": [clock(a[0].start), clock(a[0].latest)],
                    "second": [clock(b[0].start), clock(b[0].latest)],
                },
                None,
                first.id,
            )
        )
    return best


# --- words, at display time ------------------------------------------------------------------


def _weekday(day: int) -> str:
    from django.utils.dates import WEEKDAYS  # Django's own words, in every language

    return str(WEEKDAYS[day % 7])


def refusal_text(refusal: Refusal | dict[str, Any]) -> str:
    """A refusal in the reader's language."""
    from yiyang.core.display import choice_label
    from yiyang.services.choices import CaregiverStatus, Qualification, Skill

    r = Refusal.from_dict(refusal) if isinstance(refusal, dict) else refusal
    p = {**r.params, "name": r.caregiver}
    if r.code == INACTIVE:
        p["status"] = choice_label(CaregiverStatus, p.get("status"))
        return _("%(name)s is not in service (%(status)s).") % p
    if r.code == OTHER_PROVIDER:
        return _("%(name)s works for another provider.") % p
    if r.code == MISSING_SKILL:
        p["skill"] = choice_label(Skill, p.get("skill"))
        return _("%(name)s lacks the skill this service needs (%(skill)s).") % p
    if r.code in (MISSING_QUALIFICATION, EXPIRED_CERTIFICATE):
        p["qualification"] = choice_label(Qualification, p.get("qualification"))
        if r.code == MISSING_QUALIFICATION:
            return _("%(name)s holds no %(qualification)s.") % p
        return _("%(name)s's %(qualification)s expired on %(date)s.") % p
    if r.code == DAY_OFF:
        p["weekday"] = _weekday(int(p.get("weekday", 0)))
        return _("%(weekday)s is a day off for %(name)s.") % p
    if r.code == OUTSIDE_HOURS:
        return (
            _(
                "%(name)s works %(work_start)s-%(work_end)s: the %(duration)d-minute service "
                "cannot be done inside both that and the booking window %(window_start)s-"
                "%(window_end)s."
            )
            % p
        )
    if r.code == DOUBLE_BOOKING:
        return (
            _(
                "%(name)s is already booked %(start)s-%(end)s for %(service)s (%(elder)s), "
                "%(travel)d min of travel away: the two visits overlap."
            )
            % p
        )
    if r.code == HOURS_EXCEEDED:
        return _("%(name)s would work %(total)d min that day (at most %(limit)d).") % p
    if r.code == CAREGIVER_COUNT:
        return (
            _("This service needs %(needed)d caregiver(s); %(given)d different ones were given.")
            % p
        )
    if r.code == NOT_TOGETHER:
        p["first"] = "–".join(p.get("first") or [])
        p["second"] = "–".join(p.get("second") or [])
        return (
            _(
                "%(name)s (free to start %(first)s) and %(other)s (free to start %(second)s) "
                "cannot start this visit together."
            )
            % p
        )
    return r.code


def refusal_texts(refusals: Iterable[Refusal | dict[str, Any]]) -> list[str]:
    return [refusal_text(r) for r in refusals]


UNSTAFFED = "unstaffed_window"


def order_warning(order: Any, weekdays: list[int]) -> dict[str, Any]:
    """The warning an order gets when no caregiver of its provider works its window on
    ``weekdays``: code and parameters, with the words in the current language."""
    params = {
        "provider": str(order.provider.name),
        "weekdays": weekdays,
        "window_start": f"{order.window_start:%H:%M}",
        "window_end": f"{order.window_end:%H:%M}",
    }
    return {"code": UNSTAFFED, "params": params, "message": warning_text(params)}


def warning_text(params: dict[str, Any]) -> str:
    from yiyang.core.display import words

    days = words(_weekday(d) for d in params.get("weekdays", []))
    return _(
        "No caregiver of %(provider)s works %(window_start)s-%(window_end)s on %(days)s: the "
        "order is placed, but its visits cannot be dispatched until someone does (change a "
        "caregiver's working hours, or the booking window)."
    ) % {**params, "days": days}
