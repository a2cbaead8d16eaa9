"""The search's inner loops over flat arrays: one source, compiled or interpreted.

Imported as ``yiyang.scheduling.solver.kernels`` every function is compiled by Numba
(``njit``, cached on disk); loaded a second time under the name
``yiyang.scheduling.solver.kernels_reference`` (with ``kernels_base`` likewise; see
``search.kernels``) the same source runs in plain CPython. The two are the same algorithm
step for step, with the same random numbers (a xorshift128 generator on 32-bit words, exact
in both), so they reach the same costs for the same seed and iteration count; the test suite
checks that.

The algorithm is the adaptive large neighbourhood search described in ``search.py``: routes
are rows of ``R`` (caregiver k serves ``R[k, :L[k]]`` in order); start times are never part
of the search state but computed by ``sched_run`` (earliest feasible schedule, with
synchronised pairs scheduled when both caregivers reach them, and a longest-path relaxation
when they wait for each other in a circle).
"""

# ruff: noqa: N803, N806, SIM108
from __future__ import annotations

import math
from typing import Any

import numpy as np

from yiyang.scheduling.solver.kernels_base import (  # noqa: F401 - re-exported to search.py
    FP_KICK,
    FP_LOOKBACK,
    FP_NOISE_SCALE,
    FP_NOISE_SHARE,
    FP_QSHARE,
    FP_TFACTOR,
    FS_BEST_COST,
    FS_CUR_COST,
    FS_NOISE,
    FS_TEMP0,
    INF,
    IP_CANDIDATES,
    IP_CYCLE,
    IP_EXACT,
    IP_HAS_BREAKS,
    IP_HAS_LIMITS,
    IP_HAS_PREF,
    IP_ORDER,
    IP_QCAP,
    IV_BEST_NUNS,
    IV_BNS_N,
    IV_CUR_NUNS,
    IV_ITER,
    IV_LAST_BEST,
    IV_LAST_OK,
    IV_NS_FULL,
    IV_NS_N,
    IV_NTRACE,
    IV_NUNS,
    IV_QMAX,
    IV_QMIN,
    IV_RUNS,
    IV_STAMP,
    SIMULTANEOUS,
    Prob,
    State,
    after_breaks,
    copy_plan,
    extension_cost,
    fill,
    inline,
    jit,
    ns_get,
    ns_set,
    refresh_all,
    refresh_slack,
    rng_below,
    rng_random,
    route_insert,
    route_pop,
    sched_fail,
    set_last,
    unowned,
)


