"""What happened: check-in and check-out as the phone would have recorded them, overlaps,
flags by the same rules as the services, reviews, ratings and the family's link."""

from __future__ import annotations

import datetime
import math
import random
from collections import defaultdict
from typing import Any

from django.conf import settings

from yiyang.accounts.models import User
from yiyang.demo.visits.data import (
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
from yiyang.supervision.services import complaint_from_family
from yiyang.visits.choices import (
    FlagCode,
    ReviewStatus,
    VisitOutcome,
    VisitStatus,
)
from yiyang.visits.models import (
    Visit,
    VisitEvent,
    VisitFlag,
    VisitRating,
    VisitReview,
)
from yiyang.visits.rules import Facts, cross_visit_flags, distance_m, single_visit_flags
from yiyang.visits.services import visit_facts


def _near(rng: random.Random, lat: float, lng: float, metres: float) -> tuple[float, float]:
    """A point about ``metres`` from (lat, lng) in a random direction."""
    angle = rng.uniform(0, 2 * math.pi)
    dlat = metres * math.cos(angle) / 111_320
    dlng = metres * math.sin(angle) / (111_320 * math.cos(math.radians(lat)))
    return round(lat + dlat, 6), round(lng + dlng, 6)


def _happen(rng: random.Random, visit: Visit, plan: _Plan, now: datetime.datetime) -> None:
    """Fill in what the caregiver's phone would have recorded, up to ``now``."""
    visit.updated_at = max(visit.created_at, min(now, visit.window_end))
    if visit.window_start > now + datetime.timedelta(hours=30):
        return
    if visit.window_end < now and rng.random() < 0.02:
        visit.status = VisitStatus.CANCELLED
        visit.cancelled_at = visit.window_start - datetime.timedelta(hours=rng.choice([3, 20, 50]))
        visit.cancel_reason = rng.choice(CANCEL_REASONS)
        visit.short_notice = visit.window_start - visit.cancelled_at < datetime.timedelta(
            hours=settings.VISIT_CANCEL_NOTICE_HOURS
        )
        return
    if visit.caregiver is None:
        return  # never assigned: late, then missed (set by the caller)
    roll = rng.random()
    if visit.window_end < now and roll < 0.03:
        return  # nobody came: missed
    standard = visit.standard_minutes
    late = roll > 0.92
    delay = rng.randint(17, 50) if late else rng.randint(-12, 12)
    check_in = visit.window_start + datetime.timedelta(minutes=delay, seconds=rng.randint(0, 59))
    if check_in > now:
        if check_in - now < datetime.timedelta(minutes=40) and rng.random() < 0.5:
            visit.status = VisitStatus.ON_THE_WAY
            visit.on_the_way_at = now - datetime.timedelta(minutes=rng.randint(3, 15))
        return
    outcome = VisitOutcome.DONE
    kind = rng.random()
    if kind < 0.012:
        outcome = VisitOutcome.NOT_HOME
        minutes = rng.randint(5, 12)
    elif kind < 0.016:
        outcome = VisitOutcome.UNWELL
        minutes = rng.randint(20, 50)
    elif kind < 0.04:
        minutes = round(standard * rng.uniform(0.25, 0.45))  # too short
    else:
        minutes = round(standard * min(1.4, max(0.7, rng.gauss(1.05, 0.12))))
    minutes = max(minutes, 3)
    lat, lng = float(visit.elder.lat or 0), float(visit.elder.lng or 0)
    far = rng.random() < 0.035
    in_lat, in_lng = _near(rng, lat, lng, rng.uniform(260, 900) if far else rng.uniform(3, 60))
    in_accuracy = round(rng.uniform(35, 120) if far else rng.uniform(5, 30), 1)
    no_check_in = rng.random() < 0.004
    visit.status = VisitStatus.CHECKED_IN
    if not no_check_in:
        visit.check_in_at = check_in
        visit.check_in_lat, visit.check_in_lng = in_lat, in_lng
        visit.check_in_accuracy = in_accuracy
        visit.check_in_distance = distance_m(lat, lng, in_lat, in_lng)
        late_after = datetime.timedelta(minutes=settings.VISIT_LATE_AFTER_MINUTES)
        if check_in > visit.window_start + late_after:
            visit.is_late, visit.late_notified_at = True, visit.window_start + late_after
    check_out = check_in + datetime.timedelta(minutes=minutes, seconds=rng.randint(0, 59))
    if check_out > now:
        if no_check_in:
            visit.status = VisitStatus.ASSIGNED
        return
    out_lat, out_lng = _near(rng, lat, lng, rng.uniform(3, 60))
    out_accuracy = round(rng.uniform(5, 30), 1)
    visit.status = VisitStatus.CHECKED_OUT
    visit.check_out_at = check_out
    visit.check_out_lat, visit.check_out_lng = out_lat, out_lng
    visit.check_out_accuracy = out_accuracy
    visit.check_out_distance = distance_m(lat, lng, out_lat, out_lng)
    visit.outcome = outcome
    checklist = list(plan.item.checklist)
    if outcome == VisitOutcome.DONE:
        if checklist and rng.random() < 0.15:
            checklist.pop(rng.randrange(len(checklist)))
        visit.tasks_done = checklist
        visit.notes = rng.choice(NOTES) if rng.random() < 0.3 else ""
    elif outcome == VisitOutcome.NOT_HOME:
        visit.notes = rng.choice(NOT_HOME_NOTES)
    else:
        visit.notes = "老人发烧38.5℃，精神差，已联系家属并报告呼叫中心。"
    visit.updated_at = check_out


def _events(visits: list[Visit]) -> list[VisitEvent]:
    """The check-in and check-out events the phone would have sent."""
    events = []
    for visit in visits:
        user = visit.caregiver.user if visit.caregiver is not None else None
        who = {"actor": user, "actor_username": user.username if user is not None else ""}
        if visit.check_in_at is not None:
            events.append(
                VisitEvent(
                    visit=visit,
                    kind="check_in",
                    at=visit.check_in_at,
                    recorded_at=visit.check_in_at,
                    detail={
                        "lat": visit.check_in_lat,
                        "lng": visit.check_in_lng,
                        "accuracy": visit.check_in_accuracy,
                        "distance": visit.check_in_distance,
                        "offline": False,
                    },
                    **who,
                )
            )
        if visit.check_out_at is not None:
            events.append(
                VisitEvent(
                    visit=visit,
                    kind="check_out",
                    at=visit.check_out_at,
                    recorded_at=visit.check_out_at,
                    detail={
                        "lat": visit.check_out_lat,
                        "lng": visit.check_out_lng,
                        "accuracy": visit.check_out_accuracy,
                        "distance": visit.check_out_distance,
                        "outcome": visit.outcome,
                    },
                    **who,
                )
            )
    return events


def _overlaps(rng: random.Random, visits: list[Visit], now: datetime.datetime) -> None:
    """A few caregivers forgot to check out and did it from the next elder's door: the
    first visit then overlaps the next (and its check-out is out of range)."""
    by_day: dict[tuple[int, datetime.date], list[Visit]] = defaultdict(list)
    for visit in visits:
        if visit.caregiver_id and visit.check_in_at and visit.check_out_at:
            by_day[(visit.caregiver_id, visit.date)].append(visit)
    pairs = [
        sorted(day, key=lambda v: v.check_in_at or now)[:2]
        for day in by_day.values()
        if len(day) >= 2
    ]
    rng.shuffle(pairs)
    for first, second in pairs[: max(2, len(pairs) // 60)]:
        if second.check_in_at is None or second.check_out_at is None:
            continue
        if first.needs_two or second.needs_two or second.check_out_at > now:
            continue
        first.check_out_at = second.check_in_at + datetime.timedelta(minutes=rng.randint(5, 15))
        first.check_out_lat, first.check_out_lng = second.check_in_lat, second.check_in_lng
        first.check_out_distance = distance_m(
            float(first.elder.lat or 0),
            float(first.elder.lng or 0),
            float(first.check_out_lat or 0),
            float(first.check_out_lng or 0),
        )


def _flags(visits: list[Visit], elders: dict[int, Elder]) -> dict[int, list[VisitFlag]]:
    """The flags the check-in/check-out services (and the monthly scan) raise, by the same
    rules, with the time they would have been raised; by the visit's index in ``visits``."""
    radius, short = settings.VISIT_CHECK_IN_RADIUS_M, settings.VISIT_TOO_SHORT_PERCENT
    by_day: dict[datetime.date, list[Facts]] = defaultdict(list)
    found: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for key, visit in enumerate(visits):
        if visit.check_in_at is None and visit.check_out_at is None:
            continue
        facts = visit_facts(visit, elder=elders[visit.elder_id], key=key)
        by_day[visit.date].append(facts)
        found[key] += single_visit_flags(facts, radius_m=radius, too_short_percent=short)
        if visit.outcome and visit.outcome != VisitOutcome.DONE:
            found[key].append((FlagCode.EXCEPTION, str(VisitOutcome(visit.outcome).label)))
    for day_facts in by_day.values():
        cross = cross_visit_flags(day_facts, max_speed_kmh=settings.VISIT_MAX_SPEED_KMH)
        for visit_id, more in cross.items():
            found[visit_id] += more
    rows: dict[int, list[VisitFlag]] = defaultdict(list)
    for visit_id, pairs in found.items():
        visit = visits[visit_id]
        raised = visit.check_out_at or visit.check_in_at or visit.window_start
        codes: set[str] = set()
        for code, detail in pairs:
            if code in codes:
                continue
            codes.add(code)
            rows[visit_id].append(
                VisitFlag(
                    visit=visit,
                    code=code,
                    detail=str(detail)[:300],
                    raised_at=raised,
                    explanation="手机定位在楼里信号差。"
                    if code == FlagCode.OUT_OF_RANGE and visit_id % 3 == 0
                    else "",
                )
            )
    return rows


def _reviews(
    rng: random.Random,
    visits: list[Visit],
    flags: dict[int, list[VisitFlag]],
    now: datetime.datetime,
    reviewer: User | None,
) -> list[VisitReview]:
    """Clean check-outs are confirmed; flagged visits wait for review, and those older than
    a few days were mostly reviewed: accepted (then confirmed) or rejected."""
    reviews: list[VisitReview] = []
    for key, visit in enumerate(visits):
        if visit.status != VisitStatus.CHECKED_OUT and key not in flags:
            continue
        if key not in flags:
            if visit.outcome == VisitOutcome.DONE:
                visit.status, visit.confirmed_at = VisitStatus.CONFIRMED, visit.check_out_at
            continue
        visit.review_status = ReviewStatus.PENDING
        done_at = visit.check_out_at or visit.check_in_at
        if (
            done_at is None
            or visit.status != VisitStatus.CHECKED_OUT
            or now - done_at < datetime.timedelta(days=4)
            or rng.random() < 0.3
        ):
            continue
        codes = {f.code for f in flags[key]}
        rejected = (FlagCode.TOO_SHORT in codes and rng.random() < 0.5) or rng.random() < 0.12
        at = done_at + datetime.timedelta(days=rng.randint(1, 3), hours=rng.randint(1, 6))
        if rejected:
            visit.review_status = ReviewStatus.REJECTED
            reason = "时长明显不足，且无合理说明，本次不计入服务量。"
        else:
            visit.review_status = ReviewStatus.ACCEPTED
            reason = rng.choice(
                [
                    "已电话回访老人，确认服务完成。",
                    "定位偏差，小区楼间距大，核实无误。",
                    "老人家属证实护理员到场。",
                ]
            )
            # As visit_review does: an accepted checked-out visit is confirmed.
            visit.status, visit.confirmed_at = VisitStatus.CONFIRMED, at
        visit.updated_at = at
        reviews.append(
            VisitReview(
                visit=visit,
                decision=visit.review_status,
                reason=reason,
                reviewer=reviewer,
                reviewer_username=reviewer.username if reviewer else "seed-demo",
                at=at,
            )
        )
    return reviews


def _link_family(
    admin: Any,
    elder: Elder,
    family: User,
    first_day: datetime.date,
    complained: tuple[Visit, str] | None,
) -> None:
    """The family login sees the elder's care (consent, link), and complains about one
    visit: into the city's register, as from the family page."""
    consent_record(
        actor=admin,
        elder=elder,
        purpose=ConsentPurpose.FAMILY_VIEW,
        given_by=ConsentGiver.ELDER,
        given_on=first_day - datetime.timedelta(days=12),
        recipient="子女",
        evidence="社区工作者上门签字确认",
    )
    family_member_link(actor=admin, elder=elder, user=family, relation=Relation.CHILD)
    if complained is not None:
        complaint_from_family(actor=family, visit=complained[0], text=complained[1])


def _ratings(
    rng: random.Random,
    visits: list[Visit],
    now: datetime.datetime,
    family_elder: Elder | None,
    family: User | None,
) -> tuple[Visit, str] | None:
    """Ratings of the month's visits; returns the visit the family complains about."""
    ratings: list[VisitRating] = []
    complaint: tuple[Visit, str] | None = None
    for visit in visits:
        if visit.status not in (VisitStatus.CHECKED_OUT, VisitStatus.CONFIRMED):
            continue
        if visit.outcome != VisitOutcome.DONE or visit.check_out_at is None:
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
        ratings.append(
            VisitRating(
                visit=visit,
                stars=stars,
                comment=rng.choice(RATING_COMMENTS[stars]),
                rated_by=family if mine else None,
                at=at,
            )
        )
        if stars == 2 and mine and complaint is None:
            complaint = (visit, COMPLAINT_TEXT)
    VisitRating.objects.bulk_create(ratings, batch_size=500)
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
        if target is not None and target.check_out_at is not None:
            complaint = (target, "打扫得不够仔细，厨房灶台没有擦。")
    return complaint
