"""The kernels' base: how they are compiled, their constants, the problem and state tuples,
the random numbers and the small helpers of the schedule and the insertion.

Imported normally, every function is compiled by Numba; ``search.kernels("python")`` loads
this package's modules a second time under names ending in ``_reference`` and the same
source runs in plain CPython (``COMPILED`` is False there).
"""

# ruff: noqa: N803
from __future__ import annotations

import hashlib
import math
from collections import namedtuple
from pathlib import Path
from typing import Any

import numpy as np

COMPILED = not __name__.endswith("_reference")
# the package's modules, each importing only those before it
MODULES = ("base", "schedule", "insertion", "repair", "destroy", "run")


def drop_stale_cache() -> None:
    """Numba keys each function's on-disk cache on its own file only, but a kernel carries
    the helpers it inlines or calls from the other modules: after a change to any of them
    the cached callers would keep the old helpers. So the whole package's cache is dropped
    when any module changed (it is compiled again once)."""
    where = Path(__file__).parent
    sources = b"".join((where / f"{stem}.py").read_bytes() for stem in MODULES)
    digest = hashlib.sha256(sources).hexdigest()
    cache = where / "__pycache__"
    stamp = cache / "kernels-sources.sha256"
    try:
        if stamp.read_text() == digest:
            return
    except OSError:
        pass
    try:
        for old in [*cache.glob("*.nbi"), *cache.glob("*.nbc")]:
            old.unlink(missing_ok=True)
        cache.mkdir(exist_ok=True)
        stamp.write_text(digest)
    except OSError:
        pass  # a read-only tree: Numba then caches elsewhere (NUMBA_CACHE_DIR) or not at all


if COMPILED:
    drop_stale_cache()
    from numba import njit, types
    from numba.core import cgutils
    from numba.extending import intrinsic

    jit: Any = njit(cache=True, nogil=True)
    # small or single-call-site helpers are inlined into their callers
    inline: Any = njit(cache=True, nogil=True, inline="always")

    @intrinsic
    def _unowned(typingctx: Any, tup: Any) -> Any:
        """The problem or state tuple with every array borrowed (no reference counting).

        Numba increments and decrements the reference count of every array of a tuple each
        time the tuple is passed to a function or an inlined helper: with some 90 arrays in
        the problem and the state that was half of the search's time (profiled with perf,
        issue 22). The entry points (called from Python, which holds the arrays for the
        whole call) take the tuples once through here, so that the counts below them are
        no-ops. The kernels they call that are compiled apart (not inlined) take them
        through here again: a count on a borrowed array is then known to be a no-op and
        compiled away, instead of a test at every pass of a tuple to an inlined helper."""

        def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
            value = args[0]
            for i, ty in enumerate(sig.args[0].types):
                if isinstance(ty, types.Array):
                    member = builder.extract_value(value, i)
                    for f in (0, 1):  # the meminfo and the parent object
                        null = cgutils.get_null_value(member.type.elements[f])
                        member = builder.insert_value(member, null, f)
                    value = builder.insert_value(value, member, i)
            return value

        return tup(tup), codegen

    unowned: Any = _unowned

else:

    def jit(f: Any) -> Any:
        return f

    inline = jit

    def _plain(tup: Any) -> Any:
        return tup

    unowned = _plain


INF = math.inf
SIMULTANEOUS = 1

# indices into P.ip / P.fp (tuning) and S.iv / S.fs (scalars of the state)
IP_CANDIDATES, IP_EXACT, IP_QCAP, IP_CYCLE, IP_HAS_BREAKS, IP_HAS_LIMITS, IP_HAS_PREF = range(7)
IP_ORDER = 7
FP_LOOKBACK, FP_QSHARE, FP_TFACTOR, FP_NOISE_SHARE, FP_NOISE_SCALE, FP_KICK = range(6)
IV_LAST_OK, IV_STAMP, IV_NS_N, IV_NS_FULL, IV_BNS_N, IV_NUNS, IV_ITER = range(7)
IV_CUR_NUNS, IV_BEST_NUNS, IV_NTRACE, IV_QMIN, IV_QMAX, IV_RUNS, IV_LAST_BEST = range(7, 14)
FS_NOISE, FS_TEMP0, FS_CUR_COST, FS_BEST_COST = range(4)

Prob = namedtuple(
    "Prob",
    "node dur opens closes hard partner kind is_first gmin gmax allowed_ptr allowed_idx "
    "has_pref pref_ok start_node end_node shift_start shift_end hard_end max_work "
    "br_ptr br_s br_e mats matst mode vt vn task_visit plannable related rel_len "
    "related_index w ip fp",
)
State = namedtuple(
    "State",
    "R L route_of uns start wait ready idx slack chain rover last iv fs rng "
    "ns_val ns_stamp ns_list new_k new_i new_stamp at_i at_t at_stamp rdy ext "
    "bns_list bns_val bext run_pos run_cur run_last run_stack owner succ queue "
    "cur_R cur_L cur_uns best_R best_L best_uns weights scores uses trace_it trace_cost "
    "removed in_removed tmark pos_s pos_k pos_w pos_x opt_s opt_t opt_k opt_i",
)


# ------------------------------------------------------------------------------ random
@inline
def rng_next(g: Any) -> int:
    """Marsaglia's xorshift128 on 32-bit words (kept in int64, never overflowing)."""
    t = g[0] ^ ((g[0] << 11) & 0xFFFFFFFF)
    g[0] = g[1]
    g[1] = g[2]
    g[2] = g[3]
    w = g[3]
    w = w ^ (w >> 19) ^ (t ^ (t >> 8))
    g[3] = w
    return w


