from __future__ import annotations

import datetime
import itertools
from collections import Counter
from decimal import Decimal

from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import World
from tests.indicators.conftest import compute, dec, elder
from yiyang.alerts.models import Alert
from yiyang.core.indicators import percentile, quantise
from yiyang.devices.models import Device, DeviceBinding

_serial = itertools.count(1)


def device(
    person: object,
    kind: str = "pendant",
    *,
    seen_hours_ago: float | None = 1,
    unbound: bool = False,
) -> Device:
    now = timezone.now()
    made = Device.objects.create(
        kind=kind,
        vendor="v",
        serial=f"S{next(_serial)}",
        status="active",
        community=person.community,
        division_code=person.division_code,  # type: ignore[attr-defined]
        elder=None if unbound else person,
        last_seen_at=None
        if seen_hours_ago is None
        else now - datetime.timedelta(hours=seen_hours_ago),
    )
    DeviceBinding.objects.create(
        device=made,
        elder=person,
        bound_at=now - datetime.timedelta(days=3),
        unbound_at=now - datetime.timedelta(days=1) if unbound else None,
    )
    return made


def test_devices_bound_wearables_and_online_share(world: World) -> None:
    d = world.div
    a, b = elder(d["XA1a"]), elder(d["XA2a"])
    device(a)
    device(a, "smoke", seen_hours_ago=30)
    device(b, "watch", seen_hours_ago=None)
    device(b, "watch", unbound=True)
    assert compute("devices_bound", d["X"], d["XA1"], d["XB"]) == [3, 2, 0]
    assert compute("wearables_bound", d["X"], d["XA2a"]) == [2, 1]
    assert compute("devices_online_share", d["X"], d["XA1"], d["XB"]) == [
        dec("33.33"),
        50,
        None,
    ]


def alert(person: object, kind: str = "sos", answer: float | None = None, **values: object) -> None:
    at = timezone.now() - datetime.timedelta(minutes=5)
    Alert.objects.create(
        elder=person,
        division_code=person.division_code,
        kind=kind,  # type: ignore[attr-defined]
        priority=1,
        source="device",
        dedupe_key=str(next(_serial)),
        raised_at=at,
        first_event_at=at,
        last_event_at=at,
        acknowledged_at=None if answer is None else at + datetime.timedelta(seconds=answer),
        **values,
    )


def test_alerts_by_kind_and_answer_times(world: World) -> None:
    d = world.div
    a, b = elder(d["XA1a"]), elder(d["XA2a"])
    alert(a, answer=30)
    alert(a, answer=60)
    alert(a, "fall", answer=120)
    alert(a, "fall", answer=None)  # not answered: misses both targets
    alert(b, "device_silent", answer=None, outcome="auto_resolved", status="resolved")
    alert(b, "sos", answer=400)
    x = d["X"]
    assert compute("alerts", x, d["XA2"]) == [6, 2]
    assert compute("alerts_sos", x) == [3]
    assert compute("alerts_fall", x) == [2]
    assert compute("alerts_device_silent", x) == [1]
    # 5 calls (the self-resolved technical alert is none): 2 within 60 s, 3 within 180 s.
    assert compute("alerts_answered_60s", x, d["XA1"], d["XB"]) == [40, 50, None]
    assert compute("alerts_answered_180s", x, d["XA2"]) == [60, 0]
    # Answered: 30, 60, 120, 400 -> median 90, 90th percentile 400.
    assert compute("alerts_answer_median", x, d["XA1"], d["XB"]) == [90, 60, None]
    assert compute("alerts_answer_p90", x) == [400]


def test_answer_times_are_whole_seconds_floored_exactly(world: World) -> None:
    d = world.div
    a = elder(d["XA1a"])
    # Exactly 60 s stays 60 (SQLite's day fractions must not make it 59); 60.9 s is 60.
    for seconds in (60, 60.9, 59.999, 61):
        alert(a, answer=seconds)
    assert compute("alerts_answer_median", d["X"]) == [60]
    assert compute("alerts_answer_p90", d["X"]) == [61]


@given(
    st.lists(st.integers(min_value=0, max_value=500), max_size=60),
    st.sampled_from([0.5, 0.9, 0.1, 0.99]),
)
def test_the_histogram_percentile_is_the_nearest_rank_of_the_values(
    values: list[int], share: float
) -> None:
    ordered = sorted(values)
    if not ordered:
        expected = None
    elif share == 0.5 and len(ordered) % 2 == 0:
        expected = quantise(
            (Decimal(ordered[len(ordered) // 2 - 1]) + Decimal(ordered[len(ordered) // 2])) / 2
        )
    elif share == 0.5:
        expected = quantise(Decimal(ordered[len(ordered) // 2]))
    else:
        expected = quantise(Decimal(ordered[min(len(ordered) - 1, int(share * len(ordered)))]))
    assert percentile(Counter(values), share) == expected
