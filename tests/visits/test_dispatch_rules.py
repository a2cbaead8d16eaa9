"""The dispatch rules (``visits.dispatching.judge``) one by one, on plain facts: each rule's
code, its parameters and the visit it names."""

from __future__ import annotations

from django.utils import translation

from yiyang.visits import dispatching as rules
from yiyang.visits.dispatching import Booking, Need, Worker, judge, refusal_text

MONDAY, SUNDAY = 0, 6
H = 60.0


def worker(name: str = "胡强", pk: int = 1, **extra: object) -> Worker:
    values: dict[str, object] = {
        "pk": pk,
        "id": f"cg-{pk}",
        "name": name,
        "status": "active",
        "provider_id": 7,
        "skills": frozenset({"bathing"}),
        "certificates": {"elder_care_worker": "2030-01-01"},
        "work_days": frozenset(range(5)),
        "work_start": 8.5 * H,
        "work_end": 17.5 * H,
        "max_minutes": 480,
        "travel_mode": "car",
    }
    values.update(extra)
    return Worker(**values)  # type: ignore[arg-type]


def booking(
    vid: str,
    start: float,
    end: float,
    minutes: float,
    *,
    at: float | None = None,
    lat: float | None = 34.75,
    lng: float | None = 113.65,
    **extra: object,
) -> Booking:
    order = start if at is None else at
    return Booking(
        vid,
        max(start, order),
        end - minutes,
        minutes,
        order,
        lat,
        lng,
        minutes=int(minutes),
        service="助浴",
        elder=f"老年人{vid}",
        **extra,  # type: ignore[arg-type]
    )


def need(
    start: float, end: float, minutes: float, *, weekday: int = MONDAY, **extra: object
) -> Need:
    values: dict[str, object] = {
        "booking": booking("new", start, end, minutes),
        "weekday": weekday,
        "date": "2026-12-07",
        "provider_id": 7,
    }
    values.update(extra)
    return Need(**values)  # type: ignore[arg-type]


def codes(verdict: rules.Verdict) -> list[str]:
    return [r.code for r in verdict.refusals]


def test_a_free_caregiver_may_take_a_visit_and_it_starts_as_early_as_possible() -> None:
    verdict = judge(need(8 * H, 11 * H, 60), [worker()], {})
    assert verdict.ok and verdict.start == 8.5 * H  # the window opens before work starts


def test_a_day_off_is_told_apart_from_working_hours() -> None:
    verdict = judge(need(9 * H, 10 * H, 60, weekday=SUNDAY), [worker()], {})
    assert codes(verdict) == ["day_off"]
    assert verdict.refusals[0].params["weekday"] == SUNDAY
    with translation.override("en"):
        assert refusal_text(verdict.refusals[0]) == "Sunday is a day off for 胡强."
    with translation.override("zh-hans"):
        assert refusal_text(verdict.refusals[0]) == "星期日是 胡强 的休息日。"


def test_outside_working_hours_on_a_working_day() -> None:
    verdict = judge(need(22.5 * H, 23.5 * H, 60), [worker()], {})
    assert codes(verdict) == ["outside_hours"]
    assert verdict.refusals[0].params == {
        "work_start": "08:30",
        "work_end": "17:30",
        "window_start": "22:30",
        "window_end": "23:30",
        "duration": 60,
    }
    # a window that only partly lies in the working hours is fine when the service fits
    assert judge(need(17 * H, 19 * H, 30), [worker()], {}).ok
    assert codes(judge(need(17 * H, 19 * H, 45), [worker()], {})) == ["outside_hours"]


def test_an_overlap_counts_the_travel_and_names_the_visit_in_the_way() -> None:
    # 09:00-10:00 at one elder; the new visit 10:00-11:00 (60 min) 5 km away by car
    far = booking("other", 9 * H, 10 * H, 60, lat=34.75, lng=113.70)
    day = {1: [far]}
    verdict = judge(need(10 * H, 11 * H, 60), [worker()], day)
    assert codes(verdict) == ["double_booking"]
    refusal = verdict.refusals[0]
    assert refusal.conflict == "other"
    assert refusal.params["start"] == "09:00" and refusal.params["end"] == "10:00"
    assert refusal.params["travel"] == 14  # 4.6 km x 1.3 at 25 km/h
    # the same visit with a wider window fits after the travel
    travel = rules.travel_minutes(far, need(10 * H, 12 * H, 60).booking, "car")
    assert judge(need(10 * H, 12 * H, 60), [worker()], day).start == 10 * H + travel
    # on foot it takes longer still; at the same place it takes none
    near = booking("other", 9 * H, 10 * H, 60)
    assert judge(need(10 * H, 11 * H, 60), [worker()], {1: [near]}).ok


