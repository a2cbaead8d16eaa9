"""A provider's day tomorrow for the optimiser's platform tests (the visits app's ``care``
fixture, four elders around the town, and a helper to order visits)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.factories import make_elder
from tests.visits.conftest import Care, care  # noqa: F401 - the fixture
from yiyang.core.permissions import Role
from yiyang.scheduling.solver.search import warm_up
from yiyang.visits import services as dispatch
from yiyang.visits.models import Visit


@pytest.fixture(autouse=True, scope="session")
def _solver_loaded() -> None:
    """Load (or, on a fresh machine, compile once) the compiled search before any test, so
    that no test's timing includes it."""
    warm_up()


TOMORROW = timezone.localdate() + datetime.timedelta(days=1)


def _t(hhmm: str) -> datetime.time:
    return datetime.time(*map(int, hhmm.split(":")))


class Day:
    """A provider's day tomorrow: four elders around the town, visits of every kind."""

    def __init__(self, setup: Care) -> None:
        self.care = setup
        world = setup.world
        worker = world.user[Role.COMMUNITY_WORKER]
        self.elders = [setup.elder] + [
            make_elder(
                worker,
                world.div["XA1a"],
                name=f"老人{i}",
                address=f"测试路{i + 2}号",
                lat=Decimal(f"{34.74 + 0.006 * i:.6f}"),
                lng=Decimal(f"{113.64 + 0.007 * i:.6f}"),
            )
            for i in range(3)
        ]

    def visit(self, code: str, start: str, end: str, elder: int = 0) -> Visit:
        order = dispatch.order_place(
            actor=self.care.world.user[Role.COMMUNITY_WORKER],
            elder=self.elders[elder],
            provider=self.care.provider,
            item=self.care.items[code],
            starts_on=TOMORROW,
            window_start=_t(start),
            window_end=_t(end),
        )
        return order.visits.get()


@pytest.fixture
def day(care: Care) -> Day:  # noqa: F811 - the imported fixture
    return Day(care)
