"""The schedule: the earliest start of every task for given routes, and the plan's figures.

``sched_run`` walks the routes in turn; a synchronised task stops its caregiver's walk until
the partner's caregiver reaches it, then both are placed together. When caregivers wait for
each other in a circle at the level of whole visits, ``relax`` (longest paths by
label-correcting propagation) may still find a schedule.
"""

# ruff: noqa: N803, N806
from __future__ import annotations

from typing import Any

from yiyang.scheduling.solver.kernels.base import (
    IP_HAS_BREAKS,
    IP_HAS_LIMITS,
    IP_HAS_PREF,
    IV_LAST_OK,
    IV_RUNS,
    SIMULTANEOUS,
    after_breaks,
    fill,
    inline,
    jit,
    refresh_all,
    sched_fail,
    set_last,
    unowned,
)


@jit
def sched_run(P: Any, S: Any, R: Any, L: Any, nuns: int) -> bool:
    """Earliest start of every task into S.start; False when the routes cannot be scheduled."""
    P = unowned(P)  # borrowed again: see base._unowned
    S = unowned(S)
    S.iv[IV_RUNS] += 1
    K = L.shape[0]
    for k in range(K):
        S.run_pos[k] = 0
        S.run_cur[k] = P.shift_start[k]
        S.run_last[k] = P.start_node[k]
        S.run_stack[K - 1 - k] = k
    ok, travel, tsum, tmax = sched_walk(P, S, R, L)
    if not ok:
        return sched_fail(S)
    for k in range(K):
        if S.run_pos[k] < L[k]:
            # caregivers wait for each other in a circle at the level of whole visits;
            # the exact longest-path propagation may still find a schedule
            sched_fail(S)
            if P.ip[IP_HAS_BREAKS] != 0:
                return False
            return relax(P, S, R, L, nuns)
    ok, travel, overtime = route_ends(P, S, R, L, travel)
    if not ok:
        return sched_fail(S)
    continuity = continuity_misses(P, R, L)
    set_last(S, P, travel, tsum, tmax, overtime, continuity, nuns)
    refresh_all(P, S, R, L)
    return True


@jit
def schedule(P: Any, S: Any, R: Any, L: Any, nuns: int) -> bool:
    """``sched_run`` called from Python."""
    return sched_run(unowned(P), unowned(S), R, L, nuns)


@inline
def sched_walk(P: Any, S: Any, R: Any, L: Any) -> tuple[bool, float, float, float]:
    """Walk each route until a synchronised task whose partner is not reached yet (the
    partner's caregiver resumes the walk); (False on a broken hard limit, travel so far, total
    lateness, maximum lateness). Where each walk stopped is left in S.run_pos."""
    node, dur, opens, closes, hard = P.node, P.dur, P.opens, P.closes, P.hard
    partner, mats, mode = P.partner, P.mats, P.mode
    kind, is_first, gmin, gmax = P.kind, P.is_first, P.gmin, P.gmax
    start, wait, ready, idx = S.start, S.wait, S.ready, S.idx
    brk = (P.br_ptr, P.br_s, P.br_e)
    has_breaks = P.ip[IP_HAS_BREAKS] != 0
    pos, cur, last, stack = S.run_pos, S.run_cur, S.run_last, S.run_stack
    run = (start, idx, pos, cur, last)
    travel = 0.0
    tsum = 0.0
    tmax = 0.0
    ns = L.shape[0]  # every caregiver on the stack, the first on top (see sched_run)
    while ns > 0:
        ns -= 1
        k = stack[ns]
        n = L[k]
        i = pos[k]
        if i >= n:
            continue
        m = mode[k]
        cc = cur[k]
        ll = last[k]
        while i < n:
            t = R[k, i]
            nd = node[t]
            leg = mats[m, ll, nd]
            travel += leg
            arr = cc + leg
            p = partner[t]
            if p < 0:
                s = arr if arr > opens[t] else opens[t]
                if has_breaks:
                    s = after_breaks(brk, k, s, dur[t])
            else:
                kp = wait[p]
                if kp < 0:
                    wait[t] = k
                    ready[t] = arr
                    break
                wait[p] = -1
                sync = (kind[t] == SIMULTANEOUS, is_first[t] != 0, gmin[t], gmax[t])
                times = (arr, ready[p], opens[t], opens[p], dur[t], dur[p])
                s, sp, ok = pair_starts(brk, has_breaks, k, kp, sync, times)
                if not ok:
                    return False, travel, tsum, tmax
                limits = (closes[p], hard[p], tsum, tmax)
                ok, tsum, tmax = place_partner(run, p, kp, sp, dur[p], node[p], limits)
                if not ok:
                    return False, travel, tsum, tmax
                stack[ns] = kp
                ns += 1
            start[t] = s
            idx[t] = i
            late = s - closes[t]
            if late > 0:
                tsum += late
                if late > tmax:
                    tmax = late
                if s > hard[t]:
                    pos[k] = i
                    return False, travel, tsum, tmax
            cc = s + dur[t]
            ll = nd
            i += 1
        pos[k] = i
        cur[k] = cc
        last[k] = ll
    return True, travel, tsum, tmax


