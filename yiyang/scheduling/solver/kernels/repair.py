"""Repair: every visit removed put back at its best place, estimated first, then tried.

``positions`` scores every position of every capable caregiver for a task by a cheap
estimate (extra travel, the task's own lateness, the lateness pushed onto the next task);
``insert_visit`` tries the best few options exactly (``insertion.try_insert``) and commits
the cheapest.
"""

# ruff: noqa: N803, N806
from __future__ import annotations

from typing import Any

import numpy as np

from yiyang.scheduling.solver.kernels.base import (
    FP_LOOKBACK,
    FP_NOISE_SCALE,
    FP_NOISE_SHARE,
    FS_NOISE,
    INF,
    IP_CANDIDATES,
    IP_EXACT,
    IV_NUNS,
    SIMULTANEOUS,
    inline,
    jit,
    rng_below,
    rng_random,
    stable_order,
    unowned,
)
from yiyang.scheduling.solver.kernels.insertion import commit, keep_best_ns, try_insert
from yiyang.scheduling.solver.kernels.schedule import sched_run


@jit
def before(sa: Any, ka: Any, wa: Any, xa: Any, i: int, j: int) -> bool:
    """Tuple order (score, caregiver, position, start) of entries i and j."""
    if sa[i] != sa[j]:
        return sa[i] < sa[j]
    if ka[i] != ka[j]:
        return ka[i] < ka[j]
    if wa[i] != wa[j]:
        return wa[i] < wa[j]
    return xa[i] < xa[j]


@jit
def sort_entries(sa: Any, ka: Any, wa: Any, xa: Any, n: int) -> None:
    for i in range(1, n):
        j = i
        while j > 0 and before(sa, ka, wa, xa, j, j - 1):
            sa[j], sa[j - 1] = sa[j - 1], sa[j]
            ka[j], ka[j - 1] = ka[j - 1], ka[j]
            wa[j], wa[j - 1] = wa[j - 1], wa[j]
            xa[j], xa[j - 1] = xa[j - 1], xa[j]
            j -= 1


@inline
def positions(
    P: Any, S: Any, R: Any, L: Any, t: int, banned: int, sa: Any, ka: Any, wa: Any, xa: Any
) -> int:
    """Best (estimate, caregiver, position, estimated start) for task t, sorted; the count.
    The estimate: extra travel, the task's own lateness, the lateness pushed onto the next."""
    start, node, dur, slack, chain = S.start, P.node, P.dur, S.slack, S.chain
    nx = node[t]
    ox, cx, dx = P.opens[t], P.closes[t], dur[t]
    wt, wl = P.w[0], P.w[1]
    nb_ = 0
    limit = INF
    paired = P.partner[t] >= 0
    keep = P.ip[IP_CANDIDATES] + (2 if paired else 0)
    target = ox - P.fp[FP_LOOKBACK]
    for a in range(P.allowed_ptr[t], P.allowed_ptr[t + 1]):
        k = P.allowed_idx[a]
        if k == banned:
            continue
        m = P.mode[k]
        n = L[k]
        first = first_position(start, R, k, n, target)
        ll = P.start_node[k]
        dep = P.shift_start[k]
        if first:
            a0 = R[k, first - 1]
            ll = node[a0]
            dep = start[a0] + dur[a0]
        # the best position on this route, and for synchronised tasks the second best
        # too: the best alone can miss the order that fits the partner's gap
        best_here = second = limit
        where = where2 = -1
        at_start = at2 = 0.0
        for i in range(first, n + 1):
            to_x = P.matst[m, nx, ll]
            arr = dep + to_x
            s = arr if arr > ox else ox
            late = s - cx
            late = wl * late if late > 0 else 0.0
            if late >= (second if paired else best_here):
                break
            if i < n:
                b = R[k, i]
                nb = node[b]
                extra = to_x + P.mats[m, nx, nb] - P.mats[m, ll, nb]
                sb = start[b]
                push = s + dx + P.mats[m, nx, nb] - sb
                if push > 0:
                    over = push - slack[b]
                    if over > 0:
                        late += wl * over * chain[b]
                    late += 0.05 * push
                score = wt * extra + late
                ll = nb
                dep = sb + dur[b]
            else:
                end = P.end_node[k]
                score = wt * (to_x + P.mats[m, nx, end] - P.mats[m, ll, end]) + late
            if score < best_here:
                second, where2, at2 = best_here, where, at_start
                best_here, where, at_start = score, i, s
            elif paired and score < second:
                second, where2, at2 = score, i, s
        if where >= 0:
            sa[nb_], ka[nb_], wa[nb_], xa[nb_] = best_here, k, where, at_start
            nb_ += 1
            if paired and where2 >= 0:
                sa[nb_], ka[nb_], wa[nb_], xa[nb_] = second, k, where2, at2
                nb_ += 1
            if nb_ > keep:
                sort_entries(sa, ka, wa, xa, nb_)
                nb_ = keep
                limit = sa[nb_ - 1]
    sort_entries(sa, ka, wa, xa, nb_)
    return nb_


