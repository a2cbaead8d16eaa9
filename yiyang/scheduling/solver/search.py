"""Adaptive large neighbourhood search with simulated-annealing acceptance.

Solutions are caregiver routes of tasks. Start times are never stored in the search state:
``Schedule.run`` computes the earliest feasible start of every task for given routes, with
synchronised pairs scheduled together (a pair is scheduled when both caregivers have reached
it; a cycle of waiting caregivers is infeasible). Because lateness only grows with start
times, the earliest schedule is the best one for fixed routes.

Repair inserts removed visits one by one: every position of every capable caregiver is
scored by a cheap estimate (extra travel, the visit's own lateness, the lateness pushed onto
the next visit), and only the best few candidates are scheduled exactly.

Determinism: every decision uses ``random.Random(seed)``; the clock only stops the search
(``max_iterations`` stops it independently of the clock).
"""

from __future__ import annotations

import math
import random
import time
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass, field

from yiyang.scheduling.solver.compiled import (
    SIMULTANEOUS,
    Compiled,
    compile_problem,
)
from yiyang.scheduling.solver.model import (
    Problem,
    Route,
    Solution,
    Stop,
    Unassigned,
    UnassignedReason,
)

INF = math.inf
Routes = list[list[int]]


@dataclass
class Outcome:
    cost: float
    travel: float
    total_lateness: float
    max_lateness: float
    overtime: float
    continuity_misses: int