@inline
def pair_starts(
    brk: Any, has_breaks: bool, k: int, kp: int, sync: Any, times: Any
) -> tuple[float, float, bool]:
    """Starts of a task on caregiver k and of its partner on kp: (the task's start, the
    partner's, False when the breaks leave them no common time). ``sync`` is (simultaneous,
    the task first, minimum gap, maximum gap), ``times`` (the task ready at, the partner
    ready at, their openings, their durations). Scalars rather than the problem: this runs
    for every synchronised task, and each array passed is counted (see base._unowned)."""
    simultaneous, t_first, gmin, gmax = sync
    arr, rp, open_t, open_p, dur_t, dur_p = times
    sp = 0.0
    if simultaneous:
        s = arr if arr > rp else rp
        if s < open_t:
            s = open_t
        if has_breaks:
            done = False
            for _ in range(10):
                s2 = after_breaks(brk, kp, after_breaks(brk, k, s, dur_t), dur_p)
                if s2 == s:
                    done = True
                    break
                s = s2
            if not done:
                return s, sp, False
        sp = s
    else:
        if t_first:
            rf, rg, kf, kg, of, og, df, dg = arr, rp, k, kp, open_t, open_p, dur_t, dur_p
        else:
            rf, rg, kf, kg, of, og, df, dg = rp, arr, kp, k, open_p, open_t, dur_p, dur_t
        sf = max(rf, of, rg - gmax)
        sg = max(rg, sf + gmin, og)
        if has_breaks:
            done = False
            for _ in range(10):
                sf = after_breaks(brk, kf, sf, df)
                sg = after_breaks(brk, kg, max(sg, sf + gmin), dg)
                if sg - sf <= gmax + 1e-9:
                    done = True
                    break
                sf = sg - gmax
            if not done:
                return sf, sg, False
        if t_first:
            s, sp = sf, sg
        else:
            s, sp = sg, sf
    return s, sp, True


@inline
def place_partner(
    run: Any, p: int, kp: int, sp: float, dur_p: float, node_p: int, limits: Any
) -> tuple[bool, float, float]:
    """Start the waiting partner p at sp and move its caregiver kp's walk past it. ``run``
    is (S.start, S.idx, S.run_pos, S.run_cur, S.run_last), ``limits`` (p's window closing, its
    hard limit, the total and maximum lateness so far); (False when p passes its hard limit,
    total lateness, maximum lateness)."""
    start, idx, pos, cur, last = run
    close_p, hard_p, tsum, tmax = limits
    start[p] = sp
    idx[p] = pos[kp]
    late = sp - close_p
    if late > 0:
        tsum += late
        if late > tmax:
            tmax = late
        if sp > hard_p:
            return False, tsum, tmax
    pos[kp] += 1
    cur[kp] = sp + dur_p
    last[kp] = node_p
    return True, tsum, tmax


@inline
def route_ends(P: Any, S: Any, R: Any, L: Any, travel: float) -> tuple[bool, float, float]:
    """The way back of each walked route added to travel, each caregiver's overtime into
    S.rover; (False when a shift's hard end or working limit is broken, travel, overtime)."""
    mats, mode, node, start = P.mats, P.mode, P.node, S.start
    cur, last = S.run_cur, S.run_last
    overtime = 0.0
    has_limits = P.ip[IP_HAS_LIMITS] != 0
    for k in range(L.shape[0]):
        n = L[k]
        if n == 0:
            S.rover[k] = 0.0
            continue
        m = mode[k]
        back = mats[m, last[k], P.end_node[k]]
        travel += back
        if has_limits:
            finish = cur[k] + back
            first = R[k, 0]
            departure = start[first] - mats[m, P.start_node[k], node[first]]
            if finish > P.hard_end[k] + 1e-9 or finish - departure > P.max_work[k] + 1e-9:
                return False, travel, overtime
            extra = finish - P.shift_end[k]
            if extra > 0:
                overtime += extra
                S.rover[k] = extra
            else:
                S.rover[k] = 0.0
    return True, travel, overtime