@inline
def rng_random(g: Any) -> float:
    a = rng_next(g) >> 5
    b = rng_next(g) >> 6
    return (a * 67108864.0 + b) / 9007199254740992.0


@inline
def rng_below(g: Any, n: int) -> int:
    """An integer in [0, n), n >= 1."""
    x = int(rng_random(g) * n)
    return x if x < n else n - 1


# ---------------------------------------------------------------------------- arrays
@jit
def stable_order(keys: Any) -> Any:
    return np.argsort(keys, kind="mergesort")


@jit
def fill(a: Any, x: Any) -> None:
    for i in range(a.shape[0]):
        a[i] = x


@jit
def copy_plan(R: Any, L: Any, uns: Any, R2: Any, L2: Any, uns2: Any) -> None:
    """R, L, uns := R2, L2, uns2 (only the used part of each route)."""
    for k in range(L2.shape[0]):
        n = L2[k]
        L[k] = n
        for j in range(n):
            R[k, j] = R2[k, j]
    for v in range(uns2.shape[0]):
        uns[v] = uns2[v]


@inline
def route_insert(R: Any, L: Any, k: int, i: int, t: int) -> None:
    n = L[k]
    for j in range(n, i, -1):
        R[k, j] = R[k, j - 1]
    R[k, i] = t
    L[k] = n + 1


@inline
def route_pop(R: Any, L: Any, k: int, i: int) -> None:
    n = L[k]
    for j in range(i, n - 1):
        R[k, j] = R[k, j + 1]
    L[k] = n - 1


# ------------------------------------------------------------------------- schedule
@inline
def after_breaks(brk: Any, k: int, s: float, d: float) -> float:
    """The earliest start from s at which d minutes fit between caregiver k's breaks;
    ``brk`` is (P.br_ptr, P.br_s, P.br_e)."""
    br_ptr, br_s, br_e = brk
    for b in range(br_ptr[k], br_ptr[k + 1]):
        if s < br_e[b] and s + d > br_s[b]:
            s = br_e[b]
    return s


@inline
def sched_fail(S: Any) -> bool:
    fill(S.wait, -1)
    S.iv[IV_LAST_OK] = 0
    return False


@inline
def set_last(
    S: Any, P: Any, travel: float, tsum: float, tmax: float, over: float, cont: float, nuns: int
) -> None:
    w = P.w
    cost = w[0] * travel + w[1] * tsum + w[2] * tmax + w[3] * over + w[4] * cont + w[5] * nuns
    S.last[0] = cost
    S.last[1] = travel
    S.last[2] = tsum
    S.last[3] = tmax
    S.last[4] = over
    S.last[5] = cont
    S.iv[IV_LAST_OK] = 1


@inline
def refresh_slack(
    R: Any,
    L: Any,
    k: int,
    start: Any,
    closes: Any,
    dur: Any,
    node: Any,
    slack: Any,
    chain: Any,
    mats: Any,
    m: int,
) -> None:
    """Forward slack (how far a task can be pushed before anyone on its route gets later)
    and chain (how many tasks from it on follow without waiting)."""
    n = L[k]
    if n == 0:
        return
    u = R[k, n - 1]
    gap = closes[u] - start[u]
    su = gap if gap > 0 else 0.0
    slack[u] = su
    cu = 1
    chain[u] = 1
    for j in range(n - 2, -1, -1):
        t = R[k, j]
        gap = closes[t] - start[t]
        if gap < 0:
            gap = 0.0
        wt = start[u] - start[t] - dur[t] - mats[m, node[t], node[u]]
        if wt > 1e-9:
            reach = wt + su
            cu = 1
        else:
            reach = su
            cu += 1
        su = gap if gap < reach else reach
        slack[t] = su
        chain[t] = cu
        u = t


# ------------------------------------------------------------------------ insertion
@inline
def ns_get(ns_stamp: Any, ns_val: Any, start: Any, stamp: int, t: int) -> float:
    if ns_stamp[t] == stamp:
        return ns_val[t]
    return start[t]


@inline
def ns_set(
    ns_stamp: Any, ns_val: Any, ns_list: Any, iv: Any, stamp: int, t: int, value: float
) -> None:
    if ns_stamp[t] != stamp:
        ns_stamp[t] = stamp
        ns_list[iv[IV_NS_N]] = t
        iv[IV_NS_N] += 1
    ns_val[t] = value


@inline
def refresh_all(P: Any, S: Any, R: Any, L: Any) -> None:
    m = P.mode
    for k in range(L.shape[0]):
        refresh_slack(R, L, k, S.start, P.closes, P.dur, P.node, S.slack, S.chain, P.mats, m[k])


@inline
def extension_cost(
    w: Any,
    last: Any,
    ext: Any,
    nuns: int,
    d_travel: float,
    d_tsum: float,
    tmax: float,
    d_over: float,
    d_cont: float,
) -> float:
    """The weighted cost of the last schedule extended by an insertion's changes, which are
    kept in ext."""
    ext[0] = d_travel
    ext[1] = d_tsum
    ext[2] = tmax
    ext[3] = d_over
    ext[4] = d_cont
    return (
        w[0] * (last[1] + d_travel)
        + w[1] * (last[2] + d_tsum)
        + w[2] * tmax
        + w[3] * (last[4] + d_over)
        + w[4] * (last[5] + d_cont)
        + w[5] * nuns
    )
