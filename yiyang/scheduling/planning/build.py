"""Building a provider's day as a solver problem from the database (see the package)."""

from __future__ import annotations

import dataclasses
import datetime
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from yiyang.organisations.models import Organisation
from yiyang.scheduling import wording
from yiyang.scheduling.planning.day import (
    CONTINUITY_WEIGHT,
    KEEP_WEIGHT,
    MAX_OVERTIME,
    PLANNED_STATUSES,
    TRAVEL,
    UNDER_WAY_STATUSES,
    DayProblem,
    _minute,
    _occupancy,
    _q,
    _time_minutes,
)
from yiyang.scheduling.solver.model import Caregiver as SolverCaregiver
from yiyang.scheduling.solver.model import (
    Location,
    Problem,
    Requirement,
    Synchronisation,
    SyncKind,
    TimeWindow,
    TravelMode,
    Weights,
)
from yiyang.scheduling.solver.model import Visit as SolverVisit
from yiyang.services.choices import CaregiverStatus
from yiyang.services.models import Caregiver
from yiyang.services.selectors import active_caregivers, certificates_valid_on
from yiyang.visits.choices import DONE_STATUSES, VisitStatus
from yiyang.visits.models import Visit


@dataclass
class _Facts:
    """What the visits of the day are checked against, gathered from the caregivers."""

    key_of: dict[int, str]  # caregiver pk -> key
    served: dict[int, set[int]]  # elder pk -> caregiver pks who served them before
    abilities: dict[str, frozenset[str]]
    hours: dict[str, tuple[float, float] | None]


