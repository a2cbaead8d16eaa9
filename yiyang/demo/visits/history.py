"""What happened: the dispatch, check-in and check-out as the phone would have sent them,
overlaps, the reviewers' decisions, ratings and the family's link. Only the inputs are
decided here; the services turn them into the visits' states, events, flags and audit rows."""

from __future__ import annotations

import datetime
import math
import random
from collections import defaultdict
from typing import Any

from yiyang.accounts.models import User
from yiyang.demo.visits.data import (
    ACCEPT_REASONS,
    CANCEL_REASONS,
    COMPLAINT_TEXT,
    NOT_HOME_NOTES,
    NOTES,
    RATING_COMMENTS,
)
from yiyang.demo.visits.orders import _Plan
from yiyang.elders.choices import ConsentGiver, ConsentPurpose, Relation
from yiyang.elders.models import Elder
from yiyang.elders.services import consent_record, family_member_link
from yiyang.services.models import Caregiver
from yiyang.visits.choices import (
    FlagCode,
    ReviewStatus,
    VisitOutcome,
    VisitStatus,
)
from yiyang.visits.models import (
    Visit,
)
from yiyang.visits.services import Fix, Rated, Reviewed, VisitPast
from yiyang.visits.services.transitions import rateable

Assigned = tuple[datetime.datetime, list[Caregiver]] | None


def _near(rng: random.Random, lat: float, lng: float, metres: float) -> tuple[float, float]:
    """A point about ``metres`` from (lat, lng) in a random direction."""
    angle = rng.uniform(0, 2 * math.pi)
    dlat = metres * math.cos(angle) / 111_320
    dlng = metres * math.sin(angle) / (111_320 * math.cos(math.radians(lat)))
    return round(lat + dlat, 6), round(lng + dlng, 6)


def _happen(
    rng: random.Random, visit: Visit, plan: _Plan, now: datetime.datetime, assigned: Assigned
) -> VisitPast:
    """What the dispatcher did and the caregiver's phone sent, up to ``now``."""
    past = VisitPast(visit=visit, assigned=assigned)
    if visit.window_start > now + datetime.timedelta(hours=30):
        return past
    if visit.window_end < now and rng.random() < 0.02:
        at = visit.window_start - datetime.timedelta(hours=rng.choice([3, 20, 50]))
        past.cancelled = (
            max(at, plan.placed_at + datetime.timedelta(hours=1)),
            rng.choice(CANCEL_REASONS),
        )
        return past
    if assigned is None:
        return past  # never assigned: late, then missed (the monitor's marks)
    roll = rng.random()
    if visit.window_end < now and roll < 0.03:
        return past  # nobody came: missed
    late = roll > 0.92
    delay = rng.randint(17, 50) if late else rng.randint(-12, 12)
    check_in = visit.window_start + datetime.timedelta(minutes=delay, seconds=rng.randint(0, 59))
    if check_in > now:
        if check_in - now < datetime.timedelta(minutes=40) and rng.random() < 0.5:
            past.set_off_at = now - datetime.timedelta(minutes=rng.randint(3, 15))
        return past
    outcome, minutes = _outcome(rng, visit.standard_minutes)
    lat, lng = float(visit.elder.lat or 0), float(visit.elder.lng or 0)
    far = rng.random() < 0.035
    in_lat, in_lng = _near(rng, lat, lng, rng.uniform(260, 900) if far else rng.uniform(3, 60))
    in_accuracy = round(rng.uniform(35, 120) if far else rng.uniform(5, 30), 1)
    if rng.random() >= 0.004:  # else the phone died at the door: no check-in
        past.check_in = Fix(in_lat, in_lng, in_accuracy, at=check_in)
        past.explanation = "手机定位在楼里信号差。" if far and rng.random() < 0.35 else ""
    if len(assigned[1]) == 2 and past.check_in is not None:
        second_lat, second_lng = _near(rng, lat, lng, rng.uniform(3, 40))
        past.second_check_in = Fix(second_lat, second_lng, 12.0, at=check_in)
    check_out = check_in + datetime.timedelta(minutes=minutes, seconds=rng.randint(0, 59))
    if check_out > now:
        return past
    out_lat, out_lng = _near(rng, lat, lng, rng.uniform(3, 60))
    past.check_out = Fix(out_lat, out_lng, round(rng.uniform(5, 30), 1), at=check_out)
    if past.second_check_in is not None:
        past.second_check_out = Fix(out_lat, out_lng, 12.0, at=check_out)
    past.done = _done(rng, outcome, list(plan.item.checklist))
    return past


def _outcome(rng: random.Random, standard: int) -> tuple[str, int]:
    """The visit's outcome and its minutes: mostly done in about the standard time."""
    kind = rng.random()
    if kind < 0.012:
        return VisitOutcome.NOT_HOME, rng.randint(5, 12)
    if kind < 0.016:
        return VisitOutcome.UNWELL, rng.randint(20, 50)
    if kind < 0.04:
        return VisitOutcome.DONE, max(3, round(standard * rng.uniform(0.25, 0.45)))  # too short
    return VisitOutcome.DONE, max(3, round(standard * min(1.4, max(0.7, rng.gauss(1.05, 0.12)))))


