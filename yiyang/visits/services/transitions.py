"""What each step of a visit's lifecycle does to the visit, what it records as its event's
detail and what it writes to the audit log: decided here once, for the single-visit services
(one call per step, as the phone and the pages make them) and for the bulk history path
(:mod:`yiyang.visits.services.history`) alike, so that both leave exactly the same rows.

Each function changes the visit in memory and returns what the caller writes: the fields
to save (the ``*_FIELDS`` lists), the event's detail and the audit row's ``changes``. None
of them touches the database.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from yiyang.elders.selectors import home_unlocated_reason
from yiyang.services.models import Caregiver
from yiyang.visits.choices import (
    DONE_STATUSES,
    FlagCode,
    ReviewStatus,
    VisitOutcome,
    VisitStatus,
)
from yiyang.visits.models import Visit, VisitFlag
from yiyang.visits.rules import distance_m
from yiyang.visits.services.common import Fix

ASSIGN_FIELDS = ("caregiver", "second_caregiver", "status", "planned_start", "updated_at")
CANCEL_FIELDS = ("status", "cancelled_at", "cancel_reason", "short_notice", "updated_at")
SET_OFF_FIELDS = ("status", "on_the_way_at", "updated_at")
CHECK_IN_FIELDS = (
    "status",
    "check_in_at",
    "check_in_lat",
    "check_in_lng",
    "check_in_accuracy",
    "check_in_distance",
    "updated_at",
)
CHECK_OUT_FIELDS = (
    "status",
    "check_out_at",
    "check_out_lat",
    "check_out_lng",
    "check_out_accuracy",
    "check_out_distance",
    "tasks_done",
    "notes",
    "outcome",
    "updated_at",
)
CONFIRM_FIELDS = ("status", "confirmed_at", "updated_at")
REVIEW_FIELDS = ("review_status", "status", "confirmed_at", "updated_at")
LATE_FIELDS = ("is_late", "late_notified_at")
MISSED_FIELDS = ("status", "updated_at")
# Everything a visit's history changes, for a bulk update of many visits at once.
HISTORY_FIELDS = tuple(
    dict.fromkeys(
        ASSIGN_FIELDS
        + CANCEL_FIELDS
        + SET_OFF_FIELDS
        + CHECK_IN_FIELDS
        + CHECK_OUT_FIELDS
        + REVIEW_FIELDS
        + LATE_FIELDS
    )
)


def elder_distance(visit: Visit, lat: float, lng: float) -> float | None:
    """Metres from the elder's address, None when the address has no location."""
    elder = visit.elder
    if elder.lat is None or elder.lng is None:
        return None
    return distance_m(float(elder.lat), float(elder.lng), lat, lng)


def _offline(now: datetime.datetime, when: datetime.datetime) -> bool:
    return now - when > datetime.timedelta(minutes=2)


