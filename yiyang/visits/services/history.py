"""Writing many visits' past at once: what happened to each (assigned, cancelled, set off,
checked in and out by the lead and the second caregiver), then the reviews and the ratings,
for the demo's month (and for imports of a provider's records).

This is the bulk form of the single-visit services, not a second set of rules: every step
goes through the same :mod:`~yiyang.visits.services.transitions` function as the service
(the fields it changes, its event's detail, its audit changes), flags come from the same
rules (:mod:`yiyang.visits.rules`), the monitor's late and missed marks from the same
thresholds, and audit rows from ``core.audit``; only the writing is batched. Each step is
stamped with the moment it happened, as the service would have stamped it with the clock
set there (:mod:`yiyang.core.clock`).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction

from yiyang.core.audit import audit_record_many
from yiyang.core.bulk import insert_rows, update_rows
from yiyang.core.choices import AuditAction
from yiyang.core.permissions import Actor
from yiyang.services.models import Caregiver
from yiyang.visits.choices import OPEN_STATUSES, ReviewStatus, VisitOutcome, VisitStatus
from yiyang.visits.lifecycle import SECOND_CHECK_IN, SECOND_CHECK_OUT
from yiyang.visits.models import Visit, VisitEvent, VisitFlag, VisitRating, VisitReview
from yiyang.visits.rules import Facts, cross_visit_flags, single_visit_flags
from yiyang.visits.services import transitions
from yiyang.visits.services.common import Fix
from yiyang.visits.services.verification import visit_facts

__all__ = [
    "Rated",
    "Reviewed",
    "VisitPast",
    "visits_past_write",
    "visits_rate_many",
    "visits_review_many",
]

EVENT_FIELDS = ("visit_id", "kind", "at", "recorded_at", "actor_id", "actor_username", "detail")
FLAG_FIELDS = ("visit_id", "code", "detail", "explanation", "raised_at")
REVIEW_ROW_FIELDS = ("visit_id", "decision", "reason", "reviewer_id", "reviewer_username", "at")
RATING_FIELDS = ("visit_id", "stars", "comment", "rated_by_id", "at")


@dataclass
class VisitPast:
    """What happened to one visit, step by step, each step's fix or time being when it
    happened. ``done`` is the check-out's tasks ticked, notes and outcome; ``explanation``
    the caregiver's, given with the check-in, for the flags it raises."""

    visit: Visit
    assigned: tuple[datetime.datetime, list[Caregiver]] | None = None
    cancelled: tuple[datetime.datetime, str] | None = None
    set_off_at: datetime.datetime | None = None
    check_in: Fix | None = None
    second_check_in: Fix | None = None
    check_out: Fix | None = None
    second_check_out: Fix | None = None
    done: tuple[list[str], str, str] = ([], "", VisitOutcome.DONE)
    explanation: str = ""
    # False when the rest of the visit's past goes through the single-visit services, which
    # then meet the monitor's own marks (``visits_mark_late``) at their moments.
    monitored: bool = True


@dataclass(frozen=True)
class Reviewed:
    visit: Visit
    at: datetime.datetime
    decision: str
    reason: str


@dataclass(frozen=True)
class Rated:
    visit: Visit
    at: datetime.datetime
    stars: int
    comment: str = ""


@dataclass
class _Rows:
    """What a batch writes: events, flags, and audit rows by (moment, actor, action)."""

    events: list[tuple[Any, ...]] = field(default_factory=list)
    flags: list[VisitFlag] = field(default_factory=list)
    audits: list[tuple[datetime.datetime, Actor, str, Visit, dict[str, Any]]] = field(
        default_factory=list
    )

    def event(
        self, visit: Visit, kind: str, at: datetime.datetime, actor: Actor, detail: dict[str, Any]
    ) -> None:
        self.events.append((visit.pk, kind, at, at, actor.pk, actor.username, detail))

    def audit(
        self, at: datetime.datetime, actor: Actor, visit: Visit, changes: dict[str, Any]
    ) -> None:
        self.audits.append((at, actor, AuditAction.UPDATE, visit, changes))


def _require_platform(actor: Actor) -> None:
    """Only the platform itself (a seed or an import run from the command line) writes
    history in bulk; people act one visit at a time, through the services."""
    if actor.pk is not None:
        raise PermissionDenied("history")


def _performer(caregiver: Caregiver | None, platform: Actor) -> Actor:
    """Who a phone step is audited under: the caregiver's login, else the platform."""
    user = getattr(caregiver, "user", None)
    return user if user is not None else platform


def _monitor(past: VisitPast, now: datetime.datetime) -> None:
    """The monitor's marks (``visits_mark_late``), at the moment it would have made them:
    late when no one checked in by the grace, missed when no one came by the window's end."""
    visit = past.visit
    if visit.status not in OPEN_STATUSES:
        return
    first = past.check_in or past.check_out
    came = first.at if first is not None else None
    late_due = visit.window_start + transitions.late_after()
    if late_due <= now and (came is None or came > late_due):
        visit.is_late, visit.late_notified_at = True, late_due
    missed_due = visit.window_end + transitions.missed_after()
    if missed_due <= now and (came is None or came > missed_due):
        visit.status, visit.updated_at = VisitStatus.MISSED, missed_due


