from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.alerts.helpers import Clock
from yiyang.devices import clock as device_clock
from yiyang.devices.services import FLOOD_GATE


@pytest.fixture
def clock() -> Iterator[Clock]:
    fake = Clock()
    FLOOD_GATE.minute = -1
    with device_clock.use(fake):
        yield fake
