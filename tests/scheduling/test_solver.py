"""The solver on tiny hand-made problems: each constraint of the model, one test each."""

from __future__ import annotations

import math

from tests.scheduling.make import caregiver, double, problem, visit
from yiyang.scheduling.solver import evaluate, solve
from yiyang.scheduling.solver.model import (
    Break,
    Gender,
    Problem,
    Solution,
    SyncKind,
    UnassignedReason,
    Weights,
)


def starts(solution: Solution) -> dict[tuple[str, int], tuple[str, float]]:
    return {
        (stop.visit_id, stop.requirement): (route.caregiver_id, stop.start)
        for route in solution.routes
        for stop in route.stops
    }


def run(p: Problem, iterations: int = 200) -> Solution:
    result = solve(p, time_limit=20, seed=1, max_iterations=iterations)
    evaluation = evaluate(p, result.solution)
    assert evaluation.violations == []
    return result.solution


def test_skill_decides_the_caregiver() -> None:
    p = problem(
        [visit("bath", 5, skills=("bathing",)), visit("meal", 6, skills=("cooking",))],
        [caregiver("a", ("cooking",)), caregiver("b", ("bathing",))],
    )
    assert starts(run(p)) == {("bath", 0): ("b", 5.0), ("meal", 0): ("a", 6.0)}


def test_a_caregiver_waits_for_the_window_to_open() -> None:
    p = problem([visit("v", 5, window=(60, 90))], [caregiver("a")])
    assert starts(run(p))[("v", 0)] == ("a", 60.0)


def test_lateness_is_soft_and_costs_what_it_is() -> None:
    # two visits at the same place and time window: one of them is necessarily late by 10 min
    p = problem([visit("v1", 5, window=(0, 5)), visit("v2", 5, window=(0, 5))], [caregiver("a")])
    solution = run(p)
    evaluation = evaluate(p, solution)
    assert (evaluation.travel, evaluation.total_lateness, evaluation.max_lateness) == (10, 10, 10)
    assert evaluation.benchmark_cost == 10.0


def test_maximum_lateness_is_hard() -> None:
    p = problem(
        [
            visit("v1", 5, window=(0, 5), max_lateness=0),
            visit("v2", 5, window=(0, 5), max_lateness=0),
        ],
        [caregiver("a")],
    )
    result = solve(p, time_limit=20, seed=1, max_iterations=50)
    assert len(result.solution.unassigned) == 1
    assert result.solution.unassigned[0].reason == UnassignedReason.NO_FEASIBLE_INSERTION
    assert evaluate(p, result.solution).violations == []


def test_simultaneous_visit_starts_together_with_two_caregivers() -> None:
    p = problem(
        [double("hoist", 10, SyncKind.SIMULTANEOUS), visit("early", 30, window=(0, 0))],
        [caregiver("a"), caregiver("b")],
    )
    found = starts(run(p))
    (who0, at0), (who1, at1) = found[("hoist", 0)], found[("hoist", 1)]
    assert who0 != who1
    assert at0 == at1


def test_sequential_visit_respects_the_minimum_gap() -> None:
    p = problem(
        [double("meds", 10, SyncKind.SEQUENTIAL, gap=(30, 45))], [caregiver("a"), caregiver("b")]
    )
    found = starts(run(p))
    assert found[("meds", 1)][1] - found[("meds", 0)][1] == 30


def test_sequential_visit_delays_the_first_service_to_meet_the_maximum_gap() -> None:
    # the second caregiver is busy far away until late, so the first must start later too
    p = problem(
        [
            double("meds", 10, SyncKind.SEQUENTIAL, gap=(0, 5), skills=("care", "nurse")),
            visit("far", 100, window=(0, 0), skills=("nurse",)),
        ],
        [caregiver("a", ("care",)), caregiver("n", ("nurse",))],
    )
    found = starts(run(p))
    first, second = found[("meds", 0)][1], found[("meds", 1)][1]
    assert 0 <= second - first <= 5
    assert first >= 190 - 5


