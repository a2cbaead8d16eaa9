"""The facts the dispatch rules (``visits.dispatching``) judge, read from the database: a
visit as a booking of its caregivers' day, what it needs, the caregivers' days, hours and
certificates; and ``dispatch_conflicts``, the rules asked about real records."""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any

from django.db.models import Q
from django.utils import timezone

from yiyang.services.models import Caregiver
from yiyang.services.selectors import certificates_valid_on
from yiyang.visits import dispatching
from yiyang.visits.choices import OPEN_STATUSES, VisitStatus
from yiyang.visits.models import Order, Visit


def visit_minute(moment: datetime.datetime, day: datetime.date) -> float:
    """Minutes from the local midnight of ``day`` to ``moment``."""
    local = timezone.localtime(moment)
    return (local.date() - day).days * 1440 + local.hour * 60 + local.minute + local.second / 60


def minute_moment(day: datetime.date, minutes: float) -> datetime.datetime:
    """The moment ``minutes`` after the local midnight of ``day``."""
    midnight = datetime.datetime.combine(day, datetime.time(), timezone.get_current_timezone())
    return midnight + datetime.timedelta(seconds=round(minutes * 60))


def visit_booking(visit: Visit, *, start: float | None = None) -> dispatching.Booking:
    """A visit as it occupies its caregivers for the dispatch rules: under way or done at
    its real time; otherwise in its window, ordered (and started no earlier) by ``start``
    or its planned start. Needs ``elder`` and ``item``."""
    day, elder = visit.date, visit.elder
    place: dict[str, Any] = {
        "lat": float(elder.lat) if elder.lat is not None else None,
        "lng": float(elder.lng) if elder.lng is not None else None,
        "minutes": visit.standard_minutes,
        "service": visit.item.name,
        "elder": elder.name,
    }
    if visit.check_in_at is not None and visit.status not in OPEN_STATUSES:
        begin = visit_minute(visit.check_in_at, day)
        length = float(visit.standard_minutes)
        if visit.check_out_at is not None:
            length = max(1.0, (visit.check_out_at - visit.check_in_at).total_seconds() / 60)
        return dispatching.Booking(
            str(visit.external_id), begin, begin, length, begin, fixed=True, **place
        )
    first, last = visit_minute(visit.window_start, day), visit_minute(visit.window_end, day)
    duration = float(visit.standard_minutes)
    if start is None and visit.planned_start is not None:
        start = visit_minute(visit.planned_start, day)
    order = first if start is None else start
    return dispatching.Booking(
        str(visit.external_id), max(first, order), last - duration, duration, order, **place
    )


def visit_need(visit: Visit) -> dispatching.Need:
    booking = visit_booking(visit)
    first = visit_minute(visit.window_start, visit.date)
    item = visit.item
    return dispatching.Need(
        booking=dispatching.Booking(
            booking.id,
            first,
            booking.latest,
            booking.duration,
            first,
            booking.lat,
            booking.lng,
            minutes=booking.minutes,
            service=booking.service,
            elder=booking.elder,
        ),
        weekday=visit.date.weekday(),
        date=visit.date.isoformat(),
        provider_id=visit.provider_id,
        skill=item.required_skill or "",
        qualification=item.required_qualification or "",
        needs_two=visit.needs_two,
    )


def caregiver_workers(caregivers: list[Caregiver], day: datetime.date) -> list[dispatching.Worker]:
    """The caregivers' facts for the dispatch rules on ``day`` (one query: certificates)."""
    certificates = certificates_valid_on(caregiver_ids=[c.pk for c in caregivers], day=day)
    return [
        dispatching.Worker(
            pk=c.pk,
            id=str(c.external_id),
            name=c.name,
            status=c.status,
            provider_id=c.provider_id,
            skills=frozenset(c.skills or ()),
            certificates={
                q: (e.isoformat() if e else None) for q, e in certificates.get(c.pk, {}).items()
            },
            work_days=frozenset(c.work_days or ()),
            work_start=c.work_start.hour * 60 + c.work_start.minute,
            work_end=c.work_end.hour * 60 + c.work_end.minute,
            max_minutes=c.max_minutes_per_day,
            travel_mode=c.travel_mode or "car",
        )
        for c in caregivers
    ]


def caregiver_bookings(
    caregiver_ids: list[int], day: datetime.date, *, exclude: int | None = None
) -> dict[int, list[dispatching.Booking]]:
    """Each caregiver's visits of ``day`` (not cancelled or missed) as bookings."""
    found: dict[int, list[dispatching.Booking]] = {cid: [] for cid in caregiver_ids}
    others = (
        Visit.objects.filter(
            Q(caregiver_id__in=caregiver_ids) | Q(second_caregiver_id__in=caregiver_ids),
            date=day,
        )
        .exclude(status__in=(VisitStatus.CANCELLED, VisitStatus.MISSED))
        .select_related("item", "elder")
    )
    if exclude is not None:
        others = others.exclude(pk=exclude)
    for other in others:
        booking = visit_booking(other)
        for cid in (other.caregiver_id, other.second_caregiver_id):
            if cid in found:
                found[cid].append(booking)
    return found


def dispatch_conflicts(
    visit: Visit,
    caregivers: list[Caregiver],
    *,
    at: datetime.datetime | float | None = None,
    days: dict[int, list[dispatching.Booking]] | None = None,
) -> dispatching.Verdict:
    """The dispatch rules (``visits.dispatching.judge``) for giving ``visit`` to these
    caregivers together: the refusals, or the planned start. ``at``: the start asked for (a
    proposal's); ``days``: each caregiver's other visits (default: as they are now)."""
    if isinstance(at, datetime.datetime):
        at = visit_minute(at, visit.date)
    if days is None:
        days = caregiver_bookings([c.pk for c in caregivers], visit.date, exclude=visit.pk)
    workers = caregiver_workers(caregivers, visit.date)
    return dispatching.judge(visit_need(visit), workers, days, at=at)


def assignment_problems(
    visit: Visit, caregivers: list[Caregiver]
) -> dict[int, list[tuple[str, str]]]:
    """Each caregiver alone against the rules: ``(code, words)`` pairs, empty when they may
    take the visit (the assign page's and the API's list of candidates)."""
    days = caregiver_bookings([c.pk for c in caregivers], visit.date, exclude=visit.pk)
    need = visit_need(visit)
    need = dataclasses.replace(need, needs_two=False)
    result = {}
    for worker in caregiver_workers(caregivers, visit.date):
        verdict = dispatching.judge(need, [worker], days)
        result[worker.pk] = [(r.code, dispatching.refusal_text(r)) for r in verdict.refusals]
    return result


def order_unstaffed_days(order: Order) -> list[int]:
    """The weekdays of an order's visits on which no caregiver of its provider in service
    works long enough inside its window (the order is taken; the dispatcher is warned)."""
    duration = float(order.item.standard_minutes)
    first = order.window_start.hour * 60 + order.window_start.minute
    last = order.window_end.hour * 60 + order.window_end.minute
    days = sorted({d.weekday() for d in order.visits.values_list("date", flat=True)})
    caregivers = list(Caregiver.objects.filter(provider_id=order.provider_id, status="active"))
    workers = caregiver_workers(caregivers, timezone.localdate())
    booking = dispatching.Booking("", first, last - duration, duration, first)
    missing = []
    for day in days:
        need = dispatching.Need(booking, day, "", order.provider_id)
        hours = (dispatching.DAY_OFF, dispatching.OUTSIDE_HOURS)
        if not any(
            not [r for r in dispatching.standing_refusals(need, w) if r.code in hours]
            for w in workers
        ):
            missing.append(day)
    return missing
