"""The caregiver login's month, replayed through the single-visit services in the order it
happened, with the clock set to each moment: the phone's set-off, check-in and check-out,
the monitor's late and missed marks, cancellations, the manager's reviews and the family's
ratings. The rest of the city's month goes through the bulk form of the same services
(``visits_past_write``), which shares their transitions, field lists and audit helper."""

from __future__ import annotations

import datetime
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from yiyang.accounts.models import User
from yiyang.core.clock import clock_at
from yiyang.core.permissions import Actor, SystemActor
from yiyang.demo.visits.history import _ratings, _review_decisions
from yiyang.elders.models import Elder
from yiyang.services.models import Caregiver
from yiyang.supervision.services import complaint_from_family
from yiyang.visits.choices import DONE_STATUSES, ReviewStatus
from yiyang.visits.models import Visit, VisitFlag
from yiyang.visits.services import (
    Rated,
    Reviewed,
    VisitPast,
    visit_cancel,
    visit_check_in,
    visit_check_out,
    visit_rate,
    visit_review,
    visit_set_off,
    visits_mark_late,
    visits_past_write,
    visits_rate_many,
    visits_review_many,
)
from yiyang.visits.services.transitions import late_after, missed_after

Step = tuple[datetime.datetime, int, Callable[[], object]]


def _monitor_ticks(past: VisitPast, now: datetime.datetime) -> list[Step]:
    """The moments the monitor (run every minute in production) would have marked the
    visit late or missed: the grace after the window opened, the end of the window."""
    visit = past.visit
    first = past.check_in or past.check_out
    came = first.at if first is not None else None
    ticks: list[Step] = []
    for due in (visit.window_start + late_after(), visit.window_end + missed_after()):
        if past.cancelled is None and due <= now and (came is None or came > due):
            ticks.append((due, 0, partial(visits_mark_late, now=due)))
    return ticks


def _phone_steps(past: VisitPast, caregiver: Actor, manager: Actor) -> list[Step]:
    visit = past.visit
    steps: list[Step] = []
    if past.cancelled is not None:
        at, reason = past.cancelled
        steps.append((at, 1, partial(visit_cancel, actor=manager, visit=visit, reason=reason)))
    if past.set_off_at is not None:
        call = partial(visit_set_off, actor=caregiver, visit=visit, at=past.set_off_at)
        steps.append((past.set_off_at, 1, call))
    if past.check_in is not None and past.check_in.at is not None:
        call = partial(
            visit_check_in,
            actor=caregiver,
            visit=visit,
            fix=past.check_in,
            explanation=past.explanation,
        )
        steps.append((past.check_in.at, 1, call))
    if past.check_out is not None and past.check_out.at is not None:
        tasks, notes, outcome = past.done
        call = partial(visit_check_out, actor=caregiver, visit=visit, fix=past.check_out)
        call = partial(call, tasks_done=tasks, notes=notes, outcome=outcome)
        steps.append((past.check_out.at, 1, call))
    return steps


def replay_month(
    pasts: list[VisitPast], caregiver: Actor, manager: Actor, now: datetime.datetime
) -> int:
    """Replay the visits' pasts (already assigned), all in one timeline. Returns the
    number of service calls made."""
    steps: list[Step] = []
    for past in pasts:
        steps += _monitor_ticks(past, now)
        steps += _phone_steps(past, caregiver, manager)
    steps.sort(key=lambda step: (step[0], step[1]))
    for at, _order, call in steps:
        with clock_at(at):
            call()
    return len(steps)


def replay_reviews(reviews: list[Reviewed], manager: Actor) -> None:
    for review in sorted(reviews, key=lambda r: r.at):
        with clock_at(review.at):
            visit_review(
                actor=manager, visit=review.visit, decision=review.decision, reason=review.reason
            )


def replay_ratings(ratings: list[Rated], family: Actor) -> None:
    for rating in sorted(ratings, key=lambda r: r.at):
        with clock_at(rating.at):
            visit_rate(actor=family, visit=rating.visit, stars=rating.stars, comment=rating.comment)


@dataclass(frozen=True)
class Town:
    """Who acts in the demo's month: the platform (dispatch, bulk writes), the main
    company's manager, and the caregiver login whose month is replayed call by call."""

    rng: random.Random
    now: datetime.datetime
    platform: SystemActor
    manager: Actor
    login: User | None


def _is_login(caregiver: Caregiver | None, login: User | None) -> bool:
    return login is not None and caregiver is not None and caregiver.user_id == login.pk


def what_happened(town: Town, pasts: list[VisitPast]) -> None:
    """The caregiver login's visits (one caregiver's month, with what a month holds)
    through the single-visit services, the rest of the city's through their bulk form."""
    mine = [
        p
        for p in pasts
        if p.assigned is not None
        and _is_login(p.assigned[1][0], town.login)
        and not p.visit.needs_two
    ]
    replayed = {id(p) for p in mine}
    assign_only = [VisitPast(visit=p.visit, assigned=p.assigned, monitored=False) for p in mine]
    rest = [p for p in pasts if id(p) not in replayed]
    visits_past_write(actor=town.platform, pasts=rest + assign_only, now=town.now)
    if mine and town.login is not None:
        replay_month(mine, town.login, town.manager, town.now)


def reviews_decided(town: Town, ids: list[int]) -> None:
    """The reviewers' decisions on flagged visits: those of the caregiver login's visits
    through ``visit_review``, the others in bulk."""
    pending = list(
        Visit.objects.filter(pk__in=ids, review_status=ReviewStatus.PENDING)
        .select_related("elder", "item", "caregiver")
        .order_by("window_start", "id")
    )
    codes: dict[int, set[str]] = defaultdict(set)
    flags = VisitFlag.objects.filter(visit__in=pending).values_list("visit_id", "code")
    for visit_id, code in flags:
        codes[visit_id].add(code)
    decided = _review_decisions(town.rng, [(v, codes[v.pk]) for v in pending], town.now)
    own = [r for r in decided if _is_login(r.visit.caregiver, town.login)]
    replay_reviews(own, town.manager)
    others = [r for r in decided if not _is_login(r.visit.caregiver, town.login)]
    visits_review_many(actor=town.platform, reviewer=town.manager, reviews=others)


def ratings_given(
    town: Town, ids: list[int], family_elder: Elder | None, family: User | None
) -> None:
    """Ratings: the family's through ``visit_rate``, others' (at the door) in bulk; the
    family's complaint into the city's register, as from the family page."""
    done = list(
        Visit.objects.filter(pk__in=ids, status__in=DONE_STATUSES)
        .select_related("elder", "item")
        .order_by("window_start", "elder_id")
    )
    by_family, others, complaint = _ratings(town.rng, done, town.now, family_elder)
    visits_rate_many(actor=town.platform, ratings=others)
    if family is not None:
        replay_ratings(by_family, family)
        if complaint is not None:
            complaint_from_family(actor=family, visit=complaint[0], text=complaint[1])