@jit
def sched_run(P: Any, S: Any, R: Any, L: Any, nuns: int) -> bool:
    """Earliest start of every task into S.start; False when the routes cannot be scheduled."""
    S.iv[IV_RUNS] += 1
    brk = (P.br_ptr, P.br_s, P.br_e)
    node, dur, opens, closes, hard = P.node, P.dur, P.opens, P.closes, P.hard
    partner, kind, is_first, gmin, gmax = P.partner, P.kind, P.is_first, P.gmin, P.gmax
    mats, mode = P.mats, P.mode
    start, wait, ready, idx = S.start, S.wait, S.ready, S.idx
    has_breaks = P.ip[IP_HAS_BREAKS] != 0
    K = L.shape[0]
    pos, cur, last, stack = S.run_pos, S.run_cur, S.run_last, S.run_stack
    for k in range(K):
        pos[k] = 0
        cur[k] = P.shift_start[k]
        last[k] = P.start_node[k]
    travel = 0.0
    tsum = 0.0
    tmax = 0.0
    ns = 0
    for k in range(K - 1, -1, -1):
        stack[ns] = k
        ns += 1
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
                rp = ready[p]
                sp = 0.0
                if kind[t] == SIMULTANEOUS:
                    s = arr if arr > rp else rp
                    if s < opens[t]:
                        s = opens[t]
                    if has_breaks:
                        done = False
                        for _ in range(10):
                            s2 = after_breaks(brk, kp, after_breaks(brk, k, s, dur[t]), dur[p])
                            if s2 == s:
                                done = True
                                break
                            s = s2
                        if not done:
                            return sched_fail(S)
                    sp = s
                else:
                    if is_first[t]:
                        f, g, rf, rg, kf, kg = t, p, arr, rp, k, kp
                    else:
                        f, g, rf, rg, kf, kg = p, t, rp, arr, kp, k
                    sf = max(rf, opens[f], rg - gmax[t])
                    sg = max(rg, sf + gmin[t], opens[g])
                    if has_breaks:
                        done = False
                        for _ in range(10):
                            sf = after_breaks(brk, kf, sf, dur[f])
                            sg = after_breaks(brk, kg, max(sg, sf + gmin[t]), dur[g])
                            if sg - sf <= gmax[t] + 1e-9:
                                done = True
                                break
                            sf = sg - gmax[t]
                        if not done:
                            return sched_fail(S)
                    if f == t:
                        s, sp = sf, sg
                    else:
                        s, sp = sg, sf
                start[p] = sp
                idx[p] = pos[kp]
                late = sp - closes[p]
                if late > 0:
                    tsum += late
                    if late > tmax:
                        tmax = late
                    if sp > hard[p]:
                        return sched_fail(S)
                pos[kp] += 1
                cur[kp] = sp + dur[p]
                last[kp] = node[p]
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
                    return sched_fail(S)
            cc = s + dur[t]
            ll = nd
            i += 1
        pos[k] = i
        cur[k] = cc
        last[k] = ll
    for k in range(K):
        if pos[k] < L[k]:
            # caregivers wait for each other in a circle at the level of whole visits;
            # the exact longest-path propagation may still find a schedule
            sched_fail(S)
            if has_breaks:
                return False
            return relax(P, S, R, L, nuns)
    overtime = 0.0
    has_limits = P.ip[IP_HAS_LIMITS] != 0
    for k in range(K):
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
                return sched_fail(S)
            extra = finish - P.shift_end[k]
            if extra > 0:
                overtime += extra
                S.rover[k] = extra
            else:
                S.rover[k] = 0.0
    continuity = 0.0
    if P.ip[IP_HAS_PREF] != 0:
        for k in range(K):
            for j in range(L[k]):
                t = R[k, j]
                if P.has_pref[t] != 0 and P.pref_ok[t, k] == 0:
                    continuity += 1.0
    set_last(S, P, travel, tsum, tmax, overtime, continuity, nuns)
    refresh_all(P, S, R, L)
    return True


@jit
def schedule(P: Any, S: Any, R: Any, L: Any, nuns: int) -> bool:
    """``sched_run`` called from Python."""
    return sched_run(unowned(P), unowned(S), R, L, nuns)


@jit
def relax(P: Any, S: Any, R: Any, L: Any, nuns: int) -> bool:
    """Earliest starts by label-correcting propagation (longest paths); False on a cycle."""
    node, dur, opens, closes, hard = P.node, P.dur, P.opens, P.closes, P.hard
    partner, kind, is_first, gmin, gmax = P.partner, P.kind, P.is_first, P.gmin, P.gmax
    mats, mode = P.mats, P.mode
    start, idx, owner, succ, queue = S.start, S.idx, S.owner, S.succ, S.queue
    fill(owner, -1)
    fill(succ, -1)
    K = L.shape[0]
    nq = 0
    for k in range(K):
        m = mode[k]
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
    budget = 50 * nq + 100
    while nq > 0:
        budget -= 1
        if budget < 0:
            S.iv[IV_LAST_OK] = 0
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
    travel = 0.0
    tsum = 0.0
    tmax = 0.0
    overtime = 0.0
    continuity = 0.0
    for k in range(K):
        S.rover[k] = 0.0
        n = L[k]
        if n == 0:
            continue
        m = mode[k]
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


@inline
def try_full(P: Any, S: Any, R: Any, L: Any, it: Any, ik: Any, ii: Any, nins: int,
             nuns: int) -> float:  # fmt: skip
    for j in range(nins):
        route_insert(R, L, ik[j], ii[j], it[j])
    ok = sched_run(P, S, R, L, nuns)
    for j in range(nins - 1, -1, -1):
        route_pop(R, L, ik[j], ii[j])
    # the schedule now describes the routes with the insertion: no incremental step from it
    S.iv[IV_LAST_OK] = 0
    S.iv[IV_NS_N] = 0
    S.iv[IV_NS_FULL] = 1
    if not ok:
        return INF
    return S.last[0]


