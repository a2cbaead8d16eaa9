"""Adaptive large neighbourhood search with simulated-annealing acceptance.

Solutions are caregiver routes of tasks. Start times are never stored in the search state:
the schedule computes the earliest feasible start of every task for given routes, with
synchronised pairs scheduled together (a pair is scheduled when both caregivers have reached
it; a cycle of waiting caregivers is solved by longest-path propagation or is infeasible).
Because lateness only grows with start times, the earliest schedule is the best one for
fixed routes.

Repair inserts removed visits one by one: every position of every capable caregiver is
scored by a cheap estimate (extra travel, the visit's own lateness, the lateness pushed onto
the next visit), and only the best few candidates are scheduled exactly.

The loops live in the ``kernels`` package over flat arrays, compiled by Numba
(``engine="compiled"``, the default) or interpreted (``engine="python"``, the reference):
both take the same steps and reach the same costs for the same seed and iteration count.
This module runs the search in chunks of iterations between looks at the clock, and with
``workers=2`` a second search (another seed) in a forked process; the two exchange their
best plans every ``SHARE_SECONDS`` and both stop at the time limit.

Determinism: every decision uses the kernels' own generator seeded from ``seed``; the clock
only stops the search (``max_iterations`` stops it independently of the clock). With two
workers the exchange depends on timing, so only one worker is deterministic.
"""

# ruff: noqa: N803, N806
from __future__ import annotations

import hashlib
import math
import multiprocessing
import os
import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from yiyang.scheduling.solver.compiled import Compiled, compile_problem
from yiyang.scheduling.solver.model import (
    Problem,
    Route,
    Solution,
    Stop,
    Unassigned,
    UnassignedReason,
)

INF = math.inf
ENGINES = ("compiled", "python")
CHUNK_SECONDS = 0.05  # iterations run between looks at the clock
SHARE_SECONDS = 1.0  # how often two workers exchange their best plans...
# ...once this share of the time has passed: until then they search independently, from
# different seeds, so that they do not settle in the same basin (issue 22's spread)
INDEPENDENT_SHARE = 0.6
CANDIDATES = 5  # caregivers whose best position is kept per task
STOP_GRACE = 2.0  # seconds the second worker gets to hand in its plan after the limit
KICK_SHARE = 0.3  # after a cycle with no new best, remove this share at random (0: never)


@dataclass
class Outcome:
    cost: float
    travel: float
    total_lateness: float
    max_lateness: float
    overtime: float
    continuity_misses: int


@dataclass
class SearchResult:
    solution: Solution
    outcome: Outcome | None
    iterations: int
    seconds: float
    notes: list[str] = field(default_factory=list)
    # (seconds since the start, best weighted cost) at each improvement seen by this process
    history: list[tuple[float, float]] = field(default_factory=list)
    first_plan_seconds: float = 0.0
    workers: int = 1
    engine: str = "compiled"


_reference: ModuleType | None = None


def kernels(engine: str) -> ModuleType:
    """The compiled kernels package, or the same source loaded as plain Python."""
    global _reference
    from yiyang.scheduling.solver import kernels as compiled  # nothing compiles on import

    if engine == "compiled":
        return compiled
    if engine != "python":
        raise ValueError(f"unknown solver engine {engine!r}; expected one of {ENGINES}")
    if _reference is None:
        _reference = compiled.load_reference()
    return _reference


_warm_seconds: float | None = None
_warming = False