def build_day(
    *,
    provider: Organisation,
    day: datetime.date,
    now: datetime.datetime | None = None,
    dropped: Caregiver | None = None,
) -> DayProblem:
    """The problem of ``provider``'s ``day``. With ``dropped``, the re-planning problem: the
    dropped caregiver does nothing, every other caregiver keeps their visits, and only the
    dropped caregiver's and the unassigned visits are placed."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    now_minute = _minute(now, day) if day == today else None
    all_visits = list(
        Visit.objects.filter(provider=provider, date=day)
        .exclude(status__in=(VisitStatus.CANCELLED, VisitStatus.MISSED))
        .select_related("elder", "item")
        .order_by("window_start", "id")
    )
    planned = [v for v in all_visits if v.status in PLANNED_STATUSES + UNDER_WAY_STATUSES]
    done = [v for v in all_visits if v.status in DONE_STATUSES]
    in_use = {pk for v in planned for pk in (v.caregiver_id, v.second_caregiver_id) if pk}
    caregivers = list(
        Caregiver.objects.filter(
            Q(pk__in=active_caregivers(provider_id=provider.pk).values("pk")) | Q(pk__in=in_use)
        ).order_by("name", "id")
    )
    certificates = certificates_valid_on(caregiver_ids=[c.pk for c in caregivers], day=day)
    dp = DayProblem(
        provider=provider,
        day=day,
        problem=None,  # type: ignore[arg-type]
        visits={str(v.external_id): v for v in planned},
        caregivers={str(c.external_id): c for c in caregivers},
        now_minute=now_minute,
    )
    key_of = {c.pk: key for key, c in dp.caregivers.items()}
    done_minutes = _book_done(dp, done, key_of)
    served = _served_before(dp, planned)
    solver_caregivers, abilities, hours = _caregivers(
        dp, planned, certificates, done_minutes, dropped
    )
    dp.dropped_key = str(dropped.external_id) if dropped is not None else None
    dp.done_visits = done
    facts = _Facts(key_of=key_of, served=served, abilities=abilities, hours=hours)
    solver_visits = [
        v
        for vid, visit in dp.visits.items()
        if (v := _solver_visit(dp, facts, vid, visit)) is not None
    ]
    weights = Weights(
        travel=1.0,
        lateness=1.0,
        max_lateness=1.0,
        unassigned=100_000.0,
        continuity=KEEP_WEIGHT if dropped is not None else CONTINUITY_WEIGHT,
        overtime=10.0,
    )
    dp.problem = Problem(
        visits=tuple(solver_visits),
        caregivers=tuple(solver_caregivers),
        travel=TRAVEL,
        weights=weights,
        name=f"{provider.pk}:{day.isoformat()}",
    )
    dp.occupancy = _occupancy(dp)
    dp.as_planned = _as_planned(dp, {key_of[pk] for pk in in_use if pk in key_of})
    return dp


def _book_done(dp: DayProblem, done: list[Visit], key_of: dict[int, str]) -> dict[str, float]:
    """What each caregiver has already done that day (it still counts for the dispatch
    rules): their windows into ``dp.booked``; returns their service minutes."""
    done_minutes: dict[str, float] = {}
    for visit in done:
        for pk in (visit.caregiver_id, visit.second_caregiver_id):
            if pk in key_of:
                window = (_minute(visit.window_start, dp.day), _minute(visit.window_end, dp.day))
                dp.booked.setdefault(key_of[pk], []).append(window)
                done_minutes[key_of[pk]] = done_minutes.get(key_of[pk], 0) + visit.standard_minutes
    return done_minutes


def _served_before(dp: DayProblem, planned: list[Visit]) -> dict[int, set[int]]:
    """Continuity: who served each elder before (the last one into ``dp.previous``)."""
    elder_ids = {v.elder_id for v in planned}
    served: dict[int, set[int]] = {}
    for elder_id, main_pk, second_pk in (
        Visit.objects.filter(elder_id__in=elder_ids, status__in=DONE_STATUSES, date__lt=dp.day)
        .order_by("elder_id", "-date", "-window_start")
        .values_list("elder_id", "caregiver_id", "second_caregiver_id")
    ):
        if elder_id not in dp.previous and main_pk:
            dp.previous[elder_id] = main_pk
        served.setdefault(elder_id, set()).update(pk for pk in (main_pk, second_pk) if pk)
    return served


def _caregivers(
    dp: DayProblem,
    planned: list[Visit],
    certificates: dict[int, dict[str, datetime.date | None]],
    done_minutes: dict[str, float],
    dropped: Caregiver | None,
) -> tuple[list[SolverCaregiver], dict[str, frozenset[str]], dict[str, tuple[float, float] | None]]:
    """The caregivers of the day: abilities, shifts, home bases."""
    day, now_minute = dp.day, dp.now_minute
    busy_now = {
        pk
        for v in planned
        if v.status in UNDER_WAY_STATUSES
        for pk in (v.caregiver_id, v.second_caregiver_id)
        if pk
    }
    centre = _centre(planned)
    solver_caregivers = []
    abilities: dict[str, frozenset[str]] = {}
    hours: dict[str, tuple[float, float] | None] = {}
    for key, c in dp.caregivers.items():
        held = certificates.get(c.pk, {})
        skills = frozenset(c.skills or ()) | frozenset(
            _q(q) for q, expiry in held.items() if expiry is None or expiry >= day
        )
        abilities[key] = skills
        working = (
            day.weekday() in (c.work_days or [])
            and c.status == CaregiverStatus.ACTIVE
            and c != dropped
            and c.work_end > c.work_start
        )
        shift = (_time_minutes(c.work_start), _time_minutes(c.work_end)) if working else None
        hours[key] = shift
        dp.minutes_left[key] = max(0.0, c.max_minutes_per_day - done_minutes.get(key, 0))
        start, end = shift if shift else (0.0, 0.0)
        if shift and now_minute is not None and c.pk not in busy_now:
            start = max(start, min(now_minute, end))
        if c.home_lat is not None and c.home_lng is not None:
            home = Location(f"home:{key}", float(c.home_lat), float(c.home_lng))
        else:
            home = Location(f"home:{key}", *centre)
            dp.notes.append(wording.note(wording.NOTE_NO_HOME, caregiver=key))
        if not shift:
            dp.notes.append(wording.note(wording.NOTE_NOT_WORKING, caregiver=key))
        mode = c.travel_mode if c.travel_mode in TravelMode.__members__.values() else "car"
        solver_caregivers.append(
            SolverCaregiver(
                id=key,
                skills=skills,
                start_location=home,
                end_location=home,
                shift_start=start,
                shift_end=end,
                max_overtime=MAX_OVERTIME if shift else 0.0,
                travel_mode=TravelMode(mode),
            )
        )
    return solver_caregivers, abilities, hours


def _centre(planned: list[Visit]) -> tuple[float, float]:
    """The middle of the day's elders' homes (the home base of a caregiver without one)."""
    coords = [
        (float(v.elder.lat), float(v.elder.lng))
        for v in planned
        if v.elder.lat is not None and v.elder.lng is not None
    ]
    if not coords:
        return (0.0, 0.0)
    return (sum(a for a, _b in coords) / len(coords), sum(b for _a, b in coords) / len(coords))


def _elder_location(visit: Visit) -> Location:
    lat, lng = visit.elder.lat, visit.elder.lng
    assert lat is not None  # a visit without them is left out
    assert lng is not None
    return Location(f"elder:{visit.elder_id}", float(lat), float(lng))


def _solver_visit(dp: DayProblem, facts: _Facts, vid: str, visit: Visit) -> SolverVisit | None:
    """The solver's visit of ``visit`` (None when it is left out: why in ``dp.skipped``);
    records its window, and whether it is under way (fixed) or kept when re-planning."""
    first, last = _minute(visit.window_start, dp.day), _minute(visit.window_end, dp.day)
    dp.windows[vid] = (first, last)
    current = dp.current(vid)
    under_way = visit.status in UNDER_WAY_STATUSES
    if under_way:
        dp.fixed.add(vid)
    elif dp.dropped_key is not None and current and dp.dropped_key not in current:
        dp.kept.add(vid)
    if visit.elder.lat is None or visit.elder.lng is None:
        dp.skipped[vid] = (wording.NO_LOCATION, {})
        return None
    if under_way:
        return _under_way_visit(dp, vid, visit, current, first)
    return _planned_visit(dp, facts, vid, visit, current)


def _under_way_visit(
    dp: DayProblem, vid: str, visit: Visit, current: list[str], first: float
) -> SolverVisit:
    """A visit under way: it stays with its caregivers, at the time it began."""
    duration = float(visit.standard_minutes)
    start_at = visit.check_in_at or visit.on_the_way_at or visit.window_start
    begin = max(first, _minute(start_at, dp.day))
    remaining: float = duration
    if visit.check_in_at is not None and dp.now_minute is not None:
        remaining = max(1.0, duration - max(0.0, dp.now_minute - begin))
    excluded = frozenset(k for k in dp.caregivers if k not in current)
    requirements = tuple(Requirement(frozenset(), remaining) for _k in current) or (
        Requirement(frozenset(), remaining),
    )
    return SolverVisit(
        id=vid,
        location=_elder_location(visit),
        window=TimeWindow(begin, begin),
        requirements=requirements,
        sync=Synchronisation(SyncKind.SIMULTANEOUS) if len(requirements) == 2 else None,
        excluded_caregivers=excluded,
    )


def _planned_visit(
    dp: DayProblem, facts: _Facts, vid: str, visit: Visit, current: list[str]
) -> SolverVisit | None:
    """A visit to plan, or None when its window, skills or the caregivers' hours leave it
    out (why in ``dp.skipped``)."""
    item = visit.item
    first, last = dp.windows[vid]
    duration = float(visit.standard_minutes)
    needs = frozenset(
        ([item.required_skill] if item.required_skill else [])
        + ([_q(item.required_qualification)] if item.required_qualification else [])
    )
    allowed = _allowed(dp, facts, vid, visit, needs)
    if allowed is None:
        return None
    earliest = first if dp.now_minute is None else max(first, dp.now_minute)
    latest = last - duration
    if vid in dp.kept:
        allowed = [k for k in allowed if k in current] or allowed
    preferred: set[str] = set()
    if dp.dropped_key is not None:
        preferred = {k for k in current if k != dp.dropped_key}
    if not preferred:
        preferred = {
            facts.key_of[pk] for pk in facts.served.get(visit.elder_id, ()) if pk in facts.key_of
        }
    requirement = Requirement(needs, duration)
    return SolverVisit(
        id=vid,
        location=_elder_location(visit),
        window=TimeWindow(earliest, max(earliest, latest)),
        requirements=(requirement, requirement) if visit.needs_two else (requirement,),
        sync=Synchronisation(SyncKind.SIMULTANEOUS) if visit.needs_two else None,
        preferred_caregivers=frozenset(preferred),
        excluded_caregivers=frozenset(k for k in dp.caregivers if k not in allowed),
    )


def _allowed(
    dp: DayProblem, facts: _Facts, vid: str, visit: Visit, needs: frozenset[str]
) -> list[str] | None:
    """The caregivers the rules that hold whatever else is planned allow (the service fits
    in their hours and the window, no visit done at an overlapping time); None, with the
    reason in ``dp.skipped``, when the visit cannot be planned at all."""
    first, last = dp.windows[vid]
    duration = float(visit.standard_minutes)
    if last - first < duration:
        dp.skipped[vid] = (
            wording.WINDOW_TOO_SHORT,
            {"start": first, "end": last, "window": last - first, "duration": duration},
        )
        return None
    capable = [k for k in dp.caregivers if needs <= facts.abilities[k]]
    if not capable:
        dp.skipped[vid] = (
            wording.NO_SKILL,
            {"needs": sorted(n.removeprefix("q:") for n in needs)},
        )
        return None
    hours = facts.hours
    allowed = [
        k
        for k in capable
        if (shift := hours[k]) is not None
        and max(first, shift[0]) + duration <= min(last, shift[1])
        and not any(a < last and first < b for a, b in dp.booked.get(k, ()))
    ]
    if len([k for k in allowed if k != dp.dropped_key]) < (2 if visit.needs_two else 1):
        dp.skipped[vid] = (
            wording.OUTSIDE_HOURS,
            {"start": first, "end": last, "two": bool(visit.needs_two)},
        )
        return None
    return allowed


def _as_planned(dp: DayProblem, in_plan: set[str]) -> Problem:
    """Today's plan is measured with every caregiver who has visits in it at work in their
    usual hours (the dropped one included, and one no longer active or not on duty)."""
    restored = []
    for solver_cg in dp.problem.caregivers:
        c = dp.caregivers[solver_cg.id]
        off = solver_cg.shift_end <= solver_cg.shift_start
        if off and solver_cg.id in in_plan and c.work_end > c.work_start:
            solver_cg = dataclasses.replace(
                solver_cg,
                shift_start=_time_minutes(c.work_start),
                shift_end=_time_minutes(c.work_end),
                max_overtime=MAX_OVERTIME,
            )
        restored.append(solver_cg)
    return dataclasses.replace(dp.problem, caregivers=tuple(restored))