class Schedule:
    """Earliest start times for given routes, and the weighted cost."""

    def __init__(self, c: Compiled) -> None:
        self.c = c
        n = c.n_tasks
        self.start = [0.0] * n
        self.wait = [-1] * n
        self.ready = [0.0] * n
        self.idx = [0] * n
        # forward slack: how far a task can be pushed before anyone on its route gets later;
        # chain: how many tasks from it on follow without waiting (a push moves them all)
        self.slack = [0.0] * n
        self.chain = [1] * n
        self.route_overtime = [0.0] * c.n_caregivers
        self.last: Outcome | None = None
        w = c.problem.weights
        self.w = (w.travel, w.lateness, w.max_lateness, w.overtime, w.continuity, w.unassigned)
        self.has_breaks = any(c.breaks)
        self.has_shift_limits = any(math.isfinite(e) for e in c.shift_end) or any(
            math.isfinite(m) for m in c.max_work
        )
        self.has_preferences = any(p is not None for p in c.preferred)
        self.n_runs = 0

    def _after_breaks(self, k: int, s: float, d: float) -> float:
        for b0, b1 in self.c.breaks[k]:
            if s < b1 and s + d > b0:
                s = b1
        return s

    def run(self, routes: Routes, unassigned: int) -> Outcome | None:
        """Fill ``self.start``; None when the routes cannot be scheduled."""
        self.n_runs += 1
        c = self.c
        node, dur, opens, closes, hard = c.node, c.duration, c.opens, c.closes, c.hard_latest
        partner, kind, is_first, gmin, gmax = c.partner, c.kind, c.is_first, c.min_gap, c.max_gap
        mats = c.matrix
        start, wait, ready, idx = self.start, self.wait, self.ready, self.idx
        route_overtime = self.route_overtime
        has_breaks = self.has_breaks
        n_routes = len(routes)
        pos = [0] * n_routes
        cur = list(c.shift_start)
        last = list(c.start_node)
        travel = tsum = tmax = 0.0
        stack = list(range(n_routes - 1, -1, -1))
        while stack:
            k = stack.pop()
            r = routes[k]
            n = len(r)
            i = pos[k]
            if i >= n:
                continue
            row = mats[k]
            cc = cur[k]
            ll = last[k]
            while i < n:
                t = r[i]
                nd = node[t]
                leg = row[ll][nd]
                travel += leg
                arr = cc + leg
                p = partner[t]
                if p < 0:
                    s = arr if arr > opens[t] else opens[t]
                    if has_breaks:
                        s = self._after_breaks(k, s, dur[t])
                else:
                    kp = wait[p]
                    if kp < 0:
                        wait[t] = k
                        ready[t] = arr
                        break
                    wait[p] = -1
                    rp = ready[p]
                    if kind[t] == SIMULTANEOUS:
                        s = arr if arr > rp else rp
                        if s < opens[t]:
                            s = opens[t]
                        if has_breaks:
                            for _ in range(10):
                                s2 = self._after_breaks(
                                    kp, self._after_breaks(k, s, dur[t]), dur[p]
                                )
                                if s2 == s:
                                    break
                                s = s2
                            else:
                                return self._fail(routes, pos)
                        sp = s
                    else:
                        if is_first[t]:
                            f, g, rf, rg, kf, kg = t, p, arr, rp, k, kp
                        else:
                            f, g, rf, rg, kf, kg = p, t, rp, arr, kp, k
                        sf = max(rf, opens[f], rg - gmax[t])
                        sg = max(rg, sf + gmin[t], opens[g])
                        if has_breaks:
                            for _ in range(10):
                                sf = self._after_breaks(kf, sf, dur[f])
                                sg = self._after_breaks(kg, max(sg, sf + gmin[t]), dur[g])
                                if sg - sf <= gmax[t] + 1e-9:
                                    break
                                sf = sg - gmax[t]
                            else:
                                return self._fail(routes, pos)
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
                            return self._fail(routes, pos)
                    pos[kp] += 1
                    cur[kp] = sp + dur[p]
                    last[kp] = node[p]
                    stack.append(kp)
                start[t] = s
                idx[t] = i
                late = s - closes[t]
                if late > 0:
                    tsum += late
                    if late > tmax:
                        tmax = late
                    if s > hard[t]:
                        pos[k] = i
                        return self._fail(routes, pos)
                cc = s + dur[t]
                ll = nd
                i += 1
            pos[k] = i
            cur[k] = cc
            last[k] = ll
        overtime = 0.0
        for k in range(n_routes):
            if pos[k] < len(routes[k]):
                # caregivers wait for each other in a circle at the level of whole visits;
                # the exact longest-path propagation may still find a schedule
                self._fail(routes, pos)
                return None if has_breaks else self._relax(routes, unassigned)
        for k in range(n_routes):
            r = routes[k]
            if not r:
                route_overtime[k] = 0.0
                continue
            back = mats[k][last[k]][c.end_node[k]]
            travel += back
            if self.has_shift_limits:
                finish = cur[k] + back
                departure = start[r[0]] - mats[k][c.start_node[k]][node[r[0]]]
                if finish > c.hard_end[k] + 1e-9 or finish - departure > c.max_work[k] + 1e-9:
                    return self._fail(routes, pos)
                extra = finish - c.shift_end[k]
                if extra > 0:
                    overtime += extra
                    route_overtime[k] = extra
                else:
                    route_overtime[k] = 0.0
        continuity = 0
        if self.has_preferences:
            preferred = c.preferred
            for k in range(n_routes):
                for t in routes[k]:
                    pref = preferred[t]
                    if pref is not None and k not in pref:
                        continuity += 1
        wt, wl, wm, wo, wc, wu = self.w
        cost = (
            wt * travel + wl * tsum + wm * tmax + wo * overtime + wc * continuity + wu * unassigned
        )
        self.last = Outcome(cost, travel, tsum, tmax, overtime, continuity)
        for k in range(n_routes):
            self.refresh_slack(routes, k)
        return self.last

    def _relax(self, routes: Routes, unassigned: int) -> Outcome | None:
        """Earliest starts by label-correcting propagation (longest paths); None on a cycle."""
        c = self.c
        node, dur, opens, closes, hard = c.node, c.duration, c.opens, c.closes, c.hard_latest
        partner, kind, is_first, gmin, gmax = c.partner, c.kind, c.is_first, c.min_gap, c.max_gap
        start, idx, mats = self.start, self.idx, c.matrix
        owner = [-1] * len(start)
        succ = [-1] * len(start)
        queue: list[int] = []
        for k, r in enumerate(routes):
            row = mats[k]
            fin = c.shift_start[k]
            ll = c.start_node[k]
            for j, t in enumerate(r):
                idx[t] = j
                owner[t] = k
                succ[t] = r[j + 1] if j + 1 < len(r) else -1
                arr = fin + row[ll][node[t]]
                start[t] = arr if arr > opens[t] else opens[t]
                fin = start[t] + dur[t]
                ll = node[t]
                queue.append(t)
        budget = 50 * len(queue) + 100
        while queue:
            budget -= 1
            if budget < 0:
                self.last = None
                return None
            t = queue.pop()
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
                    queue.append(p)
            u = succ[t]
            if u >= 0:
                arr = start[t] + dur[t] + mats[owner[t]][node[t]][node[u]]
                if arr > start[u] + 1e-9:
                    start[u] = arr
                    queue.append(u)
        travel = tsum = tmax = overtime = 0.0
        continuity = 0
        for k, r in enumerate(routes):
            self.route_overtime[k] = 0.0
            if not r:
                continue
            row = mats[k]
            ll = c.start_node[k]
            for t in r:
                travel += row[ll][node[t]]
                ll = node[t]
                late = start[t] - closes[t]
                if late > 0:
                    tsum += late
                    tmax = max(tmax, late)
                    if start[t] > hard[t]:
                        self.last = None
                        return None
                pref = c.preferred[t]
                if pref is not None and k not in pref:
                    continuity += 1
            back = row[ll][c.end_node[k]]
            travel += back
            finish = start[r[-1]] + dur[r[-1]] + back
            departure = start[r[0]] - row[c.start_node[k]][node[r[0]]]
            if finish > c.hard_end[k] + 1e-9 or finish - departure > c.max_work[k] + 1e-9:
                self.last = None
                return None
            extra = max(0.0, finish - c.shift_end[k])
            self.route_overtime[k] = extra
            overtime += extra
        wt, wl, wm, wo, wc, wu = self.w
        cost = (
            wt * travel + wl * tsum + wm * tmax + wo * overtime + wc * continuity + wu * unassigned
        )
        self.last = Outcome(cost, travel, tsum, tmax, overtime, continuity)
        for k in range(len(routes)):
            self.refresh_slack(routes, k)
        return self.last

    def refresh_slack(self, routes: Routes, k: int) -> None:
        r = routes[k]
        if not r:
            return
        c = self.c
        start, closes, dur, node = self.start, c.closes, c.duration, c.node
        slack, chain = self.slack, self.chain
        row = c.matrix[k]
        u = r[-1]
        gap = closes[u] - start[u]
        su = slack[u] = gap if gap > 0 else 0.0
        cu = chain[u] = 1
        for j in range(len(r) - 2, -1, -1):
            t = r[j]
            gap = closes[t] - start[t]
            if gap < 0:
                gap = 0.0
            wait = start[u] - start[t] - dur[t] - row[node[t]][node[u]]
            if wait > 1e-9:
                reach = wait + su
                cu = 1
            else:
                reach = su
                cu += 1
            su = slack[t] = gap if gap < reach else reach
            chain[t] = cu
            u = t

    def try_insert(
        self,
        routes: Routes,
        route_of: list[int],
        inserts: list[tuple[int, int, int]],
        unassigned: int,
        bound: float = INF,
    ) -> tuple[float, dict[int, float]] | None:
        """Cost after inserting tasks (task, caregiver, position), by propagating the pushes.

        Start times only grow when a task is inserted, so only the pushed tasks are visited;
        a push reaching an inserted task again is a cycle of waiting caregivers (infeasible).
        Precondition: ``self.start``, ``self.idx`` and ``self.last`` describe ``routes``.
        """
        base = self.last
        if base is None or self.has_breaks:
            return self._try_full(routes, inserts, unassigned)
        c = self.c
        node, dur, opens, closes, hard = c.node, c.duration, c.opens, c.closes, c.hard_latest
        partner, kind, is_first = c.partner, c.kind, c.is_first
        start, idx, mats = self.start, self.idx, c.matrix
        new: dict[int, tuple[int, int]] = {}
        at: dict[int, tuple[int, int]] = {}
        d_travel = 0.0
        ready: dict[int, float] = {}
        for t, k, i in inserts:
            new[t] = (k, i)
            at[k] = (i, t)
            r = routes[k]
            row = mats[k]
            if i:
                a = r[i - 1]
                na = node[a]
                fin = start[a] + dur[a]
            else:
                na = c.start_node[k]
                fin = c.shift_start[k]
            nb = node[r[i]] if i < len(r) else c.end_node[k]
            nx = node[t]
            d_travel += row[na][nx] + row[nx][nb] - row[na][nb]
            ready[t] = fin + row[na][nx]
        ns: dict[int, float] = {}
        if len(inserts) == 1:
            t = inserts[0][0]
            rt = ready[t]
            ns[t] = rt if rt > opens[t] else opens[t]
        else:
            a, b = inserts[0][0], inserts[1][0]
            if kind[a] == SIMULTANEOUS:
                ns[a] = ns[b] = max(ready[a], ready[b], opens[a])
            else:
                f, g = (a, b) if is_first[a] else (b, a)
                sf = max(ready[f], opens[f], ready[g] - c.max_gap[f])
                ns[f] = sf
                ns[g] = max(ready[g], sf + c.min_gap[f], opens[g])
        queue = list(ns)
        budget = 4 * len(start) + 10
        wt, wl, wm, wo, wc, wu = self.w
        # lateness only grows along the propagation: stop once this cannot beat ``bound``
        floor = wt * (base.travel + d_travel) + wl * base.total_lateness + wm * base.max_lateness
        floor += wo * base.overtime + wu * unassigned
        for t, s in ns.items():
            if s > closes[t]:
                floor += wl * (s - closes[t])
        if floor >= bound:
            return None
        while queue:
            budget -= 1
            if budget < 0:
                return None
            t = queue.pop()
            nw = new.get(t)
            if nw is not None:
                k, j = nw
                r = routes[k]
                u = r[j] if j < len(r) else -1
            else:
                k = route_of[t]
                r = routes[k]
                j = idx[t] + 1
                hit = at.get(k)
                u = hit[1] if hit is not None and hit[0] == j else r[j] if j < len(r) else -1
            if u < 0:
                continue
            arr = ns[t] + dur[t] + mats[k][node[t]][node[u]]
            su = ns.get(u)
            if su is None:
                su = start[u]
            if arr <= su + 1e-9:
                continue
            if u in new:
                return None
            cu = closes[u]
            if arr > cu:
                floor += wl * (arr - cu - (su - cu if su > cu else 0.0))
                if floor >= bound:
                    return None
            ns[u] = arr
            queue.append(u)
            p = partner[u]
            if p >= 0:
                sp = ns.get(p)
                if sp is None:
                    sp = start[p]
                if kind[u] == SIMULTANEOUS:
                    need = arr
                elif is_first[u]:
                    need = arr + c.min_gap[u]
                else:
                    need = arr - c.max_gap[u]
                if sp < need - 1e-9:
                    if p in new:
                        return None
                    cp = closes[p]
                    if need > cp:
                        floor += wl * (need - cp - (sp - cp if sp > cp else 0.0))
                        if floor >= bound:
                            return None
                    ns[p] = need
                    queue.append(p)
        d_tsum = 0.0
        tmax = base.max_lateness
        for t, s in ns.items():
            if s > hard[t]:
                return None
            late = s - closes[t]
            if late > 0:
                d_tsum += late
                if late > tmax:
                    tmax = late
            if t not in new:
                old = start[t] - closes[t]
                if old > 0:
                    d_tsum -= old
        d_over = 0.0
        if self.has_shift_limits:
            touched = {new[t][0] if t in new else route_of[t] for t in ns}
            for k in touched:
                r = routes[k]
                hit = at.get(k)
                first = hit[1] if hit is not None and hit[0] == 0 else r[0]
                lastt = hit[1] if hit is not None and hit[0] == len(r) else r[-1]
                row = mats[k]
                sf = ns.get(first, start[first])
                sl = ns.get(lastt, start[lastt])
                finish = sl + dur[lastt] + row[node[lastt]][c.end_node[k]]
                departure = sf - row[c.start_node[k]][node[first]]
                if finish > c.hard_end[k] + 1e-9 or finish - departure > c.max_work[k] + 1e-9:
                    return None
                extra = max(finish - c.shift_end[k], 0.0)
                d_over += extra - self.route_overtime[k]
        d_cont = 0
        if self.has_preferences:
            for t, k, _ in inserts:
                pref = c.preferred[t]
                if pref is not None and k not in pref:
                    d_cont += 1
        cost = (
            wt * (base.travel + d_travel)
            + wl * (base.total_lateness + d_tsum)
            + wm * tmax
            + wo * (base.overtime + d_over)
            + wc * (base.continuity_misses + d_cont)
            + wu * unassigned
        )
        ns[-1] = d_travel
        ns[-2] = d_tsum
        ns[-3] = tmax
        ns[-4] = d_over
        ns[-5] = d_cont
        return cost, ns

    def _try_full(
        self, routes: Routes, inserts: list[tuple[int, int, int]], unassigned: int
    ) -> tuple[float, dict[int, float]] | None:
        for t, k, i in inserts:
            routes[k].insert(i, t)
        outcome = self.run(routes, unassigned)
        for _, k, i in reversed(inserts):
            routes[k].pop(i)
        if outcome is None:
            return None
        return outcome.cost, {}

    def commit(
        self,
        routes: Routes,
        route_of: list[int],
        inserts: list[tuple[int, int, int]],
        ns: dict[int, float],
        unassigned: int,
    ) -> None:
        base = self.last
        for t, k, i in inserts:
            routes[k].insert(i, t)
            route_of[t] = k
        if base is None or not ns:
            self.run(routes, unassigned)
            return
        start, idx = self.start, self.idx
        for t, s in ns.items():
            if t >= 0:
                start[t] = s
        for _, k, i in inserts:
            r = routes[k]
            for j in range(i, len(r)):
                idx[r[j]] = j
        route_of_t = route_of
        for k in {route_of_t[t] for t in ns if t >= 0}:
            self.refresh_slack(routes, k)
        travel = base.travel + ns[-1]
        tsum = base.total_lateness + ns[-2]
        overtime = base.overtime
        if self.has_shift_limits:
            overtime = self._overtime(routes)
        continuity = base.continuity_misses + int(ns[-5])
        wt, wl, wm, wo, wc, wu = self.w
        tmax = ns[-3]
        cost = (
            wt * travel + wl * tsum + wm * tmax + wo * overtime + wc * continuity + wu * unassigned
        )
        self.last = Outcome(cost, travel, tsum, tmax, overtime, continuity)

    def _overtime(self, routes: Routes) -> float:
        c = self.c
        start, dur, node = self.start, c.duration, c.node
        total = 0.0
        for k, r in enumerate(routes):
            extra = 0.0
            if r:
                row = c.matrix[k]
                finish = start[r[-1]] + dur[r[-1]] + row[node[r[-1]]][c.end_node[k]]
                extra = max(finish - c.shift_end[k], 0.0)
            self.route_overtime[k] = extra
            total += extra
        return total

    def _fail(self, routes: Routes, pos: list[int]) -> Outcome | None:
        """Reset the waiting marks; always None (cannot be scheduled)."""
        wait = self.wait
        for k, r in enumerate(routes):
            if pos[k] < len(r):
                wait[r[pos[k]]] = -1
        for t in range(len(wait)):
            wait[t] = -1
        self.last = None
        return self.last


