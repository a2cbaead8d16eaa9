"""The evaluator against every shared best-known solution, and against broken solutions."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from tests.scheduling.make import caregiver, double, problem, shared_hhcrsp, visit
from yiyang.scheduling.solver import evaluate
from yiyang.scheduling.solver.hhcrsp import read_problem, read_solution
from yiyang.scheduling.solver.model import Route, Solution, Stop, SyncKind

DATA = shared_hhcrsp()
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason=f"no benchmark data at {DATA}")


def published() -> dict[str, float]:
    costs = {}
    for source in ("mankowska", "kummer"):
        for line in (DATA / f"{source}_best.md").read_text().splitlines()[2:]:
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            costs[cells[5]] = float(cells[4])
    return costs


def solution_files() -> list[Path]:
    if not DATA.is_dir():
        return []
    return sorted((DATA / "solutions").glob("*/sol-*.json"))


@needs_data
def test_every_shared_solution_is_feasible_and_costs_what_was_published() -> None:
    costs = published()
    files = solution_files()
    assert len(files) == 129
    checked = 0
    for path in files:
        instance = re.sub(r"^sol-(.*)-\d+\.json$", r"\1.json", path.name)
        p = read_problem(DATA / path.parent.name / instance)
        evaluation = evaluate(p, read_solution(path, p))
        assert evaluation.violations == [], path.name
        assert evaluation.feasible, path.name
        if path.name in costs:  # the Kummer 10-patient solutions have no published value
            assert evaluation.benchmark_cost == pytest.approx(costs[path.name], abs=0.01), path.name
            checked += 1
    assert checked == 120


def two_visits() -> tuple:
    p = problem(
        [visit("v1", 10, window=(0, 20)), double("v2", 20, SyncKind.SIMULTANEOUS, window=(0, 50))],
        [caregiver("a"), caregiver("b", skills=("other",)), caregiver("c")],
    )
    good = Solution(
        (
            Route("a", (Stop("v1", 0, 10, 20), Stop("v2", 0, 30, 40))),
            Route("c", (Stop("v2", 1, 30, 40),)),
        )
    )
    return p, good


def test_a_valid_solution_has_no_violations_and_its_cost() -> None:
    p, good = two_visits()
    evaluation = evaluate(p, good)
    assert evaluation.violations == []
    assert (evaluation.travel, evaluation.total_lateness, evaluation.max_lateness) == (80, 0, 0)
    assert evaluation.benchmark_cost == 80 / 3


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        (lambda s: replace(s, routes=s.routes[:1]), "not done and not explained"),
        (lambda s: replace(s, routes=(s.routes[0], Route("b", s.routes[1].stops))), "lacks"),
        (lambda s: replace(s, routes=(*s.routes, Route("a", ()))), "has two routes"),
        (
            lambda s: replace(s, routes=(s.routes[0], Route("c", (Stop("v2", 1, 31, 41),)))),
            "simultaneous services start",
        ),
        (
            lambda s: replace(
                s, routes=(Route("a", (Stop("v1", 0, 10, 20), Stop("v2", 0, 25, 35))), s.routes[1])
            ),
            "cannot arrive before",
        ),
        (
            lambda s: replace(
                s,
                routes=(
                    Route(
                        "a", (Stop("v1", 0, 10, 20), Stop("v2", 0, 30, 40), Stop("v1", 0, 60, 70))
                    ),
                    s.routes[1],
                ),
            ),
            "done twice",
        ),
        (
            lambda s: replace(
                s, routes=(Route("a", (Stop("v1", 0, 5, 15), Stop("v2", 0, 30, 40))), s.routes[1])
            ),
            "starts before a's shift",
        ),
    ],
)
def test_each_hard_violation_is_reported(broken, message) -> None:
    p, good = two_visits()
    evaluation = evaluate(p, broken(good))
    assert not evaluation.feasible
    assert any(message in line for line in evaluation.violations), evaluation.violations


def test_lateness_is_measured_against_the_window_close() -> None:
    p, _ = two_visits()
    late = Solution(
        (
            Route("a", (Stop("v2", 0, 20, 30), Stop("v1", 0, 40, 50))),
            Route("c", (Stop("v2", 1, 20, 30),)),
        )
    )
    evaluation = evaluate(p, late)
    assert evaluation.violations == []
    assert (evaluation.total_lateness, evaluation.max_lateness) == (20, 20)