def test_the_conflict_named_is_the_visit_the_new_one_runs_into() -> None:
    early = booking("early", 8.5 * H, 9.5 * H, 60)
    late = booking("late", 11 * H, 12 * H, 60)
    blocked = booking("blocked", 9.5 * H, 11 * H, 90)
    day = {1: [early, late, blocked]}
    # 10:00-11:00 cannot go anywhere: "blocked" runs 09:30-11:00
    verdict = judge(need(10 * H, 11 * H, 60), [worker()], day)
    assert [(r.code, r.conflict) for r in verdict.refusals] == [("double_booking", "blocked")]


def test_a_later_visit_made_late_is_the_one_named() -> None:
    fixed_next = booking("next", 10 * H, 10 * H + 60, 60)  # must start at 10:00
    verdict = judge(need(9 * H, 11 * H, 90), [worker()], {1: [fixed_next]}, at=9 * H)
    assert [(r.code, r.conflict) for r in verdict.refusals] == [("double_booking", "next")]


def test_a_visit_already_late_without_the_new_one_is_not_its_fault() -> None:
    a = booking("a", 9 * H, 10 * H, 60)
    b = booking("b", 9 * H, 10 * H, 60)  # a and b cannot both be on time already
    verdict = judge(need(14 * H, 16 * H, 60), [worker()], {1: [a, b]})
    assert verdict.ok


def test_a_proposals_start_is_checked_at_that_time() -> None:
    other = booking("other", 9 * H, 12 * H, 60, at=10 * H)
    day = {1: [other]}
    assert judge(need(9 * H, 12 * H, 60), [worker()], day, at=9 * H).ok
    assert judge(need(9 * H, 12 * H, 60), [worker()], day, at=11 * H).ok
    refused = judge(need(9 * H, 12 * H, 60), [worker()], day, at=10.5 * H)
    assert [(r.code, r.conflict) for r in refused.refusals] == [("double_booking", "other")]


def test_skill_qualification_and_certificate() -> None:
    bath = need(9 * H, 11 * H, 60, skill="hoist_transfer", qualification="nurse")
    assert codes(judge(bath, [worker()], {})) == ["missing_skill", "missing_qualification"]
    expired = worker(certificates={"nurse": "2026-01-01"}, skills=frozenset({"hoist_transfer"}))
    verdict = judge(bath, [expired], {})
    assert codes(verdict) == ["expired_certificate"]
    assert verdict.refusals[0].params == {"qualification": "nurse", "date": "2026-01-01"}


def test_minutes_a_day() -> None:
    day = {1: [booking(str(i), (8.5 + i) * H, (9.5 + i) * H, 60) for i in range(8)]}
    verdict = judge(need(16.5 * H, 17.5 * H, 60), [worker()], day)
    assert "hours_exceeded" in codes(verdict)
    assert verdict.refusals[codes(verdict).index("hours_exceeded")].params == {
        "total": 540,
        "limit": 480,
    }


def test_a_double_up_needs_two_caregivers_who_can_start_together() -> None:
    two = need(9 * H, 12 * H, 60, needs_two=True)
    a, b = worker("胡强", 1), worker("胡强", 2)
    assert codes(judge(two, [a], {})) == ["caregiver_count"]
    assert judge(two, [a, b], {}).start == 9 * H
    # a is busy until 10:00, b from 10:00: each alone could, together they cannot
    day = {
        1: [booking("x", 9 * H, 10 * H, 60)],
        2: [booking("y", 10 * H, 11 * H, 60), booking("z", 11 * H, 12 * H, 60)],
    }
    verdict = judge(two, [a, b], day)
    assert judge(dataclasses_single(two), [a], day).ok
    assert judge(dataclasses_single(two), [b], day).ok
    assert codes(verdict) == ["not_together"]
    assert verdict.refusals[0].params["other"] == "胡强"


def dataclasses_single(two: Need) -> Need:
    import dataclasses

    return dataclasses.replace(two, needs_two=False)


def test_inactive_and_other_provider() -> None:
    verdict = judge(need(9 * H, 11 * H, 60), [worker(status="left", provider_id=8)], {})
    assert codes(verdict) == ["inactive", "other_provider"]
    with translation.override("en"):
        assert refusal_text(verdict.refusals[0]) == "胡强 is not in service (Left)."
