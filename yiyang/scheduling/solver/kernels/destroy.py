"""Destroy: the removal operators that take visits off the routes before a repair.

Four operators, chosen by their adaptive weights in ``run.search_chunk``: random, related
(Shaw: near in space and time to a seed visit), worst (the removal saving the most travel
and lateness) and a stretch of consecutive visits of one caregiver.
"""

# ruff: noqa: N803, N806
from __future__ import annotations

from typing import Any

import numpy as np

from yiyang.scheduling.solver.kernels.base import (
    IV_NUNS,
    inline,
    jit,
    rng_below,
    rng_random,
    stable_order,
    unowned,
)


@jit
def destroy(P: Any, S: Any, R: Any, L: Any, op: int, q: int) -> int:
    """Remove q visits chosen by operator op into S.removed; the count."""
    P = unowned(P)  # borrowed again: see base._unowned
    S = unowned(S)
    g = S.rng
    assigned = np.empty(P.plannable.shape[0], np.int64)
    na = assigned_visits(P, S, assigned)
    if na == 0:
        return 0
    q = min(q, na)
    removed = S.removed
    nrem = 0
    if op == 0:  # random
        for i in range(q):
            j = i + rng_below(g, na - i)
            assigned[i], assigned[j] = assigned[j], assigned[i]
            removed[nrem] = assigned[i]
            nrem += 1
    elif op == 1:
        nrem = destroy_related(P, S, g, assigned, na, q)
    elif op == 2:
        nrem = destroy_worst(P, S, R, L, g, assigned, na, q)
    else:
        nrem = destroy_stretch(P, S, R, L, g, q)
    remove_visits(P, S, R, L, nrem)
    return nrem


@inline
def destroy_related(P: Any, S: Any, g: Any, assigned: Any, na: int, q: int) -> int:
    """Related removal (Shaw): visits near in space and time to a random seed visit."""
    removed = S.removed
    nrem = 0
    seed = left_out_seed(P, S, g)
    if seed < 0:
        seed = assigned[rng_below(g, na)]
        removed[0] = seed
        nrem = 1
    r = P.related_index[seed]
    for x in range(P.rel_len[r]):
        v = P.related[r, x]
        if S.route_of[P.vt[v, 0]] < 0:
            continue
        if nrem >= q:
            break
        if rng_random(g) < 0.8:
            removed[nrem] = v
            nrem += 1
    return nrem


@inline
def destroy_worst(P: Any, S: Any, R: Any, L: Any, g: Any, assigned: Any, na: int, q: int) -> int:
    """Worst removal: the visits whose removal saves the most travel and lateness (with
    noise)."""
    vt = P.vt
    removed = S.removed
    gains = np.empty(na)
    for a in range(na):
        v = assigned[a]
        gain = 0.0
        for x in range(P.vn[v]):
            t = vt[v, x]
            k = S.route_of[t]
            i = S.idx[t]
            m = P.mode[k]
            prev = P.node[R[k, i - 1]] if i else P.start_node[k]
            nxt = P.node[R[k, i + 1]] if i + 1 < L[k] else P.end_node[k]
            nd = P.node[t]
            gain += P.mats[m, prev, nd] + P.mats[m, nd, nxt] - P.mats[m, prev, nxt]
            gain += max(0.0, S.start[t] - P.closes[t])
        gains[a] = -(gain * (0.7 + 0.6 * rng_random(g)))
    perm = stable_order(gains)
    for x in range(q):
        removed[x] = assigned[perm[x]]
    return q


@inline
def destroy_stretch(P: Any, S: Any, R: Any, L: Any, g: Any, q: int) -> int:
    """A stretch of consecutive visits of one caregiver."""
    removed = S.removed
    nrem = 0
    K = L.shape[0]
    nbusy = 0
    for k in range(K):
        if L[k]:
            nbusy += 1
    pick = rng_below(g, nbusy)
    k = 0
    for kk in range(K):
        if L[kk]:
            if pick == 0:
                k = kk
                break
            pick -= 1
    n = L[k]
    length = min(n, q)
    first = rng_below(g, n - length + 1)
    for x in range(first, first + length):
        v = P.task_visit[R[k, x]]
        seen = False
        for y in range(nrem):
            if removed[y] == v:
                seen = True
                break
        if not seen:
            removed[nrem] = v
            nrem += 1
    return nrem


@inline
def remove_visits(P: Any, S: Any, R: Any, L: Any, nrem: int) -> None:
    removed = S.removed
    gone = S.tmark
    for j in range(nrem):
        v = removed[j]
        for x in range(P.vn[v]):
            gone[P.vt[v, x]] = 2
    for j in range(nrem):
        v = removed[j]
        for x in range(P.vn[v]):
            t = P.vt[v, x]
            k = S.route_of[t]
            if k >= 0 and gone[t] == 2:
                n = L[k]
                w = 0
                for q in range(n):
                    u = R[k, q]
                    if gone[u] != 2:
                        R[k, w] = u
                        w += 1
                L[k] = w
            S.route_of[t] = -1
    for j in range(nrem):
        v = removed[j]
        for x in range(P.vn[v]):
            gone[P.vt[v, x]] = 0


@inline
def assigned_visits(P: Any, S: Any, out: Any) -> int:
    """The visits on a route into out; their count."""
    na = 0
    for v in P.plannable:
        if S.route_of[P.vt[v, 0]] >= 0:
            out[na] = v
            na += 1
    return na


@inline
def left_out_seed(P: Any, S: Any, g: Any) -> int:
    """Half of the time when visits are left out, one of them (the related removal then
    makes room where it would go); else -1."""
    nuns = S.iv[IV_NUNS]
    if nuns == 0 or rng_random(g) >= 0.5:
        return -1
    pick = rng_below(g, nuns)
    for v in P.plannable:
        if S.uns[v]:
            if pick == 0:
                return v
            pick -= 1
    return -1