def _second(
    past: VisitPast, rows: _Rows, platform: Actor, raised: dict[str, datetime.datetime]
) -> list[tuple[str, str]]:
    """The second caregiver's own check-in and check-out on a two-caregiver visit, and the
    flags they raise (``raised``: when each was raised)."""
    found: list[tuple[str, str]] = []
    visit, second = past.visit, past.visit.second_caregiver
    if second is None:
        return found
    actor = _performer(second, platform)
    for kind, fix in (
        (SECOND_CHECK_IN, past.second_check_in),
        (SECOND_CHECK_OUT, past.second_check_out),
    ):
        if fix is None or fix.at is None:
            continue
        checked_in = None if kind == SECOND_CHECK_IN else past.second_check_in is not None
        detail, more = transitions.second_presence(visit, second, fix, (fix.at, fix.at), checked_in)
        rows.event(visit, kind, fix.at, actor, detail)
        found += more
        for code, _detail in more:
            raised.setdefault(code, fix.at)
        rows.audit(fix.at, actor, visit, {"presence": kind})
    return found


def _steps(past: VisitPast, rows: _Rows, platform: Actor, now: datetime.datetime) -> None:
    """Apply one visit's steps in the order they happened (flags and the check-out's
    confirmation follow, over the whole batch: :func:`_check_outs`)."""
    visit = past.visit
    if past.assigned is not None:
        at, caregivers = past.assigned
        detail, changes = transitions.assign(visit, caregivers, None)
        visit.updated_at = at
        rows.event(visit, "assigned", at, platform, detail)
        rows.audit(at, platform, visit, changes)
    if past.cancelled is not None:
        at, reason = past.cancelled
        detail, changes = transitions.cancel(visit, reason, at)
        visit.updated_at = at
        rows.event(visit, "cancelled", at, platform, detail)
        rows.audit(at, platform, visit, changes)
        return
    if past.monitored:
        _monitor(past, now)
    lead = _performer(visit.caregiver, platform)
    if past.set_off_at is not None:
        transitions.set_off(visit, past.set_off_at)
        visit.updated_at = past.set_off_at
        rows.event(visit, "on_the_way", past.set_off_at, lead, {})
    if past.check_in is not None and past.check_in.at is not None:
        at = past.check_in.at
        detail, changes = transitions.check_in(visit, past.check_in, at, at)
        visit.updated_at = at
        rows.event(visit, "check_in", at, lead, detail)
        rows.audit(at, lead, visit, changes)
    if past.check_out is not None and past.check_out.at is not None:
        at = past.check_out.at
        detail = transitions.check_out(visit, past.check_out, at, past.done)
        visit.updated_at = at
        rows.event(visit, "check_out", at, lead, detail)


def _day_findings(
    pasts: Sequence[VisitPast], at_check_in: dict[int, set[str]]
) -> dict[int, list[tuple[str, str]]]:
    """The flag rules over the batch: each visit's own, and across each caregiver's day;
    ``at_check_in`` gets the codes the check-in itself raised (before the check-out)."""
    radius, short = settings.VISIT_CHECK_IN_RADIUS_M, settings.VISIT_TOO_SHORT_PERCENT
    by_day: dict[datetime.date, list[Facts]] = defaultdict(list)
    found: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for past in pasts:
        visit = past.visit
        if visit.check_in_at is None and visit.check_out_at is None:
            continue
        facts = visit_facts(visit)
        by_day[visit.date].append(facts)
        if visit.check_in_at is not None:
            entering = replace(
                facts, check_out_at=None, out_lat=None, out_lng=None, out_distance=None, outcome=""
            )
            early = single_visit_flags(entering, radius_m=radius, too_short_percent=short)
            early += transitions.home_findings(visit)
            at_check_in[visit.pk] = {code for code, _detail in early}
        found[visit.pk] += single_visit_flags(facts, radius_m=radius, too_short_percent=short)
        found[visit.pk] += transitions.home_findings(visit)
    for day_facts in by_day.values():
        cross = cross_visit_flags(day_facts, max_speed_kmh=settings.VISIT_MAX_SPEED_KMH)
        for visit_id, more in cross.items():
            found[visit_id] += more
    return found