@inline
def try_insert(P: Any, S: Any, R: Any, L: Any, it: Any, ik: Any, ii: Any, nins: int,
               nuns: int, bound: float) -> float:  # fmt: skip
    """Cost after inserting tasks it[j] on caregiver ik[j] at position ii[j] (INF: not
    feasible or not below ``bound``), by propagating the pushes; the new starts are left in
    the ns_* scratch. Start times only grow, so only pushed tasks are visited; a push reaching
    an inserted task again is a cycle of waiting caregivers (infeasible)."""
    if S.iv[IV_LAST_OK] == 0 or P.ip[IP_HAS_BREAKS] != 0:
        return try_full(P, S, R, L, it, ik, ii, nins, nuns)
    node, dur, opens, closes, hard = P.node, P.dur, P.opens, P.closes, P.hard
    partner, kind, is_first = P.partner, P.kind, P.is_first
    start, idx, mats, mode, route_of = S.start, S.idx, P.mats, P.mode, S.route_of
    nst, nsv, nsl, ivs = S.ns_stamp, S.ns_val, S.ns_list, S.iv
    new_stamp, new_k, new_i = S.new_stamp, S.new_k, S.new_i
    at_stamp, at_i, at_t = S.at_stamp, S.at_i, S.at_t
    ivs[IV_STAMP] += 1
    stamp = ivs[IV_STAMP]
    ivs[IV_NS_N] = 0
    ivs[IV_NS_FULL] = 0
    d_travel = 0.0
    for j in range(nins):
        t, k, i = it[j], ik[j], ii[j]
        new_stamp[t] = stamp
        new_k[t] = k
        new_i[t] = i
        at_stamp[k] = stamp
        at_i[k] = i
        at_t[k] = t
        m = mode[k]
        if i:
            a = R[k, i - 1]
            na = node[a]
            fin = start[a] + dur[a]
        else:
            na = P.start_node[k]
            fin = P.shift_start[k]
        nb = node[R[k, i]] if i < L[k] else P.end_node[k]
        nx = node[t]
        d_travel += mats[m, na, nx] + mats[m, nx, nb] - mats[m, na, nb]
        S.rdy[t] = fin + mats[m, na, nx]
    if nins == 1:
        t = it[0]
        rt = S.rdy[t]
        ns_set(nst, nsv, nsl, ivs, stamp, t, rt if rt > opens[t] else opens[t])
    else:
        a, b = it[0], it[1]
        if kind[a] == SIMULTANEOUS:
            both = max(S.rdy[a], S.rdy[b], opens[a])
            ns_set(nst, nsv, nsl, ivs, stamp, a, both)
            ns_set(nst, nsv, nsl, ivs, stamp, b, both)
        else:
            if is_first[a]:
                f, g = a, b
            else:
                f, g = b, a
            sf = max(S.rdy[f], opens[f], S.rdy[g] - P.gmax[f])
            ns_set(nst, nsv, nsl, ivs, stamp, f, sf)
            ns_set(nst, nsv, nsl, ivs, stamp, g, max(S.rdy[g], sf + P.gmin[f], opens[g]))
    queue = S.queue
    nq = 0
    for j in range(ivs[IV_NS_N]):
        queue[nq] = nsl[j]
        nq += 1
    budget = 4 * start.shape[0] + 10
    w = P.w
    wt, wl, wm, wo, wu = w[0], w[1], w[2], w[3], w[5]
    last = S.last
    # lateness only grows along the propagation: stop once this cannot beat ``bound``
    floor = wt * (last[1] + d_travel) + wl * last[2] + wm * last[3]
    floor += wo * last[4] + wu * nuns
    for j in range(ivs[IV_NS_N]):
        t = nsl[j]
        s = nsv[t]
        if s > closes[t]:
            floor += wl * (s - closes[t])
    if floor >= bound:
        return INF
    while nq > 0:
        budget -= 1
        if budget < 0:
            return INF
        nq -= 1
        t = queue[nq]
        if new_stamp[t] == stamp:
            k = new_k[t]
            j = new_i[t]
            u = R[k, j] if j < L[k] else -1
        else:
            k = route_of[t]
            j = idx[t] + 1
            if at_stamp[k] == stamp and at_i[k] == j:
                u = at_t[k]
            elif j < L[k]:
                u = R[k, j]
            else:
                u = -1
        if u < 0:
            continue
        arr = nsv[t] + dur[t] + mats[mode[k], node[t], node[u]]
        su = ns_get(nst, nsv, start, stamp, u)
        if arr <= su + 1e-9:
            continue
        if new_stamp[u] == stamp:
            return INF
        cu = closes[u]
        if arr > cu:
            floor += wl * (arr - cu - (su - cu if su > cu else 0.0))
            if floor >= bound:
                return INF
        ns_set(nst, nsv, nsl, ivs, stamp, u, arr)
        queue[nq] = u
        nq += 1
        p = partner[u]
        if p >= 0:
            sp = ns_get(nst, nsv, start, stamp, p)
            if kind[u] == SIMULTANEOUS:
                need = arr
            elif is_first[u]:
                need = arr + P.gmin[u]
            else:
                need = arr - P.gmax[u]
            if sp < need - 1e-9:
                if new_stamp[p] == stamp:
                    return INF
                cp = closes[p]
                if need > cp:
                    floor += wl * (need - cp - (sp - cp if sp > cp else 0.0))
                    if floor >= bound:
                        return INF
                ns_set(nst, nsv, nsl, ivs, stamp, p, need)
                queue[nq] = p
                nq += 1
    d_tsum = 0.0
    tmax = last[3]
    nn = ivs[IV_NS_N]
    for j in range(nn):
        t = nsl[j]
        s = nsv[t]
        if s > hard[t]:
            return INF
        late = s - closes[t]
        if late > 0:
            d_tsum += late
            if late > tmax:
                tmax = late
        if new_stamp[t] != stamp:
            old = start[t] - closes[t]
            if old > 0:
                d_tsum -= old
    d_over = 0.0
    if P.ip[IP_HAS_LIMITS] != 0:
        # each touched route once (at_stamp marks them with -stamp once seen)
        for j in range(nn):
            t = nsl[j]
            k = new_k[t] if new_stamp[t] == stamp else route_of[t]
            if at_stamp[k] == -stamp:
                continue
            hit = at_stamp[k] == stamp
            n = L[k]
            if hit and at_i[k] == 0:
                first = at_t[k]
            else:
                first = R[k, 0]
            if hit and at_i[k] == n:
                lastt = at_t[k]
            else:
                lastt = R[k, n - 1]
            at_stamp[k] = -stamp
            m = mode[k]
            sf = ns_get(nst, nsv, start, stamp, first)
            sl = ns_get(nst, nsv, start, stamp, lastt)
            finish = sl + dur[lastt] + mats[m, node[lastt], P.end_node[k]]
            departure = sf - mats[m, P.start_node[k], node[first]]
            if finish > P.hard_end[k] + 1e-9 or finish - departure > P.max_work[k] + 1e-9:
                return INF
            extra = max(finish - P.shift_end[k], 0.0)
            d_over += extra - S.rover[k]
    d_cont = 0.0
    if P.ip[IP_HAS_PREF] != 0:
        for j in range(nins):
            t = it[j]
            if P.has_pref[t] != 0 and P.pref_ok[t, ik[j]] == 0:
                d_cont += 1.0
    return extension_cost(w, last, S.ext, nuns, d_travel, d_tsum, tmax, d_over, d_cont)


