"""One insertion tried and committed: the cost of the routes with a visit's tasks inserted.

``try_insert`` extends the last schedule incrementally: the inserted tasks' starts are pushed
along their routes and to synchronised partners, and only the pushed tasks are visited (start
times only grow). Their new starts are kept in the ns_* scratch of the state; ``commit``
writes the best one's into the schedule without running it again.
"""

# ruff: noqa: N803, SIM108
from __future__ import annotations

from typing import Any

from yiyang.scheduling.solver.kernels.base import (
    INF,
    IP_HAS_BREAKS,
    IP_HAS_LIMITS,
    IP_HAS_PREF,
    IV_BNS_N,
    IV_LAST_OK,
    IV_NS_FULL,
    IV_NS_N,
    IV_STAMP,
    SIMULTANEOUS,
    extension_cost,
    inline,
    ns_get,
    ns_set,
    refresh_slack,
    route_insert,
    route_pop,
    set_last,
)
from yiyang.scheduling.solver.kernels.schedule import sched_run


@inline
def try_full(
    P: Any, S: Any, R: Any, L: Any, it: Any, ik: Any, ii: Any, nins: int, nuns: int
) -> float:
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
def try_insert(
    P: Any,
    S: Any,
    R: Any,
    L: Any,
    it: Any,
    ik: Any,
    ii: Any,
    nins: int,
    nuns: int,
    bound: float,
) -> float:
    """Cost after inserting tasks it[j] on caregiver ik[j] at position ii[j] (INF: not
    feasible or not below ``bound``), by propagating the pushes; the new starts are left in
    the ns_* scratch. Start times only grow, so only pushed tasks are visited; a push reaching
    an inserted task again is a cycle of waiting caregivers (infeasible)."""
    if S.iv[IV_LAST_OK] == 0 or P.ip[IP_HAS_BREAKS] != 0:
        return try_full(P, S, R, L, it, ik, ii, nins, nuns)
    ivs = S.iv
    ivs[IV_STAMP] += 1
    stamp = ivs[IV_STAMP]
    ivs[IV_NS_N] = 0
    ivs[IV_NS_FULL] = 0
    d_travel = mark_inserted(P, S, R, L, it, ik, ii, nins, stamp)
    seed_starts(P, S, it, nins, stamp)
    # lateness only grows along the propagation: stop once this cannot beat ``bound``
    floor = lateness_floor(P, S, nuns, d_travel)
    if floor >= bound:
        return INF
    if not push_starts(P, S, R, L, stamp, floor, bound):
        return INF
    ok, d_tsum, tmax = pushed_lateness(P, S, stamp)
    if not ok:
        return INF
    d_over = 0.0
    if P.ip[IP_HAS_LIMITS] != 0:
        ok, d_over = pushed_overtime(P, S, R, L, stamp)
        if not ok:
            return INF
    d_cont = 0.0
    if P.ip[IP_HAS_PREF] != 0:
        for j in range(nins):
            t = it[j]
            if P.has_pref[t] != 0 and P.pref_ok[t, ik[j]] == 0:
                d_cont += 1.0
    return extension_cost(P.w, S.last, S.ext, nuns, d_travel, d_tsum, tmax, d_over, d_cont)


@inline
def mark_inserted(
    P: Any, S: Any, R: Any, L: Any, it: Any, ik: Any, ii: Any, nins: int, stamp: int
) -> float:
    """Mark the inserted tasks (new_*) and their routes (at_*) with the stamp, and the time
    each could start at into S.rdy; the extra travel."""
    node, dur, start, mats = P.node, P.dur, S.start, P.mats
    d_travel = 0.0
    for j in range(nins):
        t, k, i = it[j], ik[j], ii[j]
        S.new_stamp[t] = stamp
        S.new_k[t] = k
        S.new_i[t] = i
        S.at_stamp[k] = stamp
        S.at_i[k] = i
        S.at_t[k] = t
        m = P.mode[k]
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
    return d_travel


@inline
def seed_starts(P: Any, S: Any, it: Any, nins: int, stamp: int) -> None:
    """The inserted tasks' own starts (a pair's agreeing with each other) into ns_*."""
    nst, nsv, nsl, ivs, opens = S.ns_stamp, S.ns_val, S.ns_list, S.iv, P.opens
    if nins == 1:
        t = it[0]
        rt = S.rdy[t]
        ns_set(nst, nsv, nsl, ivs, stamp, t, rt if rt > opens[t] else opens[t])
    else:
        a, b = it[0], it[1]
        if P.kind[a] == SIMULTANEOUS:
            both = max(S.rdy[a], S.rdy[b], opens[a])
            ns_set(nst, nsv, nsl, ivs, stamp, a, both)
            ns_set(nst, nsv, nsl, ivs, stamp, b, both)
        else:
            if P.is_first[a]:
                f, g = a, b
            else:
                f, g = b, a
            sf = max(S.rdy[f], opens[f], S.rdy[g] - P.gmax[f])
            ns_set(nst, nsv, nsl, ivs, stamp, f, sf)
            ns_set(nst, nsv, nsl, ivs, stamp, g, max(S.rdy[g], sf + P.gmin[f], opens[g]))


