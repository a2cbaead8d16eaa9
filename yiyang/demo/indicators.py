"""The demo city's picture: census residents aged 65+ and 80+ beside the 60+ figures, the
targets the source texts give for this year, and the monthly snapshots from the first
records to now (so trends and year-on-year figures have history to show)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import F
from django.utils import timezone

from yiyang.core.models import Division
from yiyang.core.permissions import SystemActor
from yiyang.core.scoping import Scope, prefix_q
from yiyang.indicators.models import IndicatorSnapshot
from yiyang.indicators.selectors import current_month, month_add
from yiyang.indicators.services import DEFAULT_TARGETS, data_start, snapshot_take, targets_seed


@dataclass
class DemoIndicators:
    targets: int = 0
    months: int = 0
    existing: bool = False


def demo_indicators_build(*, city_code: str) -> DemoIndicators:
    city = Division.objects.get(code=city_code)
    if IndicatorSnapshot.objects.filter(division=city).exists():
        return DemoIndicators(existing=True)
    # The census has 65+ and 80+ too: about two thirds and a seventh of the 60+ residents.
    Division.objects.filter(prefix_q("code", city.code_prefix), population_65_plus=0).update(
        population_65_plus=F("population_60_plus") * 67 / 100,
        population_80_plus=F("population_60_plus") * 14 / 100,
    )
    actor = SystemActor(Scope(division_prefix=city.code_prefix), username="demo")
    year = timezone.localdate().year
    result = DemoIndicators(
        targets=targets_seed(actor=actor, city=city, year=year, values=DEFAULT_TARGETS)
    )
    start = data_start() or current_month()
    month = max(start, month_add(current_month(), -24))
    while month <= current_month():
        snapshot_take(month=month, rebuild=True)
        result.months += 1
        month = month_add(month, 1)
    return result