def assign(
    visit: Visit, caregivers: list[Caregiver], planned_start: datetime.datetime | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Assign the caregivers (the lead first): the event's detail and the audit changes."""
    before = [visit.caregiver_id, visit.second_caregiver_id]
    visit.caregiver = caregivers[0]
    visit.second_caregiver = caregivers[1] if len(caregivers) == 2 else None
    visit.status = VisitStatus.ASSIGNED
    visit.planned_start = planned_start
    return (
        {"caregivers": [c.name for c in caregivers]},
        {"caregivers": [before, [c.pk for c in caregivers]]},
    )


def cancel(
    visit: Visit, reason: str, now: datetime.datetime
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Cancel the visit ``now``; short notice inside the notice period."""
    visit.status = VisitStatus.CANCELLED
    visit.cancelled_at = now
    visit.cancel_reason = reason[:200]
    notice = datetime.timedelta(hours=settings.VISIT_CANCEL_NOTICE_HOURS)
    visit.short_notice = visit.window_start - now < notice
    changes = {"status": ["open", "cancelled"], "reason": reason}
    return {"reason": reason}, {**changes, "short_notice": visit.short_notice}


def set_off(visit: Visit, when: datetime.datetime) -> None:
    visit.status, visit.on_the_way_at = VisitStatus.ON_THE_WAY, when


def check_in(
    visit: Visit, fix: Fix, when: datetime.datetime, now: datetime.datetime
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The lead checks in ``when`` at ``fix`` (recorded ``now``)."""
    visit.status, visit.check_in_at = VisitStatus.CHECKED_IN, when
    visit.check_in_lat, visit.check_in_lng = fix.latitude, fix.longitude
    visit.check_in_accuracy = fix.accuracy
    visit.check_in_distance = elder_distance(visit, fix.latitude, fix.longitude)  # type: ignore[arg-type]
    detail = {
        "lat": fix.latitude,
        "lng": fix.longitude,
        "accuracy": fix.accuracy,
        "distance": visit.check_in_distance,
        "offline": _offline(now, when),
    }
    return detail, {"status": ["open", "checked_in"]}


def check_out(
    visit: Visit, fix: Fix, when: datetime.datetime, done: tuple[list[str], str, str]
) -> dict[str, Any]:
    """The lead checks out ``when`` at ``fix``; ``done`` is the tasks ticked, the notes and
    the outcome. Returns the event's detail (the audit changes follow the confirmation:
    :func:`check_out_changes`)."""
    tasks, notes, outcome = done
    visit.status, visit.check_out_at = VisitStatus.CHECKED_OUT, when
    visit.check_out_lat, visit.check_out_lng = fix.latitude, fix.longitude
    visit.check_out_accuracy = fix.accuracy
    visit.check_out_distance = elder_distance(visit, fix.latitude, fix.longitude)  # type: ignore[arg-type]
    visit.tasks_done = [t for t in visit.item.checklist if t in tasks]
    visit.notes = str(notes or "")[:2000]
    visit.outcome = outcome
    return {
        "lat": fix.latitude,
        "lng": fix.longitude,
        "accuracy": fix.accuracy,
        "distance": visit.check_out_distance,
        "outcome": outcome,
    }


def check_out_changes(visit: Visit, outcome: str) -> dict[str, Any]:
    return {"status": ["checked_in", visit.status], "outcome": outcome}


def second_presence(
    visit: Visit,
    caregiver: Caregiver,
    fix: Fix,
    times: tuple[datetime.datetime, datetime.datetime],
    checked_in: bool | None,
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The second caregiver's own check-in (``checked_in`` None) or check-out (whether they
    had checked in): the event's detail and the flags it raises. ``times``: when it
    happened and when it was recorded."""
    when, now = times
    distance = elder_distance(visit, fix.latitude, fix.longitude)  # type: ignore[arg-type]
    detail = {
        "lat": fix.latitude,
        "lng": fix.longitude,
        "accuracy": fix.accuracy,
        "distance": distance,
        "caregiver": caregiver.name,
        "offline": _offline(now, when),
    }
    found: list[tuple[str, str]] = []
    if distance is not None and distance > settings.VISIT_CHECK_IN_RADIUS_M:
        found.append(
            (
                FlagCode.OUT_OF_RANGE,
                _("The second caregiver %(name)s was %(metres)d m from the address.")
                % {"name": caregiver.name, "metres": round(distance)},
            )
        )
    if checked_in is False:
        found.append(
            (
                FlagCode.NO_CHECK_IN,
                _("The second caregiver %(name)s checked out without a check-in.")
                % {"name": caregiver.name},
            )
        )
    return detail, found


def home_findings(visit: Visit) -> list[tuple[str, str]]:
    """An elder's address without a location is said, not silently skipped."""
    if visit.elder.lat is None or visit.elder.lng is None:
        return [(FlagCode.NO_HOME_LOCATION, home_unlocated_reason(visit.elder))]
    return []


def no_second_finding() -> tuple[str, str]:
    return (
        FlagCode.NO_SECOND_CHECK_IN,
        _("The second caregiver did not check in; a two-caregiver visit needs both."),
    )


def outcome_findings(outcome: str) -> list[tuple[str, str]]:
    """An outcome other than done is an exception to review."""
    if outcome != VisitOutcome.DONE:
        return [(FlagCode.EXCEPTION, str(VisitOutcome(outcome).label))]
    return []


def flag_rows(
    visit: Visit, found: Iterable[tuple[str, str]], existing: set[str], explanation: str = ""
) -> list[VisitFlag]:
    """The new flags (one per code, none for a code the visit has: ``existing`` grows),
    unsaved; a visit with a new flag is put up for review."""
    new = []
    for code, detail in found:
        if code in existing:
            continue
        existing.add(code)
        new.append(
            VisitFlag(
                visit=visit, code=code, detail=str(detail)[:300], explanation=explanation[:500]
            )
        )
    if new and visit.review_status in (ReviewStatus.NONE, ReviewStatus.ACCEPTED):
        visit.review_status = ReviewStatus.PENDING
    return new


def confirm_if_clean(visit: Visit, flagged: bool, outcome: str, now: datetime.datetime) -> bool:
    """A visit done with no flag and no review pending is confirmed at check-out."""
    if (
        not flagged
        and outcome == VisitOutcome.DONE
        and visit.review_status in (ReviewStatus.NONE, ReviewStatus.ACCEPTED)
    ):
        visit.status, visit.confirmed_at = VisitStatus.CONFIRMED, now
        return True
    return False


def review(visit: Visit, decision: str, reason: str, now: datetime.datetime) -> dict[str, Any]:
    """Accept or reject a flagged visit: an accepted checked-out visit is confirmed."""
    visit.review_status = decision
    if decision == ReviewStatus.ACCEPTED and visit.status == VisitStatus.CHECKED_OUT:
        visit.status, visit.confirmed_at = VisitStatus.CONFIRMED, now
    return {"review": ["pending", decision], "reason": reason}


def rateable(visit: Visit) -> bool:
    """Only a visit that took place (done, not rejected) can be rated."""
    return (
        visit.status in DONE_STATUSES
        and visit.outcome in ("", VisitOutcome.DONE)
        and visit.review_status != ReviewStatus.REJECTED
    )


def rating_changes(stars: int) -> dict[str, Any]:
    return {"rating": [None, stars]}


def late_after() -> datetime.timedelta:
    """A visit with no check-in this long after its window opened is late."""
    return datetime.timedelta(minutes=settings.VISIT_LATE_AFTER_MINUTES)


def missed_after() -> datetime.timedelta:
    """A visit with no check-in this long after its window closed is missed."""
    return datetime.timedelta(minutes=settings.VISIT_MISSED_AFTER_MINUTES)