@inline
def first_position(start: Any, R: Any, k: int, n: int, target: float) -> int:
    """The position before the first of caregiver k's n tasks that starts at or after
    target (the window's opening less the lookback). Takes arrays, not the state: it runs
    once per caregiver, and each array passed is a reference count (see base._unowned)."""
    lo = 0
    hi = n
    while lo < hi:
        mid = (lo + hi) // 2
        if start[R[k, mid]] < target:
            lo = mid + 1
        else:
            hi = mid
    first = lo
    if first:
        first -= 1
    return first


@jit
def insert_visit(P: Any, S: Any, R: Any, L: Any, v: int, nuns: int) -> float:
    """Insert visit v at its best evaluated place; INF when nowhere feasible."""
    P = unowned(P)  # borrowed again: see base._unowned
    S = unowned(S)
    ntasks = P.vn[v]
    # scratch: positions of each task, then options (score and up to two task, caregiver,
    # position); preallocated in the state because allocations here would dominate
    sa, ka, wa, xa = S.pos_s[0], S.pos_k[0], S.pos_w[0], S.pos_x[0]
    osc, ot, ok_, oi = S.opt_s, S.opt_t, S.opt_k, S.opt_i
    no = 0
    if ntasks == 1:
        t = P.vt[v, 0]
        n = positions(P, S, R, L, t, -1, sa, ka, wa, xa)
        for j in range(n):
            osc[no] = sa[j]
            ot[no, 0], ok_[no, 0], oi[no, 0] = t, ka[j], wa[j]
            no += 1
    else:
        a, b = P.vt[v, 0], P.vt[v, 1]
        sb, kb, wb, xb = S.pos_s[1], S.pos_k[1], S.pos_w[1], S.pos_x[1]
        na = positions(P, S, R, L, a, -1, sa, ka, wa, xa)
        nb = positions(P, S, R, L, b, -1, sb, kb, wb, xb)
        simultaneous = P.kind[a] == SIMULTANEOUS
        for x in range(na):
            for y in range(nb):
                if ka[x] == kb[y]:
                    continue
                if simultaneous:
                    mismatch = abs(xa[x] - xb[y])
                else:
                    gap = xb[y] - xa[x]
                    mismatch = max(0.0, P.gmin[a] - gap, gap - P.gmax[a])
                score = sa[x] + sb[y] + mismatch
                # stable insertion by score
                j = no
                while j > 0 and osc[j - 1] > score:
                    osc[j] = osc[j - 1]
                    ot[j, 0], ok_[j, 0], oi[j, 0] = ot[j - 1, 0], ok_[j - 1, 0], oi[j - 1, 0]
                    ot[j, 1], ok_[j, 1], oi[j, 1] = ot[j - 1, 1], ok_[j - 1, 1], oi[j - 1, 1]
                    j -= 1
                osc[j] = score
                ot[j, 0], ok_[j, 0], oi[j, 0] = a, ka[x], wa[x]
                ot[j, 1], ok_[j, 1], oi[j, 1] = b, kb[y], wb[y]
                no += 1
        if no == 0 and na > 0:
            # every good position of both tasks was on the same caregiver: spread them
            nb = positions(P, S, R, L, b, ka[0], sb, kb, wb, xb)
            for y in range(min(nb, 2)):
                osc[no] = sa[0] + sb[y]
                ot[no, 0], ok_[no, 0], oi[no, 0] = a, ka[0], wa[0]
                ot[no, 1], ok_[no, 1], oi[no, 1] = b, kb[y], wb[y]
                no += 1
    best_cost = INF
    best = -1
    noise = S.fs[FS_NOISE]
    best_key = INF
    exact = P.ip[IP_EXACT]
    for o in range(no):
        if o >= exact and best >= 0:
            break
        # noise (Ropke and Pisinger) keeps the repair from rebuilding the same plan
        jitter = (2.0 * rng_random(S.rng) - 1.0) * noise if noise else 0.0
        found = try_insert(P, S, R, L, ot[o], ok_[o], oi[o], ntasks, nuns, best_key - jitter)
        if found < INF and found + jitter < best_key:
            best_cost = found
            best_key = best_cost + jitter
            best = o
            keep_best_ns(S)
    if best < 0:
        return INF
    commit(P, S, R, L, ot[best], ok_[best], oi[best], ntasks, nuns)
    return best_cost