@inline
def keep_best_ns(S: Any) -> None:
    n = S.iv[IV_NS_N]
    S.iv[IV_BNS_N] = -1 if S.iv[IV_NS_FULL] != 0 else n
    for j in range(n):
        t = S.ns_list[j]
        S.bns_list[j] = t
        S.bns_val[j] = S.ns_val[t]
    for j in range(5):
        S.bext[j] = S.ext[j]


@inline
def overtime_all(P: Any, S: Any, R: Any, L: Any) -> float:
    total = 0.0
    for k in range(L.shape[0]):
        extra = 0.0
        n = L[k]
        if n:
            lt = R[k, n - 1]
            finish = S.start[lt] + P.dur[lt] + P.mats[P.mode[k], P.node[lt], P.end_node[k]]
            extra = max(finish - P.shift_end[k], 0.0)
        S.rover[k] = extra
        total += extra
    return total


@inline
def commit(P: Any, S: Any, R: Any, L: Any, it: Any, ik: Any, ii: Any, nins: int,
           nuns: int) -> None:  # fmt: skip
    """Insert for good, with the starts kept by ``keep_best_ns``."""
    ok = S.iv[IV_LAST_OK] != 0
    for j in range(nins):
        route_insert(R, L, ik[j], ii[j], it[j])
        S.route_of[it[j]] = ik[j]
    nb = S.iv[IV_BNS_N]
    if not ok or nb <= 0:
        sched_run(P, S, R, L, nuns)
        return
    for j in range(nb):
        S.start[S.bns_list[j]] = S.bns_val[j]
    for j in range(nins):
        k = ik[j]
        for q in range(ii[j], L[k]):
            S.idx[R[k, q]] = q
    S.iv[IV_STAMP] += 1
    stamp = S.iv[IV_STAMP]
    for j in range(nb):
        k = S.route_of[S.bns_list[j]]
        if S.at_stamp[k] != stamp:
            S.at_stamp[k] = stamp
            refresh_slack(
                R, L, k, S.start, P.closes, P.dur, P.node, S.slack, S.chain, P.mats, P.mode[k]
            )
    last = S.last
    travel = last[1] + S.bext[0]
    tsum = last[2] + S.bext[1]
    overtime = last[4]
    if P.ip[IP_HAS_LIMITS] != 0:
        overtime = overtime_all(P, S, R, L)
    continuity = last[5] + S.bext[4]
    set_last(S, P, travel, tsum, S.bext[2], overtime, continuity, nuns)


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
def positions(P: Any, S: Any, R: Any, L: Any, t: int, banned: int, sa: Any, ka: Any,
              wa: Any, xa: Any) -> int:  # fmt: skip
    """Best (estimate, caregiver, position, estimated start) for task t, sorted; the count.
    The estimate: extra travel, the task's own lateness, the lateness pushed onto the next."""
    start, node, dur = S.start, P.node, P.dur
    slack, chain = S.slack, S.chain
    nx = node[t]
    ox, cx, dx = P.opens[t], P.closes[t], dur[t]
    wt, wl = P.w[0], P.w[1]
    nb_ = 0
    limit = INF
    paired = P.partner[t] >= 0
    keep = P.ip[IP_CANDIDATES] + (2 if paired else 0)
    lookback = P.fp[FP_LOOKBACK]
    for a in range(P.allowed_ptr[t], P.allowed_ptr[t + 1]):
        k = P.allowed_idx[a]
        if k == banned:
            continue
        m = P.mode[k]
        n = L[k]
        # first position whose visit starts at most ``lookback`` before the window
        target = ox - lookback
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
        ll = P.start_node[k]
        dep = P.shift_start[k]
        if first:
            a0 = R[k, first - 1]
            ll = node[a0]
            dep = start[a0] + dur[a0]
        # the best position on this route, and for synchronised tasks the second best
        # too: the best alone can miss the order that fits the partner's gap
        best_here = limit
        second = limit
        where = -1
        where2 = -1
        at_start = 0.0
        at2 = 0.0
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


