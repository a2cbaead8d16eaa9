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


def run_one(job: tuple[str, str, float, int]) -> dict[str, Any]:
    solver, path, seconds, seed = job
    from yiyang.scheduling.solver import evaluate, solve
    from yiyang.scheduling.solver.baseline import solve_with_ortools
    from yiyang.scheduling.solver.hhcrsp import read_problem

    problem = read_problem(path)
    began = time.perf_counter()
    row: dict[str, Any] = {"solver": solver, "instance": Path(path).name}
    if solver == "ours":
        result = solve(problem, time_limit=seconds, seed=seed)
        solution = result.solution
        row["iterations"] = result.iterations
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


def main() -> int:
    args = parse()
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
    jobs = []
    for path in chosen:
        seconds = (60.0 if family(path.name)[1] >= 200 else 30.0) * args.time_scale
        jobs.append(("ours", str(path), seconds, args.seed))
        if not args.no_baseline:
            jobs.append(("ortools", str(path), seconds, args.seed))
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
                "mean_cost": round(statistics.mean(r["cost"] for r in mine if r.get("feasible")), 3)
                if any(r.get("feasible") for r in mine)
                else None,
            }
        seconds = 60.0 if int(name[1:]) >= 200 else 30.0
        summary["seconds"] = seconds * args.time_scale
        families[name] = summary

    print(f"{'family':<7} {'n':>3} {'s':>5} {'ours gap %':>11} {'OR-Tools gap %':>15} {'feasible':>9}",
          file=sys.stderr)  # fmt: skip
    for name, summary in families.items():
        ours, tools = summary.get("ours", {}), summary.get("ortools", {})
        print(
            f"{name:<7} {ours.get('instances', 0):>3} {summary['seconds']:>5.0f} "
            f"{ours.get('mean_gap_percent')!s:>11} {tools.get('mean_gap_percent')!s:>15} "
            f"{ours.get('feasible', 0)}/{tools.get('feasible', 0):<7}",
            file=sys.stderr,
        )
    result = {
        "benchmark": "hhcrsp",
        "subset": "all" if args.all else f"{args.per_family} per family after {args.offset}",
        "time_scale": args.time_scale, "jobs": args.jobs, "seed": args.seed,
        "families": families, "instances": rows, "machine": machine(),
    }  # fmt: skip
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