def _check_outs(pasts: Sequence[VisitPast], rows: _Rows, platform: Actor) -> None:
    """Raise each visit's flags at its last step; confirm the clean check-outs; audit them."""
    at_check_in: dict[int, set[str]] = {}
    found = _day_findings(pasts, at_check_in)
    for past in pasts:
        visit = past.visit
        raised: dict[str, datetime.datetime] = {}
        if visit.check_in_at is not None:
            raised = dict.fromkeys(at_check_in.get(visit.pk, ()), visit.check_in_at)
        mine = found.get(visit.pk, []) + _second(past, rows, platform, raised)
        if visit.check_out_at is not None and visit.status == VisitStatus.CHECKED_OUT:
            if visit.needs_two and past.second_check_in is None:
                mine.append(transitions.no_second_finding())
            mine += transitions.outcome_findings(visit.outcome)
        new = transitions.flag_rows(visit, mine, set(), past.explanation)
        last = visit.check_out_at or visit.check_in_at or visit.window_start
        for flag in new:
            flag.raised_at = raised.get(flag.code) or last
        rows.flags += sorted(new, key=lambda f: f.raised_at)
        if visit.check_out_at is not None and visit.status == VisitStatus.CHECKED_OUT:
            at, outcome = visit.check_out_at, visit.outcome
            transitions.confirm_if_clean(visit, bool(new), outcome, at)
            lead = _performer(visit.caregiver, platform)
            rows.audit(at, lead, visit, transitions.check_out_changes(visit, outcome))


def _audit_rows(audits: list[tuple[datetime.datetime, Actor, str, Visit, dict[str, Any]]]) -> None:
    """The audit rows (``core.audit``), each stamped with its moment; one insert by actor
    and action."""
    groups: dict[tuple[int, str], list[tuple[datetime.datetime, Actor, str, Visit, dict[str, Any]]]]
    groups = defaultdict(list)
    for row in audits:
        groups[(id(row[1]), row[2])].append(row)
    for rows in groups.values():
        audit_record_many(
            actor=rows[0][1],
            action=rows[0][2],
            objects=[visit for _at, _a, _x, visit, _c in rows],
            division_codes=[visit.division_code for _at, _a, _x, visit, _c in rows],
            changes=[changes for _at, _a, _x, _v, changes in rows],
            ats=[at for at, _a, _x, _v, _c in rows],
        )


@transaction.atomic
def visits_past_write(*, actor: Actor, pasts: Sequence[VisitPast], now: datetime.datetime) -> int:
    """Write what happened to many stored visits up to ``now``: the visits' fields, their
    events, flags and audit rows, in a few statements. ``actor`` is the platform (it
    dispatches and cancels; it stands for caregivers without a login). Returns the number
    of flags raised."""
    _require_platform(actor)
    rows = _Rows()
    for past in pasts:
        _steps(past, rows, actor, now)
    _check_outs(pasts, rows, actor)
    update_rows([p.visit for p in pasts], [*transitions.HISTORY_FIELDS, "review_status"])
    insert_rows(VisitEvent, EVENT_FIELDS, rows.events)
    insert_rows(
        VisitFlag,
        FLAG_FIELDS,
        [(f.visit.pk, f.code, f.detail, f.explanation, f.raised_at) for f in rows.flags],
    )
    _audit_rows(rows.audits)
    return len(rows.flags)


@transaction.atomic
def visits_review_many(*, actor: Actor, reviewer: Actor, reviews: Sequence[Reviewed]) -> int:
    """Reviews of flagged visits, as ``visit_review`` records them, written together;
    ``reviewer`` is who decided (a provider manager). Visits not awaiting review are left."""
    _require_platform(actor)
    done, rows = [], []
    for review in reviews:
        visit = review.visit
        if visit.review_status != ReviewStatus.PENDING:
            continue
        changes = transitions.review(visit, review.decision, review.reason, review.at)
        visit.updated_at = review.at
        done.append((review, changes))
        rows.append(
            (
                visit.pk,
                review.decision,
                review.reason[:300],
                reviewer.pk,
                reviewer.username,
                review.at,
            )
        )
    update_rows([r.visit for r, _c in done], transitions.REVIEW_FIELDS)
    insert_rows(VisitReview, REVIEW_ROW_FIELDS, rows)
    _audit_rows([(r.at, reviewer, AuditAction.REVIEW, r.visit, c) for r, c in done])
    return len(rows)


@transaction.atomic
def visits_rate_many(*, actor: Actor, ratings: Sequence[Rated]) -> int:
    """Ratings given at the door or by phone (no family login), as ``visit_rate`` records
    them; visits that cannot be rated (not taken place, rejected, rated) are left."""
    _require_platform(actor)
    rated = set(
        VisitRating.objects.filter(visit__in=[r.visit for r in ratings]).values_list(
            "visit_id", flat=True
        )
    )
    kept = [r for r in ratings if r.visit.pk not in rated and transitions.rateable(r.visit)]
    insert_rows(
        VisitRating,
        RATING_FIELDS,
        [(r.visit.pk, r.stars, r.comment[:500], None, r.at) for r in kept],
    )
    _audit_rows(
        [
            (r.at, actor, AuditAction.CREATE, r.visit, transitions.rating_changes(r.stars))
            for r in kept
        ]
    )
    return len(kept)