@jit
def insert_visit(P: Any, S: Any, R: Any, L: Any, v: int, nuns: int) -> float:
    """Insert visit v at its best evaluated place; INF when nowhere feasible."""
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


@jit
def stable_order(keys: Any) -> Any:
    return np.argsort(keys, kind="mergesort")


@jit
def repair(P: Any, S: Any, R: Any, L: Any, nrem: int) -> bool:
    """Reinsert S.removed[:nrem], then retry the unassigned; S.uns and the count updated."""
    g = S.rng
    S.fs[FS_NOISE] = P.fp[FP_NOISE_SCALE] if rng_random(g) < P.fp[FP_NOISE_SHARE] else 0.0
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


# ---------------------------------------------------------------------------- removal
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


@jit
def destroy(P: Any, S: Any, R: Any, L: Any, op: int, q: int) -> int:
    """Remove q visits chosen by operator op into S.removed; the count."""
    g = S.rng
    vt = P.vt
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
    elif op == 1:  # related (Shaw): near in space and time to a random seed visit
        seed = left_out_seed(P, S, g)
        if seed < 0:
            seed = assigned[rng_below(g, na)]
            removed[0] = seed
            nrem = 1
        r = P.related_index[seed]
        for x in range(P.rel_len[r]):
            v = P.related[r, x]
            if S.route_of[vt[v, 0]] < 0:
                continue
            if nrem >= q:
                break
            if rng_random(g) < 0.8:
                removed[nrem] = v
                nrem += 1
    elif op == 2:  # worst: visits whose removal saves the most travel and lateness
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
            removed[nrem] = assigned[perm[x]]
            nrem += 1
    else:  # a stretch of consecutive visits of one caregiver
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
    remove_visits(P, S, R, L, nrem)
    return nrem


# ------------------------------------------------------------------------------ main
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