def warm_up() -> float:
    """Compile the kernels (or load them from Numba's on-disk cache) by solving a tiny
    problem; the seconds it took, 0 once done in this process. Several processes may call it
    at once: one compiles while the others wait on a lock file, then load its cache."""
    global _warm_seconds, _warming
    if _warm_seconds is not None or _warming:
        return 0.0
    import fcntl

    from yiyang.scheduling.solver.synthetic import tiny_problems

    began = time.perf_counter()
    where = hashlib.sha256(str(Path(__file__).resolve().parent).encode()).hexdigest()[:12]
    lock_path = Path(tempfile.gettempdir()) / f"yiyang-solver-kernels-{where}.lock"
    try:
        handle = open(lock_path, "a+")  # noqa: SIM115 - held across the compile
    except OSError:
        handle = None
    _warming = True
    try:
        if handle is not None:
            fcntl.flock(handle, fcntl.LOCK_EX)
        for each in tiny_problems():
            solve(each, time_limit=60.0, seed=0, max_iterations=3, engine="compiled")
    finally:
        _warming = False
        if handle is not None:
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()
    _warm_seconds = time.perf_counter() - began
    return _warm_seconds


def default_engine() -> str:
    return os.environ.get("YIYANG_SOLVER_ENGINE", "compiled")


def _matrices(c: Compiled) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Travel matrices (one per travel mode in use), their transposes, and each caregiver's."""
    unique: dict[int, int] = {}
    mats_list: list[np.ndarray] = []
    mode = np.zeros(c.n_caregivers, np.int64)
    for k, m in enumerate(c.matrix):
        if id(m) not in unique:
            unique[id(m)] = len(mats_list)
            mats_list.append(np.array(m, dtype=np.float64))
        mode[k] = unique[id(m)]
    n_nodes = mats_list[0].shape[0] if mats_list else 1
    mats = np.stack(mats_list) if mats_list else np.zeros((0, n_nodes, n_nodes))
    return mats, np.ascontiguousarray(mats.transpose(0, 2, 1)), mode


