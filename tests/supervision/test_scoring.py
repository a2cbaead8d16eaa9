"""The star level from item scores: the boundaries of every level, part minima, capping."""

from __future__ import annotations

from decimal import Decimal

import pytest

from yiyang.supervision.scoring import Item, Threshold, compute_level

D = Decimal
PARTS = {"env": D(100), "svc": D(100)}
ITEMS = [
    Item("E1", "env", D(100)),
    Item("S1", "svc", D(80)),
    Item("S2", "svc", D(20), cap_level=2, cap_below=D(20)),
]
THRESHOLDS = [
    Threshold(1, D(72), D("0.30")),
    Threshold(2, D(90), D("0.40")),
    Threshold(3, D(130), D("0.60")),
    Threshold(4, D(160), D("0.75")),
    Threshold(5, D(180), D("0.90")),
]


def result(e1: str, s1: str, s2: str = "20") -> object:
    return compute_level(
        items=ITEMS,
        thresholds=THRESHOLDS,
        part_max=PARTS,
        scores={"E1": D(e1), "S1": D(s1), "S2": D(s2)},
    )


@pytest.mark.parametrize(
    ("e1", "s1", "expected"),
    [
        ("90", "70", 5),  # total 180, both parts 90 %: exactly five
        ("90", "69.99", 4),  # total a hundredth short of five
        ("89.99", "80", 4),  # total enough, environment a hundredth short of 90 %
        ("60", "50", 3),  # total exactly 130, parts 60 % and 70 %
        ("60", "49.99", 2),  # total 129.99
        ("59.99", "60", 2),  # total enough, environment under 60 %
        ("30", "22", 1),  # total exactly 72, environment exactly 30 %
        ("30", "21.99", 0),  # total 71.99: no level
        ("29.99", "60", 0),  # environment under the lowest part minimum
    ],
)
def test_level_at_the_boundaries(e1: str, s1: str, expected: int) -> None:
    got = result(e1, s1)
    assert (got.level, got.level_by_points, got.caps) == (expected, expected, [])


def test_a_capping_item_holds_the_level_whatever_the_total() -> None:
    got = result("90", "80", "19.99")
    assert (got.total, got.level_by_points, got.level, got.caps) == (D("189.99"), 5, 2, ["S2"])


def test_a_cap_above_the_level_reached_changes_nothing() -> None:
    got = result("35", "22", "19.99")
    assert (got.level, got.caps) == (1, [])


def test_missing_items_count_zero_and_are_listed() -> None:
    got = compute_level(items=ITEMS, thresholds=THRESHOLDS, part_max=PARTS, scores={"E1": D(100)})
    assert (got.total, got.missing, got.complete) == (D(100), ["S1", "S2"], False)
    assert got.level == 0  # the uncored S2 (0 < 20) caps at 2 too, but nothing is reached
