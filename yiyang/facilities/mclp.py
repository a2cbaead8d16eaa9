"""The maximal covering location problem (Church & ReVelle 1974), exactly and greedily.

Demand units i with weights w_i, candidate sites j, ``cover`` an (n, m) 0/1 sparse matrix
(site j covers unit i), choose at most k sites:

    maximise  sum_i w_i y_i
    s.t.      y_i <= sum_j cover_ij x_j      (a unit counts only when a chosen site covers it)
              sum_j x_j <= k
              x_j in {0, 1},  0 <= y_i <= 1  (y is integral at an optimum once x is)

solved by HiGHS's branch and cut to a proven optimum (gap 0) or the time limit (the gap it
reached). Units with the same covering sites are merged first (their weights added), and
units no site covers are dropped: the model shrinks, the optimum does not change.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import highspy
import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csc_matrix, csr_matrix


@dataclass
class Choice:
    sites: list[int]  # in the order of their marginal gain
    gains: list[float]  # weight newly covered by each, in that order
    covered: float
    # the exact model only
    optimal: bool = False
    gap: float = 0.0
    bound: float = 0.0
    seconds: float = 0.0
    status: str = ""
    extra: dict[str, float] = field(default_factory=dict)


def _reduce(
    cover: csr_matrix, weights: NDArray[np.float64]
) -> tuple[csr_matrix, NDArray[np.float64]]:
    """Merge units with the same covering sites and drop those nobody covers."""
    cover = csr_matrix(cover, dtype=np.float64)
    cover.sum_duplicates()
    cover.sort_indices()
    cover.data[:] = 1.0
    keys: dict[bytes, int] = {}
    rows: list[int] = []
    merged: list[float] = []
    group = np.empty(cover.shape[0], dtype=np.int64)
    for i in range(cover.shape[0]):
        start, end = cover.indptr[i], cover.indptr[i + 1]
        if start == end or weights[i] <= 0:
            group[i] = -1
            continue
        key = cover.indices[start:end].tobytes()
        at = keys.get(key)
        if at is None:
            at = keys[key] = len(rows)
            rows.append(i)
            merged.append(0.0)
        merged[at] += float(weights[i])
        group[i] = at
    reduced = cover[rows] if rows else csr_matrix((0, cover.shape[1]))
    return csr_matrix(reduced), np.asarray(merged, dtype=np.float64)


def order_by_gain(
    cover: csc_matrix, weights: NDArray[np.float64], sites: list[int]
) -> tuple[list[int], list[float]]:
    """The chosen ``sites`` in the order of their marginal gain (each next one adds the
    most not yet covered), with the gains."""
    remaining = list(sites)
    uncovered = weights.astype(np.float64).copy()
    order, gains = [], []
    while remaining:
        best, best_gain = remaining[0], -1.0
        for j in remaining:
            start, end = cover.indptr[j], cover.indptr[j + 1]
            gain = float(uncovered[cover.indices[start:end]].sum())
            if gain > best_gain:
                best, best_gain = j, gain
        order.append(best)
        gains.append(best_gain)
        start, end = cover.indptr[best], cover.indptr[best + 1]
        uncovered[cover.indices[start:end]] = 0.0
        remaining.remove(best)
    return order, gains


def greedy(cover: csr_matrix, weights: NDArray[np.float64], k: int) -> Choice:
    """Pick the site adding most uncovered weight, k times (ties: lowest index)."""
    started = time.perf_counter()
    cols = csc_matrix(cover, dtype=np.float64)
    cols.data[:] = 1.0
    uncovered = np.asarray(weights, dtype=np.float64).copy()
    sites: list[int] = []
    gains: list[float] = []
    for _ in range(min(k, cols.shape[1])):
        gain = cols.T @ uncovered
        if sites:
            gain[sites] = -1.0
        best = int(np.argmax(gain))
        if gain[best] <= 0:
            break
        sites.append(best)
        gains.append(float(gain[best]))
        uncovered[cols.indices[cols.indptr[best] : cols.indptr[best + 1]]] = 0.0
    return Choice(
        sites=sites, gains=gains, covered=float(sum(gains)), seconds=time.perf_counter() - started
    )


def solve(
    cover: csr_matrix,
    weights: NDArray[np.float64],
    k: int,
    *,
    time_limit: float = 60.0,
    progress: Callable[[float], None] | None = None,
) -> Choice:
    """The exact choice of at most ``k`` sites (HiGHS), with the optimality gap."""
    started = time.perf_counter()
    n_sites = cover.shape[1]
    reduced, w = _reduce(cover, np.asarray(weights, dtype=np.float64))
    n = reduced.shape[0]
    if n == 0 or k <= 0 or n_sites == 0:
        return Choice(sites=[], gains=[], covered=0.0, optimal=True, status="empty")
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("mip_abs_gap", 1e-6)
    h.setOptionValue("threads", 1)
    lp = highspy.HighsLp()
    lp.num_col_ = n_sites + n
    lp.num_row_ = n + 1
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.col_cost_ = np.concatenate([np.zeros(n_sites), w])
    lp.col_lower_ = np.zeros(n_sites + n)
    lp.col_upper_ = np.ones(n_sites + n)
    lp.row_lower_ = np.full(n + 1, -highspy.kHighsInf)
    lp.row_upper_ = np.concatenate([np.zeros(n), [float(k)]])
    # row i: y_i - sum_j cover_ij x_j <= 0 ; last row: sum_j x_j <= k
    counts = np.diff(reduced.indptr)
    starts = np.concatenate([[0], np.cumsum(counts + 1)])
    index = np.empty(int(starts[-1]), dtype=np.int32)
    value = np.empty(int(starts[-1]), dtype=np.float64)
    first = starts[:-1]
    index[first] = n_sites + np.arange(n)
    value[first] = 1.0
    mask = np.ones(len(index), dtype=bool)
    mask[first] = False
    index[mask] = reduced.indices
    value[mask] = -1.0
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = np.concatenate([starts, [starts[-1] + n_sites]]).astype(np.int32)
    lp.a_matrix_.index_ = np.concatenate([index, np.arange(n_sites, dtype=np.int32)])
    lp.a_matrix_.value_ = np.concatenate([value, np.ones(n_sites)])
    lp.integrality_ = [highspy.HighsVarType.kInteger] * n_sites + [
        highspy.HighsVarType.kContinuous
    ] * n
    h.passModel(lp)
    if progress is not None:
        progress(0.5)
    h.run()
    status = h.modelStatusToString(h.getModelStatus())
    info = h.getInfo()
    solution = np.asarray(h.getSolution().col_value)
    sites = [j for j in range(n_sites) if solution[j] > 0.5]
    cols = csc_matrix(reduced)
    order, gains = order_by_gain(cols, w, sites)
    covered = float(sum(gains))
    bound = float(info.mip_dual_bound) if np.isfinite(info.mip_dual_bound) else covered
    optimal = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    gap = 0.0 if optimal else max(0.0, (bound - covered) / max(abs(bound), 1e-9))
    return Choice(
        sites=order,
        gains=gains,
        covered=covered,
        optimal=optimal,
        gap=gap,
        bound=max(bound, covered) if not optimal else covered,
        seconds=time.perf_counter() - started,
        status=status,
        extra={"units": float(n), "nodes": float(info.mip_node_count)},
    )