@dataclass
class SearchResult:
    solution: Solution
    outcome: Outcome | None
    iterations: int
    seconds: float
    notes: list[str] = field(default_factory=list)


class Search:
    """One search run: construction, then destroy-and-repair until stopped."""

    def __init__(self, c: Compiled, seed: int) -> None:
        self.c = c
        self.rng = random.Random(seed)  # noqa: S311 - search decisions, not secrets
        self.schedule = Schedule(c)
        self.n_visits = len(c.visit_tasks)
        self.plannable = [v for v in range(self.n_visits) if c.visit_tasks[v]]
        self.route_of = [-1] * c.n_tasks
        self.trace: list[tuple[int, float]] = []
        self.progress: Callable[[int, float], None] | None = None
        # tuning, measured on the Mankowska and Kummer instances (docs/benchmarks.md)
        self.candidates = 5  # caregivers whose best position is kept per task
        self.exact = 5  # candidates evaluated exactly per visit
        self.lookback = 120.0  # skip positions before visits starting this long before the window
        self.q_cap = 30  # at most this many visits removed per iteration...
        self.q_share = 0.25  # ...and at most this share of them
        self.t_factor = 0.004  # starting temperature, as a share of the first plan's cost
        self.cycle = 4000  # iterations per cooling cycle
        self.noise = 0.0
        self.noise_share = 0.5  # share of repairs with noise
        self.noise_factor = 0.4  # noise amplitude, as a share of the mean travel between places
        sample = c.matrix[0] if c.matrix else []
        cells = [value for row in sample for value in row]
        self.noise_scale = self.noise_factor * sum(cells) / len(cells) if cells else 0.0
        transposed: dict[int, list[list[float]]] = {}
        for m in c.matrix:
            if id(m) not in transposed:
                transposed[id(m)] = [list(col) for col in zip(*m, strict=True)]
        self.matrix_t = [transposed[id(m)] for m in c.matrix]
        # visit-to-visit relatedness for the Shaw removal: travel plus window distance
        self.related: list[list[int]] = []
        node = c.node
        row = c.matrix[0] if c.matrix else []
        firsts = [c.visit_tasks[v][0] for v in self.plannable]
        for a in firsts:
            keyed = sorted(
                (row[node[a]][node[b]] + 0.5 * abs(c.opens[a] - c.opens[b]), c.task_visit[b])
                for b in firsts
                if b != a
            )
            self.related.append([v for _, v in keyed[:30]])
        self.related_index = {v: i for i, v in enumerate(self.plannable)}

    # ---------------------------------------------------------------- insertion
    def _positions(
        self, routes: Routes, t: int, banned: int
    ) -> list[tuple[float, int, int, float]]:
        """Best (estimate, caregiver, position, estimated start) for task t."""
        c = self.c
        start, node, dur = self.schedule.start, c.node, c.duration
        slack, chain = self.schedule.slack, self.schedule.chain
        nx = node[t]
        ox, cx, dx = c.opens[t], c.closes[t], dur[t]
        wt, wl = self.schedule.w[0], self.schedule.w[1]
        best: list[tuple[float, int, int, float]] = []
        limit = INF
        paired = c.partner[t] >= 0
        keep = self.candidates + (2 if paired else 0)
        lookback = self.lookback
        key = start.__getitem__
        matrix_t = self.matrix_t
        for k in c.allowed[t]:
            if k == banned:
                continue
            r = routes[k]
            row = c.matrix[k]
            to_x = matrix_t[k][nx]
            from_x = row[nx]
            n = len(r)
            first = bisect_left(r, ox - lookback, key=key) if n else 0
            if first:
                first -= 1
            ll = c.start_node[k]
            dep = c.shift_start[k]
            if first:
                a = r[first - 1]
                ll = node[a]
                dep = start[a] + dur[a]
            # the best position on this route, and for synchronised tasks the second best
            # too: the best alone can miss the order that fits the partner's gap
            best_here = second = limit
            where = where2 = -1
            at_start = at2 = 0.0
            for i in range(first, n + 1):
                arr = dep + to_x[ll]
                s = arr if arr > ox else ox
                late = s - cx
                late = wl * late if late > 0 else 0.0
                if late >= (second if paired else best_here):
                    break
                if i < n:
                    b = r[i]
                    nb = node[b]
                    extra = to_x[ll] + from_x[nb] - row[ll][nb]
                    sb = start[b]
                    push = s + dx + from_x[nb] - sb
                    if push > 0:
                        over = push - slack[b]
                        if over > 0:
                            late += wl * over * chain[b]
                        late += 0.05 * push
                    score = wt * extra + late
                    ll = nb
                    dep = sb + dur[b]
                else:
                    end = c.end_node[k]
                    score = wt * (to_x[ll] + from_x[end] - row[ll][end]) + late
                if score < best_here:
                    second, where2, at2 = best_here, where, at_start
                    best_here, where, at_start = score, i, s
                elif paired and score < second:
                    second, where2, at2 = score, i, s
            if where >= 0:
                best.append((best_here, k, where, at_start))
                if paired and where2 >= 0:
                    best.append((second, k, where2, at2))
                if len(best) > keep:
                    best.sort()
                    del best[keep:]
                    limit = best[-1][0]
        best.sort()
        return best

    def _insert_visit(self, routes: Routes, v: int, n_unassigned: int) -> float:
        """Insert visit v at its best evaluated place; INF when nowhere feasible."""
        c = self.c
        tasks = c.visit_tasks[v]
        schedule = self.schedule
        options: list[tuple[float, list[tuple[int, int, int]]]] = []
        if len(tasks) == 1:
            t = tasks[0]
            for score, k, i, _ in self._positions(routes, t, -1):
                options.append((score, [(t, k, i)]))
        else:
            a, b = tasks
            pa = self._positions(routes, a, -1)
            pb = self._positions(routes, b, -1)
            kind = c.kind[a]
            for sa, ka, ia, ta in pa:
                for sb, kb, ib, tb in pb:
                    if ka == kb:
                        continue
                    if kind == SIMULTANEOUS:
                        mismatch = abs(ta - tb)
                    else:
                        gap = tb - ta
                        mismatch = max(0.0, c.min_gap[a] - gap, gap - c.max_gap[a])
                    options.append((sa + sb + mismatch, [(a, ka, ia), (b, kb, ib)]))
            options.sort(key=lambda o: o[0])
            if not options:
                # every good position of both tasks was on the same caregiver: spread them
                for sa, ka, ia, _ in pa[:1]:
                    for sb, kb, ib, _ in self._positions(routes, b, ka)[:2]:
                        options.append((sa + sb, [(a, ka, ia), (b, kb, ib)]))
        best_cost = INF
        best_option: list[tuple[int, int, int]] | None = None
        best_ns: dict[int, float] = {}
        noise = self.noise
        rng = self.rng
        best_key = INF
        for tried, (_, option) in enumerate(options):
            if tried >= self.exact and best_option is not None:
                break
            # noise (Ropke and Pisinger) keeps the repair from rebuilding the same plan
            jitter = (2.0 * rng.random() - 1.0) * noise if noise else 0.0
            found = schedule.try_insert(
                routes, self.route_of, option, n_unassigned, best_key - jitter
            )
            if found is not None and found[0] + jitter < best_key:
                best_cost, best_ns = found
                best_key = best_cost + jitter
                best_option = option
        if best_option is None:
            return INF
        schedule.commit(routes, self.route_of, best_option, best_ns, n_unassigned)
        return best_cost

    def repair(self, routes: Routes, removed: list[int], unassigned: set[int]) -> Outcome | None:
        c = self.c
        rng = self.rng
        self.noise = self.noise_scale if rng.random() < self.noise_share else 0.0
        order = rng.randrange(3)
        if order == 0:
            removed.sort(key=lambda v: c.opens[c.visit_tasks[v][0]])
        elif order == 1:
            rng.shuffle(removed)
        else:
            removed.sort(key=lambda v: (-len(c.visit_tasks[v]), c.closes[c.visit_tasks[v][0]]))
        pending = len(removed) + len(unassigned)
        for v in removed:
            pending -= 1
            cost = self._insert_visit(routes, v, pending + 1)
            if cost == INF:
                unassigned.add(v)
                pending += 1
        for v in sorted(unassigned):
            if v not in removed and self._insert_visit(routes, v, len(unassigned)) < INF:
                unassigned.discard(v)
        for v in removed:
            if v in unassigned and self._insert_visit(routes, v, len(unassigned)) < INF:
                unassigned.discard(v)
        # the incremental figures are exact, but a full pass also refreshes every slack
        return self.schedule.run(routes, len(unassigned))

    # ------------------------------------------------------------------ removal
    def _remove(self, routes: Routes, visits: list[int]) -> None:
        gone = {t for v in visits for t in self.c.visit_tasks[v]}
        touched = {self.route_of[t] for t in gone}
        for k in touched:
            if k >= 0:
                routes[k] = [t for t in routes[k] if t not in gone]
        for t in gone:
            self.route_of[t] = -1

    def destroy(self, routes: Routes, op: int, q: int) -> list[int]:
        c = self.c
        rng = self.rng
        assigned = [v for v in self.plannable if self.route_of[c.visit_tasks[v][0]] >= 0]
        if not assigned:
            return []
        q = min(q, len(assigned))
        chosen: list[int]
        if op == 0:  # random
            chosen = rng.sample(assigned, q)
        elif op == 1:  # related (Shaw): near in space and time to a random seed visit
            seed = rng.choice(assigned)
            chosen = [seed]
            pool = [v for v in self.related[self.related_index[seed]]
                    if self.route_of[c.visit_tasks[v][0]] >= 0]  # fmt: skip
            for v in pool:
                if len(chosen) >= q:
                    break
                if rng.random() < 0.8:
                    chosen.append(v)
        elif op == 2:  # worst: visits whose removal saves the most travel and lateness
            start = self.schedule.start
            gains = []
            for v in assigned:
                gain = 0.0
                for t in c.visit_tasks[v]:
                    k = self.route_of[t]
                    r = routes[k]
                    i = r.index(t)
                    row = c.matrix[k]
                    prev = c.node[r[i - 1]] if i else c.start_node[k]
                    nxt = c.node[r[i + 1]] if i + 1 < len(r) else c.end_node[k]
                    nd = c.node[t]
                    gain += row[prev][nd] + row[nd][nxt] - row[prev][nxt]
                    gain += max(0.0, start[t] - c.closes[t])
                gains.append((gain * (0.7 + 0.6 * rng.random()), v))
            gains.sort(reverse=True)
            chosen = [v for _, v in gains[:q]]
        else:  # a stretch of consecutive visits of one caregiver
            busy = [k for k, r in enumerate(routes) if r]
            k = rng.choice(busy)
            r = routes[k]
            length = min(len(r), q)
            first = rng.randrange(len(r) - length + 1)
            chosen = list(dict.fromkeys(c.task_visit[t] for t in r[first : first + length]))
        self._remove(routes, chosen)
        return chosen

    # -------------------------------------------------------------------- main
    def run(self, deadline: float, max_iterations: int | None) -> tuple[Routes, set[int], int]:
        c = self.c
        rng = self.rng
        routes: Routes = [[] for _ in range(c.n_caregivers)]
        unassigned: set[int] = set()
        initial = list(self.plannable)
        self.schedule.run(routes, 0)
        self.repair_initial(routes, initial, unassigned)
        outcome = self.schedule.run(routes, len(unassigned))
        current_cost = outcome.cost if outcome else INF
        best = ([list(r) for r in routes], set(unassigned), current_cost)
        current = best
        n = len(self.plannable)
        if n == 0:
            return best[0], best[1], 0
        ops = 4
        weights = [1.0] * ops
        scores = [0.0] * ops
        uses = [0] * ops
        q_max = max(2, min(self.q_cap, int(self.q_share * n) + 1))
        q_min = min(2, n)
        temperature0 = self.t_factor * current_cost if math.isfinite(current_cost) else 1.0
        cycle = self.cycle
        iteration = 0
        while True:
            if max_iterations is not None and iteration >= max_iterations:
                break
            if time.perf_counter() >= deadline:
                break
            phase = (iteration % cycle) / cycle
            if iteration and iteration % cycle == 0:
                current = best
                temperature0 *= 0.5
            temperature = temperature0 * (0.01**phase)
            routes = [list(r) for r in current[0]]
            unassigned = set(current[1])
            for k, r in enumerate(routes):
                for t in r:
                    self.route_of[t] = k
            for v in unassigned:
                for t in c.visit_tasks[v]:
                    self.route_of[t] = -1
            total = sum(weights)
            pick = rng.random() * total
            op = 0
            while op < ops - 1 and pick > weights[op]:
                pick -= weights[op]
                op += 1
            q = rng.randint(q_min, q_max)
            if op == 2:
                self.schedule.run(routes, len(unassigned))
            removed = self.destroy(routes, op, q)
            self.schedule.run(routes, len(unassigned) + len(removed))
            outcome = self.repair(routes, removed, unassigned)
            cost = outcome.cost if outcome else INF
            uses[op] += 1
            if cost < best[2] - 1e-9:
                best = ([list(r) for r in routes], set(unassigned), cost)
                self.trace.append((iteration, cost))
                if self.progress is not None:
                    self.progress(iteration, cost)
                current = best
                scores[op] += 5
            elif cost < current[2] - 1e-9:
                current = ([list(r) for r in routes], set(unassigned), cost)
                scores[op] += 2
            elif cost < INF and rng.random() < math.exp(
                -(cost - current[2]) / max(temperature, 1e-9)
            ):
                current = ([list(r) for r in routes], set(unassigned), cost)
                scores[op] += 1
            iteration += 1
            if iteration % 100 == 0:
                for o in range(ops):
                    if uses[o]:
                        weights[o] = 0.8 * weights[o] + 0.2 * max(0.05, scores[o] / uses[o])
                    scores[o] = 0.0
                    uses[o] = 0
        return best[0], best[1], iteration

    def repair_initial(self, routes: Routes, visits: list[int], unassigned: set[int]) -> None:
        c = self.c
        visits.sort(key=lambda v: (c.opens[c.visit_tasks[v][0]], -len(c.visit_tasks[v])))
        pending = len(visits)
        for v in visits:
            pending -= 1
            if self._insert_visit(routes, v, pending + len(unassigned) + 1) == INF:
                unassigned.add(v)


