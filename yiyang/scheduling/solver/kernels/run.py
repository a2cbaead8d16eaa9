"""The search's entry points called from Python: the first plan, chunks of destroy-and-repair
iterations with simulated-annealing acceptance, and the adoption of another process's plan.

Each entry point takes the problem and state tuples once through ``unowned`` (see
``base._unowned``), so that nothing below it counts references.
"""

# ruff: noqa: N803, N806
from __future__ import annotations

import math
from typing import Any

import numpy as np

from yiyang.scheduling.solver.kernels.base import (
    FP_KICK,
    FP_QSHARE,
    FP_TFACTOR,
    FS_BEST_COST,
    FS_CUR_COST,
    FS_TEMP0,
    INF,
    IP_CYCLE,
    IP_ORDER,
    IP_QCAP,
    IV_BEST_NUNS,
    IV_CUR_NUNS,
    IV_ITER,
    IV_LAST_BEST,
    IV_NTRACE,
    IV_NUNS,
    IV_QMAX,
    IV_QMIN,
    copy_plan,
    fill,
    inline,
    jit,
    rng_below,
    rng_random,
    stable_order,
    unowned,
)
from yiyang.scheduling.solver.kernels.destroy import destroy
from yiyang.scheduling.solver.kernels.repair import insert_visit, repair
from yiyang.scheduling.solver.kernels.schedule import sched_run


@inline
def load_routes(P: Any, S: Any) -> None:
    """Work routes := the current ones, with route_of and the unassigned marks."""
    copy_plan(S.R, S.L, S.uns, S.cur_R, S.cur_L, S.cur_uns)
    S.iv[IV_NUNS] = S.iv[IV_CUR_NUNS]
    for k in range(S.L.shape[0]):
        for j in range(S.L[k]):
            S.route_of[S.R[k, j]] = k
    for v in range(S.uns.shape[0]):
        if S.uns[v]:
            for x in range(P.vn[v]):
                S.route_of[P.vt[v, x]] = -1


@jit
def search_init(P: Any, S: Any) -> float:
    """The first complete plan (by earliest window), which becomes current and best."""
    P = unowned(P)
    S = unowned(S)
    R, L = S.R, S.L
    fill(L, 0)
    fill(S.uns, 0)
    fill(S.route_of, -1)
    S.iv[IV_NUNS] = 0
    sched_run(P, S, R, L, 0)
    visits = P.plannable.copy()
    n = visits.shape[0]
    keys = np.empty(n)
    for j in range(n):
        keys[j] = -float(P.vn[visits[j]])
    visits = visits[stable_order(keys)]
    for j in range(n):
        keys[j] = P.opens[P.vt[visits[j], 0]]
    visits = visits[stable_order(keys)]
    if P.ip[IP_ORDER] == 1:
        # the hardest first: pairs, then the visits fewest caregivers may do
        for j in range(n):
            v = visits[j]
            t = P.vt[v, 0]
            keys[j] = float(P.allowed_ptr[t + 1] - P.allowed_ptr[t]) - 1000.0 * P.vn[v]
        visits = visits[stable_order(keys)]
    pending = n
    for j in range(n):
        v = visits[j]
        pending -= 1
        if insert_visit(P, S, R, L, v, pending + S.iv[IV_NUNS] + 1) == INF:
            S.uns[v] = 1
            S.iv[IV_NUNS] += 1
    ok = sched_run(P, S, R, L, S.iv[IV_NUNS])
    cost = S.last[0] if ok else INF
    copy_plan(S.cur_R, S.cur_L, S.cur_uns, R, L, S.uns)
    S.iv[IV_CUR_NUNS] = S.iv[IV_NUNS]
    copy_plan(S.best_R, S.best_L, S.best_uns, R, L, S.uns)
    S.iv[IV_BEST_NUNS] = S.iv[IV_NUNS]
    S.fs[FS_CUR_COST] = cost
    S.fs[FS_BEST_COST] = cost
    S.fs[FS_TEMP0] = P.fp[FP_TFACTOR] * cost if cost < INF else 1.0
    fill(S.weights, 1.0)
    fill(S.scores, 0.0)
    fill(S.uses, 0)
    S.iv[IV_ITER] = 0
    S.iv[IV_LAST_BEST] = 0
    S.iv[IV_NTRACE] = 0
    S.iv[IV_QMAX] = max(2, min(P.ip[IP_QCAP], int(P.fp[FP_QSHARE] * n) + 1))
    S.iv[IV_QMIN] = min(2, n)
    return cost


@inline
def to_best(S: Any, cost: float) -> None:
    copy_plan(S.best_R, S.best_L, S.best_uns, S.R, S.L, S.uns)
    S.iv[IV_BEST_NUNS] = S.iv[IV_NUNS]
    S.fs[FS_BEST_COST] = cost