@inline
def continuity_misses(P: Any, R: Any, L: Any) -> float:
    """Tasks served by a caregiver outside their elder's preferred ones."""
    continuity = 0.0
    if P.ip[IP_HAS_PREF] != 0:
        for k in range(L.shape[0]):
            for j in range(L[k]):
                t = R[k, j]
                if P.has_pref[t] != 0 and P.pref_ok[t, k] == 0:
                    continuity += 1.0
    return continuity


# ---------------------------------------------------------------------------- relax
@jit
def relax(P: Any, S: Any, R: Any, L: Any, nuns: int) -> bool:
    """Earliest starts by label-correcting propagation (longest paths); False on a cycle."""
    P = unowned(P)  # borrowed again: see base._unowned
    S = unowned(S)
    nq = relax_start(P, S, R, L)
    if not relax_propagate(P, S, nq):
        S.iv[IV_LAST_OK] = 0
        return False
    return relax_costs(P, S, R, L, nuns)


@inline
def relax_start(P: Any, S: Any, R: Any, L: Any) -> int:
    """Each task's start as if nobody waited for a partner, its caregiver and successor;
    every task queued. The queue's length."""
    node, dur, opens, mats = P.node, P.dur, P.opens, P.mats
    start, idx, owner, succ, queue = S.start, S.idx, S.owner, S.succ, S.queue
    fill(owner, -1)
    fill(succ, -1)
    nq = 0
    for k in range(L.shape[0]):
        m = P.mode[k]
        fin = P.shift_start[k]
        ll = P.start_node[k]
        n = L[k]
        for j in range(n):
            t = R[k, j]
            idx[t] = j
            owner[t] = k
            succ[t] = R[k, j + 1] if j + 1 < n else -1
            arr = fin + mats[m, ll, node[t]]
            start[t] = arr if arr > opens[t] else opens[t]
            fin = start[t] + dur[t]
            ll = node[t]
            queue[nq] = t
            nq += 1
    return nq


@inline
def relax_propagate(P: Any, S: Any, nq: int) -> bool:
    """Push starts along partners and successors until nothing moves; False when that does
    not settle (a positive cycle)."""
    node, dur, mats, mode = P.node, P.dur, P.mats, P.mode
    partner, kind, is_first, gmin, gmax = P.partner, P.kind, P.is_first, P.gmin, P.gmax
    start, owner, succ, queue = S.start, S.owner, S.succ, S.queue
    budget = 50 * nq + 100
    while nq > 0:
        budget -= 1
        if budget < 0:
            return False
        nq -= 1
        t = queue[nq]
        p = partner[t]
        if p >= 0 and owner[p] >= 0:
            if kind[t] == SIMULTANEOUS:
                need = start[t]
            elif is_first[t]:
                need = start[t] + gmin[t]
            else:
                need = start[t] - gmax[t]
            if start[p] < need - 1e-9:
                start[p] = need
                queue[nq] = p
                nq += 1
        u = succ[t]
        if u >= 0:
            arr = start[t] + dur[t] + mats[mode[owner[t]], node[t], node[u]]
            if arr > start[u] + 1e-9:
                start[u] = arr
                queue[nq] = u
                nq += 1
    return True


@inline
def relax_costs(P: Any, S: Any, R: Any, L: Any, nuns: int) -> bool:
    """The figures of the relaxed schedule into S.last; False when it breaks a hard limit."""
    node, dur, closes, hard, mats = P.node, P.dur, P.closes, P.hard, P.mats
    start = S.start
    travel = 0.0
    tsum = 0.0
    tmax = 0.0
    overtime = 0.0
    continuity = 0.0
    for k in range(L.shape[0]):
        S.rover[k] = 0.0
        n = L[k]
        if n == 0:
            continue
        m = P.mode[k]
        ll = P.start_node[k]
        for j in range(n):
            t = R[k, j]
            travel += mats[m, ll, node[t]]
            ll = node[t]
            late = start[t] - closes[t]
            if late > 0:
                tsum += late
                tmax = max(tmax, late)
                if start[t] > hard[t]:
                    S.iv[IV_LAST_OK] = 0
                    return False
            if P.has_pref[t] != 0 and P.pref_ok[t, k] == 0:
                continuity += 1.0
        back = mats[m, ll, P.end_node[k]]
        travel += back
        lt = R[k, n - 1]
        ft = R[k, 0]
        finish = start[lt] + dur[lt] + back
        departure = start[ft] - mats[m, P.start_node[k], node[ft]]
        if finish > P.hard_end[k] + 1e-9 or finish - departure > P.max_work[k] + 1e-9:
            S.iv[IV_LAST_OK] = 0
            return False
        extra = max(0.0, finish - P.shift_end[k])
        S.rover[k] = extra
        overtime += extra
    set_last(S, P, travel, tsum, tmax, overtime, continuity, nuns)
    refresh_all(P, S, R, L)
    return True
