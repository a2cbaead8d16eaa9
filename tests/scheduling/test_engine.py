"""The compiled search against its pure-Python reference, and the two-process search.

Every run here is capped by iterations, except the clean-stop test, whose limit is a fraction
of a second by design.
"""

from __future__ import annotations

import multiprocessing
import time

import pytest

from tests.scheduling.make import caregiver, double, problem, shared_hhcrsp, visit
from tests.scheduling.test_solve import generated
from yiyang.scheduling.solver import evaluate, solve
from yiyang.scheduling.solver.hhcrsp import problem_from_json, read_problem
from yiyang.scheduling.solver.model import Break, Problem, SyncKind

DATA = shared_hhcrsp()
SAMPLE = [
    "mankowska/InstanzCPLEX_HCSRP_10_1.json",
    "mankowska/InstanzCPLEX_HCSRP_25_3.json",
    "kummer/HHCRSP_10_3_22_1.6_R_C.json",
    "kummer/HHCRSP_25_5_21_1.6_R_RC.json",
]


def _same(p: Problem, iterations: int, seed: int = 3) -> None:
    reference = solve(p, time_limit=600, seed=seed, max_iterations=iterations, engine="python")
    compiled = solve(p, time_limit=600, seed=seed, max_iterations=iterations, engine="compiled")
    assert reference.iterations == compiled.iterations == iterations
    assert reference.outcome is not None
    assert compiled.outcome is not None
    assert compiled.outcome == reference.outcome  # every figure, exactly
    assert compiled.solution == reference.solution


@pytest.mark.skipif(not DATA.is_dir(), reason="no benchmark data")
@pytest.mark.parametrize("name", SAMPLE)
def test_the_compiled_search_reaches_the_reference_s_costs_on_benchmark_instances(
    name: str,
) -> None:
    path = DATA / name
    if not path.exists():
        pytest.skip(f"{name} is not in the shared data")
    _same(read_problem(path), iterations=40)


def test_the_compiled_search_reaches_the_reference_s_costs_with_doubles_and_limits() -> None:
    _same(problem_from_json(generated(30, seed=4)), iterations=60, seed=9)


def test_the_compiled_search_reaches_the_reference_s_costs_with_breaks_and_shifts() -> None:
    lunch = (Break(60, 90),)
    p = problem(
        [visit(f"v{i}", 3 + 4 * i, window=(10 * i, 10 * i + 60)) for i in range(10)]
        + [
            double("s", 9, SyncKind.SIMULTANEOUS, window=(30, 120)),
            double("q", 17, SyncKind.SEQUENTIAL, window=(0, 200), gap=(20, 60)),
        ],
        [
            caregiver("a", shift_end=300.0, max_overtime=30.0, breaks=lunch),
            caregiver("b", shift_end=240.0, max_working_minutes=200.0),
            caregiver("c", shift_start=20.0, shift_end=400.0, breaks=lunch),
        ],
    )
    _same(p, iterations=60, seed=2)


def test_two_workers_capped_by_iterations_plan_feasibly_and_leave_no_process() -> None:
    p = problem_from_json(generated(25, seed=5))
    result = solve(p, time_limit=600, seed=1, max_iterations=40, workers=2)
    assert result.workers == 2
    # the second worker's iterations are counted once it hands in its plan
    assert result.iterations == 80
    evaluation = evaluate(p, result.solution)
    assert evaluation.feasible, evaluation.violations
    one = solve(p, time_limit=600, seed=1, max_iterations=40)
    assert result.outcome is not None
    assert one.outcome is not None
    assert result.outcome.cost <= one.outcome.cost + 1e-9
    assert multiprocessing.active_children() == []


def test_two_workers_stop_cleanly_at_the_time_limit() -> None:
    p = problem_from_json(generated(40, seed=2))
    began = time.perf_counter()
    result = solve(p, time_limit=0.4, seed=0, max_iterations=10**9, workers=2)
    elapsed = time.perf_counter() - began
    assert result.workers == 2
    assert elapsed < 0.4 + 1.5  # the limit, one chunk, and the hand-over
    assert multiprocessing.active_children() == []
    assert evaluate(p, result.solution).feasible


def test_an_unknown_engine_is_refused() -> None:
    p = problem([visit("a", 1)], [caregiver("c")])
    with pytest.raises(ValueError, match="unknown solver engine"):
        solve(p, max_iterations=1, engine="fortran")


def test_the_large_day_has_double_ups_skills_and_breaks_and_a_small_one_is_planned() -> None:
    from yiyang.scheduling.solver.synthetic import large_day

    day = large_day()
    assert (len(day.visits), len(day.caregivers)) == (500, 100)
    assert sum(1 for v in day.visits if v.sync and v.sync.kind == SyncKind.SIMULTANEOUS) > 30
    assert sum(1 for v in day.visits if v.sync and v.sync.kind == SyncKind.SEQUENTIAL) > 5
    assert {s for v in day.visits for r in v.requirements for s in r.skills} == {
        "care",
        "nursing",
        "rehab",
    }
    assert all(len(c.breaks) == 1 for c in day.caregivers)
    small = large_day(visits=40, caregivers=10, seed=1)
    result = solve(small, time_limit=600, seed=0, max_iterations=60)
    evaluation = evaluate(small, result.solution)
    assert not evaluation.violations, evaluation.violations
    assert evaluation.unassigned == 0