def solve(
    problem: Problem,
    *,
    time_limit: float = 30.0,
    seed: int = 0,
    max_iterations: int | None = None,
    progress: Callable[[int, float], None] | None = None,
) -> SearchResult:
    """Plan ``problem``; stops at ``time_limit`` seconds or ``max_iterations``, whichever first.

    The first complete plan is built before the clock is looked at, so a very short limit
    still returns one. ``progress(iteration, weighted_cost)`` is called on each improvement.
    """
    began = time.perf_counter()
    deadline = began + time_limit
    c = compile_problem(problem)
    search = Search(c, seed)
    search.progress = progress
    routes, unassigned, iterations = search.run(deadline, max_iterations)
    outcome = search.schedule.run(routes, len(unassigned))
    start = search.schedule.start
    solution_routes = []
    for k, caregiver in enumerate(problem.caregivers):
        stops = []
        for t in routes[k]:
            v = c.task_visit[t]
            stops.append(
                Stop(
                    problem.visits[v].id, c.task_requirement[t], start[t], start[t] + c.duration[t]
                )
            )
        solution_routes.append(Route(caregiver.id, tuple(stops)))
    explained = []
    for v, visit in enumerate(problem.visits):
        if v in c.explained:
            reason, detail = c.explained[v]
            explained.append(Unassigned(visit.id, reason, detail))
        elif v in unassigned:
            explained.append(
                Unassigned(
                    visit.id,
                    UnassignedReason.NO_FEASIBLE_INSERTION,
                    "every capable caregiver's day is full: inserting it breaks a hard limit "
                    "(maximum lateness, shift end, working minutes or synchronisation)",
                )
            )
    return SearchResult(
        Solution(tuple(solution_routes), tuple(explained)),
        outcome,
        iterations,
        time.perf_counter() - began,
        list(c.notes),
    )