@inline
def to_current(S: Any, cost: float) -> None:
    copy_plan(S.cur_R, S.cur_L, S.cur_uns, S.R, S.L, S.uns)
    S.iv[IV_CUR_NUNS] = S.iv[IV_NUNS]
    S.fs[FS_CUR_COST] = cost


@inline
def best_to_current(S: Any) -> None:
    copy_plan(S.cur_R, S.cur_L, S.cur_uns, S.best_R, S.best_L, S.best_uns)
    S.iv[IV_CUR_NUNS] = S.iv[IV_BEST_NUNS]
    S.fs[FS_CUR_COST] = S.fs[FS_BEST_COST]


@jit
def search_chunk(P: Any, S: Any, n_iter: int) -> int:
    """Run n_iter destroy-and-repair iterations from the saved state; the iterations done."""
    P = unowned(P)
    S = unowned(S)
    if P.plannable.shape[0] == 0:
        return 0
    g = S.rng
    ops = 4
    cycle = P.ip[IP_CYCLE]
    weights, scores, uses = S.weights, S.scores, S.uses
    q_min, q_max = S.iv[IV_QMIN], S.iv[IV_QMAX]
    for _ in range(n_iter):
        iteration = S.iv[IV_ITER]
        phase = (iteration % cycle) / cycle
        kick = False
        if iteration and iteration % cycle == 0:
            best_to_current(S)
            S.fs[FS_TEMP0] *= 0.5
            # a whole cycle without a new best: restart from the best shaken by a large
            # random removal (issue 22's seed-to-seed spread; off when FP_KICK is 0)
            kick = P.fp[FP_KICK] > 0 and S.iv[IV_LAST_BEST] <= iteration - cycle
        temperature = S.fs[FS_TEMP0] * (0.01**phase)
        load_routes(P, S)
        total = 0.0
        for o in range(ops):
            total += weights[o]
        pick = rng_random(g) * total
        op = 0
        while op < ops - 1 and pick > weights[op]:
            pick -= weights[op]
            op += 1
        q = q_min + rng_below(g, q_max - q_min + 1)
        if kick:
            op = 0
            q = max(q_max, int(P.fp[FP_KICK] * P.plannable.shape[0]))
        nuns = S.iv[IV_NUNS]
        if op == 2:
            sched_run(P, S, S.R, S.L, nuns)
        nrem = destroy(P, S, S.R, S.L, op, q)
        sched_run(P, S, S.R, S.L, nuns + nrem)
        ok = repair(P, S, S.R, S.L, nrem)
        cost = S.last[0] if ok else INF
        uses[op] += 1
        if cost < S.fs[FS_BEST_COST] - 1e-9:
            to_best(S, cost)
            nt = S.iv[IV_NTRACE]
            if nt < S.trace_it.shape[0]:
                S.trace_it[nt] = iteration
                S.trace_cost[nt] = cost
                S.iv[IV_NTRACE] = nt + 1
            best_to_current(S)
            scores[op] += 5
            S.iv[IV_LAST_BEST] = iteration
        elif kick and cost < INF:
            to_current(S, cost)
        elif cost < S.fs[FS_CUR_COST] - 1e-9:
            to_current(S, cost)
            scores[op] += 2
        elif cost < INF and rng_random(g) < math.exp(
            -(cost - S.fs[FS_CUR_COST]) / max(temperature, 1e-9)
        ):
            to_current(S, cost)
            scores[op] += 1
        iteration += 1
        S.iv[IV_ITER] = iteration
        if iteration % 100 == 0:
            for o in range(ops):
                if uses[o]:
                    weights[o] = 0.8 * weights[o] + 0.2 * max(0.05, scores[o] / uses[o])
                scores[o] = 0.0
                uses[o] = 0
    return n_iter


@jit
def adopt(P: Any, S: Any, R: Any, L: Any, uns: Any) -> float:
    """Take routes found elsewhere (another process) as best and current if they are better."""
    P = unowned(P)
    S = unowned(S)
    copy_plan(S.R, S.L, S.uns, R, L, uns)
    nuns = 0
    for v in range(uns.shape[0]):
        if uns[v]:
            nuns += 1
    S.iv[IV_NUNS] = nuns
    for k in range(L.shape[0]):
        for j in range(L[k]):
            S.route_of[R[k, j]] = k
    ok = sched_run(P, S, S.R, S.L, nuns)
    cost = S.last[0] if ok else INF
    if cost < S.fs[FS_BEST_COST] - 1e-9:
        to_best(S, cost)
        best_to_current(S)
    return cost
