"""The declared figures (``yiyang.core.indicator_figures``) on hand-made visits, apart from
any indicator: counted, summed and shared per division, rolled up, and per provider."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from tests.conftest import World
from tests.indicators.conftest import elder, service_item, this_month, visit
from yiyang.core.indicator_figures import CountOf, ShareOf, SumOf, SumShareOf
from yiyang.core.indicator_rows import count_columns, covered_share, division_codes
from yiyang.core.indicators import IndicatorValue, Period
from yiyang.visits.models import Visit


def month_visits(period: Period) -> QuerySet[Visit]:
    return Visit.objects.filter(date__gte=period.start, date__lt=period.end)


def values(found: dict[int, IndicatorValue], *keys: Any) -> list[Decimal | None]:
    return [found[getattr(key, "pk", key)].value for key in keys]


def three_visits(world: World) -> datetime.date:
    """Two visits to one elder in XA1a (one late, the elder paying 20 of its 50), one to an
    elder in XA2a, all on the month's first day by the home-care company."""
    d, provider = world.div, world.org["home_care"]
    item = service_item(d["X"])
    first, second = elder(d["XA1a"]), elder(d["XA2a"])
    day = timezone.localdate().replace(day=1)
    visit(first, provider, item, day)
    late = visit(first, provider, item, day, is_late=True)
    visit(second, provider, item, day)
    Visit.objects.filter(pk=late.pk).update(self_pay_yuan=Decimal(20))
    return day


def test_a_count_rolls_up_counts_people_once_and_answers_per_provider(world: World) -> None:
    d, o = world.div, world.org
    three_visits(world)
    visits = CountOf(month_visits, provider_field="provider_id")
    people = CountOf(month_visits, distinct="elder_id", provider_field="provider_id")
    divisions = [d["X"], d["XA1"], d["XA2a"], d["XB"]]
    assert values(visits(this_month(), divisions), *divisions) == [3, 2, 1, 0]
    assert values(people(this_month(), divisions), *divisions) == [2, 1, 1, 0]
    providers = [o["home_care"], o["home_YA"]]
    assert visits.provider_form is not None
    assert people.provider_form is not None
    assert values(visits.provider_form(this_month(), providers), *providers) == [3, 0]
    assert values(people.provider_form(this_month(), providers), *providers) == [2, 0]
    # Without a provider field there is no provider form.
    assert CountOf(month_visits).provider_form is None


def test_a_share_takes_a_condition_fixed_or_of_the_period(world: World) -> None:
    d, o = world.div, world.org
    day = three_visits(world)
    late = ShareOf(month_visits, Q(is_late=True), provider_field="provider_id")
    on_the_first = ShareOf(month_visits, lambda period: Q(date=period.start))
    divisions = [d["X"], d["XA1"], d["XB"]]
    # 1 of 3 late in the city, 1 of 2 in XA1; nothing to divide by in XB.
    assert values(late(this_month(), divisions), *divisions) == [Decimal("33.33"), 50, None]
    found = late(this_month(), [d["X"]])[d["X"].pk]
    assert (found.numerator, found.denominator) == (1, 3)
    assert values(on_the_first(Period.of(day), divisions), *divisions) == [100, 100, None]
    providers = [o["home_care"], o["home_YA"]]
    assert late.provider_form is not None
    assert values(late.provider_form(this_month(), providers), *providers) == [
        Decimal("33.33"),
        None,
    ]


def test_sums_and_a_share_of_sums(world: World) -> None:
    d = world.div
    three_visits(world)
    price = SumOf(month_visits, "price")
    paid_by_elders = SumShareOf(month_visits, F("self_pay_yuan"), F("price"))
    divisions = [d["X"], d["XA1"], d["XB"]]
    assert values(price(this_month(), divisions), *divisions) == [150, 100, 0]
    # 50 + 20 + 50 of 150 paid by the elders: 80 %; 70 of 100 in XA1.
    assert values(paid_by_elders(this_month(), divisions), *divisions) == [80, 70, None]


def test_covered_share_of_the_divisions_of_a_level(world: World) -> None:
    d = world.div
    communities = division_codes([d["X"]], "community")
    assert sorted(communities) == sorted(d[k].code for k in ("XA1a", "XA1b", "XA2a", "XB1a"))
    assert division_codes([d["X"]], "community", is_urban=False) == [d["XB1a"].code]
    found = covered_share([d["X"], d["XA1"], d["XB"]], communities, {d["XA1a"].code})
    assert values(found, d["X"], d["XA1"], d["XB"]) == [25, 50, 0]


def test_count_columns_counts_each_condition_in_one_grouped_query(
    world: World, django_assert_num_queries: Any
) -> None:
    d = world.div
    three_visits(world)
    conditions = {"all": None, "late": Q(is_late=True), "missed": Q(status="missed")}
    with django_assert_num_queries(1):
        found = count_columns(month_visits(this_month()), "division_code", conditions)
    a, b = d["XA1a"].code, d["XA2a"].code
    # A code with none meeting a condition is left out of its column.
    assert found == {"all": {a: 2, b: 1}, "late": {a: 1}, "missed": {}}
