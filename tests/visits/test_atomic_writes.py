"""Every visit lifecycle write runs in one transaction: a check-out that fails half-way
leaves nothing (found on PostgreSQL when a split lost the decorator: ``select_for_update``
outside a transaction)."""

from __future__ import annotations

import inspect

import pytest

from yiyang.visits import services

WRITES = [
    "visit_set_off",
    "visit_check_in",
    "visit_check_out",
    "visit_assign",
    "visit_unassign",
    "visit_cancel",
    "order_place",
    "order_cancel",
    "visit_review",
    "visit_correct",
]


@pytest.mark.parametrize("name", WRITES)
def test_each_lifecycle_write_is_atomic(name: str) -> None:
    function = getattr(services, name)
    # transaction.atomic wraps the function; the wrapper keeps the original as __wrapped__.
    assert hasattr(function, "__wrapped__"), f"{name} is not wrapped in transaction.atomic"
    source = inspect.getsource(inspect.unwrap(function))
    assert "def " + name in source