@inline
def order_removed(P: Any, S: Any, nrem: int) -> None:
    """S.removed[:nrem] in the order of one of three rules drawn at random: by window
    opening, shuffled, or the pairs first and then by window closing."""
    g = S.rng
    order = rng_below(g, 3)
    removed = S.removed
    if order == 0:
        keys = np.empty(nrem)
        for j in range(nrem):
            keys[j] = P.opens[P.vt[removed[j], 0]]
        perm = stable_order(keys)
        removed[:nrem] = removed[:nrem][perm]
    elif order == 1:
        for i in range(nrem - 1, 0, -1):
            j = rng_below(g, i + 1)
            removed[i], removed[j] = removed[j], removed[i]
    else:
        keys = np.empty(nrem)
        for j in range(nrem):
            keys[j] = P.closes[P.vt[removed[j], 0]]
        perm = stable_order(keys)
        removed[:nrem] = removed[:nrem][perm]
        for j in range(nrem):
            keys[j] = -float(P.vn[removed[j]])
        perm = stable_order(keys)
        removed[:nrem] = removed[:nrem][perm]


@jit
def repair(P: Any, S: Any, R: Any, L: Any, nrem: int) -> bool:
    """Reinsert S.removed[:nrem], then retry the unassigned; S.uns and the count updated."""
    P = unowned(P)  # borrowed again: see base._unowned
    S = unowned(S)
    g = S.rng
    S.fs[FS_NOISE] = P.fp[FP_NOISE_SCALE] if rng_random(g) < P.fp[FP_NOISE_SHARE] else 0.0
    order_removed(P, S, nrem)
    removed = S.removed
    uns = S.uns
    nuns = S.iv[IV_NUNS]
    pending = nrem + nuns
    for j in range(nrem):
        S.in_removed[removed[j]] = 1
    # three passes with one call site: the visits left out before (first, so that they get
    # the room the removal made), then the removed visits, then the removed ones that did
    # not fit at first
    V = uns.shape[0]
    phase = 1 if nuns else 0
    j = 0
    while phase < 3:
        if phase == 0:
            if j >= nrem:
                phase, j = 2, 0
                continue
            v = removed[j]
            pending -= 1
            arg = pending + 1
        elif phase == 1:
            if j >= V:
                phase, j = 0, 0
                continue
            v = j
            if not uns[v] or S.in_removed[v]:
                j += 1
                continue
            arg = nuns + nrem
        else:
            if j >= nrem:
                break
            v = removed[j]
            if not uns[v]:
                j += 1
                continue
            arg = nuns
        j += 1
        fitted = insert_visit(P, S, R, L, v, arg) < INF
        if phase == 0:
            if not fitted:
                uns[v] = 1
                nuns += 1
                pending += 1
        elif fitted:
            uns[v] = 0
            nuns -= 1
    for j in range(nrem):
        S.in_removed[removed[j]] = 0
    S.iv[IV_NUNS] = nuns
    # the incremental figures are exact, but a full pass also refreshes every slack
    return sched_run(P, S, R, L, nuns)
