from __future__ import annotations

import datetime

from django.utils import timezone

from tests.conftest import World
from tests.indicators.conftest import compute, elder
from yiyang.assessments.models import Assessment, Instrument


def assessment(
    person: object,
    level: int,
    *,
    days_ago: int = 10,
    valid_days: int = 300,
    status: str = "final",
    engine: str = "gbt42195",
) -> Assessment:
    at = timezone.now() - datetime.timedelta(days=days_ago)
    return Assessment.objects.create(
        elder=person,
        division_code=person.division_code,  # type: ignore[attr-defined]
        instrument=Instrument.objects.filter(engine=engine).first(),
        reason="first",
        status=status,
        requested_via="community_worker",
        final_level=level,
        finalised_at=at,
        valid_until=timezone.localdate() + datetime.timedelta(days=valid_days - days_ago),
    )


def test_assessed_share_level_mix_finalised_and_overdue(world: World) -> None:
    d = world.div
    a, b, c = elder(d["XA1a"]), elder(d["XA1a"]), elder(d["XA2a"])
    elder(d["XA2a"])  # never assessed
    assessment(a, 1, days_ago=400, status="superseded")
    assessment(a, 3, days_ago=0)
    assessment(b, 0, days_ago=400, valid_days=365)  # expired 35 days ago
    assessment(c, 2, days_ago=60, engine="barthel")  # not GB/T 42195
    x = d["X"]
    assert compute("assessed_share", x, d["XA1"], d["XB"]) == [25, 50, None]
    assert compute("assessed_level_3", x) == [1]
    assert compute("assessed_level_1", x) == [0]  # superseded by the level-3 assessment
    assert compute("assessed_level_0", x) == [1]
    assert compute("assessed_level_2", x) == [0]
    assert compute("assessments_overdue", x, d["XA2"]) == [1, 0]
    assert compute("assessments_finalised", x) == [1]
