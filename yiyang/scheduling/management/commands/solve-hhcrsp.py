"""``yiyang solve-hhcrsp INSTANCE.json --time-limit S [--seed N] [--out SOL.json]``

Solves one HHCRSP benchmark instance, checks the result with the independent evaluator and
prints one JSON line: cost, distance, total and max tardiness, feasibility, seconds.
Exit codes: 0 solved (see ``feasible``); 2 the instance cannot be read or is malformed.
"""

from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from yiyang.scheduling.solver import ProblemError, evaluate, solve
from yiyang.scheduling.solver.hhcrsp import read_problem, write_solution

EXIT_UNREADABLE = 2


class Command(BaseCommand):
    help = "Solve an HHCRSP benchmark instance (JSON) and print its figures as one JSON line."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("instance", help="instance file in the benchmark's JSON format")
        parser.add_argument("--time-limit", type=float, default=30.0, help="seconds (default 30)")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument(
            "--iterations", type=int, default=None, help="stop after this many iterations"
        )
        parser.add_argument("--out", help="write the solution here, in the benchmark's format")
        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            choices=(1, 2),
            help="search processes (2: a second search with the next seed, best plans shared)",
        )
        parser.add_argument(
            "--engine",
            default=None,
            choices=("compiled", "python"),
            help="compiled (Numba, the default) or python (the reference, far slower)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        began = time.perf_counter()
        if options["time_limit"] <= 0:
            raise CommandError("--time-limit must be positive", returncode=EXIT_UNREADABLE)
        try:
            problem = read_problem(options["instance"])
            result = solve(
                problem,
                time_limit=options["time_limit"],
                seed=options["seed"],
                max_iterations=options["iterations"],
                workers=options["workers"],
                engine=options["engine"],
            )
        except ProblemError as exc:
            raise CommandError(f"malformed instance: {exc}", returncode=EXIT_UNREADABLE) from None
        evaluation = evaluate(problem, result.solution)
        if options["out"]:
            try:
                write_solution(options["out"], result.solution, problem)
            except OSError as exc:
                raise CommandError(f"cannot write {options['out']}: {exc}", returncode=1) from None
        line = evaluation.as_dict() | {
            "seconds": round(time.perf_counter() - began, 3),
            "iterations": result.iterations,
            "seed": options["seed"],
            "workers": result.workers,
            "engine": result.engine,
        }
        if result.solution.unassigned:
            line["unassigned_visits"] = [
                {"visit": u.visit_id, "reason": str(u.reason), "detail": u.detail}
                for u in result.solution.unassigned
            ]
        if result.notes:
            line["notes"] = result.notes
        self.stdout.write(json.dumps(line))