def _done(rng: random.Random, outcome: str, checklist: list[str]) -> tuple[list[str], str, str]:
    """The check-out's tasks ticked, notes and outcome."""
    if outcome == VisitOutcome.DONE:
        if checklist and rng.random() < 0.15:
            checklist.pop(rng.randrange(len(checklist)))
        return checklist, rng.choice(NOTES) if rng.random() < 0.3 else "", outcome
    if outcome == VisitOutcome.NOT_HOME:
        return [], rng.choice(NOT_HOME_NOTES), outcome
    return [], "老人发烧38.5℃，精神差，已联系家属并报告呼叫中心。", outcome


def _overlaps(rng: random.Random, pasts: list[VisitPast], now: datetime.datetime) -> None:
    """A few caregivers forgot to check out and did it from the next elder's door: the
    first visit then overlaps the next (and its check-out is out of range)."""
    by_day: dict[tuple[int, datetime.date], list[VisitPast]] = defaultdict(list)
    for past in pasts:
        visit = past.visit
        if past.assigned and past.check_in and past.check_out and not visit.needs_two:
            by_day[(past.assigned[1][0].pk, visit.date)].append(past)
    pairs = [
        sorted(day, key=lambda p: p.check_in.at if p.check_in and p.check_in.at else now)[:2]
        for day in by_day.values()
        if len(day) >= 2
    ]
    rng.shuffle(pairs)
    for first, second in pairs[: max(2, len(pairs) // 60)]:
        door, left = second.check_in, second.check_out
        if door is None or door.at is None or left is None or left.at is None or left.at > now:
            continue
        at = door.at + datetime.timedelta(minutes=rng.randint(5, 15))
        first.check_out = Fix(door.latitude, door.longitude, door.accuracy, at=at)


# Given by the elder, for the child, signed for at the door.
FAMILY_CONSENT = {
    "given_by": ConsentGiver.ELDER,
    "recipient": "子女",
    "evidence": "社区工作者上门签字确认",
}


def _link_family(admin: Any, elder: Elder, family: User, first_day: datetime.date) -> None:
    """The family login sees the elder's care (consent, link) and rates its visits."""
    consent_record(
        actor=admin,
        elder=elder,
        purpose=ConsentPurpose.FAMILY_VIEW,
        given_on=first_day - datetime.timedelta(days=12),
        **FAMILY_CONSENT,
    )
    family_member_link(actor=admin, elder=elder, user=family, relation=Relation.CHILD)


def _review_decisions(
    rng: random.Random, pending: list[tuple[Visit, set[str]]], now: datetime.datetime
) -> list[Reviewed]:
    """Flagged visits older than a few days were mostly reviewed: accepted or rejected
    (a visit far too short most often rejected)."""
    decided = []
    for visit, codes in pending:
        done_at = visit.check_out_at or visit.check_in_at
        if (
            done_at is None
            or visit.status != VisitStatus.CHECKED_OUT
            or now - done_at < datetime.timedelta(days=4)
            or rng.random() < 0.3
        ):
            continue
        rejected = (FlagCode.TOO_SHORT in codes and rng.random() < 0.5) or rng.random() < 0.12
        at = done_at + datetime.timedelta(days=rng.randint(1, 3), hours=rng.randint(1, 6))
        if rejected:
            decision, reason = (
                ReviewStatus.REJECTED,
                "时长明显不足，且无合理说明，本次不计入服务量。",
            )
        else:
            decision, reason = ReviewStatus.ACCEPTED, rng.choice(ACCEPT_REASONS)
        decided.append(Reviewed(visit=visit, at=min(at, now), decision=decision, reason=reason))
    return decided


def _ratings(
    rng: random.Random, visits: list[Visit], now: datetime.datetime, family_elder: Elder | None
) -> tuple[list[Rated], list[Rated], tuple[Visit, str] | None]:
    """Ratings of the month's visits: the family's (from the family page) and others'
    (given at the door); and the visit the family complains about."""
    family: list[Rated] = []
    others: list[Rated] = []
    complaint: tuple[Visit, str] | None = None
    for visit in visits:
        if not rateable(visit) or visit.check_out_at is None:
            continue
        mine = family_elder is not None and visit.elder_id == family_elder.pk
        if not ((mine and rng.random() < 0.7) or rng.random() < 0.15):
            continue
        if visit.is_late and mine and complaint is None:
            stars = 2
        elif visit.is_late:
            stars = rng.choice([3, 4])
        else:
            stars = rng.choices([5, 4, 3], [70, 25, 5])[0]
        at = visit.check_out_at + datetime.timedelta(hours=rng.randint(1, 30))
        if at > now:
            continue
        rated = Rated(visit=visit, at=at, stars=stars, comment=rng.choice(RATING_COMMENTS[stars]))
        (family if mine else others).append(rated)
        if stars == 2 and mine and complaint is None:
            complaint = (visit, COMPLAINT_TEXT)
    if complaint is None and family_elder is not None:
        # No late visit for the family's elder this month: the complaint is about a short one.
        target = next(
            (
                v
                for v in visits
                if v.elder_id == family_elder.pk and v.check_out_at and v.check_out_at < now
            ),
            None,
        )
        if target is not None:
            complaint = (target, "打扫得不够仔细，厨房灶台没有擦。")
    return family, others, complaint
