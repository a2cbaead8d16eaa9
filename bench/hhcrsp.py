#!/usr/bin/env python
"""HHCRSP benchmark: our solver and an OR-Tools routing baseline against the best-known values.

    .venv/bin/python bench/hhcrsp.py [--all] [--per-family 2] [--jobs 1] [--time-scale 1.0]

Reads the shared instances (``$YIYANG_SHARED_DIR/bench/hhcrsp`` or ``../shared/bench/hhcrsp``
next to the repository). Families: Mankowska 10/25/50/75/100/200/300 patients and Kummer
10/25/50/75/100/200. Time per instance and per solver: 30 s up to 100 patients, 60 s for 200
and 300 (``--time-scale`` multiplies both, for quick runs). By default the first
``--per-family`` instances of each family in natural order (after ``--offset``); ``--all``
runs every instance.
Every solution is checked by the independent evaluator; a gap counts only feasible solutions.
With ``--jobs 2`` the two solvers of an instance run side by side, one core each.
Prints a per-family table to stderr and one JSON object as the last line of stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# bench/ itself must not be on the path: bench/coverage.py would shadow the coverage package
# that Numba imports
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from bench.machine import machine as machine_info  # noqa: E402


def data_dir() -> Path:
    shared = Path(os.environ.get("YIYANG_SHARED_DIR", ROOT / ".." / "shared"))
    return (shared / "bench" / "hhcrsp").resolve()


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--all", action="store_true", help="every shared instance")
    parser.add_argument("--per-family", type=int, default=2)
    parser.add_argument("--offset", type=int, default=0, help="skip this many per family first")
    parser.add_argument("--families", default="", help="comma-separated, e.g. M100,K50")
    parser.add_argument("--time-scale", type=float, default=1.0)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--workers", type=int, default=1, help="our search's processes (1 or 2)")
    parser.add_argument("--engine", default="compiled", help="compiled (Numba) or python")
    parser.add_argument(
        "--speed",
        type=int,
        default=0,
        metavar="N",
        help="instead of gaps: iterations per second over N iterations per instance",
    )
    parser.add_argument(
        "--before",
        default="",
        metavar="COMMIT",
        help="with --speed: also time the search as it was at this git commit",
    )
    parser.add_argument(
        "--large",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="instead: the generated 500-visit, 100-caregiver day for SECONDS",
    )
    return parser.parse_args()


def machine() -> dict[str, Any]:
    import ortools

    return machine_info(ortools=ortools.__version__)


def family(name: str) -> tuple[str, int]:
    if name.startswith("Instanz"):
        size = int(re.search(r"_HCSRP_(\d+)_", name).group(1))  # type: ignore[union-attr]
        return f"M{size}", size
    size = int(name.split("_")[1])
    return f"K{size}", size


def natural(name: str) -> list[Any]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def best_known(base: Path) -> dict[str, tuple[float, str]]:
    """Instance file name -> (best cost, where it comes from)."""
    from yiyang.scheduling.solver import evaluate
    from yiyang.scheduling.solver.hhcrsp import read_problem, read_solution

    best: dict[str, tuple[float, str]] = {}
    for source in ("mankowska", "kummer"):
        table = base / f"{source}_best.md"
        for line in table.read_text().splitlines()[2:]:
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            best[cells[0]] = (float(cells[4]), "published")
        for path in sorted((base / "solutions" / source).glob("sol-*.json")):
            instance = re.sub(r"^sol-(.*)-\d+\.json$", r"\1.json", path.name)
            if instance not in best:
                problem = read_problem(base / source / instance)
                cost = evaluate(problem, read_solution(path, problem)).benchmark_cost
                best[instance] = (cost, "shared solution")
    return best


def run_one(job: tuple[str, str, float, int, int, str]) -> dict[str, Any]:
    solver, path, seconds, seed, workers, engine = job
    from yiyang.scheduling.solver import evaluate, solve
    from yiyang.scheduling.solver.baseline import solve_with_ortools
    from yiyang.scheduling.solver.hhcrsp import read_problem
    from yiyang.scheduling.solver.model import Solution

    problem = read_problem(path)
    began = time.perf_counter()
    row: dict[str, Any] = {"solver": solver, "instance": Path(path).name}
    solution: Solution | None
    if solver == "ours":
        result = solve(problem, time_limit=seconds, seed=seed, workers=workers, engine=engine)
        solution = result.solution
        row["iterations"] = result.iterations
        row["iterations_per_second"] = round(result.iterations / max(result.seconds, 1e-9), 1)
        row["first_plan_seconds"] = round(result.first_plan_seconds, 3)
    else:
        baseline = solve_with_ortools(problem, time_limit=seconds)
        solution = baseline.solution
        row["status"] = baseline.status
    row["seconds"] = round(time.perf_counter() - began, 2)
    if solution is None:
        row.update(cost=None, feasible=False)
        return row
    evaluation = evaluate(problem, solution)
    row.update(evaluation.as_dict())
    if evaluation.violations:
        row["violations"] = evaluation.violations[:3]
    return row


def old_search(commit: str) -> Any:
    """The search module as it was at ``commit`` (for before/after speed figures)."""
    import importlib.util
    import subprocess
    import tempfile

    source = subprocess.run(
        ["git", "show", f"{commit}:yiyang/scheduling/solver/search.py"],  # noqa: S607
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "search_before.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("search_before", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["search_before"] = module
    spec.loader.exec_module(module)
    return module


def speed(chosen: list[Path], args: argparse.Namespace) -> dict[str, Any]:
    """Iterations per second, the same iterations and seed, before and after."""
    from yiyang.scheduling.solver import search
    from yiyang.scheduling.solver.hhcrsp import read_problem

    search.warm_up()
    before = old_search(args.before) if args.before else None
    rows = []
    for path in chosen:
        problem = read_problem(path)
        row: dict[str, Any] = {"instance": path.name, "iterations": args.speed}
        runs = [("after", args.engine)]
        if before is not None:
            runs.insert(0, ("before", "old"))
        for label, engine in runs:
            load = os.getloadavg()[0]
            began = time.perf_counter()
            if engine == "old":
                assert before is not None
                result = before.solve(
                    problem, time_limit=1e9, seed=args.seed, max_iterations=args.speed
                )
            else:
                result = search.solve(
                    problem,
                    time_limit=1e9,
                    seed=args.seed,
                    max_iterations=args.speed,
                    engine=engine,
                )
            spent = time.perf_counter() - began
            row[label] = {
                "seconds": round(spent, 3),
                "per_second": round(args.speed / spent, 1),
                "cost": round(result.outcome.cost, 3) if result.outcome else None,
                "load_average": round(load, 2),
            }
        if before is not None:
            row["ratio"] = round(row["after"]["per_second"] / row["before"]["per_second"], 2)
        rows.append(row)
        print(json.dumps(row), file=sys.stderr)
    ratios = [r["ratio"] for r in rows if "ratio" in r]
    return {
        "benchmark": "hhcrsp-speed",
        "iterations": args.speed,
        "seed": args.seed,
        "engine": args.engine,
        "before": args.before or None,
        "instances": rows,
        "mean_ratio": round(statistics.mean(ratios), 2) if ratios else None,
        "machine": machine(),
    }


def large(args: argparse.Namespace) -> dict[str, Any]:
    """The generated large day: time to the first feasible plan, cost over time, memory."""
    import resource

    from yiyang.scheduling.solver import evaluate, search
    from yiyang.scheduling.solver.synthetic import large_day

    search.warm_up()
    problem = large_day()
    load = os.getloadavg()[0]
    result = search.solve(
        problem, time_limit=args.large, seed=args.seed, workers=args.workers, engine=args.engine
    )
    evaluation = evaluate(problem, result.solution)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peak_child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    first_feasible = next((t for t, cost in result.history if cost < 1e5), None)
    return {
        "benchmark": "hhcrsp-large-day",
        "visits": len(problem.visits),
        "caregivers": len(problem.caregivers),
        "seconds": args.large,
        "workers": result.workers,
        "iterations": result.iterations,
        "first_plan_seconds": round(result.first_plan_seconds, 2),
        "first_all_assigned_seconds": round(first_feasible, 2) if first_feasible else None,
        "cost_over_time": [(round(t, 2), round(c, 1)) for t, c in result.history],
        "final": evaluation.as_dict(),
        "overtime": round(evaluation.overtime, 1),
        "violations": evaluation.violations[:3],
        "peak_rss_mb": round(peak_mb, 1),
        "peak_rss_child_mb": round(peak_child_mb, 1),
        "load_average_at_start": round(load, 2),
        "machine": machine(),
    }


def main() -> int:
    args = parse()
    if args.large:
        print(json.dumps(large(args)))
        return 0
    base = data_dir()
    if not base.is_dir():
        print(f"no benchmark data at {base}", file=sys.stderr)
        return 2
    best = best_known(base)
    chosen: list[Path] = []
    wanted = {f.strip() for f in args.families.split(",") if f.strip()}
    for source in ("mankowska", "kummer"):
        groups: dict[str, list[Path]] = {}
        for path in sorted((base / source).glob("*.json"), key=lambda p: natural(p.name)):
            groups.setdefault(family(path.name)[0], []).append(path)
        for name, paths in sorted(groups.items(), key=lambda kv: (kv[0][0], int(kv[0][1:]))):
            if wanted and name not in wanted:
                continue
            chosen.extend(paths if args.all else paths[args.offset : args.offset + args.per_family])
    if args.speed:
        print(json.dumps(speed(chosen, args)))
        return 0
    jobs = []
    for path in chosen:
        seconds = (60.0 if family(path.name)[1] >= 200 else 30.0) * args.time_scale
        jobs.append(("ours", str(path), seconds, args.seed, args.workers, args.engine))
        if not args.no_baseline:
            jobs.append(("ortools", str(path), seconds, args.seed, 1, ""))
    rows: list[dict[str, Any]] = []
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        for row in pool.map(run_one, jobs):
            reference, origin = best.get(row["instance"], (None, "none"))
            row["best_known"] = reference
            row["best_known_from"] = origin
            row["gap_percent"] = (
                round((row["cost"] - reference) / reference * 100, 3)
                if row.get("feasible") and reference
                else None
            )
            rows.append(row)
            print(json.dumps(row), file=sys.stderr)

    families: dict[str, dict[str, Any]] = {}
    for name in dict.fromkeys(family(path.name)[0] for path in chosen):
        summary: dict[str, Any] = {}
        for solver in ("ours", "ortools"):
            mine = [r for r in rows if r["solver"] == solver and family(r["instance"])[0] == name]
            if not mine:
                continue
            gaps = [r["gap_percent"] for r in mine if r["gap_percent"] is not None]
            summary[solver] = {
                "instances": len(mine),
                "feasible": sum(1 for r in mine if r.get("feasible")),
                "mean_gap_percent": round(statistics.mean(gaps), 2) if gaps else None,
                "max_gap_percent": round(max(gaps), 2) if gaps else None,
                "mean_iterations_per_second": round(
                    statistics.mean(r["iterations_per_second"] for r in mine), 1
                )
                if solver == "ours"
                else None,
                "mean_cost": round(statistics.mean(r["cost"] for r in mine if r.get("feasible")), 3)
                if any(r.get("feasible") for r in mine)
                else None,
            }
        seconds = 60.0 if int(name[1:]) >= 200 else 30.0
        summary["seconds"] = seconds * args.time_scale
        families[name] = summary

    print(
        f"{'family':<7} {'n':>3} {'s':>5} {'ours gap %':>11} {'max %':>7} {'OR-Tools gap %':>15} "
        f"{'feasible':>9}",
        file=sys.stderr,
    )
    for name, summary in families.items():
        ours, tools = summary.get("ours", {}), summary.get("ortools", {})
        print(
            f"{name:<7} {ours.get('instances', 0):>3} {summary['seconds']:>5.0f} "
            f"{ours.get('mean_gap_percent')!s:>11} {ours.get('max_gap_percent')!s:>7} "
            f"{tools.get('mean_gap_percent')!s:>15} "
            f"{ours.get('feasible', 0)}/{tools.get('feasible', 0):<7}",
            file=sys.stderr,
        )
    result = {
        "benchmark": "hhcrsp",
        "subset": "all" if args.all else f"{args.per_family} per family after {args.offset}",
        "time_scale": args.time_scale,
        "jobs": args.jobs,
        "seed": args.seed,
        "workers": args.workers,
        "engine": args.engine,
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "families": families,
        "instances": rows,
        "machine": machine(),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