def _related(
    c: Compiled, plannable: np.ndarray, vt: np.ndarray, row: np.ndarray | None, width: int = 30
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Visit-to-visit relatedness for the Shaw removal: travel plus window distance."""
    i64 = np.int64
    related = np.zeros((len(plannable), width), i64)
    rel_len = np.zeros(len(plannable), i64)
    related_index = np.full(len(c.visit_tasks), -1, i64)
    if len(plannable) and row is not None:
        firsts = vt[plannable, 0]
        nodes = np.array(c.node, dtype=i64)[firsts]
        opens = np.array(c.opens, dtype=np.float64)[firsts]
        for a in range(len(plannable)):
            keyed = row[nodes[a], nodes] + 0.5 * np.abs(opens[a] - opens)
            order = np.lexsort((plannable, keyed))
            order = order[order != a][:width]
            rel_len[a] = len(order)
            related[a, : len(order)] = plannable[order]
            related_index[plannable[a]] = a
    return related, rel_len, related_index


def build_problem(km: ModuleType, c: Compiled) -> Any:
    """The kernels' problem tuple from the compiled problem."""
    T, K = c.n_tasks, c.n_caregivers
    V = len(c.visit_tasks)
    f64 = np.float64
    i64 = np.int64
    mats, matst, mode = _matrices(c)
    allowed_ptr = np.zeros(T + 1, i64)
    flat: list[int] = []
    for t in range(T):
        flat.extend(c.allowed[t])
        allowed_ptr[t + 1] = len(flat)
    has_pref = np.zeros(T, np.int8)
    pref_ok = np.zeros((T, max(K, 1)), np.int8)
    for t in range(T):
        pref = c.preferred[t]
        if pref is not None:
            has_pref[t] = 1
            for k in pref:
                pref_ok[t, k] = 1
    br_ptr = np.zeros(K + 1, i64)
    br_s: list[float] = []
    br_e: list[float] = []
    for k in range(K):
        for b0, b1 in c.breaks[k]:
            br_s.append(b0)
            br_e.append(b1)
        br_ptr[k + 1] = len(br_s)
    vt = np.full((V, 2), -1, i64)
    vn = np.zeros(V, i64)
    for v, tasks in enumerate(c.visit_tasks):
        vn[v] = len(tasks)
        for x, t in enumerate(tasks):
            vt[v, x] = t
    plannable = np.array([v for v in range(V) if c.visit_tasks[v]], dtype=i64)
    related, rel_len, related_index = _related(c, plannable, vt, mats[mode[0]] if K else None)
    w = c.problem.weights
    weights = np.array(
        [w.travel, w.lateness, w.max_lateness, w.overtime, w.continuity, w.unassigned], f64
    )
    has_limits = any(math.isfinite(e) for e in c.shift_end) or any(
        math.isfinite(m) for m in c.max_work
    )
    # tuning, measured on the Mankowska and Kummer instances (docs/benchmarks.md)
    candidates = CANDIDATES  # caregivers whose best position is kept per task
    exact = 5  # candidates evaluated exactly per visit
    q_cap = 30  # at most this many visits removed per iteration...
    cycle = 4000  # iterations per cooling cycle
    ip = np.array(
        [candidates, exact, q_cap, cycle, int(any(c.breaks)), int(has_limits),
         int(bool(has_pref.any())), 0], i64,
    )  # fmt: skip
    lookback = 120.0  # skip positions before visits starting this long before the window
    q_share = 0.25  # ...and at most this share of them
    t_factor = 0.004  # starting temperature, as a share of the first plan's cost
    noise_share = 0.5  # share of repairs with noise
    noise_factor = 0.4  # noise amplitude, as a share of the mean travel between places
    noise_scale = noise_factor * float(mats[mode[0]].mean()) if K and mats.size else 0.0
    fp = np.array([lookback, q_share, t_factor, noise_share, noise_scale, KICK_SHARE], f64)
    return km.Prob(
        np.array(c.node, i64), np.array(c.duration, f64), np.array(c.opens, f64),
        np.array(c.closes, f64), np.array(c.hard_latest, f64), np.array(c.partner, i64),
        np.array(c.kind, i64), np.array(c.is_first, i64), np.array(c.min_gap, f64),
        np.array(c.max_gap, f64), allowed_ptr, np.array(flat, i64), has_pref, pref_ok,
        np.array(c.start_node, i64), np.array(c.end_node, i64), np.array(c.shift_start, f64),
        np.array(c.shift_end, f64), np.array(c.hard_end, f64), np.array(c.max_work, f64),
        br_ptr, np.array(br_s, f64), np.array(br_e, f64), mats, matst, mode, vt, vn,
        np.array(c.task_visit, i64), plannable, related, rel_len, related_index,
        weights, ip, fp,
    )  # fmt: skip


def build_state(km: ModuleType, c: Compiled, seed: int) -> Any:
    T, K, V = c.n_tasks, c.n_caregivers, len(c.visit_tasks)
    f64, i64 = np.float64, np.int64
    width = T + 1
    size = CANDIDATES + 6  # positions kept per task, with room for the pairs' second best
    options = size * size + 4
    rng = random.Random(seed)  # noqa: S311 - search decisions, not secrets
    words = np.array([rng.getrandbits(32) for _ in range(4)], i64)
    if not words.any():
        words[0] = 1
    return km.State(
        R=np.zeros((K, width), i64), L=np.zeros(K, i64), route_of=np.full(max(T, 1), -1, i64),
        uns=np.zeros(V, np.int8), start=np.zeros(T, f64), wait=np.full(T, -1, i64),
        ready=np.zeros(T, f64), idx=np.zeros(T, i64), slack=np.zeros(T, f64),
        chain=np.ones(T, i64), rover=np.zeros(K, f64), last=np.zeros(6, f64),
        iv=np.zeros(16, i64), fs=np.zeros(8, f64), rng=words,
        ns_val=np.zeros(T, f64), ns_stamp=np.zeros(T, i64), ns_list=np.zeros(T + 2, i64),
        new_k=np.zeros(T, i64), new_i=np.zeros(T, i64), new_stamp=np.zeros(T, i64),
        at_i=np.zeros(K, i64), at_t=np.zeros(K, i64), at_stamp=np.zeros(K, i64),
        rdy=np.zeros(T, f64), ext=np.zeros(5, f64), bns_list=np.zeros(T + 2, i64),
        bns_val=np.zeros(T + 2, f64), bext=np.zeros(5, f64), run_pos=np.zeros(K, i64),
        run_cur=np.zeros(K, f64), run_last=np.zeros(K, i64),
        run_stack=np.zeros(K + T + 1, i64), owner=np.zeros(T, i64), succ=np.zeros(T, i64),
        queue=np.zeros(51 * T + 200, i64), cur_R=np.zeros((K, width), i64),
        cur_L=np.zeros(K, i64), cur_uns=np.zeros(V, np.int8),
        best_R=np.zeros((K, width), i64), best_L=np.zeros(K, i64),
        best_uns=np.zeros(V, np.int8), weights=np.ones(4, f64), scores=np.zeros(4, f64),
        uses=np.zeros(4, i64), trace_it=np.zeros(100_000, i64),
        trace_cost=np.zeros(100_000, f64), removed=np.zeros(V + 1, i64),
        in_removed=np.zeros(V, np.int8), tmark=np.zeros(T, np.int8),
        pos_s=np.zeros((2, size)), pos_k=np.zeros((2, size), i64),
        pos_w=np.zeros((2, size), i64), pos_x=np.zeros((2, size)), opt_s=np.zeros(options),
        opt_t=np.zeros((options, 2), i64), opt_k=np.zeros((options, 2), i64),
        opt_i=np.zeros((options, 2), i64),
    )  # fmt: skip


class _Runner:
    """One search on this process: construction, then chunks of iterations."""

    def __init__(self, km: ModuleType, c: Compiled, seed: int, P: Any | None = None) -> None:
        self.km = km
        self.P = P if P is not None else build_problem(km, c)
        self.S = build_state(km, c, seed)
        self.iterations = 0
        self.reported = 0
        self.chunk = 1

    def construct(self) -> float:
        """The first plan: visits inserted by opening time, and again the hardest first (pairs,
        then the visits fewest caregivers may do); the better of the two."""
        km, P, S = self.km, self.P, self.S
        P.ip[km.IP_ORDER] = 0
        by_time = float(km.search_init(P, S))
        P.ip[km.IP_ORDER] = 1
        hardest = float(km.search_init(P, S))
        if hardest < by_time - 1e-9:
            return hardest
        P.ip[km.IP_ORDER] = 0
        return float(km.search_init(P, S))

    @property
    def best_cost(self) -> float:
        return float(self.S.fs[self.km.FS_BEST_COST])

    def step(self, deadline: float, max_iterations: int | None) -> bool:
        """One chunk; False when the search is over (limit or iteration cap)."""
        if max_iterations is not None and self.iterations >= max_iterations:
            return False
        now = time.perf_counter()
        if now >= deadline:
            return False
        n = self.chunk
        if max_iterations is not None:
            n = min(n, max_iterations - self.iterations)
        self.km.search_chunk(self.P, self.S, n)
        spent = time.perf_counter() - now
        self.iterations += n
        per = max(spent / n, 1e-7)
        left = max(deadline - time.perf_counter(), 0.0)
        self.chunk = max(1, min(int(CHUNK_SECONDS / per), int(left / per) + 1, 4 * n))
        return True

    def new_improvements(self) -> list[tuple[int, float]]:
        km, S = self.km, self.S
        n = int(S.iv[km.IV_NTRACE])
        found = [(int(S.trace_it[i]), float(S.trace_cost[i])) for i in range(self.reported, n)]
        self.reported = n
        return found

    def best(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        """The best plan, routes cut to the longest (sent between the two workers: whole
        rows of a 500-visit day overfilled the pipe while both sent, and both waited)."""
        S = self.S
        width = max(1, int(S.best_L.max(initial=0)))
        R = np.array(S.best_R[:, :width])  # a C-contiguous copy
        return R, S.best_L.copy(), S.best_uns.copy(), self.best_cost

    def adopt(self, R: np.ndarray, L: np.ndarray, uns: np.ndarray) -> None:
        self.km.adopt(self.P, self.S, R, L, uns)


def _second_worker(
    conn: Any, engine: str, c: Compiled, seed: int, deadline: float,
    max_iterations: int | None, first_share: float,
) -> None:  # fmt: skip
    """The forked worker: its own search, the best plan sent on each exchange and at the end."""
    try:
        runner = _Runner(kernels(engine), c, seed)
        runner.construct()
        sent = INF
        next_share = first_share
        while runner.step(deadline, max_iterations):
            if conn.poll():
                message = conn.recv()
                if message[0] == "stop":
                    break
                runner.adopt(*message[1:4])
            if time.perf_counter() >= next_share:
                next_share += SHARE_SECONDS
                if runner.best_cost < sent - 1e-9:
                    sent = runner.best_cost
                    conn.send(("best", *runner.best()))
        conn.send(("done", *runner.best(), runner.iterations))
    except (EOFError, BrokenPipeError, KeyboardInterrupt):
        pass
    finally:
        conn.close()


def solve(
    problem: Problem,
    *,
    time_limit: float = 30.0,
    seed: int = 0,
    max_iterations: int | None = None,
    progress: Callable[[int, float], None] | None = None,
    engine: str | None = None,
    workers: int = 1,
) -> SearchResult:
    """Plan ``problem``; stops at ``time_limit`` seconds or ``max_iterations``, whichever first.

    The first complete plan is built before the clock is looked at, so a very short limit
    still returns one. ``progress(iteration, weighted_cost)`` is called on each improvement
    (after each chunk of iterations). ``workers=2`` runs a second search with seed
    ``seed + 1`` on another process (Linux, fork) and returns the better plan.
    """
    engine = engine or default_engine()
    if engine == "compiled":
        warm_up()  # loading (compiling, once per machine) the kernels is not search time
    began = time.perf_counter()
    deadline = began + time_limit
    km = kernels(engine)
    c = compile_problem(problem)
    runner = _Runner(km, c, seed)
    history: list[tuple[float, float]] = []

    def seen() -> None:
        for iteration, cost in runner.new_improvements():
            history.append((time.perf_counter() - began, cost))
            if progress is not None:
                progress(iteration, cost)
        if history and runner.best_cost < history[-1][1] - 1e-9:  # adopted from the other
            history.append((time.perf_counter() - began, runner.best_cost))

    first_share = began + INDEPENDENT_SHARE * time_limit
    channel, child = None, None
    if workers >= 2 and c.n_tasks and "fork" in multiprocessing.get_all_start_methods():
        channel, child = _fork(engine, c, seed + 1, deadline, max_iterations, first_share)
    workers = 2 if child is not None else 1
    first_cost = runner.construct()
    first_plan = time.perf_counter() - began
    if math.isfinite(first_cost):
        history.append((first_plan, first_cost))
    iterations_other: int | None = None  # known once the second worker has handed in
    sent = INF
    next_share = first_share
    try:
        while runner.step(deadline, max_iterations):
            seen()
            if channel is not None and iterations_other is None:
                iterations_other = _receive(runner, channel)
                seen()
                if iterations_other is None and time.perf_counter() >= next_share:
                    next_share += SHARE_SECONDS
                    if runner.best_cost < sent - 1e-9:
                        sent = runner.best_cost
                        channel.send(("best", *runner.best()))
        seen()
        if channel is not None and child is not None and iterations_other is None:
            iterations_other = _collect(runner, channel, child)
            seen()
    finally:
        if child is not None and child.is_alive():
            child.terminate()
            child.join(1.0)
        if channel is not None:
            channel.close()
    solution, outcome = _solution(problem, c, runner)
    return SearchResult(
        solution,
        outcome,
        runner.iterations + (iterations_other or 0),
        time.perf_counter() - began,
        list(c.notes),
        history,
        first_plan,
        workers,
        engine,
    )


def _solution(problem: Problem, c: Compiled, runner: _Runner) -> tuple[Solution, Outcome | None]:
    """The runner's best plan, timed, with every visit left out explained."""
    km, S, P = runner.km, runner.S, runner.P
    R, L, uns, _ = runner.best()
    km.schedule(P, S, R, L, int(uns.sum()))
    last = S.last
    outcome = (
        Outcome(float(last[0]), float(last[1]), float(last[2]), float(last[3]),
                float(last[4]), int(last[5]))
        if S.iv[km.IV_LAST_OK] else None
    )  # fmt: skip
    start = S.start
    solution_routes = []
    for k, caregiver in enumerate(problem.caregivers):
        stops = []
        for j in range(int(L[k])):
            t = int(R[k, j])
            v = c.task_visit[t]
            s = float(start[t])
            stops.append(Stop(problem.visits[v].id, c.task_requirement[t], s, s + c.duration[t]))
        solution_routes.append(Route(caregiver.id, tuple(stops)))
    explained = []
    for v, visit in enumerate(problem.visits):
        if v in c.explained:
            reason, detail = c.explained[v]
            explained.append(Unassigned(visit.id, reason, detail))
        elif uns[v]:
            explained.append(
                Unassigned(
                    visit.id,
                    UnassignedReason.NO_FEASIBLE_INSERTION,
                    "every capable caregiver's day is full: inserting it breaks a hard limit "
                    "(maximum lateness, shift end, working minutes or synchronisation)",
                )
            )
    return Solution(tuple(solution_routes), tuple(explained)), outcome


def _fork(
    engine: str, c: Compiled, seed: int, deadline: float, max_iterations: int | None,
    first_share: float,
) -> tuple[Any, Any]:  # fmt: skip
    """The second worker, forked (it inherits the compiled problem and kernels)."""
    context = multiprocessing.get_context("fork")
    channel, theirs = context.Pipe()
    child = context.Process(
        target=_second_worker,
        args=(theirs, engine, c, seed, deadline, max_iterations, first_share),
        daemon=True,
    )
    child.start()
    theirs.close()
    return channel, child


def _receive(runner: _Runner, channel: Any) -> int | None:
    """Adopt what the second worker sent so far; its iterations once it is done (or 0 when
    it is gone without a word), else None."""
    try:
        while channel.poll():
            message = channel.recv()
            runner.adopt(*message[1:4])
            if message[0] == "done":
                return int(message[5])
    except (EOFError, OSError):
        return 0
    return None


def _collect(runner: _Runner, channel: Any, child: Any) -> int:
    """The second worker's final plan (adopted when better) and its iterations; 0 if it
    does not answer within the grace period (it is then stopped)."""
    waited = time.perf_counter() + STOP_GRACE
    while time.perf_counter() < waited:
        if not channel.poll(max(0.0, waited - time.perf_counter())):
            break
        try:
            message = channel.recv()
        except EOFError:
            break
        if message[0] == "best":
            runner.adopt(*message[1:4])
        elif message[0] == "done":
            runner.adopt(*message[1:4])
            child.join(STOP_GRACE)
            return int(message[5])
    return 0


def schedule_routes(c: Compiled, routes: list[list[int]]) -> dict[int, float] | None:
    """The earliest start of every task on fixed routes (tasks of ``c``); None when the
    routes cannot be scheduled."""
    km = kernels(default_engine())
    P, S = build_problem(km, c), build_state(km, c, 0)
    for k, route in enumerate(routes):
        S.L[k] = len(route)
        S.R[k, : len(route)] = route
    if not km.schedule(P, S, S.R, S.L, 0):
        return None
    return {t: float(S.start[t]) for route in routes for t in route}