@inline
def lateness_floor(P: Any, S: Any, nuns: int, d_travel: float) -> float:
    """A lower bound of the cost with the insertion: the last figures, the extra travel and
    the inserted tasks' own lateness."""
    w = P.w
    wt, wl, wm, wo, wu = w[0], w[1], w[2], w[3], w[5]
    last = S.last
    floor = wt * (last[1] + d_travel) + wl * last[2] + wm * last[3]
    floor += wo * last[4] + wu * nuns
    for j in range(S.iv[IV_NS_N]):
        t = S.ns_list[j]
        s = S.ns_val[t]
        if s > P.closes[t]:
            floor += wl * (s - P.closes[t])
    return floor


@inline
def push_starts(P: Any, S: Any, R: Any, L: Any, stamp: int, floor: float, bound: float) -> bool:
    """Push the new starts along the routes and to synchronised partners into ns_*; False
    when a push reaches an inserted task (a cycle), runs out of budget or the lateness floor
    reaches ``bound``."""
    node, dur, closes, mats, mode = P.node, P.dur, P.closes, P.mats, P.mode
    partner, kind, is_first = P.partner, P.kind, P.is_first
    nst, nsv, nsl, ivs = S.ns_stamp, S.ns_val, S.ns_list, S.iv
    start, new_stamp, queue = S.start, S.new_stamp, S.queue
    new_k, new_i, route_of, idx = S.new_k, S.new_i, S.route_of, S.idx
    at_stamp, at_i, at_t = S.at_stamp, S.at_i, S.at_t
    wl = P.w[1]
    nq = 0
    for j in range(ivs[IV_NS_N]):
        queue[nq] = nsl[j]
        nq += 1
    budget = 4 * start.shape[0] + 10
    while nq > 0:
        budget -= 1
        if budget < 0:
            return False
        nq -= 1
        t = queue[nq]
        # t's caregiver and the task after t with the insertion made (-1: none)
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
            return False
        cu = closes[u]
        if arr > cu:
            floor += wl * (arr - cu - (su - cu if su > cu else 0.0))
            if floor >= bound:
                return False
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
                    return False
                cp = closes[p]
                if need > cp:
                    floor += wl * (need - cp - (sp - cp if sp > cp else 0.0))
                    if floor >= bound:
                        return False
                ns_set(nst, nsv, nsl, ivs, stamp, p, need)
                queue[nq] = p
                nq += 1
    return True


@inline
def pushed_lateness(P: Any, S: Any, stamp: int) -> tuple[bool, float, float]:
    """(False when a pushed task passes its hard limit, the change of the total lateness,
    the new maximum lateness)."""
    nsl, nsv, closes, start = S.ns_list, S.ns_val, P.closes, S.start
    d_tsum = 0.0
    tmax = S.last[3]
    for j in range(S.iv[IV_NS_N]):
        t = nsl[j]
        s = nsv[t]
        if s > P.hard[t]:
            return False, d_tsum, tmax
        late = s - closes[t]
        if late > 0:
            d_tsum += late
            if late > tmax:
                tmax = late
        if S.new_stamp[t] != stamp:
            old = start[t] - closes[t]
            if old > 0:
                d_tsum -= old
    return True, d_tsum, tmax


@inline
def pushed_overtime(P: Any, S: Any, R: Any, L: Any, stamp: int) -> tuple[bool, float]:
    """(False when a touched route breaks its shift's hard end or working limit, the change
    of the overtime)."""
    nst, nsv, nsl, start = S.ns_stamp, S.ns_val, S.ns_list, S.start
    node, mats, at_stamp, at_i, at_t = P.node, P.mats, S.at_stamp, S.at_i, S.at_t
    d_over = 0.0
    # each touched route once (at_stamp marks them with -stamp once seen)
    for j in range(S.iv[IV_NS_N]):
        t = nsl[j]
        k = S.new_k[t] if S.new_stamp[t] == stamp else S.route_of[t]
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
        m = P.mode[k]
        sf = ns_get(nst, nsv, start, stamp, first)
        sl = ns_get(nst, nsv, start, stamp, lastt)
        finish = sl + P.dur[lastt] + mats[m, node[lastt], P.end_node[k]]
        departure = sf - mats[m, P.start_node[k], node[first]]
        if finish > P.hard_end[k] + 1e-9 or finish - departure > P.max_work[k] + 1e-9:
            return False, d_over
        extra = max(finish - P.shift_end[k], 0.0)
        d_over += extra - S.rover[k]
    return True, d_over


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
def commit(P: Any, S: Any, R: Any, L: Any, it: Any, ik: Any, ii: Any, nins: int, nuns: int) -> None:
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