def test_excluded_caregiver_is_never_sent() -> None:
    p = problem(
        [visit("v", 5, excluded_caregivers=frozenset({"a"}))],
        [caregiver("a"), caregiver("b", shift_start=100)],
    )
    assert starts(run(p))[("v", 0)][0] == "b"


def test_gender_preference_is_respected() -> None:
    p = problem(
        [visit("v", 5, gender_preference=Gender.FEMALE)],
        [caregiver("m", gender=Gender.MALE), caregiver("f", gender=Gender.FEMALE)],
    )
    assert starts(run(p))[("v", 0)][0] == "f"


def test_continuity_prefers_the_usual_caregiver_when_weighted() -> None:
    visits = [visit("v", 5, preferred_caregivers=frozenset({"usual"}))]
    carers = [caregiver("other"), caregiver("usual", shift_start=20)]
    weights = Weights(continuity=100.0)
    assert starts(run(problem(visits, carers, weights)))[("v", 0)][0] == "usual"
    # without the weight the earlier, otherwise equal caregiver is just as good: no preference
    cost = evaluate(problem(visits, carers), run(problem(visits, carers)))
    assert cost.benchmark_cost == 10 / 3


def test_shift_start_and_end_bound_the_day() -> None:
    p = problem(
        [visit("v1", 10, window=(0, 0)), visit("v2", 10, window=(0, 0))],
        [caregiver("a", shift_start=50, shift_end=200), caregiver("b", shift_end=35)],
    )
    found = starts(run(p))
    assert found[("v1", 0)][0] != found[("v2", 0)][0]
    assert sorted(at for _, at in found.values()) == [10.0, 60.0]


def test_overtime_and_working_minutes_are_limited_and_costed() -> None:
    p = problem(
        [visit("v", 50, duration=30)],
        [caregiver("a", shift_end=100, max_overtime=60, max_working_minutes=140)],
        Weights(overtime=2.0),
    )
    solution = run(p)
    evaluation = evaluate(p, solution)
    assert evaluation.overtime == 30  # back at 130, shift ends at 100: 30 minutes over
    assert evaluation.weighted_cost(p) == 100 + 2 * 30
    # 130 working minutes do not fit in 120: the visit cannot be planned, and it says why
    tight = problem(
        [visit("v", 50, duration=30)],
        [caregiver("a", shift_end=100, max_overtime=60, max_working_minutes=120)],
    )
    result = solve(tight, time_limit=5, seed=1, max_iterations=10)
    assert [u.reason for u in result.solution.unassigned] == [UnassignedReason.SHIFT_TOO_SHORT]


def test_breaks_are_not_worked_through() -> None:
    p = problem(
        [visit("v", 5, window=(0, 100), duration=20)], [caregiver("a", breaks=(Break(0, 30),))]
    )
    assert starts(run(p))[("v", 0)][1] == 30


def test_travel_mode_picks_the_matrix() -> None:
    from tests.scheduling.make import at, office
    from yiyang.scheduling.solver.model import Caregiver, TravelMode
    from yiyang.scheduling.solver.travel import GreatCircleTravelTime

    here, there = office(), at(1)
    here = type(here)("office", 31.23, 121.47)
    there = type(there)("x1", 31.24, 121.47)  # about 1.1 km north
    p = problem([visit("v", 1)], [])
    walker = Caregiver("w", frozenset({"care"}), here, here, travel_mode=TravelMode.WALK)
    p = Problem(
        (visit("v", 1, window=(0, 0)).__class__(**{**visit("v", 1).__dict__, "location": there}),),
        (walker,),
        GreatCircleTravelTime(),
    )
    found = starts(run(p))
    minutes = found[("v", 0)][1]
    assert math.isclose(minutes, 1.112 * 1.3 / 4.5 * 60, rel_tol=0.01)


def test_unassigned_weight_prefers_lateness_to_leaving_a_visit_out() -> None:
    p = problem([visit("v1", 5, window=(0, 5)), visit("v2", 5, window=(0, 5))], [caregiver("a")])
    assert run(p).unassigned == ()
