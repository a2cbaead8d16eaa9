"""The covering model against brute force over every subset, and the greedy choice."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.sparse import csr_matrix

from yiyang.facilities.mclp import greedy, solve


def brute_force(cover: np.ndarray, weights: np.ndarray, k: int) -> float:
    best = 0.0
    for r in range(k + 1):
        for subset in itertools.combinations(range(cover.shape[1]), r):
            covered = cover[:, list(subset)].any(axis=1) if subset else np.zeros(len(weights), bool)
            best = max(best, float(weights[covered].sum()))
    return best


@pytest.mark.parametrize("seed", range(12))
def test_exact_model_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    n, m, k = int(rng.integers(6, 25)), int(rng.integers(3, 8)), int(rng.integers(1, 4))
    cover = rng.random((n, m)) < 0.3
    weights = rng.integers(1, 9, n).astype(float)
    choice = solve(csr_matrix(cover.astype(float)), weights, k)
    assert choice.optimal is True
    assert choice.gap == 0.0
    assert len(choice.sites) <= k
    assert choice.covered == pytest.approx(brute_force(cover, weights, k))
    # the reported gains add up to what the chosen sites really cover
    really = weights[cover[:, choice.sites].any(axis=1)].sum() if choice.sites else 0.0
    assert sum(choice.gains) == pytest.approx(really)


def test_greedy_can_miss_what_the_exact_model_finds():
    # site 0 covers the middle 4 units; sites 1 and 2 cover 3 each on either side
    cover = np.zeros((6, 3))
    cover[[1, 2, 3, 4], 0] = 1
    cover[[0, 1, 2], 1] = 1
    cover[[3, 4, 5], 2] = 1
    weights = np.ones(6)
    exact = solve(csr_matrix(cover), weights, 2)
    quick = greedy(csr_matrix(cover), weights, 2)
    assert exact.covered == 6.0 and sorted(exact.sites) == [1, 2]
    assert quick.sites == [0, 1] and quick.covered == 5.0
    assert quick.gains == [4.0, 1.0]


def test_gains_come_in_marginal_order():
    cover = np.zeros((5, 2))
    cover[[0], 0] = 1
    cover[[1, 2, 3, 4], 1] = 1
    choice = solve(csr_matrix(cover), np.ones(5), 2)
    assert choice.sites == [1, 0]
    assert choice.gains == [4.0, 1.0]


def test_nothing_to_cover():
    choice = solve(csr_matrix(np.zeros((3, 2))), np.ones(3), 1)
    assert choice.sites == [] and choice.covered == 0.0 and choice.optimal is True
